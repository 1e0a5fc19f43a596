// The run command (`npm start`): Temporal dev server (unless TEMPORAL_ADDRESS points at a
// cluster), Postgres schema, the simulators, the worker and the API server, then a seeded demo
// dealer. Ctrl-C stops everything.
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { ConfigError, loadConfig } from '../src/config';
import { migrate } from '../src/db/migrate';
import { startDevServer, waitForTemporal, findTemporalCli, type DevServer } from '../src/dev/temporal-server';
import { seedDemo, SIM } from '../src/dev/demo';

const ROOT = resolve(__dirname, '..');
const TSX = join(ROOT, 'node_modules/.bin/tsx');

function adminKey(dataDir: string): string {
  if (process.env.ADMIN_API_KEY) return process.env.ADMIN_API_KEY;
  const file = join(dataDir, 'admin.key');
  if (!existsSync(file)) writeFileSync(file, `adm_${randomBytes(24).toString('base64url')}\n`, { mode: 0o600 });
  return readFileSync(file, 'utf8').trim();
}

function run(name: string, file: string, env: NodeJS.ProcessEnv): ChildProcess {
  const child = spawn(TSX, [file], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
  const prefix = (chunk: Buffer) =>
    chunk
      .toString()
      .split('\n')
      .filter((l) => l.trim())
      .map((l) => `${name.padEnd(10)}| ${l}`)
      .join('\n');
  child.stdout!.on('data', (c: Buffer) => console.log(prefix(c)));
  child.stderr!.on('data', (c: Buffer) => console.error(prefix(c)));
  return child;
}

async function waitForHttp(url: string, timeoutMs: number, ok: (status: number) => boolean = (s) => s < 500): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      const r = await fetch(url);
      if (ok(r.status)) return;
    } catch {
      // not up yet
    }
    if (Date.now() > deadline) throw new Error(`${url} did not come up within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 300));
  }
}

async function main() {
  const env: NodeJS.ProcessEnv = { ...process.env };
  env.TRACKING_POLL_INTERVAL ??= '15s'; // the demo wants tracking within seconds; production default is 30m
  env.DATA_DIR ??= '.data';
  env.METRICS_PORT ??= '9464';
  mkdirSync(resolve(ROOT, env.DATA_DIR), { recursive: true });
  env.ADMIN_API_KEY = adminKey(resolve(ROOT, env.DATA_DIR));
  let config;
  try {
    config = loadConfig(env);
  } catch (err) {
    if (err instanceof ConfigError) {
      console.error(err.message);
      process.exit(2);
    }
    throw err;
  }

  const children: ChildProcess[] = [];
  let temporal: DevServer | undefined;
  let stopping = false;
  const stop = async (code = 0) => {
    if (stopping) return;
    stopping = true;
    console.log('\nStopping…');
    await Promise.all(
      children.map(
        (c) =>
          new Promise<void>((r) => {
            if (c.exitCode !== null) return r();
            c.once('exit', () => r());
            c.kill('SIGTERM');
            setTimeout(() => c.kill('SIGKILL'), 8000).unref();
          }),
      ),
    );
    await temporal?.stop();
    process.exit(code);
  };
  process.on('SIGINT', () => void stop());
  process.on('SIGTERM', () => void stop());

  if (process.env.TEMPORAL_ADDRESS) {
    console.log(`Using the Temporal cluster at ${config.temporal.address} (TEMPORAL_ADDRESS is set)`);
    await waitForTemporal(config.temporal.address, 30_000);
  } else {
    const [host, port] = config.temporal.address.split(':');
    console.log('Starting the Temporal dev server…');
    temporal = await startDevServer({
      cliPath: process.env.TEMPORAL_CLI ?? findTemporalCli(),
      port: Number(port ?? 7233),
      uiPort: Number(port ?? 7233) + 1000,
      dbFile: resolve(ROOT, env.DATA_DIR, 'temporal.sqlite'),
      namespace: config.temporal.namespace,
      logFile: resolve(ROOT, env.DATA_DIR, 'temporal.log'),
    });
    if (host !== '127.0.0.1' && host !== 'localhost') console.warn(`(dev server listens on 127.0.0.1, TEMPORAL_ADDRESS host was ${host})`);
  }

  console.log('Applying the Postgres schema…');
  await migrate(config.databaseUrl, (m) => console.log(`  ${m}`));

  const sims = run('simulators', 'src/simulators/main.ts', env);
  const worker = run('worker', 'worker.ts', env);
  const server = run('server', 'server.ts', env);
  children.push(sims, worker, server);
  for (const [name, c] of [['simulators', sims], ['worker', worker], ['server', server]] as const) {
    c.once('exit', (code) => {
      if (!stopping) {
        console.error(`${name} exited with code ${code}; stopping everything`);
        void stop(1);
      }
    });
  }

  const api = `http://127.0.0.1:${config.port}`;
  await waitForHttp(`${api}/healthz`, 120_000, (s) => s === 200);
  const demo = await seedDemo({ api, adminKey: env.ADMIN_API_KEY!, dataDir: resolve(ROOT, env.DATA_DIR) });
  const ui = process.env.TEMPORAL_ADDRESS ? '(your cluster’s UI)' : `http://127.0.0.1:${Number(config.temporal.address.split(':')[1] ?? 7233) + 1000}`;
  console.log(`
──────────────────────────────────────────────────────────────────────────────
 Dropship engine is running
   Dealer screens ${api}/app/   (sign in with the demo API key)
   API            ${api}
   API docs       ${api}/docs
   Temporal UI    ${ui}   (search: DropshipOrderId="${demo.pssOrderId}")
   Admin key      ${env.ADMIN_API_KEY}
   Demo dealer    ${demo.tenantName}  (tenant ${demo.tenantId})
   Demo API key   ${demo.apiKey}
   Simulators     WPS :4101  Parts Unlimited :4102  Tucker :4103  Automatic :4104
                  eBay :4201  Amazon :4202  Walmart :4203  Shopify :4204
   Tracking poll  every ${env.TRACKING_POLL_INTERVAL}
   Metrics        ${api}/metrics (API server)   http://127.0.0.1:${env.METRICS_PORT}/metrics (worker)

 The demo dropship ${demo.pssOrderId} (two lines → two distributors → two POs) is ${demo.demoStatus}:
 open ${api}/app/#/dropships/${demo.pssOrderId}, swap a line if you like, and Confirm. Then ship at the simulators:
   curl -s -X POST ${SIM.wps}/__control/orders/${demo.wpsPo}/ship -H 'content-type: application/json' -d '{"carrier":"UP2D","trackingNumber":"1Z999AA10123456784"}'
   curl -s -X POST ${SIM['tucker-rocky']}/__control/orders/${demo.tuckerPo}/ship -H 'content-type: application/json' -d '{"carrier":"FEDEX","trackingNumber":"612999000000001"}'
 and the tracking appears on the page within one poll.

 Then, step by step: ${demo.walkthroughFile}
──────────────────────────────────────────────────────────────────────────────`);
}

main().catch((err) => {
  console.error(`npm start failed: ${err.message}`);
  process.exit(1);
});
