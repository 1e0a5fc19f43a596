// /metrics on both processes after real dropships ran (one shipped to eBay, one refused by WPS),
// and the log context: worker and server lines about a PO carry its workflow id, order id and PO number.
import { buildApp } from '../../src/api/app';
import { demoDropshipBody } from '../../src/dev/demo';
import { startMetricsServer, type MetricsServer } from '../../src/metrics-server';
import { dropshipWorkflowId } from '../../workflows/messages';
import { ebayOrder, onWorkerLog, sdkMetricsUrl, Stack } from '../support/stack';

jest.setTimeout(180_000);

const WPS_TOKEN = 'demoWpsToken0000000000000000000000000001';
const stack = new Stack({ trackingPollIntervalMs: 1000, upstreamTimeoutCapMs: 2500, sdkMetrics: true });
let worker: MetricsServer;
const workerLog: Record<string, unknown>[] = [];
let stopLog = () => undefined as unknown;

beforeAll(async () => {
  await stack.start();
  worker = await startMetricsServer({ host: '127.0.0.1', port: 0, sdkMetricsUrl });
  stopLog = onWorkerLog((line) => workerLog.push(JSON.parse(line)));
});
afterAll(async () => {
  stopLog();
  await worker?.close();
  await stack.stop();
});

/** The sum of the samples of `name` whose labels include `labels` (Prometheus text format). */
function sample(text: string, name: string, labels: Record<string, string> = {}): number | undefined {
  let total: number | undefined;
  for (const line of text.split('\n')) {
    const m = /^([a-zA-Z_:][\w:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!m || m[1] !== name) continue;
    const have = Object.fromEntries([...(m[2] ?? '').matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)].map((x) => [x[1], x[2]]));
    if (Object.entries(labels).every(([k, v]) => have[k] === v)) total = (total ?? 0) + Number(m[3]);
  }
  return total;
}

/** A second API app on its own port (app.inject cannot load under jest: light-my-request needs ESM `cookie`). */
async function listening(app: Awaited<ReturnType<typeof buildApp>>): Promise<string> {
  await app.listen({ port: 0, host: '127.0.0.1' });
  const addr = app.server.address();
  return `http://127.0.0.1:${typeof addr === 'object' && addr ? addr.port : 0}`;
}

async function scrape(url: string, token?: string) {
  const r = await fetch(url, { headers: token ? { authorization: `Bearer ${token}` } : {} });
  return { status: r.status, type: r.headers.get('content-type') ?? '', text: await r.text() };
}

let seq = 0;
/** A one-line WPS helmet order with its own eBay order, started and confirmed. */
async function confirmedHelmet(key: string) {
  const pssOrderId = `M-${Date.now()}-${++seq}`;
  const body = demoDropshipBody(pssOrderId);
  body.marketplace.orderId = await ebayOrder(stack, [{ lineItemId: `${pssOrderId}-1`, quantity: 1 }]);
  body.lines = [{ lineId: 'L1', marketplaceLineId: `${pssOrderId}-1`, sku: 'HELMET-BELL-QUALIFIER-M', quantity: 1 }];
  expect((await stack.api('POST', '/v1/dropships', body, key)).status).toBe(201);
  expect((await stack.api('POST', `/v1/dropships/${pssOrderId}/confirm`, { confirmedBy: 'metrics-test' }, key)).status).toBe(202);
  const d = await stack.waitForDropship(key, pssOrderId, (x) => x.purchaseOrders.length > 0 && x.purchaseOrders.every((p: any) => !['pending', 'submitting'].includes(p.status)), 'a placed PO');
  return { pssOrderId, po: d.purchaseOrders[0] };
}

describe('metrics and log context', () => {
  let key: string;
  let tenantId: string;
  let shipped: { pssOrderId: string; poNumber: string };
  let refused: { pssOrderId: string; poNumber: string };

  beforeAll(async () => {
    ({ key, tenantId } = await stack.dealer());
    const a = await confirmedHelmet(key);
    expect(a.po.status).toBe('submitted');
    await stack.sim('wps', 'POST', `/__control/orders/${a.po.poNumber}/ship`, { carrier: 'UP2D', trackingNumber: '1Z999AA10123450001' });
    await stack.waitForDropship(key, a.pssOrderId, (x) => x.status === 'completed', 'completed');
    shipped = { pssOrderId: a.pssOrderId, poNumber: a.po.poNumber };

    await stack.sim('wps', 'POST', '/__control/accounts', { credentials: { apiToken: WPS_TOKEN }, flags: { taxIdOnFile: false } });
    try {
      const b = await confirmedHelmet(key);
      expect(b.po.error.code).toBe('account_setup_required');
      refused = { pssOrderId: b.pssOrderId, poNumber: b.po.poNumber };
    } finally {
      await stack.sim('wps', 'POST', '/__control/accounts', { credentials: { apiToken: WPS_TOKEN }, flags: { taxIdOnFile: true } });
    }
  });

  it('the API server counts dropships by status, without order ids, and stays out of the OpenAPI document', async () => {
    const r = await scrape(`${stack.apiUrl}/metrics`);
    expect(r.status).toBe(200);
    expect(r.type).toMatch(/^text\/plain; version=0\.0\.4/);
    expect(sample(r.text, 'dropship_dropships', { status: 'completed' })).toBeGreaterThanOrEqual(1);
    expect(sample(r.text, 'dropship_dropships', { status: 'needs_attention' })).toBeGreaterThanOrEqual(1);
    expect(sample(r.text, 'dropship_dropships', { status: 'expired' })).toBeGreaterThanOrEqual(0); // every status is reported
    expect(sample(r.text, 'process_cpu_user_seconds_total', { process: 'api' })).toBeGreaterThan(0);
    for (const id of [shipped.pssOrderId, shipped.poNumber, tenantId]) expect(r.text).not.toContain(id);
    const doc = await stack.api('GET', '/docs/json');
    expect(Object.keys(doc.body.paths)).not.toContain('/metrics');
  });

  it("the worker serves POs, uploads, call latency, process metrics and the Temporal SDK's own", async () => {
    const r = await scrape(worker.url);
    expect(r.status).toBe(200);
    expect(sample(r.text, 'dropship_purchase_orders_placed_total', { distributor: 'wps', via: 'sent' })).toBeGreaterThanOrEqual(1);
    expect(sample(r.text, 'dropship_purchase_orders_refused_total', { distributor: 'wps', code: 'account_setup_required' })).toBeGreaterThanOrEqual(1);
    expect(sample(r.text, 'dropship_confirm_to_ack_seconds_count', { distributor: 'wps' })).toBeGreaterThanOrEqual(1);
    expect(sample(r.text, 'dropship_tracking_uploads_total', { marketplace: 'ebay', outcome: 'uploaded' })).toBeGreaterThanOrEqual(1);
    expect(sample(r.text, 'dropship_ship_to_tracking_seconds_count', { marketplace: 'ebay' })).toBeGreaterThanOrEqual(1);
    expect(sample(r.text, 'dropship_external_call_duration_seconds_count', { api: 'wps', operation: 'submit', outcome: 'ok' })).toBeGreaterThanOrEqual(1);
    expect(sample(r.text, 'dropship_external_call_duration_seconds_count', { api: 'ebay', operation: 'upload' })).toBeGreaterThanOrEqual(1);
    expect(sample(r.text, 'process_cpu_user_seconds_total', { process: 'worker' })).toBeGreaterThan(0);
    expect(r.text).not.toContain('Temporal SDK metrics unavailable');
    expect(sample(r.text, 'temporal_workflow_task_schedule_to_start_latency_count')).toBeGreaterThanOrEqual(1);
    expect(sample(r.text, 'temporal_worker_task_slots_available')).toBeGreaterThanOrEqual(0);
    for (const id of [shipped.pssOrderId, shipped.poNumber, refused.poNumber, tenantId]) expect(r.text).not.toContain(id);
  });

  it('asks for the bearer token when METRICS_TOKEN is set, on both processes', async () => {
    const token = 'metrics-token-0123456789';
    const guarded = await startMetricsServer({ host: '127.0.0.1', port: 0, token });
    const app = await buildApp({ sql: stack.sql, config: { ...stack.config, metrics: { ...stack.config.metrics, token } }, temporal: () => stack.client });
    try {
      expect((await scrape(guarded.url)).status).toBe(401);
      expect((await scrape(guarded.url, 'wrong-token-0123456789')).status).toBe(401);
      expect((await scrape(guarded.url, token)).status).toBe(200);
      const api = `${await listening(app)}/metrics`;
      expect((await scrape(api)).status).toBe(401);
      const ok = await scrape(api, token);
      expect(ok.status).toBe(200);
      expect(ok.text).toContain('dropship_dropships{status="completed"}');
    } finally {
      await guarded.close();
      await app.close();
    }
  });

  it('worker log lines about a PO carry its workflow id, order id and PO number', () => {
    const context = (r: { pssOrderId: string; poNumber: string }) => ({
      workflowId: dropshipWorkflowId(tenantId, r.pssOrderId),
      orderId: r.pssOrderId,
      poNumber: r.poNumber,
    });
    expect(workerLog).toContainEqual(expect.objectContaining({ level: 'INFO', message: 'PO placed', distributor: 'wps', ...context(shipped) }));
    expect(workerLog).toContainEqual(expect.objectContaining({ message: 'tracking uploaded', marketplace: 'ebay', ...context(shipped) }));
    expect(workerLog.filter((l) => 'taskToken' in l)).toEqual([]);
    // the SDK's own line for the refused attempt gets the same context
    expect(workerLog).toContainEqual(
      expect.objectContaining({ level: 'WARN', message: 'Activity failed', activityType: 'placePurchaseOrder', ...context(refused) }),
    );
  });

  it('server log lines about a dropship or a PO carry the same three', async () => {
    const lines: Record<string, unknown>[] = [];
    const app = await buildApp(
      { sql: stack.sql, config: stack.config, temporal: () => stack.client },
      { logger: { level: 'info', stream: { write: (line: string) => lines.push(JSON.parse(line)) } } },
    );
    try {
      const url = await listening(app);
      const headers = { authorization: `Bearer ${key}` };
      expect((await fetch(`${url}/v1/purchase-orders/${shipped.poNumber}`, { headers })).status).toBe(200);
      expect((await fetch(`${url}/v1/dropships/${shipped.pssOrderId}`, { headers })).status).toBe(200);
    } finally {
      await app.close();
    }
    const workflowId = dropshipWorkflowId(tenantId, shipped.pssOrderId);
    const completed = lines.filter((l) => l.msg === 'request completed');
    expect(completed).toEqual([
      expect.objectContaining({ workflowId, orderId: shipped.pssOrderId, poNumber: shipped.poNumber }),
      expect.objectContaining({ workflowId, orderId: shipped.pssOrderId }),
    ]);
    expect(JSON.stringify(lines)).not.toContain(key);
  });
});
