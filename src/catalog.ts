// The dealer's catalog: products, the distributor offers each one takes, and the dealer's
// warehouse rules. Offers come from the distributors' feeds (distributor_items, src/feeds/): the
// part a product names, plus every item matched by UPC, or else by brand + manufacturer part
// number. An offer PUT with its own cost and stock wins over the feed.
import type { Sql } from './db';
import { mfgKey, partKey, upcKey } from './feeds/keys';
import { dropshippableStock, roundCents, type OfferInput, type OfferWarehouse } from '../workflows/decisions';

/** A warehouse without a rule has a lead time of one day (DESIGN.md). */
export const DEFAULT_LEAD_TIME_DAYS = 1;

export interface ProductInput {
  title?: string;
  upc?: string;
  brand?: string;
  mfgPartNumber?: string;
  offers: { distributor: string; distributorSku: string; unitCost?: number; dropshipFee?: number; warehouses?: { code: string; quantity: number }[] }[];
}

/** How an offer reached a product. */
export type MatchedBy = 'named' | 'upc' | 'brandMfgPartNumber';

export interface CatalogOffer extends OfferInput {
  source: 'product' | 'feed';
  matchedBy: MatchedBy;
}

/** Replaces the product, its named offers and their stock, in one transaction. */
export async function upsertProduct(sql: Sql, tenantId: string, sku: string, p: ProductInput): Promise<void> {
  await sql.begin(async (tx) => {
    await tx`INSERT INTO catalog_products (tenant_id, sku, title, upc, upc_key, brand, mfg_part_number, mfg_key)
             VALUES (${tenantId}, ${sku}, ${p.title ?? null}, ${p.upc ?? null}, ${upcKey(p.upc)}, ${p.brand ?? null},
                     ${p.mfgPartNumber ?? null}, ${mfgKey(p.brand, p.mfgPartNumber)})
             ON CONFLICT (tenant_id, sku) DO UPDATE SET title = COALESCE(EXCLUDED.title, catalog_products.title),
               upc = EXCLUDED.upc, upc_key = EXCLUDED.upc_key, brand = EXCLUDED.brand,
               mfg_part_number = EXCLUDED.mfg_part_number, mfg_key = EXCLUDED.mfg_key, updated_at = now()`;
    await tx`DELETE FROM catalog_offers WHERE tenant_id = ${tenantId} AND sku = ${sku}`;
    for (const o of p.offers) {
      const given = o.unitCost !== undefined;
      await tx`INSERT INTO catalog_offers (tenant_id, sku, distributor, distributor_sku, unit_cost, dropship_fee, stock_given)
               VALUES (${tenantId}, ${sku}, ${o.distributor}, ${o.distributorSku}, ${o.unitCost ?? null}, ${o.dropshipFee ?? 0}, ${given})`;
      if (given && o.warehouses?.length) {
        await tx`INSERT INTO offer_stock ${tx(o.warehouses.map((w) => ({ tenant_id: tenantId, sku, distributor: o.distributor, warehouse: w.code, quantity: w.quantity })))}
                 ON CONFLICT (tenant_id, sku, distributor, warehouse) DO UPDATE SET quantity = EXCLUDED.quantity`;
      }
    }
  });
}

interface RuleRow {
  leadTimeDays: number;
  excluded: boolean;
  minimumBuffer: number;
  dropshipCutoffPrice: number | null;
}

async function rulesOf(sql: Sql, tenantId: string): Promise<Map<string, RuleRow>> {
  const rows = await sql`
    SELECT distributor, warehouse, lead_time_days, excluded, minimum_buffer, dropship_cutoff_price::float8 AS cutoff
    FROM warehouse_rules WHERE tenant_id = ${tenantId}`;
  return new Map(
    rows.map((r) => [
      `${r.distributor}\u0000${r.warehouse}`,
      { leadTimeDays: r.lead_time_days, excluded: r.excluded, minimumBuffer: r.minimum_buffer, dropshipCutoffPrice: r.cutoff ?? null },
    ]),
  );
}

function withRules(rules: Map<string, RuleRow>, distributor: string, stock: { code: string; quantity: number }[]): OfferWarehouse[] {
  return stock
    .map((w) => {
      const r = rules.get(`${distributor}\u0000${w.code}`);
      return {
        code: w.code,
        quantity: w.quantity,
        leadTimeDays: r?.leadTimeDays ?? DEFAULT_LEAD_TIME_DAYS,
        excluded: r?.excluded ?? false,
        minimumBuffer: r?.minimumBuffer ?? 0,
        dropshipCutoffPrice: r?.dropshipCutoffPrice ?? null,
      };
    })
    .sort((a, b) => a.code.localeCompare(b.code));
}

interface ItemRow {
  distributor: string;
  part_key: string;
  part_number: string;
  dealer_cost: number;
  dropship_fee: number;
  upc_key: string | null;
  mfg_key: string | null;
  warehouses: Record<string, number>;
}

function stockOf(item: ItemRow): { code: string; quantity: number }[] {
  return Object.entries(item.warehouses).map(([code, quantity]) => ({ code, quantity }));
}

/** Of several items of one distributor matching a product, the cheapest (then by part number). */
function cheapest(items: ItemRow[]): ItemRow | undefined {
  return [...items].sort((a, b) => a.dealer_cost - b.dealer_cost || a.part_key.localeCompare(b.part_key))[0];
}

/** Offers per SKU with each warehouse's rule applied: four queries whatever the number of SKUs. */
export async function offersFor(sql: Sql, tenantId: string, skus: string[]): Promise<Map<string, CatalogOffer[]>> {
  const out = new Map<string, CatalogOffer[]>();
  if (!skus.length) return out;
  const products = await sql`
    SELECT p.sku, p.upc_key, p.mfg_key,
      COALESCE((SELECT json_agg(json_build_object(
        'distributor', o.distributor, 'distributorSku', o.distributor_sku, 'unitCost', o.unit_cost::float8,
        'dropshipFee', o.dropship_fee::float8, 'given', o.stock_given,
        'stock', COALESCE((SELECT json_agg(json_build_object('code', s.warehouse, 'quantity', s.quantity)) FROM offer_stock s
                           WHERE s.tenant_id = o.tenant_id AND s.sku = o.sku AND s.distributor = o.distributor), '[]'::json)))
        FROM catalog_offers o WHERE o.tenant_id = p.tenant_id AND o.sku = p.sku), '[]'::json) AS named
    FROM catalog_products p WHERE p.tenant_id = ${tenantId} AND p.sku = ANY(${skus})`;
  if (!products.length) return out;
  type Named = { distributor: string; distributorSku: string; unitCost: number | null; dropshipFee: number; given: boolean; stock: { code: string; quantity: number }[] };
  const byPart: { distributor: string; key: string }[] = [];
  for (const p of products) for (const n of p.named as Named[]) if (!n.given) byPart.push({ distributor: n.distributor, key: partKey(n.distributorSku) });
  const upcs = products.map((p) => p.upc_key as string | null).filter((k): k is string => !!k);
  const mfgs = products.map((p) => p.mfg_key as string | null).filter((k): k is string => !!k);
  const items = (await sql`
    SELECT distributor, part_key, part_number, dealer_cost::float8 AS dealer_cost, dropship_fee::float8 AS dropship_fee, upc_key, mfg_key, warehouses
    FROM distributor_items
    WHERE tenant_id = ${tenantId} AND orderable AND dealer_cost IS NOT NULL AND (
      (distributor, part_key) IN (SELECT * FROM unnest(${byPart.map((b) => b.distributor)}::text[], ${byPart.map((b) => b.key)}::text[]))
      OR upc_key = ANY(${upcs}) OR mfg_key = ANY(${mfgs}))`) as unknown as ItemRow[];
  const rules = await rulesOf(sql, tenantId);

  for (const p of products) {
    const offers: CatalogOffer[] = [];
    const named = p.named as Named[];
    for (const n of named) {
      if (n.given) {
        offers.push({
          distributor: n.distributor,
          distributorSku: n.distributorSku,
          unitCost: n.unitCost!,
          dropshipFee: n.dropshipFee,
          warehouses: withRules(rules, n.distributor, n.stock),
          source: 'product',
          matchedBy: 'named',
        });
        continue;
      }
      const key = partKey(n.distributorSku);
      const item = items.find((i) => i.distributor === n.distributor && i.part_key === key);
      if (item) offers.push(feedOffer(item, 'named', rules));
    }
    const namedDistributors = new Set(named.map((n) => n.distributor));
    const matched = new Map<string, { item: ItemRow; by: MatchedBy }>();
    for (const [by, key, field] of [
      ['upc', p.upc_key, 'upc_key'],
      ['brandMfgPartNumber', p.mfg_key, 'mfg_key'],
    ] as const) {
      if (!key) continue;
      const byDistributor = new Map<string, ItemRow[]>();
      for (const i of items) if (i[field] === key && !namedDistributors.has(i.distributor)) byDistributor.set(i.distributor, [...(byDistributor.get(i.distributor) ?? []), i]);
      for (const [d, list] of byDistributor) if (!matched.has(d)) matched.set(d, { item: cheapest(list)!, by });
    }
    for (const { item, by } of matched.values()) offers.push(feedOffer(item, by, rules));
    offers.sort((a, b) => a.distributor.localeCompare(b.distributor));
    out.set(p.sku as string, offers);
  }
  return out;
}

function feedOffer(item: ItemRow, matchedBy: MatchedBy, rules: Map<string, RuleRow>): CatalogOffer {
  return {
    distributor: item.distributor,
    // The distributor's own spelling: it is what the order is placed with.
    distributorSku: item.part_number,
    unitCost: item.dealer_cost,
    dropshipFee: item.dropship_fee,
    warehouses: withRules(rules, item.distributor, stockOf(item)),
    source: 'feed',
    matchedBy,
  };
}

export async function getProduct(sql: Sql, tenantId: string, sku: string) {
  const [p] = await sql`SELECT sku, title, upc, brand, mfg_part_number FROM catalog_products WHERE tenant_id = ${tenantId} AND sku = ${sku}`;
  if (!p) return undefined;
  const offers = (await offersFor(sql, tenantId, [sku])).get(sku) ?? [];
  return {
    sku: p.sku as string,
    title: (p.title as string | null) ?? null,
    upc: (p.upc as string | null) ?? null,
    brand: (p.brand as string | null) ?? null,
    mfgPartNumber: (p.mfg_part_number as string | null) ?? null,
    offers: offers.map((o) => ({
      distributor: o.distributor,
      distributorSku: o.distributorSku,
      unitCost: o.unitCost,
      dropshipFee: o.dropshipFee,
      landedCost: roundCents(o.unitCost + o.dropshipFee),
      dropshippable: dropshippableStock(o) > 0,
      source: o.source,
      matchedBy: o.matchedBy,
      warehouses: o.warehouses.map((w) => ({ ...w, minimumBuffer: w.minimumBuffer ?? 0, dropshipCutoffPrice: w.dropshipCutoffPrice ?? null })),
    })),
  };
}

export async function upsertWarehouseRule(
  sql: Sql,
  tenantId: string,
  distributor: string,
  warehouse: string,
  rule: { leadTimeDays: number; excluded?: boolean; minimumBuffer?: number; dropshipCutoffPrice?: number | null },
) {
  const [r] = await sql`
    INSERT INTO warehouse_rules (tenant_id, distributor, warehouse, lead_time_days, excluded, minimum_buffer, dropship_cutoff_price)
    VALUES (${tenantId}, ${distributor}, ${warehouse}, ${rule.leadTimeDays}, ${rule.excluded ?? false}, ${rule.minimumBuffer ?? 0},
            ${rule.dropshipCutoffPrice ?? null})
    ON CONFLICT (tenant_id, distributor, warehouse) DO UPDATE SET lead_time_days = EXCLUDED.lead_time_days,
      excluded = EXCLUDED.excluded, minimum_buffer = EXCLUDED.minimum_buffer,
      dropship_cutoff_price = EXCLUDED.dropship_cutoff_price, updated_at = now()
    RETURNING distributor, warehouse, lead_time_days, excluded, minimum_buffer, dropship_cutoff_price::float8 AS cutoff`;
  return {
    distributor: r.distributor as string,
    warehouse: r.warehouse as string,
    leadTimeDays: r.lead_time_days as number,
    excluded: r.excluded as boolean,
    minimumBuffer: r.minimum_buffer as number,
    dropshipCutoffPrice: (r.cutoff as number | null) ?? null,
  };
}

/** One feed item of the dealer's, by the distributor's part number in any punctuation. */
export async function getDistributorItem(sql: Sql, tenantId: string, distributor: string, partNumber: string) {
  const [r] = await sql`
    SELECT part_number, status, orderable, dealer_cost::float8 AS dealer_cost, retail_price::float8 AS retail_price,
      map_price::float8 AS map_price, dropship_fee::float8 AS dropship_fee, upc, brand, mfg_part_number, description, warehouses, updated_at
    FROM distributor_items WHERE tenant_id = ${tenantId} AND distributor = ${distributor} AND part_key = ${partKey(partNumber)}`;
  if (!r) return undefined;
  const opt = <T>(v: T | null) => (v === null ? undefined : v);
  return {
    distributor,
    partNumber: r.part_number as string,
    status: r.status as string,
    orderable: r.orderable as boolean,
    dealerCost: (r.dealer_cost as number | null) ?? null,
    retailPrice: opt(r.retail_price as number | null),
    mapPrice: opt(r.map_price as number | null),
    dropshipFee: r.dropship_fee as number,
    upc: opt(r.upc as string | null),
    brand: opt(r.brand as string | null),
    mfgPartNumber: opt(r.mfg_part_number as string | null),
    description: opt(r.description as string | null),
    warehouses: Object.entries(r.warehouses as Record<string, number>)
      .map(([code, quantity]) => ({ code, quantity }))
      .sort((a, b) => a.code.localeCompare(b.code)),
    updatedAt: new Date(r.updated_at as string).toISOString(),
  };
}
