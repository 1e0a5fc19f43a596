// Starting and steering DropshipWorkflows from the REST layer: candidates at creation, the
// same-body check, and the views the API returns.
import { createHash } from 'node:crypto';
import {
  WorkflowExecutionAlreadyStartedError,
  WorkflowNotFoundError,
  WorkflowUpdateFailedError,
  type Client,
  type WorkflowHandle,
} from '@temporalio/client';
import { ApplicationFailure, type UpdateDefinition } from '@temporalio/common';
import { ApiError } from './api/errors';
import type { Config } from './config';
import type { Sql } from './db';
import { distributorModule } from './distributors/registry';
import type { DistributorLimits } from './distributors/types';
import { offersFor } from './catalog';
import { createdEvent, defaultSelection, dropshipCandidates, dropshipView, initialState, mirrorSnapshot } from '../workflows/decisions';
import { dropshipWorkflowId, REFUSAL, SA, statusQuery } from '../workflows/messages';
import type { DropshipInput, DropshipLine, DropshipState, DropshipView, ShipToAddress, UpdateAnswer } from '../workflows/types';
import { dropshipDetails, dropshipSummary } from '../workflows/summaries';
import type { CreateDropshipBody } from './api/schemas';

/** JSON with sorted keys: the same body by meaning hashes the same whatever the key order. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

export function requestHash(body: CreateDropshipBody): string {
  return createHash('sha256').update(canonicalJson(body)).digest('hex');
}

export interface AddressProblem {
  field: string;
  limit: string;
}

/** Which ship-to fields a distributor cannot take, with its limit in words. */
export function addressProblems(limits: DistributorLimits, shipTo: ShipToAddress): AddressProblem[] {
  const checks: [keyof ShipToAddress, number | undefined][] = [
    ['name', limits.nameMaxLength],
    ['address1', limits.address1MaxLength],
    ['address2', limits.address2MaxLength],
    ['city', limits.cityMaxLength],
    ['postalCode', limits.postalCodeMaxLength],
    ['phone', limits.phoneMaxLength],
    ['email', limits.emailMaxLength],
  ];
  const out: AddressProblem[] = [];
  for (const [field, max] of checks) {
    const v = shipTo[field];
    if (max !== undefined && v !== undefined && v.length > max) out.push({ field: `shipTo.${field}`, limit: `at most ${max} characters` });
  }
  if (limits.stateLength !== undefined && shipTo.state.length !== limits.stateLength) {
    out.push({ field: 'shipTo.state', limit: `exactly ${limits.stateLength} characters (the postal abbreviation)` });
  }
  return out;
}

export type CandidateResult =
  | { ok: true; lines: DropshipLine[] }
  | {
      ok: false;
      lines: { lineId: string; sku: string; reason: string; refusedBy?: { distributor: string; problems: AddressProblem[] }[] }[];
    };

/**
 * Each line's drop-shippable offers from distributors the dealer has connected and whose
 * limits the ship-to address meets; the default pick is the cheapest landed cost.
 */
export async function buildLines(
  sql: Sql,
  tenantId: string,
  body: CreateDropshipBody,
  connected: Set<string>,
): Promise<CandidateResult> {
  const offers = await offersFor(sql, tenantId, [...new Set(body.lines.map((l) => l.sku))]);
  const refusedBy = new Map<string, AddressProblem[]>();
  const usable = (distributor: string) => {
    const mod = distributorModule(distributor);
    if (!mod || !connected.has(distributor)) return false;
    const problems = addressProblems(mod.limits, body.shipTo);
    if (problems.length) refusedBy.set(distributor, problems);
    return problems.length === 0;
  };
  const lines: DropshipLine[] = [];
  const bad: Extract<CandidateResult, { ok: false }>['lines'] = [];
  for (const l of body.lines) {
    const all = offers.get(l.sku) ?? [];
    const candidates = dropshipCandidates(all.filter((o) => usable(o.distributor)), l.quantity);
    const selected = defaultSelection(candidates);
    if (!selected) {
      const stockable = dropshipCandidates(all.filter((o) => distributorModule(o.distributor) && connected.has(o.distributor)), l.quantity);
      const refusals = stockable.filter((c) => refusedBy.has(c.distributor)).map((c) => ({ distributor: c.distributor, problems: refusedBy.get(c.distributor)! }));
      bad.push({
        lineId: l.lineId,
        sku: l.sku,
        reason: refusals.length
          ? `the ship-to address does not meet the limits of ${refusals.map((r) => r.distributor).join(', ')}`
          : all.length === 0
            ? 'no distributor offers this SKU'
            : `no connected distributor has ${l.quantity} in a warehouse with a lead time of at most 1 day`,
        ...(refusals.length ? { refusedBy: refusals } : {}),
      });
      continue;
    }
    lines.push({ ...l, candidates, selected });
  }
  return bad.length ? { ok: false, lines: bad } : { ok: true, lines };
}

export async function connectedDistributors(sql: Sql, tenantId: string): Promise<Set<string>> {
  const rows = await sql`SELECT code FROM connections WHERE tenant_id = ${tenantId} AND kind = 'distributor' AND enabled`;
  return new Set(rows.map((r) => r.code as string));
}

/** The workflow's input for a new dropship; stored with its row so a repeated request starts the same one. */
export function dropshipInput(config: Config, tenantId: string, body: CreateDropshipBody, lines: DropshipLine[], createdAt = new Date()): DropshipInput {
  return {
    createdAt: createdAt.toISOString(),
    tenantId,
    pssOrderId: body.pssOrderId,
    marketplace: body.marketplace,
    shipTo: body.shipTo,
    lines,
    confirmationTimeoutMs: config.confirmationTimeoutMs,
    trackingPollIntervalMs: config.trackingPollIntervalMs,
    trackingOverdueMs: config.trackingOverdueMs,
    ...(config.trackingFallbackIntervalMs ? { trackingFallbackIntervalMs: config.trackingFallbackIntervalMs } : {}),
  };
}

/** The first mirror of a new dropship, written by the API with its row (the workflow then starts at version 1). */
export function firstMirror(input: DropshipInput) {
  const state = initialState(input, createdEvent(input, input.createdAt ?? new Date().toISOString()));
  return { version: 1, ...mirrorSnapshot(state) };
}

/** Starts the dropship's workflow; a workflow that is already running (a repeated request) is left as it is. */
export async function startDropship(client: Client, config: Config, input: DropshipInput): Promise<DropshipInput> {
  try {
    // By name: the server never loads workflow code.
    await client.workflow.start('DropshipWorkflow', {
      taskQueue: config.temporal.taskQueue,
      workflowId: dropshipWorkflowId(input.tenantId, input.pssOrderId),
      workflowIdReusePolicy: 'REJECT_DUPLICATE',
      args: [input],
      staticSummary: dropshipSummary(input),
      staticDetails: dropshipDetails(input),
      typedSearchAttributes: [
        { key: SA.orderId, value: input.pssOrderId },
        { key: SA.tenant, value: input.tenantId },
        { key: SA.status, value: 'awaiting_confirmation' },
        { key: SA.marketplace, value: input.marketplace.code },
      ],
    });
  } catch (err) {
    // A retried request (or a second server) already started it: same workflow, nothing to do.
    if (!(err instanceof WorkflowExecutionAlreadyStartedError)) throw err;
  }
  return input;
}

/** The view right after creation, before the workflow has run its first task. */
export function initialView(input: DropshipInput): DropshipView {
  return dropshipView(input, { phase: 'awaiting_confirmation', lines: input.lines, purchaseOrders: [], uploads: [], events: [] });
}

export async function queryDropship(client: Client, tenantId: string, pssOrderId: string): Promise<DropshipView> {
  return client.workflow.getHandle(dropshipWorkflowId(tenantId, pssOrderId)).query(statusQuery);
}

/** The state the workflow last mirrored to Postgres (see the mirrorDropship activity). */
export interface MirroredView {
  status: DropshipView['status'];
  confirmedBy?: string;
  selections: { lineId: string; distributor: string; distributorSku: string }[];
  purchaseOrders: DropshipState['purchaseOrders'];
  uploads: DropshipState['uploads'];
  events: DropshipState['events'];
}

/** The dropship as Postgres last saw it: what GET answers once the workflow has closed. */
export function mirroredView(input: DropshipInput, m: MirroredView): DropshipView {
  const selected = new Map(m.selections.map((s) => [s.lineId, { distributor: s.distributor, distributorSku: s.distributorSku }]));
  return {
    phase: m.status === 'awaiting_confirmation' ? 'awaiting_confirmation' : 'fulfilling',
    pssOrderId: input.pssOrderId,
    tenantId: input.tenantId,
    status: m.status,
    marketplace: input.marketplace,
    shipTo: input.shipTo,
    ...(m.confirmedBy ? { confirmedBy: m.confirmedBy } : {}),
    lines: input.lines.map((l) => ({ ...l, selected: selected.get(l.lineId) ?? l.selected })),
    purchaseOrders: m.purchaseOrders,
    uploads: m.uploads,
    events: m.events,
  };
}

/** Statuses after which the workflow has closed (or is about to): GET answers from Postgres. */
export const FINAL_STATUSES: readonly string[] = ['completed', 'cancelled', 'expired'];

const REFUSAL_STATUS: Record<string, { status: number; code: string }> = {
  [REFUSAL.conflict]: { status: 409, code: 'conflict' },
  [REFUSAL.notDropshippable]: { status: 422, code: 'not_dropshippable' },
  [REFUSAL.notCancellable]: { status: 409, code: 'not_cancellable' },
  [REFUSAL.existsAtDistributor]: { status: 409, code: 'exists_at_distributor' },
};

/**
 * Sends a request that needs the workflow's answer (confirm, cancel, retry) as an Update and turns
 * the workflow's refusal into the REST error it stands for. A closed workflow answers 409 with its
 * last status; Temporal out of reach answers 503 (the request may be retried).
 */
export async function updateDropship<Arg>(
  handle: () => WorkflowHandle,
  def: UpdateDefinition<UpdateAnswer, [Arg]>,
  arg: Arg,
  closedStatus: () => Promise<string | undefined>,
): Promise<UpdateAnswer> {
  try {
    return await handle().executeUpdate(def, { args: [arg] });
  } catch (err) {
    if (err instanceof WorkflowUpdateFailedError && err.cause instanceof ApplicationFailure) {
      const m = REFUSAL_STATUS[err.cause.type ?? ''];
      if (m) throw new ApiError(m.status, m.code, err.cause.message, err.cause.details?.[0]);
    }
    if (err instanceof WorkflowNotFoundError || /already completed|workflow execution already/i.test((err as Error).message)) {
      const status = await closedStatus();
      throw new ApiError(409, 'conflict', `The dropship is ${status ?? 'closed'}; it takes no more requests`);
    }
    throw new ApiError(503, 'temporal_unavailable', `The dropship cannot be reached right now (${(err as Error).message}); retry shortly`);
  }
}

/** The REST shape of a dropship (DESIGN.md `GET /v1/dropships/:pssOrderId`). */
export function dropshipResponse(view: DropshipView) {
  return {
    pssOrderId: view.pssOrderId,
    status: view.status,
    marketplace: view.marketplace,
    shipTo: view.shipTo,
    ...(view.confirmedBy ? { confirmedBy: view.confirmedBy } : {}),
    lines: view.lines.map((l) => ({
      lineId: l.lineId,
      marketplaceLineId: l.marketplaceLineId,
      sku: l.sku,
      quantity: l.quantity,
      candidates: l.candidates,
      selected: l.selected,
    })),
    purchaseOrders: view.purchaseOrders.map((p) => ({
      poNumber: p.poNumber,
      distributor: p.distributor,
      attempt: p.attempt,
      status: p.status,
      shipped: p.lines.every((l) => (p.shippedQuantities[l.lineId] ?? 0) >= l.quantity),
      ...(p.distributorOrderId ? { distributorOrderId: p.distributorOrderId } : {}),
      ...(p.supersededBy ? { supersededBy: p.supersededBy } : {}),
      ...(p.error ? { error: p.error } : {}),
      lines: p.lines.map((l) => ({ ...l, shippedQuantity: p.shippedQuantities[l.lineId] ?? 0 })),
    })),
    uploads: view.uploads.map((u) => ({
      poNumber: u.poNumber,
      trackingNumber: u.trackingNumber,
      carrier: u.carrier,
      status: u.status,
      ...(u.outcome ? { outcome: u.outcome } : {}),
      ...(u.error ? { error: u.error } : {}),
      attempts: u.attempts ?? 0,
    })),
    events: view.events,
  };
}
