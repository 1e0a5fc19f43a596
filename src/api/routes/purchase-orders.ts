import { z } from 'zod';
import type { ZodApp } from '../app';
import { tenantOf } from '../auth';
import { ApiError, conflict, notFound } from '../errors';
import { ErrorBody, PurchaseOrderListResponse, PurchaseOrderQuery, PurchaseOrderResponse, RetryBody } from '../schemas';
import { distributorModule } from '../../distributors/registry';
import { queryDropship } from '../../dropships';
import { dropshipWorkflowId, retryPurchaseOrderSignal } from '../../../workflows/messages';

const iso = (v: unknown) => new Date(v as string).toISOString();

function encodeCursor(createdAt: string, poNumber: string): string {
  return Buffer.from(JSON.stringify([createdAt, poNumber])).toString('base64url');
}

function decodeCursor(cursor: string): [string, string] {
  try {
    const v = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
    if (Array.isArray(v) && v.length === 2 && typeof v[0] === 'string' && typeof v[1] === 'string' && !Number.isNaN(Date.parse(v[0]))) {
      return v as [string, string];
    }
  } catch {
    // fall through
  }
  throw new ApiError(400, 'validation_failed', 'cursor is not one this API returned', [{ path: 'querystring.cursor', message: 'invalid cursor' }]);
}

export async function purchaseOrderRoutes(app: ZodApp) {
  const { sql, temporal } = app.deps;

  app.get(
    '/v1/purchase-orders',
    {
      config: { auth: 'tenant' },
      schema: {
        tags: ['purchase orders'],
        summary: 'Search purchase orders by PO number, order id, distributor and shipped status (newest first)',
        querystring: PurchaseOrderQuery,
        response: { 200: PurchaseOrderListResponse, 400: ErrorBody, 401: ErrorBody },
      },
    },
    async (req) => {
      const t = tenantOf(req);
      const q = req.query;
      const after = q.cursor ? decodeCursor(q.cursor) : undefined;
      const rows = await sql`
        SELECT po_number, pss_order_id, distributor, status, shipped, created_at FROM purchase_orders
        WHERE tenant_id = ${t.id}
          ${q.poNumber ? sql`AND po_number = ${q.poNumber}` : sql``}
          ${q.pssOrderId ? sql`AND pss_order_id = ${q.pssOrderId}` : sql``}
          ${q.distributor ? sql`AND distributor = ${q.distributor}` : sql``}
          ${q.shipped ? sql`AND shipped = ${q.shipped === 'true'}` : sql``}
          ${after ? sql`AND (created_at, po_number) < (${after[0]}::timestamptz, ${after[1]})` : sql``}
        ORDER BY created_at DESC, po_number DESC
        LIMIT ${q.limit + 1}`;
      const page = rows.slice(0, q.limit);
      const last = page[page.length - 1];
      return {
        items: page.map((r) => ({
          poNumber: r.po_number as string,
          pssOrderId: r.pss_order_id as string,
          distributor: r.distributor as string,
          status: r.status as string,
          shipped: r.shipped as boolean,
          createdAt: iso(r.created_at),
        })),
        nextCursor: rows.length > q.limit && last ? encodeCursor(iso(last.created_at), last.po_number as string) : null,
      };
    },
  );

  app.get(
    '/v1/purchase-orders/:poNumber',
    {
      config: { auth: 'tenant' },
      schema: {
        tags: ['purchase orders'],
        summary: 'One purchase order with its lines, shipments (tracking), error and attempts',
        params: z.object({ poNumber: z.string().min(1).max(40) }),
        response: { 200: PurchaseOrderResponse, 401: ErrorBody, 404: ErrorBody },
      },
    },
    async (req) => {
      const t = tenantOf(req);
      const [po] = await sql`SELECT * FROM purchase_orders WHERE po_number = ${req.params.poNumber} AND tenant_id = ${t.id}`;
      if (!po) throw notFound(`Purchase order ${req.params.poNumber}`);
      const [lines, shipments, attempts] = await Promise.all([
        sql`SELECT line_id, sku, distributor_sku, quantity, shipped_quantity FROM purchase_order_lines WHERE po_number = ${po.po_number} ORDER BY line_id`,
        sql`SELECT * FROM shipments WHERE po_number = ${po.po_number} ORDER BY shipped_at, tracking_number`,
        sql`SELECT started_at, outcome, error_code, error_message FROM purchase_order_attempts WHERE po_number = ${po.po_number} ORDER BY id`,
      ]);
      return {
        poNumber: po.po_number as string,
        pssOrderId: po.pss_order_id as string,
        distributor: po.distributor as string,
        status: po.status as string,
        shipped: po.shipped as boolean,
        distributorOrderId: (po.distributor_order_id as string | null) ?? null,
        supersededBy: (po.superseded_by as string | null) ?? null,
        createdAt: iso(po.created_at),
        lines: lines.map((l) => ({
          lineId: l.line_id as string,
          sku: l.sku as string,
          distributorSku: l.distributor_sku as string,
          quantity: l.quantity as number,
          shippedQuantity: l.shipped_quantity as number,
        })),
        shipments: shipments.map((s) => ({
          carrier: s.carrier as string,
          ...(s.service ? { service: s.service as string } : {}),
          trackingNumber: s.tracking_number as string,
          shippedAt: iso(s.shipped_at),
          ...(s.warehouse ? { warehouse: s.warehouse as string } : {}),
          ...(s.freight_number ? { freightNumber: s.freight_number as string } : {}),
          lines: s.lines as { lineId: string; quantity: number }[],
        })),
        ...(po.error_code && po.status === 'needs_attention' ? { error: { code: po.error_code as string, message: po.error_message as string } } : {}),
        attempts: attempts.map((a) => ({
          at: iso(a.started_at),
          outcome: a.outcome as string,
          ...(a.error_code ? { error: { code: a.error_code as string, message: a.error_message as string } } : {}),
        })),
      };
    },
  );

  app.post(
    '/v1/purchase-orders/:poNumber/retry',
    {
      config: { auth: 'tenant' },
      schema: {
        tags: ['purchase orders'],
        summary: 'Re-submit a PO that needs attention, optionally moving it to another distributor',
        params: z.object({ poNumber: z.string().min(1).max(40) }),
        body: RetryBody.optional(),
        response: {
          202: z.object({ accepted: z.literal(true), poNumber: z.string(), distributor: z.string() }),
          400: ErrorBody,
          401: ErrorBody,
          404: ErrorBody,
          409: ErrorBody,
          422: ErrorBody,
        },
      },
    },
    async (req, reply) => {
      const t = tenantOf(req);
      const [po] = await sql`SELECT po_number, pss_order_id, distributor FROM purchase_orders WHERE po_number = ${req.params.poNumber} AND tenant_id = ${t.id}`;
      if (!po) throw notFound(`Purchase order ${req.params.poNumber}`);
      const target = req.body?.distributor ?? (po.distributor as string);
      if (!distributorModule(target)) {
        throw new ApiError(400, 'validation_failed', `distributor "${target}" is not supported`, [{ path: 'body.distributor', message: 'unsupported distributor' }]);
      }
      const v = await queryDropship(temporal(), t.id, po.pss_order_id as string).catch((err: Error) => {
        throw new ApiError(503, 'temporal_unavailable', `The dropship's live state cannot be read right now (${err.message})`);
      });
      const live = v.purchaseOrders.find((p) => p.poNumber === po.po_number);
      if (!live || live.status !== 'needs_attention') throw conflict(`Purchase order ${po.po_number} is ${live?.status ?? 'unknown'}, not needs_attention`);
      if (target !== live.distributor) {
        const missing = live.lines.filter((l) => !v.lines.find((x) => x.lineId === l.lineId)?.candidates.some((c) => c.distributor === target));
        if (missing.length) {
          throw new ApiError(422, 'not_dropshippable', `${target} has no drop-shippable offer for ${missing.map((m) => `${m.lineId} (${m.sku})`).join(', ')}`, {
            lines: missing.map((m) => m.lineId),
          });
        }
      }
      await temporal()
        .workflow.getHandle(dropshipWorkflowId(t.id, po.pss_order_id as string))
        .signal(retryPurchaseOrderSignal, { poNumber: po.po_number as string, distributor: target === live.distributor ? undefined : target });
      return reply.code(202).send({ accepted: true as const, poNumber: po.po_number as string, distributor: target });
    },
  );
}
