// A small read-only FTP (and explicit FTPS) server for the distributor simulators' file feeds
// (Tucker custlistsi.txt, Automatic inventory.csv; reference §8.5). Files are virtual: each is
// produced on demand as a stream of chunks, so a 200,000-row feed is never one string in memory.
// Bound to 127.0.0.1; passive data ports are taken free from the OS (or from a given range).
import { createServer } from 'node:net';
import { Readable } from 'node:stream';
import FtpSrv, { type FileSystem } from 'ftp-srv';
// The error classes ftp-srv replies with (message + FTP code); its typings do not declare this export.
const { FileSystemError, GeneralError } = require('ftp-srv').ftpErrors as {
  FileSystemError: new (message: string, code?: number) => Error;
  GeneralError: new (message: string, code?: number) => Error;
};

export interface VirtualFile {
  /** Name at the FTP root. */
  name: string;
  /** The content, produced anew for every download (strings are written as UTF-8). */
  content(): Iterable<string | Buffer> | AsyncIterable<string | Buffer>;
  mtime?: Date;
}

export interface SimFtpServerOptions {
  /** The files a logged-in user sees at the root. */
  files(username: string): VirtualFile[];
  /** Enables explicit FTPS (AUTH TLS) with this certificate. */
  tls?: { key: string | Buffer; cert: string | Buffer };
  /** Passive data port range; by default each data connection gets a port the OS picks as free. */
  passivePorts?: { min: number; max: number };
}

const CHUNK_BYTES = 64 * 1024;

/** Batches small pieces (one row each) into ~64 KiB chunks: ftp-srv waits for a write callback per chunk. */
async function* chunked(source: Iterable<string | Buffer> | AsyncIterable<string | Buffer>): AsyncGenerator<Buffer> {
  let parts: Buffer[] = [];
  let size = 0;
  for await (const piece of source as AsyncIterable<string | Buffer>) {
    const b = typeof piece === 'string' ? Buffer.from(piece, 'utf8') : piece;
    parts.push(b);
    size += b.length;
    if (size >= CHUNK_BYTES) {
      yield Buffer.concat(parts, size);
      parts = [];
      size = 0;
    }
  }
  if (size) yield Buffer.concat(parts, size);
}

async function byteLength(file: VirtualFile): Promise<number> {
  let n = 0;
  for await (const piece of file.content() as AsyncIterable<string | Buffer>) n += typeof piece === 'string' ? Buffer.byteLength(piece) : piece.length;
  return n;
}

interface Stat {
  name: string;
  size: number;
  mtime: Date;
  mode: number;
  isDirectory(): boolean;
}

/** The ftp-srv FileSystem interface over one flat, read-only directory of virtual files. */
class VirtualFileSystem {
  cwd = '/';
  readonly root = '/';
  constructor(private readonly files: () => VirtualFile[]) {}

  private resolve(path = '.'): string {
    const parts: string[] = [];
    for (const seg of (path.startsWith('/') ? path : `${this.cwd}/${path}`).split('/')) {
      if (!seg || seg === '.') continue;
      if (seg === '..') parts.pop();
      else parts.push(seg);
    }
    return `/${parts.join('/')}`;
  }

  private file(path: string): VirtualFile {
    const abs = this.resolve(path);
    const f = this.files().find((x) => `/${x.name}` === abs);
    if (!f) throw new FileSystemError('No such file or directory', 550);
    return f;
  }

  private dirStat(name: string): Stat {
    return { name, size: 0, mtime: new Date(), mode: 0o40555, isDirectory: () => true };
  }

  private async fileStat(f: VirtualFile, name: string): Promise<Stat> {
    return { name, size: await byteLength(f), mtime: f.mtime ?? new Date(), mode: 0o100444, isDirectory: () => false };
  }

  currentDirectory(): string {
    return this.cwd;
  }

  async get(fileName: string): Promise<Stat> {
    if (this.resolve(fileName) === '/') return this.dirStat(fileName);
    return this.fileStat(this.file(fileName), fileName);
  }

  async list(path = '.'): Promise<Stat[]> {
    if (this.resolve(path) !== '/') throw new FileSystemError('No such directory', 550);
    return Promise.all(this.files().map((f) => this.fileStat(f, f.name)));
  }

  async chdir(path = '.'): Promise<string> {
    if (this.resolve(path) !== '/') throw new FileSystemError('No such directory', 550);
    this.cwd = '/';
    return this.cwd;
  }

  async read(fileName: string, { start }: { start?: number } = {}): Promise<{ stream: Readable; clientPath: string }> {
    const f = this.file(fileName);
    let skip = start ?? 0;
    const source = async function* () {
      for await (const chunk of chunked(f.content())) {
        if (skip >= chunk.length) {
          skip -= chunk.length;
          continue;
        }
        yield skip ? chunk.subarray(skip) : chunk;
        skip = 0;
      }
    };
    return { stream: Readable.from(source(), { objectMode: false }), clientPath: this.resolve(fileName) };
  }

  private readOnly(): never {
    throw new FileSystemError('Read-only file system', 550);
  }
  write(): never {
    return this.readOnly();
  }
  delete(): never {
    return this.readOnly();
  }
  mkdir(): never {
    return this.readOnly();
  }
  rename(): never {
    return this.readOnly();
  }
  chmod(): never {
    return this.readOnly();
  }
  getUniqueName(name: string): string {
    return name;
  }
}

const silentLog = {
  trace() {},
  debug() {},
  info() {},
  warn() {},
  error() {},
  fatal() {},
  child() {
    return silentLog;
  },
};

function freePort(host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, host, () => {
      const addr = probe.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      probe.close(() => resolve(port));
    });
  });
}

const HOST = '127.0.0.1';

export class SimFtpServer {
  private readonly accounts = new Map<string, string>();
  private server?: FtpSrv;
  private boundPort?: number;

  constructor(private readonly options: SimFtpServerOptions) {}

  /** Adds or replaces an FTP login. */
  setAccount(username: string, password: string): void {
    this.accounts.set(username, password);
  }

  clearAccounts(): void {
    this.accounts.clear();
  }

  get port(): number | undefined {
    return this.boundPort;
  }

  /** `ftp://127.0.0.1:<port>` once listening. */
  get url(): string | undefined {
    return this.boundPort === undefined ? undefined : `ftp://${HOST}:${this.boundPort}`;
  }

  async listen(port = 0): Promise<string> {
    if (this.server) throw new Error('FTP server already listening');
    // ftp-srv installs SIGINT/SIGTERM/SIGQUIT handlers that exit the process; the simulator's
    // owner (main.ts, tests) decides about exiting, so they are removed again.
    const signals = ['SIGINT', 'SIGTERM', 'SIGQUIT'] as const;
    const before = new Map(signals.map((s) => [s, new Set(process.listeners(s))]));
    const server = new FtpSrv({
      url: `ftp://${HOST}:${port}`,
      pasv_url: HOST,
      ...(this.options.passivePorts ? { pasv_min: this.options.passivePorts.min, pasv_max: this.options.passivePorts.max } : {}),
      tls: this.options.tls ? { key: this.options.tls.key, cert: this.options.tls.cert } : false,
      anonymous: false,
      greeting: ['Simulator FTP'],
      log: silentLog,
    });
    for (const s of signals) for (const l of process.listeners(s)) if (!before.get(s)!.has(l)) process.removeListener(s, l as () => void);
    if (!this.options.passivePorts) {
      (server as unknown as { getNextPasvPort: () => Promise<number> }).getNextPasvPort = () => freePort(HOST);
    }
    server.on('login', ({ username, password }, resolve, reject) => {
      if (this.accounts.has(username) && this.accounts.get(username) === password) {
        resolve({ fs: new VirtualFileSystem(() => this.options.files(username)) as unknown as FileSystem });
      } else {
        reject(new GeneralError('Login incorrect.', 530));
      }
    });
    // A client dropping a connection mid-transfer is normal here; nothing to report.
    server.on('client-error', () => undefined);
    await server.listen();
    const addr = (server as unknown as { server: import('node:net').Server }).server.address();
    this.boundPort = typeof addr === 'object' && addr ? addr.port : port;
    this.server = server;
    return this.url!;
  }

  async close(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    this.boundPort = undefined;
    if (server) await server.close();
  }
}

/** Starts a simulator's HTTP API and its FTP feed server together; answers the HTTP URL. */
export async function listenWithFeed(http: { listen(port: number): Promise<string>; close(): Promise<void> }, ftp: SimFtpServer, port: number, ftpPort: number): Promise<string> {
  const url = await http.listen(port);
  try {
    await ftp.listen(ftpPort);
  } catch (err) {
    await http.close();
    throw err;
  }
  return url;
}
