#!/usr/bin/env bash
# Installs the distribution the way a user would (`pip install .`, not editable)
# into a throwaway venv and checks that the console scripts start.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
python3 -m venv "$tmp/venv"
"$tmp/venv/bin/python" -m pip install --quiet "$root"
cd "$tmp"
for cmd in router-service telemetry-service openrouter-sim; do
  "$tmp/venv/bin/$cmd" --help >/dev/null
  echo "install_check: $cmd --help ok"
done
"$tmp/venv/bin/python" -c "import router_service.server, telemetry_service.server, openrouter_sim; from llmcouncil.telemetry.v1 import telemetry_service_pb2"
echo "install_check: packages and generated stubs import from the installed wheel"
