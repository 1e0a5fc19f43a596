// eBay adapter against the eBay simulator over real HTTP, plus the pure mapping functions.
import { CANONICAL_CARRIERS } from '../../src/carriers';
import { ExternalCallError } from '../../src/external-errors';
import { createHttpClientFactory, type CallRecord } from '../../src/http';
import {
  buildEbayFulfillment,
  EBAY_CARRIER_CODES,
  ebayCarrierCode,
  ebayModule,
  ebayShippedDate,
  fulfillmentIdFromLocation,
  fulfillmentsHaveTracking,
  mapEbayFulfillments,
  type EbayAdapterContext,
  type EbayAdapterOptions,
} from '../../src/marketplaces/ebay';
import type { MarketplaceAdapter, TrackingUpload } from '../../src/marketplaces/types';
import {
  createEbaySimulator,
  EBAY_FULFILLMENT_READONLY_SCOPE,
  type EbaySimulator,
} from '../../src/simulators/ebay';
import { expectRefusal as expectRefusalOf, refusalCode } from '../support/adapter-helpers';

const TOKEN = 'v^1.1#i^1#p^3#r^1#TESTTOKENabcd1234';
const ORDER = '12-34567-89012';
const API = '/sell/fulfillment/v1';

let sim: EbaySimulator;
let baseUrl: string;
let calls: CallRecord[];

function adapter(opts: EbayAdapterOptions = {}, token = TOKEN, url = baseUrl): MarketplaceAdapter {
  const ctx: EbayAdapterContext = { baseUrl: url, http: createHttpClientFactory((r) => calls.push(r)), ebay: opts };
  return ebayModule.create({ accessToken: token }, ctx);
}

async function ctl(path: string, body?: unknown, method = body === undefined ? 'GET' : 'POST'): Promise<any> {
  const res = await fetch(`${baseUrl}${path}`, {
    method,
    headers: body === undefined ? {} : { 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : undefined, headers: res.headers };
}

async function api(path: string, init: { method?: string; token?: string; body?: string; contentType?: string } = {}) {
  const headers: Record<string, string> = {};
  if (init.token !== '') headers.authorization = `Bearer ${init.token ?? TOKEN}`;
  if (init.contentType) headers['content-type'] = init.contentType;
  const res = await fetch(`${baseUrl}${path}`, { method: init.method ?? 'GET', headers, body: init.body });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : undefined, headers: res.headers };
}

function upload(over: Partial<TrackingUpload> = {}): TrackingUpload {
  return {
    orderId: ORDER,
    lines: [{ marketplaceLineId: '10001', quantity: 1 }],
    carrier: 'UPS',
    trackingNumber: '1Z999AA10123456784',
    shippedAt: '2024-05-01T10:20:30Z',
    ...over,
  };
}

const expectRefusal = (p: Promise<unknown>, kind: string, code: string) => expectRefusalOf(p, kind, code, [TOKEN]);

const postsTo = (orderId = ORDER) => sim.harness.requests.filter((r) => r.method === 'POST' && r.path === `${API}/order/${orderId}/shipping_fulfillment`);

beforeAll(async () => {
  sim = createEbaySimulator();
  baseUrl = await sim.listen(0);
});

afterAll(async () => {
  await sim.close();
});

beforeEach(async () => {
  calls = [];
  await ctl('/__control/reset', {});
  await ctl('/__control/tokens', { token: TOKEN });
  await ctl('/__control/orders', { orderId: ORDER, lineItems: [{ lineItemId: '10001', quantity: 1, sku: 'WPS-87-9230' }] });
});

// ---------------------------------------------------------------------------------------------
describe('pure mapping', () => {
  test('canonical carrier → eBay ShippingCarrierCodeType (§6)', () => {
    expect(EBAY_CARRIER_CODES).toEqual({
      UPS: 'UPS',
      USPS: 'USPS',
      FedEx: 'FedEx',
      FedExSmartPost: 'FedExSmartPost',
      UPSMailInnovations: 'UPSMailInnovations',
      DHLeCommerce: 'DHLGlobalMail',
      DHLExpress: 'DHL',
      OnTrac: 'Other',
      LaserShip: 'Other',
      Other: 'Other',
    });
    for (const c of CANONICAL_CARRIERS) expect(ebayCarrierCode(c)).toBe(EBAY_CARRIER_CODES[c]);
    expect(ebayCarrierCode('OnTrac', { OnTrac: 'ONTRACK' })).toBe('ONTRACK');
    expect(ebayCarrierCode('DHLExpress', { DHLExpress: 'DHLEXPRESS' })).toBe('DHLEXPRESS');
    expect(ebayCarrierCode('LaserShip', { OnTrac: 'ONTRACK' })).toBe('Other');
  });

  test('shippedDate is YYYY-MM-DDTHH:MM:SS.SSSZ UTC and never in the future', () => {
    const now = new Date('2024-06-01T12:00:00.000Z');
    expect(ebayShippedDate('2024-05-01T10:20:30Z', now)).toBe('2024-05-01T10:20:30.000Z');
    expect(ebayShippedDate('2024-05-01T06:20:30-04:00', now)).toBe('2024-05-01T10:20:30.000Z');
    expect(ebayShippedDate('2024-06-02T00:00:00Z', now)).toBe('2024-06-01T11:59:00.000Z');
    expect(ebayShippedDate('2024-06-02T00:00:00Z', now, 0)).toBe('2024-06-01T12:00:00.000Z');
    expect(() => ebayShippedDate('yesterday', now)).toThrow(ExternalCallError);
  });

  test('body: tracking stripped to letters and digits, repeated line ids merged', () => {
    const body = buildEbayFulfillment(
      upload({
        trackingNumber: ' 1Z 999-AA1-01 2345 6784 ',
        carrier: 'DHLeCommerce',
        lines: [
          { marketplaceLineId: 'A', quantity: 1 },
          { marketplaceLineId: 'B', quantity: 2 },
          { marketplaceLineId: 'A', quantity: 2 },
        ],
      }),
      { now: new Date('2024-06-01T00:00:00Z') },
    );
    expect(body).toEqual({
      lineItems: [
        { lineItemId: 'A', quantity: 3 },
        { lineItemId: 'B', quantity: 2 },
      ],
      shippedDate: '2024-05-01T10:20:30.000Z',
      shippingCarrierCode: 'DHLGlobalMail',
      trackingNumber: '1Z999AA10123456784',
    });
  });

  test('body refusals before sending', () => {
    const t = (u: TrackingUpload) => refusalCode(() => buildEbayFulfillment(u));
    expect(t(upload({ trackingNumber: ' - ' }))).toBe('tracking_rejected');
    expect(t(upload({ lines: [] }))).toBe('invalid_request');
    expect(t(upload({ lines: [{ marketplaceLineId: 'A', quantity: 0 }] }))).toBe('invalid_request');
    expect(t(upload({ lines: [{ marketplaceLineId: 'A', quantity: 1.5 }] }))).toBe('invalid_request');
    expect(t(upload({ shippedAt: 'not a date' }))).toBe('invalid_request');
  });

  test('read-back mapping and Location parsing', () => {
    const f = mapEbayFulfillments({
      total: 2,
      fulfillments: [
        { fulfillmentId: '9400111899223197428490', shipmentTrackingNumber: '9400111899223197428490', shippingCarrierCode: 'USPS', lineItems: [{ lineItemId: 'A', quantity: 1 }] },
        { fulfillmentId: '999', lineItems: [{ lineItemId: 'B' }] },
      ],
    });
    expect(f).toHaveLength(2);
    expect(f[0]).toMatchObject({ trackingNumber: '9400111899223197428490', carrierCode: 'USPS', lineItems: [{ lineItemId: 'A', quantity: 1 }] });
    expect(fulfillmentsHaveTracking(f, '9400 1118 9922 3197 4284 90')).toBe(true);
    expect(fulfillmentsHaveTracking(f, '999')).toBe(false); // a no-tracking fulfillment id is not a tracking number
    expect(fulfillmentsHaveTracking(f, '')).toBe(false);
    expect(mapEbayFulfillments({})).toEqual([]);
    expect(mapEbayFulfillments(undefined)).toEqual([]);
    expect(fulfillmentIdFromLocation('https://api.ebay.com/sell/fulfillment/v1/order/12-3/shipping_fulfillment/1Z999')).toBe('1Z999');
    expect(fulfillmentIdFromLocation(['http://x/sell/fulfillment/v1/order/1/shipping_fulfillment/ABC/'])).toBe('ABC');
    expect(fulfillmentIdFromLocation('http://x/elsewhere')).toBeUndefined();
    expect(fulfillmentIdFromLocation(undefined)).toBeUndefined();
  });

  test('module: code, URL, credentials schema and mask', () => {
    expect(ebayModule.code).toBe('ebay');
    expect(ebayModule.productionBaseUrl).toBe('https://api.ebay.com');
    expect(ebayModule.credentialsSchema.safeParse({ accessToken: TOKEN }).success).toBe(true);
    expect(ebayModule.credentialsSchema.safeParse({ accessToken: '' }).success).toBe(false);
    expect(ebayModule.credentialsSchema.safeParse({}).success).toBe(false);
    expect(ebayModule.mask({ accessToken: TOKEN })).toEqual({ accessToken: '••••1234' });
  });
});

// ---------------------------------------------------------------------------------------------
describe('uploadTracking over HTTP', () => {
  test('happy path: request shape, 201 + Location, read-back, order FULFILLED', async () => {
    const a = adapter();
    expect(sim.getOrder(ORDER)!.orderFulfillmentStatus).toBe('NOT_STARTED');
    const result = await a.uploadTracking(upload());
    expect(result).toEqual({ outcome: 'uploaded', fulfillmentId: '1Z999AA10123456784' });

    const [req] = postsTo();
    expect(req.headers['content-type']).toMatch(/^application\/json/);
    expect(req.headers.authorization).toBe('***'); // present (the harness redacts it)
    expect(req.body).toEqual({
      lineItems: [{ lineItemId: '10001', quantity: 1 }],
      shippedDate: '2024-05-01T10:20:30.000Z',
      shippingCarrierCode: 'UPS',
      trackingNumber: '1Z999AA10123456784',
    });

    expect(await a.hasTracking(ORDER, '1Z999AA10123456784')).toBe(true);
    expect(await a.hasTracking(ORDER, '1Z999AA10000000000')).toBe(false);

    const order = (await ctl(`/__control/orders/${ORDER}`)).body;
    expect(order.orderFulfillmentStatus).toBe('FULFILLED');
    expect(order.lineItems).toEqual([
      { lineItemId: '10001', sku: 'WPS-87-9230', quantity: 1, shippedQuantity: 1, lineItemFulfillmentStatus: 'FULFILLED' },
    ]);
    expect(order.fulfillments).toEqual([
      {
        fulfillmentId: '1Z999AA10123456784',
        lineItems: [{ lineItemId: '10001', quantity: 1 }],
        shipmentTrackingNumber: '1Z999AA10123456784',
        shippingCarrierCode: 'UPS',
        shippedDate: '2024-05-01T10:20:30.000Z',
      },
    ]);

    // The eBay read routes agree.
    const one = await api(`${API}/order/${ORDER}/shipping_fulfillment/1Z999AA10123456784`);
    expect(one.status).toBe(200);
    expect(one.body.shipmentTrackingNumber).toBe('1Z999AA10123456784');
    const got = await api(`${API}/order/${ORDER}`);
    expect(got.body).toMatchObject({ orderId: ORDER, orderFulfillmentStatus: 'FULFILLED', lineItems: [{ lineItemId: '10001', lineItemFulfillmentStatus: 'FULFILLED' }] });
    expect(got.body.fulfillmentHrefs).toEqual([`${baseUrl}${API}/order/${ORDER}/shipping_fulfillment/1Z999AA10123456784`]);
  });

  test('partial shipment: a quantity-3 line split 2 + 1 over two tracking numbers, status transitions', async () => {
    await ctl('/__control/orders', {
      orderId: ORDER,
      lineItems: [
        { lineItemId: 'A', quantity: 3 },
        { lineItemId: 'B', quantity: 1 },
      ],
    });
    const a = adapter();
    const first = await a.uploadTracking(upload({ lines: [{ marketplaceLineId: 'A', quantity: 2 }], trackingNumber: '1ZAAA0000000000001' }));
    expect(first.outcome).toBe('uploaded');
    let o = sim.getOrder(ORDER)!;
    expect(o.orderFulfillmentStatus).toBe('IN_PROGRESS');
    expect(o.lineItems.map((l) => [l.lineItemId, l.shippedQuantity, l.lineItemFulfillmentStatus])).toEqual([
      ['A', 2, 'IN_PROGRESS'],
      ['B', 0, 'NOT_STARTED'],
    ]);

    const second = await a.uploadTracking(
      upload({
        lines: [
          { marketplaceLineId: 'A', quantity: 1 },
          { marketplaceLineId: 'B', quantity: 1 },
        ],
        carrier: 'USPS',
        trackingNumber: '9400111899223197428490',
      }),
    );
    expect(second).toEqual({ outcome: 'uploaded', fulfillmentId: '9400111899223197428490' });
    o = sim.getOrder(ORDER)!;
    expect(o.orderFulfillmentStatus).toBe('FULFILLED');
    expect(o.fulfillments.map((f) => [f.shipmentTrackingNumber, f.shippingCarrierCode, f.lineItems])).toEqual([
      ['1ZAAA0000000000001', 'UPS', [{ lineItemId: 'A', quantity: 2 }]],
      ['9400111899223197428490', 'USPS', [{ lineItemId: 'A', quantity: 1 }, { lineItemId: 'B', quantity: 1 }]],
    ]);
    expect(await a.hasTracking(ORDER, '1ZAAA0000000000001')).toBe(true);
    expect(await a.hasTracking(ORDER, '9400111899223197428490')).toBe(true);
  });

  test('a 2-line order shipped as 2 packages: NOT_STARTED → IN_PROGRESS → FULFILLED', async () => {
    sim.upsertOrder({ orderId: ORDER, lineItems: [{ lineItemId: 'A', quantity: 1 }, { lineItemId: 'B', quantity: 2 }] });
    const a = adapter();
    await a.uploadTracking(upload({ lines: [{ marketplaceLineId: 'B', quantity: 2 }], carrier: 'FedEx', trackingNumber: '794644790138' }));
    expect(sim.getOrder(ORDER)!.orderFulfillmentStatus).toBe('IN_PROGRESS');
    await a.uploadTracking(upload({ lines: [{ marketplaceLineId: 'A', quantity: 1 }], carrier: 'FedEx', trackingNumber: '794644790139' }));
    expect(sim.getOrder(ORDER)!.orderFulfillmentStatus).toBe('FULFILLED');
  });

  test('dashes and spaces are stripped from the tracking number; read-back matches either form', async () => {
    const a = adapter();
    const r = await a.uploadTracking(upload({ trackingNumber: '1Z 999-AA1-01 2345 6784' }));
    expect(r).toEqual({ outcome: 'uploaded', fulfillmentId: '1Z999AA10123456784' });
    expect(postsTo()[0].body).toMatchObject({ trackingNumber: '1Z999AA10123456784' });
    expect(await a.hasTracking(ORDER, '1Z 999-AA1-01 2345 6784')).toBe(true);
    expect(await a.hasTracking(ORDER, '1z999aa10123456784')).toBe(true);
  });

  test('the simulator refuses a tracking number with dashes (what the adapter avoids)', async () => {
    const res = await api(`${API}/order/${ORDER}/shipping_fulfillment`, {
      method: 'POST',
      contentType: 'application/json',
      body: JSON.stringify({ lineItems: [{ lineItemId: '10001', quantity: 1 }], shippingCarrierCode: 'UPS', trackingNumber: '1Z-999' }),
    });
    expect(res.status).toBe(400);
    expect(res.body.errors[0]).toMatchObject({ errorId: 32300, domain: 'API_FULFILLMENT', category: 'REQUEST' });
  });

  describe('duplicate upload → already_uploaded after read-back', () => {
    test.each(['34500', '409'] as const)('duplicate mode %s', async (mode) => {
      await ctl('/__control/config', { duplicateMode: mode });
      const a = adapter();
      expect((await a.uploadTracking(upload())).outcome).toBe('uploaded');
      const again = await a.uploadTracking(upload({ trackingNumber: '1Z-999-AA1-0123456784' }));
      expect(again).toEqual({ outcome: 'already_uploaded', fulfillmentId: '1Z999AA10123456784' });
      expect(sim.getOrder(ORDER)!.fulfillments).toHaveLength(1);
      const statuses = calls.map((c) => `${c.method} ${c.status}`);
      expect(statuses).toEqual(['POST 201', `POST ${mode === '409' ? 409 : 400}`, 'GET 200']);
    });

    test('the simulator answers 34500 with the documented message', async () => {
      await adapter().uploadTracking(upload());
      const res = await api(`${API}/order/${ORDER}/shipping_fulfillment`, {
        method: 'POST',
        contentType: 'application/json',
        body: JSON.stringify({ lineItems: [{ lineItemId: '10001', quantity: 1 }], shippingCarrierCode: 'UPS', trackingNumber: '1Z999AA10123456784' }),
      });
      expect(res.status).toBe(400);
      expect(res.body.errors[0]).toMatchObject({ errorId: 34500, message: 'Please use PUT operation for updating shipping fulfillment' });
    });

    test.each([
      ['34500', 400, { errors: [{ errorId: 34500, domain: 'API_FULFILLMENT', category: 'REQUEST', message: 'Please use PUT operation for updating shipping fulfillment' }] }],
      ['409', 409, undefined],
    ])('a %s the read-back does not confirm → permanent tracking_rejected', async (_name, status, body) => {
      sim.harness.addFault({ type: 'status', method: 'POST', pathPrefix: `${API}/order/`, status, body });
      const err = await expectRefusal(adapter().uploadTracking(upload()), 'permanent', 'tracking_rejected');
      expect(err.message).toMatch(/do not show it/);
      expect(sim.getOrder(ORDER)!.fulfillments).toHaveLength(0);
    });
  });

  describe('carrier mapping at the wire', () => {
    test.each([
      ['DHLeCommerce', 'DHLGlobalMail'],
      ['DHLExpress', 'DHL'],
      ['FedExSmartPost', 'FedExSmartPost'],
      ['UPSMailInnovations', 'UPSMailInnovations'],
      ['OnTrac', 'Other'],
      ['LaserShip', 'Other'],
      ['Other', 'Other'],
    ] as const)('%s is sent as %s and accepted', async (carrier, code) => {
      const r = await adapter().uploadTracking(upload({ carrier, trackingNumber: 'TRK0001' }));
      expect(r.outcome).toBe('uploaded');
      expect(postsTo()[0].body).toMatchObject({ shippingCarrierCode: code });
      expect(sim.getOrder(ORDER)!.fulfillments[0].shippingCarrierCode).toBe(code);
    });

    test('adapter override OnTrac → ONTRACK (Trading WSDL spelling)', async () => {
      await adapter({ carrierCodes: { OnTrac: 'ONTRACK' } }).uploadTracking(upload({ carrier: 'OnTrac', trackingNumber: 'D10011223344556' }));
      expect(sim.getOrder(ORDER)!.fulfillments[0].shippingCarrierCode).toBe('ONTRACK');
    });

    test('wrong casing is refused (case-sensitive enum) → tracking_rejected; accepted when the simulator is told otherwise', async () => {
      const a = adapter({ carrierCodes: { FedEx: 'FEDEX' } });
      const err = await expectRefusal(a.uploadTracking(upload({ carrier: 'FedEx', trackingNumber: '794644790138' })), 'permanent', 'tracking_rejected');
      expect(err.details.upstreamCode).toBe('32300');
      expect(err.message).toContain('"FEDEX"');
      expect(err.message).toContain('794644790138');
      await ctl('/__control/config', { carrierCaseSensitive: false });
      expect((await a.uploadTracking(upload({ carrier: 'FedEx', trackingNumber: '794644790138' }))).outcome).toBe('uploaded');
    });

    test('a carrier missing from the configured enum → tracking_rejected', async () => {
      await ctl('/__control/config', { carrierCodes: ['UPS', 'USPS', 'FedEx'] });
      await expectRefusal(adapter().uploadTracking(upload({ carrier: 'Other' })), 'permanent', 'tracking_rejected');
    });
  });

  describe('every error code is mapped', () => {
    test.each([400, 404] as const)('32100 unknown order (simulator answers %i) → order_not_found', async (status) => {
      await ctl('/__control/config', { unknownOrderStatus: status });
      const err = await expectRefusal(adapter().uploadTracking(upload({ orderId: '99-99999-99999' })), 'permanent', 'order_not_found');
      expect(err.details.httpStatus).toBe(status);
      expect(err.details.upstreamCode).toBe('32100');
      expect(err.message).toContain('99-99999-99999');
      // The read-back refuses the same way.
      await expectRefusal(adapter().hasTracking('99-99999-99999', '1Z999AA10123456784'), 'permanent', 'order_not_found');
    });

    test('32200 unknown line item → invalid_request that says eBay may be at fault', async () => {
      const err = await expectRefusal(
        adapter().uploadTracking(upload({ lines: [{ marketplaceLineId: '55555', quantity: 1 }] })),
        'permanent',
        'invalid_request',
      );
      expect(err.details.upstreamCode).toBe('32200');
      expect(err.message).toMatch(/eBay has returned this error for valid ids/);
      expect(err.message).toMatch(/alert/);
    });

    test('32210 duplicate line item: the adapter merges repeated lines, and maps the code if eBay sends it', async () => {
      sim.upsertOrder({ orderId: ORDER, lineItems: [{ lineItemId: 'A', quantity: 3 }] });
      const r = await adapter().uploadTracking(
        upload({ lines: [{ marketplaceLineId: 'A', quantity: 1 }, { marketplaceLineId: 'A', quantity: 2 }] }),
      );
      expect(r.outcome).toBe('uploaded');
      expect(postsTo()[0].body).toMatchObject({ lineItems: [{ lineItemId: 'A', quantity: 3 }] });

      // The simulator itself refuses a repeated line id.
      sim.upsertOrder({ orderId: 'O-2', lineItems: [{ lineItemId: 'A', quantity: 3 }] });
      const raw = await api(`${API}/order/O-2/shipping_fulfillment`, {
        method: 'POST',
        contentType: 'application/json',
        body: JSON.stringify({ lineItems: [{ lineItemId: 'A', quantity: 1 }, { lineItemId: 'A', quantity: 1 }], shippingCarrierCode: 'UPS', trackingNumber: 'X1' }),
      });
      expect(raw.body.errors[0].errorId).toBe(32210);

      sim.harness.addFault({ type: 'status', method: 'POST', pathPrefix: `${API}/order/`, status: 400, body: raw.body });
      const err = await expectRefusal(adapter().uploadTracking(upload({ orderId: 'O-2', lines: [{ marketplaceLineId: 'A', quantity: 1 }] })), 'permanent', 'invalid_request');
      expect(err.details.upstreamCode).toBe('32210');
    });

    test('32400 suspended seller → account_setup_required that says where to fix it', async () => {
      await ctl('/__control/tokens', { token: TOKEN, suspended: true });
      const err = await expectRefusal(adapter().uploadTracking(upload()), 'permanent', 'account_setup_required');
      expect(err.details.upstreamCode).toBe('32400');
      expect(err.message).toMatch(/suspended/);
      expect(err.message).toMatch(/Seller Hub/);
    });

    test('32500: the adapter clamps a future date; eBay with a slower clock still refuses → invalid_request', async () => {
      // A future distributor date is sent as "now − 60 s" and accepted.
      await adapter().uploadTracking(upload({ shippedAt: new Date(Date.now() + 86_400_000).toISOString() }));
      const sent = Date.parse(postsTo()[0].body ? (postsTo()[0].body as any).shippedDate : '');
      expect(sent).toBeLessThanOrEqual(Date.now() - 60_000);

      // A simulator whose clock is a day behind sees every "now" as the future.
      const behind = createEbaySimulator({ clock: () => new Date(Date.now() - 86_400_000) });
      const url = await behind.listen(0);
      try {
        behind.addToken({ token: TOKEN });
        behind.upsertOrder({ orderId: ORDER, lineItems: [{ lineItemId: '10001', quantity: 1 }] });
        const err = await expectRefusal(
          adapter({}, TOKEN, url).uploadTracking(upload({ shippedAt: new Date().toISOString() })),
          'permanent',
          'invalid_request',
        );
        expect(err.details.upstreamCode).toBe('32500');
        expect(err.message).toMatch(/ship date/);
      } finally {
        await behind.close();
      }
    });

    test('32600 more units than ordered → invalid_request', async () => {
      const err = await expectRefusal(
        adapter().uploadTracking(upload({ lines: [{ marketplaceLineId: '10001', quantity: 2 }] })),
        'permanent',
        'invalid_request',
      );
      expect(err.details.upstreamCode).toBe('32600');
      expect(sim.getOrder(ORDER)!.fulfillments).toHaveLength(0);
    });

    test('34100 max tracking numbers per order → tracking_rejected', async () => {
      await ctl('/__control/config', { maxTrackingNumbersPerOrder: 1 });
      sim.upsertOrder({ orderId: ORDER, lineItems: [{ lineItemId: 'A', quantity: 2 }] });
      const a = adapter();
      await a.uploadTracking(upload({ lines: [{ marketplaceLineId: 'A', quantity: 1 }], trackingNumber: 'T1' }));
      const err = await expectRefusal(
        a.uploadTracking(upload({ lines: [{ marketplaceLineId: 'A', quantity: 1 }], trackingNumber: 'T2' })),
        'permanent',
        'tracking_rejected',
      );
      expect(err.details.upstreamCode).toBe('34100');
    });

    test.each([34200, 34300])('%i GSP rules → invalid_request', async (errorId) => {
      sim.harness.addFault({
        type: 'status',
        method: 'POST',
        pathPrefix: `${API}/order/`,
        status: 400,
        body: { errors: [{ errorId, domain: 'API_FULFILLMENT', category: 'REQUEST', message: 'GSP' }] },
      });
      const err = await expectRefusal(adapter().uploadTracking(upload()), 'permanent', 'invalid_request');
      expect(err.details.upstreamCode).toBe(String(errorId));
      expect(err.message).toMatch(/Global Shipping Program/);
    });

    test('500 30500 system error (simulator toggle) → ambiguous, nothing committed', async () => {
      await ctl('/__control/config', { systemError: true });
      const err = await expectRefusal(adapter().uploadTracking(upload()), 'ambiguous', 'upstream_unavailable');
      expect(err.details.httpStatus).toBe(500);
      expect(err.details.upstreamCode).toBe('30500');
      await ctl('/__control/config', { systemError: false });
      expect(await adapter().hasTracking(ORDER, '1Z999AA10123456784')).toBe(false);
    });

    test('an unknown 400 errorId → invalid_request with eBay text', async () => {
      sim.harness.addFault({
        type: 'status',
        method: 'POST',
        pathPrefix: `${API}/order/`,
        status: 400,
        body: { errors: [{ errorId: 39999, domain: 'API_FULFILLMENT', category: 'REQUEST', message: 'Something new' }] },
      });
      const err = await expectRefusal(adapter().uploadTracking(upload()), 'permanent', 'invalid_request');
      expect(err.message).toContain('Something new');
    });
  });

  describe('credentials and throttling', () => {
    test('401 unknown token → marketplace_reauthorization_required (upload, read-back), credentials_rejected (verify); eBay 1001 body', async () => {
      const a = adapter({}, 'expired-token-0000');
      await expectRefusal(a.uploadTracking(upload()), 'permanent', 'marketplace_reauthorization_required');
      await expectRefusal(a.hasTracking(ORDER, 'X'), 'permanent', 'marketplace_reauthorization_required');
      const err = await expectRefusal(a.verifyCredentials(), 'permanent', 'credentials_rejected');
      expect(err.details.httpStatus).toBe(401);
      const raw = await api(`${API}/order?limit=1`, { token: 'nope' });
      expect(raw.status).toBe(401);
      expect(raw.body).toEqual({
        errors: [expect.objectContaining({ errorId: 1001, domain: 'OAuth', category: 'REQUEST', message: 'Invalid access token' })],
      });
      expect((await api(`${API}/order?limit=1`, { token: '' })).status).toBe(401);
    });

    test('403 missing scope: a read-only token verifies and reads but cannot upload', async () => {
      await ctl('/__control/tokens', { token: 'readonly-token-5678', scopes: [EBAY_FULFILLMENT_READONLY_SCOPE] });
      const a = adapter({}, 'readonly-token-5678');
      await a.verifyCredentials();
      expect(await a.hasTracking(ORDER, 'X1')).toBe(false);
      const err = await expectRefusal(a.uploadTracking(upload()), 'permanent', 'credentials_rejected');
      expect(err.details.httpStatus).toBe(403);
      expect(err.message).toContain('sell.fulfillment');

      await ctl('/__control/tokens', { token: 'inventory-only-9999', scopes: ['sell.inventory'] });
      await expectRefusal(adapter({}, 'inventory-only-9999').verifyCredentials(), 'permanent', 'credentials_rejected');
    });

    test('verifyCredentials: GET /sell/fulfillment/v1/order?limit=1', async () => {
      await adapter().verifyCredentials();
      const req = sim.harness.requests.at(-1)!;
      expect(req.method).toBe('GET');
      expect(req.path).toBe(`${API}/order`);
      expect(req.query).toEqual({ limit: '1' });
    });

    test('429 throttle → transient with Retry-After', async () => {
      sim.harness.addFault({ type: 'throttle', pathPrefix: `${API}/order/`, retryAfterSeconds: 7 });
      const err = await expectRefusal(adapter().uploadTracking(upload()), 'transient', 'throttled');
      expect(err.details.retryAfterMs).toBe(7000);
      expect(sim.getOrder(ORDER)!.fulfillments).toHaveLength(0);
      sim.harness.addFault({ type: 'throttle', method: 'GET', retryAfterSeconds: 3 });
      const r = await expectRefusal(adapter().hasTracking(ORDER, 'X'), 'transient', 'throttled');
      expect(r.details.retryAfterMs).toBe(3000);
    });

    test('daily quota exhausted → 429 with Retry-After (configured, or until UTC midnight)', async () => {
      await ctl('/__control/config', { dailyQuota: 2, quotaRetryAfterSeconds: 120 });
      const a = adapter();
      await a.verifyCredentials();
      await a.hasTracking(ORDER, 'X');
      const err = await expectRefusal(a.uploadTracking(upload()), 'transient', 'throttled');
      expect(err.details.retryAfterMs).toBe(120_000);
      expect(sim.quotaUsed).toBe(2);

      await ctl('/__control/config', { quotaRetryAfterSeconds: null });
      const e2 = await expectRefusal(a.verifyCredentials(), 'transient', 'throttled');
      expect(e2.details.retryAfterMs).toBeGreaterThan(0);
      expect(e2.details.retryAfterMs).toBeLessThanOrEqual(86_400_000);
    });

    test('5xx on the upload → ambiguous; 5xx on the read-back → transient', async () => {
      sim.harness.addFault({ type: 'status', method: 'POST', pathPrefix: `${API}/order/`, status: 503 });
      await expectRefusal(adapter().uploadTracking(upload()), 'ambiguous', 'upstream_unavailable');
      sim.harness.addFault({ type: 'status', method: 'GET', pathPrefix: `${API}/order/`, status: 500 });
      await expectRefusal(adapter().hasTracking(ORDER, 'X'), 'transient', 'upstream_unavailable');
    });
  });

  describe('lost acknowledgement', () => {
    test('lost_ack → ambiguous timeout, then hasTracking finds it and a resend is already_uploaded', async () => {
      sim.harness.addFault({ type: 'lost_ack', method: 'POST', pathPrefix: `${API}/order/` });
      const a = adapter({ timeoutMs: 300 });
      await expectRefusal(a.uploadTracking(upload()), 'ambiguous', 'timeout');
      expect(await a.hasTracking(ORDER, '1Z999AA10123456784')).toBe(true);
      expect(await a.uploadTracking(upload())).toEqual({ outcome: 'already_uploaded', fulfillmentId: '1Z999AA10123456784' });
      expect(sim.getOrder(ORDER)!.fulfillments).toHaveLength(1);
    });

    test('reset after commit → ambiguous network error, then hasTracking true', async () => {
      sim.harness.addFault({ type: 'reset_after_commit', method: 'POST', pathPrefix: `${API}/order/` });
      const a = adapter();
      await expectRefusal(a.uploadTracking(upload()), 'ambiguous', 'network_error');
      expect(await a.hasTracking(ORDER, '1Z999AA10123456784')).toBe(true);
    });
  });

  test('the access token never appears in the call records', async () => {
    const a = adapter();
    await a.verifyCredentials();
    await a.uploadTracking(upload());
    await a.uploadTracking(upload());
    sim.harness.addFault({ type: 'status', method: 'GET', status: 401 });
    await expect(a.hasTracking(ORDER, 'X')).rejects.toThrow(ExternalCallError);
    expect(calls.length).toBeGreaterThanOrEqual(5);
    expect(JSON.stringify(calls)).not.toContain(TOKEN);
    expect(calls.every((c) => c.target === 'ebay')).toBe(true);
  });
});

// ---------------------------------------------------------------------------------------------
describe('simulator', () => {
  const post = (orderId: string, body: unknown, contentType: string | undefined = 'application/json') =>
    api(`${API}/order/${orderId}/shipping_fulfillment`, {
      method: 'POST',
      contentType,
      body: typeof body === 'string' ? body : JSON.stringify(body),
    });

  test('201 {} with Location; Content-Type is required; malformed JSON is 32600', async () => {
    const ok = await post(ORDER, { lineItems: [{ lineItemId: '10001', quantity: 1 }], shippingCarrierCode: 'USPS', trackingNumber: 'ABC123' });
    expect(ok.status).toBe(201);
    expect(ok.body).toEqual({});
    expect(ok.headers.get('location')).toBe(`${baseUrl}${API}/order/${ORDER}/shipping_fulfillment/ABC123`);

    const noCt = await post(ORDER, { lineItems: [{ lineItemId: '10001', quantity: 1 }] }, 'text/plain');
    expect(noCt.status).toBe(415);
    const bad = await post(ORDER, '{"lineItems": [', 'application/json');
    expect(bad.status).toBe(400);
    expect(bad.body.errors[0].errorId).toBe(32600);
  });

  test('validation order and codes', async () => {
    sim.upsertOrder({ orderId: ORDER, lineItems: [{ lineItemId: 'A', quantity: 2 }] });
    const line = [{ lineItemId: 'A', quantity: 1 }];
    const code = async (body: unknown, orderId = ORDER) => (await post(orderId, body)).body?.errors?.[0]?.errorId;
    // 1 beats 2: unknown order with unknown line
    expect(await code({ lineItems: [{ lineItemId: 'Z', quantity: 1 }] }, 'nope')).toBe(32100);
    // 2 beats 3
    expect(await code({ lineItems: [{ lineItemId: 'Z', quantity: 1 }, { lineItemId: 'Z', quantity: 1 }] })).toBe(32200);
    // 4: tracking without carrier and the reverse
    expect(await code({ lineItems: line, trackingNumber: 'T1' })).toBe(32600);
    expect(await code({ lineItems: line, shippingCarrierCode: 'UPS' })).toBe(32600);
    // 5
    expect(await code({ lineItems: line, trackingNumber: 'T 1', shippingCarrierCode: 'UPS' })).toBe(32300);
    expect(await code({ lineItems: line, trackingNumber: 'T1', shippingCarrierCode: 'Federal Express' })).toBe(32300);
    // 6: not the documented format, unparseable, future
    expect(await code({ lineItems: line, trackingNumber: 'T1', shippingCarrierCode: 'UPS', shippedDate: '2024-05-01' })).toBe(32500);
    expect(await code({ lineItems: line, trackingNumber: 'T1', shippingCarrierCode: 'UPS', shippedDate: 'soon' })).toBe(32500);
    expect(await code({ lineItems: line, trackingNumber: 'T1', shippingCarrierCode: 'UPS', shippedDate: '2999-01-01T00:00:00.000Z' })).toBe(32500);
    // 7: quantity below 1, above ordered
    expect(await code({ lineItems: [{ lineItemId: 'A', quantity: 0 }], trackingNumber: 'T1', shippingCarrierCode: 'UPS' })).toBe(32600);
    expect(await code({ lineItems: [{ lineItemId: 'A', quantity: 3 }], trackingNumber: 'T1', shippingCarrierCode: 'UPS' })).toBe(32600);
    expect(sim.getOrder(ORDER)!.fulfillments).toHaveLength(0);
    // lenient date format when configured
    await ctl('/__control/config', { shippedDateFormat: 'iso' });
    expect((await post(ORDER, { lineItems: line, trackingNumber: 'T1', shippingCarrierCode: 'UPS', shippedDate: '2024-05-01T06:00:00-04:00' })).status).toBe(201);
    expect(sim.getOrder(ORDER)!.fulfillments[0].shippedDate).toBe('2024-05-01T10:00:00.000Z');
  });

  test('a fulfillment without tracking gets an arbitrary id (999) and shippedDate defaults to now', async () => {
    const res = await post(ORDER, { lineItems: [{ lineItemId: '10001', quantity: 1 }] });
    expect(res.status).toBe(201);
    expect(res.headers.get('location')).toMatch(/\/shipping_fulfillment\/999$/);
    const f = sim.getOrder(ORDER)!.fulfillments[0];
    expect(f.shipmentTrackingNumber).toBeUndefined();
    expect(Date.parse(f.shippedDate)).toBeGreaterThan(Date.now() - 60_000);
  });

  test('read routes: list, by id (unknown → 404), getOrders paging', async () => {
    await ctl('/__control/orders', { orderId: 'O-2', lineItems: [{ lineItemId: 'B', quantity: 1 }] });
    await ctl('/__control/orders', { orderId: 'O-3', lineItems: [{ lineItemId: 'C', quantity: 1 }] });
    await adapter().uploadTracking(upload());
    const list = await api(`${API}/order/${ORDER}/shipping_fulfillment`);
    expect(list.body).toEqual({ total: 1, fulfillments: [expect.objectContaining({ fulfillmentId: '1Z999AA10123456784' })] });
    expect((await api(`${API}/order/${ORDER}/shipping_fulfillment/NOPE`)).status).toBe(404);
    const page = await api(`${API}/order?limit=2&offset=0`);
    expect(page.body).toMatchObject({ total: 3, limit: 2, offset: 0 });
    expect(page.body.orders.map((o: any) => o.orderId)).toEqual([ORDER, 'O-2']);
    expect(page.body.next).toContain('offset=2');
    const byId = await api(`${API}/order?orderIds=O-3`);
    expect(byId.body.orders.map((o: any) => o.orderId)).toEqual(['O-3']);
    expect((await api(`${API}/order/nope`)).status).toBe(400);
  });

  test('control routes: orders list/get/upsert keeps fulfillments, config validation, reset clears state', async () => {
    await adapter().uploadTracking(upload());
    const up = await ctl('/__control/orders', { orderId: ORDER, lineItems: [{ lineItemId: '10001', quantity: 2 }] });
    expect(up.body.orderFulfillmentStatus).toBe('IN_PROGRESS');
    expect(up.body.fulfillments).toHaveLength(1);
    expect((await ctl('/__control/orders')).body.orders).toHaveLength(1);
    expect((await ctl('/__control/orders/unknown')).status).toBe(404);
    expect((await ctl('/__control/orders', { orderId: 'x', lineItems: [] })).status).toBe(400);
    expect((await ctl('/__control/config', { duplicateMode: 'bogus' })).status).toBe(400);
    expect((await ctl('/__control/config')).body.config.maxTrackingNumbersPerOrder).toBe(10);
    await ctl('/__control/config', { maxTrackingNumbersPerOrder: 3 });
    await ctl('/__control/reset', {});
    expect((await ctl('/__control/orders')).body.orders).toEqual([]);
    expect(sim.config.maxTrackingNumbersPerOrder).toBe(10);
    expect((await api(`${API}/order?limit=1`)).status).toBe(401); // tokens cleared too
  });

  test('autoCreateOrders (off by default) creates an unknown order from the line items it is sent', async () => {
    expect(sim.config.autoCreateOrders).toBe(false);
    await ctl('/__control/config', { autoCreateOrders: true });
    const a = adapter();
    await a.uploadTracking(upload({ orderId: 'AUTO-1', lines: [{ marketplaceLineId: 'L1', quantity: 2 }], trackingNumber: 'P1' }));
    await a.uploadTracking(upload({ orderId: 'AUTO-1', lines: [{ marketplaceLineId: 'L1', quantity: 1 }, { marketplaceLineId: 'L2', quantity: 1 }], trackingNumber: 'P2' }));
    const o = sim.getOrder('AUTO-1')!;
    expect(o.autoCreated).toBe(true);
    expect(o.lineItems.map((l) => [l.lineItemId, l.quantity])).toEqual([
      ['L1', 3],
      ['L2', 1],
    ]);
    expect(o.fulfillments).toHaveLength(2);
    expect(await a.uploadTracking(upload({ orderId: 'AUTO-1', lines: [{ marketplaceLineId: 'L1', quantity: 2 }], trackingNumber: 'P1' }))).toEqual({
      outcome: 'already_uploaded',
      fulfillmentId: 'P1',
    });
  });
});

// ---------------------------------------------------------------------------------------------
describe('refresh-token credentials (the token endpoint, §8.6)', () => {
  const APP = { clientId: 'App-Dropship-PRD-0001', clientSecret: 'PRD-secret-0001-abcdef', refreshToken: 'v^1.1#i^1#refresh-0001' };

  /** What the engine's token cache does, in memory: mint on first use and on a refused token. */
  function refreshingAdapter() {
    const http = createHttpClientFactory((r) => calls.push(r));
    const ctx = { baseUrl, http };
    let current: Promise<string> | undefined;
    let mints = 0;
    const mint = () => {
      mints++;
      return ebayModule.mintToken!(APP, ctx).then((m) => m.accessToken);
    };
    const tokens = { get: () => (current ??= mint()), refresh: async () => (current = mint()) };
    return { adapter: ebayModule.create(APP, { ...ctx, tokens }), mints: () => mints };
  }

  beforeEach(async () => {
    await ctl('/__control/apps', { clientId: APP.clientId, clientSecret: APP.clientSecret });
    await ctl('/__control/refresh-tokens', { refreshToken: APP.refreshToken, clientId: APP.clientId });
  });

  test('mints with Basic app keys and a form body, and the minted token uploads', async () => {
    const minted = await ebayModule.mintToken!(APP, { baseUrl, http: createHttpClientFactory((r) => calls.push(r)) });
    expect(minted.expiresInSeconds).toBe(7200);
    const req = sim.harness.requests.find((r) => r.path === '/identity/v1/oauth2/token')!;
    expect(req.headers['content-type']).toBe('application/x-www-form-urlencoded');
    expect(req.body).toMatchObject({ grant_type: 'refresh_token', scope: 'https://api.ebay.com/oauth/api_scope/sell.fulfillment' });
    const { adapter: a, mints } = refreshingAdapter();
    expect(await a.uploadTracking(upload())).toMatchObject({ outcome: 'uploaded' });
    expect(mints()).toBe(1);
    // nothing secret in the call log, in any form
    const log = JSON.stringify(calls);
    for (const s of [APP.clientSecret, APP.refreshToken, encodeURIComponent(APP.refreshToken), minted.accessToken]) expect(log).not.toContain(s);
  });

  test('a token that expired mid-flow is refreshed once and the upload goes through once', async () => {
    const { adapter: a, mints } = refreshingAdapter();
    await a.verifyCredentials();
    await ctl('/__control/tokens/expire', {});
    expect(await a.uploadTracking(upload())).toMatchObject({ outcome: 'uploaded' });
    expect(mints()).toBe(2);
    expect(postsTo()).toHaveLength(2); // the refused one (401, nothing committed) and the one that landed
    expect(sim.getOrder(ORDER)!.fulfillments).toHaveLength(1);
  });

  test('a revoked refresh token or rotated app secret asks for reauthorization, never a retry', async () => {
    await ctl('/__control/refresh-tokens', { refreshToken: APP.refreshToken, clientId: APP.clientId, revoked: true });
    const http = createHttpClientFactory((r) => calls.push(r));
    const err = await expectRefusal(ebayModule.mintToken!(APP, { baseUrl, http }), 'permanent', 'marketplace_reauthorization_required');
    expect(err.message).toContain('invalid_grant');
    expect(err.message).not.toContain(APP.refreshToken);
    await expectRefusal(ebayModule.mintToken!({ ...APP, clientSecret: 'rotated' }, { baseUrl, http }), 'permanent', 'marketplace_reauthorization_required');
    expect(ebayModule.carriesToken!(APP)).toBe(false);
    expect(ebayModule.carriesToken!({ accessToken: TOKEN })).toBe(true);
  });
});
