import {
  applySwaps,
  carryOver,
  initialState,
  canCancel,
  dropshipCandidates,
  dropshippableStock,
  dropshipStatus,
  groupByDistributor,
  nextAttempt,
  orderKey,
  purchaseOrderNumber,
  type OfferInput,
} from '../../workflows/decisions';
import type { DropshipLine, DropshipState, PurchaseOrderState } from '../../workflows/types';

const wh = (code: string, quantity: number, leadTimeDays = 1, excluded = false) => ({ code, quantity, leadTimeDays, excluded });
const offer = (distributor: string, unitCost: number, dropshipFee: number, warehouses: OfferInput['warehouses']): OfferInput => ({
  distributor,
  distributorSku: `${distributor}-SKU`,
  unitCost,
  dropshipFee,
  warehouses,
});

describe('drop-shippable stock and candidates', () => {
  it('counts only warehouses with lead time ≤ 1 day that are not excluded', () => {
    expect(dropshippableStock(offer('wps', 1, 0, [wh('CA', 3), wh('PA', 5, 3), wh('TX', 4, 0), wh('GA', 7, 1, true)]))).toBe(7);
  });

  it('keeps offers whose fast stock covers the quantity and sorts by landed cost', () => {
    const c = dropshipCandidates(
      [offer('wps', 10, 5, [wh('CA', 2)]), offer('parts-unlimited', 12, 0, [wh('WI', 5)]), offer('automatic', 1, 0, [wh('MAIN', 9, 2)])],
      2,
    );
    expect(c.map((x) => [x.distributor, x.landedCost])).toEqual([
      ['parts-unlimited', 12],
      ['wps', 15],
    ]);
    expect(dropshipCandidates([offer('wps', 10, 5, [wh('CA', 2)])], 3)).toEqual([]);
  });

  it('lists only the fast warehouses that have stock on a candidate', () => {
    const [c] = dropshipCandidates([offer('wps', 10, 0, [wh('CA', 2), wh('PA', 5, 4), wh('TX', 0)])], 1);
    expect(c.warehouses).toEqual([{ code: 'CA', quantity: 2, leadTimeDays: 1 }]);
  });

  it('breaks landed-cost ties Tucker → PU → WPS → Automatic, stably', () => {
    const offers = [offer('automatic', 10, 0, [wh('M', 1)]), offer('wps', 9, 1, [wh('CA', 1)]), offer('tucker-rocky', 10, 0, [wh('TX', 1)]), offer('parts-unlimited', 5, 5, [wh('WI', 1)])];
    expect(dropshipCandidates(offers, 1).map((c) => c.distributor)).toEqual(['tucker-rocky', 'parts-unlimited', 'wps', 'automatic']);
    expect(dropshipCandidates([...offers].reverse(), 1).map((c) => c.distributor)).toEqual(['tucker-rocky', 'parts-unlimited', 'wps', 'automatic']);
  });

  it('rounds landed cost to cents', () => {
    expect(dropshipCandidates([offer('wps', 0.1, 0.2, [wh('CA', 1)])], 1)[0].landedCost).toBe(0.3);
  });
});

const line = (lineId: string, distributors: string[]): DropshipLine => {
  const candidates = distributors.map((d, i) => ({ distributor: d, distributorSku: `${d}-${lineId}`, unitCost: 10 + i, dropshipFee: 0, landedCost: 10 + i, warehouses: [] }));
  return { lineId, marketplaceLineId: `m-${lineId}`, sku: `SKU-${lineId}`, quantity: 1, candidates, selected: { distributor: distributors[0], distributorSku: `${distributors[0]}-${lineId}` } };
};

describe('swaps and grouping', () => {
  it('a swap to a candidate distributor overrides the default; others are reported', () => {
    const r = applySwaps([line('L1', ['wps', 'parts-unlimited']), line('L2', ['wps'])], [
      { lineId: 'L1', distributor: 'parts-unlimited' },
      { lineId: 'L2', distributor: 'automatic' },
      { lineId: 'L9', distributor: 'wps' },
    ]);
    expect(r.lines[0].selected).toEqual({ distributor: 'parts-unlimited', distributorSku: 'parts-unlimited-L1' });
    expect(r.lines[1].selected.distributor).toBe('wps');
    expect(r.invalid).toEqual([
      { lineId: 'L9', distributor: 'wps' },
      { lineId: 'L2', distributor: 'automatic' },
    ]);
  });

  it('groups lines into one PO per distributor, in distributor order', () => {
    const groups = groupByDistributor([line('L1', ['wps']), line('L2', ['automatic']), line('L3', ['wps'])]);
    expect(groups.map((g) => [g.distributor, g.lines.map((l) => l.lineId)])).toEqual([
      ['automatic', ['L2']],
      ['wps', ['L1', 'L3']],
    ]);
  });
});

describe('PO numbers', () => {
  const tenant = '4a3f1c2e-0000-4000-8000-000000000001';
  it('are deterministic, ≤ 20 characters of letters, digits and dashes', () => {
    const po = purchaseOrderNumber(tenant, 'ORDER-1', 'wps', 1);
    expect(po).toBe(purchaseOrderNumber(tenant, 'ORDER-1', 'wps', 1));
    expect(po).toMatch(/^[A-Za-z0-9-]{1,20}$/);
    expect(purchaseOrderNumber(tenant, 'ORDER-1', 'wps', 999).length).toBeLessThanOrEqual(20);
  });
  it('differ by tenant, order, distributor and attempt', () => {
    const all = new Set([
      purchaseOrderNumber(tenant, 'ORDER-1', 'wps', 1),
      purchaseOrderNumber(tenant, 'ORDER-1', 'wps', 2),
      purchaseOrderNumber(tenant, 'ORDER-1', 'tucker-rocky', 1),
      purchaseOrderNumber(tenant, 'ORDER-2', 'wps', 1),
      purchaseOrderNumber('4a3f1c2e-0000-4000-8000-000000000002', 'ORDER-1', 'wps', 1),
    ]);
    expect(all.size).toBe(5);
  });
  it('does not collide across many orders', () => {
    const keys = new Set(Array.from({ length: 20000 }, (_, i) => orderKey(tenant, `ORD-${i}`)));
    expect(keys.size).toBe(20000);
  });
  it('rejects attempts outside 1..999', () => {
    expect(() => purchaseOrderNumber(tenant, 'O', 'wps', 0)).toThrow();
    expect(() => purchaseOrderNumber(tenant, 'O', 'wps', 1000)).toThrow();
  });
  it('next attempt counts per distributor', () => {
    const pos = [{ distributor: 'wps', attempt: 1 }, { distributor: 'wps', attempt: 2 }, { distributor: 'automatic', attempt: 1 }] as PurchaseOrderState[];
    expect(nextAttempt(pos, 'wps')).toBe(3);
    expect(nextAttempt(pos, 'tucker-rocky')).toBe(1);
  });
});

describe('dropship status', () => {
  const po = (status: PurchaseOrderState['status'], shipped: number): PurchaseOrderState => ({
    poNumber: `PO-${status}-${shipped}`,
    distributor: 'wps',
    attempt: 1,
    lines: [{ lineId: 'L1', sku: 'S', distributorSku: 'D', quantity: 2 }],
    status,
    shippedQuantities: { L1: shipped },
  });
  const state = (over: Partial<DropshipState>): DropshipState => ({ phase: 'fulfilling', lines: [], purchaseOrders: [], uploads: [], events: [], ...over });

  it('follows the contract', () => {
    expect(dropshipStatus(state({ phase: 'awaiting_confirmation' }))).toBe('awaiting_confirmation');
    expect(dropshipStatus(state({ outcome: 'expired' }))).toBe('expired');
    expect(dropshipStatus(state({ purchaseOrders: [po('submitting', 0)] }))).toBe('submitting');
    expect(dropshipStatus(state({ purchaseOrders: [po('submitted', 0)] }))).toBe('submitted');
    expect(dropshipStatus(state({ purchaseOrders: [po('partially_shipped', 1)] }))).toBe('partially_shipped');
    expect(dropshipStatus(state({ purchaseOrders: [po('shipped', 2)], uploads: [{ poNumber: 'x', trackingNumber: 't', carrier: 'UPS', status: 'pending' }] }))).toBe('shipped');
    expect(dropshipStatus(state({ purchaseOrders: [po('shipped', 2)], uploads: [{ poNumber: 'x', trackingNumber: 't', carrier: 'UPS', status: 'confirmed' }] }))).toBe('completed');
    expect(dropshipStatus(state({ purchaseOrders: [po('submitted', 0), po('needs_attention', 0)] }))).toBe('needs_attention');
    expect(dropshipStatus(state({ purchaseOrders: [po('superseded', 0), po('submitted', 0)] }))).toBe('submitted');
  });

  it('allows cancel before submission or when every PO waits for a person', () => {
    expect(canCancel(state({ phase: 'awaiting_confirmation' }))).toBe(true);
    expect(canCancel(state({ purchaseOrders: [po('submitted', 0)] }))).toBe(false);
    expect(canCancel(state({ purchaseOrders: [po('needs_attention', 0), po('superseded', 0)] }))).toBe(true);
    expect(canCancel(state({ purchaseOrders: [po('needs_attention', 0), po('submitted', 0)] }))).toBe(false);
    expect(canCancel(state({ phase: 'awaiting_confirmation', outcome: 'cancelled' }))).toBe(false);
  });
});

describe('continue-as-new carries only what the next run needs', () => {
  const warehouses = ['CA', 'GA', 'ID', 'IN', 'PA', 'PA2', 'TX'].map((code) => ({ code, quantity: 25, leadTimeDays: 1 }));
  const distributors = ['wps', 'parts-unlimited', 'tucker-rocky', 'automatic'];
  const lines = Array.from({ length: 100 }, (_, i) => ({
    lineId: `LINE-${i}`,
    marketplaceLineId: `10000000${i}`,
    sku: `SKU-${i}-HELMET-BELL-QUALIFIER`,
    quantity: 3,
    candidates: distributors.map((d) => ({ distributor: d, distributorSku: `${d}-${i}-1401-1193`, unitCost: 129.95, dropshipFee: 5, landedCost: 134.95, warehouses })),
    selected: { distributor: 'wps', distributorSku: `wps-${i}-1401-1193` },
  }));
  const input = {
    tenantId: '00000000-0000-0000-0000-000000000001',
    pssOrderId: 'BIG-1',
    marketplace: { code: 'ebay', orderId: '14-00000-00001' },
    shipTo: { name: 'A Buyer', address1: '1 Main St', city: 'Austin', state: 'TX', postalCode: '78701', country: 'US' },
    lines,
    confirmationTimeoutMs: 1,
    trackingPollIntervalMs: 1,
  };
  const state = initialState(input, { at: '2026-11-30T00:00:00.000Z', type: 'created', message: 'created' });
  state.phase = 'fulfilling';
  for (const d of distributors) {
    state.purchaseOrders.push({
      poNumber: purchaseOrderNumber(input.tenantId, input.pssOrderId, d, 1),
      distributor: d,
      attempt: 1,
      status: 'submitted',
      fate: 'placed',
      shippedQuantities: {},
      shipments: [],
      lines: lines.map((l) => ({ lineId: l.lineId, sku: l.sku, distributorSku: `${d}-x`, quantity: 3 })),
    });
  }
  for (let i = 0; i < 500; i++) state.events.push({ at: '2026-11-30T00:00:00.000Z', type: 'tracking_unavailable', message: `Could not pull tracking for PO number ${i}: timed out` });

  it('carries the lines once, the state without them, and the newest events', () => {
    const next = carryOver(input, state);
    expect(next.lines).toBe(state.lines);
    expect(next.resume!.lines).toEqual([]);
    expect(next.resume!.events).toHaveLength(50);
    expect(next.resume!.events[0].type).toBe('created');
    expect(initialState(next, { at: '', type: 'created', message: '' }).lines).toHaveLength(100);
  });

  it('keeps a 100-line dropship far under Temporal’s 2 MB payload limit', () => {
    const bytes = Buffer.byteLength(JSON.stringify(carryOver(input, state)));
    expect(bytes).toBeLessThan(512 * 1024);
    // the lines are not carried twice
    expect(bytes).toBeLessThan(Buffer.byteLength(JSON.stringify(lines)) * 1.5);
  });
});
