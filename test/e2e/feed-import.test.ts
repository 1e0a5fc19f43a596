// The import pipeline against real Postgres: COPY into staging, one merge, one transaction; and
// the offers a product takes from the imported items (named part, UPC, brand + mfg part number).
import { randomUUID } from 'node:crypto';
import { offersFor, upsertProduct, upsertWarehouseRule, getDistributorItem } from '../../src/catalog';
import { createSql, type Sql } from '../../src/db';
import type { FeedItem, FeedRecord } from '../../src/distributors/types';
import { FeedRejected, importFeedRecords } from '../../src/feeds/import';

let sql: Sql;
beforeAll(() => {
  sql = createSql(process.env.TEST_DATABASE_URL!, { max: 3 });
});
afterAll(async () => {
  await sql.end({ timeout: 5 });
});

async function tenant(): Promise<string> {
  const id = randomUUID();
  await sql`INSERT INTO tenants (id, name) VALUES (${id}, 'feed test')`;
  return id;
}

const item = (partNumber: string, over: Partial<FeedItem> = {}): FeedItem => ({
  partNumber,
  status: 'S',
  orderable: true,
  dealerCost: 10,
  dropshipFee: 1,
  warehouses: { WI: 3 },
  ...over,
});

async function* records(list: FeedRecord[]): AsyncGenerator<FeedRecord> {
  for (const r of list) yield r;
}

test('imports rows, reports bad ones by line, counts only real changes, and removes what the feed dropped', async () => {
  const t = await tenant();
  const first = await importFeedRecords(
    sql,
    t,
    'parts-unlimited',
    records([
      { line: 2, item: item('0101-1', { description: 'Bremsbeläge\ttab\\slash', upc: '012345678905', brand: 'EBC', mfgPartNumber: 'FA196HH' }) },
      { line: 3, error: 'Base Dealer Price "abc" is not a number' },
      { line: 4, item: item('0101-2', { dealerCost: Number.NaN }) },
      { line: 5, item: item('0101-3') },
      { line: 6, item: item('01013', { dealerCost: 12 }) },
    ]),
  );
  expect(first).toMatchObject({ rowsRead: 5, itemsChanged: 2, badRows: 3 });
  expect(first.errors.map((e) => e.line)).toEqual([3, 4, 5]);
  expect(first.errors[2].message).toMatch(/appears again on line 6/);
  const it = await getDistributorItem(sql, t, 'parts-unlimited', '01011');
  expect(it).toMatchObject({ partNumber: '0101-1', description: 'Bremsbeläge\ttab\\slash', dealerCost: 10, warehouses: [{ code: 'WI', quantity: 3 }] });
  expect((await getDistributorItem(sql, t, 'parts-unlimited', '0101-3'))?.dealerCost).toBe(12);

  const again = await importFeedRecords(sql, t, 'parts-unlimited', records([
    { line: 2, item: item('0101-1', { description: 'Bremsbeläge\ttab\\slash', upc: '012345678905', brand: 'EBC', mfgPartNumber: 'FA196HH' }) },
    { line: 3, item: item('01013', { dealerCost: 12 }) },
  ]));
  expect(again.itemsChanged).toBe(0);

  const dropped = await importFeedRecords(sql, t, 'parts-unlimited', records([{ line: 2, item: item('01013', { dealerCost: 13 }) }]));
  expect(dropped.itemsChanged).toBe(2);
  expect(await getDistributorItem(sql, t, 'parts-unlimited', '0101-1')).toBeUndefined();
});

test('a file with no usable row, or one that breaks mid-way, leaves the catalog as it was', async () => {
  const t = await tenant();
  await importFeedRecords(sql, t, 'wps', records([{ line: 1, item: item('87-9204') }]));
  await expect(importFeedRecords(sql, t, 'wps', records([{ line: 1, error: 'bad' }]))).rejects.toBeInstanceOf(FeedRejected);
  async function* breaks(): AsyncGenerator<FeedRecord> {
    yield { line: 1, item: item('87-9204', { dealerCost: 99 }) };
    throw new Error('connection reset mid-file');
  }
  await expect(importFeedRecords(sql, t, 'wps', breaks())).rejects.toThrow(/reset/);
  expect((await getDistributorItem(sql, t, 'wps', '879204'))?.dealerCost).toBe(10);
});

test('a product takes the part it names, then UPC matches, then brand + mfg part number; a PUT offer wins', async () => {
  const t = await tenant();
  await importFeedRecords(sql, t, 'wps', records([{ line: 1, item: item('15-0196', { dealerCost: 33.5, upc: '0012345678905', warehouses: { GA: 2, PA: 9 } }) }]));
  await importFeedRecords(sql, t, 'automatic', records([{ line: 2, item: item('EBC-FA196HH', { dealerCost: 34, brand: 'ebc', mfgPartNumber: 'fa-196hh', warehouses: { MAIN: 6 } }) }]));
  await importFeedRecords(sql, t, 'tucker-rocky', records([{ line: 1, item: item('113-0445', { dealerCost: 31.2, warehouses: { DS: 9 } }) }]));
  await importFeedRecords(sql, t, 'parts-unlimited', records([
    { line: 2, item: item('1720-0001', { dealerCost: 30, upc: '012345678905', orderable: false, status: 'D' }) },
  ]));
  await upsertProduct(sql, t, 'PADS', {
    upc: '012345678905',
    brand: 'EBC',
    mfgPartNumber: 'FA196HH',
    offers: [{ distributor: 'tucker-rocky', distributorSku: '1130445' }],
  });
  await upsertWarehouseRule(sql, t, 'wps', 'PA', { leadTimeDays: 3 });
  const offers = (await offersFor(sql, t, ['PADS'])).get('PADS')!;
  expect(offers.map((o) => [o.distributor, o.distributorSku, o.unitCost, o.matchedBy, o.source])).toEqual([
    ['automatic', 'EBC-FA196HH', 34, 'brandMfgPartNumber', 'feed'],
    ['tucker-rocky', '113-0445', 31.2, 'named', 'feed'],
    ['wps', '15-0196', 33.5, 'upc', 'feed'],
  ]);
  expect(offers.find((o) => o.distributor === 'wps')!.warehouses.map((w) => [w.code, w.leadTimeDays])).toEqual([['GA', 1], ['PA', 3]]);

  await upsertProduct(sql, t, 'PADS', {
    upc: '012345678905',
    offers: [{ distributor: 'wps', distributorSku: '15-0196', unitCost: 20, warehouses: [{ code: 'CA', quantity: 1 }] }],
  });
  const put = (await offersFor(sql, t, ['PADS'])).get('PADS')!;
  expect(put.map((o) => [o.distributor, o.unitCost, o.source])).toEqual([['wps', 20, 'product']]);
});
