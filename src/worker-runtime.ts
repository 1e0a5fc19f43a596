// Builds the Temporal worker: the bundled DropshipWorkflow plus the activities with their
// clients. Used by worker.ts and by the tests, so both run the same wiring.
import { NativeConnection, Worker, type WorkerOptions } from '@temporalio/worker';
import { createActivities } from '../activities';
import type { CredentialKey } from './config';
import type { Sql } from './db';

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
}): Promise<Worker> {
  return Worker.create({
    connection: opts.connection,
    namespace: opts.namespace,
    taskQueue: opts.taskQueue,
    ...(opts.workflowBundle ? { workflowBundle: opts.workflowBundle } : { workflowsPath: WORKFLOWS_PATH }),
    activities: createActivities({ sql: opts.sql, credentialKeys: opts.credentialKeys, upstreamTimeoutCapMs: opts.upstreamTimeoutCapMs }),
    ...(opts.identity ? { identity: opts.identity } : {}),
    // Each activity does a few HTTP calls; this bounds concurrent calls per worker process.
    maxConcurrentActivityTaskExecutions: 50,
  });
}
