// Postgres access (postgres.js). One pool per process; callers pass `Sql` around explicitly.
// Money columns are numeric(12,2) and read back with ::float8 casts where arithmetic is needed.
import postgres from 'postgres';

export type Sql = postgres.Sql;

export function createSql(databaseUrl: string, opts: { max?: number } = {}): Sql {
  return postgres(databaseUrl, {
    max: opts.max ?? 10,
    onnotice: () => undefined,
    connect_timeout: 10,
  });
}
