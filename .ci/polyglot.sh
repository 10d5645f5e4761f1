#!/usr/bin/env bash
# Installs and caches what the example clients in examples/clients/ need, so that
# tests/polyglot only builds from warm caches:
#   go    protoc-gen-go / protoc-gen-go-grpc into .tools/go/bin, modules into GOMODCACHE
#   java  Maven artifacts (protoc, protoc-gen-grpc-java, grpc-java) into ~/.m2, the jar
#   node  node_modules/ from package-lock.json
# Idempotent: each example's build.sh skips work that is already done. A language
# whose toolchain is not on PATH is skipped with a message (its tests skip too).
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
export PYTHON="${PYTHON:-$root/.venv/bin/python}"

have() {
  local tool
  for tool in "$@"; do
    if ! command -v "$tool" >/dev/null 2>&1; then
      echo "polyglot: $tool is not on PATH; skipping this client" >&2
      return 1
    fi
  done
}

build() {
  local name="$1" start=$SECONDS
  bash "$root/examples/clients/$name/build.sh"
  echo "polyglot: $name client ready ($((SECONDS - start)) s)"
}

if have go; then build go; fi
if have java mvn; then build java; fi
if have node npm; then build node; fi
