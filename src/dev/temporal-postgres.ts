// Temporal's own server, the way production runs it (not the dev server): persistence and
// visibility in Postgres databases, a fixed number of history shards, all four services in one
// process. Used by the bench's and the chaos run's topology mode (docs/bench.md, docs/chaos.md).
// The binaries come from scripts/temporal-server.sh (built with `go install` when missing).
import { execFile, execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { closeSync, mkdirSync, openSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { Client, Connection } from '@temporalio/client';
import { msToTs } from '@temporalio/common/lib/time';
import { SEARCH_ATTRIBUTE_REGISTRATIONS } from '../../workflows/messages';
import { freePort } from './chaos/supervisor';
import { waitForTemporal } from './temporal-server';

const run = promisify(execFile);

export interface TemporalServerBinaries {
  server: string;
  sql: string;
  /** schema/postgresql/v12 of the same server version. */
  schema: string;
}

export function findTemporalServer(): TemporalServerBinaries {
  const script = resolve(__dirname, '../../scripts/temporal-server.sh');
  const out = execFileSync('bash', [script], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });
  const found = Object.fromEntries(out.trim().split('\n').map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]));
  return { server: found.server, sql: found.sql, schema: found.schema };
}

export interface TemporalPorts {
  frontend: number;
  history: number;
  matching: number;
  worker: number;
  /** Membership (ringpop) ports, one per service. */
  frontendMembership: number;
  historyMembership: number;
  matchingMembership: number;
  workerMembership: number;
  /** The Prometheus endpoint. */
  metrics: number;
}

/**
 * A free port below 32768: the SQL schema keeps membership ports in a smallint column, and the
 * ports the OS hands out (freePort) lie above it. Tried at random from 10000 up.
 */
async function freeMembershipPort(taken: Set<number>): Promise<number> {
  for (let attempt = 0; attempt < 200; attempt++) {
    const port = 10_000 + Math.floor(Math.random() * 22_000);
    if (taken.has(port)) continue;
    const free = await new Promise<boolean>((r) => {
      const s = createServer();
      s.once('error', () => r(false));
      s.listen(port, '127.0.0.1', () => s.close(() => r(true)));
    });
    if (free) return port;
  }
  throw new Error('no free port below 32768 for Temporal membership');
}

export async function pickTemporalPorts(): Promise<TemporalPorts> {
  const taken = new Set<number>();
  const membership = async () => {
    const port = await freeMembershipPort(taken);
    taken.add(port);
    return port;
  };
  return {
    frontend: await freePort(),
    history: await freePort(),
    matching: await freePort(),
    worker: await freePort(),
    frontendMembership: await membership(),
    historyMembership: await membership(),
    matchingMembership: await membership(),
    workerMembership: await membership(),
    metrics: await freePort(),
  };
}

export interface TemporalPostgresOptions {
  /** The Postgres the server keeps its state in (trust auth: no password). */
  postgres: { port: number; user: string };
  /** Persistence (history, shards, task queues) and visibility databases. */
  databases: { default: string; visibility: string };
  ports: TemporalPorts;
  /** Fixed for the life of the databases; production clusters use 512 or more, 4 fits two cores. */
  historyShards: number;
  logLevel?: 'debug' | 'info' | 'warn' | 'error';
}

export const TEMPORAL_DATABASES = { default: 'temporal', visibility: 'temporal_visibility' };

/** The server's config file (YAML; JSON strings are valid YAML scalars, so values are quoted with JSON.stringify). */
export function renderServerConfig(o: TemporalPostgresOptions): string {
  const q = JSON.stringify;
  const store = (database: string, conns: number) => [
    '      sql:',
    '        pluginName: "postgres12"',
    `        databaseName: ${q(database)}`,
    `        connectAddr: ${q(`127.0.0.1:${o.postgres.port}`)}`,
    '        connectProtocol: "tcp"',
    `        user: ${q(o.postgres.user)}`,
    '        password: ""',
    `        maxConns: ${conns}`,
    `        maxIdleConns: ${conns}`,
    '        maxConnLifetime: "1h"',
  ];
  const service = (name: string, grpc: number, membership: number) => [`  ${name}:`, '    rpc:', `      grpcPort: ${grpc}`, `      membershipPort: ${membership}`, '      bindOnLocalHost: true'];
  const p = o.ports;
  return [
    'log:',
    '  stdout: true',
    `  level: ${q(o.logLevel ?? 'warn')}`,
    'persistence:',
    '  defaultStore: postgres-default',
    '  visibilityStore: postgres-visibility',
    `  numHistoryShards: ${o.historyShards}`,
    '  datastores:',
    '    postgres-default:',
    ...store(o.databases.default, 20),
    '    postgres-visibility:',
    ...store(o.databases.visibility, 10),
    'global:',
    '  membership:',
    '    maxJoinDuration: 30s',
    '    broadcastAddress: "127.0.0.1"',
    '  metrics:',
    '    prometheus:',
    '      framework: "tally"',
    '      timerType: "histogram"',
    `      listenAddress: ${q(`127.0.0.1:${p.metrics}`)}`,
    'services:',
    ...service('frontend', p.frontend, p.frontendMembership),
    ...service('history', p.history, p.historyMembership),
    ...service('matching', p.matching, p.matchingMembership),
    ...service('worker', p.worker, p.workerMembership),
    'clusterMetadata:',
    '  enableGlobalNamespace: false',
    '  failoverVersionIncrement: 10',
    '  masterClusterName: "active"',
    '  currentClusterName: "active"',
    '  clusterInformation:',
    '    active:',
    '      enabled: true',
    '      initialFailoverVersion: 1',
    '      rpcName: "frontend"',
    `      rpcAddress: ${q(`127.0.0.1:${p.frontend}`)}`,
    'dcRedirectionPolicy:',
    '  policy: "noop"',
    '',
  ].join('\n');
}

/** Creates both databases in the given Postgres and brings their schemas to the binaries' version. */
export async function setUpTemporalDatabases(bin: TemporalServerBinaries, o: Pick<TemporalPostgresOptions, 'postgres' | 'databases'>): Promise<void> {
  const base = ['--plugin', 'postgres12', '--endpoint', '127.0.0.1', '--port', String(o.postgres.port), '--user', o.postgres.user];
  const sql = async (database: string, args: string[]) => {
    try {
      await run(bin.sql, [...base, '--db', database, ...args]);
    } catch (err) {
      const e = err as Error & { stderr?: string };
      throw new Error(`temporal sql tool ${args[0]} ${database} failed: ${e.stderr || e.message}`);
    }
  };
  for (const [database, dir] of [
    [o.databases.default, 'temporal'],
    [o.databases.visibility, 'visibility'],
  ]) {
    await sql(database, ['create-database']);
    await sql(database, ['setup-schema', '-v', '0.0']);
    await sql(database, ['update-schema', '-d', join(bin.schema, dir, 'versioned')]);
  }
}

/** Writes `<dir>/config/production.yaml`; returns the server's arguments to start it with. */
export function writeServerConfig(dir: string, o: TemporalPostgresOptions): string[] {
  mkdirSync(join(dir, 'config'), { recursive: true });
  writeFileSync(join(dir, 'config/production.yaml'), renderServerConfig(o));
  return ['--root', dir, '--config', 'config', '--env', 'production', '--allow-no-auth', 'start'];
}

/** The gRPC API's IndexedValueType numbers (temporal.api.enums.v1). */
const INDEXED_VALUE_TYPE = { Keyword: 2, KeywordList: 7 } as const;

/**
 * Registers the namespace (a real server starts with none) and the engine's search attributes,
 * then waits until a workflow can be started with them: the frontend reads both through a cache
 * that refreshes every few seconds.
 */
export async function prepareNamespace(address: string, namespace = 'default', timeoutMs = 120_000): Promise<void> {
  const connection = await Connection.connect({ address });
  const deadline = Date.now() + timeoutMs;
  // the frontend answers before the history shards are owned: the first calls may fail
  const retrying = async <T>(what: string, fn: () => Promise<T>): Promise<T> => {
    for (;;) {
      try {
        return await fn();
      } catch (err) {
        if (Date.now() > deadline) throw new Error(`${what} did not succeed within ${timeoutMs} ms: ${(err as Error).message}`);
        await new Promise((r) => setTimeout(r, 500));
      }
    }
  };
  try {
    await retrying('registering the namespace', () =>
      connection.workflowService.registerNamespace({ namespace, workflowExecutionRetentionPeriod: msToTs('3 days') }).catch((err: { code?: number }) => {
        if (err.code !== 6) throw err; // ALREADY_EXISTS: a restart over the same databases
      }),
    );
    const searchAttributes = Object.fromEntries(SEARCH_ATTRIBUTE_REGISTRATIONS.map(([name, type]) => [name, INDEXED_VALUE_TYPE[type]]));
    await retrying('registering the search attributes', () => connection.operatorService.addSearchAttributes({ namespace, searchAttributes }));
    const client = new Client({ connection, namespace });
    await retrying('a workflow start with the search attributes', async () => {
      const handle = await client.workflow.start('searchAttributeProbe', {
        taskQueue: 'temporal-postgres-probe',
        workflowId: `search-attribute-probe-${randomUUID()}`,
        searchAttributes: Object.fromEntries(SEARCH_ATTRIBUTE_REGISTRATIONS.map(([name]) => [name, ['probe']])),
      });
      await handle.terminate('probe');
    });
  } finally {
    await connection.close();
  }
}

export interface TemporalPostgresServer {
  address: string;
  metricsUrl: string;
  child: ChildProcess;
  stop(): Promise<void>;
}

/** Starts the server binary with a config written by writeServerConfig; resolves once it answers. */
export function spawnTemporalServer(bin: TemporalServerBinaries, args: string[], logFile: string): ChildProcess {
  const out = openSync(logFile, 'a');
  try {
    return spawn(bin.server, args, { stdio: ['ignore', out, out] });
  } finally {
    closeSync(out);
  }
}

/**
 * The whole setup in a Postgres that runs already: databases, schema, config in `dir`, the server
 * started, the namespace and search attributes registered.
 */
export async function startTemporalPostgres(o: TemporalPostgresOptions & { dir: string; logFile: string; namespace?: string }): Promise<TemporalPostgresServer> {
  const bin = findTemporalServer();
  await setUpTemporalDatabases(bin, o);
  const child = spawnTemporalServer(bin, writeServerConfig(o.dir, o), o.logFile);
  const address = `127.0.0.1:${o.ports.frontend}`;
  const stop = async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise<void>((r) => child.once('exit', () => r()));
    child.kill('SIGTERM');
    // it hands its shards back on the way out, which takes a few seconds
    const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
    await exited;
    clearTimeout(timer);
  };
  try {
    await waitForTemporal(address, 120_000, child);
    await prepareNamespace(address, o.namespace);
  } catch (err) {
    await stop();
    throw err;
  }
  return { address, metricsUrl: `http://127.0.0.1:${o.ports.metrics}/metrics`, child, stop };
}
