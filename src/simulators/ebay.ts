// eBay Sell Fulfillment API v1 double (shared/reference/marketplace-apis.md §1, §8.1).
//
// Serves, under /sell/fulfillment/v1:
//   GET  /order?limit=&offset=&orderIds=                       getOrders (OrderSearchPagedCollection)
//   GET  /order/{orderId}                                      getOrder (orderFulfillmentStatus, lineItems[])
//   POST /order/{orderId}/shipping_fulfillment                 createShippingFulfillment → 201 {} + Location
//   GET  /order/{orderId}/shipping_fulfillment                 {total, fulfillments[]}
//   GET  /order/{orderId}/shipping_fulfillment/{fulfillmentId} one fulfillment
// Control (besides the harness's /__control/{faults,requests,reset}):
//   POST /__control/tokens {token, scopes?, suspended?}        register a user token
//   POST /__control/orders {orderId, lineItems:[{lineItemId, quantity, sku?}]}   upsert an order
//   GET  /__control/orders, GET /__control/orders/:orderId     orders with their fulfillments
//   POST /__control/config, GET /__control/config              the configurable guesses below
//
// Every [G] of the reference is a config field: duplicateMode (34500 | 409), unknownOrderStatus
// (400 | 404), carrierCodes + carrierCaseSensitive, maxTrackingNumbersPerOrder (10), dailyQuota,
// rejectFutureShippedDate, shippedDateFormat, systemError (the 500/30500 toggle).
import type { FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { SimulatorHarness, registerOrderAndConfigControl } from './harness';

export const EBAY_FULFILLMENT_SCOPE = 'https://api.ebay.com/oauth/api_scope/sell.fulfillment';
export const EBAY_FULFILLMENT_READONLY_SCOPE = 'https://api.ebay.com/oauth/api_scope/sell.fulfillment.readonly';

/** §1.2 [S]: one point-in-time Trading WSDL `ShippingCarrierCodeType` list (exact spelling). */
export const DEFAULT_EBAY_CARRIER_ENUM = [
  'UPS',
  'USPS',
  'FedEx',
  'DHL',
  'DHLEXPRESS',
  'DHLGlobalMail',
  'FedExSmartPost',
  'UPSMailInnovations',
  'CanPar',
  'RoyalMail',
  'Parcelforce',
  'AustraliaPost',
  'GLS',
  'DPD',
  'TNT',
  'Yodel',
  'YANWEN',
  'ChinaPost',
  'FourPX',
  'Pilot',
  'SAIA',
  'ODFL',
  'YRC',
  'ONTRACK',
  'Other',
];

export interface EbaySimulatorConfig {
  /** What a second POST with an existing fulfillmentId gets: 400 errorId 34500 (default) or 409 [G]. */
  duplicateMode: '34500' | '409';
  /** Status for an unknown orderId (errorId 32100): 400 (documented) or 404 [G]. */
  unknownOrderStatus: 400 | 404;
  /** Accepted `shippingCarrierCode` values [G]. */
  carrierCodes: string[];
  /** Whether `FEDEX` ≠ `FedEx` (default true) [G]. */
  carrierCaseSensitive: boolean;
  /** Distinct tracking numbers an order may carry before 34100 (default 10) [G]. */
  maxTrackingNumbersPerOrder: number;
  /** API calls per UTC day for the app before 429 (null = unlimited) [G]. */
  dailyQuota: number | null;
  /** Retry-After when over quota (null = seconds until the next UTC midnight). */
  quotaRetryAfterSeconds: number | null;
  /** A shippedDate later than the simulator clock → 32500 (default true) [G]. */
  rejectFutureShippedDate: boolean;
  /** `strict`: exactly YYYY-MM-DDTHH:MM:SS.SSSZ (the documented format); `iso`: any ISO-8601 date-time [G]. */
  shippedDateFormat: 'strict' | 'iso';
  /** Every createShippingFulfillment answers 500 errorId 30500 without committing. */
  systemError: boolean;
  /** Unknown orders (and, on such orders, unknown line items / extra quantity) are created on use. */
  autoCreateOrders: boolean;
  /** Lifetime of access tokens the token endpoint mints (eBay user tokens: about 2 h). */
  accessTokenTtlSeconds: number;
}

export interface EbaySimulatorOptions extends Partial<EbaySimulatorConfig> {
  clock?: () => Date;
}

export interface EbaySimTokenInput {
  token: string;
  /** Full scope URLs or short names (`sell.fulfillment`); default the sell.fulfillment scope. */
  scopes?: string[];
  /** Seller account suspended → 32400 on createShippingFulfillment. */
  suspended?: boolean;
}

export interface EbaySimOrderInput {
  orderId: string;
  lineItems: { lineItemId: string; quantity: number; sku?: string }[];
}

export interface EbaySimFulfillment {
  fulfillmentId: string;
  lineItems: { lineItemId: string; quantity: number }[];
  shipmentTrackingNumber?: string;
  shippingCarrierCode?: string;
  shippedDate: string;
}

export type EbayFulfillmentStatus = 'NOT_STARTED' | 'IN_PROGRESS' | 'FULFILLED';

export interface EbaySimOrderView {
  orderId: string;
  orderFulfillmentStatus: EbayFulfillmentStatus;
  lineItems: {
    lineItemId: string;
    sku?: string;
    quantity: number;
    shippedQuantity: number;
    lineItemFulfillmentStatus: EbayFulfillmentStatus;
  }[];
  fulfillments: EbaySimFulfillment[];
  createdAt: string;
  autoCreated: boolean;
}

interface SimToken {
  scopes: string[];
  suspended: boolean;
  /** Epoch ms; tokens minted by the token endpoint expire, tokens registered by control do not. */
  expiresAt?: number;
}

/** An eBay app (its keys) and the refresh tokens its sellers granted (§8.6). */
interface SimGrant {
  clientId: string;
  revoked: boolean;
}

interface SimOrder {
  orderId: string;
  lineItems: { lineItemId: string; quantity: number; sku?: string }[];
  fulfillments: EbaySimFulfillment[];
  createdAt: string;
  autoCreated: boolean;
}

const API = '/sell/fulfillment/v1';
const DOMAIN = 'API_FULFILLMENT';

const DEFAULT_CONFIG: EbaySimulatorConfig = {
  duplicateMode: '34500',
  unknownOrderStatus: 400,
  carrierCodes: DEFAULT_EBAY_CARRIER_ENUM,
  carrierCaseSensitive: true,
  maxTrackingNumbersPerOrder: 10,
  dailyQuota: null,
  quotaRetryAfterSeconds: null,
  rejectFutureShippedDate: true,
  shippedDateFormat: 'strict',
  systemError: false,
  autoCreateOrders: false,
  accessTokenTtlSeconds: 7200,
};

const configSchema = z
  .object({
    duplicateMode: z.enum(['34500', '409']),
    unknownOrderStatus: z.union([z.literal(400), z.literal(404)]),
    carrierCodes: z.array(z.string().min(1)),
    carrierCaseSensitive: z.boolean(),
    maxTrackingNumbersPerOrder: z.number().int().min(0),
    dailyQuota: z.number().int().min(0).nullable(),
    quotaRetryAfterSeconds: z.number().int().min(0).nullable(),
    rejectFutureShippedDate: z.boolean(),
    shippedDateFormat: z.enum(['strict', 'iso']),
    systemError: z.boolean(),
    autoCreateOrders: z.boolean(),
    accessTokenTtlSeconds: z.number().int().min(1),
  })
  .partial()
  .strict();

const tokenSchema = z.object({
  token: z.string().min(1),
  scopes: z.array(z.string().min(1)).optional(),
  suspended: z.boolean().optional(),
});

const orderSchema = z.object({
  orderId: z.string().min(1),
  lineItems: z
    .array(z.object({ lineItemId: z.string().min(1), quantity: z.number().int().min(1), sku: z.string().optional() }))
    .min(1),
});

interface EbayErrorEntry {
  errorId?: number;
  domain: string;
  category: string;
  message: string;
  longMessage?: string;
  parameters?: { name: string; value: string }[];
}

function err(errorId: number | undefined, message: string, extra: Partial<EbayErrorEntry> = {}): { errors: EbayErrorEntry[] } {
  return {
    errors: [{ ...(errorId !== undefined ? { errorId } : {}), domain: DOMAIN, category: 'REQUEST', message, ...extra }],
  };
}

const INVALID_TOKEN_BODY = {
  errors: [
    {
      errorId: 1001,
      domain: 'OAuth',
      category: 'REQUEST',
      message: 'Invalid access token',
      longMessage: 'Invalid access token. Check the value of the Authorization HTTP request header.',
    },
  ],
};

const ACCESS_DENIED_BODY = {
  errors: [
    {
      errorId: 1100,
      domain: 'ACCESS',
      category: 'REQUEST',
      message: 'Access denied',
      longMessage: 'Insufficient permissions to fulfill the request.',
    },
  ],
};

function throttleBody() {
  return {
    errors: [
      {
        errorId: 2001,
        domain: 'ACCESS',
        category: 'REQUEST',
        message: 'Too many requests',
        longMessage: 'The request limit has been reached for the resource.',
      },
    ],
  };
}

function normalizeScope(s: string): string {
  return s.startsWith('http') ? s : `https://api.ebay.com/oauth/api_scope/${s}`;
}

const STRICT_DATE = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;
const ISO_DATE_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:?\d{2})$/;

export class EbaySimulator {
  readonly harness: SimulatorHarness;
  private readonly clock: () => Date;
  private readonly initialConfig: EbaySimulatorConfig;
  private cfg: EbaySimulatorConfig;
  private readonly tokens = new Map<string, SimToken>();
  private readonly apps = new Map<string, string>();
  private readonly grants = new Map<string, SimGrant>();
  private minted = 0;
  private readonly orders = new Map<string, SimOrder>();
  private quota = { day: '', used: 0 };
  private noTrackingCounter = 0;

  constructor(options: EbaySimulatorOptions = {}) {
    const { clock, ...rest } = options;
    this.clock = clock ?? (() => new Date());
    this.initialConfig = { ...DEFAULT_CONFIG, ...stripUndefined(rest) };
    this.cfg = { ...this.initialConfig, carrierCodes: [...this.initialConfig.carrierCodes] };
    this.harness = new SimulatorHarness('ebay', {
      errorBody: (status) => this.errorBodyFor(status),
      throttle: (reply, retryAfterSeconds) => reply.code(429).header('retry-after', String(retryAfterSeconds)).send(throttleBody()),
      reset: () => this.resetState(),
    });
    this.routes();
  }

  // ---- typed control methods -------------------------------------------------------------------

  get config(): EbaySimulatorConfig {
    return { ...this.cfg, carrierCodes: [...this.cfg.carrierCodes] };
  }

  configure(patch: Partial<EbaySimulatorConfig>): EbaySimulatorConfig {
    const parsed = configSchema.parse(stripUndefined(patch));
    this.cfg = { ...this.cfg, ...(parsed as Partial<EbaySimulatorConfig>) };
    return this.config;
  }

  addToken(input: EbaySimTokenInput): { scopes: string[]; suspended: boolean } {
    const t = tokenSchema.parse(input);
    const rec: SimToken = {
      scopes: (t.scopes ?? [EBAY_FULFILLMENT_SCOPE]).map(normalizeScope),
      suspended: t.suspended ?? false,
    };
    this.tokens.set(t.token, rec);
    return { ...rec };
  }

  upsertOrder(input: EbaySimOrderInput): EbaySimOrderView {
    const o = orderSchema.parse(input);
    const existing = this.orders.get(o.orderId);
    const order: SimOrder = {
      orderId: o.orderId,
      lineItems: o.lineItems.map((l) => ({ lineItemId: l.lineItemId, quantity: l.quantity, ...(l.sku ? { sku: l.sku } : {}) })),
      fulfillments: existing?.fulfillments ?? [],
      createdAt: existing?.createdAt ?? this.clock().toISOString(),
      autoCreated: false,
    };
    this.orders.set(order.orderId, order);
    return this.view(order);
  }

  getOrder(orderId: string): EbaySimOrderView | undefined {
    const o = this.orders.get(orderId);
    return o ? this.view(o) : undefined;
  }

  listOrders(): EbaySimOrderView[] {
    return [...this.orders.values()].map((o) => this.view(o));
  }

  /** Calls counted against today's quota so far. */
  get quotaUsed(): number {
    return this.quota.day === this.today() ? this.quota.used : 0;
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
    this.apps.clear();
    this.grants.clear();
    this.orders.clear();
    this.quota = { day: '', used: 0 };
    this.noTrackingCounter = 0;
    this.cfg = { ...this.initialConfig, carrierCodes: [...this.initialConfig.carrierCodes] };
  }

  private today(): string {
    return this.clock().toISOString().slice(0, 10);
  }

  private shippedQty(order: SimOrder, lineItemId: string): number {
    let n = 0;
    for (const f of order.fulfillments) for (const l of f.lineItems) if (l.lineItemId === lineItemId) n += l.quantity;
    return n;
  }

  private lineStatus(order: SimOrder, line: { lineItemId: string; quantity: number }): EbayFulfillmentStatus {
    const shipped = this.shippedQty(order, line.lineItemId);
    if (shipped <= 0) return 'NOT_STARTED';
    return shipped >= line.quantity ? 'FULFILLED' : 'IN_PROGRESS';
  }

  private orderStatus(order: SimOrder): EbayFulfillmentStatus {
    const s = order.lineItems.map((l) => this.lineStatus(order, l));
    if (s.every((x) => x === 'FULFILLED')) return 'FULFILLED';
    if (s.every((x) => x === 'NOT_STARTED')) return 'NOT_STARTED';
    return 'IN_PROGRESS';
  }

  private view(o: SimOrder): EbaySimOrderView {
    return {
      orderId: o.orderId,
      orderFulfillmentStatus: this.orderStatus(o),
      lineItems: o.lineItems.map((l) => ({
        lineItemId: l.lineItemId,
        ...(l.sku ? { sku: l.sku } : {}),
        quantity: l.quantity,
        shippedQuantity: this.shippedQty(o, l.lineItemId),
        lineItemFulfillmentStatus: this.lineStatus(o, l),
      })),
      fulfillments: o.fulfillments.map((f) => this.fulfillmentView(f)),
      createdAt: o.createdAt,
      autoCreated: o.autoCreated,
    };
  }

  private fulfillmentView(f: EbaySimFulfillment): EbaySimFulfillment {
    return {
      fulfillmentId: f.fulfillmentId,
      lineItems: f.lineItems.map((l) => ({ ...l })),
      ...(f.shipmentTrackingNumber !== undefined ? { shipmentTrackingNumber: f.shipmentTrackingNumber } : {}),
      ...(f.shippingCarrierCode !== undefined ? { shippingCarrierCode: f.shippingCarrierCode } : {}),
      shippedDate: f.shippedDate,
    };
  }

  /** getOrder shape (the fields this project needs of eBay's `Order`). */
  private apiOrder(o: SimOrder, base: string) {
    return {
      orderId: o.orderId,
      creationDate: o.createdAt,
      lastModifiedDate: o.fulfillments.length ? o.fulfillments[o.fulfillments.length - 1].shippedDate : o.createdAt,
      orderFulfillmentStatus: this.orderStatus(o),
      orderPaymentStatus: 'PAID',
      fulfillmentHrefs: o.fulfillments.map((f) => this.fulfillmentHref(base, o.orderId, f.fulfillmentId)),
      lineItems: o.lineItems.map((l) => ({
        lineItemId: l.lineItemId,
        ...(l.sku ? { sku: l.sku } : {}),
        quantity: l.quantity,
        lineItemFulfillmentStatus: this.lineStatus(o, l),
      })),
    };
  }

  private fulfillmentHref(base: string, orderId: string, fulfillmentId: string): string {
    return `${base}${API}/order/${encodeURIComponent(orderId)}/shipping_fulfillment/${encodeURIComponent(fulfillmentId)}`;
  }

  private errorBodyFor(status: number): unknown {
    switch (status) {
      case 401:
        return INVALID_TOKEN_BODY;
      case 403:
        return ACCESS_DENIED_BODY;
      case 404:
        return err(32100, 'Invalid Order Id');
      case 409:
        return err(undefined, 'Conflict'); // [G] no body codes documented for 409
      case 429:
        return throttleBody();
      default:
        if (status >= 500) {
          return status === 500
            ? err(30500, 'System error', { category: 'APPLICATION' })
            : {
                errors: [
                  {
                    errorId: 2003,
                    domain: 'ACCESS',
                    category: 'APPLICATION',
                    message: 'Internal error',
                    longMessage: 'There was a problem with an eBay internal system or process. Contact eBay developer support for assistance.',
                  },
                ],
              };
        }
        return err(32600, 'Invalid input data');
    }
  }

  private baseOf(req: FastifyRequest): string {
    return `${req.protocol}://${req.headers.host ?? 'localhost'}`;
  }

  /**
   * Auth → scope → daily quota. Returns the token record, or undefined after answering.
   * GETs accept sell.fulfillment or sell.fulfillment.readonly; writes need sell.fulfillment.
   */
  private gate(req: FastifyRequest, reply: FastifyReply, write: boolean): SimToken | undefined {
    const h = req.headers.authorization;
    const m = typeof h === 'string' ? h.match(/^Bearer\s+(\S+)\s*$/i) : null;
    const tok = m ? this.tokens.get(m[1]) : undefined;
    if (!tok || (tok.expiresAt !== undefined && this.clock().getTime() >= tok.expiresAt)) {
      reply.code(401).send(INVALID_TOKEN_BODY);
      return undefined;
    }
    const ok = write
      ? tok.scopes.includes(EBAY_FULFILLMENT_SCOPE)
      : tok.scopes.includes(EBAY_FULFILLMENT_SCOPE) || tok.scopes.includes(EBAY_FULFILLMENT_READONLY_SCOPE);
    if (!ok) {
      reply.code(403).send(ACCESS_DENIED_BODY);
      return undefined;
    }
    const day = this.today();
    if (this.quota.day !== day) this.quota = { day, used: 0 };
    if (this.cfg.dailyQuota !== null && this.quota.used >= this.cfg.dailyQuota) {
      const now = this.clock();
      const midnight = Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate() + 1);
      const retry = this.cfg.quotaRetryAfterSeconds ?? Math.max(1, Math.ceil((midnight - now.getTime()) / 1000));
      reply.code(429).header('retry-after', String(retry)).send(throttleBody());
      return undefined;
    }
    this.quota.used += 1;
    return tok;
  }

  private unknownOrder(reply: FastifyReply, orderId: string) {
    return reply.code(this.cfg.unknownOrderStatus).send(
      err(32100, 'Invalid Order Id', {
        longMessage: `The order id ${orderId} is not valid for this seller.`,
        parameters: [{ name: 'orderId', value: orderId }],
      }),
    );
  }

  private carrierKnown(code: string): boolean {
    if (this.cfg.carrierCaseSensitive) return this.cfg.carrierCodes.includes(code);
    const u = code.toUpperCase();
    return this.cfg.carrierCodes.some((c) => c.toUpperCase() === u);
  }

  // ---- routes ----------------------------------------------------------------------------------

  private routes(): void {
    const app = this.harness.app;

    app.setErrorHandler((error: Error & { statusCode?: number }, req, reply) => {
      const status = error.statusCode && error.statusCode >= 400 && error.statusCode < 600 ? error.statusCode : 500;
      if (req.url.startsWith('/__control')) return reply.code(status).send({ error: error.message });
      if (status === 400) {
        return reply.code(400).send(err(32600, 'Invalid input data', { longMessage: `The request body is not valid JSON: ${error.message}` }));
      }
      return reply.code(status).send(this.errorBodyFor(status));
    });

    // OAuth token requests are form-encoded.
    app.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string' }, (_req, body, done) => {
      done(null, Object.fromEntries(new URLSearchParams(body as string)));
    });

    // ---- control ----
    app.post('/__control/apps', async (req, reply) => {
      const b = (req.body ?? {}) as { clientId?: string; clientSecret?: string };
      if (!b.clientId || !b.clientSecret) return reply.code(400).send({ error: 'clientId and clientSecret are required' });
      this.apps.set(b.clientId, b.clientSecret);
      return { clientId: b.clientId };
    });
    app.post('/__control/refresh-tokens', async (req, reply) => {
      const b = (req.body ?? {}) as { refreshToken?: string; clientId?: string; revoked?: boolean };
      if (!b.refreshToken || !b.clientId) return reply.code(400).send({ error: 'refreshToken and clientId are required' });
      this.grants.set(b.refreshToken, { clientId: b.clientId, revoked: b.revoked ?? false });
      return { refreshToken: `••••${b.refreshToken.slice(-4)}`, revoked: b.revoked ?? false };
    });
    /** Every access token the token endpoint minted expires now (a token expiring mid-flow). */
    app.post('/__control/tokens/expire', async () => {
      let expired = 0;
      for (const t of this.tokens.values()) {
        if (t.expiresAt !== undefined) {
          t.expiresAt = this.clock().getTime() - 1;
          expired++;
        }
      }
      return { expired };
    });
    app.get('/__control/tokens/minted', async () => ({ minted: this.minted }));
    app.post('/__control/tokens', async (req, reply) => {
      const parsed = tokenSchema.safeParse(req.body);
      if (!parsed.success) return reply.code(400).send({ error: 'invalid token body', issues: parsed.error.issues });
      const t = this.addToken(parsed.data);
      return { token: `••••${parsed.data.token.slice(-4)}`, ...t };
    });
    registerOrderAndConfigControl<z.infer<typeof orderSchema>, EbaySimulatorConfig>(app, this, { order: orderSchema, config: configSchema });

    // ---- OAuth: refresh-token grant (§8.6) ----
    app.post('/identity/v1/oauth2/token', async (req, reply) => {
      const basic = /^Basic\s+(\S+)$/i.exec(String(req.headers.authorization ?? ''));
      const [clientId, clientSecret] = basic ? Buffer.from(basic[1], 'base64').toString('utf8').split(':') : [];
      if (!clientId || this.apps.get(clientId) !== clientSecret) {
        return reply.code(401).send({ error: 'invalid_client', error_description: 'client authentication failed' });
      }
      const form = (req.body ?? {}) as Record<string, string>;
      if (form.grant_type !== 'refresh_token') {
        return reply.code(400).send({ error: 'unsupported_grant_type', error_description: 'grant type in request is not supported by the authorization server' });
      }
      const grant = this.grants.get(form.refresh_token ?? '');
      if (!grant || grant.revoked || grant.clientId !== clientId) {
        return reply.code(400).send({ error: 'invalid_grant', error_description: 'the provided authorization refresh token is invalid or was issued to another client' });
      }
      const scopes = String(form.scope ?? EBAY_FULFILLMENT_SCOPE).split(/\s+/).filter(Boolean).map(normalizeScope);
      const token = `v^1.1#i^1#sim#${++this.minted}#${Math.random().toString(36).slice(2)}`;
      this.tokens.set(token, { scopes, suspended: false, expiresAt: this.clock().getTime() + this.cfg.accessTokenTtlSeconds * 1000 });
      return { access_token: token, expires_in: this.cfg.accessTokenTtlSeconds, token_type: 'User Access Token' };
    });

    // ---- getOrders ----
    app.get<{ Querystring: Record<string, string | undefined> }>(`${API}/order`, async (req, reply) => {
      if (!this.gate(req, reply, false)) return reply;
      // [G] eBay's handling of an out-of-range limit is not in the reference: default 50, capped to 1..200.
      const rawLimit = Number(req.query.limit ?? 50);
      const limit = Number.isInteger(rawLimit) ? Math.min(200, Math.max(1, rawLimit)) : 50;
      const rawOffset = Number(req.query.offset ?? 0);
      const offset = Number.isInteger(rawOffset) && rawOffset >= 0 ? rawOffset : 0;
      const ids = req.query.orderIds
        ?.split(',')
        .map((s) => s.trim())
        .filter(Boolean);
      let list = [...this.orders.values()];
      if (ids && ids.length) list = list.filter((o) => ids.includes(o.orderId));
      const base = this.baseOf(req);
      const href = (off: number) => `${base}${API}/order?limit=${limit}&offset=${off}`;
      const page = list.slice(offset, offset + limit);
      return {
        href: href(offset),
        total: list.length,
        limit,
        offset,
        ...(offset + limit < list.length ? { next: href(offset + limit) } : {}),
        ...(offset > 0 ? { prev: href(Math.max(0, offset - limit)) } : {}),
        orders: page.map((o) => this.apiOrder(o, base)),
      };
    });

    // ---- getOrder ----
    app.get<{ Params: { orderId: string } }>(`${API}/order/:orderId`, async (req, reply) => {
      if (!this.gate(req, reply, false)) return reply;
      const o = this.orders.get(req.params.orderId);
      if (!o) return this.unknownOrder(reply, req.params.orderId);
      return this.apiOrder(o, this.baseOf(req));
    });

    // ---- getShippingFulfillments ----
    app.get<{ Params: { orderId: string } }>(`${API}/order/:orderId/shipping_fulfillment`, async (req, reply) => {
      if (!this.gate(req, reply, false)) return reply;
      const o = this.orders.get(req.params.orderId);
      if (!o) return this.unknownOrder(reply, req.params.orderId);
      return { total: o.fulfillments.length, fulfillments: o.fulfillments.map((f) => this.fulfillmentView(f)) };
    });

    // ---- getShippingFulfillment ----
    app.get<{ Params: { orderId: string; fulfillmentId: string } }>(
      `${API}/order/:orderId/shipping_fulfillment/:fulfillmentId`,
      async (req, reply) => {
        if (!this.gate(req, reply, false)) return reply;
        const o = this.orders.get(req.params.orderId);
        if (!o) return this.unknownOrder(reply, req.params.orderId);
        const f = o.fulfillments.find((x) => x.fulfillmentId === req.params.fulfillmentId);
        if (!f) {
          // [G] errorId for an unknown fulfillment id.
          return reply.code(404).send(
            err(32110, 'Invalid shipping fulfillment id', {
              parameters: [{ name: 'fulfillmentId', value: req.params.fulfillmentId }],
            }),
          );
        }
        return this.fulfillmentView(f);
      },
    );

    // ---- createShippingFulfillment ----
    app.post<{ Params: { orderId: string } }>(`${API}/order/:orderId/shipping_fulfillment`, async (req, reply) => {
      const tok = this.gate(req, reply, true);
      if (!tok) return reply;
      const ct = String(req.headers['content-type'] ?? '');
      if (!/^application\/json\b/i.test(ct)) {
        // [G] status and errorId for a missing/wrong Content-Type.
        return reply.code(415).send(
          err(2004, 'Invalid request', { longMessage: 'The Content-Type header must be application/json.' }),
        );
      }
      if (this.cfg.systemError) {
        return reply.code(500).send(err(30500, 'System error', { category: 'APPLICATION' }));
      }
      if (tok.suspended) {
        return reply.code(400).send(err(32400, 'Requested user is suspended'));
      }
      return this.createFulfillment(req, reply);
    });
  }

  private createFulfillment(req: FastifyRequest<{ Params: { orderId: string } }>, reply: FastifyReply) {
    const orderId = req.params.orderId;
    const body = (req.body ?? {}) as Record<string, unknown>;
    const invalid = (longMessage: string, name?: string, value?: unknown) =>
      reply.code(400).send(
        err(32600, 'Invalid input data', {
          longMessage,
          ...(name ? { parameters: [{ name, value: String(value) }] } : {}),
        }),
      );
    if (typeof body !== 'object' || body === null || Array.isArray(body)) return invalid('The request body must be a JSON object.');

    // Shape checks first (a malformed field is "invalid input", whatever the order of the rules).
    const rawLines = body.lineItems;
    if (!Array.isArray(rawLines) || rawLines.length === 0) return invalid('lineItems must name at least one line item.', 'lineItems');
    const lines: { lineItemId: string; quantity?: unknown }[] = [];
    for (const l of rawLines) {
      if (!l || typeof l !== 'object' || typeof (l as any).lineItemId !== 'string' || (l as any).lineItemId === '') {
        return invalid('Each lineItems entry needs a lineItemId string.', 'lineItems.lineItemId');
      }
      lines.push({ lineItemId: (l as any).lineItemId, quantity: (l as any).quantity });
    }
    for (const f of ['trackingNumber', 'shippingCarrierCode', 'shippedDate'] as const) {
      if (body[f] !== undefined && typeof body[f] !== 'string') return invalid(`${f} must be a string.`, f, body[f]);
    }
    const trackingNumber = body.trackingNumber as string | undefined;
    const carrier = body.shippingCarrierCode as string | undefined;
    const shippedDateRaw = body.shippedDate as string | undefined;

    // 1. Unknown order.
    let order = this.orders.get(orderId);
    if (!order) {
      if (!this.cfg.autoCreateOrders) return this.unknownOrder(reply, orderId);
      order = { orderId, lineItems: [], fulfillments: [], createdAt: this.clock().toISOString(), autoCreated: true };
      this.orders.set(orderId, order);
    }
    const o = order;
    // 2. Unknown line item (an auto-created order grows the line on use).
    for (const l of lines) {
      if (!o.lineItems.some((x) => x.lineItemId === l.lineItemId)) {
        if (o.autoCreated) {
          o.lineItems.push({ lineItemId: l.lineItemId, quantity: 0 });
          continue;
        }
        return reply.code(400).send(
          err(32200, 'Invalid line item id', { parameters: [{ name: 'lineItemId', value: l.lineItemId }] }),
        );
      }
    }
    // 3. The same line item twice.
    const seen = new Set<string>();
    for (const l of lines) {
      if (seen.has(l.lineItemId)) {
        return reply.code(400).send(
          err(32210, 'Duplicate line item in the request', { parameters: [{ name: 'lineItemId', value: l.lineItemId }] }),
        );
      }
      seen.add(l.lineItemId);
    }
    // 4. Tracking and carrier go together ([G] which code applies).
    const hasTracking = trackingNumber !== undefined && trackingNumber !== '';
    const hasCarrier = carrier !== undefined && carrier !== '';
    if (hasTracking !== hasCarrier) {
      return invalid('shippingCarrierCode and trackingNumber must be sent together.', hasTracking ? 'shippingCarrierCode' : 'trackingNumber');
    }
    // 5. Tracking format and carrier enum.
    if (hasTracking && (!/^[A-Za-z0-9]+$/.test(trackingNumber!) || !this.carrierKnown(carrier!))) {
      return reply.code(400).send(
        err(32300, 'Invalid shipment tracking number or carrier', {
          parameters: [
            { name: 'trackingNumber', value: trackingNumber! },
            { name: 'shippingCarrierCode', value: carrier! },
          ],
        }),
      );
    }
    // 6. Shipped date.
    const now = this.clock();
    let shippedDate = now.toISOString();
    if (shippedDateRaw !== undefined) {
      const re = this.cfg.shippedDateFormat === 'strict' ? STRICT_DATE : ISO_DATE_TIME;
      const t = Date.parse(shippedDateRaw);
      const future = !Number.isNaN(t) && this.cfg.rejectFutureShippedDate && t > now.getTime();
      if (!re.test(shippedDateRaw) || Number.isNaN(t) || future) {
        return reply.code(400).send(
          err(32500, 'Invalid shipped date', { parameters: [{ name: 'shippedDate', value: shippedDateRaw }] }),
        );
      }
      shippedDate = new Date(t).toISOString();
    }
    // 7a. Quantity shape ([G] 32600). A missing quantity means "the rest of the line".
    const resolved: { lineItemId: string; quantity: number }[] = [];
    for (const l of lines) {
      const line = o.lineItems.find((x) => x.lineItemId === l.lineItemId)!;
      if (l.quantity === undefined || l.quantity === null) {
        const rest = line.quantity - this.shippedQty(o, l.lineItemId);
        resolved.push({ lineItemId: l.lineItemId, quantity: rest > 0 ? rest : Math.max(1, line.quantity) });
        continue;
      }
      if (typeof l.quantity !== 'number' || !Number.isInteger(l.quantity) || l.quantity < 1) {
        return invalid('quantity must be a whole number greater than zero.', 'quantity', l.quantity);
      }
      resolved.push({ lineItemId: l.lineItemId, quantity: l.quantity });
    }
    // Duplicate fulfillment (fulfillmentId = tracking number). Checked before the quantity
    // total so that a resend of a package that shipped everything still reads as a duplicate [G].
    if (hasTracking && o.fulfillments.some((f) => f.fulfillmentId === trackingNumber)) {
      if (this.cfg.duplicateMode === '409') return reply.code(409).send(this.errorBodyFor(409));
      return reply.code(400).send(
        err(34500, 'Please use PUT operation for updating shipping fulfillment', {
          parameters: [{ name: 'fulfillmentId', value: trackingNumber! }],
        }),
      );
    }
    // 7b. More than ordered.
    for (const r of resolved) {
      const line = o.lineItems.find((x) => x.lineItemId === r.lineItemId)!;
      const after = this.shippedQty(o, r.lineItemId) + r.quantity;
      if (after > line.quantity) {
        if (o.autoCreated) {
          line.quantity = after;
          continue;
        }
        return invalid(
          `Line item ${r.lineItemId} has ${line.quantity} unit(s) ordered; ${after} would be shipped.`,
          'quantity',
          r.quantity,
        );
      }
    }
    // 8. Max tracking numbers per order.
    if (hasTracking) {
      const distinct = new Set(o.fulfillments.map((f) => f.shipmentTrackingNumber).filter(Boolean));
      if (distinct.size >= this.cfg.maxTrackingNumbersPerOrder) {
        return reply.code(400).send(err(34100, 'Max tracking numbers for order exceeded'));
      }
    }

    this.noTrackingCounter += hasTracking ? 0 : 1;
    const fulfillmentId = hasTracking ? trackingNumber! : String(998 + this.noTrackingCounter);
    o.fulfillments.push({
      fulfillmentId,
      lineItems: resolved,
      ...(hasTracking ? { shipmentTrackingNumber: trackingNumber!, shippingCarrierCode: carrier! } : {}),
      shippedDate,
    });
    return reply
      .code(201)
      .header('location', this.fulfillmentHref(this.baseOf(req), orderId, fulfillmentId))
      .send({});
  }
}

function stripUndefined<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}

export function createEbaySimulator(options: EbaySimulatorOptions = {}): EbaySimulator {
  return new EbaySimulator(options);
}
