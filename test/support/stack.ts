// The whole engine for one test file: a worker on its own task queue (real Temporal dev server),
// the API on a real port, real Postgres, and every simulator over HTTP.
import { randomUUID } from 'node:crypto';
import { Client, Connection } from '@temporalio/client';
import { DefaultLogger, NativeConnection, Runtime, Worker } from '@temporalio/worker';
import { buildApp, type ZodApp } from '../../src/api/app';
import type { Config } from '../../src/config';
import { upstreamUrlPolicy } from '../../src/connections';
import { createSql, type Sql } from '../../src/db';
import { distributorSimulators, marketplaceSimulators, type RunnableSimulator } from '../../src/simulators/registry';
import { freeLoopbackPort, sdkPrometheusTelemetry } from '../../src/metrics-server';
import { createDropshipWorker } from '../../src/worker-runtime';
import { jsonLogLine } from '../../src/worker-log';
import { DEMO_CATALOG, DEMO_CREDENTIALS, seedSimulators } from '../../src/dev/demo';

const workerLogListeners = new Set<(line: string) => void>();
/** Calls `fn` with each worker log line (JSON, INFO and up) until the returned function is called. */
export function onWorkerLog(fn: (line: string) => void): () => void {
  workerLogListeners.add(fn);
  return () => workerLogListeners.delete(fn);
}

/** The Temporal SDK's own Prometheus endpoint, when the first Stack of the file asked for `sdkMetrics`. */
export let sdkMetricsUrl: string | undefined;

let runtimeInstalled = false;
async function quietRuntime(sdkMetrics: boolean) {
  if (runtimeInstalled) return;
  runtimeInstalled = true;
  const sdk = sdkMetrics ? sdkPrometheusTelemetry(await freeLoopbackPort()) : undefined;
  try {
    Runtime.install({
      // INFO reaches the listeners; only WARN and up is printed
      logger: new DefaultLogger('INFO', (entry) => {
        const line = jsonLogLine(entry);
        for (const fn of workerLogListeners) fn(line);
        if (entry.level === 'WARN' || entry.level === 'ERROR') process.stderr.write(line);
      }),
      ...(sdk ? { telemetryOptions: sdk.telemetryOptions } : {}),
    });
    sdkMetricsUrl = sdk?.url;
  } catch {
    // already installed by another file in this process
  }
}

export const ADMIN_KEY = 'test-admin-key-0123456789abcdef';
export const TEST_KEYS = [{ id: 'test', key: Buffer.alloc(32, 7) }];

export interface StackOptions {
  confirmationTimeoutMs?: number;
  trackingPollIntervalMs?: number;
  /** Cap on upstream call timeouts, so lost answers resolve quickly. */
  upstreamTimeoutCapMs?: number;
  trackingOverdueMs?: number;
  /** Start no in-process worker (the crash test runs workers as child processes). */
  noWorker?: boolean;
  /** Export the Temporal SDK's metrics (see sdkMetricsUrl); only the first Stack of a file decides. */
  sdkMetrics?: boolean;
}

export interface ApiResponse<T = any> {
  status: number;
  body: T;
}

export class Stack {
  sql!: Sql;
  client!: Client;
  connection!: Connection;
  nativeConnection!: NativeConnection;
  worker?: Worker;
  private workerRun?: Promise<void>;
  app!: ZodApp;
  apiUrl!: string;
  config!: Config;
  sims: Record<string, { url: string; sim: RunnableSimulator }> = {};

  constructor(readonly opts: StackOptions = {}) {}

  async start(): Promise<this> {
    await quietRuntime(!!this.opts.sdkMetrics);
    const taskQueue = `test-${randomUUID()}`;
    this.config = {
      appEnv: 'development',
      port: 0,
      host: '127.0.0.1',
      adminApiKey: ADMIN_KEY,
      databaseUrl: process.env.TEST_DATABASE_URL!,
      temporal: { address: process.env.TEST_TEMPORAL_ADDRESS!, namespace: 'default', taskQueue },
      trackingPollIntervalMs: this.opts.trackingPollIntervalMs ?? 1000,
      confirmationTimeoutMs: this.opts.confirmationTimeoutMs ?? 3_600_000,
      trackingOverdueMs: this.opts.trackingOverdueMs ?? 30 * 24 * 3_600_000,
      callLogRetentionMs: 90 * 24 * 3_600_000,
      credentialKeys: TEST_KEYS,
      dataDir: '.data/test-run',
      logLevel: 'warn',
      metrics: { host: '127.0.0.1', port: 0 },
    };
    this.sql = createSql(this.config.databaseUrl, { max: 5 });
    for (const [code, s] of Object.entries({ ...distributorSimulators, ...marketplaceSimulators })) {
      const sim = s.create(0);
      this.sims[code] = { sim, url: await sim.listen(0) };
    }
    this.connection = await Connection.connect({ address: this.config.temporal.address });
    this.client = new Client({ connection: this.connection, namespace: 'default' });
    if (!this.opts.noWorker) await this.startWorker();
    this.app = await buildApp({ sql: this.sql, config: this.config, temporal: () => this.client });
    await this.app.listen({ port: 0, host: '127.0.0.1' });
    const addr = this.app.server.address();
    this.apiUrl = `http://127.0.0.1:${typeof addr === 'object' && addr ? addr.port : 0}`;
    return this;
  }

  async startWorker(): Promise<void> {
    this.nativeConnection ??= await NativeConnection.connect({ address: this.config.temporal.address });
    this.worker = await createDropshipWorker({
      connection: this.nativeConnection,
      namespace: 'default',
      taskQueue: this.config.temporal.taskQueue,
      sql: this.sql,
      credentialKeys: TEST_KEYS,
      workflowBundle: { codePath: process.env.TEST_WORKFLOW_BUNDLE! },
      upstreamTimeoutCapMs: this.opts.upstreamTimeoutCapMs,
      urlPolicy: upstreamUrlPolicy(this.config),
      client: this.client,
    });
    this.workerRun = this.worker.run();
  }

  async stop(): Promise<void> {
    if (this.worker && this.worker.getState() === 'RUNNING') this.worker.shutdown();
    await this.workerRun?.catch(() => undefined);
    await this.app?.close();
    await this.nativeConnection?.close();
    await this.connection?.close();
    await Promise.all(Object.values(this.sims).map((s) => s.sim.close()));
    await this.sql?.end({ timeout: 5 });
  }

  async api<T = any>(method: string, path: string, body?: unknown, key?: string): Promise<ApiResponse<T>> {
    const r = await fetch(`${this.apiUrl}${path}`, {
      method,
      headers: { ...(body !== undefined ? { 'content-type': 'application/json' } : {}), ...(key ? { authorization: `Bearer ${key}` } : {}) },
      body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
    });
    const text = await r.text();
    return { status: r.status, body: text ? JSON.parse(text) : undefined };
  }

  async sim<T = any>(code: string, method: string, path: string, body?: unknown): Promise<ApiResponse<T>> {
    const r = await fetch(`${this.sims[code].url}${path}`, {
      method,
      headers: body !== undefined ? { 'content-type': 'application/json' } : {},
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await r.text();
    return { status: r.status, body: text ? JSON.parse(text) : undefined };
  }

  /** Accounts, stock and eBay tokens back to the demo seed (orders placed so far stay). */
  async reseedSimulators(): Promise<void> {
    await seedSimulators(Object.fromEntries(Object.entries(this.sims).map(([k, v]) => [k, v.url])) as never);
  }

  /** A dealer with the add-on on, all four distributors and eBay connected, the demo catalog. */
  async dealer(opts: { orderAutomation?: boolean; connect?: string[] } = {}): Promise<{ tenantId: string; key: string }> {
    const t = await this.api('POST', '/v1/tenants', { name: `Dealer ${randomUUID().slice(0, 8)}` }, ADMIN_KEY);
    if (t.status !== 201) throw new Error(`tenant: ${JSON.stringify(t.body)}`);
    const key = t.body.apiKey as string;
    if (opts.orderAutomation !== false) {
      await this.api('PUT', `/v1/tenants/${t.body.id}/order-automation`, { enabled: true }, ADMIN_KEY);
    }
    await this.reseedSimulators();
    for (const code of opts.connect ?? ['wps', 'parts-unlimited', 'tucker-rocky', 'automatic']) {
      const r = await this.api('PUT', `/v1/connections/distributors/${code}`, { ...DEMO_CREDENTIALS[code as 'wps'], baseUrl: this.sims[code].url }, key);
      if (r.status !== 200) throw new Error(`connect ${code}: ${JSON.stringify(r.body)}`);
    }
    const e = await this.api('PUT', '/v1/connections/marketplaces/ebay', { ...DEMO_CREDENTIALS.ebay, baseUrl: this.sims.ebay.url }, key);
    if (e.status !== 200) throw new Error(`connect ebay: ${JSON.stringify(e.body)}`);
    for (const item of DEMO_CATALOG) {
      await this.api(
        'PUT',
        `/v1/catalog/products/${item.sku}`,
        {
          title: item.title,
          offers: item.offers.map((o) => ({
            ...o,
            warehouses: Object.entries(o.warehouses).map(([code, quantity]) => ({ code, quantity })),
          })),
        },
        key,
      );
    }
    return { tenantId: t.body.id, key };
  }

  /** Polls the dropship until `pred` holds (Temporal drives it; we only observe). */
  async waitForDropship(key: string, pssOrderId: string, pred: (d: any) => boolean, what = 'condition', timeoutMs = 90_000): Promise<any> {
    const deadline = Date.now() + timeoutMs;
    let last: any;
    while (Date.now() < deadline) {
      const r = await this.api('GET', `/v1/dropships/${pssOrderId}`, undefined, key);
      last = r.body;
      if (r.status === 200 && pred(r.body)) return r.body;
      await new Promise((res) => setTimeout(res, 200));
    }
    throw new Error(
      `dropship ${pssOrderId} never reached ${what}; last: ${JSON.stringify({ status: last?.status, events: last?.events?.map((e: any) => `${e.type}: ${e.message}`), purchaseOrders: last?.purchaseOrders?.map((p: any) => ({ po: p.poNumber, status: p.status, error: p.error })) }, null, 1).slice(0, 4000)}`,
    );
  }

  async simOrders(code: string, poNumber?: string): Promise<any[]> {
    const r = await this.sim(code, 'GET', '/__control/orders');
    const orders = r.body.orders as any[];
    return poNumber ? orders.filter((o) => o.poNumber === poNumber) : orders;
  }
}

/** A unique eBay order seeded at the simulator, with line items for the given lines. */
export async function ebayOrder(stack: Stack, lines: { lineItemId: string; quantity: number }[]): Promise<string> {
  const orderId = `14-${Math.floor(Math.random() * 1e5).toString().padStart(5, '0')}-${Math.floor(Math.random() * 1e5).toString().padStart(5, '0')}`;
  const r = await stack.sim('ebay', 'POST', '/__control/orders', { orderId, lineItems: lines });
  if (r.status >= 300) throw new Error(`seed ebay order: ${JSON.stringify(r.body)}`);
  return orderId;
}
