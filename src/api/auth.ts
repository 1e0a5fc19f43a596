// Bearer-key auth. The admin key comes from ADMIN_API_KEY; tenant keys are looked up by hash.
// Routes declare who may call them with `config: { auth: 'admin' | 'tenant' | 'public' }`.
import { timingSafeEqual } from 'node:crypto';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import type { Sql } from '../db';
import { tenantByApiKey, type Tenant } from '../tenants';
import { ApiError } from './errors';

export type AuthRequirement = 'admin' | 'tenant' | 'public';

declare module 'fastify' {
  interface FastifyContextConfig {
    auth?: AuthRequirement;
    /** The paid add-on must be on for this route (starting and confirming dropships). */
    requiresOrderAutomation?: boolean;
  }
  interface FastifyRequest {
    tenant?: Tenant;
  }
}

function bearer(req: FastifyRequest): string | undefined {
  const h = req.headers.authorization;
  if (!h) return undefined;
  const m = /^Bearer\s+(\S+)\s*$/i.exec(h);
  return m?.[1];
}

function sameSecret(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

export const authPlugin = fp(async (app: FastifyInstance, opts: { sql: Sql; adminApiKey?: string }) => {
  app.decorateRequest('tenant', undefined);
  app.addHook('onRequest', async (req) => {
    const need = req.routeOptions.config?.auth ?? 'public';
    if (need === 'public') return;
    const key = bearer(req);
    if (!key) throw new ApiError(401, 'unauthorized', 'Send your API key as "Authorization: Bearer <key>"');
    if (need === 'admin') {
      if (!opts.adminApiKey || !sameSecret(key, opts.adminApiKey)) {
        throw new ApiError(401, 'unauthorized', 'This operation needs the admin API key');
      }
      return;
    }
    const tenant = await tenantByApiKey(opts.sql, key);
    if (!tenant) throw new ApiError(401, 'unauthorized', 'The API key is not valid');
    req.tenant = tenant;
    if (req.routeOptions.config?.requiresOrderAutomation && !tenant.orderAutomationEnabled) {
      throw new ApiError(
        403,
        'order_automation_disabled',
        'Order automation is a paid add-on that is not switched on for this dealer account; ask support to enable it',
      );
    }
  });
});

/** The authenticated tenant of a tenant route. */
export function tenantOf(req: FastifyRequest): Tenant {
  if (!req.tenant) throw new ApiError(401, 'unauthorized', 'The API key is not valid');
  return req.tenant;
}
