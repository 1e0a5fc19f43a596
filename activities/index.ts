// Every side effect of a dropship: distributor calls, marketplace calls, and the Postgres mirror of
// the workflow's state. Built by a factory that receives its clients, so tests and the worker inject
// their own. Activities report what happened; the workflow decides status and is its single writer.
import { ApplicationFailure, Context, log } from '@temporalio/activity';
import type { Client } from '@temporalio/client';
import { createCallLog, type CallContext, type CallLog } from '../src/call-log';
import { writeMirror, type MirrorInput } from './mirror';
import { followAccount } from './tracking';
import type { CanonicalCarrier } from '../src/carriers';
import type { CredentialKey } from '../src/config';
import { distributorAdapterFor, marketplaceAdapterFor, OpenedConnectionCache } from '../src/connections';
import type { Sql } from '../src/db';
import type { CancelOutcome, DistributorAdapter, DistributorShipment, StockLevel } from '../src/distributors/types';
import { ExternalCallError, isExternalCallError, retryDelayMs } from '../src/external-errors';
import type { HttpClientFactory } from '../src/http';
import { observeConfirmToAck, purchaseOrdersPlaced, purchaseOrdersRefused, recordUpload } from '../src/metrics';
import type { UrlPolicy } from '../src/outbound';
import { DISTRIBUTOR_REFUSAL, UPLOAD_REFUSED } from '../workflows/messages';
import type {
  PurchaseOrderError,
  PurchaseOrderFate,
  PurchaseOrderState,
  ShipmentState,
  ShipToAddress,
} from '../workflows/types';

export { DISTRIBUTOR_REFUSAL, UPLOAD_REFUSED };
export type { MirrorInput };

export interface ActivityDeps {
  sql: Sql;
  credentialKeys: CredentialKey[];
  /** Caps every upstream call's timeout (tests use a short one to exercise lost answers quickly). */
  upstreamTimeoutCapMs?: number;
  /**
   * How long one attempt holds a PO's send lease. Every upstream call of the attempt is capped
   * below it, so once the lease has lapsed the holder cannot still be sending.
   */
  sendLeaseMs?: number;
  /** Where upstream calls may go (src/outbound.ts); checked before every request. */
  urlPolicy?: UrlPolicy;
  liveStockCache?: LiveStockCache;
  /** Opened credentials kept briefly, instead of reading and decrypting the row on every call. */
  connectionCache?: OpenedConnectionCache;
  /** Starts each account's tracking reader (workflows/account-tracking.ts); without one every dropship reads its own POs. */
  client?: Client;
}

export const DEFAULT_SEND_LEASE_MS = 90_000;
/** Margin between an attempt's last possible byte and the end of its lease. */
const LEASE_MARGIN_MS = 10_000;

type PoLine = PurchaseOrderState['lines'][number];

export interface PlacePurchaseOrderInput {
  tenantId: string;
  pssOrderId: string;
  poNumber: string;
  distributor: string;
  attempt: number;
  shipTo: ShipToAddress;
  lines: PoLine[];
  /** Set by dropships that take tracking from their account's reader: its read interval. */
  followAccountEveryMs?: number;
  /** When the dealer confirmed (for the confirm → order metric). */
  confirmedAt?: string;
  /** The dropship's state as the PO was sent: written to the mirror first (activities/mirror.ts). */
  mirror?: MirrorInput;
}

export interface ReadShipmentsInput {
  tenantId: string;
  pssOrderId: string;
  poNumber: string;
  distributor: string;
  distributorOrderId?: string;
  lines: PoLine[];
}

export interface UploadTrackingInput {
  tenantId: string;
  pssOrderId: string;
  poNumber: string;
  marketplace: string;
  marketplaceOrderId: string;
  trackingNumber: string;
  carrier: string;
  service?: string;
  shippedAt: string;
  lines: { marketplaceLineId: string; quantity: number }[];
  /** The dropship's state as the upload was started: written to the mirror first. */
  mirror?: MirrorInput;
}

/**
 * Turns an adapter failure into what Temporal should do: a permanent refusal becomes a
 * non-retryable failure of `refusalType` carrying {code, message} for the dealer; anything
 * else is retried, after the upstream's own wait, or an exponential one for a throttle.
 */
export function asActivityFailure(err: unknown, refusalType: string, extra: Record<string, unknown> = {}): Error {
  if (!isExternalCallError(err)) return err as Error;
  const details = { code: err.code, message: err.message, ...extra };
  if (err.kind === 'permanent') {
    return ApplicationFailure.create({ type: refusalType, message: err.message, nonRetryable: true, details: [details] });
  }
  return ApplicationFailure.create({
    type: err.code,
    message: err.message,
    nonRetryable: false,
    details: [details],
    nextRetryDelay: retryDelayMs(err, Context.current().info.attempt),
  });
}

/** Distributors echo part numbers with or without punctuation (1401-1193 vs 14011193). */
export function samePart(a: string, b: string): boolean {
  const n = (x: string) => x.toUpperCase().replace(/[^A-Z0-9]/g, '');
  return n(a) === n(b);
}

/**
 * Assigns a distributor's shipment lines to PO lines by distributor SKU. A shipment that does
 * not say what it carries is taken to carry everything not yet shipped.
 */
export function allocateShipments(lines: PoLine[], shipments: DistributorShipment[]): {
  shipments: ShipmentState[];
  shippedQuantities: Record<string, number>;
} {
  const shipped: Record<string, number> = Object.fromEntries(lines.map((l) => [l.lineId, 0]));
  const out: ShipmentState[] = [];
  const ordered = [...shipments].sort((a, b) => a.shippedAt.localeCompare(b.shippedAt) || a.trackingNumber.localeCompare(b.trackingNumber));
  for (const s of ordered) {
    const alloc: { lineId: string; quantity: number }[] = [];
    const wanted = s.lines.length
      ? s.lines.map((x) => ({ sku: x.distributorSku, qty: x.quantity }))
      : lines.map((l) => ({ sku: l.distributorSku, qty: l.quantity - shipped[l.lineId] }));
    for (const w of wanted) {
      let qty = w.qty;
      for (const l of lines) {
        if (qty <= 0) break;
        if (!samePart(l.distributorSku, w.sku)) continue;
        const take = Math.min(qty, l.quantity - shipped[l.lineId]);
        if (take <= 0) continue;
        shipped[l.lineId] += take;
        qty -= take;
        const existing = alloc.find((a) => a.lineId === l.lineId);
        if (existing) existing.quantity += take;
        else alloc.push({ lineId: l.lineId, quantity: take });
      }
    }
    if (alloc.length === 0) continue; // a tracking number for something else on the same PO
    // Freight with only a PRO number ships the lines but gives the marketplace nothing to track.
    if (!s.trackingNumber) continue;
    out.push({
      trackingNumber: s.trackingNumber,
      carrier: s.carrier,
      shippedAt: s.shippedAt,
      lines: alloc,
      ...(s.service ? { service: s.service } : {}),
      ...(s.warehouse ? { warehouse: s.warehouse } : {}),
      ...(s.freightNumber ? { freightNumber: s.freightNumber } : {}),
    });
  }
  return { shipments: out, shippedQuantities: shipped };
}

/** Live stock covers every line? Distributors that cap reported stock (9) count a capped warehouse as enough. */
function stockShortfalls(lines: PoLine[], stock: Awaited<ReturnType<DistributorAdapter['checkStock']>>) {
  const problems: { sku: string; reason: 'not_orderable' | 'short'; available: number; wanted: number }[] = [];
  for (const l of lines) {
    const s = stock.find((x) => samePart(x.distributorSku, l.distributorSku));
    const available = s ? s.warehouses.reduce((n, w) => n + w.quantity, 0) : 0;
    if (s && !s.orderable) problems.push({ sku: l.distributorSku, reason: 'not_orderable', available, wanted: l.quantity });
    else if (available < l.quantity && !(s?.warehouses.some((w) => w.quantity >= 9) ?? false)) {
      problems.push({ sku: l.distributorSku, reason: 'short', available, wanted: l.quantity });
    }
  }
  return problems;
}

/** A retryable failure for an attempt that must not send now (another attempt holds the PO). */
function sendInProgress(poNumber: string, waitMs: number): ApplicationFailure {
  return ApplicationFailure.create({
    type: 'SendInProgress',
    message: `Another attempt is sending PO ${poNumber}; trying again once its lease lapses`,
    nonRetryable: false,
    nextRetryDelay: Math.max(1000, waitMs),
  });
}

export interface LiveStockInput {
  tenantId: string;
  pssOrderId: string;
  /** Each candidate with the warehouses the dealer's rules let it ship from. */
  candidates: { distributor: string; distributorSku: string; warehouses: string[] }[];
}

export interface LiveStockResult {
  distributor: string;
  distributorSku: string;
  quantity: number;
  checkedAt: string;
}

/** Units the distributor has now in the warehouses the candidate may ship from (all, when it names none of them). */
export function liveQuantity(level: StockLevel, warehouses: string[]): number {
  if (!level.orderable) return 0;
  const inRule = level.warehouses.filter((w) => warehouses.includes(w.code));
  return (inRule.length ? inRule : level.warehouses).reduce((n, w) => n + Math.max(0, w.quantity), 0);
}

/** Per-process cache of live stock answers, per dealer, distributor and part. */
export class LiveStockCache {
  private entries = new Map<string, { level: StockLevel; checkedAt: string; at: number }>();
  constructor(
    private readonly ttlMs = 60_000,
    private readonly now = () => Date.now(),
  ) {}

  async get(tenantId: string, distributor: string, skus: string[], ask: (skus: string[]) => Promise<StockLevel[]>) {
    const key = (sku: string) => `${tenantId}\u0000${distributor}\u0000${sku}`;
    const fresh = (sku: string) => {
      const e = this.entries.get(key(sku));
      return e && this.now() - e.at < this.ttlMs ? e : undefined;
    };
    const missing = skus.filter((s) => !fresh(s));
    if (missing.length) {
      const levels = await ask(missing);
      const at = this.now();
      for (const level of levels) this.entries.set(key(level.distributorSku), { level, checkedAt: new Date(at).toISOString(), at });
      if (this.entries.size > 10_000) for (const [k, e] of this.entries) if (at - e.at >= this.ttlMs) this.entries.delete(k);
    }
    const out = new Map<string, { level: StockLevel; checkedAt: string }>();
    for (const s of skus) {
      const e = fresh(s) ?? this.entries.get(key(s));
      if (e) out.set(s, e);
    }
    return out;
  }
}

/**
 * Runs `fn` with an HTTP client that records every call, heartbeats so Temporal notices a dead
 * worker within the heartbeat timeout, and aborts upstream calls when the activity is cancelled.
 */
export async function withCallLog<T>(
  deps: { sql: Sql; urlPolicy?: UrlPolicy; timeoutCapMs?: number },
  ctx: CallContext,
  fn: (calls: CallLog) => Promise<T>,
): Promise<T> {
  const activity = Context.current();
  const calls = createCallLog(deps.sql, ctx, { timeoutCapMs: deps.timeoutCapMs, signal: activity.cancellationSignal, urlPolicy: deps.urlPolicy });
  const beat = setInterval(() => activity.heartbeat(), 1000);
  try {
    return await fn(calls);
  } finally {
    clearInterval(beat);
    await calls.flush();
  }
}

export function createActivities(deps: ActivityDeps) {
  const { sql } = deps;
  const liveStock = deps.liveStockCache ?? new LiveStockCache();
  const leaseMs = deps.sendLeaseMs ?? DEFAULT_SEND_LEASE_MS;

  const withCalls = <T>(ctx: CallContext, fn: (http: HttpClientFactory) => Promise<T>, timeoutCapMs = deps.upstreamTimeoutCapMs) =>
    withCallLog({ sql, urlPolicy: deps.urlPolicy, timeoutCapMs }, ctx, (calls) => fn(calls.http));

  const connections = deps.connectionCache ?? new OpenedConnectionCache();
  const distributorFor = (http: HttpClientFactory, tenantId: string, code: string) =>
    distributorAdapterFor({ sql, keys: deps.credentialKeys, http, cache: connections }, tenantId, code);

  /**
   * Hands the PO's tracking to its account's reader. False when there is no client or the reader
   * could not be reached: the dropship then reads the PO itself at the usual interval.
   */
  async function trackByAccount(input: PlacePurchaseOrderInput, intervalMs: number): Promise<boolean> {
    if (!deps.client) return false;
    try {
      await followAccount(deps.client, Context.current().info.taskQueue, { tenantId: input.tenantId, distributor: input.distributor, intervalMs });
      return true;
    } catch (err) {
      log.warn('tracking reader not reached; the dropship reads this PO itself', { distributor: input.distributor, error: (err as Error).message });
      return false;
    }
  }

  async function recordAttempt(poNumber: string, outcome: string, error?: PurchaseOrderError) {
    await sql`INSERT INTO purchase_order_attempts (po_number, outcome, error_code, error_message)
              VALUES (${poNumber}, ${outcome}, ${error?.code ?? null}, ${error?.message ?? null})`;
  }

  return {
    /**
     * Places the PO with the distributor exactly once. The PO row is the fence: an attempt first
     * takes the row's send lease (a token of its own); the statement that marks the send checks
     * that token, so an attempt that lost its lease never sends. Once a send has been marked,
     * every later attempt looks the PO up before sending again, so a timeout, a crash or a lost
     * answer never doubles it. A stale attempt's late answer is recorded, never re-sent.
     */
    async placePurchaseOrder(
      input: PlacePurchaseOrderInput,
    ): Promise<{ distributorOrderId: string; alreadyPlaced: boolean; cancellable: boolean; trackedByAccount?: boolean }> {
      const info = Context.current().info;
      const token = `${info.workflowExecution?.runId ?? 'run'}/${info.activityId}/${info.attempt}`;
      const ctx = { tenantId: input.tenantId, pssOrderId: input.pssOrderId, poNumber: input.poNumber, operation: 'submit' };
      // No upstream call of this attempt may outlive its lease.
      const cap = Math.min(deps.upstreamTimeoutCapMs ?? Number.POSITIVE_INFINITY, leaseMs - LEASE_MARGIN_MS);
      let batchedTracking = false;
      const placed = await withCalls(
        ctx,
        async (http) => {
          // Versioned: a retry, or a newer mirror already written, makes this a no-op.
          if (input.mirror) await writeMirror(sql, input.mirror);
          // One statement: the PO and its lines exist, and this attempt holds the send lease, or
          // another attempt does and nothing is returned.
          const lines = input.lines.map((l) => ({ line_id: l.lineId, sku: l.sku, distributor_sku: l.distributorSku, quantity: l.quantity }));
          const [claim] = await sql`
            WITH claim AS (
              INSERT INTO purchase_orders AS p (po_number, tenant_id, pss_order_id, distributor, attempt, status, send_token, send_lease_until)
              VALUES (${input.poNumber}, ${input.tenantId}, ${input.pssOrderId}, ${input.distributor}, ${input.attempt}, 'submitting',
                ${token}, now() + ${leaseMs} * interval '1 millisecond')
              ON CONFLICT (po_number) DO UPDATE SET send_token = EXCLUDED.send_token, send_lease_until = EXCLUDED.send_lease_until
              WHERE p.send_token IS NULL OR p.send_lease_until < now() OR p.send_token = EXCLUDED.send_token
              RETURNING p.submit_started_at, p.distributor_order_id
            ), lines AS (
              INSERT INTO purchase_order_lines (po_number, line_id, sku, distributor_sku, quantity)
              SELECT ${input.poNumber}, x.line_id, x.sku, x.distributor_sku, x.quantity
              FROM claim, jsonb_to_recordset(${sql.json(lines)}::jsonb) AS x(line_id text, sku text, distributor_sku text, quantity int)
              ON CONFLICT (po_number, line_id) DO NOTHING
            )
            SELECT * FROM claim`;
          if (!claim) {
            const [held] = await sql`
              WITH deferred AS (
                INSERT INTO purchase_order_attempts (po_number, outcome, error_code, error_message)
                VALUES (${input.poNumber}, 'deferred', 'send_in_progress', 'another attempt holds the send lease')
              )
              SELECT GREATEST(0, EXTRACT(EPOCH FROM send_lease_until - now()) * 1000)::int AS wait_ms FROM purchase_orders WHERE po_number = ${input.poNumber}`;
            throw sendInProgress(input.poNumber, (held?.wait_ms as number) ?? leaseMs);
          }
          /**
           * Records how this attempt ended and gives the lease back, in one statement. A placement
           * whose lease lapsed meanwhile (a newer attempt took over) is recorded as a late answer and
           * only fills in the distributor's order id.
           */
          let finished = false;
          const finish = async (outcome: 'placed' | 'found_existing' | 'fenced' | 'refused' | 'failed', error?: PurchaseOrderError, orderId?: string) => {
            finished = true;
            const [row] = await sql<{ outcome: string }[]>`
              WITH released AS (
                UPDATE purchase_orders SET send_token = NULL, send_lease_until = NULL,
                  distributor_order_id = CASE WHEN ${outcome}::text = 'placed' THEN ${orderId ?? null} ELSE COALESCE(distributor_order_id, ${orderId ?? null}) END
                WHERE po_number = ${input.poNumber} AND send_token = ${token}
                RETURNING 1
              ), late AS (
                UPDATE purchase_orders SET distributor_order_id = COALESCE(distributor_order_id, ${orderId ?? null})
                WHERE po_number = ${input.poNumber} AND ${orderId ?? null}::text IS NOT NULL AND NOT EXISTS (SELECT 1 FROM released)
              ), attempt AS (
                SELECT ${outcome}::text = 'placed' AND NOT EXISTS (SELECT 1 FROM released) AS stale
              )
              INSERT INTO purchase_order_attempts (po_number, outcome, error_code, error_message)
              SELECT ${input.poNumber},
                CASE WHEN stale THEN 'late_answer' ELSE ${outcome}::text END,
                CASE WHEN stale THEN 'stale_attempt' ELSE ${error?.code ?? null}::text END,
                CASE WHEN stale THEN 'order ' || ${orderId ?? ''}::text || ' acknowledged after the lease lapsed' ELSE ${error?.message ?? null}::text END
              FROM attempt
              RETURNING outcome`;
            return row.outcome;
          };
          let sendMarked = !!claim.submit_started_at;
          try {
            const adapter = await distributorFor(http, input.tenantId, input.distributor);
            const cancellable = typeof adapter.cancelOrder === 'function';
            batchedTracking = typeof adapter.findOrders === 'function';
            const found = async () => {
              const existing = await adapter.findOrder(input.poNumber, { distributorOrderId: (claim.distributor_order_id as string | null) ?? undefined });
              if (!existing) return undefined;
              log.info('PO already at distributor; not re-sending', { distributor: input.distributor, distributorOrderId: existing.distributorOrderId });
              await finish('found_existing', undefined, existing.distributorOrderId);
              purchaseOrdersPlaced.inc({ distributor: input.distributor, via: 'found_existing' });
              observeConfirmToAck(input);
              return { distributorOrderId: existing.distributorOrderId, alreadyPlaced: true, cancellable };
            };
            if (claim.submit_started_at) {
              const existing = await found();
              if (existing) return existing;
            }
            const problems = stockShortfalls(input.lines, await adapter.checkStock(input.lines.map((l) => l.distributorSku)));
            if (problems.length) {
              const text = problems
                .map((p) => (p.reason === 'not_orderable' ? `${p.sku} can no longer be ordered` : `${p.sku}: ${p.available} in stock, ${p.wanted} needed`))
                .join('; ');
              throw new ExternalCallError(
                'permanent',
                problems.some((p) => p.reason === 'not_orderable') ? 'sku_not_orderable' : 'out_of_stock',
                `${input.distributor} cannot fill this order right now (${text}). Retry later or move the PO to another distributor.`,
              );
            }
            if (Context.current().cancellationSignal.aborted) throw new Error('attempt cancelled before sending');
            // The fence: the send is marked only while this attempt still holds the lease.
            const marked = await sql`
              UPDATE purchase_orders SET submit_started_at = COALESCE(submit_started_at, now()),
                send_lease_until = now() + ${leaseMs} * interval '1 millisecond'
              WHERE po_number = ${input.poNumber} AND send_token = ${token} AND send_lease_until > now()
              RETURNING 1`;
            if (marked.length === 0) {
              await finish('fenced', { code: 'send_in_progress', message: 'the lease lapsed before sending; not sent' });
              throw sendInProgress(input.poNumber, 0);
            }
            sendMarked = true;
            try {
              const placed = await adapter.placeOrder({ poNumber: input.poNumber, shipTo: input.shipTo, lines: input.lines });
              if ((await finish('placed', undefined, placed.distributorOrderId)) === 'placed') {
                log.info('PO placed', { distributor: input.distributor, distributorOrderId: placed.distributorOrderId });
                purchaseOrdersPlaced.inc({ distributor: input.distributor, via: 'sent' });
                observeConfirmToAck(input);
              }
              return { distributorOrderId: placed.distributorOrderId, alreadyPlaced: false, cancellable };
            } catch (err) {
              if (!finished && isExternalCallError(err) && err.code === 'duplicate_po') {
                const existing = await found();
                if (existing) return existing;
              }
              throw err;
            }
          } catch (err) {
            if (err instanceof ApplicationFailure || finished) throw err;
            const e = isExternalCallError(err) ? { code: err.code, message: err.message } : { code: 'error', message: (err as Error).message };
            const refused = isExternalCallError(err) && err.kind === 'permanent';
            await finish(refused ? 'refused' : 'failed', e);
            if (refused) purchaseOrdersRefused.inc({ distributor: input.distributor, code: e.code });
            // A refusal the distributor gave to a send proves nothing was placed, except a duplicate-PO one.
            const fate: PurchaseOrderFate = !sendMarked || (refused && e.code !== 'duplicate_po') ? 'not_placed' : 'unknown';
            throw asActivityFailure(err, DISTRIBUTOR_REFUSAL, { fate });
          } finally {
            if (!finished) await sql`UPDATE purchase_orders SET send_token = NULL, send_lease_until = NULL WHERE po_number = ${input.poNumber} AND send_token = ${token}`;
          }
        },
        cap,
      );
      return { ...placed, ...(input.followAccountEveryMs !== undefined ? { trackedByAccount: batchedTracking && (await trackByAccount(input, input.followAccountEveryMs)) } : {}) };
    },

    /** Read-only: does an order exist at the distributor under this PO? Asked before a swap or a cancel of a PO whose fate is unknown. */
    async findPurchaseOrder(input: { tenantId: string; pssOrderId: string; poNumber: string; distributor: string }): Promise<
      { exists: true; distributorOrderId: string; cancellable: boolean } | { exists: false }
    > {
      const ctx = { tenantId: input.tenantId, pssOrderId: input.pssOrderId, poNumber: input.poNumber, operation: 'lookup' };
      return withCalls(ctx, async (http) => {
        try {
          const adapter = await distributorFor(http, input.tenantId, input.distributor);
          const found = await adapter.findOrder(input.poNumber);
          if (!found) return { exists: false as const };
          await sql`UPDATE purchase_orders SET distributor_order_id = COALESCE(distributor_order_id, ${found.distributorOrderId}) WHERE po_number = ${input.poNumber}`;
          return { exists: true as const, distributorOrderId: found.distributorOrderId, cancellable: typeof adapter.cancelOrder === 'function' };
        } catch (err) {
          throw asActivityFailure(err, DISTRIBUTOR_REFUSAL);
        }
      });
    },

    /** Read-only at the distributor: the PO's shipments, assigned to its lines. */
    /**
     * Live stock of each candidate while the dealer decides. Answers are cached per dealer,
     * distributor and part for a minute, so a burst of dropships for one part asks once. A
     * distributor that cannot answer is left out; the check before ordering still runs.
     * Read-only: sending it twice costs a call, nothing else.
     */
    async checkLiveStock(input: LiveStockInput): Promise<LiveStockResult[]> {
      const ctx = { tenantId: input.tenantId, pssOrderId: input.pssOrderId, operation: 'live_stock' };
      return withCalls(ctx, async (http) => {
        const out: LiveStockResult[] = [];
        const byDistributor = new Map<string, string[]>();
        for (const c of input.candidates) byDistributor.set(c.distributor, [...new Set([...(byDistributor.get(c.distributor) ?? []), c.distributorSku])]);
        await Promise.all(
          [...byDistributor].map(async ([distributor, skus]) => {
            try {
              const answers = await liveStock.get(input.tenantId, distributor, skus, async (missing) => {
                const adapter = await distributorFor(http, input.tenantId, distributor);
                return adapter.checkStock(missing);
              });
              for (const c of input.candidates.filter((x) => x.distributor === distributor)) {
                const a = answers.get(c.distributorSku);
                if (a) out.push({ distributor, distributorSku: c.distributorSku, quantity: liveQuantity(a.level, c.warehouses), checkedAt: a.checkedAt });
              }
            } catch (err) {
              log.warn('live stock unavailable', { distributor, error: (err as Error).message });
            }
          }),
        );
        return out;
      });
    },

    async readShipments(input: ReadShipmentsInput): Promise<{ shipments: ShipmentState[]; shippedQuantities: Record<string, number> }> {
      const ctx = { tenantId: input.tenantId, pssOrderId: input.pssOrderId, poNumber: input.poNumber, operation: 'tracking' };
      return withCalls(ctx, async (http) => {
        try {
          const adapter = await distributorFor(http, input.tenantId, input.distributor);
          const found = await adapter.findOrder(input.poNumber, { distributorOrderId: input.distributorOrderId });
          return allocateShipments(input.lines, found?.shipments ?? []);
        } catch (err) {
          throw asActivityFailure(err, DISTRIBUTOR_REFUSAL);
        }
      });
    },

    /**
     * Asks the distributor to cancel a placed PO. Where its API has no cancel, answers so without
     * calling it. Idempotency: cancelling an order that is already cancelled is answered as cancelled
     * by the adapters that can cancel (see each module).
     */
    async cancelPurchaseOrder(input: { tenantId: string; pssOrderId: string; poNumber: string; distributor: string; distributorOrderId?: string }): Promise<CancelOutcome> {
      const ctx = { tenantId: input.tenantId, pssOrderId: input.pssOrderId, poNumber: input.poNumber, operation: 'cancel' };
      return withCalls(ctx, async (http) => {
        try {
          const adapter = await distributorFor(http, input.tenantId, input.distributor);
          if (!adapter.cancelOrder) return { cancelled: false, reason: `${input.distributor}'s API cannot cancel an order; ask ${input.distributor} to cancel it` };
          const outcome = await adapter.cancelOrder(input.poNumber, { distributorOrderId: input.distributorOrderId });
          await recordAttempt(input.poNumber, outcome.cancelled ? 'cancelled' : 'cancel_refused', outcome.cancelled ? undefined : { code: 'not_cancellable', message: outcome.reason });
          return outcome;
        } catch (err) {
          throw asActivityFailure(err, DISTRIBUTOR_REFUSAL);
        }
      });
    },

    /**
     * Uploads one tracking number. The ledger row counts attempts before the marketplace is called;
     * a try after an earlier one reads back from the marketplace before posting, and a duplicate
     * counts as done.
     */
    async uploadTracking(input: UploadTrackingInput): Promise<{ outcome: 'uploaded' | 'already_uploaded'; fulfillmentId?: string }> {
      const ctx = { tenantId: input.tenantId, pssOrderId: input.pssOrderId, poNumber: input.poNumber, operation: 'upload' };
      return withCalls(ctx, async (http) => {
        if (input.mirror) await writeMirror(sql, input.mirror);
        const [ledger] = await sql`
          INSERT INTO marketplace_uploads (tenant_id, marketplace, marketplace_order_id, tracking_number, pss_order_id, po_number, status, attempts)
          VALUES (${input.tenantId}, ${input.marketplace}, ${input.marketplaceOrderId}, ${input.trackingNumber}, ${input.pssOrderId}, ${input.poNumber}, 'pending', 1)
          ON CONFLICT (tenant_id, marketplace, marketplace_order_id, tracking_number)
          DO UPDATE SET attempts = marketplace_uploads.attempts + 1, updated_at = now()
          RETURNING status, attempts, fulfillment_id`;
        if (ledger.status === 'confirmed') {
          recordUpload(input.marketplace, 'already_uploaded');
          return { outcome: 'already_uploaded' as const };
        }
        try {
          const adapter = await marketplaceAdapterFor({ sql, keys: deps.credentialKeys, http, cache: connections }, input.tenantId, input.marketplace);
          if ((ledger.attempts as number) > 1 && (await adapter.hasTracking(input.marketplaceOrderId, input.trackingNumber))) {
            log.info('tracking was already on the marketplace', { marketplace: input.marketplace, trackingNumber: input.trackingNumber });
            recordUpload(input.marketplace, 'already_uploaded', input.shippedAt);
            return { outcome: 'already_uploaded' as const };
          }
          const r = await adapter.uploadTracking({
            orderId: input.marketplaceOrderId,
            lines: input.lines,
            carrier: input.carrier as CanonicalCarrier,
            service: input.service,
            // Distributors that name their carrier put the name in the service (Automatic, Tucker).
            ...(input.carrier === 'Other' && input.service ? { carrierName: input.service } : {}),
            trackingNumber: input.trackingNumber,
            shippedAt: input.shippedAt,
          });
          log.info('tracking uploaded', { marketplace: input.marketplace, trackingNumber: input.trackingNumber, outcome: r.outcome });
          recordUpload(input.marketplace, r.outcome, input.shippedAt);
          // the marketplace's id for it goes to the ledger row with the dropship's next mirror
          return { outcome: r.outcome, ...(r.fulfillmentId ? { fulfillmentId: r.fulfillmentId } : {}) };
        } catch (err) {
          recordUpload(input.marketplace, isExternalCallError(err) && err.kind === 'permanent' ? 'refused' : 'failed');
          throw asActivityFailure(err, UPLOAD_REFUSED);
        }
      });
    },

    /** The Postgres mirror of the workflow's state (activities/mirror.ts): one statement, ordered by version. */
    async mirrorDropship(input: MirrorInput): Promise<{ applied: boolean }> {
      return { applied: await writeMirror(sql, input) };
    },
  };
}

export type DropshipActivities = ReturnType<typeof createActivities>;
