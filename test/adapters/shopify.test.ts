// Shopify adapter against the Shopify simulator over real HTTP, plus the pure mapping functions.
import { CANONICAL_CARRIERS } from '../../src/carriers';
import { ExternalCallError } from '../../src/external-errors';
import { createHttpClientFactory, type CallRecord, type HttpClientFactory } from '../../src/http';
import {
  mapShopifyOrder,
  planShopifyFulfillments,
  SHOPIFY_COMPANIES,
  shopifyLineItemGid,
  shopifyModule,
  shopifyOrderGid,
  shopifyThrottleWaitMs,
  shopifyTrackingInfo,
  type ShopifyAdapterContext,
  type ShopifyAdapterOptions,
  type ShopifyOrder,
} from '../../src/marketplaces/shopify';
import type { MarketplaceAdapter, TrackingUpload } from '../../src/marketplaces/types';
import type { Fault } from '../../src/simulators/harness';
import { control, expectRefusal as expectRefusalOf } from '../support/adapter-helpers';
import { createShopifySimulator, graphqlRootFields, type ShopifySimulator } from '../../src/simulators/shopify';

const TOKEN = 'shpat_0123456789abcdef0123456789abcdef';
const SHOP = 'dealer-demo.myshopify.com';
const ORDER = '450789469';
const ORDER_GID = `gid://shopify/Order/${ORDER}`;
const GRAPHQL = '/admin/api/2026-10/graphql.json';

let sim: ShopifySimulator;
let baseUrl: string;
let calls: CallRecord[];

function adapter(opts: ShopifyAdapterOptions = {}, token = TOKEN, http: HttpClientFactory = createHttpClientFactory((r) => calls.push(r))): MarketplaceAdapter {
  const ctx: ShopifyAdapterContext = { baseUrl, http, shopify: opts };
  return shopifyModule.create({ shopDomain: SHOP, accessToken: token }, ctx);
}

const ctl = (path: string, body?: unknown) => control(baseUrl, path, body);

async function gql(query: string, variables: unknown = {}, token = TOKEN) {
  const res = await fetch(`${baseUrl}${GRAPHQL}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(token ? { 'x-shopify-access-token': token } : {}) },
    body: JSON.stringify({ query, variables }),
  });
  return { status: res.status, body: (await res.json()) as any };
}

function upload(over: Partial<TrackingUpload> = {}): TrackingUpload {
  return {
    orderId: ORDER,
    lines: [{ marketplaceLineId: '1001', quantity: 1 }],
    carrier: 'UPS',
    trackingNumber: '1Z999AA10123456784',
    shippedAt: '2024-05-01T10:20:30Z',
    ...over,
  };
}

const expectRefusal = (p: Promise<unknown>, kind: string, code: string) => expectRefusalOf(p, kind, code, [TOKEN]);

const requests = () => sim.harness.requests.filter((r) => r.path === GRAPHQL);
const mutations = () => requests().filter((r) => /^\s*mutation/.test((r.body as any)?.query ?? ''));

/** An HTTP factory whose first fulfillmentCreate waits for `meanwhile` (another writer in between the read and the write). */
function interposed(meanwhile: () => Promise<unknown>): HttpClientFactory {
  const real = createHttpClientFactory((r) => calls.push(r));
  let done = false;
  return (opts) => {
    const client = real(opts);
    return {
      async send(req) {
        if (!done && /fulfillmentCreate/.test(JSON.stringify(req.json))) {
          done = true;
          await meanwhile();
        }
        return client.send(req);
      },
    };
  };
}

/** An HTTP factory that arms `fault` at the simulator just before its `nth` request (1-based), e.g. the mutation after the read. */
function faultOnCall(nth: number, fault: Fault): HttpClientFactory {
  const real = createHttpClientFactory((r) => calls.push(r));
  let n = 0;
  return (opts) => {
    const client = real(opts);
    return {
      async send(req) {
        n += 1;
        if (n === nth) sim.harness.addFault(fault);
        return client.send(req);
      },
    };
  };
}

beforeAll(async () => {
  sim = createShopifySimulator();
  baseUrl = await sim.listen(0);
});

afterAll(async () => {
  await sim.close();
});

beforeEach(async () => {
  calls = [];
  await ctl('/__control/reset', {});
  await ctl('/__control/tokens', { token: TOKEN });
  await ctl('/__control/orders', { orderId: ORDER, lineItems: [{ lineItemId: '1001', quantity: 1, sku: 'WPS-87-9230' }] });
});

// ---------------------------------------------------------------------------------------------
describe('pure mapping', () => {
  test('canonical carrier → Shopify company (§6), urls where the name gives no link', () => {
    expect(SHOPIFY_COMPANIES).toEqual({
      UPS: 'UPS',
      USPS: 'USPS',
      FedEx: 'FedEx',
      FedExSmartPost: 'FedEx',
      UPSMailInnovations: 'UPS',
      DHLeCommerce: 'DHL eCommerce',
      DHLExpress: 'DHL Express',
      OnTrac: 'OnTrac',
      LaserShip: 'Lasership',
      Other: 'Other',
    });
    for (const c of CANONICAL_CARRIERS) expect(shopifyTrackingInfo({ ...upload(), carrier: c }).company).toBe(SHOPIFY_COMPANIES[c]);
    expect(shopifyTrackingInfo(upload({ carrier: 'FedExSmartPost', trackingNumber: '9261 2901 2345' }))).toEqual({
      company: 'FedEx',
      number: '926129012345',
      url: 'https://www.fedex.com/fedextrack/?trknbr=926129012345',
    });
    expect(shopifyTrackingInfo(upload({ carrier: 'UPS' }))).toEqual({ company: 'UPS', number: '1Z999AA10123456784' });
    expect(shopifyTrackingInfo(upload({ carrier: 'Other' }), { companies: { Other: 'Motorsport Freight' }, trackingUrls: { Other: 'https://t.example/{number}' } })).toEqual({
      company: 'Motorsport Freight',
      number: '1Z999AA10123456784',
      url: 'https://t.example/1Z999AA10123456784',
    });
    expect(() => shopifyTrackingInfo(upload({ trackingNumber: ' - ' }))).toThrow(ExternalCallError);
  });

  test('order and line item ids: numeric or gid', () => {
    expect(shopifyOrderGid('450789469')).toBe(ORDER_GID);
    expect(shopifyOrderGid(ORDER_GID)).toBe(ORDER_GID);
    expect(shopifyLineItemGid(' 1001 ')).toBe('gid://shopify/LineItem/1001');
    expect(() => shopifyOrderGid('gid://shopify/LineItem/1')).toThrow(/not a Shopify order id/);
    expect(() => shopifyLineItemGid('#1001')).toThrow(ExternalCallError);
  });

  const order: ShopifyOrder = mapShopifyOrder({
    id: ORDER_GID,
    fulfillmentOrders: {
      nodes: [
        { id: 'FO1', status: 'OPEN', assignedLocation: { location: { id: 'L1' } }, deliveryMethod: { methodType: 'SHIPPING' }, lineItems: { nodes: [{ id: 'FOL1', remainingQuantity: 2, totalQuantity: 3, lineItem: { id: 'gid://shopify/LineItem/1' } }] } },
        { id: 'FO2', status: 'OPEN', assignedLocation: { location: { id: 'L2' } }, deliveryMethod: { methodType: 'SHIPPING' }, lineItems: { nodes: [{ id: 'FOL2', remainingQuantity: 1, totalQuantity: 1, lineItem: { id: 'gid://shopify/LineItem/2' } }] } },
        { id: 'FO3', status: 'ON_HOLD', assignedLocation: { location: { id: 'L1' } }, deliveryMethod: { methodType: 'SHIPPING' }, lineItems: { nodes: [{ id: 'FOL3', remainingQuantity: 4, totalQuantity: 4, lineItem: { id: 'gid://shopify/LineItem/3' } }] } },
      ],
    },
    fulfillments: [{ id: 'F1', trackingInfo: [{ company: 'UPS', number: 'T-1' }], fulfillmentLineItems: { edges: [{ node: { quantity: 1, lineItem: { id: 'gid://shopify/LineItem/1' } } }] } }],
  });

  test('plan: one fulfillmentCreate per location; units already under this tracking number are not resent', () => {
    expect(planShopifyFulfillments(order, { orderId: ORDER, trackingNumber: 'T2', lines: [{ marketplaceLineId: '1', quantity: 2 }, { marketplaceLineId: '2', quantity: 1 }] })).toEqual([
      { lineItemsByFulfillmentOrder: [{ fulfillmentOrderId: 'FO1', fulfillmentOrderLineItems: [{ id: 'FOL1', quantity: 2 }] }] },
      { lineItemsByFulfillmentOrder: [{ fulfillmentOrderId: 'FO2', fulfillmentOrderLineItems: [{ id: 'FOL2', quantity: 1 }] }] },
    ]);
    // T1 already covers one unit of line 1 (the read-back matches "T-1" with "t1").
    expect(planShopifyFulfillments(order, { orderId: ORDER, trackingNumber: 't1', lines: [{ marketplaceLineId: '1', quantity: 1 }] })).toEqual([]);
    expect(planShopifyFulfillments(order, { orderId: ORDER, trackingNumber: 'T1', lines: [{ marketplaceLineId: '1', quantity: 3 }] })).toEqual([
      { lineItemsByFulfillmentOrder: [{ fulfillmentOrderId: 'FO1', fulfillmentOrderLineItems: [{ id: 'FOL1', quantity: 2 }] }] },
    ]);
  });

  test('plan refusals: too few units left, a held fulfillment order, bad quantities', () => {
    const code = (lines: TrackingUpload['lines']) => {
      try {
        planShopifyFulfillments(order, { orderId: ORDER, trackingNumber: 'T9', lines });
      } catch (e) {
        return `${(e as ExternalCallError).code}: ${(e as ExternalCallError).message}`;
      }
      return 'ok';
    };
    expect(code([{ marketplaceLineId: '1', quantity: 3 }])).toMatch(/^tracking_rejected: .* has 2 unit\(s\) of line item gid:\/\/shopify\/LineItem\/1 left to fulfil, but this package ships 3/);
    expect(code([{ marketplaceLineId: '3', quantity: 1 }])).toMatch(/fulfillment order FO3 is ON_HOLD/);
    expect(code([])).toMatch(/^invalid_request/);
    expect(code([{ marketplaceLineId: '1', quantity: 0 }])).toMatch(/^invalid_request/);
  });

  test('throttle wait from extensions.cost.throttleStatus', () => {
    expect(shopifyThrottleWaitMs({ extensions: { cost: { requestedQueryCost: 52, throttleStatus: { maximumAvailable: 1000, currentlyAvailable: 2, restoreRate: 100 } } } })).toBe(500);
    expect(shopifyThrottleWaitMs({ extensions: {} })).toBeUndefined();
  });

  test('module: code, credentials schema and mask', () => {
    expect(shopifyModule.code).toBe('shopify');
    const parse = (c: unknown) => shopifyModule.credentialsSchema.safeParse(c);
    expect(parse({ shopDomain: ' Dealer-Demo.myshopify.com ', accessToken: TOKEN })).toEqual({ success: true, data: { shopDomain: SHOP, accessToken: TOKEN } });
    expect(parse({ shopDomain: 'dealer.com', accessToken: TOKEN }).success).toBe(false);
    expect(parse({ shopDomain: 'https://x.myshopify.com', accessToken: TOKEN }).success).toBe(false);
    expect(parse({ shopDomain: SHOP, accessToken: '' }).success).toBe(false);
    expect(shopifyModule.mintToken).toBeUndefined(); // offline tokens do not expire
    expect(shopifyModule.mask({ shopDomain: SHOP, accessToken: TOKEN })).toEqual({ shopDomain: SHOP, accessToken: '••••cdef' });
  });

  test('the API host is the shop domain; a connection baseUrl replaces only scheme, host and port', () => {
    const bases: string[] = [];
    const capture: HttpClientFactory = (opts) => {
      bases.push(opts.baseUrl);
      return createHttpClientFactory()(opts);
    };
    shopifyModule.create({ shopDomain: SHOP, accessToken: TOKEN }, { http: capture });
    shopifyModule.create({ shopDomain: SHOP, accessToken: TOKEN }, { http: capture, baseUrl: 'http://127.0.0.1:4204/ignored' });
    expect(bases).toEqual([`https://${SHOP}`, 'http://127.0.0.1:4204']);
  });
});

// ---------------------------------------------------------------------------------------------
describe('uploadTracking over HTTP', () => {
  test('happy path: read, fulfillmentCreate shape, order FULFILLED, read-back', async () => {
    const a = adapter();
    const result = await a.uploadTracking(upload());
    const o = sim.getOrder(ORDER)!;
    expect(result).toEqual({ outcome: 'uploaded', fulfillmentId: o.fulfillments[0].id });

    const [read, write] = requests();
    expect(read.headers['x-shopify-access-token']).toBe('***'); // present (the harness redacts it)
    expect((read.body as any).variables).toEqual({ id: ORDER_GID });
    expect((write.body as any).variables).toEqual({
      fulfillment: {
        lineItemsByFulfillmentOrder: [{ fulfillmentOrderId: o.fulfillmentOrders[0].id, fulfillmentOrderLineItems: [{ id: o.fulfillmentOrders[0].lineItems[0].id, quantity: 1 }] }],
        notifyCustomer: true,
        trackingInfo: { company: 'UPS', number: '1Z999AA10123456784' },
      },
    });
    expect(o.displayFulfillmentStatus).toBe('FULFILLED');
    expect(o.fulfillmentOrders[0].status).toBe('CLOSED');
    expect(o.fulfillments[0]).toMatchObject({
      status: 'SUCCESS',
      notifyCustomer: true,
      trackingInfo: [{ company: 'UPS', number: '1Z999AA10123456784', url: 'https://www.ups.com/track?tracknum=1Z999AA10123456784' }],
      fulfillmentLineItems: [{ lineItemId: 'gid://shopify/LineItem/1001', quantity: 1 }],
    });
    expect(await a.hasTracking(ORDER, '1Z 999 AA1 0123456784')).toBe(true);
    expect(await a.hasTracking(ORDER_GID, '1Z999AA10000000000')).toBe(false);
  });

  test('partial shipment: a quantity-3 line split 2 + 1 over two tracking numbers', async () => {
    sim.upsertOrder({ orderId: ORDER, lineItems: [{ lineItemId: '1001', quantity: 3 }, { lineItemId: '1002', quantity: 1 }] });
    const a = adapter({ notifyCustomer: false });
    expect((await a.uploadTracking(upload({ lines: [{ marketplaceLineId: '1001', quantity: 2 }], trackingNumber: '1ZAAA0000000000001' }))).outcome).toBe('uploaded');
    let o = sim.getOrder(ORDER)!;
    expect(o.displayFulfillmentStatus).toBe('PARTIALLY_FULFILLED');
    expect(o.fulfillmentOrders[0].status).toBe('IN_PROGRESS');
    expect(o.lineItems.map((l) => [l.id, l.fulfilledQuantity])).toEqual([
      ['gid://shopify/LineItem/1001', 2],
      ['gid://shopify/LineItem/1002', 0],
    ]);

    await a.uploadTracking(
      upload({
        lines: [{ marketplaceLineId: 'gid://shopify/LineItem/1001', quantity: 1 }, { marketplaceLineId: '1002', quantity: 1 }],
        carrier: 'USPS',
        trackingNumber: '9400111899223197428490',
      }),
    );
    o = sim.getOrder(ORDER)!;
    expect(o.displayFulfillmentStatus).toBe('FULFILLED');
    expect(o.fulfillmentOrders[0].status).toBe('CLOSED');
    expect(o.fulfillments.map((f) => [f.trackingInfo[0].number, f.notifyCustomer, f.fulfillmentLineItems])).toEqual([
      ['1ZAAA0000000000001', false, [{ lineItemId: 'gid://shopify/LineItem/1001', quantity: 2 }]],
      ['9400111899223197428490', false, [{ lineItemId: 'gid://shopify/LineItem/1001', quantity: 1 }, { lineItemId: 'gid://shopify/LineItem/1002', quantity: 1 }]],
    ]);
  });

  test('a package over two locations: one fulfillmentCreate each; a failure between them resends only the rest', async () => {
    sim.upsertOrder({
      orderId: '7001',
      lineItems: [{ lineItemId: '1', quantity: 1 }, { lineItemId: '2', quantity: 1 }],
      fulfillmentOrders: [
        { locationId: '11', lineItems: [{ lineItemId: '1', quantity: 1 }] },
        { locationId: '22', lineItems: [{ lineItemId: '2', quantity: 1 }] },
      ],
    });
    const pkg = upload({ orderId: '7001', lines: [{ marketplaceLineId: '1', quantity: 1 }, { marketplaceLineId: '2', quantity: 1 }] });
    // read, create (location 11), create (location 22) → 503
    await expectRefusal(adapter({}, TOKEN, faultOnCall(3, { type: 'status', status: 503 })).uploadTracking(pkg), 'ambiguous', 'upstream_unavailable');
    const a = adapter();
    expect(sim.getOrder('7001')!.fulfillments).toHaveLength(1);
    expect(await a.uploadTracking(pkg)).toEqual({ outcome: 'uploaded', fulfillmentId: expect.stringMatching(/^gid:\/\/shopify\/Fulfillment\//) });
    const o = sim.getOrder('7001')!;
    expect(o.displayFulfillmentStatus).toBe('FULFILLED');
    expect(o.fulfillments.map((f) => [f.trackingInfo[0].number, f.fulfillmentLineItems.map((l) => l.lineItemId)])).toEqual([
      ['1Z999AA10123456784', ['gid://shopify/LineItem/1']],
      ['1Z999AA10123456784', ['gid://shopify/LineItem/2']],
    ]);
    expect(await a.uploadTracking(pkg)).toMatchObject({ outcome: 'already_uploaded' });
  });

  test('duplicate upload: the read shows the tracking, so nothing is sent again', async () => {
    const a = adapter();
    const first = await a.uploadTracking(upload());
    const again = await a.uploadTracking(upload({ trackingNumber: '1Z-999-AA1-0123456784' }));
    expect(again).toEqual({ outcome: 'already_uploaded', fulfillmentId: first.fulfillmentId });
    expect(mutations()).toHaveLength(1);
    expect(sim.getOrder(ORDER)!.fulfillments).toHaveLength(1);
  });

  test('another writer in between with the same tracking: quantity userError → read back → already_uploaded', async () => {
    const other = adapter();
    const a = adapter({}, TOKEN, interposed(() => other.uploadTracking(upload())));
    const result = await a.uploadTracking(upload());
    expect(result).toEqual({ outcome: 'already_uploaded', fulfillmentId: sim.getOrder(ORDER)!.fulfillments[0].id });
    expect(sim.getOrder(ORDER)!.fulfillments).toHaveLength(1);
    expect(calls.map((c) => `${c.method} ${c.status} ${/fulfillmentCreate/.test(c.requestBody ?? '') ? 'create' : 'read'}`)).toEqual([
      'POST 200 read', // a: read
      'POST 200 read', // other: read
      'POST 200 create', // other: create
      'POST 200 create', // a: create → userError
      'POST 200 read', // a: read back
    ]);
  });

  test('another writer in between with a different tracking: the userError is a permanent refusal', async () => {
    const other = adapter();
    const a = adapter({}, TOKEN, interposed(() => other.uploadTracking(upload({ trackingNumber: 'OTHER123' }))));
    const err = await expectRefusal(a.uploadTracking(upload()), 'permanent', 'tracking_rejected');
    expect(err.message).toContain('Invalid fulfillment order line item quantity requested.');
  });

  test('unknown order → order_not_found; a held fulfillment order → tracking_rejected; Other carrier has no link', async () => {
    await expectRefusal(adapter().uploadTracking(upload({ orderId: '999' })), 'permanent', 'order_not_found');
    await expectRefusal(adapter().hasTracking('999', 'X'), 'permanent', 'order_not_found');

    sim.upsertOrder({ orderId: '8001', lineItems: [{ lineItemId: '5', quantity: 1 }], fulfillmentOrders: [{ status: 'ON_HOLD', lineItems: [{ lineItemId: '5', quantity: 1 }] }] });
    const held = await expectRefusal(adapter().uploadTracking(upload({ orderId: '8001', lines: [{ marketplaceLineId: '5', quantity: 1 }] })), 'permanent', 'tracking_rejected');
    expect(held.message).toMatch(/is ON_HOLD/);

    await adapter().uploadTracking(upload({ carrier: 'Other', trackingNumber: 'MOTO12345' }));
    expect(sim.getOrder(ORDER)!.fulfillments[0].trackingInfo).toEqual([{ company: 'Other', number: 'MOTO12345', url: null }]);
  });

  describe('credentials, permissions and throttling', () => {
    test('revoked token (401): reauthorization on upload and read, not retried; credentials_rejected on verify', async () => {
      const a = adapter({}, 'shpat_revoked000000000000000000000');
      const err = await expectRefusal(a.uploadTracking(upload()), 'permanent', 'marketplace_reauthorization_required');
      expect(err.details.httpStatus).toBe(401);
      expect(requests()).toHaveLength(1);
      await expectRefusal(a.hasTracking(ORDER, 'X'), 'permanent', 'marketplace_reauthorization_required');
      await expectRefusal(a.verifyCredentials(), 'permanent', 'credentials_rejected');
      const raw = await gql('query { shop { name } }', {}, 'nope');
      expect(raw).toEqual({ status: 401, body: { errors: '[API] Invalid API key or access token (unrecognized login or wrong password)' } });
    });

    test('verifyCredentials checks the fulfillment scopes; a read-only app cannot upload (403)', async () => {
      await adapter().verifyCredentials();
      expect(graphqlRootFields((requests().at(-1)!.body as any).query)).toEqual(['shop', 'currentAppInstallation']);

      await ctl('/__control/tokens', { token: 'shpat_readonly_5678', scopes: ['read_orders', 'read_merchant_managed_fulfillment_orders'] });
      const ro = adapter({}, 'shpat_readonly_5678');
      const v = await expectRefusal(ro.verifyCredentials(), 'permanent', 'credentials_rejected');
      expect(v.message).toContain('write_merchant_managed_fulfillment_orders');
      expect(await ro.hasTracking(ORDER, 'X')).toBe(false);
      const up = await expectRefusal(ro.uploadTracking(upload()), 'permanent', 'credentials_rejected');
      expect(up.details.httpStatus).toBe(403);
      expect(sim.getOrder(ORDER)!.fulfillments).toHaveLength(0);
    });

    test.each([200, 429] as const)('THROTTLED answered with HTTP %s → transient, wait from throttleStatus', async (status) => {
      // A restore rate so slow that the bucket stays at 0 points during the test.
      await ctl('/__control/config', { throttledHttpStatus: status, restoreRate: 0.01, queryCost: 20 });
      sim.drainBucket();
      const err = await expectRefusal(adapter().uploadTracking(upload()), 'transient', 'throttled');
      expect(err.details.httpStatus).toBe(status);
      expect(err.details.retryAfterMs).toBe(2_000_000); // (20 − 0) points / 0.01 points per second
      expect(mutations()).toHaveLength(0);
    });

    test('a REST-style 429 with Retry-After → transient with that wait', async () => {
      sim.harness.addFault({ type: 'throttle', pathPrefix: GRAPHQL, retryAfterSeconds: 2 });
      const err = await expectRefusal(adapter().hasTracking(ORDER, 'X'), 'transient', 'throttled');
      expect(err.details.retryAfterMs).toBe(2000);
    });

    test('5xx on the mutation → ambiguous; on a read → transient; 402 frozen shop → account_setup_required', async () => {
      const a = adapter();
      await expectRefusal(adapter({}, TOKEN, faultOnCall(2, { type: 'status', status: 502 })).uploadTracking(upload()), 'ambiguous', 'upstream_unavailable');
      expect(calls.at(-1)).toMatchObject({ status: 502, requestBody: expect.stringContaining('fulfillmentCreate') });
      sim.harness.addFault({ type: 'status', status: 500 });
      await expectRefusal(a.hasTracking(ORDER, 'X'), 'transient', 'upstream_unavailable');
      sim.harness.addFault({ type: 'status', status: 200, body: { errors: [{ message: 'Internal error.', extensions: { code: 'INTERNAL_SERVER_ERROR' } }] } });
      await expectRefusal(a.hasTracking(ORDER, 'X'), 'transient', 'upstream_unavailable');
      sim.harness.addFault({ type: 'status', status: 402 });
      await expectRefusal(a.uploadTracking(upload()), 'permanent', 'account_setup_required');
    });
  });

  describe('lost acknowledgement', () => {
    test('lost_ack on the mutation → ambiguous timeout; hasTracking finds it; a resend is already_uploaded', async () => {
      await expectRefusal(adapter({ timeoutMs: 300 }, TOKEN, faultOnCall(2, { type: 'lost_ack' })).uploadTracking(upload()), 'ambiguous', 'timeout');
      const a = adapter();
      expect(await a.hasTracking(ORDER, '1Z999AA10123456784')).toBe(true);
      expect(await a.uploadTracking(upload())).toMatchObject({ outcome: 'already_uploaded' });
      expect(sim.getOrder(ORDER)!.fulfillments).toHaveLength(1);
    });
  });

  test('the access token never appears in the call records', async () => {
    const a = adapter();
    await a.verifyCredentials();
    await a.uploadTracking(upload());
    await a.uploadTracking(upload());
    sim.harness.addFault({ type: 'status', status: 401 });
    await expect(a.hasTracking(ORDER, 'X')).rejects.toThrow(ExternalCallError);
    expect(calls.length).toBeGreaterThanOrEqual(5);
    expect(JSON.stringify(calls)).not.toContain(TOKEN);
    expect(calls.every((c) => c.target === 'shopify' && c.url === `${baseUrl}${GRAPHQL}`)).toBe(true);
  });
});

// ---------------------------------------------------------------------------------------------
describe('simulator', () => {
  const CREATE = 'mutation C($fulfillment: FulfillmentInput!, $message: String) { fulfillmentCreate(fulfillment: $fulfillment, message: $message) { fulfillment { id } userErrors { field message } } }';
  const userErrors = async (fulfillment: unknown) => {
    const r = await gql(CREATE, { fulfillment });
    expect(r.status).toBe(200);
    return r.body.data.fulfillmentCreate.userErrors.map((e: any) => e.message);
  };

  test('root fields: operation header, arguments, aliases and nested selections are skipped', () => {
    expect(graphqlRootFields('query Q($id: ID!) { o: order(id: $id) { id fulfillments { id } } shop { name } }')).toEqual(['order', 'shop']);
    expect(graphqlRootFields('{ shop { name } } # order')).toEqual(['shop']);
  });

  test('validation order: unknown FO, order/location mix, delivery method mix, status, quantity, tracking shape', async () => {
    sim.upsertOrder({
      orderId: '9001',
      lineItems: [{ lineItemId: '1', quantity: 2 }, { lineItemId: '2', quantity: 1 }, { lineItemId: '3', quantity: 1 }, { lineItemId: '4', quantity: 1 }],
      fulfillmentOrders: [
        { locationId: '1', lineItems: [{ lineItemId: '1', quantity: 2 }] },
        { locationId: '2', lineItems: [{ lineItemId: '2', quantity: 1 }] },
        { locationId: '1', deliveryMethod: 'PICK_UP', lineItems: [{ lineItemId: '3', quantity: 1 }] },
        { locationId: '1', status: 'SCHEDULED', lineItems: [{ lineItemId: '4', quantity: 1 }] },
      ],
    });
    const [fo1, fo2, fo3, fo4] = sim.getOrder('9001')!.fulfillmentOrders;
    const item = (fo: typeof fo1, quantity = 1) => ({ fulfillmentOrderId: fo.id, fulfillmentOrderLineItems: [{ id: fo.lineItems[0].id, quantity }] });
    expect(await userErrors({ lineItemsByFulfillmentOrder: [{ fulfillmentOrderId: 'gid://shopify/FulfillmentOrder/0' }] })).toEqual(['Fulfillment order does not exist.']);
    expect((await userErrors({ lineItemsByFulfillmentOrder: [item(fo1), item(fo2)] }))[0]).toMatch(/same order and be assigned to the same location/);
    expect((await userErrors({ lineItemsByFulfillmentOrder: [item(fo1), item(fo3)] }))[0]).toMatch(/^All fulfillment orders must have the same delivery method type/);
    expect(await userErrors({ lineItemsByFulfillmentOrder: [item(fo4)] })).toEqual(['Fulfillment order is not in a fulfillable state.']);
    expect(await userErrors({ lineItemsByFulfillmentOrder: [item(fo1, 3)] })).toEqual(['Invalid fulfillment order line item quantity requested.']);
    expect(await userErrors({ lineItemsByFulfillmentOrder: [item(fo1, 0)] })).toEqual(['Invalid fulfillment order line item quantity requested.']);
    expect(await userErrors({ lineItemsByFulfillmentOrder: [item(fo1)], trackingInfo: { url: 'https://x.example' } })).toEqual(['Tracking url requires a tracking number.']);
    expect(await userErrors({ lineItemsByFulfillmentOrder: [item(fo1)], trackingInfo: { number: 'A', numbers: ['B'] } })).toEqual(['Specify either number or numbers, not both.']);
    expect(sim.getOrder('9001')!.fulfillments).toHaveLength(0);
    // An empty item list fulfils everything remaining on that fulfillment order; numbers[] gives several tracking entries.
    expect(await userErrors({ lineItemsByFulfillmentOrder: [{ fulfillmentOrderId: fo1.id, fulfillmentOrderLineItems: [] }], trackingInfo: { company: 'Acme', numbers: ['A1', 'A2'] } })).toEqual([]);
    const o = sim.getOrder('9001')!;
    expect(o.fulfillmentOrders[0]).toMatchObject({ status: 'CLOSED', lineItems: [{ remainingQuantity: 0 }] });
    expect(o.fulfillments[0]).toMatchObject({ notifyCustomer: false, trackingInfo: [{ company: 'Acme', number: 'A1', url: null }, { company: 'Acme', number: 'A2', url: null }] });
    // A closed fulfillment order answers with the quantity error (how a resend surfaces).
    expect(await userErrors({ lineItemsByFulfillmentOrder: [item(fo1)] })).toEqual(['Invalid fulfillment order line item quantity requested.']);
  });

  test('fulfillmentTrackingInfoUpdate replaces the tracking; unknown fields are GraphQL errors; cost on every answer', async () => {
    await adapter().uploadTracking(upload());
    const f = sim.getOrder(ORDER)!.fulfillments[0];
    const r = await gql(
      'mutation U($fulfillmentId: ID!, $trackingInfoInput: FulfillmentTrackingInput!, $notifyCustomer: Boolean) { fulfillmentTrackingInfoUpdate(fulfillmentId: $fulfillmentId, trackingInfoInput: $trackingInfoInput, notifyCustomer: $notifyCustomer) { fulfillment { id } userErrors { message } } }',
      { fulfillmentId: f.id, trackingInfoInput: { company: 'FedEx', number: '794644790138' } },
    );
    expect(r.body.data.fulfillmentTrackingInfoUpdate.userErrors).toEqual([]);
    expect(sim.getOrder(ORDER)!.fulfillments[0].trackingInfo).toEqual([{ company: 'FedEx', number: '794644790138', url: 'https://www.fedex.com/fedextrack/?trknbr=794644790138' }]);
    expect(r.body.extensions.cost).toMatchObject({ requestedQueryCost: 10, actualQueryCost: 10, throttleStatus: { maximumAvailable: 1000, restoreRate: 100 } });

    const bad = await gql('query { products(first: 1) { nodes { id } } }');
    expect(bad.body.errors[0]).toMatchObject({ message: "Field 'products' doesn't exist on type 'QueryRoot'" });
  });

  test('control routes: order upsert keeps fulfillments, config validation, reset clears state', async () => {
    await adapter().uploadTracking(upload());
    const up = await ctl('/__control/orders', { orderId: ORDER, lineItems: [{ lineItemId: '1001', quantity: 2 }] });
    expect(up.body.displayFulfillmentStatus).toBe('PARTIALLY_FULFILLED');
    expect((await ctl('/__control/orders')).body.orders).toHaveLength(1);
    expect((await ctl(`/__control/orders/${encodeURIComponent(ORDER_GID)}`)).status).toBe(200);
    expect((await ctl('/__control/orders/123')).status).toBe(404);
    expect((await ctl('/__control/orders', { orderId: '#1001', lineItems: [{ lineItemId: '1', quantity: 1 }] })).status).toBe(400);
    expect((await ctl('/__control/config', { throttledHttpStatus: 500 })).status).toBe(400);
    await ctl('/__control/config', { maximumAvailable: 2000 });
    await ctl('/__control/reset', {});
    expect((await ctl('/__control/orders')).body.orders).toEqual([]);
    expect(sim.config.maximumAvailable).toBe(1000);
    expect((await gql('{ shop { name } }')).status).toBe(401); // tokens cleared too
  });
});

describe("a carrier outside the canonical list keeps the distributor's name", () => {
  test('the company is the distributor carrier name when the canonical carrier is Other', () => {
    expect(shopifyTrackingInfo({ orderId: '1', carrier: 'Other', carrierName: 'R+L Carriers', trackingNumber: 'RL123456' }).company).toBe('R+L Carriers');
    expect(shopifyTrackingInfo({ orderId: '1', carrier: 'UPS', carrierName: 'ignored', trackingNumber: '1Z999AA10123456784' }).company).toBe('UPS');
  });
});
