-- The catalog from the distributors' feeds: every feed row lands in distributor_items (per dealer
-- and distributor); a product takes its offers from the items it names or matches (UPC, or brand +
-- manufacturer part number). Keys are normalised by the importer (src/feeds/keys.ts) so matching
-- is an index lookup.
CREATE TABLE distributor_items (
  tenant_id uuid NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
  distributor text NOT NULL,
  part_key text NOT NULL,
  part_number text NOT NULL,
  status text NOT NULL,
  orderable boolean NOT NULL,
  dealer_cost numeric(12, 2),
  retail_price numeric(12, 2),
  map_price numeric(12, 2),
  dropship_fee numeric(12, 2) NOT NULL DEFAULT 0,
  upc_key text,
  upc text,
  brand text,
  mfg_key text,
  mfg_part_number text,
  description text,
  warehouses jsonb NOT NULL DEFAULT '{}',
  updated_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (tenant_id, distributor, part_key)
);
CREATE INDEX distributor_items_upc ON distributor_items (tenant_id, upc_key) WHERE upc_key IS NOT NULL;
CREATE INDEX distributor_items_mfg ON distributor_items (tenant_id, mfg_key) WHERE mfg_key IS NOT NULL;

-- A product names its own UPC / brand + manufacturer part number for matching.
ALTER TABLE catalog_products
  ADD COLUMN upc text,
  ADD COLUMN upc_key text,
  ADD COLUMN brand text,
  ADD COLUMN mfg_part_number text,
  ADD COLUMN mfg_key text;

-- An offer may name only the distributor's part number: cost and stock then come from the feed.
ALTER TABLE catalog_offers ALTER COLUMN unit_cost DROP NOT NULL;
ALTER TABLE catalog_offers ADD COLUMN stock_given boolean NOT NULL DEFAULT true;

ALTER TABLE warehouse_rules
  ADD COLUMN minimum_buffer integer NOT NULL DEFAULT 0 CHECK (minimum_buffer >= 0),
  ADD COLUMN dropship_cutoff_price numeric(12, 2) CHECK (dropship_cutoff_price >= 0);

-- One row per feed run; the run's workflow id is its id. At most one run per feed is running.
CREATE TABLE feed_runs (
  run_id text PRIMARY KEY,
  tenant_id uuid NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
  distributor text NOT NULL,
  trigger text NOT NULL,
  status text NOT NULL CHECK (status IN ('running', 'succeeded', 'failed')),
  started_at timestamptz NOT NULL DEFAULT now(),
  finished_at timestamptz,
  rows_read integer NOT NULL DEFAULT 0,
  items_changed integer NOT NULL DEFAULT 0,
  bad_rows integer NOT NULL DEFAULT 0,
  errors jsonb NOT NULL DEFAULT '[]',
  -- Downloads made (one per attempt): Parts Unlimited allows two a day.
  pulls integer NOT NULL DEFAULT 0
);
CREATE UNIQUE INDEX feed_runs_one_running ON feed_runs (tenant_id, distributor) WHERE status = 'running';
CREATE INDEX feed_runs_list ON feed_runs (tenant_id, started_at DESC, run_id);

-- The dealer's feed schedule per distributor; the Temporal Schedule `feed:<tenant>:<distributor>` follows it.
CREATE TABLE feed_schedules (
  tenant_id uuid NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
  distributor text NOT NULL,
  enabled boolean NOT NULL,
  cron text NOT NULL,
  time_zone text NOT NULL,
  updated_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (tenant_id, distributor)
);
