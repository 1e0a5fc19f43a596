// The topology mode's own figures (BENCH_TOPOLOGY=1): the engine's throughput with both workers
// and with one, and how busy each process was meanwhile, so the table says what bound.
import { readdirSync, readFileSync } from 'node:fs';
import { closedLoop, driveDropship, type Dealer, type DriveContext } from './drive';
import { delta, readCounters, settle } from './measure';
import { summarize, type BenchResults, type PhaseResult } from './report';
import { parseProcStat, TICKS_PER_SECOND, cpuSeconds } from './proc';
import { TOPOLOGY_HISTORY_SHARDS, type BenchStack } from './stack';
import { fmt, formatTable } from './stats';
import { TEMPORAL_DATABASES } from '../src/dev/temporal-postgres';

export const TOPOLOGY_LINE = 'topology: Temporal server on Postgres, 2 workers, 2 API servers';

/** The part of the Postgres cluster's CPU spent on Temporal's databases. */
const TEMPORAL_PG = 'postgres (Temporal databases)';
const BENCH_PROCESS = 'bench process (driver, simulators)';
/** Everything else running on the machine meanwhile (it is shared: other runs bind the cores too). */
const ELSEWHERE = 'other processes on the machine';

export interface WorkerScaling {
  workers: number;
  phase: PhaseResult;
  /** CPU seconds ÷ wall seconds of the stretch, per process tree: how many cores each kept busy. */
  coresBusy: Record<string, number>;
}

export interface TopologyResults extends BenchResults {
  topology: { line: string; temporal: string; historyShards: number; workers: number; apiServers: number; workerScaling: WorkerScaling[] };
}

/**
 * CPU seconds of the Postgres backends serving Temporal's databases. Only live backends count, and
 * Temporal keeps its pools open, so across a stretch the difference is Temporal's share; the
 * engine's and the rest are the cluster's total minus it.
 */
function temporalBackendsCpu(postmaster: number): number {
  const databases = new RegExp(`^postgres: \\S+ (${Object.values(TEMPORAL_DATABASES).join('|')}) `);
  let ticks = 0;
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = parseProcStat(readFileSync(`/proc/${name}/stat`, 'utf8'));
      if (stat.ppid === postmaster && databases.test(readFileSync(`/proc/${name}/cmdline`, 'utf8'))) ticks += stat.ticks;
    } catch {
      // gone meanwhile
    }
  }
  return ticks / TICKS_PER_SECOND;
}

/** Busy CPU seconds of the whole machine since boot: /proc/stat's first line less idle and iowait. */
function machineCpu(): number {
  const [, ...fields] = readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/);
  // user nice system idle iowait irq softirq steal (guest time is inside user already)
  const [user, nice, system, , , irq, softirq, steal] = fields.map(Number);
  return (user + nice + system + irq + softirq + (steal || 0)) / TICKS_PER_SECOND;
}

/** CPU seconds so far of each process tree, of this process (the driver and the simulators) and of the machine. */
function cpuByProcess(stack: BenchStack): Record<string, number> {
  const own = process.cpuUsage();
  return {
    ...cpuSeconds(stack.processes()),
    [TEMPORAL_PG]: temporalBackendsCpu(stack.postmaster()),
    [BENCH_PROCESS]: (own.user + own.system) / 1e6,
    machine: machineCpu(),
  };
}

/**
 * Dropships spread over the dealers at `concurrency`, first with both engine workers, then with
 * the second one stopped (started again at the end).
 */
export async function workerScaling(ctx: DriveContext, dealers: Dealer[], concurrency: number, runs: number, runTag: string, log: (line: string) => void): Promise<WorkerScaling[]> {
  const { stack } = ctx;
  const out: WorkerScaling[] = [];
  for (const workers of [2, 1]) {
    if (workers === 1) await stack.workers[1].stop();
    await settle(stack);
    const before = { counters: await readCounters(stack, ctx.tap, false), cpu: cpuByProcess(stack) };
    const samples = await closedLoop(concurrency, runs, (i) => driveDropship(ctx, dealers[i % dealers.length], `B-${runTag}-workers${workers}-${i}`));
    const cpu = cpuByProcess(stack);
    const d = delta(before.counters, await readCounters(stack, ctx.tap, true));
    const phase = summarize(`${workers} worker${workers > 1 ? 's' : ''}`, concurrency, samples, d, 'worker');
    const coresBusy = Object.fromEntries(Object.entries(cpu).map(([k, v]) => [k, (v - (before.cpu[k] ?? 0)) / (d.at / 1000)]));
    coresBusy.postgres -= coresBusy[TEMPORAL_PG];
    const machine = coresBusy.machine;
    delete coresBusy.machine;
    coresBusy[ELSEWHERE] = Math.max(0, machine - Object.values(coresBusy).reduce((a, b) => a + b, 0));
    out.push({ workers, phase, coresBusy });
    log(`${phase.label} at ${concurrency} concurrent: ${phase.perSecond.toFixed(2)}/s, ${phase.failed} failed; cores busy ${JSON.stringify(Object.fromEntries(Object.entries(coresBusy).map(([k, v]) => [k, Number(v.toFixed(2))])))}`);
  }
  await stack.startWorker(stack.workers[1]);
  return out;
}

/** What to call each process tree in the table. */
const PROCESS_LABEL: Record<string, string> = {
  worker: 'engine worker 1',
  'worker-2': 'engine worker 2',
  api: 'API server 1',
  'api-2': 'API server 2',
  temporal: 'Temporal server',
  [TEMPORAL_PG]: 'Postgres for Temporal',
  postgres: 'Postgres for the engine (and the rest)',
  floorWorker: "floors' worker (idle here)",
  [BENCH_PROCESS]: BENCH_PROCESS,
  [ELSEWHERE]: ELSEWHERE,
};

export function renderWorkerScaling(r: TopologyResults['topology'], cores: number): string {
  const s = r.workerScaling;
  const names = Object.keys(PROCESS_LABEL).filter((k) => s.some((x) => x.coresBusy[k] !== undefined));
  const total = (x: WorkerScaling) => Object.values(x.coresBusy).reduce((a, b) => a + b, 0);
  const ours = (x: WorkerScaling) => total(x) - (x.coresBusy[ELSEWHERE] ?? 0);
  const row = (figure: string, get: (x: WorkerScaling) => number | string | undefined) => [figure, ...s.map(get)];
  const busiest = (x: WorkerScaling) => {
    const [name, v] = Object.entries(x.coresBusy)
      .filter(([k]) => k !== ELSEWHERE)
      .sort((a, b) => b[1] - a[1])[0];
    return `${PROCESS_LABEL[name] ?? name} (${fmt(v)} cores)`;
  };
  return formatTable(
    `Engine throughput with ${s.map((x) => x.workers).join(' and ')} workers (${s[0]?.phase.concurrency} concurrent, spread over the dealers; cores busy = CPU seconds ÷ wall seconds, ${cores} cores)`,
    ['figure', ...s.map((x) => `${x.workers} worker${x.workers > 1 ? 's' : ''}`)],
    [
      row('dropships per second', (x) => x.phase.perSecond),
      row('end to end p50, ms', (x) => x.phase.latencyMs.p50),
      row('end to end p99, ms', (x) => x.phase.latencyMs.p99),
      row('failed runs', (x) => x.phase.failed),
      ...names.map((k) => row(`cores busy: ${PROCESS_LABEL[k]}`, (x) => x.coresBusy[k])),
      row('cores busy: the bench stack', ours),
      row('cores busy: the machine', total),
      row('busiest process of the stack', busiest),
    ],
  );
}

export function topologyOf(workerScaling: WorkerScaling[]): TopologyResults['topology'] {
  return { line: TOPOLOGY_LINE, temporal: 'temporal server v1.29.1, postgres12 persistence and visibility', historyShards: TOPOLOGY_HISTORY_SHARDS, workers: 2, apiServers: 2, workerScaling };
}
