// Pure decision logic: which offers may drop-ship a line, which one is picked, how lines
// group into purchase orders, how PO numbers are made, and what status a dropship is in.
// No I/O and no clock: unit-tested directly and safe inside the workflow sandbox.
import type {
  Candidate,
  DropshipInput,
  DropshipLine,
  DropshipState,
  DropshipStatus,
  DropshipView,
  PurchaseOrderState,
  Selection,
} from './types';

export const MAX_DROPSHIP_LEAD_TIME_DAYS = 1;

/** When landed costs tie: the order dealer platforms use today (Tucker → PU → WPS → Automatic). */
export const DISTRIBUTOR_TIE_BREAK = ['tucker-rocky', 'parts-unlimited', 'wps', 'automatic'];

export interface OfferInput {
  distributor: string;
  distributorSku: string;
  unitCost: number;
  dropshipFee: number;
  warehouses: { code: string; quantity: number; leadTimeDays: number; excluded: boolean }[];
}

export function roundCents(n: number): number {
  return Math.round(n * 100) / 100;
}

/** Stock in warehouses whose rule gives a lead time of at most one day and that are not excluded. */
export function dropshippableStock(offer: OfferInput): number {
  return offer.warehouses
    .filter((w) => !w.excluded && w.leadTimeDays <= MAX_DROPSHIP_LEAD_TIME_DAYS)
    .reduce((sum, w) => sum + Math.max(0, w.quantity), 0);
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
        .filter((w) => !w.excluded && w.leadTimeDays <= MAX_DROPSHIP_LEAD_TIME_DAYS && w.quantity > 0)
        .map((w) => ({ code: w.code, quantity: w.quantity, leadTimeDays: w.leadTimeDays })),
    }))
    .sort(compareCandidates);
}

export function defaultSelection(candidates: Candidate[]): Selection | undefined {
  const best = candidates[0];
  return best && { distributor: best.distributor, distributorSku: best.distributorSku };
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

export function poFullyShipped(po: PurchaseOrderState): boolean {
  return po.lines.every((l) => (po.shippedQuantities[l.lineId] ?? 0) >= l.quantity);
}

/** The dropship's status as the REST contract defines it, derived from its state. */
export function dropshipStatus(state: DropshipState): DropshipStatus {
  if (state.outcome) return state.outcome;
  if (state.phase === 'awaiting_confirmation') return 'awaiting_confirmation';
  const active = state.purchaseOrders.filter(isActivePo);
  if (active.length === 0) return 'submitting';
  if (active.some((p) => p.status === 'needs_attention')) return 'needs_attention';
  if (active.some((p) => p.status === 'pending' || p.status === 'submitting')) return 'submitting';
  const allShipped = active.every(poFullyShipped);
  if (allShipped) {
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
