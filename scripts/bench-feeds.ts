// `npm run bench:feeds`: imports a generated 200,000-row feed of each distributor (WPS API pages
// + pricing file, Parts Unlimited ZIP of latin-1 CSVs, Tucker fixed-width over FTP, Automatic CSV
// over FTP) from the simulators into a Postgres database of its own, twice: a first load and an
// unchanged file. Each import runs in a fresh child process, so its peak RSS is its own.
// Prints rows per second and peak memory; targets: under 10 s and 300 MB per import.
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import postgres from 'postgres';
import { createSql } from '../src/db';
import { migrate } from '../src/db/migrate';
import { DEMO_CREDENTIALS, DEMO_FEED_LOGINS, demoFeedSettings } from '../src/dev/demo';
import { distributorModule } from '../src/distributors/registry';
import { importFeedRecords } from '../src/feeds/import';
import { createHttpClientFactory } from '../src/http';
import { distributorSimulators, type RunnableSimulator } from '../src/simulators/registry';

const DB_URL = process.env.BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/dropship_bench_feeds';
const ROWS = Number(process.env.BENCH_FEED_ROWS ?? 200_000);
const TARGET_SECONDS = 10;
const TARGET_RSS_MB = 300;
const FORMATS: Record<string, string> = {
  wps: 'API item pages + dealer-pricing CSV',
  'parts-unlimited': 'ZIP of latin-1 CSVs',
  'tucker-rocky': 'fixed-width file over FTP',
  automatic: 'CSV over FTP',
};

interface ChildJob {
  code: string;
  tenantId: string;
  creds: unknown;
  baseUrl: string;
}

interface Pass {
  ms: number;
  rowsRead: number;
  itemsChanged: number;
  badRows: number;
}

/** In the child: two imports of one feed; prints one JSON line. */
async function child(job: ChildJob): Promise<void> {
  const mod = distributorModule(job.code)!;
  const sql = createSql(DB_URL, { max: 2 });
  const passes: Pass[] = [];
  for (let i = 0; i < 2; i++) {
    const tmpDir = mkdtempSync(join(tmpdir(), 'bench-feed-'));
    const started = performance.now();
    const r = await importFeedRecords(
      sql,
      job.tenantId,
      job.code,
      mod.feed.read(job.creds, { baseUrl: job.baseUrl, http: createHttpClientFactory(), urlPolicy: { appEnv: 'development', productionOrigins: [] }, tmpDir }),
    );
    passes.push({ ms: Math.round(performance.now() - started), rowsRead: r.rowsRead, itemsChanged: r.itemsChanged, badRows: r.badRows });
    rmSync(tmpDir, { recursive: true, force: true });
  }
  await sql.end({ timeout: 5 });
  process.stdout.write(`${JSON.stringify({ passes, peakRssMb: Math.round(process.resourceUsage().maxRSS / 1024) })}\n`);
}

function runChild(job: ChildJob): Promise<{ status: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const p = spawn(process.execPath, [...process.execArgv, __filename, '--child'], { env: { ...process.env, BENCH_FEED_JOB: JSON.stringify(job) } });
    let stdout = '';
    let stderr = '';
    p.stdout.on('data', (d) => (stdout += d));
    p.stderr.on('data', (d) => (stderr += d));
    p.on('error', reject);
    p.on('close', (status) => resolve({ status, stdout, stderr }));
  });
}

async function control(url: string, path: string, body: unknown): Promise<void> {
  const r = await fetch(`${url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  if (!r.ok) throw new Error(`${path}: ${r.status} ${await r.text()}`);
}

async function main(): Promise<void> {
  const admin = new URL(DB_URL);
  const dbName = admin.pathname.slice(1);
  admin.pathname = '/postgres';
  const root = postgres(admin.toString(), { max: 1, onnotice: () => undefined });
  await root.unsafe(`DROP DATABASE IF EXISTS "${dbName}" WITH (FORCE)`);
  await root.end();
  await migrate(DB_URL);
  const sql = createSql(DB_URL, { max: 1 });
  const tenantId = randomUUID();
  await sql`INSERT INTO tenants (id, name) VALUES (${tenantId}, 'feed benchmark')`;
  await sql.end();

  const sims: RunnableSimulator[] = [];
  const results: Record<string, unknown>[] = [];
  try {
    for (const code of Object.keys(FORMATS)) {
      const sim = distributorSimulators[code].create(0);
      sims.push(sim);
      const url = await sim.listen(0);
      await control(url, '/__control/accounts', { credentials: DEMO_CREDENTIALS[code as 'wps'] });
      const login = DEMO_FEED_LOGINS[code as keyof typeof DEMO_FEED_LOGINS];
      if (login) await control(url, '/__control/feed-accounts', login);
      await control(url, '/__control/catalog/generate', { count: ROWS, seed: 1 });
      const ftpPort = sim.ftpUrl ? Number(new URL(sim.ftpUrl).port) : 0;
      const feed = demoFeedSettings(code, { 'tucker-rocky': ftpPort, automatic: ftpPort });
      const job: ChildJob = { code, tenantId, baseUrl: url, creds: { ...DEMO_CREDENTIALS[code as 'wps'], ...(feed ? { feed } : {}) } };
      // The simulators answer from this process while the child imports: wait without blocking.
      const out = await runChild(job);
      if (out.status !== 0) throw new Error(`${code} import failed:\n${out.stderr}`);
      const line = out.stdout.trim().split('\n').pop()!;
      const r = JSON.parse(line) as { passes: Pass[]; peakRssMb: number };
      const [first, again] = r.passes;
      results.push({
        distributor: code,
        format: FORMATS[code],
        rows: first.rowsRead,
        badRows: first.badRows,
        firstImportSeconds: first.ms / 1000,
        rowsPerSecond: Math.round(first.rowsRead / (first.ms / 1000)),
        itemsChanged: first.itemsChanged,
        unchangedReimportSeconds: again.ms / 1000,
        itemsChangedOnReimport: again.itemsChanged,
        peakRssMb: r.peakRssMb,
        meetsTarget: first.ms / 1000 < TARGET_SECONDS && again.ms / 1000 < TARGET_SECONDS && r.peakRssMb < TARGET_RSS_MB,
      });
      await sim.close();
      sims.pop();
    }
  } finally {
    await Promise.all(sims.map((s) => s.close()));
  }

  console.log(`\nFeed imports, ${ROWS.toLocaleString('en-US')} generated rows each (targets: < ${TARGET_SECONDS} s, < ${TARGET_RSS_MB} MB peak RSS per import)\n`);
  console.log('| Distributor | Format | Rows | First import | Rows/s | Unchanged re-import | Peak RSS | Target |');
  console.log('| --- | --- | --- | --- | --- | --- | --- | --- |');
  for (const r of results as any[]) {
    console.log(
      `| ${r.distributor} | ${r.format} | ${r.rows.toLocaleString('en-US')} | ${r.firstImportSeconds.toFixed(1)} s | ${r.rowsPerSecond.toLocaleString('en-US')} | ${r.unchangedReimportSeconds.toFixed(1)} s (${r.itemsChangedOnReimport} changed) | ${r.peakRssMb} MB | ${r.meetsTarget ? 'met' : 'MISSED'} |`,
    );
  }
  mkdirSync('.data', { recursive: true });
  writeFileSync('.data/bench-feeds.json', JSON.stringify({ at: new Date().toISOString(), rows: ROWS, results }, null, 2));
  console.log('\nWritten to .data/bench-feeds.json');
}

if (process.argv.includes('--child')) {
  child(JSON.parse(process.env.BENCH_FEED_JOB!) as ChildJob).catch((err) => {
    console.error(err);
    process.exit(1);
  });
} else {
  main().catch((err) => {
    console.error(err);
    process.exit(1);
  });
}
