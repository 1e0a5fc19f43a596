// A dealer's distributor and marketplace connections: credentials sealed at rest, loaded
// by tenant inside activities (never carried in workflow inputs), turned into adapters.
import type { CredentialKey } from './config';
import { seal, unseal } from './crypto';
import type { Sql } from './db';
import { distributorModule } from './distributors/registry';
import type { DistributorAdapter } from './distributors/types';
import { ExternalCallError } from './external-errors';
import type { HttpClientFactory } from './http';
import { marketplaceModule } from './marketplaces/registry';
import type { MarketplaceAdapter } from './marketplaces/types';

export type ConnectionKind = 'distributor' | 'marketplace';

export interface ConnectionRow {
  code: string;
  enabled: boolean;
  verifiedAt: string | null;
  baseUrl: string | null;
  masked: Record<string, string>;
}

export async function saveConnection(
  sql: Sql,
  keys: CredentialKey[],
  kind: ConnectionKind,
  tenantId: string,
  code: string,
  creds: unknown,
  masked: Record<string, string>,
  opts: { baseUrl?: string; enabled?: boolean },
): Promise<ConnectionRow> {
  const sealed = seal(keys, creds);
  const [row] = await sql`
    INSERT INTO connections (tenant_id, kind, code, secret, key_id, masked, base_url, enabled, verified_at, updated_at)
    VALUES (${tenantId}, ${kind}, ${code}, ${sealed.secret}, ${sealed.keyId}, ${sql.json(masked)}, ${opts.baseUrl ?? null},
            ${opts.enabled ?? true}, now(), now())
    ON CONFLICT (tenant_id, kind, code) DO UPDATE SET secret = EXCLUDED.secret, key_id = EXCLUDED.key_id,
      masked = EXCLUDED.masked, base_url = EXCLUDED.base_url, enabled = EXCLUDED.enabled,
      verified_at = EXCLUDED.verified_at, updated_at = now()
    RETURNING code, enabled, verified_at, base_url, masked`;
  return toRow(row);
}

function toRow(r: Record<string, unknown>): ConnectionRow {
  return {
    code: r.code as string,
    enabled: r.enabled as boolean,
    verifiedAt: r.verified_at ? new Date(r.verified_at as string).toISOString() : null,
    baseUrl: (r.base_url as string | null) ?? null,
    masked: r.masked as Record<string, string>,
  };
}

export async function listConnections(sql: Sql, kind: ConnectionKind, tenantId: string): Promise<ConnectionRow[]> {
  const rows = await sql`
    SELECT code, enabled, verified_at, base_url, masked FROM connections
    WHERE tenant_id = ${tenantId} AND kind = ${kind} ORDER BY code`;
  return rows.map(toRow);
}

async function loadCredentials(
  sql: Sql,
  keys: CredentialKey[],
  kind: ConnectionKind,
  tenantId: string,
  code: string,
): Promise<{ creds: unknown; baseUrl?: string } | undefined> {
  const [row] = await sql`
    SELECT secret, key_id, base_url FROM connections
    WHERE tenant_id = ${tenantId} AND kind = ${kind} AND code = ${code} AND enabled`;
  if (!row) return undefined;
  return {
    creds: unseal(keys, { keyId: row.key_id as string, secret: row.secret as Buffer }),
    baseUrl: (row.base_url as string | null) ?? undefined,
  };
}

export interface AdapterDeps {
  sql: Sql;
  keys: CredentialKey[];
  http: HttpClientFactory;
}

export async function distributorAdapterFor(deps: AdapterDeps, tenantId: string, code: string): Promise<DistributorAdapter> {
  const mod = distributorModule(code);
  if (!mod) throw new ExternalCallError('permanent', 'invalid_request', `Distributor "${code}" is not supported`);
  const loaded = await loadCredentials(deps.sql, deps.keys, 'distributor', tenantId, code);
  if (!loaded) {
    throw new ExternalCallError(
      'permanent',
      'account_setup_required',
      `There is no enabled ${mod.displayName} connection for this dealer. Add the ${mod.displayName} credentials (PUT /v1/connections/distributors/${code}), then retry.`,
    );
  }
  return mod.create(loaded.creds, { baseUrl: loaded.baseUrl, http: deps.http });
}

export async function marketplaceAdapterFor(deps: AdapterDeps, tenantId: string, code: string): Promise<MarketplaceAdapter> {
  const mod = marketplaceModule(code);
  if (!mod) throw new ExternalCallError('permanent', 'invalid_request', `Marketplace "${code}" is not supported`);
  const loaded = await loadCredentials(deps.sql, deps.keys, 'marketplace', tenantId, code);
  if (!loaded) {
    throw new ExternalCallError(
      'permanent',
      'account_setup_required',
      `There is no ${mod.displayName} connection for this dealer. Add the ${mod.displayName} credentials (PUT /v1/connections/marketplaces/${code}), then retry.`,
    );
  }
  return mod.create(loaded.creds, { baseUrl: loaded.baseUrl, http: deps.http });
}
