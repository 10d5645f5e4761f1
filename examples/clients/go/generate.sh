#!/usr/bin/env bash
# Generates the Go stubs for llmcouncil.router.v1 from protos/ into gen/, as the
# Go module the protos' go_package names (github.com/llmcouncil/pareto-router/gen/go),
# so nothing in the .proto files needs changing. go.mod points at it with `replace`.
#   PROTOC       protoc command (default: python -m grpc_tools.protoc from the repo's .venv)
#   GOBIN_TOOLS  where protoc-gen-go and protoc-gen-go-grpc are installed (default: <repo>/.tools/go/bin)
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../../.." && pwd)"
python="${PYTHON:-$root/.venv/bin/python}"
tools="${GOBIN_TOOLS:-$root/.tools/go/bin}"
# Pinned generator versions (Go module proxy); keep in step with go.mod.
PROTOC_GEN_GO_VERSION="v1.36.12"
PROTOC_GEN_GO_GRPC_VERSION="v1.6.2"
gen_module="github.com/llmcouncil/pareto-router/gen/go"

mkdir -p "$tools"
if [ "$("$tools/protoc-gen-go" --version 2>/dev/null)" != "protoc-gen-go $PROTOC_GEN_GO_VERSION" ]; then
  GOBIN="$tools" go install "google.golang.org/protobuf/cmd/protoc-gen-go@$PROTOC_GEN_GO_VERSION"
fi
if [ "$("$tools/protoc-gen-go-grpc" --version 2>/dev/null)" != "protoc-gen-go-grpc ${PROTOC_GEN_GO_GRPC_VERSION#v}" ]; then
  GOBIN="$tools" go install "google.golang.org/grpc/cmd/protoc-gen-go-grpc@$PROTOC_GEN_GO_GRPC_VERSION"
fi

wkt="$("$python" -c 'import grpc_tools, os; print(os.path.join(os.path.dirname(grpc_tools.__file__), "_proto"))')"
# Generate next to gen/ and swap only when the output changed, so that a build
# running at the same time never sees gen/ half written.
out="$(mktemp -d "$here/.gen.XXXXXX")"
trap 'rm -rf "$out"' EXIT
chmod 755 "$out"
"$python" -m grpc_tools.protoc \
  -I "$root/protos" -I "$wkt" \
  --plugin=protoc-gen-go="$tools/protoc-gen-go" \
  --plugin=protoc-gen-go-grpc="$tools/protoc-gen-go-grpc" \
  --go_out="$out" --go_opt=module="$gen_module" \
  --go-grpc_out="$out" --go-grpc_opt=module="$gen_module" \
  llmcouncil/router/v1/router_service.proto
cat > "$out/go.mod" <<GOMOD
module $gen_module

go 1.26.0

require (
	google.golang.org/grpc v1.85.0
	google.golang.org/protobuf v1.36.12
)
GOMOD
if ! diff -r "$out" "$here/gen" >/dev/null 2>&1; then
  rm -rf "$here/gen"
  mv "$out" "$here/gen"
fi
