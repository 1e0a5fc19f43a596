// The only way adapters talk HTTP: explicit timeouts, no hidden retries (Temporal retries the
// activity, so a retry is always visible in history), every call recorded for support with
// secrets redacted, and network failures classified as transient or ambiguous.
import got, { RequestError } from 'got';
import { ExternalCallError } from './external-errors';

export type HttpMethod = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

export interface HttpRequest {
  method: HttpMethod;
  /** Appended as-is to the client's base URL. */
  path: string;
  /** A URLSearchParams keeps repeated keys (Tucker's `line=` params). */
  searchParams?: URLSearchParams | Record<string, string | number | boolean>;
  json?: unknown;
  headers?: Record<string, string>;
  timeoutMs?: number;
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
  /** Client-side cap on request rate, shared by every client with the same key in this process. */
  rateLimit?: { key: string; perSecond: number };
}

export type HttpClientFactory = (opts: HttpClientOptions) => HttpClient;

/**
 * Client-side cap per distributor per dealer account when an adapter is not told otherwise.
 * [GUESS] none of the distributors documents a limit; 5 requests/s keeps a burst of dropships
 * (each a handful of calls) well clear of any plausible one. 0 switches the cap off.
 */
export const DEFAULT_REQUESTS_PER_SECOND = 5;

const MAX_RECORDED_BODY = 4000;
const DEFAULT_TIMEOUT_MS = 15_000;

export function redact(text: string, secrets: string[]): string {
  let out = text;
  for (const s of secrets) {
    if (s && s.length >= 4) {
      out = out.split(s).join('***');
      const enc = encodeURIComponent(s);
      if (enc !== s) out = out.split(enc).join('***');
    }
  }
  return out;
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

export function createHttpClientFactory(recorder?: CallRecorder, factoryOpts: { timeoutCapMs?: number } = {}): HttpClientFactory {
  return (opts) => {
    const secrets = opts.secrets ?? [];
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
        if (opts.rateLimit) await takeToken(opts.rateLimit.key, opts.rateLimit.perSecond);
        const url = joinUrl(opts.baseUrl, req.path);
        const search =
          req.searchParams instanceof URLSearchParams
            ? req.searchParams
            : req.searchParams
              ? new URLSearchParams(Object.entries(req.searchParams).map(([k, v]): [string, string] => [k, String(v)]))
              : undefined;
        const fullUrl = search && [...search.keys()].length ? `${url}?${search.toString()}` : url;
        const requestBody = req.json === undefined ? undefined : JSON.stringify(req.json);
        const startedAt = new Date();
        const t0 = Date.now();
        const isWrite = req.method !== 'GET';
        try {
          const res = await got(fullUrl, {
            method: req.method,
            headers: {
              accept: 'application/json',
              ...(requestBody !== undefined ? { 'content-type': 'application/json' } : {}),
              ...opts.headers,
              ...req.headers,
            },
            body: requestBody,
            throwHttpErrors: false,
            retry: 0,
            followRedirect: false,
            timeout: { request: Math.min(req.timeoutMs ?? opts.timeoutMs ?? DEFAULT_TIMEOUT_MS, factoryOpts.timeoutCapMs ?? Number.POSITIVE_INFINITY) },
          });
          const body = res.body;
          record({
            target: opts.target,
            method: req.method,
            url: redact(fullUrl, secrets),
            requestBody: requestBody && redact(requestBody, secrets).slice(0, MAX_RECORDED_BODY),
            status: res.statusCode,
            responseBody: redact(body, secrets).slice(0, MAX_RECORDED_BODY),
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
          const code = e.code ?? 'UNKNOWN';
          record({
            target: opts.target,
            method: req.method,
            url: redact(fullUrl, secrets),
            requestBody: requestBody && redact(requestBody, secrets).slice(0, MAX_RECORDED_BODY),
            error: `${code}: ${redact(e.message ?? '', secrets)}`,
            durationMs: Date.now() - t0,
            startedAt,
          });
          // Refused connections and DNS failures never reached the upstream.
          const neverSent = ['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH'].includes(code);
          const isTimeout = e.name === 'TimeoutError' || code === 'ETIMEDOUT';
          throw new ExternalCallError(
            isWrite && !neverSent ? 'ambiguous' : 'transient',
            isTimeout ? 'timeout' : 'network_error',
            `${opts.target} did not answer ${req.method} ${req.path} (${isTimeout ? 'timed out' : code})`,
            { target: opts.target },
          );
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
