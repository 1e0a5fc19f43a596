// A dealer's distributor and marketplace connections: credentials sealed at rest, loaded
// by tenant inside activities (never carried in workflow inputs), turned into adapters whose
// errors never repeat a credential, and sent only where the outbound policy allows.
import type { Config, CredentialKey } from './config';
import { seal, unseal } from './crypto';
import type { Sql } from './db';
import { distributorModule, distributorModules } from './distributors/registry';
import type { DistributorAdapter, DistributorModule } from './distributors/types';
import { ExternalCallError, isExternalCallError } from './external-errors';
import { redact, type HttpClientFactory } from './http';
import { marketplaceModule, marketplaceModules } from './marketplaces/registry';
import { createTokenSource, minterFor } from './marketplace-tokens';
import type { AccessTokenSource, MarketplaceAdapter, MarketplaceModule } from './marketplaces/types';
import { originOf, type UrlPolicy } from './outbound';

export type ConnectionKind = 'distributor' | 'marketplace';

export interface ConnectionRow {
  code: string;
  enabled: boolean;
  verifiedAt: string | null;
  baseUrl: string | null;
  masked: Record<string, string>;
  /** The dealer's request budget for the account; null = the module's default. */
  requestsPerSecond: number | null;
}

/** What a connection save does to the saved request budget: `keep` it (field omitted), or set it (null = the default). */
export type RequestBudgetChange = { keep: true } | { keep: false; requestsPerSecond: number | null };

/** The request budget a distributor account works under, and whether the dealer chose it. */
export function requestBudgetInForce(saved: number | null, mod: Pick<DistributorModule, 'defaultRequestsPerSecond'>) {
  return saved === null
    ? { requestsPerSecond: mod.defaultRequestsPerSecond, source: 'default' as const }
    : { requestsPerSecond: saved, source: 'connection' as const };
}

export async function saveConnection(
  sql: Sql,
  keys: CredentialKey[],
  kind: ConnectionKind,
  tenantId: string,
  code: string,
  creds: unknown,
  masked: Record<string, string>,
  opts: { baseUrl?: string; enabled?: boolean; requestBudget?: RequestBudgetChange },
): Promise<ConnectionRow> {
  const sealed = seal(keys, creds, { tenantId, kind, code });
  const budget = opts.requestBudget ?? { keep: true };
  const [row] = await sql`
    INSERT INTO connections (tenant_id, kind, code, secret, key_id, masked, base_url, enabled, verified_at, updated_at, requests_per_second)
    VALUES (${tenantId}, ${kind}, ${code}, ${sealed.secret}, ${sealed.keyId}, ${sql.json(masked)}, ${opts.baseUrl ?? null},
            ${opts.enabled ?? true}, now(), now(), ${budget.keep ? null : budget.requestsPerSecond})
    ON CONFLICT (tenant_id, kind, code) DO UPDATE SET secret = EXCLUDED.secret, key_id = EXCLUDED.key_id,
      masked = EXCLUDED.masked, base_url = EXCLUDED.base_url, enabled = EXCLUDED.enabled,
      verified_at = EXCLUDED.verified_at, updated_at = now(),
      requests_per_second = CASE WHEN ${budget.keep} THEN connections.requests_per_second ELSE EXCLUDED.requests_per_second END
    RETURNING code, enabled, verified_at, base_url, masked, requests_per_second`;
  return toRow(row);
}

/** The saved request budget of one connection (null: none saved, or no such connection). */
export async function savedRequestsPerSecond(sql: Sql, kind: ConnectionKind, tenantId: string, code: string): Promise<number | null> {
  const [row] = await sql`SELECT requests_per_second FROM connections WHERE tenant_id = ${tenantId} AND kind = ${kind} AND code = ${code}`;
  return (row?.requests_per_second as number | null | undefined) ?? null;
}

function toRow(r: Record<string, unknown>): ConnectionRow {
  return {
    code: r.code as string,
    enabled: r.enabled as boolean,
    verifiedAt: r.verified_at ? new Date(r.verified_at as string).toISOString() : null,
    baseUrl: (r.base_url as string | null) ?? null,
    masked: r.masked as Record<string, string>,
    requestsPerSecond: (r.requests_per_second as number | null) ?? null,
  };
}

export async function listConnections(sql: Sql, kind: ConnectionKind, tenantId: string): Promise<ConnectionRow[]> {
  const rows = await sql`
    SELECT code, enabled, verified_at, base_url, masked, requests_per_second FROM connections
    WHERE tenant_id = ${tenantId} AND kind = ${kind} ORDER BY code`;
  return rows.map(toRow);
}

interface OpenedConnection {
  creds: unknown;
  baseUrl?: string;
  /** The dealer's request budget; absent = the module's default. */
  requestsPerSecond?: number;
  updatedAt: string;
}

/**
 * Opened credentials kept briefly in one process, so a worker does not read and decrypt the row
 * for every distributor or marketplace call. New credentials and request budgets saved by the
 * dealer are used within `ttlMs`, at once after the upstream refused a call for good (see forgetRefused). A missing or disabled
 * connection is never cached, so one added now is found at once.
 */
export class OpenedConnectionCache {
  private entries = new Map<string, { value: OpenedConnection; at: number }>();
  constructor(
    private readonly ttlMs = 30_000,
    private readonly now = () => Date.now(),
  ) {}

  private key(kind: ConnectionKind, tenantId: string, code: string) {
    return `${kind}\u0000${tenantId}\u0000${code}`;
  }

  async get(kind: ConnectionKind, tenantId: string, code: string, load: () => Promise<OpenedConnection | undefined>) {
    const key = this.key(kind, tenantId, code);
    const hit = this.entries.get(key);
    if (hit && this.now() - hit.at < this.ttlMs) return hit.value;
    const value = await load();
    if (value) this.entries.set(key, { value, at: this.now() });
    else this.entries.delete(key);
    if (this.entries.size > 10_000) for (const [k, e] of this.entries) if (this.now() - e.at >= this.ttlMs) this.entries.delete(k);
    return value;
  }

  forget(kind: ConnectionKind, tenantId: string, code: string) {
    this.entries.delete(this.key(kind, tenantId, code));
  }
}

async function loadCredentials(
  deps: Omit<AdapterDeps, 'http'>,
  kind: ConnectionKind,
  tenantId: string,
  code: string,
): Promise<OpenedConnection | undefined> {
  const open = () => openCredentials(deps.sql, deps.keys, kind, tenantId, code);
  return deps.cache ? deps.cache.get(kind, tenantId, code, open) : open();
}

async function openCredentials(
  sql: Sql,
  keys: CredentialKey[],
  kind: ConnectionKind,
  tenantId: string,
  code: string,
): Promise<OpenedConnection | undefined> {
  const [row] = await sql`
    SELECT secret, key_id, base_url, requests_per_second, updated_at::text AS updated_at FROM connections
    WHERE tenant_id = ${tenantId} AND kind = ${kind} AND code = ${code} AND enabled`;
  if (!row) return undefined;
  const binding = { tenantId, kind, code };
  const opened = unseal(keys, { keyId: row.key_id as string, secret: row.secret as Buffer }, binding);
  if (opened.stale) {
    // Sealed under an older key or before the row binding: seal it again now, unless someone
    // saved new credentials in between (then theirs stay).
    const fresh = seal(keys, opened.value, binding);
    await sql`
      UPDATE connections SET secret = ${fresh.secret}, key_id = ${fresh.keyId}
      WHERE tenant_id = ${tenantId} AND kind = ${kind} AND code = ${code} AND secret = ${row.secret as Buffer}`;
  }
  return {
    creds: opened.value,
    baseUrl: (row.base_url as string | null) ?? undefined,
    requestsPerSecond: (row.requests_per_second as number | null) ?? undefined,
    updatedAt: row.updated_at as string,
  };
}

/** Every string inside a credentials object (feed settings included): what errors must not repeat. */
export function credentialStrings(creds: unknown): string[] {
  if (typeof creds === 'string') return [creds];
  if (creds && typeof creds === 'object') return Object.values(creds).flatMap(credentialStrings);
  return [];
}

/**
 * The adapter with every ExternalCallError it throws, and every refusal `reason` it returns (a
 * cancel the distributor refused), redacted: upstream text is copied into what dealers read and
 * into Temporal history, and an upstream may echo a key back.
 */
export function withRedactedErrors<A extends object>(adapter: A, secrets: string[], onError?: (err: ExternalCallError) => void): A {
  const cleanError = (err: unknown): unknown => {
    if (!isExternalCallError(err)) return err;
    onError?.(err);
    const details = Object.fromEntries(Object.entries(err.details).map(([k, v]) => [k, typeof v === 'string' ? redact(v, secrets) : v]));
    return new ExternalCallError(err.kind, err.code, redact(err.message, secrets), details);
  };
  const cleanResult = (out: unknown): unknown =>
    out && typeof out === 'object' && typeof (out as { reason?: unknown }).reason === 'string'
      ? { ...out, reason: redact((out as { reason: string }).reason, secrets) }
      : out;
  return new Proxy(adapter, {
    get(target, prop) {
      const value = Reflect.get(target, prop, target);
      if (typeof value !== 'function') return value;
      return (...args: unknown[]) => {
        try {
          const out = value.apply(target, args);
          return out instanceof Promise ? out.then(cleanResult, (e) => Promise.reject(cleanError(e))) : cleanResult(out);
        } catch (e) {
          throw cleanError(e);
        }
      };
    },
  });
}

/** Builds a module's adapter with redacted errors; the one way adapters are made from dealer credentials. */
export function createAdapter<M extends DistributorModule<any> | MarketplaceModule<any>>(
  mod: M,
  creds: unknown,
  ctx: { baseUrl?: string; http: HttpClientFactory; tokens?: AccessTokenSource; requestsPerSecond?: number },
  onError?: (err: ExternalCallError) => void,
): ReturnType<M['create']> {
  return withRedactedErrors(mod.create(creds, ctx), credentialStrings(creds), onError) as ReturnType<M['create']>;
}

/**
 * Drops cached credentials after any permanent refusal: a person fixes those, often by
 * reconnecting the account, and the retry must read what they saved.
 */
function forgetRefused(deps: Omit<AdapterDeps, 'http'>, kind: ConnectionKind, tenantId: string, code: string) {
  return (err: ExternalCallError) => {
    if (err.kind === 'permanent') deps.cache?.forget(kind, tenantId, code);
  };
}

/**
 * Where this process may send credentials (see src/outbound.ts): in production the documented
 * host of every adapter, or only `forModule`'s, plus ALLOWED_UPSTREAM_ORIGINS.
 */
export function upstreamUrlPolicy(
  config: Pick<Config, 'appEnv' | 'allowedUpstreamOrigins'>,
  forModule?: { productionBaseUrl: string; productionHostSuffix?: string; otherProductionUrls?: string[] },
): UrlPolicy {
  const documented: { productionBaseUrl: string; productionHostSuffix?: string; otherProductionUrls?: string[] }[] = forModule
    ? [forModule]
    : [...Object.values(distributorModules), ...Object.values(marketplaceModules).filter((m) => m !== undefined)];
  return {
    appEnv: config.appEnv,
    productionHostSuffixes: documented.flatMap((m) => (m.productionHostSuffix ? [m.productionHostSuffix] : [])),
    productionOrigins: [
      ...new Set([...documented.flatMap((m) => [m.productionBaseUrl, ...(m.otherProductionUrls ?? [])]).map(originOf), ...(config.allowedUpstreamOrigins ?? [])]),
    ],
  };
}

export interface AdapterDeps {
  sql: Sql;
  keys: CredentialKey[];
  http: HttpClientFactory;
  /** The worker's cache of opened credentials; without it every call reads the row. */
  cache?: OpenedConnectionCache;
}

/** The module and opened credentials of a dealer's enabled distributor connection. */
async function distributorConnection(deps: Omit<AdapterDeps, 'http'>, tenantId: string, code: string, nextStep: string) {
  const mod = distributorModule(code);
  if (!mod) throw new ExternalCallError('permanent', 'invalid_request', `Distributor "${code}" is not supported`);
  const loaded = await loadCredentials(deps, 'distributor', tenantId, code);
  if (!loaded) {
    throw new ExternalCallError(
      'permanent',
      'account_setup_required',
      `There is no enabled ${mod.displayName} connection for this dealer. Add the ${mod.displayName} credentials (PUT /v1/connections/distributors/${code}), then ${nextStep}.`,
    );
  }
  return { mod, ...loaded };
}

export async function distributorAdapterFor(deps: AdapterDeps, tenantId: string, code: string): Promise<DistributorAdapter> {
  const { mod, creds, baseUrl, requestsPerSecond } = await distributorConnection(deps, tenantId, code, 'retry');
  return createAdapter(mod, creds, { baseUrl, http: deps.http, requestsPerSecond }, forgetRefused(deps, 'distributor', tenantId, code));
}

/**
 * A dealer's distributor feed with the credentials it reads with (never leaves the activity) and
 * the strings its errors must not repeat.
 */
export async function distributorFeedFor(deps: Omit<AdapterDeps, 'http'>, tenantId: string, code: string) {
  const { mod, creds, baseUrl } = await distributorConnection(deps, tenantId, code, 'run the feed');
  if (mod.feed.needsFeedSettings && !(creds as { feed?: unknown }).feed) {
    throw new ExternalCallError(
      'permanent',
      'account_setup_required',
      `The ${mod.displayName} connection has no feed settings. Add them (feed in PUT /v1/connections/distributors/${code}), then run the feed.`,
    );
  }
  return { mod, creds, baseUrl, secrets: credentialStrings(creds) };
}

/** A marketplace adapter for one dealer, with its access tokens from the shared cache (src/marketplace-tokens.ts). */
export async function marketplaceAdapterFor(deps: AdapterDeps, tenantId: string, code: string): Promise<MarketplaceAdapter> {
  const mod = marketplaceModule(code);
  if (!mod) throw new ExternalCallError('permanent', 'invalid_request', `Marketplace "${code}" is not supported`);
  const loaded = await loadCredentials(deps, 'marketplace', tenantId, code);
  if (!loaded) {
    throw new ExternalCallError(
      'permanent',
      'account_setup_required',
      `There is no ${mod.displayName} connection for this dealer. Add the ${mod.displayName} credentials (PUT /v1/connections/marketplaces/${code}), then retry.`,
    );
  }
  const ctx = { baseUrl: loaded.baseUrl, http: deps.http };
  const mint = minterFor(mod, loaded.creds, ctx);
  const tokens = mint && createTokenSource({ sql: deps.sql, keys: deps.keys, tenantId, code, connectionUpdatedAt: loaded.updatedAt, mint });
  return createAdapter(mod, loaded.creds, { ...ctx, ...(tokens ? { tokens } : {}) }, forgetRefused(deps, 'marketplace', tenantId, code));
}
