import { z } from 'zod';
import type { ZodApp } from '../app';
import { tenantOf } from '../auth';
import { ApiError, conflict, notFound } from '../errors';
import { bindLogContext, dropshipContext, purchaseOrderLogContext } from '../log-context';
import { createdAtKey, olderThan, pageOf } from '../paging';
import { ErrorBody, PurchaseOrderListResponse, PurchaseOrderQuery, PurchaseOrderResponse, RetryBody } from '../schemas';
import { distributorModule } from '../../distributors/registry';
import { updateDropship } from '../../dropships';
import { dropshipWorkflowId, retryPurchaseOrderUpdate } from '../../../workflows/messages';

const iso = (v: unknown) => new Date(v as string).toISOString();

export async function purchaseOrderRoutes(app: ZodApp) {
  const { sql, temporal } = app.deps;
  // every request about one PO logs its PO number (and, once read, its dropship's workflow and order id)
  app.addHook('preHandler', purchaseOrderLogContext);

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
      const rows = await sql`
        SELECT po_number, pss_order_id, distributor, status, shipped, created_at, ${createdAtKey(sql)} AS created_key FROM purchase_orders
        WHERE tenant_id = ${t.id}
          ${q.poNumber ? sql`AND po_number = ${q.poNumber}` : sql``}
          ${q.pssOrderId ? sql`AND pss_order_id = ${q.pssOrderId}` : sql``}
          ${q.distributor ? sql`AND distributor = ${q.distributor}` : sql``}
          ${q.shipped ? sql`AND shipped = ${q.shipped === 'true'}` : sql``}
          ${olderThan(sql, q.cursor, 'po_number')}
        ORDER BY created_at DESC, po_number DESC
        LIMIT ${q.limit + 1}`;
      const page = pageOf(rows, q.limit, (r) => ({ createdAt: r.created_key as string, key: r.po_number as string }));
      return {
        items: page.items.map((r) => ({
          poNumber: r.po_number as string,
          pssOrderId: r.pss_order_id as string,
          distributor: r.distributor as string,
          status: r.status as string,
          shipped: r.shipped as boolean,
          createdAt: iso(r.created_at),
        })),
        nextCursor: page.nextCursor,
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
    async (req, reply) => {
      const t = tenantOf(req);
      const [po] = await sql`SELECT * FROM purchase_orders WHERE po_number = ${req.params.poNumber} AND tenant_id = ${t.id}`;
      if (!po) throw notFound(`Purchase order ${req.params.poNumber}`);
      bindLogContext(req, reply, dropshipContext(t.id, po.pss_order_id as string));
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
        summary: 'Re-submit a PO that needs attention, optionally moving it to another distributor, or record the order number the distributor gave it',
        params: z.object({ poNumber: z.string().min(1).max(40) }),
        body: RetryBody.optional(),
        response: {
          202: z.object({ accepted: z.literal(true), poNumber: z.string(), distributor: z.string(), pssOrderId: z.string(), status: z.string() }),
          400: ErrorBody,
          401: ErrorBody,
          404: ErrorBody,
          409: ErrorBody,
          422: ErrorBody,
          503: ErrorBody,
        },
      },
    },
    async (req, reply) => {
      const t = tenantOf(req);
      const [po] = await sql`SELECT po_number, pss_order_id, distributor FROM purchase_orders WHERE po_number = ${req.params.poNumber} AND tenant_id = ${t.id}`;
      if (!po) throw notFound(`Purchase order ${req.params.poNumber}`);
      bindLogContext(req, reply, dropshipContext(t.id, po.pss_order_id as string));
      const target = req.body?.distributor ?? (po.distributor as string);
      if (!distributorModule(target)) {
        throw new ApiError(400, 'validation_failed', `distributor "${target}" is not supported`, [{ path: 'body.distributor', message: 'unsupported distributor' }]);
      }
      const pssOrderId = po.pss_order_id as string;
      const answer = await updateDropship(
        () => temporal().workflow.getHandle(dropshipWorkflowId(t.id, pssOrderId)),
        retryPurchaseOrderUpdate,
        {
          poNumber: po.po_number as string,
          distributor: target === po.distributor ? undefined : target,
          ...(req.body?.distributorOrderId ? { distributorOrderId: req.body.distributorOrderId } : {}),
        },
        async () => ((await sql`SELECT status FROM dropships WHERE tenant_id = ${t.id} AND pss_order_id = ${pssOrderId}`)[0]?.status as string | undefined),
      );
      return reply.code(202).send({ accepted: true as const, poNumber: answer.poNumber ?? (po.po_number as string), distributor: target, pssOrderId, status: answer.status });
    },
  );
}
