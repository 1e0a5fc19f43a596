// The one interface every distributor adapter implements. The workflow and activities only
// ever see these types; everything distributor-specific stays inside the adapter module.
import type { z } from 'zod';
import type { CanonicalCarrier } from '../carriers';
import type { HttpClientFactory } from '../http';
import type { UrlPolicy } from '../outbound';

export const DISTRIBUTOR_CODES = ['wps', 'parts-unlimited', 'tucker-rocky', 'automatic'] as const;
export type DistributorCode = (typeof DISTRIBUTOR_CODES)[number];

export interface ShipTo {
  name: string;
  company?: string;
  address1: string;
  address2?: string;
  city: string;
  state: string;
  postalCode: string;
  country: string;
  phone?: string;
  email?: string;
}

export interface PurchaseOrderLine {
  lineId: string;
  distributorSku: string;
  quantity: number;
}

export interface PurchaseOrderRequest {
  poNumber: string;
  shipTo: ShipTo;
  lines: PurchaseOrderLine[];
}

export interface PlacedOrder {
  /** The distributor's own order/reference number (WPS order_number, PU reference_number, …). */
  distributorOrderId: string;
}

export interface DistributorShipment {
  /** Alphanumeric tracking (or, for freight, the PRO number kept in freightNumber). */
  trackingNumber: string;
  carrier: CanonicalCarrier;
  /** The distributor's own service code, e.g. WPS `UP2D`. */
  service?: string;
  /** ISO-8601 UTC. */
  shippedAt: string;
  /** Which distributor SKUs (and how many) travel under this tracking number. Empty = unknown. */
  lines: { distributorSku: string; quantity: number }[];
  /** Where the distributor shipped it from, if it says so. */
  warehouse?: string;
  freightNumber?: string;
}

export interface FoundOrder {
  distributorOrderId: string;
  /** The distributor's status words, joined; informational only. */
  status: string;
  shipments: DistributorShipment[];
}

/** One PO a batched tracking read (findOrders) asks about. */
export interface OrderToRead {
  poNumber: string;
  /** The distributor's own number placeOrder returned, when known (Tucker reads by it only). */
  distributorOrderId?: string;
  /** ISO-8601 UTC time the PO was placed: bounds the date window of list-based reads. */
  placedAt: string;
}

const DAY_MS = 86_400_000;

/**
 * The order-date window a list read must cover to see every PO in `orders`: from a day before the
 * earliest placedAt to a day after `now`, because distributors date orders in their own time zone.
 * A placedAt that does not parse is ignored (that PO may then be absent from the answer, which a
 * findOrders caller already treats as "read it with findOrder").
 */
export function orderDateWindow(orders: Pick<OrderToRead, 'placedAt'>[], now: Date): { from: Date; to: Date } {
  const placed = orders.map((o) => Date.parse(o.placedAt)).filter((t) => Number.isFinite(t));
  const earliest = Math.min(now.getTime(), ...placed);
  return { from: new Date(earliest - DAY_MS), to: new Date(now.getTime() + DAY_MS) };
}

export interface StockLevel {
  distributorSku: string;
  /** False when the distributor says the item cannot be ordered (discontinued, NLA, …). */
  orderable: boolean;
  warehouses: { code: string; quantity: number }[];
}

/** Field limits checked before an order is sent (pre-flight), in the distributor's own terms. */
export interface DistributorLimits {
  poNumberMaxLength: number;
  /** Allowed PO characters. */
  poNumberPattern: RegExp;
  nameMaxLength?: number;
  address1MaxLength?: number;
  address2MaxLength?: number;
  cityMaxLength?: number;
  stateLength?: number;
  postalCodeMaxLength?: number;
  phoneMaxLength?: number;
  emailMaxLength?: number;
}

/** What every adapter method may rely on from its surroundings. */
export interface AdapterContext {
  /** Replaces scheme, host and port of the production URL (staging host or simulator). */
  baseUrl?: string;
  http: HttpClientFactory;
  /**
   * The dealer's request budget for this account (the connection's `requestsPerSecond`); absent =
   * the module's `defaultRequestsPerSecond`. The adapter puts it in its client's `rateLimit`.
   */
  requestsPerSecond?: number;
}

export interface DistributorAdapter {
  readonly code: DistributorCode;
  /** Cheap read-only call; throws DistributorError code `credentials_rejected` when refused. */
  verifyCredentials(): Promise<void>;
  /**
   * Looks the PO up at the distributor. Returns null only when the distributor positively says
   * it has no order under this PO. Used after an ambiguous failure and to pull tracking.
   */
  findOrder(poNumber: string, hint?: { distributorOrderId?: string }): Promise<FoundOrder | null>;
  /**
   * Reads many POs in as few calls as the API allows (each module says how many, and its limits),
   * keyed by poNumber. A PO missing from the map is not known to have changed, never a positive
   * "no order" (unlike findOrder's null): the caller reads it with findOrder when it must know.
   * Present only where the distributor can list orders or take many order numbers in one call.
   */
  findOrders?(orders: OrderToRead[]): Promise<Map<string, FoundOrder>>;
  /**
   * How many POs findOrders puts in one upstream call (it splits larger reads into batches itself);
   * absent when one call, or one paged list, covers any number of POs.
   */
  readonly maxOrdersPerRead?: number;
  /**
   * Places the order. Callers must have ruled out an earlier order under the same PO with
   * findOrder first whenever an earlier attempt may have reached the distributor.
   */
  placeOrder(order: PurchaseOrderRequest): Promise<PlacedOrder>;
  /** Live stock for the given distributor SKUs. */
  checkStock(distributorSkus: string[]): Promise<StockLevel[]>;
  /**
   * Asks the distributor to cancel an order it holds. Present only where the distributor's API
   * documents a cancel; the module says why not otherwise. Resolves `cancelled: false` with the
   * distributor's reason when it refuses (e.g. already picked or shipped).
   */
  cancelOrder?(poNumber: string, hint?: { distributorOrderId?: string }): Promise<CancelOutcome>;
}

export type CancelOutcome = { cancelled: true } | { cancelled: false; reason: string };

/** One item as a distributor's price/inventory feed gives it, in the engine's terms. */
export interface FeedItem {
  /** The distributor's part number as the feed spells it (punctuation kept). */
  partNumber: string;
  /** The distributor's own status code (`STK`, `D`, `A`, …). */
  status: string;
  /** False when the status says the item cannot be ordered (discontinued, NLA, pre-release, …). */
  orderable: boolean;
  /** The dealer's cost; null when the feed does not say. */
  dealerCost: number | null;
  retailPrice?: number | null;
  mapPrice?: number | null;
  dropshipFee?: number | null;
  upc?: string | null;
  brand?: string | null;
  mfgPartNumber?: string | null;
  description?: string | null;
  /** Warehouse code → quantity (the distributor's own codes; capped values stay as the feed gives them). */
  warehouses: Record<string, number>;
}

/**
 * One record of a feed, in file order. `line` is the physical line of the file (the header line
 * counts) for files, or the item's position for paged APIs. A bad row is reported, not thrown.
 */
export type FeedRecord = { line: number; item: FeedItem } | { line: number; error: string };

/** What a feed reader may rely on from its surroundings. */
export interface FeedContext {
  /** The connection's baseUrl override (simulator or staging), as for the ordering adapter. */
  baseUrl?: string;
  http: HttpClientFactory;
  /** Where feed hosts may be reached: checked on the parsed URL or host before any connection. */
  urlPolicy: UrlPolicy;
  /** Aborts every transfer of the run. */
  signal?: AbortSignal;
  /** A private directory for files that need random access (a ZIP's central directory is at its end); removed after the run. */
  tmpDir: string;
}

/**
 * A distributor's daily price/inventory feed. Readers stream: the file is never held in memory
 * whole. Transport and credential failures throw ExternalCallError; a bad row is a record.
 */
export interface DistributorFeed<Creds = unknown> {
  /** True when the feed needs settings beyond the ordering credentials (`creds.feed`). */
  needsFeedSettings: boolean;
  /** Pulls per day the distributor allows (Parts Unlimited: 2); unlimited when absent. */
  maxPullsPerDay?: number;
  /** Cheap check that the feed can be reached with these credentials (a login, a listing). */
  verify(creds: Creds, ctx: FeedContext): Promise<void>;
  /** The whole feed, in file order. */
  read(creds: Creds, ctx: FeedContext): AsyncIterable<FeedRecord>;
}

export interface DistributorModule<Creds = unknown> {
  code: DistributorCode;
  displayName: string;
  /** Documented production base (scheme + host [+ port]); paths are appended by the adapter. */
  productionBaseUrl: string;
  /** Other documented production origins the module calls (Parts Unlimited's price-file website). */
  otherProductionUrls?: string[];
  /** The distributor's own warehouse codes. */
  warehouses: readonly string[];
  limits: DistributorLimits;
  /** Requests per second per dealer account when the connection sets no budget of its own. */
  defaultRequestsPerSecond: number;
  /** Credential fields accepted by PUT /v1/connections/distributors/:code. */
  credentialsSchema: z.ZodType<Creds>;
  /** The credential values masked for responses (e.g. `{ apiToken: '••••abcd' }`). */
  mask(creds: Creds): Record<string, string>;
  create(creds: Creds, ctx: AdapterContext): DistributorAdapter;
  /** The price/inventory feed (src/feeds/ runs it on a schedule). */
  feed: DistributorFeed<Creds>;
}
