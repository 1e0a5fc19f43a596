// The short chaos run (`npm run chaos` is the long one): a few dropships through the simulators
// with faults injected, while the real worker, API server, Temporal dev server and a Postgres
// cluster of the run's own are each killed once and started again. It starts its own processes;
// the suite's shared Temporal server and database are not used.
import { join } from 'node:path';
import { countDistributors, countUploads, failuresOf, formatReport, markParked } from '../../src/dev/chaos/report';
import type { Snapshot } from '../../src/dev/chaos/sandbox';
import { DEFAULT_CHAOS_OPTIONS, runChaos } from '../../src/dev/chaos/run';
import { RUN_DIR } from '../support/global-setup';

jest.setTimeout(8 * 60_000);

it('loses and duplicates nothing while the worker, the API, Temporal and Postgres are each killed once', async () => {
  const report = await runChaos({
    ...DEFAULT_CHAOS_OPTIONS,
    dropships: 6,
    minutes: 6,
    dealers: 2,
    killRounds: 1,
    stormSeconds: 60,
    faultsPerDropship: 1.5,
    // such a dropship waits for a person by design; here every one must complete by itself
    lostAnswersAtTucker: false,
    // fixed, so the same lines, swaps and partial shipments run every time
    seed: 4242,
    runDir: join(RUN_DIR, 'chaos'),
    log: () => undefined,
  });
  if (report.failures.length || report.dropships.completed !== 6) console.log(formatReport(report));

  expect(report.kills.map((k) => k.process).sort()).toEqual(['api', 'postgres', 'temporal', 'worker']);
  expect(report.faults.injected).toBeGreaterThan(0);
  expect(report.dropships).toEqual({ requested: 6, started: 6, completed: 6, waitingForPerson: 0, stuck: 0, lost: 0, neverAccepted: 0 });
  for (const [code, d] of Object.entries(report.distributors)) {
    expect({ code, orders: d.orders > 0, duplicates: d.duplicates }).toEqual({ code, orders: true, duplicates: [] });
  }
  expect(report.marketplace.ebay.duplicates).toEqual([]);
  expect(report.marketplace.ebay.missing).toEqual([]);
  expect(report.marketplace.ebay.trackingNumbers).toBeGreaterThanOrEqual(6);
  expect(report.failures).toEqual([]);
});

it('counts a PO ordered twice, a tracking number uploaded twice and one never uploaded (on a parked PO) as such', () => {
  const order = (poNumber: string, tracking: string[]) => ({
    poNumber,
    orderId: `O-${poNumber}`,
    lines: [{ sku: 'A', quantity: 1 }],
    shipments: tracking.map((trackingNumber) => ({ trackingNumber, carrier: 'UPS', lines: [{ sku: 'A', quantity: 1 }] })),
  });
  const upload = (t: string) => ({ fulfillmentId: t, shipmentTrackingNumber: t, lineItems: [{ lineItemId: '1', quantity: 1 }] });
  const snapshot: Snapshot = {
    orders: { wps: [order('P1', ['T1']), order('P1', []), order('P2', ['T2'])], automatic: [order('P3', ['T3'])] },
    ebay: [
      { orderId: 'E1', fulfillments: [upload('T1'), upload('T2')] },
      { orderId: 'E2', fulfillments: [upload('T1')] },
    ],
    takenAt: Date.now(),
  };
  const distributors = countDistributors(snapshot);
  expect(distributors.wps).toEqual({ orders: 3, poNumbers: 2, ordersPerPo: { 1: 1, 2: 1 }, duplicates: [{ poNumber: 'P1', orders: 2 }] });
  expect(distributors.automatic.duplicates).toEqual([]);
  const ebay = countUploads(snapshot);
  expect(ebay).toMatchObject({ uploads: 3, trackingNumbers: 2, duplicates: [{ trackingNumber: 'T1', uploads: 2 }] });
  expect(ebay.missing).toEqual([{ trackingNumber: 'T3', distributor: 'automatic', poNumber: 'P3' }]);
  const parked = { pssOrderId: 'D3', tenantId: 't', phase: 'ordered' as const, api: { status: 200 }, inTemporal: true, inPostgres: true };
  markParked(ebay.missing, [{ ...parked, purchaseOrders: [{ poNumber: 'P3', distributor: 'automatic', status: 'needs_attention' }] }]);
  expect(ebay.missing[0].waitsForPerson).toBe(true);
  const dropships = { requested: 1, started: 1, completed: 0, waitingForPerson: 0, stuck: 0, lost: 1, neverAccepted: 0 };
  expect(failuresOf({ dropships, distributors, marketplace: { ebay } })).toEqual([
    '1 dropship(s) lost',
    '1 PO number(s) with more than one order at wps',
    '1 tracking number(s) uploaded more than once to eBay',
  ]);
});
