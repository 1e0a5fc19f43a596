// No input gets a 5xx. Every route of the app (found by walking the router, so a new route is
// covered without touching this file) gets generated hostile path parameters, query strings and
// bodies: NUL and unpaired surrogates, huge and NaN-ish numbers, wrong types, deep nesting, very
// long strings, prototype keys, odd Unicode. The values are drawn from the route's own OpenAPI
// schema, mostly plausible with a hostile one here and there, so requests get past the first
// check and reach the handlers and Postgres. Then the specific holes, one by one, and paging at
// microsecond precision.
import net from 'node:net';
import fc from 'fast-check';
import { DEMO_CATALOG, DEMO_CREDENTIALS, demoDropshipBody } from '../../src/dev/demo';
import { distributorModules } from '../../src/distributors/registry';
import { DISTRIBUTOR_CODES } from '../../src/distributors/types';
import { MARKETPLACE_CODES } from '../../src/marketplaces/types';
import { ADMIN_KEY, ebayOrder, Stack } from '../support/stack';

jest.setTimeout(120_000);

// ---- nothing may leave the machine
// A connection body without a usable baseUrl would make the API call a distributor's production
// host. Every socket this process opens to anything but loopback is refused before any lookup,
// and recorded so the test fails naming it.
const refusedConnections: string[] = [];
const realConnect = net.Socket.prototype.connect;
beforeAll(() => {
  net.Socket.prototype.connect = function guardedConnect(this: net.Socket, ...args: any[]) {
    const first = Array.isArray(args[0]) ? args[0][0] : args[0];
    const opts = typeof first === 'object' && first !== null ? first : { port: first, host: typeof args[1] === 'string' ? args[1] : undefined };
    const host = opts.path ? 'localhost' : (opts.host ?? 'localhost');
    if (!['127.0.0.1', 'localhost', '::1'].includes(host)) {
      refusedConnections.push(`${host}:${opts.port}`);
      process.nextTick(() => this.destroy(Object.assign(new Error(`refused non-loopback connection to ${host}`), { code: 'ENETUNREACH' })));
      return this;
    }
    return (realConnect as (...a: unknown[]) => net.Socket).apply(this, args);
  } as typeof net.Socket.prototype.connect;
});
afterAll(() => {
  net.Socket.prototype.connect = realConnect;
});

const stack = new Stack();
let dealer: { tenantId: string; key: string };
let otherTenantId: string;
beforeAll(async () => {
  await stack.start();
  dealer = await stack.dealer();
  // the admin route that switches the add-on gets this tenant's id, not the dealer's
  otherTenantId = (await stack.api('POST', '/v1/tenants', { name: 'Fuzzed Motors' }, ADMIN_KEY)).body.id;
});
afterAll(() => stack.stop());

// ---- talking to the API with raw bytes

/** JSON text placed verbatim in a body (numbers JSON.stringify cannot write, absurd nesting). */
class RawJson {
  constructor(readonly text: string) {}
}

function toJsonText(value: unknown): string {
  const raws: string[] = [];
  const text = JSON.stringify(value, (_k, v: unknown) => (v instanceof RawJson ? `\u0001RAW${raws.push(v.text) - 1}` : v)) ?? 'null';
  return text.replace(/"\\u0001RAW(\d+)"/g, (_m, i: string) => raws[Number(i)]);
}

/** Percent-encodes text the way a client would, writing a lone surrogate as its 3 WTF-8 bytes. */
function encodeText(s: string): string {
  let out = '';
  for (const ch of s) {
    const c = ch.codePointAt(0)!;
    out +=
      c >= 0xd800 && c <= 0xdfff
        ? [0xe0 | (c >> 12), 0x80 | ((c >> 6) & 0x3f), 0x80 | (c & 0x3f)].map((b) => `%${b.toString(16).toUpperCase()}`).join('')
        : encodeURIComponent(ch);
  }
  return out;
}

const asText = (v: unknown) => (v instanceof RawJson ? v.text : typeof v === 'string' ? v : toJsonText(v));

interface HostileRequest {
  method: string;
  path: string;
  query: string;
  body?: string;
}

async function send(req: HostileRequest, key?: string) {
  const r = await fetch(`${stack.apiUrl}${req.path}${req.query ? `?${req.query}` : ''}`, {
    method: req.method,
    headers: { ...(req.body !== undefined ? { 'content-type': 'application/json' } : {}), ...(key ? { authorization: `Bearer ${key}` } : {}) },
    body: req.body,
    redirect: 'manual',
  });
  const text = await r.text();
  const json = (r.headers.get('content-type') ?? '').includes('json') && text ? JSON.parse(text) : undefined;
  return { status: r.status, json, text };
}

/** The promise of this file: never a 5xx, and every 400 names the field paths at fault. */
function checkAnswer(req: HostileRequest, res: Awaited<ReturnType<typeof send>>) {
  const what = () => `${req.method} ${req.path}?${req.query} ${req.body?.slice(0, 300) ?? ''} → ${res.status} ${res.text.slice(0, 500)}`;
  if (res.status >= 500) throw new Error(`5xx: ${what()}`);
  if (res.status >= 400 && res.json && (typeof res.json.error !== 'string' || typeof res.json.message !== 'string')) {
    throw new Error(`error without our shape: ${what()}`);
  }
  if (res.status === 400) {
    const details = res.json?.details;
    const named = Array.isArray(details) && details.length > 0 && details.every((d: any) => typeof d?.path === 'string' && d.path.length > 0);
    if (res.json?.error !== 'validation_failed' || !named) throw new Error(`400 without validation_failed and field paths: ${what()}`);
  }
}

// ---- the routes, from the router itself

interface RouteUnderTest {
  method: string;
  url: string;
  /** Its operation in the OpenAPI document; undefined for the hidden /docs routes. */
  operation?: any;
}

function listRoutes(): RouteUnderTest[] {
  // printRoutes draws a tree: each level indents by 4 and continues its parent's path.
  const parents: string[] = [];
  const routes: { method: string; url: string }[] = [];
  for (const line of stack.app.printRoutes({ commonPrefix: false }).split('\n')) {
    const m = /^((?:[│ ] {3})*)[├└]── (.*?)(?: \(([^)]+)\))?$/.exec(line);
    if (!m) continue;
    const depth = m[1].length / 4;
    parents[depth] = (depth ? parents[depth - 1] : '') + m[2];
    for (const method of m[3]?.split(', ') ?? []) {
      if (method !== 'HEAD') routes.push({ method, url: parents[depth] });
    }
  }
  const doc = stack.app.swagger() as any;
  return routes.map((r) => ({ ...r, operation: doc.paths[r.url.replace(/:(\w+)/g, '{$1}')]?.[r.method.toLowerCase()] }));
}

// ---- generated input

const WIDE_CHAR = fc.integer({ min: 0, max: 0xffff }).map((c) => String.fromCharCode(c));
const HOSTILE_STRING: fc.Arbitrary<string> = fc.oneof(
  fc.constantFrom(
    '\u0000',
    'a\u0000b',
    '\ud800',
    'x\udfff',
    '\udc00\ud800',
    '',
    ' ',
    '  padded  ',
    'NaN',
    'Infinity',
    '-1',
    '-0',
    '0x1F',
    '1e309',
    '1.5',
    '2147483648',
    '99999999999999999999',
    'null',
    'true',
    '[]',
    '{}',
    '__proto__',
    'constructor',
    'toString',
    '%00',
    '%ED%A0%80',
    '%',
    '../..',
    "'; DROP TABLE purchase_orders; --",
    '\\',
    '"',
    '\u202eevil',
    'e\u0301',
    '\ufeff',
    '\uffff',
    '😀',
    'İ',
    'Tuesday 1',
    '2024-02-30T00:00:00.000000Z',
    'x'.repeat(101),
    'y'.repeat(5000),
  ),
  fc.string({ unit: WIDE_CHAR, maxLength: 30 }),
  fc.string({ unit: 'grapheme', maxLength: 30 }),
);
const HOSTILE_NUMBER = fc.constantFrom<unknown>(
  2 ** 31,
  2 ** 31 - 1,
  -(2 ** 31) - 1,
  2 ** 53 + 2,
  1e21,
  1e308,
  -1e308,
  5e-324,
  -1,
  0.1,
  0.005,
  1.5,
  1e10,
  new RawJson('1e999'),
  new RawJson('-1e999'),
  new RawJson(`1${'0'.repeat(400)}`),
  new RawJson(`0.${'0'.repeat(400)}1`),
);
const HOSTILE_KEY = fc.constantFrom('__proto__', 'constructor', 'prototype', 'a\u0000', '\ud800', '', 'toString', 'hasOwnProperty', '😀');
const HOSTILE_VALUE: fc.Arbitrary<unknown> = fc.oneof(
  { arbitrary: HOSTILE_STRING, weight: 4 },
  { arbitrary: HOSTILE_NUMBER, weight: 3 },
  { arbitrary: fc.constantFrom<unknown>(null, true, false, [], {}, [1, 'a'], { a: { b: { c: 'd' } } }), weight: 2 },
  { arbitrary: fc.constantFrom(new RawJson(`${'['.repeat(20000)}${']'.repeat(20000)}`), new RawJson(`${'{"a":'.repeat(5000)}1${'}'.repeat(5000)}`)), weight: 1 },
);

/**
 * Real values from the domain, by the field they appear under (`marketplace.code`, and `code`
 * alone), so generated requests often name real codes, SKUs and tenants and get deep.
 */
interface Examples {
  all: string[];
  byName: Map<string, string[]>;
  /** How often a value is hostile instead of plausible, in percent. */
  hostility: number;
}

function domainExamples(): Examples {
  const byName = new Map<string, Set<string>>();
  const add = (name: string, v: string) => byName.set(name, (byName.get(name) ?? new Set()).add(v));
  const known: Record<string, readonly string[]> = {
    distributor: DISTRIBUTOR_CODES,
    code: [...DISTRIBUTOR_CODES, ...MARKETPLACE_CODES],
    warehouse: Object.values(distributorModules).flatMap((m) => m.warehouses as string[]),
    tenantId: [otherTenantId],
    // the simulators, and nothing else that parses as a URL
    baseUrl: Object.values(stack.sims).map((s) => s.url),
    pssOrderId: ['H3-1', 'H3-2', 'H3-3'],
    'lines.lineId': ['L3', 'L4', 'L5'],
    poNumber: ['DS-0K3J9X2M1QZ-W1'],
    '': ['x', '1', '50', 'true', 'false', 'rider@example.com'],
  };
  for (const [name, values] of Object.entries(known)) values.forEach((v) => add(name, v));
  // the demo order, catalog and credentials: each string under its key and under parent.key
  const todo: [unknown, string, string][] = [[demoDropshipBody(), '', ''], [DEMO_CATALOG, '', ''], [DEMO_CREDENTIALS, '', '']];
  for (let i = 0; i < todo.length; i++) {
    const [v, parent, key] = todo[i];
    if (typeof v === 'string') [key, parent && `${parent}.${key}`].filter(Boolean).forEach((name) => add(name, v));
    else if (Array.isArray(v)) v.forEach((item) => todo.push([item, parent, key]));
    else if (v && typeof v === 'object') Object.entries(v).forEach(([k, item]) => todo.push([item, key, k]));
  }
  return {
    all: [...new Set([...byName.values()].flatMap((set) => [...set]))],
    byName: new Map([...byName].map(([k, set]) => [k, [...set]])),
    hostility: 0,
  };
}

/** Examples for a field: under its parent and name, else under its name. */
function examplesFor(ex: Examples, path: string[]): string[] {
  return ex.byName.get(path.slice(-2).join('.')) ?? ex.byName.get(path[path.length - 1] ?? '') ?? [];
}

const FORMATS: Record<string, (s: string) => boolean> = {
  email: (s) => /^[^@\s]+@[^@\s]+\.[^@\s]+$/.test(s),
  uuid: (s) => /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(s),
  uri: (s) => URL.canParse(s),
};

function fitsString(schema: any, s: string): boolean {
  return (
    s.length >= (schema.minLength ?? 0) &&
    s.length <= (schema.maxLength ?? Infinity) &&
    (!schema.pattern || new RegExp(schema.pattern, 'u').test(s)) &&
    (!schema.format || !FORMATS[schema.format] || FORMATS[schema.format](s))
  );
}

/** Values a JSON schema would accept, as far as this small reader of JSON Schema can tell. */
function plausible(schema: any, ex: Examples, path: string[] = []): fc.Arbitrary<unknown> {
  if (schema.enum) return fc.constantFrom(...schema.enum);
  if (schema.const !== undefined) return fc.constant(schema.const);
  const branches = schema.anyOf ?? schema.oneOf;
  if (branches) return fc.oneof(...branches.map((b: any) => value(b, ex, path)));
  switch (schema.type) {
    case 'string': {
      const named = examplesFor(ex, path).filter((w) => fitsString(schema, w));
      const fitting = named.length ? named : ex.all.filter((w) => fitsString(schema, w));
      return fitting.length ? fc.constantFrom(...fitting) : HOSTILE_STRING;
    }
    case 'integer': {
      // mostly small (quantities the demo stock covers), sometimes anywhere in range
      const min = Math.max(schema.minimum ?? 0, -1000);
      const max = Math.min(schema.maximum ?? 1000, 1000);
      return fc.oneof({ arbitrary: fc.integer({ min, max: Math.min(min + 2, max) }), weight: 3 }, { arbitrary: fc.integer({ min, max }), weight: 1 });
    }
    case 'number':
      return fc.double({ min: Math.max(schema.minimum ?? 0, -1000), max: Math.min(schema.maximum ?? 1000, 1000), noNaN: true });
    case 'boolean':
      return fc.boolean();
    case 'array': {
      const minLength = schema.minItems ?? 0;
      return fc.array(value(schema.items ?? {}, ex, path), { minLength, maxLength: Math.max(minLength, Math.min(schema.maxItems ?? 3, 3)) });
    }
    case 'object':
      return object(schema, ex, path);
    default:
      return HOSTILE_VALUE;
  }
}

/** `plausible`, or now and then (ex.hostility in a hundred) `hostile`. */
function sometimes<T>(ex: Examples, plausibleArb: fc.Arbitrary<T>, hostile: fc.Arbitrary<T>): fc.Arbitrary<T> {
  return fc.oneof({ arbitrary: plausibleArb, weight: 100 - ex.hostility }, { arbitrary: hostile, weight: ex.hostility });
}

const value = (schema: any, ex: Examples, path: string[] = []) => sometimes(ex, plausible(schema, ex, path), HOSTILE_VALUE);

function object(schema: any, ex: Examples, path: string[]): fc.Arbitrary<unknown> {
  const props = Object.fromEntries(Object.entries(schema.properties ?? {}).map(([k, s]) => [k, value(s, ex, [...path, k])]));
  // baseUrl is always sent: without it the API would call the production host (see the guard above)
  const always = Object.keys(props).filter((k) => k === 'baseUrl');
  const known = sometimes(ex, fc.record(props, { requiredKeys: [...always, ...(schema.required ?? [])] }), fc.record(props, { requiredKeys: always }));
  const extra = fc.array(fc.tuple(fc.oneof(HOSTILE_KEY, fc.string({ maxLength: 8 })), HOSTILE_VALUE), { minLength: 1, maxLength: 2 });
  return fc
    .tuple(known, sometimes(ex, fc.constant([] as [string, unknown][]), extra))
    .map(([o, more]) => Object.fromEntries([...Object.entries(o as object), ...more]));
}

const RAW_SEGMENT = fc.constantFrom('%00', '%ED%A0%80', '%E0%A4%A', '%', '%zz', 'a'.repeat(150), '%F0%9F%98%80', '..', '%2F');
const RAW_QUERY = fc.constantFrom('%', '%ED%A0%80', '&&', '=', 'a=%00', 'limit=1&limit=2', `q=${'z'.repeat(20000)}`);
const RAW_BODY = fc.constantFrom(
  '',
  '{',
  'null',
  '[]',
  '"\\ud800"',
  '{"__proto__":{"admin":true}}',
  '{"constructor":{"prototype":{"admin":true}}}',
  '1e999',
  `${'['.repeat(50000)}${']'.repeat(50000)}`,
);

/** Requests with one odd value in fifty (so most reach the handler and Postgres), and with many. */
function hostileRequest(route: RouteUnderTest, ex: Examples): fc.Arbitrary<HostileRequest> {
  return fc.oneof(...[2, 10, 35].map((hostility) => request(route, { ...ex, hostility })));
}

function request(route: RouteUnderTest, ex: Examples): fc.Arbitrary<HostileRequest> {
  const parameters: any[] = route.operation?.parameters ?? [];
  const segment = (name: string) => {
    const schema = parameters.find((p) => p.in === 'path' && p.name === name)?.schema ?? { type: 'string' };
    return sometimes(ex, plausible(schema, ex, [name]).map((v) => encodeText(asText(v))), fc.oneof(HOSTILE_STRING.map(encodeText), RAW_SEGMENT));
  };
  const names = [...route.url.matchAll(/:(\w+)|\*/g)].map((m) => m[1] ?? '*');
  const path = fc.tuple(...names.map(segment)).map((values) => {
    let i = 0;
    return route.url.replace(/:(\w+)|\*/g, () => values[i++]);
  });
  const queryParams = parameters.filter((p) => p.in === 'query');
  const pair = (k: string, v: unknown) => `${encodeText(k)}=${encodeText(asText(v))}`;
  const extraPairs = fc.array(
    fc.tuple(fc.oneof(HOSTILE_KEY, fc.constantFrom(...queryParams.map((p) => p.name), 'x')), HOSTILE_STRING).map(([k, v]) => pair(k, v)),
    { minLength: 1, maxLength: 2 },
  );
  const query = fc
    .tuple(
      fc.tuple(...queryParams.map((p) => fc.option(value(p.schema ?? {}, ex, [p.name]).map((v) => pair(p.name, v)), { freq: 2 }))),
      sometimes(ex, fc.constant([] as string[]), extraPairs),
      sometimes(ex, fc.constant([] as string[]), RAW_QUERY.map((q) => [q])),
    )
    .map(([known, extra, raw]) => [...known.filter((p): p is string => p !== null), ...extra, ...raw].join('&'));
  const bodySchema = route.operation?.requestBody?.content?.['application/json']?.schema;
  const body: fc.Arbitrary<string | undefined> =
    route.method === 'GET' || route.method === 'DELETE' ? fc.constant(undefined) : sometimes(ex, value(bodySchema ?? {}, ex).map(toJsonText), RAW_BODY);
  return fc.record({ method: fc.constant(route.method), path, query, body });
}

describe('hostile input on every route', () => {
  it('never answers 5xx, and every 400 is validation_failed with field paths', async () => {
    const routes = listRoutes();
    // the walk over the router found the routes the contract documents (and the hidden /docs ones)
    const documented = Object.entries((stack.app.swagger() as any).paths).flatMap(([p, ops]) =>
      Object.keys(ops as object).map((m) => `${m.toUpperCase()} ${p.replace(/\{(\w+)\}/g, ':$1')}`),
    );
    expect(routes.map((r) => `${r.method} ${r.url}`)).toEqual(expect.arrayContaining(documented));
    expect(routes.length).toBeGreaterThan(documented.length);

    const examples = domainExamples();
    const failures: string[] = [];
    for (const route of routes) {
      // Each route gets a dealer of its own, with the demo catalog and one dropship (DEMO-1001)
      // awaiting confirmation, so what one route's requests change does not starve the next.
      const own = await stack.dealer();
      const order = demoDropshipBody();
      order.marketplace.orderId = await ebayOrder(stack, order.lines.map((l) => ({ lineItemId: l.marketplaceLineId, quantity: l.quantity })));
      expect((await stack.api('POST', '/v1/dropships', order, own.key)).status).toBe(201);
      // admin routes answer the dealer's key with 401 whatever the input; they get the admin key
      const probe = await send({ method: route.method, path: route.url.replace(/:(\w+)|\*/g, 'x'), query: '', body: route.method === 'GET' ? undefined : '{}' }, own.key);
      const key = probe.status === 401 ? ADMIN_KEY : own.key;
      try {
        await fc.assert(
          fc.asyncProperty(hostileRequest(route, examples), async (req) => checkAnswer(req, await send(req, key))),
          { numRuns: 50, seed: 4242, endOnFailure: true },
        );
      } catch (err) {
        failures.push(`${route.method} ${route.url}: ${(err as Error).message.split('\n')[2].slice(0, 1000)}\n${((err as Error).cause as Error | undefined)?.message}`);
      }
    }
    expect(failures).toEqual([]);
    expect(refusedConnections).toEqual([]);
  });
});

describe('the holes, one by one', () => {
  const product = (patch: Record<string, unknown> = {}, warehouse: Record<string, unknown> = {}) => ({
    title: 'Bell Qualifier helmet, medium',
    offers: [{ distributor: 'wps', distributorSku: '72-0500M', unitCost: 84.95, warehouses: [{ code: 'CA', quantity: 5, ...warehouse }] }],
    ...patch,
  });
  const expectFieldError = (r: { status: number; json?: any; body?: any }, path: string) => {
    const body = r.json ?? r.body;
    expect(r.status).toBe(400);
    expect(body.error).toBe('validation_failed');
    expect(body.details.map((d: any) => d.path)).toContain(path);
  };

  it.each<[string, string, string]>([
    ['a NUL in a path parameter', '/v1/catalog/products/A%00B', 'params.sku'],
    ['a lone surrogate in a path parameter', '/v1/catalog/products/A%ED%A0%80', 'params.sku'],
    ['a broken percent-encoding in a path parameter', '/v1/catalog/products/A%E0%A4%A', 'params.sku'],
    ['an overlong path parameter', `/v1/catalog/products/${'A'.repeat(101)}`, 'params.sku'],
    ['a NUL in the second path parameter', '/v1/warehouse-rules/wps/C%00A', 'params.warehouse'],
    ['a NUL in a query parameter', '/v1/purchase-orders?pssOrderId=A%00', 'querystring.pssOrderId'],
    ['a NUL in a query parameter nobody reads', '/v1/purchase-orders?note=%00', 'querystring.note'],
  ])('%s is a 400 naming it', async (_what, path, field) => {
    const method = path.startsWith('/v1/warehouse-rules') ? 'PUT' : 'GET';
    const r = await send({ method, path: path.split('?')[0], query: path.split('?')[1] ?? '', body: method === 'PUT' ? '{"leadTimeDays":1}' : undefined }, dealer.key);
    expectFieldError(r, field);
  });

  it('refuses NUL and lone surrogates in body strings and keys at any depth, and takes astral characters', async () => {
    expectFieldError(await stack.api('PUT', '/v1/catalog/products/H3-TEXT', product({ title: 'Helmet\u0000' }), dealer.key), 'body.title');
    const sku = product();
    sku.offers[0].distributorSku = '72-\ud800';
    expectFieldError(await stack.api('PUT', '/v1/catalog/products/H3-TEXT', sku, dealer.key), 'body.offers.0.distributorSku');
    expectFieldError(await stack.api('POST', '/v1/tenants', { name: '\udc00 Motors' }, ADMIN_KEY), 'body.name');

    const order = demoDropshipBody('H3-NUL-1');
    expectFieldError(await stack.api('POST', '/v1/dropships', { ...order, shipTo: { ...order.shipTo, city: 'Boise\u0000' } }, dealer.key), 'body.shipTo.city');
    expectFieldError(await stack.api('POST', '/v1/dropships', { ...order, shipTo: { ...order.shipTo, 'gate\u0000code': '1' } }, dealer.key), 'body.shipTo.gate\\u0000code');
    expect((await stack.api('GET', '/v1/dropships/H3-NUL-1', undefined, dealer.key)).status).toBe(404);

    // 20 000 levels down: found without exhausting the stack
    const deep = `{"shipTo":${'{"a":'.repeat(20000)}"\\u0000"${'}'.repeat(20000)}}`;
    const r = await send({ method: 'POST', path: '/v1/dropships', query: '', body: deep }, dealer.key);
    expectFieldError(r, `body.shipTo${'.a'.repeat(20000)}`);

    const ok = await stack.api('PUT', '/v1/catalog/products/H3-TEXT', product({ title: 'Helmet 🏍️ Größe M' }), dealer.key);
    expect(ok.status).toBe(200);
    expect(ok.body.title).toBe('Helmet 🏍️ Größe M');
  });

  it('bounds numbers by their columns', async () => {
    expectFieldError(await stack.api('PUT', '/v1/catalog/products/H3-QTY', product({}, { quantity: 2 ** 31 }), dealer.key), 'body.offers.0.warehouses.0.quantity');
    expectFieldError(await stack.api('PUT', '/v1/catalog/products/H3-QTY', product({}, { quantity: 1.5 }), dealer.key), 'body.offers.0.warehouses.0.quantity');
    const huge = toJsonText(product({ offers: [{ distributor: 'wps', distributorSku: '72-0500M', unitCost: new RawJson('1e999'), warehouses: [] }] }));
    expectFieldError(await send({ method: 'PUT', path: '/v1/catalog/products/H3-QTY', query: '', body: huge }, dealer.key), 'body.offers.0.unitCost');
    const most = await stack.api('PUT', '/v1/catalog/products/H3-QTY', product({}, { quantity: 2 ** 31 - 1 }), dealer.key);
    expect(most.status).toBe(200);
    expect(most.body.offers[0].warehouses[0].quantity).toBe(2 ** 31 - 1);
  });

  it.each<[string, string]>([
    ['a date JS parses and Postgres refuses', Buffer.from(JSON.stringify(['+275760-09-13T00:00:00.000Z', 'DS-1'])).toString('base64url')],
    ['a date JS reads as 2001', Buffer.from(JSON.stringify(['1', 'DS-1'])).toString('base64url')],
    ['a millisecond timestamp', Buffer.from(JSON.stringify(['2024-05-01T12:00:00.123Z', 'DS-1'])).toString('base64url')],
    ['not a cursor at all', 'not-a-cursor'],
  ])('refuses a cursor that is %s', async (_what, cursor) => {
    expectFieldError(await stack.api('GET', `/v1/purchase-orders?cursor=${cursor}`, undefined, dealer.key), 'querystring.cursor');
  });

  it('refuses a limit that is not a plain whole number', async () => {
    expectFieldError(await stack.api('GET', '/v1/purchase-orders?limit=1e1', undefined, dealer.key), 'querystring.limit');
  });
});

describe('paging', () => {
  it('returns every purchase order exactly once, rows in the same millisecond included', async () => {
    const t = await stack.api('POST', '/v1/tenants', { name: 'Same Millisecond Motors' }, ADMIN_KEY);
    // microseconds apart within one millisecond, two at the very same instant, one a millisecond earlier
    const at = ['.123600', '.123500', '.123400', '.123400', '.123100', '.123001', '.122999'];
    const rows = at.map((us, i) => ({ po: `DS-H3PAGE-W${i}`, createdAt: `2024-05-01T12:00:00${us}Z` }));
    // as text: postgres.js sends a parameter Postgres types as timestamptz through a JS Date (milliseconds)
    for (const r of rows) {
      await stack.sql`INSERT INTO purchase_orders (po_number, tenant_id, pss_order_id, distributor, attempt, status, created_at)
                      VALUES (${r.po}, ${t.body.id}, 'H3-PAGE', 'wps', 1, 'submitted', ${r.createdAt}::text::timestamptz)`;
    }
    const newestFirst = [...rows].sort((a, b) => (a.createdAt === b.createdAt ? b.po.localeCompare(a.po) : b.createdAt.localeCompare(a.createdAt))).map((r) => r.po);

    for (const limit of [1, 3]) {
      const seen: string[] = [];
      let cursor: string | null = null;
      do {
        const page: { status: number; body: any } = await stack.api('GET', `/v1/purchase-orders?limit=${limit}${cursor ? `&cursor=${cursor}` : ''}`, undefined, t.body.apiKey);
        expect(page.status).toBe(200);
        seen.push(...page.body.items.map((i: any) => i.poNumber));
        cursor = page.body.nextCursor;
      } while (cursor && seen.length <= rows.length);
      expect(seen).toEqual(newestFirst);
    }
  });
});
