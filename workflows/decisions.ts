// Pure decision logic: which offers may drop-ship a line, which one is picked, how lines
// group into purchase orders, how PO numbers are made, and what status a dropship is in.
// No I/O and no clock: unit-tested directly and safe inside the workflow sandbox.
import type {
  Candidate,
  CancelRequest,
  ConfirmRequest,
  DropshipEvent,
  DropshipInput,
  DropshipLine,
  DropshipState,
  DropshipStatus,
  DropshipView,
  PurchaseOrderState,
  RetryRequest,
  Selection,
} from './types';

export const MAX_DROPSHIP_LEAD_TIME_DAYS = 1;

/** When landed costs tie: the order dealer platforms use today (Tucker → PU → WPS → Automatic). */
export const DISTRIBUTOR_TIE_BREAK = ['tucker-rocky', 'parts-unlimited', 'wps', 'automatic'];

export interface OfferWarehouse {
  code: string;
  quantity: number;
  leadTimeDays: number;
  excluded: boolean;
  /** Stock at or under this counts as none (the dealer's safety margin). */
  minimumBuffer?: number;
  /** A unit cost under this is not drop-shipped from this warehouse. */
  dropshipCutoffPrice?: number | null;
}

export interface OfferInput {
  distributor: string;
  distributorSku: string;
  unitCost: number;
  dropshipFee: number;
  warehouses: OfferWarehouse[];
}

export function roundCents(n: number): number {
  return Math.round(n * 100) / 100;
}

/**
 * The stock a warehouse may drop-ship at this unit cost under the dealer's rule: none when it is
 * excluded, slower than one day, under the drop-ship price cutoff, or at or under the buffer.
 */
export function usableStock(w: OfferWarehouse, unitCost: number): number {
  if (w.excluded || w.leadTimeDays > MAX_DROPSHIP_LEAD_TIME_DAYS) return 0;
  if (w.dropshipCutoffPrice != null && unitCost < w.dropshipCutoffPrice) return 0;
  if (w.quantity <= (w.minimumBuffer ?? 0)) return 0;
  return w.quantity;
}

/** Stock in the warehouses the dealer's rules let drop-ship this offer. */
export function dropshippableStock(offer: OfferInput): number {
  return offer.warehouses.reduce((sum, w) => sum + usableStock(w, offer.unitCost), 0);
}

function tieRank(distributor: string): number {
  const i = DISTRIBUTOR_TIE_BREAK.indexOf(distributor);
  return i < 0 ? DISTRIBUTOR_TIE_BREAK.length : i;
}

/** Orders candidates best first: lowest landed cost, then the tie-break list, then code and SKU. */
export function compareCandidates(a: Candidate, b: Candidate): number {
  return (
    a.landedCost - b.landedCost ||
    tieRank(a.distributor) - tieRank(b.distributor) ||
    a.distributor.localeCompare(b.distributor) ||
    a.distributorSku.localeCompare(b.distributorSku)
  );
}

/** The offers that can drop-ship `quantity` units, best first. */
export function dropshipCandidates(offers: OfferInput[], quantity: number): Candidate[] {
  return offers
    .filter((o) => dropshippableStock(o) >= quantity)
    .map((o) => ({
      distributor: o.distributor,
      distributorSku: o.distributorSku,
      unitCost: o.unitCost,
      dropshipFee: o.dropshipFee,
      landedCost: roundCents(o.unitCost + o.dropshipFee),
      warehouses: o.warehouses
        .filter((w) => usableStock(w, o.unitCost) > 0)
        .map((w) => ({ code: w.code, quantity: w.quantity, leadTimeDays: w.leadTimeDays })),
    }))
    .sort(compareCandidates);
}

export function defaultSelection(candidates: Candidate[]): Selection | undefined {
  const best = candidates[0];
  return best && { distributor: best.distributor, distributorSku: best.distributorSku };
}

/**
 * Marks each candidate with its live stock and, where the default pick has too little live stock,
 * moves the default to the best candidate that has enough (or, failing that, one not yet known to
 * be short). Candidates keep their cost order.
 */
export function applyLiveStock(
  lines: DropshipLine[],
  results: { distributor: string; distributorSku: string; quantity: number; checkedAt: string }[],
): { lines: DropshipLine[]; moved: { lineId: string; from: string; to: string }[] } {
  const moved: { lineId: string; from: string; to: string }[] = [];
  const out = lines.map((line) => {
    const candidates = line.candidates.map((c) => {
      const r = results.find((x) => x.distributor === c.distributor && x.distributorSku === c.distributorSku);
      return r ? { ...c, liveStock: { quantity: r.quantity, checkedAt: r.checkedAt }, outOfStockLive: r.quantity < line.quantity } : c;
    });
    const current = candidates.find((c) => c.distributor === line.selected.distributor);
    let selected = line.selected;
    if (current?.outOfStockLive) {
      const better = candidates.find((c) => c.liveStock && !c.outOfStockLive) ?? candidates.find((c) => !c.liveStock);
      if (better) {
        selected = { distributor: better.distributor, distributorSku: better.distributorSku };
        moved.push({ lineId: line.lineId, from: line.selected.distributor, to: better.distributor });
      }
    }
    return { ...line, candidates, selected };
  });
  return { lines: out, moved };
}

/**
 * Applies the dealer's swap (lineId → distributor) to the default selection. Returns the
 * lines with their final selection, or the line ids whose chosen distributor has no candidate.
 */
export function applySwaps(
  lines: DropshipLine[],
  swaps: { lineId: string; distributor: string }[] = [],
): { lines: DropshipLine[]; invalid: { lineId: string; distributor: string }[] } {
  const invalid: { lineId: string; distributor: string }[] = [];
  const byLine = new Map(swaps.map((s) => [s.lineId, s.distributor]));
  for (const s of swaps) if (!lines.some((l) => l.lineId === s.lineId)) invalid.push(s);
  const out = lines.map((line) => {
    const wanted = byLine.get(line.lineId);
    if (!wanted) return line;
    const c = line.candidates.find((x) => x.distributor === wanted);
    if (!c) {
      invalid.push({ lineId: line.lineId, distributor: wanted });
      return line;
    }
    return { ...line, selected: { distributor: c.distributor, distributorSku: c.distributorSku } };
  });
  return { lines: out, invalid };
}

/** One purchase order per distributor, in a stable order (by distributor code). */
export function groupByDistributor(lines: DropshipLine[]): { distributor: string; lines: DropshipLine[] }[] {
  const groups = new Map<string, DropshipLine[]>();
  for (const l of lines) {
    const g = groups.get(l.selected.distributor) ?? [];
    g.push(l);
    groups.set(l.selected.distributor, g);
  }
  return [...groups.entries()]
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([distributor, ls]) => ({ distributor, lines: ls }));
}

const DISTRIBUTOR_LETTER: Record<string, string> = {
  wps: 'W',
  'parts-unlimited': 'P',
  'tucker-rocky': 'T',
  automatic: 'A',
};

/** 64-bit FNV-1a, base 36, 11 characters: deterministic and sandbox-safe (no crypto module). */
export function orderKey(tenantId: string, pssOrderId: string): string {
  let h = 0xcbf29ce484222325n;
  const text = `${tenantId}\u0000${pssOrderId}`;
  for (let i = 0; i < text.length; i++) {
    h ^= BigInt(text.charCodeAt(i));
    h = (h * 0x100000001b3n) & 0xffffffffffffffffn;
  }
  return h.toString(36).toUpperCase().padStart(13, '0').slice(-11);
}

/**
 * `DS-<11 chars of hash(tenant, order)>-<distributor letter><attempt>`, e.g. `DS-0K3J9X2M1QZ-W1`:
 * ASCII letters, digits and dashes, at most 20 characters (attempts up to 999), the same on
 * every retry, so a distributor that sees it twice knows it is the same order.
 */
export function purchaseOrderNumber(tenantId: string, pssOrderId: string, distributor: string, attempt: number): string {
  if (!Number.isInteger(attempt) || attempt < 1 || attempt > 999) throw new Error(`attempt out of range: ${attempt}`);
  const letter = DISTRIBUTOR_LETTER[distributor] ?? distributor.charAt(0).toUpperCase();
  return `DS-${orderKey(tenantId, pssOrderId)}-${letter}${attempt}`;
}

export function nextAttempt(purchaseOrders: PurchaseOrderState[], distributor: string): number {
  return purchaseOrders.filter((p) => p.distributor === distributor).reduce((m, p) => Math.max(m, p.attempt), 0) + 1;
}

export function isActivePo(po: PurchaseOrderState): boolean {
  return po.status !== 'superseded' && po.status !== 'cancelled';
}

/** Placed and not fully shipped: a PO whose tracking is still read. */
export function isOpenPo(po: PurchaseOrderState): boolean {
  return po.status === 'submitted' || po.status === 'partially_shipped';
}

/** Every open PO is followed by its account's tracking reader (the dropship reads them only as a safety net). */
export function followedByAccount(purchaseOrders: PurchaseOrderState[]): boolean {
  const open = purchaseOrders.filter(isOpenPo);
  return open.length > 0 && open.every((p) => p.trackedByAccount);
}

export function poFullyShipped(po: PurchaseOrderState): boolean {
  return po.lines.every((l) => (po.shippedQuantities[l.lineId] ?? 0) >= l.quantity);
}

/** The dropship's status as the REST contract defines it, derived from its state. */
export function dropshipStatus(state: DropshipState): DropshipStatus {
  if (state.outcome) return state.outcome;
  if (state.phase === 'awaiting_confirmation') return 'awaiting_confirmation';
  if (state.cancelRequested) return 'cancel_requested';
  const active = state.purchaseOrders.filter(isActivePo);
  if (active.length === 0) return 'submitting';
  if (active.some((p) => p.status === 'needs_attention')) return 'needs_attention';
  if (active.some((p) => p.status === 'pending' || p.status === 'submitting')) return 'submitting';
  const allShipped = active.every(poFullyShipped);
  if (allShipped) {
    if (state.version === 2 && state.uploads.some((u) => u.status === 'failed')) return 'needs_attention';
    return state.uploads.every((u) => u.status === 'confirmed') ? 'completed' : 'shipped';
  }
  const anyShipped = active.some((p) => Object.values(p.shippedQuantities).some((q) => q > 0));
  return anyShipped ? 'partially_shipped' : 'submitted';
}

/** Cancel is allowed before submission starts, or when every active PO waits for a person. */
export function canCancel(state: DropshipState): boolean {
  if (state.outcome || state.phase === 'done') return false;
  if (state.phase === 'awaiting_confirmation') return true;
  const active = state.purchaseOrders.filter(isActivePo);
  return active.length > 0 && active.every((p) => p.status === 'needs_attention');
}

/** What the `status` query answers (and the API returns before the first workflow task). */
export function dropshipView(input: DropshipInput, state: DropshipState): DropshipView {
  return {
    ...state,
    pssOrderId: input.pssOrderId,
    tenantId: input.tenantId,
    status: dropshipStatus(state),
    marketplace: input.marketplace,
    shipTo: input.shipTo,
  };
}

// ---- What the phased workflow decides without I/O: which requests it accepts, and how.

/** Why the workflow refuses a request: an ApplicationFailure type (messages.ts REFUSAL) and a sentence. */
export interface Refusal {
  type: 'Conflict' | 'NotDropshippable' | 'NotCancellable' | 'ExistsAtDistributor';
  message: string;
  details?: unknown;
}

const IN_FLIGHT: PurchaseOrderState['status'][] = ['pending', 'submitting', 'cancel_requested'];

export function confirmRefusal(state: DropshipState, pending: boolean, req: ConfirmRequest): Refusal | undefined {
  const status = dropshipStatus(state);
  if (status !== 'awaiting_confirmation' || pending) {
    return { type: 'Conflict', message: `The dropship is ${pending ? 'already confirmed' : status}, not awaiting confirmation` };
  }
  const problems: { lineId: string; distributor: string; message: string }[] = [];
  for (const s of req.lines ?? []) {
    const line = state.lines.find((l) => l.lineId === s.lineId);
    if (!line) problems.push({ ...s, message: `no line ${s.lineId} in this dropship` });
    else if (!line.candidates.some((c) => c.distributor === s.distributor)) {
      problems.push({ ...s, message: `${s.distributor} has no drop-shippable offer for line ${s.lineId} (${line.sku})` });
    }
  }
  if (problems.length) return { type: 'NotDropshippable', message: problems.map((p) => p.message).join('; '), details: { lines: problems } };
  return undefined;
}

/**
 * Whether a cancel can be tried now. Before confirmation it always can; after, every active PO
 * must be either not placed (waiting for a person) or placed with a distributor whose API can
 * cancel, and nothing may have shipped or be mid-submission.
 */
export function cancelRefusal(state: DropshipState, pending: boolean, _req?: CancelRequest): Refusal | undefined {
  const status = dropshipStatus(state);
  if (state.outcome || state.phase === 'done') return { type: 'Conflict', message: `The dropship is ${status}` };
  if (pending || state.cancelRequested) return { type: 'Conflict', message: 'A cancel of this dropship is already in progress' };
  if (state.phase === 'awaiting_confirmation') return undefined;
  const active = state.purchaseOrders.filter(isActivePo);
  if (active.some((p) => IN_FLIGHT.includes(p.status))) {
    return { type: 'Conflict', message: `The dropship is ${status}: a purchase order is being submitted right now; try again when it settles` };
  }
  const shipped = active.filter((p) => Object.values(p.shippedQuantities).some((q) => q > 0));
  if (shipped.length) {
    return { type: 'NotCancellable', message: `${shipped.map((p) => p.poNumber).join(', ')} already shipped (partly or whole)` };
  }
  const stuck = active.filter((p) => p.fate === 'placed' && !p.cancellable);
  if (stuck.length) {
    return {
      type: 'NotCancellable',
      message: stuck
        .map((p) => `${p.poNumber} is placed with ${p.distributor} (order ${p.distributorOrderId ?? 'unknown'}), whose API cannot cancel it; ask ${p.distributor} to cancel it`)
        .join('; '),
    };
  }
  return undefined;
}

export function retryRefusal(state: DropshipState, pendingPoNumbers: string[], req: RetryRequest): Refusal | undefined {
  const po = state.purchaseOrders.find((p) => p.poNumber === req.poNumber);
  if (!po) return { type: 'Conflict', message: `Purchase order ${req.poNumber} is not part of this dropship` };
  if (po.status !== 'needs_attention' || pendingPoNumbers.includes(po.poNumber) || state.cancelRequested) {
    return { type: 'Conflict', message: `Purchase order ${po.poNumber} is ${pendingPoNumbers.includes(po.poNumber) ? 'already being retried' : po.status}, not needs_attention` };
  }
  if (req.distributorOrderId && req.distributor && req.distributor !== po.distributor) {
    return { type: 'Conflict', message: `An order number is recorded for the PO's own distributor (${po.distributor}); it cannot be moved at the same time` };
  }
  if (req.distributor && req.distributor !== po.distributor) {
    const missing = po.lines.filter((l) => !state.lines.find((x) => x.lineId === l.lineId)?.candidates.some((c) => c.distributor === req.distributor));
    if (missing.length) {
      return {
        type: 'NotDropshippable',
        message: `${req.distributor} has no drop-shippable offer for ${missing.map((m) => `${m.lineId} (${m.sku})`).join(', ')}`,
        details: { lines: missing.map((m) => m.lineId) },
      };
    }
    if (po.fate === 'placed') return existsAtDistributor(po);
  }
  return undefined;
}

export function existsAtDistributor(po: PurchaseOrderState): Refusal {
  return {
    type: 'ExistsAtDistributor',
    message: `Purchase order ${po.poNumber} exists at ${po.distributor} as order ${po.distributorOrderId ?? '(number not given)'}; it cannot be moved or dropped without cancelling it there`,
    details: { poNumber: po.poNumber, distributor: po.distributor, distributorOrderId: po.distributorOrderId },
  };
}

/** Placed POs that have not fully shipped within `overdueMs` of being placed. */
export function overduePurchaseOrders(state: DropshipState, nowMs: number, overdueMs: number): PurchaseOrderState[] {
  return state.purchaseOrders.filter(
    (p) => isOpenPo(p) && p.placedAt && nowMs - Date.parse(p.placedAt) >= overdueMs,
  );
}

/** The input of the next run after continue-as-new: the lines once (current selection), the state without them, recent events. */
export function carryOver(input: DropshipInput, state: DropshipState, keepEvents = 50): DropshipInput {
  const { lines, ...rest } = state;
  const events = state.events.length > keepEvents ? [state.events[0], ...state.events.slice(-(keepEvents - 1))] : state.events;
  return { ...input, lines, resume: { ...rest, lines: [], events } };
}

/** The state a run starts from: fresh, or carried over (lines travel once, in the input). */
/** The dropship's first event; its time is the API's when the API created it. */
export function createdEvent(input: DropshipInput, now: string): DropshipEvent {
  return { at: input.createdAt ?? now, type: 'created', message: `Dropship created for order ${input.pssOrderId}` };
}

/** What Postgres mirrors of a dropship's state (activities/mirror.ts writes it). */
export function mirrorSnapshot(state: DropshipState) {
  return {
    status: dropshipStatus(state),
    confirmedBy: state.confirmedBy,
    selections: state.lines.map((l) => ({ lineId: l.lineId, ...l.selected })),
    purchaseOrders: state.purchaseOrders,
    uploads: state.uploads,
    events: state.events.slice(-50),
  };
}

export function initialState(input: DropshipInput, firstEvent: { at: string; type: string; message: string }): DropshipState {
  if (input.resume) return { ...input.resume, lines: input.lines };
  return { phase: 'awaiting_confirmation', lines: input.lines, purchaseOrders: [], uploads: [], events: [firstEvent], version: 2, mirrorVersion: 0 };
}
