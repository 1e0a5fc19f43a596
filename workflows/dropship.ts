// DropshipWorkflow: wait for the dealer's decision, place one purchase order per distributor
// exactly once, follow the shipments and upload every tracking number, then finish. People steer
// it with Updates (confirm, cancel, retry a PO, retry uploads); the workflow is the single writer of
// its state and mirrors it to Postgres.
import {
  ActivityFailure,
  allHandlersFinished,
  ApplicationFailure,
  condition,
  continueAsNew,
  patched,
  setCurrentDetails,
  setHandler,
  upsertSearchAttributes,
  workflowInfo,
} from '@temporalio/workflow';
import {
  applyLiveStock,
  applySwaps,
  cancelRefusal,
  carryOver,
  confirmRefusal,
  createdEvent,
  dropshipStatus,
  dropshipView,
  existsAtDistributor,
  groupByDistributor,
  initialState,
  followedByAccount,
  isActivePo,
  isOpenPo,
  mirrorSnapshot,
  nextAttempt,
  overduePurchaseOrders,
  poFullyShipped,
  purchaseOrderNumber,
  retryRefusal,
  type Refusal,
} from './decisions';
import { legacyDropshipWorkflow } from './legacy/dropship-v1';
import {
  cancelUpdate,
  checkTrackingSignal,
  confirmUpdate,
  shipmentsFoundSignal,
  type ShipmentsFound,
  retryPurchaseOrderUpdate,
  retryUploadsUpdate,
  SA,
  statusQuery,
} from './messages';
import { dropshipCurrentDetails } from './summaries';
import { cancelPurchaseOrder, checkLiveStock, findPurchaseOrder, mirrorDropship, placePurchaseOrder, readShipments, uploadTracking } from './steps';
import type { MirrorInput } from '../activities/mirror';
import type {
  CancelRequest,
  ConfirmRequest,
  DropshipInput,
  DropshipState,
  DropshipView,
  PurchaseOrderError,
  PurchaseOrderFate,
  PurchaseOrderState,
  RetryRequest,
  UpdateAnswer,
  UploadState,
} from './types';

/** Marks runs of this phased workflow; histories without it replay on the legacy code. */
export const PHASED_WORKFLOW_PATCH = 'dropship-phases-and-updates';
export const DEFAULT_TRACKING_OVERDUE_MS = 30 * 24 * 3600_000;
/** Marks runs that ask the distributors for live stock while awaiting confirmation. */
export const LIVE_STOCK_PATCH = 'live-stock-before-confirm';
/** Marks runs whose POs are followed by their account's tracking reader (workflows/account-tracking.ts). */
export const ACCOUNT_TRACKING_PATCH = 'tracking-per-account';
/**
 * Marks runs whose mirror rides on the activities that write Postgres anyway: the API writes the
 * first one, and placing a PO or uploading tracking writes the state it was started from.
 */
export const MIRROR_IN_ACTIVITIES_PATCH = 'mirror-in-activities';
/** Marks runs that read a PO placed outside placement (a recorded order number, a PO found) at the usual interval at once. */
export const POLL_UNFOLLOWED_PATCH = 'poll-unfollowed-po';
/** How often a dropship still reads a PO its account's reader follows: a safety net, not the path. */
export const DEFAULT_TRACKING_FALLBACK_MS = 6 * 3600_000;

/** Workflow time (Temporal replaces Date inside workflows with the deterministic clock). */
function now(): string {
  return new Date().toISOString();
}

function refusalOf(err: unknown): PurchaseOrderError & { fate?: PurchaseOrderFate } {
  const cause = err instanceof ActivityFailure ? err.cause : err;
  if (cause instanceof ApplicationFailure) {
    const d = (cause.details?.[0] ?? {}) as Partial<PurchaseOrderError & { fate: PurchaseOrderFate }>;
    return { code: d.code ?? cause.type ?? 'submission_failed', message: d.message ?? cause.message, fate: d.fate };
  }
  return {
    code: 'upstream_unavailable',
    message: `The distributor could not be reached for too long (${(cause as Error)?.message ?? 'unknown error'}). Retry when it is back.`,
  };
}

/** A request waiting for the main loop to apply it; its handler answers once it is settled. */
interface Pending<T> {
  req: T;
  answer?: UpdateAnswer;
  refusal?: Refusal;
}

function refuse(r: Refusal | undefined): void {
  if (r) throw ApplicationFailure.create({ type: r.type, message: r.message, nonRetryable: true, details: r.details === undefined ? [] : [r.details] });
}

export async function DropshipWorkflow(input: DropshipInput): Promise<DropshipView> {
  // Runs started before this code (or continued from one) finish on the code they started on.
  if (input.resume ? input.resume.version !== 2 : !patched(PHASED_WORKFLOW_PATCH)) return legacyDropshipWorkflow(input);

  const state: DropshipState = initialState(input, createdEvent(input, now()));
  const overdueMs = input.trackingOverdueMs ?? DEFAULT_TRACKING_OVERDUE_MS;
  let confirmPending: Pending<ConfirmRequest> | undefined;
  let cancelPending: Pending<CancelRequest> | undefined;
  const retries: Pending<RetryRequest>[] = [];
  let uploadRetry: Pending<{ requestedBy?: string }> | undefined;
  let checkTrackingNow = false;
  /** What the account's tracking reader found, waiting for the main loop. */
  const found: ShipmentsFound[] = [];
  const submitting = new Set<string>();
  const uploading = new Set<UploadState>();
  let tracking: Promise<void> | undefined;
  let nextPollAt = Date.now() + input.trackingPollIntervalMs;
  let dirty = true;
  /** The live stock check of phase 1; awaited before the run ends so its answer never races the end. */
  let liveCheck: Promise<void> | undefined;

  const event = (type: string, message: string) => {
    state.events.push({ at: now(), type, message });
    if (state.events.length > 200) state.events.splice(1, state.events.length - 200);
    dirty = true;
  };
  const settle = <T>(p: Pending<T>, outcome: { refusal?: Refusal; poNumber?: string }) => {
    p.refusal = outcome.refusal;
    p.answer = { status: dropshipStatus(state), ...(outcome.poNumber ? { poNumber: outcome.poNumber } : {}) };
  };
  const answer = async <T>(p: Pending<T>): Promise<UpdateAnswer> => {
    await condition(() => !!p.answer);
    refuse(p.refusal);
    return p.answer!;
  };

  setHandler(statusQuery, () => dropshipView(input, state));
  setHandler(
    confirmUpdate,
    async (req) => answer((confirmPending = { req })),
    { validator: (req) => refuse(confirmRefusal(state, !!confirmPending, req)) },
  );
  setHandler(
    cancelUpdate,
    async (req) => answer((cancelPending = { req })),
    { validator: (req) => refuse(cancelRefusal(state, !!cancelPending, req)) },
  );
  setHandler(
    retryPurchaseOrderUpdate,
    async (req) => {
      const p: Pending<RetryRequest> = { req };
      retries.push(p);
      return answer(p);
    },
    { validator: (req) => refuse(retryRefusal(state, retries.map((r) => r.req.poNumber), req)) },
  );
  setHandler(
    retryUploadsUpdate,
    async (req) => answer((uploadRetry = { req })),
    {
      validator: (_req) => {
        if (uploadRetry || !state.uploads.some((u) => u.status === 'failed')) refuse({ type: 'Conflict', message: 'No upload of this dropship has failed' });
      },
    },
  );
  setHandler(checkTrackingSignal, () => {
    checkTrackingNow = true;
  });
  setHandler(shipmentsFoundSignal, (f) => {
    found.push(f);
  });

  const hasOpen = () => state.purchaseOrders.some(isOpenPo);
  /** The usual interval, or only the safety net once every open PO is followed by its account's reader. */
  const pollInterval = () =>
    followedByAccount(state.purchaseOrders) ? (input.trackingFallbackIntervalMs ?? DEFAULT_TRACKING_FALLBACK_MS) : input.trackingPollIntervalMs;

  // Search attributes, the Web UI's details and the Postgres mirror follow every change of state.
  let lastAttributes = '';
  let lastMirrored = '';
  /** The state to mirror, with its next version, when it changed since the last mirror; it then counts as mirrored. */
  const nextMirror = (): MirrorInput | undefined => {
    const snapshot = mirrorSnapshot(state);
    const text = JSON.stringify(snapshot);
    if (text === lastMirrored) return undefined;
    lastMirrored = text;
    state.mirrorVersion = (state.mirrorVersion ?? 0) + 1;
    return { tenantId: input.tenantId, pssOrderId: input.pssOrderId, marketplace: input.marketplace, version: state.mirrorVersion, ...snapshot };
  };
  // Runs that carry the mirror in their activities; the API wrote the first one when it set createdAt.
  const mirrorInActivities = patched(MIRROR_IN_ACTIVITIES_PATCH);
  if (mirrorInActivities && input.createdAt && !input.resume) nextMirror();
  /** Hands the pending mirror to an activity that writes Postgres anyway (it writes it first). */
  const carriedMirror = (): { mirror?: MirrorInput } => {
    const mirror = mirrorInActivities ? nextMirror() : undefined;
    return mirror ? { mirror } : {};
  };
  const publish = async () => {
    dirty = false;
    // The Web UI's "current details": metadata answered by a query, so no command and no patch.
    const pollPending = state.phase === 'fulfilling' && hasOpen() && !tracking && !state.outcome;
    setCurrentDetails(dropshipCurrentDetails(input, state, pollPending ? { nextTrackingCheckAt: new Date(nextPollAt).toISOString() } : {}));
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
    const mirror = nextMirror();
    if (mirror) await mirrorDropship(mirror);
  };

  // ---- Phase 1: the dealer confirms (optionally swapping distributors), cancels, or lets it expire.
  if (state.phase === 'awaiting_confirmation') {
    if (patched(LIVE_STOCK_PATCH)) liveCheck = refreshLiveStock();
    await publish();
    const decided = await condition(() => !!confirmPending || !!cancelPending, input.confirmationTimeoutMs);
    if (!decided) {
      state.outcome = 'expired';
      event('expired', 'Nobody confirmed the dropship in time; nothing was ordered.');
    } else if (cancelPending) {
      state.outcome = 'cancelled';
      event('cancelled', `Cancelled before confirmation: ${cancelPending.req.reason}`);
      settle(cancelPending, {});
    } else {
      confirm(confirmPending!.req);
      settle(confirmPending!, {});
    }
  }

  /** Shows each candidate's live stock; the default moves off one that is short. Never after a decision. */
  async function refreshLiveStock() {
    const candidates = state.lines.flatMap((l) =>
      l.candidates.map((c) => ({ distributor: c.distributor, distributorSku: c.distributorSku, warehouses: c.warehouses.map((w) => w.code) })),
    );
    let results;
    try {
      results = await checkLiveStock({ tenantId: input.tenantId, pssOrderId: input.pssOrderId, candidates });
    } catch (err) {
      event('live_stock_unavailable', `Live stock could not be read: ${refusalOf(err).message}`);
      return;
    }
    if (state.phase !== 'awaiting_confirmation' || confirmPending || cancelPending) return;
    const applied = applyLiveStock(state.lines, results);
    state.lines = applied.lines;
    for (const m of applied.moved) event('selection_moved', `Line ${m.lineId}: ${m.from} is out of stock right now; ${m.to} selected instead`);
    event('live_stock_checked', `Live stock checked with ${[...new Set(results.map((r) => r.distributor))].join(', ') || 'no distributor'}`);
    await publish();
  }

  function confirm(req: ConfirmRequest) {
    const swapped = applySwaps(state.lines, req.lines);
    state.lines = swapped.lines;
    state.confirmedBy = req.confirmedBy;
    state.phase = 'fulfilling';
    event('confirmed', `Confirmed by ${req.confirmedBy}`);
    for (const group of groupByDistributor(state.lines)) {
      state.purchaseOrders.push(newPurchaseOrder(group.distributor, group.lines.map((l) => l.lineId), 1));
    }
    upsertSearchAttributes([{ key: SA.marketplace, value: input.marketplace.code }]);
  }

  function newPurchaseOrder(distributor: string, lineIds: string[], attempt: number): PurchaseOrderState {
    const lines = state.lines
      .filter((l) => lineIds.includes(l.lineId))
      .map((l) => {
        const c = l.candidates.find((x) => x.distributor === distributor);
        return { lineId: l.lineId, sku: l.sku, distributorSku: c?.distributorSku ?? l.selected.distributorSku, quantity: l.quantity };
      });
    return {
      poNumber: purchaseOrderNumber(input.tenantId, input.pssOrderId, distributor, attempt),
      distributor,
      attempt,
      lines,
      status: 'pending',
      shippedQuantities: {},
      fate: 'not_placed',
      shipments: [],
    };
  }

  // ---- Phase 2: place each pending PO (concurrently); a refusal parks the PO for a person.
  async function place(po: PurchaseOrderState) {
    submitting.add(po.poNumber);
    po.status = 'submitting';
    po.error = undefined;
    dirty = true;
    try {
      const placed = await placePurchaseOrder({
        tenantId: input.tenantId,
        pssOrderId: input.pssOrderId,
        poNumber: po.poNumber,
        distributor: po.distributor,
        attempt: po.attempt,
        shipTo: input.shipTo,
        lines: po.lines,
        ...(patched(ACCOUNT_TRACKING_PATCH) ? { followAccountEveryMs: input.trackingPollIntervalMs } : {}),
        confirmedAt: state.events.find((e) => e.type === 'confirmed')?.at,
        ...carriedMirror(),
      });
      markPlaced(po, placed.distributorOrderId, placed.cancellable);
      if (placed.trackedByAccount) {
        po.trackedByAccount = true;
        // Its account's reader follows it from now on; this run only keeps the safety net.
        if (!tracking) nextPollAt = Date.now() + pollInterval();
      }
      event(
        'po_submitted',
        placed.alreadyPlaced
          ? `PO ${po.poNumber} was already at ${po.distributor} (order ${placed.distributorOrderId}); not re-sent`
          : `PO ${po.poNumber} placed with ${po.distributor} (order ${placed.distributorOrderId})`,
      );
    } catch (err) {
      const r = refusalOf(err);
      po.status = 'needs_attention';
      po.error = { code: r.code, message: r.message };
      po.fate = r.fate ?? 'unknown';
      event('po_needs_attention', `PO ${po.poNumber}: ${r.message}`);
    } finally {
      submitting.delete(po.poNumber);
    }
  }

  function markPlaced(po: PurchaseOrderState, distributorOrderId: string, cancellable: boolean) {
    po.status = Object.values(po.shippedQuantities).some((q) => q > 0) ? 'partially_shipped' : 'submitted';
    po.fate = 'placed';
    po.distributorOrderId = distributorOrderId;
    po.placedAt = now();
    po.cancellable = cancellable;
    po.error = undefined;
    dirty = true;
    // Its account's reader does not follow it (yet): the next read must not wait for the long safety-net interval.
    if (!po.trackedByAccount && patched(POLL_UNFOLLOWED_PATCH)) nextPollAt = Math.min(nextPollAt, Date.now() + input.trackingPollIntervalMs);
  }

  const startPlacing = () => {
    for (const po of state.purchaseOrders) if (po.status === 'pending' && !submitting.has(po.poNumber)) void place(po);
  };

  /** Asks the distributor whether an order exists under a PO whose fate is unknown; true when it does. */
  async function resolveFate(po: PurchaseOrderState): Promise<boolean> {
    if (po.fate !== 'unknown') return po.fate === 'placed';
    const found = await findPurchaseOrder({ tenantId: input.tenantId, pssOrderId: input.pssOrderId, poNumber: po.poNumber, distributor: po.distributor });
    if (found.exists) {
      markPlaced(po, found.distributorOrderId, found.cancellable);
      event('po_found', `PO ${po.poNumber} exists at ${po.distributor} (order ${found.distributorOrderId})`);
      return true;
    }
    po.fate = 'not_placed';
    return false;
  }

  // ---- Phase 3: follow the shipments; every new tracking number is uploaded at once.
  /** A PO's shipments as its own read or its account's reader found them; a known tracking number is not added twice. */
  function applyShipments(po: PurchaseOrderState, result: Omit<ShipmentsFound, 'poNumber'>) {
    if (!isOpenPo(po)) return; // a person acted meanwhile
    po.shippedQuantities = result.shippedQuantities;
    po.status = poFullyShipped(po) ? 'shipped' : Object.values(po.shippedQuantities).some((q) => q > 0) ? 'partially_shipped' : 'submitted';
    po.shipments ??= [];
    for (const s of result.shipments) {
      if (po.shipments.some((x) => x.trackingNumber === s.trackingNumber)) continue;
      po.shipments.push(s);
      event('shipped', `${po.poNumber}: ${s.carrier} ${s.trackingNumber}`);
      state.uploads.push({ poNumber: po.poNumber, trackingNumber: s.trackingNumber, carrier: s.carrier, status: 'pending', attempts: 0 });
    }
    dirty = true;
  }

  async function pullTracking() {
    for (const po of state.purchaseOrders) {
      if (!isOpenPo(po)) continue;
      let result;
      try {
        result = await readShipments({
          tenantId: input.tenantId,
          pssOrderId: input.pssOrderId,
          poNumber: po.poNumber,
          distributor: po.distributor,
          distributorOrderId: po.distributorOrderId,
          lines: po.lines,
        });
      } catch (err) {
        event('tracking_unavailable', `Could not pull tracking for ${po.poNumber}: ${refusalOf(err).message}`);
        continue;
      }
      applyShipments(po, result);
    }
    for (const po of overduePurchaseOrders(state, Date.now(), overdueMs)) {
      po.status = 'needs_attention';
      po.error = {
        code: 'tracking_overdue',
        message: `${po.distributor} has not shipped PO ${po.poNumber} within ${Math.round(overdueMs / 86_400_000)} days of the order; check with ${po.distributor}, then retry to keep following it or cancel it`,
      };
      event('po_needs_attention', `PO ${po.poNumber}: ${po.error.message}`);
    }
  }

  async function upload(u: UploadState) {
    uploading.add(u);
    const po = state.purchaseOrders.find((p) => p.poNumber === u.poNumber)!;
    const s = po.shipments!.find((x) => x.trackingNumber === u.trackingNumber)!;
    u.attempts = (u.attempts ?? 0) + 1;
    try {
      const r = await uploadTracking({
        tenantId: input.tenantId,
        pssOrderId: input.pssOrderId,
        poNumber: po.poNumber,
        marketplace: input.marketplace.code,
        marketplaceOrderId: input.marketplace.orderId,
        trackingNumber: s.trackingNumber,
        carrier: s.carrier,
        service: s.service,
        shippedAt: s.shippedAt,
        lines: s.lines.map((sl) => ({ marketplaceLineId: state.lines.find((l) => l.lineId === sl.lineId)!.marketplaceLineId, quantity: sl.quantity })),
        ...carriedMirror(),
      });
      Object.assign(u, { status: 'confirmed', outcome: r.outcome, error: undefined, ...(r.fulfillmentId ? { fulfillmentId: r.fulfillmentId } : {}) });
      event('uploaded', `${s.trackingNumber} ${r.outcome === 'already_uploaded' ? 'was already on' : 'uploaded to'} ${input.marketplace.code}`);
    } catch (err) {
      const e = refusalOf(err);
      Object.assign(u, { status: 'failed', error: { code: e.code, message: e.message } });
      event('upload_failed', `${s.trackingNumber} could not be uploaded to ${input.marketplace.code}: ${e.message}`);
    } finally {
      uploading.delete(u);
    }
  }

  const startUploading = () => {
    for (const u of state.uploads) if (u.status === 'pending' && !uploading.has(u)) void upload(u);
  };

  // ---- Requests from people, applied between steps so each sees a settled state.
  async function applyCancel(p: Pending<CancelRequest>) {
    let refusal = cancelRefusal(state, false);
    const active = state.purchaseOrders.filter(isActivePo);
    if (!refusal) {
      for (const po of active) {
        if (po.fate !== 'unknown') continue;
        try {
          if ((await resolveFate(po)) && !po.cancellable) refusal = existsAtDistributor(po);
        } catch (err) {
          refusal = { type: 'Conflict', message: `Could not ask ${po.distributor} whether PO ${po.poNumber} exists (${refusalOf(err).message}); try again` };
        }
      }
    }
    if (refusal) return settle(p, { refusal });
    const placed = active.filter((po) => po.fate === 'placed');
    if (placed.length) {
      state.cancelRequested = p.req;
      const before = new Map(placed.map((po) => [po.poNumber, po.status]));
      for (const po of placed) po.status = 'cancel_requested';
      event('cancel_requested', `Asking ${placed.map((po) => po.distributor).join(', ')} to cancel: ${p.req.reason}`);
      await publish();
      const reasons: string[] = [];
      await Promise.all(
        placed.map(async (po) => {
          const outcome = await cancelPurchaseOrder({
            tenantId: input.tenantId,
            pssOrderId: input.pssOrderId,
            poNumber: po.poNumber,
            distributor: po.distributor,
            distributorOrderId: po.distributorOrderId,
          }).catch((err) => ({ cancelled: false as const, reason: refusalOf(err).message }));
          if (outcome.cancelled) {
            po.status = 'cancelled';
            event('po_cancelled', `${po.distributor} cancelled PO ${po.poNumber}`);
          } else {
            po.status = before.get(po.poNumber)!;
            reasons.push(`${po.distributor} did not cancel PO ${po.poNumber}: ${outcome.reason}`);
          }
        }),
      );
      state.cancelRequested = undefined;
      if (reasons.length) {
        event('cancel_refused', reasons.join('; '));
        return settle(p, { refusal: { type: 'NotCancellable', message: reasons.join('; ') } });
      }
    }
    for (const po of active) if (po.status !== 'cancelled') po.status = 'cancelled';
    state.outcome = 'cancelled';
    event('cancelled', `Cancelled: ${p.req.reason}`);
    settle(p, {});
  }

  async function applyRetry(p: Pending<RetryRequest>) {
    const { req } = p;
    const refusal = retryRefusal(state, [], req);
    if (refusal) return settle(p, { refusal });
    const po = state.purchaseOrders.find((x) => x.poNumber === req.poNumber)!;
    const by = req.requestedBy ? ` (requested by ${req.requestedBy})` : '';
    // A PO a person puts back on track is read by this run until shipped: its account's reader may have ended meanwhile.
    const readByThisRun = () => {
      if (patched(POLL_UNFOLLOWED_PATCH)) po.trackedByAccount = undefined;
    };
    if (req.distributorOrderId) {
      readByThisRun();
      markPlaced(po, req.distributorOrderId, !!po.cancellable);
      event('po_recorded', `PO ${po.poNumber} is order ${req.distributorOrderId} at ${po.distributor}${by}; following it`);
      return settle(p, { poNumber: po.poNumber });
    }
    if (!req.distributor || req.distributor === po.distributor) {
      if (po.fate === 'placed') {
        // tracking_overdue: the order exists; keep following it, with a fresh clock
        readByThisRun();
        markPlaced(po, po.distributorOrderId!, !!po.cancellable);
        event('po_retry', `Following PO ${po.poNumber} again${by}`);
      } else {
        po.status = 'pending';
        event('po_retry', `Retrying PO ${po.poNumber}${by}`);
      }
      return settle(p, { poNumber: po.poNumber });
    }
    try {
      if (await resolveFate(po)) return settle(p, { refusal: existsAtDistributor(po) });
    } catch (err) {
      return settle(p, { refusal: { type: 'Conflict', message: `Could not ask ${po.distributor} whether PO ${po.poNumber} exists (${refusalOf(err).message}); try again` } });
    }
    const lineIds = po.lines.map((l) => l.lineId);
    const replacement = newPurchaseOrder(req.distributor, lineIds, nextAttempt(state.purchaseOrders, req.distributor));
    for (const l of state.lines) {
      if (!lineIds.includes(l.lineId)) continue;
      const c = l.candidates.find((x) => x.distributor === req.distributor)!;
      l.selected = { distributor: c.distributor, distributorSku: c.distributorSku };
    }
    po.status = 'superseded';
    po.supersededBy = replacement.poNumber;
    state.purchaseOrders.push(replacement);
    event('po_swapped', `PO ${po.poNumber} superseded by ${replacement.poNumber} at ${req.distributor}${by}`);
    settle(p, { poNumber: replacement.poNumber });
  }

  function applyUploadRetry(p: Pending<{ requestedBy?: string }>) {
    const failed = state.uploads.filter((u) => u.status === 'failed');
    for (const u of failed) Object.assign(u, { status: 'pending', error: undefined });
    event('upload_retry', `Retrying ${failed.length} upload(s)${p.req.requestedBy ? ` (requested by ${p.req.requestedBy})` : ''}`);
    settle(p, {});
  }

  const finished = () => {
    const active = state.purchaseOrders.filter(isActivePo);
    return active.length > 0 && active.every((p) => p.status === 'shipped') && state.uploads.every((u) => u.status === 'confirmed');
  };
  const idle = () => submitting.size === 0 && uploading.size === 0 && !tracking && !cancelPending && retries.length === 0 && !uploadRetry && found.length === 0;

  // ---- The loop: one step at a time, woken by people, finished work, or the next tracking pull.
  while (state.phase === 'fulfilling' && !state.outcome && !finished()) {
    startPlacing();
    startUploading();
    if (dirty) await publish();
    const pullDue = () => hasOpen() && !tracking && (checkTrackingNow || Date.now() >= nextPollAt);
    const wake = () =>
      dirty ||
      (!!cancelPending && !tracking) ||
      retries.length > 0 ||
      !!uploadRetry ||
      found.length > 0 ||
      pullDue() ||
      (idle() && (finished() || workflowInfo().continueAsNewSuggested));
    if (hasOpen() && !tracking) await condition(wake, Math.max(1, nextPollAt - Date.now()));
    else await condition(wake);

    if (cancelPending && !tracking) {
      await applyCancel(cancelPending);
      cancelPending = undefined;
      continue;
    }
    while (retries.length) await applyRetry(retries.shift()!);
    for (const f of found.splice(0)) {
      const po = state.purchaseOrders.find((p) => p.poNumber === f.poNumber);
      if (po) applyShipments(po, f);
    }
    if (uploadRetry) {
      applyUploadRetry(uploadRetry);
      uploadRetry = undefined;
    }
    if (pullDue()) {
      checkTrackingNow = false;
      tracking = pullTracking().finally(() => {
        tracking = undefined;
        nextPollAt = Date.now() + pollInterval();
        dirty = true;
      });
    }
    if (idle() && workflowInfo().continueAsNewSuggested && !finished()) {
      await liveCheck;
      await publish();
      await condition(allHandlersFinished);
      await continueAsNew<typeof DropshipWorkflow>(carryOver(input, state));
    }
  }

  // ---- Phase 4: finish. A request that arrived as the dropship finished is answered, not left waiting.
  if (!state.outcome) event('finished', 'Every line shipped and every tracking number is on the marketplace');
  state.phase = 'done';
  const late = { type: 'Conflict' as const, message: `The dropship is ${dropshipStatus(state)}` };
  for (const p of [confirmPending, cancelPending, uploadRetry, ...retries] as (Pending<unknown> | undefined)[]) if (p && !p.answer) settle(p, { refusal: late });
  await liveCheck;
  await publish();
  await condition(allHandlersFinished);
  return dropshipView(input, state);
}
