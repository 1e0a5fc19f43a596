// Walmart adapter against the Walmart simulator over real HTTP, plus the pure mapping functions.
import { CANONICAL_CARRIERS } from '../../src/carriers';
import { ExternalCallError } from '../../src/external-errors';
import { createHttpClientFactory, type CallRecord } from '../../src/http';
import type { AccessTokenSource, MarketplaceAdapter, TrackingUpload } from '../../src/marketplaces/types';
import {
  buildWalmartShipment,
  packagesHaveTracking,
  WALMART_CARRIER_CODES,
  walmartCarrierName,
  walmartErrors,
  walmartMethodCode,
  walmartModule,
  walmartRetryAfterMs,
  walmartShippedPackages,
  type WalmartAdapterContext,
  type WalmartAdapterOptions,
  type WalmartCredentials,
} from '../../src/marketplaces/walmart';
import { createWalmartSimulator, type WalmartSimulator } from '../../src/simulators/walmart';
import { expectRefusal as expectRefusalOf, refusalCode } from '../support/adapter-helpers';

const CREDS: WalmartCredentials = { clientId: 'wm-client-id-0001abcd', clientSecret: 'wm-client-secret-XYZ9876' };
const PO = '1796277083022';
const TRACKING = '1Z999AA10123456784';

let sim: WalmartSimulator;
let baseUrl: string;
let calls: CallRecord[];

/** What the engine's token cache does, in memory: one mint shared by concurrent callers, one more per refused token. */
function tokenSource(creds: WalmartCredentials, url = baseUrl): AccessTokenSource & { mints: number } {
  let current: Promise<string> | undefined;
  const src = {
    mints: 0,
    get: () => current ?? mint(),
    refresh: async (rejected: string) => ((await current) === rejected ? mint() : current!),
  };
  const mint = () => {
    src.mints += 1;
    current = walmartModule.mintToken!(creds, { baseUrl: url, http: createHttpClientFactory((r) => calls.push(r)) })!.then((t) => t.accessToken);
    return current;
  };
  return src;
}

function adapter(opts: WalmartAdapterOptions = {}, tokens: AccessTokenSource | null = tokenSource(CREDS), creds = CREDS): MarketplaceAdapter {
  const ctx: WalmartAdapterContext = {
    baseUrl,
    http: createHttpClientFactory((r) => calls.push(r)),
    ...(tokens ? { tokens } : {}),
    walmart: opts,
  };
  return walmartModule.create(creds, ctx);
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

async function mintRaw(): Promise<string> {
  const res = await fetch(`${baseUrl}/v3/token`, {
    method: 'POST',
    headers: {
      authorization: `Basic ${Buffer.from(`${CREDS.clientId}:${CREDS.clientSecret}`).toString('base64')}`,
      'content-type': 'application/x-www-form-urlencoded',
      'WM_SVC.NAME': 'Walmart Marketplace',
      'WM_QOS.CORRELATION_ID': 'c-1',
    },
    body: 'grant_type=client_credentials',
  });
  return ((await res.json()) as any).access_token;
}

/** A raw call with a valid token and the required headers (override any of them). */
async function api(path: string, init: { method?: string; body?: unknown; headers?: Record<string, string> } = {}) {
  const headers: Record<string, string> = {
    ...(init.headers && 'WM_SEC.ACCESS_TOKEN' in init.headers ? {} : { 'WM_SEC.ACCESS_TOKEN': await mintRaw() }),
    'WM_SVC.NAME': 'Walmart Marketplace',
    'WM_QOS.CORRELATION_ID': 'c-2',
    ...(init.body !== undefined ? { 'content-type': 'application/json' } : {}),
    ...init.headers,
  };
  for (const [k, v] of Object.entries(headers)) if (v === '') delete headers[k];
  const res = await fetch(`${baseUrl}${path}`, {
    method: init.method ?? (init.body === undefined ? 'GET' : 'POST'),
    headers,
    body: init.body === undefined ? undefined : JSON.stringify(init.body),
  });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : undefined, headers: res.headers };
}

function upload(over: Partial<TrackingUpload> = {}): TrackingUpload {
  return {
    orderId: PO,
    lines: [{ marketplaceLineId: '1', quantity: 1 }],
    carrier: 'UPS',
    trackingNumber: TRACKING,
    shippedAt: '2024-05-01T10:20:30Z',
    ...over,
  };
}

/** A raw Ship order lines body for one line (fields overridable) — the format traps. */
function rawShipment(trackingInfo: Record<string, unknown> = {}, status: Record<string, unknown> = {}, line: Record<string, unknown> = {}) {
  return {
    orderShipment: {
      orderLines: {
        orderLine: [
          {
            lineNumber: '1',
            ...line,
            orderLineStatuses: {
              orderLineStatus: [
                {
                  status: 'Shipped',
                  statusQuantity: { unitOfMeasurement: 'EACH', amount: '1' },
                  ...status,
                  trackingInfo: { shipDateTime: Date.UTC(2024, 4, 1), carrierName: { carrier: 'UPS' }, methodCode: 'Standard', trackingNumber: 'T1', ...trackingInfo },
                },
              ],
            },
          },
        ],
      },
    },
  };
}

const expectRefusal = (p: Promise<unknown>, kind: string, code: string) => expectRefusalOf(p, kind, code, [CREDS.clientSecret]);

const shippingPosts = (po = PO) => sim.harness.requests.filter((r) => r.method === 'POST' && r.path === `/v3/orders/${po}/shipping`);

beforeAll(async () => {
  sim = createWalmartSimulator();
  baseUrl = await sim.listen(0);
});

afterAll(async () => {
  await sim.close();
});

beforeEach(async () => {
  calls = [];
  await ctl('/__control/reset', {});
  await ctl('/__control/clients', CREDS);
  await ctl('/__control/orders', { purchaseOrderId: PO, lines: [{ lineNumber: '1', quantity: 1, sku: 'WPS-87-9230' }] });
});

// ---------------------------------------------------------------------------------------------
describe('pure mapping', () => {
  test('canonical carrier → Walmart carrier code (§6); unlisted → otherCarrier', () => {
    expect(WALMART_CARRIER_CODES).toEqual({
      UPS: 'UPS',
      USPS: 'USPS',
      FedEx: 'FedEx',
      FedExSmartPost: 'FEDEXSP',
      UPSMailInnovations: 'UPSMI',
      DHLeCommerce: 'DHL Ecommerce - US',
      DHLExpress: 'DHL',
      OnTrac: 'OnTrac',
      LaserShip: 'LS',
      Other: undefined,
    });
    for (const c of CANONICAL_CARRIERS.filter((x) => x !== 'Other')) expect(walmartCarrierName(c)).toEqual({ carrier: WALMART_CARRIER_CODES[c] });
    expect(walmartCarrierName('Other')).toEqual({ otherCarrier: 'Other' });
    expect(walmartCarrierName('Other', { otherCarrierName: 'Local Courier' })).toEqual({ otherCarrier: 'Local Courier' });
    expect(walmartCarrierName('FedEx', { carrierCodes: { FedEx: 'FDX' } })).toEqual({ carrier: 'FDX' });
  });

  test('distributor service → methodCode (never "Ground")', () => {
    expect(walmartMethodCode(undefined)).toBe('Standard');
    expect(walmartMethodCode('Ground')).toBe('Standard');
    expect(walmartMethodCode('UPS 2nd Day Air')).toBe('Express');
    expect(walmartMethodCode('FEDEX_EXPRESS_SAVER')).toBe('Express');
    expect(walmartMethodCode('Next Day Air')).toBe('OneDay');
    expect(walmartMethodCode('LTL Freight')).toBe('Freight');
    expect(walmartMethodCode('Ground', { defaultMethodCode: 'Value' })).toBe('Value');
    expect(walmartMethodCode('gnd-03', { methodCodes: { GND03: 'Value' } })).toBe('Value');
  });

  test('body: one line per lineNumber (merged), tracking stripped, epoch ms, sellerOrderId', () => {
    const body = buildWalmartShipment(
      upload({
        trackingNumber: ' 1Z 999-AA1-01 2345 6784 ',
        carrier: 'FedExSmartPost',
        service: '2DAY',
        lines: [
          { marketplaceLineId: '1', quantity: 1 },
          { marketplaceLineId: '2', quantity: 2 },
          { marketplaceLineId: '1', quantity: 2 },
        ],
      }),
    );
    const info = { shipDateTime: 1714558830000, carrierName: { carrier: 'FEDEXSP' }, methodCode: 'Express', trackingNumber: TRACKING };
    const status = (amount: string) => ({ status: 'Shipped', statusQuantity: { unitOfMeasurement: 'EACH', amount }, trackingInfo: info });
    expect(body).toEqual({
      orderShipment: {
        orderLines: {
          orderLine: [
            { lineNumber: '1', sellerOrderId: PO, orderLineStatuses: { orderLineStatus: [status('3')] } },
            { lineNumber: '2', sellerOrderId: PO, orderLineStatuses: { orderLineStatus: [status('2')] } },
          ],
        },
      },
    });
    expect(buildWalmartShipment(upload(), { sendSellerOrderId: false }).orderShipment.orderLines.orderLine[0]).not.toHaveProperty('sellerOrderId');
  });

  test('an unlisted carrier needs a tracking URL: template filled in, or refused before sending', () => {
    const withUrl = buildWalmartShipment(upload({ carrier: 'Other', trackingNumber: 'AB 12' }), { trackingUrlTemplate: 'https://track.example.com/?n={trackingNumber}' });
    expect(withUrl.orderShipment.orderLines.orderLine[0].orderLineStatuses.orderLineStatus[0].trackingInfo).toMatchObject({
      carrierName: { otherCarrier: 'Other' },
      trackingURL: 'https://track.example.com/?n=AB12',
    });
    expect(() => buildWalmartShipment(upload({ carrier: 'Other' }))).toThrow(/requires a tracking URL/);
  });

  test('body refusals before sending', () => {
    const t = (u: TrackingUpload) => refusalCode(() => buildWalmartShipment(u));
    expect(t(upload({ trackingNumber: ' - ' }))).toBe('tracking_rejected');
    expect(t(upload({ carrier: 'Other' }))).toBe('tracking_rejected');
    expect(t(upload({ lines: [] }))).toBe('invalid_request');
    expect(t(upload({ lines: [{ marketplaceLineId: '1', quantity: 0 }] }))).toBe('invalid_request');
    expect(t(upload({ lines: [{ marketplaceLineId: '1', quantity: 1.5 }] }))).toBe('invalid_request');
    expect(t(upload({ shippedAt: 'not a date' }))).toBe('invalid_request');
  });

  test('read-back, error envelope and replenish header parsing', () => {
    const packages = walmartShippedPackages({
      order: {
        orderLines: {
          orderLine: [
            {
              lineNumber: '1',
              orderLineStatuses: {
                orderLineStatus: [
                  { status: 'Acknowledged', statusQuantity: { amount: '1' } },
                  { status: 'Shipped', statusQuantity: { amount: '2' }, trackingInfo: { trackingNumber: '9400111899223197428490', carrierName: { carrier: 'USPS' } } },
                ],
              },
            },
          ],
        },
      },
    });
    expect(packages).toEqual([{ lineNumber: '1', quantity: 2, trackingNumber: '9400111899223197428490', carrier: 'USPS' }]);
    expect(packagesHaveTracking(packages, '9400 1118 9922 3197 4284 90')).toBe(true);
    expect(packagesHaveTracking(packages, '')).toBe(false);
    expect(walmartShippedPackages({})).toEqual([]);
    expect(walmartShippedPackages(undefined)).toEqual([]);

    expect(walmartErrors({ errors: { error: [{ code: 'X.GMP_ORDER_API', field: 'methodCode', description: 'd', info: 'i' }] } })).toEqual([
      { code: 'X.GMP_ORDER_API', field: 'methodCode', description: 'd', info: 'i' },
    ]);
    expect(walmartErrors({ errors: [{ code: 'Y', field: '' }] })).toEqual([{ code: 'Y', field: undefined, description: undefined, info: undefined }]);
    expect(walmartErrors({ error: [{ code: 'UNAUTHORIZED.GMP_GATEWAY_API' }] })[0].code).toBe('UNAUTHORIZED.GMP_GATEWAY_API');
    expect(walmartErrors('nope')).toEqual([]);

    expect(walmartRetryAfterMs({ 'retry-after': '3' }, 1000)).toBe(3000);
    expect(walmartRetryAfterMs({ 'x-next-replenish-time': '6000' }, 1000)).toBe(5000);
    expect(walmartRetryAfterMs({ 'x-next-replenishment-time': '500' }, 1000)).toBe(0);
    expect(walmartRetryAfterMs({}, 1000)).toBeUndefined();
  });

  test('module: code, URL, credentials schema and mask', () => {
    expect(walmartModule.code).toBe('walmart');
    expect(walmartModule.productionBaseUrl).toBe('https://marketplace.walmartapis.com');
    expect(walmartModule.credentialsSchema.safeParse(CREDS).success).toBe(true);
    expect(walmartModule.credentialsSchema.safeParse({ clientId: 'x' }).success).toBe(false);
    expect(walmartModule.credentialsSchema.safeParse({ clientId: ' ', clientSecret: 'y' }).success).toBe(false);
    expect(walmartModule.mask(CREDS)).toEqual({ clientId: '••••abcd', clientSecret: '••••9876' });
  });
});

// ---------------------------------------------------------------------------------------------
describe('uploadTracking over HTTP', () => {
  test('happy path: token minted, Walmart headers, body, order Shipped, read-back', async () => {
    const tokens = tokenSource(CREDS);
    const a = adapter({}, tokens);
    expect(await a.uploadTracking(upload())).toEqual({ outcome: 'uploaded' });
    expect(tokens.mints).toBe(1);

    const [tokenReq] = sim.harness.requests.filter((r) => r.path === '/v3/token');
    expect(tokenReq.headers['content-type']).toBe('application/x-www-form-urlencoded');
    expect(tokenReq.headers.authorization).toBe('***');
    expect(tokenReq.body).toBe('grant_type=client_credentials');

    const [req] = shippingPosts();
    expect(req.headers['wm_sec.access_token']).toBe('***'); // present (the harness redacts it)
    expect(req.headers['wm_svc.name']).toBe('Walmart Marketplace');
    expect(req.headers['wm_qos.correlation_id']).toMatch(/^[0-9a-f-]{36}$/);
    expect(req.headers['content-type']).toMatch(/^application\/json/);
    expect(req.body).toEqual(buildWalmartShipment(upload()));

    const order = sim.getOrder(PO)!;
    expect(order.status).toBe('Shipped');
    expect(order.lines[0]).toMatchObject({ lineNumber: '1', shippedQuantity: 1, status: 'Shipped' });
    expect(order.lines[0].shipments).toEqual([
      { amount: 1, trackingInfo: { shipDateTime: Date.parse('2024-05-01T10:20:30Z'), carrierName: { carrier: 'UPS' }, methodCode: 'Standard', trackingNumber: TRACKING } },
    ]);
    expect(await a.hasTracking(PO, TRACKING)).toBe(true);
    expect(await a.hasTracking(PO, '1Z999AA10000000000')).toBe(false);
    expect(tokens.mints).toBe(1);
  });

  test('partial shipment: a quantity-3 line shipped 2 + 1 under two tracking numbers', async () => {
    sim.upsertOrder({ purchaseOrderId: PO, lines: [{ lineNumber: '1', quantity: 3 }, { lineNumber: '2', quantity: 1 }] });
    const a = adapter();
    expect(await a.uploadTracking(upload({ lines: [{ marketplaceLineId: '1', quantity: 2 }], trackingNumber: '1ZAAA0000000000001' }))).toEqual({ outcome: 'uploaded' });
    let o = sim.getOrder(PO)!;
    expect(o.status).toBe('PartiallyShipped');
    expect(o.lines.map((l) => [l.lineNumber, l.shippedQuantity, l.status])).toEqual([
      ['1', 2, 'Acknowledged'],
      ['2', 0, 'Acknowledged'],
    ]);
    // The API shows the line split by status: 1 unit still to ship, 2 shipped.
    const got = await api(`/v3/orders/${PO}`);
    expect(got.body.order.orderLines.orderLine[0].orderLineStatuses.orderLineStatus.map((s: any) => [s.status, s.statusQuantity.amount])).toEqual([
      ['Acknowledged', '1'],
      ['Shipped', '2'],
    ]);

    await a.uploadTracking(
      upload({
        lines: [
          { marketplaceLineId: '1', quantity: 1 },
          { marketplaceLineId: '2', quantity: 1 },
        ],
        carrier: 'USPS',
        trackingNumber: '9400111899223197428490',
      }),
    );
    o = sim.getOrder(PO)!;
    expect(o.status).toBe('Shipped');
    expect(o.lines[0].shipments.map((s) => [s.amount, s.trackingInfo.trackingNumber, s.trackingInfo.carrierName])).toEqual([
      [2, '1ZAAA0000000000001', { carrier: 'UPS' }],
      [1, '9400111899223197428490', { carrier: 'USPS' }],
    ]);
    expect(await a.hasTracking(PO, '1ZAAA0000000000001')).toBe(true);
    expect(await a.hasTracking(PO, '9400111899223197428490')).toBe(true);
  });

  test('duplicate upload: 400 → read-back → already_uploaded, nothing added', async () => {
    const a = adapter();
    expect(await a.uploadTracking(upload())).toEqual({ outcome: 'uploaded' });
    expect(await a.uploadTracking(upload({ trackingNumber: '1Z-999-AA1-0123456784' }))).toEqual({ outcome: 'already_uploaded' });
    expect(sim.getOrder(PO)!.lines[0].shipments).toHaveLength(1);
    expect(calls.filter((c) => !c.url.endsWith('/v3/token')).map((c) => `${c.method} ${c.status}`)).toEqual(['POST 200', 'POST 400', 'GET 200']);
  });

  test('the same tracking again on a line with units left is also a duplicate', async () => {
    sim.upsertOrder({ purchaseOrderId: PO, lines: [{ lineNumber: '1', quantity: 4 }] });
    const a = adapter();
    await a.uploadTracking(upload({ lines: [{ marketplaceLineId: '1', quantity: 2 }] }));
    expect(await a.uploadTracking(upload({ lines: [{ marketplaceLineId: '1', quantity: 2 }] }))).toEqual({ outcome: 'already_uploaded' });
    expect(sim.getOrder(PO)!.lines[0].shippedQuantity).toBe(2);
  });

  test('a 400 the read-back does not confirm is a refusal (carrier not supported → tracking_rejected)', async () => {
    await ctl('/__control/config', { carriers: ['USPS'] });
    const err = await expectRefusal(adapter().uploadTracking(upload()), 'permanent', 'tracking_rejected');
    expect(err.details.upstreamCode).toBe('INVALID_REQUEST_CONTENT.GMP_ORDER_API');
    expect(err.message).toContain('Carrier UPS is not supported');
    expect(calls.filter((c) => c.method === 'GET')).toHaveLength(1); // it looked before refusing
  });

  test('lost acknowledgement: ambiguous timeout, then hasTracking finds it and a resend is already_uploaded', async () => {
    sim.harness.addFault({ type: 'lost_ack', method: 'POST', pathPrefix: `/v3/orders/${PO}/shipping` });
    const a = adapter({ timeoutMs: 300 });
    await expectRefusal(a.uploadTracking(upload()), 'ambiguous', 'timeout');
    expect(await a.hasTracking(PO, TRACKING)).toBe(true);
    expect(await a.uploadTracking(upload())).toEqual({ outcome: 'already_uploaded' });
    expect(sim.getOrder(PO)!.lines[0].shipments).toHaveLength(1);
  });

  test('reset after commit → ambiguous network error, then hasTracking true', async () => {
    sim.harness.addFault({ type: 'reset_after_commit', method: 'POST', pathPrefix: `/v3/orders/${PO}/shipping` });
    const a = adapter();
    await expectRefusal(a.uploadTracking(upload()), 'ambiguous', 'network_error');
    expect(await a.hasTracking(PO, TRACKING)).toBe(true);
  });

  describe('carriers at the wire', () => {
    test.each([
      ['FedEx', 'FedEx'],
      ['FedExSmartPost', 'FEDEXSP'],
      ['UPSMailInnovations', 'UPSMI'],
      ['DHLeCommerce', 'DHL Ecommerce - US'],
      ['DHLExpress', 'DHL'],
      ['OnTrac', 'OnTrac'],
      ['LaserShip', 'LS'],
    ] as const)('%s is sent as %s and accepted', async (carrier, code) => {
      expect((await adapter().uploadTracking(upload({ carrier, trackingNumber: 'TRK0001' }))).outcome).toBe('uploaded');
      expect(sim.getOrder(PO)!.lines[0].shipments[0].trackingInfo.carrierName).toEqual({ carrier: code });
    });

    test('an unmapped carrier: refused without a URL (nothing sent), accepted as otherCarrier + trackingURL with a template', async () => {
      await expectRefusal(adapter().uploadTracking(upload({ carrier: 'Other' })), 'permanent', 'tracking_rejected');
      expect(shippingPosts()).toHaveLength(0);
      const r = await adapter({ trackingUrlTemplate: 'https://track.example.com/{trackingNumber}', otherCarrierName: 'Courier X' }).uploadTracking(upload({ carrier: 'Other' }));
      expect(r.outcome).toBe('uploaded');
      expect(sim.getOrder(PO)!.lines[0].shipments[0].trackingInfo).toMatchObject({
        carrierName: { otherCarrier: 'Courier X' },
        trackingURL: `https://track.example.com/${TRACKING}`,
      });
    });
  });

  describe('refusals are mapped', () => {
    test('unknown purchase order → order_not_found (upload and read-back)', async () => {
      const err = await expectRefusal(adapter().uploadTracking(upload({ orderId: '9999999999999' })), 'permanent', 'order_not_found');
      expect(err.details.httpStatus).toBe(404);
      expect(err.message).toContain('9999999999999');
      await expectRefusal(adapter().hasTracking('9999999999999', TRACKING), 'permanent', 'order_not_found');
    });

    test('order not acknowledged → invalid_request that says so; shipped after acknowledging', async () => {
      sim.upsertOrder({ purchaseOrderId: PO, acknowledged: false, lines: [{ lineNumber: '1', quantity: 1 }] });
      const err = await expectRefusal(adapter().uploadTracking(upload()), 'permanent', 'invalid_request');
      expect(err.message).toMatch(/must be acknowledged/);
      expect((await api(`/v3/orders/${PO}/acknowledge`, { method: 'POST' })).status).toBe(200);
      expect((await adapter().uploadTracking(upload())).outcome).toBe('uploaded');
    });

    test('cancelled line, customer-requested cancellation, WFS order, too many units → invalid_request', async () => {
      const refuse = async (lines: { lineNumber: string; quantity: number; cancelled?: boolean; cancelRequested?: boolean }[], wfs = false, quantity = 1) => {
        sim.upsertOrder({ purchaseOrderId: PO, lines, wfs });
        return expectRefusal(adapter().uploadTracking(upload({ lines: [{ marketplaceLineId: '1', quantity }] })), 'permanent', 'invalid_request');
      };
      expect((await refuse([{ lineNumber: '1', quantity: 1, cancelled: true }])).message).toMatch(/cancelled/);
      expect((await refuse([{ lineNumber: '1', quantity: 1, cancelRequested: true }])).message).toMatch(/intentToCancelOverride/);
      expect((await refuse([{ lineNumber: '1', quantity: 1 }], true)).message).toMatch(/Walmart Fulfillment Services/);
      expect((await refuse([{ lineNumber: '1', quantity: 1 }], false, 2)).message).toMatch(/1 unit\(s\) left/);
      expect((await refuse([{ lineNumber: '7', quantity: 1 }])).message).toMatch(/Invalid line number 1/);
    });

    test('403 → credentials_rejected naming the Orders permission', async () => {
      sim.harness.addFault({ type: 'status', method: 'POST', pathPrefix: '/v3/orders/', status: 403 });
      const err = await expectRefusal(adapter().uploadTracking(upload()), 'permanent', 'credentials_rejected');
      expect(err.message).toMatch(/Orders permission/);
    });

    test('429 → throttled, waiting until x-next-replenish-time', async () => {
      sim.harness.addFault({ type: 'throttle', method: 'POST', pathPrefix: '/v3/orders/', retryAfterSeconds: 7 });
      const err = await expectRefusal(adapter().uploadTracking(upload()), 'transient', 'throttled');
      expect(err.details.retryAfterMs).toBeGreaterThan(5000);
      expect(err.details.retryAfterMs).toBeLessThanOrEqual(7000);
      expect(sim.getOrder(PO)!.lines[0].shipments).toHaveLength(0);
    });

    test('5xx on the upload → ambiguous; on the read-back → transient', async () => {
      sim.harness.addFault({ type: 'status', method: 'POST', pathPrefix: '/v3/orders/', status: 503 });
      await expectRefusal(adapter().uploadTracking(upload()), 'ambiguous', 'upstream_unavailable');
      sim.harness.addFault({ type: 'status', method: 'GET', pathPrefix: '/v3/orders/', status: 500 });
      await expectRefusal(adapter().hasTracking(PO, TRACKING), 'transient', 'upstream_unavailable');
    });

    test('413 (simulator toggle) → invalid_request', async () => {
      await ctl('/__control/config', { maxBodyBytes: 10 });
      const err = await expectRefusal(adapter().uploadTracking(upload()), 'permanent', 'invalid_request');
      expect(err.details.httpStatus).toBe(413);
    });
  });

  describe('tokens', () => {
    test('a burst of uploads shares one token', async () => {
      sim.upsertOrder({ purchaseOrderId: PO, lines: [{ lineNumber: '1', quantity: 3 }] });
      const tokens = tokenSource(CREDS);
      const a = adapter({}, tokens);
      await Promise.all(['T1', 'T2', 'T3'].map((t) => a.uploadTracking(upload({ trackingNumber: t }))));
      expect(sim.getOrder(PO)!.lines[0].shippedQuantity).toBe(3);
      expect(sim.tokensMinted).toBe(1);
    });

    test('token expiring mid-batch: 401, one refresh, then success', async () => {
      sim.upsertOrder({ purchaseOrderId: PO, lines: [{ lineNumber: '1', quantity: 2 }] });
      const tokens = tokenSource(CREDS);
      const a = adapter({}, tokens);
      await a.uploadTracking(upload({ lines: [{ marketplaceLineId: '1', quantity: 1 }], trackingNumber: 'T1' }));
      await ctl('/__control/tokens/expire', {});
      expect(await a.uploadTracking(upload({ lines: [{ marketplaceLineId: '1', quantity: 1 }], trackingNumber: 'T2' }))).toEqual({ outcome: 'uploaded' });
      expect(tokens.mints).toBe(2);
      expect(calls.map((c) => `${c.method} ${c.url.replace(baseUrl, '')} ${c.status}`)).toEqual([
        'POST /v3/token 200',
        `POST /v3/orders/${PO}/shipping 200`,
        `POST /v3/orders/${PO}/shipping 401`,
        'POST /v3/token 200',
        `POST /v3/orders/${PO}/shipping 200`,
      ]);
    });

    test('a fresh token refused too → credentials_rejected after exactly one refresh', async () => {
      sim.harness.addFault({ type: 'status', method: 'GET', pathPrefix: '/v3/orders/', status: 401, times: 2 });
      const tokens = tokenSource(CREDS);
      await expectRefusal(adapter({}, tokens).hasTracking(PO, TRACKING), 'permanent', 'credentials_rejected');
      expect(tokens.mints).toBe(2);
    });

    test('revoked keys or rotated secret → marketplace_reauthorization_required; verify says credentials_rejected', async () => {
      await ctl(`/__control/clients/${CREDS.clientId}`, undefined, 'DELETE');
      const err = await expectRefusal(adapter().uploadTracking(upload()), 'permanent', 'marketplace_reauthorization_required');
      expect(err.details).toMatchObject({ httpStatus: 401, upstreamCode: 'invalid_client' });
      expect(err.message).toMatch(/Reconnect Walmart/);
      await expectRefusal(adapter().verifyCredentials(), 'permanent', 'credentials_rejected');
      expect(shippingPosts()).toHaveLength(0);

      await ctl('/__control/clients', { clientId: CREDS.clientId, clientSecret: 'rotated-secret-0000' });
      await expectRefusal(adapter().uploadTracking(upload()), 'permanent', 'marketplace_reauthorization_required');
      const fresh = { clientId: CREDS.clientId, clientSecret: 'rotated-secret-0000' };
      expect((await adapter({}, tokenSource(fresh), fresh).uploadTracking(upload())).outcome).toBe('uploaded');
    });

    test('token endpoint down or its answer lost → transient (retried), never a reauthorization', async () => {
      sim.harness.addFault({ type: 'status', pathPrefix: '/v3/token', status: 503 });
      await expectRefusal(adapter().uploadTracking(upload()), 'transient', 'upstream_unavailable');
      sim.harness.addFault({ type: 'lost_ack', pathPrefix: '/v3/token' });
      const lost = walmartModule.mintToken!(CREDS, { baseUrl, http: createHttpClientFactory(undefined, { timeoutCapMs: 300 }) });
      await expectRefusal(lost, 'transient', 'timeout');
      expect(shippingPosts()).toHaveLength(0);
    });

    test('without the engine token source the adapter mints once itself', async () => {
      const a = adapter({}, null);
      await a.verifyCredentials();
      await a.uploadTracking(upload());
      await ctl('/__control/tokens/expire', {});
      expect(await a.hasTracking(PO, TRACKING)).toBe(true);
      expect(sim.tokensMinted).toBe(2);
    });
  });

  test('verifyCredentials: GET /v3/orders?limit=1 with a token', async () => {
    await adapter().verifyCredentials();
    const req = sim.harness.requests.at(-1)!;
    expect([req.method, req.path, req.query]).toEqual(['GET', '/v3/orders', { limit: '1' }]);
  });

  test('no credential or token appears in the call records', async () => {
    const a = adapter();
    await a.verifyCredentials();
    await a.uploadTracking(upload());
    await a.uploadTracking(upload());
    await ctl('/__control/tokens/expire', {});
    await a.hasTracking(PO, TRACKING);
    // The token endpoint's own answer carries the new token: the client withholds it (secretResponse).
    const text = JSON.stringify(calls);
    expect(calls.length).toBeGreaterThanOrEqual(7);
    expect(text).not.toContain(CREDS.clientSecret);
    expect(text).not.toContain(CREDS.clientId);
    expect(text).not.toContain(Buffer.from(`${CREDS.clientId}:${CREDS.clientSecret}`).toString('base64'));
    expect(text).not.toMatch(/wm-at-/);
    expect(calls.every((c) => c.target === 'walmart')).toBe(true);
  });
});

// ---------------------------------------------------------------------------------------------
describe('simulator', () => {
  test('token endpoint: required headers, Basic auth, form grant', async () => {
    const post = (headers: Record<string, string>, body = 'grant_type=client_credentials') =>
      fetch(`${baseUrl}/v3/token`, {
        method: 'POST',
        headers: {
          authorization: `Basic ${Buffer.from(`${CREDS.clientId}:${CREDS.clientSecret}`).toString('base64')}`,
          'content-type': 'application/x-www-form-urlencoded',
          'WM_SVC.NAME': 'Walmart Marketplace',
          'WM_QOS.CORRELATION_ID': 'c-3',
          ...headers,
        },
        body,
      }).then(async (r) => ({ status: r.status, body: (await r.json()) as any }));
    const ok = await post({});
    expect(ok.status).toBe(200);
    expect(ok.body).toMatchObject({ token_type: 'Bearer', expires_in: 900 });
    expect((await post({ 'WM_SVC.NAME': '' })).status).toBe(400);
    expect(await post({ authorization: 'Basic bm9wZTpub3Bl' })).toEqual({ status: 401, body: { error: 'invalid_client', error_description: expect.any(String) } });
    expect((await post({}, 'grant_type=refresh_token')).body.error).toBe('unsupported_grant_type');
    expect((await post({ 'content-type': 'application/json' }, '{"grant_type":"client_credentials"}')).status).toBe(400);
  });

  test('API routes need a live token and WM_QOS.CORRELATION_ID / WM_SVC.NAME', async () => {
    expect((await api(`/v3/orders/${PO}`, { headers: { 'WM_SEC.ACCESS_TOKEN': 'nope' } })).body.errors.error[0].code).toBe('UNAUTHORIZED.GMP_GATEWAY_API');
    expect((await api(`/v3/orders/${PO}`, { headers: { 'WM_QOS.CORRELATION_ID': '' } })).status).toBe(400);
    expect((await api(`/v3/orders/${PO}`, { headers: { 'WM_SVC.NAME': '' } })).body.errors.error[0].field).toBe('WM_SVC.NAME');
    const token = await mintRaw();
    await ctl('/__control/tokens/expire', {});
    expect((await api(`/v3/orders/${PO}`, { headers: { 'WM_SEC.ACCESS_TOKEN': token } })).status).toBe(401);
  });

  test('format traps and validation (envelope, field, nothing committed)', async () => {
    sim.upsertOrder({ purchaseOrderId: PO, lines: [{ lineNumber: '1', quantity: 2 }] });
    const field = async (body: unknown) => {
      const r = await api(`/v3/orders/${PO}/shipping`, { body });
      expect(r.status).toBe(400);
      expect(r.body.errors.error[0]).toMatchObject({ code: 'INVALID_REQUEST_CONTENT.GMP_ORDER_API', info: 'Request content is invalid.', severity: 'ERROR', category: 'DATA' });
      return r.body.errors.error[0].field;
    };
    expect(await field({})).toBe('orderShipment');
    expect(await field(rawShipment({ shipDateTime: '2024-05-01T00:00:00Z' }))).toBe('shipDateTime'); // ISO string
    expect(await field(rawShipment({ shipDateTime: 637449042980494000 }))).toBe('shipDateTime'); // .NET ticks
    expect(await field(rawShipment({ shipDateTime: 1714521600 }))).toBe('shipDateTime'); // seconds
    const ground = await api(`/v3/orders/${PO}/shipping`, { body: rawShipment({ methodCode: 'Ground' }) });
    expect(ground.body.errors.error[0]).toMatchObject({ field: 'methodCode', description: 'Method code is not supported in line number 1' });
    expect(await field(rawShipment({ carrierName: { carrier: 'ups' } }))).toBe('carrier'); // case-sensitive
    expect(await field(rawShipment({ carrierName: { otherCarrier: 'Courier X' } }))).toBe('trackingURL');
    expect(await field(rawShipment({ carrierName: {} }))).toBe('carrierName');
    expect(await field(rawShipment({}, { status: 'Delivered' }))).toBe('status');
    expect(await field(rawShipment({}, { statusQuantity: { unitOfMeasurement: 'BOX', amount: '1' } }))).toBe('unitOfMeasurement');
    expect(await field(rawShipment({}, { statusQuantity: { unitOfMeasurement: 'EA', amount: 1 } }))).toBe('amount');
    expect(await field(rawShipment({}, { statusQuantity: { unitOfMeasurement: 'EA', amount: '3' } }))).toBe('amount');
    expect(await field(rawShipment({}, {}, { lineNumber: '9' }))).toBe('lineNumber');
    expect(await field(rawShipment({}, {}, { sellerOrderId: 'x'.repeat(31) }))).toBe('sellerOrderId');
    expect(sim.getOrder(PO)!.lines[0].shipments).toHaveLength(0);
    const ok = await api(`/v3/orders/${PO}/shipping`, { body: rawShipment({}, { statusQuantity: { unitOfMeasurement: 'EA', amount: '2' } }) });
    expect(ok.status).toBe(200);
    expect(ok.body.order.orderLines.orderLine[0].orderLineStatuses.orderLineStatus).toEqual([
      { status: 'Shipped', statusQuantity: { unitOfMeasurement: 'EACH', amount: '2' }, trackingInfo: expect.objectContaining({ trackingNumber: 'T1' }) },
    ]);
    expect(await field(rawShipment({ trackingNumber: 'T2' }))).toBe('orderLineStatus'); // already Shipped
  });

  test('PARTIAL_UPDATE replaces tracking within 4 hours, not after', async () => {
    let now = Date.UTC(2024, 4, 1, 12);
    const clocked = createWalmartSimulator({ clock: () => new Date(now) });
    const url = await clocked.listen(0);
    try {
      clocked.addClient(CREDS.clientId, CREDS.clientSecret);
      clocked.upsertOrder({ purchaseOrderId: PO, lines: [{ lineNumber: '1', quantity: 1 }] });
      const a = walmartModule.create(CREDS, { baseUrl: url, http: createHttpClientFactory() });
      await a.uploadTracking(upload({ trackingNumber: 'OLD1' }));
      const send = async (body: unknown) => {
        const token = (await walmartModule.mintToken!(CREDS, { baseUrl: url, http: createHttpClientFactory() }))!.accessToken;
        const r = await fetch(`${url}/v3/orders/${PO}/shipping`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', 'WM_SEC.ACCESS_TOKEN': token, 'WM_SVC.NAME': 'Walmart Marketplace', 'WM_QOS.CORRELATION_ID': 'c' },
          body: JSON.stringify(body),
        });
        return { status: r.status, body: (await r.json()) as any };
      };
      const update = (from: string, to: string) => {
        const body = rawShipment({ trackingNumber: to }, {}, { currentTrackingInfo: { trackingNumber: from } }) as any;
        body.orderShipment.processMode = 'PARTIAL_UPDATE';
        return send(body);
      };
      expect((await update('NOPE', 'NEW1')).body.errors.error[0].field).toBe('currentTrackingInfo');
      now += 3 * 3600_000;
      expect((await update('OLD1', 'NEW1')).status).toBe(200);
      expect(clocked.getOrder(PO)!.lines[0].shipments.map((s) => [s.amount, s.trackingInfo.trackingNumber])).toEqual([[1, 'NEW1']]);
      now += 2 * 3600_000;
      const late = await update('NEW1', 'NEW2');
      expect(late.status).toBe(400);
      expect(late.body.errors.error[0].field).toBe('processMode');
    } finally {
      await clocked.close();
    }
  });

  test('token bucket: rate headers on every answer, 429 when empty', async () => {
    const headers = { 'WM_SEC.ACCESS_TOKEN': await mintRaw() };
    await ctl('/__control/config', { bucketCapacity: 2, bucketRefillPerSecond: 0 });
    const get = () => api(`/v3/orders/${PO}`, { headers });
    const first = await get();
    expect(first.headers.get('x-current-token-count')).toBe('1');
    expect(Number(first.headers.get('x-next-replenish-time'))).toBeGreaterThan(Date.now());
    expect((await get()).status).toBe(200);
    const third = await get();
    expect(third.status).toBe(429);
    expect(third.body.errors.error[0].code).toBe('REQUEST_THRESHOLD_VIOLATED.GMP_GATEWAY_API');
    // Buckets are per API: shipping still has tokens.
    expect((await api(`/v3/orders/${PO}/shipping`, { body: rawShipment(), headers })).status).toBe(200);
  });

  test('control routes, list route, reset', async () => {
    expect((await ctl('/__control/orders', { purchaseOrderId: 'x', lines: [] })).status).toBe(400);
    expect((await ctl('/__control/config', { unknownOrderStatus: 500 })).status).toBe(400);
    expect((await ctl('/__control/orders/unknown')).status).toBe(404);
    await ctl('/__control/config', { unknownOrderStatus: 400 });
    await expectRefusal(adapter().hasTracking('nope', 'T'), 'permanent', 'invalid_request');
    const list = await api('/v3/orders?limit=1');
    expect(list.body.list.meta).toMatchObject({ totalCount: 1, limit: 1 });
    expect(list.body.list.elements.order[0].purchaseOrderId).toBe(PO);
    await ctl('/__control/reset', {});
    expect((await ctl('/__control/orders')).body.orders).toEqual([]);
    expect(sim.config.unknownOrderStatus).toBe(404);
    expect((await ctl('/__control/clients', CREDS)).status).toBe(200);
  });

  test('autoCreateOrders (off by default) creates an unknown order from what it is sent', async () => {
    expect(sim.config.autoCreateOrders).toBe(false);
    await ctl('/__control/config', { autoCreateOrders: true });
    const a = adapter();
    await a.uploadTracking(upload({ orderId: 'AUTO-1', lines: [{ marketplaceLineId: '1', quantity: 2 }], trackingNumber: 'P1' }));
    await a.uploadTracking(upload({ orderId: 'AUTO-1', lines: [{ marketplaceLineId: '1', quantity: 1 }, { marketplaceLineId: '2', quantity: 1 }], trackingNumber: 'P2' }));
    const o = sim.getOrder('AUTO-1')!;
    expect(o.autoCreated).toBe(true);
    expect(o.lines.map((l) => [l.lineNumber, l.quantity, l.status])).toEqual([
      ['1', 3, 'Shipped'],
      ['2', 1, 'Shipped'],
    ]);
    expect(await a.uploadTracking(upload({ orderId: 'AUTO-1', lines: [{ marketplaceLineId: '1', quantity: 2 }], trackingNumber: 'P1' }))).toEqual({ outcome: 'already_uploaded' });
  });
});

describe("a carrier outside Walmart's list keeps the distributor's name", () => {
  test('otherCarrier is the distributor carrier name, else the configured default', () => {
    expect(walmartCarrierName('Other', {}, 'R+L Carriers')).toEqual({ otherCarrier: 'R+L Carriers' });
    expect(walmartCarrierName('Other', { otherCarrierName: 'Freight' })).toEqual({ otherCarrier: 'Freight' });
    expect(walmartCarrierName('UPS', {}, 'ignored')).toEqual({ carrier: 'UPS' });
  });
});
