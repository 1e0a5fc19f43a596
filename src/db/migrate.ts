// Versioned SQL migrations from src/db/migrations, applied in name order at start-up.
// Safe to run twice (applied versions are recorded) and by two processes at once (an
// advisory lock serialises them). Creates the database itself when it does not exist.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import postgres from 'postgres';

const MIGRATIONS_DIR = join(__dirname, 'migrations');
const LOCK_ID = 724_311_001; // arbitrary, constant: "dropship migrations"

export async function ensureDatabase(databaseUrl: string, log: (m: string) => void = () => undefined): Promise<void> {
  const url = new URL(databaseUrl);
  const name = decodeURIComponent(url.pathname.replace(/^\//, ''));
  if (!name) return;
  const admin = new URL(databaseUrl);
  admin.pathname = '/postgres';
  const sql = postgres(admin.toString(), { max: 1, onnotice: () => undefined, connect_timeout: 10 });
  try {
    const rows = await sql`SELECT 1 FROM pg_database WHERE datname = ${name}`;
    if (rows.length === 0) {
      try {
        await sql.unsafe(`CREATE DATABASE "${name.replace(/"/g, '""')}"`);
        log(`created database ${name}`);
      } catch (err) {
        // another process created it between our check and our CREATE
        if ((err as { code?: string }).code !== '42P04') throw err;
      }
    }
  } finally {
    await sql.end({ timeout: 5 });
  }
}

export async function migrate(databaseUrl: string, log: (m: string) => void = () => undefined): Promise<string[]> {
  await ensureDatabase(databaseUrl, log);
  const sql = postgres(databaseUrl, { max: 1, onnotice: () => undefined, connect_timeout: 10 });
  const applied: string[] = [];
  try {
    await sql`SELECT pg_advisory_lock(${LOCK_ID})`;
    try {
      await sql`CREATE TABLE IF NOT EXISTS schema_migrations (
        version text PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())`;
      const done = new Set((await sql`SELECT version FROM schema_migrations`).map((r) => r.version as string));
      const files = readdirSync(MIGRATIONS_DIR).filter((f) => f.endsWith('.sql')).sort();
      for (const file of files) {
        const version = file.replace(/\.sql$/, '');
        if (done.has(version)) continue;
        const text = readFileSync(join(MIGRATIONS_DIR, file), 'utf8');
        await sql.begin(async (tx) => {
          await tx.unsafe(text);
          await tx`INSERT INTO schema_migrations (version) VALUES (${version})`;
        });
        applied.push(version);
        log(`applied migration ${version}`);
      }
    } finally {
      await sql`SELECT pg_advisory_unlock(${LOCK_ID})`;
    }
  } finally {
    await sql.end({ timeout: 5 });
  }
  return applied;
}
