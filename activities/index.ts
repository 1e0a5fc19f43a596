// Every side effect of a dropship: Postgres rows, distributor calls, marketplace calls.
// Built by a factory that receives its clients, so tests and the worker inject their own.
import { ApplicationFailure, Context, log } from '@temporalio/activity';
import { createCallLog, type CallContext } from '../src/call-log';
import type { CredentialKey } from '../src/config';
import { distributorAdapterFor, marketplaceAdapterFor } from '../src/connections';
import type { Sql } from '../src/db';
import type { DistributorShipment, FoundOrder } from '../src/distributors/types';
import { ExternalCallError, isExternalCallError } from '../src/external-errors';
import type { CanonicalCarrier } from '../src/carriers';
import type { PurchaseOrderError, PurchaseOrderState, ShipToAddress } from '../workflows/types';

export interface ActivityDeps {
  sql: Sql;
  credentialKeys: CredentialKey[];
  /** Caps every upstream call's timeout (tests use a short one to exercise lost answers quickly). */
  upstreamTimeoutCapMs?: number;
}

/** ApplicationFailure types the workflow's retry policies name. */
export const DISTRIBUTOR_REFUSAL = 'DistributorRefusal';
export const UPLOAD_REFUSED = 'UploadRefused';

type PoLine = PurchaseOrderState['lines'][number];

export interface SubmitPurchaseOrderInput {
  tenantId: string;
  pssOrderId: string;
  poNumber: string;
  distributor: string;
  shipTo: ShipToAddress;
  lines: PoLine[];
}

export interface PolledShipment {
  trackingNumber: string;
  carrier: CanonicalCarrier;
  service?: string;
  shippedAt: string;
  lines: { lineId: string; quantity: number }[];
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
}

/**
 * Turns an adapter failure into what Temporal should do: a permanent refusal becomes a
 * non-retryable failure of `refusalType` carrying {code, message} for the dealer; anything
 * else is retried, after the upstream's own Retry-After when it gave one.
 */
function asActivityFailure(err: unknown, refusalType: string): Error {
  if (!isExternalCallError(err)) return err as Error;
  const details: PurchaseOrderError = { code: err.code, message: err.message };
  if (err.kind === 'permanent') {
    return ApplicationFailure.create({ type: refusalType, message: err.message, nonRetryable: true, details: [details] });
  }
  return ApplicationFailure.create({
    type: err.code,
    message: err.message,
    nonRetryable: false,
    details: [details],
    nextRetryDelay: err.details.retryAfterMs,
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
  shipments: PolledShipment[];
  shippedQuantities: Record<string, number>;
} {
  const shipped: Record<string, number> = Object.fromEntries(lines.map((l) => [l.lineId, 0]));
  const out: PolledShipment[] = [];
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
    out.push({ trackingNumber: s.trackingNumber, carrier: s.carrier, service: s.service, shippedAt: s.shippedAt, lines: alloc });
  }
  return { shipments: out, shippedQuantities: shipped };
}

/** Live stock covers every line? Distributors that cap reported stock (9) count a capped warehouse as enough. */
function stockShortfalls(lines: PoLine[], stock: Awaited<ReturnType<import('../src/distributors/types').DistributorAdapter['checkStock']>>) {
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

export function createActivities(deps: ActivityDeps) {
  const { sql } = deps;

  async function withCalls<T>(ctx: CallContext, fn: (adapters: { http: ReturnType<typeof createCallLog>['http'] }) => Promise<T>): Promise<T> {
    const calls = createCallLog(sql, ctx, { timeoutCapMs: deps.upstreamTimeoutCapMs });
    // Heartbeats let Temporal notice a dead worker within the heartbeat timeout, not the
    // activity's whole start-to-close timeout, so a crash mid-submit is retried quickly.
    const activity = Context.current();
    const beat = setInterval(() => activity.heartbeat(), 1000);
    try {
      return await fn({ http: calls.http });
    } finally {
      clearInterval(beat);
      await calls.flush();
    }
  }

  async function recordAttempt(poNumber: string, outcome: string, error?: PurchaseOrderError) {
    await sql`INSERT INTO purchase_order_attempts (po_number, outcome, error_code, error_message)
              VALUES (${poNumber}, ${outcome}, ${error?.code ?? null}, ${error?.message ?? null})`;
  }

  async function markSubmitted(poNumber: string, distributorOrderId: string) {
    await sql`UPDATE purchase_orders SET status = 'submitted', distributor_order_id = ${distributorOrderId},
                error_code = NULL, error_message = NULL, updated_at = now()
              WHERE po_number = ${poNumber} AND status IN ('pending', 'submitting', 'needs_attention', 'submitted')`;
  }

  return {
    async recordDropshipStatus(input: { tenantId: string; pssOrderId: string; status: string }): Promise<void> {
      await sql`UPDATE dropships SET status = ${input.status}, updated_at = now()
                WHERE tenant_id = ${input.tenantId} AND pss_order_id = ${input.pssOrderId}`;
    },

    /** Idempotent: a second call for the same PO number changes nothing but the status. */
    async createPurchaseOrder(input: {
      tenantId: string;
      pssOrderId: string;
      poNumber: string;
      distributor: string;
      attempt: number;
      lines: PoLine[];
    }): Promise<void> {
      await sql.begin(async (tx) => {
        await tx`INSERT INTO purchase_orders (po_number, tenant_id, pss_order_id, distributor, attempt, status)
                 VALUES (${input.poNumber}, ${input.tenantId}, ${input.pssOrderId}, ${input.distributor}, ${input.attempt}, 'submitting')
                 ON CONFLICT (po_number) DO UPDATE SET status = 'submitting', error_code = NULL, error_message = NULL, updated_at = now()
                 WHERE purchase_orders.status = 'needs_attention'`;
        for (const l of input.lines) {
          await tx`INSERT INTO purchase_order_lines (po_number, line_id, sku, distributor_sku, quantity)
                   VALUES (${input.poNumber}, ${l.lineId}, ${l.sku}, ${l.distributorSku}, ${l.quantity})
                   ON CONFLICT (po_number, line_id) DO NOTHING`;
        }
      });
    },

    async markPurchaseOrder(input: { poNumber: string; status: string; error?: PurchaseOrderError; supersededBy?: string }): Promise<void> {
      await sql`UPDATE purchase_orders SET status = ${input.status},
                  error_code = ${input.error?.code ?? null}, error_message = ${input.error?.message ?? null},
                  superseded_by = COALESCE(${input.supersededBy ?? null}, superseded_by), updated_at = now()
                WHERE po_number = ${input.poNumber}`;
    },

    /**
     * Places the PO with the distributor exactly once. Once a send has started (recorded in
     * Postgres before the first byte goes out), every later try asks the distributor whether the
     * PO exists before sending again, so a timeout, a crash or a lost answer never doubles it.
     */
    async submitPurchaseOrder(input: SubmitPurchaseOrderInput): Promise<{ distributorOrderId: string; alreadyPlaced: boolean }> {
      const ctx = { tenantId: input.tenantId, pssOrderId: input.pssOrderId, poNumber: input.poNumber, operation: 'submit' };
      return withCalls(ctx, async ({ http }) => {
        const [row] = await sql`SELECT status, distributor_order_id, submit_started_at FROM purchase_orders WHERE po_number = ${input.poNumber}`;
        if (!row) throw new Error(`purchase order ${input.poNumber} has no row yet`);
        if (row.distributor_order_id && ['submitted', 'partially_shipped', 'shipped'].includes(row.status as string)) {
          return { distributorOrderId: row.distributor_order_id as string, alreadyPlaced: true };
        }
        try {
          const adapter = await distributorAdapterFor({ sql, keys: deps.credentialKeys, http }, input.tenantId, input.distributor);
          const found = async (): Promise<FoundOrder | null> => adapter.findOrder(input.poNumber);
          if (row.submit_started_at) {
            const existing = await found();
            if (existing) {
              log.info('PO already at distributor; not re-sending', { poNumber: input.poNumber });
              await markSubmitted(input.poNumber, existing.distributorOrderId);
              await recordAttempt(input.poNumber, 'found_existing');
              return { distributorOrderId: existing.distributorOrderId, alreadyPlaced: true };
            }
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
          await sql`UPDATE purchase_orders SET submit_started_at = COALESCE(submit_started_at, now()) WHERE po_number = ${input.poNumber}`;
          try {
            const placed = await adapter.placeOrder({ poNumber: input.poNumber, shipTo: input.shipTo, lines: input.lines });
            await markSubmitted(input.poNumber, placed.distributorOrderId);
            await recordAttempt(input.poNumber, 'placed');
            return { distributorOrderId: placed.distributorOrderId, alreadyPlaced: false };
          } catch (err) {
            if (isExternalCallError(err) && err.code === 'duplicate_po') {
              const existing = await found();
              if (existing) {
                await markSubmitted(input.poNumber, existing.distributorOrderId);
                await recordAttempt(input.poNumber, 'found_existing');
                return { distributorOrderId: existing.distributorOrderId, alreadyPlaced: true };
              }
            }
            throw err;
          }
        } catch (err) {
          const e = isExternalCallError(err) ? { code: err.code, message: err.message } : { code: 'error', message: (err as Error).message };
          await recordAttempt(input.poNumber, isExternalCallError(err) && err.kind === 'permanent' ? 'refused' : 'failed', e);
          if (isExternalCallError(err) && err.kind === 'permanent') {
            await sql`UPDATE purchase_orders SET status = 'needs_attention', error_code = ${e.code}, error_message = ${e.message}, updated_at = now()
                      WHERE po_number = ${input.poNumber}`;
          }
          throw asActivityFailure(err, DISTRIBUTOR_REFUSAL);
        }
      });
    },

    /** Read-only at the distributor; records new shipments and shipped quantities in Postgres. */
    async pollShipments(input: { tenantId: string; poNumber: string; distributor: string }): Promise<{
      shipments: PolledShipment[];
      shippedQuantities: Record<string, number>;
    }> {
      const [po] = await sql`SELECT pss_order_id, distributor_order_id FROM purchase_orders WHERE po_number = ${input.poNumber}`;
      const ctx = { tenantId: input.tenantId, pssOrderId: po?.pss_order_id as string, poNumber: input.poNumber, operation: 'tracking' };
      return withCalls(ctx, async ({ http }) => {
        try {
          const lines = (await sql`SELECT line_id, sku, distributor_sku, quantity FROM purchase_order_lines
                                   WHERE po_number = ${input.poNumber} ORDER BY line_id`).map((r) => ({
            lineId: r.line_id as string,
            sku: r.sku as string,
            distributorSku: r.distributor_sku as string,
            quantity: r.quantity as number,
          }));
          const adapter = await distributorAdapterFor({ sql, keys: deps.credentialKeys, http }, input.tenantId, input.distributor);
          const found = await adapter.findOrder(input.poNumber, { distributorOrderId: (po?.distributor_order_id as string) ?? undefined });
          const result = allocateShipments(lines, found?.shipments ?? []);
          const raw = new Map((found?.shipments ?? []).map((s) => [s.trackingNumber, s]));
          await sql.begin(async (tx) => {
            for (const s of result.shipments) {
              const r = raw.get(s.trackingNumber);
              await tx`INSERT INTO shipments (po_number, tracking_number, carrier, service, shipped_at, warehouse, freight_number, lines)
                       VALUES (${input.poNumber}, ${s.trackingNumber}, ${s.carrier}, ${s.service ?? null}, ${s.shippedAt},
                               ${r?.warehouse ?? null}, ${r?.freightNumber ?? null}, ${tx.json(s.lines)})
                       ON CONFLICT (po_number, tracking_number) DO NOTHING`;
            }
            for (const l of lines) {
              await tx`UPDATE purchase_order_lines SET shipped_quantity = ${result.shippedQuantities[l.lineId] ?? 0}
                       WHERE po_number = ${input.poNumber} AND line_id = ${l.lineId}`;
            }
            const all = lines.every((l) => (result.shippedQuantities[l.lineId] ?? 0) >= l.quantity);
            const some = lines.some((l) => (result.shippedQuantities[l.lineId] ?? 0) > 0);
            await tx`UPDATE purchase_orders SET shipped = ${all},
                       status = CASE WHEN status IN ('submitted', 'partially_shipped', 'shipped')
                                THEN ${all ? 'shipped' : some ? 'partially_shipped' : 'submitted'} ELSE status END,
                       updated_at = now()
                     WHERE po_number = ${input.poNumber}`;
          });
          return result;
        } catch (err) {
          throw asActivityFailure(err, DISTRIBUTOR_REFUSAL);
        }
      });
    },

    /**
     * Uploads one tracking number. The ledger row is written first; a try after an earlier
     * one reads back from the marketplace before posting, and a duplicate counts as done.
     */
    async uploadTracking(input: UploadTrackingInput): Promise<{ outcome: 'uploaded' | 'already_uploaded' }> {
      const ctx = { tenantId: input.tenantId, pssOrderId: input.pssOrderId, poNumber: input.poNumber, operation: 'upload' };
      return withCalls(ctx, async ({ http }) => {
        const [ledger] = await sql`
          INSERT INTO marketplace_uploads (tenant_id, marketplace, marketplace_order_id, tracking_number, pss_order_id, po_number, status, attempts)
          VALUES (${input.tenantId}, ${input.marketplace}, ${input.marketplaceOrderId}, ${input.trackingNumber}, ${input.pssOrderId}, ${input.poNumber}, 'pending', 1)
          ON CONFLICT (tenant_id, marketplace, marketplace_order_id, tracking_number)
          DO UPDATE SET attempts = marketplace_uploads.attempts + 1, updated_at = now()
          RETURNING status, attempts`;
        if (ledger.status === 'confirmed') return { outcome: 'already_uploaded' as const };
        const confirm = async (outcome: 'uploaded' | 'already_uploaded', fulfillmentId?: string) => {
          await sql`UPDATE marketplace_uploads SET status = 'confirmed', fulfillment_id = ${fulfillmentId ?? null},
                      error_code = NULL, error_message = NULL, updated_at = now()
                    WHERE tenant_id = ${input.tenantId} AND marketplace = ${input.marketplace}
                      AND marketplace_order_id = ${input.marketplaceOrderId} AND tracking_number = ${input.trackingNumber}`;
          return { outcome };
        };
        try {
          const adapter = await marketplaceAdapterFor({ sql, keys: deps.credentialKeys, http }, input.tenantId, input.marketplace);
          if ((ledger.attempts as number) > 1 && (await adapter.hasTracking(input.marketplaceOrderId, input.trackingNumber))) {
            return await confirm('already_uploaded');
          }
          const r = await adapter.uploadTracking({
            orderId: input.marketplaceOrderId,
            lines: input.lines,
            carrier: input.carrier as CanonicalCarrier,
            service: input.service,
            trackingNumber: input.trackingNumber,
            shippedAt: input.shippedAt,
          });
          return await confirm(r.outcome, r.fulfillmentId);
        } catch (err) {
          if (isExternalCallError(err) && err.kind === 'permanent') {
            await sql`UPDATE marketplace_uploads SET status = 'failed', error_code = ${err.code}, error_message = ${err.message}, updated_at = now()
                      WHERE tenant_id = ${input.tenantId} AND marketplace = ${input.marketplace}
                        AND marketplace_order_id = ${input.marketplaceOrderId} AND tracking_number = ${input.trackingNumber}`;
          }
          throw asActivityFailure(err, UPLOAD_REFUSED);
        }
      });
    },
  };
}

export type DropshipActivities = ReturnType<typeof createActivities>;
