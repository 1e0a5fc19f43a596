// Catalog products, their distributor offers with per-warehouse stock, and the dealer's
// warehouse rules (lead time, excluded). The daily-feed import writes the same tables.
import type { Sql } from './db';
import { dropshippableStock, roundCents, type OfferInput } from '../workflows/decisions';

/** A warehouse without a rule has a lead time of one day (DESIGN.md). */
export const DEFAULT_LEAD_TIME_DAYS = 1;

export interface ProductInput {
  title?: string;
  offers: { distributor: string; distributorSku: string; unitCost: number; dropshipFee?: number; warehouses: { code: string; quantity: number }[] }[];
}

/** Replaces the product's offers and stock with the given ones, in one transaction. */
export async function upsertProduct(sql: Sql, tenantId: string, sku: string, p: ProductInput): Promise<void> {
  await sql.begin(async (tx) => {
    await tx`INSERT INTO catalog_products (tenant_id, sku, title) VALUES (${tenantId}, ${sku}, ${p.title ?? null})
             ON CONFLICT (tenant_id, sku) DO UPDATE SET title = COALESCE(EXCLUDED.title, catalog_products.title), updated_at = now()`;
    await tx`DELETE FROM catalog_offers WHERE tenant_id = ${tenantId} AND sku = ${sku}`;
    for (const o of p.offers) {
      await tx`INSERT INTO catalog_offers (tenant_id, sku, distributor, distributor_sku, unit_cost, dropship_fee)
               VALUES (${tenantId}, ${sku}, ${o.distributor}, ${o.distributorSku}, ${o.unitCost}, ${o.dropshipFee ?? 0})`;
      for (const w of o.warehouses) {
        await tx`INSERT INTO offer_stock (tenant_id, sku, distributor, warehouse, quantity)
                 VALUES (${tenantId}, ${sku}, ${o.distributor}, ${w.code}, ${w.quantity})
                 ON CONFLICT (tenant_id, sku, distributor, warehouse) DO UPDATE SET quantity = EXCLUDED.quantity`;
      }
    }
  });
}

/** Offers per SKU with each warehouse's rule applied. */
export async function offersFor(sql: Sql, tenantId: string, skus: string[]): Promise<Map<string, OfferInput[]>> {
  const rows = await sql`
    SELECT o.sku, o.distributor, o.distributor_sku, o.unit_cost::float8 AS unit_cost, o.dropship_fee::float8 AS dropship_fee,
           s.warehouse, s.quantity, r.lead_time_days, r.excluded
    FROM catalog_offers o
    LEFT JOIN offer_stock s ON s.tenant_id = o.tenant_id AND s.sku = o.sku AND s.distributor = o.distributor
    LEFT JOIN warehouse_rules r ON r.tenant_id = o.tenant_id AND r.distributor = o.distributor AND r.warehouse = s.warehouse
    WHERE o.tenant_id = ${tenantId} AND o.sku = ANY(${skus})
    ORDER BY o.sku, o.distributor, s.warehouse`;
  const out = new Map<string, OfferInput[]>();
  for (const r of rows) {
    const sku = r.sku as string;
    const offers = out.get(sku) ?? [];
    out.set(sku, offers);
    let offer = offers.find((o) => o.distributor === r.distributor);
    if (!offer) {
      offer = {
        distributor: r.distributor as string,
        distributorSku: r.distributor_sku as string,
        unitCost: r.unit_cost as number,
        dropshipFee: r.dropship_fee as number,
        warehouses: [],
      };
      offers.push(offer);
    }
    if (r.warehouse) {
      offer.warehouses.push({
        code: r.warehouse as string,
        quantity: r.quantity as number,
        leadTimeDays: (r.lead_time_days as number | null) ?? DEFAULT_LEAD_TIME_DAYS,
        excluded: (r.excluded as boolean | null) ?? false,
      });
    }
  }
  return out;
}

export async function getProduct(sql: Sql, tenantId: string, sku: string) {
  const [p] = await sql`SELECT sku, title FROM catalog_products WHERE tenant_id = ${tenantId} AND sku = ${sku}`;
  if (!p) return undefined;
  const offers = (await offersFor(sql, tenantId, [sku])).get(sku) ?? [];
  return {
    sku: p.sku as string,
    title: (p.title as string | null) ?? null,
    offers: offers.map((o) => ({
      distributor: o.distributor,
      distributorSku: o.distributorSku,
      unitCost: o.unitCost,
      dropshipFee: o.dropshipFee,
      landedCost: roundCents(o.unitCost + o.dropshipFee),
      dropshippable: dropshippableStock(o) > 0,
      warehouses: o.warehouses,
    })),
  };
}

export async function upsertWarehouseRule(
  sql: Sql,
  tenantId: string,
  distributor: string,
  warehouse: string,
  rule: { leadTimeDays: number; excluded?: boolean },
) {
  const [r] = await sql`
    INSERT INTO warehouse_rules (tenant_id, distributor, warehouse, lead_time_days, excluded)
    VALUES (${tenantId}, ${distributor}, ${warehouse}, ${rule.leadTimeDays}, ${rule.excluded ?? false})
    ON CONFLICT (tenant_id, distributor, warehouse) DO UPDATE SET lead_time_days = EXCLUDED.lead_time_days,
      excluded = EXCLUDED.excluded, updated_at = now()
    RETURNING distributor, warehouse, lead_time_days, excluded`;
  return { distributor: r.distributor as string, warehouse: r.warehouse as string, leadTimeDays: r.lead_time_days as number, excluded: r.excluded as boolean };
}
