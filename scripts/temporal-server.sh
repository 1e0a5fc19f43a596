#!/usr/bin/env bash
# Prints where Temporal's own server lives, building it with `go install` when it is missing:
#   server=<the server binary>
#   sql=<its SQL schema tool>
#   schema=<the PostgreSQL v12 schema directory of the same version>
# Order for each binary: $TEMPORAL_SERVER / $TEMPORAL_SQL_TOOL, then $(go env GOPATH)/bin.
# Used by src/dev/temporal-postgres.ts (the bench's and the chaos run's topology mode).
set -euo pipefail
VERSION=v1.29.1
MODULE=go.temporal.io/server
GO=$(command -v go || true)
[ -z "$GO" ] && [ -x /usr/local/go/bin/go ] && GO=/usr/local/go/bin/go
if [ -z "$GO" ]; then
  cat >&2 <<MSG
Temporal's server is built from source here, and Go (>= 1.24) is not installed.
Install Go, or set TEMPORAL_SERVER and TEMPORAL_SQL_TOOL to binaries of $MODULE $VERSION
(cmd/server and cmd/tools/sql) and have its source in the Go module cache for the schema files.
MSG
  exit 1
fi
GOBIN_DIR="$("$GO" env GOPATH)/bin"

# $1: the variable naming a binary, $2: its name in GOBIN, $3: the package to install
binary() {
  local given="${!1:-}"
  if [ -n "$given" ]; then
    if [ -x "$given" ]; then echo "$given"; return; fi
    echo "$1=$given is not an executable file" >&2; exit 1
  fi
  if [ ! -x "$GOBIN_DIR/$2" ]; then
    echo "Temporal $2 not found: installing $3@$VERSION with go install (the first build takes several minutes)..." >&2
    "$GO" install "$3@$VERSION" >&2
  fi
  echo "$GOBIN_DIR/$2"
}

SERVER=$(binary TEMPORAL_SERVER server "$MODULE/cmd/server")
SQL=$(binary TEMPORAL_SQL_TOOL sql "$MODULE/cmd/tools/sql")
# go install leaves the module's source (schema files included) in the module cache
MODDIR="$("$GO" env GOMODCACHE)/$MODULE@$VERSION"
[ -d "$MODDIR" ] || MODDIR=$("$GO" mod download -json "$MODULE@$VERSION" | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p')
SCHEMA="$MODDIR/schema/postgresql/v12"
if [ ! -d "$SCHEMA/temporal/versioned" ]; then echo "no schema at $SCHEMA" >&2; exit 1; fi
echo "server=$SERVER"
echo "sql=$SQL"
echo "schema=$SCHEMA"
