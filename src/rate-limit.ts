// The request cap per distributor account, for the whole cluster: one token bucket per key in
// Postgres, so every worker process draws from the same bucket instead of each allowing the full
// rate on its own.
//
// Why Postgres rather than a Temporal task queue with maxTaskQueueActivitiesPerSecond: that caps
// activities per task queue, but the cap we need is per dealer account at a distributor (one
// dealer's burst must not slow another dealer, and one activity makes several calls), which would
// take a task queue and a worker per account. And when placement gets priority over tracking
// polls, that decision needs one shared bucket per account to take from, not a queue's rate.
import { sha256Hex } from './crypto';
import type { Sql } from './db';
import type { RequestLimiter, RequestPriority } from './http';

/**
 * The rate-limit key of a distributor account: the target and a short hash of the credential that
 * identifies the account, so the bucket table never holds a credential.
 */
export function accountRateLimitKey(target: string, credential: string): string {
  return `${target}:${sha256Hex(credential).slice(0, 16)}`;
}

export interface PostgresLimiter extends RequestLimiter {
  /** Waits for a token like acquire(), and resolves with the database time it was granted at. */
  take(key: string, perSecond: number, priority?: RequestPriority): Promise<Date>;
  /** One attempt: takes a token if the bucket has one for this priority, else says how long to wait. */
  tryTake(key: string, perSecond: number, priority?: RequestPriority): Promise<{ granted: boolean; tokens: number; waitMs: number }>;
}

/**
 * Tokens a background read must leave in the bucket: half of it, so an order arriving during a
 * burst of reads finds a token at once, while reads alone still get the whole rate (the bucket
 * refills past the reserve). A one-token bucket has no room for a reserve.
 */
export function readReserve(capacity: number): number {
  return Math.min(capacity / 2, capacity - 1);
}

/**
 * A bucket holds at most one second of requests (at least one), refills continuously at
 * `perSecond`, and starts full. One INSERT … ON CONFLICT DO UPDATE locks the key's row, refills
 * it up to the database's clock and takes a token if there is one; otherwise it reports how many
 * tokens there are, and the caller waits until the next one is due and asks again. A read leaves
 * the reserve for orders (readReserve).
 */
export function createPostgresLimiter(sql: Sql): PostgresLimiter {
  async function tryTake(key: string, perSecond: number, priority: RequestPriority = 'order') {
    if (!(perSecond > 0) || !Number.isFinite(perSecond)) throw new RangeError(`a request cap must be a positive rate, not ${perSecond}/s`);
    const capacity = Math.max(1, perSecond);
    // An order takes any token; a read only one above the reserve.
    const need = 1 + (priority === 'read' ? readReserve(capacity) : 0);
    // Refill since the last count, on the database's clock. The time in VALUES is read before
    // the row lock is granted, so it may be older than the row's: then nothing is added, and
    // refilled_at keeps the later time (GREATEST) so no interval is ever counted twice.
    const refilled = sql`LEAST(${capacity}::float8, b.tokens + GREATEST(0, EXTRACT(EPOCH FROM (EXCLUDED.refilled_at - b.refilled_at))::float8) * ${perSecond}::float8)`;
    const [row] = await sql<{ granted: boolean; tokens: number; refilled_at: Date }[]>`
      INSERT INTO rate_limit_buckets AS b (key, tokens, refilled_at, granted)
      VALUES (${key}, ${capacity - 1}::float8, clock_timestamp(), true)
      ON CONFLICT (key) DO UPDATE SET
        tokens = CASE WHEN ${refilled} >= ${need}::float8 THEN ${refilled} - 1 ELSE ${refilled} END,
        granted = ${refilled} >= ${need}::float8,
        refilled_at = GREATEST(b.refilled_at, EXCLUDED.refilled_at)
      RETURNING granted, tokens, refilled_at`;
    return { ...row, waitMs: row.granted ? 0 : Math.max(1, Math.ceil(((need - row.tokens) / perSecond) * 1000)) };
  }
  async function take(key: string, perSecond: number, priority: RequestPriority = 'order'): Promise<Date> {
    for (;;) {
      const row = await tryTake(key, perSecond, priority);
      if (row.granted) return row.refilled_at;
      await new Promise((r) => setTimeout(r, row.waitMs));
    }
  }
  return {
    tryTake,
    take,
    async acquire(key, perSecond, priority) {
      if (!(perSecond > 0) || !Number.isFinite(perSecond)) return;
      await take(key, perSecond, priority);
    },
  };
}
