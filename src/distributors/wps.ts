// Western Power Sports (WPS) — Data Depot API v4 adapter.
// Reference: shared/reference/distributor-apis.md §1, §5, §6.1, §8.1.
//
// Idempotency:
// - POST /carts: a second POST for the same PO *replaces* the cart (§8.1 working assumption; the real
//   behaviour is [UNKNOWN], so `existingCart: 'reject'` makes the adapter DELETE /carts/{po} first).
//   A cart survives its order. Re-sending is harmless: nothing is ordered by a cart.
// - POST /carts/{po}/items: a second POST for a SKU already in the cart ADDS to its quantity. So
//   after any failure part-way through, placeOrder never "continues" a cart: every attempt starts
//   with POST /carts (which replaces the old cart, lines and all) and re-adds every line once.
// - POST /orders {po_number}: a second POST for a PO that already has an order places a SECOND
//   order (WPS allows PO reuse). It is never re-sent blindly: after an ambiguous failure (timeout,
//   reset, 5xx) the engine must call findOrder(po) first. GET /orders/{po} answers 404 when no order
//   exists under the PO (→ null, safe to re-send the whole placeOrder) and otherwise the PO object
//   whose order_details[] are the orders WPS created (→ FoundOrder, do not re-send).
// Ambiguous failures on /carts and /items are reported as `ambiguous` (the common convention for
// writes); resolving them with findOrder is cheap and always finds nothing, then placeOrder starts
// over from a fresh cart.
//
// Tracking for many POs: findOrders reads GET /orders?from_date&to_date once (see its comment).
//
// No cancelOrder: the reference (§1) documents no way to cancel a submitted order; DELETE
// /carts/{po} only removes a cart that was never submitted. A cancel is the dealer's call to WPS.
import { createHash } from 'node:crypto';
import { z } from 'zod';
import { maskSecret } from '../crypto';
import { normalizeCarrier, type CanonicalCarrier } from '../carriers';
import { ExternalCallError, parseRetryAfter } from '../external-errors';
import { parse } from 'csv-parse';
import { downloadStream } from '../feeds/download';
import { classifyCommonStatus, DEFAULT_REQUESTS_PER_SECOND, redact, resolveBaseUrl, type HttpClient, type HttpResponse } from '../http';
import { hostKind, outboundUrlProblem, type UrlPolicy } from '../outbound';
import type {
  AdapterContext,
  DistributorAdapter,
  DistributorFeed,
  FeedContext,
  FeedItem,
  DistributorLimits,
  DistributorModule,
  DistributorShipment,
  FoundOrder,
  OrderToRead,
  PlacedOrder,
  PurchaseOrderRequest,
  ShipTo,
  StockLevel,
} from './types';
import { orderDateWindow } from './types';

export interface WpsCredentials {
  apiToken: string;
}

export const WPS_WAREHOUSES = ['CA', 'GA', 'ID', 'IN', 'PA', 'PA2', 'TX'] as const;
export type WpsWarehouse = (typeof WPS_WAREHOUSES)[number];

/** Adapter options; every [GUESS]/[UNKNOWN] of the reference has a knob here. */
export interface WpsAdapterOptions {
  /** `pay_type` on the cart: `OO` open order (terms, default) or `CC` with `ccLastFour`. */
  payType?: 'OO' | 'CC';
  ccLastFour?: string;
  /** `default_warehouse` on the cart (omitted by default: WPS uses the dealer's default). */
  defaultWarehouse?: string;
  /** `ship_via` on the cart (omitted by default: WPS uses the dealer's default). */
  shipVia?: string;
  allowBackorder?: boolean;
  multipleWarehouse?: boolean;
  /**
   * What WPS does with a second POST /carts for the same PO is [UNKNOWN]. `replace` (§8.1, default):
   * just POST. `reject`: DELETE /carts/{po} first (404 is fine), then POST.
   */
  existingCart?: 'replace' | 'reject';
  /** WPS has no country field: only these ship-to countries are accepted (default US). */
  allowedCountries?: string[];
  /** Per-request timeout for writes / reads (default 15 s). */
  timeoutMs?: number;
  readTimeoutMs?: number;
  /**
   * Replaces WPS_DEFAULT_REQUESTS_PER_SECOND when the connection sets no budget (0 = no cap);
   * the connection's own budget (ctx.requestsPerSecond) wins over it.
   */
  rateLimitPerSecond?: number;
  /** Extra/overriding ship_via → carrier entries (the documented ship_via list is partial). */
  shipViaCarriers?: Record<string, CanonicalCarrier>;
  /** Item status codes (status_id / status) that may be ordered / may not be ordered. */
  orderableStatuses?: string[];
  notOrderableStatuses?: string[];
  /** Best-effort DELETE /carts/{po} after a permanent refusal while building the cart (default true). */
  rollbackCartOnRefusal?: boolean;
}

/** A context may carry WPS options (`{ ...ctx, wps: { timeoutMs: 500 } }`). */
export interface WpsAdapterContext extends AdapterContext {
  wps?: WpsAdapterOptions;
}

export const WPS_LIMITS: DistributorLimits = {
  poNumberMaxLength: 20,
  poNumberPattern: /^[A-Za-z0-9-]+$/,
  nameMaxLength: 30,
  address1MaxLength: 30,
  address2MaxLength: 30,
  cityMaxLength: 17,
  stateLength: 2,
  postalCodeMaxLength: 15,
  phoneMaxLength: 15,
  emailMaxLength: 50,
};

const TARGET = 'wps';
/**
 * Requests per second per WPS account when the dealer's connection sets none. WPS documents no
 * rate limit (reference §1.6 [UNKNOWN]), so this is the engine-wide guess.
 */
export const WPS_DEFAULT_REQUESTS_PER_SECOND = DEFAULT_REQUESTS_PER_SECOND;
const DEFAULT_TIMEOUT_MS = 15_000;
const DEFAULT_ORDERABLE = ['STK', 'NEW', 'CLO', 'DIR', 'SPEC'];
const DEFAULT_NOT_ORDERABLE = ['DSC', 'NLA', 'NA', 'PRE'];

// ---------------------------------------------------------------------------------------------
// Pure mapping functions (every guessed response shape lives behind one of these).

/**
 * WPS `ship_via` code → canonical carrier. Documented request codes: AH2D, BEST, FE1D, FE2D, UP1D,
 * UP2D, US1C, US4C; response codes add CO5 (OnTrac Ground) and CPU (customer pick-up); the rest of
 * the response list is [DOC partial]. Order: explicit overrides, the code table, the shared alias
 * table (FDXG, UPS, …), then the tracking-number shape (BEST / unknown codes), else `Other`.
 */
export function wpsCarrierFor(
  shipVia: string | undefined | null,
  trackingNumber?: string,
  overrides: Record<string, CanonicalCarrier> = {},
): CanonicalCarrier {
  const code = (shipVia ?? '').trim().toUpperCase();
  if (code && overrides[code]) return overrides[code];
  if (code) {
    if (code === 'AH2D') return 'FedEx';
    if (code === 'CO5') return 'OnTrac';
    if (code.startsWith('UP')) return 'UPS';
    if (code.startsWith('FE')) return 'FedEx';
    if (code.startsWith('US')) return 'USPS';
    const alias = normalizeCarrier(code);
    if (alias !== 'Other') return alias;
  }
  const t = (trackingNumber ?? '').replace(/\s+/g, '').toUpperCase();
  if (/^1Z[0-9A-Z]{16}$/.test(t)) return 'UPS';
  if (/^(9[1-5])\d{18,24}$/.test(t)) return 'USPS';
  return 'Other';
}

/**
 * WPS timestamps are UTC (§1.1) but their exact format is [UNKNOWN]: accepts `YYYY-MM-DD`,
 * `YYYYMMDD`, `YYYY-MM-DD HH:MM:SS` and ISO-8601 (with or without zone; no zone = UTC).
 */
export function parseWpsDate(raw: unknown): string | undefined {
  if (typeof raw !== 'string' || raw.trim() === '') return undefined;
  const v = raw.trim();
  let iso: string;
  let m: RegExpMatchArray | null;
  if ((m = v.match(/^(\d{4})(\d{2})(\d{2})$/))) iso = `${m[1]}-${m[2]}-${m[3]}T00:00:00Z`;
  else if (/^\d{4}-\d{2}-\d{2}$/.test(v)) iso = `${v}T00:00:00Z`;
  else if ((m = v.match(/^(\d{4}-\d{2}-\d{2})[ T](\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?)$/))) iso = `${m[1]}T${m[2]}Z`;
  else iso = v;
  const t = Date.parse(iso);
  return Number.isNaN(t) ? undefined : new Date(t).toISOString();
}

function asArray<T = any>(v: unknown): T[] {
  return Array.isArray(v) ? (v as T[]) : [];
}

/** One `order_details[].items[]` entry → line. Field names are [UNKNOWN]; accept the plausible ones. */
function mapOrderItem(it: any): { distributorSku: string; quantity: number } | undefined {
  if (!it || typeof it !== 'object') return undefined;
  const sku = it.sku ?? it.item_sku ?? it.item_number ?? (typeof it.item === 'string' ? it.item : undefined);
  const qty = Number(it.quantity ?? it.quantity_shipped ?? it.qty_shipped ?? it.qty ?? it.quantity_ordered);
  if (typeof sku !== 'string' || !Number.isFinite(qty)) return undefined;
  return { distributorSku: sku, quantity: qty };
}

/**
 * Deals an entry's units across `boxes` boxes in turn (unit k to box k mod boxes), per SKU in order:
 * box i's lines. With fewer units than boxes, the last boxes are empty.
 */
export function dealUnits(lines: { distributorSku: string; quantity: number }[], boxes: number): { distributorSku: string; quantity: number }[][] {
  const out = Array.from({ length: boxes }, () => [] as { distributorSku: string; quantity: number }[]);
  let k = 0;
  for (const l of lines) {
    for (let u = 0; u < l.quantity; u++, k++) {
      const box = out[k % boxes];
      const ex = box.find((x) => x.distributorSku === l.distributorSku);
      if (ex) ex.quantity += 1;
      else box.push({ distributorSku: l.distributorSku, quantity: 1 });
    }
  }
  return out;
}

/**
 * GET /orders/{po} body → FoundOrder (null when the PO object lists no order). One
 * `order_details` entry per order/warehouse; only `SHIPPED` entries with tracking count as shipped.
 * Each tracking number becomes one shipment. When an entry has several tracking numbers, which
 * items went in which box is unknown, yet a marketplace takes a tracking number only with units on
 * it: the entry's units are dealt across its boxes in turn (`dealUnits`), so every box carries at
 * least one unit when there are enough and no unit is counted twice. A tracking number listed on
 * several entries is one shipment with their lines merged.
 */
export function mapWpsOrder(
  body: any,
  opts: { shipViaCarriers?: Record<string, CanonicalCarrier>; now?: () => Date } = {},
): FoundOrder | null {
  const po = body && typeof body === 'object' && 'data' in body ? body.data : body;
  const details = asArray(po?.order_details);
  if (details.length === 0) return null;
  const orderNumbers: string[] = [];
  const statuses: string[] = [];
  const shipments: DistributorShipment[] = [];
  for (const d of details) {
    if (d?.order_number !== undefined && d?.order_number !== null) orderNumbers.push(String(d.order_number));
    const status = String(d?.order_status ?? '').trim().toUpperCase();
    if (status && !statuses.includes(status)) statuses.push(status);
    if (status !== 'SHIPPED') continue;
    const trackings = asArray(d.tracking_numbers)
      .map((t) => (typeof t === 'string' || typeof t === 'number' ? String(t).trim() : ''))
      .filter((t) => t !== '');
    if (trackings.length === 0) continue;
    const lines = asArray(d.items)
      .map(mapOrderItem)
      .filter((l): l is { distributorSku: string; quantity: number } => !!l);
    const shippedAt =
      parseWpsDate(d.ship_date) ?? parseWpsDate(d.invoice_date) ?? (opts.now ?? (() => new Date()))().toISOString();
    const service = typeof d.ship_via === 'string' && d.ship_via.trim() !== '' ? d.ship_via.trim() : undefined;
    const warehouse = typeof d.warehouse === 'string' && d.warehouse.trim() !== '' ? d.warehouse.trim() : undefined;
    const boxes = dealUnits(lines, trackings.length);
    trackings.forEach((trackingNumber, i) => {
      const mine = boxes[i];
      const same = shipments.find((s) => s.trackingNumber === trackingNumber);
      if (same) {
        // One box number on several entries (e.g. two warehouses consolidated): one shipment.
        for (const l of mine) {
          const ex = same.lines.find((x) => x.distributorSku === l.distributorSku);
          if (ex) ex.quantity += l.quantity;
          else same.lines.push({ ...l });
        }
        if (same.warehouse !== warehouse) delete same.warehouse;
        return;
      }
      shipments.push({
        trackingNumber,
        carrier: wpsCarrierFor(service, trackingNumber, opts.shipViaCarriers),
        ...(service ? { service } : {}),
        shippedAt,
        lines: mine.map((l) => ({ ...l })),
        ...(warehouse ? { warehouse } : {}),
      });
    });
  }
  return { distributorOrderId: orderNumbers.join(','), status: statuses.join(','), shipments };
}

const INVENTORY_FIELDS: [string, WpsWarehouse][] = [
  ['ca_warehouse', 'CA'],
  ['ga_warehouse', 'GA'],
  ['id_warehouse', 'ID'],
  ['in_warehouse', 'IN'],
  ['pa_warehouse', 'PA'],
  ['pa2_warehouse', 'PA2'],
  ['tx_warehouse', 'TX'],
];

/**
 * One GET /items?filter[sku]=…&include=inventory body → StockLevel. Quantities are as WPS reports
 * them (capped at 9). Unknown SKU (empty data) → not orderable, no stock.
 */
export function mapWpsStock(
  sku: string,
  body: any,
  opts: { orderableStatuses?: string[]; notOrderableStatuses?: string[] } = {},
): StockLevel {
  const items = asArray(body?.data);
  const item = items.find((i) => String(i?.sku ?? '').toUpperCase() === sku.toUpperCase()) ?? items[0];
  if (!item) return { distributorSku: sku, orderable: false, warehouses: [] };
  const inv = item.inventory && typeof item.inventory === 'object' && 'data' in item.inventory ? item.inventory.data : item.inventory;
  const warehouses = INVENTORY_FIELDS.map(([field, code]) => {
    const q = Number(inv?.[field] ?? 0);
    return { code, quantity: Number.isFinite(q) && q > 0 ? Math.floor(q) : 0 };
  });
  const orderableSet = (opts.orderableStatuses ?? DEFAULT_ORDERABLE).map((s) => s.toUpperCase());
  const notSet = (opts.notOrderableStatuses ?? DEFAULT_NOT_ORDERABLE).map((s) => s.toUpperCase());
  const codes = [item.status_id, item.status].filter((s) => typeof s === 'string').map((s: string) => s.trim().toUpperCase());
  let orderable: boolean;
  if (codes.some((c) => notSet.includes(c))) orderable = false;
  else if (codes.some((c) => orderableSet.includes(c))) orderable = true;
  else orderable = codes.length === 0; // an unknown status code is not trusted
  if (item.drop_ship_eligible === false) orderable = false;
  return { distributorSku: String(item.sku ?? sku), orderable, warehouses };
}

/** "name, company" when it fits in ship_name (30), else the name alone. */
export function wpsShipName(shipTo: Pick<ShipTo, 'name' | 'company'>, max = WPS_LIMITS.nameMaxLength ?? 30): string {
  const name = shipTo.name.trim();
  const company = shipTo.company?.trim();
  if (company) {
    const both = `${name}, ${company}`;
    if (both.length <= max) return both;
  }
  return name;
}

const US_NAMES = ['US', 'USA', 'UNITEDSTATES', 'UNITEDSTATESOFAMERICA'];

/**
 * The POST /carts body. Throws permanent `address_rejected` / `invalid_request` instead of
 * truncating anything.
 */
export function buildWpsCart(order: PurchaseOrderRequest, opts: WpsAdapterOptions = {}): Record<string, unknown> {
  const L = WPS_LIMITS;
  const po = order.poNumber;
  if (!po || po.length > L.poNumberMaxLength || !L.poNumberPattern.test(po)) {
    throw new ExternalCallError(
      'permanent',
      'invalid_request',
      `PO number "${po}" cannot be sent to WPS: it must be 1–${L.poNumberMaxLength} letters, digits or dashes.`,
      { target: TARGET },
    );
  }
  if (order.lines.length === 0) {
    throw new ExternalCallError('permanent', 'invalid_request', `PO ${po} has no lines to order from WPS.`, { target: TARGET });
  }
  for (const l of order.lines) {
    if (!l.distributorSku || !Number.isInteger(l.quantity) || l.quantity <= 0) {
      throw new ExternalCallError(
        'permanent',
        'invalid_request',
        `Line ${l.lineId} (WPS SKU "${l.distributorSku}") has an invalid quantity ${l.quantity}; it must be a whole number above 0.`,
        { target: TARGET },
      );
    }
  }
  const s = order.shipTo;
  const country = (s.country ?? '').toUpperCase().replace(/[^A-Z]/g, '');
  const allowed = (opts.allowedCountries ?? ['US']).map((c) => c.toUpperCase().replace(/[^A-Z]/g, ''));
  const isUs = US_NAMES.includes(country);
  if (!(allowed.includes(country) || (isUs && allowed.some((a) => US_NAMES.includes(a))))) {
    throw new ExternalCallError(
      'permanent',
      'address_rejected',
      `WPS drop-ship orders carry no country field; ship-to country "${s.country}" is not one this connection ships to (${(opts.allowedCountries ?? ['US']).join(', ')}).`,
      { target: TARGET },
    );
  }
  const shipName = wpsShipName(s);
  const fields: { field: string; label: string; value: string | undefined; max: number; required: boolean }[] = [
    { field: 'ship_name', label: 'recipient name', value: shipName, max: L.nameMaxLength!, required: true },
    { field: 'ship_address1', label: 'address line 1', value: s.address1?.trim(), max: L.address1MaxLength!, required: true },
    { field: 'ship_address2', label: 'address line 2', value: s.address2?.trim() || undefined, max: L.address2MaxLength!, required: false },
    { field: 'ship_city', label: 'city', value: s.city?.trim(), max: L.cityMaxLength!, required: true },
    { field: 'ship_state', label: 'state', value: s.state?.trim(), max: L.stateLength!, required: true },
    { field: 'ship_zip', label: 'ZIP code', value: s.postalCode?.trim(), max: L.postalCodeMaxLength!, required: true },
    { field: 'ship_phone', label: 'phone number', value: s.phone?.trim() || undefined, max: L.phoneMaxLength!, required: false },
    { field: 'email', label: 'email address', value: s.email?.trim() || undefined, max: L.emailMaxLength!, required: false },
  ];
  const body: Record<string, unknown> = { po_number: po };
  for (const f of fields) {
    if (!f.value) {
      if (f.required) {
        throw new ExternalCallError('permanent', 'address_rejected', `The ship-to ${f.label} (WPS ${f.field}) is missing.`, {
          target: TARGET,
        });
      }
      continue;
    }
    if (f.value.length > f.max) {
      throw new ExternalCallError(
        'permanent',
        'address_rejected',
        `The ship-to ${f.label} is ${f.value.length} characters; WPS accepts at most ${f.max} in ${f.field}. Shorten it and retry.`,
        { target: TARGET },
      );
    }
    body[f.field] = f.value;
  }
  body.pay_type = opts.payType ?? 'OO';
  if (body.pay_type === 'CC' && opts.ccLastFour) body.cc_last_four = opts.ccLastFour;
  body.allow_backorder = opts.allowBackorder ?? false;
  body.multiple_warehouse = opts.multipleWarehouse ?? true;
  if (opts.defaultWarehouse) body.default_warehouse = opts.defaultWarehouse;
  if (opts.shipVia) body.ship_via = opts.shipVia;
  return body;
}

// ---------------------------------------------------------------------------------------------
// Error classification: WPS errors are `{message, status_code, errors?: {field: [message]}}` (§8.1).

export type WpsStage = 'verify' | 'cart' | 'item' | 'order' | 'find' | 'stock';

export function wpsErrorBody(res: HttpResponse): { message: string; errors: Record<string, string[]> } {
  const b = res.json<any>();
  const message = typeof b?.message === 'string' ? b.message : typeof b?.error === 'string' ? b.error : '';
  const errors: Record<string, string[]> = {};
  if (b?.errors && typeof b.errors === 'object' && !Array.isArray(b.errors)) {
    for (const [k, v] of Object.entries(b.errors)) {
      errors[k] = (Array.isArray(v) ? v : [v]).map((x) => String(x));
    }
  }
  return { message, errors };
}

function retryAfterOf(res: HttpResponse): number | undefined {
  const ra = parseRetryAfter(res.headers['retry-after']);
  if (ra !== undefined) return ra;
  // Laravel-style throttles also send X-RateLimit-Reset (epoch seconds).
  const reset = Number(res.headers['x-ratelimit-reset']);
  if (Number.isFinite(reset) && reset > 0) return Math.max(0, reset * 1000 - Date.now());
  return undefined;
}

/** Every non-2xx WPS answer → ExternalCallError. `secrets` are removed from upstream text. */
export function classifyWpsResponse(
  stage: WpsStage,
  res: HttpResponse,
  ctx: { poNumber?: string; sku?: string; secrets?: string[] } = {},
): ExternalCallError {
  const isWrite = stage === 'cart' || stage === 'item' || stage === 'order';
  const common = classifyCommonStatus(TARGET, res, isWrite, retryAfterOf(res));
  if (common) return common;
  const { message: rawMessage, errors } = wpsErrorBody(res);
  const clean = (t: string) => redact(t, ctx.secrets ?? []);
  const message = clean(rawMessage);
  const allText = clean([rawMessage, ...Object.values(errors).flat()].join(' '));
  const fieldText = (keys: string[]) =>
    keys.map((k) => `${k}: ${clean(errors[k].join(' '))}`).join('; ');
  const details = { target: TARGET, httpStatus: res.status, upstreamCode: String(res.status) };
  const po = ctx.poNumber ? ` PO ${ctx.poNumber}` : '';

  if (res.status === 401) {
    return new ExternalCallError(
      'permanent',
      'credentials_rejected',
      'WPS rejected the API token (401). Check the token in the WPS connection settings; WPS issues tokens through the Data Depot sign-up.',
      details,
    );
  }
  if (res.status === 403) {
    const m =
      allText.match(/["'`]([A-Za-z0-9_.:-]+)["'`]\s+scope/i) ?? allText.match(/scopes?\s*[:=]\s*["'`]?([A-Za-z0-9_.:-]+)/i);
    const scope = m?.[1];
    return new ExternalCallError(
      'permanent',
      'credentials_rejected',
      `WPS refused this call for the API token's permissions${scope ? ` (missing scope "${scope}")` : ''}: ${message || 'forbidden'}. Ask WPS to grant the token the needed scope (order automation needs the orders scope).`,
      details,
    );
  }
  if (res.status === 422 || res.status === 400) {
    if (/tax\s*id/i.test(allText)) {
      return new ExternalCallError(
        'permanent',
        'account_setup_required',
        'WPS refused the order because your WPS account has no Tax ID on file. Add your Tax ID with WPS (Data Depot / wpsorders.com account settings, or your WPS rep), then retry.',
        details,
      );
    }
    if (errors.cc_last_four || /credit\s*card|card on file/i.test(allText)) {
      return new ExternalCallError(
        'permanent',
        'account_setup_required',
        `WPS refused the payment for${po}: ${message || fieldText(Object.keys(errors))}. Put the card on file with WPS (wpsorders.com account settings or your WPS rep) or switch the connection to open-order terms, then retry.`,
        details,
      );
    }
    const keys = Object.keys(errors);
    const addressKeys = keys.filter((k) => (k.startsWith('ship_') && !['ship_via', 'ship_to'].includes(k)) || k === 'email');
    if (addressKeys.length > 0) {
      return new ExternalCallError(
        'permanent',
        'address_rejected',
        `WPS rejected the ship-to address for${po}: ${fieldText(addressKeys)}`,
        details,
      );
    }
    if (stage === 'item') {
      const sku = ctx.sku ?? '?';
      const qtyText = errors.quantity ? clean(errors.quantity.join(' ')) : '';
      if (/stock|availab|backorder/i.test(qtyText || (keys.length === 0 ? message : ''))) {
        return new ExternalCallError(
          'permanent',
          'out_of_stock',
          `WPS does not have enough stock of SKU ${sku} for${po} (backorders are not allowed): ${qtyText || message}`,
          details,
        );
      }
      if (errors.quantity && !errors.item_sku && !errors.item_id) {
        return new ExternalCallError('permanent', 'invalid_request', `WPS rejected the quantity of SKU ${sku}: ${qtyText}`, details);
      }
      const why = clean([...(errors.item_sku ?? []), ...(errors.item_id ?? [])].join(' ')) || message;
      return new ExternalCallError(
        'permanent',
        'sku_not_orderable',
        `WPS will not take SKU ${sku} on a drop-ship order: ${why || 'unknown or not orderable'}`,
        details,
      );
    }
    if (stage === 'cart' && errors.po_number && /exist|already|taken/i.test(errors.po_number.join(' '))) {
      return new ExternalCallError(
        'permanent',
        'duplicate_po',
        `WPS already has a cart for${po}: ${fieldText(['po_number'])}`,
        details,
      );
    }
    if (stage === 'order' && /stock|availab|backorder/i.test(allText)) {
      return new ExternalCallError('permanent', 'out_of_stock', `WPS could not fill${po} from stock: ${allText}`, details);
    }
    return new ExternalCallError(
      'permanent',
      'invalid_request',
      `WPS refused${po || ' the request'}: ${[message, keys.length ? fieldText(keys) : ''].filter(Boolean).join(' — ') || `HTTP ${res.status}`}`,
      details,
    );
  }
  if (res.status === 404 && (stage === 'item' || stage === 'order')) {
    // The cart we just created is gone: nothing can have been ordered, so start over.
    return new ExternalCallError(
      'transient',
      'upstream_unavailable',
      `WPS lost the cart for${po} while the order was being built; it will be rebuilt from scratch.`,
      details,
    );
  }
  return new ExternalCallError(
    'permanent',
    'invalid_request',
    `WPS answered ${res.status}${message ? `: ${message}` : ''}`,
    details,
  );
}

// ---------------------------------------------------------------------------------------------
// The adapter.

class WpsAdapter implements DistributorAdapter {
  readonly code = 'wps' as const;
  private readonly http: HttpClient;
  private readonly secrets: string[];

  constructor(
    creds: WpsCredentials,
    ctx: AdapterContext,
    private readonly opts: WpsAdapterOptions,
  ) {
    this.secrets = [creds.apiToken];
    const key = createHash('sha256').update(creds.apiToken).digest('hex').slice(0, 16);
    const perSecond = ctx.requestsPerSecond ?? opts.rateLimitPerSecond ?? WPS_DEFAULT_REQUESTS_PER_SECOND;
    this.http = ctx.http({
      target: TARGET,
      baseUrl: resolveBaseUrl(wpsModule.productionBaseUrl, ctx.baseUrl),
      headers: { authorization: `Bearer ${creds.apiToken}` },
      timeoutMs: opts.timeoutMs ?? DEFAULT_TIMEOUT_MS,
      secrets: this.secrets,
      ...(perSecond ? { rateLimit: { key: `wps:${key}`, perSecond } } : {}),
    });
  }

  private get readTimeout(): number {
    return this.opts.readTimeoutMs ?? this.opts.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  }
  private get writeTimeout(): number {
    return this.opts.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  }

  private fail(stage: WpsStage, res: HttpResponse, c: { poNumber?: string; sku?: string } = {}): never {
    throw classifyWpsResponse(stage, res, { ...c, secrets: this.secrets });
  }

  async verifyCredentials(): Promise<void> {
    const res = await this.http.send({ method: 'GET', path: '/warehouses', timeoutMs: this.readTimeout });
    if (res.status >= 200 && res.status < 300) return;
    this.fail('verify', res);
  }

  async findOrder(poNumber: string): Promise<FoundOrder | null> {
    const res = await this.http.send({
      method: 'GET',
      path: `/orders/${encodeURIComponent(poNumber)}`,
      timeoutMs: this.readTimeout,
    });
    if (res.status === 404) return null;
    if (res.status < 200 || res.status >= 300) this.fail('find', res, { poNumber });
    const body = res.json();
    if (body === undefined) {
      throw new ExternalCallError('transient', 'upstream_unavailable', `WPS answered GET /orders/${poNumber} with a body that is not JSON`, {
        target: TARGET,
        httpStatus: res.status,
      });
    }
    return mapWpsOrder(body, { shipViaCarriers: this.opts.shipViaCarriers });
  }

  /**
   * One call for any number of POs: GET /orders?from_date&to_date (YYYYMMDD, both required, §1.3)
   * over orderDateWindow, each PO object mapped by mapWpsOrder as findOrder maps its one. WPS
   * documents no paging or range limit for this list; a PO it leaves out is simply absent.
   */
  async findOrders(orders: OrderToRead[]): Promise<Map<string, FoundOrder>> {
    const found = new Map<string, FoundOrder>();
    if (orders.length === 0) return found;
    const { from, to } = orderDateWindow(orders, new Date());
    const ymd = (d: Date) => d.toISOString().slice(0, 10).replace(/-/g, '');
    const res = await this.http.send({
      method: 'GET',
      path: '/orders',
      searchParams: { from_date: ymd(from), to_date: ymd(to) },
      timeoutMs: this.readTimeout,
    });
    if (res.status < 200 || res.status >= 300) this.fail('find', res);
    const list = res.json<any>()?.data;
    if (!Array.isArray(list)) {
      throw new ExternalCallError('transient', 'upstream_unavailable', 'WPS answered GET /orders with a body that is not a PO list', {
        target: TARGET,
        httpStatus: res.status,
      });
    }
    const wanted = new Map(orders.map((o) => [o.poNumber.trim().toUpperCase(), o.poNumber]));
    for (const po of list) {
      const key = wanted.get(String(po?.po_number ?? '').trim().toUpperCase());
      if (key === undefined) continue;
      const mapped = mapWpsOrder(po, { shipViaCarriers: this.opts.shipViaCarriers });
      if (mapped) found.set(key, mapped);
    }
    return found;
  }

  async placeOrder(order: PurchaseOrderRequest): Promise<PlacedOrder> {
    const cart = buildWpsCart(order, this.opts);
    const po = order.poNumber;
    const cartPath = `/carts/${encodeURIComponent(po)}`;

    if (this.opts.existingCart === 'reject') {
      const del = await this.http.send({ method: 'DELETE', path: cartPath, timeoutMs: this.writeTimeout });
      if (del.status !== 404 && (del.status < 200 || del.status >= 300)) this.fail('cart', del, { poNumber: po });
    }

    const created = await this.http.send({ method: 'POST', path: '/carts', json: cart, timeoutMs: this.writeTimeout });
    if (created.status < 200 || created.status >= 300) this.fail('cart', created, { poNumber: po });

    for (const line of order.lines) {
      const res = await this.http.send({
        method: 'POST',
        path: `${cartPath}/items`,
        json: { item_sku: line.distributorSku, quantity: line.quantity },
        timeoutMs: this.writeTimeout,
      });
      if (res.status < 200 || res.status >= 300) {
        const err = classifyWpsResponse('item', res, { poNumber: po, sku: line.distributorSku, secrets: this.secrets });
        if (err.kind === 'permanent' && (this.opts.rollbackCartOnRefusal ?? true)) await this.discardCart(cartPath);
        throw err;
      }
    }

    const placed = await this.http.send({ method: 'POST', path: '/orders', json: { po_number: po }, timeoutMs: this.writeTimeout });
    if (placed.status < 200 || placed.status >= 300) {
      const err = classifyWpsResponse('order', placed, { poNumber: po, secrets: this.secrets });
      if (err.kind === 'permanent' && (this.opts.rollbackCartOnRefusal ?? true)) await this.discardCart(cartPath);
      throw err;
    }
    const orderNumber = placed.json<any>()?.data?.order_number ?? placed.json<any>()?.order_number;
    if (orderNumber === undefined || orderNumber === null || String(orderNumber) === '') {
      // WPS said 2xx, so the order exists; its number is fetched by findOrder.
      throw new ExternalCallError(
        'ambiguous',
        'upstream_unavailable',
        `WPS accepted${' PO ' + po} but did not return an order number; look the PO up before re-sending.`,
        { target: TARGET, httpStatus: placed.status },
      );
    }
    return { distributorOrderId: String(orderNumber) };
  }

  /** Best-effort rollback after a refusal; its own failure never hides the refusal. */
  private async discardCart(cartPath: string): Promise<void> {
    try {
      await this.http.send({ method: 'DELETE', path: cartPath, timeoutMs: this.writeTimeout });
    } catch {
      // ignored: the next attempt replaces the cart anyway
    }
  }

  async checkStock(distributorSkus: string[]): Promise<StockLevel[]> {
    const out: StockLevel[] = [];
    for (const sku of [...new Set(distributorSkus)]) {
      const res = await this.http.send({
        method: 'GET',
        path: '/items',
        searchParams: new URLSearchParams([
          ['filter[sku]', sku],
          ['include', 'inventory'],
        ]),
        timeoutMs: this.readTimeout,
      });
      if (res.status < 200 || res.status >= 300) this.fail('stock', res, { sku });
      out.push(
        mapWpsStock(sku, res.json(), {
          orderableStatuses: this.opts.orderableStatuses,
          notOrderableStatuses: this.opts.notOrderableStatuses,
        }),
      );
    }
    return out;
  }
}

export function createWpsAdapter(creds: WpsCredentials, ctx: AdapterContext, opts: WpsAdapterOptions = {}): DistributorAdapter {
  return new WpsAdapter(creds, ctx, opts);
}


// ---------------------------------------------------------------------------------------------
// The feed (§8.5): WPS has no file feed; the items API is the feed, and the dealer's cost comes
// from the dealer pricing file (GET /dealer-pricing: 202 while it is built, then 200 + location).

export interface WpsFeedOptions {
  /** `page[size]` of the item pages (WPS's own maximum is [UNKNOWN]). Default 500. */
  pageSize?: number;
  /** Largest item page read (500 items with inventory and brand are about 0.5 MB). Default 16 MiB. */
  maxPageBytes?: number;
  /**
   * Longest wait between GET /dealer-pricing polls while WPS answers 202: the first poll follows
   * after 1 s and the wait doubles up to this (a Retry-After wins). Default 15 s.
   */
  pricingPollIntervalMs?: number;
  /** Longest wait for the pricing file to be built before the run gives up (transient). Default 10 min. */
  pricingMaxWaitMs?: number;
  /** Per-request timeout of the API calls. Default 60 s. */
  timeoutMs?: number;
  /** Retries of one item page after a throttle, 5xx or network failure (reads are safe to repeat). Default 3. */
  pageRetries?: number;
  /** Longest wait before such a retry (a longer Retry-After fails the run instead). Default 30 s. */
  maxRetryWaitMs?: number;
  /**
   * `include=brand` beside `include=inventory`, so items carry their brand name [GUESS: the v4 API's
   * brand relation]. Default true.
   */
  includeBrand?: boolean;
  /** Client-side request cap; none by default (the reader sends one request at a time). */
  requestsPerSecond?: number;
  /** Item status codes that may / may not be ordered (default §1.4). */
  orderableStatuses?: string[];
  notOrderableStatuses?: string[];
}

const FEED_DEFAULTS = {
  pageSize: 500,
  maxPageBytes: 16 * 1024 * 1024,
  pricingPollIntervalMs: 15_000,
  pricingMaxWaitMs: 10 * 60_000,
  timeoutMs: 60_000,
  pageRetries: 3,
  maxRetryWaitMs: 30_000,
  includeBrand: true,
};

/** A price cell (`"12.34"`, 12.34, null) → number, null when absent; undefined when unparsable. */
function priceOf(v: unknown): number | null | undefined {
  if (v === null || v === undefined || v === '') return null;
  const n = typeof v === 'number' ? v : Number(String(v).replace(/[$,\s]/g, ''));
  return Number.isFinite(n) ? n : undefined;
}

/**
 * One item of GET /items?include=inventory[,brand] → FeedItem, or an error sentence. `dealerPrices`
 * is the pricing file (sku → cost); an item missing from it costs its standard_dealer_price.
 * Brand: the name when the item carries it (`brand.data.name`), else null: a bare brand_id never
 * equals a dealer's brand text, so it could only mislead brand + part number matching.
 */
export function mapWpsFeedItem(
  raw: any,
  dealerPrices: ReadonlyMap<string, number>,
  opts: { orderableStatuses?: string[]; notOrderableStatuses?: string[] } = {},
): FeedItem | string {
  if (!raw || typeof raw !== 'object') return 'not an item object';
  const sku = typeof raw.sku === 'string' || typeof raw.sku === 'number' ? String(raw.sku).trim() : '';
  if (!sku) return 'item without a sku';
  const prices: Record<string, number | null> = {};
  for (const f of ['standard_dealer_price', 'list_price', 'mapp_price', 'drop_ship_fee']) {
    const p = priceOf(raw[f]);
    if (p === undefined) return `${sku}: ${f} "${String(raw[f])}" is not a number`;
    prices[f] = p;
  }
  const status = String(raw.status_id ?? raw.status ?? '').trim().toUpperCase();
  const orderableSet = (opts.orderableStatuses ?? DEFAULT_ORDERABLE).map((s) => s.toUpperCase());
  const notSet = (opts.notOrderableStatuses ?? DEFAULT_NOT_ORDERABLE).map((s) => s.toUpperCase());
  // An unknown status is not trusted; an item WPS will not drop-ship cannot be ordered here either.
  const orderable = orderableSet.includes(status) && !notSet.includes(status) && raw.drop_ship_eligible !== false;
  const inv = raw.inventory && typeof raw.inventory === 'object' && 'data' in raw.inventory ? raw.inventory.data : raw.inventory;
  const warehouses: Record<string, number> = {};
  if (inv && typeof inv === 'object') {
    for (const [field, code] of INVENTORY_FIELDS) {
      const v = inv[field];
      if (v === null || v === undefined || v === '') {
        warehouses[code] = 0;
        continue;
      }
      const q = Number(v);
      if (!Number.isFinite(q)) return `${sku}: ${field} "${String(v)}" is not a number`;
      warehouses[code] = Math.max(0, Math.floor(q));
    }
  }
  const brandRel = raw.brand && typeof raw.brand === 'object' ? ('data' in raw.brand ? raw.brand.data : raw.brand) : undefined;
  const brandName = typeof brandRel?.name === 'string' ? brandRel.name : typeof raw.brand_name === 'string' ? raw.brand_name : typeof raw.brand === 'string' ? raw.brand : null;
  const text = (v: unknown) => (typeof v === 'string' && v.trim() !== '' ? v.trim() : typeof v === 'number' ? String(v) : null);
  return {
    partNumber: sku,
    status,
    orderable,
    dealerCost: dealerPrices.get(sku) ?? prices.standard_dealer_price,
    retailPrice: prices.list_price,
    mapPrice: prices.mapp_price,
    dropshipFee: prices.drop_ship_fee,
    upc: text(raw.upc),
    brand: brandName?.trim() || null,
    mfgPartNumber: text(raw.supplier_product_id),
    description: text(raw.name),
    warehouses,
  };
}

/** Waits `ms` unless the signal fires first (then throws a transient timeout). */
function pause(ms: number, signal: AbortSignal | undefined, what: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const aborted = () => new ExternalCallError('transient', 'timeout', `WPS feed: ${what} was cancelled`, { target: TARGET });
    if (signal?.aborted) return reject(aborted());
    const t = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(t);
      reject(aborted());
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/**
 * The pricing file's location may be on another host (a pre-signed storage URL). The token never
 * goes there, and the location comes from WPS's authenticated answer, not from tenant input; so in
 * production any public https host is accepted for it, while private, link-local and metadata
 * addresses stay refused (outboundUrlProblem still runs on it).
 */
export function wpsPricingFilePolicy(location: string, policy: UrlPolicy): UrlPolicy {
  try {
    const u = new URL(location);
    if (policy.appEnv === 'production' && u.protocol === 'https:' && hostKind(u.hostname) === undefined) {
      return { ...policy, productionOrigins: [...policy.productionOrigins, u.origin] };
    }
  } catch {
    // outboundUrlProblem reports the invalid URL
  }
  return policy;
}

export function createWpsFeed(options: WpsFeedOptions = {}): DistributorFeed<WpsCredentials> {
  const o = { ...FEED_DEFAULTS, ...options };
  const clientFor = (creds: WpsCredentials, ctx: FeedContext): HttpClient => {
    const baseUrl = resolveBaseUrl(wpsModule.productionBaseUrl, ctx.baseUrl);
    const problem = outboundUrlProblem(baseUrl, ctx.urlPolicy);
    if (problem) {
      throw new ExternalCallError('permanent', 'destination_refused', `Nothing was sent to WPS: the connection's address ${problem}. Correct the connection's baseUrl (or remove it), then retry.`, {
        target: TARGET,
      });
    }
    return ctx.http({
      target: TARGET,
      baseUrl,
      headers: { authorization: `Bearer ${creds.apiToken}` },
      timeoutMs: o.timeoutMs,
      secrets: [creds.apiToken],
      maxResponseBytes: o.maxPageBytes,
      ...(o.requestsPerSecond
        ? { rateLimit: { key: `wps-feed:${createHash('sha256').update(creds.apiToken).digest('hex').slice(0, 16)}`, perSecond: o.requestsPerSecond } }
        : {}),
    });
  };

  /** GET /dealer-pricing until it answers 200, then its location (absolute). */
  async function pricingLocation(http: HttpClient, creds: WpsCredentials, ctx: FeedContext): Promise<string> {
    const started = Date.now();
    // A small file is ready in a moment, a big one takes minutes: poll soon, then less often.
    let wait = Math.min(1_000, o.pricingPollIntervalMs);
    for (;;) {
      const res = await http.send({ method: 'GET', path: '/dealer-pricing', signal: ctx.signal });
      if (res.status === 202) {
        const waited = Date.now() - started;
        if (waited >= o.pricingMaxWaitMs) {
          throw new ExternalCallError(
            'transient',
            'upstream_unavailable',
            `WPS was still building the dealer pricing file after ${Math.round(waited / 1000)} s; the feed run will be retried.`,
            { target: TARGET, httpStatus: 202 },
          );
        }
        const ra = parseRetryAfter(res.headers['retry-after']);
        await pause(Math.min(ra ?? wait, o.pricingMaxWaitMs - waited), ctx.signal, 'waiting for the dealer pricing file');
        wait = Math.min(wait * 2, o.pricingPollIntervalMs);
        continue;
      }
      if (res.status < 200 || res.status >= 300) throw classifyWpsResponse('verify', res, { secrets: [creds.apiToken] });
      const body = res.json<any>();
      const header = res.headers.location;
      const loc = body?.data?.location ?? body?.location ?? (Array.isArray(header) ? header[0] : header);
      if (typeof loc !== 'string' || loc.trim() === '') {
        throw new ExternalCallError('transient', 'upstream_unavailable', 'WPS answered GET /dealer-pricing without the file location', {
          target: TARGET,
          httpStatus: res.status,
        });
      }
      return new URL(loc.trim(), resolveBaseUrl(wpsModule.productionBaseUrl, ctx.baseUrl) + '/').toString();
    }
  }

  /** The pricing file (CSV `sku,dealer_price`, header first) → sku → cost. Unreadable rows are skipped. */
  async function dealerPrices(location: string, creds: WpsCredentials, ctx: FeedContext): Promise<Map<string, number>> {
    const { body } = await downloadStream({
      target: TARGET,
      url: location,
      // Pre-signed: no token (a storage host refuses a second auth mechanism, and it need not see it).
      // A pre-signed location's signature (query or long path segment) is a credential too.
      secrets: [creds.apiToken, new URL(location).search.slice(1), ...new URL(location).pathname.split('/').filter((seg) => seg.length >= 20)],
      timeoutMs: o.timeoutMs,
      signal: ctx.signal,
      urlPolicy: wpsPricingFilePolicy(location, ctx.urlPolicy),
      credentialsMessage: 'WPS refused the dealer pricing file download (its location may have expired); the feed run will be retried.',
    });
    const prices = new Map<string, number>();
    const parser = body.pipe(parse({ bom: true, relax_column_count: true, relax_quotes: true, skip_empty_lines: true, trim: true, skip_records_with_error: true }));
    body.on('error', (e) => parser.destroy(e));
    let skuCol = -1;
    let priceCol = -1;
    let first = true;
    for await (const rec of parser as AsyncIterable<string[]>) {
      if (first) {
        first = false;
        const h = rec.map((c) => c.toLowerCase());
        skuCol = h.indexOf('sku');
        priceCol = h.indexOf('dealer_price');
        if (skuCol < 0 || priceCol < 0) {
          body.destroy();
          throw new ExternalCallError('permanent', 'invalid_request', `The WPS dealer pricing file has no sku,dealer_price header (got "${rec.join(',').slice(0, 100)}")`, {
            target: TARGET,
          });
        }
        continue;
      }
      const sku = rec[skuCol];
      const p = priceOf(rec[priceCol]);
      if (sku && typeof p === 'number') prices.set(sku, p);
    }
    return prices;
  }

  async function page(http: HttpClient, creds: WpsCredentials, ctx: FeedContext, cursor: string | null): Promise<any> {
    const params = new URLSearchParams([
      ['include', o.includeBrand ? 'inventory,brand' : 'inventory'],
      ['page[size]', String(o.pageSize)],
    ]);
    if (cursor) params.set('page[cursor]', cursor);
    for (let attempt = 0; ; attempt++) {
      let err: ExternalCallError;
      try {
        const res = await http.send({ method: 'GET', path: '/items', searchParams: params, signal: ctx.signal });
        if (res.status >= 200 && res.status < 300) {
          const body = res.json<any>();
          if (!body || !Array.isArray(body.data)) {
            throw new ExternalCallError('transient', 'upstream_unavailable', 'WPS answered GET /items with a body that is not an item list', {
              target: TARGET,
              httpStatus: res.status,
            });
          }
          return body;
        }
        err = classifyWpsResponse('stock', res, { secrets: [creds.apiToken] });
      } catch (e) {
        if (!(e instanceof ExternalCallError)) throw e;
        err = e;
      }
      const wait = err.details.retryAfterMs ?? 1000 * 2 ** attempt;
      if (err.kind === 'permanent' || attempt >= o.pageRetries || wait > o.maxRetryWaitMs || ctx.signal?.aborted) throw err;
      await pause(wait, ctx.signal, 'waiting to retry an item page');
    }
  }

  return {
    needsFeedSettings: false,
    async verify(creds, ctx) {
      const http = clientFor(creds, ctx);
      const res = await http.send({ method: 'GET', path: '/items', searchParams: { 'page[size]': 1 }, signal: ctx.signal });
      if (res.status < 200 || res.status >= 300) throw classifyWpsResponse('verify', res, { secrets: [creds.apiToken] });
    },
    async *read(creds, ctx) {
      const http = clientFor(creds, ctx);
      const prices = await dealerPrices(await pricingLocation(http, creds, ctx), creds, ctx);
      const mapOpts = { orderableStatuses: o.orderableStatuses, notOrderableStatuses: o.notOrderableStatuses };
      let position = 0;
      let cursor: string | null = null;
      const seen = new Set<string>();
      for (;;) {
        const body = await page(http, creds, ctx, cursor);
        for (const raw of body.data as unknown[]) {
          position += 1;
          const mapped = mapWpsFeedItem(raw, prices, mapOpts);
          yield typeof mapped === 'string' ? { line: position, error: mapped } : { line: position, item: mapped };
        }
        const next = body.meta?.cursor?.next;
        if (next === null || next === undefined || next === '') return;
        const nextCursor = String(next);
        if (seen.has(nextCursor)) {
          throw new ExternalCallError('transient', 'upstream_unavailable', 'WPS returned a page cursor it had already given; the item list was not read to its end', {
            target: TARGET,
          });
        }
        seen.add(nextCursor);
        cursor = nextCursor;
      }
    },
  };
}

export const wpsModule: DistributorModule<WpsCredentials> = {
  code: 'wps',
  displayName: 'Western Power Sports',
  productionBaseUrl: 'https://api.wps-inc.com',
  warehouses: WPS_WAREHOUSES,
  limits: WPS_LIMITS,
  defaultRequestsPerSecond: WPS_DEFAULT_REQUESTS_PER_SECOND,
  credentialsSchema: z.object({ apiToken: z.string().trim().min(1, 'apiToken is required') }),
  mask(creds) {
    return { apiToken: maskSecret(creds.apiToken) };
  },
  create(creds, ctx) {
    return createWpsAdapter(creds, ctx, (ctx as WpsAdapterContext).wps ?? {});
  },
  feed: createWpsFeed(),
};
