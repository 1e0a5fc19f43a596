// Tenants (dealer accounts) and their API keys. A key is shown once, at creation; only its
// SHA-256 is stored, so a leaked database does not leak working keys.
import { randomBytes, randomUUID } from 'node:crypto';
import { sha256Hex } from './crypto';
import type { Sql } from './db';

export interface Tenant {
  id: string;
  name: string;
  orderAutomationEnabled: boolean;
}

export function newApiKey(): string {
  return `dsk_${randomBytes(24).toString('base64url')}`;
}

export async function createTenant(sql: Sql, name: string, apiKey = newApiKey()): Promise<{ tenant: Tenant; apiKey: string }> {
  const id = randomUUID();
  await sql.begin(async (tx) => {
    await tx`INSERT INTO tenants (id, name) VALUES (${id}, ${name})`;
    await tx`INSERT INTO api_keys (key_hash, tenant_id, key_prefix) VALUES (${sha256Hex(apiKey)}, ${id}, ${apiKey.slice(0, 8)})`;
  });
  return { tenant: { id, name, orderAutomationEnabled: false }, apiKey };
}

/**
 * How long an API server keeps a key it has looked up, so a dealer platform's burst of requests
 * costs one lookup, not one per request. A key revoked or a tenant switched off on another API
 * server takes effect here within this time (at once on the server that switched it).
 */
export const TENANT_KEY_TTL_MS = 5_000;
const knownKeys = new WeakMap<Sql, Map<string, { tenant: Tenant; at: number }>>();

export async function tenantByApiKey(sql: Sql, apiKey: string, now = Date.now()): Promise<Tenant | undefined> {
  const hash = sha256Hex(apiKey);
  let known = knownKeys.get(sql);
  if (!known) knownKeys.set(sql, (known = new Map()));
  const hit = known.get(hash);
  if (hit && now - hit.at < TENANT_KEY_TTL_MS) return hit.tenant;
  const [row] = await sql`
    SELECT t.id, t.name, t.order_automation_enabled FROM api_keys k JOIN tenants t ON t.id = k.tenant_id
    WHERE k.key_hash = ${hash} AND k.revoked_at IS NULL`;
  if (!row) {
    known.delete(hash); // an unknown key is never cached: a key created now works at once
    return undefined;
  }
  const tenant = { id: row.id as string, name: row.name as string, orderAutomationEnabled: row.order_automation_enabled as boolean };
  if (known.size > 10_000) for (const [k, e] of known) if (now - e.at >= TENANT_KEY_TTL_MS) known.delete(k);
  known.set(hash, { tenant, at: now });
  return tenant;
}

export async function setOrderAutomation(sql: Sql, tenantId: string, enabled: boolean): Promise<Tenant | undefined> {
  const [row] = await sql`UPDATE tenants SET order_automation_enabled = ${enabled} WHERE id = ${tenantId}
                          RETURNING id, name, order_automation_enabled`;
  for (const [k, e] of knownKeys.get(sql) ?? []) if (e.tenant.id === tenantId) knownKeys.get(sql)!.delete(k);
  return row ? { id: row.id as string, name: row.name as string, orderAutomationEnabled: row.order_automation_enabled as boolean } : undefined;
}
