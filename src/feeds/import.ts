// Loads one feed into distributor_items as one transaction: rows stream into a temporary staging
// table with COPY, then one set-based merge updates what changed and removes what the feed no
// longer lists. A failed or partial file rolls back whole; the catalog is never half-updated.
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { Sql } from '../db';
import type { FeedItem, FeedRecord } from '../distributors/types';
import { mfgKey, partKey, upcKey } from './keys';

/** Errors kept per run (DESIGN.md: the first 100). */
export const MAX_REPORTED_ERRORS = 100;
/** numeric(12, 2) holds up to this. */
const MAX_MONEY = 9_999_999_999;
const MAX_QUANTITY = 2_147_483_647;
const MAX_TEXT = 500;
/** Rows written to COPY per chunk: fewer, larger writes. */
const CHUNK_ROWS = 500;

export interface FeedRunError {
  line: number;
  message: string;
}

export interface ImportResult {
  rowsRead: number;
  itemsChanged: number;
  badRows: number;
  errors: FeedRunError[];
}

/** Why an import refused to touch the catalog (every row bad, or an empty file). */
export class FeedRejected extends Error {
  constructor(
    message: string,
    readonly result: ImportResult,
  ) {
    super(message);
    this.name = 'FeedRejected';
  }
}

// COPY text format: backslash, tab, newline and carriage return are escaped; \N is NULL.
function copyText(v: string | null | undefined): string {
  if (v === null || v === undefined) return '\\N';
  return v.replace(/[\\\t\n\r]/g, (c) => (c === '\\' ? '\\\\' : c === '\t' ? '\\t' : c === '\n' ? '\\n' : '\\r'));
}

function money(v: number | null | undefined, field: string): string | null {
  if (v === null || v === undefined) return null;
  if (!Number.isFinite(v) || v < 0 || v > MAX_MONEY) throw new Error(`${field} ${v} is not a price`);
  return v.toFixed(2);
}

function text(v: string | null | undefined): string | null {
  if (v === null || v === undefined) return null;
  const t = v.trim();
  return t ? t.slice(0, MAX_TEXT) : null;
}

/** One staging row as COPY text with its part key, or throws with what is wrong with the item. */
function stagingLine(line: number, item: FeedItem): { key: string; row: string } {
  const partNumber = text(item.partNumber);
  const key = partNumber ? partKey(partNumber) : '';
  if (!partNumber || !key) throw new Error('no part number');
  const warehouses: Record<string, number> = {};
  for (const [code, q] of Object.entries(item.warehouses ?? {})) {
    if (!Number.isInteger(q) || q < 0 || q > MAX_QUANTITY) throw new Error(`quantity ${q} for warehouse ${code} is not a whole number of units`);
    warehouses[code] = q;
  }
  const brand = text(item.brand);
  const mfg = text(item.mfgPartNumber);
  const upc = text(item.upc);
  const fields = [
    String(line),
    key,
    partNumber,
    text(item.status) ?? '',
    item.orderable ? 't' : 'f',
    money(item.dealerCost, 'dealer cost'),
    money(item.retailPrice, 'retail price'),
    money(item.mapPrice, 'MAP price'),
    money(item.dropshipFee ?? 0, 'drop-ship fee'),
    upcKey(upc),
    upc,
    brand,
    mfgKey(brand, mfg),
    mfg,
    text(item.description),
    JSON.stringify(warehouses),
  ];
  return { key, row: fields.map(copyText).join('\t') };
}


/**
 * Streams `records` into the dealer's items of `distributor`. `finish` runs inside the same
 * transaction after the merge (the run's own record, so catalog and run commit together).
 */
export async function importFeedRecords(
  sql: Sql,
  tenantId: string,
  distributor: string,
  records: AsyncIterable<FeedRecord>,
  opts: { onProgress?: (rowsRead: number) => void; finish?: (tx: Sql, result: ImportResult) => Promise<void> } = {},
): Promise<ImportResult> {
  const result: ImportResult = { rowsRead: 0, itemsChanged: 0, badRows: 0, errors: [] };
  const bad = (line: number, message: string) => {
    result.badRows += 1;
    if (result.errors.length < MAX_REPORTED_ERRORS) result.errors.push({ line, message });
  };
  // Part key → line, to find a part listed twice while streaming (the merge then keeps the later line).
  const seen = new Map<string, number>();
  const duplicates: FeedRunError[] = [];
  async function* copyChunks(): AsyncGenerator<string> {
    let chunk: string[] = [];
    for await (const r of records) {
      result.rowsRead += 1;
      if ('error' in r) bad(r.line, r.error);
      else {
        try {
          const { key, row } = stagingLine(r.line, r.item);
          const earlier = seen.get(key);
          if (earlier !== undefined) duplicates.push({ line: earlier, message: `part ${r.item.partNumber.trim()} appears again on line ${r.line}; the later line counts` });
          seen.set(key, r.line);
          chunk.push(row);
        } catch (e) {
          bad(r.line, (e as Error).message);
        }
      }
      if (chunk.length >= CHUNK_ROWS) {
        yield chunk.join('\n') + '\n';
        chunk = [];
        opts.onProgress?.(result.rowsRead);
      }
    }
    if (chunk.length) yield chunk.join('\n') + '\n';
    opts.onProgress?.(result.rowsRead);
  }

  await sql.begin(async (tx) => {
    await tx`CREATE TEMP TABLE feed_staging (
      line integer NOT NULL, part_key text NOT NULL, part_number text NOT NULL, status text NOT NULL, orderable boolean NOT NULL,
      dealer_cost numeric(12, 2), retail_price numeric(12, 2), map_price numeric(12, 2), dropship_fee numeric(12, 2) NOT NULL,
      upc_key text, upc text, brand text, mfg_key text, mfg_part_number text, description text, warehouses jsonb NOT NULL
    ) ON COMMIT DROP`;
    const copy = await tx`COPY feed_staging FROM STDIN`.writable();
    await pipeline(Readable.from(copyChunks()), copy);

    for (const d of duplicates) bad(d.line, d.message);
    if (seen.size === 0) {
      throw new FeedRejected(
        result.rowsRead === 0 ? 'The feed was empty; the catalog was left as it was' : 'No row of the feed could be read; the catalog was left as it was',
        result,
      );
    }
    // The delete below looks each existing item up in the file; the items just inserted are not in
    // the planner's statistics yet, so without an index it may pick a nested loop over the file.
    await tx`CREATE INDEX ON feed_staging (part_key)`;
    await tx`ANALYZE feed_staging`;

    const changed = await tx`
      INSERT INTO distributor_items (tenant_id, distributor, part_key, part_number, status, orderable, dealer_cost, retail_price,
        map_price, dropship_fee, upc_key, upc, brand, mfg_key, mfg_part_number, description, warehouses)
      SELECT ${duplicates.length ? tx`DISTINCT ON (part_key)` : tx``} ${tenantId}::uuid, ${distributor}, part_key, part_number, status, orderable,
        dealer_cost, retail_price, map_price, dropship_fee, upc_key, upc, brand, mfg_key, mfg_part_number, description, warehouses
      FROM feed_staging ${duplicates.length ? tx`ORDER BY part_key, line DESC` : tx``}
      ON CONFLICT (tenant_id, distributor, part_key) DO UPDATE SET
        part_number = EXCLUDED.part_number, status = EXCLUDED.status, orderable = EXCLUDED.orderable,
        dealer_cost = EXCLUDED.dealer_cost, retail_price = EXCLUDED.retail_price, map_price = EXCLUDED.map_price,
        dropship_fee = EXCLUDED.dropship_fee, upc_key = EXCLUDED.upc_key, upc = EXCLUDED.upc, brand = EXCLUDED.brand,
        mfg_key = EXCLUDED.mfg_key, mfg_part_number = EXCLUDED.mfg_part_number, description = EXCLUDED.description,
        warehouses = EXCLUDED.warehouses, updated_at = now()
      WHERE (distributor_items.part_number, distributor_items.status, distributor_items.orderable, distributor_items.dealer_cost,
             distributor_items.retail_price, distributor_items.map_price, distributor_items.dropship_fee, distributor_items.upc,
             distributor_items.brand, distributor_items.mfg_part_number, distributor_items.description, distributor_items.warehouses)
        IS DISTINCT FROM
            (EXCLUDED.part_number, EXCLUDED.status, EXCLUDED.orderable, EXCLUDED.dealer_cost, EXCLUDED.retail_price, EXCLUDED.map_price,
             EXCLUDED.dropship_fee, EXCLUDED.upc, EXCLUDED.brand, EXCLUDED.mfg_part_number, EXCLUDED.description, EXCLUDED.warehouses)`;
    // The feed is the distributor's whole list: an item it no longer carries is gone.
    const removed = await tx`
      DELETE FROM distributor_items d WHERE d.tenant_id = ${tenantId} AND d.distributor = ${distributor}
        AND NOT EXISTS (SELECT 1 FROM feed_staging s WHERE s.part_key = d.part_key)`;
    result.itemsChanged = changed.count + removed.count;
    result.errors.sort((a, b) => a.line - b.line);
    await opts.finish?.(tx as unknown as Sql, result);
  });
  return result;
}
