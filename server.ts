// The REST API process. Stateless: run as many as the load needs against one Temporal cluster
// and one Postgres.
import { Client, Connection } from '@temporalio/client';
import { buildApp } from './src/api/app';
import { loadConfigOrExit } from './src/config';
import { createSql } from './src/db';
import { migrate } from './src/db/migrate';
import { tlsFromEnv } from './src/temporal';

async function main() {
  const config = loadConfigOrExit();
  if (!config.adminApiKey) console.warn('[server] ADMIN_API_KEY is not set: admin routes will refuse every request');
  await migrate(config.databaseUrl, (m) => console.log(`[server] ${m}`));
  const sql = createSql(config.databaseUrl);
  // Connection.lazy: the API starts (and /healthz reports it) even while Temporal is down.
  const connection = Connection.lazy({ address: config.temporal.address, tls: tlsFromEnv(), apiKey: process.env.TEMPORAL_API_KEY });
  const client = new Client({ connection, namespace: config.temporal.namespace });
  const app = await buildApp(
    { sql, config, temporal: () => client },
    { logger: { level: config.logLevel, redact: ['req.headers.authorization'] } },
  );
  await app.listen({ port: config.port, host: config.host });
  const stop = async (signal: string) => {
    console.log(`[server] ${signal}: closing`);
    await app.close();
    await connection.close().catch(() => undefined);
    await sql.end({ timeout: 5 });
    process.exit(0);
  };
  process.once('SIGINT', () => void stop('SIGINT'));
  process.once('SIGTERM', () => void stop('SIGTERM'));
}

main().catch((err) => {
  console.error('[server] fatal:', err);
  process.exit(1);
});
