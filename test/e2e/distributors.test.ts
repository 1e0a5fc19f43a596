// Every distributor through the whole workflow, with the same guarantees: happy path with a
// split shipment, the account-setup refusal and its retry, 5xx then success, throttling, a lost
// acknowledgement, and an order split across two distributors.
import { DEMO_CREDENTIALS, demoDropshipBody } from '../../src/dev/demo';
import type { Fault } from '../../src/simulators/harness';
import { ebayOrder, Stack } from '../support/stack';

jest.setTimeout(240_000);

const stack = new Stack({ trackingPollIntervalMs: 1000, upstreamTimeoutCapMs: 2500 });
beforeAll(() => stack.start());
afterAll(() => stack.stop());

interface Case {
  code: 'wps' | 'parts-unlimited' | 'tucker-rocky' | 'automatic';
  sku: string;
  distributorSku: string;
  /** The distributor's own carrier code for the ship control call, and what it means. */
  carrier: string;
  canonical: string;
  /** Which simulator request places the order. */
  orderCall: Pick<Fault, 'method' | 'pathPrefix' | 'query'>;
  /** The account flag that makes the distributor refuse for an account-setup reason. */
  setupFlag: Record<string, boolean>;
  setupMessage: RegExp;
  /** Simulator settings for the throttling test (where the API's own signal carries no wait by default). */
  throttleConfig?: Record<string, unknown>;
}

const CASES: Case[] = [
  {
    code: 'wps',
    sku: 'HELMET-BELL-QUALIFIER-M',
    distributorSku: '72-0500M',
    carrier: 'UP2D',
    canonical: 'UPS',
    orderCall: { method: 'POST', pathPrefix: '/orders' },
    setupFlag: { taxIdOnFile: false },
    setupMessage: /Tax ID/i,
  },
  {
    code: 'parts-unlimited',
    sku: 'HELMET-BELL-QUALIFIER-M',
    distributorSku: '0101-11412',
    carrier: 'UPS',
    canonical: 'UPS',
    orderCall: { method: 'POST', pathPrefix: '/api/orders/dropship' },
    setupFlag: { dropshipEnabled: false },
    setupMessage: /drop.?ship/i,
  },
  {
    code: 'tucker-rocky',
    sku: 'BRAKE-PAD-EBC-FA196HH',
    distributorSku: '113-044',
    carrier: 'FEDEX',
    canonical: 'FedEx',
    orderCall: { method: 'GET', pathPrefix: '/bin/trws', query: { type: 'ORD', submit: 'YES' } },
    setupFlag: { creditCardOnFile: false },
    setupMessage: /credit card/i,
  },
  {
    code: 'automatic',
    sku: 'BRAKE-PAD-EBC-FA196HH',
    distributorSku: 'EBC-FA196HH',
    carrier: 'UPS',
    canonical: 'UPS',
    orderCall: { method: 'POST', pathPrefix: '/order/create' },
    setupFlag: { apiAccessEnabled: false },
    setupMessage: /API access/i,
    // 403/E003 carries no Retry-After by default ([GUESS]); the retry backs off from about a second.
    throttleConfig: { throttleRetryAfter: true },
  },
];

let seq = 0;
async function start(key: string, c: Case, quantity = 2) {
  const pssOrderId = `DIST-${c.code}-${Date.now()}-${++seq}`;
  const body = demoDropshipBody(pssOrderId);
  body.marketplace.orderId = await ebayOrder(stack, [{ lineItemId: `${pssOrderId}-1`, quantity }]);
  body.lines = [{ lineId: 'L1', marketplaceLineId: `${pssOrderId}-1`, sku: c.sku, quantity }];
  const r = await stack.api('POST', '/v1/dropships', body, key);
  expect(r.status).toBe(201);
  expect(r.body.lines[0].candidates.map((x: any) => x.distributor)).toContain(c.code);
  const confirm = await stack.api('POST', `/v1/dropships/${pssOrderId}/confirm`, { confirmedBy: 'tester', lines: [{ lineId: 'L1', distributor: c.code }] }, key);
  expect(confirm.status).toBe(202);
  const d = await stack.waitForDropship(key, pssOrderId, (x) => x.purchaseOrders.length > 0 && !['pending', 'submitting'].includes(x.purchaseOrders[0].status), 'a placed PO');
  if (process.env.DEBUG_DROPSHIP) console.log(JSON.stringify(d.purchaseOrders, null, 1));
  return { pssOrderId, orderId: body.marketplace.orderId, po: d.purchaseOrders[0] };
}

const account = (c: Case, flags: Record<string, boolean>) => stack.sim(c.code, 'POST', '/__control/accounts', { credentials: DEMO_CREDENTIALS[c.code], flags });
/** The account fully set up again (simulators keep flags they are not told about). */
const setUp = (c: Case) => account(c, Object.fromEntries(Object.keys(c.setupFlag).map((k) => [k, true])));

describe.each(CASES)('$code', (c) => {
  let key: string;
  beforeAll(async () => {
    ({ key } = await stack.dealer());
  });
  beforeEach(() => stack.reseedSimulators());
  afterEach(async () => {
    await stack.sim(c.code, 'DELETE', '/__control/faults');
    await setUp(c);
  });

  it('places one order, and uploads each tracking number of a split shipment', async () => {
    const { pssOrderId, orderId, po } = await start(key, c);
    expect(po.status).toBe('submitted');
    expect(po.distributor).toBe(c.code);
    expect(await stack.simOrders(c.code, po.poNumber)).toHaveLength(1);
    const first = await stack.sim(c.code, 'POST', `/__control/orders/${po.poNumber}/ship`, { lines: [{ sku: c.distributorSku, quantity: 1 }], carrier: c.carrier, trackingNumber: `1ZSPLIT${seq}A` });
    expect(first.status).toBeLessThan(300);
    await stack.waitForDropship(key, pssOrderId, (x) => x.status === 'partially_shipped' && x.uploads.length === 1 && x.uploads[0].status === 'confirmed', 'partially shipped');
    await stack.sim(c.code, 'POST', `/__control/orders/${po.poNumber}/ship`, { carrier: c.carrier, trackingNumber: `1ZSPLIT${seq}B` });
    const done = await stack.waitForDropship(key, pssOrderId, (x) => x.status === 'completed', 'completed');
    expect(done.uploads.map((u: any) => u.carrier)).toEqual([c.canonical, c.canonical]);
    const fs = (await stack.sim('ebay', 'GET', `/__control/orders/${orderId}`)).body.fulfillments;
    expect(fs).toHaveLength(2);
    expect(await stack.simOrders(c.code, po.poNumber)).toHaveLength(1);
  });

  it('parks the account-setup refusal with what to fix, and a retry places it once', async () => {
    await account(c, c.setupFlag);
    const { pssOrderId, po } = await start(key, c);
    expect(po.status).toBe('needs_attention');
    expect(po.error.code).toBe('account_setup_required');
    expect(po.error.message).toMatch(c.setupMessage);
    expect(await stack.simOrders(c.code, po.poNumber)).toHaveLength(0);
    await setUp(c);
    expect((await stack.api('POST', `/v1/purchase-orders/${po.poNumber}/retry`, {}, key)).status).toBe(202);
    await stack.waitForDropship(key, pssOrderId, (x) => x.purchaseOrders[0].status === 'submitted', 'submitted after retry');
    expect(await stack.simOrders(c.code, po.poNumber)).toHaveLength(1);
  });

  it('rides out 5xx answers to the order call and places it once', async () => {
    await stack.sim(c.code, 'POST', '/__control/faults', { type: 'status', status: 503, times: 2, ...c.orderCall });
    const { po } = await start(key, c);
    expect(po.status).toBe('submitted');
    expect(await stack.simOrders(c.code, po.poNumber)).toHaveLength(1);
  });

  it('waits out throttling in the API’s own way and places it once', async () => {
    if (c.throttleConfig) await stack.sim(c.code, 'POST', '/__control/config', c.throttleConfig);
    await stack.sim(c.code, 'POST', '/__control/faults', { type: 'throttle', retryAfterSeconds: 1, times: 2, ...c.orderCall });
    const { po } = await start(key, c);
    expect(po.status).toBe('submitted');
    expect(await stack.simOrders(c.code, po.poNumber)).toHaveLength(1);
  });

  it('never orders twice after a lost acknowledgement', async () => {
    await stack.sim(c.code, 'POST', '/__control/faults', { type: 'lost_ack', times: 1, ...c.orderCall });
    const { po } = await start(key, c);
    expect(await stack.simOrders(c.code, po.poNumber)).toHaveLength(1);
    if (c.code === 'tucker-rocky') {
      // Tucker confirms the PO exists (duplicate-PO refusal) but its order number is not
      // recoverable from the documented API, so a person records it (see the adapter).
      expect(['submitted', 'needs_attention']).toContain(po.status);
    } else {
      expect(po.status).toBe('submitted');
    }
  });
});

it('splits a two-line order across two distributors and tracks both POs to completion', async () => {
  const { key } = await stack.dealer();
  await stack.reseedSimulators();
  const pssOrderId = `SPLIT-${Date.now()}`;
  const body = demoDropshipBody(pssOrderId);
  body.marketplace.orderId = await ebayOrder(stack, [
    { lineItemId: '10000000001', quantity: 1 },
    { lineItemId: '10000000002', quantity: 2 },
  ]);
  expect((await stack.api('POST', '/v1/dropships', body, key)).status).toBe(201);
  expect((await stack.api('POST', `/v1/dropships/${pssOrderId}/confirm`, { confirmedBy: 'tester' }, key)).status).toBe(202);
  const d = await stack.waitForDropship(key, pssOrderId, (x) => x.status === 'submitted', 'submitted');
  const pos = Object.fromEntries(d.purchaseOrders.map((p: any) => [p.distributor, p]));
  expect(Object.keys(pos).sort()).toEqual(['tucker-rocky', 'wps']);
  expect(pos.wps.lines.map((l: any) => l.lineId)).toEqual(['L1']);
  expect(pos['tucker-rocky'].lines.map((l: any) => l.lineId)).toEqual(['L2']);
  await stack.sim('wps', 'POST', `/__control/orders/${pos.wps.poNumber}/ship`, { carrier: 'UP2D', trackingNumber: '1Z999AASPLIT0001' });
  await stack.waitForDropship(key, pssOrderId, (x) => x.status === 'partially_shipped', 'partially shipped');
  await stack.sim('tucker-rocky', 'POST', `/__control/orders/${pos['tucker-rocky'].poNumber}/ship`, { carrier: 'FEDEX', trackingNumber: '612999000000077' });
  const done = await stack.waitForDropship(key, pssOrderId, (x) => x.status === 'completed', 'completed');
  expect(done.uploads.map((u: any) => [u.poNumber, u.carrier]).sort()).toEqual(
    [
      [pos.wps.poNumber, 'UPS'],
      [pos['tucker-rocky'].poNumber, 'FedEx'],
    ].sort(),
  );
  const list = await stack.api('GET', `/v1/purchase-orders?pssOrderId=${pssOrderId}&shipped=true`, undefined, key);
  expect(list.body.items).toHaveLength(2);
});
