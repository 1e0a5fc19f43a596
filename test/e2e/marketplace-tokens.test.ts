// Marketplace tokens that keep working: eBay connected with what eBay really issues (app keys and a
// refresh token); access tokens minted once and shared by every worker, refreshed when eBay refuses
// an expired one, and a revoked grant waiting for a person until the dealer reconnects and retries.
import { randomUUID } from 'node:crypto';
import { createTokenSource } from '../../src/marketplace-tokens';
import { demoDropshipBody, DEMO_CREDENTIALS } from '../../src/dev/demo';
import { ebayOrder, Stack, TEST_KEYS } from '../support/stack';

jest.setTimeout(180_000);

const stack = new Stack({ trackingPollIntervalMs: 500 });
beforeAll(() => stack.start());
afterAll(() => stack.stop());

const minted = async () => (await stack.sim('ebay', 'GET', '/__control/tokens/minted')).body.minted as number;

async function helmetDropship(key: string) {
  const b = demoDropshipBody(`TOK-${randomUUID().slice(0, 8)}`);
  b.marketplace.orderId = await ebayOrder(stack, [{ lineItemId: 'T1', quantity: 2 }]);
  b.lines = [{ lineId: 'L1', marketplaceLineId: 'T1', sku: 'HELMET-BELL-QUALIFIER-M', quantity: 2 }];
  expect((await stack.api('POST', '/v1/dropships', b, key)).status).toBe(201);
  expect((await stack.api('POST', `/v1/dropships/${b.pssOrderId}/confirm`, { confirmedBy: 'tok' }, key)).status).toBe(202);
  const d = await stack.waitForDropship(key, b.pssOrderId, (x) => x.status === 'submitted', 'submitted');
  return { pssOrderId: b.pssOrderId, po: d.purchaseOrders[0].poNumber as string };
}

const ship = (po: string, trackingNumber: string, quantity: number) =>
  stack.sim('wps', 'POST', `/__control/orders/${po}/ship`, { carrier: 'UP2D', trackingNumber, lines: [{ sku: '72-0500M', quantity }] });

it('mints one eBay token for many uploads, and refreshes once when eBay says it expired mid-flow', async () => {
  const { key } = await stack.dealer();
  const before = await minted();
  const a = await helmetDropship(key);
  await ship(a.po, '1Z999AA1TOKEN0001', 1);
  await stack.waitForDropship(key, a.pssOrderId, (x) => x.uploads.some((u: { status: string }) => u.status === 'confirmed'), 'first upload');
  const afterFirst = await minted();
  expect(afterFirst - before).toBe(1);
  // the token expires at eBay between the two packages of one order (a 2 + 1... here 1 + 1 split)
  await stack.sim('ebay', 'POST', '/__control/tokens/expire');
  await ship(a.po, '1Z999AA1TOKEN0002', 1);
  await stack.waitForDropship(key, a.pssOrderId, (x) => x.status === 'completed', 'completed');
  expect((await minted()) - afterFirst).toBe(1);
  const order = (await stack.sim('ebay', 'GET', `/__control/orders/${(await stack.api('GET', `/v1/dropships/${a.pssOrderId}`, undefined, key)).body.marketplace.orderId}`)).body;
  expect(order.fulfillments.map((f: { shipmentTrackingNumber: string }) => f.shipmentTrackingNumber).sort()).toEqual(['1Z999AA1TOKEN0001', '1Z999AA1TOKEN0002']);
  // the token is stored sealed: neither the access token nor the refresh token is readable in Postgres
  const rows = await stack.sql`SELECT secret::text AS s FROM marketplace_tokens`;
  expect(JSON.stringify(rows)).not.toContain('v^1.1#i^1#sim');
});

it('waits for a person when eBay refuses the refresh token, and completes after reconnecting and retrying the uploads', async () => {
  const { key } = await stack.dealer();
  const a = await helmetDropship(key);
  await stack.sim('ebay', 'POST', '/__control/refresh-tokens', { refreshToken: DEMO_CREDENTIALS.ebay.refreshToken, clientId: DEMO_CREDENTIALS.ebay.clientId, revoked: true });
  await stack.sim('ebay', 'POST', '/__control/tokens/expire');
  await ship(a.po, '1Z999AA1TOKEN0003', 2);
  const parked = await stack.waitForDropship(key, a.pssOrderId, (x) => x.status === 'needs_attention', 'needs_attention');
  expect(parked.uploads[0]).toMatchObject({ status: 'failed', error: { code: 'marketplace_reauthorization_required' } });
  expect(parked.uploads[0].error.message).toMatch(/Reconnect the eBay account/);
  expect((await stack.api('GET', '/v1/dropships?status=needs_attention', undefined, key)).body.items.map((i: { pssOrderId: string }) => i.pssOrderId)).toContain(a.pssOrderId);
  // the dealer grants access again: a new refresh token, reconnected, then the uploads retried
  const fresh = `v^1.1#i^1#reconnected-${randomUUID()}`;
  await stack.sim('ebay', 'POST', '/__control/refresh-tokens', { refreshToken: fresh, clientId: DEMO_CREDENTIALS.ebay.clientId });
  expect((await stack.api('PUT', '/v1/connections/marketplaces/ebay', { ...DEMO_CREDENTIALS.ebay, refreshToken: fresh, baseUrl: stack.sims.ebay.url }, key)).status).toBe(200);
  const retried = await stack.api('POST', `/v1/dropships/${a.pssOrderId}/uploads/retry`, {}, key);
  expect(retried.status).toBe(202);
  const done = await stack.waitForDropship(key, a.pssOrderId, (x) => x.status === 'completed', 'completed');
  expect(done.uploads[0]).toMatchObject({ status: 'confirmed', attempts: 2 });
  expect((await stack.api('POST', `/v1/dropships/${a.pssOrderId}/uploads/retry`, {}, key)).status).toBe(409);
});

it('refuses to connect eBay with a revoked refresh token (422), and a static token that expired waits for a person', async () => {
  const { key } = await stack.dealer();
  const revoked = `v^1.1#i^1#revoked-${randomUUID()}`;
  await stack.sim('ebay', 'POST', '/__control/refresh-tokens', { refreshToken: revoked, clientId: DEMO_CREDENTIALS.ebay.clientId, revoked: true });
  const r = await stack.api('PUT', '/v1/connections/marketplaces/ebay', { ...DEMO_CREDENTIALS.ebay, refreshToken: revoked, baseUrl: stack.sims.ebay.url }, key);
  expect(r.status).toBe(422);
  expect(r.body.error).toBe('credentials_rejected');
  expect(JSON.stringify(r.body)).not.toContain(revoked);

  const staticToken = `static-${randomUUID()}`;
  await stack.sim('ebay', 'POST', '/__control/tokens', { token: staticToken });
  expect((await stack.api('PUT', '/v1/connections/marketplaces/ebay', { accessToken: staticToken, baseUrl: stack.sims.ebay.url }, key)).status).toBe(200);
  const a = await helmetDropship(key);
  await stack.sim('ebay', 'POST', '/__control/reset'); // the static token is gone at eBay (expired)
  await stack.reseedSimulators();
  await ebayOrder(stack, [{ lineItemId: 'T1', quantity: 2 }]);
  await ship(a.po, '1Z999AA1TOKEN0004', 2);
  const parked = await stack.waitForDropship(key, a.pssOrderId, (x) => x.status === 'needs_attention', 'needs_attention');
  expect(parked.uploads[0].error.code).toBe('marketplace_reauthorization_required');
});

it('lets many workers ask for a token at once and mints one (no stampede on the token endpoint)', async () => {
  const { tenantId } = await stack.dealer();
  let mints = 0;
  const mint = async () => {
    mints++;
    await new Promise((r) => setTimeout(r, 50)); // the token endpoint takes a moment
    return { accessToken: `tok-${mints}`, expiresInSeconds: 7200 };
  };
  const connectionUpdatedAt = new Date().toISOString();
  const workers = Array.from({ length: 12 }, () => createTokenSource({ sql: stack.sql, keys: TEST_KEYS, tenantId, code: 'ebay-stampede', connectionUpdatedAt, mint }));
  const tokens = await Promise.all(workers.map((w) => w.get()));
  expect(mints).toBe(1);
  expect(new Set(tokens)).toEqual(new Set(['tok-1']));
  // a refusal of that token: one worker mints anew, the others, refreshing the same rejected token, reuse it
  const refreshed = await Promise.all(workers.slice(0, 5).map((w) => w.refresh('tok-1')));
  expect(mints).toBe(2);
  expect(new Set(refreshed)).toEqual(new Set(['tok-2']));
  // a reconnect (newer connection) never uses a token minted from the old credentials
  const later = createTokenSource({ sql: stack.sql, keys: TEST_KEYS, tenantId, code: 'ebay-stampede', connectionUpdatedAt: new Date(Date.now() + 1000).toISOString(), mint });
  expect(await later.get()).toBe('tok-3');
});
