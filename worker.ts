// The Temporal worker process: runs DropshipWorkflows and their activities. Stateless; run as
// many as the load needs against one Temporal cluster and one Postgres.
import { NativeConnection, Runtime, DefaultLogger } from '@temporalio/worker';
import { loadConfigOrExit } from './src/config';
import { upstreamUrlPolicy } from './src/connections';
import { createSql } from './src/db';
import { migrate } from './src/db/migrate';
import { ensureCallLogRetentionSchedule } from './src/maintenance-schedule';
import { connectClient, tlsFromEnv } from './src/temporal';
import { createDropshipWorker } from './src/worker-runtime';

async function main() {
  const config = loadConfigOrExit();
  Runtime.install({ logger: new DefaultLogger(config.logLevel === 'debug' ? 'DEBUG' : 'INFO') });
  await migrate(config.databaseUrl, (m) => console.log(`[worker] ${m}`));
  const sql = createSql(config.databaseUrl);
  const connection = await NativeConnection.connect({
    address: config.temporal.address,
    tls: tlsFromEnv(),
    apiKey: process.env.TEMPORAL_API_KEY,
  });
  // The daily call-log cleanup is a Temporal Schedule; creating or updating it is idempotent.
  // The client stays open: feed imports report their progress to their workflow through it.
  const { client, connection: clientConnection } = await connectClient(config);
  await ensureCallLogRetentionSchedule(client, { taskQueue: config.temporal.taskQueue, retentionMs: config.callLogRetentionMs });
  const worker = await createDropshipWorker({
    connection,
    namespace: config.temporal.namespace,
    taskQueue: config.temporal.taskQueue,
    sql,
    credentialKeys: config.credentialKeys,
    urlPolicy: upstreamUrlPolicy(config),
    client,
  });
  console.log(`[worker] polling task queue "${config.temporal.taskQueue}" on ${config.temporal.address} (${config.temporal.namespace})`);
  // Worker.run() shuts down gracefully on SIGINT/SIGTERM (the SDK installs the handlers).
  try {
    await worker.run();
  } finally {
    await clientConnection.close();
    await connection.close();
    await sql.end({ timeout: 5 });
  }
}

main().catch((err) => {
  console.error('[worker] fatal:', err);
  process.exit(1);
});
