// The request cap per distributor account holds across processes: limiters with separate
// Postgres pools (as in separate workers) draw from one bucket. Grant times come from the
// database's clock, so the assertions count grants per window instead of timing the test.
import { randomUUID } from 'node:crypto';
import { createCallLog } from '../../src/call-log';
import { distributorAdapterFor, OpenedConnectionCache, saveConnection } from '../../src/connections';
import { createSql, type Sql } from '../../src/db';
import { AUTOMATIC_DEFAULT_REQUESTS_PER_SECOND, createAutomaticAdapter } from '../../src/distributors/automatic';
import { createHttpClientFactory, type RequestLimiter } from '../../src/http';
import { accountRateLimitKey, createPostgresLimiter, readReserve } from '../../src/rate-limit';
import { createAutomaticSimulator, type AutomaticSimulator } from '../../src/simulators/automatic';

const RATE = 5; // per second; the bucket holds one second of requests
const CAPACITY = RATE;

let poolA: Sql;
let poolB: Sql;

beforeAll(() => {
  poolA = createSql(process.env.TEST_DATABASE_URL!, { max: 4 });
  poolB = createSql(process.env.TEST_DATABASE_URL!, { max: 4 });
});

afterAll(async () => {
  await poolA.end({ timeout: 5 });
  await poolB.end({ timeout: 5 });
});

/** The most grants in any window of `ms` that starts at a grant. */
function mostInWindow(times: number[], ms: number): number {
  const sorted = [...times].sort((a, b) => a - b);
  let most = 0;
  for (let i = 0, j = 0; i < sorted.length; i++) {
    while (j < sorted.length && sorted[j] <= sorted[i] + ms) j++;
    most = Math.max(most, j - i);
  }
  return most;
}

test('two limiters with separate pools share one bucket: 20 requests at 5/s need 15 refills', async () => {
  const key = `test:${randomUUID()}`;
  const a = createPostgresLimiter(poolA);
  const b = createPostgresLimiter(poolB);
  const asked = 20;
  const grants = await Promise.all(Array.from({ length: asked }, (_, i) => (i % 2 ? a : b).take(key, RATE)));
  const times = grants.map((d) => d.getTime());

  expect(times).toHaveLength(asked);
  // Token bucket: at most capacity + rate × T grants in any window of T. Times are read back in
  // milliseconds (Postgres keeps microseconds), hence the 1 ms of slack.
  expect(mostInWindow(times, 1000 - 1)).toBeLessThanOrEqual(CAPACITY + RATE);
  expect(mostInWindow(times, 500 - 1)).toBeLessThanOrEqual(CAPACITY + RATE / 2);
  // A full bucket pays for the first 5; the other 15 each waited for a refill of 1/5 s.
  const span = Math.max(...times) - Math.min(...times);
  expect(span).toBeGreaterThanOrEqual(((asked - CAPACITY) / RATE) * 1000 - 1);

  const [row] = await poolA`SELECT tokens FROM rate_limit_buckets WHERE key = ${key}`;
  expect(row.tokens).toBeGreaterThanOrEqual(0);
  expect(row.tokens).toBeLessThan(1);
});

test('each key has its own bucket; a cap of 0 waits for nothing', async () => {
  const limiter = createPostgresLimiter(poolA);
  const busy = `test:${randomUUID()}`;
  const idle = `test:${randomUUID()}`;
  for (let i = 0; i < CAPACITY; i++) await limiter.take(busy, RATE);
  const row = async (key: string) => (await poolA`SELECT tokens, refilled_at FROM rate_limit_buckets WHERE key = ${key}`)[0];
  const busyBefore = await row(busy);
  await Promise.all(Array.from({ length: CAPACITY }, () => limiter.take(idle, RATE)));
  // The idle key's takes came from its own row; the busy row was not touched.
  expect(await row(busy)).toEqual(busyBefore);
  expect((await row(idle)).tokens).toBeLessThan(CAPACITY);

  await limiter.acquire(`test:${randomUUID()}-off`, 0);
  expect(await poolA`SELECT 1 FROM rate_limit_buckets WHERE key LIKE '%-off'`).toHaveLength(0);
  await expect(limiter.take(busy, 0)).rejects.toThrow(RangeError);
});

describe('the call log’s HTTP clients', () => {
  let sim: AutomaticSimulator;
  let baseUrl: string;
  beforeAll(async () => {
    sim = createAutomaticSimulator();
    baseUrl = await sim.listen(0);
  });
  afterAll(() => sim.close());

  test('take their tokens from the Postgres bucket of the distributor account', async () => {
    const apiToken = `rate-limit-${randomUUID()}`;
    sim.upsertAccount({ apiToken });
    sim.upsertItem('AU-100', { warehouses: { MAIN: 3 } });
    const before = await poolA`SELECT key FROM rate_limit_buckets`;
    const calls = createCallLog(poolA, { operation: 'rate-limit-test' });
    const adapter = createAutomaticAdapter({ apiToken }, { baseUrl, http: calls.http }, { rateLimitPerSecond: RATE });
    await adapter.checkStock(['AU-100', 'AU-100', 'AU-100']);
    await calls.flush();
    const known = new Set(before.map((r) => r.key as string));
    const added = (await poolA`SELECT key, tokens FROM rate_limit_buckets WHERE key LIKE 'automatic:%'`).filter((r) => !known.has(r.key as string));
    expect(added).toHaveLength(1);
    // The last call took a token: a bucket never holds more than its capacity.
    expect(added[0].tokens).toBeLessThanOrEqual(CAPACITY - 1);
  });

  test("take the budget saved on the dealer's connection, within the cache's 30 s", async () => {
    const apiToken = `budget-${randomUUID()}`;
    sim.upsertAccount({ apiToken });
    sim.upsertItem('AU-100', { warehouses: { MAIN: 3 } });
    const tenantId = randomUUID();
    await poolA`INSERT INTO tenants (id, name) VALUES (${tenantId}, 'budget test')`;
    const keys = [{ id: 'test', key: Buffer.alloc(32, 7) }];
    const save = (requestsPerSecond: number | null) =>
      saveConnection(poolA, keys, 'distributor', tenantId, 'automatic', { apiToken }, {}, { baseUrl, requestBudget: { keep: false, requestsPerSecond } });
    // A recording limiter in place of the Postgres one: what each request asked of its account's bucket.
    const asked: { key: string; perSecond: number }[] = [];
    const limiter: RequestLimiter = { acquire: async (key, perSecond) => void asked.push({ key, perSecond }) };
    let now = 0;
    const cache = new OpenedConnectionCache(30_000, () => now);
    const checkStockAsWorker = async () => {
      asked.length = 0;
      const adapter = await distributorAdapterFor({ sql: poolA, keys, http: createHttpClientFactory(undefined, { limiter }), cache }, tenantId, 'automatic');
      await adapter.checkStock(['AU-100']);
      return asked.map((a) => a.perSecond);
    };
    const key = accountRateLimitKey('automatic', apiToken);

    await save(2);
    expect(await checkStockAsWorker()).toEqual([2]);
    expect(asked[0].key).toBe(key);
    // Back to the default: a worker that opened the connection keeps the old budget until its cache entry expires.
    await save(null);
    expect(await checkStockAsWorker()).toEqual([2]);
    now = 30_000;
    expect(await checkStockAsWorker()).toEqual([AUTOMATIC_DEFAULT_REQUESTS_PER_SECOND]);
    expect(asked[0].key).toBe(key);
  });
});

test("orders go before background reads in an account's budget", async () => {
  const key = `test:${randomUUID()}`;
  const limiter = createPostgresLimiter(poolA);
  expect(readReserve(5)).toBe(2.5);
  expect(readReserve(1)).toBe(0);
  // Three tokens left, and a refill clock in the future so none are added while the test runs.
  await poolA`INSERT INTO rate_limit_buckets (key, tokens, refilled_at, granted) VALUES (${key}, 3, clock_timestamp() + interval '1 hour', true)`;
  const read = await limiter.tryTake(key, RATE, 'read');
  expect([read.granted, read.tokens]).toEqual([false, 3]);
  expect(read.waitMs).toBeGreaterThan(0);
  const order = await limiter.tryTake(key, RATE, 'order');
  expect([order.granted, order.tokens]).toEqual([true, 2]);
  // With the bucket fuller than the reserve, a read takes a token like an order.
  await poolA`UPDATE rate_limit_buckets SET tokens = 5 WHERE key = ${key}`;
  const read2 = await limiter.tryTake(key, RATE, 'read');
  expect([read2.granted, read2.tokens]).toEqual([true, 4]);
});

test('takes asked together are answered together: orders first within a key, every key its own bucket', async () => {
  const limiter = createPostgresLimiter(poolA);
  const key = `test:${randomUUID()}`;
  // Three tokens and a refill clock in the future, as above.
  await poolA`INSERT INTO rate_limit_buckets (key, tokens, refilled_at, granted) VALUES (${key}, 3, clock_timestamp() + interval '1 hour', true)`;
  const fresh = Array.from({ length: 8 }, () => `test:${randomUUID()}`);
  const [readA, orderA, orderB, readB, ...others] = await Promise.all([
    limiter.tryTake(key, RATE, 'read'),
    limiter.tryTake(key, RATE, 'order'),
    limiter.tryTake(key, RATE, 'order'),
    limiter.tryTake(key, RATE, 'read'),
    ...fresh.map((k) => limiter.tryTake(k, RATE, 'order')),
  ]);
  // Both orders take a token though the reads asked first; one token is left, under the reserve.
  expect([orderA.granted, orderB.granted, readA.granted, readB.granted]).toEqual([true, true, false, false]);
  expect(readA.waitMs).toBeGreaterThan(0);
  const [row] = await poolA`SELECT tokens FROM rate_limit_buckets WHERE key = ${key}`;
  expect(row.tokens).toBe(1);
  // A new key's bucket starts full, less the token taken.
  expect(others.map((o) => [o.granted, o.tokens])).toEqual(fresh.map(() => [true, CAPACITY - 1]));
});
