// Configuration comes from the environment only, validated once at start-up so a bad value
// stops the process with a sentence naming the variable instead of failing later.
import { randomBytes } from 'node:crypto';
import { isIP } from 'node:net';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { z } from 'zod';
import { parseDuration } from './duration';
import { hostKind, type AppEnv } from './outbound';

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
  TRACKING_OVERDUE: duration('TRACKING_OVERDUE', '30d'),
  TRACKING_FALLBACK_INTERVAL: duration('TRACKING_FALLBACK_INTERVAL', '6h'),
  CALL_LOG_RETENTION: duration('CALL_LOG_RETENTION', '90d'),
  /** `production` refuses custom upstream hosts and a missing CREDENTIALS_KEY; default follows NODE_ENV. */
  APP_ENV: z.enum(['development', 'production'], 'APP_ENV must be development or production').optional(),
  /** "id1:key1,id2:key2", each key 32 bytes in base64 or hex; the first one encrypts (rotation). */
  CREDENTIALS_KEY: z.string().optional(),
  /** Extra https origins a connection's baseUrl may name in production (guessed or staging hosts). */
  ALLOWED_UPSTREAM_ORIGINS: z.string().optional(),
  DATA_DIR: z.string().default('.data'),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  /** The worker's /metrics port; 0 switches the worker's metrics (ours and the SDK's) off. */
  METRICS_PORT: z.coerce.number().int().min(0).max(65535, 'METRICS_PORT must be a port number (0 = off)').default(9464),
  METRICS_HOST: z.string().min(1).default('127.0.0.1'),
  /** When set, /metrics (API and worker) wants `Authorization: Bearer <token>`; unset, it is open. */
  METRICS_TOKEN: z.string().min(16, 'METRICS_TOKEN must be at least 16 characters').optional(),
});

export interface CredentialKey {
  id: string;
  key: Buffer;
}

export interface Config {
  appEnv: AppEnv;
  /** Origins allowed as a connection's baseUrl in production besides each adapter's documented host. */
  allowedUpstreamOrigins?: string[];
  port: number;
  host: string;
  adminApiKey?: string;
  databaseUrl: string;
  temporal: { address: string; namespace: string; taskQueue: string };
  trackingPollIntervalMs: number;
  confirmationTimeoutMs: number;
  /** A PO not shipped this long after it was placed waits for a person (`tracking_overdue`). */
  trackingOverdueMs: number;
  /** How often a dropship still reads a PO that its account's tracking reader follows (a safety net). */
  trackingFallbackIntervalMs?: number;
  /** Call-log rows older than this are deleted daily. */
  callLogRetentionMs: number;
  /** The first key encrypts; all of them decrypt (rotation). */
  credentialKeys: CredentialKey[];
  dataDir: string;
  logLevel: string;
  /** The worker's /metrics (port 0 = off) and the optional scrape token of both processes. */
  metrics: { host: string; port: number; token?: string };
}

export class ConfigError extends Error {}

function decodeKey(text: string, where: string): Buffer {
  const t = text.trim();
  const buf = /^[0-9a-fA-F]{64}$/.test(t) ? Buffer.from(t, 'hex') : Buffer.from(t, 'base64');
  if (buf.length !== 32) throw new ConfigError(`${where} must be 32 bytes, given as 64 hex characters or base64`);
  return buf;
}

const KEY_ID = /^[A-Za-z0-9_.-]{1,32}$/;
const KEY_FORM = 'CREDENTIALS_KEY is a comma-separated list of id:key pairs, each key 32 bytes as 64 hex characters or base64, the first one encrypting: e.g. CREDENTIALS_KEY=k2:<new key>,k1:<old key>';

// Ids are explicit: the stored key id names the key that decrypts a row, so an id that depended
// on a key's position would point at the wrong key after a reordering rotation.
export function parseCredentialKeys(value: string): CredentialKey[] {
  const keys = value
    .split(',')
    .map((part) => part.trim())
    .filter(Boolean)
    .map((part) => {
      const idx = part.indexOf(':');
      const id = part.slice(0, Math.max(idx, 0));
      if (!KEY_ID.test(id)) {
        throw new ConfigError(`${KEY_FORM} (key ids are 1-32 letters, digits, "_", "." or "-"; a key given without an id used to be called k1, k2… by its position).`);
      }
      return { id, key: decodeKey(part.slice(idx + 1), `CREDENTIALS_KEY key "${id}"`) };
    });
  if (!keys.length) throw new ConfigError(`CREDENTIALS_KEY is empty. ${KEY_FORM}.`);
  const ids = keys.map((k) => k.id);
  const twice = ids.find((id, i) => ids.indexOf(id) !== i);
  if (twice) throw new ConfigError(`CREDENTIALS_KEY names key id "${twice}" twice; each key needs its own id.`);
  return keys;
}

/** APP_ENV, or `production` when NODE_ENV says so and APP_ENV is unset. */
export function appEnvFrom(env: NodeJS.ProcessEnv): AppEnv {
  const v = env.APP_ENV ?? (env.NODE_ENV === 'production' ? 'production' : 'development');
  // anything unrecognised gets the strict rules (loadConfig refuses it with a sentence)
  return v === 'development' ? 'development' : 'production';
}

/** One ALLOWED_UPSTREAM_ORIGINS entry: an https origin naming a public host. */
function allowedOrigin(text: string): string {
  const bad = (problem: string) => new ConfigError(`ALLOWED_UPSTREAM_ORIGINS entry "${text}" ${problem}.`);
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw bad('is not a URL');
  }
  if (url.protocol !== 'https:') throw bad('must be https');
  if (url.username || url.password || url.pathname !== '/' || url.search || url.hash) throw bad('must be an origin only: https://host[:port]');
  if (isIP(url.hostname.replace(/^\[|\]$/g, '')) || hostKind(url.hostname)) throw bad('must name a public host by name, not an address or a local name');
  return url.origin;
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
  const appEnv = appEnvFrom(env);
  if (appEnv === 'production' && !e.CREDENTIALS_KEY) {
    // a generated key would live on one machine's disk: other processes could not decrypt, and a lost disk loses every secret
    throw new ConfigError(`CREDENTIALS_KEY is required when APP_ENV is production. ${KEY_FORM}.`);
  }
  return {
    appEnv,
    allowedUpstreamOrigins: (e.ALLOWED_UPSTREAM_ORIGINS ?? '').split(',').map((o) => o.trim()).filter(Boolean).map(allowedOrigin),
    port: e.PORT,
    host: e.HOST,
    adminApiKey: e.ADMIN_API_KEY,
    databaseUrl: e.DATABASE_URL,
    temporal: { address: e.TEMPORAL_ADDRESS, namespace: e.TEMPORAL_NAMESPACE, taskQueue: e.TEMPORAL_TASK_QUEUE },
    trackingPollIntervalMs: e.TRACKING_POLL_INTERVAL,
    confirmationTimeoutMs: e.CONFIRMATION_TIMEOUT,
    trackingOverdueMs: e.TRACKING_OVERDUE,
    trackingFallbackIntervalMs: e.TRACKING_FALLBACK_INTERVAL,
    callLogRetentionMs: e.CALL_LOG_RETENTION,
    credentialKeys: e.CREDENTIALS_KEY ? parseCredentialKeys(e.CREDENTIALS_KEY) : devCredentialKeys(e.DATA_DIR),
    dataDir: e.DATA_DIR,
    logLevel: e.LOG_LEVEL,
    metrics: { host: e.METRICS_HOST, port: e.METRICS_PORT, token: e.METRICS_TOKEN },
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
