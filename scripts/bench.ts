// `npm run bench`: the engine against Temporal's own floor, side by side in one run, on a stack of
// its own (see bench/stack.ts and docs/bench.md). BENCH_QUICK=1 (or --quick) runs a tiny version.
// BENCH_TOPOLOGY=1 (or --topology) runs it on Temporal's own server on Postgres with two workers
// and two API servers, and adds a one-worker stretch. Prints the tables and writes
// bench/results/latest.json (topology: bench/results/topology.json).
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { join, resolve } from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { sleep } from '../src/dev/chaos/http';
import { parseDuration } from '../src/duration';
import { closedLoop, createDealer, driveDropship, driveFloor, stockTheSimulators, type Dealer, type DriveContext, type FloorKind, type Sample } from '../bench/drive';
import { delta, historyOf, readCounters, settle } from '../bench/measure';
import { meanEvents, renderReport, summarize, type BenchResults, type OpenPoResult, type PhaseResult } from '../bench/report';
import { countEvents, shapeOf, totalsOf, type Step } from '../bench/shape';
import { BenchStack } from '../bench/stack';
import { SimulatorTap } from '../bench/tap';
import { renderWorkerScaling, topologyOf, TOPOLOGY_LINE, workerScaling, type TopologyResults } from '../bench/topology';

const ROOT = resolve(__dirname, '..');
const QUICK = process.env.BENCH_QUICK === '1' || process.argv.includes('--quick');
const TOPOLOGY = process.env.BENCH_TOPOLOGY === '1' || process.argv.includes('--topology');
const PLAN = QUICK
  ? { levels: [1, 5], runs: { 1: 3, 5: 10 } as Record<number, number>, dealers: 5, openPos: [20, 50], openPoInterval: '10s', scaling: { concurrency: 20, runs: 60 } }
  : { levels: [1, 10, 50], runs: { 1: 10, 10: 50, 50: 150 } as Record<number, number>, dealers: 50, openPos: [100, 500, 2000], openPoInterval: '120s', scaling: { concurrency: 50, runs: 150 } };
const POLL_INTERVAL = process.env.BENCH_POLL_INTERVAL ?? '1s';
const RUN_DIR = resolve(ROOT, process.env.BENCH_RUN_DIR ?? '.data/bench');
const RESULTS = join(ROOT, `bench/results/${TOPOLOGY ? 'topology' : 'latest'}.json`);
/** How long one dropship or floor run may take before it counts as failed. */
const RUN_TIMEOUT_MS = 180_000;
/** Histories fetched per phase (after its counters are read, so fetching them is not counted). */
const HISTORY_SAMPLE = 10;

const log = (line: string) => console.log(`[bench] ${line}`);
const runTag = Date.now().toString(36);

async function main(): Promise<void> {
  const stack = new BenchStack({ runDir: RUN_DIR, pollInterval: POLL_INTERVAL, log, topology: TOPOLOGY });
  let stopping: Promise<void> | undefined;
  const stop = () => (stopping ??= stack.stop());
  process.once('SIGINT', () => void stop().then(() => process.exit(130)));
  process.once('SIGTERM', () => void stop().then(() => process.exit(143)));
  let tap: SimulatorTap | undefined;
  let connection: Connection | undefined;
  try {
    await stack.start();
    tap = new SimulatorTap(stack.wps, stack.ebay);
    connection = await Connection.connect({ address: stack.temporalAddress });
    const ctx: DriveContext = { stack, tap, client: new Client({ connection }), timeoutMs: RUN_TIMEOUT_MS };
    stockTheSimulators(stack);
    const one = await createDealer(stack, 0);
    const many: Dealer[] = [];
    for (let n = 1; n <= PLAN.dealers; n++) many.push(await createDealer(stack, n));
    log(`${PLAN.dealers + 1} dealers set up`);

    const shape = await calibrate(ctx, one);
    log(`a dropship's history: ${JSON.stringify(shape.totals)} over ${shape.steps.length} workflow tasks with commands`);
    for (const kind of ['sameSteps', 'minimal'] as FloorKind[]) await closedLoop(1, 2, (i) => driveFloor(ctx, kind, shape.steps, `warm-${kind}-${runTag}-${i}`));

    const throughput: BenchResults['throughput'] = [];
    for (const c of PLAN.levels) {
      const runs = PLAN.runs[c];
      const engine = (label: string, dealerOf: (i: number) => Dealer) =>
        phase(ctx, label, c, runs, 'worker', (i) => driveDropship(ctx, dealerOf(i), `B-${runTag}-${label}-${c}-${i}`));
      const floor = (kind: FloorKind) => phase(ctx, kind, c, runs, 'floorWorker', (i) => driveFloor(ctx, kind, shape.steps, `floor-${kind}-${runTag}-${c}-${i}`));
      throughput.push({
        concurrency: c,
        oneDealer: await engine('one', () => one),
        manyDealers: await engine('many', (i) => many[i % many.length]),
        sameSteps: await floor('sameSteps'),
        minimal: await floor('minimal'),
      });
    }

    const scaling = TOPOLOGY ? await workerScaling(ctx, many, PLAN.scaling.concurrency, PLAN.scaling.runs, runTag, log) : undefined;
    const openPos = await openPoCost(ctx, many);
    const base: BenchResults = {
      at: new Date().toISOString(),
      quick: QUICK,
      cores: cpus().length,
      settings: {
        pollInterval: POLL_INTERVAL,
        openPoPollInterval: PLAN.openPoInterval,
        dealers: PLAN.dealers,
        levels: PLAN.levels,
        statementsSource: 'pg_stat_statements calls in the bench database (top-level, BEGIN/COMMIT not counted); rows written from pg_stat_database',
      },
      shape,
      throughput,
      openPos,
    };
    const topology = scaling && topologyOf(scaling);
    const results: BenchResults | TopologyResults = topology ? { ...base, topology } : base;
    mkdirSync(join(ROOT, 'bench/results'), { recursive: true });
    writeFileSync(RESULTS, `${JSON.stringify(results, null, 2)}\n`);
    if (topology) console.log(`\n${TOPOLOGY_LINE}; ${topology.temporal}, ${topology.historyShards} history shards`);
    console.log(`\n${renderReport(results)}\n`);
    if (topology) console.log(`${renderWorkerScaling(topology, base.cores)}\n`);
    log(`written to ${RESULTS}; logs in ${join(RUN_DIR, 'logs')}`);
  } finally {
    tap?.stop();
    await connection?.close().catch(() => undefined);
    await stop();
  }
}

/** Three dropships one after another (they also warm the worker up); the median history is the shape. */
async function calibrate(ctx: DriveContext, dealer: Dealer): Promise<BenchResults['shape']> {
  const samples = await closedLoop(1, 3, (i) => driveDropship(ctx, dealer, `B-${runTag}-calibrate-${i}`));
  const failed = samples.find((s) => s.error);
  if (failed) throw new Error(`a calibration dropship did not complete: ${failed.error}`);
  const histories = await Promise.all(samples.map((s) => historyOf(ctx.client, s.workflowId)));
  const median = [...histories].sort((a, b) => a.length - b.length)[1];
  const steps: Step[] = shapeOf(median);
  return { eventCounts: countEvents(median), totals: totalsOf(steps), steps };
}

/** One measured stretch: `runs` jobs at `concurrency`, counters read around it, then a few histories. */
async function phase(ctx: DriveContext, label: string, concurrency: number, runs: number, worker: 'worker' | 'floorWorker', job: (i: number) => Promise<Sample>): Promise<PhaseResult> {
  // whatever came before has finished, and its counters are published
  await settle(ctx.stack);
  const before = await readCounters(ctx.stack, ctx.tap, false);
  const samples = await closedLoop(concurrency, runs, job);
  const d = delta(before, await readCounters(ctx.stack, ctx.tap, true));
  const ok = samples.filter((s) => !s.error).slice(0, HISTORY_SAMPLE);
  const histories = await Promise.all(ok.map((s) => historyOf(ctx.client, s.workflowId)));
  const result = summarize(label, concurrency, samples, d, worker, meanEvents(histories));
  log(`${label} at ${concurrency} concurrent: ${result.perSecond.toFixed(2)}/s, ${result.failed} failed${result.errors.length ? ` (${result.errors[0]})` : ''}`);
  return result;
}

/**
 * Dropships confirmed and left unshipped, spread over the dealers, under a tracking interval long
 * enough for 2,000 polls on two cores. A PO polls once per interval, so a window of one interval
 * holds one poll of each. The window opens once every PO has had its first poll (which costs
 * more) and a fifth of an interval more for polls that ran late: it measures the steady state.
 */
async function openPoCost(ctx: DriveContext, dealers: Dealer[]): Promise<OpenPoResult[]> {
  await ctx.stack.setPollInterval(PLAN.openPoInterval);
  const intervalMs = parseDuration(PLAN.openPoInterval);
  const out: OpenPoResult[] = [];
  let open = 0;
  for (const target of PLAN.openPos) {
    const base = open;
    const samples = await closedLoop(20, target - open, (i) => driveDropship(ctx, dealers[(base + i) % dealers.length], `B-${runTag}-open-${base + i}`, false));
    const failed = samples.filter((s) => s.error);
    if (failed.length) log(`${failed.length} open dropships did not reach WPS (${failed[0].error})`);
    open = target;
    log(`${open} open POs; measuring one interval (${PLAN.openPoInterval})`);
    await sleep(intervalMs * 1.2);
    // polls never stop here, so nothing settles; the metrics' lag is the same at both ends
    const before = await readCounters(ctx.stack, ctx.tap, false);
    await sleep(intervalMs);
    const d = delta(before, await readCounters(ctx.stack, ctx.tap, false));
    const scale = intervalMs / d.at; // the window runs a little over one interval
    out.push({
      openPos: open - failed.length,
      intervalSeconds: intervalMs / 1000,
      distributorCalls: d.distributorCalls * scale,
      statements: d.statements * scale,
      writes: d.writes * scale,
      workflowTasks: d.workflowTasks * scale,
      activityTasks: d.activityTasks * scale,
      workerCpuSeconds: d.cpu.worker * scale,
      temporalCpuSeconds: d.cpu.temporal * scale,
      postgresCpuSeconds: d.cpu.postgres * scale,
    });
    log(`${open} open POs: ${Math.round(d.distributorCalls * scale)} distributor calls, ${Math.round(d.statements * scale)} statements per interval`);
  }
  return out;
}

main().then(
  () => process.exit(0),
  (err) => {
    console.error(`[bench] failed: ${(err as Error).stack ?? err}`);
    process.exit(1);
  },
);
