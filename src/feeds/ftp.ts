// The FTP/FTPS side of the file feeds (Tucker custlistsi.txt, Automatic inventory.csv; reference
// §8.5): the feed settings schema, the host check, a login + listing (verify) and a streaming
// download. Parsing lives in each distributor's module.
//
// - The host is dealer input. It is parsed as a URL host (so `2130706433` or `0x7f.1` are seen as
//   the 127.0.0.1 they are) and checked with hostKind() BEFORE any connection; the connection then
//   goes to that parsed host, so what was checked is what is dialled. basic-ftp refuses a PASV data
//   address other than the control host (allowSeparateTransferHost stays false), so a server
//   cannot point the data connection elsewhere either.
// - FTP commands end at CRLF: user name, password and path refuse control characters, or a
//   setting could smuggle in a command.
// - The password (and the user name, masked in responses too) is cut out of every error message;
//   basic-ftp's own logging stays off.
// - The download is ended only after the server's 226: a transfer cut short shows up as an error
//   on the stream, never as a short file (a short file would look like discontinued items).
import { Writable, PassThrough, type Readable } from 'node:stream';
import { isIP } from 'node:net';
import { posix } from 'node:path';
import type { ConnectionOptions } from 'node:tls';
import { Client, FTPError } from 'basic-ftp';
import { z } from 'zod';
import type { FeedContext } from '../distributors/types';
import { ExternalCallError, type RefusalCode } from '../external-errors';
import { hostKind, type UrlPolicy } from '../outbound';

const NO_CONTROL_CHARS = /^[^\x00-\x1f\x7f]+$/;

/** `feed: {host, port?, username, password, path?, secure?}` of the Tucker and Automatic credentials. */
export const ftpFeedSettingsSchema = z.strictObject({
  host: z
    .string()
    .trim()
    .min(1, 'feed.host is required')
    .max(253)
    .refine((h) => parseFtpHost(h) !== undefined, 'feed.host must be a host name or an IP address (no scheme, port or path)'),
  port: z.number().int().min(1).max(65535).default(21),
  username: z.string().trim().min(1, 'feed.username is required').max(128).regex(NO_CONTROL_CHARS, 'feed.username: no control characters'),
  password: z.string().min(1, 'feed.password is required').max(256).regex(NO_CONTROL_CHARS, 'feed.password: no control characters'),
  /** The file's path on the server; default: the distributor's file name at the root. */
  path: z.string().trim().min(1).max(512).regex(NO_CONTROL_CHARS, 'feed.path: no control characters').optional(),
  /** Explicit FTPS (AUTH TLS) for the control and data connections. */
  secure: z.boolean().default(false),
});

/** Feed settings as stored (schema output) or as written by hand (port and secure optional). */
export type FtpFeedSettings = z.input<typeof ftpFeedSettingsSchema>;

/** Per-distributor facts the client needs. */
export interface FtpFileSource {
  /** Call-log / error target, e.g. `tucker-rocky`. */
  target: string;
  /** The distributor's name in messages. */
  name: string;
  /** The file when `feed.path` is absent, e.g. `/custlistsi.txt`. */
  defaultPath: string;
}

export interface FtpClientOptions {
  /** Connect + greeting + login (+ AUTH TLS). Default 20 s. */
  connectTimeoutMs?: number;
  /** No progress on the control or data connection for this long → timeout. Default 60 s. */
  idleTimeoutMs?: number;
  /** Extra TLS options for FTPS (e.g. `ca` for a private certificate authority). */
  tls?: ConnectionOptions;
}

/** Server's wait for a 421 that names none [GUESS: FTP servers rarely say]. */
export const FTP_THROTTLE_RETRY_MS = 60_000;

/** The host as a URL parser reads it (IPv6 without brackets), or undefined when it is not a bare host. */
export function parseFtpHost(raw: string): string | undefined {
  const h = raw.trim();
  const ipv6 = /^\[?[0-9A-Fa-f:.]*:[0-9A-Fa-f:.]*\]?$/.test(h);
  if (!ipv6 && !/^[A-Za-z0-9.-]*[A-Za-z0-9][A-Za-z0-9.-]*$/.test(h)) return undefined;
  try {
    const url = new URL(`ftp://${ipv6 && !h.startsWith('[') ? `[${h}]` : h}/`);
    if (url.username || url.password || url.port || url.pathname !== '/') return undefined;
    return url.hostname.replace(/^\[|\]$/g, '');
  } catch {
    return undefined;
  }
}

/**
 * Why a feed host may not be dialled under `policy`, or undefined when it may: private,
 * link-local, metadata and other refused addresses never; loopback only outside production.
 * For the API route to call before saving, and checked again before every connection.
 */
export function ftpHostProblem(host: string, policy: UrlPolicy): string | undefined {
  const parsed = parseFtpHost(host);
  if (parsed === undefined) return 'is not a host name or IP address';
  const kind = hostKind(parsed);
  if (kind && kind !== 'loopback') return `points at ${kind} (${parsed})`;
  if (kind === 'loopback' && policy.appEnv === 'production') return `points at this machine (${parsed}), which production does not allow`;
  return undefined;
}

/** The file's absolute path on the server. */
export function ftpFilePath(settings: FtpFeedSettings, source: FtpFileSource): string {
  const p = settings.path?.trim() || source.defaultPath;
  return posix.normalize(p.startsWith('/') ? p : `/${p}`);
}

function noSettings(source: FtpFileSource): ExternalCallError {
  return new ExternalCallError(
    'permanent',
    'account_setup_required',
    `The ${source.name} connection has no feed settings: add feed {host, username, password} (the FTP account ${source.name} gives you) to the connection`,
    { target: source.target },
  );
}

function abortError(signal: AbortSignal): unknown {
  return signal.reason ?? Object.assign(new Error('The feed run was aborted'), { name: 'AbortError' });
}

type Phase = 'login' | 'list' | 'download';

interface FailureFlags {
  timedOut?: boolean;
}

/** Any failure of the FTP conversation → one ExternalCallError, with the secrets cut out. */
export function classifyFtpFailure(
  err: unknown,
  settings: FtpFeedSettings,
  source: FtpFileSource,
  phase: Phase,
  flags: FailureFlags = {},
): ExternalCallError {
  if (err instanceof ExternalCallError) return err;
  const secrets = [settings.password, settings.username.length >= 3 ? settings.username : ''].filter(Boolean);
  const clean = (s: string) => secrets.reduce((acc, sec) => acc.split(sec).join('***'), s).replace(/\s+/g, ' ').trim().slice(0, 300);
  const raw = err instanceof Error ? err.message : String(err);
  const said = clean(raw);
  const host = parseFtpHost(settings.host) ?? settings.host;
  const where = `${source.name}'s FTP server ${host}:${settings.port ?? 21}`;
  const make = (kind: 'transient' | 'permanent', code: RefusalCode, message: string, extra: { retryAfterMs?: number; upstreamCode?: string } = {}) =>
    new ExternalCallError(kind, code, message, { target: source.target, ...extra });

  if (phase !== 'login' && /no such (file|directory)|not found|does not exist|no directory/i.test(raw)) {
    return make('permanent', 'account_setup_required', `${where} has no such file or directory (${said}); check feed.path of the ${source.name} connection`);
  }
  // basic-ftp also wraps socket errors in FTPError, with the errno text as code: only a number is an FTP reply.
  if (err instanceof FTPError && typeof err.code === 'number') {
    const ftpCode = String(err.code);
    if (err.code === 530 || (err.code === 331 && phase === 'login')) {
      return make('permanent', 'credentials_rejected', `${where} refused the feed user name or password (${said}); check the feed settings of the ${source.name} connection`, {
        upstreamCode: ftpCode,
      });
    }
    if (err.code === 421) {
      const secs = raw.match(/(\d+)\s*(?:seconds?|secs?|s)\b/i)?.[1];
      return make('transient', 'throttled', `${where} refused the connection for now (${said})`, {
        upstreamCode: ftpCode,
        retryAfterMs: secs ? Number(secs) * 1000 : FTP_THROTTLE_RETRY_MS,
      });
    }
    if (phase === 'login' && settings.secure && [500, 502, 504, 534, 431].includes(err.code)) {
      return make('permanent', 'account_setup_required', `${where} does not offer FTPS (${said}); turn feed.secure off or ask ${source.name} for an FTPS account`, {
        upstreamCode: ftpCode,
      });
    }
    if (err.code === 550 || err.code === 553) {
      return make('permanent', 'account_setup_required', `${where} has no readable feed file there (${said}); check feed.path of the ${source.name} connection`, {
        upstreamCode: ftpCode,
      });
    }
    if (err.code >= 400 && err.code < 500) return make('transient', 'upstream_unavailable', `${where} failed for now (${said})`, { upstreamCode: ftpCode });
    return make('permanent', 'invalid_request', `${where} refused the request (${said})`, { upstreamCode: ftpCode });
  }
  if (flags.timedOut || /^Timeout\b/i.test(raw)) {
    return make('transient', 'timeout', `${where} did not answer in time (${phase})`);
  }
  const code = String((err as { code?: unknown })?.code ?? '');
  if (/CERT|SELF_SIGNED|UNABLE_TO_VERIFY|ERR_TLS|HOSTNAME|ALTNAME/i.test(code) || /certificate/i.test(raw)) {
    return make('permanent', 'invalid_request', `${where} presented a TLS certificate that was not accepted (${said})`, { upstreamCode: code || undefined });
  }
  return make('transient', 'network_error', `${where} could not be reached (${said})`, { upstreamCode: code || undefined });
}

interface Session {
  client: Client;
  /** Ends the session (idempotent). */
  close(): void;
  flags: FailureFlags;
}

/** Checks the host, connects and logs in. Throws ExternalCallError (or the abort reason). */
async function login(settings: FtpFeedSettings | undefined, ctx: FeedContext, source: FtpFileSource, opts: FtpClientOptions): Promise<Session> {
  if (!settings) throw noSettings(source);
  const problem = ftpHostProblem(settings.host, ctx.urlPolicy);
  if (problem) {
    throw new ExternalCallError('permanent', 'destination_refused', `The ${source.name} feed host ${problem}; nothing was sent`, { target: source.target });
  }
  if (ctx.signal?.aborted) throw abortError(ctx.signal);
  const host = parseFtpHost(settings.host)!;
  const client = new Client(opts.idleTimeoutMs ?? 60_000);
  const flags: FailureFlags = {};
  let closed = false;
  const onAbort = () => client.close();
  const close = () => {
    if (closed) return;
    closed = true;
    ctx.signal?.removeEventListener('abort', onAbort);
    client.close();
  };
  ctx.signal?.addEventListener('abort', onAbort, { once: true });
  const timer = setTimeout(() => {
    flags.timedOut = true;
    client.close();
  }, opts.connectTimeoutMs ?? 20_000);
  try {
    await client.access({
      host,
      port: settings.port ?? 21,
      user: settings.username,
      password: settings.password,
      secure: settings.secure === true,
      secureOptions: { ...(isIP(host) ? {} : { servername: host }), ...opts.tls },
    });
    return { client, close, flags };
  } catch (err) {
    close();
    if (ctx.signal?.aborted) throw abortError(ctx.signal);
    throw classifyFtpFailure(err, settings, source, 'login', flags);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Logs in and lists the directory that holds the feed file; resolves when the file is there.
 * Login refused → permanent `credentials_rejected`; no feed settings → `account_setup_required`.
 */
export async function verifyFtpFeed(
  settings: FtpFeedSettings | undefined,
  ctx: FeedContext,
  source: FtpFileSource,
  opts: FtpClientOptions = {},
): Promise<void> {
  const session = await login(settings, ctx, source, opts);
  const path = ftpFilePath(settings!, source);
  const dir = posix.dirname(path);
  const name = posix.basename(path);
  try {
    const list = await session.client.list(dir);
    if (!list.some((f) => f.name === name || f.name === path)) {
      throw new ExternalCallError(
        'permanent',
        'account_setup_required',
        `${source.name}'s FTP server has no ${name} in ${dir}; check feed.path of the ${source.name} connection (or ask ${source.name} whether the file is published)`,
        { target: source.target },
      );
    }
  } catch (err) {
    if (ctx.signal?.aborted) throw abortError(ctx.signal);
    throw classifyFtpFailure(err, settings!, source, 'list', session.flags);
  } finally {
    session.close();
  }
}

/**
 * Logs in (failures throw here, before any row) and starts downloading the feed file. The
 * returned stream carries the bytes; a transfer failure, a timeout or an abort destroys it with
 * the ExternalCallError (or the abort reason). Destroying the stream early closes the connection.
 */
export async function openFtpDownload(
  settings: FtpFeedSettings | undefined,
  ctx: FeedContext,
  source: FtpFileSource,
  opts: FtpClientOptions = {},
): Promise<Readable> {
  const session = await login(settings, ctx, source, opts);
  const path = ftpFilePath(settings!, source);
  const out = new PassThrough({ highWaterMark: 256 * 1024 });
  let finished = false;
  // basic-ftp ends its destination when the data socket ends, before the server's 226 says the
  // file is complete: write through a sink that never ends `out`; `out` ends after the 226.
  const sink = new Writable({
    highWaterMark: 256 * 1024,
    write(chunk: Buffer, _enc, cb) {
      if (out.destroyed) return cb();
      if (out.write(chunk)) cb();
      else out.once('drain', () => cb());
    },
  });
  out.once('close', () => {
    if (!finished) session.close();
  });
  session.client
    .downloadTo(sink, path)
    .then(() => {
      finished = true;
      session.close();
      out.end();
    })
    .catch((err) => {
      finished = true;
      session.close();
      if (out.destroyed) return;
      out.destroy(ctx.signal?.aborted ? (abortError(ctx.signal) as Error) : classifyFtpFailure(err, settings!, source, 'download', session.flags));
    });
  return out;
}
