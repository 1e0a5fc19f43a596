// findOrders: tracking for many POs in as few upstream calls as each distributor allows, with the
// same FoundOrder its findOrder gives, against each simulator over HTTP.
import { createAutomaticAdapter, type AutomaticAdapterOptions } from '../../src/distributors/automatic';
import { createPartsUnlimitedAdapter, type PartsUnlimitedAdapterOptions } from '../../src/distributors/parts-unlimited';
import { createTuckerRockyAdapter, type TuckerRockyOptions } from '../../src/distributors/tucker-rocky';
import type { DistributorAdapter, OrderToRead, PurchaseOrderRequest } from '../../src/distributors/types';
import { createWpsAdapter } from '../../src/distributors/wps';
import { createHttpClientFactory } from '../../src/http';
import { createAutomaticSimulator } from '../../src/simulators/automatic';
import type { SimulatorHarness } from '../../src/simulators/harness';
import { createPartsUnlimitedSimulator } from '../../src/simulators/parts-unlimited';
import { createTuckerRockySimulator } from '../../src/simulators/tucker-rocky';
import { createWpsSimulator } from '../../src/simulators/wps';
import { control, expectRefusal } from '../support/adapter-helpers';

const DAY = 86_400_000;
const http = createHttpClientFactory();

function order(po: string, sku: string, quantity = 1): PurchaseOrderRequest {
  return {
    poNumber: po,
    shipTo: { name: 'Jane Rider', address1: '12 Main St', city: 'Boise', state: 'ID', postalCode: '83702', country: 'US', phone: '2085551234' },
    lines: [{ lineId: 'l1', distributorSku: sku, quantity }],
  };
}

/** The simulator's API requests since the last reset (control routes excluded). */
function apiCalls(h: SimulatorHarness): { path: string; query: Record<string, string | string[]> }[] {
  return h.requests.filter((r) => !r.path.startsWith('/__control'));
}

/** Places each PO, ships those in `ship`, and returns what findOrders is asked with. */
async function placeAndShip(a: DistributorAdapter, url: string, pos: string[], sku: string, ship: string[]): Promise<OrderToRead[]> {
  const placedAt = new Date().toISOString();
  const out: OrderToRead[] = [];
  for (const po of pos) out.push({ poNumber: po, distributorOrderId: (await a.placeOrder(order(po, sku))).distributorOrderId, placedAt });
  for (const po of ship) expect((await control(url, `/__control/orders/${po}/ship`, {})).status).toBe(200);
  return out;
}

/** findOrders agrees with findOrder on every PO it answers, and answers exactly `present`. */
async function expectSameAsFindOrder(a: DistributorAdapter, asked: OrderToRead[], found: Map<string, unknown>, present: string[]): Promise<void> {
  expect([...found.keys()].sort()).toEqual([...present].sort());
  for (const o of asked.filter((x) => present.includes(x.poNumber))) {
    expect(found.get(o.poNumber)).toEqual(await a.findOrder(o.poNumber, { distributorOrderId: o.distributorOrderId }));
  }
}

describe('WPS: one GET /orders?from_date&to_date for every PO', () => {
  const TOKEN = 'wpsBulkTok3n000000000000000000000000001';
  const sim = createWpsSimulator();
  let url: string;
  const adapter = () => createWpsAdapter({ apiToken: TOKEN }, { baseUrl: url, http }, { rateLimitPerSecond: 0 });

  beforeAll(async () => {
    url = await sim.listen(0);
  });
  afterAll(() => sim.close());
  beforeEach(async () => {
    await control(url, '/__control/reset', {});
    expect((await control(url, '/__control/accounts', { credentials: { apiToken: TOKEN } })).status).toBe(200);
    sim.putItem('87-9001', { status: 'STK', price: 12.5, warehouses: { CA: 25 } });
  });

  test('shipped POs carry shipments, unshipped ones none, unknown ones are absent', async () => {
    const a = adapter();
    expect(a.maxOrdersPerRead).toBeUndefined();
    const asked = await placeAndShip(a, url, ['BW-1', 'BW-2', 'BW-3'], '87-9001', ['BW-1', 'BW-3']);
    const earlier = new Date(Date.parse(asked[0].placedAt) - 2 * DAY).toISOString();
    asked.push({ poNumber: 'BW-NONE', placedAt: earlier });
    sim.harness.requests.length = 0;

    const found = await a.findOrders!(asked);

    const calls = apiCalls(sim.harness);
    expect(calls.map((c) => c.path)).toEqual(['/orders']);
    // a day before the earliest placedAt (time zones)
    expect(calls[0].query.from_date).toBe(new Date(Date.parse(earlier) - DAY).toISOString().slice(0, 10).replace(/-/g, ''));
    expect(Number(calls[0].query.to_date)).toBeGreaterThan(Number(calls[0].query.from_date));
    expect(found.get('BW-1')!.shipments).toHaveLength(1);
    expect(found.get('BW-2')).toMatchObject({ status: 'OPEN', shipments: [] });
    await expectSameAsFindOrder(a, asked, found, ['BW-1', 'BW-2', 'BW-3']);
  });

  test('nothing asked, nothing sent; a failed list read throws as findOrder would', async () => {
    expect((await adapter().findOrders!([])).size).toBe(0);
    expect(apiCalls(sim.harness)).toHaveLength(0);
    sim.harness.addFault({ type: 'status', status: 503, method: 'GET', pathPrefix: '/orders' });
    await expectRefusal(adapter().findOrders!([{ poNumber: 'BW-1', placedAt: new Date().toISOString() }]), 'transient', 'upstream_unavailable', [TOKEN]);
  });
});

describe('Parts Unlimited: every page of the drop-ship order list, once', () => {
  const CREDS = { dealerNumber: '778899', apiKey: 'BULKKEY-GHIJKL2-MNOPQR3-STUVWX4' };
  const sim = createPartsUnlimitedSimulator();
  let url: string;
  const adapter = (o: PartsUnlimitedAdapterOptions = {}) => createPartsUnlimitedAdapter(CREDS, { baseUrl: url, http }, { requestsPerSecond: 0, ...o });

  beforeAll(async () => {
    url = await sim.listen(0);
  });
  afterAll(() => sim.close());
  beforeEach(async () => {
    await control(url, '/__control/reset', {});
    expect((await control(url, '/__control/accounts', { credentials: CREDS })).status).toBe(200);
    await control(url, '/__control/config', { pageSize: 10 });
    sim.upsertItem('1401-1193', { price: 12.5, warehouses: { WI: 50 } });
  });

  test('12 orders over two pages: two calls, shipped, unshipped and unknown POs', async () => {
    const a = adapter();
    const pos = Array.from({ length: 12 }, (_, i) => `BP-${i + 1}`);
    const asked = await placeAndShip(a, url, pos, '1401-1193', ['BP-2', 'BP-11']);
    asked.push({ poNumber: 'BP-NONE', placedAt: asked[0].placedAt });
    sim.harness.requests.length = 0;

    const found = await a.findOrders!(asked);

    const calls = apiCalls(sim.harness);
    expect(calls.map((c) => [c.path, c.query.page_num])).toEqual([
      ['/api/orders/dropship', '1'],
      ['/api/orders/dropship', '2'],
    ]);
    expect(found.get('BP-2')!.shipments).toHaveLength(1);
    expect(found.get('BP-11')!.shipments).toHaveLength(1);
    expect(found.get('BP-1')).toMatchObject({ shipments: [] });
    await expectSameAsFindOrder(a, asked, found, pos);
  });

  test('v2 parameter names; the page cap leaves later POs absent instead of failing', async () => {
    const a = adapter({ orderApiVersion: 'v2', maxListPages: 1 });
    const pos = Array.from({ length: 11 }, (_, i) => `BV-${i + 1}`);
    const asked = await placeAndShip(a, url, pos, '1401-1193', []);
    sim.harness.requests.length = 0;

    const found = await a.findOrders!(asked);

    const calls = apiCalls(sim.harness);
    expect(calls).toHaveLength(1);
    expect(calls[0].path).toBe('/api/v2/orders/dropship');
    expect(Object.keys(calls[0].query).sort()).toEqual(['order_date_end', 'order_date_start', 'page_num']);
    expect(found.size).toBe(10);
    expect(found.has('BV-11')).toBe(false);
  });
});

describe('Tucker: type=SHP with repeated ordernum, batched', () => {
  const CUST = '104455';
  const KEY = 'BULKEFGHIJKLMNOPQRSTUVWXYZ12';
  const sim = createTuckerRockySimulator();
  let url: string;
  const adapter = (o: TuckerRockyOptions = {}) => createTuckerRockyAdapter({ customerNumber: CUST, apiKey: KEY }, { baseUrl: url, http }, { rateLimitPerSecond: 0, ...o });
  const shpCalls = () => apiCalls(sim.harness).filter((c) => c.query.type === 'SHP');

  beforeAll(async () => {
    url = await sim.listen(0);
  });
  afterAll(() => sim.close());
  beforeEach(async () => {
    await control(url, '/__control/reset', {});
    await control(url, '/__control/config', { unknownOrderInShp: 'entry-error' });
    await control(url, '/__control/accounts', { credentials: { customerNumber: CUST, apiKey: KEY } });
    sim.upsertItem('373843', { price: 80.19, warehouses: { TX: 30 } });
  });

  test('one call for every numbered PO; no number or an unknown number → absent', async () => {
    const a = adapter();
    expect(a.maxOrdersPerRead).toBe(50);
    const asked = await placeAndShip(a, url, ['BT-1', 'BT-2', 'BT-3'], '373843', ['BT-1', 'BT-2']);
    asked.push({ poNumber: 'BT-NONUM', placedAt: asked[0].placedAt }, { poNumber: 'BT-GONE', distributorOrderId: '99999999', placedAt: asked[0].placedAt });
    sim.harness.requests.length = 0;

    const found = await a.findOrders!(asked);

    expect(apiCalls(sim.harness)).toHaveLength(1);
    expect(shpCalls()[0].query.ordernum).toEqual([...asked.slice(0, 3).map((o) => o.distributorOrderId), '99999999']);
    expect(found.get('BT-1')!.shipments).toHaveLength(1);
    expect(found.get('BT-3')).toMatchObject({ distributorOrderId: asked[2].distributorOrderId, shipments: [] });
    await expectSameAsFindOrder(a, asked, found, ['BT-1', 'BT-2', 'BT-3']);
  });

  test('more POs than maxOrdersPerShp: one call per batch, same answers', async () => {
    const a = adapter({ maxOrdersPerShp: 2 });
    expect(a.maxOrdersPerRead).toBe(2);
    const pos = ['BB-1', 'BB-2', 'BB-3', 'BB-4', 'BB-5'];
    const asked = await placeAndShip(a, url, pos, '373843', ['BB-2', 'BB-5']);
    sim.harness.requests.length = 0;

    const found = await a.findOrders!(asked);

    expect(shpCalls().map((c) => c.query.ordernum)).toEqual([
      [asked[0].distributorOrderId, asked[1].distributorOrderId],
      [asked[2].distributorOrderId, asked[3].distributorOrderId],
      asked[4].distributorOrderId,
    ]);
    expect(found.get('BB-5')!.shipments).toHaveLength(1);
    await expectSameAsFindOrder(a, asked, found, pos);
  });

  test('an entry naming no ordernum counts only when the call asked about one order', async () => {
    const line = { itemnum: '373843', qty: 1, shipdate: '05/06/2024', trackingnumbers: [{ carrier: 'UPS', trackingnum: '1Z999AA10123456784' }] };
    const answer = { SHP: { status: 'SUCCESSFUL', errormsg: '', shipment: [{ shipmentline: [line] }] } };
    const at = new Date().toISOString();
    sim.harness.addFault({ type: 'status', status: 200, body: answer, times: 2 });
    const two = await adapter().findOrders!([
      { poNumber: 'U-1', distributorOrderId: '501', placedAt: at },
      { poNumber: 'U-2', distributorOrderId: '502', placedAt: at },
    ]);
    expect(two.size).toBe(0);
    const one = await adapter().findOrders!([{ poNumber: 'U-1', distributorOrderId: '501', placedAt: at }]);
    expect(one.get('U-1')!.shipments.map((x) => x.trackingNumber)).toEqual(['1Z999AA10123456784']);
  });
});

describe('Automatic: GET /order/find?purchaseNumbers=…, batched', () => {
  const TOKEN = 'ad-bulk-token-000001';
  const sim = createAutomaticSimulator();
  let url: string;
  const adapter = (o: AutomaticAdapterOptions = {}) => createAutomaticAdapter({ apiToken: TOKEN }, { baseUrl: url, http }, { rateLimitPerSecond: 0, ...o });

  beforeAll(async () => {
    url = await sim.listen(0);
  });
  afterAll(() => sim.close());
  beforeEach(async () => {
    await control(url, '/__control/reset', {});
    await control(url, '/__control/config', { duplicatePo: 'allow', requireHttps: false });
    expect((await control(url, '/__control/accounts', { credentials: { apiToken: TOKEN } })).status).toBe(200);
    sim.upsertItem('AU-100', { price: 12.5, warehouses: { MAIN: 40 } });
  });

  test('one call with a comma list; shipped, unshipped and unknown POs', async () => {
    const a = adapter();
    expect(a.maxOrdersPerRead).toBe(50);
    const asked = await placeAndShip(a, url, ['BA-1', 'BA-2', 'BA-3'], 'AU-100', ['BA-2']);
    asked.push({ poNumber: 'BA-NONE', placedAt: asked[0].placedAt });
    sim.harness.requests.length = 0;

    const found = await a.findOrders!(asked);

    const calls = apiCalls(sim.harness);
    expect(calls.map((c) => [c.path, c.query.purchaseNumbers])).toEqual([['/order/find', 'BA-1,BA-2,BA-3,BA-NONE']]);
    expect(found.get('BA-2')!.shipments).toHaveLength(1);
    expect(found.get('BA-1')).toMatchObject({ status: 'OPEN', shipments: [] });
    await expectSameAsFindOrder(a, asked, found, ['BA-1', 'BA-2', 'BA-3']);
  });

  test('repeated keys in batches; a PO used twice answers the order asked for, else the latest', async () => {
    const a = adapter({ maxOrdersPerFind: 2, findListStyle: 'repeat' });
    const asked = await placeAndShip(a, url, ['BR-1', 'BR-2', 'BR-3'], 'AU-100', ['BR-1']);
    const second = await a.placeOrder(order('BR-1', 'AU-100'));
    sim.harness.requests.length = 0;

    const found = await a.findOrders!(asked);

    expect(apiCalls(sim.harness).map((c) => c.query.purchaseNumbers)).toEqual([['BR-1', 'BR-2'], 'BR-3']);
    expect(found.get('BR-1')).toMatchObject({ distributorOrderId: asked[0].distributorOrderId, status: 'SHIPPED' });
    await expectSameAsFindOrder(a, asked, found, ['BR-1', 'BR-2', 'BR-3']);
    const latest = await a.findOrders!([{ poNumber: 'BR-1', placedAt: asked[0].placedAt }]);
    expect(latest.get('BR-1')).toMatchObject({ distributorOrderId: second.distributorOrderId, status: 'OPEN' });
  });
});
