#!/usr/bin/env bash
# Runs buf (from the npm package @bufbuild/buf, pinned) from the repository root.
# The package is installed once into .tools/buf and reused.
set -euo pipefail
BUF_VERSION="1.75.0"
root="$(cd "$(dirname "$0")/.." && pwd)"
tools="$root/.tools/buf"
if [ ! -x "$tools/node_modules/.bin/buf" ] || [ "$("$tools/node_modules/.bin/buf" --version)" != "$BUF_VERSION" ]; then
  mkdir -p "$tools"
  (cd "$tools" && { [ -f package.json ] || echo '{"name":"buf-tool","private":true}' > package.json; } \
    && npm install --silent --no-audit --no-fund "@bufbuild/buf@$BUF_VERSION" >/dev/null)
fi
cd "$root"
exec "$tools/node_modules/.bin/buf" "$@"
