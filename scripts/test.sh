#!/usr/bin/env bash
# `npm test`: type check, then every test against a real Temporal dev server (started once for
# the run), a real Postgres database (recreated), the simulators over HTTP and a headless Chromium.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/prereqs.sh
ensure_node_modules
ensure_postgres
ensure_chromium
TEMPORAL_CLI="$(bash scripts/temporal-cli.sh)"
export TEMPORAL_CLI
echo "Type checking…"
node_modules/.bin/tsc --noEmit -p .
exec node_modules/.bin/jest --runInBand --forceExit "$@"
