// Activities only the legacy DropshipWorkflow (workflows/legacy) calls: runs started before the
// workflow became the single writer still expect activities to write status rows themselves.
// They delegate the distributor work to today's activities, so those runs get fenced sending too.
// Delete this file once no legacy run is open (`temporal workflow list --query
// 'ExecutionStatus="Running" AND DropshipStatus IS NOT NULL'` shows none older than the change).
import type { Sql } from '../src/db';
import { ApplicationFailure } from '@temporalio/activity';
import type { DropshipActivities } from '.';
import type { PurchaseOrderError, PurchaseOrderState, ShipToAddress } from '../workflows/types';

type PoLine = PurchaseOrderState['lines'][number];

export function createLegacyActivities(sql: Sql, current: DropshipActivities) {
  return {
    async recordDropshipStatus(input: { tenantId: string; pssOrderId: string; status: string }): Promise<void> {
      await sql`UPDATE dropships SET status = ${input.status}, updated_at = now()
                WHERE tenant_id = ${input.tenantId} AND pss_order_id = ${input.pssOrderId}`;
    },

    async createPurchaseOrder(input: { tenantId: string; pssOrderId: string; poNumber: string; distributor: string; attempt: number; lines: PoLine[] }): Promise<void> {
      await sql`INSERT INTO purchase_orders (po_number, tenant_id, pss_order_id, distributor, attempt, status)
                VALUES (${input.poNumber}, ${input.tenantId}, ${input.pssOrderId}, ${input.distributor}, ${input.attempt}, 'submitting')
                ON CONFLICT (po_number) DO UPDATE SET status = 'submitting', error_code = NULL, error_message = NULL, updated_at = now()
                WHERE purchase_orders.status = 'needs_attention'`;
    },

    async markPurchaseOrder(input: { poNumber: string; status: string; error?: PurchaseOrderError; supersededBy?: string }): Promise<void> {
      await sql`UPDATE purchase_orders SET status = ${input.status},
                  error_code = ${input.error?.code ?? null}, error_message = ${input.error?.message ?? null},
                  superseded_by = COALESCE(${input.supersededBy ?? null}, superseded_by), updated_at = now()
                WHERE po_number = ${input.poNumber}`;
    },

    async submitPurchaseOrder(input: { tenantId: string; pssOrderId: string; poNumber: string; distributor: string; shipTo: ShipToAddress; lines: PoLine[] }) {
      const [row] = await sql`SELECT attempt FROM purchase_orders WHERE po_number = ${input.poNumber}`;
      try {
        const placed = await current.placePurchaseOrder({ ...input, attempt: (row?.attempt as number) ?? 1 });
        await sql`UPDATE purchase_orders SET status = 'submitted', distributor_order_id = ${placed.distributorOrderId}, updated_at = now() WHERE po_number = ${input.poNumber}`;
        return { distributorOrderId: placed.distributorOrderId, alreadyPlaced: placed.alreadyPlaced };
      } catch (err) {
        if (err instanceof ApplicationFailure && err.nonRetryable) {
          const d = (err.details?.[0] ?? {}) as Partial<PurchaseOrderError>;
          await sql`UPDATE purchase_orders SET status = 'needs_attention', error_code = ${d.code ?? null}, error_message = ${d.message ?? err.message}, updated_at = now()
                    WHERE po_number = ${input.poNumber}`;
        }
        throw err;
      }
    },

    async pollShipments(input: { tenantId: string; poNumber: string; distributor: string }) {
      const [po] = await sql`SELECT pss_order_id, distributor_order_id FROM purchase_orders WHERE po_number = ${input.poNumber}`;
      const lines = (await sql`SELECT line_id, sku, distributor_sku, quantity FROM purchase_order_lines WHERE po_number = ${input.poNumber} ORDER BY line_id`).map((r) => ({
        lineId: r.line_id as string,
        sku: r.sku as string,
        distributorSku: r.distributor_sku as string,
        quantity: r.quantity as number,
      }));
      const result = await current.readShipments({
        tenantId: input.tenantId,
        pssOrderId: po?.pss_order_id as string,
        poNumber: input.poNumber,
        distributor: input.distributor,
        distributorOrderId: (po?.distributor_order_id as string | null) ?? undefined,
        lines,
      });
      await sql.begin(async (tx) => {
        for (const s of result.shipments) {
          await tx`INSERT INTO shipments (po_number, tracking_number, carrier, service, shipped_at, warehouse, freight_number, lines)
                   VALUES (${input.poNumber}, ${s.trackingNumber}, ${s.carrier}, ${s.service ?? null}, ${s.shippedAt},
                           ${s.warehouse ?? null}, ${s.freightNumber ?? null}, ${tx.json(s.lines)})
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
    },
  };
}

export type LegacyActivities = ReturnType<typeof createLegacyActivities> & Pick<DropshipActivities, 'uploadTracking'>;
