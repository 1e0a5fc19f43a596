// What a measured stretch comes to (per dropship or per floor run), and the tables printed from it.
import type { Sample } from './drive';
import type { Counters } from './measure';
import type { Step } from './shape';
import { fmt, formatRatioTable, formatTable, mean, percentile, type FigureRow } from './stats';

export interface Spread {
  p50?: number;
  p99?: number;
}

export interface PhaseResult {
  label: string;
  concurrency: number;
  runs: number;
  failed: number;
  /** The first few failures, as said. */
  errors: string[];
  seconds: number;
  perSecond: number;
  latencyMs: Spread;
  confirmToOrderMs?: Spread;
  shipToTrackingMs?: Spread;
  /** Per successful run. */
  per: {
    workerCpuMs: number;
    temporalCpuMs: number;
    postgresCpuMs: number;
    apiCpuMs: number;
    statements: number;
    writes: number;
    rowsWritten: number;
    workflowTasks: number;
    activityTasks: number;
    distributorCalls: number;
    historyEvents?: number;
  };
  /** The statements that ran most, per successful run, first line of each query (engine phases). */
  topStatements?: { query: string; perRun: number }[];
}

export interface OpenPoResult {
  openPos: number;
  intervalSeconds: number;
  /** Over one tracking interval. */
  distributorCalls: number;
  statements: number;
  writes: number;
  workflowTasks: number;
  activityTasks: number;
  workerCpuSeconds: number;
  temporalCpuSeconds: number;
  postgresCpuSeconds: number;
}

export interface BenchResults {
  at: string;
  quick: boolean;
  cores: number;
  settings: {
    pollInterval: string;
    openPoPollInterval: string;
    dealers: number;
    levels: number[];
    statementsSource: string;
  };
  /** The calibration dropship's history: event counts and the steps the same-steps floor mirrors. */
  shape: { eventCounts: Record<string, number>; totals: Step; steps: Step[] };
  throughput: { concurrency: number; oneDealer: PhaseResult; manyDealers: PhaseResult; sameSteps: PhaseResult; minimal: PhaseResult }[];
  openPos: OpenPoResult[];
}

const spread = (values: number[]): Spread => ({ p50: percentile(values, 50), p99: percentile(values, 99) });

/** One measured stretch: the samples it ran, the counters it moved, which worker did the work. */
export function summarize(label: string, concurrency: number, samples: Sample[], d: Counters, worker: 'worker' | 'floorWorker', historyEvents?: number): PhaseResult {
  const ok = samples.filter((s) => !s.error);
  const n = Math.max(1, ok.length);
  const defined = (xs: (number | undefined)[]) => xs.filter((x): x is number => x !== undefined);
  const c2o = defined(ok.map((s) => s.confirmToOrderMs));
  const s2t = defined(ok.map((s) => s.shipToTrackingMs));
  return {
    label,
    concurrency,
    runs: samples.length,
    failed: samples.length - ok.length,
    errors: samples.filter((s) => s.error).slice(0, 3).map((s) => s.error!),
    seconds: d.at / 1000,
    perSecond: ok.length / (d.at / 1000),
    latencyMs: spread(ok.map((s) => s.ms)),
    ...(c2o.length ? { confirmToOrderMs: spread(c2o) } : {}),
    ...(s2t.length ? { shipToTrackingMs: spread(s2t) } : {}),
    per: {
      workerCpuMs: (d.cpu[worker] * 1000) / n,
      temporalCpuMs: (d.cpu.temporal * 1000) / n,
      postgresCpuMs: (d.cpu.postgres * 1000) / n,
      apiCpuMs: (d.cpu.api * 1000) / n,
      statements: d.statements / n,
      writes: d.writes / n,
      rowsWritten: d.rowsWritten / n,
      workflowTasks: d.workflowTasks / n,
      activityTasks: d.activityTasks / n,
      distributorCalls: d.distributorCalls / n,
      historyEvents,
    },
    ...(worker === 'worker'
      ? {
          topStatements: Object.entries(d.byQuery)
            .sort((a, b) => b[1] - a[1])
            .slice(0, 16)
            .map(([query, calls]) => ({ query: query.replace(/\s+/g, ' ').slice(0, 110), perRun: calls / n })),
        }
      : {}),
  };
}

/** Mean event count of the sampled histories. */
export function meanEvents(histories: unknown[][]): number | undefined {
  return mean(histories.map((h) => h.length));
}

function throughputTable(t: BenchResults['throughput'][number], dealers: number): string {
  const engines = [t.oneDealer, t.manyDealers];
  const row = (figure: string, get: (p: PhaseResult) => number | undefined, floors = true): FigureRow => ({
    figure,
    engine: engines.map(get),
    ...(floors ? { sameSteps: get(t.sameSteps), minimal: get(t.minimal) } : {}),
  });
  return formatRatioTable({
    title: `${t.concurrency} concurrent`,
    engines: ['engine, 1 dealer', `engine, ${dealers} dealers`],
    rows: [
      row('dropships (floor runs) per second', (p) => p.perSecond),
      row('end to end p50, ms', (p) => p.latencyMs.p50),
      row('end to end p99, ms', (p) => p.latencyMs.p99),
      row('confirm → order at WPS p50, ms', (p) => p.confirmToOrderMs?.p50, false),
      row('confirm → order at WPS p99, ms', (p) => p.confirmToOrderMs?.p99, false),
      row('shipment → tracking on eBay p50, ms', (p) => p.shipToTrackingMs?.p50, false),
      row('shipment → tracking on eBay p99, ms', (p) => p.shipToTrackingMs?.p99, false),
      row('worker CPU per run, ms', (p) => p.per.workerCpuMs),
      row('Temporal server CPU per run, ms', (p) => p.per.temporalCpuMs),
      row('Postgres CPU per run, ms', (p) => p.per.postgresCpuMs, false),
      row('API server CPU per run, ms', (p) => p.per.apiCpuMs, false),
      row('Postgres statements per run', (p) => p.per.statements, false),
      row('Postgres write statements per run', (p) => p.per.writes, false),
      row('Postgres rows written per run', (p) => p.per.rowsWritten, false),
      row('workflow tasks per run', (p) => p.per.workflowTasks),
      row('activity tasks per run', (p) => p.per.activityTasks),
      row('history events per run', (p) => p.per.historyEvents),
      row('distributor calls per run', (p) => p.per.distributorCalls, false),
      row('failed runs', (p) => p.failed),
    ],
  });
}

export function renderReport(r: BenchResults): string {
  const s = r.settings;
  const parts = [
    `## npm run bench${r.quick ? ' (BENCH_QUICK)' : ''}, ${r.at}, ${r.cores} cores`,
    '',
    `One-line dropships (a helmet from WPS, sold on eBay), tracking poll every ${s.pollInterval}; "÷" columns are the engine's figure divided by the floor's (for throughput higher is better, for costs lower). ` +
      `Statements: ${s.statementsSource}. CPU: utime+stime of each process tree from /proc.`,
    '',
    formatTable('The dropship the same-steps floor mirrors', ['', ...Object.keys(r.shape.totals)], [['per dropship', ...Object.values(r.shape.totals)]]),
    '',
    ...r.throughput.flatMap((t) => [throughputTable(t, s.dealers), '']),
    formatTable(
      `One tracking interval with open POs (confirmed, not shipped; interval ${s.openPoPollInterval}, spread over ${s.dealers} dealers)`,
      ['open POs', 'distributor calls', 'statements', 'write statements', 'workflow tasks', 'activity tasks', 'worker CPU, s', 'Temporal CPU, s', 'Postgres CPU, s', 'per PO: calls · statements · workflow tasks'],
      r.openPos.map((o) => [
        o.openPos,
        o.distributorCalls,
        o.statements,
        o.writes,
        o.workflowTasks,
        o.activityTasks,
        o.workerCpuSeconds,
        o.temporalCpuSeconds,
        o.postgresCpuSeconds,
        `${fmt(o.distributorCalls / o.openPos)} · ${fmt(o.statements / o.openPos)} · ${fmt(o.workflowTasks / o.openPos)}`,
      ]),
    ),
  ];
  const last = r.throughput.at(-1)?.manyDealers;
  if (last?.topStatements?.length) {
    parts.push(
      '',
      formatTable(
        `Where the statements go (engine, ${s.dealers} dealers, ${last.concurrency} concurrent; per dropship)`,
        ['per dropship', 'statement'],
        last.topStatements.map((t) => [t.perRun, t.query]),
      ),
    );
  }
  return parts.join('\n');
}
