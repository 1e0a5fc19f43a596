// The activities of a FeedImportWorkflow. Built by a factory that receives its clients.
//
// Idempotency: beginFeedRun is keyed by the run id (a repeat finds its own row); importFeed
// replaces the dealer's items of one distributor with the file's, in one transaction together
// with the run's record, so a retried or repeated import leaves the same catalog; failFeedRun
// only touches a run still marked running.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ApplicationFailure, Context } from '@temporalio/activity';
import type { Client } from '@temporalio/client';
import { createCallLog } from '../src/call-log';
import type { CredentialKey } from '../src/config';
import { distributorFeedFor } from '../src/connections';
import type { Sql } from '../src/db';
import { isExternalCallError } from '../src/external-errors';
import { FeedRejected, importFeedRecords, type FeedRunError } from '../src/feeds/import';
import { beginFeedRun, countPull, failFeedRun, pullsToday, succeedFeedRun, type FeedTrigger } from '../src/feeds/runs';
import { redact } from '../src/http';
import type { UrlPolicy } from '../src/outbound';
import { FEED_REFUSED, feedProgressSignal } from '../workflows/messages';

export interface FeedActivityDeps {
  sql: Sql;
  credentialKeys: CredentialKey[];
  urlPolicy?: UrlPolicy;
  /** Reports progress to the run's workflow (its query); without one, progress only heartbeats. */
  client?: Client;
  /** How often progress is reported. */
  progressEveryMs?: number;
}

function refused(message: string, details?: unknown): ApplicationFailure {
  return ApplicationFailure.create({ type: FEED_REFUSED, message, nonRetryable: true, details: details === undefined ? [] : [details] });
}

export function createFeedActivities(deps: FeedActivityDeps) {
  const { sql } = deps;
  const every = deps.progressEveryMs ?? 2000;
  return {
    async beginFeedRun(input: { runId: string; tenantId: string; distributor: string; trigger: FeedTrigger }) {
      return beginFeedRun(sql, input);
    },

    async failFeedRun(input: { runId: string; rowsRead?: number; badRows?: number; errors: FeedRunError[] }) {
      await failFeedRun(sql, input.runId, input);
    },

    /** Downloads and imports the feed; the run's row is marked succeeded in the import's transaction. */
    async importFeed(input: { runId: string; tenantId: string; distributor: string }) {
      const activity = Context.current();
      let secrets: string[] = [];
      const calls = createCallLog(sql, { tenantId: input.tenantId, operation: 'feed' }, { signal: activity.cancellationSignal, urlPolicy: deps.urlPolicy });
      const tmpDir = await mkdtemp(join(tmpdir(), 'feed-'));
      let lastReport = 0;
      const report = (rowsRead: number) => {
        activity.heartbeat({ rowsRead });
        const now = Date.now();
        if (!deps.client || now - lastReport < every) return;
        lastReport = now;
        deps.client.workflow
          .getHandle(input.runId)
          .signal(feedProgressSignal, { rowsRead })
          .catch(() => undefined);
      };
      const beat = setInterval(() => activity.heartbeat(), 10_000);
      try {
        const { mod, creds, baseUrl, secrets: s } = await distributorFeedFor({ sql, keys: deps.credentialKeys }, input.tenantId, input.distributor);
        secrets = s;
        const limit = mod.feed.maxPullsPerDay;
        if (limit !== undefined && (await pullsToday(sql, input.tenantId, input.distributor)) >= limit) {
          throw refused(`${mod.displayName} allows ${limit} feed downloads a day and they are spent; the next scheduled run will pull again`);
        }
        await countPull(sql, input.runId);
        const records = mod.feed.read(creds, {
          baseUrl,
          http: calls.http,
          urlPolicy: deps.urlPolicy ?? { appEnv: 'development', productionOrigins: [] },
          signal: activity.cancellationSignal,
          tmpDir,
        });
        const result = await importFeedRecords(sql, input.tenantId, input.distributor, records, {
          onProgress: report,
          finish: (tx, r) => succeedFeedRun(tx, input.runId, r),
        });
        report(result.rowsRead);
        return result;
      } catch (err) {
        if (err instanceof ApplicationFailure) throw err;
        if (err instanceof FeedRejected) throw refused(err.message, err.result);
        const message = redact((err as Error)?.message ?? String(err), secrets);
        if (isExternalCallError(err) && err.kind === 'permanent') throw refused(message, { code: err.code });
        throw ApplicationFailure.create({ type: isExternalCallError(err) ? err.code : 'FeedFailed', message, nonRetryable: false });
      } finally {
        clearInterval(beat);
        await rm(tmpDir, { recursive: true, force: true });
        await calls.flush();
      }
    },
  };
}

export type FeedActivities = ReturnType<typeof createFeedActivities>;
