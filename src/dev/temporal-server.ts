// Starts `temporal server start-dev` from a known binary (never the SDK's download) with our
// search attributes registered, and waits until it answers. Used by the run command and tests.
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, openSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { Connection } from '@temporalio/client';
import { SEARCH_ATTRIBUTE_REGISTRATIONS } from '../../workflows/messages';

export function findTemporalCli(): string {
  const script = resolve(__dirname, '../../scripts/temporal-cli.sh');
  return execFileSync('bash', [script], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] }).trim();
}

export interface DevServerOptions {
  cliPath: string;
  port: number;
  /** Web UI port; omitted → headless. */
  uiPort?: number;
  /** SQLite file; omitted → in memory. */
  dbFile?: string;
  namespace?: string;
  logFile?: string;
  extraArgs?: string[];
}

export interface DevServer {
  address: string;
  child: ChildProcess;
  stop(): Promise<void>;
}

export function devServerArgs(o: DevServerOptions): string[] {
  const args = ['server', 'start-dev', '--ip', '127.0.0.1', '--port', String(o.port), '--namespace', o.namespace ?? 'default', '--log-level', 'warn'];
  if (o.uiPort) args.push('--ui-port', String(o.uiPort));
  else args.push('--headless');
  if (o.dbFile) {
    mkdirSync(dirname(o.dbFile), { recursive: true });
    args.push('--db-filename', o.dbFile, '--sqlite-pragma', 'journal_mode=WAL', '--sqlite-pragma', 'synchronous=NORMAL');
  }
  for (const [name, type] of SEARCH_ATTRIBUTE_REGISTRATIONS) args.push('--search-attribute', `${name}=${type}`);
  return [...args, ...(o.extraArgs ?? [])];
}

export async function waitForTemporal(address: string, timeoutMs = 60_000, child?: ChildProcess): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  while (Date.now() < deadline) {
    if (child && child.exitCode !== null) throw new Error(`temporal dev server exited with code ${child.exitCode}`);
    try {
      const c = await Connection.connect({ address, connectTimeout: 1000 });
      try {
        await c.workflowService.getSystemInfo({});
        return;
      } finally {
        await c.close();
      }
    } catch (err) {
      lastError = err;
      await new Promise((r) => setTimeout(r, 250));
    }
  }
  throw new Error(`Temporal at ${address} did not answer within ${timeoutMs} ms: ${(lastError as Error)?.message}`);
}

export async function startDevServer(o: DevServerOptions): Promise<DevServer> {
  const out = o.logFile ? openSync(o.logFile, 'a') : 'ignore';
  const child = spawn(o.cliPath, devServerArgs(o), { stdio: ['ignore', out, out], detached: false });
  const address = `127.0.0.1:${o.port}`;
  await waitForTemporal(address, 90_000, child);
  return {
    address,
    child,
    async stop() {
      if (child.exitCode !== null) return;
      const exited = new Promise<void>((r) => child.once('exit', () => r()));
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(timer);
    },
  };
}
