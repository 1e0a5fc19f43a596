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
  | 'cancelled';

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
}

export type UploadStatus = 'pending' | 'confirmed' | 'failed';

export interface UploadState {
  poNumber: string;
  trackingNumber: string;
  carrier: string;
  status: UploadStatus;
  outcome?: 'uploaded' | 'already_uploaded';
  error?: PurchaseOrderError;
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
  /** State carried across continue-as-new. */
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

export interface RetryRequest {
  poNumber: string;
  distributor?: string;
  requestedBy?: string;
}
