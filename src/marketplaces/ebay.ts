// eBay — Sell Fulfillment API v1 `createShippingFulfillment` adapter (tracking upload only).
// Reference: shared/reference/marketplace-apis.md §0, §1, §6, §7, §8.1.
//
// Idempotency:
// - POST /sell/fulfillment/v1/order/{orderId}/shipping_fulfillment has NO idempotency key. With
//   tracking, eBay makes the fulfillmentId the tracking number (§1.1 [C]), so sending the same
//   package twice collides: eBay answers 400 errorId 34500 ("Please use PUT operation…") or 409
//   (§1.4 [G]; both are handled). The adapter then reads back GET …/shipping_fulfillment
//   (hasTracking) and, when the tracking number is there, returns `already_uploaded` — a resend is
//   "done", never an error. If the read-back does not show it, the collision is something else and
//   the upload fails permanently (`tracking_rejected`) for a person to look at.
// - An ambiguous failure (timeout or reset after sending, 5xx such as 500/30500 on the POST) may
//   have committed the package. The engine calls hasTracking(orderId, trackingNumber) before it
//   re-sends; even a blind re-send is safe because it lands on the 34500/409 path above.
// - Reads (hasTracking, verifyCredentials) have no side effects.
import { createHash } from 'node:crypto';
import { z } from 'zod';
import { maskSecret } from '../crypto';
import { alphanumericTracking, type CanonicalCarrier } from '../carriers';
import { ExternalCallError, parseRetryAfter } from '../external-errors';
import { classifyCommonStatus, redact, resolveBaseUrl, type HttpClient, type HttpClientFactory, type HttpRequest, type HttpResponse } from '../http';
import { packageLines, packageTracking } from './package';
import type { AccessTokenSource, MarketplaceAdapter, MarketplaceContext, MarketplaceModule, MintedToken, TrackingUpload, UploadResult } from './types';

/**
 * Either the app's keys and the seller's refresh token (the engine mints ~2-hour user access tokens
 * from them, `mintToken`), or a static user access token (works until it expires, then the upload
 * waits for a person with `marketplace_reauthorization_required`).
 */
export type EbayCredentials = { clientId: string; clientSecret: string; refreshToken: string } | { accessToken: string };

/** The scope the refresh-token grant asks for (DESIGN.md v1.1). */
export const EBAY_TOKEN_SCOPE = 'https://api.ebay.com/oauth/api_scope/sell.fulfillment';
const TOKEN_PATH = '/identity/v1/oauth2/token';

/** Adapter options; every [G] of the reference that touches the client has a knob here. */
export interface EbayAdapterOptions {
  /**
   * Overrides of the canonical → eBay `ShippingCarrierCodeType` table (§6). OnTrac and LaserShip
   * are not in the known enum ([G], verify with GeteBayDetails) and default to `Other`; the
   * Trading WSDL lists `ONTRACK`, so `{ OnTrac: 'ONTRACK' }` is the likely fix. DHL Express can be
   * switched to `DHLEXPRESS` the same way.
   */
  carrierCodes?: Partial<Record<CanonicalCarrier, string>>;
  /** Per-request timeout for the upload (default 15 s) and for reads (defaults to timeoutMs). */
  timeoutMs?: number;
  readTimeoutMs?: number;
  /**
   * eBay rejects a future shippedDate (§8.1 [G] 32500). A distributor date later than
   * now − clockSkewMs is sent as now − clockSkewMs (default 60 s) so clock drift cannot refuse it.
   */
  clockSkewMs?: number;
  /**
   * The cheap read-only call for verifyCredentials. eBay documents none for this purpose; the
   * default is getOrders with limit=1 ([G]).
   */
  verifyPath?: string;
  verifySearchParams?: Record<string, string | number>;
  /** Client-side request cap (eBay quotas are daily and per app; none by default). */
  rateLimitPerSecond?: number;
  /** Injectable clock (tests). */
  now?: () => Date;
}

/** A context may carry eBay options (`{ ...ctx, ebay: { timeoutMs: 500 } }`). */
export interface EbayAdapterContext {
  baseUrl?: string;
  http: HttpClientFactory;
  ebay?: EbayAdapterOptions;
}

const TARGET = 'ebay';
const EBAY_WORDS = { target: TARGET, name: 'eBay', line: 'line item', order: 'order' };
const DEFAULT_TIMEOUT_MS = 15_000;
const DEFAULT_CLOCK_SKEW_MS = 60_000;
const ORDER_PATH = '/sell/fulfillment/v1/order';

// ---------------------------------------------------------------------------------------------
// Pure mapping functions.

/** §6: canonical carrier → eBay `shippingCarrierCode` (exact, case-sensitive enum spelling). */
export const EBAY_CARRIER_CODES: Record<CanonicalCarrier, string> = {
  UPS: 'UPS',
  USPS: 'USPS',
  FedEx: 'FedEx',
  FedExSmartPost: 'FedExSmartPost',
  UPSMailInnovations: 'UPSMailInnovations',
  DHLeCommerce: 'DHLGlobalMail',
  DHLExpress: 'DHL',
  OnTrac: 'Other', // [G] not in the known enum; configurable (ONTRACK?)
  LaserShip: 'Other', // [G] not in the known enum; configurable
  Other: 'Other',
};

export function ebayCarrierCode(
  carrier: CanonicalCarrier,
  overrides: Partial<Record<CanonicalCarrier, string>> = {},
): string {
  return overrides[carrier] ?? EBAY_CARRIER_CODES[carrier] ?? 'Other';
}

/** `YYYY-MM-DDTHH:MM:SS.SSSZ` UTC, never later than now − skew. Throws on an unparseable date. */
export function ebayShippedDate(shippedAt: string, now: Date = new Date(), clockSkewMs = DEFAULT_CLOCK_SKEW_MS): string {
  const t = Date.parse(shippedAt);
  if (Number.isNaN(t)) {
    throw new ExternalCallError(
      'permanent',
      'invalid_request',
      `The ship date "${shippedAt}" is not a valid date, so it cannot be sent to eBay.`,
      { target: TARGET },
    );
  }
  const latest = now.getTime() - clockSkewMs;
  return new Date(Math.min(t, latest)).toISOString();
}

export interface EbayFulfillmentBody {
  lineItems: { lineItemId: string; quantity: number }[];
  shippedDate: string;
  shippingCarrierCode: string;
  trackingNumber: string;
}

/**
 * The createShippingFulfillment body (§1.1). Tracking is stripped to letters and digits; lines
 * with the same lineItemId are merged (eBay refuses a repeated lineItemId with 32210).
 */
export function buildEbayFulfillment(
  upload: TrackingUpload,
  opts: { carrierCodes?: Partial<Record<CanonicalCarrier, string>>; now?: Date; clockSkewMs?: number } = {},
): EbayFulfillmentBody {
  const trackingNumber = packageTracking(upload, EBAY_WORDS);
  const merged = packageLines(upload, trackingNumber, EBAY_WORDS);
  return {
    lineItems: [...merged].map(([lineItemId, quantity]) => ({ lineItemId, quantity })),
    shippedDate: ebayShippedDate(upload.shippedAt, opts.now ?? new Date(), opts.clockSkewMs ?? DEFAULT_CLOCK_SKEW_MS),
    shippingCarrierCode: ebayCarrierCode(upload.carrier, opts.carrierCodes),
    trackingNumber,
  };
}

export interface EbayError {
  errorId?: number;
  domain?: string;
  category?: string;
  message?: string;
  longMessage?: string;
  parameters?: { name?: string; value?: string }[];
}

/** Error envelope `{errors:[{errorId, domain, category, message, longMessage?, parameters?}]}` (§1.4). */
export function ebayErrors(body: unknown): EbayError[] {
  const errs = (body as { errors?: unknown } | undefined)?.errors;
  if (!Array.isArray(errs)) return [];
  return errs
    .filter((e) => e && typeof e === 'object')
    .map((e: any) => ({
      errorId: e.errorId === undefined || e.errorId === null || Number.isNaN(Number(e.errorId)) ? undefined : Number(e.errorId),
      domain: typeof e.domain === 'string' ? e.domain : undefined,
      category: typeof e.category === 'string' ? e.category : undefined,
      message: typeof e.message === 'string' ? e.message : undefined,
      longMessage: typeof e.longMessage === 'string' ? e.longMessage : undefined,
      parameters: Array.isArray(e.parameters) ? e.parameters : undefined,
    }));
}

export interface EbayFulfillment {
  fulfillmentId: string;
  trackingNumber?: string;
  carrierCode?: string;
  shippedDate?: string;
  lineItems: { lineItemId: string; quantity?: number }[];
}

/** GET …/shipping_fulfillment body (`ShippingFulfillmentPagedCollection`) → fulfillments. */
export function mapEbayFulfillments(body: unknown): EbayFulfillment[] {
  const list = (body as { fulfillments?: unknown } | undefined)?.fulfillments;
  if (!Array.isArray(list)) return [];
  return list
    .filter((f) => f && typeof f === 'object')
    .map((f: any) => ({
      fulfillmentId: String(f.fulfillmentId ?? ''),
      trackingNumber: typeof f.shipmentTrackingNumber === 'string' ? f.shipmentTrackingNumber : undefined,
      carrierCode: typeof f.shippingCarrierCode === 'string' ? f.shippingCarrierCode : undefined,
      shippedDate: typeof f.shippedDate === 'string' ? f.shippedDate : undefined,
      lineItems: Array.isArray(f.lineItems)
        ? f.lineItems.map((l: any) => ({
            lineItemId: String(l?.lineItemId ?? ''),
            ...(l?.quantity !== undefined ? { quantity: Number(l.quantity) } : {}),
          }))
        : [],
    }));
}

/** True when a fulfillment carries this tracking number (letters and digits only, any case). */
export function fulfillmentsHaveTracking(fulfillments: EbayFulfillment[], trackingNumber: string): boolean {
  const want = alphanumericTracking(trackingNumber).toUpperCase();
  if (!want) return false;
  return fulfillments.some((f) => alphanumericTracking(f.trackingNumber ?? '').toUpperCase() === want);
}

/** The fulfillmentId at the end of the `Location` header, if any. */
export function fulfillmentIdFromLocation(location: string | string[] | undefined): string | undefined {
  const v = Array.isArray(location) ? location[0] : location;
  if (!v) return undefined;
  const m = v.split('?')[0].match(/\/shipping_fulfillment\/([^/]+)\/?$/);
  if (!m) return undefined;
  try {
    return decodeURIComponent(m[1]);
  } catch {
    return m[1];
  }
}

// ---------------------------------------------------------------------------------------------
// Error classification.

export type EbayStage = 'upload' | 'read' | 'verify';

/** Every non-2xx eBay answer → ExternalCallError (the 34500/409 read-back is in uploadTracking). */
export function classifyEbayResponse(
  stage: EbayStage,
  res: HttpResponse,
  ctx: { orderId?: string; trackingNumber?: string; carrierCode?: string; secrets?: string[] } = {},
): ExternalCallError {
  const errs = ebayErrors(res.json());
  const first = errs.find((e) => e.errorId !== undefined) ?? errs[0];
  const id = first?.errorId;
  const clean = (t: string) => redact(t, ctx.secrets ?? []);
  const text = clean(errs.map((e) => e.longMessage || e.message).filter(Boolean).join('; '));
  const details = {
    target: TARGET,
    httpStatus: res.status,
    upstreamCode: id !== undefined ? String(id) : String(res.status),
  };
  const order = ctx.orderId ? ` ${ctx.orderId}` : '';
  const isWrite = stage === 'upload';

  const common = classifyCommonStatus(TARGET, res, isWrite, parseRetryAfter(res.headers['retry-after']));
  if (common) {
    if (res.status === 429) {
      return new ExternalCallError(
        'transient',
        'throttled',
        `eBay is throttling requests (daily call quota or rate limit)${text ? `: ${text}` : ''}.`,
        { ...details, retryAfterMs: common.details.retryAfterMs },
      );
    }
    return new ExternalCallError(
      common.kind,
      'upstream_unavailable',
      `eBay answered ${res.status}${id !== undefined ? ` (error ${id})` : ''}${text ? `: ${text}` : ''}${
        isWrite ? '. The tracking may or may not have been recorded; it is looked up before re-sending.' : '.'
      }`,
      { ...details, retryAfterMs: common.details.retryAfterMs },
    );
  }
  if (res.status === 401) {
    return new ExternalCallError(
      'permanent',
      stage === 'verify' ? 'credentials_rejected' : 'marketplace_reauthorization_required',
      'eBay rejected the access token (401: invalid or expired). Reconnect the eBay account (PUT /v1/connections/marketplaces/ebay with clientId, clientSecret and refreshToken, so tokens are renewed automatically), then retry the uploads.',
      details,
    );
  }
  if (res.status === 403) {
    return new ExternalCallError(
      'permanent',
      'credentials_rejected',
      `eBay refused the access token's permissions (403${text ? `: ${text}` : ''}). The token needs the scope https://api.ebay.com/oauth/api_scope/sell.fulfillment; reconnect eBay and grant fulfillment access.`,
      details,
    );
  }
  if (stage === 'verify' && res.status === 404) {
    return new ExternalCallError(
      'permanent',
      'invalid_request',
      'eBay answered 404 to the credentials check; the connection base URL does not point at the eBay API.',
      details,
    );
  }
  if (res.status === 404 || id === 32100) {
    return new ExternalCallError(
      'permanent',
      'order_not_found',
      `eBay does not know order${order} for this seller account (${id ?? res.status}: ${text || 'Invalid Order Id'}). Check the eBay order id and that the connected eBay account is the one that sold it.`,
      details,
    );
  }
  switch (id) {
    case 32200:
      return new ExternalCallError(
        'permanent',
        'invalid_request',
        `eBay says a line item id on order${order} is invalid (32200: ${text || 'Invalid line item id'}). Check the eBay line item ids; note that eBay has returned this error for valid ids during its own incidents (Aug 2023), so alert support rather than drop the upload.`,
        details,
      );
    case 32210:
      return new ExternalCallError(
        'permanent',
        'invalid_request',
        `eBay refused the package for order${order}: the same line item appears twice (32210).`,
        details,
      );
    case 32300:
      return new ExternalCallError(
        'permanent',
        'tracking_rejected',
        `eBay rejected tracking number ${ctx.trackingNumber ?? '?'} with carrier code "${ctx.carrierCode ?? '?'}" for order${order} (32300: ${text || 'Invalid shipment tracking number or carrier'}). Check the tracking number and the carrier mapping for eBay.`,
        details,
      );
    case 32400:
      return new ExternalCallError(
        'permanent',
        'account_setup_required',
        `eBay says the seller account is suspended (32400), so it cannot accept tracking for order${order}. Resolve the suspension in eBay Seller Hub (Account > Account status) or with eBay customer service, then retry.`,
        details,
      );
    case 32500:
      return new ExternalCallError(
        'permanent',
        'invalid_request',
        `eBay rejected the ship date for order${order} (32500: ${text || 'Invalid shipped date'}).`,
        details,
      );
    case 32600:
      return new ExternalCallError(
        'permanent',
        'invalid_request',
        `eBay rejected the package for order${order} as invalid input (32600: ${text || 'Invalid input data'}); e.g. more units than were ordered.`,
        details,
      );
    case 34100:
      return new ExternalCallError(
        'permanent',
        'tracking_rejected',
        `eBay will not take another tracking number on order${order}: the maximum number of tracking numbers per order is reached (34100).`,
        details,
      );
    case 34200:
    case 34300:
      return new ExternalCallError(
        'permanent',
        'invalid_request',
        `eBay refused the package for order${order} under its Global Shipping Program rules (${id}: ${text}). GSP and non-GSP line items must ship separately, one GSP line per package.`,
        details,
      );
    default:
      return new ExternalCallError(
        'permanent',
        res.status === 409 ? 'tracking_rejected' : 'invalid_request',
        `eBay refused the request for order${order} (HTTP ${res.status}${id !== undefined ? `, error ${id}` : ''}${text ? `: ${text}` : ''}).`,
        details,
      );
  }
}

/** 400 errorId 34500 or any 409: "this fulfillment already exists" (§1.4 [G]). */
export function isEbayDuplicate(res: HttpResponse): boolean {
  if (res.status === 409) return true;
  return res.status === 400 && ebayErrors(res.json()).some((e) => e.errorId === 34500);
}

// ---------------------------------------------------------------------------------------------
// The adapter.

/** Every credential value, for redaction. */
function credentialValues(creds: EbayCredentials): string[] {
  return 'accessToken' in creds ? [creds.accessToken] : [creds.clientId, creds.clientSecret, creds.refreshToken];
}

/**
 * Mints a user access token with the refresh-token grant (§8.6). Idempotency: a token request has
 * no side effect but a new token; sending it twice yields two valid tokens.
 */
export async function mintEbayToken(
  creds: { clientId: string; clientSecret: string; refreshToken: string },
  ctx: { baseUrl?: string; http: HttpClientFactory },
): Promise<MintedToken> {
  const http = ctx.http({
    target: TARGET,
    baseUrl: resolveBaseUrl(ebayModule.productionBaseUrl, ctx.baseUrl),
    timeoutMs: DEFAULT_TIMEOUT_MS,
    secrets: credentialValues(creds),
  });
  const res = await http.send({
    method: 'POST',
    path: TOKEN_PATH,
    headers: { authorization: `Basic ${Buffer.from(`${creds.clientId}:${creds.clientSecret}`).toString('base64')}` },
    form: { grant_type: 'refresh_token', refresh_token: creds.refreshToken, scope: EBAY_TOKEN_SCOPE },
    secretResponse: true,
  });
  const body = res.json<{ access_token?: string; expires_in?: number; error?: string; error_description?: string }>();
  if (res.status >= 200 && res.status < 300 && body?.access_token) {
    return { accessToken: body.access_token, expiresInSeconds: Number(body.expires_in) || 7200 };
  }
  if (res.status === 400 || res.status === 401) {
    const why = redact([body?.error, body?.error_description].filter(Boolean).join(': '), credentialValues(creds));
    throw new ExternalCallError(
      'permanent',
      'marketplace_reauthorization_required',
      `eBay refused to renew the access token (${res.status}${why ? `: ${why}` : ''}): the refresh token was revoked or has expired, or the app keys changed. Reconnect the eBay account, then retry the uploads.`,
      { target: TARGET, httpStatus: res.status, upstreamCode: body?.error },
    );
  }
  const busy = classifyCommonStatus(TARGET, res, false, parseRetryAfter(res.headers['retry-after']));
  if (busy) throw busy;
  if (res.status >= 200 && res.status < 300) {
    throw new ExternalCallError('transient', 'upstream_unavailable', "eBay's token endpoint answered without a token.", { target: TARGET, httpStatus: res.status });
  }
  // Anything else (404, 405, …) is not eBay's token endpoint answering: retrying will not help.
  throw new ExternalCallError(
    'permanent',
    'invalid_request',
    `eBay's token endpoint answered HTTP ${res.status}; check that the connection's base URL points at eBay's API.`,
    { target: TARGET, httpStatus: res.status },
  );
}

class EbayAdapter implements MarketplaceAdapter {
  readonly code = 'ebay' as const;
  private readonly http: HttpClient;
  private readonly secrets: string[];
  private readonly token: () => Promise<string>;
  /** Minted tokens (refresh-token credentials); a static token has none. */
  private readonly tokens?: AccessTokenSource;

  constructor(
    creds: EbayCredentials,
    ctx: MarketplaceContext,
    private readonly opts: EbayAdapterOptions,
  ) {
    this.secrets = credentialValues(creds);
    const tokens = ctx.tokens;
    this.token = 'accessToken' in creds ? async () => creds.accessToken : () => tokens!.get();
    this.tokens = 'accessToken' in creds ? undefined : tokens;
    const account = 'accessToken' in creds ? creds.accessToken : creds.refreshToken;
    this.http = ctx.http({
      target: TARGET,
      baseUrl: resolveBaseUrl(ebayModule.productionBaseUrl, ctx.baseUrl),
      timeoutMs: opts.timeoutMs ?? DEFAULT_TIMEOUT_MS,
      secrets: this.secrets,
      ...(opts.rateLimitPerSecond
        ? { rateLimit: { key: `ebay:${createHash('sha256').update(account).digest('hex').slice(0, 16)}`, perSecond: opts.rateLimitPerSecond } }
        : {}),
    });
  }

  /**
   * Sends with the current access token. A 401 with a minted token means it expired early (or was
   * revoked): one fresh token, one retry. A static token that eBay refuses is for a person.
   */
  private async send(req: HttpRequest): Promise<HttpResponse> {
    const attempt = async (token: string) => {
      if (!this.secrets.includes(token)) this.secrets.push(token);
      return this.http.send({ ...req, headers: { ...req.headers, authorization: `Bearer ${token}` } });
    };
    const token = await this.token();
    const res = await attempt(token);
    if (res.status !== 401 || !this.tokens) return res;
    return attempt(await this.tokens.refresh(token));
  }

  private get readTimeout(): number {
    return this.opts.readTimeoutMs ?? this.opts.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  }

  private fulfillmentsPath(orderId: string): string {
    return `${ORDER_PATH}/${encodeURIComponent(orderId)}/shipping_fulfillment`;
  }

  async verifyCredentials(): Promise<void> {
    // [G] eBay documents no "who am I" call for this API; getOrders with limit=1 is read-only,
    // cheap, and needs the same fulfillment scope family.
    const res = await this.send({
      method: 'GET',
      path: this.opts.verifyPath ?? ORDER_PATH,
      searchParams: this.opts.verifySearchParams ?? { limit: 1 },
      timeoutMs: this.readTimeout,
    });
    if (res.status >= 200 && res.status < 300) return;
    throw classifyEbayResponse('verify', res, { secrets: this.secrets });
  }

  private async listFulfillments(orderId: string): Promise<EbayFulfillment[]> {
    const res = await this.send({ method: 'GET', path: this.fulfillmentsPath(orderId), timeoutMs: this.readTimeout });
    if (res.status < 200 || res.status >= 300) throw classifyEbayResponse('read', res, { orderId, secrets: this.secrets });
    const body = res.json();
    if (body === undefined) {
      throw new ExternalCallError(
        'transient',
        'upstream_unavailable',
        `eBay answered GET shipping_fulfillment for order ${orderId} with a body that is not JSON.`,
        { target: TARGET, httpStatus: res.status },
      );
    }
    return mapEbayFulfillments(body);
  }

  async hasTracking(orderId: string, trackingNumber: string): Promise<boolean> {
    return fulfillmentsHaveTracking(await this.listFulfillments(orderId), trackingNumber);
  }

  async uploadTracking(upload: TrackingUpload): Promise<UploadResult> {
    const body = buildEbayFulfillment(upload, {
      carrierCodes: this.opts.carrierCodes,
      now: (this.opts.now ?? (() => new Date()))(),
      clockSkewMs: this.opts.clockSkewMs,
    });
    const res = await this.send({
      method: 'POST',
      path: this.fulfillmentsPath(upload.orderId),
      json: body,
      headers: { 'content-type': 'application/json' },
      timeoutMs: this.opts.timeoutMs ?? DEFAULT_TIMEOUT_MS,
    });
    if (res.status >= 200 && res.status < 300) {
      return {
        outcome: 'uploaded',
        fulfillmentId: fulfillmentIdFromLocation(res.headers.location) ?? body.trackingNumber,
      };
    }
    if (isEbayDuplicate(res)) {
      // Same tracking already on the order (a resend): confirm with a read-back before calling it done.
      if (await this.hasTracking(upload.orderId, body.trackingNumber)) {
        return { outcome: 'already_uploaded', fulfillmentId: body.trackingNumber };
      }
      const errs = ebayErrors(res.json());
      const code = errs.find((e) => e.errorId !== undefined)?.errorId;
      throw new ExternalCallError(
        'permanent',
        'tracking_rejected',
        `eBay answered ${res.status}${code !== undefined ? ` (error ${code})` : ''} as if tracking ${body.trackingNumber} were already on order ${upload.orderId}, but the order's shipping fulfillments do not show it. Check the order in eBay Seller Hub.`,
        { target: TARGET, httpStatus: res.status, upstreamCode: code !== undefined ? String(code) : String(res.status) },
      );
    }
    throw classifyEbayResponse('upload', res, {
      orderId: upload.orderId,
      trackingNumber: body.trackingNumber,
      carrierCode: body.shippingCarrierCode,
      secrets: this.secrets,
    });
  }
}

export function createEbayAdapter(
  creds: EbayCredentials,
  ctx: MarketplaceContext,
  opts: EbayAdapterOptions = {},
): MarketplaceAdapter {
  return new EbayAdapter(creds, ctx, opts);
}

export const ebayModule: MarketplaceModule<EbayCredentials> = {
  code: 'ebay',
  displayName: 'eBay',
  productionBaseUrl: 'https://api.ebay.com',
  credentialsSchema: z.union([
    z.object({
      clientId: z.string().trim().min(1, 'clientId is required'),
      clientSecret: z.string().trim().min(1, 'clientSecret is required'),
      refreshToken: z.string().trim().min(1, 'refreshToken is required'),
    }),
    z.object({ accessToken: z.string().trim().min(1, 'accessToken is required') }),
  ]),
  mask(creds): Record<string, string> {
    return 'accessToken' in creds
      ? { accessToken: maskSecret(creds.accessToken) }
      : { clientId: maskSecret(creds.clientId), clientSecret: maskSecret(creds.clientSecret), refreshToken: maskSecret(creds.refreshToken) };
  },
  mintToken(creds, ctx) {
    if ('accessToken' in creds) return Promise.reject(new Error('a static eBay token is not minted'));
    return mintEbayToken(creds, ctx);
  },
  carriesToken: (creds) => 'accessToken' in creds,
  create(creds, ctx) {
    return createEbayAdapter(creds, ctx, (ctx as EbayAdapterContext).ebay ?? {});
  },
};
