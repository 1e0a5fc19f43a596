// FeedImportWorkflow: one run of a distributor's price/inventory feed for one dealer. Started by
// the feed's Schedule or by `POST /v1/feeds/:distributor/runs`; at most one runs per feed (the
// feed_runs row is the lock). The import itself is one activity and one transaction.
import { ActivityFailure, ApplicationFailure, proxyActivities, setCurrentDetails, setHandler, workflowInfo } from '@temporalio/workflow';
import type { FeedActivities } from '../activities/feeds';
import { feedRunCurrentDetails } from './summaries';
import { FEED_REFUSED, feedProgressSignal, feedRunQuery, type FeedImportInput, type FeedRunProgress } from './messages';

const { beginFeedRun, failFeedRun } = proxyActivities<FeedActivities>({
  startToCloseTimeout: '30s',
  retry: { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '1m', maximumAttempts: 10 },
});

// A whole file in one transaction: a long start-to-close, a heartbeat to notice a dead worker,
// and few retries, since every retry downloads the file again (Parts Unlimited counts each one).
const { importFeed } = proxyActivities<FeedActivities>({
  startToCloseTimeout: '1h',
  heartbeatTimeout: '1m',
  retry: { initialInterval: '1m', backoffCoefficient: 2, maximumAttempts: 3, nonRetryableErrorTypes: [FEED_REFUSED] },
});

function messageOf(err: unknown): string {
  const cause = err instanceof ActivityFailure ? err.cause : err;
  return (cause as Error)?.message ?? String(err);
}

export async function FeedImportWorkflow(input: FeedImportInput): Promise<FeedRunProgress> {
  const progress: FeedRunProgress = { runId: workflowInfo().workflowId, distributor: input.distributor, status: 'running', rowsRead: 0 };
  setHandler(feedRunQuery, () => progress);
  setHandler(feedProgressSignal, ({ rowsRead }) => {
    if (rowsRead > progress.rowsRead) progress.rowsRead = rowsRead;
    setCurrentDetails(feedRunCurrentDetails(progress));
  });
  setCurrentDetails(feedRunCurrentDetails(progress));

  const begun = await beginFeedRun({ runId: progress.runId, tenantId: input.tenantId, distributor: input.distributor, trigger: input.trigger });
  if (!begun.begun) {
    Object.assign(progress, { status: 'skipped', message: `Run ${begun.runningRunId} of this feed is still running` });
    setCurrentDetails(feedRunCurrentDetails(progress));
    return progress;
  }
  try {
    const result = await importFeed({ runId: progress.runId, tenantId: input.tenantId, distributor: input.distributor });
    Object.assign(progress, { status: 'succeeded', rowsRead: result.rowsRead, itemsChanged: result.itemsChanged, badRows: result.badRows });
  } catch (err) {
    const cause = err instanceof ActivityFailure ? err.cause : undefined;
    const details = (cause instanceof ApplicationFailure ? cause.details?.[0] : undefined) as { rowsRead?: number; badRows?: number; errors?: { line: number; message: string }[] } | undefined;
    const message = messageOf(err);
    await failFeedRun({
      runId: progress.runId,
      rowsRead: details?.rowsRead ?? progress.rowsRead,
      badRows: details?.badRows ?? 0,
      errors: [{ line: 0, message }, ...(details?.errors ?? [])].slice(0, 100),
    });
    Object.assign(progress, { status: 'failed', message });
  }
  setCurrentDetails(feedRunCurrentDetails(progress));
  return progress;
}
