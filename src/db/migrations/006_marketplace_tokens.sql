-- Access tokens minted from a marketplace connection's long-lived credentials, sealed like the
-- credentials. One row per connection: refreshed ahead of expiry under an advisory lock, so many
-- workers cause one token request, not one each. A reconnect (a newer connection) makes it stale.
CREATE TABLE marketplace_tokens (
  tenant_id uuid NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
  code text NOT NULL,
  connection_updated_at timestamptz NOT NULL,
  secret bytea NOT NULL,
  key_id text NOT NULL,
  refresh_after timestamptz NOT NULL,
  expires_at timestamptz NOT NULL,
  minted_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (tenant_id, code)
);
