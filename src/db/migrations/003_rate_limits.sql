-- One token bucket per rate-limit key (a distributor account), shared by every worker process:
-- src/rate-limit.ts refills and takes from it in one atomic statement on the database's clock.
CREATE TABLE rate_limit_buckets (
  key text PRIMARY KEY,
  tokens double precision NOT NULL,
  -- The database time the tokens were last counted at; only ever moves forward.
  refilled_at timestamptz NOT NULL,
  -- Whether the last statement on this row took a token (read back by that same statement).
  granted boolean NOT NULL
);
