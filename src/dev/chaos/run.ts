// A chaos run: the engine's real processes (worker.ts, server.ts, a Temporal dev server on a
// SQLite file, a Postgres cluster of its own) against the simulators, under a load of dropships,
// while faults are injected into the simulators and each process is killed and started again.
// Then everything is counted. `npm run chaos` runs the big one; test/e2e/chaos.test.ts a small one.
// The topology run (`--topology`) is production's shape instead: Temporal's own server on
// Postgres, two workers and two API servers, and the kills take one worker or one API server at a
// time while the load goes on through the other.
import { randomBytes } from 'node:crypto';
import { appendFileSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { findTemporalServer, pickTemporalPorts, prepareNamespace, setUpTemporalDatabases, spawnTemporalServer, TEMPORAL_DATABASES, writeServerConfig } from '../temporal-postgres';
import { findTemporalCli } from '../temporal-server';
import { runFaultPlan, runKillPlan } from './faults';
import { ApiServers, sleep } from './http';
import { createDealer, driveDropship, type Dealer, type DriveContext } from './load';
import { PostgresCluster } from './postgres';
import { seededRandom } from './random';
import { countDistributors, countDropships, countUploads, failuresOf, markParked, type ChaosReport } from './report';
import { Sandbox } from './sandbox';
import { EntryPoint, freePort, TemporalDevServer, TemporalServer, type ChaosProcess, type UnplannedExit } from './supervisor';

const ROOT = resolve(__dirname, '../../..');

export interface ChaosOptions {
  dropships: number;
  /** The whole run, from the first process started to the last one stopped. */
  minutes: number;
  seed: number;
  dealers: number;
  /** How many times each of worker, API, Temporal and Postgres is killed. */
  killRounds: number;
  /** How long dropships keep starting and faults and kills keep coming (default: half the time left after setup). */
  stormSeconds?: number;
  /** Faults injected per dropship, spread evenly over the storm (a pending fault waits for its next matching request). */
  faultsPerDropship: number;
  /** Lost answers to Tucker orders too (each such dropship then waits for a person, by design). */
  lostAnswersAtTucker: boolean;
  /**
   * Temporal's own server on Postgres (databases in the run's cluster), two workers and two API
   * servers; the kills are of workers and API servers, one at a time.
   */
  topology?: boolean;
  /** Logs, Temporal's SQLite file (or the server's config) and last.json. */
  runDir: string;
  log: (line: string) => void;
}

export const DEFAULT_CHAOS_OPTIONS = {
  dropships: 300,
  minutes: 14,
  dealers: 4,
  killRounds: 3,
  faultsPerDropship: 0.75,
  lostAnswersAtTucker: true,
  runDir: join(ROOT, '.data/chaos'),
};

/** History shards of the topology run's Temporal server. */
const TOPOLOGY_HISTORY_SHARDS = 4;

/** Kept after the drive for the last look at every dropship and for stopping everything. */
const RESERVE_MS = 90_000;

export class ChaosRun {
  private readonly unplanned: UnplannedExit[] = [];
  private sandbox?: Sandbox;
  private postgres?: PostgresCluster;
  private processes: ChaosProcess[] = [];
  private tornDown?: Promise<void>;
  private readonly stopping = new AbortController();

  constructor(private readonly o: ChaosOptions) {}

  async run(): Promise<ChaosReport> {
    const o = this.o;
    const startedAt = new Date();
    const deadline = startedAt.getTime() + o.minutes * 60_000 - RESERVE_MS;
    const runTag = String(o.seed % 100_000).padStart(5, '0');
    const logs = join(o.runDir, 'logs');
    rmSync(o.runDir, { recursive: true, force: true });
    mkdirSync(logs, { recursive: true });

    const sandbox = (this.sandbox = await new Sandbox().start());
    const pgPort = await freePort();
    const postgres = (this.postgres = new PostgresCluster(pgPort));
    await postgres.init();
    // Temporal's four services each keep a pool of their own
    if (o.topology) appendFileSync(join(postgres.dir, 'data/postgresql.conf'), '\nmax_connections = 400\n');
    await postgres.start();
    const temporal = await this.temporal(pgPort, logs);
    this.processes.push(postgres, temporal);
    await temporal.start();
    if (o.topology) await prepareNamespace(temporal.address);
    const apiPorts = o.topology ? [await freePort(), await freePort()] : [await freePort()];
    const apis = apiPorts.map((p) => `http://127.0.0.1:${p}`);
    const api = apis[0];
    const adminKey = `chaos-admin-${randomBytes(16).toString('hex')}`;
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      DATABASE_URL: postgres.url(),
      TEMPORAL_ADDRESS: temporal.address,
      TEMPORAL_TASK_QUEUE: 'dropship-chaos',
      CREDENTIALS_KEY: `chaos:${randomBytes(32).toString('hex')}`,
      ADMIN_API_KEY: adminKey,
      HOST: '127.0.0.1',
      TRACKING_POLL_INTERVAL: '2s',
      LOG_LEVEL: 'warn',
      DATA_DIR: o.runDir,
    };
    const second = (name: 'worker' | 'api', n: number) => (n === 0 ? name : (`${name} 2` as const));
    const workers = apis.map(
      (_, n) => new EntryPoint(second('worker', n), this.unplanned, { root: ROOT, file: 'worker.ts', env, logFile: join(logs, `${second('worker', n).replace(' ', '-')}.log`), readyLine: /polling task queue/ }),
    );
    const servers = apis.map(
      (url, n) =>
        new EntryPoint(second('api', n), this.unplanned, {
          root: ROOT,
          file: 'server.ts',
          env: { ...env, PORT: String(apiPorts[n]) },
          logFile: join(logs, `${second('api', n).replace(' ', '-')}.log`),
          readyUrl: `${url}/healthz`,
        }),
    );
    this.processes.push(...workers, ...servers);
    await Promise.all([...workers, ...servers].map((p) => p.start()));
    o.log(`Postgres :${pgPort} (${postgres.dir}), Temporal ${temporal.address}${o.topology ? ' (its own server on Postgres)' : ''}, workers ${workers.length}, API ${apis.join(' ')}, logs in ${logs}`);

    const dealers: Dealer[] = [];
    for (let n = 1; n <= o.dealers; n++) dealers.push(await createDealer(api, adminKey, sandbox, n, deadline));

    const stormStart = Date.now();
    const stormMs = o.stormSeconds ? o.stormSeconds * 1000 : (deadline - stormStart) / 2;
    const stormEnd = stormStart + stormMs;
    if (stormEnd >= deadline) throw new Error(`--minutes ${o.minutes} leaves no time to drive the dropships after setup`);
    o.log(`Storm: ${o.dropships} dropships over ${Math.round(stormMs / 1000)} s with faults and kills; everything must complete within ${Math.round((deadline - stormStart) / 1000)} s`);
    const faultEveryMs = stormMs / Math.max(1, Math.ceil(o.dropships * o.faultsPerDropship));
    // separate streams, so the order in which concurrent parts draw does not change the choices
    const faultsDone = settled(runFaultPlan(sandbox, seededRandom(o.seed + 1), { everyMs: faultEveryMs, stopAt: stormEnd, lostAnswersAtTucker: o.lostAnswersAtTucker }, this.stopping.signal));
    const ctx: DriveContext = { api: new ApiServers(apis), sandbox, random: seededRandom(o.seed), deadline, runs: [] };
    let allDriven = false;
    const load = { inFlight: () => ctx.runs.filter((r) => r.phase !== 'completed' && r.problem === undefined).length, finished: () => allDriven };
    // one at a time: in the topology run a worker and an API server always serve
    const victims = o.topology ? [...workers, ...servers] : [...workers, ...servers, temporal, postgres];
    const killsDone = settled(runKillPlan(victims, seededRandom(o.seed + 2), o.killRounds, stormStart, stormEnd, this.stopping.signal, load));
    const progress = setInterval(() => o.log(`  ${progressLine(ctx)}`), 30_000);
    const drivers = [];
    try {
      for (let i = 0; i < o.dropships; i++) {
        await sleep(stormStart + (i * stormMs) / o.dropships - Date.now());
        drivers.push(driveDropship(ctx, dealers[i % dealers.length], i + 1, runTag));
      }
      // a process that did not come back ends the run now rather than at the deadline
      const killFailed = killsDone.then((k) => ('error' in k ? Promise.reject(k.error) : new Promise<never>(() => undefined)));
      await Promise.race([Promise.all(drivers), killFailed]);
    } catch (err) {
      throw new Error(`a killed process did not come back: ${(err as Error).message}`);
    } finally {
      allDriven = true;
      clearInterval(progress);
    }
    const k = await killsDone;
    const f = await faultsDone;
    if ('error' in k) throw new Error(`a killed process did not come back: ${k.error.message}`);
    if ('error' in f) throw new Error(`the fault plan failed: ${f.error.message}`);
    o.log(`  ${progressLine(ctx)}; counting`);

    const snapshot = await sandbox.snapshot();
    const distributors = countDistributors(snapshot);
    const marketplace = { ebay: countUploads(snapshot) };
    const fates = await countDropships({
      runs: ctx.runs,
      dealers: new Map(dealers.map((d) => [d.tenantId, d])),
      api,
      temporalAddress: temporal.address,
      databaseUrl: postgres.url(),
      until: Date.now() + 30_000,
    });
    markParked(marketplace.ebay.missing, fates.waitingForPerson);
    const report: ChaosReport = {
      startedAt: startedAt.toISOString(),
      finishedAt: new Date().toISOString(),
      options: { dropships: o.dropships, minutes: o.minutes, seed: o.seed, dealers: o.dealers, killRounds: o.killRounds, ...(o.topology ? { topology: true } : {}) },
      ...fates,
      distributors,
      marketplace,
      kills: k.value,
      unplannedExits: this.unplanned,
      faults: f.value,
      failures: [],
    };
    report.failures = failuresOf(report);
    writeFileSync(join(o.runDir, 'last.json'), JSON.stringify(report, null, 2));
    return report;
  }

  /**
   * The dev server on a SQLite file, or (topology) Temporal's own server on databases in the run's
   * Postgres cluster, set up here; either survives its crash.
   */
  private async temporal(pgPort: number, logs: string): Promise<TemporalDevServer | TemporalServer> {
    const logFile = join(logs, 'temporal.log');
    if (!this.o.topology) return new TemporalDevServer(this.unplanned, { cliPath: findTemporalCli(), port: await freePort(), dbFile: join(this.o.runDir, 'temporal.sqlite'), logFile });
    const bin = findTemporalServer();
    const ports = await pickTemporalPorts();
    const config = { postgres: { port: pgPort, user: 'postgres' }, databases: TEMPORAL_DATABASES, ports, historyShards: TOPOLOGY_HISTORY_SHARDS };
    await setUpTemporalDatabases(bin, config);
    const args = writeServerConfig(join(this.o.runDir, 'temporal'), config);
    return new TemporalServer(this.unplanned, { address: `127.0.0.1:${ports.frontend}`, spawn: () => spawnTemporalServer(bin, args, logFile) });
  }

  /** Stops every process and the simulators and deletes the Postgres cluster; safe to call twice. */
  teardown(): Promise<void> {
    this.tornDown ??= (async () => {
      this.stopping.abort();
      for (const p of [...this.processes].reverse()) await p.stop().catch(() => undefined);
      await this.postgres?.remove().catch(() => undefined);
      await this.sandbox?.close().catch(() => undefined);
    })();
    return this.tornDown;
  }
}

/** Waits on a promise now and reads its outcome later, without an unhandled rejection meanwhile. */
function settled<T>(p: Promise<T>): Promise<{ value: T } | { error: Error }> {
  return p.then(
    (value) => ({ value }),
    (error: Error) => ({ error }),
  );
}

function progressLine(ctx: DriveContext): string {
  const byPhase: Record<string, number> = {};
  for (const r of ctx.runs) byPhase[r.phase] = (byPhase[r.phase] ?? 0) + 1;
  return `${new Date().toISOString()} dropships by phase: ${JSON.stringify(byPhase)}`;
}

/** Runs it and always cleans up. */
export async function runChaos(o: ChaosOptions): Promise<ChaosReport> {
  const chaos = new ChaosRun(o);
  try {
    return await chaos.run();
  } finally {
    await chaos.teardown();
  }
}
