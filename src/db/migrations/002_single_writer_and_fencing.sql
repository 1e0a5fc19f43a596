-- The workflow is the single writer of dropship, PO and upload status; one activity mirrors its
-- state here. mirror_version only grows, so a late or retried mirror never overwrites a newer one.
ALTER TABLE dropships ADD COLUMN mirror_version bigint NOT NULL DEFAULT 0;
-- The workflow's input as started, so a create request that died between the insert and the
-- start can start the same workflow when it is repeated.
ALTER TABLE dropships ADD COLUMN workflow_input jsonb;
-- Closed workflows answer GET from here.
ALTER TABLE dropships ADD COLUMN view jsonb;

-- Fenced sending: one attempt at a time holds the lease on a PO; marking the send checks the
-- token in the same statement, so a stale attempt can never send after a newer one took over.
ALTER TABLE purchase_orders ADD COLUMN send_token text;
ALTER TABLE purchase_orders ADD COLUMN send_lease_until timestamptz;
