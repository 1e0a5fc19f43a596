// Fenced sending and the versioned mirror, on the real activities against Postgres and the WPS
// simulator: two attempts of one order never both send, a stale attempt never sends, and an
// older mirror never overwrites a newer one.
import { randomUUID } from 'node:crypto';
import { MockActivityEnvironment } from '@temporalio/testing';
import { createActivities } from '../../activities';
import { purchaseOrderNumber } from '../../workflows/decisions';
import { wpsOrderInput } from '../support/purchase-orders';
import { Stack, TEST_KEYS } from '../support/stack';

jest.setTimeout(120_000);

const stack = new Stack({ noWorker: true });
let tenantId: string;
beforeAll(async () => {
  await stack.start();
  ({ tenantId } = await stack.dealer({ connect: ['wps'] }));
});
afterAll(() => stack.stop());
afterEach(() => stack.sim('wps', 'POST', '/__control/reset').then(() => stack.reseedSimulators()));

const order = () => wpsOrderInput(tenantId, 'FENCE');

/** One activity attempt, as Temporal would run it. */
function attempt(n: number, poNumber: string) {
  return new MockActivityEnvironment({
    attempt: n,
    activityId: '1',
    workflowExecution: { workflowId: `dropship:test:${poNumber}`, runId: 'run-1' },
  } as never);
}

async function until<T>(what: string, fn: () => Promise<T | undefined | false>): Promise<T> {
  const deadline = Date.now() + 30_000;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

const failureType = (p: Promise<unknown>) => p.then(() => 'ok', (e) => (e as { type?: string }).type ?? String(e));

it('lets only one of two overlapping attempts send: the second waits for the lease instead of sending again', async () => {
  const activities = createActivities({ sql: stack.sql, credentialKeys: TEST_KEYS });
  const o = order();
  // WPS takes its time to commit: the first attempt is mid-send when Temporal starts the retry.
  await stack.sim('wps', 'POST', '/__control/faults', { type: 'slow', method: 'POST', pathPrefix: '/orders', delayMs: 1500 });
  const first = attempt(1, o.poNumber).run(activities.placePurchaseOrder, o);
  await until('the first attempt to mark its send', async () => (await stack.sql`SELECT 1 FROM purchase_orders WHERE po_number = ${o.poNumber} AND submit_started_at IS NOT NULL`).length > 0);
  const second = await failureType(attempt(2, o.poNumber).run(activities.placePurchaseOrder, o));
  expect(second).toBe('SendInProgress');
  expect(await first).toMatchObject({ alreadyPlaced: false });
  expect(await stack.simOrders('wps', o.poNumber)).toHaveLength(1);
  // The next attempt, once the lease is free, finds the order instead of sending it again.
  expect(await attempt(3, o.poNumber).run(activities.placePurchaseOrder, o)).toMatchObject({ alreadyPlaced: true });
  expect(await stack.simOrders('wps', o.poNumber)).toHaveLength(1);
});

it('fences a stale attempt: once its lease lapsed and another took over, it never sends', async () => {
  const activities = createActivities({ sql: stack.sql, credentialKeys: TEST_KEYS });
  const o = order();
  // The first attempt stalls before sending (its live stock check is slow) ...
  await stack.sim('wps', 'POST', '/__control/faults', { type: 'slow', method: 'GET', pathPrefix: '/items', delayMs: 2000 });
  const first = failureType(attempt(1, o.poNumber).run(activities.placePurchaseOrder, o));
  await until('the first attempt to hold the lease', async () => (await stack.sql`SELECT 1 FROM purchase_orders WHERE po_number = ${o.poNumber} AND send_token IS NOT NULL`).length > 0);
  // ... long enough for its lease to lapse (a stalled process), and a newer attempt takes over and sends.
  await stack.sql`UPDATE purchase_orders SET send_lease_until = now() - interval '1 second' WHERE po_number = ${o.poNumber}`;
  expect(await attempt(2, o.poNumber).run(activities.placePurchaseOrder, o)).toMatchObject({ alreadyPlaced: false });
  expect(await first).toBe('SendInProgress');
  expect(await stack.simOrders('wps', o.poNumber)).toHaveLength(1);
  const outcomes = (await stack.sql`SELECT outcome FROM purchase_order_attempts WHERE po_number = ${o.poNumber} ORDER BY id`).map((r) => r.outcome);
  expect(outcomes).toEqual(expect.arrayContaining(['placed', 'fenced']));
});

it('never lets an older mirror overwrite a newer one', async () => {
  const activities = createActivities({ sql: stack.sql, credentialKeys: TEST_KEYS });
  const pssOrderId = `MIRROR-${randomUUID().slice(0, 8)}`;
  await stack.sql`INSERT INTO dropships (tenant_id, pss_order_id, workflow_id, request, request_hash, status)
                  VALUES (${tenantId}, ${pssOrderId}, ${`dropship:${tenantId}:${pssOrderId}`}, '{}', 'h', 'awaiting_confirmation')`;
  const po = (status: 'submitted' | 'shipped') => ({
    poNumber: purchaseOrderNumber(tenantId, pssOrderId, 'wps', 1),
    distributor: 'wps',
    attempt: 1,
    status,
    shippedQuantities: { L1: status === 'shipped' ? 1 : 0 },
    lines: [{ lineId: 'L1', sku: 'S', distributorSku: 'D', quantity: 1 }],
  });
  const mirror = (version: number, status: 'submitted' | 'shipped') =>
    new MockActivityEnvironment().run(activities.mirrorDropship, {
      tenantId,
      pssOrderId,
      marketplace: { code: 'ebay', orderId: '14-1' },
      version,
      status: (status === 'shipped' ? 'completed' : 'submitted') as 'completed' | 'submitted',
      selections: [],
      purchaseOrders: [po(status)],
      uploads: [],
      events: [],
    });
  expect(await mirror(2, 'shipped')).toEqual({ applied: true });
  expect(await mirror(1, 'submitted')).toEqual({ applied: false });
  expect(await mirror(2, 'submitted')).toEqual({ applied: false });
  const [d] = await stack.sql`SELECT status, mirror_version FROM dropships WHERE tenant_id = ${tenantId} AND pss_order_id = ${pssOrderId}`;
  expect(d).toMatchObject({ status: 'completed', mirror_version: '2' });
  const [p] = await stack.sql`SELECT status, shipped FROM purchase_orders WHERE po_number = ${po('shipped').poNumber}`;
  expect(p).toMatchObject({ status: 'shipped', shipped: true });
});
