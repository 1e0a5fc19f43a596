import got from 'got';
import {
  classifyLineErrors,
  classifyTuckerError,
  createTuckerRockyAdapter,
  mapInvAnswer,
  mapShpAnswer,
  mapTuckerCarrier,
  parseTuckerDate,
  readTuckerWrapper,
  tuckerItemNumber,
  tuckerRockyModule,
  type TuckerRockyOptions,
} from '../../src/distributors/tucker-rocky';
import type { PurchaseOrderRequest } from '../../src/distributors/types';
import { isExternalCallError, type ExternalCallError } from '../../src/external-errors';
import { createHttpClientFactory, type CallRecord } from '../../src/http';
import { createTuckerRockySimulator, type TuckerRockySimulator } from '../../src/simulators/tucker-rocky';

const CUST = '104455';
const KEY = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ12'; // 28 upper-case alnum, like a real key

let sim: TuckerRockySimulator;
let baseUrl: string;
let records: CallRecord[];

function adapter(opts: TuckerRockyOptions = {}, creds = { customerNumber: CUST, apiKey: KEY }) {
  return createTuckerRockyAdapter(creds, { baseUrl, http: createHttpClientFactory((r) => records.push(r)) }, opts);
}

function order(po: string, lines: [string, number][] = [['373843', 2]], shipTo: Partial<PurchaseOrderRequest['shipTo']> = {}): PurchaseOrderRequest {
  return {
    poNumber: po,
    shipTo: {
      name: 'Jane Rider',
      address1: '12 Throttle Way',
      address2: 'Unit 4',
      city: 'Fort Worth',
      state: 'TX',
      postalCode: '76102',
      country: 'US',
      ...shipTo,
    },
    lines: lines.map(([sku, quantity], i) => ({ lineId: `L${i + 1}`, distributorSku: sku, quantity })),
  };
}

async function caught(p: Promise<unknown>): Promise<ExternalCallError> {
  try {
    await p;
  } catch (e) {
    if (isExternalCallError(e)) return e;
    throw e;
  }
  throw new Error('expected an ExternalCallError');
}

async function control(method: 'GET' | 'POST' | 'PUT', path: string, json?: unknown) {
  const res = await got(`${baseUrl}${path}`, { method, json: json as Record<string, any> | undefined, throwHttpErrors: false, responseType: 'json' });
  return { status: res.statusCode, body: res.body as any };
}

const trwsRequests = () => sim.harness.requests.filter((r) => r.path === '/bin/trws');

beforeAll(async () => {
  sim = createTuckerRockySimulator({ now: () => new Date('2024-05-06T15:30:00Z') });
  baseUrl = await sim.listen(0);
});

afterAll(async () => {
  await sim.close();
});

beforeEach(async () => {
  records = [];
  await control('POST', '/__control/reset');
  await control('POST', '/__control/config', {
    duplicateRefusalIncludesOrdernum: false,
    throttleMode: 'errormsg',
    fieldMaxLengths: {},
    shipDateFormat: 'MM/DD/YYYY',
    unknownOrderInShp: 'entry-error',
  });
  await control('POST', '/__control/accounts', { credentials: { customerNumber: CUST, apiKey: KEY } });
  await control('PUT', '/__control/items/373843', { price: 80.19, warehouses: { TX: 30, PA: 4, NV: 0 } });
  await control('PUT', '/__control/items/BA0027', { price: 12.5, warehouses: { TX: 1, PA: 2 } });
  await control('PUT', '/__control/items/OLD001', { status: 'D', warehouses: { TX: 5 } });
  await control('PUT', '/__control/items/NODS01', { dropShipEligible: false, warehouses: { NV: 5 } });
});

describe('module', () => {
  it('describes Tucker', () => {
    expect(tuckerRockyModule.code).toBe('tucker-rocky');
    expect(tuckerRockyModule.productionBaseUrl).toBe('https://api.tucker.com');
    expect(tuckerRockyModule.warehouses).toEqual(['TX', 'PA', 'NV', 'DS']);
    expect(tuckerRockyModule.limits.poNumberMaxLength).toBe(20);
    expect(tuckerRockyModule.limits.poNumberPattern.test('PO-123_2')).toBe(true);
    expect(tuckerRockyModule.limits.poNumberPattern.test('PO 123')).toBe(false);
    expect(tuckerRockyModule.credentialsSchema.parse({ customerNumber: ' 104455 ', apiKey: KEY })).toEqual({
      customerNumber: '104455',
      apiKey: KEY,
    });
    expect(tuckerRockyModule.credentialsSchema.safeParse({ customerNumber: '1' }).success).toBe(false);
    expect(tuckerRockyModule.mask({ customerNumber: CUST, apiKey: KEY })).toEqual({ customerNumber: '••••4455', apiKey: '••••YZ12' });
  });

  it('appends /bin/trws to the production URL host replaced by baseUrl', async () => {
    const a = tuckerRockyModule.create({ customerNumber: CUST, apiKey: KEY }, { baseUrl, http: createHttpClientFactory() });
    await a.verifyCredentials();
    expect(trwsRequests()).toHaveLength(1);
  });
});

describe('pure mappers', () => {
  it('normalizes item numbers', () => {
    expect(tuckerItemNumber(' 37-3843 ')).toBe('373843');
    expect(tuckerItemNumber('ba0027')).toBe('BA0027');
  });

  it('maps carriers (codes kept as service)', () => {
    expect(mapTuckerCarrier('UG')).toEqual({ carrier: 'UPS', service: 'UG' });
    expect(mapTuckerCarrier('UPS GROUND')).toEqual({ carrier: 'UPS', service: 'UPS GROUND' });
    expect(mapTuckerCarrier('FEDEX GROUND').carrier).toBe('FedEx');
    expect(mapTuckerCarrier('FEDEX SMARTPOST').carrier).toBe('FedExSmartPost');
    expect(mapTuckerCarrier('USPS PRIORITY MAIL').carrier).toBe('USPS');
    expect(mapTuckerCarrier('PM').carrier).toBe('USPS');
    expect(mapTuckerCarrier('', '1Z999AA10123456784').carrier).toBe('UPS');
    expect(mapTuckerCarrier('WAGON')).toEqual({ carrier: 'Other', service: 'WAGON' });
  });

  it('parses ship dates in every plausible format', () => {
    const iso = '2024-05-06T00:00:00.000Z';
    for (const s of ['05/06/2024', '5/6/2024', '05/06/24', '20240506', '2024-05-06', '050624']) expect(parseTuckerDate(s)).toBe(iso);
    expect(parseTuckerDate('')).toBeUndefined();
    expect(parseTuckerDate('garbage')).toBeUndefined();
  });

  it('reads the type wrapper', () => {
    expect(readTuckerWrapper('INV', { INV: { status: 'SUCCESSFUL' } })?.ok).toBe(true);
    expect(readTuckerWrapper('ORD', { ord: { status: 'ERROR', errormsg: 'X' } })).toMatchObject({ ok: false, errormsg: 'X' });
    expect(readTuckerWrapper('ORD', '<html>')).toBeUndefined();
    expect(readTuckerWrapper('ORD', { a: 1, b: 2 })).toBeUndefined();
  });

  it('classifies whole-order error texts of §8.3', () => {
    expect(classifyTuckerError('INVALID API KEY OR CUSTOMER NUMBER')).toBe('auth');
    expect(classifyTuckerError('NO CREDIT CARD ON FILE')).toBe('creditCard');
    expect(classifyTuckerError("NO DUPLICATE PO'S")).toBe('duplicatePo');
    expect(classifyTuckerError('NO VALID ORDER LINES')).toBe('noValidLines');
    expect(classifyTuckerError('INCOMPLETE SHIP TO ADDRESS')).toBe('address');
    expect(classifyTuckerError('TOO MANY REQUESTS')).toBe('throttle');
    expect(classifyTuckerError('SOMETHING ELSE')).toBe('other');
  });

  it('classifies line errors and names the items', () => {
    expect(classifyLineErrors([{ item: 'A', errormsg: 'INSUFFICIENT INVENTORY' }]).code).toBe('out_of_stock');
    expect(classifyLineErrors([{ item: 'A', errormsg: 'INSUFFICIENT INVENTORY' }, { item: 'B', errormsg: 'ITEM NOT FOUND' }])).toEqual({
      code: 'sku_not_orderable',
      list: 'A (INSUFFICIENT INVENTORY), B (ITEM NOT FOUND)',
    });
    expect(classifyLineErrors([{ item: 'A', errormsg: 'INVALID QUANTITY' }]).code).toBe('invalid_request');
  });

  it('groups SHP lines by tracking number (split shipments) and tolerates single objects', () => {
    const w = readTuckerWrapper('SHP', {
      SHP: {
        status: 'SUCCESSFUL',
        shipment: {
          ordernum: '42',
          shipmentline: [
            { itemnum: 'A', qty: 1, shipdate: '05/06/2024', trackingnumbers: [{ carrier: 'UG', trackingnum: '1Z 999' }] },
            { itemnum: 'B', qty: 2, shipdate: '05/06/2024', trackingnumbers: { carrier: 'UG', trackingnum: '1Z999' } },
            { itemnum: 'C', qty: 3, shipdate: '20240507', trackingnumbers: [{ carrier: 'FEDEX', trackingnum: '123456789012' }, { carrier: 'FEDEX', trackingnum: '123456789013' }] },
            { itemnum: 'D', qty: 1, trackingnumbers: [] },
          ],
        },
      },
    })!;
    const r = mapShpAnswer(w, '42');
    expect(r.found).toBe(true);
    expect(r.shipments).toEqual([
      { trackingNumber: '1Z999', carrier: 'UPS', service: 'UG', shippedAt: '2024-05-06T00:00:00.000Z', lines: [{ distributorSku: 'A', quantity: 1 }, { distributorSku: 'B', quantity: 2 }] },
      { trackingNumber: '123456789012', carrier: 'FedEx', service: 'FEDEX', shippedAt: '2024-05-07T00:00:00.000Z', lines: [{ distributorSku: 'C', quantity: 3 }] },
      { trackingNumber: '123456789013', carrier: 'FedEx', service: 'FEDEX', shippedAt: '2024-05-07T00:00:00.000Z', lines: [] },
    ]);
    const nf = readTuckerWrapper('SHP', { SHP: { status: 'SUCCESSFUL', shipment: [{ ordernum: '7', errormsg: 'ORDER NOT FOUND' }] } })!;
    expect(mapShpAnswer(nf, '7').found).toBe(false);
  });

  it('maps INV items by number or position, capping at 9', () => {
    const w = readTuckerWrapper('INV', {
      INV: { status: 'SUCCESSFUL', item: [{ inventory: 12, dc: [{ dcname: 'tx', dcinv: '12' }] }, { errormsg: 'ITEM NOT FOUND' }] },
    })!;
    expect(mapInvAnswer(w, ['37-3843', 'ZZZ'])).toEqual([
      { distributorSku: '37-3843', orderable: true, warehouses: [{ code: 'TX', quantity: 9 }] },
      { distributorSku: 'ZZZ', orderable: false, warehouses: [] },
    ]);
  });
});

describe('placeOrder', () => {
  it('sends one validate (submit=NO) then one submit GET with repeated line= params and allowduplicatepo=NO', async () => {
    const placed = await adapter().placeOrder(order('TR-1001', [['37-3843', 2], ['BA0027', 1]]));
    expect(placed).toEqual({ distributorOrderId: '1000001' });

    const reqs = trwsRequests();
    expect(reqs).toHaveLength(2);
    const [validate, submit] = reqs.map((r) => r.query);
    expect(validate.submit).toBe('NO');
    expect(submit).toMatchObject({
      apikey: KEY,
      cust: CUST,
      output: 'JSON',
      type: 'ORD',
      po: 'TR-1001',
      name: 'Jane Rider',
      address1: '12 Throttle Way',
      address2: 'Unit 4',
      city: 'Fort Worth',
      state: 'TX',
      zip: '76102',
      allowduplicatepo: 'NO',
      splitlines: 'YES',
      submit: 'YES',
    });
    // Repeated keys reach the simulator as repeated keys (an array), dashes stripped.
    expect(submit.line).toEqual(['373843,2', 'BA0027,1']);

    const { body } = await control('GET', '/__control/orders');
    expect(body.orders).toHaveLength(1);
    expect(body.orders[0]).toMatchObject({ poNumber: 'TR-1001', orderId: '1000001', lines: [{ sku: '373843', quantity: 2 }, { sku: 'BA0027', quantity: 1 }] });
  });

  it('never records the apikey in a call record', async () => {
    const a = adapter();
    await a.placeOrder(order('TR-SECRET'));
    await a.checkStock(['373843']);
    await a.findOrder('TR-SECRET', { distributorOrderId: '1000001' });
    await caught(adapter({}, { customerNumber: CUST, apiKey: 'WRONGKEYWRONGKEYWRONGKEY0000' }).verifyCredentials());
    expect(records.length).toBeGreaterThanOrEqual(5);
    const text = JSON.stringify(records);
    expect(text).not.toContain(KEY);
    expect(text).not.toContain('WRONGKEYWRONGKEYWRONGKEY0000');
    expect(records[0].url).toContain('apikey=***');
    expect(records[0].url).toContain('cust=***');
    expect(text).not.toContain(CUST);
  });

  it('sends optional carrier/location/invoiceNote only when configured, and splitlines=NO on request', async () => {
    await adapter({ carrier: 'UG', location: '001', invoiceNote: 'Thanks', splitLines: false, preflight: false }).placeOrder(order('TR-OPT'));
    const q = trwsRequests()[0].query;
    expect(q).toMatchObject({ carrier: 'UG', location: '001', invoiceNote: 'Thanks', splitlines: 'NO' });
    await adapter({ splitLines: null, preflight: false }).placeOrder(order('TR-OPT2'));
    const q2 = trwsRequests()[1].query;
    expect(q2.splitlines).toBeUndefined();
    expect(q2.carrier).toBeUndefined();
    expect(q2.address2).toBe('Unit 4');
  });

  it('no credit card on file → account_setup_required telling the dealer what to do', async () => {
    await control('POST', '/__control/accounts', { credentials: { customerNumber: CUST, apiKey: KEY }, flags: { creditCardOnFile: false } });
    const e = await caught(adapter().placeOrder(order('TR-CC')));
    expect(e).toMatchObject({ kind: 'permanent', code: 'account_setup_required' });
    expect(e.message).toMatch(/credit card on file/i);
    expect(e.message).toMatch(/tucker\.com/);
    expect(e.message).toMatch(/rep/);
    expect(e.message).not.toContain(KEY);
    expect((await control('GET', '/__control/orders')).body.orders).toHaveLength(0);
  });

  it('unknown / discontinued / not-for-drop-ship items → sku_not_orderable naming them; nothing ordered', async () => {
    const e = await caught(adapter().placeOrder(order('TR-SKU', [['373843', 1], ['NOPE99', 1], ['OLD001', 1], ['NODS01', 1]])));
    expect(e).toMatchObject({ kind: 'permanent', code: 'sku_not_orderable' });
    expect(e.message).toContain('NOPE99 (ITEM NOT FOUND)');
    expect(e.message).toContain('OLD001 (ITEM DISCONTINUED)');
    expect(e.message).toContain('NODS01');
    expect(e.message).toMatch(/Nothing was ordered/);
    expect(trwsRequests().map((r) => r.query.submit)).toEqual(['NO']);
    expect((await control('GET', '/__control/orders')).body.orders).toHaveLength(0);
  });

  it('not enough stock → out_of_stock', async () => {
    const e = await caught(adapter().placeOrder(order('TR-OOS', [['BA0027', 5]])));
    expect(e).toMatchObject({ kind: 'permanent', code: 'out_of_stock' });
    expect(e.message).toContain('BA0027 (INSUFFICIENT INVENTORY)');
  });

  it('splitlines=YES lets one line draw from two DCs; splitlines=NO needs one DC', async () => {
    await expect(adapter().placeOrder(order('TR-SPLIT', [['BA0027', 3]]))).resolves.toEqual({ distributorOrderId: '1000001' });
    await control('PUT', '/__control/items/BA0027', { warehouses: { TX: 1, PA: 2 } });
    const e = await caught(adapter({ splitLines: false }).placeOrder(order('TR-NOSPLIT', [['BA0027', 3]])));
    expect(e.code).toBe('out_of_stock');
  });

  it('a line failing only at submit (no preflight): the good lines are ordered and the error names the Tucker order', async () => {
    const e = await caught(adapter({ preflight: false }).placeOrder(order('TR-MIX', [['373843', 1], ['NOPE99', 1]])));
    expect(e).toMatchObject({ kind: 'permanent', code: 'sku_not_orderable' });
    expect(e.message).toContain('order 1000001');
    expect(e.message).toContain('NOPE99 (ITEM NOT FOUND)');
    expect(e.message).toMatch(/WERE ordered/);
    const { body } = await control('GET', '/__control/orders');
    expect(body.orders).toHaveLength(1);
    expect(body.orders[0].lines).toEqual([{ sku: '373843', quantity: 1 }]);
  });

  it('no valid line at all → NO VALID ORDER LINES mapped to the line refusal', async () => {
    const e = await caught(adapter({ preflight: false }).placeOrder(order('TR-NONE', [['NOPE99', 1]])));
    expect(e).toMatchObject({ kind: 'permanent', code: 'sku_not_orderable', details: { upstreamCode: 'ITEM NOT FOUND' } });
  });

  it('incomplete or invalid addresses → address_rejected (locally, and from Tucker)', async () => {
    const local = await caught(adapter().placeOrder(order('TR-ADDR', undefined, { city: '' })));
    expect(local).toMatchObject({ kind: 'permanent', code: 'address_rejected' });
    expect(local.message).toContain('city');
    expect(trwsRequests()).toHaveLength(0);
    expect((await caught(adapter().placeOrder(order('TR-ADDR', undefined, { state: 'Texas' })))).code).toBe('address_rejected');
    expect((await caught(adapter().placeOrder(order('TR-ADDR', undefined, { postalCode: 'ABC' })))).code).toBe('address_rejected');
    expect((await caught(adapter().placeOrder(order('TR-ADDR', undefined, { country: 'CA' })))).code).toBe('address_rejected');

    await control('POST', '/__control/config', { fieldMaxLengths: { address1: 10 } });
    const remote = await caught(adapter().placeOrder(order('TR-ADDR')));
    expect(remote).toMatchObject({ kind: 'permanent', code: 'address_rejected', details: { upstreamCode: 'SHIP TO ADDRESS1 EXCEEDS 10 CHARACTERS' } });
    // The same refusal when Tucker itself finds the address incomplete.
    const direct = await got(`${baseUrl}/bin/trws`, {
      searchParams: new URLSearchParams([['apikey', KEY], ['cust', CUST], ['output', 'JSON'], ['type', 'ORD'], ['po', 'X1'], ['line', '373843,1']]),
    }).json<any>();
    expect(direct).toEqual({ ORD: { status: 'ERROR', errormsg: 'INCOMPLETE SHIP TO ADDRESS' } });
  });

  it('an invalid PO or quantity is refused before any request', async () => {
    expect((await caught(adapter().placeOrder(order('TR 1')))).code).toBe('invalid_request');
    expect((await caught(adapter().placeOrder(order('X'.repeat(21))))).code).toBe('invalid_request');
    expect((await caught(adapter().placeOrder(order('TR-Q', [['373843', 0]])))).code).toBe('invalid_request');
    expect((await caught(adapter().placeOrder(order('TR-Q', [['37 38', 1]])))).code).toBe('sku_not_orderable');
    expect(trwsRequests()).toHaveLength(0);
  });

  it('duplicate PO → duplicate_po (adapter always sends allowduplicatepo=NO)', async () => {
    await adapter().placeOrder(order('TR-DUP'));
    const e = await caught(adapter().placeOrder(order('TR-DUP')));
    expect(e).toMatchObject({ kind: 'permanent', code: 'duplicate_po', details: { upstreamCode: "NO DUPLICATE PO'S" } });
    const e2 = await caught(adapter({ preflight: false }).placeOrder(order('TR-DUP')));
    expect(e2.code).toBe('duplicate_po');
    expect((await control('GET', '/__control/orders')).body.orders).toHaveLength(1);
    expect(trwsRequests().every((r) => r.query.allowduplicatepo === 'NO')).toBe(true);
  });

  it('simulator: allowduplicatepo=YES accepts a reused PO, NO (and the default) rejects it', async () => {
    await adapter().placeOrder(order('TR-YES'));
    const send = (extra: [string, string][]) =>
      got(`${baseUrl}/bin/trws`, {
        searchParams: new URLSearchParams([
          ['apikey', KEY], ['cust', CUST], ['output', 'JSON'], ['type', 'ORD'], ['po', 'TR-YES'],
          ['name', 'A'], ['address1', 'B'], ['city', 'C'], ['state', 'TX'], ['zip', '76102'], ['line', '373843,1'], ...extra,
        ]),
      }).json<any>();
    expect((await send([['allowduplicatepo', 'NO']])).ORD).toEqual({ status: 'ERROR', errormsg: "NO DUPLICATE PO'S" });
    expect((await send([])).ORD.errormsg).toBe("NO DUPLICATE PO'S");
    expect((await send([['allowduplicatepo', 'YES']])).ORD).toMatchObject({ status: 'SUCCESSFUL', orderoutput: { ordernum: '1000002' } });
    await control('POST', '/__control/config', { duplicatePoWhenYes: 'reject' });
    expect((await send([['allowduplicatepo', 'YES']])).ORD.status).toBe('ERROR');
    await control('POST', '/__control/config', { duplicatePoWhenYes: 'accept' });
  });

  it('5xx on the submit → ambiguous; 5xx on the validate → transient', async () => {
    sim.harness.addFault({ type: 'status', status: 503, pathPrefix: '/bin/trws' });
    const e = await caught(adapter({ preflight: false }).placeOrder(order('TR-5XX')));
    expect(e).toMatchObject({ kind: 'ambiguous', code: 'upstream_unavailable', details: { httpStatus: 503 } });
    sim.harness.addFault({ type: 'status', status: 500, pathPrefix: '/bin/trws' });
    expect(await caught(adapter().placeOrder(order('TR-5XX')))).toMatchObject({ kind: 'transient', code: 'upstream_unavailable' });
  });

  it('a non-JSON answer to the submit → ambiguous', async () => {
    sim.harness.addFault({ type: 'status', status: 200, body: '<html>maintenance</html>', pathPrefix: '/bin/trws' });
    expect(await caught(adapter({ preflight: false }).placeOrder(order('TR-HTML')))).toMatchObject({ kind: 'ambiguous' });
  });

  it('HTTP 401 → credentials_rejected', async () => {
    sim.harness.addFault({ type: 'status', status: 401, pathPrefix: '/bin/trws' });
    expect(await caught(adapter().placeOrder(order('TR-401')))).toMatchObject({ kind: 'permanent', code: 'credentials_rejected', details: { httpStatus: 401 } });
  });

  it('throttling (HTTP 200 + ERROR text by default) → transient with retryAfterMs', async () => {
    sim.harness.addFault({ type: 'throttle', retryAfterSeconds: 7, pathPrefix: '/bin/trws' });
    const e = await caught(adapter({ preflight: false }).placeOrder(order('TR-THR')));
    expect(e).toMatchObject({ kind: 'transient', code: 'throttled', details: { retryAfterMs: 7000, httpStatus: 200 } });
    expect((await control('GET', '/__control/orders')).body.orders).toHaveLength(0);
  });

  it('throttling as 429 + Retry-After (configurable) → transient with retryAfterMs', async () => {
    await control('POST', '/__control/config', { throttleMode: 'http429' });
    sim.harness.addFault({ type: 'throttle', retryAfterSeconds: 3, pathPrefix: '/bin/trws' });
    expect(await caught(adapter().checkStock(['373843']))).toMatchObject({ kind: 'transient', code: 'throttled', details: { retryAfterMs: 3000, httpStatus: 429 } });
  });

  it('a throttle text without a wait uses the configured default', async () => {
    await control('POST', '/__control/config', { throttleMessage: 'RATE LIMIT EXCEEDED' });
    sim.harness.addFault({ type: 'throttle', pathPrefix: '/bin/trws' });
    expect(await caught(adapter({ throttleRetryAfterMs: 1234 }).checkStock(['373843']))).toMatchObject({ details: { retryAfterMs: 1234 } });
    await control('POST', '/__control/config', { throttleMessage: 'TOO MANY REQUESTS - TRY AGAIN IN {seconds} SECONDS' });
  });

  it('lost acknowledgement → ambiguous timeout; the order is committed once and findOrder sees the PO', async () => {
    sim.harness.addFault({ type: 'lost_ack', pathPrefix: '/bin/trws' });
    const e = await caught(adapter({ preflight: false, writeTimeoutMs: 300 }).placeOrder(order('TR-LOST')));
    expect(e).toMatchObject({ kind: 'ambiguous', code: 'timeout' });
    expect(e.message).toContain('TR-LOST');
    expect((await control('GET', '/__control/orders')).body.orders).toHaveLength(1);

    // Default: the PO exists but Tucker's refusal does not carry the order number → a person must act.
    const d = await caught(adapter().findOrder('TR-LOST'));
    expect(d).toMatchObject({ kind: 'permanent', code: 'duplicate_po' });
    expect(d.message).toMatch(/already has an order under PO TR-LOST/);
    const probe = trwsRequests().at(-1)!.query;
    expect(probe).toMatchObject({ type: 'ORD', submit: 'NO', allowduplicatepo: 'NO', po: 'TR-LOST' });
    expect(probe.line).toBeUndefined();

    // Opt-in: an empty distributorOrderId.
    await expect(adapter({ unknownOrderNumber: 'empty' }).findOrder('TR-LOST')).resolves.toEqual({
      distributorOrderId: '',
      status: 'EXISTS (Tucker order number unknown)',
      shipments: [],
    });

    // If Tucker's refusal carries the order number, findOrder learns it and reads shipments.
    await control('POST', '/__control/config', { duplicateRefusalIncludesOrdernum: true });
    await control('POST', '/__control/orders/TR-LOST/ship', { carrier: 'UG', trackingNumber: '1Z999AA10000000001' });
    const found = await adapter().findOrder('TR-LOST');
    expect(found).toMatchObject({ distributorOrderId: '1000001', shipments: [{ trackingNumber: '1Z999AA10000000001', carrier: 'UPS', service: 'UG' }] });
    // And the retry is refused by Tucker itself: still exactly one order.
    expect((await caught(adapter().placeOrder(order('TR-LOST')))).code).toBe('duplicate_po');
    expect((await control('GET', '/__control/orders')).body.orders).toHaveLength(1);
  });

  it('connection reset after commit → ambiguous', async () => {
    sim.harness.addFault({ type: 'reset_after_commit', pathPrefix: '/bin/trws' });
    const e = await caught(adapter({ preflight: false }).placeOrder(order('TR-RST')));
    expect(e.kind).toBe('ambiguous');
    expect((await control('GET', '/__control/orders')).body.orders).toHaveLength(1);
  });

  it('a refused connection stays transient (nothing was sent)', async () => {
    const a = createTuckerRockyAdapter({ customerNumber: CUST, apiKey: KEY }, { baseUrl: 'http://127.0.0.1:1', http: createHttpClientFactory() }, { preflight: false });
    expect((await caught(a.placeOrder(order('TR-REF')))).kind).toBe('transient');
  });
});

describe('validateOrder (submit=NO)', () => {
  it('validates without creating an order', async () => {
    await expect(adapter().validateOrder(order('TR-VAL'))).resolves.toBeUndefined();
    expect(trwsRequests()[0].query).toMatchObject({ type: 'ORD', submit: 'NO', line: '373843,2' });
    expect((await control('GET', '/__control/orders')).body.orders).toHaveLength(0);
    expect((await caught(adapter().validateOrder(order('TR-VAL', [['NOPE99', 1]])))).code).toBe('sku_not_orderable');
  });
});

describe('findOrder', () => {
  it('place → findOrder → partial/split shipments with canonical carriers', async () => {
    const a = adapter();
    const { distributorOrderId } = await a.placeOrder(order('TR-SHIP', [['373843', 2], ['BA0027', 1]]));

    const open = await a.findOrder('TR-SHIP', { distributorOrderId });
    expect(open).toEqual({ distributorOrderId, status: 'SUCCESSFUL OPEN', shipments: [] });
    expect(trwsRequests().at(-1)!.query).toMatchObject({ type: 'SHP', ordernum: distributorOrderId });

    expect((await control('POST', '/__control/orders/TR-SHIP/ship', { lines: [{ sku: '373843', quantity: 1 }], carrier: 'UG', warehouse: 'TX' })).status).toBe(200);
    const one = await a.findOrder('TR-SHIP', { distributorOrderId });
    expect(one!.shipments).toEqual([
      { trackingNumber: '1ZTR00000000000001', carrier: 'UPS', service: 'UG', shippedAt: '2024-05-06T00:00:00.000Z', lines: [{ distributorSku: '373843', quantity: 1 }] },
    ]);

    await control('POST', '/__control/orders/TR-SHIP/ship', { carrier: 'FEDEX GROUND', trackingNumber: '612345678901' });
    const both = await a.findOrder('TR-SHIP', { distributorOrderId });
    expect(both!.status).toContain('SHIPPED');
    expect(both!.shipments).toHaveLength(2);
    expect(both!.shipments[1]).toMatchObject({
      trackingNumber: '612345678901',
      carrier: 'FedEx',
      service: 'FEDEX GROUND',
      lines: [{ distributorSku: '373843', quantity: 1 }, { distributorSku: 'BA0027', quantity: 1 }],
    });
    const orders = (await control('GET', '/__control/orders')).body.orders;
    expect(orders[0].shipments).toHaveLength(2);
    expect(orders[0].shipments[0]).toMatchObject({ warehouse: 'TX', carrier: 'UG' });
    // Everything shipped: the control route says so.
    expect((await control('POST', '/__control/orders/TR-SHIP/ship', {})).status).toBe(409);
  });

  it('reads other ship-date formats', async () => {
    await control('POST', '/__control/config', { shipDateFormat: 'YYYYMMDD' });
    const a = adapter();
    const { distributorOrderId } = await a.placeOrder(order('TR-DATE'));
    await control('POST', '/__control/orders/TR-DATE/ship', { carrier: 'USPS', trackingNumber: '9400100000000000000001' });
    expect((await a.findOrder('TR-DATE', { distributorOrderId }))!.shipments[0]).toMatchObject({ carrier: 'USPS', shippedAt: '2024-05-06T00:00:00.000Z' });
  });

  it('a PO Tucker does not hold → null (probe answered with an address error, not a duplicate)', async () => {
    await expect(adapter().findOrder('TR-NEVER')).resolves.toBeNull();
    expect((await control('GET', '/__control/orders')).body.orders).toHaveLength(0);
  });

  it('an ordernum SHP does not know falls back to the PO probe (both SHP not-found shapes)', async () => {
    await expect(adapter().findOrder('TR-NEVER', { distributorOrderId: '999' })).resolves.toBeNull();
    await control('POST', '/__control/config', { unknownOrderInShp: 'wrapper-error' });
    await expect(adapter().findOrder('TR-NEVER', { distributorOrderId: '999' })).resolves.toBeNull();
    await adapter().placeOrder(order('TR-KNOWN'));
    // The hint is wrong but the PO exists: the order is reported under the hinted number, no shipments.
    await expect(adapter().findOrder('TR-KNOWN', { distributorOrderId: '999' })).resolves.toEqual({ distributorOrderId: '999', status: 'OPEN', shipments: [] });
  });

  it('a credit-card refusal makes the probe inconclusive → account_setup_required', async () => {
    await control('POST', '/__control/accounts', { credentials: { customerNumber: CUST, apiKey: KEY }, flags: { creditCardOnFile: false } });
    expect((await caught(adapter().findOrder('TR-NEVER'))).code).toBe('account_setup_required');
  });

  it('5xx on a read → transient', async () => {
    sim.harness.addFault({ type: 'status', status: 502, pathPrefix: '/bin/trws' });
    expect(await caught(adapter().findOrder('TR-X', { distributorOrderId: '1' }))).toMatchObject({ kind: 'transient', code: 'upstream_unavailable' });
  });
});

describe('checkStock', () => {
  it('sends repeated item= and reports per-DC stock capped at 9', async () => {
    const levels = await adapter().checkStock(['37-3843', 'BA0027', 'NOPE99', 'OLD001']);
    expect(trwsRequests()[0].query).toMatchObject({ type: 'INV', output: 'JSON', item: ['373843', 'BA0027', 'NOPE99', 'OLD001'] });
    expect(levels).toEqual([
      { distributorSku: '37-3843', orderable: true, warehouses: [{ code: 'TX', quantity: 9 }, { code: 'PA', quantity: 4 }, { code: 'NV', quantity: 0 }] },
      { distributorSku: 'BA0027', orderable: true, warehouses: [{ code: 'TX', quantity: 1 }, { code: 'PA', quantity: 2 }] },
      { distributorSku: 'NOPE99', orderable: false, warehouses: [] },
      { distributorSku: 'OLD001', orderable: false, warehouses: [{ code: 'TX', quantity: 5 }] },
    ]);
  });

  it('chunks long lists and returns [] for none', async () => {
    await expect(adapter().checkStock([])).resolves.toEqual([]);
    const levels = await adapter({ maxItemsPerCall: 2 }).checkStock(['373843', 'BA0027', 'OLD001']);
    expect(levels.map((l) => l.distributorSku)).toEqual(['373843', 'BA0027', 'OLD001']);
    expect(trwsRequests()).toHaveLength(2);
  });

  it('simulator PRC and INP answers', async () => {
    const q = (type: string) =>
      got(`${baseUrl}/bin/trws`, { searchParams: new URLSearchParams([['apikey', KEY], ['cust', CUST], ['output', 'JSON'], ['type', type], ['item', '373843'], ['item', 'NOPE99']]) }).json<any>();
    expect((await q('PRC')).PRC.item).toEqual([{ itemnum: '373843', price: 80.19, errormsg: '' }, { itemnum: 'NOPE99', errormsg: 'ITEM NOT FOUND' }]);
    expect((await q('INP')).INP.item[0]).toMatchObject({ itemnum: '373843', price: 80.19, inventory: 9 });
  });
});

describe('verifyCredentials', () => {
  it('ok with good credentials (one INV call)', async () => {
    await expect(adapter().verifyCredentials()).resolves.toBeUndefined();
    expect(trwsRequests()).toHaveLength(1);
    expect(trwsRequests()[0].query).toMatchObject({ type: 'INV', item: '373843' });
  });

  it('bad key or customer number → credentials_rejected (HTTP 200 + ERROR in the wrapper)', async () => {
    for (const creds of [{ customerNumber: CUST, apiKey: 'ZZZZZZZZZZZZZZZZZZZZZZZZZZZZ' }, { customerNumber: '999999', apiKey: KEY }]) {
      const e = await caught(adapter({}, creds).verifyCredentials());
      expect(e).toMatchObject({ kind: 'permanent', code: 'credentials_rejected', details: { upstreamCode: 'INVALID API KEY OR CUSTOMER NUMBER' } });
      expect(e.message).not.toContain(creds.apiKey);
    }
  });
});

describe('simulator controls', () => {
  it('validates control input and 404s an unknown PO', async () => {
    expect((await control('POST', '/__control/accounts', { credentials: { customerNumber: 'x' } })).status).toBe(400);
    expect((await control('PUT', '/__control/items/X', { warehouses: { TX: -1 } })).status).toBe(400);
    expect((await control('POST', '/__control/orders/NOPE/ship', {})).status).toBe(404);
  });

  it('reset clears accounts, items and orders', async () => {
    await adapter().placeOrder(order('TR-RESET'));
    await control('POST', '/__control/reset');
    expect((await control('GET', '/__control/orders')).body.orders).toEqual([]);
    expect((await caught(adapter().verifyCredentials())).code).toBe('credentials_rejected');
  });

  it('serves a custlistsi-style fixed-width price file', async () => {
    await control('PUT', '/__control/items/BA0027', { nextPoDueDate: '061524', retailPrice: 19.99, bestPrice: 11.75 });
    const text = await got(`${baseUrl}/feeds/custlistsi`).text();
    const rows = text.trim().split('\n');
    expect(rows).toHaveLength(4);
    const row = rows.find((r) => r.startsWith('373843'))!;
    expect(row).toBe('373843 SN900080.1900080.1900112.27S9');
    expect(row.length).toBe(36); // no due date
    const ba = rows.find((r) => r.startsWith('BA0027'))!;
    expect(ba.slice(6, 10)).toBe(' LN3');
    expect(ba.slice(10, 34)).toBe('00012.5000011.7500019.99');
    expect(ba.slice(36)).toBe('061524');
    expect(rows.find((r) => r.startsWith('OLD001'))!.charAt(6)).toBe('D');
    expect(rows.find((r) => r.startsWith('NODS01'))!.slice(34, 36)).toBe('Z0');
  });
});
