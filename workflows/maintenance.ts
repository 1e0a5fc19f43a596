// Housekeeping workflows, started by Temporal Schedules (src/maintenance-schedule.ts).
import { proxyActivities } from '@temporalio/workflow';
import type { MaintenanceActivities } from '../activities/maintenance';

const { deleteCallLogBefore } = proxyActivities<MaintenanceActivities>({
  // A first run on a large, never-pruned table may take a while; heartbeats show it is alive.
  startToCloseTimeout: '2h',
  heartbeatTimeout: '2m',
  retry: { initialInterval: '10s', backoffCoefficient: 2, maximumInterval: '10m' },
});

export interface CallLogRetentionInput {
  /** Rows of the call log older than this many milliseconds are deleted. */
  retentionMs: number;
}

/**
 * Keeps the call log (external_calls) to its retention. The cutoff is taken from the workflow's
 * clock once, so every retry of the activity deletes up to the same moment.
 */
export async function CallLogRetentionWorkflow(input: CallLogRetentionInput): Promise<{ before: string; deleted: number }> {
  const before = new Date(Date.now() - input.retentionMs).toISOString();
  return { before, deleted: await deleteCallLogBefore({ before }) };
}
