// Call-log retention: the activity deletes only rows older than the cutoff, in batches; the daily
// schedule is created once and updated in place; a run started by that schedule on a real worker
// deletes the old rows.
import { randomUUID } from 'node:crypto';
import { Client, Connection } from '@temporalio/client';
import { MockActivityEnvironment } from '@temporalio/testing';
import { DefaultLogger, NativeConnection, Runtime, Worker } from '@temporalio/worker';
import { createMaintenanceActivities } from '../../activities/maintenance';
import { createSql, type Sql } from '../../src/db';
import { CALL_LOG_RETENTION_SCHEDULE_ID, ensureCallLogRetentionSchedule } from '../../src/maintenance-schedule';

const DAY = 86_400_000;
const RETENTION_MS = 90 * DAY;
let sql: Sql;
let connection: Connection;
let client: Client;

beforeAll(async () => {
  try {
    Runtime.install({ logger: new DefaultLogger('WARN') });
  } catch {
    // already installed by another file in this process
  }
  sql = createSql(process.env.TEST_DATABASE_URL!, { max: 4 });
  connection = await Connection.connect({ address: process.env.TEST_TEMPORAL_ADDRESS! });
  client = new Client({ connection, namespace: 'default' });
  await deleteSchedule();
});

afterAll(async () => {
  await deleteSchedule();
  await connection.close();
  await sql.end({ timeout: 5 });
});

async function deleteSchedule() {
  try {
    await client.schedule.getHandle(CALL_LOG_RETENTION_SCHEDULE_ID).delete();
  } catch {
    // not there
  }
}

/** Inserts call-log rows that started `ageDays` ago, tagged with `tag`. */
async function insertCalls(tag: string, ageDays: number, count: number) {
  const startedAt = new Date(Date.now() - ageDays * DAY);
  const rows = Array.from({ length: count }, (_, i) => ({
    target: 'wps',
    operation: tag,
    method: 'GET',
    url: `https://api.wps-inc.com/orders/${tag}-${i}`,
    status: 200,
    duration_ms: 12,
    started_at: startedAt,
  }));
  await sql`INSERT INTO external_calls ${sql(rows)}`;
}

async function countTagged(tag: string): Promise<number> {
  const [{ n }] = await sql`SELECT count(*)::int AS n FROM external_calls WHERE operation = ${tag}`;
  return n;
}

async function countOlderThan(cutoff: Date): Promise<number> {
  const [{ n }] = await sql`SELECT count(*)::int AS n FROM external_calls WHERE started_at < ${cutoff}`;
  return n;
}

test('the activity deletes only rows older than the cutoff, batch by batch, heartbeating', async () => {
  const tag = `retention-${randomUUID()}`;
  await insertCalls(`${tag}-old`, 120, 7);
  await insertCalls(`${tag}-edge`, 89, 2);
  await insertCalls(`${tag}-new`, 0, 3);
  const before = new Date(Date.now() - 90 * DAY);
  const expected = await countOlderThan(before);
  expect(expected).toBeGreaterThanOrEqual(7);

  const env = new MockActivityEnvironment();
  const heartbeats: unknown[] = [];
  env.on('heartbeat', (d: unknown) => heartbeats.push(d));
  const { deleteCallLogBefore } = createMaintenanceActivities({ sql, batchSize: 3 });
  const deleted = await env.run(deleteCallLogBefore, { before: before.toISOString() });

  expect(deleted).toBe(expected);
  expect(await countOlderThan(before)).toBe(0);
  expect([await countTagged(`${tag}-old`), await countTagged(`${tag}-edge`), await countTagged(`${tag}-new`)]).toEqual([0, 2, 3]);
  // 3 + 3 + the rest: one heartbeat per batch, each with the running total.
  expect(heartbeats.length).toBe(Math.floor(expected / 3) + 1);
  expect(heartbeats.at(-1)).toEqual({ deleted: expected });
  // Nothing left to do: a second run deletes nothing.
  expect(await env.run(deleteCallLogBefore, { before: before.toISOString() })).toBe(0);
});

test('ensureCallLogRetentionSchedule creates the daily schedule once and updates it in place', async () => {
  await ensureCallLogRetentionSchedule(client, { taskQueue: 'maintenance-a', retentionMs: RETENTION_MS });
  const handle = client.schedule.getHandle(CALL_LOG_RETENTION_SCHEDULE_ID);
  const first = await handle.describe();
  await ensureCallLogRetentionSchedule(client, { taskQueue: 'maintenance-b', retentionMs: 30 * DAY });
  const second = await handle.describe();

  // The same schedule, not a new one: created once, then updated.
  expect(second.info.createdAt).toEqual(first.info.createdAt);
  expect(second.info.lastUpdatedAt).toBeDefined();
  expect(second.spec.calendars).toEqual([
    expect.objectContaining({ hour: [{ start: 4, end: 4, step: 1 }], minute: [{ start: 10, end: 10, step: 1 }], comment: 'daily' }),
  ]);
  expect(second.policies.overlap).toBe('SKIP');
  expect(second.action).toMatchObject({
    type: 'startWorkflow',
    workflowType: 'CallLogRetentionWorkflow',
    taskQueue: 'maintenance-b',
    args: [{ retentionMs: 30 * DAY }],
  });
  expect(first.action).toMatchObject({ taskQueue: 'maintenance-a', args: [{ retentionMs: RETENTION_MS }] });
});

test('a run started by the schedule on a worker deletes the old rows', async () => {
  const tag = `retention-wf-${randomUUID()}`;
  await insertCalls(`${tag}-old`, 200, 4);
  await insertCalls(`${tag}-new`, 1, 2);
  const expected = await countOlderThan(new Date(Date.now() - RETENTION_MS));

  const taskQueue = `maintenance-${randomUUID()}`;
  const nativeConnection = await NativeConnection.connect({ address: process.env.TEST_TEMPORAL_ADDRESS! });
  try {
    const worker = await Worker.create({
      connection: nativeConnection,
      namespace: 'default',
      taskQueue,
      workflowsPath: require.resolve('../../workflows/maintenance'),
      activities: createMaintenanceActivities({ sql }),
    });
    const result = await worker.runUntil(async () => {
      await ensureCallLogRetentionSchedule(client, { taskQueue, retentionMs: RETENTION_MS });
      const schedule = client.schedule.getHandle(CALL_LOG_RETENTION_SCHEDULE_ID);
      await schedule.trigger();
      let started;
      for (let i = 0; i < 100 && !started; i++) {
        started = (await schedule.describe()).info.recentActions.at(-1)?.action;
        if (!started) await new Promise((r) => setTimeout(r, 100));
      }
      expect(started).toBeDefined();
      return client.workflow.getHandle(started!.workflow.workflowId, started!.workflow.firstExecutionRunId).result();
    });
    expect(result.deleted).toBe(expected);
    expect([await countTagged(`${tag}-old`), await countTagged(`${tag}-new`)]).toEqual([0, 2]);
  } finally {
    await nativeConnection.close();
  }
});
