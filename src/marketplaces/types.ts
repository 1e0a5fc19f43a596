// The one interface every marketplace adapter implements (tracking upload only).
import type { z } from 'zod';
import type { CanonicalCarrier } from '../carriers';
import type { HttpClientFactory } from '../http';

export const MARKETPLACE_CODES = ['ebay', 'amazon', 'walmart', 'shopify'] as const;
export type MarketplaceCode = (typeof MARKETPLACE_CODES)[number];

export interface TrackingUpload {
  /** The marketplace's order id (eBay orderId, Amazon orderId, Walmart purchaseOrderId, …). */
  orderId: string;
  lines: { marketplaceLineId: string; quantity: number }[];
  carrier: CanonicalCarrier;
  /** The distributor's service code, if any (some marketplaces want a method). */
  service?: string;
  /** The distributor's own carrier name, for a carrier outside the canonical list (`carrier: 'Other'`). */
  carrierName?: string;
  trackingNumber: string;
  /** ISO-8601 UTC. */
  shippedAt: string;
}

export interface UploadResult {
  /** `already_uploaded` when the marketplace already had this tracking number on the order. */
  outcome: 'uploaded' | 'already_uploaded';
  /** The marketplace's id of the fulfillment/package, if it gives one. */
  fulfillmentId?: string;
}

export interface MarketplaceAdapter {
  readonly code: MarketplaceCode;
  /** Cheap read-only call; throws ExternalCallError `credentials_rejected` when refused. */
  verifyCredentials(): Promise<void>;
  /** True when the marketplace already shows this tracking number on the order (read-back). */
  hasTracking(orderId: string, trackingNumber: string): Promise<boolean>;
  /** Uploads one package. A duplicate counts as done (`already_uploaded`), never as an error. */
  uploadTracking(upload: TrackingUpload): Promise<UploadResult>;
}

/** An access token a marketplace minted from a connection's long-lived credentials. */
export interface MintedToken {
  accessToken: string;
  /** Seconds until it expires, as the token endpoint said (`expires_in`). */
  expiresInSeconds: number;
}

/**
 * Where an adapter gets its access token. The engine caches minted tokens (sealed, in Postgres),
 * refreshes them ahead of expiry one process at a time, and mints again when the adapter reports a
 * token the marketplace refused as expired. Minting that the marketplace refuses (revoked or
 * expired refresh token, rotated client secret) throws the permanent ExternalCallError
 * `marketplace_reauthorization_required`.
 */
export interface AccessTokenSource {
  /** A token valid for a while yet. */
  get(): Promise<string>;
  /** `rejected` was refused as expired (401/403 that says so): a fresh token, minted at most once per rejected token. */
  refresh(rejected: string): Promise<string>;
}

export interface MarketplaceContext {
  /** Replaces scheme, host and port of the production URL (staging host or simulator). */
  baseUrl?: string;
  http: HttpClientFactory;
  /** Present when the module mints tokens (`mintToken`); the adapter must use it for every call. */
  tokens?: AccessTokenSource;
}

export interface MarketplaceModule<Creds = unknown> {
  code: MarketplaceCode;
  displayName: string;
  productionBaseUrl: string;
  /** Other documented hosts the module calls in production (Amazon's Login with Amazon token host). */
  otherProductionUrls?: string[];
  /** For APIs with a host per account (Shopify's `.myshopify.com`): the suffix production may call. */
  productionHostSuffix?: string;
  credentialsSchema: z.ZodType<Creds>;
  mask(creds: Creds): Record<string, string>;
  /**
   * Mints an access token from the credentials (refresh-token or client-credentials grant).
   * Absent when the credentials always carry the token used as it is (Shopify's offline token).
   * Refusal → permanent `marketplace_reauthorization_required`; a token endpoint that is down →
   * transient.
   */
  mintToken?(creds: Creds, ctx: Omit<MarketplaceContext, 'tokens'>): Promise<MintedToken>;
  /** True for credentials that carry their own access token although the module can mint (a static eBay token). */
  carriesToken?(creds: Creds): boolean;
  create(creds: Creds, ctx: MarketplaceContext): MarketplaceAdapter;
}
