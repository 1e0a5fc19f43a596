import { initialState } from '../../workflows/decisions';
import { dropshipCurrentDetails, dropshipDetails, dropshipSummary, feedRunCurrentDetails, feedRunSummary, waitingFor } from '../../workflows/summaries';
import type { DropshipInput, DropshipState, PurchaseOrderState } from '../../workflows/types';

const input: DropshipInput = {
  tenantId: 'tn_1',
  pssOrderId: '1001',
  marketplace: { code: 'ebay', orderId: '12-34567-89012' },
  shipTo: { name: 'Pat Rider', address1: '12 Main St', city: 'Austin', state: 'TX', postalCode: '78701', country: 'US' },
  lines: [
    {
      lineId: 'L1',
      marketplaceLineId: 'M1',
      sku: 'HELMET-M',
      quantity: 2,
      candidates: [{ distributor: 'wps', distributorSku: '72-0500M', unitCost: 80, dropshipFee: 5, landedCost: 85, warehouses: [] }],
      selected: { distributor: 'wps', distributorSku: '72-0500M' },
    },
  ],
  confirmationTimeoutMs: 60_000,
  trackingPollIntervalMs: 60_000,
};

const po = (over: Partial<PurchaseOrderState>): PurchaseOrderState => ({
  poNumber: 'DS-1-W1',
  distributor: 'wps',
  attempt: 1,
  lines: [{ lineId: 'L1', sku: 'HELMET-M', distributorSku: '72-0500M', quantity: 2 }],
  status: 'submitted',
  shippedQuantities: {},
  ...over,
});

const fulfilling = (over: Partial<DropshipState>): DropshipState => ({
  ...initialState(input, { at: '2026-11-30T10:00:00.000Z', type: 'created', message: 'Dropship created for order 1001' }),
  phase: 'fulfilling',
  ...over,
});

describe('what the Temporal Web UI shows for a dropship', () => {
  it('summarises the order in one line and lists its lines, with the city but not the street or name', () => {
    expect(dropshipSummary(input)).toBe('Order 1001 · ebay · 1 line · to Austin, TX US');
    const details = dropshipDetails(input);
    expect(details).toContain('- HELMET-M × 2: default wps 72-0500M (1 candidate)');
    expect(details).toContain('Austin, TX US 78701');
    expect(details).not.toMatch(/Main St|Pat Rider/);
    expect(dropshipSummary({ ...input, pssOrderId: 'X'.repeat(300) })).toHaveLength(200);
  });

  it('says what the dropship waits for at each step', () => {
    const awaiting = initialState(input, { at: '2026-11-30T10:00:00.000Z', type: 'created', message: 'created' });
    expect(waitingFor(input, awaiting)).toMatch(/^the dealer to confirm/);
    expect(waitingFor(input, fulfilling({ purchaseOrders: [po({ status: 'submitting' })] }))).toBe('the distributors to acknowledge DS-1-W1 (wps)');
    expect(waitingFor(input, fulfilling({ purchaseOrders: [po({})] }), { nextTrackingCheckAt: '2026-11-30T10:05:00.000Z' })).toBe(
      'wps to ship DS-1-W1 (next tracking check 2026-11-30T10:05:00.000Z)',
    );
    expect(waitingFor(input, fulfilling({ purchaseOrders: [po({ trackedByAccount: true })] }), { nextTrackingCheckAt: '2026-11-30T16:00:00.000Z' })).toBe(
      "wps to ship DS-1-W1 (read with the dealer's account every interval)",
    );
    const refused = po({ status: 'needs_attention', error: { code: 'tax_id_required', message: 'WPS needs a Tax ID' } });
    expect(waitingFor(input, fulfilling({ purchaseOrders: [refused] }))).toBe('a person: DS-1-W1 (wps) tax_id_required (retry or cancel)');
    const shipped = po({ status: 'shipped', shippedQuantities: { L1: 2 } });
    const failedUpload = { poNumber: 'DS-1-W1', trackingNumber: '1Z', carrier: 'UPS', status: 'failed' as const };
    expect(waitingFor(input, fulfilling({ purchaseOrders: [shipped], uploads: [failedUpload] }))).toBe('a person: 1 tracking upload to ebay failed (retry uploads)');
    expect(waitingFor(input, fulfilling({ purchaseOrders: [shipped], uploads: [{ ...failedUpload, status: 'pending' }] }))).toBe('tracking to be uploaded to ebay');
    expect(waitingFor(input, fulfilling({ outcome: 'cancelled' }))).toBe('nothing: the dropship is cancelled');
  });

  it('lists the purchase orders with their distributors and the uploads so far', () => {
    const state = fulfilling({
      purchaseOrders: [po({ status: 'shipped', distributorOrderId: 'W-77', shippedQuantities: { L1: 2 }, shipments: [] }), po({ poNumber: 'DS-1-W2', status: 'superseded' })],
      uploads: [{ poNumber: 'DS-1-W1', trackingNumber: '1Z', carrier: 'UPS', status: 'confirmed' }],
    });
    const text = dropshipCurrentDetails(input, state);
    expect(text.split('\n')).toEqual([
      '**Status** completed',
      '**Waiting for** nothing: every line shipped and every tracking number is on the marketplace',
      '**Purchase orders**',
      '- DS-1-W1 · wps · shipped, distributor order W-77',
      '- DS-1-W2 · wps · superseded',
      '**Tracking on ebay** 1 of 1 number uploaded',
      '**Last event** Dropship created for order 1001',
    ]);
  });
});

describe('what the Temporal Web UI shows for a feed run', () => {
  it('names the feed and counts its progress', () => {
    expect(feedRunSummary({ tenantId: 'tn_1', distributor: 'wps', trigger: 'schedule' })).toBe('Feed import · wps · dealer tn_1 · schedule');
    expect(feedRunCurrentDetails({ runId: 'r', distributor: 'wps', status: 'running', rowsRead: 1 })).toBe('**Status** running\n**Progress** 1 row read');
    expect(feedRunCurrentDetails({ runId: 'r', distributor: 'wps', status: 'failed', rowsRead: 10, itemsChanged: 0, badRows: 2, message: 'boom' })).toBe(
      '**Status** failed\n**Progress** 10 rows read, 0 items changed, 2 bad rows\n**Message** boom',
    );
  });
});
