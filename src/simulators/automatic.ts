// Local double of the Automatic Distributors API v0.6.2 (reference §4, §6.4, §8.4).
// Faithful where the reference is confirmed (paths, raw `Authorization: <key>`, the error code
// table, 403/E003 throttling, PO ≤22 printable ASCII, MM/DD/YY dates, `header.ponumber` in create
// answers, tracking vs PRO numbers kept apart except in the range endpoint, ≤365-day windows);
// every [GUESS] is an option here (constructor or POST /__control/config).
//
// The inventory feed (§4.3, §8.5) is served over FTP on a port of its own (`ftpPort`, default any
// free one; `ftpUrl` once listening): `inventory.csv` at the root, UTF-8, header row
// ItemNumber,Description,Brand,MfgPartNumber,UPC,Status,DealerCost,Retail,MAP,DropShipFee,Qty_<wh>…
// Feed control routes:
//   POST /__control/feed-accounts    {username, password}     FTP login
//   POST /__control/catalog/generate {count, seed?}          `count` synthetic, deterministic items
//   POST /__control/feed-file        {raw?: string|null, appendLines?: string[]}  test overrides
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { catalogRandom, priceBetween, upcA } from './catalog-gen';
import { listenWithFeed, SimFtpServer } from './ftp-server';
import { SimulatorHarness, type Fault } from './harness';

export type DuplicatePoMode =
  /** §8.4: a reused purchaseNumber creates another order. */
  | 'allow'
  /** [GUESS] alternative: 400/E100 "purchaseNumber: duplicate purchase number". */
  | 'reject';

export interface AutomaticAddressLimits {
  name: number;
  address1: number;
  address2: number;
  city: number;
  zip: number;
  phone: number;
}

export interface AutomaticSimulatorConfig {
  duplicatePo: DuplicatePoMode;
  /** [GUESS] send Retry-After with 403/E003 (the reference names only the code). */
  throttleRetryAfter: boolean;
  /** When true, a request without `X-Forwarded-Proto: https` is "plain HTTP" → 406/E004. */
  requireHttps: boolean;
  /** §4.2 v2: ≤22 printable ASCII. */
  purchaseNumberMaxLength: number;
  /** §4.2 v2: lookup window ≤365 days. */
  lookupWindowDays: number;
  /** [GUESS] address field lengths. */
  limits: AutomaticAddressLimits;
  /** [GUESS] states without any shipping option → 400/E202. */
  unshippableStates: string[];
  /** [GUESS] accepted `shipToAddress.classification` values. */
  classifications: string[];
  /** [GUESS] accepted `shipMethod` values. */
  shipMethods: string[];
  /** [GUESS] cap on the quantities item/avail reports (null = real stock). */
  stockCap: number | null;
  /**
   * [UNKNOWN] a cancel of an order already cancelled: `answer` the cancelled order again, or
   * `refuse` with 400/E100 "already cancelled".
   */
  recancel: 'answer' | 'refuse';
}

export interface AutomaticSimulatorOptions extends Partial<AutomaticSimulatorConfig> {
  /** Clock (default: real time). */
  now?: () => Date;
  /** First order number (default 7000001). */
  firstOrderNumber?: number;
  /** The FTP feed server's port (0 = any free one, the default). `src/simulators/main.ts` runs it on 2104. */
  ftpPort?: number;
  /** Enables explicit FTPS on the feed server. */
  ftpTls?: { key: string | Buffer; cert: string | Buffer };
}

/** The FTP port of the sandbox (`src/simulators/main.ts`). */
export const AUTOMATIC_SIM_FTP_PORT = 2104;
export const AUTOMATIC_FEED_FILE_NAME = 'inventory.csv';
const FEED_COLUMNS = ['ItemNumber', 'Description', 'Brand', 'MfgPartNumber', 'UPC', 'Status', 'DealerCost', 'Retail', 'MAP', 'DropShipFee'];
const GENERATED_MAX = 900000;
const GENERATED_WAREHOUSES = ['MAIN'];
const BRANDS: [string, string][] = [
  ['Kimpex', 'KIM'],
  ['EBC', 'FA'],
  ['Moose Racing', 'M'],
  ['All Balls', 'AB'],
  ['BikeMaster', 'BM'],
  ['Fire Power', 'FP'],
  ['K&N', 'KN'],
  ['NGK', 'NGK'],
  ['Shinko', 'SH'],
  ['Sno-X', 'SX'],
];
const PRODUCTS = ['Brake Pads, Sintered', 'Spark Plug', 'Air Filter', 'Wheel Bearing Kit', 'Battery 12V', '7/8" Handlebar', 'Drive Belt', 'Carbide Runner', 'Fork Seal Kit', 'Oil Filter'];

function csvField(v: string | number | undefined | null): string {
  const s = v === undefined || v === null ? '' : String(v);
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

export interface AutomaticAccountFlags {
  /** §6: `api_access_enabled`; false → 423/E002 on every call. */
  apiAccessEnabled: boolean;
  /** §4.2 v2: the PO is "required only if the account flag says so". */
  purchaseNumberRequired: boolean;
}

interface Account {
  accountNumber: string;
  apiToken: string;
  flags: AutomaticAccountFlags;
}

export interface AutomaticItemInput {
  status?: string;
  price?: number;
  dropShipFee?: number;
  dropShipEligible?: boolean;
  warehouses?: Record<string, number>;
  /** CARB-restricted: cannot ship to CA (422/E005). */
  carbRestricted?: boolean;
  /** Further states the item may not ship to (422/E005). */
  restrictedStates?: string[];
  /** Inventory-file fields (§8.5). */
  description?: string;
  brand?: string;
  mfgPartNumber?: string;
  upc?: string;
  retailPrice?: number;
  mapPrice?: number;
}

interface Item {
  sku: string;
  status: string;
  price: number;
  description?: string;
  brand?: string;
  mfgPartNumber?: string;
  upc?: string;
  retailPrice?: number;
  mapPrice?: number;
  dropShipFee: number;
  dropShipEligible: boolean;
  warehouses: Record<string, number>;
  carbRestricted: boolean;
  restrictedStates: string[];
}

interface OrderLine {
  lineNumber: number;
  number: string;
  quantityOrdered: number;
  quantityShipped: number;
  price: number;
}

interface Shipment {
  generation: string;
  carrier: string;
  trackingNumber: string | null;
  proNumber: string | null;
  shippedAt: Date;
  items: { number: string; quantity: number }[];
  warehouse?: string;
}

interface ShipToAddress {
  name: string;
  address1: string;
  address2?: string;
  city: string;
  state: string;
  zip: string;
  phone?: string;
  classification?: string;
}

interface Order {
  orderNumber: string;
  poNumber: string;
  accountNumber: string;
  createdAt: Date;
  shipMethod: string;
  shipToAddress: ShipToAddress;
  lines: OrderLine[];
  shipments: Shipment[];
  cancelled: boolean;
}

export interface ShipRequest {
  lines?: { sku: string; quantity: number }[];
  /** Automatic's carrier name (e.g. `UPS Ground`, `FedEx Home Delivery`, `R+L Carriers`). */
  carrier?: string;
  trackingNumber?: string;
  /** LTL freight PRO number; with no trackingNumber the shipment is freight-only. */
  proNumber?: string;
  warehouse?: string;
}

export interface ControlOrder {
  poNumber: string;
  orderId: string;
  account: string;
  status: string;
  lines: { sku: string; quantity: number }[];
  shipments: {
    trackingNumber: string;
    proNumber?: string;
    carrier: string;
    lines: { sku: string; quantity: number }[];
    shippedAt: string;
    warehouse?: string;
  }[];
  createdAt: string;
}

export class SimulatorControlError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

const DEFAULT_CONFIG: AutomaticSimulatorConfig = {
  duplicatePo: 'allow',
  throttleRetryAfter: false,
  requireHttps: false,
  purchaseNumberMaxLength: 22,
  lookupWindowDays: 365,
  limits: { name: 35, address1: 35, address2: 35, city: 30, zip: 10, phone: 15 },
  unshippableStates: ['AA', 'AE', 'AP'],
  classifications: ['RESIDENTIAL', 'COMMERCIAL'],
  shipMethods: ['BEST', 'UPS GROUND', 'FEDEX GROUND', 'FEDEX HOME DELIVERY', 'USPS PRIORITY', 'LTL'],
  stockCap: null,
  recancel: 'answer',
};

const US_STATES = new Set(
  (
    'AL AK AZ AR CA CO CT DE DC FL GA HI ID IL IN IA KS KY LA ME MD MA MI MN MS MO MT NE NV NH NJ NM NY NC ND OH OK OR ' +
    'PA RI SC SD TN TX UT VT VA WA WV WI WY PR VI GU AS MP AA AE AP'
  ).split(' '),
);

// C / CLOSEOUT: sold while stock lasts (§8.5 feed status C).
const ORDERABLE_STATUSES = ['ACTIVE', 'A', 'STK', 'NEW', 'C', 'CLOSEOUT'];

const ERROR_MESSAGES: Record<string, string> = {
  E000: 'Internal Server Error',
  E001: 'Unauthorized',
  E002: 'API access disabled',
  E003: 'Too Many Requests',
  E004: 'Not Acceptable: HTTPS and JSON are required',
  E005: 'Item restricted',
  E100: 'Validation error',
  E200: 'Gateway error',
  E201: 'Not found',
  E202: 'No shipping options available',
};

const STATUS_CODES: Record<number, string> = {
  400: 'E100',
  401: 'E001',
  403: 'E003',
  404: 'E201',
  406: 'E004',
  422: 'E005',
  423: 'E002',
  500: 'E000',
  502: 'E200',
  503: 'E200',
};

class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message?: string,
  ) {
    super(message ?? ERROR_MESSAGES[code] ?? 'Error');
  }
}

/** `MM/DD/YY` in UTC (§4.2 v2). */
export function formatAutomaticDate(d: Date): string {
  const p = (n: number) => String(n).padStart(2, '0');
  return `${p(d.getUTCMonth() + 1)}/${p(d.getUTCDate())}/${p(d.getUTCFullYear() % 100)}`;
}

/** Accepts MM/DD/YY, MM/DD/YYYY and YYYY-MM-DD (the range endpoint's format is [UNKNOWN]). */
function parseQueryDate(raw: string | undefined): Date | undefined {
  if (!raw) return undefined;
  let m = /^(\d{1,2})\/(\d{1,2})\/(\d{2}|\d{4})$/.exec(raw);
  if (m) {
    const y = m[3].length === 2 ? 2000 + Number(m[3]) : Number(m[3]);
    return new Date(Date.UTC(y, Number(m[1]) - 1, Number(m[2])));
  }
  m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(raw);
  if (m) return new Date(Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3])));
  return undefined;
}

function startOfDay(d: Date): number {
  return Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate());
}

function listParam(v: unknown): string[] {
  const arr = Array.isArray(v) ? v : v === undefined ? [] : [v];
  return arr
    .flatMap((s) => String(s).split(','))
    .map((s) => s.trim())
    .filter(Boolean);
}

const PRINTABLE_ASCII = /^[\x20-\x7E]*$/;

export class AutomaticSimulator {
  readonly harness: SimulatorHarness;
  config: AutomaticSimulatorConfig;
  private readonly now: () => Date;
  private readonly firstOrderNumber: number;
  private accounts = new Map<string, Account>();
  private items = new Map<string, Item>();
  private orders: Order[] = [];
  private orderCounter = 0;
  private trackingCounter = 0;
  private accountCounter = 0;
  private generated: { count: number; seed: number } | undefined;
  private feedOverride: { raw?: string; appendLines: string[] } = { appendLines: [] };
  readonly ftp: SimFtpServer;
  private readonly ftpPort: number;

  constructor(options: AutomaticSimulatorOptions = {}) {
    const { now, firstOrderNumber, ftpPort, ftpTls, ...config } = options;
    this.ftpPort = ftpPort ?? 0;
    this.ftp = new SimFtpServer({
      files: () => [{ name: AUTOMATIC_FEED_FILE_NAME, content: () => this.feedFileChunks() }],
      ...(ftpTls ? { tls: ftpTls } : {}),
    });
    this.now = now ?? (() => new Date());
    this.firstOrderNumber = firstOrderNumber ?? 7000001;
    this.config = { ...DEFAULT_CONFIG, ...config, limits: { ...DEFAULT_CONFIG.limits, ...config.limits } };
    this.harness = new SimulatorHarness('automatic', {
      errorBody: (status) => {
        const code = STATUS_CODES[status] ?? 'E000';
        return { code, message: ERROR_MESSAGES[code] };
      },
      throttle: (reply, retryAfterSeconds) => {
        if (this.config.throttleRetryAfter) reply.header('retry-after', String(retryAfterSeconds));
        return reply.code(403).send({ code: 'E003', message: ERROR_MESSAGES.E003 });
      },
      reset: () => this.resetState(),
    });
    this.registerControlRoutes(this.harness.app);
    this.harness.app.register(async (api) => this.registerApiRoutes(api));
  }

  // ------------------------------------------------------------------ lifecycle + typed control

  /** Starts the HTTP API on `port` and the FTP feed server on the `ftpPort` option; answers the HTTP URL. */
  async listen(port = 0): Promise<string> {
    return listenWithFeed(this.harness, this.ftp, port, this.ftpPort);
  }

  /** `ftp://127.0.0.1:<port>` of the feed server once listening. */
  get ftpUrl(): string | undefined {
    return this.ftp.url;
  }

  async close(): Promise<void> {
    await Promise.all([this.harness.close(), this.ftp.close()]);
  }

  /** Adds or replaces an FTP login of the inventory feed. */
  upsertFeedAccount(username: string, password: string): void {
    this.ftp.setAccount(username, password);
  }

  /**
   * Fills the catalog with `count` synthetic items (item numbers `10-00000` …), the same ones for
   * the same seed, produced on demand for the file and the API alike (no memory until touched).
   */
  generateCatalog(count: number, seed = 1): { count: number; seed: number } {
    if (!Number.isInteger(count) || count < 0 || count > GENERATED_MAX) throw new SimulatorControlError(400, `count must be an integer 0-${GENERATED_MAX}`);
    if (!Number.isInteger(seed)) throw new SimulatorControlError(400, 'seed must be an integer');
    this.generated = count ? { count, seed } : undefined;
    return { count, seed };
  }

  /** Test override of the FTP file: `raw` replaces it byte for byte (null restores it); `appendLines` go after the items. */
  setFeedFile(patch: { raw?: string | null; appendLines?: string[] }): void {
    if (patch.raw !== undefined) this.feedOverride.raw = patch.raw ?? undefined;
    if (patch.appendLines !== undefined) this.feedOverride.appendLines = [...patch.appendLines];
  }

  /** The feed's warehouse columns: every code an explicit item names, plus the generated ones. */
  feedWarehouses(): string[] {
    const codes = new Set<string>(this.generated || this.items.size === 0 ? GENERATED_WAREHOUSES : []);
    for (const item of this.items.values()) for (const code of Object.keys(item.warehouses)) codes.add(code);
    return [...codes].sort((a, b) => (a === 'MAIN' ? -1 : b === 'MAIN' ? 1 : a.localeCompare(b)));
  }

  /** Every catalog item in file order: the explicit ones sorted, then the generated ones not overridden. */
  *catalogItems(): Generator<Item> {
    yield* [...this.items.values()].sort((a, b) => a.sku.localeCompare(b.sku));
    const g = this.generated;
    if (!g) return;
    for (let i = 0; i < g.count; i++) {
      const sku = generatedSku(i);
      if (!this.items.has(sku)) yield generatedItem(g.seed, i);
    }
  }

  /** The FTP file `inventory.csv` (§8.5), row by row. */
  *feedFileChunks(): Generator<string> {
    if (this.feedOverride.raw !== undefined) {
      yield this.feedOverride.raw;
      return;
    }
    const warehouses = this.feedWarehouses();
    yield [...FEED_COLUMNS, ...warehouses.map((w) => `Qty_${w}`)].join(',') + '\r\n';
    for (const item of this.catalogItems()) {
      const status = this.isOrderable(item) ? (/^C/i.test(item.status) ? 'C' : 'A') : 'D';
      const cells = [
        item.sku,
        item.description,
        item.brand,
        item.mfgPartNumber,
        item.upc,
        status,
        item.price.toFixed(2),
        item.retailPrice?.toFixed(2),
        item.mapPrice?.toFixed(2),
        item.dropShipFee.toFixed(2),
        ...warehouses.map((w) => item.warehouses[w] ?? 0),
      ];
      yield cells.map(csvField).join(',') + '\r\n';
    }
    for (const l of this.feedOverride.appendLines) yield `${l}\r\n`;
  }

  /** An explicit item, or a generated one (materialized on first touch so orders can change its stock). */
  private item(sku: string): Item | undefined {
    const found = this.items.get(sku);
    if (found || !this.generated) return found;
    const i = generatedIndex(sku);
    if (i === undefined || i >= this.generated.count) return undefined;
    const item = generatedItem(this.generated.seed, i);
    this.items.set(sku, item);
    return item;
  }

  resetState(): void {
    this.accounts.clear();
    this.items.clear();
    this.ftp.clearAccounts();
    this.generated = undefined;
    this.feedOverride = { appendLines: [] };
    this.orders = [];
    this.orderCounter = 0;
    this.trackingCounter = 0;
    this.accountCounter = 0;
  }

  addFault(fault: Fault): void {
    this.harness.addFault(fault);
  }

  upsertAccount(credentials: { apiToken: string }, flags: Partial<AutomaticAccountFlags> = {}): { accountNumber: string; flags: AutomaticAccountFlags } {
    if (!credentials || typeof credentials.apiToken !== 'string' || !credentials.apiToken) {
      throw new SimulatorControlError(400, 'credentials.apiToken is required');
    }
    const existing = this.accounts.get(credentials.apiToken);
    const account: Account = existing ?? {
      accountNumber: `AD${String(++this.accountCounter).padStart(6, '0')}`,
      apiToken: credentials.apiToken,
      flags: { apiAccessEnabled: true, purchaseNumberRequired: true },
    };
    account.flags = { ...account.flags, ...flags };
    this.accounts.set(account.apiToken, account);
    return { accountNumber: account.accountNumber, flags: account.flags };
  }

  upsertItem(sku: string, input: AutomaticItemInput): Item {
    const prev = this.items.get(sku);
    const item: Item = {
      sku,
      status: input.status ?? prev?.status ?? 'ACTIVE',
      price: input.price ?? prev?.price ?? 10,
      dropShipFee: input.dropShipFee ?? prev?.dropShipFee ?? 0,
      dropShipEligible: input.dropShipEligible ?? prev?.dropShipEligible ?? true,
      warehouses: { ...(input.warehouses ?? prev?.warehouses ?? {}) },
      carbRestricted: input.carbRestricted ?? prev?.carbRestricted ?? false,
      restrictedStates: (input.restrictedStates ?? prev?.restrictedStates ?? []).map((s) => s.toUpperCase()),
      description: input.description ?? prev?.description,
      brand: input.brand ?? prev?.brand,
      mfgPartNumber: input.mfgPartNumber ?? prev?.mfgPartNumber,
      upc: input.upc ?? prev?.upc,
      retailPrice: input.retailPrice ?? prev?.retailPrice,
      mapPrice: input.mapPrice ?? prev?.mapPrice,
    };
    for (const [code, qty] of Object.entries(item.warehouses)) {
      if (!Number.isFinite(qty) || qty < 0) throw new SimulatorControlError(400, `warehouses.${code} must be a quantity ≥ 0`);
    }
    this.items.set(sku, item);
    return item;
  }

  listOrders(): { orders: ControlOrder[] } {
    return {
      orders: this.orders.map((o) => ({
        poNumber: o.poNumber,
        orderId: o.orderNumber,
        account: o.accountNumber,
        status: this.status(o),
        lines: o.lines.map((l) => ({ sku: l.number, quantity: l.quantityOrdered })),
        shipments: o.shipments.map((s) => ({
          trackingNumber: s.trackingNumber ?? '',
          ...(s.proNumber ? { proNumber: s.proNumber } : {}),
          carrier: s.carrier,
          lines: s.items.map((i) => ({ sku: i.number, quantity: i.quantity })),
          shippedAt: s.shippedAt.toISOString(),
          ...(s.warehouse ? { warehouse: s.warehouse } : {}),
        })),
        createdAt: o.createdAt.toISOString(),
      })),
    };
  }

  /** Ships lines of the latest live order under the PO as one shipment. */
  ship(poNumber: string, req: ShipRequest = {}): ControlOrder['shipments'][number] & { orderId: string } {
    const candidates = this.orders.filter((o) => o.poNumber === poNumber);
    if (candidates.length === 0) throw new SimulatorControlError(404, `no order with PO ${poNumber}`);
    const order = [...candidates].reverse().find((o) => !o.cancelled);
    if (!order) throw new SimulatorControlError(409, `every order under PO ${poNumber} is cancelled`);
    const wanted =
      req.lines && req.lines.length
        ? req.lines
        : order.lines.filter((l) => l.quantityShipped < l.quantityOrdered).map((l) => ({ sku: l.number, quantity: l.quantityOrdered - l.quantityShipped }));
    if (wanted.length === 0) throw new SimulatorControlError(409, `PO ${poNumber} has nothing left to ship`);
    for (const w of wanted) {
      const line = order.lines.find((l) => l.number === w.sku);
      if (!line) throw new SimulatorControlError(400, `PO ${poNumber} has no line for ${w.sku}`);
      if (!Number.isInteger(w.quantity) || w.quantity <= 0 || w.quantity > line.quantityOrdered - line.quantityShipped) {
        throw new SimulatorControlError(400, `cannot ship ${w.quantity} of ${w.sku} on PO ${poNumber}`);
      }
    }
    for (const w of wanted) order.lines.find((l) => l.number === w.sku)!.quantityShipped += w.quantity;
    const freightOnly = !!req.proNumber && !req.trackingNumber;
    const seq = ++this.trackingCounter;
    const shipment: Shipment = {
      generation: String(order.shipments.length + 1).padStart(2, '0'),
      carrier: req.carrier ?? (freightOnly ? 'LTL Freight' : 'UPS Ground'),
      trackingNumber: freightOnly ? null : (req.trackingNumber ?? `1ZAD${String(seq).padStart(12, '0')}`),
      proNumber: req.proNumber ?? null,
      shippedAt: this.now(),
      items: wanted.map((w) => ({ number: w.sku, quantity: w.quantity })),
      ...(req.warehouse ? { warehouse: req.warehouse } : {}),
    };
    order.shipments.push(shipment);
    return {
      orderId: order.orderNumber,
      trackingNumber: shipment.trackingNumber ?? '',
      ...(shipment.proNumber ? { proNumber: shipment.proNumber } : {}),
      carrier: shipment.carrier,
      lines: shipment.items.map((i) => ({ sku: i.number, quantity: i.quantity })),
      shippedAt: shipment.shippedAt.toISOString(),
      ...(shipment.warehouse ? { warehouse: shipment.warehouse } : {}),
    };
  }

  setConfig(patch: Partial<AutomaticSimulatorConfig>): AutomaticSimulatorConfig {
    if (patch.duplicatePo !== undefined && !['allow', 'reject'].includes(patch.duplicatePo)) {
      throw new SimulatorControlError(400, 'duplicatePo must be allow|reject');
    }
    if (patch.recancel !== undefined && !['answer', 'refuse'].includes(patch.recancel)) {
      throw new SimulatorControlError(400, 'recancel must be answer|refuse');
    }
    this.config = { ...this.config, ...patch, limits: { ...this.config.limits, ...patch.limits } };
    return this.config;
  }

  // ------------------------------------------------------------------ control routes

  private registerControlRoutes(app: FastifyInstance): void {
    const guard = async <T>(reply: FastifyReply, fn: () => T) => {
      try {
        return fn();
      } catch (e) {
        if (e instanceof SimulatorControlError) return reply.code(e.status).send({ error: e.message });
        throw e;
      }
    };
    app.post('/__control/accounts', async (req, reply) => {
      const body = (req.body ?? {}) as { credentials?: { apiToken: string }; flags?: Partial<AutomaticAccountFlags> };
      return guard(reply, () => this.upsertAccount(body.credentials as { apiToken: string }, body.flags ?? {}));
    });
    app.put('/__control/items/:sku', async (req, reply) => {
      const { sku } = req.params as { sku: string };
      return guard(reply, () => this.upsertItem(sku, (req.body ?? {}) as AutomaticItemInput));
    });
    app.get('/__control/orders', async () => this.listOrders());
    app.post('/__control/feed-accounts', async (req, reply) => {
      const b = (req.body ?? {}) as { username?: unknown; password?: unknown };
      if (typeof b.username !== 'string' || !b.username || typeof b.password !== 'string' || !b.password) {
        return reply.code(400).send({ error: 'username and password are required strings' });
      }
      this.upsertFeedAccount(b.username, b.password);
      return { account: { username: b.username } };
    });
    app.post('/__control/catalog/generate', async (req, reply) => {
      const b = (req.body ?? {}) as { count?: unknown; seed?: unknown };
      return guard(reply, () => ({ generated: this.generateCatalog(Number(b.count), b.seed === undefined ? 1 : Number(b.seed)) }));
    });
    app.post('/__control/feed-file', async (req, reply) => {
      const b = (req.body ?? {}) as { raw?: unknown; appendLines?: unknown };
      if (b.raw !== undefined && b.raw !== null && typeof b.raw !== 'string') return reply.code(400).send({ error: 'raw must be a string or null' });
      if (b.appendLines !== undefined && (!Array.isArray(b.appendLines) || b.appendLines.some((l) => typeof l !== 'string'))) {
        return reply.code(400).send({ error: 'appendLines must be an array of strings' });
      }
      this.setFeedFile({ raw: b.raw as string | null | undefined, appendLines: b.appendLines as string[] | undefined });
      return { ok: true };
    });
    app.post('/__control/orders/:poNumber/ship', async (req, reply) => {
      const { poNumber } = req.params as { poNumber: string };
      return guard(reply, () => this.ship(poNumber, (req.body ?? {}) as ShipRequest));
    });
    app.get('/__control/config', async () => this.config);
    app.post('/__control/config', async (req, reply) =>
      guard(reply, () => this.setConfig((req.body ?? {}) as Partial<AutomaticSimulatorConfig>)),
    );
  }

  // ------------------------------------------------------------------ API

  private registerApiRoutes(api: FastifyInstance): void {
    api.setErrorHandler((err, _req, reply) => {
      if (err instanceof ApiError) return reply.code(err.status).send({ code: err.code, message: err.message });
      const status = (err as { statusCode?: number }).statusCode;
      if (status === 400) return reply.code(400).send({ code: 'E100', message: `Validation error: ${(err as Error).message}` });
      return reply.code(500).send({ code: 'E000', message: ERROR_MESSAGES.E000 });
    });
    api.addHook('preHandler', async (req) => {
      // Transport first (plain HTTP / wrong content → 406/E004), then auth, then account access.
      if (this.config.requireHttps && String(req.headers['x-forwarded-proto'] ?? '') !== 'https') {
        throw new ApiError(406, 'E004', 'HTTPS is required');
      }
      const accept = String(req.headers.accept ?? '*/*');
      if (!/application\/json|application\/\*|\*\/\*|application\/xml/i.test(accept)) {
        throw new ApiError(406, 'E004', 'Not Acceptable: responses are JSON or XML');
      }
      if (req.method === 'POST' && (req.url.startsWith('/order/create') || req.url.startsWith('/order/calculate'))) {
        if (!/^application\/json/i.test(String(req.headers['content-type'] ?? ''))) {
          throw new ApiError(406, 'E004', 'Not Acceptable: the request body must be application/json');
        }
      }
      const token = req.headers.authorization;
      const account = typeof token === 'string' ? this.accounts.get(token) : undefined;
      if (!account) throw new ApiError(401, 'E001', 'Unauthorized: invalid API key');
      if (!account.flags.apiAccessEnabled) throw new ApiError(423, 'E002', 'API access is disabled for this account');
      (req as FastifyRequest & { account?: Account }).account = account;
    });
    const accountOf = (req: FastifyRequest) => (req as FastifyRequest & { account: Account }).account;

    api.get('/item/avail/:number', async (req) => {
      const { number } = req.params as { number: string };
      const q = req.query as { quantity?: string };
      const requested = q.quantity === undefined ? 1 : Number(q.quantity);
      if (!Number.isInteger(requested) || requested <= 0) throw new ApiError(400, 'E100', 'quantity: must be a positive integer');
      const item = this.item(number);
      if (!item) throw new ApiError(404, 'E201', `Item ${number} not found`);
      const orderable = this.isOrderable(item);
      const cap = (n: number) => (this.config.stockCap === null ? n : Math.min(n, this.config.stockCap));
      const warehouses = Object.entries(item.warehouses).map(([code, qty]) => ({ code, quantity: orderable ? cap(qty) : 0 }));
      const total = warehouses.reduce((s, w) => s + w.quantity, 0);
      return { number: item.sku, quantityRequested: requested, quantityAvailable: total, available: total >= requested, warehouses };
    });

    api.post('/order/calculate', async (req) => {
      const v = this.validateOrder(req.body, accountOf(req), false);
      const subtotal = v.lines.reduce((s, l) => s + l.price * l.quantity, 0);
      const dropShipFee = v.lines.reduce((s, l) => s + l.dropShipFee, 0);
      const shipping = 9.95;
      const round = (n: number) => Math.round(n * 100) / 100;
      return {
        header: { ponumber: v.purchaseNumber, shipMethod: v.shipMethod },
        shipToAddress: v.shipToAddress,
        lines: v.lines.map((l, i) => ({ lineNumber: i + 1, number: l.number, quantityOrdered: l.quantity, price: l.price, extended: round(l.price * l.quantity) })),
        subtotal: round(subtotal),
        dropShipFee: round(dropShipFee),
        shipping,
        total: round(subtotal + dropShipFee + shipping),
      };
    });

    api.post('/order/create', async (req) => {
      const account = accountOf(req);
      const v = this.validateOrder(req.body, account, true);
      const order: Order = {
        orderNumber: String(this.firstOrderNumber + this.orderCounter++),
        poNumber: v.purchaseNumber,
        accountNumber: account.accountNumber,
        createdAt: this.now(),
        shipMethod: v.shipMethod,
        shipToAddress: v.shipToAddress,
        lines: v.lines.map((l, i) => ({ lineNumber: i + 1, number: l.number, quantityOrdered: l.quantity, quantityShipped: 0, price: l.price })),
        shipments: [],
        cancelled: false,
      };
      this.orders.push(order);
      const detail = this.detail(order);
      // §4.2 v2: `header.ponumber` is lowercase in create answers (lookups spell `poNumber`).
      const { poNumber, ...rest } = detail.header;
      return { ...detail, header: { ...rest, ponumber: poNumber } };
    });

    api.get('/order/find', async (req) => {
      const found = this.findMany(accountOf(req), req.query as Record<string, unknown>);
      return found.map((o) => this.detail(o));
    });

    api.get('/order/headers', async (req) => {
      const found = this.findMany(accountOf(req), req.query as Record<string, unknown>);
      return found.map((o) => ({
        ...this.detail(o).header,
        trackingNumbers: o.shipments.map((s) => s.trackingNumber).filter((t): t is string => !!t),
        proNumbers: o.shipments.map((s) => s.proNumber).filter((t): t is string => !!t),
      }));
    });

    api.get('/order/find/range', async (req) => {
      const q = req.query as { dateType?: string; startDate?: string; endDate?: string };
      if (q.dateType !== 'I' && q.dateType !== 'C') throw new ApiError(400, 'E100', 'dateType: must be I (invoice) or C (created)');
      const start = parseQueryDate(q.startDate);
      const end = parseQueryDate(q.endDate);
      if (!start) throw new ApiError(400, 'E100', 'startDate: required, MM/DD/YYYY');
      if (!end) throw new ApiError(400, 'E100', 'endDate: required, MM/DD/YYYY');
      if (end.getTime() < start.getTime()) throw new ApiError(400, 'E100', 'endDate: must not be before startDate');
      const days = (end.getTime() - start.getTime()) / 86_400_000;
      if (days > this.config.lookupWindowDays) {
        throw new ApiError(400, 'E100', `endDate: the lookup window is at most ${this.config.lookupWindowDays} days`);
      }
      const account = accountOf(req);
      const hits = this.orders.filter((o) => {
        if (o.accountNumber !== account.accountNumber) return false;
        // Invoice date = order date in this double (orders are invoiced when created).
        const d = startOfDay(o.createdAt);
        return d >= start.getTime() && d <= end.getTime();
      });
      // §4.2 v2: in the range endpoints tracking and PRO numbers are NOT separate.
      return hits.map((o) => {
        const d = this.detail(o);
        return {
          ...d,
          tracking: o.shipments.map((s) => ({
            orderNumber: o.orderNumber,
            orderGenerationNumber: s.generation,
            carrier: s.carrier,
            trackingNumber: s.trackingNumber ?? s.proNumber,
            shipDate: formatAutomaticDate(s.shippedAt),
            items: s.items,
          })),
        };
      });
    });

    api.get('/order/number/:order', async (req) => this.detail(this.byNumber(accountOf(req), (req.params as { order: string }).order)));
    api.get('/order/number/:order/tracking-numbers', async (req) =>
      this.trackingEntries([this.byNumber(accountOf(req), (req.params as { order: string }).order)]),
    );
    api.get('/order/purchase-number/:po', async (req) => {
      const list = this.byPo(accountOf(req), (req.params as { po: string }).po);
      return this.detail(list[list.length - 1]);
    });
    api.get('/order/purchase-number/:po/tracking-numbers', async (req) =>
      this.trackingEntries(this.byPo(accountOf(req), (req.params as { po: string }).po)),
    );
    api.post('/order/number/cancel/:order', async (req) => {
      const order = this.byNumber(accountOf(req), (req.params as { order: string }).order);
      this.cancel([order]);
      return this.detail(order);
    });
    api.post('/order/purchase-number/cancel/:po', async (req) => {
      const list = this.byPo(accountOf(req), (req.params as { po: string }).po);
      this.cancel(list);
      return list.map((o) => this.detail(o));
    });
  }

  // ------------------------------------------------------------------ internals

  private isOrderable(item: Item): boolean {
    return ORDERABLE_STATUSES.includes(item.status.toUpperCase());
  }

  private status(o: Order): string {
    if (o.cancelled) return 'CANCELLED';
    const shipped = o.lines.reduce((s, l) => s + l.quantityShipped, 0);
    const ordered = o.lines.reduce((s, l) => s + l.quantityOrdered, 0);
    if (shipped === 0) return 'OPEN';
    return shipped >= ordered ? 'SHIPPED' : 'PARTIAL';
  }

  private detail(o: Order) {
    return {
      header: {
        orderNumber: o.orderNumber,
        poNumber: o.poNumber,
        orderGenerationNumber: '01',
        status: this.status(o),
        orderDate: formatAutomaticDate(o.createdAt),
        invoiceDate: formatAutomaticDate(o.createdAt),
        shipMethod: o.shipMethod,
      },
      shipToAddress: o.shipToAddress,
      tracking: this.trackingEntries([o]),
      lines: o.lines.map((l) => ({ lineNumber: l.lineNumber, number: l.number, quantityOrdered: l.quantityOrdered, quantityShipped: l.quantityShipped })),
    };
  }

  private trackingEntries(orders: Order[]) {
    return orders.flatMap((o) =>
      o.shipments.map((s) => ({
        orderNumber: o.orderNumber,
        orderGenerationNumber: s.generation,
        carrier: s.carrier,
        trackingNumber: s.trackingNumber,
        proNumber: s.proNumber,
        shipDate: formatAutomaticDate(s.shippedAt),
        items: s.items,
      })),
    );
  }

  private byNumber(account: Account, orderNumber: string): Order {
    const o = this.orders.find((x) => x.orderNumber === orderNumber && x.accountNumber === account.accountNumber);
    if (!o) throw new ApiError(404, 'E201', `Order ${orderNumber} not found`);
    return o;
  }

  private byPo(account: Account, po: string): Order[] {
    const list = this.orders.filter((x) => x.poNumber === po && x.accountNumber === account.accountNumber);
    if (list.length === 0) throw new ApiError(404, 'E201', `No order found for purchase number ${po}`);
    return list;
  }

  private findMany(account: Account, query: Record<string, unknown>): Order[] {
    const numbers = listParam(query.orderNumbers);
    const pos = listParam(query.purchaseNumbers);
    if (numbers.length === 0 && pos.length === 0) throw new ApiError(400, 'E100', 'orderNumbers or purchaseNumbers: at least one is required');
    return this.orders.filter(
      (o) => o.accountNumber === account.accountNumber && (numbers.includes(o.orderNumber) || pos.includes(o.poNumber)),
    );
  }

  private cancel(orders: Order[]): void {
    const shipped = orders.find((o) => !o.cancelled && o.lines.some((l) => l.quantityShipped > 0));
    if (shipped) throw new ApiError(400, 'E100', `Order ${shipped.orderNumber} has shipped and can no longer be cancelled`);
    if (this.config.recancel === 'refuse' && orders.every((o) => o.cancelled)) {
      throw new ApiError(400, 'E100', `Order ${orders[orders.length - 1].orderNumber} is already cancelled`);
    }
    for (const o of orders) o.cancelled = true;
  }

  /** The §8.4 create body, validated; throws the API's own errors. */
  private validateOrder(body: unknown, account: Account, creating: boolean) {
    if (!body || typeof body !== 'object' || Array.isArray(body)) throw new ApiError(400, 'E100', 'body: a JSON object is required');
    const b = body as Record<string, unknown>;
    const e100 = (msg: string) => new ApiError(400, 'E100', msg);
    const cfg = this.config;

    let purchaseNumber = '';
    if (b.purchaseNumber === undefined || b.purchaseNumber === null || b.purchaseNumber === '') {
      if (account.flags.purchaseNumberRequired) throw e100('purchaseNumber: required');
    } else {
      if (typeof b.purchaseNumber !== 'string') throw e100('purchaseNumber: must be a string');
      if (!PRINTABLE_ASCII.test(b.purchaseNumber)) throw e100('purchaseNumber: must be printable ASCII');
      if (b.purchaseNumber.length > cfg.purchaseNumberMaxLength) {
        throw e100(`purchaseNumber: must be at most ${cfg.purchaseNumberMaxLength} characters`);
      }
      purchaseNumber = b.purchaseNumber;
    }

    const a = b.shipToAddress as Record<string, unknown> | undefined;
    if (!a || typeof a !== 'object') throw e100('shipToAddress: required');
    const field = (name: keyof AutomaticAddressLimits, required: boolean): string | undefined => {
      const v = a[name];
      if (v === undefined || v === null || v === '') {
        if (required) throw e100(`shipToAddress.${name}: required`);
        return undefined;
      }
      if (typeof v !== 'string') throw e100(`shipToAddress.${name}: must be a string`);
      if (!PRINTABLE_ASCII.test(v)) throw e100(`shipToAddress.${name}: must be printable ASCII`);
      if (v.length > cfg.limits[name]) throw e100(`shipToAddress.${name}: must be at most ${cfg.limits[name]} characters`);
      return v;
    };
    const name = field('name', true)!;
    const address1 = field('address1', true)!;
    const address2 = field('address2', false);
    const city = field('city', true)!;
    const zip = field('zip', true)!;
    const phone = field('phone', false);
    const state = typeof a.state === 'string' ? a.state.toUpperCase() : '';
    if (!US_STATES.has(state)) throw e100('shipToAddress.state: must be a US state code');
    if (!/^\d{5}(-?\d{4})?$/.test(zip)) throw e100('shipToAddress.zip: must be a US ZIP code');
    let classification: string | undefined;
    if (a.classification !== undefined && a.classification !== null && a.classification !== '') {
      classification = String(a.classification).toUpperCase();
      if (!cfg.classifications.includes(classification)) {
        throw e100(`shipToAddress.classification: must be one of ${cfg.classifications.join(', ')}`);
      }
    }

    let shipMethod = 'BEST';
    if (b.shipMethod !== undefined && b.shipMethod !== null && b.shipMethod !== '') {
      shipMethod = String(b.shipMethod).toUpperCase();
      if (!cfg.shipMethods.includes(shipMethod)) throw e100(`shipMethod: unknown ship method ${String(b.shipMethod)}`);
    }

    if (!Array.isArray(b.items) || b.items.length === 0) throw e100('items: at least one item is required');
    const lines = b.items.map((raw, i) => {
      const it = (raw ?? {}) as Record<string, unknown>;
      if (typeof it.number !== 'string' || !it.number) throw e100(`items[${i}].number: required`);
      if (!Number.isInteger(it.quantity) || (it.quantity as number) <= 0) throw e100(`items[${i}].quantity: must be a positive integer`);
      const item = this.item(it.number);
      if (!item) throw e100(`items[${i}].number: item ${it.number} not found`);
      if (!this.isOrderable(item)) throw e100(`items[${i}].number: item ${it.number} is not orderable (${item.status})`);
      if (!item.dropShipEligible) throw e100(`items[${i}].number: item ${it.number} is not available for drop ship`);
      return { item, number: item.sku, quantity: it.quantity as number, price: item.price, dropShipFee: item.dropShipFee };
    });

    // CARB and other state restrictions (v2 validates CARB) → 422/E005.
    for (const l of lines) {
      if ((l.item.carbRestricted && state === 'CA') || l.item.restrictedStates.includes(state)) {
        throw new ApiError(422, 'E005', `Item ${l.number} is restricted and cannot ship to ${state}${l.item.carbRestricted && state === 'CA' ? ' (CARB)' : ''}`);
      }
    }
    if (cfg.unshippableStates.includes(state)) throw new ApiError(400, 'E202', `No shipping options available to ${state}`);

    if (creating && purchaseNumber && cfg.duplicatePo === 'reject') {
      if (this.orders.some((o) => o.poNumber === purchaseNumber && o.accountNumber === account.accountNumber)) {
        throw e100(`purchaseNumber: duplicate purchase number ${purchaseNumber}`);
      }
    }

    const shipToAddress: ShipToAddress = {
      name,
      address1,
      ...(address2 ? { address2 } : {}),
      city,
      state,
      zip,
      ...(phone ? { phone } : {}),
      ...(classification ? { classification } : {}),
    };
    return { purchaseNumber, shipToAddress, shipMethod, lines };
  }
}

/** Generated item `i` → `NN-NNNNN` (two-digit line code, five-digit number), and back. */
function generatedSku(i: number): string {
  return `${10 + (i % 90)}-${String(Math.floor(i / 90)).padStart(5, '0')}`;
}

function generatedIndex(sku: string): number | undefined {
  const m = /^(\d{2})-(\d{5})$/.exec(sku);
  if (!m || Number(m[1]) < 10) return undefined;
  return Number(m[2]) * 90 + Number(m[1]) - 10;
}

/** Generated item `i`: a pure function of (seed, i). */
function generatedItem(seed: number, i: number): Item {
  const r = catalogRandom(seed, i);
  const b = Math.floor(r(1) * BRANDS.length);
  const [brand, prefix] = BRANDS[b];
  const price = priceBetween(r(2), 1.25, 1500);
  const retailPrice = Math.round(price * 145) / 100;
  const roll = r(3);
  return {
    sku: generatedSku(i),
    status: roll < 0.03 ? 'DISCONTINUED' : roll < 0.06 ? 'CLOSEOUT' : 'ACTIVE',
    price,
    description: `${brand} ${PRODUCTS[Math.floor(r(4) * PRODUCTS.length)]}`,
    brand,
    mfgPartNumber: `${prefix}${String(Math.floor(r(5) * 1e6)).padStart(6, '0')}`,
    // One UPC manufacturer prefix per brand; the item part from the item index (unique per seed).
    upc: upcA((b + 1) * 1e9 + 100000 * (seed % 10) + (i % 100000) + Math.floor(i / 100000) * 1e6),
    retailPrice,
    ...(r(6) < 0.6 ? { mapPrice: Math.round(retailPrice * 95) / 100 } : {}),
    dropShipFee: r(7) < 0.5 ? 0 : 3.5,
    dropShipEligible: r(8) < 0.95,
    warehouses: { MAIN: r(9) < 0.2 ? 0 : Math.floor(r(10) * 40) },
    carbRestricted: false,
    restrictedStates: [],
  };
}

export function createAutomaticSimulator(options: AutomaticSimulatorOptions = {}): AutomaticSimulator {
  return new AutomaticSimulator(options);
}
