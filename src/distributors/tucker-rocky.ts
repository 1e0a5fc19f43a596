// Tucker (formerly Tucker Rocky) "trws" web service adapter.
// Reference: shared/reference/distributor-apis.md §3 (facts), §5, §6.3 (simulator), §8.3
// (working assumptions). Every [GUESS]/[UNKNOWN] there is an option below (TuckerRockyOptions),
// and every guessed response shape is read in exactly one mapper:
//   - the type wrapper + status/errormsg  → readTuckerWrapper()
//   - whole-order / line error text → code → classifyTuckerError() / classifyLineErrors()
//   - ORD answer                          → mapOrdAnswer()
//   - SHP answer (shipments)              → mapShpAnswer()
//   - INV answer (stock)                  → mapInvAnswer()
//   - carrier strings                     → mapTuckerCarrier()
//   - ship dates                          → parseTuckerDate()
//
// Every call is one query-string GET to `<base>/bin/trws` with `apikey`, `cust`, `output=JSON`,
// `type=` (§3.1). The apikey and the customer number travel in the query string, so both are
// handed to the HTTP client as secrets: call records show them as `***`, and so does Tucker's
// error text wherever it is repeated. `ctx.baseUrl` replaces scheme/host/port only; the path
// `/bin/trws` is appended as-is. Test host: https://apitest.tucker.com (use it as the baseUrl).
//
// Idempotency:
// - placeOrder (type=ORD) is the only write, and it ALWAYS sends `allowduplicatepo=NO`. Sent twice
//   with the same PO, Tucker refuses the second with "NO DUPLICATE PO'S" (§3.6 [GUESS, strong],
//   §8.3) → permanent `duplicate_po`. So Tucker itself never holds two orders for one PO, whatever
//   findOrder concludes. Because ORD is an HTTP GET, the HTTP client would call a timeout/reset
//   "transient"; this adapter re-classifies those as `ambiguous` for ORD submit=YES (only a refused
//   connection / DNS failure stays transient). A 5xx or a non-JSON answer to ORD is `ambiguous` too.
// - Before submitting, placeOrder sends the same order with `submit=NO` (validate only, no side
//   effects, §3.2/§6.3): Tucker orders the good lines of a mixed order anyway (§8.3), so line
//   errors are caught before anything is ordered. (Option `preflight`, default true; also exposed
//   as `validateOrder()`.) If a line still fails at submit (stock moved in between), the good lines
//   WERE ordered: the error names the Tucker order number and tells the dealer to settle it with
//   Tucker.
// - findOrder: Tucker has no lookup by PO (§8.3: orders are looked up by Tucker order number only).
//   1. With `hint.distributorOrderId` (the ordernum placeOrder returned): `type=SHP&ordernum=` gives
//      the shipments (several shipment lines / tracking numbers → several shipments).
//   2. Without it (the answer carrying the ordernum was lost): a probe, `type=ORD&submit=NO&
//      allowduplicatepo=NO&po=<po>` with no lines. "NO DUPLICATE PO'S" → the PO exists. Any other
//      validation answer (missing address, no valid lines, SUCCESSFUL) → Tucker checked the PO and
//      holds none → null. [Assumption: Tucker checks the PO before the address and lines; the
//      simulator does. Even if wrong, the allowduplicatepo=NO submit above still blocks a double
//      order.] A credit-card refusal to the probe is inconclusive and is thrown
//      (account_setup_required); bad credentials/throttling are thrown as usual.
//   3. The PO exists but its ordernum is unknown: §8.3 gives the refusal as just "NO DUPLICATE
//      PO'S". If the refusal text carries an order number (`ordernumInRefusal` regex), SHP is
//      queried with it. Otherwise, by default, a permanent `duplicate_po` is thrown telling the
//      dealer the order IS at Tucker and how to find its number (a person must act; nothing is
//      re-sent). Option `unknownOrderNumber: 'empty'` returns a FoundOrder with
//      distributorOrderId '' instead (§8.3 does not say this is allowed, so it is off by default).
// - findOrders: SHP for many order numbers at once (batched, see its comment); POs without an
//   order number are left to findOrder's probe.
// - verifyCredentials, checkStock, validateOrder, findOrder and findOrders are reads; sending them
//   twice is harmless.
import { createInterface } from 'node:readline';
import { z } from 'zod';
import { maskSecret } from '../crypto';
import { alphanumericTracking, normalizeCarrier, type CanonicalCarrier } from '../carriers';
import { ExternalCallError, isExternalCallError, parseRetryAfter, type RefusalCode } from '../external-errors';
import { classifyCommonStatus, DEFAULT_REQUESTS_PER_SECOND, redact, resolveBaseUrl, type HttpClient, type HttpResponse } from '../http';
import { accountRateLimitKey } from '../rate-limit';
import { ftpFeedSettingsSchema, openFtpDownload, verifyFtpFeed, type FtpClientOptions, type FtpFeedSettings, type FtpFileSource } from '../feeds/ftp';
import type {
  AdapterContext,
  DistributorAdapter,
  DistributorFeed,
  FeedContext,
  FeedRecord,
  DistributorLimits,
  DistributorModule,
  DistributorShipment,
  FoundOrder,
  OrderToRead,
  PlacedOrder,
  PurchaseOrderRequest,
  StockLevel,
} from './types';

export interface TuckerRockyCredentials {
  customerNumber: string;
  apiKey: string;
  /** The price file's FTP account (§8.5); optional: ordering works without it. */
  feed?: FtpFeedSettings;
}

export const TUCKER_PRODUCTION_BASE_URL = 'https://api.tucker.com';
/** The test host [CODE×4]; use it as a connection's baseUrl. */
export const TUCKER_TEST_BASE_URL = 'https://apitest.tucker.com';
export const TUCKER_PATH = '/bin/trws';
/**
 * Distribution centers: §3.4 says the names are [UNKNOWN]; §8.3 assumes short codes such as
 * `TX`, `PA`, `NV`. Stock answers pass through any other dcname Tucker sends.
 */
export const TUCKER_WAREHOUSES = ['TX', 'PA', 'NV', 'DS'] as const;
/**
 * The price file's drop-ship quantity (col 36) has no per-DC split (§8.5), so it is reported as
 * this one pool; `DS` is in TUCKER_WAREHOUSES so warehouse rules can name it. Live stock (INV)
 * still reports the real DCs.
 */
export const TUCKER_DROPSHIP_WAREHOUSE = 'DS';
/** §8.5: the fixed-width price file at the FTP root. */
export const TUCKER_FEED_FILE = 'custlistsi.txt';
/** "Quantities cap at 9: a 9 means nine or more" [3P S13]. */
export const TUCKER_STOCK_CAP = 9;
/** `invoiceNote` / special instructions limit [3P S13, §8.3]. */
export const TUCKER_INVOICE_NOTE_MAX = 55;

const TARGET = 'tucker-rocky';
const NAME = 'Tucker';

/**
 * Requests per second per Tucker customer number when the dealer's connection sets none. Tucker
 * publishes no rate (reference §3.6 [UNKNOWN]), so this is the engine-wide guess.
 */
export const TUCKER_DEFAULT_REQUESTS_PER_SECOND = DEFAULT_REQUESTS_PER_SECOND;

/**
 * PO: length and charset are not documented. 20 = the engine's own PO format; letters, digits,
 * dashes (the engine's format) and underscores (a Tucker resend tool appends `_2`, §3.6) [GUESS].
 * Ship-to lengths are undocumented (§3, §8.3 are silent), so only the US formats are checked:
 * a 2-letter state and a ZIP or ZIP+4 (≤10 chars). Add lengths with the `fieldMaxLengths` option.
 */
export const TUCKER_LIMITS: DistributorLimits = {
  poNumberMaxLength: 20,
  poNumberPattern: /^[A-Za-z0-9_-]+$/,
  stateLength: 2,
  postalCodeMaxLength: 10,
};

/** Error-text patterns. §8.3 gives the auth, credit-card, duplicate and line texts; the rest is [GUESS]. */
export interface TuckerPatterns {
  auth: RegExp;
  creditCard: RegExp;
  duplicatePo: RegExp;
  /** Tucker's throttle signal is [UNKNOWN] (§3.6); §8.3 says every answer is HTTP 200 + ERROR. */
  throttle: RegExp;
  address: RegExp;
  noValidLines: RegExp;
  orderNotFound: RegExp;
  outOfStock: RegExp;
  invalidQuantity: RegExp;
}

export const DEFAULT_TUCKER_PATTERNS: TuckerPatterns = {
  auth: /INVALID API ?KEY|CUSTOMER NUMBER|NOT AUTHORI[SZ]ED|UNAUTHORI[SZ]ED/i,
  creditCard: /CREDIT CARD/i,
  duplicatePo: /DUPLICATE PO/i,
  throttle: /TOO MANY REQUESTS|RATE LIMIT|THROTTL|REQUEST LIMIT/i,
  address: /ADDRESS|SHIP ?TO|\bZIP\b|\bSTATE\b|\bCITY\b|\bNAME\b/i,
  noValidLines: /NO VALID (ORDER )?LINES/i,
  orderNotFound: /ORDER (NUMBER )?NOT FOUND|INVALID ORDER|NO SUCH ORDER|NO ORDER FOUND/i,
  outOfStock: /INSUFFICIENT|OUT OF STOCK|NO STOCK|NOT IN STOCK|BACKORDER/i,
  invalidQuantity: /INVALID (QTY|QUANTITY)/i,
};

export interface TuckerRockyOptions {
  /** Per-request timeout for reads (INV, SHP, ORD submit=NO). Default 15 s. */
  timeoutMs?: number;
  /** Per-request timeout for ORD submit=YES. Default 30 s. */
  writeTimeoutMs?: number;
  /** Validate with submit=NO before submit=YES. Default true. */
  preflight?: boolean;
  /** `splitlines=YES|NO` ("allow Tucker to split order", may change the total). Default YES; null omits it. */
  splitLines?: boolean | null;
  /** Order-level `carrier` code, e.g. `UG` [GUESS: UPS Ground]. Omitted → the dealer's default carrier. */
  carrier?: string;
  /** Optional `location` (e.g. `001`, drop-ship to store); omitted by default, as in the client. */
  location?: string;
  /** `invoiceNote` sent with each order (≤55 chars); omitted by default. */
  invoiceNote?: string;
  /** Item used by verifyCredentials' INV call. Any item works: an unknown one is an item-level error. */
  verifyItem?: string;
  /** Items per INV call [UNKNOWN]. Default 50. */
  maxItemsPerCall?: number;
  /** Order numbers per SHP call in findOrders (repeated `ordernum=`, §3.3; Tucker's cap is [UNKNOWN]). Default 50. */
  maxOrdersPerShp?: number;
  /** Countries Tucker drop-ships to; ORD has no country parameter [GUESS]. Default ['US']. */
  allowedCountries?: string[];
  /** Extra ship-to length checks (Tucker's are undocumented). */
  fieldMaxLengths?: Partial<Record<'name' | 'address1' | 'address2' | 'city', number>>;
  patterns?: Partial<TuckerPatterns>;
  /** Retry delay when the throttle answer says none. Default 60 s [GUESS]. */
  throttleRetryAfterMs?: number;
  /** Reads the wait out of a throttle errormsg; group 1 = seconds. */
  throttleSecondsPattern?: RegExp;
  /** Reads an order number out of a duplicate-PO refusal, if Tucker includes one; group 1. */
  ordernumInRefusal?: RegExp;
  /** PO exists but its ordernum cannot be learned: throw `duplicate_po` (default) or return ''. */
  unknownOrderNumber?: 'throw' | 'empty';
  /** A line added to the findOrder probe, for a Tucker that checks lines before the PO [GUESS]. */
  probeLine?: { item: string; quantity: number };
  /**
   * Replaces TUCKER_DEFAULT_REQUESTS_PER_SECOND when the connection sets no budget (0 = no cap);
   * the connection's own budget (ctx.requestsPerSecond) wins over it.
   */
  rateLimitPerSecond?: number;
}

type ResolvedOptions = Required<
  Omit<TuckerRockyOptions, 'carrier' | 'location' | 'invoiceNote' | 'probeLine' | 'rateLimitPerSecond' | 'patterns' | 'splitLines'>
> &
  Pick<TuckerRockyOptions, 'carrier' | 'location' | 'invoiceNote' | 'probeLine' | 'rateLimitPerSecond'> & {
    splitLines: boolean | null;
    patterns: TuckerPatterns;
  };

function resolveOptions(o: TuckerRockyOptions = {}): ResolvedOptions {
  return {
    timeoutMs: o.timeoutMs ?? 15_000,
    writeTimeoutMs: o.writeTimeoutMs ?? 30_000,
    preflight: o.preflight ?? true,
    splitLines: o.splitLines === undefined ? true : o.splitLines,
    carrier: o.carrier,
    location: o.location,
    invoiceNote: o.invoiceNote,
    verifyItem: o.verifyItem ?? '373843',
    maxItemsPerCall: Math.max(1, o.maxItemsPerCall ?? 50),
    maxOrdersPerShp: Math.max(1, o.maxOrdersPerShp ?? 50),
    allowedCountries: (o.allowedCountries ?? ['US']).map((c) => c.toUpperCase()),
    fieldMaxLengths: o.fieldMaxLengths ?? {},
    patterns: { ...DEFAULT_TUCKER_PATTERNS, ...o.patterns },
    throttleRetryAfterMs: o.throttleRetryAfterMs ?? 60_000,
    throttleSecondsPattern: o.throttleSecondsPattern ?? /(\d+)\s*(?:SECONDS?|SECS?|S)\b/i,
    ordernumInRefusal: o.ordernumInRefusal ?? /ORDER\s*(?:NUMBER|NUM|NO\.?|#)?\s*[:#]?\s*([A-Z0-9]*\d[A-Z0-9]*)/i,
    unknownOrderNumber: o.unknownOrderNumber ?? 'throw',
    probeLine: o.probeLine,
    rateLimitPerSecond: o.rateLimitPerSecond ?? TUCKER_DEFAULT_REQUESTS_PER_SECOND,
  };
}

// ---------------------------------------------------------------------------------------------
// Pure helpers and mappers (unit-tested without a server)
// ---------------------------------------------------------------------------------------------

/** Tucker item numbers are 6-character codes without dashes (§3.2: one client strips "-"). */
export function tuckerItemNumber(sku: string): string {
  return sku.trim().replace(/-/g, '').toUpperCase();
}

export function maskTail(value: string): string {
  return maskSecret(value);
}

function asArray<T = any>(v: unknown): T[] {
  if (v === undefined || v === null || v === '') return [];
  return (Array.isArray(v) ? v : [v]) as T[];
}

function str(v: unknown): string {
  return v === undefined || v === null ? '' : String(v).trim();
}

/** Tucker carrier codes/strings → canonical carrier; the code itself is kept as `service`. */
const TUCKER_CARRIER_CODES: Record<string, CanonicalCarrier> = {
  UG: 'UPS', // §3.2 "UG, presumably UPS Ground" [GUESS]
  U1: 'UPS',
  U2: 'UPS',
  U3: 'UPS',
  UR: 'UPS',
  UPSG: 'UPS',
  UPSGRD: 'UPS',
  UPSNEXTDAYAIR: 'UPS',
  UPS2NDDAYAIR: 'UPS',
  UPS3DAYSELECT: 'UPS',
  FG: 'FedEx',
  FX: 'FedEx',
  FE: 'FedEx',
  F1: 'FedEx',
  F2: 'FedEx',
  FH: 'FedEx',
  FEDEXHOME: 'FedEx',
  FS: 'FedExSmartPost',
  SP: 'FedExSmartPost',
  PM: 'USPS',
  PP: 'USPS',
  US: 'USPS',
  USPSPRIORITY: 'USPS',
  USPSPRIORITYMAIL: 'USPS',
  USPSFIRSTCLASS: 'USPS',
  PRIORITYMAIL: 'USPS',
  MI: 'UPSMailInnovations',
  OT: 'OnTrac',
};

export function mapTuckerCarrier(
  raw: string | undefined | null,
  trackingNumber?: string,
): { carrier: CanonicalCarrier; service?: string } {
  const service = str(raw) || undefined;
  const key = (service ?? '').toUpperCase().replace(/[^A-Z0-9]/g, '');
  let carrier: CanonicalCarrier = TUCKER_CARRIER_CODES[key] ?? normalizeCarrier(service);
  if (carrier === 'Other' && service) {
    // "UPS GROUND RESIDENTIAL", "FEDEX 2 DAY" …: a leading carrier word decides.
    if (/^UPS/.test(key)) carrier = 'UPS';
    else if (/^(FEDEX|FDX)/.test(key)) carrier = /SMART/.test(key) ? 'FedExSmartPost' : 'FedEx';
    else if (/^USPS|^POSTAL/.test(key)) carrier = 'USPS';
  }
  if (carrier === 'Other' && trackingNumber) {
    const t = alphanumericTracking(trackingNumber).toUpperCase();
    if (/^1Z[0-9A-Z]{16}$/.test(t)) carrier = 'UPS';
    else if (/^(94|93|92|95)\d{20}$/.test(t)) carrier = 'USPS';
    else if (/^\d{12}$|^\d{15}$/.test(t)) carrier = 'FedEx';
  }
  return { carrier, service };
}

/** Ship dates: format [UNKNOWN]; accepts ISO, YYYY-MM-DD, YYYYMMDD, MM/DD/YYYY, MM/DD/YY, MMDDYY. */
export function parseTuckerDate(raw: unknown): string | undefined {
  const s = str(raw);
  if (!s) return undefined;
  let y: number, m: number, d: number;
  let mt: RegExpMatchArray | null;
  if ((mt = s.match(/^(\d{4})-(\d{2})-(\d{2})$/))) [y, m, d] = [+mt[1], +mt[2], +mt[3]];
  else if ((mt = s.match(/^(\d{4})(\d{2})(\d{2})$/))) [y, m, d] = [+mt[1], +mt[2], +mt[3]];
  else if ((mt = s.match(/^(\d{1,2})\/(\d{1,2})\/(\d{4})$/))) [y, m, d] = [+mt[3], +mt[1], +mt[2]];
  else if ((mt = s.match(/^(\d{1,2})\/(\d{1,2})\/(\d{2})$/))) [y, m, d] = [2000 + +mt[3], +mt[1], +mt[2]];
  else if ((mt = s.match(/^(\d{2})(\d{2})(\d{2})$/))) [y, m, d] = [2000 + +mt[3], +mt[1], +mt[2]];
  else {
    const t = Date.parse(s);
    return Number.isNaN(t) ? undefined : new Date(t).toISOString();
  }
  if (m < 1 || m > 12 || d < 1 || d > 31) return undefined;
  return new Date(Date.UTC(y, m - 1, d)).toISOString();
}

export interface TuckerWrapper {
  /** Upper-cased `status` (`SUCCESSFUL` / `ERROR`, §8.3). */
  status: string;
  errormsg: string;
  ok: boolean;
  body: Record<string, any>;
}

/** `{"<TYPE>": {status, errormsg, …}}` (§3.1, §8.3). Undefined when the body is not that shape. */
export function readTuckerWrapper(type: string, body: unknown): TuckerWrapper | undefined {
  if (!body || typeof body !== 'object' || Array.isArray(body)) return undefined;
  const obj = body as Record<string, unknown>;
  const key =
    Object.keys(obj).find((k) => k.toUpperCase() === type.toUpperCase()) ??
    (Object.keys(obj).length === 1 ? Object.keys(obj)[0] : undefined);
  const inner = key ? obj[key] : undefined;
  if (!inner || typeof inner !== 'object' || Array.isArray(inner)) return undefined;
  const w = inner as Record<string, any>;
  const status = str(w.status).toUpperCase();
  return { status, errormsg: str(w.errormsg), ok: status === 'SUCCESSFUL' || status === 'SUCCESS', body: w };
}

export interface TuckerLineError {
  item: string;
  errormsg: string;
}

export interface OrdAnswer {
  ok: boolean;
  errormsg: string;
  ordernum?: string;
  lineErrors: TuckerLineError[];
}

/** ORD: `{status, errormsg, orderinput:{orderline:[{…, errormsg}]}, orderoutput:{ordernum, orderline:[{itemnum, errormsg}]}}`. */
export function mapOrdAnswer(w: TuckerWrapper): OrdAnswer {
  const seen = new Set<string>();
  const lineErrors: TuckerLineError[] = [];
  const lines = [
    ...asArray<Record<string, unknown>>(w.body.orderinput?.orderline),
    ...asArray<Record<string, unknown>>(w.body.orderoutput?.orderline),
  ];
  for (const l of lines) {
    if (!l || typeof l !== 'object') continue;
    const errormsg = str(l.errormsg);
    if (!errormsg) continue;
    const item = str(l.itemnum ?? l.item ?? l.itemnumber);
    const key = `${tuckerItemNumber(item)}|${errormsg}`;
    if (seen.has(key)) continue;
    seen.add(key);
    lineErrors.push({ item, errormsg });
  }
  const ordernum = str(w.body.orderoutput?.ordernum) || undefined;
  return { ok: w.ok, errormsg: w.errormsg, ordernum, lineErrors };
}

/**
 * SHP: `{status, shipment:[{ordernum, shipmentline:[{itemnum, qty, shipdate, trackingnumbers:
 * [{carrier, trackingnum}]}]}]}` (§3.3, §8.3: one line per item per shipment). Lines are grouped
 * by tracking number: each distinct tracking number is one shipment. A line with several tracking
 * numbers (several boxes) is counted under the first; the others become shipments with unknown lines.
 * `found` is false when Tucker does not know the order.
 */
export function mapShpAnswer(
  w: TuckerWrapper,
  ordernum: string,
  notFound: RegExp = DEFAULT_TUCKER_PATTERNS.orderNotFound,
  now: () => Date = () => new Date(),
): { found: boolean; status: string; shipments: DistributorShipment[] } {
  if (!w.ok) return { found: false, status: w.status, shipments: [] };
  const entries = asArray<Record<string, any>>(w.body.shipment ?? w.body.shipments);
  const mine = entries.filter((e) => e && typeof e === 'object' && (!str(e.ordernum) || str(e.ordernum) === ordernum));
  if (mine.length === 0) return { found: false, status: w.status, shipments: [] };
  if (mine.every((e) => notFound.test(str(e.errormsg)))) return { found: false, status: w.status, shipments: [] };

  const byTracking = new Map<string, DistributorShipment>();
  const statusWords = new Set<string>([w.status]);
  for (const e of mine) {
    for (const word of [str(e.status), str(e.orderstatus)]) if (word) statusWords.add(word.toUpperCase());
    for (const line of asArray<Record<string, any>>(e.shipmentline)) {
      if (!line || typeof line !== 'object') continue;
      const item = str(line.itemnum ?? line.item);
      const qty = Number(line.qty ?? line.quantity ?? 0);
      const shippedAt = parseTuckerDate(line.shipdate) ?? now().toISOString();
      const warehouse = str(line.dcname ?? line.dc) || undefined;
      const tns = asArray<Record<string, any>>(line.trackingnumbers ?? line.trackingnumber).filter(
        (t) => t && typeof t === 'object' && str(t.trackingnum),
      );
      tns.forEach((t, i) => {
        const rawTracking = str(t.trackingnum);
        const key = alphanumericTracking(rawTracking).toUpperCase();
        let s = byTracking.get(key);
        if (!s) {
          const { carrier, service } = mapTuckerCarrier(str(t.carrier) || str(line.carrier), rawTracking);
          const freight = /FREIGHT|LTL|TRUCK/i.test(str(t.carrier));
          s = {
            trackingNumber: alphanumericTracking(rawTracking),
            carrier,
            ...(service ? { service } : {}),
            shippedAt,
            lines: [],
            ...(warehouse ? { warehouse } : {}),
            ...(freight ? { freightNumber: rawTracking } : {}),
          };
          byTracking.set(key, s);
        }
        if (i === 0 && item && Number.isFinite(qty) && qty > 0) {
          const existing = s.lines.find((l) => l.distributorSku === item);
          if (existing) existing.quantity += qty;
          else s.lines.push({ distributorSku: item, quantity: qty });
        }
      });
    }
  }
  const shipments = [...byTracking.values()];
  if (!statusWords.has('SHIPPED') && shipments.length) statusWords.add('SHIPPED');
  if (!shipments.length) statusWords.add('OPEN');
  return { found: true, status: [...statusWords].filter(Boolean).join(' '), shipments };
}

/**
 * INV: `{status, item:[{itemnum?, inventory, dc:[{dcname, dcinv}], errormsg?}]}` (§3.4). Items are
 * matched by item number when present, else by position. Quantities are capped at 9 (a 9 means
 * "nine or more"). An item-level errormsg (unknown, discontinued) makes it not orderable.
 */
export function mapInvAnswer(w: TuckerWrapper, requested: string[]): StockLevel[] {
  const items = asArray<Record<string, any>>(w.body.item ?? w.body.items);
  return requested.map((sku, idx) => {
    const want = tuckerItemNumber(sku);
    const byNumber = items.find((it) => it && tuckerItemNumber(str(it.itemnum ?? it.item ?? it.itemnumber)) === want);
    const anyNumbered = items.some((it) => it && str(it.itemnum ?? it.item ?? it.itemnumber));
    const it = byNumber ?? (anyNumbered ? undefined : items[idx]);
    if (!it || typeof it !== 'object') return { distributorSku: sku, orderable: false, warehouses: [] };
    const warehouses = asArray<Record<string, any>>(it.dc)
      .filter((d) => d && typeof d === 'object' && str(d.dcname))
      .map((d) => {
        const n = parseInt(str(d.dcinv), 10);
        return { code: str(d.dcname).toUpperCase(), quantity: Number.isFinite(n) ? Math.max(0, Math.min(TUCKER_STOCK_CAP, n)) : 0 };
      });
    const itemStatus = str(it.status).toUpperCase();
    const orderable = !str(it.errormsg) && itemStatus !== 'D' && itemStatus !== 'ERROR';
    return { distributorSku: sku, orderable, warehouses };
  });
}

export type TuckerRefusalKind = 'auth' | 'throttle' | 'creditCard' | 'duplicatePo' | 'noValidLines' | 'address' | 'other';

/** Whole-answer errormsg → kind. Order matters: auth and account first, then the order's own problems. */
export function classifyTuckerError(errormsg: string, p: TuckerPatterns = DEFAULT_TUCKER_PATTERNS): TuckerRefusalKind {
  if (p.auth.test(errormsg)) return 'auth';
  if (p.throttle.test(errormsg)) return 'throttle';
  if (p.creditCard.test(errormsg)) return 'creditCard';
  if (p.duplicatePo.test(errormsg)) return 'duplicatePo';
  if (p.noValidLines.test(errormsg)) return 'noValidLines';
  if (p.address.test(errormsg)) return 'address';
  return 'other';
}

/**
 * Line errors → one refusal naming every item. Unknown/discontinued/not-for-drop-ship (and any
 * text we do not recognise) → sku_not_orderable; only stock problems → out_of_stock; only bad
 * quantities → invalid_request.
 */
export function classifyLineErrors(
  lineErrors: TuckerLineError[],
  p: TuckerPatterns = DEFAULT_TUCKER_PATTERNS,
): { code: RefusalCode; list: string } {
  const kinds = lineErrors.map((l) =>
    p.outOfStock.test(l.errormsg) ? 'stock' : p.invalidQuantity.test(l.errormsg) ? 'qty' : 'sku',
  );
  const code: RefusalCode = kinds.includes('sku') ? 'sku_not_orderable' : kinds.includes('stock') ? 'out_of_stock' : 'invalid_request';
  const list = lineErrors.map((l) => `${l.item || '(unnamed item)'} (${l.errormsg})`).join(', ');
  return { code, list };
}

// ---------------------------------------------------------------------------------------------
// Adapter
// ---------------------------------------------------------------------------------------------

const NEVER_SENT = /ECONNREFUSED|ENOTFOUND|EAI_AGAIN|EHOSTUNREACH|ENETUNREACH/;

type CallType = 'INV' | 'PRC' | 'INP' | 'ORD' | 'SHP';

export class TuckerRockyAdapter implements DistributorAdapter {
  readonly code = 'tucker-rocky' as const;
  private readonly client: HttpClient;
  private readonly opts: ResolvedOptions;
  private readonly secrets: string[];

  constructor(
    private readonly creds: TuckerRockyCredentials,
    ctx: AdapterContext,
    options: TuckerRockyOptions = {},
  ) {
    this.opts = resolveOptions(options);
    this.secrets = [creds.apiKey, creds.customerNumber];
    const perSecond = ctx.requestsPerSecond ?? this.opts.rateLimitPerSecond;
    this.client = ctx.http({
      target: TARGET,
      baseUrl: resolveBaseUrl(TUCKER_PRODUCTION_BASE_URL, ctx.baseUrl),
      timeoutMs: this.opts.timeoutMs,
      secrets: this.secrets,
      ...(perSecond
        ? // the limiter key may be stored (a shared limiter): a digest, not the customer number
          { rateLimit: { key: accountRateLimitKey(TARGET, creds.customerNumber), perSecond } }
        : {}),
    });
  }

  async verifyCredentials(): Promise<void> {
    // Cheapest read-only call: INV of one item. Any answer other than a credentials refusal or a
    // throttle (both thrown by call()) means Tucker accepted the key and customer number; an
    // unknown item is only an item-level error.
    await this.call('INV', [['item', tuckerItemNumber(this.opts.verifyItem)]], { write: false });
  }

  async checkStock(distributorSkus: string[]): Promise<StockLevel[]> {
    if (distributorSkus.length === 0) return [];
    const unique = [...new Map(distributorSkus.map((s) => [tuckerItemNumber(s), s])).values()];
    const results = new Map<string, StockLevel>();
    for (let i = 0; i < unique.length; i += this.opts.maxItemsPerCall) {
      const chunk = unique.slice(i, i + this.opts.maxItemsPerCall);
      const w = await this.call(
        'INV',
        chunk.map((s): [string, string] => ['item', tuckerItemNumber(s)]),
        { write: false },
      );
      if (!w.ok) throw this.genericRefusal('INV', w.errormsg);
      for (const level of mapInvAnswer(w, chunk)) results.set(tuckerItemNumber(level.distributorSku), level);
    }
    return distributorSkus.map((sku) => {
      const level = results.get(tuckerItemNumber(sku))!;
      return { ...level, distributorSku: sku, warehouses: level.warehouses.map((w) => ({ ...w })) };
    });
  }

  /** Validate-only ORD (`submit=NO`): resolves when Tucker would accept every line; throws the refusal placeOrder would. */
  async validateOrder(order: PurchaseOrderRequest): Promise<void> {
    this.checkLocally(order);
    const w = await this.call('ORD', this.orderParams(order, false), { write: false, po: order.poNumber });
    const a = mapOrdAnswer(w);
    if (!a.ok) throw this.orderRefusal(order, a);
    if (a.lineErrors.length) throw this.lineRefusal(order, a.lineErrors);
  }

  async placeOrder(order: PurchaseOrderRequest): Promise<PlacedOrder> {
    this.checkLocally(order);
    if (this.opts.preflight) await this.validateOrder(order);
    const w = await this.call('ORD', this.orderParams(order, true), { write: true, po: order.poNumber });
    const a = mapOrdAnswer(w);
    if (!a.ok) throw this.orderRefusal(order, a);
    if (!a.ordernum) {
      throw new ExternalCallError(
        'ambiguous',
        'upstream_unavailable',
        `${NAME} answered SUCCESSFUL to PO ${order.poNumber} without an order number; the order may exist and is looked up before anything is re-sent.`,
        { target: TARGET, httpStatus: 200 },
      );
    }
    if (a.lineErrors.length) {
      // §8.3: the good lines were ordered anyway. Something exists at Tucker; a person must settle it.
      const { code, list } = classifyLineErrors(this.namedLines(order, a.lineErrors), this.opts.patterns);
      throw new ExternalCallError(
        'permanent',
        code,
        `${NAME} placed order ${a.ordernum} for PO ${order.poNumber} but refused these items: ${list}. ` +
          `The other lines WERE ordered. Contact Tucker about order ${a.ordernum} (keep or cancel it) before re-sending ` +
          `or swapping this purchase order to another distributor.`,
        { target: TARGET, httpStatus: 200, upstreamCode: a.lineErrors[0].errormsg },
      );
    }
    return { distributorOrderId: a.ordernum };
  }

  async findOrder(poNumber: string, hint?: { distributorOrderId?: string }): Promise<FoundOrder | null> {
    const known = str(hint?.distributorOrderId);
    if (known) {
      const found = await this.shipments(known);
      if (found) return found;
      // SHP does not know the number (yet): ask whether the PO exists at all.
    }
    const probe = await this.probePo(poNumber);
    if (!probe.exists) return null;
    const ordernum = known || probe.ordernum;
    if (ordernum) {
      if (ordernum !== known) {
        const found = await this.shipments(ordernum);
        if (found) return found;
      }
      return { distributorOrderId: ordernum, status: 'OPEN', shipments: [] };
    }
    if (this.opts.unknownOrderNumber === 'empty') {
      return { distributorOrderId: '', status: 'EXISTS (Tucker order number unknown)', shipments: [] };
    }
    throw new ExternalCallError(
      'permanent',
      'duplicate_po',
      `${NAME} already has an order under PO ${poNumber}, but its answer (with the Tucker order number) was lost and ` +
        `Tucker cannot look orders up by PO. Nothing will be re-sent. Find the order for PO ${poNumber} in your ` +
        `Tucker dealer account (tucker.com) or ask your Tucker rep, then record its order number (POST /v1/purchase-orders/${poNumber}/retry {"distributorOrderId": "<Tucker order number>"}) so tracking can be pulled.`,
      { target: TARGET, httpStatus: 200, upstreamCode: probe.errormsg },
    );
  }

  get maxOrdersPerRead(): number {
    return this.opts.maxOrdersPerShp;
  }

  /**
   * `type=SHP` with repeated `ordernum=` keys, `maxOrdersPerShp` order numbers a call, so
   * ceil(POs with an order number / maxOrdersPerShp) calls. A PO without distributorOrderId is
   * left out (Tucker reads by order number only; findOrder probes by PO), and so is an order SHP
   * does not know. Each order's entries go through mapShpAnswer as findOrder's do; an entry that
   * names no ordernum is only attributed when the call asked about one order.
   */
  async findOrders(orders: OrderToRead[]): Promise<Map<string, FoundOrder>> {
    const found = new Map<string, FoundOrder>();
    const numbered = orders.map((o) => ({ po: o.poNumber, ordernum: str(o.distributorOrderId) })).filter((o) => o.ordernum);
    for (let i = 0; i < numbered.length; i += this.opts.maxOrdersPerShp) {
      const batch = numbered.slice(i, i + this.opts.maxOrdersPerShp);
      const w = await this.call(
        'SHP',
        batch.map((o): [string, string] => ['ordernum', o.ordernum]),
        { write: false },
      );
      if (!w.ok) {
        if (this.opts.patterns.orderNotFound.test(w.errormsg)) continue;
        throw this.genericRefusal('SHP', w.errormsg);
      }
      const entries = asArray<Record<string, any>>(w.body.shipment ?? w.body.shipments);
      for (const o of batch) {
        const mine = entries.filter((e) => e && typeof e === 'object' && (str(e.ordernum) === o.ordernum || (batch.length === 1 && !str(e.ordernum))));
        const r = mapShpAnswer({ ...w, body: { ...w.body, shipment: mine } }, o.ordernum, this.opts.patterns.orderNotFound);
        if (r.found) found.set(o.po, { distributorOrderId: o.ordernum, status: r.status, shipments: r.shipments });
      }
    }
    return found;
  }

  // --- internals ------------------------------------------------------------------------------

  private async shipments(ordernum: string): Promise<FoundOrder | undefined> {
    const w = await this.call('SHP', [['ordernum', ordernum]], { write: false });
    if (!w.ok) {
      if (this.opts.patterns.orderNotFound.test(w.errormsg)) return undefined;
      throw this.genericRefusal('SHP', w.errormsg);
    }
    const r = mapShpAnswer(w, ordernum, this.opts.patterns.orderNotFound);
    if (!r.found) return undefined;
    return { distributorOrderId: ordernum, status: r.status, shipments: r.shipments };
  }

  /** ORD submit=NO with only the PO: does Tucker already hold an order under it? */
  private async probePo(poNumber: string): Promise<{ exists: boolean; ordernum?: string; errormsg?: string }> {
    const params: [string, string][] = [
      ['po', poNumber],
      ['allowduplicatepo', 'NO'],
      ['submit', 'NO'],
    ];
    if (this.opts.probeLine) params.push(['line', `${tuckerItemNumber(this.opts.probeLine.item)},${this.opts.probeLine.quantity}`]);
    const w = await this.call('ORD', params, { write: false, po: poNumber });
    if (w.ok) return { exists: false };
    const kind = classifyTuckerError(w.errormsg, this.opts.patterns);
    if (kind === 'duplicatePo') {
      const m = w.errormsg.match(this.opts.ordernumInRefusal);
      const fromBody = str(w.body.orderoutput?.ordernum) || str(w.body.ordernum);
      return { exists: true, ordernum: fromBody || m?.[1] || undefined, errormsg: w.errormsg };
    }
    if (kind === 'creditCard') {
      throw new ExternalCallError(
        'permanent',
        'account_setup_required',
        `${NAME} cannot check PO ${poNumber} because your Tucker account has no credit card on file. ` +
          `Put a credit card on file in your Tucker dealer account (tucker.com) or through your Tucker rep, then retry.`,
        { target: TARGET, httpStatus: 200, upstreamCode: w.errormsg },
      );
    }
    return { exists: false, errormsg: w.errormsg };
  }

  private orderParams(order: PurchaseOrderRequest, submit: boolean): [string, string][] {
    const s = order.shipTo;
    const p: [string, string][] = [
      ['po', order.poNumber],
      ['name', s.name.trim()],
      ['address1', s.address1.trim()],
    ];
    if (s.address2?.trim()) p.push(['address2', s.address2.trim()]);
    p.push(['city', s.city.trim()], ['state', s.state.trim().toUpperCase()], ['zip', s.postalCode.trim()]);
    p.push(['allowduplicatepo', 'NO']); // ALWAYS: Tucker's own guard against a second order (see Idempotency)
    if (this.opts.splitLines !== null) p.push(['splitlines', this.opts.splitLines ? 'YES' : 'NO']);
    if (this.opts.carrier) p.push(['carrier', this.opts.carrier]);
    if (this.opts.location) p.push(['location', this.opts.location]);
    if (this.opts.invoiceNote) p.push(['invoiceNote', this.opts.invoiceNote]);
    p.push(['submit', submit ? 'YES' : 'NO']);
    for (const l of order.lines) p.push(['line', `${tuckerItemNumber(l.distributorSku)},${l.quantity}`]);
    return p;
  }

  /** Pre-flight in Tucker's terms, before any request. */
  private checkLocally(order: PurchaseOrderRequest): void {
    const po = order.poNumber ?? '';
    const invalid = (msg: string) => new ExternalCallError('permanent', 'invalid_request', msg, { target: TARGET });
    const address = (msg: string) =>
      new ExternalCallError('permanent', 'address_rejected', `${msg} Correct the ship-to address and retry.`, { target: TARGET });
    if (!po || po.length > TUCKER_LIMITS.poNumberMaxLength || !TUCKER_LIMITS.poNumberPattern.test(po)) {
      throw invalid(
        `PO "${po}" is not valid for ${NAME}: at most ${TUCKER_LIMITS.poNumberMaxLength} letters, digits, dashes or underscores.`,
      );
    }
    if (this.opts.invoiceNote && this.opts.invoiceNote.length > TUCKER_INVOICE_NOTE_MAX) {
      throw invalid(`The Tucker invoice note is longer than ${TUCKER_INVOICE_NOTE_MAX} characters.`);
    }
    const s = order.shipTo;
    const missing = (['name', 'address1', 'city', 'state', 'postalCode'] as const).filter((f) => !str(s?.[f]));
    if (missing.length) throw address(`The ship-to address is missing ${missing.join(', ')}, which ${NAME} requires.`);
    const country = str(s.country).toUpperCase();
    const countryOk = !country || this.opts.allowedCountries.includes(country) || (country === 'USA' && this.opts.allowedCountries.includes('US'));
    if (!countryOk) {
      throw address(`${NAME} drop-ships only to ${this.opts.allowedCountries.join(', ')} addresses; this one is in ${country}.`);
    }
    if (!/^[A-Za-z]{2}$/.test(s.state.trim())) throw address(`${NAME} needs a 2-letter state code (got "${s.state}").`);
    if (!/^\d{5}(-?\d{4})?$/.test(s.postalCode.trim())) throw address(`${NAME} needs a 5-digit ZIP or ZIP+4 (got "${s.postalCode}").`);
    for (const [field, max] of Object.entries(this.opts.fieldMaxLengths)) {
      const v = str((s as unknown as Record<string, unknown>)[field]);
      if (max && v.length > max) throw address(`The ship-to ${field} is longer than ${NAME}'s ${max} characters.`);
    }
    if (!order.lines?.length) throw invalid(`PO ${po} has no lines.`);
    for (const l of order.lines) {
      if (!Number.isInteger(l.quantity) || l.quantity <= 0) throw invalid(`Line ${l.lineId}: quantity must be a whole number above 0.`);
      const item = tuckerItemNumber(l.distributorSku ?? '');
      if (!/^[A-Z0-9]+$/.test(item)) {
        throw new ExternalCallError('permanent', 'sku_not_orderable', `"${l.distributorSku}" is not a Tucker item number.`, {
          target: TARGET,
        });
      }
    }
  }

  /** Maps Tucker's item numbers in line errors back to the SKUs the caller used. */
  private namedLines(order: PurchaseOrderRequest, errs: TuckerLineError[]): TuckerLineError[] {
    return errs.map((e) => {
      const line = order.lines.find((l) => tuckerItemNumber(l.distributorSku) === tuckerItemNumber(e.item));
      return { item: line?.distributorSku ?? e.item, errormsg: e.errormsg };
    });
  }

  private lineRefusal(order: PurchaseOrderRequest, errs: TuckerLineError[]): ExternalCallError {
    const { code, list } = classifyLineErrors(this.namedLines(order, errs), this.opts.patterns);
    const advice =
      code === 'out_of_stock'
        ? 'Tucker does not have enough stock; swap these lines to another distributor or wait for stock.'
        : code === 'sku_not_orderable'
          ? 'Swap these lines to another distributor or remove them.'
          : 'Correct the quantities and retry.';
    return new ExternalCallError(
      'permanent',
      code,
      `${NAME} refused these items on PO ${order.poNumber}: ${list}. Nothing was ordered. ${advice}`,
      { target: TARGET, httpStatus: 200, upstreamCode: errs[0].errormsg },
    );
  }

  /** A whole-order ERROR (nothing was ordered). */
  private orderRefusal(order: PurchaseOrderRequest, a: OrdAnswer): ExternalCallError {
    const kind = classifyTuckerError(a.errormsg, this.opts.patterns);
    const d = { target: TARGET, httpStatus: 200, upstreamCode: a.errormsg };
    const text = this.clean(a.errormsg);
    switch (kind) {
      case 'creditCard':
        return new ExternalCallError(
          'permanent',
          'account_setup_required',
          `${NAME} refused PO ${order.poNumber} because your Tucker account has no credit card on file ("${text}"). ` +
            `Drop-ship orders need one: put a credit card on file in your Tucker dealer account at tucker.com ` +
            `(or through your Tucker sales rep), then retry this purchase order.`,
          d,
        );
      case 'duplicatePo': {
        const n = a.errormsg.match(this.opts.ordernumInRefusal)?.[1];
        return new ExternalCallError(
          'permanent',
          'duplicate_po',
          `${NAME} already has an order under PO ${order.poNumber}${n ? ` (order ${n})` : ''} and refused a second one ("${text}"). ` +
            `Nothing new was ordered.`,
          d,
        );
      }
      case 'noValidLines':
      case 'other':
        if (a.lineErrors.length) return this.lineRefusal(order, a.lineErrors);
        if (kind === 'noValidLines') {
          return new ExternalCallError('permanent', 'sku_not_orderable', `${NAME} found no orderable line on PO ${order.poNumber} ("${text}").`, d);
        }
        return new ExternalCallError('permanent', 'invalid_request', `${NAME} refused PO ${order.poNumber}: "${text}".`, d);
      case 'address':
        return new ExternalCallError(
          'permanent',
          'address_rejected',
          `${NAME} refused the ship-to address on PO ${order.poNumber}: "${text}". Correct the address and retry.`,
          d,
        );
      default:
        return new ExternalCallError('permanent', 'invalid_request', `${NAME} refused PO ${order.poNumber}: "${text}".`, d);
    }
  }

  private genericRefusal(type: CallType, errormsg: string): ExternalCallError {
    return new ExternalCallError('permanent', 'invalid_request', `${NAME} refused the ${type} request: "${this.clean(errormsg)}".`, {
      target: TARGET,
      httpStatus: 200,
      upstreamCode: errormsg,
    });
  }

  private clean(text: string): string {
    return redact(text, this.secrets);
  }

  /**
   * One trws call. Throws for transport failures, HTTP-level failures, bad credentials and
   * throttling; returns the wrapper (SUCCESSFUL or not) for the caller's own mapping.
   */
  private async call(type: CallType, params: [string, string][], o: { write: boolean; po?: string }): Promise<TuckerWrapper> {
    const sp = new URLSearchParams();
    sp.append('apikey', this.creds.apiKey);
    sp.append('cust', this.creds.customerNumber);
    sp.append('output', 'JSON');
    sp.append('type', type);
    for (const [k, v] of params) sp.append(k, v); // URLSearchParams keeps repeated keys (line=, item=)

    let res: HttpResponse;
    try {
      res = await this.client.send({
        method: 'GET',
        path: TUCKER_PATH,
        searchParams: sp,
        timeoutMs: o.write ? this.opts.writeTimeoutMs : this.opts.timeoutMs,
      });
    } catch (e) {
      // ORD is a GET that writes: a timeout or reset after sending may have placed the order.
      if (o.write && isExternalCallError(e) && e.kind === 'transient' && !NEVER_SENT.test(e.message)) {
        throw new ExternalCallError(
          'ambiguous',
          e.code,
          `${NAME} did not answer the order for PO ${o.po} (${e.code === 'timeout' ? 'timed out' : 'connection lost'}); ` +
            `the order may have been placed and is looked up before anything is re-sent.`,
          { ...e.details, target: TARGET },
        );
      }
      throw e;
    }

    const retryAfterMs = parseRetryAfter(res.headers['retry-after']);
    if (res.status === 429) {
      throw new ExternalCallError('transient', 'throttled', `${NAME} is throttling requests`, {
        target: TARGET,
        httpStatus: 429,
        retryAfterMs: retryAfterMs ?? this.opts.throttleRetryAfterMs,
      });
    }
    const common = classifyCommonStatus(TARGET, res, o.write, retryAfterMs);
    if (common) {
      if (o.write) {
        throw new ExternalCallError(
          'ambiguous',
          common.code,
          `${NAME} answered HTTP ${res.status} to the order for PO ${o.po}; the order may have been placed and is looked up before anything is re-sent.`,
          common.details,
        );
      }
      throw common;
    }
    if (res.status === 401 || res.status === 403) {
      throw new ExternalCallError(
        'permanent',
        'credentials_rejected',
        `${NAME} refused the customer number / API key (HTTP ${res.status}). Check them in your Tucker connection settings.`,
        { target: TARGET, httpStatus: res.status },
      );
    }
    if (res.status !== 200) {
      throw new ExternalCallError(
        'permanent',
        'invalid_request',
        res.status === 404
          ? `${NAME}'s trws service was not found (HTTP 404) at the configured address; check the connection's base URL.`
          : `${NAME} answered HTTP ${res.status} to the ${type} request.`,
        { target: TARGET, httpStatus: res.status },
      );
    }

    const w = readTuckerWrapper(type, res.json());
    if (!w) {
      throw new ExternalCallError(
        o.write ? 'ambiguous' : 'transient',
        'upstream_unavailable',
        o.write
          ? `${NAME} answered the order for PO ${o.po} with something other than its JSON; the order may have been placed and is looked up before anything is re-sent.`
          : `${NAME} answered the ${type} request with something other than its JSON.`,
        { target: TARGET, httpStatus: res.status },
      );
    }
    if (w.ok) return w;
    const kind = classifyTuckerError(w.errormsg, this.opts.patterns);
    if (kind === 'auth') {
      throw new ExternalCallError(
        'permanent',
        'credentials_rejected',
        `${NAME} refused the customer number / API key ("${this.clean(w.errormsg)}"). Check them in your Tucker connection settings.`,
        { target: TARGET, httpStatus: 200, upstreamCode: w.errormsg },
      );
    }
    if (kind === 'throttle') {
      const secs = w.errormsg.match(this.opts.throttleSecondsPattern)?.[1];
      throw new ExternalCallError('transient', 'throttled', `${NAME} is throttling requests ("${this.clean(w.errormsg)}")`, {
        target: TARGET,
        httpStatus: 200,
        upstreamCode: w.errormsg,
        retryAfterMs: secs ? Number(secs) * 1000 : (retryAfterMs ?? this.opts.throttleRetryAfterMs),
      });
    }
    return w;
  }
}

export function createTuckerRockyAdapter(
  creds: TuckerRockyCredentials,
  ctx: AdapterContext,
  options: TuckerRockyOptions = {},
): TuckerRockyAdapter {
  return new TuckerRockyAdapter(creds, ctx, options);
}

const credentialsSchema = z.object({
  customerNumber: z.string().trim().min(1, 'customerNumber is required').max(20).regex(/^[A-Za-z0-9-]+$/, 'customerNumber: letters and digits only'),
  // §3.1: a 28-character upper-case alphanumeric key [CODE×4]; only the charset is enforced.
  apiKey: z.string().trim().min(8, 'apiKey is too short').max(128).regex(/^[A-Za-z0-9]+$/, 'apiKey: letters and digits only'),
  feed: ftpFeedSettingsSchema.optional(),
});

// ---------------------------------------------------------------------------------------------
// Price file feed (§3.5 layout, §8.5: FTP, `custlistsi.txt` at the root, CRLF, no header line)
// ---------------------------------------------------------------------------------------------

const TUCKER_FEED_SOURCE: FtpFileSource = { target: TARGET, name: NAME, defaultPath: `/${TUCKER_FEED_FILE}` };

/** `00080.19`: digits with an optional decimal part; anything else is a bad row. */
function tuckerMoney(field: string, label: string): number | string {
  const t = field.trim();
  if (!/^\d+(\.\d{1,4})?$/.test(t)) return `${label} "${field}" is not a price`;
  return Number(t);
}

/**
 * One price-file line (CR already stripped) → a record. Columns (1-based, §3.5): Item 1-6,
 * Status 7 (blank / C closeout / D discontinued), Availability 8, In-Transit 9, Qty 10,
 * Standard Price 11-18, Best Price 19-26, Retail 27-34, Drop Ship Availability 35, Drop Ship
 * Qty 36, Next PO Due Date 37-42 (MMDDYY, optional).
 * - dealerCost = Best Price: it is the dealer's own net price (Standard is the list dealer price
 *   before the dealer's program discounts), i.e. what Tucker actually invoices this dealer.
 * - Only the drop-ship quantity counts (§8.5), as warehouse TUCKER_DROPSHIP_WAREHOUSE; quantities
 *   are single digits, 9 = nine or more (kept as 9).
 */
export function parseTuckerFeedLine(text: string, line: number): FeedRecord {
  const bad = (error: string): FeedRecord => ({ line, error });
  if (text.length < 36 || text.length > 42) return bad(`line is ${text.length} characters wide; the price file has 36 (42 with the PO due date)`);
  const tail = text.slice(36);
  if (tail.trim() && !/^\d{6}$/.test(tail)) return bad(`next PO due date "${tail}" is not MMDDYY`);
  const partNumber = text.slice(0, 6).trim();
  if (!partNumber) return bad('missing item number (columns 1-6)');
  const status = text.charAt(6).trim().toUpperCase();
  const dsQty = text.charAt(35);
  if (!/^\d$/.test(dsQty)) return bad(`drop ship quantity "${dsQty}" (column 36) is not a digit`);
  const standard = tuckerMoney(text.slice(10, 18), 'standard price');
  const best = tuckerMoney(text.slice(18, 26), 'best price');
  const retail = tuckerMoney(text.slice(26, 34), 'retail price');
  for (const v of [standard, best, retail]) if (typeof v === 'string') return bad(v);
  return {
    line,
    item: {
      partNumber,
      status,
      // D = discontinued; C (closeout) is still sold while stock lasts.
      orderable: status !== 'D',
      dealerCost: best as number,
      retailPrice: retail as number,
      warehouses: { [TUCKER_DROPSHIP_WAREHOUSE]: Number(dsQty) },
    },
  };
}

/** The Tucker price-file feed over FTP/FTPS (`creds.feed`). */
export function makeTuckerFeed(options: FtpClientOptions = {}): DistributorFeed<TuckerRockyCredentials> {
  return {
    needsFeedSettings: true,
    verify: (creds, ctx) => verifyFtpFeed(creds.feed, ctx, TUCKER_FEED_SOURCE, options),
    read: (creds, ctx) => readTuckerFeed(creds, ctx, options),
  };
}

async function* readTuckerFeed(creds: TuckerRockyCredentials, ctx: FeedContext, options: FtpClientOptions): AsyncGenerator<FeedRecord> {
  const stream = await openFtpDownload(creds.feed, ctx, TUCKER_FEED_SOURCE, options);
  // latin1: a stray non-ASCII byte keeps its width (one byte, one column) instead of breaking UTF-8.
  stream.setEncoding('latin1');
  const lines = createInterface({ input: stream, crlfDelay: Infinity });
  let line = 0;
  try {
    for await (const raw of lines) {
      line += 1;
      const text = raw.endsWith('\r') ? raw.slice(0, -1) : raw;
      if (!text.trim()) continue;
      yield parseTuckerFeedLine(text, line);
    }
  } finally {
    lines.close();
    stream.destroy();
  }
}

export function makeTuckerRockyModule(
  options: TuckerRockyOptions = {},
  feedOptions: FtpClientOptions = {},
): DistributorModule<TuckerRockyCredentials> {
  return {
    code: 'tucker-rocky',
    displayName: 'Tucker (Tucker Rocky)',
    productionBaseUrl: TUCKER_PRODUCTION_BASE_URL,
    warehouses: TUCKER_WAREHOUSES,
    limits: TUCKER_LIMITS,
    defaultRequestsPerSecond: options.rateLimitPerSecond ?? TUCKER_DEFAULT_REQUESTS_PER_SECOND,
    credentialsSchema,
    mask: (c) => ({
      customerNumber: maskTail(c.customerNumber),
      apiKey: maskTail(c.apiKey),
      ...(c.feed
        ? { feedHost: c.feed.host, feedPort: String(c.feed.port ?? 21), feedUsername: maskTail(c.feed.username), feedPassword: maskTail(c.feed.password) }
        : {}),
    }),
    create: (creds, ctx) => createTuckerRockyAdapter(creds, ctx, options),
    feed: makeTuckerFeed(feedOptions),
  };
}

export const tuckerRockyModule: DistributorModule<TuckerRockyCredentials> = makeTuckerRockyModule();
