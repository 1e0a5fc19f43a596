// No credential leaves the engine: one full dropship across WPS, Tucker Rocky and eBay with
// distinctive secrets, then every API answer, server log line, worker log entry, Temporal history
// payload and database row is searched for each secret in every form it could take. Also: where
// credentials may be sent (connection routes and stored rows), and how stored secrets are bound.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { DefaultLogger, Runtime, type LogEntry } from '@temporalio/worker';
import { buildApp, type ZodApp } from '../../src/api/app';
import { createAdapter, distributorAdapterFor, upstreamUrlPolicy } from '../../src/connections';
import { unseal } from '../../src/crypto';
import { DEMO_CREDENTIALS, demoDropshipBody } from '../../src/dev/demo';
import { automaticModule } from '../../src/distributors/automatic';
import { createHttpClientFactory, secretForms } from '../../src/http';
import { dropshipWorkflowId } from '../../workflows/messages';
import { historyText } from '../support/history-text';
import { legacySeal } from '../support/legacy-seal';
import { ebayOrder, Stack, TEST_KEYS } from '../support/stack';

jest.setTimeout(180_000);

// Installed before the Stack starts a worker, so the worker's own log lines are collected too.
const workerLogs: LogEntry[] = [];
Runtime.install({ logger: new DefaultLogger('DEBUG', (entry) => workerLogs.push(entry)) });

const stack = new Stack({ trackingPollIntervalMs: 1000, upstreamTimeoutCapMs: 2500 });
const serverLogs: string[] = [];
const responseBodies: string[] = [];
let app: ZodApp;

beforeAll(async () => {
  await stack.start();
  // Our own API instance (same deps) with a logger and a tap on every answer; the Stack's
  // helpers are pointed at it.
  app = await buildApp(
    { sql: stack.sql, config: stack.config, temporal: () => stack.client },
    { logger: { level: 'trace', stream: { write: (line: string) => serverLogs.push(line) } } },
  );
  app.addHook('onSend', async (_req, _reply, payload) => {
    responseBodies.push(typeof payload === 'string' ? payload : String(payload ?? ''));
    return payload;
  });
  await app.listen({ port: 0, host: '127.0.0.1' });
  stack.apiUrl = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  await app?.close();
  await stack.stop();
});

/** Distinctive values, with characters that change under URL, form, JSON and base64 encoding. */
const SECRETS = {
  wpsToken: 'zqWPS+tok/en=7"a\\b~Q1',
  tuckerKey: 'ZQTUCKERKEY77310XYZ',
  tuckerCustomer: 'ZQ-77310',
  ebayToken: 'v^1.1#i^1#zqEBAY+tok/en=="x9',
};

/** Which secrets appear in `text`, in any form, e.g. `wpsToken (rawForm)`. */
function leaks(text: string): string[] {
  return Object.entries(SECRETS).flatMap(([name, secret]) => secretForms(secret).filter((f) => text.includes(f)).map((f) => `${name} (${f})`));
}

async function everyDatabaseRow(): Promise<string> {
  const tables = await stack.sql<{ table_name: string }[]>`
    SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' AND table_type = 'BASE TABLE'`;
  const texts: string[] = [];
  for (const { table_name } of tables) {
    // connections.secret is the ciphertext; everything else is readable
    const rows = await stack.sql`SELECT to_jsonb(t) - 'secret' AS row FROM ${stack.sql(table_name)} t`;
    texts.push(JSON.stringify(rows.map((r) => r.row)));
  }
  return texts.join('\n');
}

describe('a full dropship across two distributors and eBay', () => {
  it('leaves no credential in answers, logs, history or rows', async () => {
    // the detector finds every form it looks for
    for (const text of [
      `?k=${encodeURIComponent(SECRETS.wpsToken)}`,
      new URLSearchParams({ k: SECRETS.wpsToken }).toString(),
      JSON.stringify({ k: SECRETS.wpsToken }),
      `Basic ${Buffer.from(`id:${SECRETS.wpsToken}`).toString('base64')}`,
    ]) {
      expect(leaks(text)).not.toEqual([]);
    }

    const { key, tenantId } = await stack.dealer({ connect: [] });
    await stack.sim('wps', 'POST', '/__control/accounts', { credentials: { apiToken: SECRETS.wpsToken } });
    await stack.sim('tucker-rocky', 'POST', '/__control/accounts', { credentials: { customerNumber: SECRETS.tuckerCustomer, apiKey: SECRETS.tuckerKey } });
    await stack.sim('ebay', 'POST', '/__control/tokens', { token: SECRETS.ebayToken });
    const connect = async (path: string, body: object) => expect((await stack.api('PUT', path, body, key)).status).toBe(200);
    await connect('/v1/connections/distributors/wps', { apiToken: SECRETS.wpsToken, baseUrl: stack.sims.wps.url });
    await connect('/v1/connections/distributors/tucker-rocky', {
      customerNumber: SECRETS.tuckerCustomer,
      apiKey: SECRETS.tuckerKey,
      baseUrl: stack.sims['tucker-rocky'].url,
    });
    await connect('/v1/connections/marketplaces/ebay', { accessToken: SECRETS.ebayToken, baseUrl: stack.sims.ebay.url });

    const pssOrderId = `SEC-${Date.now()}`;
    const body = demoDropshipBody(pssOrderId);
    body.marketplace.orderId = await ebayOrder(stack, [
      { lineItemId: `${pssOrderId}-1`, quantity: 1 },
      { lineItemId: `${pssOrderId}-2`, quantity: 2 },
    ]);
    body.lines = body.lines.map((l, i) => ({ ...l, marketplaceLineId: `${pssOrderId}-${i + 1}` }));
    const created = await stack.api('POST', '/v1/dropships', body, key);
    expect(created.status).toBe(201);
    expect(created.body.lines.map((l: any) => l.selected.distributor)).toEqual(['wps', 'tucker-rocky']);

    expect((await stack.api('POST', `/v1/dropships/${pssOrderId}/confirm`, { confirmedBy: 'tester' }, key)).status).toBe(202);
    const placed = await stack.waitForDropship(key, pssOrderId, (d) => d.purchaseOrders.length === 2 && d.purchaseOrders.every((p: any) => p.status === 'submitted'), 'two placed POs');
    const po = Object.fromEntries(placed.purchaseOrders.map((p: any) => [p.distributor, p.poNumber]));
    await stack.sim('wps', 'POST', `/__control/orders/${po.wps}/ship`, { carrier: 'UP2D', trackingNumber: '1Z999AA1SECRET001' });
    await stack.sim('tucker-rocky', 'POST', `/__control/orders/${po['tucker-rocky']}/ship`, { carrier: 'FEDEX', trackingNumber: '612999000000777' });
    const done = await stack.waitForDropship(key, pssOrderId, (d) => d.status === 'completed', 'completed');
    expect(done.uploads.map((u: any) => u.status)).toEqual(['confirmed', 'confirmed']);
    // more answers to search (their own correctness is tested elsewhere)
    for (const n of Object.values(po)) await stack.api('GET', `/v1/purchase-orders/${n}`, undefined, key);
    expect((await stack.api('GET', '/v1/connections', undefined, key)).status).toBe(200);

    const history = historyText(await stack.client.workflow.getHandle(dropshipWorkflowId(tenantId, pssOrderId)).fetchHistory());
    const calls = await stack.sql`SELECT * FROM external_calls WHERE tenant_id = ${tenantId}`;
    const sources = {
      'API answers': responseBodies.join('\n'),
      'server logs': serverLogs.join('\n'),
      'worker logs': workerLogs.map((e) => JSON.stringify(e, (_k, v) => (typeof v === 'bigint' ? String(v) : v))).join('\n'),
      'workflow history': history,
      external_calls: JSON.stringify(calls),
      'database rows': await everyDatabaseRow(),
    };
    // each source really holds this dropship (so an empty source cannot pass by accident)
    expect(sources['API answers']).toContain(po.wps);
    expect(sources['server logs']).toContain(`/v1/dropships/${pssOrderId}/confirm`);
    expect(workerLogs.length).toBeGreaterThan(0);
    expect(history).toContain('612999000000777');
    expect(sources.external_calls).toContain('cust=***'); // the customer number was in Tucker's URLs
    expect(calls.map((c) => c.target)).toEqual(expect.arrayContaining(['wps', 'tucker-rocky', 'ebay']));

    expect(Object.fromEntries(Object.entries(sources).map(([name, text]) => [name, leaks(text)]))).toEqual(
      Object.fromEntries(Object.keys(sources).map((name) => [name, []])),
    );
  });
});

describe('where credentials may be sent', () => {
  it('the connection routes refuse a baseUrl with a user name or a non-http scheme, and loopback in production', async () => {
    const { key } = await stack.dealer({ connect: [] });
    for (const baseUrl of [stack.sims.wps.url.replace('http://', 'http://dealer:pw@'), stack.sims.wps.url.replace('http://', 'ftp://')]) {
      const r = await stack.api('PUT', '/v1/connections/distributors/wps', { ...DEMO_CREDENTIALS.wps, baseUrl }, key);
      expect(r.status).toBe(400);
      expect(r.body).toMatchObject({ error: 'validation_failed', details: [{ path: 'body.baseUrl' }] });
    }

    const production = await buildApp({ sql: stack.sql, config: { ...stack.config, appEnv: 'production' }, temporal: () => stack.client });
    await production.listen({ port: 0, host: '127.0.0.1' });
    try {
      await stack.sim('wps', 'DELETE', '/__control/requests');
      const r = await fetch(`http://127.0.0.1:${(production.server.address() as AddressInfo).port}/v1/connections/distributors/wps`, {
        method: 'PUT',
        headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
        body: JSON.stringify({ ...DEMO_CREDENTIALS.wps, baseUrl: stack.sims.wps.url }),
      });
      expect(r.status).toBe(400);
      expect(await r.json()).toMatchObject({
        error: 'validation_failed',
        details: [{ path: 'body.baseUrl', message: `must be https://api.wps-inc.com in production (got ${stack.sims.wps.url})` }],
      });
      expect((await stack.sim('wps', 'GET', '/__control/requests')).body.requests).toEqual([]);
    } finally {
      await production.close();
    }
  });

  it('a stored row pointing at loopback is refused at send time under the production policy', async () => {
    const { tenantId } = await stack.dealer({ connect: ['wps'] });
    await stack.sim('wps', 'DELETE', '/__control/requests');
    const http = createHttpClientFactory(undefined, { urlPolicy: upstreamUrlPolicy({ appEnv: 'production', allowedUpstreamOrigins: [] }) });
    const adapter = await distributorAdapterFor({ sql: stack.sql, keys: TEST_KEYS, http }, tenantId, 'wps');
    await expect(adapter.verifyCredentials()).rejects.toMatchObject({ kind: 'permanent', code: 'destination_refused' });
    expect((await stack.sim('wps', 'GET', '/__control/requests')).body.requests).toEqual([]);
  });

  it('redacts a credential an upstream echoes back in a refusal the dealer reads', async () => {
    const token = 'zqAUTO+tok/en=9';
    const hidden = (text: string) => expect(secretForms(token).filter((f) => text.includes(f))).toEqual([]);
    // An upstream (standing in for Automatic on 127.0.0.1) that repeats the token in its refusals.
    const echo: Server = createServer((req, res) => {
      const t = String(req.headers.authorization);
      res.writeHead(400, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ code: 'E100', message: `token ${t} (${encodeURIComponent(t)}, ${Buffer.from(`x:${t}`).toString('base64')}) refused` }));
    });
    await new Promise<void>((r) => echo.listen(0, '127.0.0.1', r));
    const baseUrl = `http://127.0.0.1:${(echo.address() as AddressInfo).port}`;
    try {
      const { key } = await stack.dealer({ connect: [] });
      const r = await stack.api('PUT', '/v1/connections/distributors/automatic', { apiToken: token, baseUrl }, key);
      expect(r.status).toBe(422);
      expect(r.body.error).toBe('credentials_rejected');
      expect(r.body.message).toContain('token *** (***');
      hidden(JSON.stringify(r.body));

      // a refused cancel's reason reaches the dealer too
      const adapter = createAdapter(automaticModule, { apiToken: token }, { baseUrl, http: createHttpClientFactory() });
      const outcome = await adapter.cancelOrder!('DS-ECHO-A1'); // Automatic documents cancel
      expect(outcome).toMatchObject({ cancelled: false, reason: expect.stringContaining('token *** (***') });
      hidden(JSON.stringify(outcome));
    } finally {
      echo.closeAllConnections();
      await new Promise((r) => echo.close(r));
    }
  });
});

describe('stored credentials', () => {
  const wpsRow = (tenantId: string) => ({ tenantId, kind: 'distributor', code: 'wps' });

  it('a row sealed before rows were bound still works and is sealed again, bound, in place', async () => {
    const { tenantId } = await stack.dealer({ connect: ['wps'] });
    const old = legacySeal(TEST_KEYS[0], DEMO_CREDENTIALS.wps);
    await stack.sql`UPDATE connections SET secret = ${old.secret}, key_id = ${old.keyId} WHERE tenant_id = ${tenantId} AND kind = 'distributor' AND code = 'wps'`;
    const adapter = await distributorAdapterFor({ sql: stack.sql, keys: TEST_KEYS, http: createHttpClientFactory() }, tenantId, 'wps');
    await adapter.verifyCredentials();
    const [row] = await stack.sql`SELECT secret, key_id FROM connections WHERE tenant_id = ${tenantId} AND kind = 'distributor' AND code = 'wps'`;
    expect(Buffer.compare(row.secret, old.secret)).not.toBe(0);
    expect(unseal(TEST_KEYS, { keyId: row.key_id, secret: row.secret }, wpsRow(tenantId))).toEqual({ value: DEMO_CREDENTIALS.wps, stale: false });
  });

  it("a secret copied into another tenant's row does not decrypt", async () => {
    const a = await stack.dealer({ connect: ['wps'] });
    const b = await stack.dealer({ connect: ['wps'] });
    await stack.sql`
      UPDATE connections SET secret = (SELECT secret FROM connections WHERE tenant_id = ${a.tenantId} AND kind = 'distributor' AND code = 'wps')
      WHERE tenant_id = ${b.tenantId} AND kind = 'distributor' AND code = 'wps'`;
    await expect(distributorAdapterFor({ sql: stack.sql, keys: TEST_KEYS, http: createHttpClientFactory() }, b.tenantId, 'wps')).rejects.toThrow(
      /do not decrypt with key "test": they were altered or copied from another row/,
    );
  });
});
