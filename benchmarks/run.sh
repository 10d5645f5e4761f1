#!/usr/bin/env bash
# One command for every benchmark: installs what it needs, runs, prints the tables.
# Usage: benchmarks/run.sh [--quick] [--phases gateways,ingest,drift,full_stack] [--skip-install]
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
[ -x .venv/bin/python ] || ./dev bootstrap
exec .venv/bin/python -m benchmarks.run "$@"
