// Housekeeping side effects, run by the maintenance workflows on the same workers as dropships.
import { Context } from '@temporalio/activity';
import type { Sql } from '../src/db';

/** Rows per DELETE: short statements keep locks and WAL bursts small on a busy call log. */
export const CALL_LOG_DELETE_BATCH = 10_000;

export function createMaintenanceActivities(deps: { sql: Sql; batchSize?: number }) {
  const { sql } = deps;
  const batchSize = deps.batchSize ?? CALL_LOG_DELETE_BATCH;
  return {
    /**
     * Deletes every external_calls row that started before `before` (ISO time), batch by batch,
     * heartbeating after each. Safe to retry or resume: each batch is its own statement, and what
     * is gone stays gone. Returns how many rows this run deleted.
     */
    async deleteCallLogBefore(input: { before: string }): Promise<number> {
      const ctx = Context.current();
      let deleted = 0;
      for (;;) {
        const { count } = await sql`
          DELETE FROM external_calls
          WHERE id IN (SELECT id FROM external_calls WHERE started_at < ${input.before} LIMIT ${batchSize})`;
        deleted += count;
        ctx.heartbeat({ deleted });
        if (count < batchSize) return deleted;
        // Cancelled (e.g. the schedule's run was terminated): stop between batches.
        if (ctx.cancellationSignal.aborted) throw ctx.cancellationSignal.reason;
      }
    },
  };
}

export type MaintenanceActivities = ReturnType<typeof createMaintenanceActivities>;
