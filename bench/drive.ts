// The load: dealers set up over the REST API, dropships driven end to end the way a dealer
// platform and the outside world would (REST start and confirm, the distributor ships through its
// simulator's control route), and the floors driven straight through the Temporal client.
import type { Client } from '@temporalio/client';
import { send, sleep } from '../src/dev/chaos/http';
import { DEMO_CATALOG, demoDropshipBody, marketplaceOrder } from '../src/dev/demo';
import { purchaseOrderNumber } from '../workflows/decisions';
import { dropshipWorkflowId, SA } from '../workflows/messages';
import { FLOOR_TASK_QUEUE } from './floor-worker';
import { floorConfirm, floorSignal } from './floor-workflows';
import type { Step } from './shape';
import type { BenchStack } from './stack';
import type { SimulatorTap } from './tap';

/** One line, one PO: the helmet, which only WPS offers here, to an eBay order. */
const ITEM = DEMO_CATALOG.find((i) => i.sku === 'HELMET-BELL-QUALIFIER-M')!;
const OFFER = ITEM.offers.find((o) => o.distributor === 'wps')!;
const STOCK = 10_000_000;
const SHIP_TO = demoDropshipBody().shipTo;

export interface Dealer {
  tenantId: string;
  key: string;
}

async function must(method: string, url: string, body: unknown, key: string): Promise<any> {
  const a = await send(method, url, { body, key });
  if (a.status < 200 || a.status >= 300) throw new Error(`${method} ${url} → ${a.status} ${JSON.stringify(a.body).slice(0, 300)}`);
  return a.body;
}

export function stockTheSimulators(stack: BenchStack): void {
  stack.wps.putItem(OFFER.distributorSku, { price: OFFER.unitCost, dropShipFee: OFFER.dropshipFee, warehouses: Object.fromEntries(Object.keys(OFFER.warehouses).map((w) => [w, STOCK])) });
}

/** The n-th dealer: accounts of its own at WPS and eBay (so a request budget of its own), the helmet in its catalog. */
export async function createDealer(stack: BenchStack, n: number): Promise<Dealer> {
  const wpsToken = `benchWpsToken${String(n).padStart(27, '0')}`;
  const ebayToken = `bench-ebay-user-token-${n}`;
  stack.wps.addAccount({ apiToken: wpsToken });
  stack.ebay.addToken({ token: ebayToken });
  const t = await must('POST', `${stack.nextApi()}/v1/tenants`, { name: `Bench Powersports ${n}` }, stack.adminKey);
  await must('PUT', `${stack.nextApi()}/v1/tenants/${t.id}/order-automation`, { enabled: true }, stack.adminKey);
  const key = t.apiKey as string;
  await must('PUT', `${stack.nextApi()}/v1/connections/distributors/wps`, { apiToken: wpsToken, baseUrl: stack.wpsUrl }, key);
  await must('PUT', `${stack.nextApi()}/v1/connections/marketplaces/ebay`, { accessToken: ebayToken, baseUrl: stack.ebayUrl }, key);
  const offer = { ...OFFER, warehouses: Object.keys(OFFER.warehouses).map((code) => ({ code, quantity: STOCK })) };
  await must('PUT', `${stack.nextApi()}/v1/catalog/products/${encodeURIComponent(ITEM.sku)}`, { title: ITEM.title, offers: [offer] }, key);
  return { tenantId: t.id, key };
}

/** What one run of a dropship or a floor workflow gave. */
export interface Sample {
  workflowId: string;
  ms: number;
  error?: string;
  confirmToOrderMs?: number;
  shipToTrackingMs?: number;
}

export interface DriveContext {
  stack: BenchStack;
  tap: SimulatorTap;
  client: Client;
  timeoutMs: number;
}

function withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout;
  return Promise.race([p, new Promise<T>((_, reject) => (timer = setTimeout(() => reject(new Error(`${what} took over ${ms} ms`)), ms)))]).finally(() => clearTimeout(timer));
}

let orderSeq = 0;

/**
 * One dropship through the REST API: start, confirm, and, unless `ship` is false (an open PO is
 * wanted), the distributor ships it and it runs to `completed`.
 */
export async function driveDropship(ctx: DriveContext, dealer: Dealer, pssOrderId: string, ship = true): Promise<Sample> {
  const { stack, tap } = ctx;
  const workflowId = dropshipWorkflowId(dealer.tenantId, pssOrderId);
  const started = Date.now();
  const sample: Sample = { workflowId, ms: 0 };
  try {
    const order = marketplaceOrder('ebay', ++orderSeq, [{ sku: ITEM.sku, quantity: 1 }]);
    stack.ebay.upsertOrder({ orderId: order.orderId, lineItems: [{ lineItemId: order.lineIds[0], quantity: 1, sku: ITEM.sku }] });
    const body = {
      pssOrderId,
      marketplace: { code: 'ebay', orderId: order.orderId },
      shipTo: SHIP_TO,
      lines: [{ lineId: 'L1', marketplaceLineId: order.lineIds[0], sku: ITEM.sku, quantity: 1 }],
    };
    const created = await send('POST', `${stack.nextApi()}/v1/dropships`, { key: dealer.key, body, timeoutMs: ctx.timeoutMs });
    if (created.status !== 201) throw new Error(`create → ${created.status} ${JSON.stringify(created.body).slice(0, 200)}`);
    const confirmAt = Date.now();
    const confirmed = await send('POST', `${stack.nextApi()}/v1/dropships/${pssOrderId}/confirm`, { key: dealer.key, body: { confirmedBy: 'bench' }, timeoutMs: ctx.timeoutMs });
    if (confirmed.status !== 202) throw new Error(`confirm → ${confirmed.status} ${JSON.stringify(confirmed.body).slice(0, 200)}`);
    const poNumber = purchaseOrderNumber(dealer.tenantId, pssOrderId, 'wps', 1);
    sample.confirmToOrderMs = (await tap.ordered.wait(poNumber, ctx.timeoutMs, 'order at WPS for PO')) - confirmAt;
    if (!ship) return sample;

    const shipAt = Date.now();
    await shipAtWps(stack, poNumber);
    sample.shipToTrackingMs = (await tap.uploaded.wait(order.orderId, ctx.timeoutMs, 'tracking on eBay for order')) - shipAt;
    await withTimeout(ctx.client.workflow.getHandle(workflowId).result(), ctx.timeoutMs, `dropship ${pssOrderId}`);
    const done = await send('GET', `${stack.nextApi()}/v1/dropships/${pssOrderId}`, { key: dealer.key });
    if (done.body?.status !== 'completed') throw new Error(`dropship ${pssOrderId} ended ${done.status} ${done.body?.status}`);
  } catch (err) {
    sample.error = (err as Error).message;
  } finally {
    sample.ms = Date.now() - started;
  }
  return sample;
}

/** The order is committed a moment after the tap sees it arrive: a 404 is tried again. */
async function shipAtWps(stack: BenchStack, poNumber: string): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    const a = await send('POST', `${stack.wpsUrl}/__control/orders/${encodeURIComponent(poNumber)}/ship`, { body: {} });
    if (a.status >= 200 && a.status < 300) return;
    if (a.status !== 404 || attempt >= 200) throw new Error(`ship ${poNumber} → ${a.status} ${JSON.stringify(a.body).slice(0, 200)}`);
    await sleep(10);
  }
}

export type FloorKind = 'sameSteps' | 'minimal';

/** One floor workflow: started, its updates and signals sent as a dropship's would be, run to its end. */
export async function driveFloor(ctx: DriveContext, kind: FloorKind, steps: Step[], workflowId: string): Promise<Sample> {
  const started = Date.now();
  const sample: Sample = { workflowId, ms: 0 };
  try {
    const handle = await ctx.client.workflow.start(kind === 'sameSteps' ? 'sameStepsFloor' : 'minimalFloor', {
      taskQueue: FLOOR_TASK_QUEUE,
      workflowId,
      args: kind === 'sameSteps' ? [steps] : [],
      // what a dropship starts with
      typedSearchAttributes: [
        { key: SA.orderId, value: workflowId },
        { key: SA.tenant, value: 'bench-floor' },
        { key: SA.status, value: 'awaiting_confirmation' },
        { key: SA.marketplace, value: 'ebay' },
      ],
    });
    const updates = kind === 'sameSteps' ? steps.reduce((n, s) => n + s.updates, 0) : 1;
    const signals = kind === 'sameSteps' ? steps.reduce((n, s) => n + s.signals, 0) : 0;
    for (let i = 0; i < updates; i++) await handle.executeUpdate(floorConfirm);
    for (let i = 0; i < signals; i++) await handle.signal(floorSignal);
    await withTimeout(handle.result(), ctx.timeoutMs, `floor ${workflowId}`);
  } catch (err) {
    sample.error = (err as Error).message;
  } finally {
    sample.ms = Date.now() - started;
  }
  return sample;
}

/** Runs `total` jobs, `concurrency` at a time, each lane taking the next one as it finishes. */
export async function closedLoop<T>(concurrency: number, total: number, job: (i: number) => Promise<T>): Promise<T[]> {
  const out: T[] = [];
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(concurrency, total) }, async () => {
      while (next < total) {
        const i = next++;
        out[i] = await job(i);
      }
    }),
  );
  return out;
}
