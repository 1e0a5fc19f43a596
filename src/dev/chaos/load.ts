// The load of a chaos run, driven the way a dealer platform and the outside world would: dealers
// set up over the REST API, eBay orders at the eBay simulator, dropships started and confirmed
// (some with a swap), the distributor simulators told to ship (some in two parts), until each
// dropship says `completed`. Every API call survives the server, Temporal or Postgres being
// down: it is retried with backoff until the run's deadline (the contract makes a retried
// POST /v1/dropships with the same body safe).
import { randomUUID } from 'node:crypto';
import { purchaseOrderNumber } from '../../../workflows/decisions';
import { DEMO_CATALOG, demoDropshipBody } from '../demo';
import { mustUntil, send, sendUntil, sleep, transient, type Answer, type ApiServers } from './http';
import type { Random } from './random';
import { CHAOS_STOCK, DISTRIBUTORS, ordersFor, uploadedTracking, type Sandbox, type SimShipment, type Snapshot } from './sandbox';

export interface Dealer {
  tenantId: string;
  key: string;
}

/** The n-th dealer: the add-on on, accounts of its own at every distributor and eBay, the demo catalog. */
export async function createDealer(api: string, adminKey: string, sandbox: Sandbox, n: number, until: number): Promise<Dealer> {
  const o = { until };
  const accounts = await sandbox.openAccounts(n);
  const t = await mustUntil('POST', `${api}/v1/tenants`, { ...o, key: adminKey, body: { name: `Chaos Powersports ${randomUUID().slice(0, 8)}` } });
  await mustUntil('PUT', `${api}/v1/tenants/${t.id}/order-automation`, { ...o, key: adminKey, body: { enabled: true } });
  const key = t.apiKey as string;
  for (const code of DISTRIBUTORS) {
    const credentials = accounts[code as keyof typeof accounts];
    await mustUntil('PUT', `${api}/v1/connections/distributors/${code}`, { ...o, key, body: { ...credentials, baseUrl: sandbox.urls[code] } });
  }
  await mustUntil('PUT', `${api}/v1/connections/marketplaces/ebay`, { ...o, key, body: { ...accounts.ebay, baseUrl: sandbox.urls.ebay } });
  for (const item of DEMO_CATALOG) {
    const offers = item.offers.map((offer) => ({ ...offer, warehouses: Object.keys(offer.warehouses).map((code) => ({ code, quantity: CHAOS_STOCK })) }));
    await mustUntil('PUT', `${api}/v1/catalog/products/${encodeURIComponent(item.sku)}`, { ...o, key, body: { title: item.title, offers } });
  }
  return { tenantId: t.id, key };
}

/** How far a dropship got; the last one it reached is what the report shows for a stuck one. */
export type Phase = 'planned' | 'accepted' | 'confirmed' | 'ordered' | 'shipped' | 'uploaded' | 'completed';

export interface DropshipRun {
  pssOrderId: string;
  tenantId: string;
  ebayOrderId: string;
  /** Lines moved to another distributor at confirm. */
  swaps: { lineId: string; distributor: string }[];
  /** Shipped in two parts. */
  partial: boolean;
  phase: Phase;
  /** The API's answer to the create request, once accepted (200 or 201). */
  acceptedWith?: number;
  purchaseOrders: { distributor: string; poNumber: string }[];
  trackingNumbers: string[];
  /** The last answer that stopped it (a refusal, or what it waited on at the deadline). */
  lastAnswer?: Answer;
  problem?: string;
}

const SHIP_TO = demoDropshipBody().shipTo;

export interface DriveContext {
  /** One API server, or two of them in turn (the topology run). */
  api: ApiServers;
  sandbox: Sandbox;
  random: Random;
  /** Epoch ms: whatever has not completed by then is stuck. */
  deadline: number;
  /** Every dropship driven so far, in the order they started (progress and the final count read it). */
  runs: DropshipRun[];
}

/**
 * One dropship, start to `completed`; resolves with how far it got (never throws). Its first line
 * goes to the distributor whose turn it is (so every distributor gets orders); the other lines
 * stay with the default or, now and then, are swapped to another distributor that carries them.
 */
export async function driveDropship(ctx: DriveContext, dealer: Dealer, index: number, runTag: string): Promise<DropshipRun> {
  // every choice is drawn now, not after the API answers, so the seed alone decides them
  const { random } = ctx;
  const turn = DISTRIBUTORS[index % DISTRIBUTORS.length];
  const first = random.pick(DEMO_CATALOG.filter((item) => item.offers.some((o) => o.distributor === turn)));
  const rest = random.shuffle(DEMO_CATALOG.filter((item) => item !== first)).slice(0, random.int(0, DEMO_CATALOG.length - 1));
  const planned = [
    { item: first, distributor: turn as string | undefined },
    ...rest.map((item) => ({ item, distributor: random.next() < 0.4 ? random.pick(item.offers).distributor : undefined })),
  ];
  const lines = planned.map(({ item }, i) => ({
    lineId: `L${i + 1}`,
    marketplaceLineId: `${10_000_000 + index}${i + 1}`,
    sku: item.sku,
    quantity: random.int(1, 2),
  }));
  const run: DropshipRun = {
    pssOrderId: `CHAOS-${runTag}-${String(index).padStart(4, '0')}`,
    tenantId: dealer.tenantId,
    ebayOrderId: `14-${runTag}-${String(index).padStart(5, '0')}`,
    swaps: [],
    partial: random.next() < 0.35,
    phase: 'planned',
    purchaseOrders: [],
    trackingNumbers: [],
  };
  ctx.runs.push(run);
  let person: PersonWatch | undefined;
  try {
    await ctx.sandbox.must('POST', 'ebay', '/__control/orders', {
      orderId: run.ebayOrderId,
      lineItems: lines.map((l) => ({ lineItemId: l.marketplaceLineId, quantity: l.quantity, sku: l.sku })),
    });
    const body = { pssOrderId: run.pssOrderId, marketplace: { code: 'ebay', orderId: run.ebayOrderId }, shipTo: SHIP_TO, lines };
    const created = await sendUntil('POST', ctx.api.at('/v1/dropships'), { until: ctx.deadline, key: dealer.key, body });
    if (created.status !== 200 && created.status !== 201) return stopped(run, created, 'the create request was never accepted');
    run.phase = 'accepted';
    run.acceptedWith = created.status;

    const chosen = new Map<string, string>();
    for (const [i, line] of (created.body.lines as { lineId: string; candidates: { distributor: string }[]; selected: { distributor: string } }[]).entries()) {
      const wanted = planned[i].distributor;
      const swap = wanted && wanted !== line.selected.distributor && line.candidates.some((c) => c.distributor === wanted);
      if (swap) run.swaps.push({ lineId: line.lineId, distributor: wanted });
      chosen.set(line.lineId, swap ? wanted : line.selected.distributor);
    }
    const confirmed = await confirm(ctx, dealer, run);
    if (confirmed) return stopped(run, confirmed, 'the confirm was never accepted');
    run.phase = 'confirmed';
    person = watchForPerson(ctx, dealer, run.pssOrderId);

    for (const distributor of new Set(chosen.values())) {
      run.purchaseOrders.push({ distributor, poNumber: purchaseOrderNumber(dealer.tenantId, run.pssOrderId, distributor, 1) });
    }
    const shipped = await Promise.all(run.purchaseOrders.map((po) => shipPurchaseOrder(ctx, run, po, person!)));
    run.phase = 'shipped';
    run.trackingNumbers = shipped.flat();

    const all = await ctx.sandbox.until(
      ctx.deadline,
      (s) => {
        const up = uploadedTracking(s, run.ebayOrderId);
        return run.trackingNumbers.every((t) => up.has(t));
      },
      person.needed,
    );
    if (!all) throw new Error(waitedInVain(person, 'a tracking number never reached eBay'));
    run.phase = 'uploaded';

    const done = await sendUntil('GET', ctx.api.at(`/v1/dropships/${run.pssOrderId}`), {
      until: ctx.deadline,
      key: dealer.key,
      retryOn: (a) => transient(a) || (a.status === 200 && !['completed', 'needs_attention'].includes(a.body.status)),
      maxAttempts: 1000,
    });
    if (done.status !== 200 || done.body.status !== 'completed') return stopped(run, done, 'the dropship never said completed');
    run.phase = 'completed';
    return run;
  } catch (err) {
    return stopped(run, undefined, (err as Error).message);
  } finally {
    person?.end();
  }
}

interface PersonWatch {
  /** True once the dropship waits for a person: nothing the load does will move it on. */
  needed(): boolean;
  end(): void;
}

/**
 * Asks the API every few seconds whether the dropship now waits for a person (`needs_attention`).
 * The one repair a dealer can make from what the distributor shows them is played here too: after
 * a lost answer at Tucker (which cannot look orders up by PO) the PO waits with `duplicate_po`, and
 * the dealer reads the order number off their Tucker account (the simulator's control list) and
 * records it. Anything else that needs a person stays needed.
 */
function watchForPerson(ctx: DriveContext, dealer: Dealer, pssOrderId: string): PersonWatch {
  let needed = false;
  let ended = false;
  void (async () => {
    while (!ended && !needed && Date.now() < ctx.deadline) {
      await sleep(5000);
      const a = await send('GET', ctx.api.at(`/v1/dropships/${encodeURIComponent(pssOrderId)}`)(), { key: dealer.key });
      if (a.status !== 200 || a.body.status !== 'needs_attention') continue;
      const lost = (a.body.purchaseOrders as { poNumber: string; distributor: string; status: string; error?: { code: string } }[]).filter(
        (p) => p.status === 'needs_attention' && p.error?.code === 'duplicate_po' && p.distributor === 'tucker-rocky',
      );
      if (lost.length === 0) {
        needed = true;
        continue;
      }
      const snapshot = await ctx.sandbox.snapshot();
      for (const p of lost) {
        const [atTucker] = ordersFor(snapshot, 'tucker-rocky', p.poNumber);
        if (!atTucker) {
          needed = true;
          continue;
        }
        await send('POST', ctx.api.at(`/v1/purchase-orders/${p.poNumber}/retry`)(), { key: dealer.key, body: { distributorOrderId: atTucker.orderId } });
      }
    }
  })();
  return { needed: () => needed, end: () => (ended = true) };
}

/** Why a wait ended without what it waited for: a person is needed, or else `what` never happened. */
function waitedInVain(person: PersonWatch, what: string): string {
  return person.needed() ? 'it waits for a person (needs_attention)' : what;
}

function stopped(run: DropshipRun, answer: Answer | undefined, problem: string): DropshipRun {
  run.lastAnswer = answer;
  run.problem = problem;
  return run;
}

/**
 * Confirms. A 409 means the workflow took a confirm already (an earlier attempt whose answer was
 * lost) or is past it: then it waits until the dropship says it is no longer awaiting confirmation.
 * Undefined once confirmed; otherwise the answer that stopped it.
 */
async function confirm(ctx: DriveContext, dealer: Dealer, run: DropshipRun): Promise<Answer | undefined> {
  const path = `/v1/dropships/${run.pssOrderId}`;
  const body = { confirmedBy: 'chaos@dealer', ...(run.swaps.length ? { lines: run.swaps } : {}) };
  const confirmed = await sendUntil('POST', ctx.api.at(`${path}/confirm`), { until: ctx.deadline, key: dealer.key, body, timeoutMs: 60_000 });
  if (confirmed.status === 202) return undefined;
  if (confirmed.status !== 409) return confirmed;
  const seen = await sendUntil('GET', ctx.api.at(path), {
    until: ctx.deadline,
    key: dealer.key,
    retryOn: (a) => transient(a) || (a.status === 200 && a.body.status === 'awaiting_confirmation'),
    maxAttempts: 1000,
  });
  return seen.status === 200 && seen.body.status !== 'awaiting_confirmation' ? undefined : seen;
}

/**
 * Waits for the PO at its distributor, ships it (whole, or one unit first and the rest once the
 * first tracking number is on eBay) and resolves with its tracking numbers.
 */
async function shipPurchaseOrder(ctx: DriveContext, run: DropshipRun, po: { distributor: string; poNumber: string }, person: PersonWatch): Promise<string[]> {
  const { sandbox } = ctx;
  const until = <T>(fn: (s: Snapshot) => T | undefined | false) => sandbox.until(ctx.deadline, fn, person.needed);
  const shipments = (s: Snapshot): SimShipment[] => ordersFor(s, po.distributor, po.poNumber).flatMap((o) => o.shipments);
  const order = await until((s) => ordersFor(s, po.distributor, po.poNumber)[0]);
  if (!order) throw new Error(waitedInVain(person, `PO ${po.poNumber} never reached ${po.distributor}`));
  run.phase = 'ordered';
  const ship = (lines?: { sku: string; quantity: number }[]) =>
    sandbox.must('POST', po.distributor, `/__control/orders/${encodeURIComponent(po.poNumber)}/ship`, lines ? { lines } : {});
  const units = order.lines.reduce((n, l) => n + l.quantity, 0);
  if (run.partial && units > 1) {
    await ship([{ sku: order.lines[0].sku, quantity: 1 }]);
    const first = await until((s) => {
      const t = shipments(s)[0]?.trackingNumber;
      return t && uploadedTracking(s, run.ebayOrderId).has(t) && t;
    });
    if (!first) throw new Error(waitedInVain(person, `the first tracking number of PO ${po.poNumber} never reached eBay`));
  }
  await ship();
  const all = await until((s) => {
    const list = shipments(s);
    const shippedUnits = list.flatMap((x) => x.lines).reduce((n, l) => n + l.quantity, 0);
    return shippedUnits >= units && list.map((x) => x.trackingNumber);
  });
  if (!all) throw new Error(`PO ${po.poNumber} was told to ship, and ${po.distributor} never showed it shipped`);
  return all;
}

/** What the API says about a dropship at the end (retried through a last outage). */
export function finalView(api: string, dealer: Dealer, pssOrderId: string, until: number): Promise<Answer> {
  return sendUntil('GET', `${api}/v1/dropships/${encodeURIComponent(pssOrderId)}`, { until, key: dealer.key });
}
