-- Tenants (dealer accounts) and their API keys. Keys are stored as SHA-256 hashes only.
CREATE TABLE tenants (
  id uuid PRIMARY KEY,
  name text NOT NULL,
  order_automation_enabled boolean NOT NULL DEFAULT false,
  created_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE api_keys (
  key_hash text PRIMARY KEY,
  tenant_id uuid NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
  key_prefix text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  revoked_at timestamptz
);
CREATE INDEX api_keys_tenant ON api_keys(tenant_id);

-- A dealer's distributor and marketplace accounts. Credentials are AES-256-GCM ciphertext;
-- key_id names the CREDENTIALS_KEY that encrypted them.
CREATE TABLE connections (
  tenant_id uuid NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
  kind text NOT NULL CHECK (kind IN ('distributor', 'marketplace')),
  code text NOT NULL,
  secret bytea NOT NULL,
  key_id text NOT NULL,
  masked jsonb NOT NULL,
  base_url text,
  enabled boolean NOT NULL DEFAULT true,
  verified_at timestamptz,
  updated_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (tenant_id, kind, code)
);

CREATE TABLE warehouse_rules (
  tenant_id uuid NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
  distributor text NOT NULL,
  warehouse text NOT NULL,
  lead_time_days integer NOT NULL CHECK (lead_time_days >= 0),
  excluded boolean NOT NULL DEFAULT false,
  updated_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (tenant_id, distributor, warehouse)
);

CREATE TABLE catalog_products (
  tenant_id uuid NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
  sku text NOT NULL,
  title text,
  updated_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (tenant_id, sku)
);

CREATE TABLE catalog_offers (
  tenant_id uuid NOT NULL,
  sku text NOT NULL,
  distributor text NOT NULL,
  distributor_sku text NOT NULL,
  unit_cost numeric(12, 2) NOT NULL,
  dropship_fee numeric(12, 2) NOT NULL DEFAULT 0,
  updated_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (tenant_id, sku, distributor),
  FOREIGN KEY (tenant_id, sku) REFERENCES catalog_products(tenant_id, sku) ON DELETE CASCADE
);

CREATE TABLE offer_stock (
  tenant_id uuid NOT NULL,
  sku text NOT NULL,
  distributor text NOT NULL,
  warehouse text NOT NULL,
  quantity integer NOT NULL CHECK (quantity >= 0),
  PRIMARY KEY (tenant_id, sku, distributor, warehouse),
  FOREIGN KEY (tenant_id, sku, distributor) REFERENCES catalog_offers(tenant_id, sku, distributor) ON DELETE CASCADE
);

-- One row per dropship: the request as accepted (for the same-body check) and a mirror of its
-- status for listing; the workflow in Temporal is the source of truth for the live state.
CREATE TABLE dropships (
  tenant_id uuid NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
  pss_order_id text NOT NULL,
  workflow_id text NOT NULL UNIQUE,
  request jsonb NOT NULL,
  request_hash text NOT NULL,
  status text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (tenant_id, pss_order_id)
);

CREATE TABLE purchase_orders (
  po_number text PRIMARY KEY,
  tenant_id uuid NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
  pss_order_id text NOT NULL,
  distributor text NOT NULL,
  attempt integer NOT NULL,
  status text NOT NULL,
  shipped boolean NOT NULL DEFAULT false,
  distributor_order_id text,
  -- set before the first send: from then on a retry must look the PO up before re-sending
  submit_started_at timestamptz,
  error_code text,
  error_message text,
  superseded_by text,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX purchase_orders_tenant_created ON purchase_orders(tenant_id, created_at DESC, po_number DESC);
CREATE INDEX purchase_orders_order ON purchase_orders(tenant_id, pss_order_id);

CREATE TABLE purchase_order_lines (
  po_number text NOT NULL REFERENCES purchase_orders(po_number) ON DELETE CASCADE,
  line_id text NOT NULL,
  sku text NOT NULL,
  distributor_sku text NOT NULL,
  quantity integer NOT NULL,
  shipped_quantity integer NOT NULL DEFAULT 0,
  PRIMARY KEY (po_number, line_id)
);

CREATE TABLE purchase_order_attempts (
  id bigserial PRIMARY KEY,
  po_number text NOT NULL REFERENCES purchase_orders(po_number) ON DELETE CASCADE,
  started_at timestamptz NOT NULL DEFAULT now(),
  outcome text NOT NULL,
  error_code text,
  error_message text
);
CREATE INDEX purchase_order_attempts_po ON purchase_order_attempts(po_number);

CREATE TABLE shipments (
  po_number text NOT NULL REFERENCES purchase_orders(po_number) ON DELETE CASCADE,
  tracking_number text NOT NULL,
  carrier text NOT NULL,
  service text,
  shipped_at timestamptz NOT NULL,
  warehouse text,
  freight_number text,
  lines jsonb NOT NULL DEFAULT '[]',
  recorded_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (po_number, tracking_number)
);

-- Upload ledger: the row is written before the marketplace is called.
CREATE TABLE marketplace_uploads (
  tenant_id uuid NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
  marketplace text NOT NULL,
  marketplace_order_id text NOT NULL,
  tracking_number text NOT NULL,
  pss_order_id text NOT NULL,
  po_number text NOT NULL,
  status text NOT NULL,
  fulfillment_id text,
  error_code text,
  error_message text,
  attempts integer NOT NULL DEFAULT 0,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (tenant_id, marketplace, marketplace_order_id, tracking_number)
);
CREATE INDEX marketplace_uploads_order ON marketplace_uploads(tenant_id, pss_order_id);

-- Every distributor and marketplace call, secrets redacted, for support.
CREATE TABLE external_calls (
  id bigserial PRIMARY KEY,
  tenant_id uuid,
  pss_order_id text,
  po_number text,
  target text NOT NULL,
  operation text,
  method text NOT NULL,
  url text NOT NULL,
  request_body text,
  status integer,
  response_body text,
  error text,
  duration_ms integer NOT NULL,
  started_at timestamptz NOT NULL
);
CREATE INDEX external_calls_order ON external_calls(tenant_id, pss_order_id, id);
