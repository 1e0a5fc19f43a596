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

export interface MarketplaceModule<Creds = unknown> {
  code: MarketplaceCode;
  displayName: string;
  productionBaseUrl: string;
  credentialsSchema: z.ZodType<Creds>;
  mask(creds: Creds): Record<string, string>;
  create(creds: Creds, ctx: { baseUrl?: string; http: HttpClientFactory }): MarketplaceAdapter;
}
