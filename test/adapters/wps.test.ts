import { ExternalCallError } from '../../src/external-errors';
import { createHttpClientFactory, type CallRecord } from '../../src/http';
import type { DistributorAdapter, PurchaseOrderRequest } from '../../src/distributors/types';
import {
  buildWpsCart,
  classifyWpsResponse,
  dealUnits,
  mapWpsOrder,
  mapWpsStock,
  parseWpsDate,
  wpsCarrierFor,
  wpsModule,
  wpsShipName,
  type WpsAdapterOptions,
} from '../../src/distributors/wps';
import { createWpsSimulator, type WpsSimulator } from '../../src/simulators/wps';

const TOKEN = 'wpsTok3nAbCdEfGhIjKlMnOpQrStUvWxYz012345';
const OTHER_TOKEN = 'wpsTok3nNoOrdersScope00000000000000009999';

async function failure(p: Promise<unknown>): Promise<ExternalCallError> {
  try {
    await p;
  } catch (e) {
    expect(e).toBeInstanceOf(ExternalCallError);
    return e as ExternalCallError;
  }
  throw new Error('expected the call to fail');
}

function order(po: string, overrides: Partial<PurchaseOrderRequest> = {}): PurchaseOrderRequest {
  return {
    poNumber: po,
    shipTo: {
      name: 'Jane Rider',
      company: 'Moto Co',
      address1: '12 Main St',
      address2: 'Unit 4',
      city: 'Boise',
      state: 'ID',
      postalCode: '83702',
      country: 'US',
      phone: '2085551234',
      email: 'jane@example.com',
    },
    lines: [
      { lineId: 'l1', distributorSku: '87-9001', quantity: 2 },
      { lineId: 'l2', distributorSku: '12-3456', quantity: 1 },
    ],
    ...overrides,
  };
}

function fakeRes(status: number, body: unknown, headers: Record<string, string> = {}) {
  const text = JSON.stringify(body);
  return { status, headers, body: text, json: () => JSON.parse(text) };
}

// ------------------------------------------------------------------------------------------
describe('WPS pure mapping', () => {
  test('ship_via → canonical carrier table', () => {
    expect(wpsCarrierFor('UP1D')).toBe('UPS');
    expect(wpsCarrierFor('UP2D')).toBe('UPS');
    expect(wpsCarrierFor('FE1D')).toBe('FedEx');
    expect(wpsCarrierFor('FE2D')).toBe('FedEx');
    expect(wpsCarrierFor('AH2D')).toBe('FedEx');
    expect(wpsCarrierFor('US1C')).toBe('USPS');
    expect(wpsCarrierFor('US4C')).toBe('USPS');
    expect(wpsCarrierFor('CO5')).toBe('OnTrac');
    expect(wpsCarrierFor('FDXG')).toBe('FedEx'); // not documented, seen in client code → shared aliases
    expect(wpsCarrierFor('BEST', '1Z999AA10123456784')).toBe('UPS'); // unknown service: tracking shape
    expect(wpsCarrierFor('BEST', '9400111899223334445566')).toBe('USPS');
    expect(wpsCarrierFor('BEST', 'XYZ')).toBe('Other');
    expect(wpsCarrierFor('CPU')).toBe('Other');
    expect(wpsCarrierFor(undefined)).toBe('Other');
    expect(wpsCarrierFor('ZZ9', undefined, { ZZ9: 'LaserShip' })).toBe('LaserShip');
  });

  test('WPS dates are UTC in any of the plausible formats', () => {
    expect(parseWpsDate('2024-05-01 12:34:56')).toBe('2024-05-01T12:34:56.000Z');
    expect(parseWpsDate('2024-05-01')).toBe('2024-05-01T00:00:00.000Z');
    expect(parseWpsDate('20240501')).toBe('2024-05-01T00:00:00.000Z');
    expect(parseWpsDate('2024-05-01T12:34:56')).toBe('2024-05-01T12:34:56.000Z');
    expect(parseWpsDate('2024-05-01T12:34:56-05:00')).toBe('2024-05-01T17:34:56.000Z');
    expect(parseWpsDate('')).toBeUndefined();
    expect(parseWpsDate(null)).toBeUndefined();
    expect(parseWpsDate('not a date')).toBeUndefined();
  });

  test('order_details → FoundOrder: only SHIPPED entries with tracking are shipments', () => {
    const found = mapWpsOrder({
      data: {
        po_number: 'PO1',
        order_details: [
          { order_number: '100', order_status: 'OPEN', warehouse: 'TX', tracking_numbers: [], items: [{ sku: 'A', quantity: 1 }] },
          {
            order_number: 101,
            order_status: 'SHIPPED',
            warehouse: 'CA',
            ship_via: 'UP2D',
            ship_date: '2024-05-02 08:00:00',
            tracking_numbers: ['1Z999AA10123456784', '1Z999AA10123456785'],
            items: [{ sku: 'B', quantity: 3 }],
          },
          { order_number: '102', order_status: 'SHIPPED', warehouse: 'GA', ship_via: 'US1C', tracking_numbers: [], items: [] },
        ],
      },
    });
    expect(found).toEqual({
      distributorOrderId: '100,101,102',
      status: 'OPEN,SHIPPED',
      shipments: [
        {
          trackingNumber: '1Z999AA10123456784',
          carrier: 'UPS',
          service: 'UP2D',
          shippedAt: '2024-05-02T08:00:00.000Z',
          lines: [{ distributorSku: 'B', quantity: 2 }],
          warehouse: 'CA',
        },
        // a second box of the same entry: which units are in it is unknown; the units are dealt
        // across the boxes so each tracking number reaches the marketplace, none counted twice
        { trackingNumber: '1Z999AA10123456785', carrier: 'UPS', service: 'UP2D', shippedAt: '2024-05-02T08:00:00.000Z', lines: [{ distributorSku: 'B', quantity: 1 }], warehouse: 'CA' },
      ],
    });
    expect(dealUnits([{ distributorSku: 'A', quantity: 1 }, { distributorSku: 'B', quantity: 2 }], 2)).toEqual([
      [{ distributorSku: 'A', quantity: 1 }, { distributorSku: 'B', quantity: 1 }],
      [{ distributorSku: 'B', quantity: 1 }],
    ]);
    expect(dealUnits([{ distributorSku: 'A', quantity: 1 }], 3)).toEqual([[{ distributorSku: 'A', quantity: 1 }], [], []]);
    expect(mapWpsOrder({ data: { po_number: 'PO1', order_details: [] } })).toBeNull();
  });

  test('item + inventory → StockLevel', () => {
    const body = (status: string, extra: Record<string, unknown> = {}) => ({
      data: [
        {
          sku: '87-9001',
          status_id: status,
          status,
          drop_ship_eligible: true,
          ...extra,
          inventory: { data: { ca_warehouse: 9, ga_warehouse: 0, id_warehouse: 1, in_warehouse: 0, pa_warehouse: 2, pa2_warehouse: 3, tx_warehouse: 4 } },
        },
      ],
    });
    const s = mapWpsStock('87-9001', body('STK'));
    expect(s.orderable).toBe(true);
    expect(s.warehouses).toEqual([
      { code: 'CA', quantity: 9 },
      { code: 'GA', quantity: 0 },
      { code: 'ID', quantity: 1 },
      { code: 'IN', quantity: 0 },
      { code: 'PA', quantity: 2 },
      { code: 'PA2', quantity: 3 },
      { code: 'TX', quantity: 4 },
    ]);
    for (const st of ['NEW', 'CLO', 'DIR', 'SPEC']) expect(mapWpsStock('87-9001', body(st)).orderable).toBe(true);
    for (const st of ['DSC', 'NLA', 'NA', 'PRE']) expect(mapWpsStock('87-9001', body(st)).orderable).toBe(false);
    expect(mapWpsStock('87-9001', body('STK', { drop_ship_eligible: false })).orderable).toBe(false);
    expect(mapWpsStock('87-9001', body('XYZ')).orderable).toBe(false);
    expect(mapWpsStock('87-9001', body('XYZ'), { orderableStatuses: ['XYZ'] }).orderable).toBe(true);
    expect(mapWpsStock('nope', { data: [] })).toEqual({ distributorSku: 'nope', orderable: false, warehouses: [] });
  });

  test('ship_name: "name, company" only when it fits in 30', () => {
    expect(wpsShipName({ name: 'Jane Rider', company: 'Moto Co' })).toBe('Jane Rider, Moto Co');
    expect(wpsShipName({ name: 'Jane Rider', company: 'Extremely Long Company Name LLC' })).toBe('Jane Rider');
    expect(wpsShipName({ name: 'Jane Rider' })).toBe('Jane Rider');
  });

  test('cart body: fields, options, and no silent truncation', () => {
    expect(buildWpsCart(order('PO-1'))).toEqual({
      po_number: 'PO-1',
      ship_name: 'Jane Rider, Moto Co',
      ship_address1: '12 Main St',
      ship_address2: 'Unit 4',
      ship_city: 'Boise',
      ship_state: 'ID',
      ship_zip: '83702',
      ship_phone: '2085551234',
      email: 'jane@example.com',
      pay_type: 'OO',
      allow_backorder: false,
      multiple_warehouse: true,
    });
    expect(buildWpsCart(order('PO-1'), { defaultWarehouse: 'TX', shipVia: 'UP2D', payType: 'CC', ccLastFour: '4242' })).toMatchObject({
      default_warehouse: 'TX',
      ship_via: 'UP2D',
      pay_type: 'CC',
      cc_last_four: '4242',
    });
    const base = order('PO-1');
    const cases: [Partial<typeof base.shipTo>, string, number][] = [[{ city: 'Rancho Santa Margarita' }, 'ship_city', 17]];
    cases.push([{ name: 'A'.repeat(31), company: undefined }, 'ship_name', 30]);
    cases.push([{ address1: 'B'.repeat(31) }, 'ship_address1', 30]);
    cases.push([{ address2: 'C'.repeat(31) }, 'ship_address2', 30]);
    cases.push([{ state: 'Idaho' }, 'ship_state', 2]);
    cases.push([{ postalCode: '1'.repeat(16) }, 'ship_zip', 15]);
    cases.push([{ phone: '+1 (208) 555-1234' }, 'ship_phone', 15]);
    cases.push([{ email: `${'x'.repeat(45)}@example.com` }, 'email', 50]);
    for (const [patch, field, limit] of cases) {
      let err: unknown;
      try {
        buildWpsCart({ ...base, shipTo: { ...base.shipTo, ...patch } });
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(ExternalCallError);
      const e = err as ExternalCallError;
      expect(e.kind).toBe('permanent');
      expect(e.code).toBe('address_rejected');
      expect(e.message).toContain(field);
      expect(e.message).toContain(`at most ${limit}`);
    }
    expect(() => buildWpsCart(order('PO_1!'))).toThrow(/letters, digits or dashes/);
    expect(() => buildWpsCart(order('P'.repeat(21)))).toThrow(ExternalCallError);
    expect(() => buildWpsCart({ ...base, shipTo: { ...base.shipTo, country: 'CA' } })).toThrow(/country/);
    expect(buildWpsCart({ ...base, shipTo: { ...base.shipTo, country: 'USA' } }).po_number).toBe('PO-1');
    expect(() => buildWpsCart({ ...base, shipTo: { ...base.shipTo, city: '' } })).toThrow(/city/);
    expect(() => buildWpsCart({ ...base, lines: [{ lineId: 'x', distributorSku: 'A', quantity: 0 }] })).toThrow(/quantity/);
  });

  test('refusal classification (the §8.1 error shape)', () => {
    const tax = classifyWpsResponse('order', fakeRes(422, { message: 'Your account does not have a Tax ID on file.', status_code: 422 }), {
      poNumber: 'PO1',
    });
    expect([tax.kind, tax.code]).toEqual(['permanent', 'account_setup_required']);
    expect(tax.message).toMatch(/no Tax ID on file.*Add your Tax ID with WPS/);
    const sku = classifyWpsResponse('item', fakeRes(422, { message: 'x', status_code: 422, errors: { item_sku: ['The selected item sku is invalid.'] } }), {
      sku: 'ZZ-1',
    });
    expect([sku.code, sku.message]).toEqual(['sku_not_orderable', expect.stringContaining('ZZ-1')]);
    const addr = classifyWpsResponse('cart', fakeRes(422, { message: 'x', status_code: 422, errors: { ship_zip: ['bad zip'] } }));
    expect(addr.code).toBe('address_rejected');
    expect(addr.message).toContain('ship_zip: bad zip');
    const scope = classifyWpsResponse('cart', fakeRes(403, { message: 'This access token does not have the "orders" scope.', status_code: 403 }));
    expect([scope.code, scope.message]).toEqual(['credentials_rejected', expect.stringContaining('missing scope "orders"')]);
    const thr = classifyWpsResponse('stock', fakeRes(429, { message: 'Too Many Attempts.' }, { 'retry-after': '12' }));
    expect([thr.kind, thr.code, thr.details.retryAfterMs]).toEqual(['transient', 'throttled', 12000]);
    expect(classifyWpsResponse('order', fakeRes(503, {})).kind).toBe('ambiguous');
    expect(classifyWpsResponse('find', fakeRes(503, {})).kind).toBe('transient');
    // upstream text never carries the token into a dealer message
    const echoed = classifyWpsResponse('cart', fakeRes(422, { message: `bad token ${TOKEN}`, status_code: 422 }), { secrets: [TOKEN] });
    expect(echoed.message).not.toContain(TOKEN);
  });

  test('module surface', () => {
    expect(wpsModule.code).toBe('wps');
    expect(wpsModule.productionBaseUrl).toBe('https://api.wps-inc.com');
    expect(wpsModule.warehouses).toEqual(['CA', 'GA', 'ID', 'IN', 'PA', 'PA2', 'TX']);
    expect(wpsModule.limits).toMatchObject({
      poNumberMaxLength: 20,
      nameMaxLength: 30,
      address1MaxLength: 30,
      address2MaxLength: 30,
      cityMaxLength: 17,
      stateLength: 2,
      postalCodeMaxLength: 15,
      phoneMaxLength: 15,
      emailMaxLength: 50,
    });
    expect(wpsModule.limits.poNumberPattern.test('DS-1234-abc')).toBe(true);
    expect(wpsModule.limits.poNumberPattern.test('DS_1')).toBe(false);
    expect(wpsModule.mask({ apiToken: TOKEN })).toEqual({ apiToken: '••••2345' });
    expect(wpsModule.credentialsSchema.safeParse({ apiToken: TOKEN }).success).toBe(true);
    expect(wpsModule.credentialsSchema.safeParse({ apiToken: '' }).success).toBe(false);
    expect(wpsModule.credentialsSchema.safeParse({}).success).toBe(false);
  });
});

// ------------------------------------------------------------------------------------------
describe('WPS adapter against the simulator over HTTP', () => {
  let sim: WpsSimulator;
  let url: string;
  let calls: CallRecord[];

  const adapter = (opts: WpsAdapterOptions = {}, token = TOKEN): DistributorAdapter =>
    wpsModule.create({ apiToken: token }, { baseUrl: url, http: createHttpClientFactory((r) => calls.push(r)), wps: opts } as never);

  const apiRequests = () => sim.harness.requests.filter((r) => !r.path.startsWith('/__control'));
  const control = async (method: string, path: string, body?: unknown) => {
    const res = await fetch(`${url}${path}`, {
      method,
      headers: body === undefined ? {} : { 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    return { status: res.status, body: (await res.json().catch(() => undefined)) as any };
  };
  const api = async (method: string, path: string, body?: unknown, token: string | null = TOKEN) => {
    const headers: Record<string, string> = {};
    if (token) headers.authorization = `Bearer ${token}`;
    if (body !== undefined) headers['content-type'] = 'application/json';
    const res = await fetch(`${url}${path}`, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
    return { status: res.status, headers: res.headers, body: (await res.json().catch(() => undefined)) as any };
  };

  beforeAll(async () => {
    sim = createWpsSimulator();
    url = await sim.listen(0);
  });
  afterAll(async () => {
    await sim.close();
  });
  beforeEach(async () => {
    calls = [];
    await control('POST', '/__control/reset');
    await control('POST', '/__control/config', { duplicateCartMode: 'replace', taxIdCheckAt: 'orders', stockCheck: 'items' });
    expect((await control('POST', '/__control/accounts', { credentials: { apiToken: TOKEN } })).status).toBe(200);
    sim.addAccount({ apiToken: OTHER_TOKEN }, { scopes: ['items', 'inventory'] });
    expect((await control('PUT', '/__control/items/87-9001', { status: 'STK', price: 12.5, warehouses: { CA: 25, TX: 3 } })).status).toBe(200);
    sim.putItem('12-3456', { status: 'NEW', price: 40, dropShipFee: 5, warehouses: { GA: 4 } });
    sim.putItem('DSC-1', { status: 'DSC', warehouses: { TX: 5 } });
    sim.putItem('NODS-1', { status: 'STK', dropShipEligible: false, warehouses: { TX: 5 } });
    sim.putItem('SPLIT-1', { status: 'STK', warehouses: { CA: 2, TX: 3 } });
  });

  // ---- credentials
  test('verifyCredentials: ok, rejected, and a token without the orders scope still reads', async () => {
    await expect(adapter().verifyCredentials()).resolves.toBeUndefined();
    expect(apiRequests().map((r) => `${r.method} ${r.path}`)).toEqual(['GET /warehouses']);
    const e = await failure(adapter({}, 'wrong-token-0000').verifyCredentials());
    expect([e.kind, e.code, e.details.httpStatus]).toEqual(['permanent', 'credentials_rejected', 401]);
    await expect(adapter({}, OTHER_TOKEN).verifyCredentials()).resolves.toBeUndefined();
  });

  // ---- happy path
  test('placeOrder builds cart → one item per call → order; findOrder and shipping', async () => {
    const a = adapter();
    expect(await a.findOrder('DS-1001')).toBeNull();
    const placed = await a.placeOrder(order('DS-1001'));
    expect(placed.distributorOrderId).toBe('6000001');

    const reqs = apiRequests().filter((r) => r.method === 'POST');
    expect(reqs.map((r) => r.path)).toEqual(['/carts', '/carts/DS-1001/items', '/carts/DS-1001/items', '/orders']);
    expect(reqs[0].body).toEqual({
      po_number: 'DS-1001',
      ship_name: 'Jane Rider, Moto Co',
      ship_address1: '12 Main St',
      ship_address2: 'Unit 4',
      ship_city: 'Boise',
      ship_state: 'ID',
      ship_zip: '83702',
      ship_phone: '2085551234',
      email: 'jane@example.com',
      pay_type: 'OO',
      allow_backorder: false,
      multiple_warehouse: true,
    });
    expect(reqs[1].body).toEqual({ item_sku: '87-9001', quantity: 2 });
    expect(reqs[2].body).toEqual({ item_sku: '12-3456', quantity: 1 });
    expect(reqs[3].body).toEqual({ po_number: 'DS-1001' });
    expect(reqs.every((r) => r.headers['content-type'] === 'application/json')).toBe(true);
    // the token never lands in the call log
    expect(JSON.stringify(calls)).not.toContain(TOKEN);
    expect(calls.length).toBeGreaterThan(0);

    // the cart survives its order and holds exactly what was sent
    const cart = await api('GET', '/carts/DS-1001');
    expect(cart.body.data.items).toEqual([
      { item: '87-9001', item_id: 1, quantity: 2 },
      { item: '12-3456', item_id: 2, quantity: 1 },
    ]);

    // allocated per warehouse: 87-9001 from CA (25 on hand), 12-3456 from GA
    const open = await a.findOrder('DS-1001');
    expect(open).toEqual({ distributorOrderId: '6000001,6000002', status: 'OPEN', shipments: [] });

    const shipped = await control('POST', '/__control/orders/DS-1001/ship', {
      carrier: 'UP1D',
      shippedAt: '2024-05-01T12:34:56.000Z',
    });
    expect(shipped.status).toBe(200);
    const tn = shipped.body.shipment.trackingNumber as string;
    expect(tn).toMatch(/^1Z[0-9A-Z]{16}$/);

    const found = await a.findOrder('DS-1001');
    expect(found!.status).toBe('SHIPPED');
    // one tracking number shared by both warehouse entries → one shipment carrying both entries' lines
    expect(found!.shipments).toEqual([
      {
        trackingNumber: tn,
        carrier: 'UPS',
        service: 'UP1D',
        shippedAt: '2024-05-01T12:34:56.000Z',
        lines: [
          { distributorSku: '87-9001', quantity: 2 },
          { distributorSku: '12-3456', quantity: 1 },
        ],
      },
    ]);
    const all = (await api('GET', '/orders/DS-1001')).body.data.order_details;
    expect(all.map((d: any) => [d.order_status, d.warehouse, d.tracking_numbers])).toEqual([
      ['SHIPPED', 'CA', [tn]],
      ['SHIPPED', 'GA', [tn]],
    ]);
  });

  test('one shipment per tracking number per order entry, canonical carrier, service, warehouse, UTC time', async () => {
    const a = adapter();
    await a.placeOrder(order('DS-1002', { lines: [{ lineId: 'l1', distributorSku: '87-9001', quantity: 3 }] }));
    await control('POST', '/__control/orders/DS-1002/ship', { carrier: 'UP2D', shippedAt: '2024-05-01T12:34:56.000Z' });
    const found = await a.findOrder('DS-1002');
    expect(found).toEqual({
      distributorOrderId: '6000001',
      status: 'SHIPPED',
      shipments: [
        {
          trackingNumber: expect.stringMatching(/^1Z/),
          carrier: 'UPS',
          service: 'UP2D',
          shippedAt: '2024-05-01T12:34:56.000Z',
          lines: [{ distributorSku: '87-9001', quantity: 3 }],
          warehouse: 'CA',
        },
      ],
    });
    const ctl = await control('GET', '/__control/orders');
    expect(ctl.body.orders).toEqual([
      {
        poNumber: 'DS-1002',
        orderId: '6000001',
        account: 'acct-1',
        lines: [{ sku: '87-9001', quantity: 3 }],
        shipments: [
          { trackingNumber: found!.shipments[0].trackingNumber, carrier: 'UP2D', lines: [{ sku: '87-9001', quantity: 3 }], shippedAt: '2024-05-01T12:34:56.000Z', warehouse: 'CA' },
        ],
        createdAt: expect.any(String),
        orderNumbers: ['6000001'],
      },
    ]);
  });

  test('partial shipments: each ship call is a new tracking number and order entry', async () => {
    const a = adapter();
    await a.placeOrder(order('DS-1003', { lines: [{ lineId: 'l1', distributorSku: '87-9001', quantity: 5 }] }));
    const first = await control('POST', '/__control/orders/DS-1003/ship', { lines: [{ sku: '87-9001', quantity: 2 }], carrier: 'FE2D' });
    expect(first.status).toBe(200);
    let found = await a.findOrder('DS-1003');
    expect(found!.status).toBe('OPEN,SHIPPED');
    expect(found!.shipments.map((s) => [s.carrier, s.service, s.lines])).toEqual([['FedEx', 'FE2D', [{ distributorSku: '87-9001', quantity: 2 }]]]);
    await control('POST', '/__control/orders/DS-1003/ship', { carrier: 'US1C', trackingNumber: '9400111899223334445566' });
    found = await a.findOrder('DS-1003');
    expect(found!.distributorOrderId).toBe('6000001,6000002');
    expect(found!.status).toBe('SHIPPED');
    expect(found!.shipments.map((s) => [s.trackingNumber, s.carrier, s.service, s.lines])).toEqual([
      ['9400111899223334445566', 'USPS', 'US1C', [{ distributorSku: '87-9001', quantity: 3 }]],
      [first.body.shipment.trackingNumber, 'FedEx', 'FE2D', [{ distributorSku: '87-9001', quantity: 2 }]],
    ]);
    // nothing left
    expect((await control('POST', '/__control/orders/DS-1003/ship', {})).status).toBe(409);
    expect((await control('POST', '/__control/orders/NOPE/ship', {})).status).toBe(404);
  });

  test('split fulfilment across warehouses: one order entry per warehouse, each with its own tracking', async () => {
    const a = adapter();
    await a.placeOrder(order('DS-1004', { lines: [{ lineId: 'l1', distributorSku: 'SPLIT-1', quantity: 5 }] }));
    const po = (await api('GET', '/orders/DS-1004')).body.data;
    expect(po.order_details.map((d: any) => [d.order_number, d.warehouse, d.items])).toEqual([
      ['6000001', 'TX', [{ sku: 'SPLIT-1', name: 'WPS item SPLIT-1', quantity: 3, price: 10 }]],
      ['6000002', 'CA', [{ sku: 'SPLIT-1', name: 'WPS item SPLIT-1', quantity: 2, price: 10 }]],
    ]);
    expect(sim.stockOf('SPLIT-1')).toMatchObject({ CA: 0, TX: 0 });
    await control('POST', '/__control/orders/DS-1004/ship', { warehouse: 'CA', lines: [{ sku: 'SPLIT-1', quantity: 2 }], carrier: 'CO5' });
    await control('POST', '/__control/orders/DS-1004/ship', { warehouse: 'TX' });
    const found = await a.findOrder('DS-1004');
    expect(found!.shipments.map((s) => [s.warehouse, s.carrier, s.lines[0].quantity])).toEqual([
      ['TX', 'UPS', 3],
      ['CA', 'OnTrac', 2],
    ]);
  });

  test('checkStock reports the 9-cap, every warehouse, and orderability', async () => {
    sim.putItem('PA2-1', { status: 'CLO', warehouses: { PA2: 4, IN: 12 } });
    const levels = await adapter().checkStock(['87-9001', 'DSC-1', 'NODS-1', 'PA2-1', 'UNKNOWN-1']);
    expect(levels[0]).toEqual({
      distributorSku: '87-9001',
      orderable: true,
      warehouses: [
        { code: 'CA', quantity: 9 },
        { code: 'GA', quantity: 0 },
        { code: 'ID', quantity: 0 },
        { code: 'IN', quantity: 0 },
        { code: 'PA', quantity: 0 },
        { code: 'PA2', quantity: 0 },
        { code: 'TX', quantity: 3 },
      ],
    });
    expect(levels[1].orderable).toBe(false);
    expect(levels[2].orderable).toBe(false);
    expect(levels[3]).toMatchObject({ orderable: true, warehouses: expect.arrayContaining([{ code: 'PA2', quantity: 4 }, { code: 'IN', quantity: 9 }]) });
    expect(levels[4]).toEqual({ distributorSku: 'UNKNOWN-1', orderable: false, warehouses: [] });
    const r = apiRequests()[0];
    expect(r.path).toBe('/items');
    expect(r.query).toEqual({ 'filter[sku]': '87-9001', include: 'inventory' });
  });

  // ---- refusals
  test('missing Tax ID → account_setup_required telling the dealer what to do', async () => {
    sim.addAccount({ apiToken: TOKEN }, { taxIdOnFile: false });
    const e = await failure(adapter().placeOrder(order('DS-2001')));
    expect([e.kind, e.code]).toEqual(['permanent', 'account_setup_required']);
    expect(e.message).toBe(
      'WPS refused the order because your WPS account has no Tax ID on file. Add your Tax ID with WPS (Data Depot / wpsorders.com account settings, or your WPS rep), then retry.',
    );
    expect(sim.listOrders().orders).toHaveLength(0);
    // also when the gate fires at cart creation
    sim.setConfig({ taxIdCheckAt: 'carts' });
    const e2 = await failure(adapter().placeOrder(order('DS-2001')));
    expect(e2.code).toBe('account_setup_required');
  });

  test('unknown, non-orderable and non-drop-ship SKUs → sku_not_orderable naming the SKU; cart rolled back', async () => {
    for (const sku of ['NOPE-1', 'DSC-1', 'NODS-1']) {
      const e = await failure(adapter().placeOrder(order(`DS-${sku}`, { lines: [{ lineId: 'l1', distributorSku: sku, quantity: 1 }] })));
      expect([e.kind, e.code]).toEqual(['permanent', 'sku_not_orderable']);
      expect(e.message).toContain(sku);
      expect(apiRequests().some((r) => r.method === 'DELETE' && r.path === `/carts/DS-${sku}`)).toBe(true);
    }
    const e = await failure(adapter().placeOrder(order('DS-NODS-1', { lines: [{ lineId: 'l1', distributorSku: 'NODS-1', quantity: 1 }] })));
    expect(e.message).toMatch(/not eligible for drop ship/);
    expect(sim.listOrders().orders).toHaveLength(0);
  });

  test('more than the stock with backorders disallowed → out_of_stock', async () => {
    const e = await failure(adapter().placeOrder(order('DS-2002', { lines: [{ lineId: 'l1', distributorSku: '12-3456', quantity: 5 }] })));
    expect([e.kind, e.code]).toEqual(['permanent', 'out_of_stock']);
    expect(e.message).toContain('12-3456');
    sim.setConfig({ stockCheck: 'orders' });
    const e2 = await failure(adapter().placeOrder(order('DS-2002', { lines: [{ lineId: 'l1', distributorSku: '12-3456', quantity: 5 }] })));
    expect(e2.code).toBe('out_of_stock');
  });

  test('address problems → address_rejected (pre-check sends nothing; WPS field errors mapped)', async () => {
    const base = order('DS-2003');
    const e = await failure(adapter().placeOrder({ ...base, shipTo: { ...base.shipTo, city: 'Rancho Santa Margarita' } }));
    expect([e.kind, e.code]).toEqual(['permanent', 'address_rejected']);
    expect(e.message).toMatch(/ship_city/);
    expect(e.message).toMatch(/17/);
    expect(apiRequests()).toHaveLength(0);
    const e2 = await failure(adapter().placeOrder({ ...base, shipTo: { ...base.shipTo, email: 'not-an-email' } }));
    expect([e2.code, e2.details.httpStatus]).toEqual(['address_rejected', 422]);
    expect(e2.message).toContain('email');
  });

  test('configurable ship_via / warehouse; an undocumented code is refused as invalid_request', async () => {
    await adapter({ shipVia: 'FE1D', defaultWarehouse: 'TX' }).placeOrder(order('DS-2004', { lines: [{ lineId: 'l1', distributorSku: '87-9001', quantity: 3 }] }));
    expect(apiRequests()[0].body).toMatchObject({ ship_via: 'FE1D', default_warehouse: 'TX' });
    const po = (await api('GET', '/orders/DS-2004')).body.data;
    expect(po.order_details[0].warehouse).toBe('TX');
    // default carrier of the ship call is the cart's ship_via
    await control('POST', '/__control/orders/DS-2004/ship', {});
    const found = await adapter().findOrder('DS-2004');
    expect(found!.shipments[0]).toMatchObject({ carrier: 'FedEx', service: 'FE1D', warehouse: 'TX' });
    const e = await failure(adapter({ shipVia: 'FDXG' }).placeOrder(order('DS-2005')));
    expect([e.code, e.message]).toEqual(['invalid_request', expect.stringContaining('ship_via')]);
  });

  test('pay_type CC with a card that is not on file → account_setup_required', async () => {
    const e = await failure(adapter({ payType: 'CC', ccLastFour: '1111' }).placeOrder(order('DS-2006')));
    expect([e.kind, e.code]).toEqual(['permanent', 'account_setup_required']);
    expect(e.message).toMatch(/card/);
    await expect(adapter({ payType: 'CC', ccLastFour: '4242' }).placeOrder(order('DS-2007'))).resolves.toEqual({ distributorOrderId: '6000001' });
  });

  test('401 and missing orders scope → credentials_rejected', async () => {
    const e = await failure(adapter({}, 'bad-token-xxxx').placeOrder(order('DS-2008')));
    expect([e.kind, e.code, e.details.httpStatus]).toEqual(['permanent', 'credentials_rejected', 401]);
    const e2 = await failure(adapter({}, OTHER_TOKEN).placeOrder(order('DS-2008')));
    expect([e2.kind, e2.code, e2.details.httpStatus]).toEqual(['permanent', 'credentials_rejected', 403]);
    expect(e2.message).toContain('"orders"');
    expect(e2.message).not.toContain(OTHER_TOKEN);
    const e3 = await failure(adapter({}, 'bad-token-xxxx').findOrder('DS-2008'));
    expect(e3.code).toBe('credentials_rejected');
  });

  // ---- faults
  test('throttling → transient with retryAfterMs from Retry-After', async () => {
    sim.harness.addFault({ type: 'throttle', pathPrefix: '/items', retryAfterSeconds: 7 });
    const e = await failure(adapter().checkStock(['87-9001']));
    expect([e.kind, e.code, e.details.retryAfterMs]).toEqual(['transient', 'throttled', 7000]);
    sim.harness.addFault({ type: 'throttle', method: 'POST', pathPrefix: '/orders', retryAfterSeconds: 3 });
    const e2 = await failure(adapter().placeOrder(order('DS-3001')));
    expect([e2.kind, e2.code, e2.details.retryAfterMs]).toEqual(['transient', 'throttled', 3000]);
    expect(sim.listOrders().orders).toHaveLength(0);
  });

  test('5xx on the order write → ambiguous; 5xx on a read → transient', async () => {
    sim.harness.addFault({ type: 'status', status: 503, method: 'POST', pathPrefix: '/orders' });
    const e = await failure(adapter().placeOrder(order('DS-3002')));
    expect([e.kind, e.code, e.details.httpStatus]).toEqual(['ambiguous', 'upstream_unavailable', 503]);
    sim.harness.addFault({ type: 'status', status: 500, method: 'GET', pathPrefix: '/orders' });
    const e2 = await failure(adapter().findOrder('DS-3002'));
    expect([e2.kind, e2.code]).toEqual(['transient', 'upstream_unavailable']);
  });

  test('lost acknowledgement on POST /orders → ambiguous timeout; findOrder finds the committed order; no re-send', async () => {
    sim.harness.addFault({ type: 'lost_ack', method: 'POST', pathPrefix: '/orders' });
    const a = adapter({ timeoutMs: 400 });
    const e = await failure(a.placeOrder(order('DS-3003')));
    expect([e.kind, e.code]).toEqual(['ambiguous', 'timeout']);
    // what the engine does next: look before re-sending
    const found = await a.findOrder('DS-3003');
    expect(found).not.toBeNull();
    expect(found!.distributorOrderId).toBe('6000001,6000002');
    expect(sim.listOrders().orders.filter((o) => o.poNumber === 'DS-3003')).toHaveLength(1);
  });

  test('ambiguous failure while building the cart: the retry starts from a fresh cart (no doubled quantities)', async () => {
    sim.harness.addFault({ type: 'lost_ack', method: 'POST', pathPattern: '^/carts/[^/]+/items$' });
    const a = adapter({ timeoutMs: 400 });
    const e = await failure(a.placeOrder(order('DS-3004')));
    expect(e.kind).toBe('ambiguous');
    expect(await a.findOrder('DS-3004')).toBeNull(); // nothing ordered: safe to re-send
    await a.placeOrder(order('DS-3004'));
    const orders = sim.listOrders().orders;
    expect(orders).toHaveLength(1);
    expect(orders[0].lines).toEqual([
      { sku: '87-9001', quantity: 2 },
      { sku: '12-3456', quantity: 1 },
    ]);
  });

  test('PO reuse: a second POST /orders places a SECOND order — findOrder shows both', async () => {
    const a = adapter();
    await a.placeOrder(order('DS-4001', { lines: [{ lineId: 'l1', distributorSku: '87-9001', quantity: 1 }] }));
    // the raw second POST /orders the engine must never send blindly
    const again = await api('POST', '/orders', { po_number: 'DS-4001' });
    expect(again.status).toBe(200);
    expect(sim.listOrders().orders.filter((o) => o.poNumber === 'DS-4001')).toHaveLength(2);
    const found = await a.findOrder('DS-4001');
    expect(found!.distributorOrderId).toBe('6000001,6000002');
  });

  test('duplicate cart mode "reject": the default adapter reports duplicate_po; existingCart "reject" deletes first', async () => {
    sim.setConfig({ duplicateCartMode: 'reject' });
    await api('POST', '/carts', { po_number: 'DS-4002' });
    const e = await failure(adapter().placeOrder(order('DS-4002')));
    expect([e.kind, e.code]).toEqual(['permanent', 'duplicate_po']);
    calls = [];
    await expect(adapter({ existingCart: 'reject' }).placeOrder(order('DS-4002'))).resolves.toEqual({ distributorOrderId: '6000001' });
    expect(calls.map((c) => `${c.method} ${new URL(c.url).pathname} ${c.status}`).slice(0, 2)).toEqual([
      'DELETE /carts/DS-4002 204',
      'POST /carts 200',
    ]);
    // a PO with no cart: the DELETE answers 404 and the adapter carries on
    await expect(adapter({ existingCart: 'reject' }).placeOrder(order('DS-4003'))).resolves.toBeDefined();
  });
});

// ------------------------------------------------------------------------------------------
describe('WPS simulator API fidelity', () => {
  let sim: WpsSimulator;
  let url: string;
  const call = async (method: string, path: string, body?: unknown, token: string | null = TOKEN) => {
    const headers: Record<string, string> = {};
    if (token) headers.authorization = `Bearer ${token}`;
    if (body !== undefined) headers['content-type'] = 'application/json';
    const res = await fetch(`${url}${path}`, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
    return { status: res.status, headers: res.headers, body: (await res.json().catch(() => undefined)) as any };
  };

  beforeAll(async () => {
    sim = createWpsSimulator({ now: () => new Date('2024-06-03T10:00:00Z') });
    url = await sim.listen(0);
  });
  afterAll(async () => {
    await sim.close();
  });
  beforeEach(async () => {
    await sim.reset();
    sim.setConfig({ duplicateCartMode: 'replace', dealerPricingPolls: 1 });
    sim.addAccount({ apiToken: TOKEN });
    for (let i = 1; i <= 5; i++) sim.putItem(`SKU-${i}`, { status: 'STK', warehouses: { CA: i * 5 } });
  });

  test('auth: 401 {message,status_code} without a Bearer token; 403 naming the scope', async () => {
    const r = await call('GET', '/warehouses', undefined, null);
    expect(r.status).toBe(401);
    expect(r.body).toEqual({ message: 'Unauthenticated.', status_code: 401 });
    expect((await call('GET', '/warehouses', undefined, 'nope')).status).toBe(401);
    sim.addAccount({ apiToken: OTHER_TOKEN }, { scopes: [] });
    const f = await call('POST', '/carts', { po_number: 'X' }, OTHER_TOKEN);
    expect(f.status).toBe(403);
    expect(f.body.message).toContain('"orders" scope');
    expect((await call('GET', '/warehouses', undefined, OTHER_TOKEN)).body.data).toHaveLength(7);
  });

  test('POST /carts validates lengths and code lists with Laravel-style 422 field errors', async () => {
    const r = await call('POST', '/carts', {
      ship_name: 'N'.repeat(31),
      ship_address1: '1 Road',
      ship_city: 'C'.repeat(18),
      ship_state: 'IDA',
      ship_zip: '1',
      ship_via: 'FDXG',
      default_warehouse: 'PA2',
      allow_backorder: 'no',
    });
    expect(r.status).toBe(422);
    expect(r.body.status_code).toBe(422);
    expect(r.body.errors).toEqual({
      po_number: ['The po number field is required.'],
      ship_name: ['The ship name may not be greater than 30 characters.'],
      ship_city: ['The ship city may not be greater than 17 characters.'],
      ship_state: ['The ship state may not be greater than 2 characters.'],
      allow_backorder: ['The allow backorder field must be true or false.'],
      default_warehouse: ['The selected default warehouse is invalid.'],
      ship_via: ['The selected ship via is invalid.'],
    });
    const ok = await call('POST', '/carts', { po_number: 'C-1', ship_via: 'UP2D', default_warehouse: 'TX' });
    expect(ok.body).toEqual({ data: { cart_number: '1', po_number: 'C-1', shipment_type: 'STANDARD' } });
  });

  test('cart items: add to quantity, 404 unknown cart, 422 bad qty, GET and DELETE cart, replace vs reject', async () => {
    expect((await call('POST', '/carts/NOPE/items', { item_sku: 'SKU-1', quantity: 1 })).status).toBe(404);
    await call('POST', '/carts', { po_number: 'C-2' });
    expect((await call('POST', '/carts/C-2/items', { item_sku: 'SKU-1', quantity: 0 })).body.errors.quantity).toEqual([
      'The quantity must be at least 1.',
    ]);
    await call('POST', '/carts/C-2/items', { item_sku: 'SKU-1', quantity: 1 });
    const second = await call('POST', '/carts/C-2/items', { item_id: 1, quantity: 2, note: 'n' });
    expect(second.body.data).toMatchObject({ item: 'SKU-1', quantity: 3, status: 'ADDED' });
    expect((await call('GET', '/carts/C-2')).body.data.items).toEqual([{ item: 'SKU-1', item_id: 1, quantity: 3, note: 'n' }]);
    // replace (default): a fresh, empty cart
    await call('POST', '/carts', { po_number: 'C-2' });
    expect((await call('GET', '/carts/C-2')).body.data.items).toEqual([]);
    sim.setConfig({ duplicateCartMode: 'reject' });
    const rej = await call('POST', '/carts', { po_number: 'C-2' });
    expect([rej.status, rej.body.errors.po_number[0]]).toEqual([422, 'A cart with po number C-2 already exists.']);
    expect((await call('DELETE', '/carts/C-2')).status).toBe(204);
    expect((await call('GET', '/carts/C-2')).status).toBe(404);
    expect((await call('DELETE', '/carts/C-2')).status).toBe(404);
  });

  test('orders: unknown cart 404, empty cart 422, GET /orders needs both dates', async () => {
    expect((await call('POST', '/orders', { po_number: 'NONE' })).status).toBe(404);
    await call('POST', '/carts', { po_number: 'O-1' });
    expect((await call('POST', '/orders', { po_number: 'O-1' })).status).toBe(422);
    await call('POST', '/carts/O-1/items', { item_sku: 'SKU-2', quantity: 1 });
    const placed = await call('POST', '/orders', { po_number: 'O-1' });
    expect(placed.body).toEqual({ data: { order_number: '6000001', po_number: 'O-1', status: 'OPEN' } });
    expect((await call('GET', '/orders/NONE')).body).toEqual({ message: 'Order NONE not found.', status_code: 404 });
    const missing = await call('GET', '/orders?from_date=20240601');
    expect([missing.status, Object.keys(missing.body.errors)]).toEqual([422, ['to_date']]);
    expect((await call('GET', '/orders')).status).toBe(422);
    const list = await call('GET', '/orders?from_date=20240601&to_date=20240630');
    expect(list.body.data.map((p: any) => p.po_number)).toEqual(['O-1']);
    expect((await call('GET', '/orders?from_date=20240701&to_date=20240731')).body.data).toEqual([]);
    const po = (await call('GET', '/orders/O-1')).body.data;
    expect(po).toMatchObject({ po_number: 'O-1', order_details: [{ order_number: '6000001', order_status: 'OPEN', order_date: '2024-06-03 10:00:00', ship_date: null, tracking_numbers: [] }] });
  });

  test('items / inventory: include=inventory, 9-cap, cursor pagination to next=null', async () => {
    const one = await call('GET', '/items?filter[sku]=SKU-3&include=inventory');
    expect(one.body.data[0]).toMatchObject({ sku: 'SKU-3', status: 'STK', status_id: 'STK', drop_ship_eligible: true });
    expect(one.body.data[0].inventory.data).toMatchObject({ sku: 'SKU-3', ca_warehouse: 9, total: 9 });
    expect(sim.stockOf('SKU-3')!.CA).toBe(15);
    const seen: string[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const q: string = `/items?page[size]=2${cursor ? `&page[cursor]=${encodeURIComponent(cursor)}` : ''}`;
      const page = await call('GET', q);
      seen.push(...page.body.data.map((i: any) => i.sku));
      expect(page.body.meta.cursor.count).toBe(page.body.data.length);
      cursor = page.body.meta.cursor.next;
      pages += 1;
    } while (cursor);
    expect(pages).toBe(3);
    expect(seen).toEqual(['SKU-1', 'SKU-2', 'SKU-3', 'SKU-4', 'SKU-5']);
    expect((await call('GET', '/items/2')).body.data.sku).toBe('SKU-2');
    expect((await call('GET', '/items/99')).status).toBe(404);
    expect((await call('GET', '/inventory/4')).body.data).toMatchObject({ item_id: 4, ca_warehouse: 9 });
    expect((await call('GET', '/inventory/1,2')).body.data.map((i: any) => i.ca_warehouse)).toEqual([5, 9]);
    expect((await call('GET', '/inventory?filter[item_id]=1&include=item')).body.data[0].item.data.sku).toBe('SKU-1');
    sim.setConfig({ inventoryCap: 12 });
    expect((await call('GET', '/inventory/4')).body.data.ca_warehouse).toBe(12);
    sim.setConfig({ inventoryCap: 9 });
  });

  test('warehouses, dealer pricing 202 then 200 + location, throttle 429 + Retry-After', async () => {
    const w = await call('GET', '/warehouses');
    expect(w.body.data.map((x: any) => x.db2_key)).toEqual(['ID', 'CA', 'PA', 'IN', 'TX', 'GA', 'PA2']);
    const first = await call('GET', '/dealer-pricing');
    expect(first.status).toBe(202);
    const second = await call('GET', '/dealer-pricing');
    expect(second.status).toBe(200);
    expect(second.body.data.location).toMatch(/^http:\/\/.+\.csv$/);
    sim.harness.addFault({ type: 'throttle', retryAfterSeconds: 5 });
    const t = await call('GET', '/warehouses');
    expect([t.status, t.headers.get('retry-after'), t.body.status_code]).toEqual([429, '5', 429]);
  });

  test('control routes: config validation, item validation, reset clears state', async () => {
    const bad = await fetch(`${url}/__control/config`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ duplicateCartMode: 'x' }) });
    expect(bad.status).toBe(400);
    const badItem = await fetch(`${url}/__control/items/X`, { method: 'PUT', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ warehouses: { ZZ: 1 } }) });
    expect(badItem.status).toBe(400);
    await fetch(`${url}/__control/reset`, { method: 'POST' });
    expect((await call('GET', '/warehouses')).status).toBe(401);
  });
});
