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
import { GroupCommit } from './group-commit';
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

interface Ask {
  key: string;
  perSecond: number;
  priority: RequestPriority;
}

/** What one take was answered. */
interface Answer {
  granted: boolean;
  tokens: number;
  waitMs: number;
  at: Date;
}

/** One statement's answer for one key: how many orders and reads it granted, and what is left. */
interface KeyGrant {
  key: string;
  orders: number;
  reads: number;
  tokens: number;
  at: Date;
  ok: boolean;
}

/**
 * A bucket holds at most one second of requests (at least one), refills continuously at
 * `perSecond`, and starts full. Takes that arrive while a statement is in flight are answered by
 * the next one, for every key at once (group commit): it locks each key's row, refills it up to
 * the database's clock, grants orders first and reads only above the reserve (readReserve), and
 * writes what is left. A take not granted waits until its next token is due and asks again.
 */
async function takeMany(sql: Sql, asks: Ask[]): Promise<Map<string, KeyGrant>> {
  const byKey = new Map<string, { perSecond: number; orders: number; reads: number }>();
  for (const a of asks) {
    const k = byKey.get(a.key) ?? { perSecond: a.perSecond, orders: 0, reads: 0 };
    if (a.priority === 'read') k.reads++;
    else k.orders++;
    byKey.set(a.key, k);
  }
  const keys = [...byKey.keys()];
  const v = [...byKey.values()];
  // A new key's bucket starts full. A key another process inserts meanwhile is granted nothing
  // this time (its insert conflicts) and asks again.
  const rows = await sql<KeyGrant[]>`
    WITH req AS (
      SELECT r.key, r.per_second, r.orders, r.reads, GREATEST(1, r.per_second) AS cap
      FROM unnest(${keys}::text[], ${v.map((x) => x.perSecond)}::float8[], ${v.map((x) => x.orders)}::int[], ${v.map((x) => x.reads)}::int[])
        AS r(key, per_second, orders, reads)
    ), old AS (
      SELECT b.key, b.tokens, b.refilled_at FROM rate_limit_buckets b WHERE b.key IN (SELECT key FROM req) ORDER BY b.key FOR UPDATE
    ), refilled AS (
      -- the clock is read after the row lock; a row whose time is later (read before its lock) keeps it
      SELECT req.*, old.key IS NOT NULL AS existed, GREATEST(old.refilled_at, t.ts) AS at,
        CASE WHEN old.key IS NULL THEN req.cap
             ELSE LEAST(req.cap, old.tokens + GREATEST(0, EXTRACT(EPOCH FROM (t.ts - old.refilled_at)))::float8 * req.per_second) END AS tokens
      FROM req LEFT JOIN old USING (key) CROSS JOIN LATERAL (SELECT clock_timestamp() AS ts) t
    ), granted AS (
      SELECT n.*, LEAST(n.orders, floor(n.tokens))::int AS g_orders FROM refilled n
    ), calc AS (
      SELECT g.*, LEAST(g.reads, GREATEST(0, floor(g.tokens - g.g_orders - LEAST(g.cap / 2, g.cap - 1))))::int AS g_reads FROM granted g
    ), upd AS (
      UPDATE rate_limit_buckets b SET tokens = c.tokens - c.g_orders - c.g_reads, refilled_at = c.at, granted = c.g_orders + c.g_reads > 0
      FROM calc c WHERE b.key = c.key AND c.existed
    ), ins AS (
      INSERT INTO rate_limit_buckets (key, tokens, refilled_at, granted)
      SELECT key, tokens - g_orders - g_reads, at, g_orders + g_reads > 0 FROM calc WHERE NOT existed
      ON CONFLICT (key) DO NOTHING
      RETURNING key
    )
    SELECT c.key, c.g_orders AS orders, c.g_reads AS reads, c.tokens - c.g_orders - c.g_reads AS tokens, c.at,
      c.existed OR EXISTS (SELECT 1 FROM ins WHERE ins.key = c.key) AS ok
    FROM calc c`;
  return new Map(rows.map((r) => [r.key, r]));
}

export function createPostgresLimiter(sql: Sql): PostgresLimiter {
  const shared = limiters.get(sql);
  if (shared) return shared;
  const asks = new GroupCommit<Ask, Answer>(async (batch) => {
    const grants = await takeMany(sql, batch);
    // hand out each key's grants in the order asked, orders first
    const left = new Map([...grants].map(([k, g]) => [k, { orders: g.ok ? g.orders : 0, reads: g.ok ? g.reads : 0 }]));
    return batch.map((a) => {
      const g = grants.get(a.key)!;
      const l = left.get(a.key)!;
      const mine = a.priority === 'read' ? l.reads > 0 && l.reads-- > 0 : l.orders > 0 && l.orders-- > 0;
      const capacity = Math.max(1, a.perSecond);
      const need = 1 + (a.priority === 'read' ? readReserve(capacity) : 0);
      return { granted: mine, tokens: g.tokens, at: g.at, waitMs: mine ? 0 : g.ok ? Math.max(1, Math.ceil(((need - g.tokens) / a.perSecond) * 1000)) : 1 };
    });
  });

  function ask(key: string, perSecond: number, priority: RequestPriority): Promise<Answer> {
    if (!(perSecond > 0) || !Number.isFinite(perSecond)) throw new RangeError(`a request cap must be a positive rate, not ${perSecond}/s`);
    return asks.add({ key, perSecond, priority });
  }
  async function tryTake(key: string, perSecond: number, priority: RequestPriority = 'order') {
    const { granted, tokens, waitMs } = await ask(key, perSecond, priority);
    return { granted, tokens, waitMs };
  }
  async function take(key: string, perSecond: number, priority: RequestPriority = 'order'): Promise<Date> {
    for (;;) {
      const row = await ask(key, perSecond, priority);
      if (row.granted) return row.at;
      await new Promise((r) => setTimeout(r, row.waitMs));
    }
  }
  const limiter: PostgresLimiter = {
    tryTake,
    take,
    async acquire(key, perSecond, priority) {
      if (!(perSecond > 0) || !Number.isFinite(perSecond)) return;
      await take(key, perSecond, priority);
    },
  };
  limiters.set(sql, limiter);
  return limiter;
}

/** One limiter per connection pool, so every client of a worker shares its statements. */
const limiters = new WeakMap<Sql, PostgresLimiter>();
