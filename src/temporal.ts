// Connecting to Temporal: the dev server locally, any cluster or Temporal Cloud in production
// through TEMPORAL_ADDRESS / TEMPORAL_NAMESPACE (TLS and API keys via the standard variables).
import { Client, Connection } from '@temporalio/client';
import { readFileSync } from 'node:fs';
import type { Config } from './config';

export function tlsFromEnv(env: NodeJS.ProcessEnv = process.env) {
  const cert = env.TEMPORAL_TLS_CLIENT_CERT_PATH;
  const key = env.TEMPORAL_TLS_CLIENT_KEY_PATH;
  if (cert && key) return { clientCertPair: { crt: readFileSync(cert), key: readFileSync(key) } };
  return env.TEMPORAL_TLS === 'true' || !!env.TEMPORAL_API_KEY ? true : undefined;
}

export async function connectClient(config: Config): Promise<{ client: Client; connection: Connection }> {
  const connection = await Connection.connect({
    address: config.temporal.address,
    tls: tlsFromEnv(),
    apiKey: process.env.TEMPORAL_API_KEY,
  });
  return { client: new Client({ connection, namespace: config.temporal.namespace }), connection };
}
