import { z } from 'zod';
import type { ZodApp } from '../app';
import { tenantOf } from '../auth';
import { ApiError, notFound } from '../errors';
import { DistributorItemResponse, ErrorBody, KNOWN_DISTRIBUTORS, ProductBody, ProductResponse, WarehouseRuleBody, WarehouseRuleResponse } from '../schemas';
import { getDistributorItem, getProduct, upsertProduct, upsertWarehouseRule } from '../../catalog';
import { distributorModule } from '../../distributors/registry';

export function requireDistributor(code: string, path: string) {
  const mod = distributorModule(code);
  if (!mod) {
    const why = (KNOWN_DISTRIBUTORS as readonly string[]).includes(code) ? 'is not supported yet' : 'is not a known distributor code';
    throw new ApiError(400, 'validation_failed', `distributor "${code}" ${why}`, [{ path, message: `unsupported distributor "${code}"` }]);
  }
  return mod;
}

export async function catalogRoutes(app: ZodApp) {
  const { sql } = app.deps;
  app.put(
    '/v1/warehouse-rules/:distributor/:warehouse',
    {
      config: { auth: 'tenant' },
      schema: {
        tags: ['catalog'],
        summary: "Set a distributor warehouse's rule: lead time (without a rule: 1 day), excluded, minimum buffer, drop-ship price cutoff",
        params: z.object({ distributor: z.string().min(1).max(40), warehouse: z.string().min(1).max(20) }),
        body: WarehouseRuleBody,
        response: { 200: WarehouseRuleResponse, 400: ErrorBody, 401: ErrorBody },
      },
    },
    async (req) => {
      const mod = requireDistributor(req.params.distributor, 'params.distributor');
      if (!mod.warehouses.includes(req.params.warehouse)) {
        throw new ApiError(400, 'validation_failed', `${mod.displayName} has no warehouse "${req.params.warehouse}" (known: ${mod.warehouses.join(', ')})`, [
          { path: 'params.warehouse', message: `unknown ${mod.code} warehouse` },
        ]);
      }
      return upsertWarehouseRule(sql, tenantOf(req).id, mod.code, req.params.warehouse, req.body);
    },
  );
  app.put(
    '/v1/catalog/products/:sku',
    {
      config: { auth: 'tenant' },
      schema: {
        tags: ['catalog'],
        summary:
          "Create or replace a product: its UPC / brand + manufacturer part number for matching feed items, and offers naming a distributor's part (with cost and stock, or taking both from the feed)",
        params: z.object({ sku: z.string().min(1).max(60) }),
        body: ProductBody,
        response: { 200: ProductResponse, 400: ErrorBody, 401: ErrorBody },
      },
    },
    async (req) => {
      const seen = new Set<string>();
      req.body.offers.forEach((o, i) => {
        requireDistributor(o.distributor, `body.offers.${i}.distributor`);
        if (seen.has(o.distributor)) {
          throw new ApiError(400, 'validation_failed', `Only one offer per distributor (${o.distributor} appears twice)`, [
            { path: `body.offers.${i}.distributor`, message: 'duplicate distributor' },
          ]);
        }
        seen.add(o.distributor);
      });
      const t = tenantOf(req);
      await upsertProduct(sql, t.id, req.params.sku, req.body);
      return (await getProduct(sql, t.id, req.params.sku))!;
    },
  );
  app.get(
    '/v1/catalog/products/:sku',
    {
      config: { auth: 'tenant' },
      schema: {
        tags: ['catalog'],
        summary: "A product with each offer's warehouses (with lead times) and whether it is drop-shippable",
        params: z.object({ sku: z.string().min(1).max(60) }),
        response: { 200: ProductResponse, 401: ErrorBody, 404: ErrorBody },
      },
    },
    async (req) => {
      const p = await getProduct(sql, tenantOf(req).id, req.params.sku);
      if (!p) throw notFound(`Product ${req.params.sku}`);
      return p;
    },
  );
  app.get(
    '/v1/distributor-items/:distributor/:partNumber',
    {
      config: { auth: 'tenant' },
      schema: {
        tags: ['catalog'],
        summary: "One item of a distributor's feed as last imported (part number in any punctuation)",
        params: z.object({ distributor: z.string().min(1).max(40), partNumber: z.string().min(1).max(60) }),
        response: { 200: DistributorItemResponse, 400: ErrorBody, 401: ErrorBody, 404: ErrorBody },
      },
    },
    async (req) => {
      const mod = requireDistributor(req.params.distributor, 'params.distributor');
      const item = await getDistributorItem(sql, tenantOf(req).id, mod.code, req.params.partNumber);
      if (!item) throw notFound(`${mod.displayName} item ${req.params.partNumber}`);
      return item;
    },
  );
}
