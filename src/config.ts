// Configuration comes from the environment only, validated once at start-up so a bad value
// stops the process with a sentence naming the variable instead of failing later.
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { z } from 'zod';
import { parseDuration } from './duration';

const duration = (name: string, fallback: string) =>
  z
    .string()
    .default(fallback)
    .transform((v, ctx) => {
      try {
        return parseDuration(v);
      } catch {
        ctx.addIssue({ code: 'custom', message: `${name} must be a duration like 30s, 10m, 2h or 3d (got "${v}")` });
        return z.NEVER;
      }
    });

const envSchema = z.object({
  PORT: z.coerce.number().int().min(1).max(65535).default(3000),
  HOST: z.string().default('0.0.0.0'),
  ADMIN_API_KEY: z.string().min(16, 'ADMIN_API_KEY must be at least 16 characters').optional(),
  DATABASE_URL: z.string().url('DATABASE_URL must be a postgres:// URL').default('postgres://postgres@127.0.0.1:5432/dropship'),
  TEMPORAL_ADDRESS: z.string().default('127.0.0.1:7233'),
  TEMPORAL_NAMESPACE: z.string().min(1).default('default'),
  TEMPORAL_TASK_QUEUE: z.string().min(1).default('dropship'),
  TRACKING_POLL_INTERVAL: duration('TRACKING_POLL_INTERVAL', '30m'),
  CONFIRMATION_TIMEOUT: duration('CONFIRMATION_TIMEOUT', '7d'),
  /** 32 bytes, base64 or hex. Several keys for rotation: "id1:key1,id2:key2" (first one encrypts). */
  CREDENTIALS_KEY: z.string().optional(),
  DATA_DIR: z.string().default('.data'),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
});

export interface CredentialKey {
  id: string;
  key: Buffer;
}

export interface Config {
  port: number;
  host: string;
  adminApiKey?: string;
  databaseUrl: string;
  temporal: { address: string; namespace: string; taskQueue: string };
  trackingPollIntervalMs: number;
  confirmationTimeoutMs: number;
  /** The first key encrypts; all of them decrypt (rotation). */
  credentialKeys: CredentialKey[];
  dataDir: string;
  logLevel: string;
}

export class ConfigError extends Error {}

function decodeKey(text: string, where: string): Buffer {
  const t = text.trim();
  const buf = /^[0-9a-fA-F]{64}$/.test(t) ? Buffer.from(t, 'hex') : Buffer.from(t, 'base64');
  if (buf.length !== 32) throw new ConfigError(`${where} must be 32 bytes, given as 64 hex characters or base64`);
  return buf;
}

export function parseCredentialKeys(value: string): CredentialKey[] {
  return value
    .split(',')
    .map((part) => part.trim())
    .filter(Boolean)
    .map((part, i) => {
      const idx = part.indexOf(':');
      // "id:key"; a bare key gets the id "k1" (or "k<n>")
      if (idx > 0 && idx < 20 && !/^[0-9a-fA-F]{64}$/.test(part)) {
        return { id: part.slice(0, idx), key: decodeKey(part.slice(idx + 1), 'CREDENTIALS_KEY') };
      }
      return { id: `k${i + 1}`, key: decodeKey(part, 'CREDENTIALS_KEY') };
    });
}

/** A development key kept under DATA_DIR so restarts can still decrypt what they stored. */
function devCredentialKeys(dataDir: string): CredentialKey[] {
  const file = resolve(dataDir, 'credentials.key');
  if (!existsSync(file)) {
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(file, `dev:${randomBytes(32).toString('hex')}\n`, { mode: 0o600 });
  }
  return parseCredentialKeys(readFileSync(file, 'utf8'));
}

export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const parsed = envSchema.safeParse(env);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => `  ${i.path.join('.')}: ${i.message}`);
    throw new ConfigError(`Invalid configuration:\n${lines.join('\n')}`);
  }
  const e = parsed.data;
  return {
    port: e.PORT,
    host: e.HOST,
    adminApiKey: e.ADMIN_API_KEY,
    databaseUrl: e.DATABASE_URL,
    temporal: { address: e.TEMPORAL_ADDRESS, namespace: e.TEMPORAL_NAMESPACE, taskQueue: e.TEMPORAL_TASK_QUEUE },
    trackingPollIntervalMs: e.TRACKING_POLL_INTERVAL,
    confirmationTimeoutMs: e.CONFIRMATION_TIMEOUT,
    credentialKeys: e.CREDENTIALS_KEY ? parseCredentialKeys(e.CREDENTIALS_KEY) : devCredentialKeys(e.DATA_DIR),
    dataDir: e.DATA_DIR,
    logLevel: e.LOG_LEVEL,
  };
}

/** For process entry points: print the problem and exit instead of a stack trace. */
export function loadConfigOrExit(): Config {
  try {
    return loadConfig();
  } catch (err) {
    if (err instanceof ConfigError) {
      console.error(err.message);
      process.exit(2);
    }
    throw err;
  }
}
