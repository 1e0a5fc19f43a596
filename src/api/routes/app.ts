// The dealer's screens (src/app): static files read once at start and served under /app. They call
// the public REST API like any other client, so this plugin only hands out files; it is hidden from
// the OpenAPI document because it is not part of the contract.
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { extname, join } from 'node:path';
import type { FastifyInstance, FastifyReply } from 'fastify';
import { notFound } from '../errors';

const APP_DIR = join(__dirname, '..', '..', 'app');

const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
};

// Scripts and styles only from /app itself, data only from this origin, nothing inline, no frames:
// an order field that slipped into markup could not run.
export const APP_CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self'",
  "connect-src 'self'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ');

interface StaticFile {
  body: Buffer;
  type: string;
  etag: string;
}

/** Every file of the front end by name (the folder is flat), with its type and a content hash. */
export function loadAppFiles(dir = APP_DIR): Map<string, StaticFile> {
  const files = new Map<string, StaticFile>();
  for (const name of readdirSync(dir)) {
    const type = CONTENT_TYPES[extname(name)];
    if (!type) continue;
    const body = readFileSync(join(dir, name));
    files.set(name, { body, type, etag: `"${createHash('sha256').update(body).digest('base64url').slice(0, 27)}"` });
  }
  return files;
}

export async function appRoutes(app: FastifyInstance, opts: { dir?: string } = {}) {
  const files = loadAppFiles(opts.dir);
  const hide = { schema: { hide: true } };

  // File names carry no version, so browsers revalidate every time; the ETag makes that a 304.
  function send(reply: FastifyReply, file: StaticFile, ifNoneMatch: string | undefined) {
    reply
      .header('content-security-policy', APP_CSP)
      .header('x-content-type-options', 'nosniff')
      .header('referrer-policy', 'no-referrer')
      .header('cache-control', 'no-cache')
      .header('etag', file.etag);
    if (ifNoneMatch === file.etag) return reply.code(304).send();
    return reply.type(file.type).send(file.body);
  }

  app.get('/app', hide, async (_req, reply) => reply.redirect('/app/', 301));
  app.get('/app/', hide, async (req, reply) => send(reply, files.get('index.html')!, req.headers['if-none-match']));
  app.get<{ Params: { file: string } }>('/app/:file', hide, async (req, reply) => {
    const file = files.get(req.params.file);
    if (!file) throw notFound(`App file ${req.params.file}`);
    return send(reply, file, req.headers['if-none-match']);
  });
}
