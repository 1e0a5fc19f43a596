-- A dealer's request budget for one distributor account, in requests per second: every worker's
-- calls with that account draw from one token bucket filled at this rate (src/rate-limit.ts).
-- Null = the distributor module's default (e.g. WPS_DEFAULT_REQUESTS_PER_SECOND in
-- src/distributors/wps.ts), so a default changed in code reaches every account that set none.
-- Postgres sorts NaN above Infinity, so "< 'Infinity'" refuses both.
ALTER TABLE connections ADD COLUMN requests_per_second double precision
  CONSTRAINT connections_requests_per_second_positive CHECK (requests_per_second > 0 AND requests_per_second < 'Infinity');
