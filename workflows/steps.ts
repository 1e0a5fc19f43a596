// The activities a DropshipWorkflow runs, each with the timeouts and retry policy that govern it.
import { proxyActivities, proxyLocalActivities } from '@temporalio/workflow';
import type { DropshipActivities } from '../activities';
import { DISTRIBUTOR_REFUSAL, UPLOAD_REFUSED } from './messages';

// Placing an order: each try holds a lease on the PO and looks it up before re-sending, so retries
// are safe. A business refusal is not retried: a person decides. A distributor that stays down for
// a day also ends up with a person.
export const { placePurchaseOrder } = proxyActivities<DropshipActivities>({
  startToCloseTimeout: '3m',
  heartbeatTimeout: '10s',
  scheduleToCloseTimeout: '24h',
  retry: { initialInterval: '2s', backoffCoefficient: 2, maximumInterval: '10m', nonRetryableErrorTypes: [DISTRIBUTOR_REFUSAL] },
});

// Read-only lookups at the distributor (tracking, the fate of a PO before a swap or a cancel): a
// failed read is retried briefly, then the workflow asks again at the next interval.
export const { readShipments, findPurchaseOrder } = proxyActivities<DropshipActivities>({
  startToCloseTimeout: '1m',
  heartbeatTimeout: '10s',
  scheduleToCloseTimeout: '10m',
  retry: { initialInterval: '5s', backoffCoefficient: 2, maximumInterval: '2m', nonRetryableErrorTypes: [DISTRIBUTOR_REFUSAL] },
});

// Live stock while the dealer decides: worth a quick answer, not a wait. A distributor that
// does not answer is simply shown without it; the check before ordering still guards the order.
export const { checkLiveStock } = proxyActivities<DropshipActivities>({
  startToCloseTimeout: '30s',
  heartbeatTimeout: '10s',
  retry: { initialInterval: '2s', maximumAttempts: 2 },
});

// Cancelling at the distributor is a write the person waits for: a few minutes of retries, then
// the cancel is answered with what is known.
export const { cancelPurchaseOrder } = proxyActivities<DropshipActivities>({
  startToCloseTimeout: '1m',
  heartbeatTimeout: '10s',
  scheduleToCloseTimeout: '5m',
  retry: { initialInterval: '2s', backoffCoefficient: 2, maximumInterval: '1m', nonRetryableErrorTypes: [DISTRIBUTOR_REFUSAL] },
});

// Uploads read back before re-posting after an ambiguous failure; a refusal waits for a person.
export const { uploadTracking } = proxyActivities<DropshipActivities>({
  startToCloseTimeout: '1m',
  heartbeatTimeout: '10s',
  scheduleToCloseTimeout: '24h',
  retry: { initialInterval: '2s', backoffCoefficient: 2, maximumInterval: '10m', nonRetryableErrorTypes: [UPLOAD_REFUSED] },
});

// The Postgres mirror of the workflow's state: short, idempotent (versioned), retried until
// Postgres is back. A local activity: it runs in the workflow's own worker on slots of its own,
// so bookkeeping never queues behind distributor calls waiting for their account's request budget,
// and it costs no round trip through the task queue.
export const { mirrorDropship } = proxyLocalActivities<DropshipActivities>({
  startToCloseTimeout: '30s',
  retry: { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '1m' },
});
