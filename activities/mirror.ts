// The Postgres mirror of a dropship's state, written as ONE statement: the dropship row, its
// purchase orders, their lines, shipments and the upload ledger. Every part hangs off the dropship
// row's UPDATE, which only matches a newer mirror_version, so a retried or late mirror of an older
// state changes nothing anywhere (idempotent and ordered). One statement is also one transaction.
import type { Sql } from '../src/db';
import type { DropshipEvent, DropshipStatus, PurchaseOrderState, UploadState } from '../workflows/types';

export interface MirrorInput {
  tenantId: string;
  pssOrderId: string;
  marketplace: { code: string; orderId: string };
  version: number;
  status: DropshipStatus;
  confirmedBy?: string;
  selections: { lineId: string; distributor: string; distributorSku: string }[];
  purchaseOrders: PurchaseOrderState[];
  uploads: UploadState[];
  events: DropshipEvent[];
}

/** The dropships.view column: the state as the API shows it from Postgres. */
export function mirrorView(input: Pick<MirrorInput, 'status' | 'confirmedBy' | 'selections' | 'purchaseOrders' | 'uploads' | 'events'>) {
  return JSON.parse(
    JSON.stringify({
      status: input.status,
      confirmedBy: input.confirmedBy,
      selections: input.selections,
      purchaseOrders: input.purchaseOrders,
      uploads: input.uploads,
      events: input.events,
    }),
  );
}

/** The rows a mirror writes, as plain JSON for jsonb_to_recordset. */
export function mirrorRows(input: MirrorInput) {
  const pos = input.purchaseOrders;
  return {
    view: mirrorView(input),
    purchaseOrders: pos.map((p) => ({
      po_number: p.poNumber,
      distributor: p.distributor,
      attempt: p.attempt,
      status: p.status,
      shipped: p.lines.every((l) => (p.shippedQuantities[l.lineId] ?? 0) >= l.quantity),
      distributor_order_id: p.distributorOrderId ?? null,
      error_code: p.error?.code ?? null,
      error_message: p.error?.message ?? null,
      superseded_by: p.supersededBy ?? null,
    })),
    lines: pos.flatMap((p) =>
      p.lines.map((l) => ({
        po_number: p.poNumber,
        line_id: l.lineId,
        sku: l.sku,
        distributor_sku: l.distributorSku,
        quantity: l.quantity,
        shipped_quantity: p.shippedQuantities[l.lineId] ?? 0,
      })),
    ),
    shipments: pos.flatMap((p) =>
      (p.shipments ?? []).map((s) => ({
        po_number: p.poNumber,
        tracking_number: s.trackingNumber,
        carrier: s.carrier,
        service: s.service ?? null,
        shipped_at: s.shippedAt,
        warehouse: s.warehouse ?? null,
        freight_number: s.freightNumber ?? null,
        lines: s.lines,
      })),
    ),
    uploads: input.uploads.map((u) => ({
      tracking_number: u.trackingNumber,
      po_number: u.poNumber,
      status: u.status,
      fulfillment_id: u.fulfillmentId ?? null,
      error_code: u.error?.code ?? null,
      error_message: u.error?.message ?? null,
    })),
  };
}

/** Writes the mirror; true when it was newer than what Postgres had. */
export async function writeMirror(sql: Sql, input: MirrorInput): Promise<boolean> {
  const r = mirrorRows(input);
  const [row] = await sql<{ applied: number }[]>`
    WITH d AS (
      UPDATE dropships SET mirror_version = ${input.version}, status = ${input.status}, view = ${sql.json(r.view)}, updated_at = now()
      WHERE tenant_id = ${input.tenantId} AND pss_order_id = ${input.pssOrderId} AND mirror_version < ${input.version}
      RETURNING tenant_id, pss_order_id
    ), po AS (
      INSERT INTO purchase_orders (po_number, tenant_id, pss_order_id, distributor, attempt, status, shipped,
        distributor_order_id, error_code, error_message, superseded_by)
      SELECT x.po_number, d.tenant_id, d.pss_order_id, x.distributor, x.attempt, x.status, x.shipped,
        x.distributor_order_id, x.error_code, x.error_message, x.superseded_by
      FROM d, jsonb_to_recordset(${sql.json(r.purchaseOrders)}::jsonb) AS x(po_number text, distributor text, attempt int,
        status text, shipped boolean, distributor_order_id text, error_code text, error_message text, superseded_by text)
      ON CONFLICT (po_number) DO UPDATE SET status = EXCLUDED.status, shipped = EXCLUDED.shipped,
        distributor_order_id = COALESCE(EXCLUDED.distributor_order_id, purchase_orders.distributor_order_id),
        error_code = EXCLUDED.error_code, error_message = EXCLUDED.error_message,
        superseded_by = EXCLUDED.superseded_by, updated_at = now()
      RETURNING 1
    ), lines AS (
      INSERT INTO purchase_order_lines (po_number, line_id, sku, distributor_sku, quantity, shipped_quantity)
      SELECT x.po_number, x.line_id, x.sku, x.distributor_sku, x.quantity, x.shipped_quantity
      FROM d, jsonb_to_recordset(${sql.json(r.lines)}::jsonb) AS x(po_number text, line_id text, sku text,
        distributor_sku text, quantity int, shipped_quantity int)
      ON CONFLICT (po_number, line_id) DO UPDATE SET shipped_quantity = EXCLUDED.shipped_quantity
      RETURNING 1
    ), shipments AS (
      INSERT INTO shipments (po_number, tracking_number, carrier, service, shipped_at, warehouse, freight_number, lines)
      SELECT x.po_number, x.tracking_number, x.carrier, x.service, x.shipped_at, x.warehouse, x.freight_number, x.lines
      FROM d, jsonb_to_recordset(${sql.json(r.shipments)}::jsonb) AS x(po_number text, tracking_number text, carrier text,
        service text, shipped_at timestamptz, warehouse text, freight_number text, lines jsonb)
      ON CONFLICT (po_number, tracking_number) DO NOTHING
      RETURNING 1
    ), uploads AS (
      INSERT INTO marketplace_uploads (tenant_id, marketplace, marketplace_order_id, tracking_number, pss_order_id, po_number,
        status, fulfillment_id, error_code, error_message)
      SELECT d.tenant_id, ${input.marketplace.code}, ${input.marketplace.orderId}, x.tracking_number, d.pss_order_id, x.po_number,
        x.status, x.fulfillment_id, x.error_code, x.error_message
      FROM d, jsonb_to_recordset(${sql.json(r.uploads)}::jsonb) AS x(tracking_number text, po_number text, status text,
        fulfillment_id text, error_code text, error_message text)
      ON CONFLICT (tenant_id, marketplace, marketplace_order_id, tracking_number) DO UPDATE SET status = EXCLUDED.status,
        fulfillment_id = COALESCE(EXCLUDED.fulfillment_id, marketplace_uploads.fulfillment_id),
        error_code = EXCLUDED.error_code, error_message = EXCLUDED.error_message, updated_at = now()
      RETURNING 1
    )
    SELECT (SELECT count(*) FROM d)::int AS applied`;
  return row.applied > 0;
}
