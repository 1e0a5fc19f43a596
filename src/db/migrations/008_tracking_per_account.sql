-- The tracking reader of one dealer account reads its open POs every interval (activities/tracking.ts).
CREATE INDEX IF NOT EXISTS purchase_orders_open_by_account ON purchase_orders (tenant_id, distributor)
  WHERE status IN ('submitted', 'partially_shipped') AND NOT shipped;
