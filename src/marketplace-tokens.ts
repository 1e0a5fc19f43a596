// Marketplace access tokens: minted from a connection's long-lived credentials (refresh token,
// client credentials), sealed in Postgres with their expiry, shared by every worker. A token is
// refreshed once a quarter of its life is left (at least a minute before expiry), by one process
// at a time: the others wait on the same advisory lock and then read the new token, so a burst of
// uploads for one seller causes one token request (eBay's token endpoint has daily limits).
import type { CredentialKey } from './config';
import { seal, unseal } from './crypto';
import type { Sql } from './db';
import type { AccessTokenSource, MarketplaceContext, MarketplaceModule, MintedToken } from './marketplaces/types';

const SEALED_AS = 'marketplace-token';

export interface TokenSourceOptions {
  sql: Sql;
  keys: CredentialKey[];
  tenantId: string;
  code: string;
  /** The connection's updated_at: a token minted from older credentials is not used. */
  connectionUpdatedAt: string;
  mint: () => Promise<MintedToken>;
}

/** When to mint again: a quarter of the lifetime before expiry, but at least a minute before it. */
export function refreshAfterSeconds(expiresInSeconds: number): number {
  return Math.max(0, Math.min(expiresInSeconds * 0.75, expiresInSeconds - 60));
}

export function createTokenSource(o: TokenSourceOptions): AccessTokenSource {
  const row = { tenantId: o.tenantId, kind: SEALED_AS, code: o.code };
  let memo: string | undefined;

  const read = async (sql: Sql) => {
    const [r] = await sql`
      SELECT secret, key_id, now() < refresh_after AS fresh
      FROM marketplace_tokens
      WHERE tenant_id = ${o.tenantId} AND code = ${o.code} AND connection_updated_at = ${o.connectionUpdatedAt}::timestamptz`;
    if (!r) return undefined;
    const token = unseal<{ accessToken: string }>(o.keys, { keyId: r.key_id as string, secret: r.secret as Buffer }, row).value.accessToken;
    return { token, fresh: r.fresh as boolean };
  };

  /** Mints under the connection's lock unless another process already did (or `rejected` is no longer current). */
  const mintLocked = (rejected?: string): Promise<string> =>
    o.sql.begin(async (tx) => {
      await tx`SELECT pg_advisory_xact_lock(hashtextextended(${`marketplace-token:${o.tenantId}:${o.code}`}, 0))`;
      const current = await read(tx as unknown as Sql);
      if (current && current.fresh && current.token !== rejected) return current.token;
      const minted = await o.mint();
      const sealed = seal(o.keys, { accessToken: minted.accessToken }, row);
      await tx`
        INSERT INTO marketplace_tokens (tenant_id, code, connection_updated_at, secret, key_id, refresh_after, expires_at, minted_at)
        VALUES (${o.tenantId}, ${o.code}, ${o.connectionUpdatedAt}::timestamptz, ${sealed.secret}, ${sealed.keyId},
                now() + ${refreshAfterSeconds(minted.expiresInSeconds)} * interval '1 second',
                now() + ${minted.expiresInSeconds} * interval '1 second', now())
        ON CONFLICT (tenant_id, code) DO UPDATE SET connection_updated_at = EXCLUDED.connection_updated_at, secret = EXCLUDED.secret,
          key_id = EXCLUDED.key_id, refresh_after = EXCLUDED.refresh_after, expires_at = EXCLUDED.expires_at, minted_at = now()`;
      return minted.accessToken;
    });

  return {
    async get() {
      if (memo) return memo;
      const current = await read(o.sql);
      memo = current?.fresh ? current.token : await mintLocked();
      return memo;
    },
    async refresh(rejected) {
      memo = await mintLocked(rejected);
      return memo;
    },
  };
}

/** The module's minting as a function, for a token source (undefined: these credentials carry their own token). */
export function minterFor<C>(mod: MarketplaceModule<C>, creds: C, ctx: Omit<MarketplaceContext, 'tokens'>): (() => Promise<MintedToken>) | undefined {
  const mint = mod.mintToken;
  if (!mint || mod.carriesToken?.(creds)) return undefined;
  return () => mint(creds, ctx);
}

/** A token source without a cache, for one check (verifying credentials before they are saved). */
export function oneShotTokenSource(mint: () => Promise<MintedToken>): AccessTokenSource {
  let memo: Promise<string> | undefined;
  return {
    get: () => (memo ??= mint().then((m) => m.accessToken)),
    refresh: async () => (memo = mint().then((m) => m.accessToken)),
  };
}
