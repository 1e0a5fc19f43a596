// Tracking read once per dealer account: one reader per account and distributor reads every open
// PO in one call per interval and wakes only the dropships whose shipments changed.
import { demoDropshipBody } from '../../src/dev/demo';
import { accountTrackingWorkflowId, dropshipWorkflowId } from '../../workflows/messages';
import { ebayOrder, Stack } from '../support/stack';

jest.setTimeout(180_000);

const stack = new Stack({ trackingPollIntervalMs: 1000, upstreamTimeoutCapMs: 2500 });
beforeAll(() => stack.start());
afterAll(() => stack.stop());

let seq = 0;
async function startConfirmed(key: string): Promise<{ pssOrderId: string; poNumber: string }> {
  const pssOrderId = `AT-${Date.now()}-${++seq}`;
  const orderId = await ebayOrder(stack, [{ lineItemId: `${pssOrderId}-1`, quantity: 1 }]);
  const body = demoDropshipBody(pssOrderId);
  body.marketplace.orderId = orderId;
  body.lines = [{ lineId: 'L1', marketplaceLineId: `${pssOrderId}-1`, sku: 'HELMET-BELL-QUALIFIER-M', quantity: 1 }];
  expect((await stack.api('POST', '/v1/dropships', body, key)).status).toBe(201);
  expect((await stack.api('POST', `/v1/dropships/${pssOrderId}/confirm`, { confirmedBy: 'tester' }, key)).status).toBe(202);
  const d = await stack.waitForDropship(key, pssOrderId, (x) => x.purchaseOrders[0]?.status === 'submitted', 'a placed PO');
  return { pssOrderId, poNumber: d.purchaseOrders[0].poNumber };
}

async function historyOf(tenantId: string, pssOrderId: string) {
  return (await stack.client.workflow.getHandle(dropshipWorkflowId(tenantId, pssOrderId)).fetchHistory()).events ?? [];
}

it("reads a dealer account's open POs together and wakes only the dropship whose PO shipped", async () => {
  const { key, tenantId } = await stack.dealer();
  const orders: { pssOrderId: string; poNumber: string }[] = [];
  for (let i = 0; i < 3; i++) orders.push(await startConfirmed(key));

  const reader = stack.client.workflow.getHandle(accountTrackingWorkflowId(tenantId, 'wps'));
  expect((await reader.describe()).status.name).toBe('RUNNING');
  const wpsRequests = async () => (await stack.sim('wps', 'GET', '/__control/requests')).body.requests as { method: string; path: string; query: Record<string, string> }[];

  const [shipped, ...waiting] = orders;
  const ship = await stack.sim('wps', 'POST', `/__control/orders/${shipped.poNumber}/ship`, { carrier: 'UP2D', trackingNumber: '1Z999AA10123450001' });
  expect(ship.status).toBeLessThan(300);
  const done = await stack.waitForDropship(key, shipped.pssOrderId, (x) => x.status === 'completed', 'completed');
  expect(done.uploads).toEqual([expect.objectContaining({ trackingNumber: '1Z999AA10123450001', status: 'confirmed' })]);

  // The shipment came from the account's reader: a signal, and no per-PO read by the dropship.
  const events = await historyOf(tenantId, shipped.pssOrderId);
  expect(events.filter((e) => e.workflowExecutionSignaledEventAttributes?.signalName === 'shipmentsFound').length).toBeGreaterThanOrEqual(1);
  expect(events.some((e) => e.activityTaskScheduledEventAttributes?.activityType?.name === 'readShipments')).toBe(false);
  // The others were not woken.
  for (const o of waiting) {
    const h = await historyOf(tenantId, o.pssOrderId);
    expect(h.some((e) => e.workflowExecutionSignaledEventAttributes?.signalName === 'shipmentsFound')).toBe(false);
    expect(h.some((e) => e.activityTaskScheduledEventAttributes?.activityType?.name === 'readShipments')).toBe(false);
  }

  // Each read of the account is one order-list call for all three POs; no PO was read on its own.
  const requests = await wpsRequests();
  const lists = requests.filter((r) => r.method === 'GET' && r.path === '/orders');
  expect(lists.length).toBeGreaterThanOrEqual(1);
  expect(lists.every((r) => r.query.from_date && r.query.to_date)).toBe(true);
  const perPo = requests.filter((r) => r.method === 'GET' && orders.some((o) => r.path === `/orders/${o.poNumber}`));
  expect(perPo).toEqual([]);
  const logged = await stack.sql`SELECT count(*)::int AS n FROM external_calls WHERE tenant_id = ${tenantId} AND operation = 'tracking_account'`;
  expect(logged[0].n).toBe(lists.length);

  // The waiting dropships ship later and are woken then.
  await stack.sim('wps', 'POST', `/__control/orders/${waiting[0].poNumber}/ship`, { carrier: 'UP2D', trackingNumber: '1Z999AA10123450002' });
  await stack.waitForDropship(key, waiting[0].pssOrderId, (x) => x.status === 'completed', 'completed');
  const stillWaiting = await stack.api('GET', `/v1/dropships/${waiting[1].pssOrderId}`, undefined, key);
  expect(stillWaiting.body.status).toBe('submitted');
});
