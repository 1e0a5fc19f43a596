// Tucker (Tucker Rocky) "trws" simulator, per shared/reference/distributor-apis.md §3, §6.3, §8.3.
//
// One `GET /bin/trws` serves every call type (INV, PRC, INP, ORD, SHP); every answer is HTTP 200
// wrapped in the call type with `status` SUCCESSFUL or ERROR plus `errormsg` (§8.3). Control
// routes (uniform across distributor simulators):
//   POST /__control/accounts  {credentials:{customerNumber, apiKey}, flags?:{creditCardOnFile}}
//   PUT  /__control/items/:sku {status?, price?, dropShipFee?, dropShipEligible?, warehouses:{TX:n}, …}
//   GET  /__control/orders
//   POST /__control/orders/:poNumber/ship {lines?, carrier?, trackingNumber?, warehouse?}
//   POST /__control/config    (the configurable guesses below)
//   POST /__control/reset     (harness; also clears accounts, items, orders)
// Plus `GET /feeds/custlistsi`: the fixed-width daily price file (§3.5, LF line ends), and the
// same file over FTP (§8.5: `custlistsi.txt` at the root, CRLF), on a port of its own
// (`ftpPort`, default any free one; `ftpUrl` once listening). Feed control routes:
//   POST /__control/feed-accounts   {username, password}      FTP login
//   POST /__control/catalog/generate {count, seed?}           `count` synthetic, deterministic items
//   POST /__control/feed-file       {raw?: string|null, appendLines?: string[]}  test overrides
//
// Order of checks for ORD (a guess; the adapter's findOrder probe relies on the PO being checked
// before the address and lines): credentials → PO present/valid → duplicate PO → credit card →
// invoice note → ship-to address → lines.
import type { FastifyReply, FastifyRequest } from 'fastify';
import { catalogRandom, priceBetween } from './catalog-gen';
import { listenWithFeed, SimFtpServer } from './ftp-server';
import { SimulatorHarness } from './harness';

export const TUCKER_SIM_DCS = ['TX', 'PA', 'NV'] as const;

export interface TuckerRockySimulatorConfig {
  /** `allowduplicatepo=NO` (the default per §8.3) and the PO was used: reject [GUESS, strong] or accept. */
  duplicatePoWhenNo: 'reject' | 'accept';
  /** `allowduplicatepo=YES` and the PO was used: accept [GUESS] or reject. */
  duplicatePoWhenYes: 'accept' | 'reject';
  /** Whether `submit=NO` also refuses a duplicate PO [GUESS]. */
  validateChecksDuplicatePo: boolean;
  /** Append "- PO USED ON ORDER <n>" to the duplicate refusal [UNKNOWN; §8.3 gives only "NO DUPLICATE PO'S"]. */
  duplicateRefusalIncludesOrdernum: boolean;
  /** With splitlines=YES, accept (backorder) lines without enough stock instead of INSUFFICIENT INVENTORY [GUESS]. */
  backorderWithSplitLines: boolean;
  /** Tucker's throttle signal [UNKNOWN]: HTTP 200 + ERROR errormsg (default, §8.3 "every answer is HTTP 200") or 429 + Retry-After. */
  throttleMode: 'errormsg' | 'http429';
  /** `{seconds}` is replaced with the fault's retryAfterSeconds. */
  throttleMessage: string;
  /** SHP `shipdate` format [UNKNOWN]. */
  shipDateFormat: 'MM/DD/YYYY' | 'YYYYMMDD' | 'YYYY-MM-DD' | 'MMDDYY';
  /** Unknown ordernum in SHP: an entry with errormsg, or a whole-answer ERROR [GUESS]. */
  unknownOrderInShp: 'entry-error' | 'wrapper-error';
  /** Displayed-stock cap (§3.4: 9). */
  inventoryCap: number;
  /** PO length/charset [UNKNOWN]. */
  poMaxLength: number;
  poPattern: string;
  /** Ship-to field lengths [UNKNOWN]; none enforced by default. */
  fieldMaxLengths: Partial<Record<'name' | 'address1' | 'address2' | 'city', number>>;
  invoiceNoteMaxLength: number;
  /** First Tucker order number handed out. */
  firstOrderNumber: number;
}

export const DEFAULT_TUCKER_SIM_CONFIG: TuckerRockySimulatorConfig = {
  duplicatePoWhenNo: 'reject',
  duplicatePoWhenYes: 'accept',
  validateChecksDuplicatePo: true,
  duplicateRefusalIncludesOrdernum: false,
  backorderWithSplitLines: false,
  throttleMode: 'errormsg',
  throttleMessage: 'TOO MANY REQUESTS - TRY AGAIN IN {seconds} SECONDS',
  shipDateFormat: 'MM/DD/YYYY',
  unknownOrderInShp: 'entry-error',
  inventoryCap: 9,
  poMaxLength: 20,
  poPattern: '^[A-Za-z0-9_-]+$',
  fieldMaxLengths: {},
  invoiceNoteMaxLength: 55,
  firstOrderNumber: 1000001,
};

export interface TuckerAccountFlags {
  creditCardOnFile: boolean;
}

export interface TuckerSimAccount {
  customerNumber: string;
  apiKey: string;
  flags: TuckerAccountFlags;
}

export interface TuckerSimItem {
  sku: string;
  /** Price-file status: '' active, 'C' closeout, 'D' discontinued (also accepts 'discontinued'). */
  status: string;
  price: number;
  bestPrice?: number;
  retailPrice?: number;
  dropShipFee: number;
  dropShipEligible: boolean;
  inTransit?: boolean;
  /** MMDDYY, optional in the price file. */
  nextPoDueDate?: string;
  /** Real stock per DC (the API reports it capped at 9). */
  warehouses: Record<string, number>;
}

export interface TuckerSimShipment {
  trackingNumber: string;
  carrier: string;
  lines: { sku: string; quantity: number }[];
  shippedAt: string;
  warehouse?: string;
}

export interface TuckerSimOrder {
  poNumber: string;
  orderId: string;
  account: string;
  lines: { sku: string; quantity: number }[];
  shipTo: Record<string, string>;
  options: Record<string, string>;
  shipments: TuckerSimShipment[];
  createdAt: string;
}

export interface ShipRequest {
  lines?: { sku: string; quantity: number }[];
  carrier?: string;
  trackingNumber?: string;
  warehouse?: string;
}

export interface TuckerRockySimulatorOptions extends Partial<TuckerRockySimulatorConfig> {
  /** The simulator's clock (ship dates, createdAt). */
  now?: () => Date;
  /** The FTP feed server's port (0 = any free one, the default). `src/simulators/main.ts` runs it on 2103. */
  ftpPort?: number;
  /** Enables explicit FTPS on the feed server. */
  ftpTls?: { key: string | Buffer; cert: string | Buffer };
}

/** The FTP port of the sandbox (`src/simulators/main.ts`). */
export const TUCKER_SIM_FTP_PORT = 2103;
export const TUCKER_FEED_FILE_NAME = 'custlistsi.txt';

/** Generated items: 6-digit item numbers from here on (real Tucker numbers are 6 characters). */
const GENERATED_FIRST_ITEM = 100000;
const GENERATED_MAX = 900000;

type Query = Record<string, string | string[] | undefined>;

function first(q: Query, key: string): string | undefined {
  const v = q[key];
  return Array.isArray(v) ? v[0] : v;
}

function all(q: Query, key: string): string[] {
  const v = q[key];
  if (v === undefined) return [];
  return Array.isArray(v) ? v : [v];
}

const pad2 = (n: number) => String(n).padStart(2, '0');

export function formatTuckerDate(iso: string, format: TuckerRockySimulatorConfig['shipDateFormat']): string {
  const d = new Date(iso);
  const y = d.getUTCFullYear();
  const m = pad2(d.getUTCMonth() + 1);
  const day = pad2(d.getUTCDate());
  switch (format) {
    case 'YYYYMMDD':
      return `${y}${m}${day}`;
    case 'YYYY-MM-DD':
      return `${y}-${m}-${day}`;
    case 'MMDDYY':
      return `${m}${day}${String(y).slice(-2)}`;
    default:
      return `${m}/${day}/${y}`;
  }
}

function price8(n: number | undefined): string {
  return (n ?? 0).toFixed(2).padStart(8, '0').slice(-8);
}

function availability(qty: number): string {
  return qty <= 0 ? 'Z' : qty < 5 ? 'L' : 'S';
}

export class TuckerRockySimulator {
  readonly harness: SimulatorHarness;
  private config: TuckerRockySimulatorConfig;
  private readonly now: () => Date;
  private accounts = new Map<string, TuckerSimAccount>();
  private items = new Map<string, TuckerSimItem>();
  private orderList: TuckerSimOrder[] = [];
  private nextOrder: number;
  private trackingCounter = 0;
  private generated: { count: number; seed: number } | undefined;
  private feedOverride: { raw?: string; appendLines: string[] } = { appendLines: [] };
  readonly ftp: SimFtpServer;
  private readonly ftpPort: number;

  constructor(options: TuckerRockySimulatorOptions = {}) {
    const { now, ftpPort, ftpTls, ...config } = options;
    this.ftpPort = ftpPort ?? 0;
    this.ftp = new SimFtpServer({
      files: () => [{ name: TUCKER_FEED_FILE_NAME, content: () => this.feedFileChunks() }],
      ...(ftpTls ? { tls: ftpTls } : {}),
    });
    this.config = { ...DEFAULT_TUCKER_SIM_CONFIG, ...config };
    this.now = now ?? (() => new Date());
    this.nextOrder = this.config.firstOrderNumber;
    this.harness = new SimulatorHarness('tucker-rocky', {
      errorBody: (status) =>
        `<html><head><title>${status}</title></head><body><h1>${status} ${status === 401 ? 'Unauthorized' : status >= 500 ? 'Internal Server Error' : 'Error'}</h1></body></html>`,
      throttle: (reply, secs, req) => this.throttleReply(reply, secs, req),
      reset: () => this.clear(),
    });
    this.routes();
  }

  // --- typed control methods (mirror the control routes) -------------------------------------

  upsertAccount(credentials: { customerNumber: string; apiKey: string }, flags: Partial<TuckerAccountFlags> = {}): TuckerSimAccount {
    const prev = this.accounts.get(credentials.customerNumber);
    const account: TuckerSimAccount = {
      customerNumber: credentials.customerNumber,
      apiKey: credentials.apiKey,
      flags: { creditCardOnFile: true, ...prev?.flags, ...flags },
    };
    this.accounts.set(account.customerNumber, account);
    return account;
  }

  upsertItem(sku: string, body: Partial<Omit<TuckerSimItem, 'sku'>> = {}): TuckerSimItem {
    // Tucker item numbers carry no dashes; catalogs print them as 113-044.
    const key = sku.toUpperCase().replace(/-/g, '');
    const prev = this.items.get(key);
    const item: TuckerSimItem = {
      sku: key,
      status: body.status ?? prev?.status ?? '',
      price: body.price ?? prev?.price ?? 10,
      bestPrice: body.bestPrice ?? prev?.bestPrice,
      retailPrice: body.retailPrice ?? prev?.retailPrice,
      dropShipFee: body.dropShipFee ?? prev?.dropShipFee ?? 0,
      dropShipEligible: body.dropShipEligible ?? prev?.dropShipEligible ?? true,
      inTransit: body.inTransit ?? prev?.inTransit,
      nextPoDueDate: body.nextPoDueDate ?? prev?.nextPoDueDate,
      warehouses: { ...(body.warehouses ?? prev?.warehouses ?? {}) },
    };
    this.items.set(key, item);
    return item;
  }

  orders(): TuckerSimOrder[] {
    return this.orderList.map((o) => JSON.parse(JSON.stringify(o)) as TuckerSimOrder);
  }

  /** Ships lines of the latest order under `poNumber` that still has unshipped quantity. */
  ship(poNumber: string, req: ShipRequest = {}): { status: number; body: unknown } {
    const candidates = this.orderList.filter((o) => o.poNumber === poNumber);
    if (!candidates.length) return { status: 404, body: { error: 'not_found', message: `no order with PO ${poNumber}` } };
    const order = [...candidates].reverse().find((o) => this.unshipped(o).some((l) => l.quantity > 0));
    if (!order) return { status: 409, body: { error: 'already_shipped', message: `every line of PO ${poNumber} has shipped` } };
    const open = this.unshipped(order);
    const lines = (req.lines?.length ? req.lines : open.filter((l) => l.quantity > 0)).map((l) => ({
      sku: String(l.sku).toUpperCase().replace(/-/g, ''),
      quantity: Number(l.quantity),
    }));
    for (const l of lines) {
      const left = open.find((o) => o.sku === l.sku)?.quantity ?? 0;
      if (!Number.isInteger(l.quantity) || l.quantity <= 0 || l.quantity > left) {
        return { status: 400, body: { error: 'invalid_lines', message: `cannot ship ${l.quantity} × ${l.sku} (${left} unshipped)` } };
      }
    }
    this.trackingCounter += 1;
    const shipment: TuckerSimShipment = {
      trackingNumber: req.trackingNumber ?? `1ZTR${String(this.trackingCounter).padStart(14, '0')}`,
      carrier: req.carrier ?? 'UPS',
      lines,
      shippedAt: this.now().toISOString(),
      ...(req.warehouse ? { warehouse: req.warehouse } : {}),
    };
    order.shipments.push(shipment);
    return { status: 200, body: { orderId: order.orderId, shipment } };
  }

  configure(patch: Partial<TuckerRockySimulatorConfig>): TuckerRockySimulatorConfig {
    this.config = { ...this.config, ...patch };
    return { ...this.config };
  }

  getConfig(): TuckerRockySimulatorConfig {
    return { ...this.config };
  }

  /** Same as `POST /__control/reset`: clears faults, recorded requests, accounts, items, orders. */
  async reset(): Promise<void> {
    await this.harness.app.inject({ method: 'POST', url: '/__control/reset' });
  }

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

  /** Adds or replaces an FTP login of the price-file feed. */
  upsertFeedAccount(username: string, password: string): void {
    this.ftp.setAccount(username, password);
  }

  /**
   * Fills the catalog with `count` synthetic items (item numbers 100000, 100001, …), the same
   * ones for the same seed. They are produced on demand, for the file and for the API alike,
   * so a 200,000-item catalog costs no memory until an item is touched.
   */
  generateCatalog(count: number, seed = 1): { count: number; seed: number } {
    if (!Number.isInteger(count) || count < 0 || count > GENERATED_MAX) throw new RangeError(`count must be an integer 0-${GENERATED_MAX}`);
    if (!Number.isInteger(seed)) throw new RangeError('seed must be an integer');
    this.generated = count ? { count, seed } : undefined;
    return { count, seed };
  }

  /** Test override of the FTP file: `raw` replaces it byte for byte (null restores it); `appendLines` go after the items. */
  setFeedFile(patch: { raw?: string | null; appendLines?: string[] }): void {
    if (patch.raw !== undefined) this.feedOverride.raw = patch.raw ?? undefined;
    if (patch.appendLines !== undefined) this.feedOverride.appendLines = [...patch.appendLines];
  }

  /** One fixed-width `custlistsi` row (§3.5), without a line end. */
  priceRow(item: TuckerSimItem): string {
    const total = Object.values(item.warehouses).reduce((a, b) => a + b, 0);
    const shown = Math.min(9, total);
    const status = /^D|DISCONTINUED/i.test(item.status) ? 'D' : /^C|CLOSEOUT/i.test(item.status) ? 'C' : ' ';
    const ds = item.dropShipEligible ? shown : 0;
    return (
      item.sku.padEnd(6).slice(0, 6) +
      status +
      availability(total) +
      (item.inTransit ? 'Y' : 'N') +
      String(shown) +
      price8(item.price) +
      price8(item.bestPrice ?? item.price) +
      price8(item.retailPrice ?? Math.round(item.price * 140) / 100) +
      availability(ds) +
      String(ds) +
      (item.nextPoDueDate ?? '')
    );
  }

  /** Every catalog item in file order: the explicit ones sorted, then the generated ones not overridden. */
  *catalogItems(): Generator<TuckerSimItem> {
    yield* [...this.items.values()].sort((a, b) => a.sku.localeCompare(b.sku));
    const g = this.generated;
    if (!g) return;
    for (let i = 0; i < g.count; i++) {
      const sku = String(GENERATED_FIRST_ITEM + i);
      if (!this.items.has(sku)) yield this.generatedItem(g.seed, i);
    }
  }

  /** The fixed-width `custlistsi` price file (§3.5) as the HTTP route serves it (LF line ends). */
  priceFile(): string {
    const rows: string[] = [];
    for (const item of this.catalogItems()) rows.push(this.priceRow(item));
    return rows.join('\n') + (rows.length ? '\n' : '');
  }

  /** The FTP file (§8.5: CRLF), row by row. */
  *feedFileChunks(): Generator<string> {
    if (this.feedOverride.raw !== undefined) {
      yield this.feedOverride.raw;
      return;
    }
    for (const item of this.catalogItems()) yield `${this.priceRow(item)}\r\n`;
    for (const l of this.feedOverride.appendLines) yield `${l}\r\n`;
  }

  // --- internals ------------------------------------------------------------------------------

  private clear(): void {
    this.accounts.clear();
    this.items.clear();
    this.ftp.clearAccounts();
    this.generated = undefined;
    this.feedOverride = { appendLines: [] };
    this.orderList = [];
    this.nextOrder = this.config.firstOrderNumber;
    this.trackingCounter = 0;
  }

  /** An explicit item, or a generated one (materialized on first touch so orders can change its stock). */
  private item(sku: string): TuckerSimItem | undefined {
    const found = this.items.get(sku);
    if (found || !this.generated || !/^\d{6}$/.test(sku)) return found;
    const i = Number(sku) - GENERATED_FIRST_ITEM;
    if (i < 0 || i >= this.generated.count) return undefined;
    const item = this.generatedItem(this.generated.seed, i);
    this.items.set(sku, item);
    return item;
  }

  /** Generated item `i`: a pure function of (seed, i). */
  private generatedItem(seed: number, i: number): TuckerSimItem {
    const r = catalogRandom(seed, i);
    const price = priceBetween(r(1), 1.5, 1200);
    const roll = r(2);
    const stock = () => (r(10) < 0.25 ? 0 : Math.floor(r(11) * 30));
    const warehouses = { TX: stock(), PA: Math.floor(r(12) * 20), NV: r(13) < 0.4 ? 0 : Math.floor(r(14) * 12) };
    const inTransit = r(4) < 0.1;
    const due = new Date(Date.UTC(2025, 0, 1) + Math.floor(r(5) * 365) * 86_400_000);
    return {
      sku: String(GENERATED_FIRST_ITEM + i),
      status: roll < 0.03 ? 'D' : roll < 0.07 ? 'C' : '',
      price,
      bestPrice: Math.round(price * (88 + r(3) * 10)) / 100,
      retailPrice: Math.round(price * 140) / 100,
      dropShipFee: 0,
      dropShipEligible: r(6) < 0.92,
      inTransit,
      ...(inTransit ? { nextPoDueDate: formatTuckerDate(due.toISOString(), 'MMDDYY') } : {}),
      warehouses,
    };
  }

  private unshipped(o: TuckerSimOrder): { sku: string; quantity: number }[] {
    const left = new Map<string, number>();
    for (const l of o.lines) left.set(l.sku, (left.get(l.sku) ?? 0) + l.quantity);
    for (const s of o.shipments) for (const l of s.lines) left.set(l.sku, (left.get(l.sku) ?? 0) - l.quantity);
    return [...left.entries()].map(([sku, quantity]) => ({ sku, quantity }));
  }

  private throttleReply(reply: FastifyReply, secs: number, req: FastifyRequest): FastifyReply {
    const type = (first(req.query as Query, 'type') ?? 'TRWS').toUpperCase();
    const errormsg = this.config.throttleMessage.replace('{seconds}', String(secs));
    if (this.config.throttleMode === 'http429') {
      return reply.code(429).header('retry-after', String(secs)).send({ [type]: { status: 'ERROR', errormsg } });
    }
    return reply.code(200).send({ [type]: { status: 'ERROR', errormsg } });
  }

  private routes(): void {
    const app = this.harness.app;

    app.get('/bin/trws', async (req, reply) => {
      const q = req.query as Query;
      const type = (first(q, 'type') ?? '').toUpperCase();
      const wrap = (inner: Record<string, unknown>) => {
        const key = type || 'TRWS';
        if ((first(q, 'output') ?? '').toUpperCase() !== 'JSON') {
          // Without output=JSON the service answers in its default (XML-ish) format.
          const fields = Object.entries(inner)
            .filter(([, v]) => typeof v !== 'object')
            .map(([k, v]) => `<${k}>${String(v)}</${k}>`)
            .join('');
          return reply.code(200).type('text/xml').send(`<?xml version="1.0"?><${key}>${fields}</${key}>`);
        }
        return reply.code(200).send({ [key]: inner });
      };
      const error = (errormsg: string, extra: Record<string, unknown> = {}) => wrap({ status: 'ERROR', errormsg, ...extra });

      const account = this.accounts.get(first(q, 'cust') ?? '');
      if (!account || !first(q, 'apikey') || account.apiKey !== first(q, 'apikey')) {
        return error('INVALID API KEY OR CUSTOMER NUMBER');
      }
      switch (type) {
        case 'INV':
        case 'PRC':
        case 'INP':
          return wrap(this.inventory(type, q));
        case 'SHP':
          return wrap(this.shipmentsAnswer(account, q));
        case 'ORD':
          return wrap(this.order(account, q));
        case 'P65':
          return wrap({ status: 'SUCCESSFUL', errormsg: '', item: all(q, 'item').map((itemnum) => ({ itemnum, p65: 'N' })) });
        default:
          return error('INVALID TYPE');
      }
    });

    app.get('/feeds/custlistsi', async (_req, reply) => reply.type('text/plain').send(this.priceFile()));

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
      try {
        return { generated: this.generateCatalog(Number(b.count), b.seed === undefined ? 1 : Number(b.seed)) };
      } catch (e) {
        return reply.code(400).send({ error: (e as Error).message });
      }
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

    app.post('/__control/accounts', async (req, reply) => {
      const body = (req.body ?? {}) as { credentials?: { customerNumber?: unknown; apiKey?: unknown }; flags?: Partial<TuckerAccountFlags> };
      const c = body.credentials;
      if (!c || typeof c.customerNumber !== 'string' || typeof c.apiKey !== 'string' || !c.customerNumber || !c.apiKey) {
        return reply.code(400).send({ error: 'credentials.customerNumber and credentials.apiKey are required' });
      }
      const flags: Partial<TuckerAccountFlags> = {};
      if (body.flags && typeof body.flags.creditCardOnFile === 'boolean') flags.creditCardOnFile = body.flags.creditCardOnFile;
      const a = this.upsertAccount({ customerNumber: c.customerNumber, apiKey: c.apiKey }, flags);
      return { account: { customerNumber: a.customerNumber, flags: a.flags } };
    });

    app.put('/__control/items/:sku', async (req, reply) => {
      const { sku } = req.params as { sku: string };
      const body = (req.body ?? {}) as Partial<TuckerSimItem>;
      if (body.warehouses !== undefined && (typeof body.warehouses !== 'object' || body.warehouses === null)) {
        return reply.code(400).send({ error: 'warehouses must be an object of DC code → quantity' });
      }
      for (const [dc, n] of Object.entries(body.warehouses ?? {})) {
        if (!Number.isFinite(Number(n)) || Number(n) < 0) return reply.code(400).send({ error: `warehouses.${dc} must be a number ≥ 0` });
      }
      const warehouses = body.warehouses
        ? Object.fromEntries(Object.entries(body.warehouses).map(([k, v]) => [k.toUpperCase(), Number(v)]))
        : undefined;
      return { item: this.upsertItem(sku, { ...body, ...(warehouses ? { warehouses } : {}) }) };
    });

    app.get('/__control/orders', async () => ({
      orders: this.orderList.map((o) => ({
        poNumber: o.poNumber,
        orderId: o.orderId,
        account: o.account,
        lines: o.lines,
        shipments: o.shipments,
        createdAt: o.createdAt,
        shipTo: o.shipTo,
        options: o.options,
      })),
    }));

    app.post('/__control/orders/:poNumber/ship', async (req, reply) => {
      const { poNumber } = req.params as { poNumber: string };
      const r = this.ship(poNumber, (req.body ?? {}) as ShipRequest);
      return reply.code(r.status).send(r.body);
    });

    app.get('/__control/config', async () => ({ config: this.getConfig() }));
    app.post('/__control/config', async (req) => ({ config: this.configure((req.body ?? {}) as Partial<TuckerRockySimulatorConfig>) }));
  }

  private cap(n: number): number {
    return Math.max(0, Math.min(this.config.inventoryCap, n));
  }

  private inventory(type: 'INV' | 'PRC' | 'INP', q: Query): Record<string, unknown> {
    const requested = all(q, 'item');
    if (!requested.length) return { status: 'ERROR', errormsg: 'ITEM NUMBER REQUIRED' };
    const item = requested.map((raw) => {
      const itemnum = raw.toUpperCase();
      const it = this.item(itemnum);
      if (!it) return { itemnum, errormsg: 'ITEM NOT FOUND' };
      const out: Record<string, unknown> = { itemnum };
      if (type !== 'PRC') {
        const total = Object.values(it.warehouses).reduce((a, b) => a + b, 0);
        out.inventory = this.cap(total);
        out.dc = Object.entries(it.warehouses).map(([dcname, n]) => ({ dcname, dcinv: this.cap(n) }));
      }
      if (type !== 'INV') out.price = it.price;
      out.errormsg = /^D$|DISCONTINUED/i.test(it.status) ? 'ITEM DISCONTINUED' : '';
      return out;
    });
    return { status: 'SUCCESSFUL', errormsg: '', item };
  }

  private shipmentsAnswer(account: TuckerSimAccount, q: Query): Record<string, unknown> {
    const nums = all(q, 'ordernum');
    if (!nums.length) return { status: 'ERROR', errormsg: 'ORDER NUMBER REQUIRED' };
    const shipment: Record<string, unknown>[] = [];
    let missing = 0;
    for (const n of nums) {
      const o = this.orderList.find((x) => x.orderId === n && x.account === account.customerNumber);
      if (!o) {
        missing += 1;
        shipment.push({ ordernum: n, errormsg: 'ORDER NOT FOUND', shipmentline: [] });
        continue;
      }
      shipment.push({
        ordernum: o.orderId,
        shipmentline: o.shipments.flatMap((s) =>
          s.lines.map((l) => ({
            itemnum: l.sku,
            qty: l.quantity,
            shipdate: formatTuckerDate(s.shippedAt, this.config.shipDateFormat),
            trackingnumbers: [{ carrier: s.carrier, trackingnum: s.trackingNumber }],
          })),
        ),
      });
    }
    if (missing === nums.length && this.config.unknownOrderInShp === 'wrapper-error') {
      return { status: 'ERROR', errormsg: 'ORDER NOT FOUND' };
    }
    return { status: 'SUCCESSFUL', errormsg: '', shipment };
  }

  private order(account: TuckerSimAccount, q: Query): Record<string, unknown> {
    const cfg = this.config;
    const po = first(q, 'po') ?? '';
    const submit = (first(q, 'submit') ?? 'YES').toUpperCase() !== 'NO';
    const allowDup = (first(q, 'allowduplicatepo') ?? 'NO').toUpperCase() === 'YES';
    const splitLines = (first(q, 'splitlines') ?? 'NO').toUpperCase() === 'YES';
    const fail = (errormsg: string, extra: Record<string, unknown> = {}) => ({ status: 'ERROR', errormsg, ...extra });

    if (!po.trim()) return fail('PO NUMBER REQUIRED');
    if (po.length > cfg.poMaxLength || !new RegExp(cfg.poPattern).test(po)) return fail('INVALID PO NUMBER');

    const existing = this.orderList.find((o) => o.account === account.customerNumber && o.poNumber === po);
    if (existing && (submit || cfg.validateChecksDuplicatePo)) {
      const reject = allowDup ? cfg.duplicatePoWhenYes === 'reject' : cfg.duplicatePoWhenNo === 'reject';
      if (reject) {
        return fail(cfg.duplicateRefusalIncludesOrdernum ? `NO DUPLICATE PO'S - PO USED ON ORDER ${existing.orderId}` : "NO DUPLICATE PO'S");
      }
    }
    if (!account.flags.creditCardOnFile) return fail('NO CREDIT CARD ON FILE - A CREDIT CARD IS REQUIRED FOR DROP SHIP ORDERS');

    const note = first(q, 'invoiceNote') ?? first(q, 'invoicenote') ?? '';
    if (note.length > cfg.invoiceNoteMaxLength) return fail(`INVOICE NOTE EXCEEDS ${cfg.invoiceNoteMaxLength} CHARACTERS`);

    const shipTo: Record<string, string> = {};
    for (const f of ['name', 'address1', 'address2', 'city', 'state', 'zip']) {
      const v = first(q, f);
      if (v !== undefined && v !== '') shipTo[f] = v;
    }
    if (['name', 'address1', 'city', 'state', 'zip'].some((f) => !shipTo[f]?.trim())) return fail('INCOMPLETE SHIP TO ADDRESS');
    if (!/^[A-Za-z]{2}$/.test(shipTo.state)) return fail('INVALID SHIP TO STATE');
    if (!/^\d{5}(-?\d{4})?$/.test(shipTo.zip)) return fail('INVALID SHIP TO ZIP');
    for (const [f, max] of Object.entries(cfg.fieldMaxLengths)) {
      if (max && (shipTo[f] ?? '').length > max) return fail(`SHIP TO ${f.toUpperCase()} EXCEEDS ${max} CHARACTERS`);
    }

    // Lines: evaluate against stock (allocating within this order), good lines are ordered anyway (§8.3).
    const reserved = new Map<string, Record<string, number>>();
    const available = (it: TuckerSimItem) => {
      const r = reserved.get(it.sku) ?? {};
      return Object.fromEntries(Object.entries(it.warehouses).map(([dc, n]) => [dc, n - (r[dc] ?? 0)]));
    };
    const inputLines: { itemnum: string; qty: string; errormsg: string }[] = [];
    const good: { sku: string; quantity: number; alloc: Record<string, number> }[] = [];
    for (const raw of all(q, 'line')) {
      const [itemRaw = '', qtyRaw = ''] = raw.split(',');
      const itemnum = itemRaw.trim().toUpperCase();
      const qty = qtyRaw.trim();
      const n = Number(qty);
      let errormsg = '';
      const it = this.item(itemnum);
      if (!/^\d+$/.test(qty) || n <= 0) errormsg = 'INVALID QUANTITY';
      else if (!it) errormsg = 'ITEM NOT FOUND';
      else if (/^D$|DISCONTINUED/i.test(it.status)) errormsg = 'ITEM DISCONTINUED';
      else if (!it.dropShipEligible) errormsg = 'ITEM NOT AVAILABLE FOR DROP SHIP';
      else {
        const avail = available(it);
        const alloc: Record<string, number> = {};
        const dcs = Object.entries(avail).sort((a, b) => b[1] - a[1]);
        if (!splitLines) {
          const single = dcs.find(([, v]) => v >= n);
          if (single) alloc[single[0]] = n;
        } else {
          let left = n;
          for (const [dc, v] of dcs) {
            if (left <= 0) break;
            const take = Math.min(left, Math.max(0, v));
            if (take > 0) alloc[dc] = take;
            left -= take;
          }
          if (left > 0 && !cfg.backorderWithSplitLines) for (const k of Object.keys(alloc)) delete alloc[k];
          else if (left > 0) alloc.__backorder = left;
        }
        if (!Object.keys(alloc).length) errormsg = 'INSUFFICIENT INVENTORY';
        else {
          const r = reserved.get(itemnum) ?? {};
          for (const [dc, v] of Object.entries(alloc)) if (dc !== '__backorder') r[dc] = (r[dc] ?? 0) + v;
          reserved.set(itemnum, r);
          good.push({ sku: itemnum, quantity: n, alloc });
        }
      }
      inputLines.push({ itemnum, qty, errormsg });
    }
    const orderinput = { po, ...shipTo, orderline: inputLines };
    if (!good.length) return fail('NO VALID ORDER LINES', { orderinput });

    let ordernum = '';
    if (submit) {
      ordernum = String(this.nextOrder++);
      for (const [sku, r] of reserved) {
        const it = this.items.get(sku)!;
        for (const [dc, v] of Object.entries(r)) it.warehouses[dc] = Math.max(0, (it.warehouses[dc] ?? 0) - v);
      }
      const options: Record<string, string> = {};
      for (const f of ['allowduplicatepo', 'splitlines', 'carrier', 'location', 'submit']) {
        const v = first(q, f);
        if (v !== undefined) options[f] = v;
      }
      if (note) options.invoiceNote = note;
      this.orderList.push({
        poNumber: po,
        orderId: ordernum,
        account: account.customerNumber,
        lines: good.map((g) => ({ sku: g.sku, quantity: g.quantity })),
        shipTo,
        options,
        shipments: [],
        createdAt: this.now().toISOString(),
      });
    }
    return {
      status: 'SUCCESSFUL',
      errormsg: '',
      orderinput,
      orderoutput: { ordernum, orderline: inputLines.map((l) => ({ itemnum: l.itemnum, qty: l.qty, errormsg: l.errormsg })) },
    };
  }
}

export function createTuckerRockySimulator(options: TuckerRockySimulatorOptions = {}): TuckerRockySimulator {
  return new TuckerRockySimulator(options);
}
