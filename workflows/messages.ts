// Every message a DropshipWorkflow understands, and its search attributes, in one place.
// The REST server imports these definitions to signal and query; the workflow to handle them.
import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';
import { defineQuery, defineSignal } from '@temporalio/workflow';
import type { ConfirmRequest, DropshipView, RetryRequest } from './types';

/** `dropship:<tenant>:<pssOrderId>` — readable in the Web UI, unique per dealer order. */
export function dropshipWorkflowId(tenantId: string, pssOrderId: string): string {
  return `dropship:${tenantId}:${pssOrderId}`;
}

export const confirmSignal = defineSignal<[ConfirmRequest]>('confirm');
export const cancelSignal = defineSignal<[{ reason: string; requestedBy?: string }]>('cancel');
export const retryPurchaseOrderSignal = defineSignal<[RetryRequest]>('retryPurchaseOrder');
/** Poll the distributors now instead of at the next interval (ops and demos). */
export const checkTrackingSignal = defineSignal('checkTracking');

export const statusQuery = defineQuery<DropshipView>('status');

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
