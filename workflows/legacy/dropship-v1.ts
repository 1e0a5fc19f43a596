// FROZEN: the DropshipWorkflow as it ran before it was split into phases (signals, activities
// writing status). Runs started on it replay and finish here; new runs never enter it. Do not
// change what it does: any change breaks the replay of those runs (test/replay.test.ts).
import {
  ActivityFailure,
  allHandlersFinished,
  ApplicationFailure,
  condition,
  continueAsNew,
  proxyActivities,
  setHandler,
  upsertSearchAttributes,
  workflowInfo,
} from '@temporalio/workflow';
import type { LegacyActivities as DropshipActivities } from '../../activities/legacy';
import {
  applySwaps,
  canCancel,
  dropshipStatus,
  dropshipView,
  groupByDistributor,
  isActivePo,
  nextAttempt,
  poFullyShipped,
  purchaseOrderNumber,
} from '../decisions';
import { cancelSignal, checkTrackingSignal, confirmSignal, retryPurchaseOrderSignal, SA, statusQuery } from '../messages';
import type {
  DropshipInput,
  DropshipState,
  DropshipView,
  PurchaseOrderError,
  PurchaseOrderState,
  RetryRequest,
} from '../types';

// Postgres bookkeeping: short, idempotent, retried until Postgres is back.
const db = proxyActivities<DropshipActivities>({
  startToCloseTimeout: '30s',
  retry: { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '1m' },
});

// Placing an order: each try looks the PO up before re-sending, so retries are safe. A business
// refusal (DistributorRefusal) is not retried: a person decides. A distributor that stays down
// for a day also ends up with a person.
const distributor = proxyActivities<DropshipActivities>({
  startToCloseTimeout: '3m',
  heartbeatTimeout: '10s',
  scheduleToCloseTimeout: '24h',
  retry: {
    initialInterval: '2s',
    backoffCoefficient: 2,
    maximumInterval: '10m',
    nonRetryableErrorTypes: ['DistributorRefusal'],
  },
});

// Tracking pulls are read-only; a failed pull simply waits for the next interval.
const tracking = proxyActivities<DropshipActivities>({
  startToCloseTimeout: '1m',
  heartbeatTimeout: '10s',
  scheduleToCloseTimeout: '30m',
  retry: { initialInterval: '10s', backoffCoefficient: 2, maximumInterval: '5m', nonRetryableErrorTypes: ['DistributorRefusal'] },
});

// Uploads read back before re-posting after an ambiguous failure; a refusal waits for a person.
const marketplace = proxyActivities<DropshipActivities>({
  startToCloseTimeout: '1m',
  heartbeatTimeout: '10s',
  scheduleToCloseTimeout: '24h',
  retry: { initialInterval: '2s', backoffCoefficient: 2, maximumInterval: '10m', nonRetryableErrorTypes: ['UploadRefused'] },
});

/** Workflow time (Temporal replaces Date inside workflows with the deterministic clock). */
function now(): string {
  return new Date().toISOString();
}

function refusalOf(err: unknown): PurchaseOrderError {
  const cause = err instanceof ActivityFailure ? err.cause : err;
  if (cause instanceof ApplicationFailure) {
    const d = (cause.details?.[0] ?? {}) as Partial<PurchaseOrderError>;
    return { code: d.code ?? cause.type ?? 'submission_failed', message: d.message ?? cause.message };
  }
  return {
    code: 'upstream_unavailable',
    message: `The distributor could not be reached for too long (${(cause as Error)?.message ?? 'unknown error'}). Retry when it is back.`,
  };
}

export async function legacyDropshipWorkflow(input: DropshipInput): Promise<DropshipView> {
  const state: DropshipState = input.resume ?? {
    phase: 'awaiting_confirmation',
    lines: input.lines,
    purchaseOrders: [],
    uploads: [],
    events: [{ at: now(), type: 'created', message: `Dropship created for order ${input.pssOrderId}` }],
  };
  let cancelRequest: { reason: string; requestedBy?: string } | undefined;
  let confirmRequest: { confirmedBy: string; lines?: { lineId: string; distributor: string }[] } | undefined;
  const retries: RetryRequest[] = [];
  let checkTrackingNow = false;
  let lastStatus = '';

  const event = (type: string, message: string) => {
    state.events.push({ at: now(), type, message });
    // keep the carried state small across continue-as-new; the full record is in history
    if (state.events.length > 200) state.events.splice(1, state.events.length - 200);
  };
  let lastAttributes = '';
  const view = (): DropshipView => dropshipView(input, state);

  // Search attributes and the Postgres mirror follow every status change.
  const publish = async () => {
    const status = dropshipStatus(state);
    const active = state.purchaseOrders.filter(isActivePo);
    const distributors = [...new Set(active.map((p) => p.distributor))];
    const poNumbers = state.purchaseOrders.map((p) => p.poNumber);
    const attributes = JSON.stringify([status, distributors, poNumbers]);
    if (attributes !== lastAttributes) {
      lastAttributes = attributes;
      upsertSearchAttributes([
        { key: SA.status, value: status },
        { key: SA.distributors, value: distributors },
        { key: SA.poNumbers, value: poNumbers },
      ]);
    }
    if (status !== lastStatus) {
      lastStatus = status;
      await db.recordDropshipStatus({ tenantId: input.tenantId, pssOrderId: input.pssOrderId, status });
    }
  };

  setHandler(statusQuery, view);
  setHandler(confirmSignal, (req) => {
    if (state.phase === 'awaiting_confirmation' && !state.outcome && !confirmRequest) confirmRequest = req;
  });
  setHandler(cancelSignal, (req) => {
    if (canCancel(state)) cancelRequest = req;
  });
  setHandler(retryPurchaseOrderSignal, (req) => {
    const po = state.purchaseOrders.find((p) => p.poNumber === req.poNumber);
    if (po?.status === 'needs_attention' && !retries.some((r) => r.poNumber === req.poNumber)) retries.push(req);
  });
  setHandler(checkTrackingSignal, () => {
    checkTrackingNow = true;
  });

  // 1. The dealer confirms (optionally swapping distributors), cancels, or lets it expire.
  if (state.phase === 'awaiting_confirmation') {
    await publish();
    const decided = await condition(() => !!confirmRequest || !!cancelRequest, input.confirmationTimeoutMs);
    if (!decided) {
      state.outcome = 'expired';
      state.phase = 'done';
      event('expired', 'Nobody confirmed the dropship in time; nothing was ordered.');
      await publish();
      return view();
    }
    if (cancelRequest) {
      state.outcome = 'cancelled';
      state.phase = 'done';
      event('cancelled', `Cancelled before confirmation: ${cancelRequest.reason}`);
      await publish();
      return view();
    }
    const confirm = confirmRequest!;
    const swapped = applySwaps(state.lines, confirm.lines);
    state.lines = swapped.lines;
    state.confirmedBy = confirm.confirmedBy;
    state.phase = 'fulfilling';
    event('confirmed', `Confirmed by ${confirm.confirmedBy}`);
    for (const bad of swapped.invalid) {
      event('swap_ignored', `Line ${bad.lineId} cannot be drop-shipped from ${bad.distributor}; kept the default`);
    }
    for (const group of groupByDistributor(state.lines)) {
      state.purchaseOrders.push(newPurchaseOrder(group.distributor, group.lines.map((l) => l.lineId), 1));
    }
    upsertSearchAttributes([{ key: SA.marketplace, value: input.marketplace.code }]);
  }

  function newPurchaseOrder(distributorCode: string, lineIds: string[], attempt: number): PurchaseOrderState {
    const lines = state.lines
      .filter((l) => lineIds.includes(l.lineId))
      .map((l) => {
        const c = l.candidates.find((x) => x.distributor === distributorCode);
        const distributorSku = c?.distributorSku ?? l.selected.distributorSku;
        return { lineId: l.lineId, sku: l.sku, distributorSku, quantity: l.quantity };
      });
    return {
      poNumber: purchaseOrderNumber(input.tenantId, input.pssOrderId, distributorCode, attempt),
      distributor: distributorCode,
      attempt,
      lines,
      status: 'pending',
      shippedQuantities: {},
    };
  }

  // 2. Place each pending PO. Runs concurrently per PO; a refusal parks the PO for a person.
  const inFlight = new Set<string>();
  const submit = async (po: PurchaseOrderState) => {
    inFlight.add(po.poNumber);
    try {
      po.status = 'submitting';
      po.error = undefined;
      await publish();
      await db.createPurchaseOrder({
        tenantId: input.tenantId,
        pssOrderId: input.pssOrderId,
        poNumber: po.poNumber,
        distributor: po.distributor,
        attempt: po.attempt,
        lines: po.lines,
      });
      try {
        const placed = await distributor.submitPurchaseOrder({
          tenantId: input.tenantId,
          pssOrderId: input.pssOrderId,
          poNumber: po.poNumber,
          distributor: po.distributor,
          shipTo: input.shipTo,
          lines: po.lines,
        });
        po.status = 'submitted';
        po.distributorOrderId = placed.distributorOrderId;
        event(
          'po_submitted',
          placed.alreadyPlaced
            ? `PO ${po.poNumber} was already at ${po.distributor} (order ${placed.distributorOrderId}); not re-sent`
            : `PO ${po.poNumber} placed with ${po.distributor} (order ${placed.distributorOrderId})`,
        );
      } catch (err) {
        po.status = 'needs_attention';
        po.error = refusalOf(err);
        event('po_needs_attention', `PO ${po.poNumber}: ${po.error.message}`);
        await db.markPurchaseOrder({ poNumber: po.poNumber, status: 'needs_attention', error: po.error });
      }
      await publish();
    } finally {
      inFlight.delete(po.poNumber);
    }
  };
  const startPending = () => {
    for (const po of state.purchaseOrders) {
      if (po.status === 'pending' && !inFlight.has(po.poNumber)) void submit(po);
    }
  };

  const applyRetry = async (req: RetryRequest) => {
    const po = state.purchaseOrders.find((p) => p.poNumber === req.poNumber);
    if (!po || po.status !== 'needs_attention') return;
    if (!req.distributor || req.distributor === po.distributor) {
      event('po_retry', `Retrying PO ${po.poNumber}${req.requestedBy ? ` (requested by ${req.requestedBy})` : ''}`);
      po.status = 'pending';
      return;
    }
    const lineIds = po.lines.map((l) => l.lineId);
    const ok = lineIds.every((id) => state.lines.find((l) => l.lineId === id)?.candidates.some((c) => c.distributor === req.distributor));
    if (!ok) {
      event('po_retry_refused', `PO ${po.poNumber} cannot move to ${req.distributor}: not every line is drop-shippable there`);
      return;
    }
    const replacement = newPurchaseOrder(req.distributor, lineIds, nextAttempt(state.purchaseOrders, req.distributor));
    for (const l of state.lines) {
      if (lineIds.includes(l.lineId)) {
        const c = l.candidates.find((x) => x.distributor === req.distributor)!;
        l.selected = { distributor: c.distributor, distributorSku: c.distributorSku };
      }
    }
    po.status = 'superseded';
    po.supersededBy = replacement.poNumber;
    state.purchaseOrders.push(replacement);
    event('po_swapped', `PO ${po.poNumber} superseded by ${replacement.poNumber} at ${req.distributor}`);
    await db.markPurchaseOrder({ poNumber: po.poNumber, status: 'superseded', supersededBy: replacement.poNumber });
  };

  // 3. Pull tracking for placed POs and upload every new tracking number.
  const pullTracking = async () => {
    for (const po of state.purchaseOrders) {
      if (!['submitted', 'partially_shipped'].includes(po.status)) continue;
      let result;
      try {
        result = await tracking.pollShipments({ tenantId: input.tenantId, poNumber: po.poNumber, distributor: po.distributor });
      } catch (err) {
        event('tracking_unavailable', `Could not pull tracking for ${po.poNumber}: ${refusalOf(err).message}`);
        continue;
      }
      po.shippedQuantities = result.shippedQuantities;
      po.status = poFullyShipped(po) ? 'shipped' : Object.values(po.shippedQuantities).some((q) => q > 0) ? 'partially_shipped' : 'submitted';
      for (const s of result.shipments) {
        if (state.uploads.some((u) => u.trackingNumber === s.trackingNumber && u.poNumber === po.poNumber)) continue;
        event('shipped', `${po.poNumber}: ${s.carrier} ${s.trackingNumber}`);
        const upload = { poNumber: po.poNumber, trackingNumber: s.trackingNumber, carrier: s.carrier, status: 'pending' as const };
        state.uploads.push(upload);
        await publish();
        const lines = s.lines.map((sl) => ({
          marketplaceLineId: state.lines.find((l) => l.lineId === sl.lineId)!.marketplaceLineId,
          quantity: sl.quantity,
        }));
        try {
          const r = await marketplace.uploadTracking({
            tenantId: input.tenantId,
            pssOrderId: input.pssOrderId,
            poNumber: po.poNumber,
            marketplace: input.marketplace.code,
            marketplaceOrderId: input.marketplace.orderId,
            trackingNumber: s.trackingNumber,
            carrier: s.carrier,
            service: s.service,
            shippedAt: s.shippedAt,
            lines,
          });
          Object.assign(state.uploads[state.uploads.length - 1], { status: 'confirmed', outcome: r.outcome });
          event('uploaded', `${s.trackingNumber} ${r.outcome === 'already_uploaded' ? 'was already on' : 'uploaded to'} ${input.marketplace.code}`);
        } catch (err) {
          const e = refusalOf(err);
          Object.assign(state.uploads[state.uploads.length - 1], { status: 'failed', error: e });
          event('upload_failed', `${s.trackingNumber} could not be uploaded to ${input.marketplace.code}: ${e.message}`);
        }
      }
      if (po.status === 'shipped') await db.markPurchaseOrder({ poNumber: po.poNumber, status: 'shipped' });
    }
    await publish();
  };

  const finished = () => {
    const active = state.purchaseOrders.filter(isActivePo);
    return active.length > 0 && active.every((p) => p.status === 'shipped') && state.uploads.every((u) => u.status !== 'pending');
  };

  startPending();
  await publish();
  let nextPollAt = Date.now() + input.trackingPollIntervalMs;
  while (!finished()) {
    const hasOpen = () => state.purchaseOrders.some((p) => ['submitted', 'partially_shipped'].includes(p.status));
    const wake = () =>
      !!cancelRequest || retries.length > 0 || checkTrackingNow || state.purchaseOrders.some((p) => p.status === 'pending' && !inFlight.has(p.poNumber));
    const waitMs = Math.max(0, nextPollAt - Date.now());
    if (hasOpen()) await condition(wake, waitMs);
    else await condition(() => wake() || (inFlight.size === 0 && finished()) || (inFlight.size === 0 && hasOpen()));

    if (cancelRequest && canCancel(state)) {
      for (const po of state.purchaseOrders.filter(isActivePo)) {
        po.status = 'cancelled';
        await db.markPurchaseOrder({ poNumber: po.poNumber, status: 'cancelled' });
      }
      state.outcome = 'cancelled';
      state.phase = 'done';
      event('cancelled', `Cancelled: ${cancelRequest.reason}`);
      await publish();
      return view();
    }
    cancelRequest = undefined;
    while (retries.length) await applyRetry(retries.shift()!);
    startPending();
    if (hasOpen() && (checkTrackingNow || Date.now() >= nextPollAt)) {
      checkTrackingNow = false;
      await pullTracking();
      nextPollAt = Date.now() + input.trackingPollIntervalMs;
    }
    checkTrackingNow = false;

    if (workflowInfo().continueAsNewSuggested && inFlight.size === 0 && retries.length === 0) {
      await condition(allHandlersFinished);
      await continueAsNew<typeof legacyDropshipWorkflow>({ ...input, resume: state });
    }
  }
  state.phase = 'done';
  event('finished', dropshipStatus(state) === 'completed' ? 'Every line shipped and every tracking number is on the marketplace' : 'Every line shipped; some uploads failed');
  await publish();
  return view();
}
