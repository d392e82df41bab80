#!/usr/bin/env bash
# The test command: installs what is missing, builds, and runs every test
# (unit tests and integration tests over real service processes).
set -euo pipefail
cd "$(dirname "$0")/../.."

tools/scripts/install-deps.sh
tools/scripts/build.sh
ctest --test-dir build -j "${HERSTEL_JOBS:-2}" --output-on-failure --timeout 300
# libFuzzer targets (clang), each for a bounded time; fails on any crash.
tests/robustness/run_fuzzers.sh
