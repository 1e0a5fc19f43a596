// The worker bundles this file: every workflow type the engine runs.
export { DropshipWorkflow } from './dropship';
export { CallLogRetentionWorkflow } from './maintenance';
export { FeedImportWorkflow } from './feed-import';
export { AccountTrackingWorkflow } from './account-tracking';
