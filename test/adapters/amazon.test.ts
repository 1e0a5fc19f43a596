// Amazon adapter (SP-API confirmShipment + Login with Amazon) against the Amazon simulator over
// real HTTP, plus the pure mapping functions. Tokens come from a small in-memory source built on
// amazonModule.mintToken, standing in for the engine's cache.
import { CANONICAL_CARRIERS } from '../../src/carriers';
import { ExternalCallError } from '../../src/external-errors';
import { createHttpClientFactory, type CallRecord, type HttpResponse } from '../../src/http';
import {
  AMAZON_CARRIER_CODES,
  amazonCarrierCode,
  amazonModule,
  amazonPackageReferenceId,
  amazonRetryAfterMs,
  amazonShipDate,
  buildAmazonShipmentConfirmation,
  isAmazonTokenRefusal,
  mapAmazonOrderItems,
  type AmazonAdapterContext,
  type AmazonAdapterOptions,
  type AmazonCredentials,
} from '../../src/marketplaces/amazon';
import type { AccessTokenSource, MarketplaceAdapter, TrackingUpload } from '../../src/marketplaces/types';
import { createAmazonSimulator, type AmazonSimulator } from '../../src/simulators/amazon';
import { control, expectRefusal as refusal, refusalCode } from '../support/adapter-helpers';

const CREDS: AmazonCredentials = {
  clientId: 'amzn1.application-oa2-client.test0001',
  clientSecret: 'amzn1.oa2-cs.v1.SECRETabcdef123456',
  refreshToken: 'Atzr|IwEBIREFRESHtoken0000000001',
  marketplaceId: 'ATVPDKIKX0DER',
};
const ORDER = '902-1106328-1059050';
const ORDERS = '/orders/v0/orders';

let sim: AmazonSimulator;
let baseUrl: string;
let calls: CallRecord[];
/** Every access token the test's token source handed out. */
let issued: string[];

function tokenSource(creds: AmazonCredentials, ctx: AmazonAdapterContext): AccessTokenSource {
  let current: Promise<string> | undefined;
  const mint = () => {
    current = amazonModule.mintToken!(creds, ctx).then((t) => {
      issued.push(t.accessToken);
      return t.accessToken;
    });
    current.catch(() => (current = undefined));
    return current;
  };
  return {
    get: () => current ?? mint(),
    async refresh(rejected) {
      if (current && (await current) === rejected) return mint();
      return current ?? mint();
    },
  };
}

function context(opts: AmazonAdapterOptions = {}, creds = CREDS, url = baseUrl): AmazonAdapterContext {
  const ctx: AmazonAdapterContext = { baseUrl: url, http: createHttpClientFactory((r) => calls.push(r)), amazon: opts };
  return { ...ctx, tokens: tokenSource(creds, ctx) };
}

function adapter(opts: AmazonAdapterOptions = {}, creds = CREDS): MarketplaceAdapter {
  return amazonModule.create(creds, context(opts, creds));
}

const ctl = (path: string, body?: unknown) => control(baseUrl, path, body);

/** A raw SP-API call with a freshly minted token. */
async function api(path: string, init: { method?: string; body?: unknown; token?: string; contentType?: string } = {}) {
  const token = init.token ?? (await amazonModule.mintToken!(CREDS, { baseUrl, http: createHttpClientFactory() })).accessToken;
  const headers: Record<string, string> = {};
  if (token) headers['x-amz-access-token'] = token;
  if (init.body !== undefined) headers['content-type'] = init.contentType ?? 'application/json';
  const res = await fetch(`${baseUrl}${path}`, {
    method: init.method ?? (init.body === undefined ? 'GET' : 'POST'),
    headers,
    body: init.body === undefined ? undefined : typeof init.body === 'string' ? init.body : JSON.stringify(init.body),
  });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : undefined, headers: res.headers };
}

function upload(over: Partial<TrackingUpload> = {}): TrackingUpload {
  return {
    orderId: ORDER,
    lines: [{ marketplaceLineId: '11111111111111', quantity: 1 }],
    carrier: 'UPS',
    trackingNumber: '1Z999AA10123456784',
    shippedAt: '2024-05-01T10:20:30Z',
    ...over,
  };
}

/** The refusal, whose sentence repeats no credential or token. */
const expectRefusal = (p: Promise<unknown>, kind: string, code: string) => refusal(p, kind, code, [CREDS.clientSecret, CREDS.refreshToken, ...issued]);

const posts = () => sim.harness.requests.filter((r) => r.method === 'POST' && r.path.endsWith('/shipmentConfirmation'));
const wire = () => calls.map((c) => `${c.method} ${new URL(c.url).pathname} ${c.status ?? c.error?.split(':')[0]}`);
const rawPackage = (over: Record<string, unknown> = {}) => ({
  marketplaceId: CREDS.marketplaceId,
  packageDetail: {
    packageReferenceId: '1',
    carrierCode: 'UPS',
    trackingNumber: '1Z999AA10123456784',
    shipDate: '2024-05-01T10:20:30Z',
    orderItems: [{ orderItemId: '11111111111111', quantity: 1 }],
    ...over,
  },
});

beforeAll(async () => {
  sim = createAmazonSimulator();
  baseUrl = await sim.listen(0);
});

afterAll(async () => {
  await sim.close();
});

beforeEach(async () => {
  calls = [];
  issued = [];
  await ctl('/__control/reset', {});
  await ctl('/__control/grants', CREDS);
  await ctl('/__control/orders', { orderId: ORDER, items: [{ orderItemId: '11111111111111', quantity: 1, sku: 'WPS-87-9230' }] });
});

// ---------------------------------------------------------------------------------------------
describe('pure mapping', () => {
  test('canonical carrier → Seller Central carrierCode (§6), overridable', () => {
    expect(AMAZON_CARRIER_CODES).toEqual({
      UPS: 'UPS',
      USPS: 'USPS',
      FedEx: 'FedEx',
      FedExSmartPost: 'FedEx SmartPost',
      UPSMailInnovations: 'UPS Mail Innovations',
      DHLeCommerce: 'DHL Global Mail',
      DHLExpress: 'DHL',
      OnTrac: 'OnTrac',
      LaserShip: 'Lasership',
      Other: 'Other',
    });
    for (const c of CANONICAL_CARRIERS) expect(amazonCarrierCode(c)).toBe(AMAZON_CARRIER_CODES[c]);
    expect(amazonCarrierCode('DHLeCommerce', { DHLeCommerce: 'DHL eCommerce' })).toBe('DHL eCommerce');
    expect(amazonCarrierCode('UPS', { DHLeCommerce: 'DHL eCommerce' })).toBe('UPS');
  });

  test('packageReferenceId: a positive whole number as a string, one per tracking number', () => {
    const id = amazonPackageReferenceId('1Z999AA10123456784');
    expect(id).toMatch(/^[1-9][0-9]{0,8}$/);
    expect(amazonPackageReferenceId('1z 999-aa1-01 2345 6784')).toBe(id);
    expect(amazonPackageReferenceId('1Z999AA10123456785')).not.toBe(id);
    const many = new Set(Array.from({ length: 2000 }, (_, i) => amazonPackageReferenceId(`9400${i}`)));
    expect(many.size).toBe(2000);
  });

  test('shipDate is ISO-8601 UTC and never in the future', () => {
    const now = new Date('2024-06-01T12:00:00.000Z');
    expect(amazonShipDate('2024-05-01T06:20:30-04:00', now)).toBe('2024-05-01T10:20:30.000Z');
    expect(amazonShipDate('2024-06-02T00:00:00Z', now)).toBe('2024-06-01T11:59:00.000Z');
    expect(amazonShipDate('2024-06-02T00:00:00Z', now, 0)).toBe('2024-06-01T12:00:00.000Z');
    expect(() => amazonShipDate('02/31/2022 nonsense', now)).toThrow(ExternalCallError);
  });

  test('body: merged items, stripped tracking, Other with carrierName, service as shippingMethod', () => {
    const opts = { marketplaceId: 'ATVPDKIKX0DER', now: new Date('2024-06-01T00:00:00Z') };
    const body = buildAmazonShipmentConfirmation(
      upload({
        trackingNumber: ' 1Z 999-AA1-01 2345 6784 ',
        lines: [
          { marketplaceLineId: 'A', quantity: 1 },
          { marketplaceLineId: 'B', quantity: 2 },
          { marketplaceLineId: 'A', quantity: 2 },
        ],
        service: 'Ground',
      }),
      opts,
    );
    expect(body).toEqual({
      marketplaceId: 'ATVPDKIKX0DER',
      packageDetail: {
        packageReferenceId: amazonPackageReferenceId('1Z999AA10123456784'),
        carrierCode: 'UPS',
        trackingNumber: '1Z999AA10123456784',
        shipDate: '2024-05-01T10:20:30.000Z',
        orderItems: [
          { orderItemId: 'A', quantity: 3 },
          { orderItemId: 'B', quantity: 2 },
        ],
        shippingMethod: 'Ground',
      },
    });
    expect(typeof body.packageDetail.packageReferenceId).toBe('string');
    const other = (u: Partial<TrackingUpload>, o: { otherCarrierName?: string } = {}) => buildAmazonShipmentConfirmation(upload({ carrier: 'Other', ...u }), { ...opts, ...o }).packageDetail;
    expect(other({ carrierName: 'Estes Express' })).toMatchObject({ carrierCode: 'Other', carrierName: 'Estes Express' });
    expect(other({}, { otherCarrierName: 'Freight' })).toMatchObject({ carrierCode: 'Other', carrierName: 'Freight' });
    expect(other({})).toMatchObject({ carrierCode: 'Other', carrierName: 'Other' });
    expect(buildAmazonShipmentConfirmation(upload({ carrierName: 'ignored' }), opts).packageDetail.carrierName).toBeUndefined();
  });

  test('body refusals before sending', () => {
    const t = (u: TrackingUpload) => refusalCode(() => buildAmazonShipmentConfirmation(u, { marketplaceId: 'ATVPDKIKX0DER' }));
    expect(t(upload())).toBe('ok');
    expect(t(upload({ orderId: '9021106328-1059050' }))).toBe('invalid_request');
    expect(t(upload({ trackingNumber: ' - ' }))).toBe('tracking_rejected');
    expect(t(upload({ lines: [] }))).toBe('invalid_request');
    expect(t(upload({ lines: [{ marketplaceLineId: 'A', quantity: 0 }] }))).toBe('invalid_request');
    expect(t(upload({ lines: [{ marketplaceLineId: '', quantity: 1 }] }))).toBe('invalid_request');
    expect(t(upload({ shippedAt: 'not a date' }))).toBe('invalid_request');
  });

  test('token refusal, rate-limit header and order item mapping', () => {
    const res = (status: number, body: unknown, headers: HttpResponse['headers'] = {}): HttpResponse => ({
      status,
      headers,
      body: JSON.stringify(body),
      json: () => body as any,
    });
    expect(isAmazonTokenRefusal(res(403, { errors: [{ code: 'Unauthorized', message: 'Access to requested resource is denied.' }] }))).toBe(true);
    expect(isAmazonTokenRefusal(res(403, { errors: [{ code: 'Unauthorized' }] }), false)).toBe(false);
    expect(isAmazonTokenRefusal(res(401, {}))).toBe(true);
    expect(isAmazonTokenRefusal(res(403, { errors: [{ code: 'InvalidInput' }] }))).toBe(false);
    expect(isAmazonTokenRefusal(res(400, { errors: [{ code: 'Unauthorized' }] }))).toBe(false);
    expect(amazonRetryAfterMs({ 'x-amzn-ratelimit-limit': '2.0' })).toBe(500);
    expect(amazonRetryAfterMs({ 'x-amzn-ratelimit-limit': '0.0167' })).toBe(59881);
    expect(amazonRetryAfterMs({})).toBeUndefined();
    expect(amazonRetryAfterMs({ 'x-amzn-ratelimit-limit': 'x' })).toBeUndefined();
    expect(
      [...mapAmazonOrderItems({ payload: { OrderItems: [{ OrderItemId: 'A', QuantityOrdered: 3, QuantityShipped: 2 }, { nope: 1 }] } })],
    ).toEqual([['A', { ordered: 3, shipped: 2 }]]);
    expect(mapAmazonOrderItems(undefined).size).toBe(0);
  });

  test('module: code, URL, credentials schema and mask', () => {
    expect(amazonModule.code).toBe('amazon');
    expect(amazonModule.productionBaseUrl).toBe('https://sellingpartnerapi-na.amazon.com');
    expect(amazonModule.credentialsSchema.safeParse(CREDS).success).toBe(true);
    expect(amazonModule.credentialsSchema.safeParse({ ...CREDS, authBaseUrl: 'http://127.0.0.1:4202' }).success).toBe(true);
    expect(amazonModule.credentialsSchema.safeParse({ ...CREDS, refreshToken: ' ' }).success).toBe(false);
    expect(amazonModule.credentialsSchema.safeParse({ ...CREDS, marketplaceId: 'us' }).success).toBe(false);
    expect(amazonModule.credentialsSchema.safeParse({ ...CREDS, authBaseUrl: 'nope' }).success).toBe(false);
    expect(amazonModule.credentialsSchema.safeParse({ accessToken: 'x' }).success).toBe(false);
    expect(amazonModule.mask(CREDS)).toEqual({
      clientId: CREDS.clientId,
      clientSecret: '••••3456',
      refreshToken: '••••0001',
      marketplaceId: 'ATVPDKIKX0DER',
    });
    expect(() => amazonModule.create(CREDS, { baseUrl, http: createHttpClientFactory() })).toThrow(/ctx\.tokens/);
  });
});

// ---------------------------------------------------------------------------------------------
describe('uploadTracking over HTTP', () => {
  test('happy path: token minted with a form body, request shape, 204, order Shipped', async () => {
    const a = adapter();
    expect(sim.getOrder(ORDER)!.orderStatus).toBe('Unshipped');
    const result = await a.uploadTracking(upload());
    const ref = amazonPackageReferenceId('1Z999AA10123456784');
    expect(result).toEqual({ outcome: 'uploaded', fulfillmentId: ref });

    const [tokenReq] = sim.harness.requests.filter((r) => r.path === '/auth/o2/token');
    expect(tokenReq.headers['content-type']).toBe('application/x-www-form-urlencoded');
    expect(Object.fromEntries(new URLSearchParams(tokenReq.body as string))).toEqual({
      grant_type: 'refresh_token',
      refresh_token: CREDS.refreshToken,
      client_id: CREDS.clientId,
      client_secret: CREDS.clientSecret,
    });

    const [req] = posts();
    expect(req.path).toBe(`${ORDERS}/${ORDER}/shipmentConfirmation`);
    expect(req.headers['content-type']).toMatch(/^application\/json/);
    expect(req.headers['x-amz-access-token']).toBe('***'); // present (the harness redacts it)
    expect(req.body).toEqual({
      marketplaceId: 'ATVPDKIKX0DER',
      packageDetail: {
        packageReferenceId: ref,
        carrierCode: 'UPS',
        trackingNumber: '1Z999AA10123456784',
        shipDate: '2024-05-01T10:20:30.000Z',
        orderItems: [{ orderItemId: '11111111111111', quantity: 1 }],
      },
    });
    const order = (await ctl(`/__control/orders/${ORDER}`)).body;
    expect(order.orderStatus).toBe('Shipped');
    expect(order.items).toEqual([{ orderItemId: '11111111111111', sku: 'WPS-87-9230', quantityOrdered: 1, quantityShipped: 1 }]);
    expect(order.packages).toEqual([
      {
        packageReferenceId: ref,
        carrierCode: 'UPS',
        trackingNumber: '1Z999AA10123456784',
        shipDate: '2024-05-01T10:20:30.000Z',
        orderItems: [{ orderItemId: '11111111111111', quantity: 1 }],
        warnings: [],
        sends: 1,
      },
    ]);
    expect(await a.hasTracking(ORDER, '1Z999AA10123456784')).toBe(true);
    expect(wire()).toEqual([
      'POST /auth/o2/token 200',
      `POST ${ORDERS}/${ORDER}/shipmentConfirmation 204`,
      `GET ${ORDERS}/${ORDER} 200`,
    ]);
    // The SP-API answers as documented.
    const got = await api(`${ORDERS}/${ORDER}`);
    expect(got.body.payload).toMatchObject({ AmazonOrderId: ORDER, OrderStatus: 'Shipped', NumberOfItemsShipped: 1, NumberOfItemsUnshipped: 0 });
    expect(got.headers.get('x-amzn-requestid')).toMatch(/^[0-9a-f-]{36}$/);
    const edit = await api(`${ORDERS}/${ORDER}/shipmentConfirmation`, { body: rawPackage({ packageReferenceId: ref }) });
    expect(edit.status).toBe(204);
    expect(edit.body).toBeUndefined();
    expect(edit.headers.get('x-amzn-ratelimit-limit')).toBe('2.0');
  });

  test('a 2-line order shipped as 2 packages: Unshipped → PartiallyShipped → Shipped', async () => {
    sim.upsertOrder({ orderId: ORDER, items: [{ orderItemId: 'A1', quantity: 1 }, { orderItemId: 'B2', quantity: 2 }] });
    const a = adapter();
    await a.uploadTracking(upload({ lines: [{ marketplaceLineId: 'B2', quantity: 2 }], carrier: 'FedEx', trackingNumber: '794644790138' }));
    expect(sim.getOrder(ORDER)!.orderStatus).toBe('PartiallyShipped');
    expect(await a.hasTracking(ORDER, '794644790138')).toBe(false); // Amazon shows no tracking: only a Shipped order is surely done
    await a.uploadTracking(upload({ lines: [{ marketplaceLineId: 'A1', quantity: 1 }], carrier: 'FedEx', trackingNumber: '794644790139' }));
    const o = sim.getOrder(ORDER)!;
    expect(o.orderStatus).toBe('Shipped');
    expect(new Set(o.packages.map((p) => p.packageReferenceId)).size).toBe(2);
    expect(await a.hasTracking(ORDER, '794644790139')).toBe(true);
  });

  test('partial shipment: a quantity-3 item split 2 + 1 over two tracking numbers', async () => {
    sim.upsertOrder({ orderId: ORDER, items: [{ orderItemId: 'A1', quantity: 3 }] });
    const a = adapter();
    const first = await a.uploadTracking(upload({ lines: [{ marketplaceLineId: 'A1', quantity: 2 }], trackingNumber: '1ZAAA0000000000001' }));
    expect(sim.getOrder(ORDER)!.items).toEqual([{ orderItemId: 'A1', quantityOrdered: 3, quantityShipped: 2 }]);
    expect(sim.getOrder(ORDER)!.orderStatus).toBe('PartiallyShipped');
    const second = await a.uploadTracking(upload({ lines: [{ marketplaceLineId: 'A1', quantity: 1 }], carrier: 'USPS', trackingNumber: '9400111899223197428490' }));
    expect(second.fulfillmentId).not.toBe(first.fulfillmentId);
    const o = sim.getOrder(ORDER)!;
    expect(o.orderStatus).toBe('Shipped');
    expect(o.packages.map((p) => [p.trackingNumber, p.carrierCode, p.orderItems])).toEqual([
      ['1ZAAA0000000000001', 'UPS', [{ orderItemId: 'A1', quantity: 2 }]],
      ['9400111899223197428490', 'USPS', [{ orderItemId: 'A1', quantity: 1 }]],
    ]);
    const items = await api(`${ORDERS}/${ORDER}/orderItems`);
    expect(items.body.payload.OrderItems).toEqual([{ OrderItemId: 'A1', QuantityOrdered: 3, QuantityShipped: 3 }]);
  });

  test('a resend of the same package edits it (same packageReferenceId), never adds one', async () => {
    sim.upsertOrder({ orderId: ORDER, items: [{ orderItemId: 'A1', quantity: 3 }] });
    const a = adapter();
    await a.uploadTracking(upload({ lines: [{ marketplaceLineId: 'A1', quantity: 2 }] }));
    const again = await a.uploadTracking(upload({ lines: [{ marketplaceLineId: 'A1', quantity: 2 }], trackingNumber: '1Z 999 AA1 0123456784' }));
    expect(again.outcome).toBe('uploaded');
    const o = sim.getOrder(ORDER)!;
    expect(o.packages).toHaveLength(1);
    expect(o.packages[0].sends).toBe(2);
    expect(o.items[0].quantityShipped).toBe(2); // the edit did not count the units twice
  });

  describe('lost acknowledgement', () => {
    test('lost_ack → ambiguous timeout; the resend edits the committed package', async () => {
      sim.harness.addFault({ type: 'lost_ack', method: 'POST', pathPrefix: ORDERS });
      const a = adapter({ timeoutMs: 300 });
      await expectRefusal(a.uploadTracking(upload()), 'ambiguous', 'timeout');
      expect(sim.getOrder(ORDER)!.packages).toHaveLength(1);
      expect(await a.hasTracking(ORDER, '1Z999AA10123456784')).toBe(true);
      expect(await a.uploadTracking(upload())).toEqual({ outcome: 'uploaded', fulfillmentId: amazonPackageReferenceId('1Z999AA10123456784') });
      expect(sim.getOrder(ORDER)!.packages).toHaveLength(1);
      expect(sim.getOrder(ORDER)!.packages[0].sends).toBe(2);
    });

    test('reset after commit on a partial package → ambiguous network error; hasTracking false, resend is one package', async () => {
      sim.upsertOrder({ orderId: ORDER, items: [{ orderItemId: 'A1', quantity: 3 }] });
      sim.harness.addFault({ type: 'reset_after_commit', method: 'POST', pathPrefix: ORDERS });
      const a = adapter();
      const u = upload({ lines: [{ marketplaceLineId: 'A1', quantity: 2 }] });
      await expectRefusal(a.uploadTracking(u), 'ambiguous', 'network_error');
      expect(await a.hasTracking(ORDER, u.trackingNumber)).toBe(false);
      expect((await a.uploadTracking(u)).outcome).toBe('uploaded');
      expect(sim.getOrder(ORDER)!.packages).toHaveLength(1);
      expect(sim.getOrder(ORDER)!.items[0].quantityShipped).toBe(2);
    });
  });

  describe('already fulfilled (GeneralError)', () => {
    test('a new package on a fully shipped order → read-back shows the items shipped → already_uploaded', async () => {
      const a = adapter();
      await a.uploadTracking(upload({ trackingNumber: '1ZFIRST0000000001' }));
      calls = [];
      const r = await a.uploadTracking(upload({ trackingNumber: '1ZSECOND000000002' }));
      expect(r).toEqual({ outcome: 'already_uploaded', fulfillmentId: amazonPackageReferenceId('1ZSECOND000000002') });
      expect(wire()).toEqual([`POST ${ORDERS}/${ORDER}/shipmentConfirmation 400`, `GET ${ORDERS}/${ORDER}/orderItems 200`]);
      expect(sim.getOrder(ORDER)!.packages).toHaveLength(1);
    });

    test('the simulator answers with the documented GeneralError body', async () => {
      await adapter().uploadTracking(upload());
      const res = await api(`${ORDERS}/${ORDER}/shipmentConfirmation`, { body: rawPackage({ packageReferenceId: '2' }) });
      expect(res.status).toBe(400);
      expect(res.body).toEqual({
        errors: [{ code: 'GeneralError', message: 'Failed to create package due to not finding a matching package or order already fulfilled.', details: '' }],
      });
    });

    test('GeneralError while the items are not shipped → tracking_rejected for a person', async () => {
      sim.harness.addFault({
        type: 'status',
        method: 'POST',
        pathPrefix: ORDERS,
        status: 400,
        body: { errors: [{ code: 'GeneralError', message: 'Failed to create package due to not finding a matching package or order already fulfilled.', details: 'errorCode=GeneralError, errorMetric=PackageToUpdateNotFound' }] },
      });
      const err = await expectRefusal(adapter().uploadTracking(upload()), 'permanent', 'tracking_rejected');
      expect(err.message).toContain('Seller Central');
    });
  });

  describe('carriers and format traps', () => {
    test('an unmapped carrier goes down the Other path with carrierName', async () => {
      const a = adapter();
      await a.uploadTracking(upload({ carrier: 'Other', carrierName: 'Estes Express', trackingNumber: 'EST123456' }));
      expect(posts()[0].body).toMatchObject({ packageDetail: { carrierCode: 'Other', carrierName: 'Estes Express', trackingNumber: 'EST123456' } });
      expect(sim.getOrder(ORDER)!.packages[0]).toMatchObject({ carrierCode: 'Other', carrierName: 'Estes Express', warnings: [] });
    });

    test('a tracking id that does not match the carrier format is accepted with a warning', async () => {
      await adapter().uploadTracking(upload({ trackingNumber: 'NOTAUPSNUMBER' }));
      expect(sim.getOrder(ORDER)!.packages[0].warnings).toEqual(['Tracking ID NOTAUPSNUMBER does not match the format of UPS.']);
    });

    test('wire traps the adapter avoids: number packageReferenceId, missing one, US date, Other without a name, unknown field', async () => {
      await ctl('/__control/config', { rateLimits: { confirmShipment: null } }); // a dozen calls at once
      const send = async (body: unknown) => (await api(`${ORDERS}/${ORDER}/shipmentConfirmation`, { body })).body?.errors?.[0];
      expect(await send(rawPackage({ packageReferenceId: 1 }))).toMatchObject({ code: 'InvalidInput', message: expect.stringContaining('invalid type [packageDetail.packageReferenceId]') });
      expect(await send(rawPackage({ packageReferenceId: undefined }))).toMatchObject({ message: 'PackageReferenceId: is invalid, must be a positive numeric value.' });
      expect(await send(rawPackage({ packageReferenceId: '0' }))).toMatchObject({ message: 'PackageReferenceId: is invalid, must be a positive numeric value.' });
      expect(await send(rawPackage({ shipDate: '02/21/2022' }))).toEqual({ code: 'Invalid Input', message: 'Invalid Input', details: '' });
      expect(await send(rawPackage({ carrierCode: 'Other' }))).toMatchObject({ message: 'carrierName is required when carrierCode is Other.' });
      expect(await send(rawPackage({ carrierCode: 'fedex' }))).toMatchObject({ message: expect.stringContaining('Invalid carrierCode') });
      expect(await send(rawPackage({ trackingNumber: '' }))).toMatchObject({ message: 'trackingNumber is required.' });
      expect(await send({ ...rawPackage(), extra: 1 })).toMatchObject({ message: expect.stringContaining('unknown field [extra]') });
      expect(await send({ packageDetail: rawPackage().packageDetail })).toMatchObject({ message: 'marketplaceId is required.' });
      expect(await send(rawPackage({ orderItems: { orderItemId: '11111111111111', quantity: 1 } }))).toMatchObject({
        message: 'OrderItemId is invalid, please obtain the value through the getOrderItems API or Manage Orders page',
      });
      expect(sim.getOrder(ORDER)!.packages).toHaveLength(0);
      const short = await api(`${ORDERS}/902-110632-1059050/shipmentConfirmation`, { body: rawPackage() });
      expect(short.status).toBe(400);
    });

    test('a carrier code Seller Central does not list → tracking_rejected', async () => {
      const err = await expectRefusal(adapter({ carrierCodes: { UPS: 'United Parcel' } }).uploadTracking(upload()), 'permanent', 'tracking_rejected');
      expect(err.message).toContain('United Parcel');
      expect(err.details).toMatchObject({ httpStatus: 400, upstreamCode: 'InvalidInput' });
    });
  });

  describe('refusals', () => {
    test('unknown order item → invalid_request naming getOrderItems', async () => {
      const err = await expectRefusal(adapter().uploadTracking(upload({ lines: [{ marketplaceLineId: '999', quantity: 1 }] })), 'permanent', 'invalid_request');
      expect(err.message).toMatch(/OrderItemId/);
    });

    test('more units than are left unshipped → invalid_request', async () => {
      const err = await expectRefusal(adapter().uploadTracking(upload({ lines: [{ marketplaceLineId: '11111111111111', quantity: 2 }] })), 'permanent', 'invalid_request');
      expect(err.message).toContain('not yet shipped');
    });

    test('unknown order → 404 order_not_found (or 400 when so configured)', async () => {
      const err = await expectRefusal(adapter().uploadTracking(upload({ orderId: '111-1111111-1111111' })), 'permanent', 'order_not_found');
      expect(err.details.httpStatus).toBe(404);
      await ctl('/__control/config', { unknownOrderStatus: 400 });
      await expectRefusal(adapter().uploadTracking(upload({ orderId: '111-1111111-1111111' })), 'permanent', 'invalid_request');
    });

    test('a Ship+ order refuses confirmShipment', async () => {
      sim.upsertOrder({ orderId: ORDER, shipPlus: true, items: [{ orderItemId: '11111111111111', quantity: 1 }] });
      const err = await expectRefusal(adapter().uploadTracking(upload()), 'permanent', 'invalid_request');
      expect(err.message).toContain('Ship+');
    });

    test('5xx on the upload → ambiguous (toggle and injected); on a read → transient', async () => {
      await ctl('/__control/config', { systemError: 503 });
      const e1 = await expectRefusal(adapter().uploadTracking(upload()), 'ambiguous', 'upstream_unavailable');
      expect(e1.details).toMatchObject({ httpStatus: 503, upstreamCode: 'ServiceUnavailable' });
      expect(sim.getOrder(ORDER)!.packages).toHaveLength(0);
      await ctl('/__control/config', { systemError: null });
      sim.harness.addFault({ type: 'status', method: 'POST', pathPrefix: ORDERS, status: 500 });
      const e2 = await expectRefusal(adapter().uploadTracking(upload()), 'ambiguous', 'upstream_unavailable');
      expect(e2.message).toContain('internal error');
      sim.harness.addFault({ type: 'status', method: 'GET', pathPrefix: ORDERS, status: 500 });
      await expectRefusal(adapter().hasTracking(ORDER, 'X'), 'transient', 'upstream_unavailable');
    });
  });

  describe('throttling', () => {
    test('429 QuotaExceeded → transient, waiting one request at x-amzn-RateLimit-Limit', async () => {
      sim.harness.addFault({ type: 'throttle', method: 'POST', pathPrefix: ORDERS });
      const err = await expectRefusal(adapter().uploadTracking(upload()), 'transient', 'throttled');
      expect(err.details.retryAfterMs).toBe(500);
      expect(err.message).toContain('You exceeded your quota');
      expect(sim.getOrder(ORDER)!.packages).toHaveLength(0);
    });

    test('the usage plan: past the burst the next call is 429 QuotaExceeded with the rate header', async () => {
      // A rate so slow that nothing refills during the test: the burst alone decides.
      await ctl('/__control/config', { rateLimits: { confirmShipment: { rate: 0.001, burst: 10 } } });
      const token = (await amazonModule.mintToken!(CREDS, { baseUrl, http: createHttpClientFactory() })).accessToken;
      const bad = rawPackage({ orderItems: [{ orderItemId: 'nope', quantity: 1 }] });
      for (let i = 0; i < 10; i++) expect((await api(`${ORDERS}/${ORDER}/shipmentConfirmation`, { token, body: bad })).status).toBe(400);
      const last = await api(`${ORDERS}/${ORDER}/shipmentConfirmation`, { token, body: rawPackage() });
      expect(last.status).toBe(429);
      expect(last.body).toEqual({ errors: [{ code: 'QuotaExceeded', message: 'You exceeded your quota for the requested resource.', details: '' }] });
      expect(last.headers.get('x-amzn-ratelimit-limit')).toBe('0.0010');
      expect(sim.getOrder(ORDER)!.packages).toHaveLength(0);
    });

    test('the client never exceeds the plan: 6 uploads at once stay under 2/s', async () => {
      await ctl('/__control/config', { rateLimits: { confirmShipment: { rate: 2, burst: 3 } } });
      sim.upsertOrder({ orderId: ORDER, items: [{ orderItemId: 'A1', quantity: 6 }] });
      const a = adapter();
      const results = await Promise.all(
        Array.from({ length: 6 }, (_, i) => a.uploadTracking(upload({ lines: [{ marketplaceLineId: 'A1', quantity: 1 }], trackingNumber: `1ZRATE00000000000${i}` }))),
      );
      expect(results.every((r) => r.outcome === 'uploaded')).toBe(true);
      expect(posts().length).toBe(6);
      expect(sim.getOrder(ORDER)!.orderStatus).toBe('Shipped');
    });
  });
});

// ---------------------------------------------------------------------------------------------
describe('tokens', () => {
  test('a burst of uploads mints one token', async () => {
    sim.upsertOrder({ orderId: ORDER, items: [{ orderItemId: 'A1', quantity: 3 }] });
    const a = adapter();
    await Promise.all([1, 2, 3].map((i) => a.uploadTracking(upload({ lines: [{ marketplaceLineId: 'A1', quantity: 1 }], trackingNumber: `1ZBURST0000000000${i}` }))));
    expect(sim.tokensMinted).toBe(1);
  });

  test('a token expiring mid-batch: one refresh, then success', async () => {
    sim.upsertOrder({ orderId: ORDER, items: [{ orderItemId: 'A1', quantity: 2 }] });
    const a = adapter();
    await a.uploadTracking(upload({ lines: [{ marketplaceLineId: 'A1', quantity: 1 }], trackingNumber: '1ZEXP00000000000001' }));
    await ctl('/__control/tokens/expire', {});
    calls = [];
    const r = await a.uploadTracking(upload({ lines: [{ marketplaceLineId: 'A1', quantity: 1 }], trackingNumber: '1ZEXP00000000000002' }));
    expect(r.outcome).toBe('uploaded');
    expect(wire()).toEqual([
      `POST ${ORDERS}/${ORDER}/shipmentConfirmation 403`,
      'POST /auth/o2/token 200',
      `POST ${ORDERS}/${ORDER}/shipmentConfirmation 204`,
    ]);
    expect(calls[0].responseBody).toContain('The access token you provided has expired.');
    expect(sim.tokensMinted).toBe(2);
    expect(sim.getOrder(ORDER)!.orderStatus).toBe('Shipped');
  });

  test('the token lifetime is the simulator\'s expires_in', async () => {
    await ctl('/__control/config', { accessTokenLifetimeSeconds: 900 });
    const t = await amazonModule.mintToken!(CREDS, { baseUrl, http: createHttpClientFactory() });
    expect(t.expiresInSeconds).toBe(900);
    expect(t.accessToken).toMatch(/^Atza\|/);
  });

  test('no Orders role: refused again with a fresh token → credentials_rejected after exactly one refresh', async () => {
    await ctl('/__control/grants', { ...CREDS, ordersRole: false });
    const a = adapter();
    const err = await expectRefusal(a.uploadTracking(upload()), 'permanent', 'credentials_rejected');
    expect(err.message).toContain('Inventory and Order Tracking');
    expect(sim.tokensMinted).toBe(2);
    await expectRefusal(a.verifyCredentials(), 'permanent', 'credentials_rejected');
  });

  test('refreshOnForbidden: false turns a 403 into credentials_rejected without a refresh', async () => {
    await ctl('/__control/grants', { ...CREDS, ordersRole: false });
    await expectRefusal(adapter({ refreshOnForbidden: false }).uploadTracking(upload()), 'permanent', 'credentials_rejected');
    expect(sim.tokensMinted).toBe(1);
  });

  test.each([
    ['revoked refresh token', { revoked: true }, 400, 'invalid_grant'],
    ['rotated client secret', { clientSecret: 'amzn1.oa2-cs.v1.OTHER' }, 401, 'invalid_client'],
  ])('%s → marketplace_reauthorization_required (mint, verify, upload)', async (_name, grant, status, error) => {
    await ctl('/__control/grants', { ...CREDS, ...grant });
    const mint = amazonModule.mintToken!(CREDS, { baseUrl, http: createHttpClientFactory((r) => calls.push(r)) });
    const err = await expectRefusal(mint, 'permanent', 'marketplace_reauthorization_required');
    expect(err.details).toMatchObject({ httpStatus: status, upstreamCode: error });
    expect(err.message).toContain('Reconnect Amazon');
    await expectRefusal(adapter().verifyCredentials(), 'permanent', 'marketplace_reauthorization_required');
    await expectRefusal(adapter().uploadTracking(upload()), 'permanent', 'marketplace_reauthorization_required');
    expect(posts()).toHaveLength(0);
  });

  test('the token endpoint down → transient (5xx, throttled, lost answer)', async () => {
    const mint = (timeoutMs?: number) => amazonModule.mintToken!(CREDS, { baseUrl, http: createHttpClientFactory(), ...(timeoutMs ? { amazon: { timeoutMs } } : {}) } as AmazonAdapterContext);
    sim.harness.addFault({ type: 'status', pathPrefix: '/auth/o2/token', status: 503, body: {} });
    await expectRefusal(mint(), 'transient', 'upstream_unavailable');
    sim.harness.addFault({ type: 'status', pathPrefix: '/auth/o2/token', status: 429, body: {} });
    await expectRefusal(mint(), 'transient', 'throttled');
    sim.harness.addFault({ type: 'lost_ack', pathPrefix: '/auth/o2/token' });
    await expectRefusal(mint(300), 'transient', 'timeout');
    expect((await mint()).accessToken).toMatch(/^Atza\|/);
  });

  test('the LWA origin: authBaseUrl when given, else the SP-API baseUrl (a simulator serves both)', async () => {
    const other = createAmazonSimulator();
    const otherUrl = await other.listen(0);
    try {
      other.addGrant(CREDS);
      const a = adapter({}, { ...CREDS, authBaseUrl: otherUrl });
      await expectRefusal(a.uploadTracking(upload()), 'permanent', 'credentials_rejected'); // a token of the other simulator
      expect(other.tokensMinted).toBe(2);
      expect(sim.tokensMinted).toBe(0);
    } finally {
      await other.close();
    }
  });

  test('the simulator: LWA takes only a form body; SP-API 403 bodies', async () => {
    const json = await fetch(`${baseUrl}/auth/o2/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ grant_type: 'refresh_token', refresh_token: CREDS.refreshToken, client_id: CREDS.clientId, client_secret: CREDS.clientSecret }),
    });
    expect(json.status).toBe(400);
    expect(await json.json()).toMatchObject({ error: 'invalid_request' });
    const none = await api(`${ORDERS}/${ORDER}`, { token: '' });
    expect(none.status).toBe(403);
    expect(none.body).toEqual({ errors: [{ code: 'Unauthorized', message: 'Access to requested resource is denied.', details: '' }] });
    const bad = await api(`${ORDERS}/${ORDER}`, { token: 'Atza|forged' });
    expect(bad.body.errors[0].details).toBe('The access token you provided is revoked, malformed or invalid.');
    // A SigV4 Authorization header is ignored.
    const token = (await amazonModule.mintToken!(CREDS, { baseUrl, http: createHttpClientFactory() })).accessToken;
    const res = await fetch(`${baseUrl}${ORDERS}/${ORDER}`, { headers: { 'x-amz-access-token': token, authorization: 'AWS4-HMAC-SHA256 Credential=x' } });
    expect(res.status).toBe(200);
  });
});

// ---------------------------------------------------------------------------------------------
describe('verifyCredentials and the simulator', () => {
  test('verifyCredentials: getOrders for the last day, one result', async () => {
    const now = new Date('2026-11-30T08:00:00.000Z');
    await adapter({ now: () => now }).verifyCredentials();
    const req = sim.harness.requests.at(-1)!;
    expect(req.method).toBe('GET');
    expect(req.path).toBe(ORDERS);
    expect(req.query).toEqual({ MarketplaceIds: 'ATVPDKIKX0DER', CreatedAfter: '2026-11-29T08:00:00.000Z', MaxResultsPerPage: '1' });
    const missing = await api(`${ORDERS}?MarketplaceIds=ATVPDKIKX0DER`);
    expect(missing.status).toBe(400);
    const list = await api(`${ORDERS}?MarketplaceIds=ATVPDKIKX0DER&CreatedAfter=2000-01-01T00:00:00Z`);
    expect(list.body.payload.Orders.map((o: any) => o.AmazonOrderId)).toEqual([ORDER]);
  });

  test('control routes: order upsert keeps packages, validation, config, reset clears state', async () => {
    await adapter().uploadTracking(upload());
    const up = await ctl('/__control/orders', { orderId: ORDER, items: [{ orderItemId: '11111111111111', quantity: 2 }] });
    expect(up.body.orderStatus).toBe('PartiallyShipped');
    expect(up.body.packages).toHaveLength(1);
    expect((await ctl('/__control/orders')).body.orders).toHaveLength(1);
    expect((await ctl('/__control/orders/111-1111111-1111111')).status).toBe(404);
    expect((await ctl('/__control/orders', { orderId: 'x', items: [{ orderItemId: 'A', quantity: 1 }] })).status).toBe(400);
    expect((await ctl('/__control/grants', { clientId: 'x' })).status).toBe(400);
    expect((await ctl('/__control/config', { unknownOrderStatus: 418 })).status).toBe(400);
    await ctl('/__control/config', { accessTokenLifetimeSeconds: 60 });
    expect((await ctl('/__control/config')).body.config.accessTokenLifetimeSeconds).toBe(60);
    await ctl('/__control/reset', {});
    expect((await ctl('/__control/orders')).body.orders).toEqual([]);
    expect(sim.config.accessTokenLifetimeSeconds).toBe(3600);
    await expectRefusal(adapter().verifyCredentials(), 'permanent', 'marketplace_reauthorization_required'); // grants cleared too
  });

  test('no credential appears in the call records or in errors', async () => {
    const a = adapter();
    await a.verifyCredentials();
    await a.uploadTracking(upload());
    await ctl('/__control/tokens/expire', {});
    await a.hasTracking(ORDER, 'X');
    sim.harness.addFault({ type: 'status', method: 'GET', status: 500 });
    await expect(a.hasTracking(ORDER, 'X')).rejects.toThrow(ExternalCallError);
    expect(calls.length).toBeGreaterThanOrEqual(6);
    expect(calls.every((c) => c.target === 'amazon')).toBe(true);
    expect(issued).toHaveLength(2);
    const recorded = JSON.stringify(calls);
    for (const s of [CREDS.clientSecret, CREDS.refreshToken, ...issued]) {
      expect(recorded).not.toContain(s);
      expect(recorded).not.toContain(encodeURIComponent(s));
    }
    expect(calls.find((c) => c.url.endsWith('/auth/o2/token'))!.responseBody).not.toContain('access_token');
  });
});
