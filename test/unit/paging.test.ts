import fc from 'fast-check';
import { decodeCursor, encodeCursor, PageCursor, pageLimit, pageOf, type PageKey } from '../../src/api/paging';

const cursorOf = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
const KEY: PageKey = { createdAt: '2024-05-01T12:00:00.123456Z', key: 'DS-0K3J9X2M1QZ-W1' };

describe('page cursors', () => {
  it('decode to exactly what was encoded, microseconds included', () => {
    expect(decodeCursor(encodeCursor(KEY))).toEqual(KEY);
    const createdAt = fc
      .date({ min: new Date('1970-01-01T00:00:00Z'), max: new Date('9999-12-31T23:59:59Z'), noInvalidDate: true })
      .chain((d) => fc.integer({ min: 0, max: 999 }).map((us) => `${d.toISOString().slice(0, 23)}${String(us).padStart(3, '0')}Z`));
    const key = fc.string({ unit: 'grapheme', minLength: 1, maxLength: 30 }).filter((s) => s.length <= 100 && !s.includes('\0'));
    fc.assert(fc.property(createdAt, key, (c, k) => expect(decodeCursor(encodeCursor({ createdAt: c, key: k }))).toEqual({ createdAt: c, key: k })));
  });

  it.each<[string, string]>([
    ['empty', ''],
    ['not base64url', 'abc+/='],
    ['padded', `${encodeCursor(KEY)}=`],
    ['not JSON', Buffer.from('nope').toString('base64url')],
    ['an object', cursorOf({ createdAt: KEY.createdAt, key: KEY.key })],
    ['three parts', cursorOf([KEY.createdAt, KEY.key, 'x'])],
    ['a number for the key', cursorOf([KEY.createdAt, 7])],
    ['a date JS parses and Postgres does not', cursorOf(['1', 'DS-1'])],
    ['a date in words', cursorOf(['Tuesday 1', 'DS-1'])],
    ['millisecond precision', cursorOf(['2024-05-01T12:00:00.123Z', 'DS-1'])],
    ['no time zone', cursorOf(['2024-05-01T12:00:00.123456', 'DS-1'])],
    ['February 30', cursorOf(['2024-02-30T12:00:00.123456Z', 'DS-1'])],
    ['hour 24', cursorOf(['2024-05-01T24:00:00.000000Z', 'DS-1'])],
    ['year 0', cursorOf(['0000-05-01T12:00:00.123456Z', 'DS-1'])],
    ['an empty key', cursorOf([KEY.createdAt, ''])],
    ['a NUL in the key', cursorOf([KEY.createdAt, 'DS\u0000'])],
    ['a lone surrogate in the key', cursorOf([KEY.createdAt, 'DS\ud800'])],
    ['an overlong key', cursorOf([KEY.createdAt, 'D'.repeat(101)])],
    ['whitespace in the JSON', Buffer.from(` ${JSON.stringify([KEY.createdAt, KEY.key])}`).toString('base64url')],
  ])('refuse %s', (_why, cursor) => {
    expect(decodeCursor(cursor)).toBeUndefined();
    expect(PageCursor.safeParse(cursor).success).toBe(false);
  });

  it('refuse trailing bits a lenient base64 decoder would drop', () => {
    // a JSON length of 3n+1 bytes leaves 4 unused bits in the last base64 character
    let key = 'DS-1';
    while (JSON.stringify([KEY.createdAt, key]).length % 3 !== 1) key += '0';
    const k = { createdAt: KEY.createdAt, key };
    const good = encodeCursor(k);
    const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
    const flipped = good.slice(0, -1) + alphabet[alphabet.indexOf(good.slice(-1)) + 1];
    expect(Buffer.from(flipped, 'base64url').toString()).toBe(Buffer.from(good, 'base64url').toString());
    expect(decodeCursor(good)).toEqual(k);
    expect(decodeCursor(flipped)).toBeUndefined();
  });

  it('PageCursor hands the handler the decoded position', () => {
    expect(PageCursor.parse(encodeCursor(KEY))).toEqual(KEY);
  });
});

describe('page limit', () => {
  const limit = pageLimit(200, 50);
  it('takes whole decimal numbers within range, 50 by default', () => {
    expect(limit.parse(undefined)).toBe(50);
    expect(limit.parse('1')).toBe(1);
    expect(limit.parse('200')).toBe(200);
  });
  it.each(['0', '201', '1e1', '0x10', ' 5', '5.0', '-1', 'NaN', '', '9999999999999999999999'])('refuses %j', (v) => {
    expect(limit.safeParse(v).success).toBe(false);
  });
});

describe('pageOf', () => {
  const rows = ['c', 'b', 'a'].map((k) => ({ k }));
  const keyOf = (r: { k: string }) => ({ createdAt: KEY.createdAt, key: r.k });
  it('shows limit rows and points the next page after the last one shown', () => {
    const page = pageOf(rows, 2, keyOf);
    expect(page.items).toEqual(rows.slice(0, 2));
    expect(decodeCursor(page.nextCursor!)).toEqual({ createdAt: KEY.createdAt, key: 'b' });
  });
  it('has no next page when the extra row is missing', () => {
    expect(pageOf(rows, 3, keyOf)).toEqual({ items: rows, nextCursor: null });
    expect(pageOf([], 3, keyOf)).toEqual({ items: [], nextCursor: null });
  });
});
