// What every simulator shares: a Fastify app, request recording, fault injection and the
// `/__control` routes tests and the demo use to steer it. Each distributor or marketplace
// simulator adds its own API routes and its own control routes (accounts, catalog, ship).
import Fastify, { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';

export type FaultType =
  /** Answer with `status` (and the simulator's own error body for it, or `body`). */
  | 'status'
  /** The API's own throttling signal (429 + Retry-After, or Automatic's 403/E003, …). */
  | 'throttle'
  /** Wait `delayMs` before handling the request normally. */
  | 'slow'
  /** Handle (commit) the request, then never answer: the client times out. */
  | 'lost_ack'
  /** Handle (commit) the request, then drop the connection: the client sees a reset. */
  | 'reset_after_commit';

export interface Fault {
  type: FaultType;
  /** Only requests with this method match (any when omitted). */
  method?: string;
  /** Only requests whose path (without query) starts with this prefix match. */
  pathPrefix?: string;
  /** Only requests whose path matches this regular expression (source text). */
  pathPattern?: string;
  /** Only requests whose query has these values (case-insensitive), e.g. Tucker's {type:'ORD', submit:'YES'}. */
  query?: Record<string, string>;
  status?: number;
  body?: unknown;
  delayMs?: number;
  retryAfterSeconds?: number;
  /** How many matching requests the fault applies to (default 1; 0 = until cleared). */
  times?: number;
}

interface ActiveFault extends Fault {
  remaining: number;
}

export interface RecordedRequest {
  method: string;
  path: string;
  query: Record<string, string | string[]>;
  body: unknown;
  headers: Record<string, string | string[] | undefined>;
  at: string;
}

export interface SimulatorHooks {
  /** The API's own error body for a status (used by `status` faults without a body). */
  errorBody(status: number, req: FastifyRequest): unknown;
  /** The API's own throttling answer. */
  throttle(reply: FastifyReply, retryAfterSeconds: number, req: FastifyRequest): FastifyReply;
  /** Called by `POST /__control/reset` after faults and recordings are cleared. */
  reset(): void;
}

declare module 'fastify' {
  interface FastifyRequest {
    simulatorAfterCommit?: 'lost_ack' | 'reset_after_commit';
  }
}

const REDACTED_HEADERS = ['authorization', 'api-key', 'x-shopify-access-token', 'wm_sec.access_token', 'x-amz-access-token'];

function recordQuery(q: unknown): Record<string, string | string[]> {
  return (q ?? {}) as Record<string, string | string[]>;
}

export class SimulatorHarness {
  readonly app: FastifyInstance;
  readonly requests: RecordedRequest[] = [];
  private faults: ActiveFault[] = [];

  constructor(
    readonly name: string,
    private readonly hooks: SimulatorHooks,
  ) {
    this.app = Fastify({
      logger: false,
      forceCloseConnections: true,
      // Tucker-style repeated query keys arrive as arrays.
      routerOptions: { ignoreTrailingSlash: true },
    });
    // Accept empty JSON bodies and bodies sent with the wrong content type without crashing;
    // simulators validate content type themselves where the real API does.
    this.app.addContentTypeParser('*', { parseAs: 'string' }, (_req, body, done) => done(null, body));
    this.app.removeContentTypeParser('application/json');
    this.app.addContentTypeParser('application/json', { parseAs: 'string' }, (_req, body, done) => {
      const text = String(body ?? '');
      if (text.trim() === '') return done(null, undefined);
      try {
        done(null, JSON.parse(text));
      } catch {
        const err = new Error('Malformed JSON') as Error & { statusCode: number };
        err.statusCode = 400;
        done(err, undefined);
      }
    });

    this.app.addHook('onRequest', async (req, reply) => {
      const path = req.url.split('?')[0];
      if (path.startsWith('/__control')) return;
      const headers: RecordedRequest['headers'] = {};
      for (const [k, v] of Object.entries(req.headers)) headers[k] = REDACTED_HEADERS.includes(k) ? '***' : v;
      // Recorded on arrival (so a test can see a request that a `slow` fault is holding);
      // the body is attached in preHandler once parsed.
      const rec: RecordedRequest = { method: req.method, path, query: recordQuery(req.query), body: undefined, headers, at: new Date().toISOString() };
      (req as FastifyRequest & { recorded?: RecordedRequest }).recorded = rec;
      this.requests.push(rec);
      const fault = this.takeFault(req.method, path, rec.query);
      if (!fault) return;
      switch (fault.type) {
        case 'slow':
          await new Promise((r) => setTimeout(r, fault.delayMs ?? 5000));
          return;
        case 'status':
          return reply.code(fault.status ?? 500).send(fault.body ?? this.hooks.errorBody(fault.status ?? 500, req));
        case 'throttle':
          return this.hooks.throttle(reply, fault.retryAfterSeconds ?? 1, req);
        case 'lost_ack':
        case 'reset_after_commit':
          req.simulatorAfterCommit = fault.type;
          return;
      }
    });
    this.app.addHook('preHandler', async (req) => {
      const rec = (req as FastifyRequest & { recorded?: RecordedRequest }).recorded;
      if (rec) rec.body = req.body;
    });
    this.app.addHook('onSend', async (req, reply, payload) => {
      if (!req.simulatorAfterCommit) return payload;
      const socket = req.raw.socket;
      if (req.simulatorAfterCommit === 'reset_after_commit') {
        socket.destroy();
      } else {
        // The write is committed; the answer never comes. Hold until the client gives up.
        await new Promise<void>((resolve) => {
          if (socket.destroyed) return resolve();
          socket.once('close', () => resolve());
        });
      }
      return payload;
    });

    this.app.post('/__control/faults', async (req, reply) => {
      const body = req.body as Fault | Fault[];
      const list = Array.isArray(body) ? body : [body];
      for (const f of list) {
        if (!f || !['status', 'throttle', 'slow', 'lost_ack', 'reset_after_commit'].includes(f.type)) {
          return reply.code(400).send({ error: 'fault.type must be status|throttle|slow|lost_ack|reset_after_commit' });
        }
        this.addFault(f);
      }
      return { faults: this.faults };
    });
    this.app.get('/__control/faults', async () => ({ faults: this.faults }));
    this.app.delete('/__control/faults', async () => {
      this.faults = [];
      return { faults: [] };
    });
    this.app.get('/__control/requests', async () => ({ requests: this.requests }));
    this.app.delete('/__control/requests', async () => {
      this.requests.length = 0;
      return { requests: [] };
    });
    this.app.post('/__control/reset', async () => {
      this.faults = [];
      this.requests.length = 0;
      this.hooks.reset();
      return { reset: true };
    });
  }

  addFault(f: Fault): void {
    const times = f.times ?? 1;
    this.faults.push({ ...f, remaining: times === 0 ? Number.POSITIVE_INFINITY : times });
  }

  private takeFault(method: string, path: string, query: Record<string, string | string[]>): ActiveFault | undefined {
    const queryMatches = (want?: Record<string, string>) =>
      !want ||
      Object.entries(want).every(([k, v]) => {
        const got = query[k];
        return String(Array.isArray(got) ? got[0] : (got ?? '')).toUpperCase() === v.toUpperCase();
      });
    const i = this.faults.findIndex(
      (f) =>
        (!f.method || f.method.toUpperCase() === method) &&
        (!f.pathPrefix || path.startsWith(f.pathPrefix)) &&
        (!f.pathPattern || new RegExp(f.pathPattern).test(path)) &&
        queryMatches(f.query),
    );
    if (i < 0) return undefined;
    const f = this.faults[i];
    f.remaining -= 1;
    if (f.remaining <= 0) this.faults.splice(i, 1);
    return f;
  }

  async listen(port: number, host = '127.0.0.1'): Promise<string> {
    await this.app.listen({ port, host });
    const addr = this.app.server.address();
    const actual = typeof addr === 'object' && addr ? addr.port : port;
    return `http://${host}:${actual}`;
  }

  async close(): Promise<void> {
    await this.app.close();
  }
}

/** What a marketplace simulator offers its order and config control routes. */
export interface OrderAndConfigSimulator<Order, Config> {
  upsertOrder(order: Order): unknown;
  listOrders(): unknown[];
  getOrder(orderId: string): unknown;
  readonly config: Config;
  configure(patch: Partial<Config>): Config;
}

type Parser<T> = { safeParse(v: unknown): { success: true; data: T } | { success: false; error: { issues: unknown[] } } };

/**
 * The control routes every marketplace simulator has: `POST/GET /__control/orders`,
 * `GET /__control/orders/:orderId`, `GET/POST /__control/config`.
 */
export function registerOrderAndConfigControl<Order, Config>(
  app: FastifyInstance,
  sim: OrderAndConfigSimulator<Order, Config>,
  schemas: { order: Parser<Order>; config: Parser<unknown> },
): void {
  app.post('/__control/orders', async (req, reply) => {
    const parsed = schemas.order.safeParse(req.body);
    if (!parsed.success) return reply.code(400).send({ error: 'invalid order body', issues: parsed.error.issues });
    return sim.upsertOrder(parsed.data);
  });
  app.get('/__control/orders', async () => ({ orders: sim.listOrders() }));
  app.get<{ Params: { orderId: string } }>('/__control/orders/:orderId', async (req, reply) => {
    const o = sim.getOrder(req.params.orderId);
    if (!o) return reply.code(404).send({ error: `no order ${req.params.orderId}` });
    return o;
  });
  app.get('/__control/config', async () => ({ config: sim.config }));
  app.post('/__control/config', async (req, reply) => {
    const parsed = schemas.config.safeParse(req.body ?? {});
    if (!parsed.success) return reply.code(400).send({ error: 'invalid config', issues: parsed.error.issues });
    return { config: sim.configure(parsed.data as Partial<Config>) };
  });
}
