import { z } from 'zod';
import type { ZodApp } from '../app';
import { tenantOf } from '../auth';
import { ApiError, conflict, notFound } from '../errors';
import {
  AcceptedResponse,
  CancelBody,
  ConfirmBody,
  CreateDropshipBody,
  DropshipListQuery,
  DropshipListResponse,
  DropshipResponse,
  ErrorBody,
  KNOWN_MARKETPLACES,
  PssOrderId,
} from '../schemas';
import {
  buildLines,
  connectedDistributors,
  dropshipInput,
  dropshipResponse,
  FINAL_STATUSES,
  firstMirror,
  initialView,
  mirroredView,
  queryDropship,
  requestHash,
  startDropship,
  updateDropship,
  type MirroredView,
} from '../../dropships';
import { marketplaceModule } from '../../marketplaces/registry';
import { cancelUpdate, confirmUpdate, dropshipWorkflowId, retryUploadsUpdate } from '../../../workflows/messages';
import type { DropshipInput, DropshipView } from '../../../workflows/types';
import { mirrorView } from '../../../activities/mirror';
import { dropshipLogContext } from '../log-context';
import { createdAtKey, olderThan, pageOf } from '../paging';

const Params = z.object({ pssOrderId: PssOrderId });

interface DropshipRow {
  request_hash: string;
  status: string;
  workflow_input: DropshipInput | null;
  view: MirroredView | null;
}

export async function dropshipRoutes(app: ZodApp) {
  const { sql, config, temporal } = app.deps;
  // every request about one dropship logs its workflow id and order id
  app.addHook('preHandler', dropshipLogContext);

  async function existing(tenantId: string, pssOrderId: string): Promise<DropshipRow | undefined> {
    const [row] = await sql`SELECT request_hash, status, workflow_input, view FROM dropships WHERE tenant_id = ${tenantId} AND pss_order_id = ${pssOrderId}`;
    return row as DropshipRow | undefined;
  }

  /**
   * The dropship: from Postgres once it is final (its workflow has closed), otherwise live from the
   * workflow, falling back to the last mirror when Temporal cannot answer. 404 for another tenant's order.
   */
  async function view(tenantId: string, pssOrderId: string): Promise<DropshipView> {
    const row = await existing(tenantId, pssOrderId);
    if (!row) throw notFound(`Dropship ${pssOrderId}`);
    const mirrored = row.workflow_input && row.view ? mirroredView(row.workflow_input, row.view) : undefined;
    if (mirrored && FINAL_STATUSES.includes(mirrored.status)) return mirrored;
    try {
      return await queryDropship(temporal(), tenantId, pssOrderId);
    } catch (err) {
      if (mirrored) return mirrored;
      throw new ApiError(503, 'temporal_unavailable', `The dropship's live state cannot be read right now (${(err as Error).message}); retry shortly`);
    }
  }

  const handle = (tenantId: string, pssOrderId: string) => temporal().workflow.getHandle(dropshipWorkflowId(tenantId, pssOrderId));
  /** A closed or missing workflow: its mirrored status, or 404 when there is no such dropship. */
  const lastStatus = (tenantId: string, pssOrderId: string) => async () => {
    const row = await existing(tenantId, pssOrderId);
    if (!row) throw notFound(`Dropship ${pssOrderId}`);
    return row.status;
  };

  app.post(
    '/v1/dropships',
    {
      config: { auth: 'tenant', requiresOrderAutomation: true },
      schema: {
        tags: ['dropships'],
        summary: 'Start a dropship: candidates and default selection; waits for confirm',
        body: CreateDropshipBody,
        response: { 200: DropshipResponse, 201: DropshipResponse, 400: ErrorBody, 401: ErrorBody, 403: ErrorBody, 409: ErrorBody, 422: ErrorBody, 503: ErrorBody },
      },
    },
    async (req, reply) => {
      const t = tenantOf(req);
      const body = req.body;
      if (!marketplaceModule(body.marketplace.code)) {
        const why = (KNOWN_MARKETPLACES as readonly string[]).includes(body.marketplace.code) ? 'is not supported yet' : 'is not a known marketplace code';
        throw new ApiError(400, 'validation_failed', `marketplace "${body.marketplace.code}" ${why}`, [
          { path: 'body.marketplace.code', message: `unsupported marketplace "${body.marketplace.code}"` },
        ]);
      }
      const hash = requestHash(body);
      const start = async (input: DropshipInput) => {
        try {
          return await startDropship(temporal(), config, input);
        } catch (err) {
          // The row stays with its input: the same request, repeated, starts this same workflow.
          throw new ApiError(503, 'temporal_unavailable', `The dropship could not be started (${(err as Error).message}); retry the same request`);
        }
      };
      /** The same request again: make sure its workflow runs (an earlier try may have died before starting it). */
      const repeat = async (row: DropshipRow) => {
        if (row.request_hash !== hash) throw conflict(`Dropship ${body.pssOrderId} already exists with a different body`);
        if (row.workflow_input) await start(row.workflow_input);
        return reply.code(200).send(dropshipResponse(await view(t.id, body.pssOrderId)));
      };
      const prior = await existing(t.id, body.pssOrderId);
      if (prior) return repeat(prior);
      const built = await buildLines(sql, t.id, body, await connectedDistributors(sql, t.id));
      if (!built.ok) {
        throw new ApiError(
          422,
          'not_dropshippable',
          `These lines cannot be drop-shipped: ${built.lines.map((l) => `${l.lineId} (${l.sku}): ${l.reason}`).join('; ')}`,
          { lines: built.lines },
        );
      }
      const input = dropshipInput(config, t.id, body, built.lines);
      const mirror = firstMirror(input);
      const inserted = await sql`
        INSERT INTO dropships (tenant_id, pss_order_id, workflow_id, request, request_hash, status, workflow_input, view, mirror_version)
        VALUES (${t.id}, ${body.pssOrderId}, ${dropshipWorkflowId(t.id, body.pssOrderId)}, ${sql.json(JSON.parse(JSON.stringify(body)))}, ${hash},
                ${mirror.status}, ${sql.json(JSON.parse(JSON.stringify(input)))}, ${sql.json(mirrorView(mirror))}, ${mirror.version})
        ON CONFLICT (tenant_id, pss_order_id) DO NOTHING RETURNING pss_order_id`;
      if (inserted.length === 0) return repeat((await existing(t.id, body.pssOrderId))!); // a concurrent request won the insert
      return reply.code(201).send(dropshipResponse(initialView(await start(input))));
    },
  );

  app.get(
    '/v1/dropships',
    {
      config: { auth: 'tenant' },
      schema: {
        tags: ['dropships'],
        summary: "The dealer's dropships, newest first; status=needs_attention is the inbox",
        querystring: DropshipListQuery,
        response: { 200: DropshipListResponse, 400: ErrorBody, 401: ErrorBody },
      },
    },
    async (req) => {
      const t = tenantOf(req);
      const q = req.query;
      const rows = await sql`
        SELECT d.pss_order_id, d.status, d.request->'marketplace' AS marketplace, d.created_at, d.updated_at,
               ${createdAtKey(sql, 'd.created_at')} AS created_key,
               COALESCE(
                 (SELECT array_agg(DISTINCT p.distributor ORDER BY p.distributor) FROM purchase_orders p
                  WHERE p.tenant_id = d.tenant_id AND p.pss_order_id = d.pss_order_id AND p.status NOT IN ('superseded', 'cancelled')),
                 (SELECT array_agg(DISTINCT l->'selected'->>'distributor' ORDER BY l->'selected'->>'distributor')
                  FROM jsonb_array_elements(COALESCE(d.workflow_input->'lines', '[]'::jsonb)) l),
                 '{}') AS distributors,
               COALESCE((SELECT array_agg(p.po_number ORDER BY p.created_at, p.po_number) FROM purchase_orders p
                         WHERE p.tenant_id = d.tenant_id AND p.pss_order_id = d.pss_order_id), '{}') AS po_numbers
        FROM dropships d
        WHERE d.tenant_id = ${t.id}
          ${q.status ? sql`AND d.status = ${q.status}` : sql``}
          ${q.marketplace ? sql`AND d.request->'marketplace'->>'code' = ${q.marketplace}` : sql``}
          ${q.distributor ? sql`AND EXISTS (SELECT 1 FROM purchase_orders p WHERE p.tenant_id = d.tenant_id AND p.pss_order_id = d.pss_order_id AND p.distributor = ${q.distributor})` : sql``}
          ${q.createdFrom ? sql`AND d.created_at >= ${q.createdFrom}::text::timestamptz` : sql``}
          ${q.createdTo ? sql`AND d.created_at < ${q.createdTo}::text::timestamptz` : sql``}
          ${olderThan(sql, q.cursor, 'd.pss_order_id', 'd.created_at')}
        ORDER BY d.created_at DESC, d.pss_order_id DESC
        LIMIT ${q.limit + 1}`;
      const page = pageOf(rows, q.limit, (r) => ({ createdAt: r.created_key as string, key: r.pss_order_id as string }));
      return {
        items: page.items.map((r) => ({
          pssOrderId: r.pss_order_id as string,
          status: r.status as string,
          marketplace: r.marketplace as { code: string; orderId: string },
          distributors: r.distributors as string[],
          poNumbers: r.po_numbers as string[],
          createdAt: new Date(r.created_at as string).toISOString(),
          updatedAt: new Date(r.updated_at as string).toISOString(),
        })),
        nextCursor: page.nextCursor,
      };
    },
  );

  app.get(
    '/v1/dropships/:pssOrderId',
    {
      config: { auth: 'tenant' },
      schema: {
        tags: ['dropships'],
        summary: 'The dropship with its lines, candidates, purchase orders, uploads and events',
        params: Params,
        response: { 200: DropshipResponse, 401: ErrorBody, 404: ErrorBody, 503: ErrorBody },
      },
    },
    async (req) => dropshipResponse(await view(tenantOf(req).id, req.params.pssOrderId)),
  );

  const decisionResponses = { 202: AcceptedResponse, 400: ErrorBody, 401: ErrorBody, 403: ErrorBody, 404: ErrorBody, 409: ErrorBody, 422: ErrorBody, 503: ErrorBody };

  app.post(
    '/v1/dropships/:pssOrderId/confirm',
    {
      config: { auth: 'tenant', requiresOrderAutomation: true },
      schema: {
        tags: ['dropships'],
        summary: 'Confirm the dropship, optionally swapping lines to other distributors (answered by the workflow)',
        params: Params,
        body: ConfirmBody,
        response: decisionResponses,
      },
    },
    async (req, reply) => {
      const t = tenantOf(req);
      const id = req.params.pssOrderId;
      const answer = await updateDropship(() => handle(t.id, id), confirmUpdate, req.body, lastStatus(t.id, id));
      return reply.code(202).send({ accepted: true as const, pssOrderId: id, status: answer.status });
    },
  );

  app.post(
    '/v1/dropships/:pssOrderId/cancel',
    {
      config: { auth: 'tenant' },
      schema: {
        tags: ['dropships'],
        summary: 'Cancel the dropship: before submission, or at the distributors whose API can cancel (answered by the workflow)',
        params: Params,
        body: CancelBody,
        response: decisionResponses,
      },
    },
    async (req, reply) => {
      const t = tenantOf(req);
      const id = req.params.pssOrderId;
      const answer = await updateDropship(() => handle(t.id, id), cancelUpdate, { reason: req.body.reason }, lastStatus(t.id, id));
      return reply.code(202).send({ accepted: true as const, pssOrderId: id, status: answer.status });
    },
  );

  app.post(
    '/v1/dropships/:pssOrderId/uploads/retry',
    {
      config: { auth: 'tenant' },
      schema: {
        tags: ['dropships'],
        summary: 'Try every failed marketplace upload of the dropship again (after fixing the cause)',
        params: Params,
        body: z.object({}).strict().optional(),
        response: decisionResponses,
      },
    },
    async (req, reply) => {
      const t = tenantOf(req);
      const id = req.params.pssOrderId;
      const answer = await updateDropship(() => handle(t.id, id), retryUploadsUpdate, {}, lastStatus(t.id, id));
      return reply.code(202).send({ accepted: true as const, pssOrderId: id, status: answer.status });
    },
  );
}
