#!/usr/bin/env bash
# Configures (Ninja and ccache when present) and builds the whole suite into
# build/ with two parallel jobs, the size of CI's machine.
set -euo pipefail
cd "$(dirname "$0")/../.."
# ccache hits across checkouts in different folders (CI clones anew): paths
# relative to the checkout, and the build folder left out of the hash.
export CCACHE_BASEDIR="$PWD"
export CCACHE_NOHASHDIR=1

generator=()
if command -v ninja >/dev/null; then generator=(-G Ninja); fi
if [[ ! -f build/CMakeCache.txt ]]; then
  cmake -S . -B build "${generator[@]}" -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
fi
cmake --build build -j "${HERSTEL_JOBS:-2}"
