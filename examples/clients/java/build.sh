#!/usr/bin/env bash
# Builds target/router-client.jar (stubs generated from ../../../protos during the build).
# Skips Maven when the jar is newer than the pom, the sources and the protos; runs
# Maven offline when ~/.m2 already holds every artifact, online otherwise.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../../.." && pwd)"
jar="$here/target/router-client.jar"
if [ -f "$jar" ] && [ -z "$(find "$here/pom.xml" "$here/src" "$root/protos/llmcouncil/router" -newer "$jar" -print -quit)" ]; then
  exit 0
fi
cd "$here"
mvn_args=(-B -q -Dstyle.color=never package)
mkdir -p target
if ! mvn -o "${mvn_args[@]}" >target/offline-build.log 2>&1; then
  echo "java client: offline build failed (artifacts not cached yet?), building online" >&2
  mvn "${mvn_args[@]}"
fi
