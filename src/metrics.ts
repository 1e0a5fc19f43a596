// Every Prometheus metric of ours, in one place. Labels stay bounded (distributor, marketplace,
// API, operation, status, refusal code, outcome class): never an order id, a PO number or a
// tenant, so a series count does not grow with the business and no dealer data leaves by a scrape.
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { Sql } from './db';
import type { CallRecord } from './http';

/** External calls: recorded by the call log in whichever process makes them (worker or API). */
export const callMetrics = new Registry();
/** What the dropship activities do: emitted in the worker only. */
export const activityMetrics = new Registry();

export const externalCallDuration = new Histogram({
  name: 'dropship_external_call_duration_seconds',
  help: 'Latency of each distributor and marketplace API call, by API, operation and outcome class',
  labelNames: ['api', 'operation', 'outcome'] as const,
  buckets: [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60],
  registers: [callMetrics],
});

export const externalCallErrors = new Counter({
  name: 'dropship_external_call_errors_total',
  help: 'Distributor and marketplace API calls that did not answer 2xx/3xx, by API, operation and outcome class',
  labelNames: ['api', 'operation', 'outcome'] as const,
  registers: [callMetrics],
});

export const purchaseOrdersPlaced = new Counter({
  name: 'dropship_purchase_orders_placed_total',
  help: 'POs the distributor acknowledged; via=found_existing when an earlier attempt placed it and its answer was lost',
  labelNames: ['distributor', 'via'] as const,
  registers: [activityMetrics],
});

export const purchaseOrdersRefused = new Counter({
  name: 'dropship_purchase_orders_refused_total',
  help: 'PO attempts the distributor refused for good (a person must act), by refusal code',
  labelNames: ['distributor', 'code'] as const,
  registers: [activityMetrics],
});

export const confirmToAck = new Histogram({
  name: 'dropship_confirm_to_ack_seconds',
  help: "Time from the dealer's confirm to the distributor's acknowledgement of a PO",
  labelNames: ['distributor'] as const,
  buckets: [1, 2, 5, 10, 30, 60, 120, 300, 900, 3600, 14_400, 86_400],
  registers: [activityMetrics],
});

export const shipToTracking = new Histogram({
  name: 'dropship_ship_to_tracking_seconds',
  help: 'Time from shipment at the distributor to its tracking number on the marketplace',
  labelNames: ['marketplace'] as const,
  buckets: [5, 30, 60, 300, 900, 1800, 3600, 7200, 14_400, 43_200, 86_400, 172_800, 604_800],
  registers: [activityMetrics],
});

export type UploadOutcome = 'uploaded' | 'already_uploaded' | 'refused' | 'failed';

export const trackingUploads = new Counter({
  name: 'dropship_tracking_uploads_total',
  help: 'Tracking upload attempts by marketplace and outcome (refused: a person must act; failed: retried)',
  labelNames: ['marketplace', 'outcome'] as const,
  registers: [activityMetrics],
});

/**
 * The outcome class of one recorded call. Failures are told apart by the prefix src/http.ts
 * writes into CallRecord.error (`<code>: <message>`).
 */
export function callOutcome(r: Pick<CallRecord, 'status' | 'error'>): string {
  if (r.error) {
    const code = r.error.slice(0, r.error.indexOf(':'));
    if (code === 'destination_refused' || code === 'aborted') return 'not_sent';
    if (code === 'response_too_large') return 'too_large';
    if (code === 'ETIMEDOUT' || code === 'ABORTED') return 'timeout';
    return 'network_error';
  }
  const s = r.status ?? 0;
  if (s >= 200 && s < 400) return 'ok';
  if (s === 429) return 'throttled';
  return s >= 500 ? 'server_error' : 'client_error';
}

/** Records one external call's latency, and its error when it had one. */
export function observeCall(r: CallRecord, operation: string | undefined): void {
  const labels = { api: r.target, operation: operation ?? r.method, outcome: callOutcome(r) };
  externalCallDuration.observe(labels, r.durationMs / 1000);
  if (labels.outcome !== 'ok') externalCallErrors.inc(labels);
}

/** Seconds since an ISO time, or undefined when the text is not a time (never negative: clocks differ). */
function secondsSince(iso: string | Date | undefined, now = Date.now()): number | undefined {
  const t = iso === undefined ? NaN : new Date(iso).getTime();
  return Number.isFinite(t) ? Math.max(0, (now - t) / 1000) : undefined;
}

/** Confirm → acknowledged by the distributor, from the confirm time the dropship passes with the PO. */
export function observeConfirmToAck(po: { distributor: string; confirmedAt?: string }): void {
  const seconds = secondsSince(po.confirmedAt);
  if (seconds !== undefined) confirmToAck.observe({ distributor: po.distributor }, seconds);
}

/** Counts one upload attempt; `shippedAt` is given when the tracking is now known to be on the marketplace. */
export function recordUpload(marketplace: string, outcome: UploadOutcome, shippedAt?: string): void {
  trackingUploads.inc({ marketplace, outcome });
  const seconds = shippedAt === undefined ? undefined : secondsSince(shippedAt);
  if (seconds !== undefined) shipToTracking.observe({ marketplace }, seconds);
}

/**
 * The dropship count per status, read from Postgres on every scrape of the API server. Every
 * known status is reported (0 when none), so a status that empties out reads 0 instead of vanishing.
 */
export function dropshipStatusMetrics(sql: Sql, statuses: readonly string[]): Registry {
  const registry = new Registry();
  new Gauge({
    name: 'dropship_dropships',
    help: 'Dropships by status (all dealers; read from Postgres at scrape time)',
    labelNames: ['status'] as const,
    registers: [registry],
    async collect() {
      const rows = await sql`SELECT status, count(*)::int AS n FROM dropships GROUP BY status`;
      const counts = new Map(rows.map((r) => [r.status as string, r.n as number]));
      this.reset();
      for (const status of new Set([...statuses, ...counts.keys()])) this.set({ status }, counts.get(status) ?? 0);
    },
  });
  return registry;
}

const processRegistries = new Map<string, Registry>();

/** Node's process metrics (CPU, memory, event loop, GC) labelled `process="api"` or `"worker"`. */
export function processMetrics(role: 'api' | 'worker'): Registry {
  let registry = processRegistries.get(role);
  if (!registry) {
    registry = new Registry();
    collectDefaultMetrics({ register: registry, labels: { process: role } });
    processRegistries.set(role, registry);
  }
  return registry;
}

export const PROMETHEUS_CONTENT_TYPE = Registry.PROMETHEUS_CONTENT_TYPE;

/** The text exposition of several registries (their metric names never overlap), plus any extra text. */
export async function exposition(registries: Registry[], extra = ''): Promise<string> {
  const texts = await Promise.all(registries.map((r) => r.metrics()));
  return [...texts, extra].filter((t) => t.trim()).map((t) => (t.endsWith('\n') ? t : `${t}\n`)).join('');
}
