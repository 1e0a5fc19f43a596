// Every message a DropshipWorkflow understands, and its search attributes, in one place.
// The REST server imports these definitions to update and query; the workflow to handle them.
import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';
import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';
import type { CancelRequest, ConfirmRequest, DropshipView, RetryRequest, ShipmentState, UpdateAnswer } from './types';

/** `dropship:<tenant>:<pssOrderId>` — readable in the Web UI, unique per dealer order. */
export function dropshipWorkflowId(tenantId: string, pssOrderId: string): string {
  return `dropship:${tenantId}:${pssOrderId}`;
}

// Requests that need the workflow's answer are Updates: their validators refuse without a trace
// in history, and two people acting at once get consistent answers.
export const confirmUpdate = defineUpdate<UpdateAnswer, [ConfirmRequest]>('confirmDropship');
export const cancelUpdate = defineUpdate<UpdateAnswer, [CancelRequest]>('cancelDropship');
export const retryPurchaseOrderUpdate = defineUpdate<UpdateAnswer, [RetryRequest]>('retryPurchaseOrder');
/** Tries every failed upload again (after the dealer fixed the cause, e.g. reconnected the marketplace). */
export const retryUploadsUpdate = defineUpdate<UpdateAnswer, [{ requestedBy?: string }]>('retryUploads');

/** Poll the distributors now instead of at the next interval (ops and demos); fire-and-forget. */
export const checkTrackingSignal = defineSignal('checkTracking');

export const statusQuery = defineQuery<DropshipView>('status');

// ---- Tracking read per dealer account (workflows/account-tracking.ts)

/** `tracking:<tenant>:<distributor>`: the one workflow that reads a dealer account's tracking. */
export function accountTrackingWorkflowId(tenantId: string, distributor: string): string {
  return `tracking:${tenantId}:${distributor}`;
}

export interface AccountTrackingInput {
  tenantId: string;
  distributor: string;
  intervalMs: number;
  /** Reads in a row that found no open PO; carried across continue-as-new. */
  idleReads?: number;
  /** Counts the POs placed since the reader started: a read whose count changed reads the open POs again. */
  placedSignals?: number;
}

/** A PO of this account was placed: keep reading (sent with signal-with-start by the place activity). */
export const followAccountSignal = defineSignal<[{ intervalMs: number }]>('followAccount');

/** What the account read found for one of the dropship's POs; the dropship applies it like its own read. */
export interface ShipmentsFound {
  poNumber: string;
  shipments: ShipmentState[];
  shippedQuantities: Record<string, number>;
}
export const shipmentsFoundSignal = defineSignal<[ShipmentsFound]>('shipmentsFound');

// ---- Feed imports (workflows/feed-import.ts)

/** `feed:<tenant>:<distributor>`: the Schedule's id, and the prefix of every run's workflow id. */
export function feedScheduleId(tenantId: string, distributor: string): string {
  return `feed:${tenantId}:${distributor}`;
}

export interface FeedImportInput {
  tenantId: string;
  distributor: string;
  trigger: 'schedule' | 'manual';
}

export interface FeedRunProgress {
  runId: string;
  distributor: string;
  status: 'running' | 'succeeded' | 'failed' | 'skipped';
  rowsRead: number;
  itemsChanged?: number;
  badRows?: number;
  message?: string;
}

/** Sent by the import activity as rows stream in; the query below answers with the latest. */
export const feedProgressSignal = defineSignal<[{ rowsRead: number }]>('feedProgress');
export const feedRunQuery = defineQuery<FeedRunProgress>('feedRun');

/** A feed run refused for good (credentials, no feed settings, the day's pulls spent, an unusable file). */
export const FEED_REFUSED = 'FeedRefused';

/**
 * ApplicationFailure types an Update answers with when the workflow refuses; the REST layer maps
 * them to 409 / 422.
 */
export const REFUSAL = {
  conflict: 'Conflict',
  notDropshippable: 'NotDropshippable',
  notCancellable: 'NotCancellable',
  existsAtDistributor: 'ExistsAtDistributor',
} as const;

/** Non-retryable ApplicationFailure types the activities throw for business refusals. */
export const DISTRIBUTOR_REFUSAL = 'DistributorRefusal';
export const UPLOAD_REFUSED = 'UploadRefused';

// Signals of the legacy workflow (workflows/legacy): runs started before the Updates existed
// still listen to them.
export const confirmSignal = defineSignal<[ConfirmRequest]>('confirm');
export const cancelSignal = defineSignal<[CancelRequest]>('cancel');
export const retryPurchaseOrderSignal = defineSignal<[RetryRequest]>('retryPurchaseOrder');

export const SA = {
  orderId: defineSearchAttributeKey('DropshipOrderId', SearchAttributeType.KEYWORD),
  tenant: defineSearchAttributeKey('DropshipTenant', SearchAttributeType.KEYWORD),
  status: defineSearchAttributeKey('DropshipStatus', SearchAttributeType.KEYWORD),
  marketplace: defineSearchAttributeKey('DropshipMarketplace', SearchAttributeType.KEYWORD),
  distributors: defineSearchAttributeKey('DropshipDistributors', SearchAttributeType.KEYWORD_LIST),
  poNumbers: defineSearchAttributeKey('DropshipPoNumbers', SearchAttributeType.KEYWORD_LIST),
} as const;

/** `--search-attribute` arguments for `temporal server start-dev` and `temporal operator`. */
export const SEARCH_ATTRIBUTE_REGISTRATIONS: [string, 'Keyword' | 'KeywordList'][] = [
  ['DropshipOrderId', 'Keyword'],
  ['DropshipTenant', 'Keyword'],
  ['DropshipStatus', 'Keyword'],
  ['DropshipMarketplace', 'Keyword'],
  ['DropshipDistributors', 'KeywordList'],
  ['DropshipPoNumbers', 'KeywordList'],
];
