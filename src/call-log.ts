// Writes every distributor and marketplace call to external_calls, tagged with the dropship
// and PO it served, and into the call latency and error metrics. Secrets are already redacted by
// the HTTP client. The clients it makes share each distributor account's request cap across the
// cluster (src/rate-limit.ts).
import type { Sql } from './db';
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

export function createCallLog(sql: Sql, ctx: CallContext, opts: Omit<HttpClientFactoryOptions, 'limiter' | 'priority'> = {}): CallLog {
  const pending: Promise<unknown>[] = [];
  const write = (r: CallRecord) => {
    observeCall(r, ctx.operation);
    pending.push(
      sql`INSERT INTO external_calls (tenant_id, pss_order_id, po_number, target, operation, method, url,
            request_body, status, response_body, error, duration_ms, started_at)
          VALUES (${ctx.tenantId ?? null}, ${ctx.pssOrderId ?? null}, ${ctx.poNumber ?? null}, ${r.target},
            ${ctx.operation ?? null}, ${r.method}, ${r.url}, ${r.requestBody ?? null}, ${r.status ?? null},
            ${r.responseBody ?? null}, ${r.error ?? null}, ${r.durationMs}, ${r.startedAt})`.catch(() => undefined),
    );
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
