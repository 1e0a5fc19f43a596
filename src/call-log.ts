// Writes every distributor and marketplace call to external_calls, tagged with the dropship
// and PO it served, and into the call latency and error metrics. Secrets are already redacted by
// the HTTP client. The clients it makes share each distributor account's request cap across the
// cluster (src/rate-limit.ts).
import type { Sql } from './db';
import { GroupCommit } from './group-commit';
import { createHttpClientFactory, type CallRecord, type HttpClientFactory, type HttpClientFactoryOptions } from './http';
import { observeCall } from './metrics';
import { createPostgresLimiter } from './rate-limit';

export interface CallContext {
  tenantId?: string;
  pssOrderId?: string;
  poNumber?: string;
  operation?: string;
}

export interface CallLog {
  http: HttpClientFactory;
  /** Waits until every recorded call is in Postgres. */
  flush(): Promise<void>;
  /** Calls recorded so far. */
  count(): number;
}

/** Operations nobody waits on: they take their turn after orders in the account's request budget. */
const BACKGROUND_READS = new Set(['tracking', 'tracking_account', 'live_stock']);

type CallRow = Record<string, string | number | Date | null>;

/** One writer per connection pool: the calls of every activity running in the process share its statements. */
const writers = new WeakMap<Sql, GroupCommit<CallRow>>();
function writerFor(sql: Sql): GroupCommit<CallRow> {
  let w = writers.get(sql);
  if (!w) writers.set(sql, (w = new GroupCommit<CallRow>((rows) => sql`INSERT INTO external_calls ${sql(rows)}`)));
  return w;
}

export function createCallLog(sql: Sql, ctx: CallContext, opts: Omit<HttpClientFactoryOptions, 'limiter' | 'priority'> = {}): CallLog {
  const pending: Promise<unknown>[] = [];
  const writer = writerFor(sql);
  const write = (r: CallRecord) => {
    observeCall(r, ctx.operation);
    const row: CallRow = {
      tenant_id: ctx.tenantId ?? null,
      pss_order_id: ctx.pssOrderId ?? null,
      po_number: ctx.poNumber ?? null,
      target: r.target,
      operation: ctx.operation ?? null,
      method: r.method,
      url: r.url,
      request_body: r.requestBody ?? null,
      status: r.status ?? null,
      response_body: r.responseBody ?? null,
      error: r.error ?? null,
      duration_ms: r.durationMs,
      started_at: r.startedAt,
    };
    // the call log is for support: losing a row never fails the call it describes
    pending.push(writer.add(row).catch(() => undefined));
  };
  return {
    http: createHttpClientFactory(write, {
      ...opts,
      limiter: createPostgresLimiter(sql),
      priority: ctx.operation && BACKGROUND_READS.has(ctx.operation) ? 'read' : 'order',
    }),
    async flush() {
      await Promise.all(pending);
    },
    count: () => pending.length,
  };
}
