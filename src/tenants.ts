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

export async function tenantByApiKey(sql: Sql, apiKey: string): Promise<Tenant | undefined> {
  const [row] = await sql`
    SELECT t.id, t.name, t.order_automation_enabled FROM api_keys k JOIN tenants t ON t.id = k.tenant_id
    WHERE k.key_hash = ${sha256Hex(apiKey)} AND k.revoked_at IS NULL`;
  return row ? { id: row.id as string, name: row.name as string, orderAutomationEnabled: row.order_automation_enabled as boolean } : undefined;
}

export async function setOrderAutomation(sql: Sql, tenantId: string, enabled: boolean): Promise<Tenant | undefined> {
  const [row] = await sql`UPDATE tenants SET order_automation_enabled = ${enabled} WHERE id = ${tenantId}
                          RETURNING id, name, order_automation_enabled`;
  return row ? { id: row.id as string, name: row.name as string, orderAutomationEnabled: row.order_automation_enabled as boolean } : undefined;
}
