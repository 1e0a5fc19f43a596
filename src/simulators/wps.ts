// Western Power Sports (WPS) Data Depot v4 simulator: a faithful local double of
// shared/reference/distributor-apis.md §1, §6.1 and the §8.1 working assumptions.
//
// API routes (Bearer token, JSON, `{data: …}` wrappers, errors `{message, status_code, errors?}`):
//   POST /carts · POST /carts/:po/items · GET|DELETE /carts/:po · POST /orders · GET /orders/:po ·
//   GET /orders?from_date&to_date · GET /items[?filter[sku]&include=inventory&page[size]&page[cursor]] ·
//   GET /items/:id[,id…] · GET /items/crutch/:sku · GET /inventory[/:id[,id…]] · GET /warehouses ·
//   GET /dealer-pricing (202 first, then 200 + location) · GET /dealer-pricing/:itemId ·
//   GET /files/dealer-pricing/:signature/:account.csv (the pre-signed pricing file: no token; a
//   request that carries an Authorization header is refused like S3 refuses two auth mechanisms)
// Control routes (see shared brief): POST /__control/accounts, PUT /__control/items/:sku,
//   GET /__control/orders, POST /__control/orders/:poNumber/ship, POST /__control/config,
//   POST /__control/catalog/generate {count, seed?} (replaces the catalog with `count` synthetic
//   items), plus the harness's faults/requests/reset.
//
// Every [GUESS]/[UNKNOWN] of the reference is an option (constructor or POST /__control/config):
// duplicate cart handling, where the Tax ID gate fires, where over-stock is refused, the 9-cap,
// the accepted ship_via / default_warehouse codes, the PO length, dealer-pricing polls.
import { seededRandom } from './catalog-gen';
import { createHash, randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { SimulatorHarness } from './harness';

export const WPS_SIM_WAREHOUSES = ['CA', 'GA', 'ID', 'IN', 'PA', 'PA2', 'TX'] as const;
export type WpsSimWarehouse = (typeof WPS_SIM_WAREHOUSES)[number];

/** The documented request ship_via codes (§1.2). */
export const WPS_SHIP_VIA_CODES = ['AH2D', 'BEST', 'FE1D', 'FE2D', 'UP1D', 'UP2D', 'US1C', 'US4C'];
/** The documented default_warehouse codes (§1.2; PA2 is not in that list). */
export const WPS_DEFAULT_WAREHOUSE_CODES = ['CA', 'GA', 'ID', 'IN', 'PA', 'TX'];
export const WPS_SCOPES = ['orders', 'items', 'inventory', 'dealer-pricing'] as const;

const ORDERABLE = ['STK', 'NEW', 'CLO', 'DIR', 'SPEC'];
const NOT_ORDERABLE = ['DSC', 'NLA', 'NA', 'PRE'];

const WAREHOUSE_LIST = [
  { id: 1, db2_key: 'ID', name: 'Boise' },
  { id: 2, db2_key: 'CA', name: 'Fresno' },
  { id: 4, db2_key: 'PA', name: 'Elizabethtown' },
  { id: 5, db2_key: 'IN', name: 'Ashley' },
  { id: 6, db2_key: 'TX', name: 'Midlothian' },
  { id: 7, db2_key: 'GA', name: 'Midway' },
  { id: 8, db2_key: 'PA2', name: 'Jessup' },
];

export interface WpsSimulatorConfig {
  /** Second POST /carts for a PO that has a cart: `replace` (§8.1, default) or `reject` (422). */
  duplicateCartMode: 'replace' | 'reject';
  /** Where a missing Tax ID is refused: `orders` (§8.1, default) or `carts`. */
  taxIdCheckAt: 'orders' | 'carts';
  /** Where `allow_backorder=false` + not enough stock is refused: `items` (default), `orders`, `none`. */
  stockCheck: 'items' | 'orders' | 'none';
  /** Reported stock is capped at this (§1.4: 9). */
  inventoryCap: number;
  /** Accepted ship_via / cross_ship_via codes. */
  shipViaCodes: string[];
  /** Accepted default_warehouse codes. */
  defaultWarehouseCodes: string[];
  /** PO max length ([UNKNOWN]; default 20, the engine's own format). */
  poNumberMaxLength: number;
  /** How many GET /dealer-pricing calls answer 202 before the 200 (default 1). */
  dealerPricingPolls: number;
  /** page[size] when the client sends none. */
  defaultPageSize: number;
}

export interface WpsSimulatorOptions extends Partial<WpsSimulatorConfig> {
  /** The simulator's clock (order/ship dates). */
  now?: () => Date;
  /** First order number handed out (default 6000001). */
  orderNumberStart?: number;
}

export interface WpsAccountFlags {
  /** §1.2/§8.1: drop-ship orders need a Tax ID on file. */
  taxIdOnFile: boolean;
  /** Token scopes; calls outside them answer 403 naming the scope. */
  scopes: string[];
  /** Last four digits of cards on file (for pay_type CC). */
  cardsOnFile: string[];
}

/** Brand ids and names of the synthetic catalog (WPS items carry `brand_id`; `include=brand` adds the name). */
export const WPS_SIM_BRANDS: readonly string[] = ['Fly Racing', 'ProX', 'All Balls', 'EBC', 'Hiflofiltro', 'Galfer', 'Vortex', 'Shinko'];

export interface WpsItemInput {
  status?: string;
  /** Standard dealer price. */
  price?: number;
  /** Price in the dealer pricing file (default: `price`); null leaves the item out of the file. */
  dealerPrice?: number | null;
  upc?: string | null;
  /** Brand name (a new name gets a new brand id). */
  brand?: string;
  /** The manufacturer's part number (`supplier_product_id`). */
  supplierProductId?: string | null;
  listPrice?: number;
  dropShipFee?: number;
  dropShipEligible?: boolean;
  name?: string;
  warehouses?: Partial<Record<string, number>>;
}

export interface ShipRequest {
  lines?: { sku: string; quantity: number }[];
  /** A WPS ship_via code (default: the cart's ship_via, else UP2D). */
  carrier?: string;
  trackingNumber?: string;
  /** More boxes of the same shipment: WPS lists every box's number on the same order entry. */
  extraTrackingNumbers?: string[];
  warehouse?: string;
  /** ISO time of shipment (default: the simulator clock). */
  shippedAt?: string;
}

export interface ControlShipment {
  trackingNumber: string;
  carrier: string;
  lines: { sku: string; quantity: number }[];
  shippedAt: string;
  warehouse?: string;
}

export interface ControlOrder {
  poNumber: string;
  orderId: string;
  account: string;
  lines: { sku: string; quantity: number }[];
  shipments: ControlShipment[];
  createdAt: string;
  /** Every order_number WPS shows for this order (splits add numbers). */
  orderNumbers: string[];
}

interface Account {
  id: string;
  token: string;
  flags: WpsAccountFlags;
  pricingPolls: number;
}

interface Item {
  id: number;
  sku: string;
  name: string;
  status: string;
  price: number;
  /** undefined: not in the dealer pricing file. */
  dealerPrice?: number;
  upc: string | null;
  brandId: number;
  supplierProductId: string | null;
  listPrice: number;
  dropShipFee: number;
  dropShipEligible: boolean;
  stock: Record<WpsSimWarehouse, number>;
  createdAt: string;
  updatedAt: string;
}

interface CartLine {
  itemId: number;
  sku: string;
  quantity: number;
  note?: string;
}

interface Cart {
  accountId: string;
  cartNumber: string;
  poNumber: string;
  fields: Record<string, unknown>;
  dropShip: boolean;
  lines: CartLine[];
}

interface DetailItem {
  sku: string;
  name: string;
  quantity: number;
  price: number;
}

interface Detail {
  order_number: string;
  order_status: 'OPEN' | 'SHIPPED';
  warehouse: string;
  items: DetailItem[];
  order_date: string;
  ship_date: string | null;
  invoice_number: number | null;
  invoice_date: string | null;
  ship_via: string | null;
  tracking_numbers: string[];
  misc_charges: number;
}

interface Order {
  accountId: string;
  poNumber: string;
  orderNumber: string;
  lines: { sku: string; quantity: number }[];
  cart: Cart;
  details: Detail[];
  shipments: ControlShipment[];
  createdAt: Date;
}

class ControlError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

const DEFAULT_CONFIG: WpsSimulatorConfig = {
  duplicateCartMode: 'replace',
  taxIdCheckAt: 'orders',
  stockCheck: 'items',
  inventoryCap: 9,
  shipViaCodes: WPS_SHIP_VIA_CODES,
  defaultWarehouseCodes: WPS_DEFAULT_WAREHOUSE_CODES,
  poNumberMaxLength: 20,
  dealerPricingPolls: 1,
  defaultPageSize: 10,
};

const STATUS_TEXT: Record<number, string> = {
  400: 'Bad Request',
  401: 'Unauthenticated.',
  403: 'Forbidden.',
  404: 'Not Found',
  405: 'Method Not Allowed',
  422: 'The given data was invalid.',
  429: 'Too Many Attempts.',
  500: 'Server Error',
  502: 'Bad Gateway',
  503: 'Service Unavailable',
  504: 'Gateway Timeout',
};

/** `2024-05-01 13:45:07` in UTC (Laravel's default date format). */
function wpsDate(d: Date): string {
  return d.toISOString().slice(0, 19).replace('T', ' ');
}

function attr(field: string): string {
  return field.replace(/_/g, ' ');
}

function encodeCursor(offset: number): string {
  return Buffer.from(`o:${offset}`).toString('base64url');
}
function decodeCursor(c: string): number | undefined {
  const m = Buffer.from(c, 'base64url').toString().match(/^o:(\d+)$/);
  return m ? Number(m[1]) : undefined;
}

export class WpsSimulator {
  readonly harness: SimulatorHarness;
  config: WpsSimulatorConfig;
  private readonly initialConfig: WpsSimulatorConfig;
  private readonly now: () => Date;
  private readonly orderNumberStart: number;
  private accounts = new Map<string, Account>();
  private items = new Map<string, Item>();
  /** Items in id order (ids grow with insertion, so Map order); rebuilt when an item is added. */
  private itemList: Item[] | null = null;
  private itemsById = new Map<number, Item>();
  private brands = new Map<number, string>(WPS_SIM_BRANDS.map((n, i) => [i + 1, n]));
  /** Signs the pricing file's location (stands in for a pre-signed URL). */
  private readonly fileKey = randomBytes(16).toString('hex');
  private carts = new Map<string, Cart>();
  private orders: Order[] = [];
  private seq = { account: 0, item: 0, cart: 0, order: 0, invoice: 0, tracking: 0 };
  private baseUrl = '';

  constructor(options: WpsSimulatorOptions = {}) {
    const { now, orderNumberStart, ...config } = options;
    this.initialConfig = { ...DEFAULT_CONFIG, ...config };
    this.config = { ...this.initialConfig };
    this.now = now ?? (() => new Date());
    this.orderNumberStart = orderNumberStart ?? 6000001;
    this.harness = new SimulatorHarness('wps', {
      errorBody: (status) => ({ message: STATUS_TEXT[status] ?? 'Error', status_code: status }),
      throttle: (reply, retryAfterSeconds) =>
        reply
          .code(429)
          .header('retry-after', String(retryAfterSeconds))
          .header('x-ratelimit-limit', '60')
          .header('x-ratelimit-remaining', '0')
          .send({ message: 'Too Many Attempts.', status_code: 429 }),
      reset: () => this.clear(),
    });
    this.routes();
  }

  // ------------------------------------------------------------------ typed control methods

  async listen(port = 0): Promise<string> {
    this.baseUrl = await this.harness.listen(port);
    return this.baseUrl;
  }

  async close(): Promise<void> {
    await this.harness.close();
  }

  get url(): string {
    return this.baseUrl;
  }

  /** Back to the constructor's state: config as constructed, no accounts, items, carts or orders. */
  clear(): void {
    this.config = { ...this.initialConfig };
    this.accounts.clear();
    this.items.clear();
    this.itemsById.clear();
    this.itemList = null;
    this.brands = new Map(WPS_SIM_BRANDS.map((n, i) => [i + 1, n]));
    this.carts.clear();
    this.orders = [];
    this.seq = { account: 0, item: 0, cart: 0, order: 0, invoice: 0, tracking: 0 };
  }

  /** Full reset, same as POST /__control/reset: faults, recorded requests, accounts, catalog, orders. */
  async reset(): Promise<void> {
    if (this.baseUrl) {
      // Through the harness route, so its faults are cleared too.
      const res = await fetch(`${this.baseUrl}/__control/reset`, { method: 'POST' });
      if (!res.ok) throw new Error(`simulator reset answered ${res.status}`);
      return;
    }
    this.harness.requests.length = 0;
    this.clear();
  }

  setConfig(patch: Partial<WpsSimulatorConfig>): WpsSimulatorConfig {
    const next = { ...this.config };
    for (const [k, v] of Object.entries(patch ?? {})) {
      if (!(k in DEFAULT_CONFIG)) throw new ControlError(400, `unknown config key ${k}`);
      (next as Record<string, unknown>)[k] = v;
    }
    if (!['replace', 'reject'].includes(next.duplicateCartMode)) throw new ControlError(400, 'duplicateCartMode must be replace|reject');
    if (!['orders', 'carts'].includes(next.taxIdCheckAt)) throw new ControlError(400, 'taxIdCheckAt must be orders|carts');
    if (!['items', 'orders', 'none'].includes(next.stockCheck)) throw new ControlError(400, 'stockCheck must be items|orders|none');
    this.config = next;
    return this.config;
  }

  addAccount(credentials: { apiToken: string }, flags: Partial<WpsAccountFlags> = {}): { id: string; flags: WpsAccountFlags } {
    const token = credentials?.apiToken;
    if (typeof token !== 'string' || token === '') throw new ControlError(400, 'credentials.apiToken is required');
    let acct = this.accounts.get(token);
    if (!acct) {
      acct = {
        id: `acct-${++this.seq.account}`,
        token,
        flags: { taxIdOnFile: true, scopes: [...WPS_SCOPES], cardsOnFile: ['4242'] },
        pricingPolls: 0,
      };
      this.accounts.set(token, acct);
    }
    acct.flags = {
      taxIdOnFile: flags.taxIdOnFile ?? acct.flags.taxIdOnFile,
      scopes: flags.scopes ?? acct.flags.scopes,
      cardsOnFile: flags.cardsOnFile ?? acct.flags.cardsOnFile,
    };
    return { id: acct.id, flags: acct.flags };
  }

  putItem(sku: string, input: WpsItemInput = {}): Record<string, unknown> {
    if (!sku) throw new ControlError(400, 'sku is required');
    const status = (input.status ?? this.items.get(sku)?.status ?? 'STK').toUpperCase();
    const stockIn = input.warehouses;
    if (stockIn) {
      for (const [code, qty] of Object.entries(stockIn)) {
        if (!(WPS_SIM_WAREHOUSES as readonly string[]).includes(code)) throw new ControlError(400, `unknown warehouse ${code}`);
        if (!Number.isInteger(qty) || (qty as number) < 0) throw new ControlError(400, `warehouses.${code} must be a whole number ≥ 0`);
      }
    }
    const now = wpsDate(this.now());
    let brandId: number | undefined;
    if (input.brand !== undefined) {
      brandId = [...this.brands.entries()].find(([, n]) => n === input.brand)?.[0];
      if (brandId === undefined) {
        brandId = Math.max(0, ...this.brands.keys()) + 1;
        this.brands.set(brandId, input.brand);
      }
    }
    let item = this.items.get(sku);
    if (!item) {
      item = {
        id: ++this.seq.item,
        sku,
        name: input.name ?? `WPS item ${sku}`,
        status,
        price: input.price ?? 10,
        ...(input.dealerPrice !== null ? { dealerPrice: input.dealerPrice ?? input.price ?? 10 } : {}),
        upc: input.upc ?? null,
        brandId: brandId ?? 1,
        supplierProductId: input.supplierProductId ?? null,
        listPrice: input.listPrice ?? (input.price ?? 10) * 1.4,
        dropShipFee: input.dropShipFee ?? 0,
        dropShipEligible: input.dropShipEligible ?? true,
        stock: { CA: 0, GA: 0, ID: 0, IN: 0, PA: 0, PA2: 0, TX: 0 },
        createdAt: now,
        updatedAt: now,
      };
      this.items.set(sku, item);
      this.itemsById.set(item.id, item);
      this.itemList = null;
    } else {
      item.status = status;
      if (input.name !== undefined) item.name = input.name;
      if (input.price !== undefined) item.price = input.price;
      if (input.dealerPrice === null) delete item.dealerPrice;
      else if (input.dealerPrice !== undefined) item.dealerPrice = input.dealerPrice;
      if (input.upc !== undefined) item.upc = input.upc;
      if (brandId !== undefined) item.brandId = brandId;
      if (input.supplierProductId !== undefined) item.supplierProductId = input.supplierProductId;
      if (input.listPrice !== undefined) item.listPrice = input.listPrice;
      if (input.dropShipFee !== undefined) item.dropShipFee = input.dropShipFee;
      if (input.dropShipEligible !== undefined) item.dropShipEligible = input.dropShipEligible;
      item.updatedAt = now;
    }
    if (stockIn) {
      for (const w of WPS_SIM_WAREHOUSES) item.stock[w] = (stockIn[w] as number | undefined) ?? 0;
    }
    return { ...this.itemJson(item), stock: { ...item.stock } };
  }

  /**
   * Replaces the catalog with `count` deterministic synthetic items (same count and seed → same
   * items): SKUs like `87-9930`, about 4% DSC and 1% NLA, stock spread over the warehouses, every
   * 25th item missing from the dealer pricing file (its cost is then the standard dealer price).
   */
  generateCatalog(count: number, seed = 1): { count: number; firstSku: string | null; lastSku: string | null } {
    if (!Number.isInteger(count) || count < 0 || count > 900_000) throw new ControlError(400, 'count must be a whole number from 0 to 900000');
    if (!Number.isInteger(seed)) throw new ControlError(400, 'seed must be a whole number');
    this.items.clear();
    this.itemsById.clear();
    this.itemList = null;
    this.seq.item = 0;
    const rnd = seededRandom(seed);
    const now = wpsDate(this.now());
    const list: Item[] = new Array(count);
    for (let i = 0; i < count; i++) {
      // 90 prefixes × 10,000 suffixes: unique for i < 900,000
      const sku = `${10 + ((i + seed) % 90)}-${String(Math.floor(i / 90)).padStart(4, '0')}`;
      const r = rnd();
      const status = r < 0.04 ? 'DSC' : r < 0.05 ? 'NLA' : r < 0.07 ? 'NEW' : r < 0.08 ? 'CLO' : 'STK';
      const price = Math.round((4 + rnd() * 400) * 100) / 100;
      const brandId = 1 + (i % WPS_SIM_BRANDS.length);
      const stock = {} as Record<WpsSimWarehouse, number>;
      for (const w of WPS_SIM_WAREHOUSES) {
        const q = rnd();
        stock[w] = q < 0.4 ? 0 : Math.floor(q * 25);
      }
      const item: Item = {
        id: i + 1,
        sku,
        name: `${WPS_SIM_BRANDS[brandId - 1]} part ${sku}`,
        status,
        price,
        ...(i % 25 === 24 ? {} : { dealerPrice: Math.round(price * 92) / 100 }),
        upc: upcA(`7${String(10_000_000_000 + i * 7 + seed).slice(1)}`),
        brandId,
        supplierProductId: `${WPS_SIM_BRANDS[brandId - 1].slice(0, 3).toUpperCase()}-${100000 + i}`,
        listPrice: Math.round(price * 135) / 100,
        dropShipFee: i % 3 === 0 ? 0 : 2.5,
        dropShipEligible: i % 50 !== 7,
        stock,
        createdAt: now,
        updatedAt: now,
      };
      list[i] = item;
      this.items.set(sku, item);
      this.itemsById.set(item.id, item);
    }
    this.seq.item = count;
    this.itemList = list;
    return { count, firstSku: list[0]?.sku ?? null, lastSku: list[count - 1]?.sku ?? null };
  }

  /** Real (uncapped) stock of an item, for assertions. */
  stockOf(sku: string): Record<WpsSimWarehouse, number> | undefined {
    const it = this.items.get(sku);
    return it ? { ...it.stock } : undefined;
  }

  listOrders(): { orders: ControlOrder[] } {
    return {
      orders: this.orders.map((o) => ({
        poNumber: o.poNumber,
        orderId: o.orderNumber,
        account: o.accountId,
        lines: o.lines.map((l) => ({ ...l })),
        shipments: o.shipments.map((s) => ({ ...s, lines: s.lines.map((l) => ({ ...l })) })),
        createdAt: o.createdAt.toISOString(),
        orderNumbers: o.details.map((d) => d.order_number),
      })),
    };
  }

  /** Ships lines of the PO's open orders under one new tracking number. */
  ship(poNumber: string, req: ShipRequest = {}): { shipment: ControlShipment } {
    const orders = this.orders.filter((o) => o.poNumber === poNumber);
    if (orders.length === 0) throw new ControlError(404, `no order has PO ${poNumber}`);
    if (req.warehouse !== undefined && !(WPS_SIM_WAREHOUSES as readonly string[]).includes(req.warehouse)) {
      throw new ControlError(400, `unknown warehouse ${req.warehouse}`);
    }
    const open: { order: Order; detail: Detail }[] = [];
    for (const order of orders) for (const detail of order.details) if (detail.order_status === 'OPEN') open.push({ order, detail });
    const unshipped = new Map<string, number>();
    for (const { detail } of open) for (const it of detail.items) unshipped.set(it.sku, (unshipped.get(it.sku) ?? 0) + it.quantity);
    const wanted =
      req.lines && req.lines.length > 0 ? req.lines : [...unshipped.entries()].map(([sku, quantity]) => ({ sku, quantity }));
    if (wanted.length === 0) throw new ControlError(409, `PO ${poNumber} has nothing left to ship`);
    for (const l of wanted) {
      if (!l || typeof l.sku !== 'string' || !Number.isInteger(l.quantity) || l.quantity <= 0) {
        throw new ControlError(400, 'each line needs sku and a quantity above 0');
      }
    }
    const wantedTotals = new Map<string, number>();
    for (const l of wanted) wantedTotals.set(l.sku, (wantedTotals.get(l.sku) ?? 0) + l.quantity);
    for (const [sku, q] of wantedTotals) {
      if ((unshipped.get(sku) ?? 0) < q) throw new ControlError(400, `PO ${poNumber} has only ${unshipped.get(sku) ?? 0} of ${sku} unshipped`);
    }

    const firstOrder = open[0]?.order ?? orders[0];
    const carrier = (req.carrier ?? (firstOrder.cart.fields.ship_via as string | undefined) ?? 'UP2D').toUpperCase();
    const trackingNumber = req.trackingNumber ?? this.nextTracking(carrier);
    const shippedAtDate = req.shippedAt ? new Date(req.shippedAt) : this.now();
    if (Number.isNaN(shippedAtDate.getTime())) throw new ControlError(400, 'shippedAt must be an ISO time');

    // Prefer open entries in the requested warehouse.
    const pool = req.warehouse
      ? [...open.filter((x) => x.detail.warehouse === req.warehouse), ...open.filter((x) => x.detail.warehouse !== req.warehouse)]
      : open;
    const takes = new Map<Detail, Map<string, number>>();
    for (const [sku, qty] of wantedTotals) {
      let left = qty;
      for (const { detail } of pool) {
        if (left === 0) break;
        const it = detail.items.find((i) => i.sku === sku);
        if (!it) continue;
        const already = takes.get(detail)?.get(sku) ?? 0;
        const n = Math.min(left, it.quantity - already);
        if (n <= 0) continue;
        if (!takes.has(detail)) takes.set(detail, new Map());
        takes.get(detail)!.set(sku, already + n);
        left -= n;
      }
    }

    const shippedAtWps = wpsDate(shippedAtDate);
    const perOrder = new Map<Order, ControlShipment>();
    for (const { order, detail } of open) {
      const take = takes.get(detail);
      if (!take) continue;
      const whole = detail.items.every((i) => (take.get(i.sku) ?? 0) === i.quantity);
      let shipped: Detail;
      if (whole) {
        shipped = detail;
      } else {
        const shippedItems: DetailItem[] = [];
        for (const it of detail.items) {
          const n = take.get(it.sku) ?? 0;
          if (n > 0) shippedItems.push({ ...it, quantity: n });
          it.quantity -= n;
        }
        detail.items = detail.items.filter((i) => i.quantity > 0);
        shipped = {
          ...detail,
          order_number: String(this.orderNumberStart + this.seq.order++),
          items: shippedItems,
          tracking_numbers: [],
          misc_charges: 0,
        };
        order.details.push(shipped);
      }
      shipped.order_status = 'SHIPPED';
      shipped.warehouse = req.warehouse ?? detail.warehouse;
      shipped.ship_via = carrier;
      shipped.ship_date = shippedAtWps;
      shipped.invoice_number = 900001 + this.seq.invoice++;
      shipped.invoice_date = shippedAtWps;
      shipped.tracking_numbers = [...shipped.tracking_numbers, trackingNumber, ...(req.extraTrackingNumbers ?? [])];
      let cs = perOrder.get(order);
      if (!cs) {
        cs = { trackingNumber, carrier, lines: [], shippedAt: shippedAtDate.toISOString(), warehouse: shipped.warehouse };
        perOrder.set(order, cs);
        order.shipments.push(cs);
      }
      for (const it of shipped.items) {
        const ex = cs.lines.find((l) => l.sku === it.sku);
        if (ex) ex.quantity += it.quantity;
        else cs.lines.push({ sku: it.sku, quantity: it.quantity });
      }
    }
    const lines = [...wantedTotals.entries()].map(([sku, quantity]) => ({ sku, quantity }));
    return {
      shipment: {
        trackingNumber,
        carrier,
        lines,
        shippedAt: shippedAtDate.toISOString(),
        ...(req.warehouse ? { warehouse: req.warehouse } : {}),
      },
    };
  }

  // ------------------------------------------------------------------ helpers

  private nextTracking(shipVia: string): string {
    const n = ++this.seq.tracking;
    if (shipVia.startsWith('FE') || shipVia === 'AH2D') return `7${String(n).padStart(11, '0')}`;
    if (shipVia.startsWith('US')) return `9400${String(n).padStart(18, '0')}`;
    if (shipVia === 'CO5') return `C${String(n).padStart(14, '0')}`;
    if (shipVia.startsWith('UP') || shipVia === 'BEST') return `1ZWPS0${String(n).padStart(12, '0')}`;
    return `WPS${String(n).padStart(10, '0')}`;
  }

  private sortedItems(): Item[] {
    this.itemList ??= [...this.items.values()].sort((a, b) => a.id - b.id);
    return this.itemList;
  }

  private fileSignature(accountId: string): string {
    return createHash('sha256').update(`${this.fileKey}:${accountId}`).digest('hex').slice(0, 32);
  }

  private cap(q: number): number {
    return Math.min(q, this.config.inventoryCap);
  }

  private inventoryJson(item: Item): Record<string, unknown> {
    const f = (w: WpsSimWarehouse) => this.cap(item.stock[w]);
    const rec = {
      id: item.id,
      item_id: item.id,
      sku: item.sku,
      ca_warehouse: f('CA'),
      ga_warehouse: f('GA'),
      id_warehouse: f('ID'),
      in_warehouse: f('IN'),
      pa_warehouse: f('PA'),
      pa2_warehouse: f('PA2'),
      tx_warehouse: f('TX'),
      total: 0,
      created_at: item.createdAt,
      updated_at: item.updatedAt,
    };
    rec.total = WPS_SIM_WAREHOUSES.reduce((s, w) => s + f(w), 0);
    return rec;
  }

  private itemJson(item: Item): Record<string, unknown> {
    return {
      id: item.id,
      sku: item.sku,
      name: item.name,
      brand_id: item.brandId,
      product_id: item.id,
      supplier_product_id: item.supplierProductId,
      list_price: item.listPrice.toFixed(2),
      standard_dealer_price: item.price.toFixed(2),
      mapp_price: item.listPrice.toFixed(2),
      has_map_policy: false,
      status_id: item.status,
      status: item.status,
      upc: item.upc,
      superseded_sku: null,
      weight: 1,
      length: 1,
      width: 1,
      height: 1,
      drop_ship_fee: item.dropShipFee.toFixed(2),
      drop_ship_eligible: item.dropShipEligible,
      carb: null,
      prop_65_code: null,
      created_at: item.createdAt,
      updated_at: item.updatedAt,
    };
  }

  private itemWithIncludes(item: Item, include: string[]): Record<string, unknown> {
    const j = this.itemJson(item);
    if (include.includes('inventory')) j.inventory = { data: this.inventoryJson(item) };
    if (include.includes('brand')) {
      const name = this.brands.get(item.brandId);
      j.brand = { data: name === undefined ? null : { id: item.brandId, name } };
    }
    return j;
  }

  private err(reply: FastifyReply, status: number, message?: string, errors?: Record<string, string[]>) {
    return reply.code(status).send({ message: message ?? STATUS_TEXT[status] ?? 'Error', status_code: status, ...(errors ? { errors } : {}) });
  }

  private invalid(reply: FastifyReply, errors: Record<string, string[]>, message = 'The given data was invalid.') {
    return this.err(reply, 422, message, errors);
  }

  /** Bearer auth + scope check; answers 401/403 itself and returns undefined then. */
  private auth(req: FastifyRequest, reply: FastifyReply, scope?: string): Account | undefined {
    const h = req.headers.authorization;
    const m = typeof h === 'string' ? h.match(/^Bearer\s+(\S+)\s*$/i) : null;
    const acct = m ? this.accounts.get(m[1]) : undefined;
    if (!acct) {
      this.err(reply, 401, 'Unauthenticated.');
      return undefined;
    }
    if (scope && !acct.flags.scopes.includes(scope)) {
      this.err(reply, 403, `This access token does not have the "${scope}" scope required for ${req.method} ${req.url.split('?')[0]}.`);
      return undefined;
    }
    return acct;
  }

  private paginate<T>(req: FastifyRequest, reply: FastifyReply, list: T[]): { data: T[]; meta: unknown } | undefined {
    const q = req.query as Record<string, string | undefined>;
    const sizeRaw = q['page[size]'];
    const size = sizeRaw === undefined ? this.config.defaultPageSize : Number(sizeRaw);
    if (!Number.isInteger(size) || size < 1) {
      this.invalid(reply, { 'page.size': ['The page size must be an integer greater than 0.'] });
      return undefined;
    }
    let offset = 0;
    const cur = q['page[cursor]'];
    if (cur) {
      const o = decodeCursor(cur);
      if (o === undefined) {
        this.invalid(reply, { 'page.cursor': ['The page cursor is invalid.'] });
        return undefined;
      }
      offset = o;
    }
    const data = list.slice(offset, offset + size);
    const next = offset + size < list.length ? encodeCursor(offset + size) : null;
    const prev = offset > 0 ? encodeCursor(Math.max(0, offset - size)) : null;
    return { data, meta: { cursor: { current: cur ?? null, prev, next, count: data.length } } };
  }

  private cartKey(accountId: string, po: string): string {
    return `${accountId}|${po}`;
  }

  /** Laravel-style validation of the POST /carts body. */
  private validateCart(body: Record<string, unknown>): Record<string, string[]> {
    const errors: Record<string, string[]> = {};
    const add = (f: string, m: string) => (errors[f] ??= []).push(m);
    const str = (f: string, max?: number) => {
      const v = body[f];
      if (v === undefined || v === null) return;
      if (typeof v !== 'string') return add(f, `The ${attr(f)} must be a string.`);
      if (max !== undefined && v.length > max) add(f, `The ${attr(f)} may not be greater than ${max} characters.`);
    };
    if (body.po_number === undefined || body.po_number === null || body.po_number === '') add('po_number', 'The po number field is required.');
    else str('po_number', this.config.poNumberMaxLength);
    for (const f of ['ship_name', 'ship_address1', 'ship_address2', 'ship_address3']) str(f, 30);
    str('ship_city', 17);
    str('ship_state', 2);
    str('ship_zip', 15);
    str('ship_phone', 15);
    str('email', 50);
    if (typeof body.email === 'string' && body.email !== '' && !/^[^@\s]+@[^@\s]+\.[^@\s]+$/.test(body.email)) {
      add('email', 'The email must be a valid email address.');
    }
    for (const f of ['comment1', 'comment2', 'description']) str(f, 50);
    str('ship_to', 7);
    str('promo_code');
    str('cc_last_four', 4);
    for (const f of ['allow_backorder', 'hold_order', 'multiple_warehouse', 'proof_of_delivery']) {
      if (body[f] !== undefined && typeof body[f] !== 'boolean') add(f, `The ${attr(f)} field must be true or false.`);
    }
    if (body.default_warehouse !== undefined && !this.config.defaultWarehouseCodes.includes(String(body.default_warehouse))) {
      add('default_warehouse', 'The selected default warehouse is invalid.');
    }
    for (const f of ['ship_via', 'cross_ship_via']) {
      if (body[f] !== undefined && !this.config.shipViaCodes.includes(String(body[f]))) add(f, `The selected ${attr(f)} is invalid.`);
    }
    if (body.pay_type !== undefined && !['CC', 'OO'].includes(String(body.pay_type))) add('pay_type', 'The selected pay type is invalid.');
    // A drop-ship address must be complete (required_with).
    const addrFields = ['ship_name', 'ship_address1', 'ship_city', 'ship_state', 'ship_zip'];
    const present = addrFields.filter((f) => typeof body[f] === 'string' && body[f] !== '');
    if (present.length > 0 && !body.ship_to) {
      for (const f of addrFields) {
        if (!present.includes(f)) add(f, `The ${attr(f)} field is required when ${attr(present[0])} is present.`);
      }
    }
    return errors;
  }

  private available(cart: Cart, item: Item): number {
    const dw = cart.fields.default_warehouse as WpsSimWarehouse | undefined;
    if (cart.fields.multiple_warehouse === true) return WPS_SIM_WAREHOUSES.reduce((s, w) => s + item.stock[w], 0);
    if (dw) return item.stock[dw];
    return Math.max(...WPS_SIM_WAREHOUSES.map((w) => item.stock[w]));
  }

  private taxIdMessage(): string {
    return 'Your account does not have a Tax ID on file. A Tax ID is required before drop ship orders can be placed.';
  }

  /** Splits a line over warehouses (default warehouse first, then by stock) and takes the stock. */
  private allocate(cart: Cart, item: Item, qty: number): { warehouse: WpsSimWarehouse; quantity: number }[] {
    const dw = cart.fields.default_warehouse as WpsSimWarehouse | undefined;
    const others = WPS_SIM_WAREHOUSES.filter((w) => w !== dw)
      .map((w, i) => ({ w, i }))
      .sort((a, b) => item.stock[b.w] - item.stock[a.w] || a.i - b.i)
      .map((x) => x.w);
    const candidates = dw ? [dw, ...others] : others;
    const out: { warehouse: WpsSimWarehouse; quantity: number }[] = [];
    const single = candidates.find((w) => item.stock[w] >= qty);
    if (single) {
      out.push({ warehouse: single, quantity: qty });
    } else if (cart.fields.multiple_warehouse === true) {
      let left = qty;
      for (const w of candidates) {
        const n = Math.min(left, item.stock[w]);
        if (n > 0) {
          out.push({ warehouse: w, quantity: n });
          left -= n;
        }
      }
      if (left > 0) out.push({ warehouse: candidates[0], quantity: left }); // backorder
    } else {
      const w = candidates[0];
      out.push({ warehouse: w, quantity: qty }); // partly backordered
    }
    for (const a of out) item.stock[a.warehouse] = Math.max(0, item.stock[a.warehouse] - a.quantity);
    return out;
  }

  private poObject(po: string, orders: Order[]): Record<string, unknown> {
    const f = orders[orders.length - 1].cart.fields;
    return {
      po_number: po,
      ship_name: f.ship_name ?? null,
      ship_address: [f.ship_address1, f.ship_address2, f.ship_address3].filter(Boolean).join(' ') || null,
      ship_city: f.ship_city ?? null,
      ship_state: f.ship_state ?? null,
      ship_zip: f.ship_zip ?? null,
      order_details: orders.flatMap((o) =>
        o.details.map((d) => {
          const subtotal = d.items.reduce((s, i) => s + i.price * i.quantity, 0);
          return {
            order_number: d.order_number,
            order_status: d.order_status,
            invoice_number: d.invoice_number,
            freight: 0,
            misc_charges: d.misc_charges,
            order_total: Math.round((subtotal + d.misc_charges) * 100) / 100,
            warehouse: d.warehouse,
            order_date: d.order_date,
            ship_date: d.ship_date,
            invoice_date: d.invoice_date,
            ship_via: d.ship_via,
            tracking_numbers: [...d.tracking_numbers],
            items: d.items.map((i) => ({ sku: i.sku, name: i.name, quantity: i.quantity, price: i.price })),
          };
        }),
      ),
    };
  }

  // ------------------------------------------------------------------ routes

  private routes(): void {
    const app = this.harness.app;

    app.setNotFoundHandler((_req, reply) => this.err(reply, 404, 'Not Found'));
    app.setErrorHandler((error: { statusCode?: number; message?: string }, _req, reply) => {
      const status = error.statusCode && error.statusCode >= 400 ? error.statusCode : 500;
      return this.err(reply, status, status === 500 ? 'Server Error' : error.message);
    });

    // ---- control
    const control = async (reply: FastifyReply, fn: () => unknown) => {
      try {
        return reply.send(fn());
      } catch (e) {
        if (e instanceof ControlError) return reply.code(e.status).send({ error: e.message });
        throw e;
      }
    };
    app.post('/__control/accounts', async (req, reply) => {
      const b = (req.body ?? {}) as { credentials?: { apiToken: string }; flags?: Partial<WpsAccountFlags> };
      return control(reply, () => ({ account: this.addAccount(b.credentials as { apiToken: string }, b.flags ?? {}) }));
    });
    app.put('/__control/items/:sku', async (req, reply) => {
      const { sku } = req.params as { sku: string };
      return control(reply, () => ({ item: this.putItem(sku, (req.body ?? {}) as WpsItemInput) }));
    });
    app.get('/__control/orders', async () => this.listOrders());
    app.post('/__control/orders/:poNumber/ship', async (req, reply) => {
      const { poNumber } = req.params as { poNumber: string };
      return control(reply, () => this.ship(poNumber, (req.body ?? {}) as ShipRequest));
    });
    app.post('/__control/config', async (req, reply) =>
      control(reply, () => ({ config: this.setConfig((req.body ?? {}) as Partial<WpsSimulatorConfig>) })),
    );
    app.post('/__control/catalog/generate', async (req, reply) => {
      const b = (req.body ?? {}) as { count?: number; seed?: number };
      return control(reply, () => this.generateCatalog(b.count as number, b.seed ?? 1));
    });
    app.get('/__control/config', async () => ({ config: this.config }));

    // ---- warehouses (any valid token)
    app.get('/warehouses', async (req, reply) => {
      if (!this.auth(req, reply)) return reply;
      const page = this.paginate(req, reply, WAREHOUSE_LIST);
      if (!page) return reply;
      return page;
    });

    // ---- carts
    app.post('/carts', async (req, reply) => {
      const acct = this.auth(req, reply, 'orders');
      if (!acct) return reply;
      const body = req.body && typeof req.body === 'object' && !Array.isArray(req.body) ? (req.body as Record<string, unknown>) : {};
      const errors = this.validateCart(body);
      if (Object.keys(errors).length > 0) return this.invalid(reply, errors);
      const po = String(body.po_number);
      const dropShip = typeof body.ship_address1 === 'string' && body.ship_address1 !== '';
      if (this.config.taxIdCheckAt === 'carts' && dropShip && !acct.flags.taxIdOnFile) {
        return this.err(reply, 422, this.taxIdMessage());
      }
      const key = this.cartKey(acct.id, po);
      if (this.carts.has(key) && this.config.duplicateCartMode === 'reject') {
        return this.invalid(reply, { po_number: [`A cart with po number ${po} already exists.`] });
      }
      const cart: Cart = {
        accountId: acct.id,
        cartNumber: String(++this.seq.cart),
        poNumber: po,
        fields: { ...body, po_number: po },
        dropShip,
        lines: [],
      };
      this.carts.set(key, cart);
      return { data: { cart_number: cart.cartNumber, po_number: po, shipment_type: dropShip ? 'DROP_SHIP' : 'STANDARD' } };
    });

    app.post('/carts/:po/items', async (req, reply) => {
      const acct = this.auth(req, reply, 'orders');
      if (!acct) return reply;
      const { po } = req.params as { po: string };
      const cart = this.carts.get(this.cartKey(acct.id, po));
      if (!cart) return this.err(reply, 404, `Cart ${po} not found.`);
      const body = req.body && typeof req.body === 'object' ? (req.body as Record<string, unknown>) : {};
      const errors: Record<string, string[]> = {};
      let item: Item | undefined;
      if (body.item_sku === undefined && body.item_id === undefined) {
        errors.item_sku = ['The item sku field is required when item id is not present.'];
      } else if (body.item_sku !== undefined) {
        item = this.items.get(String(body.item_sku));
        if (!item) errors.item_sku = ['The selected item sku is invalid.'];
      } else {
        item = this.itemsById.get(Number(body.item_id));
        if (!item) errors.item_id = ['The selected item id is invalid.'];
      }
      const qty = body.quantity;
      if (qty === undefined || qty === null) errors.quantity = ['The quantity field is required.'];
      else if (typeof qty !== 'number' || !Number.isInteger(qty)) errors.quantity = ['The quantity must be an integer.'];
      else if (qty <= 0) errors.quantity = ['The quantity must be at least 1.'];
      if (body.note !== undefined && (typeof body.note !== 'string' || body.note.length > 50)) {
        errors.note = ['The note may not be greater than 50 characters.'];
      }
      if (Object.keys(errors).length > 0) return this.invalid(reply, errors);
      const it = item!;
      const field = body.item_sku !== undefined ? 'item_sku' : 'item_id';
      if (!ORDERABLE.includes(it.status) || NOT_ORDERABLE.includes(it.status)) {
        return this.invalid(reply, { [field]: [`Item ${it.sku} has status ${it.status} and cannot be ordered.`] });
      }
      if (cart.dropShip && !it.dropShipEligible) {
        return this.invalid(reply, { [field]: [`Item ${it.sku} is not eligible for drop ship.`] });
      }
      const existing = cart.lines.find((l) => l.itemId === it.id);
      const newQty = (existing?.quantity ?? 0) + (qty as number);
      if (this.config.stockCheck === 'items' && cart.fields.allow_backorder !== true) {
        const avail = this.available(cart, it);
        if (avail < newQty) {
          return this.invalid(reply, {
            quantity: [`Only ${avail} of item ${it.sku} available in the allowed warehouses and backorders are not allowed.`],
          });
        }
      }
      if (existing) {
        existing.quantity = newQty;
        if (typeof body.note === 'string') existing.note = body.note;
      } else {
        cart.lines.push({ itemId: it.id, sku: it.sku, quantity: newQty, ...(typeof body.note === 'string' ? { note: body.note } : {}) });
      }
      return { data: { po_number: po, cart_number: cart.cartNumber, item: it.sku, item_id: it.id, quantity: newQty, status: 'ADDED' } };
    });

    app.get('/carts/:po', async (req, reply) => {
      const acct = this.auth(req, reply, 'orders');
      if (!acct) return reply;
      const { po } = req.params as { po: string };
      const cart = this.carts.get(this.cartKey(acct.id, po));
      if (!cart) return this.err(reply, 404, `Cart ${po} not found.`);
      return {
        data: {
          ...cart.fields,
          cart_number: cart.cartNumber,
          po_number: po,
          shipment_type: cart.dropShip ? 'DROP_SHIP' : 'STANDARD',
          items: cart.lines.map((l) => ({ item: l.sku, item_id: l.itemId, quantity: l.quantity, ...(l.note ? { note: l.note } : {}) })),
        },
      };
    });

    app.delete('/carts/:po', async (req, reply) => {
      const acct = this.auth(req, reply, 'orders');
      if (!acct) return reply;
      const { po } = req.params as { po: string };
      const key = this.cartKey(acct.id, po);
      if (!this.carts.has(key)) return this.err(reply, 404, `Cart ${po} not found.`);
      this.carts.delete(key);
      return reply.code(204).send();
    });

    // ---- orders
    app.post('/orders', async (req, reply) => {
      const acct = this.auth(req, reply, 'orders');
      if (!acct) return reply;
      const body = req.body && typeof req.body === 'object' ? (req.body as Record<string, unknown>) : {};
      if (body.po_number === undefined || body.po_number === null || body.po_number === '') {
        return this.invalid(reply, { po_number: ['The po number field is required.'] });
      }
      const po = String(body.po_number);
      const cart = this.carts.get(this.cartKey(acct.id, po));
      if (!cart) return this.err(reply, 404, `Cart ${po} not found.`);
      if (cart.lines.length === 0) return this.invalid(reply, { items: ['The cart has no items.'] }, 'The cart has no items.');
      if (this.config.taxIdCheckAt === 'orders' && cart.dropShip && !acct.flags.taxIdOnFile) {
        return this.err(reply, 422, this.taxIdMessage());
      }
      if (cart.fields.pay_type === 'CC') {
        const last4 = cart.fields.cc_last_four as string | undefined;
        if (!last4 || !acct.flags.cardsOnFile.includes(last4)) {
          return this.invalid(reply, {
            cc_last_four: [last4 ? `No credit card ending in ${last4} is on file.` : 'A credit card on file is required for pay type CC.'],
          });
        }
      }
      const lineItems = cart.lines.map((l) => ({ line: l, item: this.items.get(l.sku)! }));
      if (this.config.stockCheck === 'orders' && cart.fields.allow_backorder !== true) {
        const short = lineItems.filter(({ line, item }) => this.available(cart, item) < line.quantity);
        if (short.length > 0) {
          return this.invalid(reply, {
            items: short.map(({ line, item }) => `Only ${this.available(cart, item)} of item ${line.sku} available and backorders are not allowed.`),
          });
        }
      }
      const now = this.now();
      const orderDate = wpsDate(now);
      const byWarehouse = new Map<string, DetailItem[]>();
      const feeBy = new Map<string, number>();
      for (const { line, item } of lineItems) {
        for (const a of this.allocate(cart, item, line.quantity)) {
          const list = byWarehouse.get(a.warehouse) ?? [];
          const ex = list.find((i) => i.sku === line.sku);
          if (ex) ex.quantity += a.quantity;
          else list.push({ sku: line.sku, name: item.name, quantity: a.quantity, price: item.price });
          byWarehouse.set(a.warehouse, list);
          feeBy.set(a.warehouse, (feeBy.get(a.warehouse) ?? 0) + (cart.dropShip ? item.dropShipFee * a.quantity : 0));
        }
      }
      const details: Detail[] = [...byWarehouse.entries()].map(([warehouse, items]) => ({
        order_number: String(this.orderNumberStart + this.seq.order++),
        order_status: 'OPEN',
        warehouse,
        items,
        order_date: orderDate,
        ship_date: null,
        invoice_number: null,
        invoice_date: null,
        ship_via: (cart.fields.ship_via as string | undefined) ?? null,
        tracking_numbers: [],
        misc_charges: feeBy.get(warehouse) ?? 0,
      }));
      const order: Order = {
        accountId: acct.id,
        poNumber: po,
        orderNumber: details[0].order_number,
        lines: cart.lines.map((l) => ({ sku: l.sku, quantity: l.quantity })),
        cart: { ...cart, fields: { ...cart.fields }, lines: cart.lines.map((l) => ({ ...l })) },
        details,
        shipments: [],
        createdAt: now,
      };
      this.orders.push(order);
      // The cart survives its order (§8.1): a second POST /orders places a second order.
      return { data: { order_number: order.orderNumber, po_number: po, status: 'OPEN' } };
    });

    app.get('/orders/:po', async (req, reply) => {
      const acct = this.auth(req, reply, 'orders');
      if (!acct) return reply;
      const { po } = req.params as { po: string };
      const orders = this.orders.filter((o) => o.accountId === acct.id && o.poNumber === po);
      if (orders.length === 0) return this.err(reply, 404, `Order ${po} not found.`);
      return { data: this.poObject(po, orders) };
    });

    app.get('/orders', async (req, reply) => {
      const acct = this.auth(req, reply, 'orders');
      if (!acct) return reply;
      const q = req.query as Record<string, string | undefined>;
      const errors: Record<string, string[]> = {};
      for (const f of ['from_date', 'to_date']) {
        const v = q[f];
        if (!v) errors[f] = [`The ${attr(f)} field is required.`];
        else if (!/^\d{8}$/.test(v)) errors[f] = [`The ${attr(f)} does not match the format Ymd.`];
      }
      if (Object.keys(errors).length > 0) return this.invalid(reply, errors);
      const from = q.from_date!;
      const to = q.to_date!;
      const ymd = (d: Date) => d.toISOString().slice(0, 10).replace(/-/g, '');
      const mine = this.orders.filter((o) => o.accountId === acct.id && ymd(o.createdAt) >= from && ymd(o.createdAt) <= to);
      const pos = [...new Set(mine.map((o) => o.poNumber))];
      return { data: pos.map((po) => this.poObject(po, mine.filter((o) => o.poNumber === po))) };
    });

    // ---- items & inventory
    const includesOf = (req: FastifyRequest) =>
      String((req.query as Record<string, string | undefined>).include ?? '')
        .split(',')
        .map((s) => s.trim())
        .filter(Boolean);

    app.get('/items', async (req, reply) => {
      if (!this.auth(req, reply, 'items')) return reply;
      const q = req.query as Record<string, string | undefined>;
      let list = this.sortedItems();
      const skuFilter = q['filter[sku]'];
      if (skuFilter !== undefined) {
        const skus = [...new Set(skuFilter.split(',').map((s) => s.trim()))];
        list = skus.map((sku) => this.items.get(sku)).filter((i): i is Item => i !== undefined).sort((a, b) => a.id - b.id);
      }
      const pre = q['filter[sku][pre]'];
      if (pre !== undefined) list = list.filter((i) => i.sku.startsWith(pre));
      const page = this.paginate(req, reply, list);
      if (!page) return reply;
      const inc = includesOf(req);
      return { data: page.data.map((i) => this.itemWithIncludes(i, inc)), meta: page.meta };
    });

    app.get('/items/crutch/:sku', async (req, reply) => {
      if (!this.auth(req, reply, 'items')) return reply;
      const { sku } = req.params as { sku: string };
      // v3 SKUs were the same part numbers without dashes.
      const it = [...this.items.values()].find((i) => i.sku === sku || i.sku.replace(/-/g, '') === sku.replace(/-/g, ''));
      if (!it) return this.err(reply, 404, 'Item not found.');
      return { data: this.itemWithIncludes(it, includesOf(req)) };
    });

    app.get('/items/:ids', async (req, reply) => {
      if (!this.auth(req, reply, 'items')) return reply;
      const { ids } = req.params as { ids: string };
      const wanted = ids.split(',').map((s) => Number(s.trim()));
      const found = [...new Set(wanted)].map((id) => this.itemsById.get(id)).filter((i): i is Item => i !== undefined).sort((a, b) => a.id - b.id);
      const inc = includesOf(req);
      if (wanted.length === 1) {
        if (found.length === 0) return this.err(reply, 404, 'Item not found.');
        return { data: this.itemWithIncludes(found[0], inc) };
      }
      return { data: found.map((i) => this.itemWithIncludes(i, inc)) };
    });

    const inventoryWithIncludes = (item: Item, inc: string[]) => {
      const j = this.inventoryJson(item);
      if (inc.includes('item')) j.item = { data: this.itemJson(item) };
      return j;
    };

    app.get('/inventory', async (req, reply) => {
      if (!this.auth(req, reply, 'inventory')) return reply;
      const q = req.query as Record<string, string | undefined>;
      let list = this.sortedItems();
      if (q['filter[item_id]'] !== undefined) {
        const ids = q['filter[item_id]'].split(',').map((s) => Number(s.trim()));
        list = list.filter((i) => ids.includes(i.id));
      }
      if (q['filter[sku]'] !== undefined) {
        const skus = q['filter[sku]'].split(',').map((s) => s.trim());
        list = list.filter((i) => skus.includes(i.sku));
      }
      const page = this.paginate(req, reply, list);
      if (!page) return reply;
      const inc = includesOf(req);
      return { data: page.data.map((i) => inventoryWithIncludes(i, inc)), meta: page.meta };
    });

    app.get('/inventory/:ids', async (req, reply) => {
      if (!this.auth(req, reply, 'inventory')) return reply;
      const { ids } = req.params as { ids: string };
      const wanted = ids.split(',').map((s) => Number(s.trim()));
      const found = [...new Set(wanted)].map((id) => this.itemsById.get(id)).filter((i): i is Item => i !== undefined).sort((a, b) => a.id - b.id);
      const inc = includesOf(req);
      if (wanted.length === 1) {
        if (found.length === 0) return this.err(reply, 404, 'Inventory not found.');
        return { data: inventoryWithIncludes(found[0], inc) };
      }
      return { data: found.map((i) => inventoryWithIncludes(i, inc)) };
    });

    // ---- dealer pricing
    app.get('/dealer-pricing', async (req, reply) => {
      const acct = this.auth(req, reply, 'dealer-pricing');
      if (!acct) return reply;
      if (acct.pricingPolls < this.config.dealerPricingPolls) {
        acct.pricingPolls += 1;
        return reply.code(202).send({ message: 'Your dealer pricing file is being generated. Please check back shortly.', status_code: 202 });
      }
      const host = req.headers.host ?? '127.0.0.1';
      const location = `http://${host}/files/dealer-pricing/${this.fileSignature(acct.id)}/${acct.id}.csv`;
      return reply.header('location', location).send({ data: { location } });
    });

    // The pre-signed file: no token, CSV `sku,dealer_price`, streamed.
    app.get('/files/dealer-pricing/:sig/:file', async (req, reply) => {
      const { sig, file } = req.params as { sig: string; file: string };
      const accountId = file.replace(/\.csv$/, '');
      if (req.headers.authorization) {
        return reply.code(400).type('application/xml').send('<Error><Code>InvalidArgument</Code><Message>Only one auth mechanism allowed</Message></Error>');
      }
      if (!sig || sig !== this.fileSignature(accountId) || ![...this.accounts.values()].some((a) => a.id === accountId)) {
        return reply.code(403).type('application/xml').send('<Error><Code>AccessDenied</Code><Message>Access Denied</Message></Error>');
      }
      const items = this.sortedItems();
      async function* csv() {
        yield 'sku,dealer_price\n';
        let chunk = '';
        for (let i = 0; i < items.length; i++) {
          const it = items[i];
          if (it.dealerPrice !== undefined) chunk += `${it.sku},${it.dealerPrice.toFixed(2)}\n`;
          if (chunk.length > 64_000) {
            yield chunk;
            chunk = '';
          }
        }
        if (chunk) yield chunk;
      }
      return reply.type('text/csv').send(Readable.from(csv()));
    });

    app.get('/dealer-pricing/:itemId', async (req, reply) => {
      if (!this.auth(req, reply, 'dealer-pricing')) return reply;
      const { itemId } = req.params as { itemId: string };
      const it = this.itemsById.get(Number(itemId));
      if (!it) return this.err(reply, 404, 'Item not found.');
      return { data: { item_id: it.id, sku: it.sku, dealer_price: (it.dealerPrice ?? it.price).toFixed(2), drop_ship_fee: it.dropShipFee.toFixed(2) } };
    });
  }
}

export function createWpsSimulator(options: WpsSimulatorOptions = {}): WpsSimulator {
  return new WpsSimulator(options);
}

/** 11 digits → a 12-digit UPC-A with its check digit. */
function upcA(body11: string): string {
  let sum = 0;
  for (let i = 0; i < 11; i++) sum += Number(body11[i]) * (i % 2 === 0 ? 3 : 1);
  return body11 + String((10 - (sum % 10)) % 10);
}
