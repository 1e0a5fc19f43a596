// One Temporal dev server (in memory, headless, our search attributes) and one fresh Postgres
// database for the whole run; the workflow bundle is built once and shared by every file.
import { writeFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { bundleWorkflowCode } from '@temporalio/worker';
import postgres from 'postgres';
import { migrate } from '../../src/db/migrate';
import { findTemporalCli, startDevServer } from '../../src/dev/temporal-server';

// TEST_RUN_DIR lets several test runs share one machine (each with its own port and database too).
export const RUN_DIR = process.env.TEST_RUN_DIR ?? join(__dirname, '../../.data/test-run');

export default async function globalSetup(): Promise<void> {
  // `UNIT_ONLY=1 npx jest test/unit` skips the server start for quick pure-logic runs.
  if (process.env.UNIT_ONLY) return;
  mkdirSync(RUN_DIR, { recursive: true });
  const base = process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/dropship_test';
  const url = new URL(base);
  const dbName = url.pathname.slice(1);
  const admin = new URL(base);
  admin.pathname = '/postgres';
  const sql = postgres(admin.toString(), { max: 1, onnotice: () => undefined });
  await sql.unsafe(`DROP DATABASE IF EXISTS "${dbName}" WITH (FORCE)`);
  await sql.end();
  await migrate(base);
  process.env.TEST_DATABASE_URL = base;

  if (!process.env.TEST_TEMPORAL_ADDRESS) {
    const port = Number(process.env.TEST_TEMPORAL_PORT ?? 7399);
    const server = await startDevServer({
      cliPath: findTemporalCli(),
      port,
      logFile: join(RUN_DIR, 'temporal.log'),
      // Small history limits so the continue-as-new path runs in tests too.
      extraArgs: ['--dynamic-config-value', 'limit.historyCount.suggestContinueAsNew=150'],
    });
    (globalThis as { __temporal?: unknown }).__temporal = server;
    process.env.TEST_TEMPORAL_ADDRESS = server.address;
  }

  const bundle = await bundleWorkflowCode({ workflowsPath: require.resolve('../../workflows'), logger: { info() {}, warn() {}, error: console.error, debug() {}, trace() {}, log() {} } as never });
  const bundlePath = join(RUN_DIR, 'workflow-bundle.js');
  writeFileSync(bundlePath, bundle.code);
  process.env.TEST_WORKFLOW_BUNDLE = bundlePath;
}
