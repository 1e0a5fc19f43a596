// The benchmark's own world: a Postgres cluster of its own (with pg_stat_statements), a Temporal
// dev server in memory (with its Prometheus metrics on), the engine's worker and API server and
// the floors' worker as child processes (each its own process group, so its CPU can be read from
// /proc), and the WPS and eBay simulators in this process, with no latency. In the topology mode
// Temporal is its own server on databases in the same cluster, and there are two engine workers
// and two API servers.
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { appendFileSync, createWriteStream, mkdirSync, readFileSync, type WriteStream } from 'node:fs';
import { join, resolve } from 'node:path';
import postgres from 'postgres';
import { migrate } from '../src/db/migrate';
import { sleep } from '../src/dev/chaos/http';
import { PostgresCluster } from '../src/dev/chaos/postgres';
import { freePort } from '../src/dev/chaos/supervisor';
import { pickTemporalPorts, startTemporalPostgres, TEMPORAL_DATABASES } from '../src/dev/temporal-postgres';
import { findTemporalCli, startDevServer } from '../src/dev/temporal-server';
import { createEbaySimulator, type EbaySimulator } from '../src/simulators/ebay';
import { createWpsSimulator, type WpsSimulator } from '../src/simulators/wps';
import { cpuSeconds } from './proc';

const ROOT = resolve(__dirname, '..');
export const BENCH_DB = 'dropship_bench';
export const ENGINE_TASK_QUEUE = 'dropship-bench';
/** History shards of the topology mode's Temporal server: a handful, as two cores take. */
export const TOPOLOGY_HISTORY_SHARDS = 4;

/** A TypeScript entry point run with the project's tsx, in its own process group. */
export class Child {
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

/** The pids of the children that run (a stopped one has none). */
const pids = (children: Child[]) => children.map((c) => c.pid).filter((p): p is number => p !== undefined);

export interface StackOptions {
  runDir: string;
  /** The engine's TRACKING_POLL_INTERVAL while the API server runs (a duration like `1s`). */
  pollInterval: string;
  log: (line: string) => void;
  /** Temporal's own server on Postgres, two engine workers, two API servers. */
  topology?: boolean;
}

/** The Temporal server, whichever it is. */
interface Temporal {
  address: string;
  child: ChildProcess;
  stop(): Promise<void>;
}

export class BenchStack {
  readonly adminKey = `bench-admin-${randomBytes(16).toString('hex')}`;
  readonly wps: WpsSimulator = createWpsSimulator();
  readonly ebay: EbaySimulator = createEbaySimulator();
  /** Every API server; the driver spreads its requests over them (nextApi). */
  apis: string[] = [];
  private turn = 0;
  wpsUrl = '';
  ebayUrl = '';
  temporalAddress = '';
  databaseUrl = '';
  private metricsUrl = '';
  private postgres?: PostgresCluster;
  private temporal?: Temporal;
  private env: NodeJS.ProcessEnv = {};
  readonly workers: Child[];
  private readonly servers: Child[];
  private readonly floorWorker: Child;
  /** For pg_stat_statements and pg_stat_database, from the `postgres` database (not counted). */
  admin?: postgres.Sql;

  constructor(private readonly o: StackOptions) {
    const logs = join(o.runDir, 'logs');
    mkdirSync(logs, { recursive: true });
    const count = o.topology ? 2 : 1;
    const nth = (name: string, n: number) => (n === 1 ? name : `${name}-${n}`);
    this.workers = Array.from({ length: count }, (_, i) => new Child(nth('worker', i + 1), 'worker.ts', join(logs, `${nth('worker', i + 1)}.log`)));
    this.servers = Array.from({ length: count }, (_, i) => new Child(nth('api', i + 1), 'server.ts', join(logs, `${nth('api', i + 1)}.log`)));
    this.floorWorker = new Child('floor worker', 'bench/floor-worker.ts', join(logs, 'floor-worker.log'));
  }

  async start(): Promise<void> {
    const { o } = this;
    const pgPort = await freePort();
    const pg = (this.postgres = new PostgresCluster(pgPort));
    await pg.init();
    // pg_stat_statements needs preloading; utility statements (BEGIN, COMMIT, SET) are not counted.
    // Temporal's four services each keep a pool of their own in the topology mode.
    appendFileSync(
      join(pg.dir, 'data/postgresql.conf'),
      `\nshared_preload_libraries = 'pg_stat_statements'\npg_stat_statements.track_utility = off\n${o.topology ? 'max_connections = 400\n' : ''}`,
    );
    await pg.start();
    this.databaseUrl = pg.url(BENCH_DB);
    this.admin = postgres(pg.url('postgres'), { max: 1, onnotice: () => undefined });
    await this.admin`CREATE EXTENSION IF NOT EXISTS pg_stat_statements`;
    await migrate(this.databaseUrl);
    o.log(`Postgres :${pgPort} (${pg.dir}), database ${BENCH_DB}`);

    if (o.topology) {
      const ports = await pickTemporalPorts();
      const server = await startTemporalPostgres({
        postgres: { port: pgPort, user: 'postgres' },
        databases: TEMPORAL_DATABASES,
        ports,
        historyShards: TOPOLOGY_HISTORY_SHARDS,
        dir: join(o.runDir, 'temporal'),
        logFile: join(o.runDir, 'logs/temporal.log'),
      });
      this.temporal = server;
      this.metricsUrl = server.metricsUrl;
      o.log(`Temporal server ${server.address} on Postgres (databases ${Object.values(TEMPORAL_DATABASES).join(', ')}, ${TOPOLOGY_HISTORY_SHARDS} history shards), metrics ${this.metricsUrl}`);
    } else {
      const [temporalPort, metricsPort] = [await freePort(), await freePort()];
      this.temporal = await startDevServer({
        cliPath: process.env.TEMPORAL_CLI ?? findTemporalCli(),
        port: temporalPort,
        logFile: join(o.runDir, 'logs/temporal.log'),
        extraArgs: ['--metrics-port', String(metricsPort)],
      });
      this.metricsUrl = `http://127.0.0.1:${metricsPort}/metrics`;
      o.log(`Temporal dev server ${this.temporal.address} (in memory), metrics ${this.metricsUrl}`);
    }
    this.temporalAddress = this.temporal.address;

    this.wpsUrl = await this.wps.listen(0);
    this.ebayUrl = await this.ebay.listen(0);
    o.log(`Simulators: WPS ${this.wpsUrl}, eBay ${this.ebayUrl}`);

    for (let i = 0; i < this.servers.length; i++) this.apis.push(`http://127.0.0.1:${await freePort()}`);
    this.env = {
      ...process.env,
      DATABASE_URL: this.databaseUrl,
      TEMPORAL_ADDRESS: this.temporalAddress,
      TEMPORAL_TASK_QUEUE: ENGINE_TASK_QUEUE,
      CREDENTIALS_KEY: `bench:${randomBytes(32).toString('hex')}`,
      ADMIN_API_KEY: this.adminKey,
      HOST: '127.0.0.1',
      TRACKING_POLL_INTERVAL: o.pollInterval,
      LOG_LEVEL: 'warn',
      METRICS_PORT: '0',
      DATA_DIR: o.runDir,
    };
    await Promise.all([
      ...this.workers.map((w) => this.startWorker(w)),
      ...this.servers.map((s, i) => this.startServer(i)),
      this.floorWorker.start(this.env, { line: /polling task queue/ }),
    ]);
    const many = this.workers.length > 1 ? 's' : '';
    o.log(`Engine worker${many}${many && ` (${this.workers.length})`}, API server${many} ${this.apis.join(', ')} and the floors' worker are up`);
  }

  /** The API servers in turn, as a load balancer in front of them would hand out requests. */
  nextApi(): string {
    return this.apis[this.turn++ % this.apis.length];
  }

  startWorker(worker: Child): Promise<void> {
    return worker.start(this.env, { line: /polling task queue/ });
  }

  private startServer(i: number): Promise<void> {
    return this.servers[i].start({ ...this.env, PORT: new URL(this.apis[i]).port }, { url: `${this.apis[i]}/healthz` });
  }

  /** Starts the API servers again with another tracking interval (it goes into each new dropship). */
  async setPollInterval(pollInterval: string): Promise<void> {
    for (const s of this.servers) await s.stop();
    this.env = { ...this.env, TRACKING_POLL_INTERVAL: pollInterval };
    await Promise.all(this.servers.map((_, i) => this.startServer(i)));
  }

  /** The Postgres cluster's postmaster: the root of its process tree. */
  postmaster(): number {
    return Number(readFileSync(join(this.postgres!.dir, 'data/postmaster.pid'), 'utf8').split('\n')[0]);
  }

  /** The process trees by name (a stopped one has no pid and no tree). */
  processes(): Record<string, number[]> {
    return {
      ...Object.fromEntries(this.workers.map((w) => [w.name, pids([w])])),
      ...Object.fromEntries(this.servers.map((s) => [s.name, pids([s])])),
      temporal: [this.temporal!.child.pid!],
      postgres: [this.postmaster()],
      floorWorker: pids([this.floorWorker]),
    };
  }

  /** CPU seconds so far of each process tree; every engine worker together, every API server together. */
  cpu(): Record<'worker' | 'api' | 'temporal' | 'postgres' | 'floorWorker', number> {
    const c = cpuSeconds({
      worker: pids(this.workers),
      api: pids(this.servers),
      temporal: [this.temporal!.child.pid!],
      postgres: [this.postmaster()],
      floorWorker: pids([this.floorWorker]),
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
    for (const c of [...this.servers, ...this.workers, this.floorWorker]) await c.close().catch(() => undefined);
    await this.admin?.end({ timeout: 5 }).catch(() => undefined);
    await this.temporal?.stop().catch(() => undefined);
    await this.postgres?.remove().catch(() => undefined);
    await Promise.all([this.wps.close(), this.ebay.close()]).catch(() => undefined);
  }
}
