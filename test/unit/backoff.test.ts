// retryDelayMs: the upstream's own wait wins; a throttle without one backs off exponentially
// with equal jitter; everything else is left to Temporal's retry policy.
import {
  ExternalCallError,
  retryDelayMs,
  THROTTLE_BACKOFF_BASE_MS,
  THROTTLE_BACKOFF_CAP_MS,
} from '../../src/external-errors';
import { seededRandom } from '../../src/simulators/catalog-gen';

// A seeded PRNG, so the jitter is the same on every run.
const seeded = seededRandom;

const throttled = (retryAfterMs?: number) =>
  new ExternalCallError('transient', 'throttled', 'Automatic Distributors is throttling requests', { target: 'automatic', retryAfterMs });

test('the upstream’s own wait is used as given, for a throttle or any other retryable failure', () => {
  expect(retryDelayMs(throttled(7000), 1)).toBe(7000);
  expect(retryDelayMs(throttled(0), 9)).toBe(0);
  const unavailable = new ExternalCallError('ambiguous', 'upstream_unavailable', 'x answered 503', { retryAfterMs: 30_000 });
  expect(retryDelayMs(unavailable, 3)).toBe(30_000);
});

test('a throttle without a wait doubles from about a second, with half of each step random', () => {
  const random = seeded(42);
  const delays = Array.from({ length: 8 }, (_, i) => retryDelayMs(throttled(), i + 1, random)!);
  delays.forEach((d, i) => {
    const step = THROTTLE_BACKOFF_BASE_MS * 2 ** i;
    expect(d).toBeGreaterThanOrEqual(step / 2);
    expect(d).toBeLessThanOrEqual(step);
  });
  // The same seed gives the same waits; the jitter really varies them.
  const again = seeded(42);
  expect(Array.from({ length: 8 }, (_, i) => retryDelayMs(throttled(), i + 1, again))).toEqual(delays);
  const fractions = delays.map((d, i) => d / (THROTTLE_BACKOFF_BASE_MS * 2 ** i));
  expect(new Set(fractions.map((f) => f.toFixed(3))).size).toBeGreaterThan(1);
});

test('the jitter bounds: random 0 waits half a step, random → 1 waits the whole step', () => {
  expect(retryDelayMs(throttled(), 1, () => 0)).toBe(500);
  expect(retryDelayMs(throttled(), 1, () => 0.999999)).toBe(1000);
  expect(retryDelayMs(throttled(), 3, () => 0)).toBe(2000);
  expect(retryDelayMs(throttled(), 3, () => 0.5)).toBe(3000);
});

test('the wait is capped, even after very many attempts', () => {
  for (const attempt of [8, 9, 20, 1000, 5000]) {
    const d = retryDelayMs(throttled(), attempt, () => 0.999999)!;
    expect(d).toBeLessThanOrEqual(THROTTLE_BACKOFF_CAP_MS);
    expect(d).toBeGreaterThanOrEqual(THROTTLE_BACKOFF_CAP_MS / 2);
  }
});

test('an attempt number that is not a positive integer counts as the first', () => {
  for (const attempt of [0, -3, Number.NaN]) expect(retryDelayMs(throttled(), attempt, () => 0)).toBe(500);
});

test('other failures without a wait, and refusals, are left to the retry policy', () => {
  expect(retryDelayMs(new ExternalCallError('transient', 'timeout', 'x did not answer'), 2)).toBeUndefined();
  expect(retryDelayMs(new ExternalCallError('ambiguous', 'upstream_unavailable', 'x answered 502'), 2)).toBeUndefined();
  // A refusal is not retried at all, whatever wait it carries.
  expect(retryDelayMs(new ExternalCallError('permanent', 'credentials_rejected', 'bad key', { retryAfterMs: 5000 }), 1)).toBeUndefined();
});
