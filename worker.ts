// The Temporal worker process: runs DropshipWorkflows and their activities. Stateless; run as
// many as the load needs against one Temporal cluster and one Postgres.
import { NativeConnection, Runtime, DefaultLogger } from '@temporalio/worker';
import { loadConfigOrExit } from './src/config';
import { upstreamUrlPolicy } from './src/connections';
import { createSql } from './src/db';
import { migrate } from './src/db/migrate';
import { ensureCallLogRetentionSchedule } from './src/maintenance-schedule';
import { freeLoopbackPort, sdkPrometheusTelemetry, startMetricsServer } from './src/metrics-server';
import { connectClient, tlsFromEnv } from './src/temporal';
import { createDropshipWorker } from './src/worker-runtime';
import { jsonLogFunction } from './src/worker-log';

async function main() {
  const config = loadConfigOrExit();
  // The SDK's metrics go to a loopback port of their own; our /metrics serves them with ours.
  const sdkMetrics = config.metrics.port ? sdkPrometheusTelemetry(await freeLoopbackPort()) : undefined;
  Runtime.install({
    logger: new DefaultLogger(config.logLevel === 'debug' ? 'DEBUG' : 'INFO', jsonLogFunction),
    ...(sdkMetrics ? { telemetryOptions: sdkMetrics.telemetryOptions } : {}),
  });
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
  // A port already taken (a second worker on the same host) costs the metrics, not the worker.
  const metrics = sdkMetrics
    ? await startMetricsServer({ ...config.metrics, sdkMetricsUrl: sdkMetrics.url }).catch((err: Error) => {
        console.warn(`[worker] /metrics not served on ${config.metrics.host}:${config.metrics.port} (${err.message}); set METRICS_PORT to a free port`);
        return undefined;
      })
    : undefined;
  if (metrics) console.log(`[worker] metrics at ${metrics.url}`);
  console.log(`[worker] polling task queue "${config.temporal.taskQueue}" on ${config.temporal.address} (${config.temporal.namespace})`);
  // Worker.run() shuts down gracefully on SIGINT/SIGTERM (the SDK installs the handlers).
  try {
    await worker.run();
  } finally {
    await metrics?.close();
    await clientConnection.close();
    await connection.close();
    await sql.end({ timeout: 5 });
  }
}

main().catch((err) => {
  console.error('[worker] fatal:', err);
  process.exit(1);
});
