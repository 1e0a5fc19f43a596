// Keyset paging, newest first, over (created_at, key) at Postgres's own precision. created_at is a
// timestamptz with microseconds while a JS Date keeps milliseconds, so the cursor carries the
// timestamp as Postgres prints it; a cursor rounded to the millisecond would skip every row
// created later in the same millisecond. A cursor is opaque to clients and checked strictly:
// anything this API did not produce is a 400, never a query Postgres refuses.
import { z } from 'zod';
import type { Sql } from '../db';
import { textProblem } from './strict-input';

/** A position in a list: the last row's created_at (UTC, microseconds) and its unique key. */
export interface PageKey {
  createdAt: string;
  key: string;
}

// e.g. 2024-05-01T12:00:00.123456Z; year 0000 does not exist for Postgres.
const CREATED_AT = /^(?!0000)\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z$/;
const MAX_KEY_LENGTH = 100;

function isCreatedAt(s: string): boolean {
  if (!CREATED_AT.test(s)) return false;
  // the calendar check: a date JS would roll over (Feb 30, hour 24) is not one Postgres printed
  const d = new Date(`${s.slice(0, 19)}.000Z`);
  return !Number.isNaN(d.getTime()) && d.toISOString().slice(0, 19) === s.slice(0, 19);
}

export function encodeCursor(k: PageKey): string {
  return Buffer.from(JSON.stringify([k.createdAt, k.key])).toString('base64url');
}

/** The position a cursor names, or undefined when it is not one encodeCursor produced. */
export function decodeCursor(cursor: string): PageKey | undefined {
  if (!/^[A-Za-z0-9_-]+$/.test(cursor)) return undefined;
  const text = Buffer.from(cursor, 'base64url').toString('utf8');
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (!Array.isArray(v) || v.length !== 2) return undefined;
  const [createdAt, key] = v as unknown[];
  if (typeof createdAt !== 'string' || typeof key !== 'string' || !isCreatedAt(createdAt)) return undefined;
  if (!key || key.length > MAX_KEY_LENGTH || textProblem(key)) return undefined;
  const k = { createdAt, key };
  // the one spelling encodeCursor gives (no stray bits, padding or whitespace)
  return encodeCursor(k) === cursor ? k : undefined;
}

/** `cursor` query parameter: an opaque string in, the PageKey out; anything else names querystring.cursor. */
export const PageCursor = z
  .string()
  .max(400)
  .transform((s, ctx) => {
    const k = decodeCursor(s);
    if (!k) ctx.addIssue({ code: 'custom', message: 'is not a cursor this API returned; pass nextCursor from the previous page as-is' });
    return k ?? z.NEVER;
  })
  .describe('nextCursor from the previous page, as it was returned');

/** `limit` query parameter: a whole number in decimal digits, 1..max. */
export const pageLimit = (max: number, fallback: number) =>
  z
    .string()
    .regex(/^[0-9]{1,6}$/, 'must be a whole number')
    .transform(Number)
    .pipe(z.number().int().min(1).max(max))
    .default(fallback)
    .describe(`a whole number from 1 to ${max}; ${fallback} when absent`);

/** The created_at column as Postgres's own text, for PageKey.createdAt. */
export const createdAtKey = (sql: Sql, column = 'created_at') => sql`to_char(${sql(column)} AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')`;

/**
 * `AND (created_at, key) < cursor`, or nothing on the first page. The timestamp goes over as text:
 * a parameter Postgres types as timestamptz is sent by postgres.js through a JS Date, at milliseconds.
 */
export const olderThan = (sql: Sql, after: PageKey | undefined, keyColumn: string, column = 'created_at') =>
  after ? sql`AND (${sql(column)}, ${sql(keyColumn)}) < (${after.createdAt}::text::timestamptz, ${after.key})` : sql``;

/** One page from `limit + 1` rows (newest first): the rows to show and the cursor to the next page. */
export function pageOf<R>(rows: R[], limit: number, keyOf: (row: R) => PageKey): { items: R[]; nextCursor: string | null } {
  const items = rows.slice(0, limit);
  const last = items[items.length - 1];
  return { items, nextCursor: rows.length > limit && last ? encodeCursor(keyOf(last)) : null };
}
