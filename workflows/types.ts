// Plain data shared by the workflow, its activities and the REST layer. No imports with side
// effects: this file is bundled into the workflow sandbox.
import type { ShipTo } from '../src/distributors/types';

/** The buyer's address, as every distributor adapter takes it. */
export type ShipToAddress = ShipTo;

export interface CandidateWarehouse {
  code: string;
  quantity: number;
  leadTimeDays: number;
}

/** A drop-shippable offer for one line. */
export interface Candidate {
  distributor: string;
  distributorSku: string;
  unitCost: number;
  dropshipFee: number;
  landedCost: number;
  warehouses: CandidateWarehouse[];
  /** What the distributor said while the dropship awaited confirmation. */
  liveStock?: { quantity: number; checkedAt: string };
  /** The live answer was less than the line needs: not the default selection. */
  outOfStockLive?: boolean;
}

export interface Selection {
  distributor: string;
  distributorSku: string;
}

export interface DropshipLine {
  lineId: string;
  marketplaceLineId: string;
  sku: string;
  quantity: number;
  candidates: Candidate[];
  selected: Selection;
}

export type DropshipStatus =
  | 'awaiting_confirmation'
  | 'submitting'
  | 'submitted'
  | 'partially_shipped'
  | 'shipped'
  | 'completed'
  | 'needs_attention'
  | 'cancel_requested'
  | 'cancelled'
  | 'expired';

export type PurchaseOrderStatus =
  | 'pending'
  | 'submitting'
  | 'submitted'
  | 'partially_shipped'
  | 'shipped'
  | 'needs_attention'
  | 'superseded'
  | 'cancel_requested'
  | 'cancelled';

/**
 * Whether an order exists at the distributor under this PO: `placed` once the distributor
 * acknowledged it (or a lookup found it), `not_placed` when it never left or was refused,
 * `unknown` after a send whose answer never came. Swapping or cancelling an `unknown` PO
 * looks it up first.
 */
export type PurchaseOrderFate = 'not_placed' | 'unknown' | 'placed';

export interface ShipmentState {
  trackingNumber: string;
  carrier: string;
  service?: string;
  shippedAt: string;
  warehouse?: string;
  freightNumber?: string;
  lines: { lineId: string; quantity: number }[];
}

export interface PurchaseOrderError {
  code: string;
  message: string;
}

export interface PurchaseOrderState {
  poNumber: string;
  distributor: string;
  attempt: number;
  lines: { lineId: string; sku: string; distributorSku: string; quantity: number }[];
  status: PurchaseOrderStatus;
  distributorOrderId?: string;
  error?: PurchaseOrderError;
  supersededBy?: string;
  /** lineId → quantity shipped so far. */
  shippedQuantities: Record<string, number>;
  fate?: PurchaseOrderFate;
  /** Workflow time the distributor acknowledged the order (starts the tracking-overdue clock). */
  placedAt?: string;
  /** The distributor's API can cancel an order it holds (the adapter says so at submission). */
  cancellable?: boolean;
  shipments?: ShipmentState[];
  /** Its account's tracking reader follows it; the dropship reads it only as a safety net. */
  trackedByAccount?: boolean;
}

export type UploadStatus = 'pending' | 'confirmed' | 'failed';

export interface UploadState {
  poNumber: string;
  trackingNumber: string;
  carrier: string;
  status: UploadStatus;
  outcome?: 'uploaded' | 'already_uploaded';
  /** The marketplace's id for the uploaded tracking, where it gives one. */
  fulfillmentId?: string;
  error?: PurchaseOrderError;
  attempts?: number;
}

export interface DropshipEvent {
  at: string;
  type: string;
  message: string;
}

export interface DropshipInput {
  tenantId: string;
  pssOrderId: string;
  marketplace: { code: string; orderId: string };
  shipTo: ShipToAddress;
  lines: DropshipLine[];
  confirmationTimeoutMs: number;
  trackingPollIntervalMs: number;
  /** How often a PO its account's reader follows is still read by the dropship itself. */
  trackingFallbackIntervalMs?: number;
  /** A PO not fully shipped this long after it was placed waits for a person (`tracking_overdue`). */
  trackingOverdueMs?: number;
  /**
   * When the API created the dropship. The API then wrote the first mirror itself (version 1, from
   * the same pure functions), so the run does not write it again.
   */
  createdAt?: string;
  /**
   * State carried across continue-as-new. Runs started before the workflow was split into
   * phases carry it without `version` and finish on the legacy code.
   */
  resume?: DropshipState;
}

export interface DropshipState {
  phase: 'awaiting_confirmation' | 'fulfilling' | 'done';
  /** Set once the dealer confirmed, cancelled, or the confirmation window closed. */
  outcome?: 'cancelled' | 'expired';
  confirmedBy?: string;
  lines: DropshipLine[];
  purchaseOrders: PurchaseOrderState[];
  uploads: UploadState[];
  events: DropshipEvent[];
  /** 2 for runs of the phased workflow (absent on legacy runs). */
  version?: 2;
  /** Bumped on every mirror to Postgres; the mirror ignores anything older than what it holds. */
  mirrorVersion?: number;
  /** A cancel after submission is waiting for the distributors' answers. */
  cancelRequested?: { reason: string; requestedBy?: string };
}

/** What the `status` query answers. */
export interface DropshipView extends DropshipState {
  pssOrderId: string;
  tenantId: string;
  status: DropshipStatus;
  marketplace: { code: string; orderId: string };
  shipTo: ShipToAddress;
}

export interface ConfirmRequest {
  confirmedBy: string;
  lines?: { lineId: string; distributor: string }[];
}

export interface CancelRequest {
  reason: string;
  requestedBy?: string;
}

export interface RetryRequest {
  poNumber: string;
  distributor?: string;
  /**
   * The distributor's own order number for this PO, recorded by a person who looked it up (a
   * distributor that cannot find orders by PO, after a lost answer): the PO is then followed.
   */
  distributorOrderId?: string;
  requestedBy?: string;
}

/** What confirm, cancel and retry Updates answer: the workflow's own decision. */
export interface UpdateAnswer {
  status: DropshipStatus;
  /** For a retry: the PO that now carries the lines (a new one after a swap). */
  poNumber?: string;
}
