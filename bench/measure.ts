// Counters read before and after each measured stretch: CPU of each process tree, Postgres
// statements (pg_stat_statements, this database only) and rows, the Temporal server's task
// counters, distributor calls; and the histories of finished workflows.
import type { Client } from '@temporalio/client';
import { historyToJSON } from '@temporalio/common/lib/proto-utils';
import { sleep } from '../src/dev/chaos/http';
import { eventTypeName, type HistoryEventLike } from './shape';
import { BENCH_DB, type BenchStack } from './stack';
import { isWriteStatement, sumMetric } from './stats';
import type { SimulatorTap } from './tap';

export interface Counters {
  /** Epoch ms. */
  at: number;
  /** CPU seconds per process tree. */
  cpu: ReturnType<BenchStack['cpu']>;
  /** Statements executed in the bench database (pg_stat_statements calls; BEGIN/COMMIT not counted). */
  statements: number;
  /** Of those, INSERT, UPDATE, DELETE (and data-modifying CTEs). */
  writes: number;
  /** Statements by normalized query text (pg_stat_statements' own normalization). */
  byQuery: Record<string, number>;
  /** Rows inserted, updated and deleted (pg_stat_database). */
  rowsWritten: number;
  transactions: number;
  /** Workflow and activity tasks completed at the Temporal server, all task queues. */
  workflowTasks: number;
  activityTasks: number;
  /** Calls to the WPS API. */
  distributorCalls: number;
}

/** Resolves once the Temporal server's task counters stop moving (at most ~12 s). */
export async function settle(stack: BenchStack): Promise<void> {
  let tasks = await serverTasks(stack);
  for (let i = 0; i < 10; i++) {
    await sleep(1200);
    const again = await serverTasks(stack);
    if (again.workflowTasks === tasks.workflowTasks && again.activityTasks === tasks.activityTasks) return;
    tasks = again;
  }
}

/**
 * The counters now. CPU, distributor calls and the time are read at once; the Temporal server
 * publishes its metrics about once a second and Postgres its row counts within a second, so with
 * `settleFirst` those are read once the load has gone idle and they stopped moving.
 */
export async function readCounters(stack: BenchStack, tap: SimulatorTap, settleFirst: boolean): Promise<Counters> {
  tap.drain();
  const now = { at: Date.now(), cpu: stack.cpu(), distributorCalls: tap.wpsCalls };
  if (settleFirst) await settle(stack);
  const tasks = await serverTasks(stack);
  const sql = stack.admin!;
  const statements = await sql<{ query: string; calls: string }[]>`
    SELECT s.query, s.calls::text FROM pg_stat_statements s JOIN pg_database d ON d.oid = s.dbid WHERE d.datname = ${BENCH_DB}`;
  const [db] = await sql<{ rows: string; xacts: string }[]>`
    SELECT (tup_inserted + tup_updated + tup_deleted)::text AS rows, xact_commit::text AS xacts FROM pg_stat_database WHERE datname = ${BENCH_DB}`;
  return {
    ...now,
    ...tasks,
    statements: statements.reduce((n, s) => n + Number(s.calls), 0),
    writes: statements.filter((s) => isWriteStatement(s.query)).reduce((n, s) => n + Number(s.calls), 0),
    // one text can have several entries (one per parameter typing): add them up
    byQuery: statements.reduce<Record<string, number>>((m, s) => ((m[s.query] = (m[s.query] ?? 0) + Number(s.calls)), m), {}),
    rowsWritten: Number(db?.rows ?? 0),
    transactions: Number(db?.xacts ?? 0),
  };
}

async function serverTasks(stack: BenchStack): Promise<{ workflowTasks: number; activityTasks: number }> {
  const metrics = await stack.serverMetrics();
  // as the frontend saw them (the history service counts each again), in our namespace only
  const op = (operation: string) => sumMetric(metrics, 'service_requests', { operation, namespace: 'default', service_name: 'frontend' });
  return { workflowTasks: op('RespondWorkflowTaskCompleted'), activityTasks: op('RespondActivityTaskCompleted') };
}

/** after − before, field by field. */
export function delta(before: Counters, after: Counters): Counters {
  const cpu = Object.fromEntries(Object.entries(after.cpu).map(([k, v]) => [k, v - before.cpu[k as keyof Counters['cpu']]])) as Counters['cpu'];
  const d = { ...after, cpu } as Counters;
  d.byQuery = Object.fromEntries(
    Object.entries(after.byQuery)
      .map(([q, n]) => [q, n - (before.byQuery[q] ?? 0)] as const)
      .filter(([, n]) => n > 0),
  );
  for (const k of ['at', 'statements', 'writes', 'rowsWritten', 'transactions', 'workflowTasks', 'activityTasks', 'distributorCalls'] as const) d[k] = after[k] - before[k];
  return d;
}

/** A finished workflow's history, as event names (and marker names). */
export async function historyOf(client: Client, workflowId: string): Promise<HistoryEventLike[]> {
  // the JSON form names event types; the proto form numbers them
  const json = JSON.parse(historyToJSON(await client.workflow.getHandle(workflowId).fetchHistory())) as {
    events: {
      eventType: string;
      markerRecordedEventAttributes?: { markerName?: string };
      timerStartedEventAttributes?: { timerId?: string; startToFireTimeout?: string };
      timerFiredEventAttributes?: { timerId?: string };
    }[];
  };
  return json.events.map((e) => ({
    type: eventTypeName(e.eventType),
    markerName: e.markerRecordedEventAttributes?.markerName,
    timerId: e.timerStartedEventAttributes?.timerId ?? e.timerFiredEventAttributes?.timerId,
    // a protobuf Duration in JSON: "0.998s"
    timerMs: e.timerStartedEventAttributes?.startToFireTimeout ? parseFloat(e.timerStartedEventAttributes.startToFireTimeout) * 1000 : undefined,
  }));
}
