// HTTP for the chaos run: one request that never throws (no answer is status 0), and the same
// request retried with backoff while the answer says "try again", bounded in count and time.
export interface Answer<T = any> {
  /** 0 when nothing came back: refused, reset or timed out. */
  status: number;
  body: T;
}

export interface RequestOptions {
  body?: unknown;
  /** Bearer key. */
  key?: string;
  timeoutMs?: number;
}

const DEFAULT_TIMEOUT_MS = 15_000;

export async function send<T = any>(method: string, url: string, o: RequestOptions = {}): Promise<Answer<T>> {
  try {
    const r = await fetch(url, {
      method,
      headers: { ...(o.body !== undefined ? { 'content-type': 'application/json' } : {}), ...(o.key ? { authorization: `Bearer ${o.key}` } : {}) },
      body: o.body === undefined ? undefined : JSON.stringify(o.body),
      signal: AbortSignal.timeout(o.timeoutMs ?? DEFAULT_TIMEOUT_MS),
    });
    const text = await r.text();
    let body: any = text;
    try {
      body = text ? JSON.parse(text) : undefined;
    } catch {
      // not JSON: keep the text
    }
    return { status: r.status, body };
  } catch (err) {
    return { status: 0, body: { error: 'no_answer', message: (err as Error).message } as T };
  }
}

export interface RetryOptions extends RequestOptions {
  /** Epoch ms after which the last answer is returned as it is. */
  until: number;
  /** Which answers are worth another try (default: no answer, 5xx). */
  retryOn?: (a: Answer) => boolean;
  maxAttempts?: number;
}

export const transient = (a: Answer): boolean => a.status === 0 || a.status >= 500;

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, Math.max(0, ms)));
}

/**
 * The API servers as a load balancer in front of them hands requests out: in turn. With one of
 * them down, a request to it finds no answer and its retry goes to the next.
 */
export class ApiServers {
  private turn = 0;

  constructor(readonly urls: string[]) {}

  /** The URL of `path` at the next server, each time it is called. */
  at(path: string): () => string {
    return () => `${this.urls[this.turn++ % this.urls.length]}${path}`;
  }
}

/**
 * The API server or its upstreams may be down for seconds at a time: back off and try again.
 * `url` may be a function (ApiServers.at): each attempt then asks it again.
 */
export async function sendUntil<T = any>(method: string, url: string | (() => string), o: RetryOptions): Promise<Answer<T>> {
  const retryOn = o.retryOn ?? transient;
  const maxAttempts = o.maxAttempts ?? 200;
  let wait = 250;
  for (let attempt = 1; ; attempt++) {
    // no request outlives the deadline by more than a second
    const a = await send<T>(method, typeof url === 'string' ? url : url(), { ...o, timeoutMs: Math.min(o.timeoutMs ?? DEFAULT_TIMEOUT_MS, Math.max(1000, o.until - Date.now())) });
    if (!retryOn(a) || attempt >= maxAttempts || Date.now() + wait > o.until) return a;
    await sleep(wait);
    wait = Math.min(wait * 2, 4000);
  }
}

/** Like sendUntil, but anything other than a 2xx in the end is an error naming the call. */
export async function mustUntil<T = any>(method: string, url: string, o: RetryOptions): Promise<T> {
  const a = await sendUntil<T>(method, url, o);
  if (a.status < 200 || a.status >= 300) throw new Error(`${method} ${url} → ${a.status} ${JSON.stringify(a.body).slice(0, 500)}`);
  return a.body;
}
