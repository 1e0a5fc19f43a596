// The worker's /metrics: our registries plus the Temporal SDK's own metrics on one endpoint.
//
// The SDK's metrics live in its Rust core, which exports them through its own Prometheus
// endpoint (runtime telemetry). We bind that endpoint to a loopback port nobody else is told
// about and append its text to ours on every scrape. The SDK's alternative, a metrics buffer
// drained into prom-client, is marked experimental, drops global tags, and would make us re-declare
// every SDK metric and its buckets; the loopback hop costs one local request per scrape.
import { timingSafeEqual } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import { createServer as createNetServer, type AddressInfo } from 'node:net';
import type { Registry } from 'prom-client';
import { activityMetrics, callMetrics, exposition, processMetrics, PROMETHEUS_CONTENT_TYPE } from './metrics';

/** True when the Authorization header carries exactly `Bearer <token>` (compared in constant time). */
export function bearerMatches(authorization: string | undefined, token: string): boolean {
  const given = Buffer.from(/^Bearer\s+(\S+)\s*$/i.exec(authorization ?? '')?.[1] ?? '');
  const want = Buffer.from(token);
  return given.length === want.length && timingSafeEqual(given, want);
}

/** A port free on loopback right now, for the SDK's exporter (which cannot report a port it picked itself). */
export async function freeLoopbackPort(): Promise<number> {
  const probe = createNetServer();
  await new Promise<void>((resolve, reject) => probe.once('error', reject).listen(0, '127.0.0.1', resolve));
  const { port } = probe.address() as AddressInfo;
  await new Promise((resolve) => probe.close(resolve));
  return port;
}

/**
 * `telemetryOptions` for Runtime.install: the SDK's Prometheus exporter on loopback, durations in
 * seconds like ours. Returns the URL to read it from.
 */
export function sdkPrometheusTelemetry(port: number) {
  return {
    url: `http://127.0.0.1:${port}/metrics`,
    telemetryOptions: { metrics: { prometheus: { bindAddress: `127.0.0.1:${port}`, useSecondsForDurations: true } } },
  };
}

async function sdkText(url: string | undefined): Promise<string> {
  if (!url) return '';
  try {
    const r = await fetch(url, { signal: AbortSignal.timeout(2000) });
    if (!r.ok) throw new Error(`HTTP ${r.status}`);
    return await r.text();
  } catch (err) {
    // our own metrics still answer; the gap shows on the dashboard's SDK panels
    return `# Temporal SDK metrics unavailable: ${(err as Error).message.replace(/\s+/g, ' ')}\n`;
  }
}

export interface MetricsServerOptions {
  host: string;
  /** 0 picks a free port (tests). */
  port: number;
  /** When set, a scrape must send `Authorization: Bearer <token>`. */
  token?: string;
  /** The SDK's own exporter (sdkPrometheusTelemetry().url). */
  sdkMetricsUrl?: string;
  /** Defaults to the worker's: external calls, activities and the worker's process metrics. */
  registries?: Registry[];
}

export interface MetricsServer {
  url: string;
  close(): Promise<void>;
}

export async function startMetricsServer(opts: MetricsServerOptions): Promise<MetricsServer> {
  const registries = opts.registries ?? [callMetrics, activityMetrics, processMetrics('worker')];
  const server: Server = createServer((req, res) => {
    const path = (req.url ?? '').split('?')[0];
    if (req.method !== 'GET' || path !== '/metrics') {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('Not found: GET /metrics\n');
      return;
    }
    if (opts.token && !bearerMatches(req.headers.authorization, opts.token)) {
      res.writeHead(401, { 'content-type': 'text/plain', 'www-authenticate': 'Bearer' }).end('Send the metrics token as "Authorization: Bearer <token>"\n');
      return;
    }
    sdkText(opts.sdkMetricsUrl)
      .then((sdk) => exposition(registries, sdk))
      .then(
        (text) => res.writeHead(200, { 'content-type': PROMETHEUS_CONTENT_TYPE }).end(text),
        (err: Error) => res.writeHead(500, { 'content-type': 'text/plain' }).end(`metrics failed: ${err.message}\n`),
      );
  });
  await new Promise<void>((resolve, reject) => server.once('error', reject).listen(opts.port, opts.host, resolve));
  const { port } = server.address() as AddressInfo;
  const host = opts.host.includes(':') ? `[${opts.host}]` : opts.host;
  return {
    url: `http://${host}:${port}/metrics`,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
