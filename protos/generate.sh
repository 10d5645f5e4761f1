#!/usr/bin/env bash
# Regenerates the Python stubs under protos/gen/python from protos/.
# The generator versions are pinned here and in pyproject.toml's dev extra;
# the output is committed and CI fails when regenerating changes it.
set -euo pipefail
GRPCIO_TOOLS_VERSION="1.85.1"
MYPY_PROTOBUF_VERSION="5.1.0"

root="$(cd "$(dirname "$0")/.." && pwd)"
python="${PYTHON:-$root/.venv/bin/python}"
out="$root/protos/gen/python"

have_tools="$("$python" -c 'import importlib.metadata as m; print(m.version("grpcio-tools"))' 2>/dev/null || true)"
have_mypy="$("$python" -c 'import importlib.metadata as m; print(m.version("mypy-protobuf"))' 2>/dev/null || true)"
if [ "$have_tools" != "$GRPCIO_TOOLS_VERSION" ] || [ "$have_mypy" != "$MYPY_PROTOBUF_VERSION" ]; then
  echo "gen_protos: need grpcio-tools==$GRPCIO_TOOLS_VERSION and mypy-protobuf==$MYPY_PROTOBUF_VERSION" \
       "(have '${have_tools:-none}' and '${have_mypy:-none}'); run: $python -m pip install -e '.[dev]'" >&2
  exit 2
fi

rm -rf "$out/llmcouncil"
mkdir -p "$out"
protoc_gen_mypy_grpc="$(dirname "$python")/protoc-gen-mypy_grpc"
cd "$root/protos"
mapfile -t files < <(find llmcouncil -name '*.proto' | LC_ALL=C sort)
"$python" -m grpc_tools.protoc -I . \
  --python_out="$out" --pyi_out="$out" --grpc_python_out="$out" \
  --plugin=protoc-gen-mypy_grpc="$protoc_gen_mypy_grpc" --mypy_grpc_out="$out" \
  "${files[@]}" 2> >(grep -v "^Writing mypy to" >&2)
# Make every generated folder a regular package.
find "$out/llmcouncil" -type d | while read -r d; do
  [ -f "$d/__init__.py" ] || : > "$d/__init__.py"
done
: > "$out/llmcouncil/py.typed"
echo "gen_protos: wrote $(find "$out/llmcouncil" -name '*_pb2*.py*' | wc -l) files under protos/gen/python"
