// The engine's processes under chaos: each can be crashed (SIGKILL) and started again, and a
// process that dies on its own (e.g. the worker failing its migration while Postgres is down) is
// started again after a second, as a process manager would.
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, createWriteStream, openSync, type WriteStream } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { devServerArgs, waitForTemporal } from '../temporal-server';
import { send, sleep } from './http';

/** `worker 2` and `api 2`: the second worker and API server of the topology run. */
export type ProcessName = 'worker' | 'api' | 'temporal' | 'postgres' | 'worker 2' | 'api 2';

export interface ChaosProcess {
  readonly name: ProcessName;
  /** Starts it and resolves once it serves. */
  start(): Promise<void>;
  /** Kills it the hard way (no shutdown hooks run) and resolves once it is gone. */
  crash(): Promise<void>;
  /** Stops it cleanly at the end of the run. */
  stop(): Promise<void>;
}

/** What happened to a process that nobody killed: the report lists these. */
export interface UnplannedExit {
  process: ProcessName;
  at: string;
  code: number | null;
  signal: string | null;
}

const READY_TIMEOUT_MS = 180_000;

function exited(child: ChildProcess): Promise<void> {
  return new Promise((r) => (child.exitCode !== null || child.signalCode !== null ? r() : child.once('exit', () => r())));
}

/** A free local port (the OS picks one; the run then keeps it across restarts). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const addr = s.address();
      s.close(() => resolve(typeof addr === 'object' && addr ? addr.port : 0));
    });
  });
}

abstract class Supervised implements ChaosProcess {
  /** The incarnation that runs (starting or serving), so a crash reaches it either way. */
  private current?: ChildProcess;
  private serving?: ChildProcess;
  private wanted = false;

  constructor(
    readonly name: ProcessName,
    private readonly unplanned: UnplannedExit[],
  ) {}

  protected abstract spawnChild(): ChildProcess;
  /** Resolves once the child serves; rejects if it hangs (its death is watched by start). */
  protected abstract ready(child: ChildProcess): Promise<void>;
  protected abstract signal(child: ChildProcess, signal: NodeJS.Signals): void;

  async start(): Promise<void> {
    this.wanted = true;
    const deadline = Date.now() + READY_TIMEOUT_MS;
    for (;;) {
      const child = this.spawnChild();
      this.current = child;
      child.once('exit', (code, signal) => this.onExit(child, code, signal));
      try {
        const died = exited(child).then(() => Promise.reject(new Error(`exited (${child.exitCode ?? child.signalCode}) before it served`)));
        await Promise.race([this.ready(child), died]);
        this.serving = child;
        return;
      } catch (err) {
        this.signal(child, 'SIGKILL');
        await exited(child);
        if (!this.wanted) return;
        if (Date.now() > deadline) throw new Error(`${this.name} did not start within ${READY_TIMEOUT_MS} ms: ${(err as Error).message}`);
        await sleep(1000);
      }
    }
  }

  private onExit(child: ChildProcess, code: number | null, signal: NodeJS.Signals | null): void {
    if (child !== this.serving || !this.wanted) return;
    this.serving = this.current = undefined;
    this.unplanned.push({ process: this.name, at: new Date().toISOString(), code, signal });
    void sleep(1000).then(() => (this.wanted && !this.current ? this.start() : undefined)).catch(() => undefined);
  }

  private async end(signal: NodeJS.Signals): Promise<void> {
    this.wanted = false;
    const child = this.current;
    this.serving = this.current = undefined;
    if (!child) return;
    this.signal(child, signal);
    const timer = setTimeout(() => this.signal(child, 'SIGKILL'), 10_000);
    await exited(child);
    clearTimeout(timer);
  }

  crash(): Promise<void> {
    return this.end('SIGKILL');
  }

  stop(): Promise<void> {
    return this.end('SIGTERM');
  }
}

export interface EntryPointOptions {
  root: string;
  /** e.g. `worker.ts`, run with the project's tsx. */
  file: string;
  env: NodeJS.ProcessEnv;
  logFile: string;
  /** Serving once this appears on its output … */
  readyLine?: RegExp;
  /** … or once this URL answers at all. */
  readyUrl?: string;
}

/** worker.ts or server.ts as a child process in its own process group. */
export class EntryPoint extends Supervised {
  private log?: WriteStream;
  private saidReady = new WeakSet<ChildProcess>();

  constructor(
    name: ProcessName,
    unplanned: UnplannedExit[],
    private readonly o: EntryPointOptions,
  ) {
    super(name, unplanned);
  }

  protected spawnChild(): ChildProcess {
    this.log ??= createWriteStream(this.o.logFile, { flags: 'a' });
    const log = this.log;
    log.write(`--- ${new Date().toISOString()} starting ${this.o.file}\n`);
    const child = spawn(join(this.o.root, 'node_modules/.bin/tsx'), [this.o.file], {
      cwd: this.o.root,
      env: this.o.env,
      stdio: ['ignore', 'pipe', 'pipe'],
      // its own process group: tsx runs the entry point in a child process, and a kill must reach it
      detached: true,
    });
    // matched as the output streams by, since a busy worker's warnings quickly bury the line
    let tail = '';
    const onOutput = (c: Buffer) => {
      log.write(c);
      const text = tail + c.toString();
      if (this.o.readyLine?.test(text)) this.saidReady.add(child);
      tail = text.slice(-200);
    };
    child.stdout!.on('data', onOutput);
    child.stderr!.on('data', onOutput);
    return child;
  }

  protected async ready(child: ChildProcess): Promise<void> {
    const deadline = Date.now() + READY_TIMEOUT_MS;
    for (;;) {
      if (child.exitCode !== null || child.signalCode !== null) throw new Error(`${this.o.file} exited before it served`);
      if (this.saidReady.has(child)) return;
      if (this.o.readyUrl && (await send('GET', this.o.readyUrl, { timeoutMs: 2000 })).status > 0) return;
      if (Date.now() > deadline) throw new Error(`${this.o.file} did not serve within ${READY_TIMEOUT_MS} ms`);
      await sleep(200);
    }
  }

  protected signal(child: ChildProcess, signal: NodeJS.Signals): void {
    try {
      process.kill(-child.pid!, signal);
    } catch {
      // already gone
    }
  }

  override async stop(): Promise<void> {
    await super.stop();
    await new Promise<void>((r) => (this.log ? this.log.end(() => r()) : r()));
    this.log = undefined;
  }
}

/** The Temporal dev server on a SQLite file, so what it knew survives its crash. */
export class TemporalDevServer extends Supervised {
  constructor(
    unplanned: UnplannedExit[],
    private readonly o: { cliPath: string; port: number; dbFile: string; logFile: string },
  ) {
    super('temporal', unplanned);
  }

  get address(): string {
    return `127.0.0.1:${this.o.port}`;
  }

  // devServerArgs + waitForTemporal rather than startDevServer: a start that hangs must be
  // killable, and startDevServer keeps its child to itself until the server answers.
  protected spawnChild(): ChildProcess {
    const out = openSync(this.o.logFile, 'a');
    try {
      return spawn(this.o.cliPath, devServerArgs({ cliPath: this.o.cliPath, port: this.o.port, dbFile: this.o.dbFile }), { stdio: ['ignore', out, out] });
    } finally {
      closeSync(out);
    }
  }

  protected ready(child: ChildProcess): Promise<void> {
    return waitForTemporal(this.address, 90_000, child);
  }

  protected signal(child: ChildProcess, signal: NodeJS.Signals): void {
    child.kill(signal);
  }
}

/** Temporal's own server (src/dev/temporal-postgres.ts) on Postgres: its state is in the databases, so a crash loses nothing. */
export class TemporalServer extends Supervised {
  constructor(
    unplanned: UnplannedExit[],
    private readonly o: { address: string; spawn: () => ChildProcess },
  ) {
    super('temporal', unplanned);
  }

  get address(): string {
    return this.o.address;
  }

  protected spawnChild(): ChildProcess {
    return this.o.spawn();
  }

  protected ready(child: ChildProcess): Promise<void> {
    return waitForTemporal(this.address, 120_000, child);
  }

  protected signal(child: ChildProcess, signal: NodeJS.Signals): void {
    child.kill(signal);
  }
}
