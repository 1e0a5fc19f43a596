// The record of feed runs: one row per run, at most one running per dealer and distributor (a
// unique index holds that, whoever starts the run), and the pulls counted against a distributor's
// daily limit.
import type { Sql } from '../db';
import type { FeedRunError, ImportResult } from './import';

/** A run still marked running after this long lost its workflow (terminated); it no longer blocks. */
export const FEED_RUN_MAX_MS = 6 * 3600_000;

export type FeedTrigger = 'schedule' | 'manual';

export interface FeedRunView {
  runId: string;
  distributor: string;
  trigger: string;
  status: 'running' | 'succeeded' | 'failed';
  startedAt: string;
  finishedAt?: string;
  rowsRead: number;
  itemsChanged: number;
  badRows: number;
  errors: FeedRunError[];
}

function view(r: Record<string, unknown>): FeedRunView {
  return {
    runId: r.run_id as string,
    distributor: r.distributor as string,
    trigger: r.trigger as string,
    status: r.status as FeedRunView['status'],
    startedAt: new Date(r.started_at as string).toISOString(),
    ...(r.finished_at ? { finishedAt: new Date(r.finished_at as string).toISOString() } : {}),
    rowsRead: r.rows_read as number,
    itemsChanged: r.items_changed as number,
    badRows: r.bad_rows as number,
    errors: r.errors as FeedRunError[],
  };
}

/** Marks runs that outlived any workflow as failed, so they stop blocking new ones. */
async function expireAbandoned(sql: Sql, tenantId: string, distributor: string): Promise<void> {
  await sql`
    UPDATE feed_runs SET status = 'failed', finished_at = now(),
      errors = ${sql.json([{ line: 0, message: 'The run stopped without finishing (its workflow ended); nothing was changed' }])}
    WHERE tenant_id = ${tenantId} AND distributor = ${distributor} AND status = 'running'
      AND started_at < now() - ${FEED_RUN_MAX_MS} * interval '1 millisecond'`;
}

export type BeginOutcome = { begun: true } | { begun: false; runningRunId: string };

/**
 * Records a run as running. Idempotent for the same runId (an API start followed by the
 * workflow's own call). Refused when another run of this feed is running.
 */
export async function beginFeedRun(sql: Sql, run: { runId: string; tenantId: string; distributor: string; trigger: FeedTrigger }): Promise<BeginOutcome> {
  await expireAbandoned(sql, run.tenantId, run.distributor);
  const [mine] = await sql`SELECT status FROM feed_runs WHERE run_id = ${run.runId}`;
  if (mine) return { begun: true };
  const inserted = await sql`
    INSERT INTO feed_runs (run_id, tenant_id, distributor, trigger, status)
    VALUES (${run.runId}, ${run.tenantId}, ${run.distributor}, ${run.trigger}, 'running')
    ON CONFLICT DO NOTHING RETURNING run_id`;
  if (inserted.length) return { begun: true };
  const [other] = await sql`SELECT run_id FROM feed_runs WHERE tenant_id = ${run.tenantId} AND distributor = ${run.distributor} AND status = 'running'`;
  return { begun: false, runningRunId: (other?.run_id as string) ?? 'unknown' };
}

/** Downloads of this feed in the last 24 hours. */
export async function pullsToday(sql: Sql, tenantId: string, distributor: string): Promise<number> {
  const [r] = await sql`
    SELECT COALESCE(sum(pulls), 0)::int AS n FROM feed_runs
    WHERE tenant_id = ${tenantId} AND distributor = ${distributor} AND started_at > now() - interval '24 hours'`;
  return r.n as number;
}

export async function countPull(sql: Sql, runId: string): Promise<void> {
  await sql`UPDATE feed_runs SET pulls = pulls + 1 WHERE run_id = ${runId}`;
}

/** Inside the import's transaction: the run and the catalog commit together. */
export async function succeedFeedRun(tx: Sql, runId: string, r: ImportResult): Promise<void> {
  await tx`
    UPDATE feed_runs SET status = 'succeeded', finished_at = now(), rows_read = ${r.rowsRead}, items_changed = ${r.itemsChanged},
      bad_rows = ${r.badRows}, errors = ${tx.json(r.errors as never)}
    WHERE run_id = ${runId}`;
}

export async function failFeedRun(sql: Sql, runId: string, f: { rowsRead?: number; badRows?: number; errors: FeedRunError[] }): Promise<void> {
  await sql`
    UPDATE feed_runs SET status = 'failed', finished_at = now(), rows_read = ${f.rowsRead ?? 0}, items_changed = 0,
      bad_rows = ${f.badRows ?? 0}, errors = ${sql.json(f.errors as never)}
    WHERE run_id = ${runId} AND status = 'running'`;
}

export async function getFeedRun(sql: Sql, tenantId: string, runId: string): Promise<FeedRunView | undefined> {
  const [r] = await sql`SELECT * FROM feed_runs WHERE tenant_id = ${tenantId} AND run_id = ${runId}`;
  return r ? view(r) : undefined;
}

export async function listFeedRuns(sql: Sql, tenantId: string, opts: { distributor?: string; limit: number }): Promise<FeedRunView[]> {
  const rows = await sql`
    SELECT * FROM feed_runs WHERE tenant_id = ${tenantId} ${opts.distributor ? sql`AND distributor = ${opts.distributor}` : sql``}
    ORDER BY started_at DESC, run_id LIMIT ${opts.limit}`;
  return rows.map(view);
}
