// The HTTP client against a real local server on 127.0.0.1: answers over the size cap, aborts,
// the outbound policy at send time, the pluggable rate limiter, and redaction of every form of a
// secret.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ExternalCallError } from '../../src/external-errors';
import { createHttpClientFactory, redact, type CallRecord, type HttpClientFactoryOptions } from '../../src/http';

type Handler = (req: IncomingMessage, res: ServerResponse) => void;

let server: Server;
let baseUrl: string;
let handler: Handler;
let received: { method?: string; url?: string }[] = [];

beforeAll(async () => {
  server = createServer((req, res) => {
    received.push({ method: req.method, url: req.url });
    handler(req, res);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise((r) => server.close(r));
});
beforeEach(() => {
  received = [];
});

function client(factoryOpts: HttpClientFactoryOptions = {}, clientOpts: { maxResponseBytes?: number } = {}) {
  const calls: CallRecord[] = [];
  const http = createHttpClientFactory((r) => calls.push(r), factoryOpts)({ target: 'testhost', baseUrl, secrets: ['s3cret-token'], ...clientOpts });
  return { http, calls };
}

async function failure(p: Promise<unknown>): Promise<ExternalCallError> {
  const e = await p.then(
    () => undefined,
    (err: unknown) => err,
  );
  expect(e).toBeInstanceOf(ExternalCallError);
  return e as ExternalCallError;
}

/** Writes 64 KiB chunks, honouring backpressure, until `total` bytes or the client goes away. */
function streamBody(total: number, onDone: (written: number) => void, headers: Record<string, string | number> = {}): Handler {
  const chunk = Buffer.alloc(64 * 1024, 'a');
  return (_req, res) => {
    res.writeHead(200, { 'content-type': 'application/json', ...headers });
    let written = 0;
    let closed = false;
    res.on('close', () => {
      closed = true;
      onDone(written);
    });
    const pump = () => {
      while (!closed && written < total) {
        written += chunk.length;
        if (!res.write(chunk)) return void res.once('drain', pump);
      }
      if (!closed) res.end();
    };
    pump();
  };
}

describe('the response size cap', () => {
  it('refuses an endless answer without reading it all, as a permanent failure', async () => {
    const total = 256 * 1024 * 1024;
    let written = -1;
    const done = new Promise<void>((resolve) => {
      handler = streamBody(total, (w) => {
        written = w;
        resolve();
      });
    });
    const { http, calls } = client();
    const e = await failure(http.send({ method: 'GET', path: '/big' }));
    expect(e).toMatchObject({ kind: 'permanent', code: 'response_too_large' });
    expect(e.message).toMatch(/more than 2097152 bytes/);
    await done;
    // the server was cut off long before it could send everything
    expect(written).toBeLessThan(total / 4);
    expect(calls[0]).toMatchObject({ status: 200, error: 'response_too_large: more than 2097152 bytes' });
  });

  it('refuses a declared length over the cap at once, and says a write may have been applied', async () => {
    handler = (_req, res) => {
      res.writeHead(200, { 'content-length': String(3 * 1024 * 1024) });
      res.write('{');
    };
    const e = await failure(client().http.send({ method: 'POST', path: '/orders', json: { a: 1 } }));
    expect(e).toMatchObject({ kind: 'permanent', code: 'response_too_large' });
    expect(e.message).toMatch(/may have been applied/);
  });

  it('takes a per-client cap: an answer at the cap is read, one byte more is refused', async () => {
    handler = (req, res) => res.end('x'.repeat(req.url === '/at' ? 100 : 101));
    const { http } = client({}, { maxResponseBytes: 100 });
    expect((await http.send({ method: 'GET', path: '/at' })).body).toHaveLength(100);
    expect(await failure(http.send({ method: 'GET', path: '/over' }))).toMatchObject({ code: 'response_too_large' });
  });
});

describe('aborting', () => {
  it('sends nothing when the signal is already aborted', async () => {
    handler = (_req, res) => res.end('{}');
    const e = await failure(client({ signal: AbortSignal.abort() }).http.send({ method: 'POST', path: '/orders', json: {} }));
    expect(e).toMatchObject({ kind: 'transient', code: 'timeout' });
    expect(received).toEqual([]);
    const perRequest = await failure(client().http.send({ method: 'GET', path: '/x', signal: AbortSignal.abort() }));
    expect(perRequest).toMatchObject({ kind: 'transient', code: 'timeout' });
    expect(received).toEqual([]);
  });

  it('treats an abort in flight like a timeout: ambiguous for a write, transient for a read', async () => {
    for (const [method, kind] of [
      ['POST', 'ambiguous'],
      ['GET', 'transient'],
    ] as const) {
      const controller = new AbortController();
      const arrived = new Promise<void>((resolve) => {
        handler = () => resolve(); // never answers
      });
      const sent = client({ signal: controller.signal }).http.send({ method, path: '/slow', ...(method === 'POST' ? { json: {} } : {}) });
      await arrived;
      controller.abort();
      const e = await failure(sent);
      expect(e).toMatchObject({ kind, code: 'timeout' });
      expect(e.message).toMatch(/aborted/);
    }
  });
});

describe('the outbound policy at send time', () => {
  it('refuses an address the policy does not allow before connecting, whatever the adapter was given', async () => {
    handler = (_req, res) => res.end('{}');
    const production = { urlPolicy: { appEnv: 'production' as const, productionOrigins: ['https://api.wps-inc.com'] } };
    const { http, calls } = client(production);
    const e = await failure(http.send({ method: 'GET', path: '/items' }));
    expect(e).toMatchObject({ kind: 'permanent', code: 'destination_refused' });
    expect(e.message).toMatch(/must be https:\/\/api\.wps-inc\.com in production/);
    expect(received).toEqual([]);
    expect(calls[0].error).toMatch(/^destination_refused/);
  });

  it('sends to loopback in development', async () => {
    handler = (_req, res) => res.end('{"ok":true}');
    const res = await client({ urlPolicy: { appEnv: 'development', productionOrigins: [] } }).http.send({ method: 'GET', path: '/items' });
    expect(res.json()).toEqual({ ok: true });
  });
});

describe('the rate limiter', () => {
  it('asks the given limiter for each request, before sending', async () => {
    const order: string[] = [];
    handler = (_req, res) => {
      order.push('sent');
      res.end('{}');
    };
    const limiter = {
      async acquire(key: string, perSecond: number) {
        order.push(`acquire ${key} ${perSecond}`);
      },
    };
    const http = createHttpClientFactory(undefined, { limiter })({ target: 'testhost', baseUrl, rateLimit: { key: 'testhost:dealer1', perSecond: 3 } });
    await http.send({ method: 'GET', path: '/a' });
    await http.send({ method: 'GET', path: '/b' });
    expect(order).toEqual(['acquire testhost:dealer1 3', 'sent', 'acquire testhost:dealer1 3', 'sent']);
  });
});

describe('redaction', () => {
  const secret = 'Ab+c/d e"f\\g=h~12';
  const forms = {
    raw: secret,
    'URL-encoded': encodeURIComponent(secret),
    'URL-encoded, lower-case escapes': encodeURIComponent(secret).replace(/%[0-9A-F]{2}/g, (m) => m.toLowerCase()),
    'form-encoded': new URLSearchParams({ k: secret }).toString().slice(2),
    'JSON-escaped': JSON.stringify({ k: secret }),
    'JSON-escaped with \\/': JSON.stringify(secret).replace(/\//g, '\\/'),
    'base64 at offset 0': Buffer.from(secret).toString('base64'),
    'Basic id:secret': `Basic ${Buffer.from(`dealer:${secret}`).toString('base64')}`,
    'Basic ab:secret': `Basic ${Buffer.from(`ab:${secret}`).toString('base64')}`,
    'Basic a:secret': `Basic ${Buffer.from(`a:${secret}`).toString('base64')}`,
    base64url: Buffer.from(`xy${secret}`).toString('base64url'),
  };

  it.each(Object.entries(forms))('removes the %s form', (_name, text) => {
    const out = redact(`before ${text} after`, [secret]);
    expect(out).toMatch(/^before .*\*\*\*.* after$/);
    // what is left cannot be decoded back into the secret
    for (const leftover of [out, decodeURIComponent(out.replace(/\+/g, ' ').replace(/%(?![0-9a-f]{2})/gi, '%25'))]) expect(leftover).not.toContain(secret);
    const b64 = out.match(/Basic (\S+)/)?.[1];
    if (b64) expect(Buffer.from(b64.replace(/\*/g, 'A'), 'base64').toString('latin1')).not.toContain(secret);
  });

  it('leaves other text and short values alone', () => {
    expect(redact('GET /bin/trws?apikey=abc12345&cust=1', ['abc12345'])).toBe('GET /bin/trws?apikey=***&cust=1');
    expect(redact('qty=123 total=123', ['123'])).toBe('qty=123 total=123');
    expect(redact('nothing secret here', [secret, ''])).toBe('nothing secret here');
  });
});
