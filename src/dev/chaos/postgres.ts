// A Postgres cluster of the chaos run's own, in a temporary directory on its own port, so it can
// be crashed (`pg_ctl stop -m immediate`: no checkpoint, crash recovery at the next start) without
// touching anyone else's database. initdb and postgres refuse to run as root: as root, they run
// as the `postgres` OS user.
import { execFile, execFileSync } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { ChaosProcess } from './supervisor';

const run = promisify(execFile);
const PG_ROOT = '/usr/lib/postgresql';

/** The newest installed server's bin directory (Debian layout: /usr/lib/postgresql/<major>/bin). */
export function postgresBinDir(): string {
  const majors = existsSync(PG_ROOT) ? readdirSync(PG_ROOT).filter((d) => existsSync(join(PG_ROOT, d, 'bin/initdb'))) : [];
  if (!majors.length) throw new Error(`no PostgreSQL server found under ${PG_ROOT} (initdb and pg_ctl are needed for the chaos run)`);
  return join(PG_ROOT, majors.sort((a, b) => Number(b) - Number(a))[0], 'bin');
}

const asRoot = process.getuid?.() === 0;

export class PostgresCluster implements ChaosProcess {
  readonly name = 'postgres' as const;
  private readonly bin = postgresBinDir();
  readonly dir = mkdtempSync(join(tmpdir(), 'dropship-chaos-pg-'));
  private readonly data = join(this.dir, 'data');

  constructor(readonly port: number) {
    if (asRoot) {
      const id = (flag: string) => Number(execFileSync('id', [flag, 'postgres'], { encoding: 'utf8' }).trim());
      chownSync(this.dir, id('-u'), id('-g'));
    }
  }

  url(database = 'dropship'): string {
    return `postgres://postgres@127.0.0.1:${this.port}/${database}`;
  }

  private async pg(tool: string, args: string[]): Promise<void> {
    const cmd = join(this.bin, tool);
    try {
      if (asRoot) await run('runuser', ['-u', 'postgres', '--', cmd, ...args], { cwd: this.dir });
      else await run(cmd, args, { cwd: this.dir });
    } catch (err) {
      const e = err as Error & { stderr?: string };
      throw new Error(`${tool} ${args.join(' ')} failed: ${e.stderr || e.message}`);
    }
  }

  /** An empty cluster with trust auth for local connections only. */
  async init(): Promise<void> {
    await this.pg('initdb', ['-D', this.data, '-U', 'postgres', '-A', 'trust', '--no-sync', '-E', 'UTF8']);
  }

  async start(): Promise<void> {
    // fsync off: the crashes here are process crashes, which lose nothing the kernel already has.
    const opts = `-p ${this.port} -k ${this.dir} -c listen_addresses=127.0.0.1 -c fsync=off`;
    await this.pg('pg_ctl', ['-D', this.data, '-l', join(this.dir, 'postgres.log'), '-o', opts, '-w', '-t', '120', 'start']);
  }

  async crash(): Promise<void> {
    await this.pg('pg_ctl', ['-D', this.data, '-m', 'immediate', '-w', 'stop']);
  }

  async stop(): Promise<void> {
    await this.pg('pg_ctl', ['-D', this.data, '-m', 'fast', '-w', 'stop']).catch(() => undefined);
  }

  /** Stops it if it runs and deletes the cluster. */
  async remove(): Promise<void> {
    await this.stop();
    rmSync(this.dir, { recursive: true, force: true });
  }
}
