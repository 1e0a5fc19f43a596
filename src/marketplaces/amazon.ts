// Amazon — SP-API Orders v0 `confirmShipment` adapter (tracking upload only), with Login with
// Amazon (LWA) token minting. Reference: shared/reference/marketplace-apis.md §0, §2, §6, §7,
// §8.2, §8.6; DESIGN.md v1.1 "Marketplace connections with real token lifecycles".
//
// Idempotency:
// - POST /orders/v0/orders/{orderId}/shipmentConfirmation has no idempotency key, but a package is
//   keyed by `packageReferenceId`: sending the same id again *edits* that package (§2.4 [C]). The
//   id is derived from the tracking number alone (amazonPackageReferenceId), so a resend of the same
//   package — after a timeout, a reset, a 5xx, or a blind retry — edits it instead of adding a
//   second one. Another tracking number gets another id, so a partial shipment adds a package.
// - Amazon shows no tracking numbers through the Orders API, only quantities (§7). hasTracking is
//   therefore true only when the order is `Shipped` (nothing is left that could take a package);
//   otherwise it is false and the engine re-sends, which is the safe edit above.
// - A new package on an order that is already fully shipped answers 400 GeneralError "…order
//   already fulfilled" (§2.4 [S]). The adapter reads getOrderItems back: when every line of the
//   package shows its whole quantity shipped, the upload is `already_uploaded`; otherwise it fails
//   permanently (`tracking_rejected`) for a person to look at.
// - Minting a token (POST {lwa}/auth/o2/token) changes nothing at Amazon; a lost answer is
//   transient and minting again is harmless.
// - Reads (hasTracking, verifyCredentials) have no side effects.
import { createHash } from 'node:crypto';
import { z } from 'zod';
import { alphanumericTracking, type CanonicalCarrier } from '../carriers';
import { maskSecret } from '../crypto';
import { ExternalCallError } from '../external-errors';
import { packageLines, packageTracking } from './package';
import { classifyCommonStatus, redact, resolveBaseUrl, type HttpClient, type HttpRequest, type HttpResponse } from '../http';
import type { AccessTokenSource, MarketplaceAdapter, MarketplaceContext, MarketplaceModule, MintedToken, TrackingUpload, UploadResult } from './types';

export interface AmazonCredentials {
  /** LWA client id of the SP-API app (`amzn1.application-oa2-client.…`). */
  clientId: string;
  clientSecret: string;
  /** The seller's LWA refresh token for the app (`Atzr|…`). */
  refreshToken: string;
  /** Where the orders were sold, e.g. `ATVPDKIKX0DER` (US). */
  marketplaceId: string;
  /** Replaces the LWA origin (production https://api.amazon.com). */
  authBaseUrl?: string;
}

/** Adapter options; every [G] of the reference that touches the client has a knob here. */
export interface AmazonAdapterOptions {
  /**
   * Overrides of the canonical → Seller Central `carrierCode` table (§6). Today's Seller Central
   * list differs from the historical enum ([G]); e.g. `{ DHLeCommerce: 'DHL eCommerce' }`.
   */
  carrierCodes?: Partial<Record<CanonicalCarrier, string>>;
  /**
   * `carrierName` sent with `carrierCode: "Other"` when the upload names no carrier of its own
   * (`carrierName` on the upload). Default `Other`.
   */
  otherCarrierName?: string;
  /** Per-request timeout for the upload (default 15 s) and for reads and token requests (defaults to timeoutMs). */
  timeoutMs?: number;
  readTimeoutMs?: number;
  /** A distributor ship date later than now − clockSkewMs is sent as now − clockSkewMs ([G] Amazon refuses future ship dates). */
  clockSkewMs?: number;
  /** Client-side cap on confirmShipment per seller and app: Amazon's usage plan is 2/s, burst 10 (§2.4 [C]). 0 = none. */
  rateLimitPerSecond?: number;
  /**
   * Whether a 403 `Unauthorized` may mean an expired token (refresh once, then retry). SP-API answers
   * expired, invalid and missing-role tokens all with 403 `Unauthorized` ([G] §8.2); default true.
   */
  refreshOnForbidden?: boolean;
  /** Injectable clock (tests). */
  now?: () => Date;
}

/** A context may carry Amazon options (`{ ...ctx, amazon: { timeoutMs: 500 } }`). */
export interface AmazonAdapterContext extends MarketplaceContext {
  amazon?: AmazonAdapterOptions;
}


const TARGET = 'amazon';
const AMAZON_WORDS = { target: TARGET, name: 'Amazon', line: 'order item', order: 'order' };
export const AMAZON_SP_API_PRODUCTION_URL = 'https://sellingpartnerapi-na.amazon.com';
export const AMAZON_LWA_PRODUCTION_URL = 'https://api.amazon.com';
const TOKEN_PATH = '/auth/o2/token';
const ORDERS_PATH = '/orders/v0/orders';
const DEFAULT_TIMEOUT_MS = 15_000;
const DEFAULT_CLOCK_SKEW_MS = 60_000;
const DEFAULT_RATE_PER_SECOND = 2;
const ORDER_ID = /^\d{3}-\d{7}-\d{7}$/;

// ---------------------------------------------------------------------------------------------
// Pure mapping functions.

/** §6: canonical carrier → Seller Central `carrierCode` (exact spelling, spaces and case matter). */
export const AMAZON_CARRIER_CODES: Record<CanonicalCarrier, string> = {
  UPS: 'UPS',
  USPS: 'USPS',
  FedEx: 'FedEx',
  FedExSmartPost: 'FedEx SmartPost',
  UPSMailInnovations: 'UPS Mail Innovations',
  DHLeCommerce: 'DHL Global Mail', // [S/G] today's Seller Central name may differ; configurable
  DHLExpress: 'DHL',
  OnTrac: 'OnTrac',
  LaserShip: 'Lasership',
  Other: 'Other',
};

export function amazonCarrierCode(carrier: CanonicalCarrier, overrides: Partial<Record<CanonicalCarrier, string>> = {}): string {
  return overrides[carrier] ?? AMAZON_CARRIER_CODES[carrier] ?? 'Other';
}

/**
 * The package's `packageReferenceId`: a positive whole number as a string (a JSON number is refused,
 * §2.5 [S]), the same for every send of one tracking number. Nine digits at most, so it fits
 * whatever integer type Amazon keeps it in ([G]); two tracking numbers on one order collide with a
 * chance of about one in a billion.
 */
export function amazonPackageReferenceId(trackingNumber: string): string {
  const key = alphanumericTracking(trackingNumber).toUpperCase();
  const n = parseInt(createHash('sha256').update(key).digest('hex').slice(0, 12), 16) % 999_999_999;
  return String(n + 1);
}

/** ISO-8601 UTC, never later than now − skew. Throws on an unparseable date. */
export function amazonShipDate(shippedAt: string, now: Date = new Date(), clockSkewMs = DEFAULT_CLOCK_SKEW_MS): string {
  const t = Date.parse(shippedAt);
  if (Number.isNaN(t)) {
    throw new ExternalCallError('permanent', 'invalid_request', `The ship date "${shippedAt}" is not a valid date, so it cannot be sent to Amazon.`, {
      target: TARGET,
    });
  }
  return new Date(Math.min(t, now.getTime() - clockSkewMs)).toISOString();
}

export interface AmazonShipmentConfirmation {
  marketplaceId: string;
  packageDetail: {
    packageReferenceId: string;
    carrierCode: string;
    carrierName?: string;
    trackingNumber: string;
    shipDate: string;
    orderItems: { orderItemId: string; quantity: number }[];
    shippingMethod?: string;
  };
}

/**
 * The confirmShipment body (§2.1). Refuses before sending what Amazon would refuse with a
 * misleading message (an order id not in 3-7-7 form reads as "OrderItemId is invalid"). Tracking
 * is stripped to letters and digits; repeated order item ids are merged.
 */
export function buildAmazonShipmentConfirmation(
  upload: TrackingUpload,
  opts: { marketplaceId: string; carrierCodes?: Partial<Record<CanonicalCarrier, string>>; otherCarrierName?: string; now?: Date; clockSkewMs?: number },
): AmazonShipmentConfirmation {
  if (!ORDER_ID.test(upload.orderId ?? '')) {
    throw new ExternalCallError('permanent', 'invalid_request', `"${upload.orderId}" is not an Amazon order id; Amazon order ids look like 123-1234567-1234567.`, {
      target: TARGET,
    });
  }
  const trackingNumber = packageTracking(upload, AMAZON_WORDS);
  const merged = packageLines(upload, trackingNumber, AMAZON_WORDS);
  const carrierCode = amazonCarrierCode(upload.carrier, opts.carrierCodes);
  return {
    marketplaceId: opts.marketplaceId,
    packageDetail: {
      packageReferenceId: amazonPackageReferenceId(trackingNumber),
      carrierCode,
      ...(carrierCode === 'Other' ? { carrierName: upload.carrierName?.trim() || opts.otherCarrierName || 'Other' } : {}),
      trackingNumber,
      shipDate: amazonShipDate(upload.shippedAt, opts.now ?? new Date(), opts.clockSkewMs ?? DEFAULT_CLOCK_SKEW_MS),
      orderItems: [...merged].map(([orderItemId, quantity]) => ({ orderItemId, quantity })),
      ...(upload.service ? { shippingMethod: upload.service } : {}),
    },
  };
}

export interface AmazonError {
  code?: string;
  message?: string;
  details?: string;
}

/** Error envelope `{errors:[{code, message, details?}]}` (§2.1). */
export function amazonErrors(body: unknown): AmazonError[] {
  const errs = (body as { errors?: unknown } | undefined)?.errors;
  if (!Array.isArray(errs)) return [];
  const str = (v: unknown) => (typeof v === 'string' ? v : undefined);
  return errs.filter((e) => e && typeof e === 'object').map((e: any) => ({ code: str(e.code), message: str(e.message), details: str(e.details) }));
}

/** getOrderItems body → `{orderItemId → {ordered, shipped}}`. */
export function mapAmazonOrderItems(body: unknown): Map<string, { ordered: number; shipped: number }> {
  const items = (body as { payload?: { OrderItems?: unknown } } | undefined)?.payload?.OrderItems;
  const out = new Map<string, { ordered: number; shipped: number }>();
  if (!Array.isArray(items)) return out;
  for (const i of items) {
    if (!i || typeof i !== 'object' || typeof (i as any).OrderItemId !== 'string') continue;
    out.set((i as any).OrderItemId, { ordered: Number((i as any).QuantityOrdered ?? 0), shipped: Number((i as any).QuantityShipped ?? 0) });
  }
  return out;
}

/** "order already fulfilled" / PackageToUpdateNotFound (§2.4 [S]): maybe a package that is already there. */
export function isAmazonAlreadyFulfilled(res: HttpResponse): boolean {
  if (res.status !== 400) return false;
  return amazonErrors(res.json()).some(
    (e) => /PackageToUpdateNotFound|already fulfilled/i.test(`${e.message ?? ''} ${e.details ?? ''}`) || (e.code === 'GeneralError' && /package/i.test(e.message ?? '')),
  );
}

/** A 401, or a 403 `Unauthorized`: the token may have expired (refresh once, then retry). */
export function isAmazonTokenRefusal(res: HttpResponse, refreshOnForbidden = true): boolean {
  if (res.status === 401) return true;
  return refreshOnForbidden && res.status === 403 && amazonErrors(res.json()).some((e) => (e.code ?? '').toLowerCase() === 'unauthorized');
}

/** The wait one request needs under `x-amzn-RateLimit-Limit` (requests per second), if sent. */
export function amazonRetryAfterMs(headers: HttpResponse['headers']): number | undefined {
  const raw = headers['x-amzn-ratelimit-limit'];
  const rate = Number(Array.isArray(raw) ? raw[0] : raw);
  return Number.isFinite(rate) && rate > 0 ? Math.ceil(1000 / rate) : undefined;
}

// ---------------------------------------------------------------------------------------------
// Error classification.

export type AmazonStage = 'upload' | 'read' | 'verify';

/** Every non-2xx SP-API answer → ExternalCallError (the already-fulfilled read-back is in uploadTracking). */
export function classifyAmazonResponse(
  stage: AmazonStage,
  res: HttpResponse,
  ctx: { orderId?: string; trackingNumber?: string; carrierCode?: string; secrets?: string[] } = {},
): ExternalCallError {
  const errs = amazonErrors(res.json());
  const first = errs[0];
  const text = redact(
    errs
      .map((e) => [e.message, e.details].filter(Boolean).join(': '))
      .filter(Boolean)
      .join('; '),
    ctx.secrets ?? [],
  );
  const requestId = res.headers['x-amzn-requestid'];
  const ref = requestId ? ` (Amazon request id ${Array.isArray(requestId) ? requestId[0] : requestId})` : '';
  const details = { target: TARGET, httpStatus: res.status, upstreamCode: first?.code ?? String(res.status) };
  const order = ctx.orderId ? ` ${ctx.orderId}` : '';

  const common = classifyCommonStatus(TARGET, res, stage === 'upload', amazonRetryAfterMs(res.headers));
  if (common) {
    const what = res.status === 429 ? 'is throttling requests (usage plan quota)' : `answered ${res.status}`;
    return new ExternalCallError(common.kind, common.code, `Amazon ${what}${text ? `: ${text}` : ''}${ref}.`, { ...details, retryAfterMs: common.details.retryAfterMs });
  }
  if (res.status === 401 || res.status === 403) {
    return new ExternalCallError(
      'permanent',
      'credentials_rejected',
      `Amazon refused access (${res.status}${text ? `: ${text}` : ''}) even with a fresh token. The seller must authorize the app with the Inventory and Order Tracking role; re-authorize it in Seller Central and reconnect Amazon.`,
      details,
    );
  }
  if (res.status === 404) {
    return stage === 'verify'
      ? new ExternalCallError('permanent', 'invalid_request', 'Amazon answered 404 to the credentials check; the connection base URL does not point at the SP-API.', details)
      : new ExternalCallError(
          'permanent',
          'order_not_found',
          `Amazon does not know order${order} for this seller (${text || 'NotFound'})${ref}. Check the Amazon order id and that the connected seller account sold it.`,
          details,
        );
  }
  const all = `${text} ${errs.map((e) => e.code).join(' ')}`;
  if (/carrier/i.test(all)) {
    return new ExternalCallError(
      'permanent',
      'tracking_rejected',
      `Amazon refused carrier "${ctx.carrierCode ?? '?'}" for tracking ${ctx.trackingNumber ?? '?'} on order${order} (${text})${ref}. Check the carrier mapping for Amazon against Seller Central's list.`,
      details,
    );
  }
  if (/OrderItemId/i.test(all)) {
    return new ExternalCallError(
      'permanent',
      'invalid_request',
      `Amazon says an order item id on order${order} is wrong (${text})${ref}. Use the OrderItemId values of the Amazon order (getOrderItems or Manage Orders).`,
      details,
    );
  }
  return new ExternalCallError('permanent', 'invalid_request', `Amazon refused the request for order${order} (HTTP ${res.status}${text ? `: ${text}` : ''})${ref}.`, details);
}

/** Token endpoint answer → token; throws the refusal that needs the dealer (§8.6), or a transient failure. */
export function classifyLwaResponse(res: HttpResponse, secrets: string[]): MintedToken {
  const body = res.json() as { access_token?: unknown; expires_in?: unknown; error?: unknown; error_description?: unknown } | undefined;
  if (res.status === 200 && typeof body?.access_token === 'string' && body.access_token) {
    const expires = Number(body.expires_in);
    return { accessToken: body.access_token, expiresInSeconds: Number.isFinite(expires) && expires > 0 ? expires : 3600 };
  }
  const error = typeof body?.error === 'string' ? body.error : undefined;
  const description = redact(typeof body?.error_description === 'string' ? body.error_description : '', secrets);
  const details = { target: TARGET, httpStatus: res.status, upstreamCode: error ?? String(res.status) };
  const common = classifyCommonStatus(TARGET, res, false);
  if (common) {
    throw new ExternalCallError('transient', common.code, `Login with Amazon answered ${res.status}; a new Amazon token could not be minted yet.`, details);
  }
  if (res.status === 401 || (res.status === 400 && (error === 'invalid_grant' || error === 'invalid_client' || error === 'unauthorized_client'))) {
    throw new ExternalCallError(
      'permanent',
      'marketplace_reauthorization_required',
      `Login with Amazon refused the connection's credentials (${error ?? res.status}${description ? `: ${description}` : ''}): the seller revoked the app, the refresh token expired, or the client secret was rotated. Reconnect Amazon (authorize the app again in Seller Central), then retry the uploads.`,
      details,
    );
  }
  if (res.status >= 200 && res.status < 300) {
    throw new ExternalCallError('transient', 'upstream_unavailable', 'Login with Amazon answered without an access token.', details);
  }
  throw new ExternalCallError('permanent', 'invalid_request', `Login with Amazon refused the token request (HTTP ${res.status}${error ? `, ${error}` : ''}${description ? `: ${description}` : ''}).`, details);
}

// ---------------------------------------------------------------------------------------------
// Token minting.

function lwaBaseUrl(creds: AmazonCredentials, spApiBaseUrl?: string): string {
  // A simulator or staging host serves both when only baseUrl is set, so sandbox credentials never
  // go to the production LWA host (and production ones never leave the host the dealer named).
  return resolveBaseUrl(AMAZON_LWA_PRODUCTION_URL, creds.authBaseUrl ?? spApiBaseUrl);
}

export async function mintAmazonToken(creds: AmazonCredentials, ctx: Omit<MarketplaceContext, 'tokens'>, opts: AmazonAdapterOptions = {}): Promise<MintedToken> {
  const secrets = [creds.clientSecret, creds.refreshToken];
  const http = ctx.http({ target: TARGET, baseUrl: lwaBaseUrl(creds, ctx.baseUrl), secrets, timeoutMs: opts.readTimeoutMs ?? opts.timeoutMs ?? DEFAULT_TIMEOUT_MS });
  let res: HttpResponse;
  try {
    res = await http.send({
      method: 'POST',
      path: TOKEN_PATH,
      secretResponse: true,
      form: { grant_type: 'refresh_token', refresh_token: creds.refreshToken, client_id: creds.clientId, client_secret: creds.clientSecret },
    });
  } catch (e) {
    // Minting changes nothing at Amazon: a lost answer is simply retried.
    if (e instanceof ExternalCallError && e.kind === 'ambiguous') throw new ExternalCallError('transient', e.code, e.message, e.details);
    throw e;
  }
  return classifyLwaResponse(res, secrets);
}

// ---------------------------------------------------------------------------------------------
// The adapter.

class AmazonAdapter implements MarketplaceAdapter {
  readonly code = 'amazon' as const;
  private readonly baseUrl: string;
  private readonly secrets: string[];
  private readonly rateKey: string;

  constructor(
    private readonly creds: AmazonCredentials,
    private readonly ctx: MarketplaceContext,
    private readonly tokens: AccessTokenSource,
    private readonly opts: AmazonAdapterOptions,
  ) {
    this.baseUrl = resolveBaseUrl(AMAZON_SP_API_PRODUCTION_URL, ctx.baseUrl);
    this.secrets = [creds.clientSecret, creds.refreshToken];
    // Amazon's usage plan is per seller and app: the refresh token names both.
    this.rateKey = `amazon:${createHash('sha256').update(`${creds.clientId}\n${creds.refreshToken}`).digest('hex').slice(0, 16)}`;
  }

  private get readTimeout(): number {
    return this.opts.readTimeoutMs ?? this.opts.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  }

  private client(token: string, limited: boolean): HttpClient {
    const perSecond = this.opts.rateLimitPerSecond ?? DEFAULT_RATE_PER_SECOND;
    return this.ctx.http({
      target: TARGET,
      baseUrl: this.baseUrl,
      headers: { 'x-amz-access-token': token },
      timeoutMs: this.opts.timeoutMs ?? DEFAULT_TIMEOUT_MS,
      secrets: [...this.secrets, token],
      ...(limited && perSecond > 0 ? { rateLimit: { key: this.rateKey, perSecond } } : {}),
    });
  }

  /** Sends with the current token; a refusal that may mean "expired" gets one fresh token and one retry. */
  private async send(req: HttpRequest, limited = false): Promise<{ res: HttpResponse; secrets: string[] }> {
    const token = await this.tokens.get();
    const res = await this.client(token, limited).send(req);
    if (!isAmazonTokenRefusal(res, this.opts.refreshOnForbidden ?? true)) return { res, secrets: [...this.secrets, token] };
    const fresh = await this.tokens.refresh(token);
    return { res: await this.client(fresh, limited).send(req), secrets: [...this.secrets, token, fresh] };
  }

  private ok(res: HttpResponse): boolean {
    return res.status >= 200 && res.status < 300;
  }

  private json(res: HttpResponse, what: string): unknown {
    const body = res.json();
    if (body === undefined) {
      throw new ExternalCallError('transient', 'upstream_unavailable', `Amazon answered ${what} with a body that is not JSON.`, { target: TARGET, httpStatus: res.status });
    }
    return body;
  }

  async verifyCredentials(): Promise<void> {
    // [G] getOrders for the last day, one result: read-only, cheap, and it needs the same
    // Inventory and Order Tracking role as confirmShipment (getMarketplaceParticipations does not).
    const now = (this.opts.now ?? (() => new Date()))();
    const { res, secrets } = await this.send({
      method: 'GET',
      path: ORDERS_PATH,
      searchParams: { MarketplaceIds: this.creds.marketplaceId, CreatedAfter: new Date(now.getTime() - 86_400_000).toISOString(), MaxResultsPerPage: 1 },
      timeoutMs: this.readTimeout,
    });
    if (!this.ok(res)) throw classifyAmazonResponse('verify', res, { secrets });
  }

  private async orderItems(orderId: string): Promise<Map<string, { ordered: number; shipped: number }>> {
    const { res, secrets } = await this.send({ method: 'GET', path: `${ORDERS_PATH}/${encodeURIComponent(orderId)}/orderItems`, timeoutMs: this.readTimeout });
    if (!this.ok(res)) throw classifyAmazonResponse('read', res, { orderId, secrets });
    return mapAmazonOrderItems(this.json(res, `getOrderItems for order ${orderId}`));
  }

  async hasTracking(orderId: string, _trackingNumber: string): Promise<boolean> {
    // Amazon shows quantities, not tracking numbers: only a fully shipped order is surely done.
    // False otherwise is safe: a resend edits the package of the same packageReferenceId.
    const { res, secrets } = await this.send({ method: 'GET', path: `${ORDERS_PATH}/${encodeURIComponent(orderId)}`, timeoutMs: this.readTimeout });
    if (!this.ok(res)) throw classifyAmazonResponse('read', res, { orderId, secrets });
    const body = this.json(res, `getOrder for order ${orderId}`) as { payload?: { OrderStatus?: unknown } };
    return body.payload?.OrderStatus === 'Shipped';
  }

  async uploadTracking(upload: TrackingUpload): Promise<UploadResult> {
    const body = buildAmazonShipmentConfirmation(upload, {
      marketplaceId: this.creds.marketplaceId,
      carrierCodes: this.opts.carrierCodes,
      otherCarrierName: this.opts.otherCarrierName,
      now: (this.opts.now ?? (() => new Date()))(),
      clockSkewMs: this.opts.clockSkewMs,
    });
    const pkg = body.packageDetail;
    const { res, secrets } = await this.send(
      {
        method: 'POST',
        path: `${ORDERS_PATH}/${encodeURIComponent(upload.orderId)}/shipmentConfirmation`,
        json: body,
        headers: { 'content-type': 'application/json' },
        timeoutMs: this.opts.timeoutMs ?? DEFAULT_TIMEOUT_MS,
      },
      true,
    );
    if (this.ok(res)) return { outcome: 'uploaded', fulfillmentId: pkg.packageReferenceId };
    if (isAmazonAlreadyFulfilled(res)) {
      const items = await this.orderItems(upload.orderId);
      if (pkg.orderItems.every((i) => (items.get(i.orderItemId)?.shipped ?? 0) >= (items.get(i.orderItemId)?.ordered ?? Infinity))) {
        return { outcome: 'already_uploaded', fulfillmentId: pkg.packageReferenceId };
      }
      throw new ExternalCallError(
        'permanent',
        'tracking_rejected',
        `Amazon answered as if order ${upload.orderId} were already fulfilled, but its items ${pkg.orderItems.map((i) => i.orderItemId).join(', ')} are not all shipped, so tracking ${pkg.trackingNumber} was not recorded. Check the order in Seller Central (Manage Orders).`,
        { target: TARGET, httpStatus: res.status, upstreamCode: amazonErrors(res.json())[0]?.code ?? String(res.status) },
      );
    }
    throw classifyAmazonResponse('upload', res, { orderId: upload.orderId, trackingNumber: pkg.trackingNumber, carrierCode: pkg.carrierCode, secrets });
  }
}

export function createAmazonAdapter(creds: AmazonCredentials, ctx: MarketplaceContext, opts: AmazonAdapterOptions = {}): MarketplaceAdapter {
  if (!ctx.tokens) {
    // The engine's token cache is what keeps a burst of uploads to one token request.
    throw new Error('The Amazon adapter needs ctx.tokens (an AccessTokenSource built on amazonModule.mintToken).');
  }
  return new AmazonAdapter(creds, ctx, ctx.tokens, opts);
}

const nonEmpty = (field: string) => z.string().trim().min(1, `${field} is required`).max(2000);

export const amazonModule: MarketplaceModule<AmazonCredentials> = {
  code: 'amazon',
  displayName: 'Amazon',
  productionBaseUrl: AMAZON_SP_API_PRODUCTION_URL,
  otherProductionUrls: [AMAZON_LWA_PRODUCTION_URL],
  credentialsSchema: z.object({
    clientId: nonEmpty('clientId'),
    clientSecret: nonEmpty('clientSecret'),
    refreshToken: nonEmpty('refreshToken'),
    marketplaceId: z.string().trim().regex(/^[A-Z0-9]{10,20}$/, 'marketplaceId must be an Amazon marketplace id such as ATVPDKIKX0DER'),
    authBaseUrl: z.string().url('authBaseUrl must be a URL').optional(),
  }),
  mask(creds) {
    return {
      clientId: creds.clientId,
      clientSecret: maskSecret(creds.clientSecret),
      refreshToken: maskSecret(creds.refreshToken),
      marketplaceId: creds.marketplaceId,
      ...(creds.authBaseUrl ? { authBaseUrl: creds.authBaseUrl } : {}),
    };
  },
  mintToken(creds, ctx) {
    return mintAmazonToken(creds, ctx, (ctx as AmazonAdapterContext).amazon ?? {});
  },
  create(creds, ctx) {
    return createAmazonAdapter(creds, ctx, (ctx as AmazonAdapterContext).amazon ?? {});
  },
};
