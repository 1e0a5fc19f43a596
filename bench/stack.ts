// The benchmark's own world: a Postgres cluster of its own (with pg_stat_statements), a Temporal
// dev server in memory (with its Prometheus metrics on), the engine's worker and API server and
// the floors' worker as child processes (each its own process group, so its CPU can be read from
// /proc), and the WPS and eBay simulators in this process, with no latency.
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { appendFileSync, createWriteStream, mkdirSync, readFileSync, type WriteStream } from 'node:fs';
import { join, resolve } from 'node:path';
import postgres from 'postgres';
import { migrate } from '../src/db/migrate';
import { sleep } from '../src/dev/chaos/http';
import { PostgresCluster } from '../src/dev/chaos/postgres';
import { freePort } from '../src/dev/chaos/supervisor';
import { findTemporalCli, startDevServer, type DevServer } from '../src/dev/temporal-server';
import { createEbaySimulator, type EbaySimulator } from '../src/simulators/ebay';
import { createWpsSimulator, type WpsSimulator } from '../src/simulators/wps';
import { cpuSeconds } from './proc';

const ROOT = resolve(__dirname, '..');
export const BENCH_DB = 'dropship_bench';
export const ENGINE_TASK_QUEUE = 'dropship-bench';

/** A TypeScript entry point run with the project's tsx, in its own process group. */
class Child {
  private child?: ChildProcess;
  private log?: WriteStream;

  constructor(
    readonly name: string,
    private readonly file: string,
    private readonly logFile: string,
  ) {}

  get pid(): number | undefined {
    return this.child?.pid;
  }

  /** Starts it and resolves once `ready` says so or the line appears on its output. */
  async start(env: NodeJS.ProcessEnv, ready: { line?: RegExp; url?: string }): Promise<void> {
    this.log ??= createWriteStream(this.logFile, { flags: 'a' });
    const log = this.log;
    const child = spawn(join(ROOT, 'node_modules/.bin/tsx'), [this.file], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    this.child = child;
    let said = false;
    let tail = '';
    const onOutput = (c: Buffer) => {
      log.write(c);
      tail = (tail + c.toString()).slice(-400);
      if (ready.line?.test(tail)) said = true;
    };
    child.stdout!.on('data', onOutput);
    child.stderr!.on('data', onOutput);
    const deadline = Date.now() + 180_000;
    for (;;) {
      if (child.exitCode !== null || child.signalCode !== null) throw new Error(`${this.name} exited before it was ready; see ${this.logFile}`);
      if (said) return;
      if (ready.url && (await fetch(ready.url).then((r) => r.ok, () => false))) return;
      if (Date.now() > deadline) throw new Error(`${this.name} was not ready within 180 s; see ${this.logFile}`);
      await sleep(200);
    }
  }

  async stop(): Promise<void> {
    const child = this.child;
    this.child = undefined;
    if (child && child.exitCode === null && child.signalCode === null) {
      const gone = new Promise<void>((r) => child.once('exit', () => r()));
      const kill = (signal: NodeJS.Signals) => {
        try {
          process.kill(-child.pid!, signal);
        } catch {
          // already gone
        }
      };
      kill('SIGTERM');
      const timer = setTimeout(() => kill('SIGKILL'), 10_000);
      await gone;
      clearTimeout(timer);
    }
  }

  async close(): Promise<void> {
    await this.stop();
    await new Promise<void>((r) => (this.log ? this.log.end(() => r()) : r()));
  }
}

export interface StackOptions {
  runDir: string;
  /** The engine's TRACKING_POLL_INTERVAL while the API server runs (a duration like `1s`). */
  pollInterval: string;
  log: (line: string) => void;
}

export class BenchStack {
  readonly adminKey = `bench-admin-${randomBytes(16).toString('hex')}`;
  readonly wps: WpsSimulator = createWpsSimulator();
  readonly ebay: EbaySimulator = createEbaySimulator();
  api = '';
  wpsUrl = '';
  ebayUrl = '';
  temporalAddress = '';
  databaseUrl = '';
  private metricsUrl = '';
  private postgres?: PostgresCluster;
  private temporal?: DevServer;
  private env: NodeJS.ProcessEnv = {};
  private readonly worker: Child;
  private readonly server: Child;
  private readonly floorWorker: Child;
  /** For pg_stat_statements and pg_stat_database, from the `postgres` database (not counted). */
  admin?: postgres.Sql;

  constructor(private readonly o: StackOptions) {
    const logs = join(o.runDir, 'logs');
    mkdirSync(logs, { recursive: true });
    this.worker = new Child('worker', 'worker.ts', join(logs, 'worker.log'));
    this.server = new Child('api', 'server.ts', join(logs, 'api.log'));
    this.floorWorker = new Child('floor worker', 'bench/floor-worker.ts', join(logs, 'floor-worker.log'));
  }

  async start(): Promise<void> {
    const { o } = this;
    const [pgPort, temporalPort, metricsPort, apiPort] = [await freePort(), await freePort(), await freePort(), await freePort()];
    const pg = (this.postgres = new PostgresCluster(pgPort));
    await pg.init();
    // pg_stat_statements needs preloading; utility statements (BEGIN, COMMIT, SET) are not counted
    appendFileSync(join(pg.dir, 'data/postgresql.conf'), "\nshared_preload_libraries = 'pg_stat_statements'\npg_stat_statements.track_utility = off\n");
    await pg.start();
    this.databaseUrl = pg.url(BENCH_DB);
    this.admin = postgres(pg.url('postgres'), { max: 1, onnotice: () => undefined });
    await this.admin`CREATE EXTENSION IF NOT EXISTS pg_stat_statements`;
    await migrate(this.databaseUrl);
    o.log(`Postgres :${pgPort} (${pg.dir}), database ${BENCH_DB}`);

    this.temporal = await startDevServer({
      cliPath: process.env.TEMPORAL_CLI ?? findTemporalCli(),
      port: temporalPort,
      logFile: join(o.runDir, 'logs/temporal.log'),
      extraArgs: ['--metrics-port', String(metricsPort)],
    });
    this.temporalAddress = this.temporal.address;
    this.metricsUrl = `http://127.0.0.1:${metricsPort}/metrics`;
    o.log(`Temporal dev server ${this.temporalAddress} (in memory), metrics ${this.metricsUrl}`);

    this.wpsUrl = await this.wps.listen(0);
    this.ebayUrl = await this.ebay.listen(0);
    o.log(`Simulators: WPS ${this.wpsUrl}, eBay ${this.ebayUrl}`);

    this.api = `http://127.0.0.1:${apiPort}`;
    this.env = {
      ...process.env,
      DATABASE_URL: this.databaseUrl,
      TEMPORAL_ADDRESS: this.temporalAddress,
      TEMPORAL_TASK_QUEUE: ENGINE_TASK_QUEUE,
      CREDENTIALS_KEY: `bench:${randomBytes(32).toString('hex')}`,
      ADMIN_API_KEY: this.adminKey,
      HOST: '127.0.0.1',
      PORT: String(apiPort),
      TRACKING_POLL_INTERVAL: o.pollInterval,
      LOG_LEVEL: 'warn',
      METRICS_PORT: '0',
      DATA_DIR: o.runDir,
    };
    await Promise.all([
      this.worker.start(this.env, { line: /polling task queue/ }),
      this.server.start(this.env, { url: `${this.api}/healthz` }),
      this.floorWorker.start(this.env, { line: /polling task queue/ }),
    ]);
    o.log(`Engine worker, API server ${this.api} and the floors' worker are up`);
  }

  /** Starts the API server again with another tracking interval (it goes into each new dropship). */
  async setPollInterval(pollInterval: string): Promise<void> {
    await this.server.stop();
    this.env = { ...this.env, TRACKING_POLL_INTERVAL: pollInterval };
    await this.server.start(this.env, { url: `${this.api}/healthz` });
  }

  /** CPU seconds so far of each process tree. */
  cpu(): Record<'worker' | 'api' | 'temporal' | 'postgres' | 'floorWorker', number> {
    const postmaster = Number(readFileSync(join(this.postgres!.dir, 'data/postmaster.pid'), 'utf8').split('\n')[0]);
    const c = cpuSeconds({
      worker: [this.worker.pid!],
      api: [this.server.pid!],
      temporal: [this.temporal!.child.pid!],
      postgres: [postmaster],
      floorWorker: [this.floorWorker.pid!],
    });
    return c as ReturnType<BenchStack['cpu']>;
  }

  /** The Temporal server's Prometheus text. */
  async serverMetrics(): Promise<string> {
    const r = await fetch(this.metricsUrl);
    if (!r.ok) throw new Error(`${this.metricsUrl} answered ${r.status}`);
    return r.text();
  }

  async stop(): Promise<void> {
    for (const c of [this.server, this.worker, this.floorWorker]) await c.close().catch(() => undefined);
    await this.admin?.end({ timeout: 5 }).catch(() => undefined);
    await this.temporal?.stop().catch(() => undefined);
    await this.postgres?.remove().catch(() => undefined);
    await Promise.all([this.wps.close(), this.ebay.close()]).catch(() => undefined);
  }
}
