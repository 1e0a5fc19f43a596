#!/usr/bin/env bash
# Prints the path of a Temporal CLI, installing v1.5.1 with `go install` when none is found.
# Order: $TEMPORAL_CLI, `temporal` on PATH, $(go env GOPATH)/bin/temporal.
set -euo pipefail
VERSION=v1.5.1
if [ -n "${TEMPORAL_CLI:-}" ]; then
  if [ -x "$TEMPORAL_CLI" ]; then echo "$TEMPORAL_CLI"; exit 0; fi
  echo "TEMPORAL_CLI=$TEMPORAL_CLI is not an executable file" >&2; exit 1
fi
if command -v temporal >/dev/null 2>&1; then command -v temporal; exit 0; fi
GO=$(command -v go || true)
[ -z "$GO" ] && [ -x /usr/local/go/bin/go ] && GO=/usr/local/go/bin/go
if [ -n "$GO" ]; then
  GOBIN_DIR="$("$GO" env GOPATH)/bin"
  if [ -x "$GOBIN_DIR/temporal" ]; then echo "$GOBIN_DIR/temporal"; exit 0; fi
  echo "Temporal CLI not found: installing $VERSION with go install (first build takes a few minutes)..." >&2
  "$GO" install "github.com/temporalio/cli/cmd/temporal@$VERSION" >&2
  echo "$GOBIN_DIR/temporal"; exit 0
fi
cat >&2 <<MSG
The Temporal CLI was not found and Go is not installed to build it.
Install it one of these ways, then run the command again:
  - go install github.com/temporalio/cli/cmd/temporal@$VERSION   (needs Go >= 1.25)
  - download it from https://temporal.io/setup and put it on PATH, or set TEMPORAL_CLI=/path/to/temporal
MSG
exit 1
