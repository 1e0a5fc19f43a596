// Each dealer's feed runs on a Temporal Schedule `feed:<tenant>:<distributor>`, by default every
// morning at 05:00 in the dealer's time zone. Postgres keeps the dealer's setting; the Schedule
// follows it. Overlapping runs are skipped by the Schedule and refused by the feed_runs lock.
import { ScheduleAlreadyRunning, ScheduleNotFoundError, ScheduleOverlapPolicy, type Client, type ScheduleOptions } from '@temporalio/client';
import type { Sql } from '../db';
import { feedScheduleId, type FeedImportInput } from '../../workflows/messages';
import { feedRunSummary } from '../../workflows/summaries';

export const DEFAULT_FEED_CRON = '0 5 * * *';
export const DEFAULT_FEED_TIME_ZONE = 'America/Chicago';

export interface FeedScheduleSetting {
  distributor: string;
  enabled: boolean;
  cron: string;
  timeZone: string;
}

const CRON_FIELDS: { name: string; min: number; max: number; names?: string[] }[] = [
  { name: 'minute', min: 0, max: 59 },
  { name: 'hour', min: 0, max: 23 },
  { name: 'day of month', min: 1, max: 31 },
  { name: 'month', min: 1, max: 12, names: ['JAN', 'FEB', 'MAR', 'APR', 'MAY', 'JUN', 'JUL', 'AUG', 'SEP', 'OCT', 'NOV', 'DEC'] },
  { name: 'day of week', min: 0, max: 7, names: ['SUN', 'MON', 'TUE', 'WED', 'THU', 'FRI', 'SAT'] },
];

/**
 * What is wrong with a five-field cron expression, or undefined. Checked here so a dealer's typo
 * is a 400 naming the field rather than whatever Temporal says.
 */
export function cronProblem(expr: string): string | undefined {
  const fields = expr.trim().split(/\s+/);
  if (fields.length !== 5) return 'needs five fields: minute hour day-of-month month day-of-week';
  for (const [i, f] of fields.entries()) {
    const spec = CRON_FIELDS[i];
    const value = (v: string) => {
      const named = spec.names?.indexOf(v.toUpperCase()) ?? -1;
      if (named >= 0) return named + (spec.name === 'month' ? 1 : 0);
      return /^\d{1,2}$/.test(v) ? Number(v) : NaN;
    };
    for (const item of f.split(',')) {
      const m = /^(\*|([^-/]+)(?:-([^/]+))?)(?:\/(\d{1,2}))?$/.exec(item);
      if (!m) return `${spec.name} "${item}" is not a value, range or step`;
      const bounds = m[1] === '*' ? [spec.min] : [m[2], m[3]].filter((x) => x !== undefined).map((x) => value(x!));
      if (bounds.some((b) => !(b >= spec.min && b <= spec.max))) return `${spec.name} "${item}" is outside ${spec.min}-${spec.max}`;
      if (bounds.length === 2 && bounds[0] > bounds[1]) return `${spec.name} range "${item}" runs backwards`;
      if (m[4] !== undefined && Number(m[4]) === 0) return `${spec.name} step "${item}" is zero`;
    }
  }
  return undefined;
}

/** True when the IANA zone is known to this runtime (the Temporal server uses the same database). */
export function isTimeZone(tz: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: tz });
    return true;
  } catch {
    return false;
  }
}

function scheduleOptions(tenantId: string, s: FeedScheduleSetting, taskQueue: string) {
  const args: [FeedImportInput] = [{ tenantId, distributor: s.distributor, trigger: 'schedule' }];
  return {
    spec: { cronExpressions: [s.cron], timezone: s.timeZone } as ScheduleOptions['spec'],
    action: {
      type: 'startWorkflow' as const,
      workflowType: 'FeedImportWorkflow',
      // Temporal appends the scheduled time: `feed:<tenant>:<distributor>-2026-12-01T11:00:00Z`.
      workflowId: feedScheduleId(tenantId, s.distributor),
      taskQueue,
      args,
      staticSummary: feedRunSummary(args[0]),
    },
    // A run still going when the next is due: skip the next. A run missed while Temporal was
    // down is still taken within a few hours, but not a day late.
    policies: { overlap: ScheduleOverlapPolicy.SKIP, catchupWindow: '4h' } as ScheduleOptions['policies'],
    state: { paused: !s.enabled, note: s.enabled ? undefined : 'turned off by the dealer' },
  };
}

/** Saves the dealer's setting and brings the Temporal Schedule in line with it. */
export async function saveFeedSchedule(sql: Sql, client: Client, taskQueue: string, tenantId: string, s: FeedScheduleSetting): Promise<void> {
  await sql`
    INSERT INTO feed_schedules (tenant_id, distributor, enabled, cron, time_zone)
    VALUES (${tenantId}, ${s.distributor}, ${s.enabled}, ${s.cron}, ${s.timeZone})
    ON CONFLICT (tenant_id, distributor) DO UPDATE SET enabled = EXCLUDED.enabled, cron = EXCLUDED.cron,
      time_zone = EXCLUDED.time_zone, updated_at = now()`;
  const scheduleId = feedScheduleId(tenantId, s.distributor);
  const o = scheduleOptions(tenantId, s, taskQueue);
  try {
    await client.schedule.create({ scheduleId, ...o });
  } catch (err) {
    if (!(err instanceof ScheduleAlreadyRunning)) throw err;
    await client.schedule.getHandle(scheduleId).update((prev) => ({ ...prev, spec: o.spec, action: o.action, policies: o.policies, state: { ...prev.state, ...o.state } }));
  }
}

/** Creates the default morning schedule for a newly connected feed; leaves a dealer's own setting alone. */
export async function ensureDefaultFeedSchedule(sql: Sql, client: Client, taskQueue: string, tenantId: string, distributor: string): Promise<void> {
  const [existing] = await sql`SELECT 1 FROM feed_schedules WHERE tenant_id = ${tenantId} AND distributor = ${distributor}`;
  if (existing) return;
  await saveFeedSchedule(sql, client, taskQueue, tenantId, { distributor, enabled: true, cron: DEFAULT_FEED_CRON, timeZone: DEFAULT_FEED_TIME_ZONE });
}

export async function listFeedSchedules(sql: Sql, client: Client, tenantId: string) {
  const rows = await sql`SELECT distributor, enabled, cron, time_zone FROM feed_schedules WHERE tenant_id = ${tenantId} ORDER BY distributor`;
  return Promise.all(
    rows.map((r) =>
      feedScheduleView(client, tenantId, { distributor: r.distributor as string, enabled: r.enabled as boolean, cron: r.cron as string, timeZone: r.time_zone as string }),
    ),
  );
}

/** A setting with the Schedule's next run (none while it is off). */
export async function feedScheduleView(client: Client, tenantId: string, s: FeedScheduleSetting) {
  let nextRunAt: string | null = null;
  if (s.enabled) {
    try {
      const d = await client.schedule.getHandle(feedScheduleId(tenantId, s.distributor)).describe();
      nextRunAt = d.info.nextActionTimes[0]?.toISOString() ?? null;
    } catch (err) {
      if (!(err instanceof ScheduleNotFoundError)) throw err;
    }
  }
  return { ...s, nextRunAt };
}
