// The count at the end of a chaos run: what the outside world holds (orders per PO at each
// distributor, uploads per tracking number at eBay) and what became of every dropship, from
// the API, Temporal and Postgres. Nothing lost, nothing duplicated is the bar.
import { Connection, Client, WorkflowNotFoundError } from '@temporalio/client';
import { createSql } from '../../db';
import { dropshipWorkflowId } from '../../../workflows/messages';
import type { FaultStats, KillRecord } from './faults';
import { finalView, type Dealer, type DropshipRun, type Phase } from './load';
import type { Snapshot } from './sandbox';
import type { UnplannedExit } from './supervisor';

export interface DistributorCount {
  orders: number;
  poNumbers: number;
  /** How many PO numbers hold 1, 2, … orders. */
  ordersPerPo: Record<string, number>;
  duplicates: { poNumber: string; orders: number }[];
}

export interface MarketplaceCount {
  uploads: number;
  trackingNumbers: number;
  uploadsPerTrackingNumber: Record<string, number>;
  duplicates: { trackingNumber: string; uploads: number }[];
  /** Shipped by a distributor, never uploaded (`waitsForPerson`: its PO is parked for a person, so its tracking is not pulled). */
  missing: { trackingNumber: string; distributor: string; poNumber: string; waitsForPerson?: true }[];
}

export interface DropshipProblem {
  pssOrderId: string;
  tenantId: string;
  /** How far the load driver got with it. */
  phase: Phase;
  problem?: string;
  /** The API's last word on it (status code, and its status when it answered). */
  api: { status: number; dropshipStatus?: string };
  inTemporal: boolean | 'unknown';
  inPostgres: boolean;
  purchaseOrders?: { poNumber: string; distributor: string; status: string; error?: unknown }[];
  lastEvents?: string[];
  lastAnswer?: unknown;
}

export interface ChaosReport {
  startedAt: string;
  finishedAt: string;
  options: { dropships: number; minutes: number; seed: number; dealers: number; killRounds: number; topology?: boolean };
  dropships: { requested: number; started: number; completed: number; waitingForPerson: number; stuck: number; lost: number; neverAccepted: number };
  /** Not completed because a PO or an upload waits for a person (`needs_attention`), with the reason. */
  waitingForPerson: DropshipProblem[];
  stuck: DropshipProblem[];
  lost: DropshipProblem[];
  neverAccepted: DropshipProblem[];
  distributors: Record<string, DistributorCount>;
  marketplace: { ebay: MarketplaceCount };
  kills: KillRecord[];
  unplannedExits: UnplannedExit[];
  faults: FaultStats;
  /** Why the run counts as failed (lost or duplicated); empty when it passed. */
  failures: string[];
}

function histogram(counts: Iterable<number>): Record<string, number> {
  const h: Record<string, number> = {};
  for (const n of counts) h[n] = (h[n] ?? 0) + 1;
  return h;
}

function countBy<T>(items: T[], key: (t: T) => string): Map<string, number> {
  const m = new Map<string, number>();
  for (const it of items) m.set(key(it), (m.get(key(it)) ?? 0) + 1);
  return m;
}

export function countDistributors(s: Snapshot): Record<string, DistributorCount> {
  const out: Record<string, DistributorCount> = {};
  for (const [code, orders] of Object.entries(s.orders)) {
    const perPo = countBy(orders, (o) => o.poNumber);
    out[code] = {
      orders: orders.length,
      poNumbers: perPo.size,
      ordersPerPo: histogram(perPo.values()),
      duplicates: [...perPo].filter(([, n]) => n > 1).map(([poNumber, n]) => ({ poNumber, orders: n })),
    };
  }
  return out;
}

export function countUploads(s: Snapshot): MarketplaceCount {
  const uploads = s.ebay.flatMap((o) => o.fulfillments.map((f) => f.shipmentTrackingNumber ?? f.fulfillmentId));
  const perTracking = countBy(uploads, (t) => t);
  const missing = Object.entries(s.orders).flatMap(([distributor, orders]) =>
    orders.flatMap((o) =>
      o.shipments.filter((x) => x.trackingNumber && !perTracking.has(x.trackingNumber)).map((x) => ({ trackingNumber: x.trackingNumber, distributor, poNumber: o.poNumber })),
    ),
  );
  return {
    uploads: uploads.length,
    trackingNumbers: perTracking.size,
    uploadsPerTrackingNumber: histogram(perTracking.values()),
    duplicates: [...perTracking].filter(([, n]) => n > 1).map(([trackingNumber, n]) => ({ trackingNumber, uploads: n })),
    missing,
  };
}

/** Whether Temporal still knows the workflow; 'unknown' when Temporal itself did not answer. */
async function inTemporal(client: Client, run: DropshipRun): Promise<boolean | 'unknown'> {
  try {
    await client.workflow.getHandle(dropshipWorkflowId(run.tenantId, run.pssOrderId)).describe();
    return true;
  } catch (err) {
    return err instanceof WorkflowNotFoundError ? false : 'unknown';
  }
}

export interface CensusInput {
  runs: DropshipRun[];
  dealers: Map<string, Dealer>;
  api: string;
  temporalAddress: string;
  databaseUrl: string;
  /** Epoch ms: how long the last look at each dropship may keep retrying. */
  until: number;
}

/** Every dropship's fate, by the API, Temporal and Postgres. */
export async function countDropships(c: CensusInput): Promise<Pick<ChaosReport, 'dropships' | 'waitingForPerson' | 'stuck' | 'lost' | 'neverAccepted'>> {
  const sql = createSql(c.databaseUrl, { max: 2 });
  const connection = await Connection.connect({ address: c.temporalAddress });
  const client = new Client({ connection });
  const waitingForPerson: DropshipProblem[] = [];
  const stuck: DropshipProblem[] = [];
  const lost: DropshipProblem[] = [];
  const neverAccepted: DropshipProblem[] = [];
  let completed = 0;
  try {
    const rows = await sql`SELECT tenant_id, pss_order_id FROM dropships`;
    const stored = new Set(rows.map((r) => `${r.tenant_id}/${r.pss_order_id}`));
    for (const run of c.runs) {
      const view = await finalView(c.api, c.dealers.get(run.tenantId)!, run.pssOrderId, c.until);
      const problem: DropshipProblem = {
        pssOrderId: run.pssOrderId,
        tenantId: run.tenantId,
        phase: run.phase,
        ...(run.problem ? { problem: run.problem } : {}),
        api: { status: view.status, ...(view.status === 200 ? { dropshipStatus: view.body.status } : {}) },
        inTemporal: await inTemporal(client, run),
        inPostgres: stored.has(`${run.tenantId}/${run.pssOrderId}`),
        ...(view.status === 200
          ? {
              purchaseOrders: view.body.purchaseOrders.map((p: any) => ({ poNumber: p.poNumber, distributor: p.distributor, status: p.status, ...(p.error ? { error: p.error } : {}) })),
              lastEvents: view.body.events.slice(-5).map((e: any) => `${e.at} ${e.type}: ${e.message}`),
            }
          : { lastAnswer: view.body }),
      };
      if (run.acceptedWith === undefined) {
        neverAccepted.push({ ...problem, ...(run.lastAnswer ? { lastAnswer: run.lastAnswer } : {}) });
      } else if (view.status === 404 || (problem.inTemporal === false && !problem.inPostgres)) {
        lost.push(problem);
      } else if (problem.api.dropshipStatus === 'completed') {
        completed += 1;
      } else if (problem.api.dropshipStatus === 'needs_attention') {
        waitingForPerson.push(problem);
      } else {
        stuck.push({ ...problem, ...(run.lastAnswer ? { lastAnswer: run.lastAnswer } : {}) });
      }
    }
  } finally {
    await connection.close();
    await sql.end({ timeout: 5 });
  }
  const started = c.runs.filter((r) => r.acceptedWith !== undefined).length;
  return {
    dropships: {
      requested: c.runs.length,
      started,
      completed,
      waitingForPerson: waitingForPerson.length,
      stuck: stuck.length,
      lost: lost.length,
      neverAccepted: neverAccepted.length,
    },
    waitingForPerson,
    stuck,
    lost,
    neverAccepted,
  };
}

/** Marks the missing uploads whose PO waits for a person: the engine cannot pull their tracking yet. */
export function markParked(missing: MarketplaceCount['missing'], waiting: DropshipProblem[]): void {
  const parked = new Set(waiting.flatMap((w) => (w.purchaseOrders ?? []).filter((p) => p.status === 'needs_attention').map((p) => p.poNumber)));
  for (const m of missing) if (parked.has(m.poNumber)) m.waitsForPerson = true;
}

/** Lost or duplicated: what makes the run fail. */
export function failuresOf(r: Pick<ChaosReport, 'dropships' | 'distributors' | 'marketplace'>): string[] {
  const failures: string[] = [];
  if (r.dropships.lost) failures.push(`${r.dropships.lost} dropship(s) lost`);
  for (const [code, d] of Object.entries(r.distributors)) {
    if (d.duplicates.length) failures.push(`${d.duplicates.length} PO number(s) with more than one order at ${code}`);
  }
  const ebay = r.marketplace.ebay;
  if (ebay.duplicates.length) failures.push(`${ebay.duplicates.length} tracking number(s) uploaded more than once to eBay`);
  return failures;
}

export function formatReport(r: ChaosReport): string {
  const d = r.dropships;
  const lines = [
    `Chaos run ${r.startedAt} → ${r.finishedAt} (seed ${r.options.seed}, ${r.options.dealers} dealers)`,
    ...(r.options.topology ? ['topology: Temporal server on Postgres, 2 workers, 2 API servers'] : []),
    `Dropships: ${d.requested} requested, ${d.started} started, ${d.completed} completed, ${d.waitingForPerson} waiting for a person, ${d.stuck} stuck, ${d.lost} lost, ${d.neverAccepted} never accepted`,
    'Orders per PO at each distributor:',
    ...Object.entries(r.distributors).map(
      ([code, c]) => `  ${code.padEnd(16)} ${c.orders} orders, ${c.poNumbers} PO numbers, orders per PO ${JSON.stringify(c.ordersPerPo)}, duplicates ${c.duplicates.length}`,
    ),
    `Uploads per tracking number at eBay: ${r.marketplace.ebay.uploads} uploads, ${r.marketplace.ebay.trackingNumbers} tracking numbers, ${JSON.stringify(r.marketplace.ebay.uploadsPerTrackingNumber)}, duplicates ${r.marketplace.ebay.duplicates.length}, missing ${r.marketplace.ebay.missing.length} (${r.marketplace.ebay.missing.filter((m) => m.waitsForPerson).length} of them on POs waiting for a person)`,
    `Kills: ${[...countBy(r.kills, (k) => k.process)].map(([p, n]) => `${p} ×${n}`).join(', ') || 'none'}; processes that died on their own: ${r.unplannedExits.length}`,
    `Faults injected: ${r.faults.injected} ${JSON.stringify(r.faults.byType)}`,
  ];
  const why = (p: DropshipProblem) =>
    p.purchaseOrders
      ?.filter((po) => po.error)
      .map((po) => `${po.poNumber} ${(po.error as { code?: string }).code}`)
      .join(', ') || p.problem || '';
  for (const [what, list] of [['Waiting for a person', r.waitingForPerson], ['Stuck', r.stuck], ['Lost', r.lost], ['Never accepted', r.neverAccepted]] as const) {
    for (const p of list.slice(0, 20)) {
      lines.push(`  ${what}: ${p.pssOrderId} (reached ${p.phase}; API ${p.api.status} ${p.api.dropshipStatus ?? ''}; Temporal ${p.inTemporal}; Postgres ${p.inPostgres}) ${why(p)}`);
    }
    if (list.length > 20) lines.push(`  … and ${list.length - 20} more ${what.toLowerCase()} (see the JSON report)`);
  }
  lines.push(r.failures.length ? `FAILED: ${r.failures.join('; ')}` : 'Nothing lost, nothing duplicated.');
  return lines.join('\n');
}
