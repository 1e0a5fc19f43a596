// Parts Unlimited (LeMans Corp.) partner API adapter.
// Reference: shared/reference/distributor-apis.md §2 (facts), §6.2 (simulator), §8.2 (working
// assumptions). Everything marked [GUESS]/[UNKNOWN] there is an option below
// (PartsUnlimitedAdapterOptions) and every guessed response shape is read in exactly one mapper:
//   - order submission answer  → interpretOrderResponse()
//   - refusal text → code       → classifyPuRefusal()
//   - order list (status/track) → mapPuOrderListPage()
//   - live inventory            → mapPuInventory()
//   - carrier names             → mapPuCarrier()
//
// Base URLs: production `https://api.parts-unlimited.com`, staging
// `https://stage-api.lemansplatform.com` (separate staging API keys). Every path keeps the
// documented `/api/...` prefix, and `ctx.baseUrl` replaces only scheme/host/port, so a connection
// whose baseUrl is PARTS_UNLIMITED_STAGING_BASE_URL (or a simulator URL) talks to that host.
//
// Idempotency:
// - placeOrder (POST /api[/v2]/orders/dropship) is the only write. Parts Unlimited has no
//   idempotency key. Sent twice with the same purchase_order_number, PU is assumed to refuse the
//   second one (body status_code 409 → `duplicate_po`) [GUESS §2.6/§8.2]; if PU instead accepted
//   it, a second order would exist. So a write that fails ambiguously (timeout after sending,
//   connection reset, 5xx, a 200 without a reference number) is never re-sent blindly: the
//   caller runs findOrder(po) first.
// - findOrder pages through the drop-ship order list (GET /api[/v2]/orders/dropship) over a
//   look-back window of order dates and matches `purchase_order_number` (and the reference
//   number when the caller has one). It returns null only after every page of the window was read
//   and none matched; if the window has more pages than `maxLookupPages` it throws instead of
//   guessing "not there".
// - findOrders reads the same list once over the window of the POs asked about, every page of it.
//
// No cancelOrder: the reference (§2) documents no cancel call for drop-ship orders
// (`cancellation_policy` only says what happens to short lines). A cancel is the dealer's call
// to Parts Unlimited.
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { parse } from 'csv-parse';
import yauzl from 'yauzl';
import { z } from 'zod';
import { maskSecret } from '../crypto';
import { downloadToFile } from '../feeds/download';
import { outboundUrlProblem } from '../outbound';
import { normalizeCarrier, type CanonicalCarrier } from '../carriers';
import { ExternalCallError, parseRetryAfter, type RefusalCode } from '../external-errors';
import { classifyCommonStatus, DEFAULT_REQUESTS_PER_SECOND, resolveBaseUrl, type HttpClient, type HttpResponse } from '../http';
import { accountRateLimitKey } from '../rate-limit';
import type {
  AdapterContext,
  DistributorAdapter,
  DistributorFeed,
  DistributorLimits,
  FeedContext,
  FeedItem,
  FeedRecord,
  DistributorModule,
  DistributorShipment,
  FoundOrder,
  OrderToRead,
  PlacedOrder,
  PurchaseOrderRequest,
  StockLevel,
} from './types';
import { orderDateWindow } from './types';

export interface PartsUnlimitedCredentials {
  dealerNumber: string;
  apiKey: string;
  /** The dealer-website login that pulls the daily price file (§2.5, §8.5); a second credential beside the API key. */
  feed?: PartsUnlimitedFeedSettings;
}

export interface PartsUnlimitedFeedSettings {
  username: string;
  password: string;
  /** Replaces the website's scheme/host/port (simulator or staging). */
  baseUrl?: string;
}

/** The dealer website that serves the price file (§2.5); not the partner API host. */
export const PARTS_UNLIMITED_WEBSITE_URL = 'https://dealer.parts-unlimited.com';

export const PARTS_UNLIMITED_PRODUCTION_BASE_URL = 'https://api.parts-unlimited.com';
/** Staging host [CODE×2]; needs a staging API key. Use it as the connection's `baseUrl`. */
export const PARTS_UNLIMITED_STAGING_BASE_URL = 'https://stage-api.lemansplatform.com';
/** §2.7 / §8.2 (CA is seen in one client only, so it is not listed). */
export const PARTS_UNLIMITED_WAREHOUSES = ['WI', 'NY', 'TX', 'NV', 'NC'] as const;

const TARGET = 'parts-unlimited';
const NAME = 'Parts Unlimited';

/**
 * Requests per second per Parts Unlimited API key when the dealer's connection sets none. PU's
 * limit is not published (reference §2.6: clients only handle 429), so this is the engine-wide guess.
 */
export const PARTS_UNLIMITED_DEFAULT_REQUESTS_PER_SECOND = DEFAULT_REQUESTS_PER_SECOND;

export interface PartsUnlimitedAdapterOptions {
  /** `v1` → POST/GET /api/orders/dropship [CODE×3]; `v2` → /api/v2/orders/dropship [CODE C6]. */
  orderApiVersion?: 'v1' | 'v2';
  /** Per-request timeout for reads. */
  timeoutMs?: number;
  /** Per-request timeout for the order POST. */
  writeTimeoutMs?: number;
  /** Body `status_code`s that mean "accepted" (200/202 per §8.2; one client accepts 200–203). */
  successStatusCodes?: number[];
  /** `order_type` sent with orders and the v1 list; null omits it (C6 omits it). Default `DS`. */
  orderType?: string | null;
  /** [UNKNOWN enum] default `ground`. */
  shippingMethod?: string;
  /** [UNKNOWN enum] default `back_order`. */
  cancellationPolicy?: string;
  /** Default false. */
  validatePrice?: boolean;
  /** `leave_order_open` [CODE C2]; omitted unless set. */
  leaveOrderOpen?: boolean;
  /** How many days of order dates findOrder searches back from today. Default 45. */
  lookbackDays?: number;
  /** Safety cap on pages findOrder reads (10 orders a page per §8.2). Default 100. */
  maxLookupPages?: number;
  /** Safety cap on pages findOrders reads per call (PU's page size and list limits are [UNKNOWN]). Default 500. */
  maxListPages?: number;
  /** Part numbers per inventory request (comma list in the path). Default 50. */
  inventoryBatchSize?: number;
  /** verifyCredentials probe: `inventory` of one part (default) or page 1 of today's `orders`. */
  verifyWith?: 'inventory' | 'orders';
  /** Part number used by the inventory probe (an unknown part still proves the key). */
  probePartNumber?: string;
  /**
   * Replaces PARTS_UNLIMITED_DEFAULT_REQUESTS_PER_SECOND when the connection sets no budget (0 = no
   * cap); the connection's own budget (ctx.requestsPerSecond) wins over it.
   */
  requestsPerSecond?: number;
  /** Clock for the findOrder date window (tests). */
  now?: () => Date;
}

type ResolvedOptions = Required<Omit<PartsUnlimitedAdapterOptions, 'leaveOrderOpen' | 'requestsPerSecond' | 'now'>> &
  Pick<PartsUnlimitedAdapterOptions, 'leaveOrderOpen' | 'requestsPerSecond' | 'now'>;

const DEFAULTS: ResolvedOptions = {
  orderApiVersion: 'v1',
  timeoutMs: 15_000,
  writeTimeoutMs: 30_000,
  successStatusCodes: [200, 202],
  orderType: 'DS',
  shippingMethod: 'ground',
  cancellationPolicy: 'back_order',
  validatePrice: false,
  lookbackDays: 45,
  maxLookupPages: 100,
  maxListPages: 500,
  inventoryBatchSize: 50,
  verifyWith: 'inventory',
  probePartNumber: '1401-1193',
};

/**
 * Field limits. PO ≤ 20 comes from one client [CODE C6, GUESS]; PU documents no address lengths,
 * so these are AS/400-style guesses [GUESS], overridable with makePartsUnlimitedModule({ limits }).
 */
export const PARTS_UNLIMITED_DEFAULT_LIMITS: DistributorLimits = {
  poNumberMaxLength: 20,
  poNumberPattern: /^[A-Za-z0-9-]+$/,
  nameMaxLength: 35,
  address1MaxLength: 35,
  address2MaxLength: 35,
  cityMaxLength: 30,
  stateLength: 2,
  postalCodeMaxLength: 10,
};

// ---------------------------------------------------------------------------------------------
// Pure mapping functions (unit-tested without HTTP)

/** Parts Unlimited carrier / ship-via strings → canonical carriers. The only carrier mapping. */
export function mapPuCarrier(raw: string | undefined | null): CanonicalCarrier {
  if (!raw) return 'Other';
  const key = raw.toUpperCase().replace(/[^A-Z0-9]/g, '');
  const extra: Record<string, CanonicalCarrier> = {
    UPSG: 'UPS',
    UPSGRND: 'UPS',
    UPS2DAY: 'UPS',
    UPS2NDDAY: 'UPS',
    UPSNEXTDAY: 'UPS',
    UPSNEXTDAYAIR: 'UPS',
    UPS2NDDAYAIR: 'UPS',
    UPS3DAYSELECT: 'UPS',
    UPSSUREPOST: 'UPS',
    SUREPOST: 'UPS',
    FEDEXHOME: 'FedEx',
    FEDEX2DAY: 'FedEx',
    FEDEXOVERNIGHT: 'FedEx',
    FEDEXPRIORITY: 'FedEx',
    FDXSMARTPOST: 'FedExSmartPost',
    USPSPRIORITY: 'USPS',
    USPSPRIORITYMAIL: 'USPS',
    USPSFIRSTCLASS: 'USPS',
    USMAIL: 'USPS',
    POSTOFFICE: 'USPS',
  };
  if (extra[key]) return extra[key];
  const direct = normalizeCarrier(raw);
  if (direct !== 'Other') return direct;
  // "UPS GROUND RESIDENTIAL", "FEDEX HOME DELIVERY", …: fall back on the leading carrier name.
  if (key.startsWith('FEDEXSMART') || key.startsWith('FDXSMART')) return 'FedExSmartPost';
  if (key.startsWith('UPSMI') || key.startsWith('UPSMAIL')) return 'UPSMailInnovations';
  if (key.startsWith('UPS')) return 'UPS';
  if (key.startsWith('FEDEX') || key.startsWith('FDX')) return 'FedEx';
  if (key.startsWith('USPS')) return 'USPS';
  if (key.startsWith('DHL')) return 'DHLExpress';
  if (key.startsWith('ONTRAC')) return 'OnTrac';
  return 'Other';
}

/** Part numbers match with or without punctuation (§8.2): `1401-1193` ≡ `14011193`. */
export function normalizePartNumber(part: string): string {
  return String(part).toUpperCase().replace(/[^A-Z0-9]/g, '');
}

/** Reads a reported quantity: a number, or a display string such as `"25+"` (C7) / `"N/A"`. */
export function parsePuQuantity(raw: unknown): number {
  if (typeof raw === 'number') return Number.isFinite(raw) && raw > 0 ? Math.floor(raw) : 0;
  if (typeof raw === 'string') {
    const m = raw.trim().match(/^(\d+)/);
    if (m) return Number(m[1]);
    if (raw.trim() === '+') return 10; // the price file's "plenty", read as 10+ by clients
  }
  return 0;
}

function isoDate(d: Date): string {
  return d.toISOString().slice(0, 10);
}

/** `YYYY-MM-DD`, `YYYYMMDD`, `MM/DD/YYYY` or ISO → ISO-8601 UTC; undefined when unreadable. */
export function puDateToIso(raw: unknown): string | undefined {
  if (typeof raw !== 'string' || !raw.trim()) return undefined;
  const s = raw.trim();
  let m = s.match(/^(\d{4})(\d{2})(\d{2})$/);
  if (m) return `${m[1]}-${m[2]}-${m[3]}T00:00:00.000Z`;
  m = s.match(/^(\d{1,2})\/(\d{1,2})\/(\d{4})$/);
  if (m) return `${m[3]}-${m[1].padStart(2, '0')}-${m[2].padStart(2, '0')}T00:00:00.000Z`;
  if (/^\d{4}-\d{2}-\d{2}$/.test(s)) return `${s}T00:00:00.000Z`;
  const t = Date.parse(s);
  return Number.isNaN(t) ? undefined : new Date(t).toISOString();
}

export interface PuListedOrder {
  poNumber: string;
  referenceNumber: string;
  status: string;
  orderDate?: string;
  shipments: DistributorShipment[];
}

export interface PuOrderListPage {
  pageNum: number;
  totalPages: number;
  orders: PuListedOrder[];
}

/**
 * THE mapper for the order list (§8.2 working assumption; the real field names are [UNKNOWN]):
 * `{page_num, total_pages, total_count, orders:[{purchase_order_number, reference_number,
 * order_type, order_date, status, line_items:[…], shipments:[{carrier, tracking_number,
 * ship_date, line_items:[{part_number, quantity}]}]}]}`.
 */
export function mapPuOrderListPage(body: unknown): PuOrderListPage | undefined {
  if (!body || typeof body !== 'object') return undefined;
  const b = body as Record<string, unknown>;
  if (!Array.isArray(b.orders)) return undefined;
  const orders: PuListedOrder[] = (b.orders as Record<string, unknown>[]).map((o) => {
    const orderDate = typeof o.order_date === 'string' ? o.order_date : undefined;
    const shipments: DistributorShipment[] = [];
    for (const s of Array.isArray(o.shipments) ? (o.shipments as Record<string, unknown>[]) : []) {
      const tracking = String(s.tracking_number ?? '').trim();
      if (!tracking) continue; // a shipment without tracking yet is not a shipment for us
      const carrierRaw = typeof s.carrier === 'string' ? s.carrier.trim() : '';
      const shipment: DistributorShipment = {
        trackingNumber: tracking,
        carrier: mapPuCarrier(carrierRaw),
        shippedAt: puDateToIso(s.ship_date) ?? puDateToIso(orderDate) ?? new Date(0).toISOString(),
        lines: (Array.isArray(s.line_items) ? (s.line_items as Record<string, unknown>[]) : []).map((l) => ({
          distributorSku: String(l.part_number ?? ''),
          quantity: Number(l.quantity ?? 0),
        })),
      };
      if (carrierRaw) shipment.service = carrierRaw;
      if (typeof s.warehouse === 'string' && s.warehouse) shipment.warehouse = s.warehouse;
      shipments.push(shipment);
    }
    return {
      poNumber: String(o.purchase_order_number ?? ''),
      referenceNumber: String(o.reference_number ?? ''),
      status: String(o.status ?? ''),
      orderDate,
      shipments,
    };
  });
  const pageNum = Number(b.page_num ?? 1) || 1;
  const totalPages = Number(b.total_pages ?? pageNum);
  return { pageNum, totalPages: Number.isFinite(totalPages) ? totalPages : pageNum, orders };
}

/**
 * THE mapper for live inventory: `{availability:[{partNumber, found, warehouses:[{code,
 * quantity}]}]}` (§8.2; quantities may be display strings like "25+" per C7). Returns one
 * StockLevel per requested part, in request order; a part PU does not mention is not orderable.
 */
export function mapPuInventory(requested: string[], body: unknown): StockLevel[] {
  const list = (body && typeof body === 'object' && Array.isArray((body as any).availability)
    ? (body as any).availability
    : []) as Record<string, unknown>[];
  const byPart = new Map<string, Record<string, unknown>>();
  for (const a of list) {
    const pn = a.partNumber ?? a.part_number;
    if (pn !== undefined && pn !== null) byPart.set(normalizePartNumber(String(pn)), a);
  }
  return requested.map((sku) => {
    const a = byPart.get(normalizePartNumber(sku));
    if (!a || a.found === false) return { distributorSku: sku, orderable: false, warehouses: [] };
    const whs = (Array.isArray(a.warehouses) ? a.warehouses : []) as Record<string, unknown>[];
    return {
      distributorSku: sku,
      orderable: true,
      warehouses: whs
        .map((w) => ({ code: String(w.code ?? w.warehouse ?? '').toUpperCase(), quantity: parsePuQuantity(w.quantity) }))
        .filter((w) => w.code),
    };
  });
}

export interface PuRefusal {
  code: RefusalCode;
  kind: 'permanent' | 'transient' | 'ambiguous';
  message: string;
}

/**
 * THE refusal classifier: a body (or HTTP) status code, when PU gave one, plus PU's message
 * texts (`status_message` or `mainframeErrors[].text`). Exact wordings are [UNKNOWN], so the
 * texts are matched loosely; the status code decides when the text says nothing we know.
 */
export function classifyPuRefusal(
  statusCode: number | undefined,
  texts: string[],
  ctx: { poNumber?: string; isWrite: boolean },
): PuRefusal {
  const text = texts.filter(Boolean).join('; ');
  const said = text ? `: "${text}"` : '';
  const po = ctx.poNumber ? ` PO ${ctx.poNumber}` : ' the request';
  const t = text.toLowerCase();

  if (statusCode === 401 || /invalid api[- ]?key|missing api[- ]?key|api[- ]?key (is )?(invalid|not valid|missing)|unauthori[sz]ed|not authenticated/.test(t)) {
    return {
      kind: 'permanent',
      code: 'credentials_rejected',
      message: `Parts Unlimited rejected the API key${said}. Check the API key in the Parts Unlimited connection (staging and production keys differ).`,
    };
  }
  if (statusCode === 429 || /too many requests|rate limit/.test(t)) {
    return { kind: 'transient', code: 'throttled', message: `Parts Unlimited is throttling requests${said}` };
  }
  if (statusCode !== undefined && statusCode >= 500) {
    return {
      kind: ctx.isWrite ? 'ambiguous' : 'transient',
      code: 'upstream_unavailable',
      message: `Parts Unlimited answered ${statusCode} for${po}${said}`,
    };
  }
  if (statusCode === 409 || /duplicate|already (been )?(used|exists|entered|submitted|on file)|po (number )?(already|in use)/.test(t)) {
    return {
      kind: 'permanent',
      code: 'duplicate_po',
      message: `Parts Unlimited already has an order under${po}${said}.`,
    };
  }
  const mentionsDropship = /drop[\s-]?ship/.test(t);
  const notEnabled = /not (been )?(set ?up|setup|enabled|authori[sz]ed|allowed|approved|active)|disabled|not eligible/.test(t);
  if (mentionsDropship && notEnabled && !/part|item/.test(t)) {
    return {
      kind: 'permanent',
      code: 'account_setup_required',
      message:
        `Parts Unlimited refused${po} because this dealer account is not set up for drop ship${said}. ` +
        'Ask your Parts Unlimited sales rep or dealer support to enable drop-ship ordering on your dealer account, then retry.',
    };
  }
  const dealerProblem = /dealer( (number|no\.?|code|account|#))?\b.*\b(not valid|invalid|not found|unknown|does not match|doesn't match|not (associated|authori[sz]ed|linked)|mismatch|inactive|suspended|on hold)/.test(t) ||
    /(invalid|unknown) dealer/.test(t);
  if (dealerProblem || statusCode === 403) {
    return {
      kind: 'permanent',
      code: 'account_setup_required',
      message:
        `Parts Unlimited refused${po}: the dealer number is not valid for this API key or the dealer account is not set up for drop ship${said}. ` +
        'Check the dealer number in the Parts Unlimited connection (it must be the dealer account the API key was issued for); ' +
        'if it is right, ask Parts Unlimited to enable drop-ship ordering on your dealer account.',
    };
  }
  const partWord = /\b(part|item|sku|product)s?\b/.test(t);
  if (partWord && /(not found|invalid|unknown|not valid|does not exist|discontinued|no longer available|not orderable|obsolete|not eligible|not available for drop|cannot be (ordered|drop))/.test(t)) {
    return {
      kind: 'permanent',
      code: 'sku_not_orderable',
      message: `Parts Unlimited cannot supply a part on${po}${said}. Choose another distributor for that line or remove it.`,
    };
  }
  if (/out of stock|insufficient (stock|inventory|quantity)|no (stock|inventory)|not in stock/.test(t)) {
    return { kind: 'permanent', code: 'out_of_stock', message: `Parts Unlimited has no stock for${po}${said}.` };
  }
  if (/ship[_ -]?to|address|\bstate\b|\bzip\b|postal|\bcity\b|country|recipient|\bname\b/.test(t)) {
    return {
      kind: 'permanent',
      code: 'address_rejected',
      message: `Parts Unlimited rejected the ship-to address on${po}${said}. Correct the address and retry.`,
    };
  }
  return {
    kind: 'permanent',
    code: 'invalid_request',
    // The status code stays in the error's details: the message reads the same in both shapes.
    message: `Parts Unlimited refused${po}${said}.`,
  };
}

export type PuOrderOutcome =
  | { ok: true; referenceNumber: string; backordered: boolean }
  | { ok: false; statusCode?: number; texts: string[] }
  | { ok: 'unknown'; reason: string };

export interface PuRefusalBody {
  /** The body's status_code when it is a refusal code, else the HTTP status (undefined: a 2xx mainframe answer). */
  statusCode?: number;
  texts: string[];
}

/**
 * THE reader of a refusal in either of PU's shapes, for every call: `{status_code,
 * status_message}` with a code that is not a success, or `{mainframeErrors:[{text}]}` (no
 * status_code), carried by HTTP 200 (§8.2) or by a non-2xx status (C6). Both give the same
 * (code, texts) to classifyPuRefusal, so a refusal classifies the same way whatever its shape.
 * Undefined when the answer is not a refusal.
 */
export function readPuRefusal(httpStatus: number, body: unknown, isSuccessCode: (code: number) => boolean): PuRefusalBody | undefined {
  const b = (body && typeof body === 'object' && !Array.isArray(body) ? body : undefined) as Record<string, unknown> | undefined;
  const mainframe = b && Array.isArray(b.mainframeErrors) ? (b.mainframeErrors as unknown[]) : undefined;
  const mainframeTexts = (mainframe ?? [])
    .map((e) => (e && typeof e === 'object' ? String((e as Record<string, unknown>).text ?? '') : String(e)))
    .map((s) => s.trim())
    .filter(Boolean);
  const rawCode = b?.status_code ?? b?.statusCode;
  const parsed = rawCode === undefined || rawCode === null || rawCode === '' ? undefined : Number(rawCode);
  const bodyCode = parsed !== undefined && Number.isFinite(parsed) ? parsed : undefined;
  const refusalCode = bodyCode !== undefined && !isSuccessCode(bodyCode) ? bodyCode : undefined;
  const message = b ? String(b.status_message ?? b.statusMessage ?? b.message ?? '').trim() : '';
  const texts = [message, ...mainframeTexts].filter(Boolean);

  if (httpStatus < 200 || httpStatus >= 300) return { statusCode: refusalCode && refusalCode >= 400 ? refusalCode : httpStatus, texts };
  if (mainframe) return { statusCode: refusalCode, texts };
  if (refusalCode !== undefined) return { statusCode: refusalCode, texts };
  return undefined;
}

/**
 * THE mapper for the answer to POST …/orders/dropship. Success and failure travel in the body:
 * `{status_code, status_message, reference_number, order_total, line_items}`, or a refusal in
 * either shape (readPuRefusal).
 */
export function interpretOrderResponse(httpStatus: number, body: unknown, successCodes: number[]): PuOrderOutcome {
  const refusal = readPuRefusal(httpStatus, body, (code) => successCodes.includes(code));
  if (refusal) return { ok: false, ...refusal };
  if (!body || typeof body !== 'object') return { ok: 'unknown', reason: 'the answer was not JSON' };
  const b = body as Record<string, unknown>;
  const rawCode = b.status_code ?? b.statusCode;
  const bodyCode = rawCode === undefined || rawCode === null || rawCode === '' ? undefined : Number(rawCode);
  const ref = b.reference_number ?? b.referenceNumber;
  const reference = ref === undefined || ref === null ? '' : String(ref).trim();
  if (bodyCode === undefined && !reference) return { ok: 'unknown', reason: 'the answer had neither a status_code nor a reference_number' };
  if (!reference) return { ok: 'unknown', reason: `status_code ${bodyCode} without a reference_number` };
  return { ok: true, referenceNumber: reference, backordered: bodyCode === 202 };
}

/** Only the last 4 characters, e.g. '••••abcd'. */
export function maskTail(value: string): string {
  return maskSecret(String(value ?? ''));
}

// ---------------------------------------------------------------------------------------------
// Adapter

class PartsUnlimitedAdapter implements DistributorAdapter {
  readonly code = 'parts-unlimited' as const;
  private readonly http: HttpClient;
  private readonly o: ResolvedOptions;

  constructor(
    private readonly creds: PartsUnlimitedCredentials,
    ctx: AdapterContext,
    options: PartsUnlimitedAdapterOptions,
  ) {
    this.o = { ...DEFAULTS, ...stripUndefined(options) };
    const perSecond = ctx.requestsPerSecond ?? this.o.requestsPerSecond ?? PARTS_UNLIMITED_DEFAULT_REQUESTS_PER_SECOND;
    this.http = ctx.http({
      target: TARGET,
      baseUrl: resolveBaseUrl(PARTS_UNLIMITED_PRODUCTION_BASE_URL, ctx.baseUrl),
      headers: { 'api-key': creds.apiKey },
      timeoutMs: this.o.timeoutMs,
      secrets: [creds.apiKey, creds.dealerNumber],
      rateLimit: perSecond ? { key: accountRateLimitKey(TARGET, creds.apiKey), perSecond } : undefined,
    });
  }

  private get ordersPath(): string {
    return this.o.orderApiVersion === 'v2' ? '/api/v2/orders/dropship' : '/api/orders/dropship';
  }

  /** Scrubs credentials from upstream text before it reaches a dealer-facing message. */
  private scrub(texts: string[]): string[] {
    return texts.map((s) => {
      let out = s;
      for (const secret of [this.creds.apiKey, this.creds.dealerNumber]) {
        if (secret && secret.length >= 3) out = out.split(secret).join(maskTail(secret));
      }
      return out;
    });
  }

  private refusalError(r: PuRefusal, httpStatus: number, upstreamCode?: number | string, retryAfterMs?: number) {
    return new ExternalCallError(r.kind, r.code, r.message, {
      target: TARGET,
      httpStatus,
      upstreamCode: upstreamCode === undefined ? undefined : String(upstreamCode),
      retryAfterMs,
    });
  }

  /**
   * Classification for reads (list, inventory): 429 and 5xx, then a refusal in either shape,
   * in the HTTP status or in a 200 body (readPuRefusal). A read cannot be a duplicate PO.
   */
  private checkRead(res: HttpResponse, what: string): void {
    const retryAfterMs = parseRetryAfter(res.headers['retry-after']);
    const common = classifyCommonStatus(TARGET, res, false, retryAfterMs);
    if (common) throw common;
    const refusal = readPuRefusal(res.status, res.json(), (code) => code < 400);
    if (!refusal) return;
    const r = classifyPuRefusal(refusal.statusCode, this.scrub(refusal.texts), { isWrite: false });
    const code = r.code === 'duplicate_po' ? 'invalid_request' : r.code;
    throw this.refusalError({ ...r, code, message: `${what}: ${r.message}` }, res.status, refusal.statusCode, r.code === 'throttled' ? retryAfterMs : undefined);
  }

  async verifyCredentials(): Promise<void> {
    if (this.o.verifyWith === 'orders') {
      await this.fetchOrderPage(this.now(), this.now(), 1);
      return;
    }
    const res = await this.http.send({
      method: 'GET',
      path: `/api/v1/parts/inventory/${encodeURIComponent(this.o.probePartNumber)}`,
      timeoutMs: this.o.timeoutMs,
    });
    this.checkRead(res, 'Parts Unlimited inventory check');
  }

  private now(): Date {
    return this.o.now ? this.o.now() : new Date();
  }

  private async fetchOrderPage(from: Date, to: Date, page: number): Promise<PuOrderListPage> {
    const params: Record<string, string | number> =
      this.o.orderApiVersion === 'v2'
        ? { order_date_start: isoDate(from), order_date_end: isoDate(to), page_num: page }
        : { date_start: isoDate(from), date_end: isoDate(to), page_num: page };
    if (this.o.orderApiVersion === 'v1' && this.o.orderType) params.order_type = this.o.orderType;
    const res = await this.http.send({ method: 'GET', path: this.ordersPath, searchParams: params, timeoutMs: this.o.timeoutMs });
    this.checkRead(res, 'Parts Unlimited order lookup');
    const mapped = mapPuOrderListPage(res.json());
    if (!mapped) {
      throw new ExternalCallError('transient', 'upstream_unavailable', 'Parts Unlimited answered the order lookup with an unreadable body', {
        target: TARGET,
        httpStatus: res.status,
      });
    }
    return mapped;
  }

  async findOrder(poNumber: string, hint?: { distributorOrderId?: string }): Promise<FoundOrder | null> {
    const today = this.now();
    // Order dates are PU's local dates; end one day ahead so a UTC/Central offset never hides today.
    const to = new Date(today.getTime() + 86_400_000);
    const from = new Date(today.getTime() - this.o.lookbackDays * 86_400_000);
    const wantedPo = poNumber.trim().toUpperCase();
    const wantedRef = hint?.distributorOrderId?.trim();
    let fallback: PuListedOrder | undefined;
    for (let page = 1; ; page++) {
      if (page > this.o.maxLookupPages) {
        if (fallback) return toFound(fallback);
        throw new ExternalCallError(
          'permanent',
          'order_not_found',
          `Parts Unlimited's order list for the last ${this.o.lookbackDays} days has more than ${this.o.maxLookupPages} pages; ` +
            `PO ${poNumber} was not found in them. Check the Parts Unlimited dealer portal before re-sending.`,
          { target: TARGET },
        );
      }
      const p = await this.fetchOrderPage(from, to, page);
      for (const o of p.orders) {
        const m = puMatch(o, wantedPo, wantedRef);
        if (m === 2 || (m === 1 && !wantedRef)) return toFound(o);
        if (m === 1) fallback ??= o;
      }
      if (p.orders.length === 0 || page >= p.totalPages) break;
    }
    return fallback ? toFound(fallback) : null;
  }

  /**
   * Every page of the drop-ship order list over orderDateWindow (10 orders a page per §8.2, so
   * ceil(orders in the window / 10) calls, whatever the number of POs asked about), each PO
   * matched as findOrder matches it. Stops after `maxListPages` pages: POs on later pages are
   * absent, which the caller reads as "ask findOrder".
   */
  async findOrders(orders: OrderToRead[]): Promise<Map<string, FoundOrder>> {
    if (orders.length === 0) return new Map();
    const { from, to } = orderDateWindow(orders, this.now());
    const wanted = orders.map((o) => ({ key: o.poNumber, po: o.poNumber.trim().toUpperCase(), ref: o.distributorOrderId?.trim() || undefined }));
    // A listed order answers a PO by its PO, or by its reference number when PU lists no PO.
    const byPo = new Map(wanted.map((w) => [w.po, w]));
    const byRef = new Map(wanted.filter((w) => w.ref).map((w) => [w.ref!, w]));
    const best = new Map<string, { match: number; order: PuListedOrder }>();
    for (let page = 1; page <= this.o.maxListPages; page++) {
      const p = await this.fetchOrderPage(from, to, page);
      for (const o of p.orders) {
        for (const w of new Set([byPo.get(o.poNumber.trim().toUpperCase()), byRef.get(o.referenceNumber)])) {
          const match = w ? puMatch(o, w.po, w.ref) : 0;
          if (w && match > (best.get(w.key)?.match ?? 0)) best.set(w.key, { match, order: o });
        }
      }
      if (p.orders.length === 0 || page >= p.totalPages) break;
    }
    return new Map([...best].map(([key, b]) => [key, toFound(b.order)]));
  }

  async placeOrder(order: PurchaseOrderRequest): Promise<PlacedOrder> {
    const s = order.shipTo;
    const shipTo: Record<string, string> = {
      name: s.name,
      ...(s.company ? { company: s.company } : {}),
      address_line_1: s.address1,
      address_line_2: s.address2 ?? '',
      city: s.city,
      state: s.state.trim().toUpperCase(),
      postal_code: s.postalCode,
      country: (s.country || 'US').trim().toUpperCase(),
    };
    const body: Record<string, unknown> = {
      dealer_number: this.creds.dealerNumber,
      ...(this.o.orderType ? { order_type: this.o.orderType } : {}),
      purchase_order_number: order.poNumber,
      shipping_method: this.o.shippingMethod,
      validate_price: this.o.validatePrice,
      cancellation_policy: this.o.cancellationPolicy,
      ship_to_address: shipTo,
      line_items: order.lines.map((l, i) => ({ line_number: i + 1, part_number: l.distributorSku, quantity: l.quantity })),
      ...(this.o.leaveOrderOpen !== undefined ? { leave_order_open: this.o.leaveOrderOpen } : {}),
    };
    const res = await this.http.send({ method: 'POST', path: this.ordersPath, json: body, timeoutMs: this.o.writeTimeoutMs });
    const retryAfterMs = parseRetryAfter(res.headers['retry-after']);
    const common = classifyCommonStatus(TARGET, res, true, retryAfterMs);
    if (common) throw common;

    const outcome = interpretOrderResponse(res.status, res.json(), this.o.successStatusCodes);
    if (outcome.ok === true) return { distributorOrderId: outcome.referenceNumber };
    if (outcome.ok === 'unknown') {
      // PU may have committed the order; only findOrder can tell.
      throw new ExternalCallError('ambiguous', 'upstream_unavailable', `Parts Unlimited's answer to PO ${order.poNumber} is unclear (${outcome.reason}); look the PO up before re-sending`, {
        target: TARGET,
        httpStatus: res.status,
      });
    }
    const r = classifyPuRefusal(outcome.statusCode, this.scrub(outcome.texts), { poNumber: order.poNumber, isWrite: true });
    throw this.refusalError(r, res.status, outcome.statusCode, r.code === 'throttled' ? retryAfterMs : undefined);
  }

  async checkStock(distributorSkus: string[]): Promise<StockLevel[]> {
    const out: StockLevel[] = [];
    const unique = [...new Set(distributorSkus)];
    const size = Math.max(1, this.o.inventoryBatchSize);
    const byNorm = new Map<string, StockLevel>();
    for (let i = 0; i < unique.length; i += size) {
      const batch = unique.slice(i, i + size);
      const res = await this.http.send({
        method: 'GET',
        path: `/api/v1/parts/inventory/${batch.map((p) => encodeURIComponent(p)).join(',')}`,
        timeoutMs: this.o.timeoutMs,
      });
      this.checkRead(res, 'Parts Unlimited inventory check');
      for (const level of mapPuInventory(batch, res.json())) byNorm.set(level.distributorSku, level);
    }
    for (const sku of distributorSkus) out.push({ ...(byNorm.get(sku) ?? { distributorSku: sku, orderable: false, warehouses: [] }) });
    return out;
  }
}

/** How well a listed order answers a PO: 2 = its reference number (and PO, when listed), 1 = its PO only, 0 = not it. */
function puMatch(o: PuListedOrder, wantedPo: string, wantedRef: string | undefined): 0 | 1 | 2 {
  const poMatch = o.poNumber.trim().toUpperCase() === wantedPo;
  if (wantedRef && o.referenceNumber === wantedRef && (poMatch || !o.poNumber)) return 2;
  return poMatch ? 1 : 0;
}

function toFound(o: PuListedOrder): FoundOrder {
  return { distributorOrderId: o.referenceNumber, status: o.status, shipments: o.shipments };
}

function stripUndefined<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}

export function createPartsUnlimitedAdapter(
  creds: PartsUnlimitedCredentials,
  ctx: AdapterContext,
  options: PartsUnlimitedAdapterOptions = {},
): DistributorAdapter {
  return new PartsUnlimitedAdapter(creds, ctx, options);
}

const credentialsSchema = z.object({
  dealerNumber: z.string().trim().min(1, 'dealerNumber is required').max(20),
  apiKey: z.string().trim().min(1, 'apiKey is required').max(200),
  feed: z
    .object({
      username: z.string().trim().min(1, 'feed.username is required').max(100),
      password: z.string().min(1, 'feed.password is required').max(200),
      baseUrl: z.url({ protocol: /^https?$/, error: 'feed.baseUrl must be an http(s) URL' }).max(300).optional(),
    })
    .strict()
    .optional(),
});

/**
 * A module with non-default options (API version, limits, timeouts, feed, …). `otherProductionUrls`
 * lists the price-file website so upstreamUrlPolicy allows it in production.
 */
export function makePartsUnlimitedModule(
  options: PartsUnlimitedAdapterOptions & { limits?: Partial<DistributorLimits>; feed?: PartsUnlimitedFeedOptions } = {},
): DistributorModule<PartsUnlimitedCredentials> {
  const { limits, feed, ...adapterOptions } = options;
  return {
    code: 'parts-unlimited',
    displayName: NAME,
    productionBaseUrl: PARTS_UNLIMITED_PRODUCTION_BASE_URL,
    otherProductionUrls: [PARTS_UNLIMITED_WEBSITE_URL],
    warehouses: PARTS_UNLIMITED_WAREHOUSES,
    limits: { ...PARTS_UNLIMITED_DEFAULT_LIMITS, ...limits },
    defaultRequestsPerSecond: adapterOptions.requestsPerSecond ?? PARTS_UNLIMITED_DEFAULT_REQUESTS_PER_SECOND,
    credentialsSchema,
    mask: (c) => ({
      dealerNumber: maskTail(c.dealerNumber),
      apiKey: maskTail(c.apiKey),
      ...(c.feed ? { feedUsername: maskTail(c.feed.username), feedPassword: maskTail(c.feed.password) } : {}),
    }),
    create: (creds, ctx) => createPartsUnlimitedAdapter(creds, ctx, adapterOptions),
    feed: createPartsUnlimitedFeed(feed),
  };
}

// ---------------------------------------------------------------------------------------------
// The daily price file (§2.5, §8.5): POST {website}/api/quotes/v2/pricefile with Basic auth (the
// dealer's website user) answers a ZIP holding BasePriceFile.csv and <DEALER>_PriceFile.csv,
// latin-1, header row first. Two pulls a day: every read() is one pull, verify() is not.

export interface PartsUnlimitedFeedOptions {
  /** Price-file path on the website. */
  priceFilePath?: string;
  /** [GUESS] a cheap authenticated call that consumes no pull (the simulator serves it). */
  verifyPath?: string;
  /** Body `auxillaryColumns` (§2.5 spelling). */
  auxiliaryColumns?: string[];
  /** Body `attachingCatalogs`. */
  attachingCatalogs?: string[];
  /** `Part Status` codes that may be ordered. S (standard) is; D (discontinued) is not; other codes are [UNKNOWN] and not trusted. */
  orderableStatuses?: string[];
  /** What an availability cell `+` counts as (§8.5: ten or more). */
  plusQuantity?: number;
  /** Wait for the answer's headers (PU builds the file first) and between chunks. Default 5 min. */
  timeoutMs?: number;
  /** Largest ZIP accepted. Default 1 GiB. */
  maxZipBytes?: number;
}

const FEED_DEFAULTS: Required<PartsUnlimitedFeedOptions> = {
  priceFilePath: '/api/quotes/v2/pricefile',
  verifyPath: '/api/quotes/v2/pricefile/status',
  auxiliaryColumns: ['PRODUCT_CODE', 'BRAND_NAME', 'WEIGHT', 'COUNTRY_OF_ORIGIN', 'UPC_CODE', 'COMMODITY_CODE', 'DRAG_PART', 'CLOSEOUT_CATALOG_INDICATOR'],
  attachingCatalogs: ['OLDBOOK', 'FATBOOK'],
  orderableStatuses: ['S'],
  plusQuantity: 10,
  timeoutMs: 5 * 60_000,
  maxZipBytes: 1024 * 1024 * 1024,
};

/** Warehouse availability columns (§2.5; CA when the file has it). */
const AVAILABILITY_COLUMNS: [string, string][] = [
  ['wi availability', 'WI'],
  ['ny availability', 'NY'],
  ['tx availability', 'TX'],
  ['nv availability', 'NV'],
  ['nc availability', 'NC'],
  ['ca availability', 'CA'],
];

/** An availability cell: integer, `+` (plenty), `N/A` or empty (none); undefined when unreadable. */
export function puAvailability(cell: string | undefined, plus = FEED_DEFAULTS.plusQuantity): number | undefined {
  const v = (cell ?? '').trim();
  if (v === '' || /^n\/?a$/i.test(v)) return 0;
  if (v === '+') return plus;
  const m = v.match(/^(\d+)\+?$/); // `25+` display strings seen in one client
  return m ? Number(m[1]) : undefined;
}

/** A money cell → number; null when empty; undefined when unreadable. */
function puMoney(cell: string | undefined): number | null | undefined {
  const v = (cell ?? '').trim().replace(/[$,]/g, '');
  if (v === '') return null;
  const n = Number(v);
  return Number.isFinite(n) ? n : undefined;
}

/** Plain part-number key: both files and both spellings meet on it. */
const partKey = (p: string) => p.toUpperCase().replace(/[^A-Z0-9]/g, '');

/**
 * One BasePriceFile.csv row → FeedItem or an error sentence. `col` maps lower-cased header names
 * to indexes; `dealerPrices` is the dealer file by plain part number.
 */
export function mapPuPriceRow(
  row: string[],
  col: ReadonlyMap<string, number>,
  dealerPrices: ReadonlyMap<string, number>,
  opts: { orderableStatuses?: string[]; plusQuantity?: number } = {},
): FeedItem | string {
  const cell = (name: string) => {
    const i = col.get(name);
    return i === undefined ? undefined : row[i];
  };
  const text = (name: string) => {
    const v = cell(name)?.trim();
    return v ? v : null;
  };
  const plain = text('part number');
  const partNumber = text('punctuated part number') ?? plain;
  if (!partNumber) return 'no part number';
  const money: Record<string, number | null> = {};
  for (const name of ['base dealer price', 'current suggested retail', 'dropship fee']) {
    const v = puMoney(cell(name));
    if (v === undefined) return `${partNumber}: ${name} "${cell(name)}" is not a number`;
    money[name] = v;
  }
  const warehouses: Record<string, number> = {};
  for (const [name, code] of AVAILABILITY_COLUMNS) {
    if (!col.has(name)) continue;
    const q = puAvailability(cell(name), opts.plusQuantity);
    if (q === undefined) return `${partNumber}: ${name} "${cell(name)}" is not a quantity`;
    warehouses[code] = q;
  }
  const status = (text('part status') ?? '').toUpperCase();
  const dealer = dealerPrices.get(partKey(plain ?? partNumber)) ?? dealerPrices.get(partKey(partNumber));
  return {
    partNumber,
    status,
    orderable: (opts.orderableStatuses ?? FEED_DEFAULTS.orderableStatuses).includes(status),
    dealerCost: dealer ?? money['base dealer price'],
    retailPrice: money['current suggested retail'],
    dropshipFee: money['dropship fee'],
    upc: text('upc code'),
    brand: text('brand name'),
    mfgPartNumber: text('vendor part number'),
    description: text('part description'),
    warehouses,
  };
}

function feedSettings(creds: PartsUnlimitedCredentials): PartsUnlimitedFeedSettings {
  if (!creds.feed) {
    throw new ExternalCallError(
      'permanent',
      'account_setup_required',
      `The ${NAME} connection has no feed settings. Add the dealer-website user name and password (feed: {username, password}) to the connection, then retry.`,
      { target: TARGET },
    );
  }
  return creds.feed;
}

/** The website base: feed.baseUrl, else the connection's baseUrl, replaces scheme, host and port. */
function feedBase(creds: PartsUnlimitedCredentials, ctx: FeedContext, probePath: string): string {
  const override = creds.feed?.baseUrl ?? ctx.baseUrl;
  let base: string;
  try {
    base = resolveBaseUrl(PARTS_UNLIMITED_WEBSITE_URL, override);
  } catch {
    base = override ?? '';
  }
  const problem = outboundUrlProblem(base + probePath, ctx.urlPolicy);
  if (problem) {
    throw new ExternalCallError('permanent', 'destination_refused', `Nothing was sent to ${NAME}: the feed address ${problem}. Correct the feed settings' baseUrl, then retry.`, {
      target: TARGET,
    });
  }
  return base;
}

const CREDENTIALS_MESSAGE = `${NAME} refused the dealer-website login of the feed settings (wrong user name or password, or a user not set up for this dealer number). Check them (they are the dealer.parts-unlimited.com login, not the API key), then retry.`;

/** Opens a ZIP on disk; entries are listed (central directory only) before any is read. */
async function openZip(path: string): Promise<{ zip: yauzl.ZipFile; entries: yauzl.Entry[] }> {
  const zip = await new Promise<yauzl.ZipFile>((resolve, reject) =>
    yauzl.open(path, { lazyEntries: true, autoClose: false }, (err, z) => (err || !z ? reject(err ?? new Error('no zip')) : resolve(z))),
  );
  const entries: yauzl.Entry[] = [];
  await new Promise<void>((resolve, reject) => {
    zip.on('entry', (e: yauzl.Entry) => {
      entries.push(e);
      zip.readEntry();
    });
    zip.once('end', () => resolve());
    zip.once('error', reject);
    zip.readEntry();
  });
  return { zip, entries };
}

function entryStream(zip: yauzl.ZipFile, entry: yauzl.Entry): Promise<NodeJS.ReadableStream> {
  return new Promise((resolve, reject) => zip.openReadStream(entry, (err, s) => (err || !s ? reject(err ?? new Error('no stream')) : resolve(s))));
}

function badFile(message: string): ExternalCallError {
  return new ExternalCallError('permanent', 'invalid_request', `${NAME} price file: ${message}`, { target: TARGET });
}

/**
 * A latin-1 CSV stream → records with their physical (end) line, and the rows csv-parse could not
 * read (`skipped`, filled as parsing goes: drain it by line while iterating).
 */
function csvRecords(input: NodeJS.ReadableStream): { records: AsyncIterable<{ record: string[]; info: { lines: number } }>; skipped: { line: number; error: string }[] } {
  const parser = parse({ encoding: 'latin1', bom: true, info: true, relax_column_count: true, relax_quotes: true, skip_empty_lines: true, skip_records_with_error: true });
  const skipped: { line: number; error: string }[] = [];
  parser.on('skip', (e: Error & { lines?: number }) => skipped.push({ line: e.lines ?? 0, error: e.message.replace(/\s+/g, ' ').slice(0, 200) }));
  input.on('error', (e) => parser.destroy(e));
  input.pipe(parser);
  return { records: parser as AsyncIterable<{ record: string[]; info: { lines: number } }>, skipped };
}

export function createPartsUnlimitedFeed(options: PartsUnlimitedFeedOptions = {}): DistributorFeed<PartsUnlimitedCredentials> {
  const o = { ...FEED_DEFAULTS, ...options };
  const basicAuth = (f: PartsUnlimitedFeedSettings) => `Basic ${Buffer.from(`${f.username}:${f.password}`, 'utf8').toString('base64')}`;
  const secretsOf = (creds: PartsUnlimitedCredentials) => [creds.apiKey, creds.feed?.password ?? ''].filter(Boolean);

  return {
    needsFeedSettings: true,
    maxPullsPerDay: 2,

    async verify(creds, ctx) {
      const f = feedSettings(creds);
      const base = feedBase(creds, ctx, o.verifyPath);
      const http = ctx.http({ target: TARGET, baseUrl: base, headers: { authorization: basicAuth(f) }, secrets: secretsOf(creds), timeoutMs: 30_000 });
      const res = await http.send({ method: 'GET', path: o.verifyPath, signal: ctx.signal });
      if (res.status >= 200 && res.status < 300) return;
      if (res.status === 401 || res.status === 403) {
        throw new ExternalCallError('permanent', 'credentials_rejected', CREDENTIALS_MESSAGE, { target: TARGET, httpStatus: res.status });
      }
      const common = classifyCommonStatus(TARGET, res, false, parseRetryAfter(res.headers['retry-after']));
      if (common) throw common;
      throw new ExternalCallError('permanent', 'invalid_request', `${NAME} answered ${res.status} to the feed check (GET ${o.verifyPath})`, {
        target: TARGET,
        httpStatus: res.status,
      });
    },

    async *read(creds, ctx): AsyncGenerator<FeedRecord> {
      const f = feedSettings(creds);
      const zipPath = join(ctx.tmpDir, `parts-unlimited-pricefile-${Date.now()}.zip`);
      try {
        await downloadToFile({
          target: TARGET,
          url: feedBase(creds, ctx, o.priceFilePath) + o.priceFilePath,
          method: 'POST',
          headers: { authorization: basicAuth(f), accept: 'application/zip, application/octet-stream' },
          json: { dealerCodes: [creds.dealerNumber], headersPrepended: true, auxillaryColumns: o.auxiliaryColumns, attachingCatalogs: o.attachingCatalogs },
          secrets: secretsOf(creds),
          timeoutMs: o.timeoutMs,
          signal: ctx.signal,
          urlPolicy: ctx.urlPolicy,
          maxBytes: o.maxZipBytes,
          destPath: zipPath,
          credentialsMessage: CREDENTIALS_MESSAGE,
        });
        let opened: Awaited<ReturnType<typeof openZip>>;
        try {
          opened = await openZip(zipPath);
        } catch (e) {
          throw badFile(`the answer is not a readable ZIP (${(e as Error).message})`);
        }
        const { zip, entries } = opened;
        try {
          const base = (e: yauzl.Entry) => e.fileName.split('/').pop()!.toLowerCase();
          const baseEntry = entries.find((e) => base(e) === 'basepricefile.csv');
          const dealerEntry =
            entries.find((e) => base(e) === `${creds.dealerNumber.toLowerCase()}_pricefile.csv`) ??
            entries.find((e) => base(e).endsWith('_pricefile.csv') && base(e) !== 'basepricefile.csv');
          if (!baseEntry) throw badFile(`the ZIP holds no BasePriceFile.csv (it holds ${entries.map((e) => e.fileName).join(', ') || 'nothing'})`);

          // The dealer file first: a Map of plain part number → Your Dealer Price (small entries).
          const dealerPrices = new Map<string, number>();
          if (dealerEntry) {
            let cols: { part: number; punct: number; price: number } | undefined;
            for await (const r of csvRecords(await entryStream(zip, dealerEntry)).records) {
              if (!cols) {
                const h = r.record.map((c) => c.trim().toLowerCase());
                cols = { part: h.indexOf('part number'), punct: h.indexOf('punctuated part number'), price: h.indexOf('your dealer price') };
                if (cols.price < 0 || (cols.part < 0 && cols.punct < 0)) throw badFile(`${dealerEntry.fileName} has no Part Number / Your Dealer Price header`);
                continue;
              }
              const price = puMoney(r.record[cols.price]);
              const part = r.record[cols.part] || r.record[cols.punct];
              if (part && typeof price === 'number') dealerPrices.set(partKey(part), price);
            }
          }

          let col: Map<string, number> | undefined;
          let width = 0;
          const { records, skipped } = csvRecords(await entryStream(zip, baseEntry));
          for await (const r of records) {
            while (skipped.length && skipped[0].line <= r.info.lines) yield skipped.shift()!;
            if (!col) {
              col = new Map(r.record.map((h, i) => [h.trim().toLowerCase(), i]));
              width = r.record.length;
              if (!col.has('part number') && !col.has('punctuated part number')) throw badFile('BasePriceFile.csv has no Part Number column in its header row');
              continue;
            }
            const line = r.info.lines;
            if (r.record.length !== width) {
              yield { line, error: `expected ${width} columns, found ${r.record.length}` };
              continue;
            }
            const mapped = mapPuPriceRow(r.record, col, dealerPrices, o);
            yield typeof mapped === 'string' ? { line, error: mapped } : { line, item: mapped };
          }
          yield* skipped;
          if (!col) throw badFile('BasePriceFile.csv is empty');
        } finally {
          zip.close();
        }
      } finally {
        await rm(zipPath, { force: true });
      }
    },
  };
}

export const partsUnlimitedModule = makePartsUnlimitedModule();
