// Parts Unlimited (LeMans) partner API simulator — reference §2, §6.2, §8.2.
// API routes (paths as documented, `/api` prefix kept):
//   POST /api/orders/dropship, POST /api/v2/orders/dropship        — drop-ship order
//   GET  /api/orders/dropship?date_start&date_end&page_num&order_type
//   GET  /api/v2/orders/dropship?order_date_start&order_date_end&ship_date_start&ship_date_end&page_num
//   GET  /api/v1/parts/inventory/{p1,p2}, GET /api/v1/parts/pricing/{p1,p2}
// Auth: `api-key` header; keys belong to one environment (production | staging) and one dealer.
// Every [GUESS]/[UNKNOWN] of the reference is in PuSimulatorConfig (constructor options and
// POST /__control/config).
// The dealer-website price file (§2.5, §8.5), served by the same host:
//   POST /api/quotes/v2/pricefile (Basic auth: the dealer's website user; a ZIP with
//     BasePriceFile.csv and <DEALER>_PriceFile.csv, latin-1, streamed; `pullsPerDay` per dealer per
//     UTC day, then 429 + Retry-After until midnight UTC)
//   GET /api/quotes/v2/pricefile/status (Basic auth; [GUESS] a cheap check that consumes no pull)
// Control: POST /__control/feed-accounts {dealerNumber, username, password},
//   POST /__control/catalog/generate {count, seed?} (replaces the catalog with synthetic items).
import { seededRandom } from './catalog-gen';
import { Readable } from 'node:stream';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { ZipFile } from 'yazl';
import { SimulatorHarness, type Fault } from './harness';

export type PuEnvironment = 'production' | 'staging';

/** Refusal kinds the simulator can produce; each can use either body shape. */
export type PuRefusalKind =
  | 'validation'
  | 'address'
  | 'unknown_part'
  | 'not_dropship_eligible'
  | 'dealer_mismatch'
  | 'dropship_disabled'
  | 'duplicate_po'
  | 'price_mismatch'
  | 'out_of_stock';

/** `status`: `{status_code, status_message}`; `mainframe`: `{mainframeErrors:[{text}]}` (no status_code). */
export type PuRefusalShape = 'status' | 'mainframe';

export interface PuSimulatorConfig {
  /** Which environment's keys this host accepts (prod `api.parts-unlimited.com`, staging `stage-api.lemansplatform.com`). */
  environment: PuEnvironment;
  /** HTTP status for a missing/bad key [GUESS on code]. */
  unauthorizedStatus: number;
  /** purchase_order_number max length [GUESS, CODE C6]. */
  poMaxLength: number;
  /** ship_to_address fields that must be non-empty. */
  requiredShipToFields: string[];
  /** Max lengths of ship_to_address fields [GUESS: PU documents none]. */
  shipToMaxLengths: Partial<Record<'name' | 'company' | 'address_line_1' | 'address_line_2' | 'city' | 'postal_code', number>>;
  /** Reject countries other than these (empty = any). */
  allowedCountries: string[];
  /** Duplicate PO per dealer: refuse (body 409) or accept a second order [GUESS]. */
  duplicatePoMode: 'reject' | 'accept';
  /** Which body shape each refusal uses. */
  refusalShapes: Record<PuRefusalKind, PuRefusalShape>;
  /**
   * [UNKNOWN] whether and how PU refuses reads. When set, every authenticated read (order list,
   * inventory, pricing) answers this refusal, in its configured shape and transport.
   */
  readRefusal: PuRefusalKind | null;
  /** `body`: HTTP 200 with the refusal in the body (§8.2); `http`: HTTP status = the body's code (C6 transport variant). */
  refusalTransport: 'body' | 'http';
  /** Texts PU uses for each refusal ([UNKNOWN] wordings); `{po}`, `{part}`, `{field}`, `{max}` are filled in. */
  messages: Record<PuRefusalKind, string>;
  /** Short stock: with cancellation_policy back_order → accept with 202 [GUESS]; otherwise refuse out_of_stock. */
  backorderWhenShort: boolean;
  /** Statuses (price-file `Part Status`) that cannot be ordered [GUESS]. */
  nonOrderableStatuses: string[];
  /** Orders per page of the order list (§8.2: 10). */
  pageSize: number;
  /** When set, inventory quantities above it are reported as `"<cap>+"` strings (C7's display strings) [GUESS]. */
  inventoryDisplayCap: number | null;
  /** `date` → ship_date `YYYY-MM-DD`; `iso` → full ISO timestamp. */
  shipDateFormat: 'date' | 'iso';
  /** Retry-After seconds for throttle faults without their own value. */
  retryAfterSeconds: number;
  /** First reference_number handed out (then +1 per order). */
  firstReferenceNumber: number;
  /** Price-file pulls per dealer per UTC day; the next answers 429 (§2.5: 2). */
  pullsPerDay: number;
  /** Add a `CA Availability` column to BasePriceFile.csv (one client maps CA). */
  priceFileCaColumn: boolean;
  /** Raw lines put into BasePriceFile.csv after data row `afterRow` (0 = right after the header): bad rows for tests. */
  priceFileInjectedLines: { afterRow: number; text: string }[];
}

export const DEFAULT_PU_SIMULATOR_CONFIG: PuSimulatorConfig = {
  environment: 'production',
  unauthorizedStatus: 401,
  poMaxLength: 20,
  requiredShipToFields: ['name', 'address_line_1', 'city', 'state', 'postal_code', 'country'],
  shipToMaxLengths: { name: 35, company: 35, address_line_1: 35, address_line_2: 35, city: 30, postal_code: 10 },
  allowedCountries: ['US'],
  duplicatePoMode: 'reject',
  refusalShapes: {
    validation: 'status',
    address: 'mainframe',
    unknown_part: 'mainframe',
    not_dropship_eligible: 'status',
    dealer_mismatch: 'status',
    dropship_disabled: 'status',
    duplicate_po: 'status',
    price_mismatch: 'mainframe',
    out_of_stock: 'status',
  },
  readRefusal: null,
  refusalTransport: 'body',
  messages: {
    validation: 'Invalid request: {field}',
    address: 'Ship to address: {field}',
    unknown_part: 'Part number {part} not found',
    not_dropship_eligible: 'Part {part} is not eligible for drop ship',
    dealer_mismatch: 'Dealer number is not valid for this API key',
    dropship_disabled: 'Dealer is not set up for drop ship orders',
    duplicate_po: 'Duplicate purchase order number {po}',
    price_mismatch: 'Price for part {part} does not match dealer price',
    out_of_stock: 'Part {part} is out of stock',
  },
  backorderWhenShort: true,
  nonOrderableStatuses: ['D', 'NLA', 'X'],
  pageSize: 10,
  inventoryDisplayCap: null,
  shipDateFormat: 'date',
  retryAfterSeconds: 1,
  firstReferenceNumber: 5_000_001,
  pullsPerDay: 2,
  priceFileCaColumn: false,
  priceFileInjectedLines: [],
};

/** The status code each refusal carries (in the body, or as the HTTP status). */
export const PU_REFUSAL_CODES: Record<PuRefusalKind, number> = {
  validation: 400,
  address: 400,
  unknown_part: 400,
  not_dropship_eligible: 400,
  dealer_mismatch: 403,
  dropship_disabled: 403,
  duplicate_po: 409,
  price_mismatch: 400,
  out_of_stock: 400,
};

export const PU_WAREHOUSES = ['WI', 'NY', 'TX', 'NV', 'NC'];

export interface PuAccountInput {
  credentials: { dealerNumber: string; apiKey: string };
  flags?: { dropshipEnabled?: boolean };
  /** Which environment the key was issued for (default: the simulator's). */
  environment?: PuEnvironment;
}

interface PuAccount {
  dealerNumber: string;
  apiKey: string;
  environment: PuEnvironment;
  flags: { dropshipEnabled: boolean };
}

export interface PuItemInput {
  status?: string;
  /** Dealer price (the dealer file's Your Dealer Price); null leaves the part out of the dealer file. */
  price?: number | null;
  basePrice?: number;
  retailPrice?: number;
  dropShipFee?: number;
  dropShipEligible?: boolean;
  /** Stock per warehouse; a warehouse not listed shows `N/A` in the price file. */
  warehouses?: Record<string, number>;
  description?: string;
  upc?: string;
  brand?: string;
  vendorPartNumber?: string;
}

interface PuItem {
  partNumber: string;
  status: string;
  price: number;
  /** False: the part is not in the dealer price file (its cost is then the base dealer price). */
  inDealerFile?: boolean;
  basePrice: number;
  retailPrice: number;
  dropShipFee: number;
  dropShipEligible: boolean;
  warehouses: Record<string, number>;
  description?: string;
  upc?: string;
  brand?: string;
  vendorPartNumber?: string;
}

export interface PuFeedAccountInput {
  dealerNumber: string;
  username: string;
  password: string;
}

interface PuShipment {
  trackingNumber: string;
  carrier: string;
  lines: { sku: string; quantity: number }[];
  shippedAt: string;
  warehouse?: string;
}

interface PuOrder {
  poNumber: string;
  orderId: string;
  account: string;
  orderType: string;
  lines: { lineNumber: number; sku: string; quantity: number; backordered: number }[];
  shipTo: Record<string, unknown>;
  shipments: PuShipment[];
  createdAt: string;
  cancelled: boolean;
  warehouse?: string;
  request: unknown;
}

export interface PuControlOrder {
  poNumber: string;
  orderId: string;
  account: string;
  lines: { sku: string; quantity: number }[];
  shipments: PuShipment[];
  createdAt: string;
  status: string;
}

export interface PuShipInput {
  lines?: { sku: string; quantity: number }[];
  carrier?: string;
  trackingNumber?: string;
  warehouse?: string;
  shippedAt?: string;
}

export interface PuSimulatorOptions extends Partial<PuSimulatorConfig> {
  /** Clock for order dates (tests). */
  now?: () => Date;
}

class ControlError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

const norm = (p: string) => String(p).toUpperCase().replace(/[^A-Z0-9]/g, '');

export class PartsUnlimitedSimulator {
  readonly harness: SimulatorHarness;
  private config: PuSimulatorConfig;
  private readonly initialConfig: PuSimulatorConfig;
  private readonly now: () => Date;
  private accounts = new Map<string, PuAccount>(); // by apiKey
  private items = new Map<string, PuItem>(); // by normalized part number
  private orders: PuOrder[] = [];
  private refCounter = 0;
  private trackingCounter = 0;
  private feedAccounts = new Map<string, PuFeedAccountInput>(); // by username
  private pulls = new Map<string, number>(); // `${dealer}|${UTC day}` → pulls

  constructor(options: PuSimulatorOptions = {}) {
    const { now, ...cfg } = options;
    this.now = now ?? (() => new Date());
    this.initialConfig = mergeConfig(DEFAULT_PU_SIMULATOR_CONFIG, cfg);
    this.config = this.initialConfig;
    this.harness = new SimulatorHarness('parts-unlimited', {
      errorBody: (status) => ({ status_code: status, status_message: status >= 500 ? 'Internal Server Error' : `Error ${status}` }),
      throttle: (reply, retryAfterSeconds) =>
        reply
          .code(429)
          .header('retry-after', String(retryAfterSeconds || this.config.retryAfterSeconds))
          .send({ status_code: 429, status_message: 'Too many requests' }),
      reset: () => this.resetState(),
    });
    this.registerApiRoutes();
    this.registerControlRoutes();
  }

  // ------------------------------------------------------------------ typed control methods

  listen(port = 0): Promise<string> {
    return this.harness.listen(port);
  }

  close(): Promise<void> {
    return this.harness.close();
  }

  upsertAccount(input: PuAccountInput): { dealerNumber: string; environment: PuEnvironment; flags: { dropshipEnabled: boolean } } {
    const c = input?.credentials;
    if (!c || typeof c.dealerNumber !== 'string' || typeof c.apiKey !== 'string' || !c.dealerNumber || !c.apiKey) {
      throw new ControlError(400, 'credentials.dealerNumber and credentials.apiKey are required strings');
    }
    const existing = this.accounts.get(c.apiKey);
    // Accounts are keyed by API key: one key belongs to one dealer, and a dealer may hold both a
    // staging and a production key.
    const account: PuAccount = {
      dealerNumber: c.dealerNumber,
      apiKey: c.apiKey,
      environment: input.environment ?? existing?.environment ?? this.config.environment,
      flags: { dropshipEnabled: input.flags?.dropshipEnabled ?? existing?.flags.dropshipEnabled ?? true },
    };
    this.accounts.set(c.apiKey, account);
    return { dealerNumber: account.dealerNumber, environment: account.environment, flags: { ...account.flags } };
  }

  upsertItem(sku: string, input: PuItemInput): PuItem {
    const key = norm(sku);
    if (!key) throw new ControlError(400, 'sku must contain letters or digits');
    const prev = this.items.get(key);
    const warehouses: Record<string, number> = {};
    for (const [code, qty] of Object.entries(input?.warehouses ?? prev?.warehouses ?? {})) {
      const q = Number(qty);
      if (!Number.isFinite(q) || q < 0) throw new ControlError(400, `warehouses.${code} must be a number ≥ 0`);
      warehouses[code.toUpperCase()] = Math.floor(q);
    }
    const price = input?.price ?? prev?.price ?? 10;
    const item: PuItem = {
      partNumber: prev?.partNumber ?? sku,
      status: input?.status ?? prev?.status ?? 'S',
      price,
      ...(input?.price === null || (input?.price === undefined && prev?.inDealerFile === false) ? { inDealerFile: false } : {}),
      basePrice: input?.basePrice ?? prev?.basePrice ?? price,
      retailPrice: input?.retailPrice ?? prev?.retailPrice ?? Math.round(price * 150) / 100,
      dropShipFee: input?.dropShipFee ?? prev?.dropShipFee ?? 0,
      dropShipEligible: input?.dropShipEligible ?? prev?.dropShipEligible ?? true,
      warehouses,
      description: input?.description ?? prev?.description,
      upc: input?.upc ?? prev?.upc,
      brand: input?.brand ?? prev?.brand,
      vendorPartNumber: input?.vendorPartNumber ?? prev?.vendorPartNumber,
    };
    this.items.set(key, item);
    return item;
  }

  /** A dealer-website user allowed to pull the dealer's price file. */
  upsertFeedAccount(input: PuFeedAccountInput): { dealerNumber: string; username: string } {
    for (const k of ['dealerNumber', 'username', 'password'] as const) {
      if (typeof input?.[k] !== 'string' || input[k] === '') throw new ControlError(400, `${k} is required`);
    }
    this.feedAccounts.set(input.username, { dealerNumber: input.dealerNumber, username: input.username, password: input.password });
    return { dealerNumber: input.dealerNumber, username: input.username };
  }

  /**
   * Replaces the catalog with `count` deterministic synthetic parts (same count and seed → same
   * parts): part numbers like `1401-0007`, every 10th description `Bremsbeläge …` (latin-1),
   * about 5% discontinued, stock with `+` (10 or more) and `N/A` cells, every 20th part missing
   * from the dealer file.
   */
  generateCatalog(count: number, seed = 1): { count: number; firstPart: string | null; lastPart: string | null } {
    if (!Number.isInteger(count) || count < 0 || count > 2_000_000) throw new ControlError(400, 'count must be a whole number from 0 to 2000000');
    if (!Number.isInteger(seed)) throw new ControlError(400, 'seed must be a whole number');
    this.items.clear();
    const rnd = seededRandom(seed);
    const brands = ['Moose Racing', 'Drag Specialties', 'Pro Circuit', 'Twin Power', 'Tourmaster', 'Z1R', 'Bikemaster', 'Cobra'];
    let first: string | null = null;
    let last: string | null = null;
    for (let i = 0; i < count; i++) {
      const partNumber = `${String(1000 + ((i + seed) % 9000))}-${String(Math.floor(i / 9000)).padStart(4, '0')}`;
      const basePrice = Math.round((3 + rnd() * 500) * 100) / 100;
      const r = rnd();
      const warehouses: Record<string, number> = {};
      for (const w of PU_WAREHOUSES) {
        const q = rnd();
        if (q >= 0.2) warehouses[w] = Math.floor((q - 0.2) * 40);
      }
      const brand = brands[i % brands.length];
      const item: PuItem = {
        partNumber,
        status: r < 0.05 ? 'D' : 'S',
        price: Math.round(basePrice * 90) / 100,
        ...(i % 20 === 19 ? { inDealerFile: false } : {}),
        basePrice,
        retailPrice: Math.round(basePrice * 140) / 100,
        dropShipFee: i % 4 === 0 ? 0 : 3,
        dropShipEligible: true,
        warehouses,
        description: i % 10 === 0 ? `Bremsbeläge vorne ${partNumber}` : i % 10 === 5 ? `Handlebar 7/8", black` : `Brake pads, front ${partNumber}`,
        upc: String(600_000_000_000 + i * 13 + seed),
        brand,
        vendorPartNumber: `${brand.slice(0, 2).toUpperCase()}${100000 + i}`,
      };
      this.items.set(norm(partNumber), item);
      first ??= partNumber;
      last = partNumber;
    }
    return { count, firstPart: first, lastPart: last };
  }

  listOrders(): { orders: PuControlOrder[] } {
    return {
      orders: this.orders.map((o) => ({
        poNumber: o.poNumber,
        orderId: o.orderId,
        account: o.account,
        lines: o.lines.map((l) => ({ sku: l.sku, quantity: l.quantity })),
        shipments: o.shipments.map((s) => ({ ...s, lines: s.lines.map((l) => ({ ...l })) })),
        createdAt: o.createdAt,
        status: orderStatus(o),
      })),
    };
  }

  /** Ships lines of the (latest unshipped) order under this PO with one new tracking number. */
  shipOrder(poNumber: string, input: PuShipInput = {}): { poNumber: string; orderId: string; shipment: PuShipment } {
    const candidates = this.orders.filter((o) => o.poNumber === poNumber);
    if (!candidates.length) throw new ControlError(404, `no order has PO ${poNumber}`);
    const order = candidates.find((o) => unshipped(o).some((l) => l.quantity > 0)) ?? candidates[candidates.length - 1];
    const remaining = unshipped(order);
    let lines: { sku: string; quantity: number }[];
    if (input.lines && input.lines.length) {
      lines = [];
      for (const l of input.lines) {
        const left = remaining.find((r) => norm(r.sku) === norm(l.sku));
        if (!left) throw new ControlError(400, `PO ${poNumber} has no line for ${l.sku}`);
        const q = Number(l.quantity);
        if (!Number.isInteger(q) || q <= 0 || q > left.quantity) {
          throw new ControlError(400, `quantity for ${l.sku} must be 1..${left.quantity}`);
        }
        lines.push({ sku: left.sku, quantity: q });
      }
    } else {
      lines = remaining.filter((l) => l.quantity > 0);
      if (!lines.length) throw new ControlError(409, `PO ${poNumber} has nothing left to ship`);
    }
    this.trackingCounter += 1;
    const shipment: PuShipment = {
      trackingNumber: input.trackingNumber ?? `1ZPU${String(this.trackingCounter).padStart(12, '0')}`,
      carrier: input.carrier ?? 'UPS',
      lines,
      shippedAt: input.shippedAt ?? this.now().toISOString(),
      ...((input.warehouse ?? order.warehouse) ? { warehouse: input.warehouse ?? order.warehouse } : {}),
    };
    order.shipments.push(shipment);
    return { poNumber, orderId: order.orderId, shipment };
  }

  /** Marks the order under this PO cancelled (status CANCELLED in the list). */
  cancelOrder(poNumber: string): void {
    const order = this.orders.filter((o) => o.poNumber === poNumber).pop();
    if (!order) throw new ControlError(404, `no order has PO ${poNumber}`);
    order.cancelled = true;
  }

  setConfig(patch: Partial<PuSimulatorConfig>): PuSimulatorConfig {
    this.config = mergeConfig(this.config, patch ?? {});
    return this.getConfig();
  }

  getConfig(): PuSimulatorConfig {
    return JSON.parse(JSON.stringify(this.config));
  }

  addFault(fault: Fault): void {
    this.harness.addFault(fault);
  }

  get requests() {
    return this.harness.requests;
  }

  reset(): void {
    this.harness.requests.length = 0;
    this.resetState();
  }

  private resetState(): void {
    this.feedAccounts.clear();
    this.pulls.clear();
    this.accounts.clear();
    this.items.clear();
    this.orders = [];
    this.refCounter = 0;
    this.trackingCounter = 0;
    this.config = this.initialConfig;
  }

  // ------------------------------------------------------------------ API

  private authenticate(req: FastifyRequest, reply: FastifyReply): PuAccount | undefined {
    const raw = req.headers['api-key'];
    const key = Array.isArray(raw) ? raw[0] : raw;
    const account = key ? this.accounts.get(key) : undefined;
    if (!account || account.environment !== this.config.environment) {
      reply.code(this.config.unauthorizedStatus).send({
        status_code: this.config.unauthorizedStatus,
        status_message: key ? 'Invalid API key' : 'Missing api-key header',
      });
      return undefined;
    }
    return account;
  }

  /** authenticate(), then the configured read refusal if there is one. */
  private authenticateRead(req: FastifyRequest, reply: FastifyReply): PuAccount | undefined {
    const account = this.authenticate(req, reply);
    if (!account || !this.config.readRefusal) return account;
    this.refuse(reply, this.config.readRefusal);
    return undefined;
  }

  private refuse(reply: FastifyReply, kind: PuRefusalKind, vars: Record<string, string | number> = {}) {
    let text = this.config.messages[kind] ?? kind;
    for (const [k, v] of Object.entries(vars)) text = text.split(`{${k}}`).join(String(v));
    const code = PU_REFUSAL_CODES[kind];
    const httpStatus = this.config.refusalTransport === 'http' ? code : 200;
    if (this.config.refusalShapes[kind] === 'mainframe') {
      return reply.code(httpStatus).send({ mainframeErrors: [{ text }] });
    }
    return reply.code(httpStatus).send({ status_code: code, status_message: text });
  }

  private registerApiRoutes(): void {
    const app = this.harness.app;
    const placeOrder = async (req: FastifyRequest, reply: FastifyReply) => {
      const account = this.authenticate(req, reply);
      if (!account) return reply;
      return this.handleOrder(account, req.body, reply);
    };
    app.post('/api/orders/dropship', placeOrder);
    app.post('/api/v2/orders/dropship', placeOrder);

    app.get('/api/quotes/v2/pricefile/status', async (req, reply) => {
      const acct = this.feedAuth(req, reply);
      if (!acct) return reply;
      return { dealerCodes: [acct.dealerNumber], pullsToday: this.pulls.get(this.pullKey(acct.dealerNumber)) ?? 0, pullsPerDay: this.config.pullsPerDay };
    });
    app.post('/api/quotes/v2/pricefile', async (req, reply) => {
      const acct = this.feedAuth(req, reply);
      if (!acct) return reply;
      const body = req.body && typeof req.body === 'object' && !Array.isArray(req.body) ? (req.body as Record<string, unknown>) : undefined;
      if (!body || !Array.isArray(body.dealerCodes) || body.dealerCodes.length === 0) {
        return reply.code(400).send({ message: 'dealerCodes is required' });
      }
      const codes = body.dealerCodes.map(String);
      const foreign = codes.find((c) => c !== acct.dealerNumber);
      if (foreign) return reply.code(403).send({ message: `User is not authorized for dealer code ${foreign}` });
      const key = this.pullKey(acct.dealerNumber);
      const pulls = this.pulls.get(key) ?? 0;
      if (pulls >= this.config.pullsPerDay) {
        const now = this.now();
        const midnight = Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate() + 1);
        return reply
          .code(429)
          .header('retry-after', String(Math.max(1, Math.ceil((midnight - now.getTime()) / 1000))))
          .send({ message: `The price file may be pulled ${this.config.pullsPerDay} times a day; try again tomorrow.` });
      }
      this.pulls.set(key, pulls + 1);
      const items = [...this.items.values()];
      const zip = new ZipFile();
      // Level 1: the simulator should not be the slow part of a 200,000-row test.
      zip.addReadStream(Readable.from(this.baseFileChunks(items)), 'BasePriceFile.csv', { compressionLevel: 1 });
      zip.addReadStream(Readable.from(dealerFileChunks(items)), `${acct.dealerNumber}_PriceFile.csv`, { compressionLevel: 1 });
      zip.end();
      return reply.type('application/zip').header('content-disposition', 'attachment; filename="PriceFile.zip"').send(zip.outputStream);
    });

    app.get('/api/orders/dropship', async (req, reply) => {
      const account = this.authenticateRead(req, reply);
      if (!account) return reply;
      const q = req.query as Record<string, string | undefined>;
      return this.handleList(account, reply, {
        orderFrom: q.date_start,
        orderTo: q.date_end,
        page: q.page_num,
        orderType: q.order_type,
        requireOrderDates: true,
        names: ['date_start', 'date_end'],
      });
    });
    app.get('/api/v2/orders/dropship', async (req, reply) => {
      const account = this.authenticateRead(req, reply);
      if (!account) return reply;
      const q = req.query as Record<string, string | undefined>;
      return this.handleList(account, reply, {
        orderFrom: q.order_date_start,
        orderTo: q.order_date_end,
        shipFrom: q.ship_date_start,
        shipTo: q.ship_date_end,
        page: q.page_num,
        requireOrderDates: false,
        names: ['order_date_start', 'order_date_end'],
      });
    });

    app.get('/api/v1/parts/inventory/:parts', async (req, reply) => {
      const account = this.authenticateRead(req, reply);
      if (!account) return reply;
      const parts = splitParts((req.params as { parts: string }).parts);
      const cap = this.config.inventoryDisplayCap;
      return {
        availability: parts.map((p) => {
          const item = this.items.get(norm(p));
          if (!item) return { partNumber: p, found: false, warehouses: [] };
          return {
            partNumber: p,
            found: true,
            warehouses: Object.entries(item.warehouses).map(([code, qty]) => ({
              code,
              quantity: cap !== null && cap !== undefined && qty > cap ? `${cap}+` : qty,
            })),
          };
        }),
      };
    });
    app.get('/api/v1/parts/pricing/:parts', async (req, reply) => {
      const account = this.authenticateRead(req, reply);
      if (!account) return reply;
      const parts = splitParts((req.params as { parts: string }).parts);
      return {
        pricing: parts.map((p) => {
          const item = this.items.get(norm(p));
          if (!item) return { partNumber: p, found: false };
          return { partNumber: p, found: true, basePrice: item.basePrice, dealerPrice: item.price, retailPrice: item.retailPrice };
        }),
      };
    });
  }

  private handleOrder(account: PuAccount, rawBody: unknown, reply: FastifyReply) {
    const cfg = this.config;
    if (!rawBody || typeof rawBody !== 'object' || Array.isArray(rawBody)) {
      return reply.code(400).send({ status_code: 400, status_message: 'Request body must be a JSON object' });
    }
    const body = rawBody as Record<string, unknown>;
    if (String(body.dealer_number ?? '') !== account.dealerNumber) return this.refuse(reply, 'dealer_mismatch');
    if (!account.flags.dropshipEnabled) return this.refuse(reply, 'dropship_disabled');

    const po = body.purchase_order_number;
    if (typeof po !== 'string' || !po.trim()) return this.refuse(reply, 'validation', { field: 'purchase_order_number is required' });
    if (po.length > cfg.poMaxLength) {
      return this.refuse(reply, 'validation', { field: `purchase_order_number exceeds ${cfg.poMaxLength} characters`, max: cfg.poMaxLength });
    }

    const st = body.ship_to_address;
    if (!st || typeof st !== 'object' || Array.isArray(st)) return this.refuse(reply, 'address', { field: 'ship_to_address is required' });
    const ship = st as Record<string, unknown>;
    for (const f of cfg.requiredShipToFields) {
      if (typeof ship[f] !== 'string' || !(ship[f] as string).trim()) return this.refuse(reply, 'address', { field: `${f} is required` });
    }
    if (typeof ship.state === 'string' && !/^[A-Za-z]{2}$/.test(ship.state)) {
      return this.refuse(reply, 'address', { field: 'state must be a 2-letter code' });
    }
    for (const [f, max] of Object.entries(cfg.shipToMaxLengths)) {
      const v = ship[f];
      if (typeof v === 'string' && max !== undefined && v.length > max) {
        return this.refuse(reply, 'address', { field: `${f} exceeds ${max} characters`, max });
      }
    }
    if (cfg.allowedCountries.length && typeof ship.country === 'string' && !cfg.allowedCountries.includes(ship.country.toUpperCase())) {
      return this.refuse(reply, 'address', { field: `country ${ship.country} is not served` });
    }

    const rawLines = body.line_items;
    if (!Array.isArray(rawLines) || rawLines.length === 0) return this.refuse(reply, 'validation', { field: 'line_items must not be empty' });
    const lines: { lineNumber: number; item: PuItem; part: string; quantity: number; price?: number }[] = [];
    for (let i = 0; i < rawLines.length; i++) {
      const l = rawLines[i] as Record<string, unknown>;
      const part = typeof l?.part_number === 'string' ? l.part_number : '';
      if (!part) return this.refuse(reply, 'validation', { field: `line_items[${i}].part_number is required` });
      const qty = Number(l.quantity);
      if (!Number.isInteger(qty) || qty <= 0) return this.refuse(reply, 'validation', { field: `line_items[${i}].quantity must be a positive integer` });
      const item = this.items.get(norm(part));
      if (!item || cfg.nonOrderableStatuses.includes(item.status)) return this.refuse(reply, 'unknown_part', { part });
      if (!item.dropShipEligible) return this.refuse(reply, 'not_dropship_eligible', { part });
      lines.push({
        lineNumber: Number.isFinite(Number(l.line_number)) ? Number(l.line_number) : i + 1,
        item,
        part,
        quantity: qty,
        price: l.price === undefined ? undefined : Number(l.price),
      });
    }
    const validatePrice = body.validate_price === true || body.validate_price === 1 || body.validate_price === 'true';
    if (validatePrice) {
      const bad = lines.find((l) => l.price !== undefined && Math.abs(l.price - l.item.price) > 0.005);
      if (bad) return this.refuse(reply, 'price_mismatch', { part: bad.part });
    }

    if (cfg.duplicatePoMode === 'reject' && this.orders.some((o) => o.account === account.dealerNumber && o.poNumber === po)) {
      return this.refuse(reply, 'duplicate_po', { po });
    }

    // Stock: allocate from warehouses in their listed order; the rest is back-ordered.
    const backorderOk = body.cancellation_policy === 'back_order';
    const shortages = lines.filter((l) => totalStock(l.item) < l.quantity);
    if (shortages.length && !(cfg.backorderWhenShort && backorderOk)) {
      return this.refuse(reply, 'out_of_stock', { part: shortages[0].part });
    }
    let firstWarehouse: string | undefined;
    const orderLines = lines.map((l) => {
      let need = l.quantity;
      for (const code of Object.keys(l.item.warehouses)) {
        const take = Math.min(need, l.item.warehouses[code]);
        if (take > 0) {
          l.item.warehouses[code] -= take;
          need -= take;
          firstWarehouse ??= code;
        }
      }
      return { lineNumber: l.lineNumber, sku: l.part, quantity: l.quantity, backordered: need };
    });

    this.refCounter += 1;
    const reference = String(cfg.firstReferenceNumber + this.refCounter - 1);
    const order: PuOrder = {
      poNumber: po,
      orderId: reference,
      account: account.dealerNumber,
      orderType: typeof body.order_type === 'string' ? body.order_type : 'DS',
      lines: orderLines,
      shipTo: { ...ship },
      shipments: [],
      createdAt: this.now().toISOString(),
      cancelled: false,
      warehouse: firstWarehouse,
      request: body,
    };
    this.orders.push(order);
    const backordered = orderLines.some((l) => l.backordered > 0);
    const total = lines.reduce((sum, l) => sum + l.quantity * l.item.price + l.item.dropShipFee, 0);
    return reply.code(200).send({
      status_code: backordered ? 202 : 200,
      status_message: backordered ? 'Order accepted with back-ordered lines' : 'Order submitted successfully',
      reference_number: reference,
      order_total: Math.round(total * 100) / 100,
      line_items: orderLines.map((l) => ({
        line_number: l.lineNumber,
        part_number: l.sku,
        ordered: { quantity: l.quantity },
        ...(l.backordered ? { backordered: { quantity: l.backordered } } : {}),
      })),
    });
  }

  private handleList(
    account: PuAccount,
    reply: FastifyReply,
    q: {
      orderFrom?: string;
      orderTo?: string;
      shipFrom?: string;
      shipTo?: string;
      page?: string;
      orderType?: string;
      requireOrderDates: boolean;
      names: [string, string];
    },
  ) {
    const dateOk = (d: string | undefined) => d === undefined || /^\d{4}-\d{2}-\d{2}$/.test(d);
    for (const [name, v] of [
      [q.names[0], q.orderFrom],
      [q.names[1], q.orderTo],
      ['ship_date_start', q.shipFrom],
      ['ship_date_end', q.shipTo],
    ] as const) {
      if (!dateOk(v)) return reply.code(400).send({ status_code: 400, status_message: `${name} must be YYYY-MM-DD` });
    }
    if (q.requireOrderDates && (!q.orderFrom || !q.orderTo)) {
      return reply.code(400).send({ status_code: 400, status_message: `${q.names[0]} and ${q.names[1]} are required (YYYY-MM-DD)` });
    }
    const page = q.page === undefined ? 1 : Number(q.page);
    if (!Number.isInteger(page) || page < 1) return reply.code(400).send({ status_code: 400, status_message: 'page_num must be a positive integer' });

    const matches = this.orders.filter((o) => {
      if (o.account !== account.dealerNumber) return false;
      if (q.orderType && o.orderType !== q.orderType) return false;
      const d = o.createdAt.slice(0, 10);
      if (q.orderFrom && d < q.orderFrom) return false;
      if (q.orderTo && d > q.orderTo) return false;
      if (q.shipFrom || q.shipTo) {
        const inRange = o.shipments.some((s) => {
          const sd = s.shippedAt.slice(0, 10);
          return (!q.shipFrom || sd >= q.shipFrom) && (!q.shipTo || sd <= q.shipTo);
        });
        if (!inRange) return false;
      }
      return true;
    });
    const size = Math.max(1, this.config.pageSize);
    const totalPages = Math.ceil(matches.length / size);
    const slice = matches.slice((page - 1) * size, page * size);
    return {
      page_num: page,
      total_pages: totalPages,
      total_count: matches.length,
      orders: slice.map((o) => this.listEntry(o)),
    };
  }

  private listEntry(o: PuOrder) {
    const shippedBySku = new Map<string, number>();
    for (const s of o.shipments) for (const l of s.lines) shippedBySku.set(norm(l.sku), (shippedBySku.get(norm(l.sku)) ?? 0) + l.quantity);
    return {
      purchase_order_number: o.poNumber,
      reference_number: o.orderId,
      order_type: o.orderType,
      order_date: o.createdAt.slice(0, 10),
      status: orderStatus(o),
      line_items: o.lines.map((l) => ({
        line_number: l.lineNumber,
        part_number: l.sku,
        quantity: l.quantity,
        shipped_quantity: Math.min(l.quantity, shippedBySku.get(norm(l.sku)) ?? 0),
      })),
      shipments: o.shipments.map((s) => ({
        carrier: s.carrier,
        tracking_number: s.trackingNumber,
        ship_date: this.config.shipDateFormat === 'iso' ? s.shippedAt : s.shippedAt.slice(0, 10),
        line_items: s.lines.map((l) => ({ part_number: l.sku, quantity: l.quantity })),
      })),
    };
  }

  // ------------------------------------------------------------------ control routes

  private pullKey(dealer: string): string {
    return `${dealer}|${this.now().toISOString().slice(0, 10)}`;
  }

  /** Basic auth against the feed accounts; answers 401 itself and returns undefined then. */
  private feedAuth(req: FastifyRequest, reply: FastifyReply): PuFeedAccountInput | undefined {
    const h = req.headers.authorization;
    const m = typeof h === 'string' ? h.match(/^Basic\s+(\S+)\s*$/i) : null;
    const decoded = m ? Buffer.from(m[1], 'base64').toString('utf8') : '';
    const colon = decoded.indexOf(':');
    const acct = colon > 0 ? this.feedAccounts.get(decoded.slice(0, colon)) : undefined;
    if (!acct || acct.password !== decoded.slice(colon + 1)) {
      reply.code(401).header('www-authenticate', 'Basic realm="dealer.parts-unlimited.com"').send({ message: 'Invalid username or password' });
      return undefined;
    }
    return acct;
  }

  /** BasePriceFile.csv (§2.5 columns, latin-1, CRLF), a chunk of rows at a time. */
  private *baseFileChunks(items: PuItem[]): Generator<Buffer> {
    const ca = this.config.priceFileCaColumn;
    const whs = ca ? [...PU_WAREHOUSES, 'CA'] : PU_WAREHOUSES;
    const header = [
      'Part Number', 'Punctuated Part Number', 'Vendor Part Number', 'Vendor Punctuated Part Number', 'Part Status', 'Part Description',
      'Original Retail', 'Current Suggested Retail', 'Base Dealer Price', 'Hazardous Code', 'Truck Part Only', 'Part Add Date',
      ...whs.map((w) => `${w} Availability`), 'National Availability', 'Trademark', 'Ad Policy', 'Price Changed Today',
      'Unit of Measure', 'UPC Code', 'Brand Name', 'Country of Origin', 'Product Code', 'Drag Part', 'Weight',
      'Closeout Catalog Indicator', 'No Ship to CA', 'Notes', 'Dropship Fee',
    ];
    const injected = [...this.config.priceFileInjectedLines].sort((a, b) => a.afterRow - b.afterRow);
    let inj = 0;
    let chunk = header.map(csvCell).join(',') + '\r\n';
    for (let row = 0; row <= items.length; row++) {
      while (inj < injected.length && injected[inj].afterRow <= row) chunk += injected[inj++].text + '\r\n';
      if (row === items.length) break;
      const it = items[row];
      const plain = norm(it.partNumber);
      const cells = whs.map((w) => {
        const q = it.warehouses[w];
        return q === undefined ? 'N/A' : q >= 10 ? '+' : String(q);
      });
      const national = whs.reduce((a, w) => a + (it.warehouses[w] ?? 0), 0);
      chunk +=
        [
          plain, it.partNumber, it.vendorPartNumber ?? '', it.vendorPartNumber ?? '', it.status, it.description ?? `Part ${it.partNumber}`,
          it.retailPrice.toFixed(2), it.retailPrice.toFixed(2), it.basePrice.toFixed(2), '', 'N', '20200101',
          ...cells, national >= 10 ? '+' : String(national), '', 'N', 'N',
          'EA', it.upc ?? '', it.brand ?? '', 'US', 'A', 'N', '1.00',
          '', '', '', it.dropShipFee.toFixed(2),
        ]
          .map(csvCell)
          .join(',') + '\r\n';
      if (chunk.length > 64_000) {
        yield Buffer.from(chunk, 'latin1');
        chunk = '';
      }
    }
    if (chunk) yield Buffer.from(chunk, 'latin1');
  }

  private registerControlRoutes(): void {
    const app = this.harness.app;
    const wrap =
      <T>(fn: (req: FastifyRequest) => T) =>
      async (req: FastifyRequest, reply: FastifyReply) => {
        try {
          return await fn(req);
        } catch (e) {
          if (e instanceof ControlError) return reply.code(e.status).send({ error: e.message });
          throw e;
        }
      };
    app.post('/__control/accounts', wrap((req) => this.upsertAccount(req.body as PuAccountInput)));
    app.post('/__control/feed-accounts', wrap((req) => this.upsertFeedAccount(req.body as PuFeedAccountInput)));
    app.post(
      '/__control/catalog/generate',
      wrap((req) => {
        const b = (req.body ?? {}) as { count?: number; seed?: number };
        return this.generateCatalog(b.count as number, b.seed ?? 1);
      }),
    );
    app.put('/__control/items/:sku', wrap((req) => this.upsertItem((req.params as { sku: string }).sku, (req.body ?? {}) as PuItemInput)));
    app.get('/__control/orders', wrap(() => this.listOrders()));
    app.post(
      '/__control/orders/:poNumber/ship',
      wrap((req) => this.shipOrder((req.params as { poNumber: string }).poNumber, (req.body ?? {}) as PuShipInput)),
    );
    app.post(
      '/__control/orders/:poNumber/cancel',
      wrap((req) => {
        this.cancelOrder((req.params as { poNumber: string }).poNumber);
        return { cancelled: true };
      }),
    );
    app.get('/__control/config', wrap(() => this.getConfig()));
    app.post('/__control/config', wrap((req) => this.setConfig((req.body ?? {}) as Partial<PuSimulatorConfig>)));
  }
}

function mergeConfig(base: PuSimulatorConfig, patch: Partial<PuSimulatorConfig>): PuSimulatorConfig {
  const clean = Object.fromEntries(Object.entries(patch).filter(([, v]) => v !== undefined)) as Partial<PuSimulatorConfig>;
  return {
    ...base,
    ...clean,
    refusalShapes: { ...base.refusalShapes, ...(clean.refusalShapes ?? {}) },
    messages: { ...base.messages, ...(clean.messages ?? {}) },
    shipToMaxLengths: { ...base.shipToMaxLengths, ...(clean.shipToMaxLengths ?? {}) },
  };
}

function splitParts(list: string): string[] {
  // find-my-way has already decoded the path parameter.
  return String(list ?? '')
    .split(',')
    .map((p) => p.trim())
    .filter(Boolean);
}

function totalStock(item: PuItem): number {
  return Object.values(item.warehouses).reduce((a, b) => a + b, 0);
}

function unshipped(o: PuOrder): { sku: string; quantity: number }[] {
  return o.lines.map((l) => {
    const shipped = o.shipments.reduce(
      (sum, s) => sum + s.lines.filter((x) => norm(x.sku) === norm(l.sku)).reduce((a, x) => a + x.quantity, 0),
      0,
    );
    return { sku: l.sku, quantity: Math.max(0, l.quantity - shipped) };
  });
}

function orderStatus(o: PuOrder): string {
  if (o.cancelled) return 'CANCELLED';
  const left = unshipped(o).reduce((a, l) => a + l.quantity, 0);
  if (!o.shipments.length) return 'OPEN';
  return left === 0 ? 'SHIPPED' : 'PARTIALLY_SHIPPED';
}

export function createPartsUnlimitedSimulator(options: PuSimulatorOptions = {}): PartsUnlimitedSimulator {
  return new PartsUnlimitedSimulator(options);
}

/** A CSV cell, quoted only when it must be. */
function csvCell(v: string): string {
  return /[",\r\n]/.test(v) ? `"${v.replace(/"/g, '""')}"` : v;
}

/** <DEALER>_PriceFile.csv: Part Number, Punctuated Part Number, Your Dealer Price. */
function* dealerFileChunks(items: PuItem[]): Generator<Buffer> {
  let chunk = 'Part Number,Punctuated Part Number,Your Dealer Price\r\n';
  for (const it of items) {
    if (it.inDealerFile === false) continue;
    chunk += `${csvCell(norm(it.partNumber))},${csvCell(it.partNumber)},${it.price.toFixed(2)}\r\n`;
    if (chunk.length > 64_000) {
      yield Buffer.from(chunk, 'latin1');
      chunk = '';
    }
  }
  if (chunk) yield Buffer.from(chunk, 'latin1');
}
