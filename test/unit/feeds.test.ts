// Pure pieces of the catalog feeds: matching keys, the dealer's warehouse rules, live stock on
// the confirm screen, and the live stock cache.
import { LiveStockCache, liveQuantity } from '../../activities';
import { mfgKey, partKey, upcKey } from '../../src/feeds/keys';
import { cronProblem } from '../../src/feeds/schedules';
import { applyLiveStock, dropshipCandidates, dropshippableStock, usableStock, type OfferInput } from '../../workflows/decisions';
import type { DropshipLine } from '../../workflows/types';

describe('matching keys', () => {
  test('part numbers match with or without punctuation and case', () => {
    expect(partKey('1401-1193')).toBe(partKey('14011193'));
    expect(partKey('ebc fa196hh')).toBe('EBCFA196HH');
    expect(partKey('--')).toBe('');
  });
  test('UPC-A and its EAN-13 form are one key; junk is none', () => {
    expect(upcKey('012345678905')).toBe(upcKey('0012345678905'));
    expect(upcKey('0 12345 67890 5')).toBe('12345678905');
    expect(upcKey('000')).toBeNull();
    expect(upcKey(undefined)).toBeNull();
  });
  test('brand + manufacturer part number need both', () => {
    expect(mfgKey('EBC Brakes', 'FA196HH')).toBe(mfgKey('ebc-brakes', 'fa-196-hh'));
    expect(mfgKey('EBC', null)).toBeNull();
    expect(mfgKey(undefined, 'FA196HH')).toBeNull();
  });
});

describe('warehouse rules', () => {
  const w = { code: 'WI', quantity: 3, leadTimeDays: 1, excluded: false };
  test('stock at or under the minimum buffer counts as none', () => {
    expect(usableStock({ ...w, minimumBuffer: 3 }, 10)).toBe(0);
    expect(usableStock({ ...w, minimumBuffer: 2 }, 10)).toBe(3);
  });
  test('a unit cost under the drop-ship cutoff is not drop-shipped from there', () => {
    expect(usableStock({ ...w, dropshipCutoffPrice: 25 }, 24.99)).toBe(0);
    expect(usableStock({ ...w, dropshipCutoffPrice: 25 }, 25)).toBe(3);
    expect(usableStock({ ...w, dropshipCutoffPrice: null }, 1)).toBe(3);
  });
  test('excluded and slow warehouses count for nothing; candidates list only usable warehouses', () => {
    const offer: OfferInput = {
      distributor: 'parts-unlimited',
      distributorSku: '0101-1',
      unitCost: 20,
      dropshipFee: 0,
      warehouses: [
        { ...w, code: 'WI', quantity: 5, minimumBuffer: 5 },
        { ...w, code: 'NY', quantity: 4 },
        { ...w, code: 'TX', quantity: 9, leadTimeDays: 3 },
        { ...w, code: 'NV', quantity: 9, excluded: true },
      ],
    };
    expect(dropshippableStock(offer)).toBe(4);
    expect(dropshipCandidates([offer], 4)[0].warehouses.map((x) => x.code)).toEqual(['NY']);
    expect(dropshipCandidates([offer], 5)).toEqual([]);
  });
});

describe('live stock before confirm', () => {
  const cand = (distributor: string, landedCost: number) => ({
    distributor,
    distributorSku: `${distributor}-1`,
    unitCost: landedCost,
    dropshipFee: 0,
    landedCost,
    warehouses: [{ code: 'A', quantity: 5, leadTimeDays: 1 }],
  });
  const line = (): DropshipLine => ({
    lineId: 'L1',
    marketplaceLineId: 'm1',
    sku: 'S',
    quantity: 2,
    candidates: [cand('tucker-rocky', 10), cand('parts-unlimited', 11), cand('wps', 12)],
    selected: { distributor: 'tucker-rocky', distributorSku: 'tucker-rocky-1' },
  });
  const at = '2026-11-30T10:00:00.000Z';

  test('a short default moves to the cheapest candidate that has it live', () => {
    const { lines, moved } = applyLiveStock([line()], [
      { distributor: 'tucker-rocky', distributorSku: 'tucker-rocky-1', quantity: 1, checkedAt: at },
      { distributor: 'parts-unlimited', distributorSku: 'parts-unlimited-1', quantity: 0, checkedAt: at },
      { distributor: 'wps', distributorSku: 'wps-1', quantity: 9, checkedAt: at },
    ]);
    expect(lines[0].selected.distributor).toBe('wps');
    expect(moved).toEqual([{ lineId: 'L1', from: 'tucker-rocky', to: 'wps' }]);
    expect(lines[0].candidates.map((c) => [c.distributor, c.liveStock?.quantity, c.outOfStockLive])).toEqual([
      ['tucker-rocky', 1, true],
      ['parts-unlimited', 0, true],
      ['wps', 9, false],
    ]);
  });
  test('with nobody known to have it, an unasked candidate beats a short one; a default with stock stays', () => {
    const r1 = applyLiveStock([line()], [{ distributor: 'tucker-rocky', distributorSku: 'tucker-rocky-1', quantity: 0, checkedAt: at }]);
    expect(r1.lines[0].selected.distributor).toBe('parts-unlimited');
    const r2 = applyLiveStock([line()], [{ distributor: 'tucker-rocky', distributorSku: 'tucker-rocky-1', quantity: 2, checkedAt: at }]);
    expect(r2.lines[0].selected.distributor).toBe('tucker-rocky');
    expect(r2.moved).toEqual([]);
  });
  test('live quantity counts the warehouses the rules allow, and nothing for an item that cannot be ordered', () => {
    const level = { distributorSku: 'x', orderable: true, warehouses: [{ code: 'A', quantity: 2 }, { code: 'B', quantity: 7 }] };
    expect(liveQuantity(level, ['A'])).toBe(2);
    expect(liveQuantity(level, ['Z'])).toBe(9);
    expect(liveQuantity({ ...level, orderable: false }, ['A'])).toBe(0);
  });
  test('the cache asks once per part and account within its time to live', async () => {
    let clock = 0;
    const cache = new LiveStockCache(60_000, () => clock);
    const asked: string[][] = [];
    const ask = async (skus: string[]) => {
      asked.push(skus);
      return skus.map((s) => ({ distributorSku: s, orderable: true, warehouses: [{ code: 'A', quantity: 1 }] }));
    };
    await cache.get('t1', 'wps', ['a', 'b'], ask);
    await cache.get('t1', 'wps', ['a', 'b', 'c'], ask);
    await cache.get('t2', 'wps', ['a'], ask);
    clock = 60_000;
    await cache.get('t1', 'wps', ['a'], ask);
    expect(asked).toEqual([['a', 'b'], ['c'], ['a'], ['a']]);
  });
});

describe('feed schedule cron', () => {
  test('accepts what dealers write and names what is wrong', () => {
    for (const ok of ['0 5 * * *', '30 6 * * 1-5', '*/15 0-23/2 1,15 JAN-DEC MON-FRI', '0 5 * * 7']) expect(cronProblem(ok)).toBeUndefined();
    expect(cronProblem('every day')).toMatch(/five fields/);
    expect(cronProblem('60 5 * * *')).toMatch(/minute "60" is outside 0-59/);
    expect(cronProblem('0 5 * * MON-SUNDAY')).toMatch(/day of week/);
    expect(cronProblem('0 10-5 * * *')).toMatch(/backwards/);
    expect(cronProblem('*/0 5 * * *')).toMatch(/zero/);
  });
});
