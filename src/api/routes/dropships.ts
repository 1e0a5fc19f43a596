import { z } from 'zod';
import type { ZodApp } from '../app';
import { tenantOf } from '../auth';
import { ApiError, conflict, notFound } from '../errors';
import {
  AcceptedResponse,
  CancelBody,
  ConfirmBody,
  CreateDropshipBody,
  DropshipResponse,
  ErrorBody,
  KNOWN_MARKETPLACES,
  PssOrderId,
} from '../schemas';
import {
  buildLines,
  connectedDistributors,
  dropshipResponse,
  initialView,
  queryDropship,
  requestHash,
  startDropship,
} from '../../dropships';
import { marketplaceModule } from '../../marketplaces/registry';
import { canCancel } from '../../../workflows/decisions';
import { cancelSignal, confirmSignal, dropshipWorkflowId } from '../../../workflows/messages';
import type { DropshipView } from '../../../workflows/types';

const Params = z.object({ pssOrderId: PssOrderId });

export async function dropshipRoutes(app: ZodApp) {
  const { sql, config, temporal } = app.deps;

  async function existing(tenantId: string, pssOrderId: string) {
    const [row] = await sql`SELECT request_hash FROM dropships WHERE tenant_id = ${tenantId} AND pss_order_id = ${pssOrderId}`;
    return row as { request_hash: string } | undefined;
  }

  /** The live view from the workflow; 404 for another tenant's (or no) order. */
  async function view(tenantId: string, pssOrderId: string): Promise<DropshipView> {
    if (!(await existing(tenantId, pssOrderId))) throw notFound(`Dropship ${pssOrderId}`);
    try {
      return await queryDropship(temporal(), tenantId, pssOrderId);
    } catch (err) {
      throw new ApiError(503, 'temporal_unavailable', `The dropship's live state cannot be read right now (${(err as Error).message}); retry shortly`);
    }
  }

  app.post(
    '/v1/dropships',
    {
      config: { auth: 'tenant', requiresOrderAutomation: true },
      schema: {
        tags: ['dropships'],
        summary: 'Start a dropship: candidates and default selection; waits for confirm',
        body: CreateDropshipBody,
        response: { 200: DropshipResponse, 201: DropshipResponse, 400: ErrorBody, 401: ErrorBody, 403: ErrorBody, 409: ErrorBody, 422: ErrorBody },
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
      const prior = await existing(t.id, body.pssOrderId);
      if (prior) {
        if (prior.request_hash !== hash) throw conflict(`Dropship ${body.pssOrderId} already exists with a different body`);
        return reply.code(200).send(dropshipResponse(await view(t.id, body.pssOrderId)));
      }
      const built = await buildLines(sql, t.id, body, await connectedDistributors(sql, t.id));
      if (!built.ok) {
        throw new ApiError(
          422,
          'not_dropshippable',
          `These lines cannot be drop-shipped: ${built.lines.map((l) => `${l.lineId} (${l.sku}): ${l.reason}`).join('; ')}`,
          { lines: built.lines },
        );
      }
      const inserted = await sql`
        INSERT INTO dropships (tenant_id, pss_order_id, workflow_id, request, request_hash, status)
        VALUES (${t.id}, ${body.pssOrderId}, ${dropshipWorkflowId(t.id, body.pssOrderId)}, ${sql.json(JSON.parse(JSON.stringify(body)))}, ${hash}, 'awaiting_confirmation')
        ON CONFLICT (tenant_id, pss_order_id) DO NOTHING RETURNING pss_order_id`;
      if (inserted.length === 0) {
        // a concurrent identical request won the insert
        const again = await existing(t.id, body.pssOrderId);
        if (again?.request_hash !== hash) throw conflict(`Dropship ${body.pssOrderId} already exists with a different body`);
      }
      try {
        const input = await startDropship(temporal(), config, t.id, body, built.lines);
        return reply.code(inserted.length ? 201 : 200).send(dropshipResponse(initialView(input)));
      } catch (err) {
        // Temporal unreachable: the row stays, so the same request can be retried and will start it.
        if (inserted.length) await sql`DELETE FROM dropships WHERE tenant_id = ${t.id} AND pss_order_id = ${body.pssOrderId}`;
        throw new ApiError(503, 'temporal_unavailable', `The dropship could not be started (${(err as Error).message}); retry the same request`);
      }
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

  app.post(
    '/v1/dropships/:pssOrderId/confirm',
    {
      config: { auth: 'tenant', requiresOrderAutomation: true },
      schema: {
        tags: ['dropships'],
        summary: 'Confirm the dropship, optionally swapping lines to other distributors',
        params: Params,
        body: ConfirmBody,
        response: { 202: AcceptedResponse, 400: ErrorBody, 401: ErrorBody, 403: ErrorBody, 404: ErrorBody, 409: ErrorBody, 422: ErrorBody },
      },
    },
    async (req, reply) => {
      const t = tenantOf(req);
      const v = await view(t.id, req.params.pssOrderId);
      if (v.status !== 'awaiting_confirmation') throw conflict(`Dropship ${v.pssOrderId} is ${v.status}, not awaiting confirmation`);
      const problems: { lineId: string; distributor: string; message: string }[] = [];
      for (const s of req.body.lines ?? []) {
        const line = v.lines.find((l) => l.lineId === s.lineId);
        if (!line) problems.push({ ...s, message: `no line ${s.lineId} in this dropship` });
        else if (!line.candidates.some((c) => c.distributor === s.distributor)) {
          problems.push({ ...s, message: `${s.distributor} has no drop-shippable offer for line ${s.lineId} (${line.sku})` });
        }
      }
      if (problems.length) {
        throw new ApiError(422, 'not_dropshippable', problems.map((p) => p.message).join('; '), { lines: problems });
      }
      await temporal().workflow.getHandle(dropshipWorkflowId(t.id, v.pssOrderId)).signal(confirmSignal, req.body);
      return reply.code(202).send({ accepted: true as const, pssOrderId: v.pssOrderId, status: 'submitting' });
    },
  );

  app.post(
    '/v1/dropships/:pssOrderId/cancel',
    {
      config: { auth: 'tenant' },
      schema: {
        tags: ['dropships'],
        summary: 'Cancel before submission (or when every PO waits for a person)',
        params: Params,
        body: CancelBody,
        response: { 202: AcceptedResponse, 400: ErrorBody, 401: ErrorBody, 404: ErrorBody, 409: ErrorBody },
      },
    },
    async (req, reply) => {
      const t = tenantOf(req);
      const v = await view(t.id, req.params.pssOrderId);
      if (!canCancel(v)) throw conflict(`Dropship ${v.pssOrderId} is ${v.status} and can no longer be cancelled`);
      await temporal().workflow.getHandle(dropshipWorkflowId(t.id, v.pssOrderId)).signal(cancelSignal, { reason: req.body.reason });
      return reply.code(202).send({ accepted: true as const, pssOrderId: v.pssOrderId, status: 'cancelled' });
    },
  );
}
