// The workflow's own decisions with mocked activities on the real dev server: expiry, races of
// confirm / cancel / retry, the fate of a PO before a swap or a cancel, cancel at the distributor,
// tracking overdue and continue-as-new. Fast: no distributor, no Postgres, short durations.
// (Temporal's time-skipping test server is a Java binary that cannot be downloaded here, so the
// durations are made short through the workflow's input instead.)
import { randomUUID } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { historyToJSON } from '@temporalio/common/lib/proto-utils';
import { WorkflowUpdateFailedError } from '@temporalio/client';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { DefaultLogger, Runtime, Worker } from '@temporalio/worker';
import type { DropshipActivities } from '../../activities';
import { cancelUpdate, confirmUpdate, retryPurchaseOrderUpdate, statusQuery } from '../../workflows/messages';
import type { DropshipInput, DropshipView } from '../../workflows/types';

jest.setTimeout(60_000);

type Mocks = { [K in keyof DropshipActivities]: jest.Mock };

let env: TestWorkflowEnvironment;
let worker: Worker;
let running: Promise<void>;
const taskQueue = `wf-${randomUUID()}`;
let mocks: Mocks;

function resetMocks(): Mocks {
  return {
    placePurchaseOrder: jest.fn(async (i: { poNumber: string }) => ({ distributorOrderId: `ORD-${i.poNumber}`, alreadyPlaced: false, cancellable: false })),
    findPurchaseOrder: jest.fn(async () => ({ exists: false })),
    readShipments: jest.fn(async () => ({ shipments: [], shippedQuantities: {} })),
    cancelPurchaseOrder: jest.fn(async () => ({ cancelled: true })),
    uploadTracking: jest.fn(async () => ({ outcome: 'uploaded' })),
    mirrorDropship: jest.fn(async () => ({ applied: true })),
    // Every distributor has what the catalog says.
    checkLiveStock: jest.fn(async () => []),
  } as unknown as Mocks;
}

beforeAll(async () => {
  try {
    Runtime.install({ logger: new DefaultLogger('WARN') });
  } catch {
    // installed by another file
  }
  env = await TestWorkflowEnvironment.createFromExistingServer({ address: process.env.TEST_TEMPORAL_ADDRESS });
  mocks = resetMocks();
  // Delegates to whatever the current test put in `mocks`.
  const activities = Object.fromEntries(Object.keys(mocks).map((k) => [k, (...args: unknown[]) => (mocks as any)[k](...args)]));
  worker = await Worker.create({
    connection: env.nativeConnection,
    taskQueue,
    workflowBundle: { codePath: process.env.TEST_WORKFLOW_BUNDLE! },
    activities,
  });
  running = worker.run();
});

afterAll(async () => {
  worker?.shutdown();
  await running;
  await env?.teardown();
});

beforeEach(() => {
  mocks = resetMocks();
});

const candidate = (distributor: string) => ({
  distributor,
  distributorSku: `${distributor}-SKU`,
  unitCost: 10,
  dropshipFee: 0,
  landedCost: 10,
  warehouses: [{ code: 'X', quantity: 5, leadTimeDays: 1 }],
});

function input(over: Partial<DropshipInput> = {}, lines = 1): DropshipInput {
  return {
    tenantId: '00000000-0000-0000-0000-000000000001',
    pssOrderId: `WF-${randomUUID().slice(0, 8)}`,
    marketplace: { code: 'ebay', orderId: '14-00000-00001' },
    shipTo: { name: 'A Buyer', address1: '1 Main St', city: 'Austin', state: 'TX', postalCode: '78701', country: 'US' },
    lines: Array.from({ length: lines }, (_, i) => ({
      lineId: `L${i + 1}`,
      marketplaceLineId: `M${i + 1}`,
      sku: `SKU-${i + 1}`,
      quantity: 1,
      candidates: [candidate('wps'), candidate('automatic')],
      selected: { distributor: 'wps', distributorSku: 'wps-SKU' },
    })),
    confirmationTimeoutMs: 60_000,
    trackingPollIntervalMs: 100,
    ...over,
  };
}

const started: string[] = [];
async function start(i: DropshipInput) {
  const h = await env.client.workflow.start('DropshipWorkflow', { taskQueue, workflowId: `dropship:test:${i.pssOrderId}`, args: [i] });
  started.push(h.workflowId);
  return h;
}

// Each test's mocks serve only its own dropship: stop whatever an earlier test left running.
// RECORD_HISTORIES=<dir> keeps each test's history as a replay fixture (test/replay.test.ts).
afterEach(async () => {
  const dir = process.env.RECORD_HISTORIES;
  if (dir) {
    const name = expect.getState().currentTestName!.replace(/[^a-z0-9]+/gi, '-').toLowerCase().slice(0, 80);
    for (const id of started) writeFileSync(join(dir, `phased-${name}.json`), historyToJSON(await env.client.workflow.getHandle(id).fetchHistory()));
  }
  await Promise.all(started.splice(0).map((id) => env.client.workflow.getHandle(id).terminate('test over').catch(() => undefined)));
});

async function until(h: { query: (q: typeof statusQuery) => Promise<DropshipView> }, pred: (v: DropshipView) => boolean, what: string): Promise<DropshipView> {
  const deadline = Date.now() + 30_000;
  let last: DropshipView | undefined;
  while (Date.now() < deadline) {
    last = await h.query(statusQuery);
    if (pred(last)) return last;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`never reached ${what}: ${JSON.stringify({ status: last?.status, pos: last?.purchaseOrders })}`);
}

/** Settles every promise and says which were refused with which ApplicationFailure type. */
async function outcomes(ps: Promise<unknown>[]) {
  const rs = await Promise.allSettled(ps);
  return rs.map((r) =>
    r.status === 'fulfilled' ? 'ok' : r.reason instanceof WorkflowUpdateFailedError ? ((r.reason.cause as { type?: string })?.type ?? 'failed') : `error: ${r.reason}`,
  );
}

it('expires when nobody confirms in time, ordering nothing', async () => {
  const h = await start(input({ confirmationTimeoutMs: 300 }));
  const result = await h.result();
  expect(result.status).toBe('expired');
  expect(mocks.placePurchaseOrder).not.toHaveBeenCalled();
});

it('accepts one of two confirms sent at once and refuses the other', async () => {
  const h = await start(input());
  const [a, b] = await outcomes([
    h.executeUpdate(confirmUpdate, { args: [{ confirmedBy: 'ann' }] }),
    h.executeUpdate(confirmUpdate, { args: [{ confirmedBy: 'bob' }] }),
  ]);
  expect([a, b].sort()).toEqual(['Conflict', 'ok']);
  await until(h, (v) => v.status === 'submitted', 'submitted');
  expect(mocks.placePurchaseOrder).toHaveBeenCalledTimes(1);
});

it('gives a confirm and a cancel sent at once consistent answers', async () => {
  const h = await start(input());
  const [confirmed, cancelled] = await outcomes([
    h.executeUpdate(confirmUpdate, { args: [{ confirmedBy: 'ann' }] }),
    h.executeUpdate(cancelUpdate, { args: [{ reason: 'buyer changed mind' }] }),
  ]);
  const v = await h.query(statusQuery);
  if (cancelled === 'ok') {
    expect(confirmed).toBe('Conflict');
    expect(v.status).toBe('cancelled');
    expect(mocks.placePurchaseOrder).not.toHaveBeenCalled();
  } else {
    expect(confirmed).toBe('ok');
    expect(['Conflict', 'NotCancellable']).toContain(cancelled);
    expect(v.status).not.toBe('cancelled');
  }
});

it('refuses a swap to a distributor without an offer (NotDropshippable) and leaves the dropship waiting', async () => {
  const h = await start(input());
  const [r] = await outcomes([h.executeUpdate(confirmUpdate, { args: [{ confirmedBy: 'ann', lines: [{ lineId: 'L1', distributor: 'tucker-rocky' }] }] })]);
  expect(r).toBe('NotDropshippable');
  expect((await h.query(statusQuery)).status).toBe('awaiting_confirmation');
  await h.terminate();
});

it('refuses a cancel while a PO is being submitted, then cancels at a distributor that can', async () => {
  let release!: () => void;
  const gate = new Promise<void>((r) => (release = r));
  mocks.placePurchaseOrder.mockImplementation(async (i: { poNumber: string }) => {
    await gate;
    return { distributorOrderId: `ORD-${i.poNumber}`, alreadyPlaced: false, cancellable: true };
  });
  const h = await start(input());
  await h.executeUpdate(confirmUpdate, { args: [{ confirmedBy: 'ann' }] });
  await until(h, (v) => v.purchaseOrders[0]?.status === 'submitting', 'submitting');
  expect(await outcomes([h.executeUpdate(cancelUpdate, { args: [{ reason: 'too early' }] })])).toEqual(['Conflict']);
  release();
  await until(h, (v) => v.status === 'submitted', 'submitted');
  const answer = await h.executeUpdate(cancelUpdate, { args: [{ reason: 'buyer cancelled' }] });
  expect(answer.status).toBe('cancelled');
  expect(mocks.cancelPurchaseOrder).toHaveBeenCalledTimes(1);
  expect((await h.result()).purchaseOrders[0].status).toBe('cancelled');
});

it("answers not_cancellable with the distributor's reason and keeps following the PO", async () => {
  mocks.placePurchaseOrder.mockImplementation(async (i: { poNumber: string }) => ({ distributorOrderId: `ORD-${i.poNumber}`, alreadyPlaced: false, cancellable: true }));
  mocks.cancelPurchaseOrder.mockImplementation(async () => ({ cancelled: false, reason: 'order already picked' }));
  const h = await start(input());
  await h.executeUpdate(confirmUpdate, { args: [{ confirmedBy: 'ann' }] });
  await until(h, (v) => v.status === 'submitted', 'submitted');
  const err = await h.executeUpdate(cancelUpdate, { args: [{ reason: 'x' }] }).catch((e) => e);
  expect(err).toBeInstanceOf(WorkflowUpdateFailedError);
  expect(err.cause.type).toBe('NotCancellable');
  expect(err.cause.message).toContain('order already picked');
  const v = await h.query(statusQuery);
  expect(v.status).toBe('submitted');
  expect(v.purchaseOrders[0].status).toBe('submitted');
  await h.terminate();
});

it("refuses to cancel a PO placed with a distributor whose API cannot cancel, naming the distributor's order", async () => {
  const h = await start(input());
  await h.executeUpdate(confirmUpdate, { args: [{ confirmedBy: 'ann' }] });
  await until(h, (v) => v.status === 'submitted', 'submitted');
  const err = await h.executeUpdate(cancelUpdate, { args: [{ reason: 'x' }] }).catch((e) => e);
  expect(err.cause.type).toBe('NotCancellable');
  expect(err.cause.message).toMatch(/ORD-DS-/);
  expect(mocks.cancelPurchaseOrder).not.toHaveBeenCalled();
  await h.terminate();
});

describe('a PO whose fate is unknown after a long outage', () => {
  const outage = async () => {
    const { ApplicationFailure } = await import('@temporalio/common');
    mocks.placePurchaseOrder.mockImplementation(async () => {
      throw ApplicationFailure.create({ type: 'DistributorRefusal', nonRetryable: true, message: 'gone', details: [{ code: 'upstream_unavailable', message: 'WPS was down', fate: 'unknown' }] });
    });
  };

  it('is looked up before a swap; found at the distributor, the swap is refused and the PO is followed', async () => {
    await outage();
    mocks.findPurchaseOrder.mockImplementation(async () => ({ exists: true, distributorOrderId: 'WPS-777', cancellable: false }));
    const h = await start(input());
    await h.executeUpdate(confirmUpdate, { args: [{ confirmedBy: 'ann' }] });
    const parked = await until(h, (v) => v.status === 'needs_attention', 'needs_attention');
    const po = parked.purchaseOrders[0].poNumber;
    const err = await h.executeUpdate(retryPurchaseOrderUpdate, { args: [{ poNumber: po, distributor: 'automatic' }] }).catch((e) => e);
    expect(err.cause.type).toBe('ExistsAtDistributor');
    expect(err.cause.message).toContain('WPS-777');
    const v = await h.query(statusQuery);
    expect(v.purchaseOrders).toHaveLength(1);
    expect(v.purchaseOrders[0]).toMatchObject({ status: 'submitted', distributorOrderId: 'WPS-777', fate: 'placed' });
    await h.terminate();
  });

  it('is looked up before a cancel; not found, the dropship is cancelled', async () => {
    await outage();
    const h = await start(input());
    await h.executeUpdate(confirmUpdate, { args: [{ confirmedBy: 'ann' }] });
    await until(h, (v) => v.status === 'needs_attention', 'needs_attention');
    const answer = await h.executeUpdate(cancelUpdate, { args: [{ reason: 'give up' }] });
    expect(answer.status).toBe('cancelled');
    expect(mocks.findPurchaseOrder).toHaveBeenCalledTimes(1);
  });

  it('accepts one of two retries sent at once', async () => {
    await outage();
    const h = await start(input());
    await h.executeUpdate(confirmUpdate, { args: [{ confirmedBy: 'ann' }] });
    const parked = await until(h, (v) => v.status === 'needs_attention', 'needs_attention');
    mocks.placePurchaseOrder.mockImplementation(async (i: { poNumber: string }) => ({ distributorOrderId: `ORD-${i.poNumber}`, alreadyPlaced: true, cancellable: false }));
    const po = parked.purchaseOrders[0].poNumber;
    const rs = await outcomes([
      h.executeUpdate(retryPurchaseOrderUpdate, { args: [{ poNumber: po }] }),
      h.executeUpdate(retryPurchaseOrderUpdate, { args: [{ poNumber: po }] }),
    ]);
    expect(rs.sort()).toEqual(['Conflict', 'ok']);
    await until(h, (v) => v.status === 'submitted', 'submitted');
    await h.terminate();
  });
});

it('parks a PO that never ships as tracking_overdue, and a retry follows it again', async () => {
  const h = await start(input({ trackingOverdueMs: 500 }));
  await h.executeUpdate(confirmUpdate, { args: [{ confirmedBy: 'ann' }] });
  const v = await until(h, (x) => x.purchaseOrders[0]?.error?.code === 'tracking_overdue', 'tracking_overdue');
  expect(v.status).toBe('needs_attention');
  const polls = mocks.readShipments.mock.calls.length;
  const answer = await h.executeUpdate(retryPurchaseOrderUpdate, { args: [{ poNumber: v.purchaseOrders[0].poNumber }] });
  expect(answer.status).toBe('submitted');
  await until(h, () => mocks.readShipments.mock.calls.length > polls, 'polling again');
  await h.terminate();
});

it('continues as new during a long tracking wait, carrying the lines once, and completes', async () => {
  const h = await start(input({ trackingPollIntervalMs: 20 }, 3));
  await h.executeUpdate(confirmUpdate, { args: [{ confirmedBy: 'ann' }] });
  const firstRun = (await h.describe()).runId;
  // The test server suggests continue-as-new after 150 events (test/support/global-setup.ts).
  const deadline = Date.now() + 40_000;
  while ((await env.client.workflow.getHandle(h.workflowId).describe()).runId === firstRun) {
    if (Date.now() > deadline) throw new Error('never continued as new');
    await new Promise((r) => setTimeout(r, 100));
  }
  const latest = env.client.workflow.getHandle(h.workflowId);
  const v = await latest.query(statusQuery);
  expect(v.lines).toHaveLength(3);
  expect(v.purchaseOrders[0].status).toBe('submitted');
  mocks.readShipments.mockImplementation(async (i: { lines: { lineId: string; quantity: number }[] }) => ({
    shipments: [{ trackingNumber: '1Z0001', carrier: 'UPS', shippedAt: '2026-11-30T00:00:00.000Z', lines: i.lines.map((l) => ({ lineId: l.lineId, quantity: l.quantity })) }],
    shippedQuantities: Object.fromEntries(i.lines.map((l) => [l.lineId, l.quantity])),
  }));
  const done = await latest.result();
  expect(done.status).toBe('completed');
  expect(mocks.uploadTracking).toHaveBeenCalledTimes(1);
  expect(mocks.placePurchaseOrder).toHaveBeenCalledTimes(1);
});

it("follows a PO once a person records the distributor's order number (a lost answer at a distributor that cannot look POs up)", async () => {
  const { ApplicationFailure } = await import('@temporalio/common');
  mocks.placePurchaseOrder.mockImplementation(async () => {
    throw ApplicationFailure.create({ type: 'DistributorRefusal', nonRetryable: true, message: 'lost', details: [{ code: 'duplicate_po', message: 'Tucker has it; record its number', fate: 'unknown' }] });
  });
  const h = await start(input());
  await h.executeUpdate(confirmUpdate, { args: [{ confirmedBy: 'ann' }] });
  const parked = await until(h, (v) => v.status === 'needs_attention', 'needs_attention');
  const po = parked.purchaseOrders[0].poNumber;
  const moving = await h.executeUpdate(retryPurchaseOrderUpdate, { args: [{ poNumber: po, distributor: 'automatic', distributorOrderId: '1000042' }] }).catch((e) => e);
  expect(moving.cause.type).toBe('Conflict');
  const answer = await h.executeUpdate(retryPurchaseOrderUpdate, { args: [{ poNumber: po, distributorOrderId: '1000042' }] });
  expect(answer).toEqual({ status: 'submitted', poNumber: po });
  await until(h, () => mocks.readShipments.mock.calls.some(([i]) => i.distributorOrderId === '1000042'), 'tracking read with the order number');
  expect(mocks.placePurchaseOrder).toHaveBeenCalledTimes(1);
});

it('mirrors through the activities that write Postgres anyway: versions only grow, and the API wrote the first', async () => {
  mocks.readShipments.mockImplementation(async (i: { lines: { lineId: string; quantity: number }[] }) => ({
    shipments: [{ trackingNumber: '1Z0002', carrier: 'UPS', shippedAt: '2026-11-30T00:00:00.000Z', lines: i.lines.map((l) => ({ lineId: l.lineId, quantity: l.quantity })) }],
    shippedQuantities: Object.fromEntries(i.lines.map((l) => [l.lineId, l.quantity])),
  }));
  const i = input({ createdAt: '2026-11-30T08:00:00.000Z' });
  const h = await start(i);
  await h.executeUpdate(confirmUpdate, { args: [{ confirmedBy: 'ann' }] });
  const done = await h.result();
  expect(done.status).toBe('completed');
  // The created event carries the API's time, as in the first mirror the API wrote (version 1).
  expect(done.events[0]).toMatchObject({ at: '2026-11-30T08:00:00.000Z', type: 'created' });

  const placed = (mocks.placePurchaseOrder as jest.Mock).mock.calls[0][0];
  const uploaded = (mocks.uploadTracking as jest.Mock).mock.calls[0][0];
  // The PO's activity carries the state it was sent from; the upload's, the shipment it uploads.
  expect(placed.mirror).toMatchObject({ status: 'submitting', purchaseOrders: [expect.objectContaining({ status: 'submitting' })] });
  expect(uploaded.mirror).toMatchObject({ uploads: [expect.objectContaining({ trackingNumber: '1Z0002', status: 'pending' })] });
  const local = (mocks.mirrorDropship as jest.Mock).mock.calls.map((c) => c[0]);
  const versions = [...local, placed.mirror, uploaded.mirror].map((m) => m.version).sort((a, b) => a - b);
  // Each state written once, never version 1 again, and the last one is the final state.
  expect(new Set(versions).size).toBe(versions.length);
  expect(versions[0]).toBeGreaterThan(1);
  expect(local.at(-1)).toMatchObject({ status: 'completed', version: Math.max(...versions) });
  // Only states no activity carried go through the local mirror (live stock, when it lands before the confirm; placed; completed).
  expect(local.map((m) => m.status).slice(-2)).toEqual(['submitted', 'completed']);
  expect(local.length).toBeLessThanOrEqual(3);
});

it('reads a recorded PO at the usual interval though its other PO waits on the account reader’s long safety net', async () => {
  const { ApplicationFailure } = await import('@temporalio/common');
  mocks.placePurchaseOrder.mockImplementation(async (i: { poNumber: string; distributor: string }) => {
    if (i.distributor === 'wps') return { distributorOrderId: `ORD-${i.poNumber}`, alreadyPlaced: false, cancellable: false, trackedByAccount: true };
    throw ApplicationFailure.create({ type: 'DistributorRefusal', nonRetryable: true, message: 'lost', details: [{ code: 'timeout', message: 'no answer', fate: 'unknown' }] });
  });
  const i = input({ trackingFallbackIntervalMs: 3_600_000 }, 2);
  i.lines[1].selected = { distributor: 'automatic', distributorSku: 'automatic-SKU' };
  const h = await start(i);
  await h.executeUpdate(confirmUpdate, { args: [{ confirmedBy: 'ann' }] });
  const parked = await until(h, (v) => v.purchaseOrders.some((p) => p.status === 'needs_attention') && v.purchaseOrders.some((p) => p.status === 'submitted'), 'one placed, one parked');
  const po = parked.purchaseOrders.find((p) => p.status === 'needs_attention')!.poNumber;
  await h.executeUpdate(retryPurchaseOrderUpdate, { args: [{ poNumber: po, distributorOrderId: '1000077' }] });
  // Without the fix the next read waited for the hour-long safety net of the WPS PO.
  await until(h, () => mocks.readShipments.mock.calls.some(([r]) => r.distributorOrderId === '1000077'), 'tracking read of the recorded PO');
});
