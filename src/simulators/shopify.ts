// Shopify Admin GraphQL double (shared/reference/marketplace-apis.md §4, §8.4, §8.6).
//
// Serves POST /admin/api/{version}/graphql.json. No GraphQL parser (§8.4 allows it): the root
// fields of the document pick the operation, `variables` carry the input, and each operation
// answers its full shape whatever the selection set asks for:
//   query    shop / currentAppInstallation                    who am I, granted scopes
//   query    order(id)                                        fulfillmentOrders (nodes), fulfillments
//   mutation fulfillmentCreate(fulfillment, message)          → fulfillment | userErrors (HTTP 200)
//   mutation fulfillmentTrackingInfoUpdate(fulfillmentId, trackingInfoInput, notifyCustomer)
// Every answer carries extensions.cost with a leaky-bucket throttleStatus.
// Control (besides the harness's /__control/{faults,requests,reset}):
//   POST /__control/tokens {token, scopes?}                  register an Admin API access token
//   POST /__control/orders {orderId, lineItems:[{lineItemId, quantity, sku?}], fulfillmentOrders?}
//   GET  /__control/orders, GET /__control/orders/:orderId     orders with their fulfillments
//   POST /__control/config, GET /__control/config              the configurable guesses below
//
// Every [G] of the reference is a config field: throttledHttpStatus (200 | 429), bucket size and
// restore rate (plan), query/mutation costs, the userError texts, the known company list (links).
import type { FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { SimulatorHarness, registerOrderAndConfigControl } from './harness';

/** §4.2 [C]: names Shopify links automatically (capitalization matters). */
export const DEFAULT_SHOPIFY_KNOWN_COMPANIES: Record<string, string> = {
  UPS: 'https://www.ups.com/track?tracknum={number}',
  USPS: 'https://tools.usps.com/go/TrackConfirmAction?tLabels={number}',
  FedEx: 'https://www.fedex.com/fedextrack/?trknbr={number}',
  'DHL Express': 'https://www.dhl.com/en/express/tracking.html?AWB={number}',
  'DHL eCommerce': 'https://webtrack.dhlecs.com/?trackingnumber={number}',
  OnTrac: 'https://www.ontrac.com/tracking/?number={number}',
  Lasership: 'https://www.lasership.com/track/{number}',
  'Canada Post': 'https://www.canadapost-postescanada.ca/track-reperage/en#/search?searchFor={number}',
};

export const DEFAULT_SHOPIFY_SCOPES = ['read_orders', 'read_merchant_managed_fulfillment_orders', 'write_merchant_managed_fulfillment_orders'];
const WRITE_SCOPES = ['write_assigned_fulfillment_orders', 'write_merchant_managed_fulfillment_orders', 'write_third_party_fulfillment_orders'];
const READ_SCOPES = [...WRITE_SCOPES, 'read_assigned_fulfillment_orders', 'read_merchant_managed_fulfillment_orders', 'read_third_party_fulfillment_orders'];

export const FULFILLMENT_ORDER_STATUSES = ['OPEN', 'IN_PROGRESS', 'CLOSED', 'CANCELLED', 'INCOMPLETE', 'ON_HOLD', 'SCHEDULED'] as const;
export type FulfillmentOrderStatus = (typeof FULFILLMENT_ORDER_STATUSES)[number];

export interface ShopifySimulatorConfig {
  /** HTTP status of a THROTTLED answer: community threads disagree (§4.4 [S]), so both. */
  throttledHttpStatus: 200 | 429;
  /** Bucket size and points restored per second (Standard 100/s; Plus 1000/s) [C]; default the §8.4 numbers. */
  maximumAvailable: number;
  restoreRate: number;
  /** requestedQueryCost of a query and of a mutation [G] (real costs depend on the selection). */
  queryCost: number;
  mutationCost: number;
  /** userError texts [G]/[S]. */
  unknownFulfillmentOrderMessage: string;
  invalidQuantityMessage: string;
  notFulfillableMessage: string;
  /** Company → tracking URL template; a known company without url gets one synthesized. */
  knownCompanies: Record<string, string>;
}

export interface ShopifySimulatorOptions extends Partial<ShopifySimulatorConfig> {
  clock?: () => Date;
}

export interface ShopifySimOrderInput {
  /** Numeric or gid://shopify/Order/… */
  orderId: string;
  lineItems: { lineItemId: string; quantity: number; sku?: string }[];
  /** Default: one OPEN fulfillment order at location 1 (SHIPPING) holding every line. Kept once anything is fulfilled. */
  fulfillmentOrders?: {
    status?: FulfillmentOrderStatus;
    locationId?: string;
    deliveryMethod?: string;
    lineItems: { lineItemId: string; quantity: number }[];
  }[];
}

interface SimFoLine {
  id: string;
  lineItemId: string;
  totalQuantity: number;
  remainingQuantity: number;
}

interface SimFulfillmentOrder {
  id: string;
  status: FulfillmentOrderStatus;
  locationId: string;
  deliveryMethod: string;
  lineItems: SimFoLine[];
}

export interface ShopifySimTracking {
  company: string | null;
  number: string | null;
  url: string | null;
}

export interface ShopifySimFulfillment {
  id: string;
  status: 'SUCCESS';
  createdAt: string;
  notifyCustomer: boolean;
  trackingInfo: ShopifySimTracking[];
  fulfillmentLineItems: { lineItemId: string; quantity: number }[];
}

interface SimOrder {
  id: string;
  lineItems: { id: string; quantity: number; sku?: string }[];
  fulfillmentOrders: SimFulfillmentOrder[];
  fulfillments: ShopifySimFulfillment[];
}

export type DisplayFulfillmentStatus = 'UNFULFILLED' | 'PARTIALLY_FULFILLED' | 'FULFILLED';

export interface ShopifySimOrderView {
  id: string;
  displayFulfillmentStatus: DisplayFulfillmentStatus;
  lineItems: { id: string; sku?: string; quantity: number; fulfilledQuantity: number }[];
  fulfillmentOrders: SimFulfillmentOrder[];
  fulfillments: ShopifySimFulfillment[];
}

const DEFAULT_CONFIG: ShopifySimulatorConfig = {
  throttledHttpStatus: 200,
  maximumAvailable: 1000,
  restoreRate: 100,
  queryCost: 10,
  mutationCost: 10,
  unknownFulfillmentOrderMessage: 'Fulfillment order does not exist.',
  invalidQuantityMessage: 'Invalid fulfillment order line item quantity requested.',
  notFulfillableMessage: 'Fulfillment order is not in a fulfillable state.',
  knownCompanies: DEFAULT_SHOPIFY_KNOWN_COMPANIES,
};

const configSchema = z
  .object({
    throttledHttpStatus: z.union([z.literal(200), z.literal(429)]),
    maximumAvailable: z.number().positive(),
    restoreRate: z.number().positive(),
    queryCost: z.number().min(0),
    mutationCost: z.number().min(0),
    unknownFulfillmentOrderMessage: z.string().min(1),
    invalidQuantityMessage: z.string().min(1),
    notFulfillableMessage: z.string().min(1),
    knownCompanies: z.record(z.string(), z.string()),
  })
  .partial()
  .strict();

const tokenSchema = z.object({ token: z.string().min(1), scopes: z.array(z.string().min(1)).optional() });

const idSchema = (kind: string) => z.string().regex(new RegExp(`^(\\d+|gid://shopify/${kind}/\\d+)$`), `a number or gid://shopify/${kind}/…`);
const orderSchema = z.object({
  orderId: idSchema('Order'),
  lineItems: z.array(z.object({ lineItemId: idSchema('LineItem'), quantity: z.number().int().min(1), sku: z.string().optional() })).min(1),
  fulfillmentOrders: z
    .array(
      z.object({
        status: z.enum(FULFILLMENT_ORDER_STATUSES).optional(),
        locationId: z.string().min(1).optional(),
        deliveryMethod: z.string().min(1).optional(),
        lineItems: z.array(z.object({ lineItemId: idSchema('LineItem'), quantity: z.number().int().min(1) })).min(1),
      }),
    )
    .min(1)
    .optional(),
});

const gidOf = (kind: string, id: string) => (id.startsWith('gid://') ? id : `gid://shopify/${kind}/${id}`);

const INVALID_TOKEN_BODY = { errors: '[API] Invalid API key or access token (unrecognized login or wrong password)' };
const NO_PERMISSION_BODY = { errors: 'The api_client does not have the required permission(s).' };

/** Root field names of a GraphQL document (depth 1 of the operation's selection set). */
export function graphqlRootFields(document: string): string[] {
  const src = document.replace(/#[^\n]*/g, '').replace(/"(?:[^"\\]|\\.)*"/g, '""');
  const fields: string[] = [];
  let braces = 0;
  let parens = 0;
  const re = /[{}()]|[_A-Za-z][_0-9A-Za-z]*/g;
  for (let m = re.exec(src); m; m = re.exec(src)) {
    const t = m[0];
    if (t === '{') braces += 1;
    else if (t === '}') braces -= 1;
    else if (t === '(') parens += 1;
    else if (t === ')') parens -= 1;
    // `alias: field` → the field
    else if (braces === 1 && parens === 0 && !/^\s*:/.test(src.slice(re.lastIndex))) fields.push(t);
  }
  return fields;
}

export class ShopifySimulator {
  readonly harness: SimulatorHarness;
  private readonly clock: () => Date;
  private readonly initialConfig: ShopifySimulatorConfig;
  private cfg: ShopifySimulatorConfig;
  private readonly tokens = new Map<string, string[]>();
  private readonly orders = new Map<string, SimOrder>();
  private bucket: { available: number; at: number };
  private nextId = 1;

  constructor(options: ShopifySimulatorOptions = {}) {
    const { clock, ...rest } = options;
    this.clock = clock ?? (() => new Date());
    this.initialConfig = { ...DEFAULT_CONFIG, ...stripUndefined(rest) };
    this.cfg = { ...this.initialConfig };
    this.bucket = { available: this.cfg.maximumAvailable, at: this.clock().getTime() };
    this.harness = new SimulatorHarness('shopify', {
      errorBody: (status) => this.errorBodyFor(status),
      throttle: (reply, retryAfterSeconds) => reply.code(429).header('retry-after', String(retryAfterSeconds)).send({ errors: 'Exceeded 2 calls per second for api client. Reduce request rates to resume uninterrupted service.' }),
      reset: () => this.resetState(),
    });
    this.routes();
  }

  // ---- typed control methods -------------------------------------------------------------------

  get config(): ShopifySimulatorConfig {
    return { ...this.cfg, knownCompanies: { ...this.cfg.knownCompanies } };
  }

  configure(patch: Partial<ShopifySimulatorConfig>): ShopifySimulatorConfig {
    const parsed = configSchema.parse(stripUndefined(patch)) as Partial<ShopifySimulatorConfig>;
    this.cfg = { ...this.cfg, ...parsed };
    this.bucket.available = Math.min(this.bucket.available, this.cfg.maximumAvailable);
    return this.config;
  }

  addToken(input: { token: string; scopes?: string[] }): { scopes: string[] } {
    const t = tokenSchema.parse(input);
    const scopes = t.scopes ?? DEFAULT_SHOPIFY_SCOPES;
    this.tokens.set(t.token, scopes);
    return { scopes: [...scopes] };
  }

  upsertOrder(input: ShopifySimOrderInput): ShopifySimOrderView {
    const o = orderSchema.parse(input);
    const id = gidOf('Order', o.orderId);
    const existing = this.orders.get(id);
    const lineItems = o.lineItems.map((l) => ({ id: gidOf('LineItem', l.lineItemId), quantity: l.quantity, ...(l.sku ? { sku: l.sku } : {}) }));
    const fos = (o.fulfillmentOrders ?? [{ lineItems: o.lineItems }]).map((fo) => ({
      id: this.newId('FulfillmentOrder'),
      status: fo.status ?? 'OPEN',
      locationId: gidOf('Location', fo.locationId ?? '1'),
      deliveryMethod: fo.deliveryMethod ?? 'SHIPPING',
      lineItems: fo.lineItems.map((l) => ({ id: this.newId('FulfillmentOrderLineItem'), lineItemId: gidOf('LineItem', l.lineItemId), totalQuantity: l.quantity, remainingQuantity: l.quantity })),
    }));
    // Fulfillment orders are rebuilt only while nothing is fulfilled (fulfillments point into them).
    const kept = existing && existing.fulfillments.length ? existing : undefined;
    const order: SimOrder = { id, lineItems, fulfillmentOrders: kept?.fulfillmentOrders ?? fos, fulfillments: kept?.fulfillments ?? [] };
    this.orders.set(id, order);
    return this.view(order);
  }

  getOrder(orderId: string): ShopifySimOrderView | undefined {
    const o = this.orders.get(gidOf('Order', orderId));
    return o ? this.view(o) : undefined;
  }

  listOrders(): ShopifySimOrderView[] {
    return [...this.orders.values()].map((o) => this.view(o));
  }

  async listen(port = 0): Promise<string> {
    return this.harness.listen(port);
  }

  async close(): Promise<void> {
    await this.harness.close();
  }

  // ---- state helpers ---------------------------------------------------------------------------

  private resetState(): void {
    this.tokens.clear();
    this.orders.clear();
    this.cfg = { ...this.initialConfig };
    this.bucket = { available: this.cfg.maximumAvailable, at: this.clock().getTime() };
    this.nextId = 1;
  }

  private newId(kind: string): string {
    return `gid://shopify/${kind}/${this.nextId++}`;
  }

  private fulfilledQty(o: SimOrder, lineItemId: string): number {
    let n = 0;
    for (const f of o.fulfillments) for (const l of f.fulfillmentLineItems) if (l.lineItemId === lineItemId) n += l.quantity;
    return n;
  }

  private view(o: SimOrder): ShopifySimOrderView {
    const lines = o.lineItems.map((l) => ({ id: l.id, ...(l.sku ? { sku: l.sku } : {}), quantity: l.quantity, fulfilledQuantity: this.fulfilledQty(o, l.id) }));
    const status: DisplayFulfillmentStatus = lines.every((l) => l.fulfilledQuantity >= l.quantity)
      ? 'FULFILLED'
      : lines.some((l) => l.fulfilledQuantity > 0)
        ? 'PARTIALLY_FULFILLED'
        : 'UNFULFILLED';
    return {
      id: o.id,
      displayFulfillmentStatus: status,
      lineItems: lines,
      fulfillmentOrders: o.fulfillmentOrders.map((fo) => ({ ...fo, lineItems: fo.lineItems.map((l) => ({ ...l })) })),
      fulfillments: o.fulfillments.map((f) => ({ ...f, trackingInfo: f.trackingInfo.map((t) => ({ ...t })), fulfillmentLineItems: f.fulfillmentLineItems.map((l) => ({ ...l })) })),
    };
  }

  private errorBodyFor(status: number): unknown {
    if (status === 401) return INVALID_TOKEN_BODY;
    if (status === 403) return NO_PERMISSION_BODY;
    if (status === 404) return { errors: 'Not Found' };
    if (status === 402) return { errors: 'Unavailable Shop' };
    if (status >= 500) return { errors: 'Internal Server Error' };
    return { errors: 'Bad Request' };
  }

  /** Leaky bucket: refills at restoreRate points/s up to maximumAvailable. Takes `cost`, or answers why not. */
  private spend(cost: number): { ok: boolean; cost: object } {
    const now = this.clock().getTime();
    this.bucket.available = Math.min(this.cfg.maximumAvailable, this.bucket.available + ((now - this.bucket.at) / 1000) * this.cfg.restoreRate);
    this.bucket.at = now;
    const ok = cost <= this.bucket.available;
    if (ok) this.bucket.available -= cost;
    return {
      ok,
      cost: {
        requestedQueryCost: cost,
        actualQueryCost: ok ? cost : null,
        throttleStatus: { maximumAvailable: this.cfg.maximumAvailable, currentlyAvailable: Math.floor(this.bucket.available), restoreRate: this.cfg.restoreRate },
      },
    };
  }

  /** Empties the bucket (a test's way to make the next call THROTTLED). */
  drainBucket(): void {
    this.bucket = { available: 0, at: this.clock().getTime() };
  }

  // ---- routes ----------------------------------------------------------------------------------

  private routes(): void {
    const app = this.harness.app;

    app.setErrorHandler((error: Error & { statusCode?: number }, req, reply) => {
      const status = error.statusCode && error.statusCode >= 400 && error.statusCode < 600 ? error.statusCode : 500;
      if (req.url.startsWith('/__control')) return reply.code(status).send({ error: error.message });
      if (status === 400) return reply.code(400).send({ errors: [{ message: `Invalid JSON: ${error.message}` }] });
      return reply.code(status).send(this.errorBodyFor(status));
    });

    app.post('/__control/tokens', async (req, reply) => {
      const parsed = tokenSchema.safeParse(req.body);
      if (!parsed.success) return reply.code(400).send({ error: 'invalid token body', issues: parsed.error.issues });
      return { token: `••••${parsed.data.token.slice(-4)}`, ...this.addToken(parsed.data) };
    });
    registerOrderAndConfigControl<z.infer<typeof orderSchema>, ShopifySimulatorConfig>(app, this, { order: orderSchema, config: configSchema });

    app.post<{ Params: { version: string } }>('/admin/api/:version/graphql.json', async (req, reply) => this.graphql(req, reply));
  }

  private graphql(req: FastifyRequest, reply: FastifyReply) {
    const token = req.headers['x-shopify-access-token'];
    const scopes = typeof token === 'string' ? this.tokens.get(token) : undefined;
    if (!scopes) return reply.code(401).send(INVALID_TOKEN_BODY);
    const body = req.body as { query?: unknown; variables?: unknown } | undefined;
    if (!body || typeof body !== 'object' || typeof body.query !== 'string') {
      return reply.code(400).send({ errors: { query: 'Required parameter missing or invalid' } });
    }
    const variables = (body.variables && typeof body.variables === 'object' ? body.variables : {}) as Record<string, any>;
    const isMutation = /^\s*mutation\b/.test(body.query.replace(/#[^\n]*/g, ''));
    const roots = graphqlRootFields(body.query);
    const known = isMutation ? ['fulfillmentCreate', 'fulfillmentTrackingInfoUpdate'] : ['order', 'shop', 'currentAppInstallation'];
    const unknown = roots.filter((r) => !known.includes(r) && r !== '__typename');
    if (roots.length === 0 || unknown.length) {
      return reply.code(200).send({
        errors: [{ message: `Field '${unknown[0] ?? '?'}' doesn't exist on type '${isMutation ? 'Mutation' : 'QueryRoot'}'`, extensions: { code: 'undefinedField' } }],
      });
    }
    const needs = isMutation ? WRITE_SCOPES : roots.includes('order') ? READ_SCOPES : [];
    if (needs.length && !scopes.some((s) => needs.includes(s))) return reply.code(403).send(NO_PERMISSION_BODY);

    const spent = this.spend(isMutation ? this.cfg.mutationCost : this.cfg.queryCost);
    if (!spent.ok) {
      return reply.code(this.cfg.throttledHttpStatus).send({
        errors: [{ message: 'Throttled', extensions: { code: 'THROTTLED', documentation: 'https://shopify.dev/api/usage/rate-limits' } }],
        extensions: { cost: spent.cost },
      });
    }
    const data: Record<string, unknown> = {};
    for (const root of roots) {
      if (root === 'shop') data.shop = { name: 'Simulated shop', myshopifyDomain: String(req.headers.host ?? 'simulated.myshopify.com') };
      if (root === 'currentAppInstallation') data.currentAppInstallation = { accessScopes: scopes.map((handle) => ({ handle })) };
      if (root === 'order') data.order = this.orderField(variables.id);
      if (root === 'fulfillmentCreate') data.fulfillmentCreate = this.fulfillmentCreate(variables.fulfillment);
      if (root === 'fulfillmentTrackingInfoUpdate') data.fulfillmentTrackingInfoUpdate = this.trackingInfoUpdate(variables);
    }
    return reply.code(200).send({ data, extensions: { cost: spent.cost } });
  }

  private orderField(id: unknown) {
    const o = typeof id === 'string' ? this.orders.get(id) : undefined;
    if (!o) return null;
    const v = this.view(o);
    return {
      id: v.id,
      displayFulfillmentStatus: v.displayFulfillmentStatus,
      fulfillmentOrders: {
        nodes: v.fulfillmentOrders.map((fo) => ({
          id: fo.id,
          status: fo.status,
          assignedLocation: { location: { id: fo.locationId } },
          deliveryMethod: { methodType: fo.deliveryMethod },
          lineItems: { nodes: fo.lineItems.map((l) => ({ id: l.id, remainingQuantity: l.remainingQuantity, totalQuantity: l.totalQuantity, lineItem: { id: l.lineItemId } })) },
        })),
      },
      fulfillments: v.fulfillments.map((f) => this.fulfillmentField(f)),
    };
  }

  private fulfillmentField(f: ShopifySimFulfillment) {
    return {
      id: f.id,
      status: f.status,
      createdAt: f.createdAt,
      trackingInfo: f.trackingInfo,
      fulfillmentLineItems: { nodes: f.fulfillmentLineItems.map((l) => ({ quantity: l.quantity, lineItem: { id: l.lineItemId } })) },
    };
  }

  private userError(message: string, field: string[] = ['fulfillment']) {
    return { fulfillment: null, userErrors: [{ field, message }] };
  }

  /** Tracking input → stored tracking; a known company without url gets a link (§8.4). Or a userError text. */
  private tracking(input: any): ShopifySimTracking[] | string {
    if (input === undefined || input === null) return [];
    const hasNumbers = Array.isArray(input.numbers);
    if (input.number !== undefined && hasNumbers) return 'Specify either number or numbers, not both.';
    if (input.url !== undefined && input.urls !== undefined) return 'Specify either url or urls, not both.';
    const numbers: string[] = hasNumbers ? input.numbers : input.number !== undefined && input.number !== null ? [input.number] : [];
    const urls: string[] = Array.isArray(input.urls) ? input.urls : input.url !== undefined && input.url !== null ? [input.url] : [];
    if (urls.length && !numbers.length) return 'Tracking url requires a tracking number.';
    const company = typeof input.company === 'string' ? input.company : null;
    const template = company ? this.cfg.knownCompanies[company] : undefined;
    return numbers.map((n, i) => ({
      company,
      number: String(n),
      url: urls[i] ?? (template ? template.split('{number}').join(encodeURIComponent(String(n))) : null),
    }));
  }

  private fulfillmentCreate(input: any) {
    const groups = input?.lineItemsByFulfillmentOrder;
    if (!Array.isArray(groups) || groups.length === 0) return this.userError('Line items by fulfillment order must be specified.', ['fulfillment', 'lineItemsByFulfillmentOrder']);
    // 1. Every fulfillment order exists (and is one the app can see).
    const found: { o: SimOrder; fo: SimFulfillmentOrder; items: any[] | undefined }[] = [];
    for (const g of groups) {
      let hit: { o: SimOrder; fo: SimFulfillmentOrder } | undefined;
      for (const o of this.orders.values()) {
        const fo = o.fulfillmentOrders.find((x) => x.id === g?.fulfillmentOrderId);
        if (fo) hit = { o, fo };
      }
      if (!hit) return this.userError(this.cfg.unknownFulfillmentOrderMessage);
      found.push({ ...hit, items: Array.isArray(g.fulfillmentOrderLineItems) ? g.fulfillmentOrderLineItems : undefined });
    }
    // 2. One order, one location. 3. One delivery method type.
    if (new Set(found.map((f) => f.o.id)).size > 1 || new Set(found.map((f) => f.fo.locationId)).size > 1) {
      return this.userError('All fulfillment orders must belong to the same order and be assigned to the same location.');
    }
    if (new Set(found.map((f) => f.fo.deliveryMethod)).size > 1) {
      return this.userError('All fulfillment orders must have the same delivery method type to be fulfilled together.');
    }
    // 4. Fulfillable status. [G] A CLOSED one (all fulfilled) falls through to the quantity
    // check, since that is how duplicates surface (§4.4 [S]).
    if (found.some((f) => !['OPEN', 'IN_PROGRESS', 'CLOSED'].includes(f.fo.status))) return this.userError(this.cfg.notFulfillableMessage);
    // 5. Quantities (an empty or missing list means everything remaining on that fulfillment order).
    const take: { line: SimFoLine; quantity: number }[] = [];
    for (const f of found) {
      const items = f.items && f.items.length ? f.items : f.fo.lineItems.filter((l) => l.remainingQuantity > 0).map((l) => ({ id: l.id, quantity: l.remainingQuantity }));
      if (!items.length) return this.userError(this.cfg.invalidQuantityMessage);
      for (const it of items) {
        const line = f.fo.lineItems.find((l) => l.id === it?.id);
        if (!line) return this.userError(this.cfg.invalidQuantityMessage);
        const already = take.filter((t) => t.line === line).reduce((n, t) => n + t.quantity, 0);
        if (!Number.isInteger(it.quantity) || it.quantity < 1 || already + it.quantity > line.remainingQuantity) return this.userError(this.cfg.invalidQuantityMessage);
        take.push({ line, quantity: it.quantity });
      }
    }
    // 6. Tracking shape.
    const tracking = this.tracking(input.trackingInfo);
    if (typeof tracking === 'string') return this.userError(tracking, ['fulfillment', 'trackingInfo']);

    const order = found[0].o;
    for (const t of take) t.line.remainingQuantity -= t.quantity;
    for (const f of found) f.fo.status = f.fo.lineItems.every((l) => l.remainingQuantity === 0) ? 'CLOSED' : 'IN_PROGRESS';
    const byLine = new Map<string, number>();
    for (const t of take) byLine.set(t.line.lineItemId, (byLine.get(t.line.lineItemId) ?? 0) + t.quantity);
    const fulfillment: ShopifySimFulfillment = {
      id: this.newId('Fulfillment'),
      status: 'SUCCESS',
      createdAt: this.clock().toISOString(),
      notifyCustomer: input.notifyCustomer === true,
      trackingInfo: tracking,
      fulfillmentLineItems: [...byLine].map(([lineItemId, quantity]) => ({ lineItemId, quantity })),
    };
    order.fulfillments.push(fulfillment);
    return { fulfillment: { id: fulfillment.id, status: fulfillment.status, trackingInfo: tracking }, userErrors: [] };
  }

  private trackingInfoUpdate(v: Record<string, any>) {
    const f = [...this.orders.values()].flatMap((o) => o.fulfillments).find((x) => x.id === v.fulfillmentId);
    if (!f) return this.userError('Fulfillment does not exist.', ['fulfillmentId']);
    const tracking = this.tracking(v.trackingInfoInput);
    if (typeof tracking === 'string') return this.userError(tracking, ['trackingInfoInput']);
    f.trackingInfo = tracking;
    if (v.notifyCustomer === true) f.notifyCustomer = true;
    return { fulfillment: this.fulfillmentField(f), userErrors: [] };
  }
}

function stripUndefined<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}

export function createShopifySimulator(options: ShopifySimulatorOptions = {}): ShopifySimulator {
  return new ShopifySimulator(options);
}
