// Automatic Distributors (autodist.com) API v0.6.2 adapter.
// Reference: ../shared/reference/distributor-apis.md §4, §6.4 and the working assumptions of §8.4.
//
// Idempotency:
// - POST /order/create: the API has no idempotency key. Per §8.4 a second create with a
//   `purchaseNumber` that is already in use creates ANOTHER order under the same PO (the v2
//   "revoke all orders for a PO" feature exists because several orders can share a PO). Some
//   accounts may instead refuse the reuse (400/E100 naming the purchase number); that refusal maps
//   to `duplicate_po`. Either way the adapter never re-sends on its own: a timeout, a reset or a
//   5xx after sending is `ambiguous`, and the caller must call findOrder(po) first.
//   findOrder resolves the ambiguity: GET /order/purchase-number/{po} answers the (latest) order
//   under the PO, or 404/E201 when the distributor positively has none → null → safe to re-send.
// - cancelOrder: POST /order/number/cancel/{order} when the order number is known (the order we
//   placed, as findOrder looks it up), else POST /order/purchase-number/cancel/{po} (every order
//   under the PO). Cancelling twice resolves `cancelled: true` again, so a re-sent cancel is
//   harmless: whether Automatic answers the cancelled order again or refuses with "already
//   cancelled" is [UNKNOWN], and both read as cancelled. Automatic's refusals (shipped: 400/E100
//   with its reason; no such order: 404/E201) resolve `cancelled: false` with that reason. A
//   5xx/timeout on it is `ambiguous`: findOrder shows whether it went through (status CANCELLED).
// - findOrders reads many POs with GET /order/find?purchaseNumbers=… (batched); its order details
//   carry their tracking, so it needs no per-order tracking call.
// - Reads (item/avail, lookups, tracking) have no side effects and are safe to repeat.
//
// Every response shape the public record does not confirm lives in ONE mapping function below
// (mapCreateAnswer, mapOrderDetail, mapTrackingEntries, mapFindAnswer, mapAvailability, mapCancelAnswer,
// classifyAutomaticFailure, mapAutomaticCarrier, buildCreateBody), so a correction from Automatic
// touches one place.
import { createInterface } from 'node:readline';
import type { Readable } from 'node:stream';
import { parse as parseCsvSync } from 'csv-parse/sync';
import { z } from 'zod';
import { maskSecret } from '../crypto';
import { normalizeCarrier, type CanonicalCarrier } from '../carriers';
import { ExternalCallError, parseRetryAfter } from '../external-errors';
import { classifyCommonStatus, DEFAULT_REQUESTS_PER_SECOND, resolveBaseUrl, type HttpClient, type HttpResponse } from '../http';
import { accountRateLimitKey } from '../rate-limit';
import { ftpFeedSettingsSchema, openFtpDownload, verifyFtpFeed, type FtpClientOptions, type FtpFeedSettings, type FtpFileSource } from '../feeds/ftp';
import type {
  AdapterContext,
  CancelOutcome,
  DistributorAdapter,
  DistributorLimits,
  DistributorFeed,
  DistributorModule,
  DistributorShipment,
  FeedContext,
  FeedItem,
  FeedRecord,
  FoundOrder,
  PlacedOrder,
  PurchaseOrderRequest,
  ShipTo,
  StockLevel,
} from './types';

const TARGET = 'automatic';
const NAME = 'Automatic Distributors';

/**
 * Requests per second per Automatic API token when the dealer's connection sets none. Automatic
 * throttles with 403/E003 but publishes no rate (reference §4.2), so this is the engine-wide guess.
 */
export const AUTOMATIC_DEFAULT_REQUESTS_PER_SECOND = DEFAULT_REQUESTS_PER_SECOND;

/**
 * [UNKNOWN → GUESS] The production host is not public (§4.1: the public client reads it from
 * configuration; §8.4: "the base URL is configuration"). This constant is a placeholder; set the
 * connection's `baseUrl` to the host Automatic gives you. HTTPS is mandatory (plain HTTP → 406/E004).
 */
export const AUTOMATIC_PRODUCTION_BASE_URL = 'https://api.autodist.com';

/**
 * [UNKNOWN → GUESS] §4.4/§7: Automatic's warehouse list is not public. The availability answer of
 * §8.4 carries `warehouses: [{code, quantity}]`; the adapter reports whatever codes it returns. This
 * single default code is what warehouse rules are keyed on until Automatic names its warehouses.
 */
export const AUTOMATIC_WAREHOUSES = ['MAIN'] as const;

/**
 * PO: §4.2 (v2) "ASCII-printable, ≤22 chars". Address limits are [GUESS] (§8.4 gives the field
 * names, not lengths): typical 35-character address lines of US distributor order entry.
 */
export const AUTOMATIC_LIMITS: DistributorLimits = {
  poNumberMaxLength: 22,
  poNumberPattern: /^[\x20-\x7E]+$/,
  nameMaxLength: 35,
  address1MaxLength: 35,
  address2MaxLength: 35,
  cityMaxLength: 30,
  stateLength: 2,
  postalCodeMaxLength: 10,
  phoneMaxLength: 15,
};

export interface AutomaticAdapterOptions {
  /** Per-request timeout (default 15 s). */
  timeoutMs?: number;
  /**
   * Replaces AUTOMATIC_DEFAULT_REQUESTS_PER_SECOND when the connection sets no budget (0 = no cap);
   * the connection's own budget (ctx.requestsPerSecond) wins over it. Cluster-wide when the HTTP
   * client factory has a shared limiter (the call log's does).
   */
  rateLimitPerSecond?: number;
  /** Optional `shipMethod` sent with every order (default: none, Automatic chooses). */
  shipMethod?: string;
  /**
   * [GUESS] `shipToAddress.classification` values. `auto` (default) sends COMMERCIAL when the
   * ship-to has a company, else RESIDENTIAL; `omit` leaves the field out.
   */
  addressClassification?: 'auto' | 'RESIDENTIAL' | 'COMMERCIAL' | 'omit';
  /** Item number used by verifyCredentials' availability call (default `VERIFY`; unknown is fine). */
  verifyItemNumber?: string;
  /** Check PO and address against `limits` before sending (default true). */
  preflight?: boolean;
  /** Overrides of the [GUESS] limits used by the pre-flight. */
  limits?: Partial<DistributorLimits>;
  /** [GUESS] Countries Automatic drop-ships to (default US only). */
  allowedCountries?: string[];
  /** [UNKNOWN] PO numbers per GET /order/find in findOrders (default 50). */
  maxOrdersPerFind?: number;
  /**
   * [UNKNOWN] How /order/find takes several `purchaseNumbers` (§4.2 names the parameter, not its
   * form): `comma` (default) one comma-separated value; `repeat` the key once per PO.
   */
  findListStyle?: 'comma' | 'repeat';
}

/** Automatic documents cancel (§4.2), so its adapter always has cancelOrder. */
export type AutomaticAdapter = DistributorAdapter & Required<Pick<DistributorAdapter, 'cancelOrder'>>;

export type AutomaticCredentials = {
  apiToken: string;
  /** The inventory file's FTP account (§4.3, §8.5); optional: ordering works without it. */
  feed?: FtpFeedSettings;
};

// ---------------------------------------------------------------------------------------------
// Mapping functions (the only places that know Automatic's guessed shapes)
// ---------------------------------------------------------------------------------------------

/** Automatic's carrier names (`UPS Ground`, `FedEx Home Delivery`, `R+L Carriers`, …) → canonical. */
export function mapAutomaticCarrier(raw: string | undefined | null): CanonicalCarrier {
  const direct = normalizeCarrier(raw);
  if (direct !== 'Other' || !raw) return direct;
  const key = raw.toUpperCase().replace(/[^A-Z0-9]/g, '');
  const prefixes: [string, CanonicalCarrier][] = [
    ['UPSMAILINNOVATIONS', 'UPSMailInnovations'],
    ['UPSMI', 'UPSMailInnovations'],
    ['UPS', 'UPS'],
    ['FEDEXSMARTPOST', 'FedExSmartPost'],
    ['FEDEXGROUNDECONOMY', 'FedExSmartPost'],
    ['FEDEX', 'FedEx'],
    ['FDX', 'FedEx'],
    ['USPS', 'USPS'],
    ['DHLECOMMERCE', 'DHLeCommerce'],
    ['DHL', 'DHLExpress'],
    ['ONTRAC', 'OnTrac'],
    ['LASERSHIP', 'LaserShip'],
  ];
  for (const [p, c] of prefixes) if (key.startsWith(p)) return c;
  return 'Other';
}

/** `MM/DD/YY` (§4.2 v2, §8.4), also `MM/DD/YYYY` or ISO → ISO-8601 UTC; undefined if unreadable. */
export function parseAutomaticDate(raw: unknown): string | undefined {
  if (typeof raw !== 'string' || !raw.trim()) return undefined;
  const m = /^(\d{1,2})\/(\d{1,2})\/(\d{2}|\d{4})$/.exec(raw.trim());
  if (m) {
    const year = m[3].length === 2 ? 2000 + Number(m[3]) : Number(m[3]);
    const d = new Date(Date.UTC(year, Number(m[1]) - 1, Number(m[2])));
    return Number.isNaN(d.getTime()) ? undefined : d.toISOString();
  }
  const t = Date.parse(raw);
  return Number.isNaN(t) ? undefined : new Date(t).toISOString();
}

function str(v: unknown): string | undefined {
  if (typeof v === 'number' && Number.isFinite(v)) return String(v);
  if (typeof v === 'string' && v.trim() !== '') return v.trim();
  return undefined;
}

/** The §8.4 create body. */
export function buildCreateBody(order: PurchaseOrderRequest, opts: AutomaticAdapterOptions = {}): Record<string, unknown> {
  const s = order.shipTo;
  const mode = opts.addressClassification ?? 'auto';
  const shipToAddress: Record<string, string> = {
    name: s.name,
    address1: s.address1,
    ...(s.address2 ? { address2: s.address2 } : {}),
    city: s.city,
    state: s.state.toUpperCase(),
    zip: s.postalCode,
    ...(s.phone ? { phone: s.phone } : {}),
  };
  // [GUESS] §8.4 has no company field; the company only decides the classification.
  if (mode !== 'omit') shipToAddress.classification = mode === 'auto' ? (s.company ? 'COMMERCIAL' : 'RESIDENTIAL') : mode;
  return {
    purchaseNumber: order.poNumber,
    shipToAddress,
    items: order.lines.map((l) => ({ number: l.distributorSku, quantity: l.quantity })),
    ...(opts.shipMethod ? { shipMethod: opts.shipMethod } : {}),
  };
}

/** Create answer (§8.4): `{header: {orderNumber, ponumber, …}}` → the order number. */
export function mapCreateAnswer(body: unknown): PlacedOrder | undefined {
  const header = (body as { header?: Record<string, unknown> } | undefined)?.header;
  const id = str(header?.orderNumber);
  return id ? { distributorOrderId: id } : undefined;
}

export interface AutomaticOrderHeader {
  orderNumber: string;
  poNumber?: string;
  status: string;
}

/** Lookup answer (§8.4): `{header: {orderNumber, poNumber, status, …}, lines, tracking}`. */
export function mapOrderDetail(body: unknown): AutomaticOrderHeader | undefined {
  const detail = Array.isArray(body) ? body[body.length - 1] : body;
  const header = (detail as { header?: Record<string, unknown> } | undefined)?.header;
  const orderNumber = str(header?.orderNumber);
  if (!header || !orderNumber) return undefined;
  return {
    orderNumber,
    poNumber: str(header.poNumber) ?? str(header.ponumber),
    status: str(header.status) ?? 'UNKNOWN',
  };
}

/**
 * Tracking entries (§8.4): `[{orderNumber, orderGenerationNumber, carrier, trackingNumber,
 * proNumber, shipDate, items: [{number, quantity}]}]`. The parcel tracking number and the LTL
 * freight PRO number are separate (§4.2 v2): a PRO number goes to `freightNumber`, never to
 * `trackingNumber`; a freight-only shipment has an empty `trackingNumber` and its carrier comes from
 * its carrier name. Entries of other orders under the same PO are skipped; entries sharing a
 * tracking number are merged.
 */
export function mapTrackingEntries(body: unknown, orderNumber?: string): DistributorShipment[] {
  const list = Array.isArray(body)
    ? body
    : Array.isArray((body as { tracking?: unknown[] } | undefined)?.tracking)
      ? (body as { tracking: unknown[] }).tracking
      : [];
  const byKey = new Map<string, DistributorShipment>();
  for (const raw of list) {
    const e = (raw ?? {}) as Record<string, unknown>;
    const entryOrder = str(e.orderNumber);
    if (orderNumber && entryOrder && entryOrder !== orderNumber) continue;
    const trackingNumber = str(e.trackingNumber) ?? '';
    const freightNumber = str(e.proNumber);
    if (!trackingNumber && !freightNumber) continue;
    const carrierName = str(e.carrier);
    const lines = (Array.isArray(e.items) ? e.items : [])
      .map((i) => i as Record<string, unknown>)
      .map((i) => ({ distributorSku: str(i.number) ?? '', quantity: Number(i.quantity) || 0 }))
      .filter((l) => l.distributorSku && l.quantity > 0);
    const key = trackingNumber ? `T:${trackingNumber}` : `P:${freightNumber}`;
    const prev = byKey.get(key);
    if (prev) {
      for (const l of lines) {
        const same = prev.lines.find((p) => p.distributorSku === l.distributorSku);
        if (same) same.quantity += l.quantity;
        else prev.lines.push(l);
      }
      if (!prev.freightNumber && freightNumber) prev.freightNumber = freightNumber;
      continue;
    }
    byKey.set(key, {
      trackingNumber,
      carrier: mapAutomaticCarrier(carrierName),
      ...(carrierName ? { service: carrierName } : {}),
      shippedAt: parseAutomaticDate(e.shipDate) ?? new Date(0).toISOString(),
      lines,
      ...(freightNumber ? { freightNumber } : {}),
    });
  }
  return [...byKey.values()];
}

/**
 * GET /order/find answer: a list of order details (§8.4 shape, `tracking` inside each) → one
 * FoundOrder per PO. Several orders under one PO: the one numbered `orderNumberOf(po)` when given,
 * else the last listed, as a lookup by PO answers the latest.
 */
export function mapFindAnswer(body: unknown, orderNumberOf: (po: string) => string | undefined = () => undefined): Map<string, FoundOrder> {
  const list = Array.isArray(body) ? body : Array.isArray((body as { orders?: unknown[] } | undefined)?.orders) ? (body as { orders: unknown[] }).orders : [];
  const out = new Map<string, FoundOrder>();
  for (const detail of list) {
    const header = mapOrderDetail(detail);
    if (!header?.poNumber) continue;
    // A later order replaces the one kept, unless the one kept is the order asked for.
    const wanted = orderNumberOf(header.poNumber);
    if (wanted && out.get(header.poNumber)?.distributorOrderId === wanted) continue;
    out.set(header.poNumber, { distributorOrderId: header.orderNumber, status: header.status, shipments: mapTrackingEntries(detail, header.orderNumber) });
  }
  return out;
}

/** Availability (§8.4): `{number, quantityRequested, quantityAvailable, available, warehouses}`. */
export function mapAvailability(sku: string, body: unknown): StockLevel {
  const b = (body ?? {}) as Record<string, unknown>;
  const warehouses = (Array.isArray(b.warehouses) ? b.warehouses : [])
    .map((w) => w as Record<string, unknown>)
    .map((w) => ({ code: (str(w.code) ?? '').toUpperCase(), quantity: Math.max(0, Math.floor(Number(w.quantity) || 0)) }))
    .filter((w) => w.code);
  if (warehouses.length === 0 && Number(b.quantityAvailable) > 0) {
    // No per-warehouse split: report the total under the single default warehouse.
    warehouses.push({ code: AUTOMATIC_WAREHOUSES[0], quantity: Math.floor(Number(b.quantityAvailable)) });
  }
  return { distributorSku: sku, orderable: true, warehouses };
}

/**
 * Cancel answers (§8.4 shapes): 2xx with the order detail (by number) or a list of them (by PO);
 * cancelled when every header says CANCELLED, and so is a 400/E100 saying it already is. A refusal
 * Automatic explains (400/E100, e.g. "has shipped and can no longer be cancelled") or 404/E201 (no
 * such order) is `cancelled: false` with the reason; any other answer is left to
 * classifyAutomaticFailure (undefined). A 2xx without a readable order is undefined too: the
 * caller cannot tell whether the cancel went through.
 */
export function mapCancelAnswer(res: HttpResponse, what: string): CancelOutcome | undefined {
  if (res.status >= 200 && res.status < 300) {
    const body = res.json<unknown>();
    const headers = (Array.isArray(body) ? body : [body]).map((d) => mapOrderDetail(d)).filter((h): h is AutomaticOrderHeader => !!h);
    if (headers.length === 0) return undefined;
    const open = headers.find((h) => h.status.toUpperCase() !== 'CANCELLED');
    return open
      ? { cancelled: false, reason: `${NAME} answered the cancel of ${what} with order ${open.orderNumber} still ${open.status}` }
      : { cancelled: true };
  }
  const { code, message } = errorBody(res);
  if (isNotFound(res)) return { cancelled: false, reason: `${NAME} has no ${what} to cancel${message ? ` (${message})` : ''}` };
  if (res.status === 400 && code === 'E100') {
    if (message && /already (been )?cancell?ed/i.test(message)) return { cancelled: true };
    return { cancelled: false, reason: `${NAME} refused to cancel ${what}${message ? `: ${message}` : ''}` };
  }
  return undefined;
}

interface AutomaticErrorBody {
  code?: string;
  message?: string;
}

function errorBody(res: HttpResponse): AutomaticErrorBody {
  const b = res.json<unknown>();
  if (b && typeof b === 'object' && !Array.isArray(b)) {
    const o = b as Record<string, unknown>;
    return { code: str(o.code)?.toUpperCase(), message: str(o.message) };
  }
  return {};
}

export type AutomaticOperation = 'create' | 'lookup' | 'stock' | 'verify' | 'cancel';

const ADDRESS_FIELD = /shipToAddress|address|\bzip\b|postal|\bcity\b|\bstate\b|\bphone\b|classification/i;

/**
 * Every non-2xx answer → one ExternalCallError (status/code pairs of §4.2, bodies `{code, message}`
 * per §8.4). 404/E201 on a lookup is not an error: callers check isNotFound() first.
 */
export function classifyAutomaticFailure(
  res: HttpResponse,
  op: AutomaticOperation,
  opts: { now?: number } = {},
): ExternalCallError {
  const { code, message } = errorBody(res);
  const isWrite = op === 'create' || op === 'cancel';
  const retryAfterMs = parseRetryAfter(res.headers['retry-after'], opts.now);
  const details = { target: TARGET, httpStatus: res.status, upstreamCode: code };
  const said = message ? `: ${message}` : '';

  if (res.status === 401 || code === 'E001') {
    return new ExternalCallError(
      'permanent',
      'credentials_rejected',
      `${NAME} rejected the API token; check the API Token in the Automatic Distributors connection settings`,
      details,
    );
  }
  if (res.status === 423 || code === 'E002') {
    return new ExternalCallError(
      'permanent',
      'account_setup_required',
      'Automatic Distributors has API access switched off for your account; ask your Automatic rep to enable API access',
      details,
    );
  }
  // Automatic throttles with 403/E003 "Too Many Requests", not 429: retryable, not a credential error.
  // §4.2 documents no wait for E003, so without Retry-After the retry backs off exponentially
  // (retryDelayMs in external-errors) instead of waiting a guessed fixed time.
  if (res.status === 403 || code === 'E003' || res.status === 429) {
    return new ExternalCallError('transient', 'throttled', `${NAME} is throttling requests (Too Many Requests)`, {
      ...details,
      retryAfterMs,
    });
  }
  if (res.status === 406 || code === 'E004') {
    return new ExternalCallError(
      'permanent',
      'invalid_request',
      `${NAME} refused the request format (E004: HTTPS and JSON are required); check that the connection's base URL uses https${said}`,
      details,
    );
  }
  if (res.status === 422 || code === 'E005') {
    return new ExternalCallError(
      'permanent',
      'restricted_item',
      `${NAME} cannot ship an item of this order to this address (restricted item, e.g. a CARB-restricted part to California)${said}`,
      details,
    );
  }
  if (code === 'E202') {
    return new ExternalCallError(
      'permanent',
      'address_rejected',
      `${NAME} has no shipping option for this ship-to address; check the address or choose another distributor${said}`,
      details,
    );
  }
  if (res.status === 404 || code === 'E201') {
    if (code !== 'E201') {
      return new ExternalCallError(
        'permanent',
        'invalid_request',
        `${NAME} answered 404 without its own error code; check the connection's base URL`,
        details,
      );
    }
    return new ExternalCallError('permanent', 'order_not_found', `${NAME} has no such order${said}`, details);
  }
  if (res.status === 400 || code === 'E100') {
    const text = message ?? '';
    if (/purchase\s*number|purchaseNumber|\bPO\b/i.test(text) && /duplicate|already (used|exists)|in use/i.test(text)) {
      return new ExternalCallError(
        'permanent',
        'duplicate_po',
        `${NAME} already has an order under this PO number${said}`,
        details,
      );
    }
    if (/\bitems?\b|item number/i.test(text) && /not found|unknown|not orderable|discontinued|not available|invalid item/i.test(text)) {
      return new ExternalCallError(
        'permanent',
        'sku_not_orderable',
        `${NAME} cannot take an order for an item of this PO${said}`,
        details,
      );
    }
    if (ADDRESS_FIELD.test(text)) {
      return new ExternalCallError('permanent', 'address_rejected', `${NAME} rejected the ship-to address${said}`, details);
    }
    return new ExternalCallError('permanent', 'invalid_request', `${NAME} rejected the request${said}`, details);
  }
  const common = classifyCommonStatus(TARGET, res, isWrite, retryAfterMs);
  if (common) {
    return new ExternalCallError(common.kind, common.code, `${NAME} answered ${res.status}${code ? ` (${code})` : ''}`, {
      ...details,
      retryAfterMs,
    });
  }
  return new ExternalCallError('permanent', 'invalid_request', `${NAME} answered ${res.status}${said}`, details);
}

/** 404 with Automatic's own E201 code: the distributor positively says "no such order/item". */
export function isNotFound(res: HttpResponse): boolean {
  return res.status === 404 && errorBody(res).code === 'E201';
}

const DEFAULT_TIMEOUT_MS = 15_000;

// ---------------------------------------------------------------------------------------------
// Pre-flight
// ---------------------------------------------------------------------------------------------

function preflight(order: PurchaseOrderRequest, limits: DistributorLimits, allowedCountries: string[]): void {
  const po = order.poNumber;
  if (!po || po.length > limits.poNumberMaxLength || !limits.poNumberPattern.test(po)) {
    throw new ExternalCallError(
      'permanent',
      'invalid_request',
      `PO number "${po}" is not valid for ${NAME} (printable ASCII, at most ${limits.poNumberMaxLength} characters)`,
      { target: TARGET },
    );
  }
  if (order.lines.length === 0) {
    throw new ExternalCallError('permanent', 'invalid_request', `A ${NAME} order needs at least one line`, { target: TARGET });
  }
  const s: ShipTo = order.shipTo;
  const problems: string[] = [];
  const check = (label: string, value: string | undefined, max: number | undefined, required: boolean) => {
    if (required && !value?.trim()) problems.push(`${label} is required`);
    else if (value && max !== undefined && value.length > max) problems.push(`${label} is longer than ${max} characters`);
  };
  check('name', s.name, limits.nameMaxLength, true);
  check('address line 1', s.address1, limits.address1MaxLength, true);
  check('address line 2', s.address2, limits.address2MaxLength, false);
  check('city', s.city, limits.cityMaxLength, true);
  check('postal code', s.postalCode, limits.postalCodeMaxLength, true);
  check('phone', s.phone, limits.phoneMaxLength, false);
  if (limits.stateLength !== undefined && (s.state ?? '').trim().length !== limits.stateLength) {
    problems.push(`state must be a ${limits.stateLength}-letter code`);
  }
  if (!allowedCountries.map((c) => c.toUpperCase()).includes((s.country ?? '').toUpperCase())) {
    problems.push(`${NAME} drop-ships only to ${allowedCountries.join(', ')}`);
  }
  if (problems.length) {
    throw new ExternalCallError('permanent', 'address_rejected', `The ship-to address does not fit ${NAME}: ${problems.join('; ')}`, {
      target: TARGET,
    });
  }
}

// ---------------------------------------------------------------------------------------------
// Adapter
// ---------------------------------------------------------------------------------------------

export function createAutomaticAdapter(
  creds: AutomaticCredentials,
  ctx: AdapterContext,
  options: AutomaticAdapterOptions = {},
): AutomaticAdapter {
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const limits: DistributorLimits = { ...AUTOMATIC_LIMITS, ...options.limits };
  const allowedCountries = options.allowedCountries ?? ['US'];
  const maxOrdersPerFind = Math.max(1, options.maxOrdersPerFind ?? 50);
  const perSecond = ctx.requestsPerSecond ?? options.rateLimitPerSecond ?? AUTOMATIC_DEFAULT_REQUESTS_PER_SECOND;
  const http: HttpClient = ctx.http({
    target: TARGET,
    baseUrl: resolveBaseUrl(AUTOMATIC_PRODUCTION_BASE_URL, ctx.baseUrl),
    // §4.1: the raw key, no "Bearer".
    headers: { authorization: creds.apiToken },
    timeoutMs,
    secrets: [creds.apiToken],
    ...(perSecond ? { rateLimit: { key: accountRateLimitKey(TARGET, creds.apiToken), perSecond } } : {}),
  });
  const fail = (res: HttpResponse, op: AutomaticOperation) => classifyAutomaticFailure(res, op);
  const ok = (res: HttpResponse) => res.status >= 200 && res.status < 300;
  const seg = (v: string) => encodeURIComponent(v);

  async function lookup(path: string): Promise<HttpResponse | null> {
    const res = await http.send({ method: 'GET', path, timeoutMs });
    if (isNotFound(res)) return null;
    if (!ok(res)) throw fail(res, 'lookup');
    return res;
  }

  return {
    code: 'automatic',

    async verifyCredentials() {
      // Cheap read-only call: availability of one item. An unknown item (404/E201) still proves
      // that the token was accepted (auth is checked first).
      const res = await http.send({
        method: 'GET',
        path: `/item/avail/${seg(options.verifyItemNumber ?? 'VERIFY')}`,
        searchParams: { quantity: 1 },
        timeoutMs,
      });
      if (ok(res) || isNotFound(res)) return;
      throw fail(res, 'verify');
    },

    async placeOrder(order) {
      if (options.preflight !== false) preflight(order, limits, allowedCountries);
      const res = await http.send({ method: 'POST', path: '/order/create', json: buildCreateBody(order, options), timeoutMs });
      if (!ok(res)) throw fail(res, 'create');
      const placed = mapCreateAnswer(res.json());
      if (!placed) {
        // 2xx without an order number: the order may well exist. Look it up, do not re-send.
        throw new ExternalCallError(
          'ambiguous',
          'upstream_unavailable',
          `${NAME} accepted the order but its answer carried no order number`,
          { target: TARGET, httpStatus: res.status },
        );
      }
      return placed;
    },

    async findOrder(poNumber, hint) {
      const base = hint?.distributorOrderId
        ? `/order/number/${seg(hint.distributorOrderId)}`
        : `/order/purchase-number/${seg(poNumber)}`;
      const res = await lookup(base);
      if (!res) return null;
      const header = mapOrderDetail(res.json());
      if (!header) {
        throw new ExternalCallError('transient', 'upstream_unavailable', `${NAME} answered an order lookup without an order`, {
          target: TARGET,
          httpStatus: res.status,
        });
      }
      const tracking = await lookup(`${base}/tracking-numbers`);
      const shipments = tracking ? mapTrackingEntries(tracking.json(), header.orderNumber) : [];
      const found: FoundOrder = { distributorOrderId: header.orderNumber, status: header.status, shipments };
      return found;
    },

    maxOrdersPerRead: maxOrdersPerFind,

    // GET /order/find?purchaseNumbers=… with maxOrdersPerFind POs a call: ceil(POs / that) calls.
    // In the comma style a PO that itself holds a comma cannot be asked for; it is left absent.
    async findOrders(orders) {
      const found = new Map<string, FoundOrder>();
      const byPo = new Map(orders.map((o) => [o.poNumber, o]));
      const pos = [...byPo.keys()].filter((po) => options.findListStyle === 'repeat' || !po.includes(','));
      for (let i = 0; i < pos.length; i += maxOrdersPerFind) {
        const batch = pos.slice(i, i + maxOrdersPerFind);
        const searchParams = new URLSearchParams(
          options.findListStyle === 'repeat' ? batch.map((po): [string, string] => ['purchaseNumbers', po]) : [['purchaseNumbers', batch.join(',')]],
        );
        const res = await http.send({ method: 'GET', path: '/order/find', searchParams, timeoutMs });
        if (isNotFound(res)) continue;
        if (!ok(res)) throw fail(res, 'lookup');
        for (const [po, f] of mapFindAnswer(res.json(), (p) => byPo.get(p)?.distributorOrderId)) if (byPo.has(po)) found.set(po, f);
      }
      return found;
    },

    async checkStock(skus) {
      const out: StockLevel[] = [];
      for (const sku of skus) {
        const res = await http.send({ method: 'GET', path: `/item/avail/${seg(sku)}`, searchParams: { quantity: 1 }, timeoutMs });
        if (isNotFound(res)) {
          out.push({ distributorSku: sku, orderable: false, warehouses: [] });
          continue;
        }
        if (!ok(res)) throw fail(res, 'stock');
        out.push(mapAvailability(sku, res.json()));
      }
      return out;
    },

    async cancelOrder(poNumber, hint) {
      const byNumber = hint?.distributorOrderId;
      const res = await http.send({
        method: 'POST',
        path: byNumber ? `/order/number/cancel/${seg(byNumber)}` : `/order/purchase-number/cancel/${seg(poNumber)}`,
        timeoutMs,
      });
      const outcome = mapCancelAnswer(res, byNumber ? `order ${byNumber} (PO ${poNumber})` : `order under PO ${poNumber}`);
      if (outcome) return outcome;
      if (!ok(res)) throw fail(res, 'cancel');
      throw new ExternalCallError('ambiguous', 'upstream_unavailable', `${NAME} accepted the cancel of PO ${poNumber} but its answer carried no order`, {
        target: TARGET,
        httpStatus: res.status,
      });
    },
  };
}

// ---------------------------------------------------------------------------------------------
// Inventory file feed (§4.3, §8.5): FTP, `inventory.csv` at the root, UTF-8, header row
// ItemNumber,Description,Brand,MfgPartNumber,UPC,Status,DealerCost,Retail,MAP,DropShipFee,Qty_<wh>…
// ---------------------------------------------------------------------------------------------

export const AUTOMATIC_FEED_FILE = 'inventory.csv';
const AUTOMATIC_FEED_SOURCE: FtpFileSource = { target: TARGET, name: NAME, defaultPath: `/${AUTOMATIC_FEED_FILE}` };
/** §8.5: A active, C closeout (sold while stock lasts), D discontinued; any other code is not ordered. */
const AUTOMATIC_ORDERABLE_FEED_STATUSES = ['A', 'C'];
const REQUIRED_FEED_COLUMNS = ['ItemNumber', 'Status', 'DealerCost'];

/** Column positions of one inventory.csv header (names matched case-insensitively). */
export interface AutomaticFeedColumns {
  index: Record<string, number>;
  /** `Qty_<code>` columns: warehouse code → position. */
  quantities: [string, number][];
  width: number;
}

/** Reads the header row; throws a permanent ExternalCallError when a required column is missing. */
export function automaticFeedColumns(header: string[]): AutomaticFeedColumns {
  const index: Record<string, number> = {};
  const quantities: [string, number][] = [];
  header.forEach((raw, i) => {
    const name = raw.trim();
    const qty = /^qty_(.+)$/i.exec(name);
    if (qty) quantities.push([qty[1].trim().toUpperCase(), i]);
    else index[name.toLowerCase()] = i;
  });
  const missing = REQUIRED_FEED_COLUMNS.filter((c) => index[c.toLowerCase()] === undefined);
  if (missing.length) {
    throw new ExternalCallError(
      'permanent',
      'invalid_request',
      `${NAME}'s ${AUTOMATIC_FEED_FILE} has no ${missing.join(', ')} column in its header row; the file layout may have changed`,
      { target: TARGET },
    );
  }
  return { index, quantities, width: header.length };
}

const MONEY = /^\d+(\.\d+)?$/;
const show = (v: string) => JSON.stringify(v.length > 40 ? `${v.slice(0, 40)}…` : v);

/** One data row → a record; `line` is the file line the row starts on (the header is line 1). */
export function parseAutomaticFeedRow(cells: string[], cols: AutomaticFeedColumns, line: number): FeedRecord {
  const bad = (error: string): FeedRecord => ({ line, error });
  if (cells.length !== cols.width) return bad(`row has ${cells.length} fields; the header has ${cols.width}`);
  const cell = (name: string): string => {
    const i = cols.index[name.toLowerCase()];
    return i === undefined ? '' : (cells[i] ?? '').trim();
  };
  const partNumber = cell('ItemNumber');
  if (!partNumber) return bad('missing ItemNumber');
  const status = cell('Status').toUpperCase();
  if (!status) return bad('missing Status');
  const money = (name: string): number | null | string => {
    const v = cell(name);
    if (!v) return null;
    return MONEY.test(v) ? Number(v) : `${name} ${show(v)} is not a number`;
  };
  const prices = { dealerCost: money('DealerCost'), retailPrice: money('Retail'), mapPrice: money('MAP'), dropshipFee: money('DropShipFee') };
  for (const v of Object.values(prices)) if (typeof v === 'string') return bad(v);
  const warehouses: Record<string, number> = {};
  for (const [code, i] of cols.quantities) {
    const v = (cells[i] ?? '').trim();
    if (!v) {
      warehouses[code] = 0;
      continue;
    }
    if (!/^\d+$/.test(v)) return bad(`Qty_${code} ${show(v)} is not a whole number`);
    warehouses[code] = Number(v);
  }
  const text = (name: string) => cell(name) || null;
  const item: FeedItem = {
    partNumber,
    status,
    orderable: AUTOMATIC_ORDERABLE_FEED_STATUSES.includes(status),
    dealerCost: prices.dealerCost as number | null,
    retailPrice: prices.retailPrice as number | null,
    mapPrice: prices.mapPrice as number | null,
    dropshipFee: prices.dropshipFee as number | null,
    upc: text('UPC'),
    brand: text('Brand'),
    mfgPartNumber: text('MfgPartNumber'),
    description: text('Description'),
    warehouses,
  };
  return { line, item };
}

/** A quoted field may hold line breaks; a record still open after this many lines is a broken quote. */
const MAX_RECORD_LINES = 10;

function quoteCount(text: string): number {
  let n = 0;
  for (let i = text.indexOf('"'); i !== -1; i = text.indexOf('"', i + 1)) n++;
  return n;
}

/**
 * inventory.csv → records of cells, each with the physical line it starts on. Lines come from
 * readline; a line without quotes is split on commas, a quoted record goes through csv-parse.
 * (csv-parse's stream API loses count of lines when it recovers from a broken quote, and it
 * cannot give a record's first line; here a broken quote is one bad row and reading resumes
 * on the next line.)
 */
async function* csvRecords(stream: Readable): AsyncGenerator<{ line: number; cells: string[] } | { line: number; error: string }> {
  stream.setEncoding('utf8');
  const lines = createInterface({ input: stream, crlfDelay: Infinity });
  const queue: { line: number; text: string }[] = [];
  /** Lines read past a broken quote, read again one by one. */
  const replay: { line: number; text: string }[] = [];
  const iterator = lines[Symbol.asyncIterator]();
  let physical = 0;
  let eof = false;
  const unreadable = (e: unknown) => `unreadable CSV: ${(e as Error).message.replace(/ at line \d+/g, '').slice(0, 200)}`;
  try {
    for (;;) {
      const text = queue.map((q) => q.text).join('\n');
      const open = quoteCount(text) % 2 === 1;
      if ((replay.length || !eof) && (queue.length === 0 || (open && queue.length < MAX_RECORD_LINES))) {
        if (replay.length) {
          queue.push(replay.shift()!);
          continue;
        }
        const next = await iterator.next();
        if (next.done) eof = true;
        else {
          physical += 1;
          queue.push({ line: physical, text: physical === 1 ? next.value.replace(/^\ufeff/, '') : next.value });
        }
        continue;
      }
      if (queue.length === 0) break;
      const line = queue[0].line;
      if (open) {
        // Still open after MAX_RECORD_LINES (or at the end): the first line is the broken one; re-read the rest.
        replay.unshift(...queue.slice(1));
        queue.length = 0;
        yield { line, error: 'unreadable CSV: a quoted field is not closed' };
        continue;
      }
      queue.length = 0;
      if (!text.trim()) continue;
      if (!text.includes('"')) {
        yield { line, cells: text.split(',') };
        continue;
      }
      try {
        const rows = parseCsvSync(text, { relax_column_count: true }) as string[][];
        if (rows.length === 1) yield { line, cells: rows[0] };
        else yield { line, error: 'unreadable CSV: a quote splits the row' };
      } catch (e) {
        yield { line, error: unreadable(e) };
      }
    }
  } finally {
    lines.close();
  }
}

async function* readAutomaticFeed(creds: AutomaticCredentials, ctx: FeedContext, options: FtpClientOptions): AsyncGenerator<FeedRecord> {
  const stream = await openFtpDownload(creds.feed, ctx, AUTOMATIC_FEED_SOURCE, options);
  let cols: AutomaticFeedColumns | undefined;
  try {
    for await (const rec of csvRecords(stream)) {
      if ('error' in rec) {
        if (!cols) throw new ExternalCallError('permanent', 'invalid_request', `${NAME}'s ${AUTOMATIC_FEED_FILE} header row is unreadable (${rec.error})`, { target: TARGET });
        yield rec;
        continue;
      }
      if (!cols) {
        cols = automaticFeedColumns(rec.cells);
        continue;
      }
      yield parseAutomaticFeedRow(rec.cells, cols, rec.line);
    }
    if (!cols) {
      throw new ExternalCallError('permanent', 'invalid_request', `${NAME}'s ${AUTOMATIC_FEED_FILE} is empty (no header row)`, { target: TARGET });
    }
  } finally {
    stream.destroy();
  }
}

/** The Automatic inventory-file feed over FTP/FTPS (`creds.feed`). */
export function makeAutomaticFeed(options: FtpClientOptions = {}): DistributorFeed<AutomaticCredentials> {
  return {
    needsFeedSettings: true,
    verify: (creds, ctx) => verifyFtpFeed(creds.feed, ctx, AUTOMATIC_FEED_SOURCE, options),
    read: (creds, ctx) => readAutomaticFeed(creds, ctx, options),
  };
}

export const automaticModule: DistributorModule<AutomaticCredentials> = {
  code: 'automatic',
  displayName: NAME,
  productionBaseUrl: AUTOMATIC_PRODUCTION_BASE_URL,
  warehouses: AUTOMATIC_WAREHOUSES,
  limits: AUTOMATIC_LIMITS,
  defaultRequestsPerSecond: AUTOMATIC_DEFAULT_REQUESTS_PER_SECOND,
  credentialsSchema: z.object({ apiToken: z.string().trim().min(1).max(512), feed: ftpFeedSettingsSchema.optional() }),
  mask: (creds) => ({
    apiToken: maskSecret(creds.apiToken),
    ...(creds.feed
      ? {
          feedHost: creds.feed.host,
          feedPort: String(creds.feed.port ?? 21),
          feedUsername: maskSecret(creds.feed.username),
          feedPassword: maskSecret(creds.feed.password),
        }
      : {}),
  }),
  create: (creds, ctx) => createAutomaticAdapter(creds, ctx),
  feed: makeAutomaticFeed(),
};
