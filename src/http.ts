// The only way adapters talk HTTP: explicit timeouts, no hidden retries (Temporal retries the
// activity, so a retry is always visible in history), every call recorded for support with
// secrets redacted, network failures classified as transient or ambiguous, every URL checked
// against the outbound policy before anything is sent, and answers capped in size.
import got, { type RequestError } from 'got';
import { appEnvFrom } from './config';
import { ExternalCallError } from './external-errors';
import { outboundUrlProblem, type UrlPolicy } from './outbound';

export type HttpMethod = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

export interface HttpRequest {
  method: HttpMethod;
  /** Appended as-is to the client's base URL. */
  path: string;
  /** A URLSearchParams keeps repeated keys (Tucker's `line=` params). */
  searchParams?: URLSearchParams | Record<string, string | number | boolean>;
  json?: unknown;
  /** A form body (`application/x-www-form-urlencoded`), e.g. an OAuth token request. */
  form?: Record<string, string>;
  /** The answer carries credentials (a token endpoint's): the call log keeps its status, not its body. */
  secretResponse?: boolean;
  headers?: Record<string, string>;
  timeoutMs?: number;
  /** Aborted before sending: nothing is sent. Aborted while in flight: treated like a timeout. */
  signal?: AbortSignal;
}

export interface HttpResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
  /** Parsed JSON body, or undefined when the body is not JSON. */
  json<T = any>(): T | undefined;
}

export interface HttpClient {
  /**
   * Sends one request and resolves with any HTTP status (the adapter classifies it).
   * Rejects only with ExternalCallError: `transient` when nothing can have reached the
   * upstream (connection refused, DNS), `ambiguous` when a write may have been committed
   * (timeout or reset after sending), `transient` for the same on a read.
   */
  send(req: HttpRequest): Promise<HttpResponse>;
}

export interface CallRecord {
  target: string;
  method: HttpMethod;
  /** URL with every secret replaced by `***`. */
  url: string;
  requestBody?: string;
  status?: number;
  responseBody?: string;
  error?: string;
  durationMs: number;
  startedAt: Date;
}

export type CallRecorder = (record: CallRecord) => void;

export interface HttpClientOptions {
  /** e.g. `wps`, `ebay`: names the upstream in logs and errors. */
  target: string;
  baseUrl: string;
  headers?: Record<string, string>;
  /** Default per-request timeout. */
  timeoutMs?: number;
  /** Values that must never be recorded (tokens, keys that travel in query strings or bodies). */
  secrets?: string[];
  /** Client-side cap on request rate, shared by every client with the same key (per process unless a limiter is given). */
  rateLimit?: { key: string; perSecond: number };
  /** Largest answer read; a bigger one is refused without being buffered. Default 2 MiB. */
  maxResponseBytes?: number;
}

export type HttpClientFactory = (opts: HttpClientOptions) => HttpClient;

/**
 * Whose turn it is in an account's request budget: orders (and the lookups and cancels people
 * wait for) before background reads (tracking, live stock), so a burst of reads never delays one.
 */
export type RequestPriority = 'order' | 'read';

/** Waits until one more request under `key` fits in `perSecond`. */
export interface RequestLimiter {
  acquire(key: string, perSecond: number, priority?: RequestPriority): Promise<void>;
}

export interface HttpClientFactoryOptions {
  /** Caps every request's timeout (tests use a short one to exercise lost answers quickly). */
  timeoutCapMs?: number;
  /** Replaces the in-process token bucket for `rateLimit` (e.g. one shared through Postgres). */
  limiter?: RequestLimiter;
  /** The turn these requests take in their account's budget (default `order`). */
  priority?: RequestPriority;
  /** Aborts every request of every client this factory makes (e.g. the activity's cancellation). */
  signal?: AbortSignal;
  /**
   * Where requests may go. Callers pass the policy built from their Config; without one the
   * process's APP_ENV decides, with no documented hosts, so a factory nobody configured sends
   * nothing at all in production rather than anything anywhere.
   */
  urlPolicy?: UrlPolicy;
}

/**
 * Client-side cap per distributor per dealer account when an adapter is not told otherwise.
 * [GUESS] none of the distributors documents a limit; 5 requests/s keeps a burst of dropships
 * (each a handful of calls) well clear of any plausible one. 0 switches the cap off.
 */
export const DEFAULT_REQUESTS_PER_SECOND = 5;

const MAX_RECORDED_BODY = 4000;
const DEFAULT_TIMEOUT_MS = 15_000;
export const DEFAULT_MAX_RESPONSE_BYTES = 2 * 1024 * 1024;
/** Shorter values are not redacted: they would blank out ordinary text. */
const MIN_SECRET_LENGTH = 4;

/**
 * The substrings of any base64 text that encodes `secret`: base64 turns 3 bytes into 4
 * characters, so depending on where the secret starts (offset 0, 1 or 2 mod 3) its middle
 * encodes to one of three fixed strings, whatever surrounds it (as in Basic `id:secret`).
 */
function base64Cores(secret: string): string[] {
  const bytes = Buffer.from(secret, 'utf8');
  return [0, 1, 2].map((offset) => {
    const encoded = Buffer.concat([Buffer.alloc(offset), bytes]).toString('base64');
    // characters whose 6 bits all come from the secret
    return encoded.slice(Math.ceil((offset * 8) / 6), Math.floor(((offset + bytes.length) * 8) / 6));
  });
}

/** Every form a secret takes in recorded text: raw, URL-encoded, form-encoded, JSON-escaped and base64. */
export function secretForms(secret: string): string[] {
  const json = JSON.stringify(secret).slice(1, -1);
  const forms = [
    secret,
    encodeURIComponent(secret),
    new URLSearchParams([['', secret]]).toString().slice(1),
    json,
    json.replace(/\//g, '\\/'),
  ];
  // percent escapes are case-insensitive (%2B and %2b)
  forms.push(...forms.map((f) => f.replace(/%[0-9A-F]{2}/g, (m) => m.toLowerCase())));
  for (const core of base64Cores(secret)) forms.push(core, core.replace(/\+/g, '-').replace(/\//g, '_'));
  return [...new Set(forms)].filter((f) => f.length >= MIN_SECRET_LENGTH);
}

/** Replaces every form of every secret (see secretForms) with `***`. */
export function redact(text: string, secrets: string[]): string {
  const forms = [...new Set(secrets.filter((s) => s && s.length >= MIN_SECRET_LENGTH).flatMap(secretForms))];
  if (!forms.length) return text;
  // longest first, so a form is not half-replaced through a shorter one inside it
  forms.sort((a, b) => b.length - a.length);
  return text.replace(new RegExp(forms.map((f) => f.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')).join('|'), 'g'), '***');
}

/** Joins a base URL (scheme://host[:port][/prefix]) and a documented path. */
export function joinUrl(baseUrl: string, path: string): string {
  return baseUrl.replace(/\/+$/, '') + (path.startsWith('/') ? path : `/${path}`);
}

/** Keeps the documented path of `productionBaseUrl` but takes scheme, host and port from `override`. */
export function resolveBaseUrl(productionBaseUrl: string, override?: string): string {
  if (!override) return productionBaseUrl.replace(/\/+$/, '');
  const prod = new URL(productionBaseUrl);
  const o = new URL(override);
  prod.protocol = o.protocol;
  prod.host = o.host;
  return prod.toString().replace(/\/+$/, '');
}

// Token buckets per rate-limit key; a burst of dropships for one dealer account queues here
// instead of tripping the distributor's own limit.
const buckets = new Map<string, { tokens: number; last: number; queue: Promise<void> }>();

async function takeToken(key: string, perSecond: number): Promise<void> {
  let b = buckets.get(key);
  if (!b) {
    b = { tokens: perSecond, last: Date.now(), queue: Promise.resolve() };
    buckets.set(key, b);
  }
  const bucket = b;
  const turn = bucket.queue.then(async () => {
    for (;;) {
      const now = Date.now();
      bucket.tokens = Math.min(perSecond, bucket.tokens + ((now - bucket.last) / 1000) * perSecond);
      bucket.last = now;
      if (bucket.tokens >= 1) {
        bucket.tokens -= 1;
        return;
      }
      await new Promise((r) => setTimeout(r, Math.ceil(((1 - bucket.tokens) / perSecond) * 1000)));
    }
  });
  bucket.queue = turn.catch(() => undefined);
  return turn;
}

const inProcessLimiter: RequestLimiter = { acquire: takeToken };

export function createHttpClientFactory(recorder?: CallRecorder, factoryOpts: HttpClientFactoryOptions = {}): HttpClientFactory {
  const limiter = factoryOpts.limiter ?? inProcessLimiter;
  const urlPolicy = factoryOpts.urlPolicy ?? { appEnv: appEnvFrom(process.env), productionOrigins: [] };
  return (opts) => {
    const secrets = opts.secrets ?? [];
    const maxResponseBytes = opts.maxResponseBytes ?? DEFAULT_MAX_RESPONSE_BYTES;
    const record = (r: CallRecord) => {
      if (!recorder) return;
      try {
        recorder(r);
      } catch {
        // recording must never break a call
      }
    };
    return {
      async send(req) {
        const url = joinUrl(opts.baseUrl, req.path);
        const search =
          req.searchParams instanceof URLSearchParams
            ? req.searchParams
            : req.searchParams
              ? new URLSearchParams(Object.entries(req.searchParams).map(([k, v]): [string, string] => [k, String(v)]))
              : undefined;
        const fullUrl = search && [...search.keys()].length ? `${url}?${search.toString()}` : url;
        const requestBody =
          req.form !== undefined ? new URLSearchParams(req.form).toString() : req.json === undefined ? undefined : JSON.stringify(req.json);
        const signals = [factoryOpts.signal, req.signal].filter((s): s is AbortSignal => s !== undefined);
        const startedAt = new Date();
        const t0 = Date.now();
        const isWrite = req.method !== 'GET';
        const recordFailure = (error: string, status?: number) =>
          record({
            target: opts.target,
            method: req.method,
            url: redact(fullUrl, secrets),
            requestBody: requestBody && redact(requestBody, secrets).slice(0, MAX_RECORDED_BODY),
            status,
            error: redact(error, secrets),
            durationMs: Date.now() - t0,
            startedAt,
          });
        const notSent = (why: string) => {
          recordFailure(`aborted: ${why}`);
          return new ExternalCallError('transient', 'timeout', `${opts.target}: ${req.method} ${req.path} was not sent (${why})`, { target: opts.target });
        };

        const problem = outboundUrlProblem(fullUrl, urlPolicy);
        if (problem) {
          recordFailure(`destination_refused: the address ${problem}`);
          throw new ExternalCallError(
            'permanent',
            'destination_refused',
            redact(`Nothing was sent to ${opts.target}: the connection's address ${problem}. Correct the connection's baseUrl (or remove it), then retry.`, secrets),
            { target: opts.target },
          );
        }
        if (signals.some((s) => s.aborted)) throw notSent('the caller gave up before it was sent');
        if (opts.rateLimit) await limiter.acquire(opts.rateLimit.key, opts.rateLimit.perSecond, factoryOpts.priority);
        if (signals.some((s) => s.aborted)) throw notSent('the caller gave up while it waited for the rate limit');

        let tooLarge = false;
        const request = got(fullUrl, {
          method: req.method,
          headers: {
            accept: 'application/json',
            ...(requestBody !== undefined ? { 'content-type': req.form !== undefined ? 'application/x-www-form-urlencoded' : 'application/json' } : {}),
            ...opts.headers,
            ...req.headers,
          },
          body: requestBody,
          throwHttpErrors: false,
          retry: 0,
          followRedirect: false,
          // Without decompression the byte count below is what arrives, and a small compressed
          // answer cannot unpack into a huge one (got then sends no accept-encoding either).
          decompress: false,
          timeout: { request: Math.min(req.timeoutMs ?? opts.timeoutMs ?? DEFAULT_TIMEOUT_MS, factoryOpts.timeoutCapMs ?? Number.POSITIVE_INFINITY) },
        });
        // Stops reading as soon as the declared or received size passes the cap.
        request.on('downloadProgress', (p: { transferred: number; total?: number }) => {
          if (!tooLarge && (p.transferred > maxResponseBytes || (p.total ?? 0) > maxResponseBytes)) {
            tooLarge = true;
            request.cancel();
          }
        });
        const cancel = () => request.cancel();
        for (const s of signals) s.addEventListener('abort', cancel, { once: true });
        try {
          const res = await request;
          const body = res.body;
          record({
            target: opts.target,
            method: req.method,
            url: redact(fullUrl, secrets),
            requestBody: requestBody && redact(requestBody, secrets).slice(0, MAX_RECORDED_BODY),
            status: res.statusCode,
            responseBody: req.secretResponse && res.statusCode < 300 ? '(withheld: the answer carries credentials)' : redact(body, secrets).slice(0, MAX_RECORDED_BODY),
            durationMs: Date.now() - t0,
            startedAt,
          });
          return {
            status: res.statusCode,
            headers: res.headers,
            body,
            json<T>() {
              try {
                return JSON.parse(body) as T;
              } catch {
                return undefined;
              }
            },
          };
        } catch (err) {
          const e = err as RequestError;
          const status = e.response?.statusCode;
          if (tooLarge) {
            recordFailure(`response_too_large: more than ${maxResponseBytes} bytes`, status);
            throw new ExternalCallError(
              'permanent',
              'response_too_large',
              `${opts.target} answered ${req.method} ${req.path} with more than ${maxResponseBytes} bytes, which is not an answer its API gives; it was not read` +
                (isWrite ? ' (the request itself was sent and may have been applied).' : '.'),
              { target: opts.target, httpStatus: status },
            );
          }
          const aborted = e.name === 'CancelError';
          const code = aborted ? 'ABORTED' : (e.code ?? 'UNKNOWN');
          recordFailure(`${code}: ${e.message ?? ''}`, status);
          // Refused connections and DNS failures never reached the upstream.
          const neverSent = ['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH'].includes(code);
          // An abort in flight is a timeout the caller chose: a write may have been applied.
          const isTimeout = aborted || e.name === 'TimeoutError' || code === 'ETIMEDOUT';
          throw new ExternalCallError(
            isWrite && !neverSent ? 'ambiguous' : 'transient',
            isTimeout ? 'timeout' : 'network_error',
            `${opts.target} did not answer ${req.method} ${req.path} (${aborted ? 'aborted' : isTimeout ? 'timed out' : code})`,
            { target: opts.target },
          );
        } finally {
          for (const s of signals) s.removeEventListener('abort', cancel);
        }
      },
    };
  };
}

/** Classification shared by every adapter for the statuses that mean the same everywhere. */
export function classifyCommonStatus(
  target: string,
  res: HttpResponse,
  isWrite: boolean,
  retryAfterMs?: number,
): ExternalCallError | undefined {
  if (res.status === 429) {
    return new ExternalCallError('transient', 'throttled', `${target} is throttling requests`, {
      target,
      httpStatus: 429,
      retryAfterMs,
    });
  }
  if (res.status >= 500) {
    return new ExternalCallError(
      isWrite ? 'ambiguous' : 'transient',
      'upstream_unavailable',
      `${target} answered ${res.status}`,
      { target, httpStatus: res.status, retryAfterMs },
    );
  }
  return undefined;
}
