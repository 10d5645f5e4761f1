#!/usr/bin/env bash
# Fails when regenerating the Python stubs from protos/ changes the committed files.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
before="$(mktemp -d)"
trap 'rm -rf "$before"' EXIT
cp -a protos/gen/python/. "$before/"
PYTHON="$root/.venv/bin/python" bash protos/generate.sh >/dev/null
if ! diff -r -x __pycache__ "$before" protos/gen/python >/dev/null; then
  echo "check_stubs: protos/gen/python is stale; run ./dev gen and commit the result:" >&2
  diff -r -x __pycache__ "$before" protos/gen/python | head -40 >&2
  exit 1
fi
echo "check_stubs: generated stubs match protos/"
