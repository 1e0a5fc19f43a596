import { z } from 'zod';
import type { ZodApp } from '../app';
import { notFound } from '../errors';
import { CreateTenantBody, ErrorBody, OrderAutomationBody, TenantResponse } from '../schemas';
import { createTenant, setOrderAutomation } from '../../tenants';

export async function adminRoutes(app: ZodApp) {
  const { sql } = app.deps;
  app.post(
    '/v1/tenants',
    {
      config: { auth: 'admin' },
      schema: {
        tags: ['admin'],
        summary: 'Create a tenant (dealer account); the API key is shown once',
        body: CreateTenantBody,
        response: { 201: TenantResponse, 400: ErrorBody, 401: ErrorBody },
      },
    },
    async (req, reply) => {
      const { tenant, apiKey } = await createTenant(sql, req.body.name);
      return reply.code(201).send({ id: tenant.id, name: tenant.name, apiKey, orderAutomation: { enabled: tenant.orderAutomationEnabled } });
    },
  );
  app.put(
    '/v1/tenants/:tenantId/order-automation',
    {
      config: { auth: 'admin' },
      schema: {
        tags: ['admin'],
        summary: 'Switch the order-automation add-on on or off for a tenant',
        params: z.object({ tenantId: z.string().uuid() }),
        body: OrderAutomationBody,
        response: { 200: TenantResponse, 400: ErrorBody, 401: ErrorBody, 404: ErrorBody },
      },
    },
    async (req) => {
      const t = await setOrderAutomation(sql, req.params.tenantId, req.body.enabled);
      if (!t) throw notFound(`Tenant ${req.params.tenantId}`);
      return { id: t.id, name: t.name, orderAutomation: { enabled: t.orderAutomationEnabled } };
    },
  );
}
