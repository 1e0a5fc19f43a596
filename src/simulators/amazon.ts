// Amazon SP-API Orders v0 + Login with Amazon double (shared/reference/marketplace-apis.md §2, §8.2, §8.6).
//
// Serves:
//   POST /auth/o2/token                                   LWA refresh-token grant (form body only)
//   GET  /orders/v0/orders?MarketplaceIds=&CreatedAfter=  getOrders
//   GET  /orders/v0/orders/{orderId}                      getOrder (OrderStatus, item counts)
//   GET  /orders/v0/orders/{orderId}/orderItems           getOrderItems (QuantityOrdered, QuantityShipped)
//   POST /orders/v0/orders/{orderId}/shipmentConfirmation confirmShipment → 204, no body
// Control (besides the harness's /__control/{faults,requests,reset}):
//   POST /__control/grants {clientId, clientSecret, refreshToken, ordersRole?, revoked?}   a seller's authorization of the app
//   POST /__control/tokens/expire                         every access token issued so far expires now
//   POST /__control/orders {orderId, marketplaceId?, shipPlus?, items:[{orderItemId, quantity, sku?}]}  upsert an order
//   GET  /__control/orders, GET /__control/orders/:orderId     orders with their packages
//   POST /__control/config, GET /__control/config              the configurable guesses below
//
// Every [G] of the reference is a config field: carrierCodes, unknownOrderStatus (404 | 400),
// accessTokenLifetimeSeconds (3600), rateLimits per operation (token buckets), systemError (the
// 500/503 toggle on confirmShipment).
import { randomBytes, randomUUID } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { SimulatorHarness, registerOrderAndConfigControl } from './harness';

/** §2.2 [S]: the historical `amzn-base.xsd` CarrierCode list, plus newer Seller Central names [G]. */
export const DEFAULT_AMAZON_CARRIER_CODES = [
  'USPS', 'UPS', 'UPSMI', 'FedEx', 'DHL', 'Fastway', 'GLS', 'GO!', 'Hermes Logistik Gruppe', 'Royal Mail', 'Parcelforce', 'TNT',
  'DHL Global Mail', 'UPS Mail Innovations', 'FedEx SmartPost', 'OSM', 'OnTrac', 'Streamlite', 'Newgistics', 'Canada Post',
  'Blue Package', 'Chronopost', 'Deutsche Post', 'DPD', 'La Poste', 'BlueDart', 'Aramex', 'India Post', 'DTDC', 'Delhivery',
  'Lasership', 'Amazon Shipping', 'Veho', 'Other',
];

export type AmazonOperation = 'confirmShipment' | 'getOrder' | 'getOrderItems' | 'getOrders';

export interface AmazonSimulatorConfig {
  /** Accepted `carrierCode` values (exact, case-sensitive) [G]. */
  carrierCodes: string[];
  /** Status for an unknown order id: 404 NotFound (default) or 400 InvalidInput [G]. */
  unknownOrderStatus: 404 | 400;
  /** LWA access token lifetime (`expires_in`), default 3600 s. */
  accessTokenLifetimeSeconds: number;
  /** Usage plan per operation, per seller and app (rate per second, burst); null = unlimited. */
  rateLimits: Record<AmazonOperation, { rate: number; burst: number } | null>;
  /** Every confirmShipment answers this status without committing (500 InternalFailure / 503). */
  systemError: 500 | 503 | null;
}

export interface AmazonSimulatorOptions extends Partial<AmazonSimulatorConfig> {
  clock?: () => Date;
}

export interface AmazonSimGrantInput {
  clientId: string;
  clientSecret: string;
  refreshToken: string;
  /** The app holds the Inventory and Order Tracking role for this seller (default true). */
  ordersRole?: boolean;
  /** The seller revoked the app: the refresh token answers invalid_grant. */
  revoked?: boolean;
}

export interface AmazonSimOrderInput {
  orderId: string;
  marketplaceId?: string;
  /** Ship+ orders refuse confirmShipment (§2.3 [C]). */
  shipPlus?: boolean;
  items: { orderItemId: string; quantity: number; sku?: string }[];
}

export interface AmazonSimPackage {
  packageReferenceId: string;
  carrierCode: string;
  carrierName?: string;
  shippingMethod?: string;
  trackingNumber: string;
  shipDate: string;
  orderItems: { orderItemId: string; quantity: number }[];
  /** What Amazon warns about without refusing (a tracking id that does not match the carrier's format). */
  warnings: string[];
  /** How many times this package was sent (the second and later sends are edits). */
  sends: number;
}

export type AmazonOrderStatus = 'Unshipped' | 'PartiallyShipped' | 'Shipped';

export interface AmazonSimOrderView {
  orderId: string;
  marketplaceId: string;
  shipPlus: boolean;
  orderStatus: AmazonOrderStatus;
  items: { orderItemId: string; sku?: string; quantityOrdered: number; quantityShipped: number }[];
  packages: AmazonSimPackage[];
  createdAt: string;
}

interface Grant {
  clientId: string;
  clientSecret: string;
  ordersRole: boolean;
  revoked: boolean;
}

interface SimOrder {
  orderId: string;
  marketplaceId: string;
  shipPlus: boolean;
  items: { orderItemId: string; quantity: number; sku?: string }[];
  packages: AmazonSimPackage[];
  createdAt: string;
}

const ORDERS = '/orders/v0/orders';
const ORDER_ID = /^\d{3}-\d{7}-\d{7}$/;
const ISO_DATE_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:?\d{2})$/;
const DEFAULT_MARKETPLACE = 'ATVPDKIKX0DER';

/** Carrier tracking formats; a mismatch is only a warning at Amazon (§2.2 [C]). */
const TRACKING_FORMATS: Record<string, RegExp> = {
  UPS: /^1Z[0-9A-Z]{16}$/,
  USPS: /^\d{20,22}$|^[A-Z]{2}\d{9}US$/,
  FedEx: /^\d{12}$|^\d{15}$|^\d{20}$/,
};

const DEFAULT_CONFIG: AmazonSimulatorConfig = {
  carrierCodes: DEFAULT_AMAZON_CARRIER_CODES,
  unknownOrderStatus: 404,
  accessTokenLifetimeSeconds: 3600,
  // SP-API usage plans (developer-docs "usage plans and rate limits").
  rateLimits: {
    confirmShipment: { rate: 2, burst: 10 },
    getOrder: { rate: 0.5, burst: 30 },
    getOrderItems: { rate: 0.5, burst: 30 },
    getOrders: { rate: 0.0167, burst: 20 },
  },
  systemError: null,
};

const limitSchema = z.object({ rate: z.number().positive(), burst: z.number().int().min(1) }).nullable();
const configSchema = z
  .object({
    carrierCodes: z.array(z.string().min(1)),
    unknownOrderStatus: z.union([z.literal(404), z.literal(400)]),
    accessTokenLifetimeSeconds: z.number().int().min(1),
    rateLimits: z.object({ confirmShipment: limitSchema, getOrder: limitSchema, getOrderItems: limitSchema, getOrders: limitSchema }).partial(),
    systemError: z.union([z.literal(500), z.literal(503), z.null()]),
  })
  .partial()
  .strict();

const grantSchema = z.object({
  clientId: z.string().min(1),
  clientSecret: z.string().min(1),
  refreshToken: z.string().min(1),
  ordersRole: z.boolean().optional(),
  revoked: z.boolean().optional(),
});

const orderSchema = z.object({
  orderId: z.string().regex(ORDER_ID, 'orderId must look like 123-1234567-1234567'),
  marketplaceId: z.string().min(1).optional(),
  shipPlus: z.boolean().optional(),
  items: z.array(z.object({ orderItemId: z.string().min(1), quantity: z.number().int().min(1), sku: z.string().optional() })).min(1),
});

function errors(code: string, message: string, details = ''): { errors: { code: string; message: string; details: string }[] } {
  return { errors: [{ code, message, details }] };
}

const DENIED = 'Access to requested resource is denied.';
const QUOTA = errors('QuotaExceeded', 'You exceeded your quota for the requested resource.');

export class AmazonSimulator {
  readonly harness: SimulatorHarness;
  private readonly clock: () => Date;
  private readonly initialConfig: AmazonSimulatorConfig;
  private cfg: AmazonSimulatorConfig;
  /** By refresh token. */
  private readonly grants = new Map<string, Grant>();
  private readonly accessTokens = new Map<string, { refreshToken: string; expiresAt: number }>();
  private readonly orders = new Map<string, SimOrder>();
  private readonly buckets = new Map<string, { tokens: number; last: number }>();
  /** Access tokens minted so far (tests assert a burst mints one). */
  tokensMinted = 0;

  constructor(options: AmazonSimulatorOptions = {}) {
    const { clock, ...rest } = options;
    this.clock = clock ?? (() => new Date());
    this.initialConfig = { ...DEFAULT_CONFIG, ...stripUndefined(rest) };
    this.cfg = this.copyConfig(this.initialConfig);
    this.harness = new SimulatorHarness('amazon', {
      errorBody: (status) => this.errorBodyFor(status),
      // SP-API sends no Retry-After: the client reads x-amzn-RateLimit-Limit.
      throttle: (reply) => reply.code(429).header('x-amzn-ratelimit-limit', '2.0').send(QUOTA),
      reset: () => this.resetState(),
    });
    this.harness.app.addHook('onSend', async (_req, reply, payload) => {
      reply.header('x-amzn-requestid', randomUUID());
      return payload;
    });
    this.routes();
  }

  // ---- typed control methods -------------------------------------------------------------------

  get config(): AmazonSimulatorConfig {
    return this.copyConfig(this.cfg);
  }

  configure(patch: Partial<AmazonSimulatorConfig>): AmazonSimulatorConfig {
    const parsed = configSchema.parse(stripUndefined(patch)) as Partial<AmazonSimulatorConfig>;
    this.cfg = { ...this.cfg, ...parsed, rateLimits: { ...this.cfg.rateLimits, ...(parsed.rateLimits ?? {}) } };
    this.buckets.clear();
    return this.config;
  }

  addGrant(input: AmazonSimGrantInput): void {
    const g = grantSchema.parse(input);
    this.grants.set(g.refreshToken, { clientId: g.clientId, clientSecret: g.clientSecret, ordersRole: g.ordersRole ?? true, revoked: g.revoked ?? false });
  }

  /** Every access token issued so far expires now (a token expiring mid-batch). */
  expireAccessTokens(): number {
    const now = this.clock().getTime();
    for (const t of this.accessTokens.values()) t.expiresAt = Math.min(t.expiresAt, now);
    return this.accessTokens.size;
  }

  upsertOrder(input: AmazonSimOrderInput): AmazonSimOrderView {
    const o = orderSchema.parse(input);
    const existing = this.orders.get(o.orderId);
    const order: SimOrder = {
      orderId: o.orderId,
      marketplaceId: o.marketplaceId ?? DEFAULT_MARKETPLACE,
      shipPlus: o.shipPlus ?? false,
      items: o.items.map((i) => ({ orderItemId: i.orderItemId, quantity: i.quantity, ...(i.sku ? { sku: i.sku } : {}) })),
      packages: existing?.packages ?? [],
      createdAt: existing?.createdAt ?? this.clock().toISOString(),
    };
    this.orders.set(order.orderId, order);
    return this.view(order);
  }

  getOrder(orderId: string): AmazonSimOrderView | undefined {
    const o = this.orders.get(orderId);
    return o ? this.view(o) : undefined;
  }

  listOrders(): AmazonSimOrderView[] {
    return [...this.orders.values()].map((o) => this.view(o));
  }

  async listen(port = 0): Promise<string> {
    return this.harness.listen(port);
  }

  async close(): Promise<void> {
    await this.harness.close();
  }

  // ---- state helpers ---------------------------------------------------------------------------

  private copyConfig(c: AmazonSimulatorConfig): AmazonSimulatorConfig {
    return { ...c, carrierCodes: [...c.carrierCodes], rateLimits: { ...c.rateLimits } };
  }

  private resetState(): void {
    this.grants.clear();
    this.accessTokens.clear();
    this.orders.clear();
    this.buckets.clear();
    this.tokensMinted = 0;
    this.cfg = this.copyConfig(this.initialConfig);
  }

  private shipped(o: SimOrder, orderItemId: string, exceptPackage?: string): number {
    let n = 0;
    for (const p of o.packages) {
      if (p.packageReferenceId === exceptPackage) continue;
      for (const i of p.orderItems) if (i.orderItemId === orderItemId) n += i.quantity;
    }
    return n;
  }

  private status(o: SimOrder): AmazonOrderStatus {
    const shipped = o.items.map((i) => this.shipped(o, i.orderItemId));
    if (o.items.every((i, k) => shipped[k] >= i.quantity)) return 'Shipped';
    return shipped.some((n) => n > 0) ? 'PartiallyShipped' : 'Unshipped';
  }

  private view(o: SimOrder): AmazonSimOrderView {
    return {
      orderId: o.orderId,
      marketplaceId: o.marketplaceId,
      shipPlus: o.shipPlus,
      orderStatus: this.status(o),
      items: o.items.map((i) => ({ orderItemId: i.orderItemId, ...(i.sku ? { sku: i.sku } : {}), quantityOrdered: i.quantity, quantityShipped: this.shipped(o, i.orderItemId) })),
      packages: o.packages.map((p) => ({ ...p, orderItems: p.orderItems.map((i) => ({ ...i })), warnings: [...p.warnings] })),
      createdAt: o.createdAt,
    };
  }

  /** getOrder's `Order` (the fields this project needs). */
  private apiOrder(o: SimOrder) {
    const ordered = o.items.reduce((n, i) => n + i.quantity, 0);
    const shipped = o.items.reduce((n, i) => n + Math.min(i.quantity, this.shipped(o, i.orderItemId)), 0);
    return {
      AmazonOrderId: o.orderId,
      PurchaseDate: o.createdAt,
      LastUpdateDate: o.packages.length ? o.packages[o.packages.length - 1].shipDate : o.createdAt,
      OrderStatus: this.status(o),
      FulfillmentChannel: 'MFN',
      MarketplaceId: o.marketplaceId,
      NumberOfItemsShipped: shipped,
      NumberOfItemsUnshipped: ordered - shipped,
    };
  }

  private errorBodyFor(status: number): unknown {
    switch (status) {
      case 401:
      case 403:
        return errors('Unauthorized', DENIED);
      case 404:
        return errors('NotFound', 'Order not found.');
      case 429:
        return QUOTA;
      case 500:
        return errors('InternalFailure', 'We encountered an internal error. Please try again.');
      case 503:
        return errors('ServiceUnavailable', 'Service temporarily unavailable. Please try again.');
      default:
        return errors('InvalidInput', 'Invalid Input');
    }
  }

  /** Token → grant with role → usage plan. Returns the refresh token (seller and app), or undefined after answering. */
  private gate(req: FastifyRequest, reply: FastifyReply, op: AmazonOperation): string | undefined {
    const h = req.headers['x-amz-access-token'];
    const token = typeof h === 'string' ? h : undefined;
    const t = token ? this.accessTokens.get(token) : undefined;
    const deny = (details: string) => {
      reply.code(403).send(errors('Unauthorized', DENIED, details));
      return undefined;
    };
    if (!t) return deny(token ? 'The access token you provided is revoked, malformed or invalid.' : '');
    if (t.expiresAt <= this.clock().getTime()) return deny('The access token you provided has expired.');
    const grant = this.grants.get(t.refreshToken);
    if (!grant || grant.revoked) return deny('The access token you provided is revoked, malformed or invalid.');
    if (!grant.ordersRole) return deny('');
    const plan = this.cfg.rateLimits[op];
    if (plan) {
      reply.header('x-amzn-ratelimit-limit', String(plan.rate.toFixed(plan.rate < 0.1 ? 4 : 1)));
      const key = `${t.refreshToken}\n${op}`;
      const now = this.clock().getTime();
      const b = this.buckets.get(key) ?? { tokens: plan.burst, last: now };
      b.tokens = Math.min(plan.burst, b.tokens + ((now - b.last) / 1000) * plan.rate);
      b.last = now;
      this.buckets.set(key, b);
      if (b.tokens < 1) {
        reply.code(429).send(QUOTA);
        return undefined;
      }
      b.tokens -= 1;
    }
    return t.refreshToken;
  }

  private unknownOrder(reply: FastifyReply, orderId: string) {
    return this.cfg.unknownOrderStatus === 404
      ? reply.code(404).send(errors('NotFound', `Order ${orderId} not found.`))
      : reply.code(400).send(errors('InvalidInput', `Invalid orderId ${orderId}.`));
  }

  // ---- routes ----------------------------------------------------------------------------------

  private routes(): void {
    const app = this.harness.app;

    app.setErrorHandler((error: Error & { statusCode?: number }, req, reply) => {
      const status = error.statusCode && error.statusCode >= 400 && error.statusCode < 600 ? error.statusCode : 500;
      if (req.url.startsWith('/__control')) return reply.code(status).send({ error: error.message });
      if (status === 400) return reply.code(400).send(errors('InvalidInput', 'Request has missing or invalid parameters and cannot be parsed.'));
      return reply.code(status).send(this.errorBodyFor(status));
    });

    // ---- control ----
    app.post('/__control/grants', async (req, reply) => {
      const parsed = grantSchema.safeParse(req.body);
      if (!parsed.success) return reply.code(400).send({ error: 'invalid grant body', issues: parsed.error.issues });
      this.addGrant(parsed.data);
      return { clientId: parsed.data.clientId, refreshToken: `••••${parsed.data.refreshToken.slice(-4)}` };
    });
    app.post('/__control/tokens/expire', async () => ({ expired: this.expireAccessTokens() }));
    registerOrderAndConfigControl<z.infer<typeof orderSchema>, AmazonSimulatorConfig>(app, this, { order: orderSchema, config: configSchema });

    // ---- Login with Amazon ----
    app.post('/auth/o2/token', async (req, reply) => this.mint(req, reply));

    // ---- getOrders ----
    app.get<{ Querystring: Record<string, string | undefined> }>(ORDERS, async (req, reply) => {
      if (!this.gate(req, reply, 'getOrders')) return reply;
      const q = req.query;
      if (!q.MarketplaceIds) return reply.code(400).send(errors('InvalidInput', 'Missing required MarketplaceIds.'));
      const after = q.CreatedAfter ?? q.LastUpdatedAfter;
      if (!after || Number.isNaN(Date.parse(after))) {
        return reply.code(400).send(errors('InvalidInput', 'Either CreatedAfter or LastUpdatedAfter must be specified as an ISO 8601 date-time.'));
      }
      const max = Math.min(100, Math.max(1, Number(q.MaxResultsPerPage ?? 100) || 100));
      const ids = q.MarketplaceIds.split(',');
      const list = [...this.orders.values()].filter((o) => ids.includes(o.marketplaceId) && Date.parse(o.createdAt) >= Date.parse(after));
      return { payload: { Orders: list.slice(0, max).map((o) => this.apiOrder(o)), CreatedBefore: this.clock().toISOString() } };
    });

    // ---- getOrder ----
    app.get<{ Params: { orderId: string } }>(`${ORDERS}/:orderId`, async (req, reply) => {
      if (!this.gate(req, reply, 'getOrder')) return reply;
      const o = this.orders.get(req.params.orderId);
      if (!o) return this.unknownOrder(reply, req.params.orderId);
      return { payload: this.apiOrder(o) };
    });

    // ---- getOrderItems ----
    app.get<{ Params: { orderId: string } }>(`${ORDERS}/:orderId/orderItems`, async (req, reply) => {
      if (!this.gate(req, reply, 'getOrderItems')) return reply;
      const o = this.orders.get(req.params.orderId);
      if (!o) return this.unknownOrder(reply, req.params.orderId);
      return {
        payload: {
          AmazonOrderId: o.orderId,
          OrderItems: o.items.map((i) => ({
            OrderItemId: i.orderItemId,
            ...(i.sku ? { SellerSKU: i.sku } : {}),
            QuantityOrdered: i.quantity,
            QuantityShipped: Math.min(i.quantity, this.shipped(o, i.orderItemId)),
          })),
        },
      };
    });

    // ---- confirmShipment ----
    app.post<{ Params: { orderId: string } }>(`${ORDERS}/:orderId/shipmentConfirmation`, async (req, reply) => {
      if (!this.gate(req, reply, 'confirmShipment')) return reply;
      if (!/^application\/json\b/i.test(String(req.headers['content-type'] ?? ''))) {
        return reply.code(415).send(errors('UnsupportedMediaType', 'The request content type must be application/json.')); // [G]
      }
      if (this.cfg.systemError) return reply.code(this.cfg.systemError).send(this.errorBodyFor(this.cfg.systemError));
      return this.confirmShipment(req, reply);
    });
  }

  private mint(req: FastifyRequest, reply: FastifyReply) {
    const refuse = (status: number, error: string, description: string) => reply.code(status).send({ error, error_description: description });
    if (!/^application\/x-www-form-urlencoded\b/i.test(String(req.headers['content-type'] ?? '')) || typeof req.body !== 'string') {
      return refuse(400, 'invalid_request', 'The request must be application/x-www-form-urlencoded.');
    }
    const form = new URLSearchParams(req.body);
    if (form.get('grant_type') !== 'refresh_token') return refuse(400, 'unsupported_grant_type', 'Only grant_type=refresh_token is supported here.');
    const refreshToken = form.get('refresh_token') ?? '';
    const clientId = form.get('client_id') ?? '';
    if (!refreshToken || !clientId) return refuse(400, 'invalid_request', 'refresh_token and client_id are required.');
    const grant = this.grants.get(refreshToken);
    if (grant && (grant.clientId !== clientId || grant.clientSecret !== form.get('client_secret'))) {
      return refuse(401, 'invalid_client', 'Client authentication failed');
    }
    if (!grant || grant.revoked) return refuse(400, 'invalid_grant', 'The request has an invalid grant parameter : refresh_token');
    const accessToken = `Atza|${randomBytes(24).toString('base64url')}`;
    const lifetime = this.cfg.accessTokenLifetimeSeconds;
    this.accessTokens.set(accessToken, { refreshToken, expiresAt: this.clock().getTime() + lifetime * 1000 });
    this.tokensMinted += 1;
    return reply.code(200).send({ access_token: accessToken, refresh_token: refreshToken, token_type: 'bearer', expires_in: lifetime });
  }

  private confirmShipment(req: FastifyRequest<{ Params: { orderId: string } }>, reply: FastifyReply) {
    const orderId = req.params.orderId;
    const invalid = (message: string, code = 'InvalidInput') => reply.code(400).send(errors(code, message));
    const body = req.body as Record<string, unknown> | undefined;
    if (!body || typeof body !== 'object' || Array.isArray(body)) return invalid('Request has missing or invalid parameters and cannot be parsed.');
    // Schema validation: Amazon refuses fields its model does not have.
    const unknownField =
      Object.keys(body).find((k) => !['marketplaceId', 'codCollectionMethod', 'packageDetail'].includes(k)) ??
      Object.keys((body.packageDetail ?? {}) as object).find(
        (k) => !['packageReferenceId', 'carrierCode', 'carrierName', 'shippingMethod', 'trackingNumber', 'shipDate', 'shipFromSupplySourceId', 'orderItems'].includes(k),
      );
    if (unknownField) return invalid(`Request has missing or invalid parameters and cannot be parsed. unknown field [${unknownField}]`);

    // 1. Order id form, then existence.
    if (!ORDER_ID.test(orderId)) return invalid(`Invalid orderId ${orderId}; it must look like 123-1234567-1234567.`);
    const o = this.orders.get(orderId);
    if (!o) return this.unknownOrder(reply, orderId);
    // 2. marketplaceId.
    if (typeof body.marketplaceId !== 'string' || !body.marketplaceId) return invalid('marketplaceId is required.');
    if (body.marketplaceId !== o.marketplaceId) return invalid(`Invalid marketplaceId ${body.marketplaceId} for order ${orderId}.`); // [G]
    const pkg = body.packageDetail as Record<string, unknown> | undefined;
    if (!pkg || typeof pkg !== 'object' || Array.isArray(pkg)) return invalid('packageDetail is required.');
    // 3. packageReferenceId: a string holding a positive whole number.
    const ref = pkg.packageReferenceId;
    if (ref !== undefined && typeof ref !== 'string') {
      return invalid('Request has missing or invalid parameters and cannot be parsed. invalid type [packageDetail.packageReferenceId]');
    }
    if (!ref || !/^[0-9]+$/.test(ref) || /^0+$/.test(ref)) return invalid('PackageReferenceId: is invalid, must be a positive numeric value.');
    // 4. carrierCode from the Seller Central list; Other needs a carrierName.
    const carrierCode = pkg.carrierCode;
    if (typeof carrierCode !== 'string' || !this.cfg.carrierCodes.includes(carrierCode)) {
      return invalid(`Invalid carrierCode ${JSON.stringify(carrierCode ?? null)}; use one of the carriers Seller Central lists, or Other with carrierName.`);
    }
    const carrierName = typeof pkg.carrierName === 'string' && pkg.carrierName.trim() ? pkg.carrierName : undefined;
    if (carrierCode === 'Other' && !carrierName) return invalid('carrierName is required when carrierCode is Other.');
    // 5. trackingNumber (a format mismatch is only a warning).
    const trackingNumber = pkg.trackingNumber;
    if (typeof trackingNumber !== 'string' || !trackingNumber) return invalid('trackingNumber is required.');
    const format = TRACKING_FORMATS[carrierCode];
    const warnings = format && !format.test(trackingNumber) ? [`Tracking ID ${trackingNumber} does not match the format of ${carrierCode}.`] : [];
    // 6. shipDate: an ISO-8601 date-time (the sandbox fixture's answer).
    const shipDate = pkg.shipDate;
    if (typeof shipDate !== 'string' || !ISO_DATE_TIME.test(shipDate) || Number.isNaN(Date.parse(shipDate))) {
      return invalid('Invalid Input', 'Invalid Input');
    }
    // 7. orderItems: a non-empty array of known ids.
    const rawItems = pkg.orderItems;
    const itemIdInvalid = 'OrderItemId is invalid, please obtain the value through the getOrderItems API or Manage Orders page';
    if (!Array.isArray(rawItems) || rawItems.length === 0) return invalid(itemIdInvalid);
    const items: { orderItemId: string; quantity: unknown }[] = [];
    for (const i of rawItems) {
      const id = i && typeof i === 'object' ? (i as any).orderItemId : undefined;
      if (typeof id !== 'string' || !o.items.some((x) => x.orderItemId === id)) return invalid(itemIdInvalid);
      items.push({ orderItemId: id, quantity: (i as any).quantity });
    }
    // A new package on a fully shipped order (§2.4 [S]).
    const existing = o.packages.find((p) => p.packageReferenceId === ref);
    if (!existing && this.status(o) === 'Shipped') {
      return invalid('Failed to create package due to not finding a matching package or order already fulfilled.', 'GeneralError');
    }
    // 8. Quantities: at least 1, at most what is left unshipped (not counting the package being edited) [G].
    const wanted = new Map<string, number>();
    for (const i of items) {
      if (typeof i.quantity !== 'number' || !Number.isInteger(i.quantity) || i.quantity < 1) return invalid(`Invalid quantity for OrderItemId ${i.orderItemId}; it must be at least 1.`);
      wanted.set(i.orderItemId, (wanted.get(i.orderItemId) ?? 0) + i.quantity);
    }
    for (const [id, qty] of wanted) {
      const line = o.items.find((x) => x.orderItemId === id)!;
      const left = line.quantity - this.shipped(o, id, existing?.packageReferenceId);
      if (qty > left) return invalid(`Quantity ${qty} for OrderItemId ${id} is more than the ${left} unit(s) not yet shipped.`);
    }
    // 9. Ship+ orders are confirmed by Amazon.
    if (o.shipPlus) return invalid(`Order ${orderId} is a Ship+ order; its shipment is confirmed through Amazon's shipping service.`); // [G] text

    const stored: AmazonSimPackage = {
      packageReferenceId: ref,
      carrierCode,
      ...(carrierName ? { carrierName } : {}),
      ...(typeof pkg.shippingMethod === 'string' ? { shippingMethod: pkg.shippingMethod } : {}),
      trackingNumber,
      shipDate: new Date(Date.parse(shipDate)).toISOString(),
      orderItems: [...wanted].map(([orderItemId, quantity]) => ({ orderItemId, quantity })),
      warnings,
      sends: (existing?.sends ?? 0) + 1,
    };
    // The same packageReferenceId edits its package (§2.4 [C]).
    if (existing) o.packages[o.packages.indexOf(existing)] = stored;
    else o.packages.push(stored);
    return reply.code(204).send();
  }
}

function stripUndefined<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}

export function createAmazonSimulator(options: AmazonSimulatorOptions = {}): AmazonSimulator {
  return new AmazonSimulator(options);
}
