#!/usr/bin/env bash
# Fails when protos/ breaks compatibility (buf.yaml `breaking` rules) against
#   1. the previous commit, when it has protos (skipped with a message otherwise), and
#   2. the last released proto version: the newest tag `protos/v*`, or, before the
#      first release, the first commit that had protos.
# The working tree is the input, so uncommitted proto edits are checked too.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"

buf() { bash "$root/.ci/buf.sh" "$@"; }

# A commit that exists in this clone (shallow clones may lack old ones) and has protos.
usable_ref() {
  git rev-parse --verify --quiet "$1^{commit}" >/dev/null && git cat-file -e "$1:protos" 2>/dev/null
}

check_against() {
  local label="$1" ref="$2"
  if ! usable_ref "$ref"; then
    echo "buf_breaking: skip $label ($ref): commit not in this clone or without protos/"
    return 0
  fi
  echo "buf_breaking: $label: protos/ against $ref ($(git rev-parse --short "$ref^{commit}"))"
  buf breaking --against ".git#ref=$(git rev-parse "$ref^{commit}")"
  echo "buf_breaking: $label: no breaking change"
}

if ! git rev-parse --git-dir >/dev/null 2>&1; then
  echo "buf_breaking: skip: $root is not a git work tree"
  exit 0
fi

if git rev-parse --verify --quiet "HEAD~1^{commit}" >/dev/null; then
  check_against "previous commit" "HEAD~1"
else
  echo "buf_breaking: skip previous commit: HEAD has no parent in this clone"
fi

release="$(git tag --list 'protos/v*' --sort=-v:refname | head -n 1)"
if [ -n "$release" ]; then
  check_against "last release" "$release"
else
  first="$(git rev-list --reverse HEAD -- protos | head -n 1)"
  if [ -z "$first" ]; then
    echo "buf_breaking: skip last release: no tag protos/v* and no commit with protos/"
  else
    check_against "first commit with protos (no tag protos/v* yet)" "$first"
  fi
fi
