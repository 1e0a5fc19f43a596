// One error type for every distributor and marketplace failure, so activities can decide
// retry vs. "a person must act" without knowing which API answered.

/**
 * - `transient`: nothing was committed upstream (or re-sending is harmless); retry with backoff.
 * - `ambiguous`: a write may have been committed (timeout after send, connection reset, 5xx on a
 *   write); look the thing up before re-sending.
 * - `permanent`: the upstream refused for a business or input reason; re-sending unchanged
 *   will fail again, a person must act.
 */
export type FailureKind = 'transient' | 'ambiguous' | 'permanent';

/** Machine codes a dealer-facing UI can switch on. */
export type RefusalCode =
  | 'credentials_rejected'
  | 'account_setup_required'
  | 'sku_not_orderable'
  | 'out_of_stock'
  | 'address_rejected'
  | 'invalid_request'
  | 'duplicate_po'
  | 'restricted_item'
  | 'tracking_rejected'
  /** The marketplace refused to mint an access token (revoked or expired grant): the dealer must reconnect. */
  | 'marketplace_reauthorization_required'
  | 'order_not_found'
  | 'throttled'
  | 'upstream_unavailable'
  | 'timeout'
  | 'network_error'
  /** The connection's address is not one credentials may be sent to; nothing was sent. */
  | 'destination_refused'
  /** The upstream's answer was larger than any its API gives; it was not read. */
  | 'response_too_large';

export class ExternalCallError extends Error {
  override readonly name = 'ExternalCallError';
  constructor(
    readonly kind: FailureKind,
    readonly code: RefusalCode,
    /** A sentence a dealer understands (no secrets, no stack). */
    message: string,
    readonly details: {
      target?: string;
      httpStatus?: number;
      /** Milliseconds the upstream asked us to wait (Retry-After or its own signal). */
      retryAfterMs?: number;
      upstreamCode?: string;
    } = {},
  ) {
    super(message);
  }

  get retryable(): boolean {
    return this.kind !== 'permanent';
  }
}

export function isExternalCallError(e: unknown): e is ExternalCallError {
  return e instanceof ExternalCallError;
}

/** Parses Retry-After (seconds or an HTTP date) into milliseconds. */
export function parseRetryAfter(value: string | string[] | undefined, now = Date.now()): number | undefined {
  const v = Array.isArray(value) ? value[0] : value;
  if (!v) return undefined;
  const secs = Number(v);
  if (Number.isFinite(secs) && secs >= 0) return Math.round(secs * 1000);
  const at = Date.parse(v);
  if (Number.isNaN(at)) return undefined;
  return Math.max(0, at - now);
}

/** First wait after a throttle that names none; doubles per attempt. */
export const THROTTLE_BACKOFF_BASE_MS = 1_000;
/** Longest wait between throttled attempts when the upstream names none. */
export const THROTTLE_BACKOFF_CAP_MS = 120_000;

/**
 * How long to wait before the next attempt after `err`, or undefined to leave it to the retry
 * policy. The upstream's own wait (Retry-After or its own signal) wins. A throttle without one
 * backs off exponentially from about a second with equal jitter: half the step is fixed (so a
 * retry never lands right back on a throttled API), half is random (so a burst of throttled
 * activities does not retry in lockstep). `attempt` is the 1-based attempt that just failed
 * (Temporal's `Context.current().info.attempt`).
 */
export function retryDelayMs(err: ExternalCallError, attempt: number, random: () => number = Math.random): number | undefined {
  if (!err.retryable) return undefined;
  if (err.details.retryAfterMs !== undefined) return err.details.retryAfterMs;
  if (err.code !== 'throttled') return undefined;
  const n = Number.isFinite(attempt) && attempt >= 1 ? Math.floor(attempt) : 1;
  const step = Math.min(THROTTLE_BACKOFF_CAP_MS, THROTTLE_BACKOFF_BASE_MS * 2 ** (n - 1));
  return Math.round(step / 2 + random() * (step / 2));
}
