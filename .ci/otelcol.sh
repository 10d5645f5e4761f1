#!/usr/bin/env bash
# Builds the OTLP-only OpenTelemetry Collector used by tests/e2e/test_collector_path.py:
#   1. installs the Collector Builder (ocb) from the Go module proxy into .tools/go/bin
#   2. builds deploy/otel-collector/builder-config.yaml into .tools/otelcol/otelcol-council
# Cached: skips the build while the binary is newer than the builder config and this
# script; Go's module and build caches (GOMODCACHE, GOCACHE) keep a rebuild short.
# Without `go` on PATH it prints why and exits 0 (the test then skips).
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
script="$root/.ci/otelcol.sh"
# Keep in step with the component versions in the builder config (one collector release).
builder_version="v0.165.0"
config="$root/deploy/otel-collector/builder-config.yaml"
out_dir="$root/.tools/otelcol"
binary="$out_dir/otelcol-council"
# The builder writes sources and the binary here (dist.output_path, relative to $root).
work="$out_dir/build"
gobin="$root/.tools/go/bin"
start=$SECONDS

if ! command -v go >/dev/null 2>&1; then
  echo "otelcol: go is not on PATH; skipping the collector build (its test skips too)" >&2
  exit 0
fi

if [ -x "$binary" ] && [ "$binary" -nt "$config" ] && [ "$binary" -nt "$script" ]; then
  echo "otelcol: $binary is up to date; build skipped"
  exit 0
fi

mkdir -p "$gobin" "$out_dir"
builder="$gobin/builder"
installed=""
if [ -x "$builder" ]; then installed="$("$builder" version 2>&1 || true)"; fi
if [[ "$installed" != *"${builder_version#v}"* ]]; then
  echo "otelcol: installing go.opentelemetry.io/collector/cmd/builder@$builder_version"
  GOBIN="$gobin" go install "go.opentelemetry.io/collector/cmd/builder@$builder_version"
fi

# A fresh source dir each time; the old binary stays in place until the new one is built.
# The builder itself compiles with CGO off, -trimpath and -ldflags "-s -w".
rm -rf "$work"
(cd "$root" && "$builder" --config "$config")
mv -f "$work/otelcol-council" "$binary"
rm -rf "$work"
# Smoke check: the binary starts and lists the components it was built with.
"$binary" components | grep -E "^ *(- name|module):"
echo "otelcol: built $binary in $((SECONDS - start)) s"
