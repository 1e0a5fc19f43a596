-- The dealer's dropship list (GET /v1/dropships), newest first, paged on (created_at, pss_order_id).
CREATE INDEX dropships_tenant_created ON dropships(tenant_id, created_at DESC, pss_order_id DESC);
CREATE INDEX dropships_tenant_status ON dropships(tenant_id, status, created_at DESC);
