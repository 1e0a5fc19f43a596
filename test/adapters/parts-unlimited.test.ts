// Parts Unlimited adapter against its simulator over real HTTP, plus the pure mappers.
import {
  PARTS_UNLIMITED_PRODUCTION_BASE_URL,
  PARTS_UNLIMITED_STAGING_BASE_URL,
  classifyPuRefusal,
  createPartsUnlimitedAdapter,
  interpretOrderResponse,
  makePartsUnlimitedModule,
  mapPuCarrier,
  mapPuInventory,
  mapPuOrderListPage,
  parsePuQuantity,
  readPuRefusal,
  partsUnlimitedModule,
  puDateToIso,
  type PartsUnlimitedAdapterOptions,
} from '../../src/distributors/parts-unlimited';
import type { DistributorAdapter, PurchaseOrderRequest } from '../../src/distributors/types';
import { ExternalCallError } from '../../src/external-errors';
import { createHttpClientFactory, resolveBaseUrl, type CallRecord } from '../../src/http';
import {
  createPartsUnlimitedSimulator,
  DEFAULT_PU_SIMULATOR_CONFIG,
  PU_REFUSAL_CODES,
  type PartsUnlimitedSimulator,
  type PuRefusalKind,
} from '../../src/simulators/parts-unlimited';

const CREDS = { dealerNumber: '778899', apiKey: 'ABCDEF1-GHIJKL2-MNOPQR3-STUVWX4' };
const OTHER = { dealerNumber: '112233', apiKey: 'ZZZZZZ1-YYYYYY2-XXXXXX3-WWWWWW4' };

const SHIP_TO = {
  name: 'Pat Rider',
  address1: '100 Main St',
  address2: 'Apt 4',
  city: 'Madison',
  state: 'wi',
  postalCode: '53703',
  country: 'US',
  phone: '6085551212',
};

function order(po: string, lines: [string, number][] = [['1401-1193', 2]]): PurchaseOrderRequest {
  return {
    poNumber: po,
    shipTo: SHIP_TO,
    lines: lines.map(([sku, quantity], i) => ({ lineId: `L${i + 1}`, distributorSku: sku, quantity })),
  };
}

async function expectError(p: Promise<unknown>, kind: string, code: string): Promise<ExternalCallError> {
  try {
    await p;
  } catch (e) {
    expect(e).toBeInstanceOf(ExternalCallError);
    const err = e as ExternalCallError;
    expect({ kind: err.kind, code: err.code, message: err.message }).toEqual(
      expect.objectContaining({ kind, code }),
    );
    expect(err.message).not.toContain(CREDS.apiKey);
    expect(err.message).not.toContain(CREDS.dealerNumber);
    return err;
  }
  throw new Error(`expected ${kind}/${code}, but the call succeeded`);
}

let sim: PartsUnlimitedSimulator;
let baseUrl: string;
let calls: CallRecord[];

function adapter(opts: PartsUnlimitedAdapterOptions = {}, creds = CREDS): DistributorAdapter {
  return createPartsUnlimitedAdapter(creds, { baseUrl, http: createHttpClientFactory((r) => calls.push(r)) }, opts);
}

async function control(method: string, path: string, body?: unknown): Promise<{ status: number; json: any }> {
  const res = await fetch(`${baseUrl}${path}`, {
    method,
    headers: body === undefined ? {} : { 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, json: text ? JSON.parse(text) : undefined };
}

beforeAll(async () => {
  sim = createPartsUnlimitedSimulator();
  baseUrl = await sim.listen(0);
});

afterAll(async () => {
  await sim.close();
});

beforeEach(async () => {
  calls = [];
  expect((await control('POST', '/__control/reset')).status).toBe(200);
  expect((await control('POST', '/__control/accounts', { credentials: CREDS })).status).toBe(200);
  await control('POST', '/__control/accounts', { credentials: OTHER });
  await control('PUT', '/__control/items/1401-1193', { price: 12.5, dropShipFee: 3, warehouses: { WI: 5, NV: 40 } });
  await control('PUT', '/__control/items/0602-0001', { price: 40, warehouses: { TX: 3 } });
  await control('PUT', '/__control/items/DISC-1', { status: 'D', warehouses: { WI: 1 } });
  await control('PUT', '/__control/items/NODS-1', { dropShipEligible: false, warehouses: { WI: 1 } });
});

// ---------------------------------------------------------------------------------------------
describe('pure mappers', () => {
  test('mapPuCarrier maps PU carrier strings to canonical carriers', () => {
    expect(mapPuCarrier('UPS')).toBe('UPS');
    expect(mapPuCarrier('UPS GROUND')).toBe('UPS');
    expect(mapPuCarrier('UPS Ground Residential')).toBe('UPS');
    expect(mapPuCarrier('UPS SurePost')).toBe('UPS');
    expect(mapPuCarrier('FEDEX GROUND')).toBe('FedEx');
    expect(mapPuCarrier('FedEx Home Delivery')).toBe('FedEx');
    expect(mapPuCarrier('FDX')).toBe('FedEx');
    expect(mapPuCarrier('FedEx SmartPost')).toBe('FedExSmartPost');
    expect(mapPuCarrier('USPS Priority Mail')).toBe('USPS');
    expect(mapPuCarrier('U.S. Mail')).toBe('USPS');
    expect(mapPuCarrier('ROADRUNNER FREIGHT')).toBe('Other');
    expect(mapPuCarrier(undefined)).toBe('Other');
  });

  test('parsePuQuantity reads numbers and display strings', () => {
    expect(parsePuQuantity(7)).toBe(7);
    expect(parsePuQuantity('25+')).toBe(25);
    expect(parsePuQuantity('+')).toBe(10);
    expect(parsePuQuantity('N/A')).toBe(0);
    expect(parsePuQuantity(-3)).toBe(0);
    expect(parsePuQuantity(null)).toBe(0);
  });

  test('puDateToIso', () => {
    expect(puDateToIso('2024-03-05')).toBe('2024-03-05T00:00:00.000Z');
    expect(puDateToIso('20240305')).toBe('2024-03-05T00:00:00.000Z');
    expect(puDateToIso('3/5/2024')).toBe('2024-03-05T00:00:00.000Z');
    expect(puDateToIso('2024-03-05T14:00:00Z')).toBe('2024-03-05T14:00:00.000Z');
    expect(puDateToIso('')).toBeUndefined();
    expect(puDateToIso('soon')).toBeUndefined();
  });

  test('interpretOrderResponse handles both success codes and both refusal shapes', () => {
    const ok = [200, 202];
    expect(interpretOrderResponse(200, { status_code: 200, reference_number: 'R1' }, ok)).toEqual({ ok: true, referenceNumber: 'R1', backordered: false });
    expect(interpretOrderResponse(200, { status_code: '202', reference_number: 9 }, ok)).toEqual({ ok: true, referenceNumber: '9', backordered: true });
    expect(interpretOrderResponse(200, { status_code: 203, reference_number: 'R' }, ok)).toEqual({ ok: false, statusCode: 203, texts: [] });
    expect(interpretOrderResponse(200, { status_code: 203, reference_number: 'R' }, [200, 201, 202, 203])).toMatchObject({ ok: true });
    expect(interpretOrderResponse(200, { status_code: 409, status_message: 'Duplicate' }, ok)).toEqual({ ok: false, statusCode: 409, texts: ['Duplicate'] });
    expect(interpretOrderResponse(200, { mainframeErrors: [{ text: 'BAD PART' }, { text: 'BAD STATE' }] }, ok)).toEqual({
      ok: false,
      statusCode: undefined,
      texts: ['BAD PART', 'BAD STATE'],
    });
    expect(interpretOrderResponse(400, { status_code: 400, status_message: 'x' }, ok)).toEqual({ ok: false, statusCode: 400, texts: ['x'] });
    expect(interpretOrderResponse(404, undefined, ok)).toEqual({ ok: false, statusCode: 404, texts: [] });
    expect(interpretOrderResponse(200, undefined, ok)).toMatchObject({ ok: 'unknown' });
    expect(interpretOrderResponse(200, { status_code: 200 }, ok)).toMatchObject({ ok: 'unknown' });
    expect(interpretOrderResponse(200, { status_message: 'hello' }, ok)).toMatchObject({ ok: 'unknown' });
  });

  test('a refusal classifies the same in the status_code and the mainframeErrors shape, in a 200 or an HTTP status', () => {
    const classify = (httpStatus: number, body: unknown) => {
      const refusal = readPuRefusal(httpStatus, body, (code) => code === 200 || code === 202);
      expect(refusal).toBeDefined();
      return classifyPuRefusal(refusal!.statusCode, refusal!.texts, { poNumber: 'PO1', isWrite: true });
    };
    for (const [kind, template] of Object.entries(DEFAULT_PU_SIMULATOR_CONFIG.messages) as [PuRefusalKind, string][]) {
      const text = template.replace('{part}', '1401-1193').replace('{po}', 'PO1').replace('{field}', 'city is required');
      const status = classify(200, { status_code: PU_REFUSAL_CODES[kind], status_message: text });
      for (const [httpStatus, body] of [
        [200, { mainframeErrors: [{ text }] }],
        [PU_REFUSAL_CODES[kind], { mainframeErrors: [{ text }] }],
        [PU_REFUSAL_CODES[kind], { status_code: PU_REFUSAL_CODES[kind], status_message: text }],
      ] as const) {
        const other = classify(httpStatus, body);
        expect({ kind, code: other.code, message: other.message }).toEqual({ kind, code: status.code, message: status.message });
      }
    }
  });

  test('readPuRefusal: answers that are not refusals', () => {
    const ok = (code: number) => code === 200;
    expect(readPuRefusal(200, { status_code: 200, reference_number: '1' }, ok)).toBeUndefined();
    expect(readPuRefusal(200, { availability: [] }, ok)).toBeUndefined();
    expect(readPuRefusal(200, undefined, ok)).toBeUndefined();
    expect(readPuRefusal(200, [{ mainframeErrors: [] }], ok)).toBeUndefined();
    expect(readPuRefusal(200, { mainframeErrors: [] }, ok)).toEqual({ statusCode: undefined, texts: [] });
    expect(readPuRefusal(502, '<html>', ok)).toEqual({ statusCode: 502, texts: [] });
  });

  test('classifyPuRefusal maps texts and codes to refusal codes', () => {
    const c = (code: number | undefined, text: string) => classifyPuRefusal(code, [text], { poNumber: 'PO1', isWrite: true }).code;
    expect(c(403, 'Dealer is not set up for drop ship orders')).toBe('account_setup_required');
    expect(c(undefined, 'DEALER NOT AUTHORIZED FOR DROPSHIP')).toBe('account_setup_required');
    expect(c(undefined, 'Drop-ship is not enabled for this account')).toBe('account_setup_required');
    expect(c(403, 'Dealer number is not valid for this API key')).toBe('account_setup_required');
    expect(c(undefined, 'Invalid dealer number')).toBe('account_setup_required');
    expect(c(403, 'Forbidden')).toBe('account_setup_required');
    expect(c(409, 'Conflict')).toBe('duplicate_po');
    expect(c(undefined, 'PO number already exists')).toBe('duplicate_po');
    expect(c(400, 'Duplicate purchase order number PO1')).toBe('duplicate_po');
    expect(c(undefined, 'Part number 9999 not found')).toBe('sku_not_orderable');
    expect(c(400, 'Part 1401-1193 is not eligible for drop ship')).toBe('sku_not_orderable');
    expect(c(undefined, 'ITEM DISCONTINUED')).toBe('sku_not_orderable');
    expect(c(400, 'Part 1401-1193 is out of stock')).toBe('out_of_stock');
    expect(c(undefined, 'Ship to address: state must be a 2-letter code')).toBe('address_rejected');
    expect(c(undefined, 'INVALID ZIP CODE')).toBe('address_rejected');
    expect(c(400, 'purchase_order_number exceeds 20 characters')).toBe('invalid_request');
    expect(c(401, 'whatever')).toBe('credentials_rejected');
    expect(c(429, 'slow down')).toBe('throttled');
    expect(classifyPuRefusal(500, ['boom'], { isWrite: true }).kind).toBe('ambiguous');
    expect(classifyPuRefusal(500, ['boom'], { isWrite: false }).kind).toBe('transient');
    const setup = classifyPuRefusal(403, ['Dealer is not set up for drop ship orders'], { poNumber: 'PO1', isWrite: true });
    expect(setup.kind).toBe('permanent');
    expect(setup.message).toMatch(/enable drop-ship/i);
  });

  test('mapPuOrderListPage reads the §8.2 list shape (the one mapper for order status)', () => {
    const page = mapPuOrderListPage({
      page_num: 2,
      total_pages: 3,
      total_count: 21,
      orders: [
        {
          purchase_order_number: 'PO-9',
          reference_number: '5000009',
          order_type: 'DS',
          order_date: '2024-05-01',
          status: 'PARTIALLY_SHIPPED',
          line_items: [{ line_number: 1, part_number: '1401-1193', quantity: 2, shipped_quantity: 1 }],
          shipments: [
            { carrier: 'FEDEX GROUND', tracking_number: '7712', ship_date: '2024-05-02', line_items: [{ part_number: '1401-1193', quantity: 1 }] },
            { carrier: 'UPS', tracking_number: '', ship_date: '2024-05-03', line_items: [] },
          ],
        },
      ],
    });
    expect(page).toEqual({
      pageNum: 2,
      totalPages: 3,
      orders: [
        {
          poNumber: 'PO-9',
          referenceNumber: '5000009',
          status: 'PARTIALLY_SHIPPED',
          orderDate: '2024-05-01',
          shipments: [
            {
              trackingNumber: '7712',
              carrier: 'FedEx',
              service: 'FEDEX GROUND',
              shippedAt: '2024-05-02T00:00:00.000Z',
              lines: [{ distributorSku: '1401-1193', quantity: 1 }],
            },
          ],
        },
      ],
    });
    expect(mapPuOrderListPage({ status_code: 400 })).toBeUndefined();
  });

  test('mapPuInventory matches punctuated and plain part numbers, keeps request order', () => {
    const body = {
      availability: [
        { partNumber: '14011193', found: true, warehouses: [{ code: 'wi', quantity: '25+' }, { code: 'NV', quantity: 3 }] },
        { partNumber: 'NOPE', found: false, warehouses: [] },
      ],
    };
    expect(mapPuInventory(['NOPE', '1401-1193', 'MISSING'], body)).toEqual([
      { distributorSku: 'NOPE', orderable: false, warehouses: [] },
      { distributorSku: '1401-1193', orderable: true, warehouses: [{ code: 'WI', quantity: 25 }, { code: 'NV', quantity: 3 }] },
      { distributorSku: 'MISSING', orderable: false, warehouses: [] },
    ]);
  });

  test('module: code, base URLs, warehouses, limits, schema and masking', () => {
    expect(partsUnlimitedModule.code).toBe('parts-unlimited');
    expect(partsUnlimitedModule.productionBaseUrl).toBe('https://api.parts-unlimited.com');
    expect(PARTS_UNLIMITED_PRODUCTION_BASE_URL).toBe(partsUnlimitedModule.productionBaseUrl);
    // baseUrl replaces the host only; the adapter appends /api/... itself.
    expect(resolveBaseUrl(partsUnlimitedModule.productionBaseUrl, PARTS_UNLIMITED_STAGING_BASE_URL)).toBe('https://stage-api.lemansplatform.com');
    expect(partsUnlimitedModule.warehouses).toEqual(['WI', 'NY', 'TX', 'NV', 'NC']);
    expect(partsUnlimitedModule.limits.poNumberMaxLength).toBe(20);
    expect(partsUnlimitedModule.limits.stateLength).toBe(2);
    expect(partsUnlimitedModule.limits.poNumberPattern.test('PSS-123-PU-1')).toBe(true);
    expect(partsUnlimitedModule.limits.poNumberPattern.test('PO_1')).toBe(false);
    expect(makePartsUnlimitedModule({ limits: { poNumberMaxLength: 15 } }).limits.poNumberMaxLength).toBe(15);
    expect(partsUnlimitedModule.credentialsSchema.safeParse(CREDS).success).toBe(true);
    expect(partsUnlimitedModule.credentialsSchema.safeParse({ dealerNumber: '', apiKey: 'x' }).success).toBe(false);
    expect(partsUnlimitedModule.credentialsSchema.safeParse({ dealerNumber: '1' }).success).toBe(false);
    expect(partsUnlimitedModule.mask(CREDS)).toEqual({ dealerNumber: '••••8899', apiKey: '••••VWX4' });
  });
});

// ---------------------------------------------------------------------------------------------
describe('placeOrder → findOrder → ship → findOrder', () => {
  test('builds the documented request and never records credentials', async () => {
    const placed = await adapter().placeOrder(order('PSS-1001-PU-1', [['1401-1193', 2], ['0602-0001', 1]]));
    expect(placed).toEqual({ distributorOrderId: '5000001' });

    const posts = sim.requests.filter((r) => r.method === 'POST');
    expect(posts).toHaveLength(1);
    expect(posts[0].path).toBe('/api/orders/dropship');
    expect(posts[0].headers['api-key']).toBe('***'); // present (harness redacts its value)
    expect(posts[0].headers['content-type']).toMatch(/application\/json/);
    expect(posts[0].body).toEqual({
      dealer_number: CREDS.dealerNumber,
      order_type: 'DS',
      purchase_order_number: 'PSS-1001-PU-1',
      shipping_method: 'ground',
      validate_price: false,
      cancellation_policy: 'back_order',
      ship_to_address: {
        name: 'Pat Rider',
        address_line_1: '100 Main St',
        address_line_2: 'Apt 4',
        city: 'Madison',
        state: 'WI',
        postal_code: '53703',
        country: 'US',
      },
      line_items: [
        { line_number: 1, part_number: '1401-1193', quantity: 2 },
        { line_number: 2, part_number: '0602-0001', quantity: 1 },
      ],
    });

    expect(calls).toHaveLength(1);
    const recorded = JSON.stringify(calls);
    expect(recorded).not.toContain(CREDS.apiKey);
    expect(recorded).not.toContain(CREDS.dealerNumber);
  });

  test('happy path with partial and split shipments and canonical carriers', async () => {
    const pu = adapter();
    const po = 'PSS-2002-PU-1';
    const { distributorOrderId } = await pu.placeOrder(order(po, [['1401-1193', 3], ['0602-0001', 1]]));

    const open = await pu.findOrder(po);
    expect(open).toEqual({ distributorOrderId, status: 'OPEN', shipments: [] });

    const listCall = sim.requests.find((r) => r.method === 'GET' && r.path === '/api/orders/dropship');
    expect(listCall?.query).toEqual(
      expect.objectContaining({ date_start: expect.stringMatching(/^\d{4}-\d{2}-\d{2}$/), date_end: expect.any(String), page_num: '1', order_type: 'DS' }),
    );

    const first = await control('POST', `/__control/orders/${po}/ship`, {
      lines: [{ sku: '1401-1193', quantity: 2 }],
      carrier: 'FEDEX GROUND',
      trackingNumber: '771234567890',
      warehouse: 'NV',
    });
    expect(first.status).toBe(200);

    const partial = await pu.findOrder(po);
    expect(partial?.status).toBe('PARTIALLY_SHIPPED');
    expect(partial?.shipments).toEqual([
      {
        trackingNumber: '771234567890',
        carrier: 'FedEx',
        service: 'FEDEX GROUND',
        shippedAt: expect.stringMatching(/^\d{4}-\d{2}-\d{2}T/),
        lines: [{ distributorSku: '1401-1193', quantity: 2 }],
      },
    ]);

    // The rest ships under one generated tracking number.
    const second = await control('POST', `/__control/orders/${po}/ship`, {});
    expect(second.json.shipment.trackingNumber).toMatch(/^1ZPU/);

    const done = await pu.findOrder(po, { distributorOrderId });
    expect(done?.status).toBe('SHIPPED');
    expect(done?.shipments).toHaveLength(2);
    expect(done?.shipments[1]).toMatchObject({
      trackingNumber: second.json.shipment.trackingNumber,
      carrier: 'UPS',
      lines: [
        { distributorSku: '1401-1193', quantity: 1 },
        { distributorSku: '0602-0001', quantity: 1 },
      ],
    });

    const orders = (await control('GET', '/__control/orders')).json.orders;
    expect(orders.filter((o: any) => o.poNumber === po)).toHaveLength(1);
    expect(orders[0]).toMatchObject({ poNumber: po, orderId: distributorOrderId, account: CREDS.dealerNumber, lines: [{ sku: '1401-1193', quantity: 3 }, { sku: '0602-0001', quantity: 1 }] });
    expect(orders[0].shipments).toHaveLength(2);
  });

  test('ship control answers 404 for an unknown PO', async () => {
    expect((await control('POST', '/__control/orders/NOPE/ship', {})).status).toBe(404);
  });

  test('findOrder: null when PU has no such PO; pages through the list; sees only its own dealer', async () => {
    await control('POST', '/__control/config', { pageSize: 2 });
    const pu = adapter();
    for (let i = 1; i <= 5; i++) await pu.placeOrder(order(`PSS-P${i}`, [['1401-1193', 1]]));
    await adapter({}, OTHER).placeOrder(order('PSS-OTHER', [['1401-1193', 1]]));
    sim.requests.length = 0;

    const found = await pu.findOrder('PSS-P5');
    expect(found?.distributorOrderId).toBe('5000005');
    expect(sim.requests.filter((r) => r.method === 'GET').map((r) => r.query.page_num)).toEqual(['1', '2', '3']);

    expect(await pu.findOrder('PSS-OTHER')).toBeNull();
    expect(await pu.findOrder('PSS-NEVER')).toBeNull();
    expect(await adapter({}, OTHER).findOrder('PSS-OTHER')).toMatchObject({ distributorOrderId: '5000006' });
  });

  test('findOrder refuses to say "not there" when the window has more pages than it may read', async () => {
    await control('POST', '/__control/config', { pageSize: 1 });
    const pu = adapter({ maxLookupPages: 2 });
    for (let i = 1; i <= 3; i++) await pu.placeOrder(order(`PSS-M${i}`));
    await expectError(pu.findOrder('PSS-NEVER'), 'permanent', 'order_not_found');
    expect(await pu.findOrder('PSS-M2')).toMatchObject({ distributorOrderId: '5000002' });
  });

  test('v2 paths and list parameters', async () => {
    const pu = adapter({ orderApiVersion: 'v2', orderType: null });
    await pu.placeOrder(order('PSS-V2'));
    expect(await pu.findOrder('PSS-V2')).toMatchObject({ distributorOrderId: '5000001', status: 'OPEN' });
    const post = sim.requests.find((r) => r.method === 'POST')!;
    expect(post.path).toBe('/api/v2/orders/dropship');
    expect(post.body).not.toHaveProperty('order_type');
    const get = sim.requests.find((r) => r.method === 'GET')!;
    expect(get.path).toBe('/api/v2/orders/dropship');
    expect(Object.keys(get.query).sort()).toEqual(['order_date_end', 'order_date_start', 'page_num']);
  });

  test('202 (accepted with back-ordered lines) is a success', async () => {
    const placed = await adapter().placeOrder(order('PSS-BO', [['0602-0001', 10]]));
    expect(placed.distributorOrderId).toBe('5000001');
  });
});

// ---------------------------------------------------------------------------------------------
describe('refusals', () => {
  test('dealer number not valid for the key → account_setup_required, message says what to fix', async () => {
    const err = await expectError(
      adapter({}, { dealerNumber: '999999', apiKey: CREDS.apiKey }).placeOrder(order('PSS-R1')),
      'permanent',
      'account_setup_required',
    );
    expect(err.message).toMatch(/dealer number/i);
    expect(err.message).toMatch(/enable drop-ship/i);
    expect(err.details.upstreamCode).toBe('403');
  });

  test.each(['status', 'mainframe'] as const)('dealer not enabled for drop ship (%s shape) → account_setup_required', async (shape) => {
    await control('POST', '/__control/accounts', { credentials: CREDS, flags: { dropshipEnabled: false } });
    await control('POST', '/__control/config', { refusalShapes: { dropship_disabled: shape } });
    const err = await expectError(adapter().placeOrder(order('PSS-R2')), 'permanent', 'account_setup_required');
    expect(err.message).toMatch(/not set up for drop ship/i);
    expect(err.message).toMatch(/Ask your Parts Unlimited .* to enable drop-ship ordering on your dealer account/);
    expect((await control('GET', '/__control/orders')).json.orders).toHaveLength(0);
  });

  describe.each([
    ['mainframe', 'body'],
    ['status', 'body'],
    ['mainframe', 'http'],
    ['status', 'http'],
  ] as const)('a refused read (%s shape, carried in the %s) classifies like a refused order', (shape, transport) => {
    beforeEach(async () => {
      await control('POST', '/__control/config', { refusalShapes: { dropship_disabled: shape, dealer_mismatch: shape }, refusalTransport: transport });
    });

    test('dealer not set up for drop ship → account_setup_required on every read', async () => {
      await control('POST', '/__control/config', { readRefusal: 'dropship_disabled' });
      const pu = adapter();
      for (const read of [() => pu.checkStock(['1401-1193']), () => pu.findOrder('PSS-R5'), () => pu.verifyCredentials(), () => adapter({ verifyWith: 'orders' }).verifyCredentials()]) {
        const err = await expectError(read(), 'permanent', 'account_setup_required');
        expect(err.message).toMatch(/not set up for drop ship/i);
        expect(err.message).toMatch(/Ask your Parts Unlimited .* to enable drop-ship ordering on your dealer account/);
      }
    });

    test('dealer number not valid for the key → account_setup_required naming the dealer number', async () => {
      await control('POST', '/__control/config', { readRefusal: 'dealer_mismatch' });
      const err = await expectError(adapter().checkStock(['1401-1193']), 'permanent', 'account_setup_required');
      expect(err.message).toMatch(/^Parts Unlimited inventory check: .*dealer number is not valid for this API key/);
      expect(err.message).toMatch(/Check the dealer number in the Parts Unlimited connection/);
    });
  });

  test('upstream text that names the dealer number is scrubbed from the message', async () => {
    await control('POST', '/__control/accounts', { credentials: CREDS, flags: { dropshipEnabled: false } });
    await control('POST', '/__control/config', { messages: { dropship_disabled: `Dealer ${CREDS.dealerNumber} not setup for dropship` } });
    const err = await expectError(adapter().placeOrder(order('PSS-R3')), 'permanent', 'account_setup_required');
    expect(err.message).toContain('••••8899');
  });

  test.each(['status', 'mainframe'] as const)('duplicate PO (%s shape) → duplicate_po, still one order', async (shape) => {
    await control('POST', '/__control/config', { refusalShapes: { duplicate_po: shape } });
    const pu = adapter();
    await pu.placeOrder(order('PSS-DUP'));
    await expectError(pu.placeOrder(order('PSS-DUP')), 'permanent', 'duplicate_po');
    expect((await control('GET', '/__control/orders')).json.orders).toHaveLength(1);
  });

  test('duplicate PO mode "accept" places a second order (why callers look up first)', async () => {
    await control('POST', '/__control/config', { duplicatePoMode: 'accept' });
    const pu = adapter();
    await pu.placeOrder(order('PSS-DUP2'));
    await pu.placeOrder(order('PSS-DUP2'));
    const orders = (await control('GET', '/__control/orders')).json.orders;
    expect(orders.filter((o: any) => o.poNumber === 'PSS-DUP2')).toHaveLength(2);
    // With the reference number as hint, findOrder picks the right one.
    expect(await pu.findOrder('PSS-DUP2', { distributorOrderId: '5000002' })).toMatchObject({ distributorOrderId: '5000002' });
  });

  test.each(['mainframe', 'status'] as const)('unknown, discontinued and non-drop-ship parts (%s shape) → sku_not_orderable', async (shape) => {
    await control('POST', '/__control/config', { refusalShapes: { unknown_part: shape, not_dropship_eligible: shape } });
    const pu = adapter();
    const err = await expectError(pu.placeOrder(order('PSS-S1', [['9999-0000', 1]])), 'permanent', 'sku_not_orderable');
    expect(err.message).toContain('9999-0000');
    await expectError(pu.placeOrder(order('PSS-S2', [['DISC-1', 1]])), 'permanent', 'sku_not_orderable');
    await expectError(pu.placeOrder(order('PSS-S3', [['NODS-1', 1]])), 'permanent', 'sku_not_orderable');
  });

  test('part numbers match with or without punctuation', async () => {
    await expect(adapter().placeOrder(order('PSS-S4', [['14011193', 1]]))).resolves.toEqual({ distributorOrderId: '5000001' });
  });

  test.each(['mainframe', 'status'] as const)('address problems (%s shape) → address_rejected', async (shape) => {
    await control('POST', '/__control/config', { refusalShapes: { address: shape } });
    const pu = adapter();
    const bad = (over: Partial<typeof SHIP_TO>) => ({ ...order('PSS-A1'), shipTo: { ...SHIP_TO, ...over } });
    const err = await expectError(pu.placeOrder(bad({ state: 'Wisconsin' })), 'permanent', 'address_rejected');
    expect(err.message).toMatch(/state/);
    await expectError(pu.placeOrder(bad({ city: '' })), 'permanent', 'address_rejected');
    await expectError(pu.placeOrder(bad({ address1: 'x'.repeat(36) })), 'permanent', 'address_rejected');
    await expectError(pu.placeOrder(bad({ country: 'CA' })), 'permanent', 'address_rejected');
  });

  test('PO longer than the limit → invalid_request', async () => {
    const err = await expectError(adapter().placeOrder(order('P'.repeat(21))), 'permanent', 'invalid_request');
    expect(err.message).toMatch(/20 characters/);
  });

  test('short stock without back-order policy → out_of_stock', async () => {
    const err = await expectError(
      adapter({ cancellationPolicy: 'cancel' }).placeOrder(order('PSS-OOS', [['0602-0001', 10]])),
      'permanent',
      'out_of_stock',
    );
    expect(err.message).toContain('0602-0001');
  });

  test('validate_price with a wrong price → invalid_request', async () => {
    await control('POST', '/__control/config', { refusalShapes: { price_mismatch: 'status' } });
    // The adapter never sends prices, so drive the simulator directly for this guess.
    const res = await fetch(`${baseUrl}/api/orders/dropship`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'api-key': CREDS.apiKey },
      body: JSON.stringify({
        dealer_number: CREDS.dealerNumber,
        purchase_order_number: 'PSS-PRICE',
        validate_price: true,
        ship_to_address: { name: 'A', address_line_1: 'B', city: 'C', state: 'WI', postal_code: '53703', country: 'US' },
        line_items: [{ line_number: 1, part_number: '1401-1193', quantity: 1, price: 1 }],
      }),
    });
    const body = (await res.json()) as any;
    expect(res.status).toBe(200);
    expect(body.status_code).toBe(400);
    expect(interpretOrderResponse(200, body, [200, 202])).toMatchObject({ ok: false, statusCode: 400 });
  });

  test('refusals sent as HTTP statuses (transport variant) map the same way', async () => {
    await control('POST', '/__control/config', { refusalTransport: 'http', refusalShapes: { duplicate_po: 'status' } });
    const pu = adapter();
    await pu.placeOrder(order('PSS-H1'));
    const dup = await expectError(pu.placeOrder(order('PSS-H1')), 'permanent', 'duplicate_po');
    expect(dup.details.httpStatus).toBe(409);
    await expectError(pu.placeOrder(order('PSS-H2', [['9999', 1]])), 'permanent', 'sku_not_orderable');
    await expectError(adapter({}, { dealerNumber: '1', apiKey: CREDS.apiKey }).placeOrder(order('PSS-H3')), 'permanent', 'account_setup_required');
  });
});

// ---------------------------------------------------------------------------------------------
describe('credentials, throttling and transport failures', () => {
  const BAD = { dealerNumber: CREDS.dealerNumber, apiKey: 'NOPE000-NOPE000-NOPE000-NOPE000' };

  test('401 → credentials_rejected on every method', async () => {
    const pu = adapter({}, BAD);
    await expectError(pu.placeOrder(order('PSS-401')), 'permanent', 'credentials_rejected');
    await expectError(pu.findOrder('PSS-401'), 'permanent', 'credentials_rejected');
    await expectError(pu.checkStock(['1401-1193']), 'permanent', 'credentials_rejected');
    await expectError(pu.verifyCredentials(), 'permanent', 'credentials_rejected');
  });

  test('a staging key does not work against production (separate keys)', async () => {
    const staging = { dealerNumber: CREDS.dealerNumber, apiKey: 'STAGE01-STAGE02-STAGE03-STAGE04' };
    await control('POST', '/__control/accounts', { credentials: staging, environment: 'staging' });
    await expectError(adapter({}, staging).verifyCredentials(), 'permanent', 'credentials_rejected');
    await control('POST', '/__control/config', { environment: 'staging' });
    await expect(adapter({}, staging).verifyCredentials()).resolves.toBeUndefined();
    await expectError(adapter().verifyCredentials(), 'permanent', 'credentials_rejected');
  });

  test('verifyCredentials: inventory probe by default, order list on request', async () => {
    await expect(adapter().verifyCredentials()).resolves.toBeUndefined();
    expect(sim.requests.at(-1)).toMatchObject({ method: 'GET', path: '/api/v1/parts/inventory/1401-1193' });
    await expect(adapter({ verifyWith: 'orders' }).verifyCredentials()).resolves.toBeUndefined();
    expect(sim.requests.at(-1)).toMatchObject({ method: 'GET', path: '/api/orders/dropship' });
  });

  test('429 + Retry-After → transient throttled with retryAfterMs', async () => {
    sim.addFault({ type: 'throttle', retryAfterSeconds: 7, times: 3 });
    const pu = adapter();
    const e1 = await expectError(pu.placeOrder(order('PSS-T1')), 'transient', 'throttled');
    expect(e1.details.retryAfterMs).toBe(7000);
    const e2 = await expectError(pu.checkStock(['1401-1193']), 'transient', 'throttled');
    expect(e2.details.retryAfterMs).toBe(7000);
    await expectError(pu.findOrder('PSS-T1'), 'transient', 'throttled');
    expect((await control('GET', '/__control/orders')).json.orders).toHaveLength(0);
  });

  test('throttle signalled inside an HTTP 200 body is also transient', async () => {
    sim.addFault({ type: 'status', status: 200, body: { status_code: 429, status_message: 'Too many requests' } });
    await expectError(adapter().placeOrder(order('PSS-T2')), 'transient', 'throttled');
  });

  test('5xx on the write → ambiguous; 5xx on a read → transient', async () => {
    sim.addFault({ type: 'status', status: 503, method: 'POST' });
    await expectError(adapter().placeOrder(order('PSS-5')), 'ambiguous', 'upstream_unavailable');
    sim.addFault({ type: 'status', status: 500, method: 'GET' });
    await expectError(adapter().findOrder('PSS-5'), 'transient', 'upstream_unavailable');
    sim.addFault({ type: 'status', status: 502, method: 'GET' });
    await expectError(adapter().checkStock(['1401-1193']), 'transient', 'upstream_unavailable');
  });

  test('a 200 the adapter cannot read on the write → ambiguous', async () => {
    sim.addFault({ type: 'status', status: 200, body: '<html>gateway</html>', method: 'POST' });
    await expectError(adapter().placeOrder(order('PSS-HTML')), 'ambiguous', 'upstream_unavailable');
  });

  test('lost acknowledgement → ambiguous timeout; findOrder then finds the committed order', async () => {
    sim.addFault({ type: 'lost_ack', method: 'POST' });
    const pu = adapter({ writeTimeoutMs: 300 });
    await expectError(pu.placeOrder(order('PSS-LOST')), 'ambiguous', 'timeout');
    const found = await pu.findOrder('PSS-LOST');
    expect(found).toMatchObject({ distributorOrderId: '5000001', status: 'OPEN' });
    const orders = (await control('GET', '/__control/orders')).json.orders;
    expect(orders.filter((o: any) => o.poNumber === 'PSS-LOST')).toHaveLength(1);
    // A blind re-send would be refused as a duplicate, not placed twice.
    await expectError(pu.placeOrder(order('PSS-LOST')), 'permanent', 'duplicate_po');
  });

  test('connection reset after commit → ambiguous; the order is there', async () => {
    sim.addFault({ type: 'reset_after_commit', method: 'POST' });
    const pu = adapter();
    await expectError(pu.placeOrder(order('PSS-RST')), 'ambiguous', 'network_error');
    expect(await pu.findOrder('PSS-RST')).not.toBeNull();
  });
});

// ---------------------------------------------------------------------------------------------
describe('checkStock', () => {
  test('live inventory per warehouse, punctuation-insensitive, unknown parts not orderable', async () => {
    const stock = await adapter().checkStock(['1401-1193', '06020001', 'NOPE-1']);
    expect(stock).toEqual([
      { distributorSku: '1401-1193', orderable: true, warehouses: [{ code: 'WI', quantity: 5 }, { code: 'NV', quantity: 40 }] },
      { distributorSku: '06020001', orderable: true, warehouses: [{ code: 'TX', quantity: 3 }] },
      { distributorSku: 'NOPE-1', orderable: false, warehouses: [] },
    ]);
    expect(sim.requests.at(-1)?.path).toBe('/api/v1/parts/inventory/1401-1193,06020001,NOPE-1');
  });

  test('reported caps ("25+") are read as the cap', async () => {
    await control('POST', '/__control/config', { inventoryDisplayCap: 25 });
    const [level] = await adapter().checkStock(['1401-1193']);
    expect(level.warehouses).toEqual([{ code: 'WI', quantity: 5 }, { code: 'NV', quantity: 25 }]);
  });

  test('batches long lists into several requests', async () => {
    const stock = await adapter({ inventoryBatchSize: 2 }).checkStock(['1401-1193', '0602-0001', 'DISC-1']);
    expect(stock.map((s) => s.orderable)).toEqual([true, true, true]);
    expect(sim.requests.filter((r) => r.path.startsWith('/api/v1/parts/inventory/')).map((r) => r.path)).toEqual([
      '/api/v1/parts/inventory/1401-1193,0602-0001',
      '/api/v1/parts/inventory/DISC-1',
    ]);
  });

  test('placing an order consumes stock', async () => {
    await adapter().placeOrder(order('PSS-STK', [['1401-1193', 6]]));
    const [level] = await adapter().checkStock(['1401-1193']);
    expect(level.warehouses).toEqual([{ code: 'WI', quantity: 0 }, { code: 'NV', quantity: 39 }]);
  });
});

// ---------------------------------------------------------------------------------------------
describe('simulator control surface', () => {
  test('pricing endpoint uses the C6 shape', async () => {
    const res = await fetch(`${baseUrl}/api/v1/parts/pricing/1401-1193,NOPE`, { headers: { 'api-key': CREDS.apiKey } });
    expect(await res.json()).toEqual({
      pricing: [
        { partNumber: '1401-1193', found: true, basePrice: 12.5, dealerPrice: 12.5, retailPrice: 18.75 },
        { partNumber: 'NOPE', found: false },
      ],
    });
  });

  test('missing key → 401 with the §8.2 body', async () => {
    const res = await fetch(`${baseUrl}/api/v1/parts/inventory/1401-1193`);
    expect(res.status).toBe(401);
    expect(await res.json()).toEqual({ status_code: 401, status_message: 'Missing api-key header' });
  });

  test('v1 list requires dates; answers the §8.2 page shape', async () => {
    const bad = await fetch(`${baseUrl}/api/orders/dropship?page_num=1`, { headers: { 'api-key': CREDS.apiKey } });
    expect(bad.status).toBe(400);
    await adapter().placeOrder(order('PSS-L1'));
    const today = new Date().toISOString().slice(0, 10);
    const res = await fetch(`${baseUrl}/api/orders/dropship?date_start=${today}&date_end=${today}&page_num=1`, {
      headers: { 'api-key': CREDS.apiKey },
    });
    const body = (await res.json()) as any;
    expect(body).toMatchObject({ page_num: 1, total_pages: 1, total_count: 1 });
    expect(body.orders[0]).toMatchObject({
      purchase_order_number: 'PSS-L1',
      reference_number: '5000001',
      order_type: 'DS',
      order_date: today,
      status: 'OPEN',
      line_items: [{ line_number: 1, part_number: '1401-1193', quantity: 2, shipped_quantity: 0 }],
      shipments: [],
    });
  });

  test('cancelled orders show CANCELLED', async () => {
    await adapter().placeOrder(order('PSS-C1'));
    expect((await control('POST', '/__control/orders/PSS-C1/cancel')).status).toBe(200);
    expect(await adapter().findOrder('PSS-C1')).toMatchObject({ status: 'CANCELLED' });
  });

  test('reset clears accounts, items, orders and config', async () => {
    await adapter().placeOrder(order('PSS-Z'));
    await control('POST', '/__control/config', { pageSize: 3 });
    await control('POST', '/__control/reset');
    expect((await control('GET', '/__control/orders')).json.orders).toEqual([]);
    expect((await control('GET', '/__control/config')).json.pageSize).toBe(10);
    await expectError(adapter().verifyCredentials(), 'permanent', 'credentials_rejected');
  });

  test('control validation errors are 400s', async () => {
    expect((await control('POST', '/__control/accounts', { credentials: { dealerNumber: 'x' } })).status).toBe(400);
    expect((await control('PUT', '/__control/items/X1', { warehouses: { WI: -1 } })).status).toBe(400);
  });
});
