// Kill the worker process while it is placing an order, start a new one: the dropship still
// completes, with exactly one order at the distributor.
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { demoDropshipBody } from '../../src/dev/demo';
import { ebayOrder, Stack } from '../support/stack';

jest.setTimeout(240_000);

const ROOT = join(__dirname, '../..');
const stack = new Stack({ noWorker: true, trackingPollIntervalMs: 1000 });
beforeAll(() => stack.start());
afterAll(() => stack.stop());

/** Signals the worker's whole process group (the tsx wrapper and the node process it runs). */
function killGroup(child: ChildProcess, signal: NodeJS.Signals) {
  try {
    process.kill(-child.pid!, signal);
  } catch {
    // already gone
  }
}

function startWorkerProcess(): { child: ChildProcess; ready: Promise<void> } {
  const child = spawn(join(ROOT, 'node_modules/.bin/tsx'), ['worker.ts'], {
    cwd: ROOT,
    env: {
      ...process.env,
      DATABASE_URL: stack.config.databaseUrl,
      TEMPORAL_ADDRESS: stack.config.temporal.address,
      TEMPORAL_TASK_QUEUE: stack.config.temporal.taskQueue,
      CREDENTIALS_KEY: `test:${'07'.repeat(32)}`,
      LOG_LEVEL: 'warn',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
    // its own process group: tsx runs the worker in a child process, and a kill must reach it
    detached: true,
  });
  let out = '';
  const ready = new Promise<void>((resolve, reject) => {
    const onData = (c: Buffer) => {
      out += c.toString();
      if (out.includes('polling task queue')) resolve();
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', (c: Buffer) => (out += c.toString()));
    child.once('exit', (code) => reject(new Error(`worker exited early (${code}): ${out}`)));
  });
  return { child, ready };
}

async function until<T>(what: string, fn: () => Promise<T | undefined | false>, timeoutMs = 120_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

it('survives a worker killed mid-submit with exactly one order at WPS', async () => {
  const first = startWorkerProcess();
  await first.ready;
  const { key } = await stack.dealer();
  const pssOrderId = `CRASH-${Date.now()}`;
  const body = demoDropshipBody(pssOrderId);
  body.marketplace.orderId = await ebayOrder(stack, [{ lineItemId: 'C1', quantity: 1 }]);
  body.lines = [{ lineId: 'L1', marketplaceLineId: 'C1', sku: 'HELMET-BELL-QUALIFIER-M', quantity: 1 }];
  expect((await stack.api('POST', '/v1/dropships', body, key)).status).toBe(201);

  // WPS commits the order but its answer never comes: the worker is mid-submit, waiting.
  await stack.sim('wps', 'POST', '/__control/faults', { type: 'lost_ack', method: 'POST', pathPrefix: '/orders' });
  expect((await stack.api('POST', `/v1/dropships/${pssOrderId}/confirm`, { confirmedBy: 'crash-test' }, key)).status).toBe(202);

  const orderPost = await until('the order to be committed at WPS', async () => {
    const reqs = (await stack.sim('wps', 'GET', '/__control/requests')).body.requests as any[];
    const post = reqs.find((r) => r.method === 'POST' && r.path === '/orders');
    return post && (await stack.simOrders('wps', post.body?.po_number)).length === 1 && post;
  });
  killGroup(first.child, 'SIGKILL');
  await new Promise((r) => (first.child.exitCode !== null || first.child.signalCode ? r(null) : first.child.once('exit', r)));

  const [po] = await stack.sql`SELECT po_number, submit_started_at FROM purchase_orders WHERE pss_order_id = ${pssOrderId}`;
  expect(po.submit_started_at).toBeTruthy();
  expect(orderPost.body.po_number).toBe(po.po_number);
  const [mid] = await stack.sql`SELECT status FROM purchase_orders WHERE po_number = ${po.po_number}`;
  expect(mid.status).toBe('submitting');

  const second = startWorkerProcess();
  try {
    await second.ready;
    const d = await stack.waitForDropship(key, pssOrderId, (x) => x.status === 'submitted', 'submitted after the crash', 120_000);
    expect(d.purchaseOrders[0].poNumber).toBe(po.po_number);
    await stack.sim('wps', 'POST', `/__control/orders/${po.po_number}/ship`, { carrier: 'UP2D', trackingNumber: '1Z999AACRASH00001' });
    await stack.waitForDropship(key, pssOrderId, (x) => x.status === 'completed', 'completed');
    expect(await stack.simOrders('wps', po.po_number)).toHaveLength(1);
    const attempts = await stack.sql`SELECT outcome FROM purchase_order_attempts WHERE po_number = ${po.po_number} ORDER BY id`;
    expect(attempts.map((a) => a.outcome)).toContain('found_existing');
  } finally {
    killGroup(second.child, 'SIGTERM');
    await new Promise((r) => (second.child.exitCode !== null || second.child.signalCode ? r(null) : second.child.once('exit', r)));
  }
});
