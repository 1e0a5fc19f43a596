// Builds the Temporal worker: the bundled workflows (dropships, tracking readers, feed imports, maintenance) plus the activities with their
// clients. Used by worker.ts and by the tests, so both run the same wiring.
import { NativeConnection, Worker, type WorkerOptions } from '@temporalio/worker';
import type { Client } from '@temporalio/client';
import { createActivities } from '../activities';
import { createFeedActivities } from '../activities/feeds';
import { createLegacyActivities } from '../activities/legacy';
import { createMaintenanceActivities } from '../activities/maintenance';
import { createTrackingActivities } from '../activities/tracking';
import { OpenedConnectionCache } from './connections';
import type { CredentialKey } from './config';
import type { Sql } from './db';
import type { UrlPolicy } from './outbound';
import { activityLogContext } from './worker-log';

export const WORKFLOWS_PATH = require.resolve('../workflows');

export async function createDropshipWorker(opts: {
  connection: NativeConnection;
  namespace: string;
  taskQueue: string;
  sql: Sql;
  credentialKeys: CredentialKey[];
  workflowBundle?: WorkerOptions['workflowBundle'];
  identity?: string;
  upstreamTimeoutCapMs?: number;
  sendLeaseMs?: number;
  urlPolicy?: UrlPolicy;
  /** Lets feed imports report progress to their workflow's query, and places start each account's tracking reader. */
  client?: Client;
}): Promise<Worker> {
  // One cache of opened credentials for every activity of this worker.
  const connectionCache = new OpenedConnectionCache();
  const activities = createActivities({
    sql: opts.sql,
    credentialKeys: opts.credentialKeys,
    upstreamTimeoutCapMs: opts.upstreamTimeoutCapMs,
    sendLeaseMs: opts.sendLeaseMs,
    urlPolicy: opts.urlPolicy,
    connectionCache,
    client: opts.client,
  });
  return Worker.create({
    connection: opts.connection,
    namespace: opts.namespace,
    taskQueue: opts.taskQueue,
    ...(opts.workflowBundle ? { workflowBundle: opts.workflowBundle } : { workflowsPath: WORKFLOWS_PATH }),
    activities: {
      ...activities,
      ...createLegacyActivities(opts.sql, activities),
      ...createMaintenanceActivities({ sql: opts.sql }),
      ...createFeedActivities({ sql: opts.sql, credentialKeys: opts.credentialKeys, urlPolicy: opts.urlPolicy, client: opts.client }),
      ...(opts.client
        ? createTrackingActivities({
            sql: opts.sql,
            credentialKeys: opts.credentialKeys,
            urlPolicy: opts.urlPolicy,
            client: opts.client,
            connectionCache,
            upstreamTimeoutCapMs: opts.upstreamTimeoutCapMs,
          })
        : {}),
    },
    ...(opts.identity ? { identity: opts.identity } : {}),
    interceptors: { activity: [activityLogContext] },
    // Each activity does a few HTTP calls; this bounds concurrent calls per worker process.
    maxConcurrentActivityTaskExecutions: 50,
  });
}
