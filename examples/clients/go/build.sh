#!/usr/bin/env bash
# Builds bin/router-client: generates the stubs (generate.sh), then `go build`.
# Uses the ordinary Go caches (GOMODCACHE, GOCACHE), so a second build is quick.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
bash "$here/generate.sh"
cd "$here"
go build -o bin/router-client .
