// The REST contract's edges: auth, tenant isolation, the paid add-on, validation, connections,
// the catalog's drop-shippable flag, expiry and the OpenAPI document.
import { demoDropshipBody } from '../../src/dev/demo';
import { WPS_DEFAULT_REQUESTS_PER_SECOND } from '../../src/distributors/wps';
import { TENANT_KEY_TTL_MS, tenantByApiKey } from '../../src/tenants';
import { ADMIN_KEY, ebayOrder, Stack } from '../support/stack';

jest.setTimeout(120_000);

const stack = new Stack({ confirmationTimeoutMs: 1500 });
beforeAll(() => stack.start());
afterAll(() => stack.stop());

let seq = 0;
async function body() {
  const pssOrderId = `API-${Date.now()}-${++seq}`;
  const b = demoDropshipBody(pssOrderId);
  b.marketplace.orderId = await ebayOrder(stack, [
    { lineItemId: '10000000001', quantity: 1 },
    { lineItemId: '10000000002', quantity: 2 },
  ]);
  return b;
}

describe('auth, tenants and the add-on', () => {
  it('refuses missing and wrong keys with 401', async () => {
    expect((await stack.api('GET', '/v1/connections')).body).toMatchObject({ error: 'unauthorized' });
    expect((await stack.api('GET', '/v1/connections', undefined, 'nope')).status).toBe(401);
    expect((await stack.api('POST', '/v1/tenants', { name: 'x' }, 'not-admin')).status).toBe(401);
  });

  it('creates tenants with the add-on off; such a tenant cannot start dropships (403)', async () => {
    const t = await stack.api('POST', '/v1/tenants', { name: 'No Add-on Motors' }, ADMIN_KEY);
    expect(t.status).toBe(201);
    expect(t.body).toMatchObject({ name: 'No Add-on Motors', orderAutomation: { enabled: false } });
    expect(t.body.apiKey).toMatch(/^dsk_/);
    const r = await stack.api('POST', '/v1/dropships', await body(), t.body.apiKey);
    expect(r.status).toBe(403);
    expect(r.body.error).toBe('order_automation_disabled');
    const stored = await stack.sql`SELECT key_hash FROM api_keys WHERE tenant_id = ${t.body.id}`;
    expect(stored[0].key_hash).not.toContain(t.body.apiKey);
  });

  it('keeps a looked-up key for a few seconds: a revoked key stops working within TENANT_KEY_TTL_MS', async () => {
    const t = await stack.api('POST', '/v1/tenants', { name: 'Revoked Motors' }, ADMIN_KEY);
    const at = Date.now();
    expect(await tenantByApiKey(stack.sql, t.body.apiKey, at)).toMatchObject({ id: t.body.id });
    await stack.sql`UPDATE api_keys SET revoked_at = now() WHERE tenant_id = ${t.body.id}`;
    expect(await tenantByApiKey(stack.sql, t.body.apiKey, at + TENANT_KEY_TTL_MS - 1)).toMatchObject({ id: t.body.id });
    expect(await tenantByApiKey(stack.sql, t.body.apiKey, at + TENANT_KEY_TTL_MS)).toBeUndefined();
    expect(await tenantByApiKey(stack.sql, 'dsk_unknown', at)).toBeUndefined();
  });

  it("answers 404 for another tenant's dropship and purchase order", async () => {
    const a = await stack.dealer();
    const b = await stack.dealer();
    const req = await body();
    expect((await stack.api('POST', '/v1/dropships', req, a.key)).status).toBe(201);
    expect((await stack.api('GET', `/v1/dropships/${req.pssOrderId}`, undefined, b.key)).status).toBe(404);
    expect((await stack.api('POST', `/v1/dropships/${req.pssOrderId}/confirm`, { confirmedBy: 'x' }, b.key)).status).toBe(404);
    expect((await stack.api('POST', `/v1/dropships/${req.pssOrderId}/cancel`, { reason: 'x' }, b.key)).status).toBe(404);
    expect((await stack.api('GET', `/v1/purchase-orders/DS-NOTYOURS-W1`, undefined, b.key)).status).toBe(404);
    const list = await stack.api('GET', `/v1/purchase-orders?pssOrderId=${req.pssOrderId}`, undefined, b.key);
    expect(list.body.items).toEqual([]);
  });
});

describe('validation', () => {
  it('names the field of a malformed body (400 validation_failed)', async () => {
    const { key } = await stack.dealer();
    const b = await body();
    const cases: [unknown, string][] = [
      [{ ...b, lines: [{ ...b.lines[0], quantity: 0 }] }, 'body.lines.0.quantity'],
      [{ ...b, shipTo: { ...b.shipTo, postalCode: undefined } }, 'body.shipTo.postalCode'],
      [{ ...b, pssOrderId: 'has spaces!' }, 'body.pssOrderId'],
      [{ ...b, lines: [] }, 'body.lines'],
      [{ ...b, shipTo: { ...b.shipTo, email: 'not-an-email' } }, 'body.shipTo.email'],
    ];
    for (const [bad, path] of cases) {
      const r = await stack.api('POST', '/v1/dropships', bad, key);
      expect(r.status).toBe(400);
      expect(r.body.error).toBe('validation_failed');
      expect(r.body.details.map((d: any) => d.path)).toContain(path);
    }
    const broken = await stack.api('POST', '/v1/dropships', '{"pssOrderId": ', key);
    expect(broken.status).toBe(400);
    const confirm = await stack.api('POST', '/v1/dropships/X-1/confirm', { lines: 'all' }, key);
    expect(confirm.status).toBe(400);
    expect(confirm.body.details.map((d: any) => d.path)).toEqual(expect.arrayContaining(['body.confirmedBy', 'body.lines']));
  });

  it('answers 400 naming a marketplace or distributor code that is not supported', async () => {
    const { key } = await stack.dealer();
    const b = await body();
    const r = await stack.api('POST', '/v1/dropships', { ...b, marketplace: { code: 'etsy', orderId: '1' } }, key);
    expect(r.status).toBe(400);
    expect(r.body.message).toContain('etsy');
    const c = await stack.api('PUT', '/v1/connections/marketplaces/bigcommerce', { clientId: 'a', clientSecret: 'b' }, key);
    expect(c.status).toBe(400);
    expect(c.body.message).toContain('bigcommerce');
    const d = await stack.api('PUT', '/v1/connections/distributors/acme', { apiToken: 'x' }, key);
    expect(d.status).toBe(400);
    expect(d.body.message).toContain('acme');
  });

  it('refuses lines nobody can drop-ship (422 not_dropshippable naming the lines)', async () => {
    const { key } = await stack.dealer();
    const b = await body();
    b.lines.push({ lineId: 'L3', marketplaceLineId: '3', sku: 'NO-SUCH-SKU', quantity: 1 });
    b.lines.push({ lineId: 'L4', marketplaceLineId: '4', sku: 'HELMET-BELL-QUALIFIER-M', quantity: 50 });
    const r = await stack.api('POST', '/v1/dropships', b, key);
    expect(r.status).toBe(422);
    expect(r.body.error).toBe('not_dropshippable');
    expect(r.body.details.lines.map((l: any) => l.lineId)).toEqual(['L3', 'L4']);
  });

  it('refuses an address no candidate distributor can take, naming the field and the limit', async () => {
    const { key } = await stack.dealer({ connect: ['wps'] });
    const b = await body();
    b.lines = [b.lines[0]];
    b.shipTo.address1 = '12345 Very Long Industrial Parkway Suite 900';
    const r = await stack.api('POST', '/v1/dropships', b, key);
    expect(r.status).toBe(422);
    expect(r.body.details.lines[0].refusedBy[0]).toEqual({ distributor: 'wps', problems: [{ field: 'shipTo.address1', limit: 'at most 30 characters' }] });
  });
});

describe('connections, rules and catalog', () => {
  it('verifies credentials before saving and shows them masked', async () => {
    const { key } = await stack.dealer({ connect: [] });
    const bad = await stack.api('PUT', '/v1/connections/distributors/wps', { apiToken: 'wrong-token-000000', baseUrl: stack.sims.wps.url }, key);
    expect(bad.status).toBe(422);
    expect(bad.body.error).toBe('credentials_rejected');
    const down = await stack.api('PUT', '/v1/connections/distributors/wps', { apiToken: 'x'.repeat(40), baseUrl: 'http://127.0.0.1:9' }, key);
    expect(down.status).toBe(502);
    const missing = await stack.api('PUT', '/v1/connections/distributors/parts-unlimited', { apiKey: 'k', baseUrl: stack.sims['parts-unlimited'].url }, key);
    expect(missing.status).toBe(400);
    const ok = await stack.api('PUT', '/v1/connections/distributors/wps', { apiToken: 'demoWpsToken0000000000000000000000000001', baseUrl: stack.sims.wps.url }, key);
    expect(ok.status).toBe(200);
    expect(ok.body).toMatchObject({ code: 'wps', enabled: true, apiToken: '••••0001' });
    expect(ok.body.verifiedAt).toBeTruthy();
    const all = await stack.api('GET', '/v1/connections', undefined, key);
    expect(JSON.stringify(all.body)).not.toContain('demoWpsToken');
    const row = await stack.sql`SELECT secret, key_id FROM connections WHERE kind = 'distributor' AND code = 'wps' LIMIT 1`;
    expect(Buffer.from(row[0].secret).toString('latin1')).not.toContain('demoWpsToken');
    expect(row[0].key_id).toBe('test');
  });

  it('keeps a request budget per distributor account: set, kept when omitted, back to the default with null', async () => {
    const { key } = await stack.dealer({ connect: [] });
    const put = (extra: Record<string, unknown>) =>
      stack.api('PUT', '/v1/connections/distributors/wps', { apiToken: 'demoWpsToken0000000000000000000000000001', baseUrl: stack.sims.wps.url, ...extra }, key);
    const listed = async () => {
      const all = (await stack.api('GET', '/v1/connections', undefined, key)).body;
      expect(all.marketplaces.map((m: any) => m.requestBudget)).toEqual([undefined]);
      return all.distributors.find((d: any) => d.code === 'wps')?.requestBudget;
    };
    for (const bad of [0, -1, 0.1, 101, '5', true, {}]) {
      const r = await put({ requestsPerSecond: bad });
      expect(r.status).toBe(400);
      expect(r.body.details.map((d: any) => d.path)).toEqual(['body.requestsPerSecond']);
    }
    expect(await listed()).toBeUndefined();

    const byDefault = { requestsPerSecond: WPS_DEFAULT_REQUESTS_PER_SECOND, source: 'default' };
    const dealers = { requestsPerSecond: 2.5, source: 'connection' };
    expect((await put({})).body.requestBudget).toEqual(byDefault);
    expect((await put({ requestsPerSecond: 2.5 })).body.requestBudget).toEqual(dealers);
    expect(await listed()).toEqual(dealers);
    // Re-entering the credentials without the field leaves the budget alone.
    expect((await put({ apiToken: 'demoWpsToken0000000000000000000000000001' })).body.requestBudget).toEqual(dealers);
    expect(await listed()).toEqual(dealers);
    expect((await put({ requestsPerSecond: null })).body.requestBudget).toEqual(byDefault);
    expect(await listed()).toEqual(byDefault);
    // A refused save changes nothing.
    expect((await put({ apiToken: 'wrong-token-000000', requestsPerSecond: 1 })).status).toBe(422);
    expect(await listed()).toEqual(byDefault);
  });

  it('applies warehouse rules to the drop-shippable flag', async () => {
    const { key } = await stack.dealer();
    const p = await stack.api('GET', '/v1/catalog/products/OIL-FILTER-HF204', undefined, key);
    expect(p.body.offers.find((o: any) => o.distributor === 'wps')).toMatchObject({ dropshippable: true, warehouses: [{ code: 'ID', quantity: 12, leadTimeDays: 1, excluded: false }] });
    expect((await stack.api('PUT', '/v1/warehouse-rules/wps/ID', { leadTimeDays: 4 }, key)).status).toBe(200);
    const after = await stack.api('GET', '/v1/catalog/products/OIL-FILTER-HF204', undefined, key);
    expect(after.body.offers.find((o: any) => o.distributor === 'wps')).toMatchObject({ dropshippable: false, warehouses: [{ code: 'ID', leadTimeDays: 4 }] });
    expect((await stack.api('PUT', '/v1/warehouse-rules/wps/ZZ', { leadTimeDays: 1 }, key)).status).toBe(400);
    expect((await stack.api('GET', '/v1/catalog/products/NOPE', undefined, key)).status).toBe(404);
  });
});

describe('confirmation window and docs', () => {
  it('expires when nobody confirms in time; nothing is ordered', async () => {
    const { key } = await stack.dealer();
    const b = await body();
    expect((await stack.api('POST', '/v1/dropships', b, key)).status).toBe(201);
    const d = await stack.waitForDropship(key, b.pssOrderId, (x) => x.status === 'expired', 'expired');
    expect(d.purchaseOrders).toEqual([]);
    expect((await stack.api('POST', `/v1/dropships/${b.pssOrderId}/confirm`, { confirmedBy: 'late' }, key)).status).toBe(409);
  });

  it('serves the OpenAPI document and the health check', async () => {
    const doc = await stack.api('GET', '/docs/json');
    expect(doc.status).toBe(200);
    expect(Object.keys(doc.body.paths)).toEqual(
      expect.arrayContaining(['/v1/dropships', '/v1/dropships/{pssOrderId}/confirm', '/v1/purchase-orders/{poNumber}/retry', '/v1/connections/distributors/{code}']),
    );
    const h = await stack.api('GET', '/healthz');
    expect(h.body).toEqual({ status: 'ok', postgres: 'ok', temporal: 'ok' });
  });
});
