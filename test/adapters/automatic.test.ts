import {
  AUTOMATIC_LIMITS,
  automaticModule,
  buildCreateBody,
  classifyAutomaticFailure,
  createAutomaticAdapter,
  mapAutomaticCarrier,
  mapAvailability,
  mapTrackingEntries,
  parseAutomaticDate,
  type AutomaticAdapter,
  type AutomaticAdapterOptions,
} from '../../src/distributors/automatic';
import type { PurchaseOrderRequest } from '../../src/distributors/types';
import { ExternalCallError, retryDelayMs } from '../../src/external-errors';
import { createHttpClientFactory, type CallRecord, type HttpClientOptions, type HttpRequest, type HttpResponse } from '../../src/http';
import { createAutomaticSimulator, formatAutomaticDate, type AutomaticSimulator } from '../../src/simulators/automatic';

const TOKEN = 'ad-live-token-7f3k9q';
const NOW = new Date('2025-03-07T15:30:00Z');

let sim: AutomaticSimulator;
let baseUrl: string;
let calls: CallRecord[] = [];

async function control(method: string, path: string, body?: unknown): Promise<{ status: number; json: any }> {
  const res = await fetch(baseUrl + path, {
    method,
    headers: body === undefined ? {} : { 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, json: text ? JSON.parse(text) : undefined };
}

/** A raw API call, as a real client would make it. */
async function api(method: string, path: string, opts: { token?: string; body?: unknown; headers?: Record<string, string> } = {}) {
  const res = await fetch(baseUrl + path, {
    method,
    headers: {
      accept: 'application/json',
      authorization: opts.token ?? TOKEN,
      ...(opts.body === undefined ? {} : { 'content-type': 'application/json' }),
      ...opts.headers,
    },
    body: opts.body === undefined ? undefined : JSON.stringify(opts.body),
  });
  const text = await res.text();
  return { status: res.status, headers: res.headers, json: text ? JSON.parse(text) : undefined };
}

function adapter(opts: AutomaticAdapterOptions = {}, token = TOKEN): AutomaticAdapter {
  return createAutomaticAdapter({ apiToken: token }, { baseUrl, http: createHttpClientFactory((r) => calls.push(r)) }, opts);
}

function order(po: string, over: Partial<PurchaseOrderRequest> = {}): PurchaseOrderRequest {
  return {
    poNumber: po,
    shipTo: {
      name: 'Jane Rider',
      address1: '100 Main St',
      address2: 'Apt 4',
      city: 'Boise',
      state: 'ID',
      postalCode: '83702',
      country: 'US',
      phone: '2085550100',
    },
    lines: [
      { lineId: 'l1', distributorSku: 'AU-100', quantity: 2 },
      { lineId: 'l2', distributorSku: 'AU-200', quantity: 1 },
    ],
    ...over,
  };
}

async function rejection(p: Promise<unknown>): Promise<ExternalCallError> {
  try {
    await p;
  } catch (e) {
    expect(e).toBeInstanceOf(ExternalCallError);
    return e as ExternalCallError;
  }
  throw new Error('expected a rejection');
}

function apiRequests() {
  return sim.harness.requests.filter((r) => !r.path.startsWith('/__control'));
}

beforeAll(async () => {
  sim = createAutomaticSimulator({ now: () => NOW });
  baseUrl = await sim.listen(0);
});

afterAll(async () => {
  await sim.close();
});

beforeEach(async () => {
  calls = [];
  await control('POST', '/__control/reset');
  await control('POST', '/__control/config', { duplicatePo: 'allow', throttleRetryAfter: false, requireHttps: false, stockCap: null, recancel: 'answer' });
  expect((await control('POST', '/__control/accounts', { credentials: { apiToken: TOKEN } })).status).toBe(200);
  await control('PUT', '/__control/items/AU-100', { price: 12.5, warehouses: { MAIN: 40 } });
  await control('PUT', '/__control/items/AU-200', { price: 30, warehouses: { MAIN: 3, EAST: 5 } });
  await control('PUT', '/__control/items/AU-CARB', { price: 80, carbRestricted: true, warehouses: { MAIN: 5 } });
  await control('PUT', '/__control/items/AU-DISC', { status: 'DISCONTINUED', warehouses: { MAIN: 0 } });
  await control('PUT', '/__control/items/AU-NODS', { dropShipEligible: false, warehouses: { MAIN: 10 } });
});

// -------------------------------------------------------------------------------------------
describe('pure mapping functions', () => {
  test('carrier names map to canonical carriers', () => {
    expect(mapAutomaticCarrier('UPS Ground')).toBe('UPS');
    expect(mapAutomaticCarrier('UPS 2nd Day Air')).toBe('UPS');
    expect(mapAutomaticCarrier('UPS Mail Innovations')).toBe('UPSMailInnovations');
    expect(mapAutomaticCarrier('FedEx Home Delivery')).toBe('FedEx');
    expect(mapAutomaticCarrier('FEDEX SMARTPOST')).toBe('FedExSmartPost');
    expect(mapAutomaticCarrier('USPS Priority Mail')).toBe('USPS');
    expect(mapAutomaticCarrier('OnTrac')).toBe('OnTrac');
    expect(mapAutomaticCarrier('R+L Carriers')).toBe('Other');
    expect(mapAutomaticCarrier(undefined)).toBe('Other');
  });

  test('MM/DD/YY dates', () => {
    expect(parseAutomaticDate('03/07/25')).toBe('2025-03-07T00:00:00.000Z');
    expect(parseAutomaticDate('12/31/2024')).toBe('2024-12-31T00:00:00.000Z');
    expect(parseAutomaticDate('2025-01-02T10:00:00Z')).toBe('2025-01-02T10:00:00.000Z');
    expect(parseAutomaticDate('')).toBeUndefined();
    expect(formatAutomaticDate(new Date('2025-01-05T23:00:00Z'))).toBe('01/05/25');
  });

  test('tracking numbers and PRO numbers stay apart; other orders are skipped; duplicates merge', () => {
    const shipments = mapTrackingEntries(
      [
        { orderNumber: '1', carrier: 'UPS Ground', trackingNumber: '1Z1', proNumber: null, shipDate: '03/07/25', items: [{ number: 'A', quantity: 1 }] },
        { orderNumber: '1', carrier: 'UPS Ground', trackingNumber: '1Z1', proNumber: null, shipDate: '03/07/25', items: [{ number: 'A', quantity: 1 }, { number: 'B', quantity: 2 }] },
        { orderNumber: '1', carrier: 'R+L Carriers', trackingNumber: null, proNumber: 'PRO555', shipDate: '03/08/25', items: [{ number: 'C', quantity: 1 }] },
        { orderNumber: '1', carrier: 'FedEx Freight', trackingNumber: '7777', proNumber: 'PRO777', shipDate: '03/09/25', items: [] },
        { orderNumber: '2', carrier: 'UPS', trackingNumber: '1Z2', shipDate: '03/07/25', items: [] },
      ],
      '1',
    );
    expect(shipments).toEqual([
      { trackingNumber: '1Z1', carrier: 'UPS', service: 'UPS Ground', shippedAt: '2025-03-07T00:00:00.000Z', lines: [{ distributorSku: 'A', quantity: 2 }, { distributorSku: 'B', quantity: 2 }] },
      { trackingNumber: '', carrier: 'Other', service: 'R+L Carriers', shippedAt: '2025-03-08T00:00:00.000Z', lines: [{ distributorSku: 'C', quantity: 1 }], freightNumber: 'PRO555' },
      { trackingNumber: '7777', carrier: 'FedEx', service: 'FedEx Freight', shippedAt: '2025-03-09T00:00:00.000Z', lines: [], freightNumber: 'PRO777' },
    ]);
    for (const s of shipments) expect(s.trackingNumber).not.toMatch(/^PRO/);
  });

  test('availability mapping', () => {
    expect(mapAvailability('X', { number: 'X', quantityAvailable: 7, available: true, warehouses: [{ code: 'main', quantity: 7 }] })).toEqual({
      distributorSku: 'X',
      orderable: true,
      warehouses: [{ code: 'MAIN', quantity: 7 }],
    });
    expect(mapAvailability('X', { quantityAvailable: 4 }).warehouses).toEqual([{ code: 'MAIN', quantity: 4 }]);
  });

  test('create body follows §8.4', () => {
    const body = buildCreateBody(order('PO-1', { shipTo: { ...order('x').shipTo, company: 'Acme', state: 'id' } }), { shipMethod: 'UPS GROUND' });
    expect(body).toEqual({
      purchaseNumber: 'PO-1',
      shipToAddress: { name: 'Jane Rider', address1: '100 Main St', address2: 'Apt 4', city: 'Boise', state: 'ID', zip: '83702', phone: '2085550100', classification: 'COMMERCIAL' },
      items: [{ number: 'AU-100', quantity: 2 }, { number: 'AU-200', quantity: 1 }],
      shipMethod: 'UPS GROUND',
    });
    expect((buildCreateBody(order('PO-1'), { addressClassification: 'omit' }).shipToAddress as any).classification).toBeUndefined();
    expect((buildCreateBody(order('PO-1')).shipToAddress as any).classification).toBe('RESIDENTIAL');
  });

  const res = (status: number, body: unknown, headers: Record<string, string> = {}): HttpResponse => ({
    status,
    headers,
    body: JSON.stringify(body),
    json: () => body as any,
  });

  test.each([
    [401, 'E001', 'Unauthorized', 'create', 'permanent', 'credentials_rejected'],
    [423, 'E002', 'API access disabled', 'create', 'permanent', 'account_setup_required'],
    [403, 'E003', 'Too Many Requests', 'create', 'transient', 'throttled'],
    [406, 'E004', 'HTTPS required', 'lookup', 'permanent', 'invalid_request'],
    [422, 'E005', 'Item restricted', 'create', 'permanent', 'restricted_item'],
    [400, 'E100', 'shipToAddress.zip: must be a US ZIP code', 'create', 'permanent', 'address_rejected'],
    [400, 'E100', 'purchaseNumber: must be at most 22 characters', 'create', 'permanent', 'invalid_request'],
    [400, 'E100', 'purchaseNumber: duplicate purchase number X', 'create', 'permanent', 'duplicate_po'],
    [400, 'E100', 'items[0].number: item Q not found', 'create', 'permanent', 'sku_not_orderable'],
    [400, 'E202', 'No shipping options available', 'create', 'permanent', 'address_rejected'],
    [500, 'E000', 'Internal', 'create', 'ambiguous', 'upstream_unavailable'],
    [503, 'E200', 'Gateway error', 'create', 'ambiguous', 'upstream_unavailable'],
    [503, 'E200', 'Gateway error', 'lookup', 'transient', 'upstream_unavailable'],
    [500, 'E000', 'Internal', 'cancel', 'ambiguous', 'upstream_unavailable'],
  ] as const)('%s/%s (%s) on %s → %s %s', (status, code, message, op, kind, refusal) => {
    const e = classifyAutomaticFailure(res(status, { code, message }), op);
    expect(e.kind).toBe(kind);
    expect(e.code).toBe(refusal);
    expect(e.details.upstreamCode).toBe(code);
  });

  test('403/E003 carries Retry-After when present, else no wait of its own (the retry backs off)', () => {
    expect(classifyAutomaticFailure(res(403, { code: 'E003' }, { 'retry-after': '7' }), 'lookup').details.retryAfterMs).toBe(7000);
    const bare = classifyAutomaticFailure(res(403, { code: 'E003' }), 'lookup');
    expect(bare.details.retryAfterMs).toBeUndefined();
    // Two throttles in a row wait about one and two seconds, not a fixed minute each.
    expect([retryDelayMs(bare, 1, () => 0.999999), retryDelayMs(bare, 2, () => 0.999999)]).toEqual([1000, 2000]);
  });

  test('access disabled message tells the dealer what to do', () => {
    expect(classifyAutomaticFailure(res(423, { code: 'E002' }), 'verify').message).toBe(
      'Automatic Distributors has API access switched off for your account; ask your Automatic rep to enable API access',
    );
  });

  test('module: credentials schema, mask, limits, base URL', () => {
    expect(automaticModule.code).toBe('automatic');
    expect(automaticModule.credentialsSchema.safeParse({ apiToken: TOKEN }).success).toBe(true);
    expect(automaticModule.credentialsSchema.safeParse({}).success).toBe(false);
    expect(automaticModule.mask({ apiToken: TOKEN })).toEqual({ apiToken: `••••${TOKEN.slice(-4)}` });
    expect(automaticModule.mask({ apiToken: TOKEN }).apiToken).not.toContain(TOKEN.slice(0, 6));
    expect(automaticModule.limits.poNumberMaxLength).toBe(22);
    expect(automaticModule.limits.poNumberPattern.test('PO 12-ab#')).toBe(true);
    expect(automaticModule.limits.poNumberPattern.test('PO\u00e9')).toBe(false);
    expect(automaticModule.warehouses.length).toBeGreaterThan(0);
    expect(automaticModule.productionBaseUrl).toMatch(/^https:\/\//);
  });

  test('the adapter sends the raw token (no Bearer) and declares it secret', async () => {
    const seen: { opts?: HttpClientOptions; reqs: HttpRequest[] } = { reqs: [] };
    const fake = (opts: HttpClientOptions) => {
      seen.opts = opts;
      return {
        async send(req: HttpRequest): Promise<HttpResponse> {
          seen.reqs.push(req);
          return res(200, { number: 'VERIFY', quantityAvailable: 0, available: false, warehouses: [] });
        },
      };
    };
    const a = automaticModule.create({ apiToken: TOKEN }, { http: fake, baseUrl: 'http://sim.local:9999' });
    await a.verifyCredentials();
    expect(seen.opts!.headers).toEqual({ authorization: TOKEN });
    expect(seen.opts!.secrets).toContain(TOKEN);
    expect(seen.opts!.baseUrl).toBe('http://sim.local:9999');
    expect(seen.reqs[0]).toMatchObject({ method: 'GET', path: '/item/avail/VERIFY', timeoutMs: 15000 });
  });
});

// -------------------------------------------------------------------------------------------
describe('over HTTP against the simulator', () => {
  test('placeOrder builds the §8.4 request and answers the order number', async () => {
    const placed = await adapter().placeOrder(order('DS-1001-A'));
    expect(placed).toEqual({ distributorOrderId: '7000001' });
    const req = apiRequests().find((r) => r.path === '/order/create')!;
    expect(req.method).toBe('POST');
    expect(req.headers['content-type']).toMatch(/^application\/json/);
    expect(req.body).toEqual({
      purchaseNumber: 'DS-1001-A',
      shipToAddress: { name: 'Jane Rider', address1: '100 Main St', address2: 'Apt 4', city: 'Boise', state: 'ID', zip: '83702', phone: '2085550100', classification: 'RESIDENTIAL' },
      items: [{ number: 'AU-100', quantity: 2 }, { number: 'AU-200', quantity: 1 }],
    });
    // The token never reaches the call log.
    for (const c of calls) expect(JSON.stringify(c)).not.toContain(TOKEN);
    const { json } = await control('GET', '/__control/orders');
    expect(json.orders).toHaveLength(1);
    expect(json.orders[0]).toMatchObject({ poNumber: 'DS-1001-A', orderId: '7000001', lines: [{ sku: 'AU-100', quantity: 2 }, { sku: 'AU-200', quantity: 1 }], shipments: [] });
  });

  test('create answer: header.ponumber lowercase, generation "01", MM/DD/YY dates; lookups spell poNumber', async () => {
    const created = await api('POST', '/order/create', {
      body: { purchaseNumber: 'RAW-1', shipToAddress: { name: 'A', address1: 'B', city: 'C', state: 'ID', zip: '83702' }, items: [{ number: 'AU-100', quantity: 1 }] },
    });
    expect(created.status).toBe(200);
    expect(created.json.header).toEqual({
      orderNumber: '7000001',
      ponumber: 'RAW-1',
      orderGenerationNumber: '01',
      status: 'OPEN',
      orderDate: '03/07/25',
      invoiceDate: '03/07/25',
      shipMethod: 'BEST',
    });
    expect(created.json.lines).toEqual([{ lineNumber: 1, number: 'AU-100', quantityOrdered: 1, quantityShipped: 0 }]);
    const looked = await api('GET', '/order/purchase-number/RAW-1');
    expect(looked.json.header.poNumber).toBe('RAW-1');
    expect(looked.json.header.ponumber).toBeUndefined();
  });

  test('happy path: place → find → partial ship → find → ship rest → find (canonical carriers)', async () => {
    const a = adapter();
    const { distributorOrderId } = await a.placeOrder(order('DS-2001-A'));
    expect(await a.findOrder('DS-2001-A')).toEqual({ distributorOrderId, status: 'OPEN', shipments: [] });

    const first = await control('POST', '/__control/orders/DS-2001-A/ship', { lines: [{ sku: 'AU-100', quantity: 1 }], carrier: 'UPS Ground', warehouse: 'MAIN' });
    expect(first.status).toBe(200);
    let found = await a.findOrder('DS-2001-A');
    expect(found!.status).toBe('PARTIAL');
    expect(found!.shipments).toEqual([
      { trackingNumber: first.json.trackingNumber, carrier: 'UPS', service: 'UPS Ground', shippedAt: '2025-03-07T00:00:00.000Z', lines: [{ distributorSku: 'AU-100', quantity: 1 }] },
    ]);

    const second = await control('POST', '/__control/orders/DS-2001-A/ship', { carrier: 'FedEx Home Delivery', trackingNumber: '612345678901' });
    expect(second.json.lines).toEqual([{ sku: 'AU-100', quantity: 1 }, { sku: 'AU-200', quantity: 1 }]);
    found = await a.findOrder('DS-2001-A');
    expect(found!.status).toBe('SHIPPED');
    expect(found!.shipments.map((s) => [s.trackingNumber, s.carrier])).toEqual([
      [first.json.trackingNumber, 'UPS'],
      ['612345678901', 'FedEx'],
    ]);
    // Lookup by order number (hint) agrees.
    expect(await a.findOrder('DS-2001-A', { distributorOrderId })).toEqual(found);
    const paths = apiRequests().map((r) => `${r.method} ${r.path}`);
    expect(paths).toContain('GET /order/purchase-number/DS-2001-A/tracking-numbers');
    expect(paths).toContain(`GET /order/number/${distributorOrderId}/tracking-numbers`);

    const { json } = await control('GET', '/__control/orders');
    expect(json.orders[0].shipments).toHaveLength(2);
    expect(json.orders[0].shipments[0]).toMatchObject({ carrier: 'UPS Ground', warehouse: 'MAIN', lines: [{ sku: 'AU-100', quantity: 1 }] });
  });

  test('freight: PRO numbers go to freightNumber, never trackingNumber', async () => {
    const a = adapter();
    await a.placeOrder(order('DS-3001-A'));
    await control('POST', '/__control/orders/DS-3001-A/ship', { lines: [{ sku: 'AU-100', quantity: 2 }], carrier: 'R+L Carriers', proNumber: 'RL12345678' });
    await control('POST', '/__control/orders/DS-3001-A/ship', { carrier: 'FedEx Freight', trackingNumber: 'FXF000111', proNumber: 'PRO-9988' });
    const found = await a.findOrder('DS-3001-A');
    expect(found!.shipments).toEqual([
      { trackingNumber: '', freightNumber: 'RL12345678', carrier: 'Other', service: 'R+L Carriers', shippedAt: '2025-03-07T00:00:00.000Z', lines: [{ distributorSku: 'AU-100', quantity: 2 }] },
      { trackingNumber: 'FXF000111', freightNumber: 'PRO-9988', carrier: 'FedEx', service: 'FedEx Freight', shippedAt: '2025-03-07T00:00:00.000Z', lines: [{ distributorSku: 'AU-200', quantity: 1 }] },
    ]);
    // The raw tracking endpoint keeps the two fields apart…
    const raw = await api('GET', '/order/purchase-number/DS-3001-A/tracking-numbers');
    expect(raw.json[0]).toMatchObject({ orderGenerationNumber: '01', carrier: 'R+L Carriers', trackingNumber: null, proNumber: 'RL12345678', shipDate: '03/07/25' });
    // …while the range endpoint (the documented exception) folds the PRO into trackingNumber.
    const range = await api('GET', '/order/find/range?dateType=C&startDate=03/01/2025&endDate=03/31/2025');
    expect(range.json[0].tracking[0].trackingNumber).toBe('RL12345678');
    expect(range.json[0].tracking[0].proNumber).toBeUndefined();
  });

  test('findOrder: unknown PO → null (404/E201); a 404 without E201 is not "not found"', async () => {
    const a = adapter();
    expect(await a.findOrder('NOPE-1')).toBeNull();
    const raw = await api('GET', '/order/purchase-number/NOPE-1');
    expect(raw).toMatchObject({ status: 404, json: { code: 'E201' } });
    sim.addFault({ type: 'status', status: 404, body: { error: 'no route' }, pathPrefix: '/order/purchase-number/' });
    const e = await rejection(a.findOrder('NOPE-1'));
    expect(e.code).toBe('invalid_request');
  });

  test('refusals map to codes with dealer-readable messages', async () => {
    const a = adapter({ preflight: false });
    const cases: [PurchaseOrderRequest, string, RegExp][] = [
      [order('R-1', { shipTo: { ...order('x').shipTo, postalCode: '83702-12345' } }), 'address_rejected', /zip/],
      [order('R-2', { shipTo: { ...order('x').shipTo, address1: 'x'.repeat(36) } }), 'address_rejected', /address1/],
      [order('R-3', { shipTo: { ...order('x').shipTo, state: 'ZZ' } }), 'address_rejected', /state/],
      [order('R-4-' + 'x'.repeat(20)), 'invalid_request', /purchaseNumber: must be at most 22/],
      [order('R-5\u0001'), 'invalid_request', /printable ASCII/],
      [order('R-6', { lines: [{ lineId: 'l', distributorSku: 'AU-NOPE', quantity: 1 }] }), 'sku_not_orderable', /AU-NOPE not found/],
      [order('R-7', { lines: [{ lineId: 'l', distributorSku: 'AU-DISC', quantity: 1 }] }), 'sku_not_orderable', /not orderable/],
      [order('R-8', { shipTo: { ...order('x').shipTo, state: 'CA', city: 'Fresno', postalCode: '93650' }, lines: [{ lineId: 'l', distributorSku: 'AU-CARB', quantity: 1 }] }), 'restricted_item', /CARB/],
      [order('R-9', { shipTo: { ...order('x').shipTo, state: 'AE', postalCode: '09001' } }), 'address_rejected', /shipping option/],
      [order('R-10', { lines: [{ lineId: 'l', distributorSku: 'AU-100', quantity: 0 }] }), 'invalid_request', /quantity/],
      [order('R-12', { lines: [{ lineId: 'l', distributorSku: 'AU-NODS', quantity: 1 }] }), 'sku_not_orderable', /drop ship/],
    ];
    for (const [o, code, msg] of cases) {
      const e = await rejection(a.placeOrder(o));
      expect([o.poNumber, e.kind, e.code]).toEqual([o.poNumber, 'permanent', code]);
      expect(e.message).toMatch(msg);
      expect(e.message).toMatch(/^Automatic Distributors/);
      expect(e.message).not.toContain(TOKEN);
    }
    // The CARB item ships fine outside California.
    await expect(a.placeOrder(order('R-11', { lines: [{ lineId: 'l', distributorSku: 'AU-CARB', quantity: 1 }] }))).resolves.toBeDefined();
    // Nothing refused was ordered.
    expect((await control('GET', '/__control/orders')).json.orders.map((o: any) => o.poNumber)).toEqual(['R-11']);
    expect(apiRequests()).toHaveLength(12);
  });

  test('the pre-flight refuses what cannot fit without calling Automatic', async () => {
    const a = adapter();
    let e = await rejection(a.placeOrder(order('P'.repeat(23))));
    expect(e.code).toBe('invalid_request');
    e = await rejection(a.placeOrder(order('PF-1', { shipTo: { ...order('x').shipTo, name: 'N'.repeat(36) } })));
    expect(e.code).toBe('address_rejected');
    expect(e.message).toMatch(/name is longer than 35/);
    e = await rejection(a.placeOrder(order('PF-2', { shipTo: { ...order('x').shipTo, country: 'CA' } })));
    expect(e.code).toBe('address_rejected');
    expect(apiRequests()).toHaveLength(0);
    // Limits are configurable.
    await expect(adapter({ limits: { nameMaxLength: 40 } }).placeOrder(order('PF-3', { shipTo: { ...order('x').shipTo, name: 'N'.repeat(36) } }))).rejects.toMatchObject({
      code: 'address_rejected', // the simulator's own 35-character limit still applies
    });
    expect(apiRequests()).toHaveLength(1);
  });

  test('401/E001 → credentials_rejected; a Bearer-prefixed token is refused too', async () => {
    const e = await rejection(adapter({}, 'wrong-token-0000').placeOrder(order('A-1')));
    expect([e.kind, e.code, e.details.httpStatus, e.details.upstreamCode]).toEqual(['permanent', 'credentials_rejected', 401, 'E001']);
    expect(e.message).not.toContain('wrong-token-0000');
    expect((await api('GET', '/item/avail/AU-100', { token: `Bearer ${TOKEN}` })).json).toEqual({ code: 'E001', message: expect.any(String) });
    expect((await api('GET', '/item/avail/AU-100', { token: TOKEN })).status).toBe(200);
  });

  test('423/E002 (API access disabled) → account_setup_required', async () => {
    await control('POST', '/__control/accounts', { credentials: { apiToken: TOKEN }, flags: { apiAccessEnabled: false } });
    const a = adapter();
    const thunks = [() => a.placeOrder(order('D-1')), () => a.findOrder('D-1'), () => a.checkStock(['AU-100']), () => a.verifyCredentials(), () => a.cancelOrder('D-1')];
    for (const call of thunks) {
      const e = await rejection(call());
      expect([e.kind, e.code, e.details.httpStatus]).toEqual(['permanent', 'account_setup_required', 423]);
      expect(e.message).toBe('Automatic Distributors has API access switched off for your account; ask your Automatic rep to enable API access');
    }
    expect((await control('GET', '/__control/orders')).json.orders).toHaveLength(0);
  });

  test('403/E003 is retryable throttling, not a credential error', async () => {
    const a = adapter();
    sim.addFault({ type: 'throttle', pathPrefix: '/order/create' });
    let e = await rejection(a.placeOrder(order('T-1')));
    expect([e.kind, e.code, e.retryable, e.details.httpStatus, e.details.upstreamCode, e.details.retryAfterMs]).toEqual([
      'transient',
      'throttled',
      true,
      403,
      'E003',
      undefined,
    ]);
    expect((await control('GET', '/__control/orders')).json.orders).toHaveLength(0);

    // With Retry-After the API's own wait wins.
    await control('POST', '/__control/config', { throttleRetryAfter: true });
    sim.addFault({ type: 'throttle', pathPrefix: '/item/avail', retryAfterSeconds: 4 });
    e = await rejection(a.checkStock(['AU-100']));
    expect([e.kind, e.code, e.details.retryAfterMs]).toEqual(['transient', 'throttled', 4000]);

    // The retry goes through.
    await expect(a.placeOrder(order('T-1'))).resolves.toEqual({ distributorOrderId: '7000001' });
  });

  test('406/E004: plain HTTP (or wrong content) is refused', async () => {
    await control('POST', '/__control/config', { requireHttps: true });
    const e = await rejection(adapter().findOrder('X-1'));
    expect([e.kind, e.code, e.details.upstreamCode]).toEqual(['permanent', 'invalid_request', 'E004']);
    expect(e.message).toMatch(/https/);
    expect((await api('GET', '/item/avail/AU-100', { headers: { 'x-forwarded-proto': 'https' } })).status).toBe(200);
    await control('POST', '/__control/config', { requireHttps: false });
    const wrong = await fetch(`${baseUrl}/order/create`, { method: 'POST', headers: { authorization: TOKEN, 'content-type': 'text/plain' }, body: 'hello' });
    expect(wrong.status).toBe(406);
    expect(await wrong.json()).toMatchObject({ code: 'E004' });
    expect((await api('GET', '/item/avail/AU-100', { headers: { accept: 'text/html' } })).status).toBe(406);
  });

  test('5xx on the write → ambiguous; 5xx on a read → transient', async () => {
    const a = adapter();
    sim.addFault({ type: 'status', status: 500, pathPrefix: '/order/create' });
    let e = await rejection(a.placeOrder(order('F-1')));
    expect([e.kind, e.code, e.details.upstreamCode]).toEqual(['ambiguous', 'upstream_unavailable', 'E000']);
    sim.addFault({ type: 'status', status: 503, pathPrefix: '/order/purchase-number/' });
    e = await rejection(a.findOrder('F-1'));
    expect([e.kind, e.code, e.details.upstreamCode]).toEqual(['transient', 'upstream_unavailable', 'E200']);
    sim.addFault({ type: 'status', status: 502, pathPrefix: '/item/avail' });
    e = await rejection(a.checkStock(['AU-100']));
    expect(e.kind).toBe('transient');
  });

  test('lost acknowledgement → ambiguous timeout, then findOrder finds the committed order', async () => {
    const a = adapter({ timeoutMs: 300 });
    sim.addFault({ type: 'lost_ack', method: 'POST', pathPrefix: '/order/create' });
    const e = await rejection(a.placeOrder(order('LA-1')));
    expect([e.kind, e.code]).toEqual(['ambiguous', 'timeout']);
    const found = await a.findOrder('LA-1');
    expect(found).toEqual({ distributorOrderId: '7000001', status: 'OPEN', shipments: [] });
    expect((await control('GET', '/__control/orders')).json.orders).toHaveLength(1);
  });

  test('connection reset after commit → ambiguous; the order is there', async () => {
    const a = adapter();
    sim.addFault({ type: 'reset_after_commit', method: 'POST', pathPrefix: '/order/create' });
    const e = await rejection(a.placeOrder(order('RS-1')));
    expect(e.kind).toBe('ambiguous');
    expect((await a.findOrder('RS-1'))!.distributorOrderId).toBe('7000001');
  });

  test('duplicate PO (default, §8.4): a second create makes a second order; findOrder answers the latest', async () => {
    const a = adapter();
    await a.placeOrder(order('DUP-1'));
    await a.placeOrder(order('DUP-1'));
    const { json } = await control('GET', '/__control/orders');
    expect(json.orders.filter((o: any) => o.poNumber === 'DUP-1').map((o: any) => o.orderId)).toEqual(['7000001', '7000002']);
    expect((await a.findOrder('DUP-1'))!.distributorOrderId).toBe('7000002');
    // Bulk find by PO shows both.
    expect((await api('GET', '/order/find?purchaseNumbers=DUP-1')).json.map((d: any) => d.header.orderNumber)).toEqual(['7000001', '7000002']);
    // Tracking of the first order does not leak into the second.
    await control('POST', '/__control/orders/DUP-1/ship', {});
    expect((await a.findOrder('DUP-1', { distributorOrderId: '7000001' }))!.shipments).toEqual([]);
    expect((await a.findOrder('DUP-1'))!.shipments).toHaveLength(1);
  });

  test('duplicate PO (reject mode) → duplicate_po', async () => {
    await control('POST', '/__control/config', { duplicatePo: 'reject' });
    const a = adapter();
    await a.placeOrder(order('DUP-2'));
    const e = await rejection(a.placeOrder(order('DUP-2')));
    expect([e.kind, e.code]).toEqual(['permanent', 'duplicate_po']);
    expect((await control('GET', '/__control/orders')).json.orders).toHaveLength(1);
  });

  test('checkStock: GET /item/avail/{number}, per warehouse, unknown → not orderable, optional cap', async () => {
    const a = adapter();
    expect(await a.checkStock(['AU-100', 'AU-200', 'AU-NOPE', 'AU-DISC'])).toEqual([
      { distributorSku: 'AU-100', orderable: true, warehouses: [{ code: 'MAIN', quantity: 40 }] },
      { distributorSku: 'AU-200', orderable: true, warehouses: [{ code: 'MAIN', quantity: 3 }, { code: 'EAST', quantity: 5 }] },
      { distributorSku: 'AU-NOPE', orderable: false, warehouses: [] },
      { distributorSku: 'AU-DISC', orderable: true, warehouses: [{ code: 'MAIN', quantity: 0 }] },
    ]);
    const reqs = apiRequests();
    expect(reqs.map((r) => r.path)).toEqual(['/item/avail/AU-100', '/item/avail/AU-200', '/item/avail/AU-NOPE', '/item/avail/AU-DISC']);
    expect(reqs[0].query).toEqual({ quantity: '1' });
    const raw = await api('GET', '/item/avail/AU-200?quantity=10');
    expect(raw.json).toEqual({ number: 'AU-200', quantityRequested: 10, quantityAvailable: 8, available: false, warehouses: [{ code: 'MAIN', quantity: 3 }, { code: 'EAST', quantity: 5 }] });
    await control('POST', '/__control/config', { stockCap: 9 });
    expect((await a.checkStock(['AU-100']))[0].warehouses).toEqual([{ code: 'MAIN', quantity: 9 }]);
  });

  test('verifyCredentials: ok, rejected', async () => {
    await expect(adapter().verifyCredentials()).resolves.toBeUndefined();
    await expect(adapter({ verifyItemNumber: 'AU-100' }).verifyCredentials()).resolves.toBeUndefined();
    const e = await rejection(adapter({}, 'bad-token-1111').verifyCredentials());
    expect([e.kind, e.code]).toEqual(['permanent', 'credentials_rejected']);
    expect(apiRequests().every((r) => r.method === 'GET')).toBe(true);
    expect((await control('GET', '/__control/orders')).json.orders).toHaveLength(0);
  });

  test.each(['answer', 'refuse'] as const)('cancelOrder(po): cancels every order under the PO; a second cancel is cancelled too (re-cancel: %s)', async (recancel) => {
    await control('POST', '/__control/config', { recancel });
    const a = adapter();
    await a.placeOrder(order('C-1'));
    await a.placeOrder(order('C-1'));
    expect(await a.cancelOrder('C-1')).toEqual({ cancelled: true });
    expect(apiRequests().filter((r) => r.method === 'POST').map((r) => r.path)).toContain('/order/purchase-number/cancel/C-1');
    expect((await control('GET', '/__control/orders')).json.orders.map((o: any) => o.status)).toEqual(['CANCELLED', 'CANCELLED']);
    expect((await a.findOrder('C-1'))!.status).toBe('CANCELLED');
    const again = await fetch(`${baseUrl}/order/purchase-number/cancel/C-1`, { method: 'POST', headers: { authorization: TOKEN } });
    expect(again.status).toBe(recancel === 'answer' ? 200 : 400);
    expect(await a.cancelOrder('C-1')).toEqual({ cancelled: true });
    // Automatic ships nothing cancelled.
    expect((await control('POST', '/__control/orders/C-1/ship', {})).status).toBe(409);
  });

  test('cancelOrder(po, {distributorOrderId}): cancels that order by number, not its PO siblings', async () => {
    const a = adapter();
    await a.placeOrder(order('C-3'));
    await a.placeOrder(order('C-3'));
    expect(await a.cancelOrder('C-3', { distributorOrderId: '7000002' })).toEqual({ cancelled: true });
    expect(apiRequests().filter((r) => r.method === 'POST').at(-1)!.path).toBe('/order/number/cancel/7000002');
    expect((await control('GET', '/__control/orders')).json.orders.map((o: any) => [o.orderId, o.status])).toEqual([
      ['7000001', 'OPEN'],
      ['7000002', 'CANCELLED'],
    ]);
  });

  test('cancelOrder refusals come back with Automatic’s reason: shipped (partly or wholly), unknown PO', async () => {
    const a = adapter();
    await a.placeOrder(order('C-2'));
    await control('POST', '/__control/orders/C-2/ship', { lines: [{ sku: 'AU-100', quantity: 1 }] });
    const shipped = await a.cancelOrder('C-2');
    expect(shipped).toEqual({ cancelled: false, reason: expect.stringMatching(/^Automatic Distributors refused to cancel order under PO C-2: .*has shipped and can no longer be cancelled/) });
    expect((await control('GET', '/__control/orders')).json.orders[0].status).toBe('PARTIAL');

    expect(await a.cancelOrder('C-404')).toEqual({ cancelled: false, reason: expect.stringMatching(/no order under PO C-404 to cancel/) });
    expect(await a.cancelOrder('C-404', { distributorOrderId: '999' })).toEqual({ cancelled: false, reason: expect.stringMatching(/no order 999 \(PO C-404\) to cancel/) });
  });

  test('cancelOrder failures throw like every other call: 5xx and lost answers are ambiguous, throttles transient', async () => {
    const a = adapter({ timeoutMs: 300 });
    await a.placeOrder(order('C-5'));
    sim.addFault({ type: 'status', status: 500, pathPrefix: '/order/purchase-number/cancel/' });
    let e = await rejection(a.cancelOrder('C-5'));
    expect([e.kind, e.code]).toEqual(['ambiguous', 'upstream_unavailable']);
    sim.addFault({ type: 'throttle', pathPrefix: '/order/purchase-number/cancel/' });
    e = await rejection(a.cancelOrder('C-5'));
    expect([e.kind, e.code]).toEqual(['transient', 'throttled']);
    // The cancel is committed but its answer is lost: findOrder shows it went through, and
    // cancelling again is harmless.
    sim.addFault({ type: 'lost_ack', pathPrefix: '/order/purchase-number/cancel/' });
    e = await rejection(a.cancelOrder('C-5'));
    expect([e.kind, e.code]).toEqual(['ambiguous', 'timeout']);
    expect((await a.findOrder('C-5'))!.status).toBe('CANCELLED');
    expect(await a.cancelOrder('C-5')).toEqual({ cancelled: true });
    // A 2xx without a readable order: nobody can tell whether it went through.
    sim.addFault({ type: 'status', status: 200, body: { ok: true }, pathPrefix: '/order/purchase-number/cancel/' });
    e = await rejection(a.cancelOrder('C-5'));
    expect([e.kind, e.code]).toEqual(['ambiguous', 'upstream_unavailable']);
  });
});

// -------------------------------------------------------------------------------------------
describe('simulator endpoints', () => {
  const body = (po: string, state = 'ID') => ({
    purchaseNumber: po,
    shipToAddress: { name: 'A', address1: 'B', city: 'C', state, zip: '83702' },
    items: [{ number: 'AU-100', quantity: 2 }],
  });

  test('/order/calculate validates like create and has no side effects', async () => {
    const calc = await api('POST', '/order/calculate', { body: body('CALC-1') });
    expect(calc.status).toBe(200);
    expect(calc.json).toMatchObject({ header: { ponumber: 'CALC-1' }, subtotal: 25, lines: [{ number: 'AU-100', quantityOrdered: 2, price: 12.5 }] });
    expect((await api('POST', '/order/calculate', { body: { ...body('CALC-2'), items: [{ number: 'AU-CARB', quantity: 1 }] } })).status).toBe(200);
    const carb = await api('POST', '/order/calculate', { body: { ...body('CALC-3', 'CA'), items: [{ number: 'AU-CARB', quantity: 1 }] } });
    expect(carb).toMatchObject({ status: 422, json: { code: 'E005' } });
    expect((await control('GET', '/__control/orders')).json.orders).toHaveLength(0);
  });

  test('create validation: E100 on PO/address/items, E202, missing PO allowed only when the account flag says so', async () => {
    expect(await api('POST', '/order/create', { body: body('X'.repeat(23)) })).toMatchObject({ status: 400, json: { code: 'E100' } });
    expect((await api('POST', '/order/create', { body: body('X'.repeat(22)) })).status).toBe(200);
    expect(await api('POST', '/order/create', { body: body('PO\u00e9') })).toMatchObject({ status: 400, json: { code: 'E100', message: /printable/ } });
    expect(await api('POST', '/order/create', { body: body('E202', 'AP') })).toMatchObject({ status: 400, json: { code: 'E202' } });
    expect(await api('POST', '/order/create', { body: { ...body('SM'), shipMethod: 'CARRIER PIGEON' } })).toMatchObject({ status: 400, json: { code: 'E100', message: /shipMethod/ } });
    const { purchaseNumber: _po, ...noPo } = body('');
    expect(await api('POST', '/order/create', { body: noPo })).toMatchObject({ status: 400, json: { message: /purchaseNumber: required/ } });
    await control('POST', '/__control/accounts', { credentials: { apiToken: TOKEN }, flags: { purchaseNumberRequired: false } });
    expect((await api('POST', '/order/create', { body: noPo })).status).toBe(200);
  });

  test('find, headers, lookups by number, tracking by number, cancel by number', async () => {
    await api('POST', '/order/create', { body: body('F-1') });
    await api('POST', '/order/create', { body: body('F-2') });
    await control('POST', '/__control/orders/F-1/ship', { carrier: 'UPS Ground', trackingNumber: '1ZF1' });
    const find = await api('GET', '/order/find?orderNumbers=7000001&purchaseNumbers=F-2');
    expect(find.json.map((d: any) => d.header.poNumber)).toEqual(['F-1', 'F-2']);
    expect((await api('GET', '/order/find?purchaseNumbers=F-1,F-2')).json).toHaveLength(2);
    expect(await api('GET', '/order/find')).toMatchObject({ status: 400, json: { code: 'E100' } });
    const headers = await api('GET', '/order/headers?purchaseNumbers=F-1');
    expect(headers.json).toEqual([expect.objectContaining({ orderNumber: '7000001', poNumber: 'F-1', status: 'SHIPPED', trackingNumbers: ['1ZF1'], proNumbers: [] })]);
    expect((await api('GET', '/order/number/7000002')).json.header.poNumber).toBe('F-2');
    expect((await api('GET', '/order/number/7000001/tracking-numbers')).json).toEqual([
      { orderNumber: '7000001', orderGenerationNumber: '01', carrier: 'UPS Ground', trackingNumber: '1ZF1', proNumber: null, shipDate: '03/07/25', items: [{ number: 'AU-100', quantity: 2 }] },
    ]);
    expect(await api('GET', '/order/number/999')).toMatchObject({ status: 404, json: { code: 'E201' } });
    expect(await api('GET', '/order/number/999/tracking-numbers')).toMatchObject({ status: 404, json: { code: 'E201' } });
    expect((await api('POST', '/order/number/cancel/7000002')).json.header.status).toBe('CANCELLED');
    expect(await api('POST', '/order/number/cancel/7000001')).toMatchObject({ status: 400, json: { code: 'E100' } });
    expect(await api('POST', '/order/purchase-number/cancel/NOPE')).toMatchObject({ status: 404, json: { code: 'E201' } });
  });

  test('find/range: dateType I|C and the 365-day window', async () => {
    await api('POST', '/order/create', { body: body('RG-1') });
    expect((await api('GET', '/order/find/range?dateType=I&startDate=03/07/2025&endDate=03/07/2025')).json).toHaveLength(1);
    expect((await api('GET', '/order/find/range?dateType=C&startDate=2025-01-01&endDate=2025-03-06')).json).toHaveLength(0);
    expect(await api('GET', '/order/find/range?dateType=X&startDate=03/01/2025&endDate=03/07/2025')).toMatchObject({ status: 400, json: { code: 'E100', message: /dateType/ } });
    expect(await api('GET', '/order/find/range?dateType=C&startDate=01/01/2024&endDate=03/07/2025')).toMatchObject({ status: 400, json: { code: 'E100', message: /365/ } });
    expect((await api('GET', '/order/find/range?dateType=C&startDate=03/07/2024&endDate=03/07/2025')).status).toBe(200);
    expect(await api('GET', '/order/find/range?dateType=C&startDate=03/07/2025')).toMatchObject({ status: 400, json: { message: /endDate/ } });
  });

  test('orders are per account', async () => {
    await api('POST', '/order/create', { body: body('ACC-1') });
    await control('POST', '/__control/accounts', { credentials: { apiToken: 'other-token-2222' } });
    expect(await api('GET', '/order/purchase-number/ACC-1', { token: 'other-token-2222' })).toMatchObject({ status: 404, json: { code: 'E201' } });
    expect((await control('GET', '/__control/orders')).json.orders[0].account).toBe('AD000001');
  });

  test('control: ship 404 for unknown PO, 400 for over-shipping, deterministic tracking, reset clears state', async () => {
    expect((await control('POST', '/__control/orders/NOPE/ship', {})).status).toBe(404);
    await api('POST', '/order/create', { body: body('CT-1') });
    expect((await control('POST', '/__control/orders/CT-1/ship', { lines: [{ sku: 'AU-100', quantity: 3 }] })).status).toBe(400);
    const shipped = await control('POST', '/__control/orders/CT-1/ship', { lines: [{ sku: 'AU-100', quantity: 1 }] });
    expect(shipped.json).toMatchObject({ orderId: '7000001', trackingNumber: '1ZAD000000000001', carrier: 'UPS Ground' });
    expect((await control('POST', '/__control/config', { duplicatePo: 'maybe' })).status).toBe(400);
    expect((await control('POST', '/__control/accounts', { credentials: {} })).status).toBe(400);
    await control('POST', '/__control/reset');
    expect((await control('GET', '/__control/orders')).json.orders).toEqual([]);
    expect((await api('GET', '/item/avail/AU-100')).status).toBe(401);
  });

  test('fault bodies use the API error shape', async () => {
    sim.addFault({ type: 'status', status: 423, pathPrefix: '/item/avail' });
    expect(await api('GET', '/item/avail/AU-100')).toMatchObject({ status: 423, json: { code: 'E002' } });
    sim.addFault({ type: 'throttle', pathPrefix: '/item/avail' });
    const t = await api('GET', '/item/avail/AU-100');
    expect(t).toMatchObject({ status: 403, json: { code: 'E003', message: 'Too Many Requests' } });
    expect(t.headers.get('retry-after')).toBeNull();
  });
});

test('limits constant is what the module exposes', () => {
  expect(automaticModule.limits).toBe(AUTOMATIC_LIMITS);
});
