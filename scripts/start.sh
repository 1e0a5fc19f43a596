#!/usr/bin/env bash
# `npm start`: everything the service needs on a fresh clone, then the whole service with its
# sandbox. Installs what is missing (npm packages, the Temporal CLI) and says so.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/prereqs.sh
ensure_node_modules
ensure_postgres
if [ -z "${TEMPORAL_ADDRESS:-}" ]; then
  TEMPORAL_CLI="$(bash scripts/temporal-cli.sh)"
  export TEMPORAL_CLI
fi
exec node_modules/.bin/tsx scripts/dev.ts
