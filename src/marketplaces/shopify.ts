// Shopify — Admin GraphQL `fulfillmentCreate` (FulfillmentOrder model) adapter (tracking upload only).
// Reference: shared/reference/marketplace-apis.md §0, §4, §6, §7, §8.4, §8.6.
//
// Idempotency:
// - fulfillmentCreate has NO idempotency key (§4.4 [C]); the natural guard is the remaining
//   quantity. So every upload first reads the order (fulfillment orders and fulfillments): units
//   already fulfilled under this tracking number are not sent again, and when nothing is left the
//   upload is `already_uploaded` without a write. A resend that still collides (another writer in
//   between) gets a userError, e.g. "Invalid fulfillment order line item quantity requested." (§4.4
//   [S]); on any userError the adapter reads back and answers `already_uploaded` when the order
//   carries every unit under this tracking number, otherwise the refusal is permanent
//   (`tracking_rejected`) for a person to look at.
// - A package whose lines sit on fulfillment orders at different locations (or delivery methods)
//   needs one fulfillmentCreate per group (§4.1 [C]). A failure between them is safe: the retry
//   reads which units already carry this tracking number and sends only the rest.
// - An ambiguous failure (timeout, reset, 5xx on the mutation) may have committed the fulfillment;
//   the engine calls hasTracking before it re-sends, and a blind re-send lands on the paths above.
// - Reads (hasTracking, verifyCredentials) have no side effects.
//
// Tokens: Shopify offline access tokens do not expire (§8.6), so there is no mintToken; a revoked
// one answers 401, which is `marketplace_reauthorization_required` (reconnect), never retried.
import { createHash } from 'node:crypto';
import { z } from 'zod';
import { alphanumericTracking, type CanonicalCarrier } from '../carriers';
import { maskSecret } from '../crypto';
import { ExternalCallError, parseRetryAfter } from '../external-errors';
import { packageLines, packageTracking } from './package';
import { classifyCommonStatus, redact, resolveBaseUrl, type HttpClient, type HttpClientFactory, type HttpResponse } from '../http';
import type { MarketplaceAdapter, MarketplaceModule, TrackingUpload, UploadResult } from './types';

export interface ShopifyCredentials {
  /** The shop's permanent `<name>.myshopify.com` domain (the Admin API answers only there). */
  shopDomain: string;
  /** Offline Admin API access token (`shpat_…`) with a write_*_fulfillment_orders scope. */
  accessToken: string;
  /** Whether Shopify emails the buyer when tracking is added (a connection setting; default true). */
  notifyCustomer?: boolean;
}

/** Adapter options; every [G] of the reference that touches the client has a knob here. */
export interface ShopifyAdapterOptions {
  /** Admin API version in the path ([G] pick a supported one; versions live about 12 months). */
  apiVersion?: string;
  /** Whether Shopify emails the buyer the tracking (API default false; drop-shippers want true, §4.5). */
  notifyCustomer?: boolean;
  /** Overrides of the canonical → Shopify `trackingInfo.company` table (§6). */
  companies?: Partial<Record<CanonicalCarrier, string>>;
  /**
   * Tracking URL templates (`{number}` is replaced) for carriers Shopify cannot link by company
   * name (§4.2 [G]: send a url for any carrier not on its list). Overrides the defaults.
   */
  trackingUrls?: Partial<Record<CanonicalCarrier, string>>;
  /** Page sizes of the order read ([G] kept small: Shopify refuses a query costing over 1000 points). */
  pageSizes?: Partial<ShopifyPageSizes>;
  /** Per-request timeout for the mutation (default 15 s) and for reads (defaults to timeoutMs). */
  timeoutMs?: number;
  readTimeoutMs?: number;
  /** Client-side request cap per shop (none by default; Shopify's own limit is cost-based). */
  rateLimitPerSecond?: number;
}

export interface ShopifyPageSizes {
  fulfillmentOrders: number;
  fulfillmentOrderLineItems: number;
  fulfillments: number;
  fulfillmentLineItems: number;
}

/** A context may carry Shopify options (`{ ...ctx, shopify: { apiVersion: '2026-07' } }`). */
export interface ShopifyAdapterContext {
  baseUrl?: string;
  http: HttpClientFactory;
  shopify?: ShopifyAdapterOptions;
}

const TARGET = 'shopify';
const SHOPIFY_WORDS = { target: TARGET, name: 'Shopify', line: 'line item', order: 'order' };
const DEFAULT_TIMEOUT_MS = 15_000;
export const DEFAULT_SHOPIFY_API_VERSION = '2026-10'; // [G]
const DEFAULT_PAGE_SIZES: ShopifyPageSizes = { fulfillmentOrders: 10, fulfillmentOrderLineItems: 50, fulfillments: 20, fulfillmentLineItems: 20 };
/** §4.1 [C]: the scopes that let an app create fulfillments. */
export const SHOPIFY_FULFILLMENT_SCOPES = [
  'write_assigned_fulfillment_orders',
  'write_merchant_managed_fulfillment_orders',
  'write_third_party_fulfillment_orders',
];
/** Fulfillment-order statuses that take a fulfillment (§8.4 rule 4). */
const FULFILLABLE = new Set(['OPEN', 'IN_PROGRESS']);
export const SHOP_DOMAIN = /^[a-z0-9][a-z0-9-]*\.myshopify\.com$/;

// ---------------------------------------------------------------------------------------------
// Pure mapping functions.

/** §6: canonical carrier → Shopify `trackingInfo.company` (capitalization matters for links). */
export const SHOPIFY_COMPANIES: Record<CanonicalCarrier, string> = {
  UPS: 'UPS',
  USPS: 'USPS',
  FedEx: 'FedEx',
  FedExSmartPost: 'FedEx', // [G] + url
  UPSMailInnovations: 'UPS', // [G] + url
  DHLeCommerce: 'DHL eCommerce',
  DHLExpress: 'DHL Express',
  OnTrac: 'OnTrac',
  LaserShip: 'Lasership',
  Other: 'Other', // [G] the distributor's own name does not reach the adapter; free text is accepted
};

/** Carriers whose company name alone does not give a working link (§6 "+ url" [G]). */
export const SHOPIFY_TRACKING_URLS: Partial<Record<CanonicalCarrier, string>> = {
  FedExSmartPost: 'https://www.fedex.com/fedextrack/?trknbr={number}',
  UPSMailInnovations: 'https://www.ups.com/track?tracknum={number}',
};

export interface ShopifyTrackingInfo {
  company: string;
  number: string;
  url?: string;
}

/** `trackingInfo` for one package: the company name, the tracking number (letters and digits), a url where needed. */
export function shopifyTrackingInfo(
  upload: Pick<TrackingUpload, 'carrier' | 'carrierName' | 'trackingNumber' | 'orderId'>,
  opts: Pick<ShopifyAdapterOptions, 'companies' | 'trackingUrls'> = {},
): ShopifyTrackingInfo {
  const number = alphanumericTracking(upload.trackingNumber ?? '');
  if (!number) {
    throw new ExternalCallError(
      'permanent',
      'tracking_rejected',
      `Tracking number "${upload.trackingNumber}" for Shopify order ${upload.orderId} has no letters or digits.`,
      { target: TARGET },
    );
  }
  const company =
    opts.companies?.[upload.carrier] ??
    (upload.carrier === 'Other' ? upload.carrierName?.trim() : undefined) ??
    SHOPIFY_COMPANIES[upload.carrier] ??
    SHOPIFY_COMPANIES.Other;
  const template = opts.trackingUrls?.[upload.carrier] ?? SHOPIFY_TRACKING_URLS[upload.carrier];
  return { company, number, ...(template ? { url: template.split('{number}').join(encodeURIComponent(number)) } : {}) };
}

function gid(kind: 'Order' | 'LineItem', id: string, what: string): string {
  const v = String(id ?? '').trim();
  if (/^\d+$/.test(v)) return `gid://shopify/${kind}/${v}`;
  if (new RegExp(`^gid://shopify/${kind}/\\d+$`).test(v)) return v;
  throw new ExternalCallError(
    'permanent',
    'invalid_request',
    `"${id}" is not a Shopify ${what} id; send the number (e.g. 450789469) or the gid://shopify/${kind}/… form.`,
    { target: TARGET },
  );
}

/** A Shopify order id, numeric or `gid://shopify/Order/…`, as the GraphQL gid. */
export const shopifyOrderGid = (id: string) => gid('Order', id, 'order');
/** A Shopify line item id, numeric or `gid://shopify/LineItem/…`, as the GraphQL gid. */
export const shopifyLineItemGid = (id: string) => gid('LineItem', id, 'line item');

export interface ShopifyFulfillmentOrder {
  id: string;
  status: string;
  locationId?: string;
  deliveryMethod?: string;
  lineItems: { id: string; lineItemId: string; remainingQuantity: number; totalQuantity: number }[];
}

export interface ShopifyFulfillment {
  id: string;
  trackingNumbers: string[];
  lineItems: { lineItemId: string; quantity: number }[];
}

export interface ShopifyOrder {
  id: string;
  fulfillmentOrders: ShopifyFulfillmentOrder[];
  fulfillments: ShopifyFulfillment[];
}

const nodesOf = (conn: any): any[] => (Array.isArray(conn?.nodes) ? conn.nodes : Array.isArray(conn?.edges) ? conn.edges.map((e: any) => e?.node) : Array.isArray(conn) ? conn : []).filter((n: any) => n && typeof n === 'object');

/** The `order` of the read query → fulfillment orders and fulfillments (nodes or edges). */
export function mapShopifyOrder(order: any): ShopifyOrder {
  return {
    id: String(order?.id ?? ''),
    fulfillmentOrders: nodesOf(order?.fulfillmentOrders).map((fo) => ({
      id: String(fo.id ?? ''),
      status: String(fo.status ?? ''),
      ...(fo.assignedLocation?.location?.id ? { locationId: String(fo.assignedLocation.location.id) } : {}),
      ...(fo.deliveryMethod?.methodType ? { deliveryMethod: String(fo.deliveryMethod.methodType) } : {}),
      lineItems: nodesOf(fo.lineItems).map((li) => ({
        id: String(li.id ?? ''),
        lineItemId: String(li.lineItem?.id ?? ''),
        remainingQuantity: Number(li.remainingQuantity ?? 0),
        totalQuantity: Number(li.totalQuantity ?? 0),
      })),
    })),
    fulfillments: nodesOf(order?.fulfillments).map((f) => ({
      id: String(f.id ?? ''),
      trackingNumbers: nodesOf(f.trackingInfo)
        .map((t) => t.number)
        .filter((n: unknown): n is string => typeof n === 'string'),
      lineItems: nodesOf(f.fulfillmentLineItems).map((l) => ({ lineItemId: String(l.lineItem?.id ?? ''), quantity: Number(l.quantity ?? 0) })),
    })),
  };
}

const sameTracking = (a: string, b: string) => {
  const x = alphanumericTracking(a).toUpperCase();
  return x !== '' && x === alphanumericTracking(b).toUpperCase();
};

/** The fulfillments that carry this tracking number (letters and digits only, any case). */
export function fulfillmentsWithTracking(order: ShopifyOrder, trackingNumber: string): ShopifyFulfillment[] {
  return order.fulfillments.filter((f) => f.trackingNumbers.some((n) => sameTracking(n, trackingNumber)));
}

/** One fulfillmentCreate: fulfillment orders of one location and delivery method. */
export interface ShopifyFulfillmentGroup {
  lineItemsByFulfillmentOrder: { fulfillmentOrderId: string; fulfillmentOrderLineItems: { id: string; quantity: number }[] }[];
}

/**
 * Which fulfillment-order line items carry this package, grouped into one fulfillmentCreate per
 * location and delivery method. Units already fulfilled under this tracking number are left out
 * (a resend sends only what is missing; an empty plan means already uploaded). Throws a permanent
 * refusal naming the line when Shopify has too few units left to fulfil.
 */
export function planShopifyFulfillments(order: ShopifyOrder, upload: Pick<TrackingUpload, 'orderId' | 'lines' | 'trackingNumber'>): ShopifyFulfillmentGroup[] {
  const wanted = packageLines(upload, upload.trackingNumber, SHOPIFY_WORDS, shopifyLineItemGid);
  for (const f of fulfillmentsWithTracking(order, upload.trackingNumber)) {
    for (const l of f.lineItems) if (wanted.has(l.lineItemId)) wanted.set(l.lineItemId, wanted.get(l.lineItemId)! - l.quantity);
  }

  const groups = new Map<string, Map<string, { id: string; quantity: number }[]>>();
  const fulfillable = order.fulfillmentOrders.filter((fo) => FULFILLABLE.has(fo.status));
  for (const [lineItemId, quantity] of wanted) {
    let missing = quantity;
    for (const fo of fulfillable) {
      for (const li of fo.lineItems) {
        if (missing <= 0 || li.lineItemId !== lineItemId || li.remainingQuantity <= 0) continue;
        const take = Math.min(missing, li.remainingQuantity);
        missing -= take;
        const key = `${fo.locationId ?? ''}|${fo.deliveryMethod ?? ''}`;
        const byFo = groups.get(key) ?? new Map<string, { id: string; quantity: number }[]>();
        groups.set(key, byFo);
        byFo.set(fo.id, [...(byFo.get(fo.id) ?? []), { id: li.id, quantity: take }]);
      }
    }
    if (missing > 0) {
      const left = quantity - missing;
      const held = order.fulfillmentOrders.filter((fo) => !FULFILLABLE.has(fo.status) && fo.lineItems.some((li) => li.lineItemId === lineItemId && li.remainingQuantity > 0));
      throw new ExternalCallError(
        'permanent',
        'tracking_rejected',
        `Shopify order ${upload.orderId} has ${left} unit(s) of line item ${lineItemId} left to fulfil, but this package ships ${quantity}${
          held.length ? ` (fulfillment order ${held.map((fo) => `${fo.id} is ${fo.status}`).join(', ')})` : ''
        }. Check the order in Shopify admin: it may have been fulfilled by hand, or be on hold.`,
        { target: TARGET },
      );
    }
  }
  return [...groups.values()].map((byFo) => ({
    lineItemsByFulfillmentOrder: [...byFo].map(([fulfillmentOrderId, items]) => ({ fulfillmentOrderId, fulfillmentOrderLineItems: items })),
  }));
}

/** Milliseconds until a throttled query fits the bucket again (§4.4 throttleStatus), or undefined. */
export function shopifyThrottleWaitMs(body: any): number | undefined {
  const cost = body?.extensions?.cost;
  const status = cost?.throttleStatus;
  const requested = Number(cost?.requestedQueryCost);
  const available = Number(status?.currentlyAvailable);
  const rate = Number(status?.restoreRate);
  if (![requested, available, rate].every(Number.isFinite) || rate <= 0) return undefined;
  return Math.max(0, Math.ceil(((requested - available) / rate) * 1000));
}

interface GraphqlError {
  message: string;
  code?: string;
}

/** Top-level GraphQL `errors` (an array of {message, extensions.code}, or Shopify's plain string). */
export function shopifyGraphqlErrors(body: any): GraphqlError[] {
  const errs = body?.errors;
  if (typeof errs === 'string') return [{ message: errs }];
  if (!Array.isArray(errs)) return [];
  return errs.map((e: any) => ({
    message: typeof e?.message === 'string' ? e.message : String(e),
    ...(typeof e?.extensions?.code === 'string' ? { code: e.extensions.code } : {}),
  }));
}

// ---------------------------------------------------------------------------------------------
// Error classification.

export type ShopifyStage = 'upload' | 'read' | 'verify';

/**
 * Every answer that is not a usable GraphQL `data` → ExternalCallError, or undefined when the
 * answer is usable. THROTTLED comes as HTTP 200 or 429 (§4.4 [S]): both are transient.
 */
export function classifyShopifyResponse(stage: ShopifyStage, res: HttpResponse, ctx: { orderId?: string; secrets?: string[] } = {}): ExternalCallError | undefined {
  const body = res.json();
  const errs = shopifyGraphqlErrors(body);
  const text = redact(errs.map((e) => e.message).join('; '), ctx.secrets ?? []);
  const details = { target: TARGET, httpStatus: res.status, upstreamCode: errs.find((e) => e.code)?.code ?? String(res.status) };
  const isWrite = stage === 'upload';

  if (res.status === 429 || errs.some((e) => e.code === 'THROTTLED')) {
    const wait = parseRetryAfter(res.headers['retry-after']) ?? shopifyThrottleWaitMs(body);
    return new ExternalCallError('transient', 'throttled', 'Shopify is throttling requests to this shop (query cost bucket empty); nothing was changed.', {
      ...details,
      ...(wait !== undefined ? { retryAfterMs: wait } : {}),
    });
  }
  // Shopify also reports its own failures as HTTP 200 with code INTERNAL_SERVER_ERROR: same as a 5xx.
  const internal = errs.some((e) => e.code === 'INTERNAL_SERVER_ERROR') ? { ...res, status: 500 } : res;
  const common = classifyCommonStatus(TARGET, internal, isWrite, parseRetryAfter(res.headers['retry-after']));
  if (common) {
    return new ExternalCallError(
      common.kind,
      'upstream_unavailable',
      `Shopify answered ${res.status}${text ? `: ${text}` : ''}${isWrite ? '. The fulfillment may or may not have been created; the order is read before re-sending.' : '.'}`,
      { ...details, retryAfterMs: common.details.retryAfterMs },
    );
  }
  if (res.status === 401) {
    return stage === 'verify'
      ? new ExternalCallError('permanent', 'credentials_rejected', 'Shopify rejected the access token (401: invalid or revoked). Reinstall the app in the Shopify admin and use the new Admin API access token.', details)
      : new ExternalCallError(
          'permanent',
          'marketplace_reauthorization_required',
          'Shopify no longer accepts the access token for this shop (401: the app was uninstalled or the token revoked). Reconnect Shopify with a new Admin API access token, then retry the uploads.',
          details,
        );
  }
  if (res.status === 403 || errs.some((e) => e.code === 'ACCESS_DENIED')) {
    return new ExternalCallError(
      'permanent',
      'credentials_rejected',
      `Shopify refused the app's permissions (${text || '403'}). The app needs one of the scopes ${SHOPIFY_FULFILLMENT_SCOPES.join(', ')} and the staff member the "fulfill and ship orders" permission; update the app's access and reconnect.`,
      details,
    );
  }
  if (res.status === 402 || res.status === 423) {
    return new ExternalCallError(
      'permanent',
      'account_setup_required',
      `Shopify says the shop is ${res.status === 402 ? 'frozen for an unpaid bill (402)' : 'locked (423)'}, so it takes no fulfillments. Resolve it in the Shopify admin, then retry.`,
      details,
    );
  }
  if (res.status === 404) {
    return new ExternalCallError(
      'permanent',
      'invalid_request',
      'Shopify answered 404: the shop domain is wrong or the Admin API version is no longer served. Check the shop domain (name.myshopify.com) of the connection.',
      details,
    );
  }
  if (res.status < 200 || res.status >= 300 || errs.length) {
    return new ExternalCallError('permanent', 'invalid_request', `Shopify refused the request${ctx.orderId ? ` for order ${ctx.orderId}` : ''} (HTTP ${res.status}${text ? `: ${text}` : ''}).`, details);
  }
  if (body === undefined || typeof body !== 'object' || !(body as any).data) {
    return new ExternalCallError('transient', 'upstream_unavailable', `Shopify answered HTTP ${res.status} without GraphQL data.`, details);
  }
  return undefined;
}

// ---------------------------------------------------------------------------------------------
// GraphQL documents.

const VERIFY_QUERY = `query DropshipVerify {
  shop { name myshopifyDomain }
  currentAppInstallation { accessScopes { handle } }
}`;

function orderQuery(p: ShopifyPageSizes): string {
  return `query DropshipOrder($id: ID!) {
  order(id: $id) {
    id
    fulfillmentOrders(first: ${p.fulfillmentOrders}) {
      nodes {
        id
        status
        assignedLocation { location { id } }
        deliveryMethod { methodType }
        lineItems(first: ${p.fulfillmentOrderLineItems}) { nodes { id remainingQuantity totalQuantity lineItem { id } } }
      }
    }
    fulfillments(first: ${p.fulfillments}) {
      id
      trackingInfo(first: 10) { company number url }
      fulfillmentLineItems(first: ${p.fulfillmentLineItems}) { nodes { quantity lineItem { id } } }
    }
  }
}`;
}

const FULFILLMENT_CREATE = `mutation DropshipFulfillmentCreate($fulfillment: FulfillmentInput!) {
  fulfillmentCreate(fulfillment: $fulfillment) {
    fulfillment { id status trackingInfo { company number url } }
    userErrors { field message }
  }
}`;

// ---------------------------------------------------------------------------------------------
// The adapter.

class ShopifyAdapter implements MarketplaceAdapter {
  readonly code = 'shopify' as const;
  private readonly http: HttpClient;
  private readonly secrets: string[];
  private readonly path: string;
  private readonly pageSizes: ShopifyPageSizes;

  constructor(
    creds: ShopifyCredentials,
    ctx: { baseUrl?: string; http: HttpClientFactory },
    private readonly opts: ShopifyAdapterOptions,
  ) {
    this.secrets = [creds.accessToken];
    this.path = `/admin/api/${encodeURIComponent(opts.apiVersion ?? DEFAULT_SHOPIFY_API_VERSION)}/graphql.json`;
    this.pageSizes = { ...DEFAULT_PAGE_SIZES, ...opts.pageSizes };
    this.http = ctx.http({
      target: TARGET,
      baseUrl: resolveBaseUrl(`https://${creds.shopDomain}`, ctx.baseUrl),
      headers: { 'x-shopify-access-token': creds.accessToken },
      timeoutMs: opts.timeoutMs ?? DEFAULT_TIMEOUT_MS,
      secrets: this.secrets,
      ...(opts.rateLimitPerSecond
        ? { rateLimit: { key: `shopify:${createHash('sha256').update(creds.shopDomain).digest('hex').slice(0, 16)}`, perSecond: opts.rateLimitPerSecond } }
        : {}),
    });
  }

  private async graphql(stage: ShopifyStage, query: string, variables: Record<string, unknown>, orderId?: string): Promise<any> {
    const res = await this.http.send({
      method: 'POST',
      path: this.path,
      json: { query, variables },
      timeoutMs: stage === 'upload' ? (this.opts.timeoutMs ?? DEFAULT_TIMEOUT_MS) : (this.opts.readTimeoutMs ?? this.opts.timeoutMs ?? DEFAULT_TIMEOUT_MS),
    });
    const refusal = classifyShopifyResponse(stage, res, { orderId, secrets: this.secrets });
    if (refusal) throw refusal;
    return res.json().data;
  }

  async verifyCredentials(): Promise<void> {
    const data = await this.graphql('verify', VERIFY_QUERY, {});
    const scopes: string[] = nodesOf(data?.currentAppInstallation?.accessScopes).map((s) => String(s.handle));
    if (!scopes.some((s) => SHOPIFY_FULFILLMENT_SCOPES.includes(s))) {
      throw new ExternalCallError(
        'permanent',
        'credentials_rejected',
        `The Shopify app for ${data?.shop?.myshopifyDomain ?? 'this shop'} cannot create fulfillments: it needs one of the scopes ${SHOPIFY_FULFILLMENT_SCOPES.join(', ')}. Add the scope, reinstall the app and reconnect.`,
        { target: TARGET },
      );
    }
  }

  private async readOrder(orderId: string): Promise<ShopifyOrder> {
    const data = await this.graphql('read', orderQuery(this.pageSizes), { id: shopifyOrderGid(orderId) }, orderId);
    if (!data?.order) {
      throw new ExternalCallError(
        'permanent',
        'order_not_found',
        `Shopify does not know order ${orderId} in this shop. Check the Shopify order id and that the connected shop is the one that sold it.`,
        { target: TARGET },
      );
    }
    return mapShopifyOrder(data.order);
  }

  async hasTracking(orderId: string, trackingNumber: string): Promise<boolean> {
    return fulfillmentsWithTracking(await this.readOrder(orderId), trackingNumber).length > 0;
  }

  async uploadTracking(upload: TrackingUpload): Promise<UploadResult> {
    const trackingInfo = shopifyTrackingInfo(upload, this.opts);
    const order = await this.readOrder(upload.orderId);
    const groups = planShopifyFulfillments(order, { ...upload, trackingNumber: trackingInfo.number });
    const earlier = fulfillmentsWithTracking(order, trackingInfo.number)[0];
    if (groups.length === 0) return { outcome: 'already_uploaded', ...(earlier ? { fulfillmentId: earlier.id } : {}) };

    let fulfillmentId: string | undefined;
    for (const group of groups) {
      const data = await this.graphql(
        'upload',
        FULFILLMENT_CREATE,
        { fulfillment: { ...group, notifyCustomer: this.opts.notifyCustomer ?? true, trackingInfo } },
        upload.orderId,
      );
      const result = data?.fulfillmentCreate;
      const userErrors: { field?: string[]; message?: string }[] = Array.isArray(result?.userErrors) ? result.userErrors : [];
      if (userErrors.length === 0 && result?.fulfillment?.id) {
        fulfillmentId ??= String(result.fulfillment.id);
        continue;
      }
      // A resend surfaces as a userError (the quantity one, §4.4 [S], or a closed fulfillment
      // order): whatever its text, it is done when the order now carries every unit under this
      // tracking number.
      const messages = userErrors.map((e) => String(e.message ?? '')).join('; ');
      const after = await this.readOrder(upload.orderId);
      const found = fulfillmentsWithTracking(after, trackingInfo.number)[0];
      if (found && planShopifyFulfillments(after, { ...upload, trackingNumber: trackingInfo.number }).length === 0) {
        return { outcome: 'already_uploaded', fulfillmentId: found.id };
      }
      throw new ExternalCallError(
        'permanent',
        'tracking_rejected',
        `Shopify refused the fulfillment with tracking ${trackingInfo.number} for order ${upload.orderId}: ${messages || 'no fulfillment was created'}.`,
        { target: TARGET, httpStatus: 200, upstreamCode: 'userErrors' },
      );
    }
    return { outcome: 'uploaded', fulfillmentId };
  }
}

export function createShopifyAdapter(creds: ShopifyCredentials, ctx: { baseUrl?: string; http: HttpClientFactory }, opts: ShopifyAdapterOptions = {}): MarketplaceAdapter {
  return new ShopifyAdapter(creds, ctx, opts);
}

export const shopifyModule: MarketplaceModule<ShopifyCredentials> = {
  code: 'shopify',
  displayName: 'Shopify',
  // [G] per shop: https://{shopDomain}; this is the domain every shop's API host sits under.
  productionBaseUrl: 'https://myshopify.com',
  productionHostSuffix: '.myshopify.com',
  credentialsSchema: z.object({
    shopDomain: z
      .string()
      .trim()
      .toLowerCase()
      .regex(SHOP_DOMAIN, 'shopDomain must be the shop\'s permanent domain, e.g. "dealer-name.myshopify.com"'),
    accessToken: z.string().trim().min(1, 'accessToken is required'),
    notifyCustomer: z.boolean().optional(),
  }),
  mask(creds): Record<string, string> {
    return {
      shopDomain: creds.shopDomain,
      accessToken: maskSecret(creds.accessToken),
      ...(creds.notifyCustomer !== undefined ? { notifyCustomer: String(creds.notifyCustomer) } : {}),
    };
  },
  create(creds, ctx) {
    const opts = (ctx as ShopifyAdapterContext).shopify ?? {};
    return createShopifyAdapter(creds, ctx, creds.notifyCustomer === undefined ? opts : { ...opts, notifyCustomer: creds.notifyCustomer });
  },
};
