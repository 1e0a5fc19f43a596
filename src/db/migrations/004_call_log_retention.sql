-- The daily call-log retention deletes by age in batches; without this index every batch would
-- scan the whole table.
CREATE INDEX external_calls_started_at ON external_calls (started_at);
