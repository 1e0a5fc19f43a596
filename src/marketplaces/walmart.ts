// Walmart Marketplace (US) — Orders API "Ship order lines" adapter (tracking upload only).
// Reference: shared/reference/marketplace-apis.md §3, §6, §7, §8.3, §8.6; DESIGN.md v1.1.
//
// Auth: `POST /v3/token` (Basic clientId:clientSecret, form grant_type=client_credentials) mints a
// 15-minute access token (mintToken). The engine caches it; every call sends it as
// WM_SEC.ACCESS_TOKEN with a fresh WM_QOS.CORRELATION_ID and WM_SVC.NAME. A 401 means the token
// expired (or is from the other environment): the adapter asks for a fresh one once and repeats
// the call (nothing was committed by a 401).
//
// Idempotency:
// - POST /v3/orders/{purchaseOrderId}/shipping has NO idempotency key (WM_QOS.CORRELATION_ID is
//   for tracing only, §3.4 [S]). Shipping a line that is already shipped answers 400 with a
//   message nobody has documented ([G]). So on every 400 the adapter reads the order back
//   (GET /v3/orders/{po}, hasTracking) and, when the tracking number is already on it, returns
//   `already_uploaded`; otherwise the 400 is a refusal for a person.
// - An ambiguous failure (timeout or reset after sending, 5xx on the POST) may have committed the
//   package. The engine calls hasTracking before it re-sends; a blind re-send lands on the 400 +
//   read-back path above.
// - Minting a token and reads have no side effects.
import { createHash, randomUUID } from 'node:crypto';
import { z } from 'zod';
import { alphanumericTracking, type CanonicalCarrier } from '../carriers';
import { maskSecret } from '../crypto';
import { ExternalCallError, parseRetryAfter } from '../external-errors';
import { packageLines, packageTracking } from './package';
import { classifyCommonStatus, redact, resolveBaseUrl, type HttpClient, type HttpRequest, type HttpResponse } from '../http';
import type { AccessTokenSource, MarketplaceAdapter, MarketplaceContext, MarketplaceModule, MintedToken, TrackingUpload, UploadResult } from './types';

export interface WalmartCredentials {
  clientId: string;
  clientSecret: string;
}

export const WALMART_METHOD_CODES = ['Standard', 'Express', 'OneDay', 'Freight', 'WhiteGlove', 'Value'] as const;
export type WalmartMethodCode = (typeof WALMART_METHOD_CODES)[number];

/** Adapter options; every [G] of the reference that touches the client has a knob here. */
export interface WalmartAdapterOptions {
  /** Overrides of the canonical → Walmart `carrierName.carrier` table (§6). */
  carrierCodes?: Partial<Record<CanonicalCarrier, string>>;
  /** `otherCarrier` sent for a carrier not on Walmart's list (default "Other") [G]. */
  otherCarrierName?: string;
  /**
   * Walmart requires a `trackingURL` with `otherCarrier`. `{trackingNumber}` is replaced by the
   * number. Without a template a package from an unlisted carrier is refused before sending.
   */
  trackingUrlTemplate?: string;
  /** Overrides of the distributor service → `methodCode` guess (keys as the distributor spells them, any case). */
  methodCodes?: Record<string, WalmartMethodCode>;
  /** `methodCode` when the service says nothing (default Standard) [G]. */
  defaultMethodCode?: WalmartMethodCode;
  /** `sellerOrderId` is marked required in the OpenAPI (≤ 30 chars); sent as the purchase order id unless turned off [G]. */
  sendSellerOrderId?: boolean;
  /** `WM_CONSUMER.CHANNEL.TYPE`, given to solution providers by Walmart (optional header). */
  channelType?: string;
  /** `WM_SVC.NAME` (default "Walmart Marketplace"). */
  serviceName?: string;
  /** Per-request timeout for the upload (default 15 s) and for reads (defaults to timeoutMs). */
  timeoutMs?: number;
  readTimeoutMs?: number;
  /** The cheap read for verifyCredentials (default GET /v3/orders?limit=1) [G]. */
  verifyPath?: string;
  verifySearchParams?: Record<string, string | number>;
  /** Client-side request cap per seller (Walmart publishes no number for Ship order lines; none by default). */
  rateLimitPerSecond?: number;
  /** Injectable clock (tests): for the replenish header. */
  now?: () => Date;
}

/** A context may carry Walmart options (`{ ...ctx, walmart: { timeoutMs: 500 } }`). */
export interface WalmartAdapterContext extends MarketplaceContext {
  walmart?: WalmartAdapterOptions;
}

const TARGET = 'walmart';
const WALMART_WORDS = { target: TARGET, name: 'Walmart', line: 'order line', order: 'purchase order' };
const DEFAULT_TIMEOUT_MS = 15_000;
const DEFAULT_SERVICE_NAME = 'Walmart Marketplace';
const TOKEN_PATH = '/v3/token';
const ORDERS_PATH = '/v3/orders';

// ---------------------------------------------------------------------------------------------
// Pure mapping functions.

/** §3.2/§6: canonical carrier → Walmart `carrier` code (exact spelling); undefined = the otherCarrier path. */
export const WALMART_CARRIER_CODES: Record<CanonicalCarrier, string | undefined> = {
  UPS: 'UPS',
  USPS: 'USPS',
  FedEx: 'FedEx',
  FedExSmartPost: 'FEDEXSP',
  UPSMailInnovations: 'UPSMI',
  DHLeCommerce: 'DHL Ecommerce - US',
  DHLExpress: 'DHL',
  OnTrac: 'OnTrac',
  LaserShip: 'LS',
  Other: undefined,
};

export type WalmartCarrierName = { carrier: string } | { otherCarrier: string };

export function walmartCarrierName(
  carrier: CanonicalCarrier,
  opts: { carrierCodes?: Partial<Record<CanonicalCarrier, string>>; otherCarrierName?: string } = {},
  distributorCarrierName?: string,
): WalmartCarrierName {
  const code = opts.carrierCodes?.[carrier] ?? WALMART_CARRIER_CODES[carrier];
  return code ? { carrier: code } : { otherCarrier: distributorCarrierName?.trim() || opts.otherCarrierName || 'Other' };
}

/**
 * Distributor service → Walmart service level (§6 rule 3). `methodCode` is a service level, not
 * the carrier's service name ("Ground" is refused). [G] the keyword table; overrides win.
 */
export function walmartMethodCode(
  service: string | undefined,
  opts: { methodCodes?: Record<string, WalmartMethodCode>; defaultMethodCode?: WalmartMethodCode } = {},
): WalmartMethodCode {
  const fallback = opts.defaultMethodCode ?? 'Standard';
  if (!service) return fallback;
  const key = service.toUpperCase().replace(/[^A-Z0-9]/g, '');
  for (const [name, code] of Object.entries(opts.methodCodes ?? {})) {
    if (name.toUpperCase().replace(/[^A-Z0-9]/g, '') === key) return code;
  }
  if (/FREIGHT|LTL/.test(key)) return 'Freight';
  if (/WHITEGLOVE/.test(key)) return 'WhiteGlove';
  if (/NEXTDAY|OVERNIGHT|1DAY|ONEDAY/.test(key)) return 'OneDay';
  if (/2DAY|2ND|SECONDDAY|3DAY|EXPRESS|EXPEDITED|AIR/.test(key)) return 'Express';
  return fallback;
}

/** Epoch milliseconds (Walmart's `shipDateTime`, int64). Throws on an unparseable date. */
export function walmartShipDateTime(shippedAt: string): number {
  const t = Date.parse(shippedAt);
  if (Number.isNaN(t)) {
    throw new ExternalCallError(
      'permanent',
      'invalid_request',
      `The ship date "${shippedAt}" is not a valid date, so it cannot be sent to Walmart.`,
      { target: TARGET },
    );
  }
  return t;
}

export interface WalmartTrackingInfo {
  shipDateTime: number;
  carrierName: WalmartCarrierName;
  methodCode: WalmartMethodCode;
  trackingNumber: string;
  trackingURL?: string;
}

export interface WalmartShipmentBody {
  orderShipment: {
    orderLines: {
      orderLine: {
        lineNumber: string;
        sellerOrderId?: string;
        orderLineStatuses: {
          orderLineStatus: {
            status: 'Shipped';
            statusQuantity: { unitOfMeasurement: 'EACH'; amount: string };
            trackingInfo: WalmartTrackingInfo;
          }[];
        };
      }[];
    };
  };
}

/**
 * The Ship order lines body (§3.1) for one package: each line with the units in this package.
 * Tracking is stripped to letters and digits; lines with the same lineNumber are merged.
 */
export function buildWalmartShipment(upload: TrackingUpload, opts: WalmartAdapterOptions = {}): WalmartShipmentBody {
  const trackingNumber = packageTracking(upload, WALMART_WORDS);
  const merged = packageLines(upload, trackingNumber, WALMART_WORDS);
  const carrierName = walmartCarrierName(upload.carrier, opts, upload.carrierName);
  let trackingURL: string | undefined;
  if ('otherCarrier' in carrierName) {
    if (!opts.trackingUrlTemplate) {
      throw new ExternalCallError(
        'permanent',
        'tracking_rejected',
        `The carrier of tracking ${trackingNumber} is not on Walmart's supported carrier list, and Walmart then requires a tracking URL, which this connection has none of. Upload the tracking in Walmart Seller Center with the carrier's tracking link, or configure a tracking URL template for Walmart.`,
        { target: TARGET },
      );
    }
    trackingURL = opts.trackingUrlTemplate.split('{trackingNumber}').join(encodeURIComponent(trackingNumber));
  }
  const trackingInfo: WalmartTrackingInfo = {
    shipDateTime: walmartShipDateTime(upload.shippedAt),
    carrierName,
    methodCode: walmartMethodCode(upload.service, opts),
    trackingNumber,
    ...(trackingURL ? { trackingURL } : {}),
  };
  const sellerOrderId = opts.sendSellerOrderId === false ? undefined : upload.orderId.slice(0, 30);
  return {
    orderShipment: {
      orderLines: {
        orderLine: [...merged].map(([lineNumber, quantity]) => ({
          lineNumber,
          ...(sellerOrderId ? { sellerOrderId } : {}),
          orderLineStatuses: {
            orderLineStatus: [{ status: 'Shipped', statusQuantity: { unitOfMeasurement: 'EACH', amount: String(quantity) }, trackingInfo }],
          },
        })),
      },
    },
  };
}

export interface WalmartError {
  code?: string;
  field?: string;
  description?: string;
  info?: string;
}

/**
 * Error envelope `{errors:{error:[{code, field, description, info, severity, category}]}}` (§3.4);
 * also `{errors:[…]}` and the gateway's `{error:[…]}` [G].
 */
export function walmartErrors(body: unknown): WalmartError[] {
  const b = body as { errors?: unknown; error?: unknown } | undefined;
  const list = Array.isArray(b?.errors) ? b.errors : Array.isArray(b?.error) ? b.error : (b?.errors as { error?: unknown } | undefined)?.error;
  if (!Array.isArray(list)) return [];
  const str = (v: unknown) => (typeof v === 'string' && v !== '' ? v : undefined);
  return list
    .filter((e) => e && typeof e === 'object')
    .map((e: any) => ({ code: str(e.code), field: str(e.field), description: str(e.description), info: str(e.info) }));
}

export interface WalmartShippedPackage {
  lineNumber: string;
  quantity: number;
  trackingNumber: string;
  carrier?: string;
}

/** GET /v3/orders/{po} body → every Shipped status entry that carries tracking. */
export function walmartShippedPackages(body: unknown): WalmartShippedPackage[] {
  const lines = (body as any)?.order?.orderLines?.orderLine;
  if (!Array.isArray(lines)) return [];
  const out: WalmartShippedPackage[] = [];
  for (const line of lines) {
    const statuses = line?.orderLineStatuses?.orderLineStatus;
    if (!Array.isArray(statuses)) continue;
    for (const s of statuses) {
      const tn = s?.trackingInfo?.trackingNumber;
      if (typeof tn !== 'string' || tn === '') continue;
      const c = s.trackingInfo.carrierName;
      out.push({
        lineNumber: String(line.lineNumber ?? ''),
        quantity: Number(s.statusQuantity?.amount ?? 0),
        trackingNumber: tn,
        ...(c?.carrier || c?.otherCarrier ? { carrier: String(c.carrier ?? c.otherCarrier) } : {}),
      });
    }
  }
  return out;
}

/** True when a shipped entry carries this tracking number (letters and digits only, any case). */
export function packagesHaveTracking(packages: WalmartShippedPackage[], trackingNumber: string): boolean {
  const want = alphanumericTracking(trackingNumber).toUpperCase();
  if (!want) return false;
  return packages.some((p) => alphanumericTracking(p.trackingNumber).toUpperCase() === want);
}

/**
 * Walmart's throttle wait: Retry-After if sent, else `x-next-replenish-time` /
 * `x-next-replenishment-time` (epoch milliseconds, §3.4 [S]).
 */
export function walmartRetryAfterMs(headers: HttpResponse['headers'], now: number = Date.now()): number | undefined {
  const retryAfter = parseRetryAfter(headers['retry-after'], now);
  if (retryAfter !== undefined) return retryAfter;
  const raw = headers['x-next-replenish-time'] ?? headers['x-next-replenishment-time'];
  const at = Number(Array.isArray(raw) ? raw[0] : raw);
  if (!raw || !Number.isFinite(at)) return undefined;
  return Math.max(0, at - now);
}

// ---------------------------------------------------------------------------------------------
// Error classification.

export type WalmartStage = 'upload' | 'read' | 'verify';

const TRACKING_FIELDS = /carrier|tracking/i;

/** Every non-2xx Walmart answer → ExternalCallError (the 401 refresh and the 400 read-back are in the adapter). */
export function classifyWalmartResponse(
  stage: WalmartStage,
  res: HttpResponse,
  ctx: { orderId?: string; trackingNumber?: string; secrets?: string[]; now?: number } = {},
): ExternalCallError {
  const errs = walmartErrors(res.json());
  const first = errs[0];
  const text = redact(
    errs
      .map((e) => e.description ?? e.info)
      .filter(Boolean)
      .join('; '),
    ctx.secrets ?? [],
  );
  const details = { target: TARGET, httpStatus: res.status, upstreamCode: first?.code ?? String(res.status) };
  const po = ctx.orderId ? ` ${ctx.orderId}` : '';
  const isWrite = stage === 'upload';
  const retryAfterMs = walmartRetryAfterMs(res.headers, ctx.now);

  const common = classifyCommonStatus(TARGET, res, isWrite, retryAfterMs);
  if (common) {
    if (res.status === 429) {
      return new ExternalCallError('transient', 'throttled', `Walmart is throttling requests (its per-API token bucket is empty)${text ? `: ${text}` : ''}.`, {
        ...details,
        retryAfterMs,
      });
    }
    return new ExternalCallError(
      common.kind,
      'upstream_unavailable',
      `Walmart answered ${res.status}${text ? `: ${text}` : ''}${
        isWrite ? '. The tracking may or may not have been recorded; it is looked up before re-sending.' : '.'
      }`,
      { ...details, retryAfterMs },
    );
  }
  if (res.status === 401) {
    return new ExternalCallError(
      'permanent',
      'credentials_rejected',
      'Walmart refused a freshly minted access token (401). The Client ID and Client Secret may belong to the other Walmart environment (sandbox or production); reconnect Walmart with production API keys from the Walmart Developer Portal.',
      details,
    );
  }
  if (res.status === 403) {
    return new ExternalCallError(
      'permanent',
      'credentials_rejected',
      `Walmart refused access (403${text ? `: ${text}` : ''}). The API key needs the Orders permission with full access; change it in the Walmart Developer Portal (API Key Management), then retry.`,
      details,
    );
  }
  if (stage === 'verify' && res.status === 404) {
    return new ExternalCallError(
      'permanent',
      'invalid_request',
      'Walmart answered 404 to the credentials check; the connection base URL does not point at the Walmart Marketplace API.',
      details,
    );
  }
  if (res.status === 404) {
    return new ExternalCallError(
      'permanent',
      'order_not_found',
      `Walmart does not know purchase order${po} for this seller account${text ? ` (${text})` : ''}. Check the Walmart purchaseOrderId (not the customer order id) and that the connected account is the one that sold it.`,
      details,
    );
  }
  if (res.status === 413) {
    return new ExternalCallError('permanent', 'invalid_request', `Walmart refused the request for purchase order${po} as too large (413).`, details);
  }
  if (first?.field && TRACKING_FIELDS.test(first.field)) {
    return new ExternalCallError(
      'permanent',
      'tracking_rejected',
      `Walmart rejected tracking ${ctx.trackingNumber ?? '?'} for purchase order${po} (${first.field}: ${text || 'invalid'}). Check the tracking number and the carrier mapping for Walmart.`,
      details,
    );
  }
  return new ExternalCallError(
    'permanent',
    'invalid_request',
    `Walmart refused the shipping update for purchase order${po} (HTTP ${res.status}${first?.field ? `, field ${first.field}` : ''}${text ? `: ${text}` : ''}).`,
    details,
  );
}

// ---------------------------------------------------------------------------------------------
// Tokens.

function basicAuth(creds: WalmartCredentials): string {
  return `Basic ${Buffer.from(`${creds.clientId}:${creds.clientSecret}`).toString('base64')}`;
}

function credentialSecrets(creds: WalmartCredentials): string[] {
  return [creds.clientId, creds.clientSecret, basicAuth(creds).slice('Basic '.length)];
}

/** Client-credentials grant (§3.1, §8.6). A refusal needs the dealer; anything else is retried. */
export async function mintWalmartToken(
  creds: WalmartCredentials,
  ctx: Omit<MarketplaceContext, 'tokens'>,
  opts: Pick<WalmartAdapterOptions, 'serviceName' | 'channelType' | 'timeoutMs'> = {},
): Promise<MintedToken> {
  const secrets = credentialSecrets(creds);
  const http = ctx.http({
    target: TARGET,
    baseUrl: resolveBaseUrl(walmartModule.productionBaseUrl, ctx.baseUrl),
    timeoutMs: opts.timeoutMs ?? DEFAULT_TIMEOUT_MS,
    secrets,
  });
  let res: HttpResponse;
  try {
    res = await http.send({
      method: 'POST',
      path: TOKEN_PATH,
      form: { grant_type: 'client_credentials' },
      secretResponse: true,
      headers: { authorization: basicAuth(creds), ...serviceHeaders(opts) },
    });
  } catch (e) {
    // Minting commits nothing: a lost answer is simply asked again.
    if (e instanceof ExternalCallError && e.kind === 'ambiguous') throw new ExternalCallError('transient', e.code, e.message, e.details);
    throw e;
  }
  const body = res.json<{ access_token?: unknown; expires_in?: unknown; error?: unknown; error_description?: unknown }>();
  if (res.status >= 200 && res.status < 300) {
    const token = body?.access_token;
    const expires = Number(body?.expires_in);
    if (typeof token !== 'string' || token === '' || !Number.isFinite(expires) || expires <= 0) {
      throw new ExternalCallError('transient', 'upstream_unavailable', 'Walmart answered the token request without an access token and its lifetime.', {
        target: TARGET,
        httpStatus: res.status,
      });
    }
    return { accessToken: token, expiresInSeconds: expires };
  }
  if (res.status === 400 || res.status === 401 || res.status === 403) {
    const reason = typeof body?.error === 'string' ? body.error : walmartErrors(body)[0]?.code;
    throw new ExternalCallError(
      'permanent',
      'marketplace_reauthorization_required',
      `Walmart refused to issue an access token (${res.status}${reason ? ` ${redact(reason, secrets)}` : ''}): the Client ID or Client Secret is no longer valid, for example after the secret was reset in the Walmart Developer Portal. Reconnect Walmart with the current Client ID and Client Secret, then retry the uploads.`,
      { target: TARGET, httpStatus: res.status, upstreamCode: reason ?? String(res.status) },
    );
  }
  const busy = classifyCommonStatus(TARGET, res, false, parseRetryAfter(res.headers['retry-after']));
  if (busy) throw new ExternalCallError('transient', busy.code, `Walmart's token endpoint answered ${res.status}; a new token could not be minted yet.`, busy.details);
  // Anything else (404, 405, …) is not Walmart's token endpoint answering: retrying will not help.
  throw new ExternalCallError(
    'permanent',
    'invalid_request',
    `Walmart's token endpoint answered HTTP ${res.status}; check that the connection's base URL points at Walmart's API.`,
    { target: TARGET, httpStatus: res.status },
  );
}

function serviceHeaders(opts: Pick<WalmartAdapterOptions, 'serviceName' | 'channelType'>): Record<string, string> {
  return {
    'WM_SVC.NAME': opts.serviceName ?? DEFAULT_SERVICE_NAME,
    'WM_QOS.CORRELATION_ID': randomUUID(),
    ...(opts.channelType ? { 'WM_CONSUMER.CHANNEL.TYPE': opts.channelType } : {}),
  };
}

/** Without the engine's cache (e.g. a one-off check): mint on first use, again when refused. */
function ownTokenSource(mint: () => Promise<MintedToken>): AccessTokenSource {
  let current: Promise<string> | undefined;
  const next = () => (current = mint().then((t) => t.accessToken));
  return {
    get: () => current ?? next(),
    refresh: async (rejected) => ((await current) === rejected ? next() : current!),
  };
}

// ---------------------------------------------------------------------------------------------
// The adapter.

class WalmartAdapter implements MarketplaceAdapter {
  readonly code = 'walmart' as const;
  private readonly baseUrl: string;
  private readonly tokens: AccessTokenSource;
  private readonly secrets: string[];

  constructor(
    private readonly creds: WalmartCredentials,
    private readonly ctx: MarketplaceContext,
    private readonly opts: WalmartAdapterOptions,
  ) {
    this.baseUrl = resolveBaseUrl(walmartModule.productionBaseUrl, ctx.baseUrl);
    this.secrets = credentialSecrets(creds);
    this.tokens = ctx.tokens ?? ownTokenSource(() => mintWalmartToken(creds, ctx, opts));
  }

  private client(token: string): HttpClient {
    return this.ctx.http({
      target: TARGET,
      baseUrl: this.baseUrl,
      timeoutMs: this.opts.timeoutMs ?? DEFAULT_TIMEOUT_MS,
      secrets: [...this.secrets, token],
      ...(this.opts.rateLimitPerSecond
        ? {
            rateLimit: {
              key: `walmart:${createHash('sha256').update(this.creds.clientId).digest('hex').slice(0, 16)}`,
              perSecond: this.opts.rateLimitPerSecond,
            },
          }
        : {}),
    });
  }

  /** One call with the current token; on 401 (expired) once more with a fresh one. */
  private async send(req: HttpRequest): Promise<{ res: HttpResponse; token: string }> {
    const attempt = async (token: string) => {
      const res = await this.client(token).send({
        ...req,
        headers: { 'WM_SEC.ACCESS_TOKEN': token, ...serviceHeaders(this.opts), ...req.headers },
      });
      return { res, token };
    };
    const first = await attempt(await this.tokens.get());
    if (first.res.status !== 401) return first;
    return attempt(await this.tokens.refresh(first.token));
  }

  private get readTimeout(): number {
    return this.opts.readTimeoutMs ?? this.opts.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  }

  private now(): number {
    return (this.opts.now ?? (() => new Date()))().getTime();
  }

  private orderPath(orderId: string): string {
    return `${ORDERS_PATH}/${encodeURIComponent(orderId)}`;
  }

  async verifyCredentials(): Promise<void> {
    try {
      // [G] no "who am I" call; listing one order is read-only and needs the Orders permission.
      const { res, token } = await this.send({
        method: 'GET',
        path: this.opts.verifyPath ?? ORDERS_PATH,
        searchParams: this.opts.verifySearchParams ?? { limit: 1 },
        timeoutMs: this.readTimeout,
      });
      if (res.status >= 200 && res.status < 300) return;
      throw classifyWalmartResponse('verify', res, { secrets: [...this.secrets, token], now: this.now() });
    } catch (e) {
      // Keys refused while the dealer connects are wrong keys, not a connection that lapsed.
      if (e instanceof ExternalCallError && e.code === 'marketplace_reauthorization_required') {
        throw new ExternalCallError('permanent', 'credentials_rejected', e.message, e.details);
      }
      throw e;
    }
  }

  private async shippedPackages(orderId: string): Promise<WalmartShippedPackage[]> {
    const { res, token } = await this.send({ method: 'GET', path: this.orderPath(orderId), timeoutMs: this.readTimeout });
    if (res.status < 200 || res.status >= 300) {
      throw classifyWalmartResponse('read', res, { orderId, secrets: [...this.secrets, token], now: this.now() });
    }
    const body = res.json();
    if (body === undefined) {
      throw new ExternalCallError('transient', 'upstream_unavailable', `Walmart answered GET order ${orderId} with a body that is not JSON.`, {
        target: TARGET,
        httpStatus: res.status,
      });
    }
    return walmartShippedPackages(body);
  }

  async hasTracking(orderId: string, trackingNumber: string): Promise<boolean> {
    return packagesHaveTracking(await this.shippedPackages(orderId), trackingNumber);
  }

  async uploadTracking(upload: TrackingUpload): Promise<UploadResult> {
    const body = buildWalmartShipment(upload, this.opts);
    const trackingNumber = alphanumericTracking(upload.trackingNumber);
    const { res, token } = await this.send({
      method: 'POST',
      path: `${this.orderPath(upload.orderId)}/shipping`,
      json: body,
      headers: { 'content-type': 'application/json' },
      timeoutMs: this.opts.timeoutMs ?? DEFAULT_TIMEOUT_MS,
    });
    if (res.status >= 200 && res.status < 300) return { outcome: 'uploaded' };
    // Walmart's answer to a line shipped before is an undocumented 400: the order itself says.
    if (res.status === 400 && (await this.hasTracking(upload.orderId, trackingNumber))) return { outcome: 'already_uploaded' };
    throw classifyWalmartResponse('upload', res, { orderId: upload.orderId, trackingNumber, secrets: [...this.secrets, token], now: this.now() });
  }
}

const credentialsSchema = z.object({
  clientId: z.string().trim().min(1, 'clientId is required'),
  clientSecret: z.string().trim().min(1, 'clientSecret is required'),
});

export const walmartModule: MarketplaceModule<WalmartCredentials> = {
  code: 'walmart',
  displayName: 'Walmart',
  productionBaseUrl: 'https://marketplace.walmartapis.com',
  credentialsSchema,
  mask(creds) {
    return { clientId: maskSecret(creds.clientId), clientSecret: maskSecret(creds.clientSecret) };
  },
  mintToken(creds, ctx) {
    return mintWalmartToken(creds, ctx, (ctx as WalmartAdapterContext).walmart ?? {});
  },
  create(creds, ctx) {
    return new WalmartAdapter(creds, ctx, (ctx as WalmartAdapterContext).walmart ?? {});
  },
};
