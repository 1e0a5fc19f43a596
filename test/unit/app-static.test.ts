// The /app plugin hands out the front end's files with their types, a strict CSP and revalidation,
// stays out of the OpenAPI document, and answers anything else with the API's 404 shape.
import fastifySwagger from '@fastify/swagger';
import Fastify, { type FastifyInstance } from 'fastify';
import { jsonSchemaTransform } from 'fastify-type-provider-zod';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { errorsPlugin } from '../../src/api/errors';
import { APP_CSP, appRoutes } from '../../src/api/routes/app';

let app: FastifyInstance;
let base: string;
beforeAll(async () => {
  app = Fastify();
  await app.register(errorsPlugin);
  // as in src/api/app.ts: the zod transform builds the document
  await app.register(fastifySwagger, { openapi: { info: { title: 't', version: '1' } }, transform: jsonSchemaTransform });
  await app.register(appRoutes);
  base = await app.listen({ port: 0, host: '127.0.0.1' });
});
afterAll(() => app.close());

// over HTTP: Fastify's inject needs an ESM-only package jest cannot load
const get = (path: string, headers: Record<string, string> = {}) => fetch(`${base}${path}`, { headers, redirect: 'manual' });

it('redirects /app to /app/ so the relative asset paths resolve', async () => {
  const r = await get('/app');
  expect(r.status).toBe(301);
  expect(r.headers.get('location')).toBe('/app/');
});

it.each([
  ['/app/', 'text/html; charset=utf-8', 'index.html'],
  ['/app/main.js', 'text/javascript; charset=utf-8', 'main.js'],
  ['/app/app.css', 'text/css; charset=utf-8', 'app.css'],
  ['/app/icon.svg', 'image/svg+xml', 'icon.svg'],
])('serves %s as %s with the CSP and revalidation headers', async (url, type, file) => {
  const r = await get(url);
  expect(r.status).toBe(200);
  expect(r.headers.get('content-type')).toBe(type);
  expect(await r.text()).toBe(readFileSync(join(__dirname, '../../src/app', file), 'utf8'));
  expect(r.headers.get('content-security-policy')).toBe(APP_CSP);
  expect(APP_CSP).toContain("script-src 'self'");
  expect(APP_CSP).not.toContain('unsafe-inline');
  expect(r.headers.get('x-content-type-options')).toBe('nosniff');
  expect(r.headers.get('cache-control')).toBe('no-cache');
  const again = await get(url, { 'if-none-match': r.headers.get('etag')! });
  expect(again.status).toBe(304);
  expect(await again.text()).toBe('');
});

it('has no inline script or style in the page (the CSP would refuse them)', () => {
  const html = readFileSync(join(__dirname, '../../src/app/index.html'), 'utf8');
  expect(html).not.toMatch(/<script(?![^>]*\bsrc=)[^>]*>/);
  expect(html).not.toMatch(/\sstyle=|<style|\son[a-z]+=/i);
});

it.each(['/app/nope.js', '/app/..%2Fapi%2Fapp.ts', '/app/%2e%2e%2fpackage.json'])('answers %s with the API 404 shape', async (url) => {
  const r = await get(url);
  expect(r.status).toBe(404);
  expect(await r.json()).toEqual({ error: 'not_found', message: expect.any(String) });
});

it('is not part of the OpenAPI document', () => {
  const doc = app.swagger() as { paths?: Record<string, unknown> };
  expect(Object.keys(doc.paths ?? {}).filter((p) => p.startsWith('/app'))).toEqual([]);
});
