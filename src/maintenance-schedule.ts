// The Temporal Schedule that runs the call-log retention every day. Created or brought up to date
// at worker start, so a changed retention or task queue takes effect with the next deploy.
import { ScheduleAlreadyRunning, ScheduleOverlapPolicy, type Client, type ScheduleOptions } from '@temporalio/client';
import type { CallLogRetentionWorkflow } from '../workflows/maintenance';

export const CALL_LOG_RETENTION_SCHEDULE_ID = 'maintenance:call-log-retention';

/** Creates the daily retention schedule, or updates it to these settings when it exists. */
export async function ensureCallLogRetentionSchedule(
  client: Client,
  opts: { taskQueue: string; retentionMs: number },
): Promise<void> {
  const spec: ScheduleOptions['spec'] = {
    // Daily at a quiet hour (UTC); the exact minute does not matter.
    calendars: [{ hour: 4, minute: 10, comment: 'daily' }],
  };
  const action = {
    type: 'startWorkflow' as const,
    workflowType: 'CallLogRetentionWorkflow',
    workflowId: CALL_LOG_RETENTION_SCHEDULE_ID,
    taskQueue: opts.taskQueue,
    args: [{ retentionMs: opts.retentionMs }] as Parameters<typeof CallLogRetentionWorkflow>,
  };
  // A run still deleting when the next is due makes the next one pointless: skip it. A worker
  // down for a few hours still runs the missed one when it is back.
  const policies: ScheduleOptions['policies'] = { overlap: ScheduleOverlapPolicy.SKIP, catchupWindow: '1d' };
  try {
    await client.schedule.create({ scheduleId: CALL_LOG_RETENTION_SCHEDULE_ID, spec, action, policies });
  } catch (err) {
    if (!(err instanceof ScheduleAlreadyRunning)) throw err;
    // Keeps what operators set on it (a pause and its note); replaces what the code decides.
    await client.schedule.getHandle(CALL_LOG_RETENTION_SCHEDULE_ID).update((previous) => ({ ...previous, spec, action, policies }));
  }
}
