#!/usr/bin/env bash
# Installs the locked dependencies into node_modules/ (npm ci), unless they are
# already installed from the same package-lock.json. The client itself needs no build.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
cd "$here"
stamp="node_modules/.installed-$(sha1sum package-lock.json | cut -c1-12)"
if [ -f "$stamp" ]; then
  exit 0
fi
# --ignore-scripts: protobufjs's postinstall only checks its own CLI's deps.
npm ci --ignore-scripts --no-audit --no-fund --loglevel=error
: > "$stamp"
