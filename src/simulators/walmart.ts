// Walmart Marketplace (US) Orders API double (shared/reference/marketplace-apis.md §3, §8.3, §8.6).
//
// Serves:
//   POST /v3/token                        Basic clientId:clientSecret, form grant_type=client_credentials
//                                         → {access_token, token_type:"Bearer", expires_in:900}
//   GET  /v3/orders?limit=                list (`{list:{meta, elements:{order:[]}}}`)
//   GET  /v3/orders/{po}                  `{order}`
//   POST /v3/orders/{po}/acknowledge      `{order}`
//   POST /v3/orders/{po}/shipping         Ship order lines → 200 `{order}`
// Every API route needs WM_SEC.ACCESS_TOKEN (minted here, younger than its lifetime, else 401),
// WM_QOS.CORRELATION_ID and WM_SVC.NAME (missing → 400 [G]); every answer carries the token-bucket
// headers x-current-token-count and x-next-replenish-time (epoch ms); an empty bucket is 429.
// Control (besides the harness's /__control/{faults,requests,reset}):
//   POST /__control/clients {clientId, clientSecret}      register (or rotate) API keys
//   DELETE /__control/clients/:clientId                   revoke: the next mint is invalid_client
//   POST /__control/tokens/expire                         every minted token expires now
//   POST /__control/orders {purchaseOrderId, lines:[{lineNumber, quantity, sku?, cancelled?, cancelRequested?}], acknowledged?, wfs?}
//   GET  /__control/orders, GET /__control/orders/:po     orders with their shipments
//   POST /__control/config, GET /__control/config         the configurable guesses below
import type { FastifyReply, FastifyRequest } from 'fastify';
import { randomBytes } from 'node:crypto';
import { z } from 'zod';
import { SimulatorHarness, registerOrderAndConfigControl } from './harness';

/** §3.2 excerpt of "Supported carrier names" (the wire codes, exact spelling). */
export const DEFAULT_WALMART_CARRIERS = [
  'UPS',
  'USPS',
  'FedEx',
  'Airborne',
  'OnTrac',
  'DHL Ecommerce - US',
  'DHL',
  'LS',
  'UDS',
  'UPSMI',
  'FDX',
  'PILOT',
  'ESTES',
  'SAIA',
  'FDS Express',
  'Seko Worldwide',
  'HIT Delivery',
  'FEDEXSP',
  'RL Carriers',
  'China Post',
  'YunExpress',
  '4PX',
  'GLS',
  'OSM Worldwide',
  'FIRST MILE',
  'CEVA',
  'LSO',
  'TForce Freight',
  'AxleHire',
  'Canada Post',
  'Deutsche Post',
  'Better Trucks',
  'Asendia',
];

export const WALMART_SIM_METHOD_CODES = ['Standard', 'Express', 'OneDay', 'Freight', 'WhiteGlove', 'Value'];

export interface WalmartSimulatorConfig {
  /** Access-token lifetime in seconds (documented 900). */
  tokenTtlSeconds: number;
  /** Accepted `carrierName.carrier` values (exact, case-sensitive). */
  carriers: string[];
  /** Status for an unknown purchase order (404 [G]). */
  unknownOrderStatus: 400 | 404;
  /** Per-API token bucket per client: capacity and refill per second [G] (no public number). */
  bucketCapacity: number;
  bucketRefillPerSecond: number;
  /** A request body larger than this answers 413 (null = no limit). */
  maxBodyBytes: number | null;
  /** PARTIAL_UPDATE is accepted this long after a line's first shipping update (4 h). */
  partialUpdateWindowSeconds: number;
  /** Unknown orders are created (acknowledged) on first shipping, lines growing on use. */
  autoCreateOrders: boolean;
}

export interface WalmartSimulatorOptions extends Partial<WalmartSimulatorConfig> {
  clock?: () => Date;
}

export interface WalmartSimOrderInput {
  purchaseOrderId: string;
  customerOrderId?: string;
  acknowledged?: boolean;
  /** Walmart Fulfillment Services order: this endpoint refuses it. */
  wfs?: boolean;
  lines: { lineNumber: string; quantity: number; sku?: string; cancelled?: boolean; cancelRequested?: boolean }[];
}

interface SimTrackingInfo {
  shipDateTime: number;
  carrierName: { carrier?: string; otherCarrier?: string };
  methodCode: string;
  trackingNumber: string;
  trackingURL?: string;
}

interface SimShipment {
  amount: number;
  trackingInfo: SimTrackingInfo;
  /** When the shipping update arrived (the PARTIAL_UPDATE window counts from the line's first). */
  at: number;
}

interface SimLine {
  lineNumber: string;
  sku?: string;
  quantity: number;
  cancelled: boolean;
  cancelRequested: boolean;
  shipments: SimShipment[];
}

interface SimOrder {
  purchaseOrderId: string;
  customerOrderId: string;
  acknowledged: boolean;
  wfs: boolean;
  lines: SimLine[];
  orderDate: number;
  autoCreated: boolean;
}

export interface WalmartSimOrderView {
  purchaseOrderId: string;
  customerOrderId: string;
  acknowledged: boolean;
  wfs: boolean;
  status: 'Created' | 'Acknowledged' | 'PartiallyShipped' | 'Shipped';
  lines: {
    lineNumber: string;
    sku?: string;
    quantity: number;
    shippedQuantity: number;
    status: string;
    shipments: { amount: number; trackingInfo: SimTrackingInfo }[];
  }[];
  autoCreated: boolean;
}

const DEFAULT_CONFIG: WalmartSimulatorConfig = {
  tokenTtlSeconds: 900,
  carriers: DEFAULT_WALMART_CARRIERS,
  unknownOrderStatus: 404,
  bucketCapacity: 100,
  bucketRefillPerSecond: 10,
  maxBodyBytes: null,
  partialUpdateWindowSeconds: 4 * 3600,
  autoCreateOrders: false,
};

const configSchema = z
  .object({
    tokenTtlSeconds: z.number().int().min(1),
    carriers: z.array(z.string().min(1)),
    unknownOrderStatus: z.union([z.literal(400), z.literal(404)]),
    bucketCapacity: z.number().int().min(0),
    bucketRefillPerSecond: z.number().min(0),
    maxBodyBytes: z.number().int().min(1).nullable(),
    partialUpdateWindowSeconds: z.number().int().min(0),
    autoCreateOrders: z.boolean(),
  })
  .partial()
  .strict();

const clientSchema = z.object({ clientId: z.string().min(1), clientSecret: z.string().min(1) });

const orderSchema = z.object({
  purchaseOrderId: z.string().min(1),
  customerOrderId: z.string().min(1).optional(),
  acknowledged: z.boolean().optional(),
  wfs: z.boolean().optional(),
  lines: z
    .array(
      z.object({
        lineNumber: z.string().min(1),
        quantity: z.number().int().min(1),
        sku: z.string().optional(),
        cancelled: z.boolean().optional(),
        cancelRequested: z.boolean().optional(),
      }),
    )
    .min(1),
});

/** The Walmart error envelope (§3.4 [S]). */
function envelope(code: string, field: string, description: string, info = 'Request content is invalid.', category = 'DATA') {
  return { errors: { error: [{ code, field, description, info, severity: 'ERROR', category, errorIdentifiers: { entry: [] } }] } };
}

const invalid = (field: string, description: string) => envelope('INVALID_REQUEST_CONTENT.GMP_ORDER_API', field, description);
const UNAUTHORIZED = envelope('UNAUTHORIZED.GMP_GATEWAY_API', 'UNAUTHORIZED', 'Unauthorized', 'Unauthorized token or incorrect authorization header');
const FORBIDDEN = envelope('FORBIDDEN.GMP_GATEWAY_API', 'FORBIDDEN', 'Forbidden', 'Access to this resource is not allowed for this API key');
const THROTTLED = envelope('REQUEST_THRESHOLD_VIOLATED.GMP_GATEWAY_API', '', 'Too many requests', 'Request threshold violated', 'REQUEST');

/** Epoch ms between 2000-01-01 and a day past the clock: ISO strings, seconds and .NET ticks fail. */
const EARLIEST_SHIP_MS = Date.UTC(2000, 0, 1);

type ApiName = 'token' | 'orders' | 'acknowledge' | 'shipping';

export class WalmartSimulator {
  readonly harness: SimulatorHarness;
  private readonly clock: () => Date;
  private readonly initialConfig: WalmartSimulatorConfig;
  private cfg: WalmartSimulatorConfig;
  private readonly clients = new Map<string, string>();
  private readonly tokens = new Map<string, { clientId: string; expiresAt: number }>();
  private readonly orders = new Map<string, SimOrder>();
  private readonly buckets = new Map<string, { tokens: number; last: number }>();
  /** Tokens minted since the last reset (tests count refreshes). */
  tokensMinted = 0;

  constructor(options: WalmartSimulatorOptions = {}) {
    const { clock, ...rest } = options;
    this.clock = clock ?? (() => new Date());
    this.initialConfig = { ...DEFAULT_CONFIG, ...stripUndefined(rest) };
    this.cfg = { ...this.initialConfig };
    this.harness = new SimulatorHarness('walmart', {
      errorBody: (status) => this.errorBodyFor(status),
      throttle: (reply, retryAfterSeconds) =>
        reply
          .code(429)
          .header('x-current-token-count', '0')
          .header('x-next-replenish-time', String(this.clock().getTime() + retryAfterSeconds * 1000))
          .send(THROTTLED),
      reset: () => this.resetState(),
    });
    this.routes();
  }

  // ---- typed control methods -------------------------------------------------------------------

  get config(): WalmartSimulatorConfig {
    return { ...this.cfg, carriers: [...this.cfg.carriers] };
  }

  configure(patch: Partial<WalmartSimulatorConfig>): WalmartSimulatorConfig {
    const parsed = configSchema.parse(stripUndefined(patch));
    this.cfg = { ...this.cfg, ...(parsed as Partial<WalmartSimulatorConfig>) };
    return this.config;
  }

  addClient(clientId: string, clientSecret: string): void {
    this.clients.set(clientId, clientSecret);
  }

  revokeClient(clientId: string): void {
    this.clients.delete(clientId);
    for (const [t, rec] of this.tokens) if (rec.clientId === clientId) this.tokens.delete(t);
  }

  expireTokens(): void {
    for (const rec of this.tokens.values()) rec.expiresAt = this.clock().getTime();
  }

  upsertOrder(input: WalmartSimOrderInput): WalmartSimOrderView {
    const o = orderSchema.parse(input);
    const existing = this.orders.get(o.purchaseOrderId);
    const order: SimOrder = {
      purchaseOrderId: o.purchaseOrderId,
      customerOrderId: o.customerOrderId ?? existing?.customerOrderId ?? `${o.purchaseOrderId.slice(0, 8)}0000`,
      acknowledged: o.acknowledged ?? existing?.acknowledged ?? true,
      wfs: o.wfs ?? false,
      lines: o.lines.map((l) => ({
        lineNumber: l.lineNumber,
        ...(l.sku ? { sku: l.sku } : {}),
        quantity: l.quantity,
        cancelled: l.cancelled ?? false,
        cancelRequested: l.cancelRequested ?? false,
        shipments: existing?.lines.find((x) => x.lineNumber === l.lineNumber)?.shipments ?? [],
      })),
      orderDate: existing?.orderDate ?? this.clock().getTime(),
      autoCreated: false,
    };
    this.orders.set(order.purchaseOrderId, order);
    return this.view(order);
  }

  getOrder(purchaseOrderId: string): WalmartSimOrderView | undefined {
    const o = this.orders.get(purchaseOrderId);
    return o ? this.view(o) : undefined;
  }

  listOrders(): WalmartSimOrderView[] {
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
    this.clients.clear();
    this.tokens.clear();
    this.orders.clear();
    this.buckets.clear();
    this.tokensMinted = 0;
    this.cfg = { ...this.initialConfig };
  }

  private shipped(line: SimLine): number {
    return line.shipments.reduce((n, s) => n + s.amount, 0);
  }

  private lineStatus(o: SimOrder, line: SimLine): string {
    if (line.cancelled) return 'Cancelled';
    if (this.shipped(line) >= line.quantity) return 'Shipped';
    return o.acknowledged ? 'Acknowledged' : 'Created';
  }

  private view(o: SimOrder): WalmartSimOrderView {
    const lines = o.lines.map((l) => ({
      lineNumber: l.lineNumber,
      ...(l.sku ? { sku: l.sku } : {}),
      quantity: l.quantity,
      shippedQuantity: this.shipped(l),
      status: this.lineStatus(o, l),
      shipments: l.shipments.map((s) => ({ amount: s.amount, trackingInfo: { ...s.trackingInfo } })),
    }));
    const live = lines.filter((l) => l.status !== 'Cancelled');
    const status = live.length && live.every((l) => l.status === 'Shipped')
      ? 'Shipped'
      : lines.some((l) => l.shippedQuantity > 0)
        ? 'PartiallyShipped'
        : o.acknowledged
          ? 'Acknowledged'
          : 'Created';
    return { purchaseOrderId: o.purchaseOrderId, customerOrderId: o.customerOrderId, acknowledged: o.acknowledged, wfs: o.wfs, status, lines, autoCreated: o.autoCreated };
  }

  /** The API's `Order`: each line's statuses split by quantity (unshipped remainder first, then each shipment). */
  private apiOrder(o: SimOrder) {
    return {
      purchaseOrderId: o.purchaseOrderId,
      customerOrderId: o.customerOrderId,
      orderDate: o.orderDate,
      shipNode: { type: o.wfs ? 'WFSFulfilled' : 'SellerFulfilled' },
      orderLines: {
        orderLine: o.lines.map((l) => {
          const rest = l.quantity - this.shipped(l);
          const open = l.cancelled ? 'Cancelled' : o.acknowledged ? 'Acknowledged' : 'Created';
          return {
            lineNumber: l.lineNumber,
            item: { sku: l.sku ?? `SKU-${l.lineNumber}` },
            orderLineQuantity: { unitOfMeasurement: 'EACH', amount: String(l.quantity) },
            statusDate: l.shipments.length ? l.shipments[l.shipments.length - 1].at : o.orderDate,
            orderLineStatuses: {
              orderLineStatus: [
                ...(rest > 0 ? [{ status: open, statusQuantity: { unitOfMeasurement: 'EACH', amount: String(rest) } }] : []),
                ...l.shipments.map((s) => ({
                  status: 'Shipped',
                  statusQuantity: { unitOfMeasurement: 'EACH', amount: String(s.amount) },
                  trackingInfo: { ...s.trackingInfo },
                })),
              ],
            },
          };
        }),
      },
    };
  }

  private errorBodyFor(status: number): unknown {
    switch (status) {
      case 401:
        return UNAUTHORIZED;
      case 403:
        return FORBIDDEN;
      case 404:
        return envelope('CONTENT_NOT_FOUND.GMP_ORDER_API', 'purchaseOrderId', 'Purchase order not found', 'Requested content could not be found.');
      case 413:
        return envelope('REQUEST_ENTITY_TOO_LARGE.GMP_GATEWAY_API', '', 'Request entity too large', 'The payload is too large.', 'REQUEST');
      case 429:
        return THROTTLED;
      default:
        if (status >= 500) return envelope('SYSTEM_ERROR.GMP_ORDER_API', '', 'Internal server error', 'System encountered some internal error.', 'SYSTEM');
        return invalid('', 'Request content is invalid.');
    }
  }

  /** Takes one token from the client's bucket for this API and sets the rate headers; false when empty. */
  private takeRateToken(reply: FastifyReply, clientId: string, api: ApiName): boolean {
    const now = this.clock().getTime();
    const key = `${clientId}:${api}`;
    const cap = this.cfg.bucketCapacity;
    const rate = this.cfg.bucketRefillPerSecond;
    const b = this.buckets.get(key) ?? { tokens: cap, last: now };
    b.tokens = Math.min(cap, b.tokens + ((now - b.last) / 1000) * rate);
    b.last = now;
    this.buckets.set(key, b);
    const ok = b.tokens >= 1;
    if (ok) b.tokens -= 1;
    // When the next whole token is in the bucket (a bucket that never refills: a minute, [G]).
    const wait = rate > 0 ? Math.ceil(((1 - (b.tokens % 1)) / rate) * 1000) : 60_000;
    reply.header('x-current-token-count', String(Math.floor(b.tokens)));
    reply.header('x-next-replenish-time', String(now + wait));
    return ok;
  }

  /** Token → required headers → rate bucket. Returns the client id, or undefined after answering. */
  private gate(req: FastifyRequest, reply: FastifyReply, api: ApiName): string | undefined {
    const raw = req.headers['wm_sec.access_token'];
    const rec = typeof raw === 'string' ? this.tokens.get(raw) : undefined;
    if (!rec || rec.expiresAt <= this.clock().getTime() || !this.clients.has(rec.clientId)) {
      reply.code(401).send(UNAUTHORIZED);
      return undefined;
    }
    if (!this.requiredHeaders(req, reply)) return undefined;
    if (!this.takeRateToken(reply, rec.clientId, api)) {
      reply.code(429).send(THROTTLED);
      return undefined;
    }
    return rec.clientId;
  }

  /** WM_QOS.CORRELATION_ID and WM_SVC.NAME are required ([G] 400 when missing). */
  private requiredHeaders(req: FastifyRequest, reply: FastifyReply): boolean {
    for (const h of ['WM_QOS.CORRELATION_ID', 'WM_SVC.NAME']) {
      const v = req.headers[h.toLowerCase()];
      if (typeof v !== 'string' || v.trim() === '') {
        reply.code(400).send(envelope('INVALID_REQUEST_HEADER.GMP_GATEWAY_API', h, `${h} header is required`, 'Request header is missing.', 'REQUEST'));
        return false;
      }
    }
    return true;
  }

  private unknownOrder(reply: FastifyReply, po: string) {
    return reply
      .code(this.cfg.unknownOrderStatus)
      .send(envelope('CONTENT_NOT_FOUND.GMP_ORDER_API', 'purchaseOrderId', `Purchase order ${po} not found`, 'Requested content could not be found.'));
  }

  // ---- routes ----------------------------------------------------------------------------------

  private routes(): void {
    const app = this.harness.app;

    app.setErrorHandler((error: Error & { statusCode?: number }, req, reply) => {
      const status = error.statusCode && error.statusCode >= 400 && error.statusCode < 600 ? error.statusCode : 500;
      if (req.url.startsWith('/__control')) return reply.code(status).send({ error: error.message });
      if (status === 400) return reply.code(400).send(invalid('', `The request body is not valid JSON: ${error.message}`));
      return reply.code(status).send(this.errorBodyFor(status));
    });

    // ---- control ----
    app.post('/__control/clients', async (req, reply) => {
      const parsed = clientSchema.safeParse(req.body);
      if (!parsed.success) return reply.code(400).send({ error: 'invalid client body', issues: parsed.error.issues });
      this.addClient(parsed.data.clientId, parsed.data.clientSecret);
      return { clientId: parsed.data.clientId };
    });
    app.delete<{ Params: { clientId: string } }>('/__control/clients/:clientId', async (req) => {
      this.revokeClient(req.params.clientId);
      return { revoked: req.params.clientId };
    });
    app.post('/__control/tokens/expire', async () => {
      this.expireTokens();
      return { expired: this.tokens.size };
    });
    registerOrderAndConfigControl<z.infer<typeof orderSchema>, WalmartSimulatorConfig>(app, this, { order: orderSchema, config: configSchema });

    // ---- token ----
    app.post('/v3/token', async (req, reply) => {
      if (!this.requiredHeaders(req, reply)) return reply;
      const m = String(req.headers.authorization ?? '').match(/^Basic\s+(\S+)\s*$/i);
      const decoded = m ? Buffer.from(m[1], 'base64').toString('utf8') : '';
      const colon = decoded.indexOf(':');
      const clientId = colon > 0 ? decoded.slice(0, colon) : '';
      const secret = colon > 0 ? decoded.slice(colon + 1) : '';
      if (!clientId || this.clients.get(clientId) !== secret) {
        return reply.code(401).send({ error: 'invalid_client', error_description: 'Client authentication failed' });
      }
      const form = new URLSearchParams(typeof req.body === 'string' ? req.body : '');
      if (!/^application\/x-www-form-urlencoded\b/i.test(String(req.headers['content-type'] ?? '')) || form.get('grant_type') !== 'client_credentials') {
        return reply.code(400).send({ error: 'unsupported_grant_type', error_description: 'grant_type must be client_credentials (form body)' });
      }
      if (!this.takeRateToken(reply, clientId, 'token')) return reply.code(429).send(THROTTLED);
      const token = `wm-at-${randomBytes(24).toString('base64url')}`;
      this.tokens.set(token, { clientId, expiresAt: this.clock().getTime() + this.cfg.tokenTtlSeconds * 1000 });
      this.tokensMinted += 1;
      return { access_token: token, token_type: 'Bearer', expires_in: this.cfg.tokenTtlSeconds };
    });

    // ---- orders ----
    app.get<{ Querystring: Record<string, string | undefined> }>('/v3/orders', async (req, reply) => {
      if (!this.gate(req, reply, 'orders')) return reply;
      const rawLimit = Number(req.query.limit ?? 10);
      const limit = Number.isInteger(rawLimit) ? Math.min(200, Math.max(1, rawLimit)) : 10;
      const all = [...this.orders.values()];
      return {
        list: {
          meta: { totalCount: all.length, limit, ...(all.length > limit ? { nextCursor: `?limit=${limit}&cursor=${limit}` } : {}) },
          elements: { order: all.slice(0, limit).map((o) => this.apiOrder(o)) },
        },
      };
    });

    app.get<{ Params: { po: string } }>('/v3/orders/:po', async (req, reply) => {
      if (!this.gate(req, reply, 'orders')) return reply;
      const o = this.orders.get(req.params.po);
      if (!o) return this.unknownOrder(reply, req.params.po);
      return { order: this.apiOrder(o) };
    });

    app.post<{ Params: { po: string } }>('/v3/orders/:po/acknowledge', async (req, reply) => {
      if (!this.gate(req, reply, 'acknowledge')) return reply;
      const o = this.orders.get(req.params.po);
      if (!o) return this.unknownOrder(reply, req.params.po);
      o.acknowledged = true;
      return { order: this.apiOrder(o) };
    });

    app.post<{ Params: { po: string } }>('/v3/orders/:po/shipping', async (req, reply) => {
      if (!this.gate(req, reply, 'shipping')) return reply;
      const size = Number(req.headers['content-length'] ?? 0);
      if (this.cfg.maxBodyBytes !== null && size > this.cfg.maxBodyBytes) return reply.code(413).send(this.errorBodyFor(413));
      return this.ship(req, reply);
    });
  }

  /** Ship order lines: validation in the §8.3 order, then all lines commit together. */
  private ship(req: FastifyRequest<{ Params: { po: string } }>, reply: FastifyReply) {
    const po = req.params.po;
    const bad = (field: string, description: string) => reply.code(400).send(invalid(field, description));
    const shipment = (req.body as any)?.orderShipment;
    const rawLines = shipment?.orderLines?.orderLine;
    if (!shipment || typeof shipment !== 'object' || !Array.isArray(rawLines) || rawLines.length === 0) {
      return bad('orderShipment', 'orderShipment.orderLines.orderLine must list at least one order line');
    }
    const partialUpdate = shipment.processMode === 'PARTIAL_UPDATE';
    if (shipment.processMode !== undefined && !partialUpdate) return bad('processMode', `processMode ${String(shipment.processMode)} is not supported`);

    // 1. Unknown, unacknowledged, WFS.
    let order = this.orders.get(po);
    if (!order) {
      if (!this.cfg.autoCreateOrders) return this.unknownOrder(reply, po);
      order = { purchaseOrderId: po, customerOrderId: `${po.slice(0, 8)}0000`, acknowledged: true, wfs: false, lines: [], orderDate: this.clock().getTime(), autoCreated: true };
      this.orders.set(po, order);
    }
    const o = order;
    if (o.wfs) return bad('purchaseOrderId', `Purchase order ${po} is fulfilled by Walmart Fulfillment Services and cannot be shipped by the seller`);
    if (!o.acknowledged) return bad('purchaseOrderId', `Purchase order ${po} must be acknowledged before it can be shipped`);

    const now = this.clock().getTime();
    const pending: { line: SimLine; amount: number; info: SimTrackingInfo; replaces?: SimShipment }[] = [];
    for (const raw of rawLines) {
      const n = typeof raw?.lineNumber === 'string' ? raw.lineNumber : '';
      // 2. Line number and status.
      let line = o.lines.find((l) => l.lineNumber === n);
      if (!line && o.autoCreated && n) {
        line = { lineNumber: n, quantity: 0, cancelled: false, cancelRequested: false, shipments: [] };
        o.lines.push(line);
      }
      if (!line) return bad('lineNumber', `Invalid line number ${n || '(missing)'} for purchase order ${po}`);
      if (raw.sellerOrderId !== undefined && (typeof raw.sellerOrderId !== 'string' || raw.sellerOrderId.length > 30)) {
        return bad('sellerOrderId', `sellerOrderId must be a string of at most 30 characters in line number ${n}`);
      }
      const statuses = raw.orderLineStatuses?.orderLineStatus;
      if (!Array.isArray(statuses) || statuses.length === 0) return bad('orderLineStatus', `orderLineStatuses is required in line number ${n}`);
      for (const s of statuses) {
        if (s?.status !== 'Shipped') return bad('status', `Status ${String(s?.status)} is not allowed in line number ${n}; only Shipped`);
        // 3. Quantity.
        const q = s.statusQuantity;
        if (!q || !['EACH', 'EA'].includes(q.unitOfMeasurement)) return bad('unitOfMeasurement', `unitOfMeasurement must be EACH or EA in line number ${n}`);
        if (typeof q.amount !== 'string' || !/^[1-9]\d*$/.test(q.amount)) return bad('amount', `statusQuantity.amount must be a positive whole number string in line number ${n}`);
        const t = s.trackingInfo;
        if (!t || typeof t !== 'object') return bad('trackingInfo', `trackingInfo is required in line number ${n}`);
        // 4. shipDateTime: integer epoch milliseconds.
        if (typeof t.shipDateTime !== 'number' || !Number.isInteger(t.shipDateTime) || t.shipDateTime < EARLIEST_SHIP_MS || t.shipDateTime > now + 86_400_000) {
          return bad('shipDateTime', `shipDateTime must be epoch milliseconds (UTC) in line number ${n}`);
        }
        // 5. Method code.
        if (!WALMART_SIM_METHOD_CODES.includes(t.methodCode)) return bad('methodCode', `Method code is not supported in line number ${n}`);
        // 6. Carrier and tracking.
        const c = t.carrierName ?? {};
        const hasCarrier = typeof c.carrier === 'string' && c.carrier !== '';
        const hasOther = typeof c.otherCarrier === 'string' && c.otherCarrier !== '';
        if (hasCarrier === hasOther) return bad('carrierName', `carrierName needs exactly one of carrier or otherCarrier in line number ${n}`);
        if (hasCarrier && !this.cfg.carriers.includes(c.carrier)) return bad('carrier', `Carrier ${c.carrier} is not supported in line number ${n}`);
        if (hasOther && (typeof t.trackingURL !== 'string' || !/^https?:\/\/\S+$/.test(t.trackingURL))) {
          return bad('trackingURL', `trackingURL is required with otherCarrier in line number ${n}`);
        }
        if (typeof t.trackingNumber !== 'string' || t.trackingNumber.trim() === '') return bad('trackingNumber', `trackingNumber is required in line number ${n}`);
        const info: SimTrackingInfo = {
          shipDateTime: t.shipDateTime,
          carrierName: hasCarrier ? { carrier: c.carrier } : { otherCarrier: c.otherCarrier },
          methodCode: t.methodCode,
          trackingNumber: t.trackingNumber,
          ...(hasOther ? { trackingURL: t.trackingURL } : {}),
        };
        // 8. Cancelled lines.
        if (line.cancelled) return bad('orderLineStatus', `Line number ${n} is cancelled and cannot be shipped`);
        if (line.cancelRequested && raw.intentToCancelOverride !== true) {
          return bad('intentToCancelOverride', `The customer requested cancellation of line number ${n}; set intentToCancelOverride to ship it`);
        }
        const amount = Number(q.amount);
        if (partialUpdate) {
          // Tracking correction: replace the shipment named by currentTrackingInfo within the window.
          const current = raw.currentTrackingInfo?.trackingNumber ?? s.currentTrackingInfo?.trackingNumber;
          const target = line.shipments.find((x) => x.trackingInfo.trackingNumber === current);
          if (!target) return bad('currentTrackingInfo', `currentTrackingInfo.trackingNumber does not match a shipment of line number ${n}`);
          if (now - line.shipments[0].at > this.cfg.partialUpdateWindowSeconds * 1000) {
            return bad('processMode', `Line number ${n} was shipped more than ${this.cfg.partialUpdateWindowSeconds / 3600} hours ago and can no longer be updated`);
          }
          pending.push({ line, amount: target.amount, info, replaces: target });
          continue;
        }
        // Duplicates: a shipped line, or its tracking number again ([G] message).
        const pendingHere = pending.filter((p) => p.line === line).reduce((sum, p) => sum + p.amount, 0);
        const shipped = this.shipped(line) + pendingHere;
        if (!o.autoCreated && line.quantity > 0 && this.shipped(line) >= line.quantity) {
          return bad('orderLineStatus', `Line number ${n} is already Shipped; use processMode PARTIAL_UPDATE to change its tracking`);
        }
        if (line.shipments.some((x) => x.trackingInfo.trackingNumber === info.trackingNumber)) {
          return bad('trackingNumber', `Tracking number ${info.trackingNumber} is already on line number ${n}`);
        }
        // 7. More than remains.
        if (!o.autoCreated && shipped + amount > line.quantity) {
          return bad('amount', `Line number ${n} has ${line.quantity - shipped} unit(s) left to ship; ${amount} sent`);
        }
        pending.push({ line, amount, info });
      }
    }
    for (const p of pending) {
      if (p.replaces) {
        p.replaces.trackingInfo = p.info;
        continue;
      }
      p.line.shipments.push({ amount: p.amount, trackingInfo: p.info, at: now });
      if (o.autoCreated) p.line.quantity = Math.max(p.line.quantity, this.shipped(p.line));
    }
    return { order: this.apiOrder(o) };
  }
}

function stripUndefined<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}

export function createWalmartSimulator(options: WalmartSimulatorOptions = {}): WalmartSimulator {
  return new WalmartSimulator(options);
}
