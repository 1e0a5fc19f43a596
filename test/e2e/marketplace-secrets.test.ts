// No marketplace credential, nor any access token minted from one, leaves the engine: for each of
// the four marketplaces, connected with distinctive secrets, a dropship runs to completed; then
// every API answer, the Temporal history, the call log and the dropship's rows are searched for
// every secret and every minted token, in every form it could take.
import { randomUUID } from 'node:crypto';
import { unseal } from '../../src/crypto';
import { demoDropshipBody, marketplaceOrder, type DemoMarketplace } from '../../src/dev/demo';
import { secretForms } from '../../src/http';
import { dropshipWorkflowId } from '../../workflows/messages';
import { historyText } from '../support/history-text';
import { Stack, TEST_KEYS } from '../support/stack';

jest.setTimeout(180_000);

const stack = new Stack({ trackingPollIntervalMs: 500 });
beforeAll(() => stack.start());
afterAll(() => stack.stop());

/** Distinctive credentials per marketplace (characters that change under URL, form, JSON, base64), and how its simulator learns them. */
const ACCOUNTS: Record<DemoMarketplace, { creds: Record<string, string>; secrets: string[]; seed: (url: string) => Promise<unknown> }> = {
  ebay: {
    creds: { clientId: 'ZqEbayApp-PRD-77a1', clientSecret: 'PRD-zq+ebay/secret=771', refreshToken: 'v^1.1#i^1#zqEBAYrefresh+77/x==' },
    secrets: ['PRD-zq+ebay/secret=771', 'v^1.1#i^1#zqEBAYrefresh+77/x=='],
    seed: async (url) => {
      await stack.sim('ebay', 'POST', '/__control/apps', { clientId: 'ZqEbayApp-PRD-77a1', clientSecret: 'PRD-zq+ebay/secret=771' });
      await stack.sim('ebay', 'POST', '/__control/refresh-tokens', { refreshToken: 'v^1.1#i^1#zqEBAYrefresh+77/x==', clientId: 'ZqEbayApp-PRD-77a1' });
      return url;
    },
  },
  amazon: {
    creds: { clientId: 'amzn1.application-oa2-client.zq77', clientSecret: 'amzn1.oa2-cs.v1.zq+amazon/secret=77', refreshToken: 'Atzr|zqAMAZON+refresh/77==', marketplaceId: 'ATVPDKIKX0DER' },
    secrets: ['amzn1.oa2-cs.v1.zq+amazon/secret=77', 'Atzr|zqAMAZON+refresh/77=='],
    seed: () => stack.sim('amazon', 'POST', '/__control/grants', ACCOUNTS.amazon.creds),
  },
  walmart: {
    creds: { clientId: 'zq-walmart-client-77', clientSecret: 'zq+walmart/secret=77XY' },
    secrets: ['zq+walmart/secret=77XY'],
    seed: () => stack.sim('walmart', 'POST', '/__control/clients', ACCOUNTS.walmart.creds),
  },
  shopify: {
    creds: { shopDomain: 'zq-dealer.myshopify.com', accessToken: 'shpat_zq77+shopify/token=AB' },
    secrets: ['shpat_zq77+shopify/token=AB'],
    seed: () => stack.sim('shopify', 'POST', '/__control/tokens', { token: 'shpat_zq77+shopify/token=AB' }),
  },
};

function leaks(text: string, secrets: string[]): string[] {
  return secrets.flatMap((s) => secretForms(s).filter((f) => text.includes(f)).map((f) => `${s.slice(0, 6)}… as ${f}`));
}

let n = Date.now() % 100000;

it.each(['ebay', 'amazon', 'walmart', 'shopify'] as DemoMarketplace[])('keeps every %s credential and minted token out of answers, history, call log and rows', async (code) => {
  const { tenantId, key } = await stack.dealer();
  const account = ACCOUNTS[code];
  await account.seed(stack.sims[code].url);
  const answers: string[] = [];
  const api = async (method: string, path: string, body?: unknown) => {
    const r = await stack.api(method, path, body, key);
    answers.push(JSON.stringify(r.body));
    return r;
  };
  expect((await api('PUT', `/v1/connections/marketplaces/${code}`, { ...account.creds, baseUrl: stack.sims[code].url })).status).toBe(200);
  const order = marketplaceOrder(code, ++n, [{ sku: 'HELMET-BELL-QUALIFIER-M', quantity: 1 }]);
  await stack.sim(code, 'POST', '/__control/orders', order.seed);
  const body = demoDropshipBody(`SEC-${code}-${randomUUID().slice(0, 6)}`);
  body.marketplace = { code, orderId: order.orderId };
  body.lines = [{ lineId: 'L1', marketplaceLineId: order.lineIds[0], sku: 'HELMET-BELL-QUALIFIER-M', quantity: 1 }];
  expect((await api('POST', '/v1/dropships', body)).status).toBe(201);
  expect((await api('POST', `/v1/dropships/${body.pssOrderId}/confirm`, { confirmedBy: 'sec' })).status).toBe(202);
  const placed = await stack.waitForDropship(key, body.pssOrderId, (d) => d.status === 'submitted', 'submitted');
  await stack.sim('wps', 'POST', `/__control/orders/${placed.purchaseOrders[0].poNumber}/ship`, { carrier: 'UP2D', trackingNumber: `1Z999AA1SEC${n}` });
  await stack.waitForDropship(key, body.pssOrderId, (d) => d.status === 'completed', 'completed');
  answers.push(JSON.stringify((await api('GET', `/v1/dropships/${body.pssOrderId}`)).body));
  answers.push(JSON.stringify((await api('GET', '/v1/connections')).body));

  // the access tokens the engine minted from these credentials are secrets too
  const minted = (await stack.sql`SELECT secret, key_id FROM marketplace_tokens WHERE tenant_id = ${tenantId} AND code = ${code}`).map(
    (r) => unseal<{ accessToken: string }>(TEST_KEYS, { keyId: r.key_id as string, secret: r.secret as Buffer }, { tenantId, kind: 'marketplace-token', code }).value.accessToken,
  );
  if (code !== 'shopify') expect(minted).toHaveLength(1);
  const secrets = [...account.secrets, ...minted];

  const history = historyText(await stack.client.workflow.getHandle(dropshipWorkflowId(tenantId, body.pssOrderId)).fetchHistory());
  const calls = JSON.stringify(await stack.sql`SELECT * FROM external_calls WHERE tenant_id = ${tenantId}`);
  const rows = JSON.stringify([
    ...(await stack.sql`SELECT * FROM dropships WHERE tenant_id = ${tenantId}`),
    ...(await stack.sql`SELECT * FROM marketplace_uploads WHERE tenant_id = ${tenantId}`),
    ...(await stack.sql`SELECT code, masked, base_url FROM connections WHERE tenant_id = ${tenantId}`),
  ]);
  expect(calls.length).toBeGreaterThan(100); // the call log did record the marketplace calls
  expect({ answers: leaks(answers.join('\n'), secrets), history: leaks(history, secrets), callLog: leaks(calls, secrets), rows: leaks(rows, secrets) }).toEqual({
    answers: [],
    history: [],
    callLog: [],
    rows: [],
  });
});
