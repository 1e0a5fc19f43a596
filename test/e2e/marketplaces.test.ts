// An order from each marketplace, drop-shipped end to end through the workflow: one line of
// quantity 3 shipped by WPS as 2 + 1 under two tracking numbers, both packages on the marketplace
// once, the dropship completed. Connected with the credentials each marketplace really issues.
import { DEMO_MARKETPLACE_CREDENTIALS, demoDropshipBody, marketplaceOrder, type DemoMarketplace } from '../../src/dev/demo';
import { Stack } from '../support/stack';

jest.setTimeout(180_000);

const stack = new Stack({ trackingPollIntervalMs: 500 });
beforeAll(() => stack.start());
afterAll(() => stack.stop());

let n = Date.now() % 100000;

/** How many packages each simulator holds for the order (one per tracking number uploaded). */
const packages: Record<DemoMarketplace, (order: any) => number> = {
  ebay: (o) => o.fulfillments.length,
  amazon: (o) => o.packages.length,
  walmart: (o) => o.lines.reduce((k: number, l: { shipments: unknown[] }) => k + l.shipments.length, 0),
  shopify: (o) => o.fulfillments.length,
};

/** How each simulator shows that all three units shipped. */
const fullyShipped: Record<DemoMarketplace, (order: any) => boolean> = {
  ebay: (o) => o.orderFulfillmentStatus === 'FULFILLED',
  amazon: (o) => o.orderStatus === 'Shipped' && o.items[0].quantityShipped === 3,
  walmart: (o) => o.lines[0].shippedQuantity === 3,
  shopify: (o) => o.displayFulfillmentStatus === 'FULFILLED',
};

it.each(['amazon', 'walmart', 'shopify', 'ebay'] as DemoMarketplace[])('drop-ships a %s order shipped as 2 + 1, each tracking number uploaded once', async (code) => {
  const { key } = await stack.dealer();
  const connected = await stack.api('PUT', `/v1/connections/marketplaces/${code}`, { ...DEMO_MARKETPLACE_CREDENTIALS[code], baseUrl: stack.sims[code].url }, key);
  expect(connected.status).toBe(200);
  const order = marketplaceOrder(code, ++n, [{ sku: 'HELMET-BELL-QUALIFIER-M', quantity: 3 }]);
  expect((await stack.sim(code, 'POST', '/__control/orders', order.seed)).status).toBeLessThan(300);

  const body = demoDropshipBody(`MKT-${code}-${n}`);
  body.marketplace = { code, orderId: order.orderId };
  body.lines = [{ lineId: 'L1', marketplaceLineId: order.lineIds[0], sku: 'HELMET-BELL-QUALIFIER-M', quantity: 3 }];
  expect((await stack.api('POST', '/v1/dropships', body, key)).status).toBe(201);
  expect((await stack.api('POST', `/v1/dropships/${body.pssOrderId}/confirm`, { confirmedBy: 'mkt' }, key)).status).toBe(202);
  const placed = await stack.waitForDropship(key, body.pssOrderId, (d) => d.status === 'submitted', 'submitted');
  const po = placed.purchaseOrders[0].poNumber;

  const first = `1Z999AA1${code.toUpperCase().slice(0, 3)}${n}1`;
  const second = `1Z999AA1${code.toUpperCase().slice(0, 3)}${n}2`;
  await stack.sim('wps', 'POST', `/__control/orders/${po}/ship`, { carrier: 'UP2D', trackingNumber: first, lines: [{ sku: '72-0500M', quantity: 2 }] });
  const partly = await stack.waitForDropship(key, body.pssOrderId, (d) => d.uploads.some((u: { status: string }) => u.status === 'confirmed'), 'the first package uploaded');
  expect(partly.status).toBe('partially_shipped');
  await stack.sim('wps', 'POST', `/__control/orders/${po}/ship`, { carrier: 'UP2D', trackingNumber: second, lines: [{ sku: '72-0500M', quantity: 1 }] });
  const done = await stack.waitForDropship(key, body.pssOrderId, (d) => d.status === 'completed', 'completed');
  expect(done.uploads.map((u: { trackingNumber: string; status: string }) => [u.trackingNumber, u.status])).toEqual([
    [first, 'confirmed'],
    [second, 'confirmed'],
  ]);

  const atMarketplace = (await stack.sim(code, 'GET', `/__control/orders/${encodeURIComponent(order.orderId)}`)).body;
  expect(fullyShipped[code](atMarketplace)).toBe(true);
  const text = JSON.stringify(atMarketplace);
  expect(text).toContain(first);
  expect(text).toContain(second);
  expect(packages[code](atMarketplace)).toBe(2); // each package once, not twice
  const listed = await stack.api('GET', `/v1/dropships?marketplace=${code}&status=completed`, undefined, key);
  expect(listed.body.items.map((i: { pssOrderId: string }) => i.pssOrderId)).toContain(body.pssOrderId);
});

it('uploads every box of a WPS shipment that lists several tracking numbers on one order entry', async () => {
  const { key } = await stack.dealer();
  const order = marketplaceOrder('ebay', ++n, [{ sku: 'HELMET-BELL-QUALIFIER-M', quantity: 3 }]);
  await stack.sim('ebay', 'POST', '/__control/orders', order.seed);
  const body = demoDropshipBody(`BOXES-${n}`);
  body.marketplace = { code: 'ebay', orderId: order.orderId };
  body.lines = [{ lineId: 'L1', marketplaceLineId: order.lineIds[0], sku: 'HELMET-BELL-QUALIFIER-M', quantity: 3 }];
  expect((await stack.api('POST', '/v1/dropships', body, key)).status).toBe(201);
  await stack.api('POST', `/v1/dropships/${body.pssOrderId}/confirm`, { confirmedBy: 'boxes' }, key);
  const placed = await stack.waitForDropship(key, body.pssOrderId, (d) => d.status === 'submitted', 'submitted');
  const boxes = [`1Z999AA1BOX${n}1`, `1Z999AA1BOX${n}2`, `1Z999AA1BOX${n}3`];
  await stack.sim('wps', 'POST', `/__control/orders/${placed.purchaseOrders[0].poNumber}/ship`, { carrier: 'UP2D', trackingNumber: boxes[0], extraTrackingNumbers: boxes.slice(1) });
  const done = await stack.waitForDropship(key, body.pssOrderId, (d) => d.status === 'completed', 'completed');
  expect(done.uploads.map((u: { trackingNumber: string }) => u.trackingNumber).sort()).toEqual(boxes);
  const atEbay = (await stack.sim('ebay', 'GET', `/__control/orders/${order.orderId}`)).body;
  expect(atEbay.fulfillments.map((f: { shipmentTrackingNumber: string }) => f.shipmentTrackingNumber).sort()).toEqual(boxes);
  expect(atEbay.orderFulfillmentStatus).toBe('FULFILLED');
});
