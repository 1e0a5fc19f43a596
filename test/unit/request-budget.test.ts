// A distributor account's request budget: the connection's setting, else the module's default,
// is what each adapter puts in its HTTP client's rate limit. Nothing here sends a request: the
// client factory only records the options it was given.
import { requestBudgetInForce } from '../../src/connections';
import { DEMO_CREDENTIALS } from '../../src/dev/demo';
import { distributorModules } from '../../src/distributors/registry';
import { DISTRIBUTOR_CODES } from '../../src/distributors/types';
import type { HttpClient, HttpClientFactory, HttpClientOptions } from '../../src/http';

/** The rate limit of the one client the module's adapter makes with this context. */
function rateLimitOf(code: (typeof DISTRIBUTOR_CODES)[number], requestsPerSecond?: number) {
  const made: HttpClientOptions[] = [];
  const http: HttpClientFactory = (opts) => {
    made.push(opts);
    return {} as HttpClient;
  };
  distributorModules[code].create(DEMO_CREDENTIALS[code], { baseUrl: 'http://127.0.0.1:9', http, ...(requestsPerSecond === undefined ? {} : { requestsPerSecond }) });
  expect(made).toHaveLength(1);
  return made[0].rateLimit;
}

describe.each(DISTRIBUTOR_CODES)('the %s adapter', (code) => {
  it("takes the connection's budget for its account", () => {
    const limit = rateLimitOf(code, 1.5);
    expect(limit?.perSecond).toBe(1.5);
    expect(limit?.key.startsWith(`${code}:`)).toBe(true);
  });

  it("uses the module's default when the connection sets none, under the same account key", () => {
    const mod = distributorModules[code];
    expect(mod.defaultRequestsPerSecond).toBeGreaterThan(0);
    expect(rateLimitOf(code)).toEqual({ ...rateLimitOf(code, 1.5), perSecond: mod.defaultRequestsPerSecond });
  });
});

describe('the budget in force', () => {
  const mod = { defaultRequestsPerSecond: 5 };
  it("is the dealer's setting when there is one, else the distributor's default", () => {
    expect(requestBudgetInForce(2.5, mod)).toEqual({ requestsPerSecond: 2.5, source: 'connection' });
    expect(requestBudgetInForce(null, mod)).toEqual({ requestsPerSecond: 5, source: 'default' });
  });
});
