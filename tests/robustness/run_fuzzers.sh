#!/usr/bin/env bash
# Builds the libFuzzer targets of tests/robustness/fuzz with clang (their own
# CMake build, apart from the suite's g++ build) and runs each for a bounded
# time from the seeds shipped in tests/robustness/fuzz/seeds. Fails when a
# target finds anything: a crash, a sanitizer report, a hang, or a broken
# promise ("==herstel finding==": UNKNOWN, INTERNAL for a parseable request,
# an error answer that still changed the store).
#
# Environment:
#   HERSTEL_FUZZ_SECONDS  seconds per target (default 20)
#   HERSTEL_FUZZ_BUILD    build folder (default build-fuzz)
#   HERSTEL_JOBS          parallel compile jobs and fuzz runs (default 2)
#   CXX_FOR_FUZZING       the clang++ to use (default clang++)
# Needs Debian's clang and libclang-rt-14-dev (libFuzzer and the sanitizers).
set -euo pipefail
cd "$(dirname "$0")/../.."

seconds=${HERSTEL_FUZZ_SECONDS:-20}
build=${HERSTEL_FUZZ_BUILD:-build-fuzz}
jobs=${HERSTEL_JOBS:-2}
cxx=${CXX_FOR_FUZZING:-clang++}
fuzz_dir=tests/robustness/fuzz
export CCACHE_BASEDIR="$PWD"

if ! command -v "$cxx" >/dev/null; then
  echo "run_fuzzers: $cxx not found; install Debian's clang and libclang-rt-14-dev" >&2
  exit 1
fi
probe=$(mktemp -d)
trap 'rm -rf "$probe"' EXIT
echo 'extern "C" int LLVMFuzzerTestOneInput(const unsigned char*, unsigned long) { return 0; }' >"$probe/probe.cc"
if ! "$cxx" -fsanitize=fuzzer,address,undefined "$probe/probe.cc" -o "$probe/probe" 2>"$probe/error"; then
  echo "run_fuzzers: $cxx cannot link libFuzzer; install libclang-rt-14-dev" >&2
  cat "$probe/error" >&2
  exit 1
fi

started=$(date +%s)
if [[ ! -f "$build/CMakeCache.txt" ]]; then
  generator=()
  if command -v ninja >/dev/null; then generator=(-G Ninja); fi
  cmake -S "$fuzz_dir" -B "$build" "${generator[@]}" -DCMAKE_CXX_COMPILER="$cxx" >/dev/null
fi
cmake --build "$build" -j "$jobs"
built=$(date +%s)
echo "run_fuzzers: built in $((built - started)) s"

# Each target: its executable, its gRPC service (for the seed maker; empty
# for raw seeds) and its seeds.
targets=(listing_identity mandate escalation reporting)
declare -A service_of=(
  [mandate]=herstel.v1.MandateService
  [escalation]=herstel.v1.EscalationService
  [reporting]=herstel.v1.ReportingService
)
if [[ -x "$build/case_fuzzer" ]]; then
  targets+=(case)
  service_of[case]=herstel.v1.CaseService
fi

work="$build/run"
rm -rf "$work"
mkdir -p "$work/artifacts"
for target in "${targets[@]}"; do
  mkdir -p "$work/corpus/$target"
  if [[ -n "${service_of[$target]:-}" ]]; then
    "$build/seed_maker" "${service_of[$target]}" "$fuzz_dir/seeds/$target.jsonl" "$work/corpus/$target"
  else
    cp "$fuzz_dir/seeds/common/"* "$work/corpus/$target/"
  fi
done

run_one() {
  local target=$1 status=0 options=() asan=${ASAN_OPTIONS:-}
  # gRPC's threads allocate and free across inputs, so libFuzzer's per-input
  # leak check would scan the whole heap on nearly every input (16x slower),
  # and at exit it finds what gRPC's and OpenSSL's threads keep; the service
  # targets look for crashes and broken promises, not leaks.
  if [[ -n "${service_of[$target]:-}" ]]; then
    options+=(-detect_leaks=0)
    asan="detect_leaks=0${asan:+:$asan}"
  fi
  # TMPDIR: each target's store lives in a fresh folder under the run.
  ASAN_OPTIONS="$asan" TMPDIR="$work" "$build/${target}_fuzzer" "${options[@]}" -max_total_time="$seconds" -timeout=30 -rss_limit_mb=3072 \
    -print_final_stats=1 -artifact_prefix="$work/artifacts/$target-" "$work/corpus/$target" \
    >"$work/$target.log" 2>&1 || status=$?
  echo "$status" >"$work/$target.status"
}

for target in "${targets[@]}"; do
  while (($(jobs -rp | wc -l) >= jobs)); do wait -n || true; done
  run_one "$target" &
done
wait
failed=()
for target in "${targets[@]}"; do
  if [[ "$(cat "$work/$target.status")" != 0 ]]; then failed+=("$target"); fi
done
finished=$(date +%s)

printf '%-18s %10s %8s %8s\n' target runs exec/s coverage
for target in "${targets[@]}"; do
  runs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$work/$target.log" | tail -n 1 | grep -o '[0-9]*$' || true)
  speed=$(grep -o 'stat::average_exec_per_sec: *[0-9]*' "$work/$target.log" | tail -n 1 | grep -o '[0-9]*$' || true)
  coverage=$(grep -o 'cov: [0-9]*' "$work/$target.log" | tail -n 1 | grep -o '[0-9]*$' || true)
  printf '%-18s %10s %8s %8s\n' "$target" "${runs:--}" "${speed:--}" "${coverage:--}"
done
echo "run_fuzzers: fuzzed ${seconds} s per target in $((finished - built)) s; total $((finished - started)) s"

if ((${#failed[@]} > 0)); then
  for target in "${failed[@]}"; do
    echo "==== $target found something (log: $work/$target.log) ====" >&2
    grep -E -A3 '==herstel finding==|ERROR: (AddressSanitizer|LeakSanitizer|libFuzzer|UndefinedBehaviorSanitizer)|runtime error|terminate called|what\(\)' \
      "$work/$target.log" | head -n 40 >&2 || true
    grep -E 'Test unit written to' "$work/$target.log" >&2 || true
  done
  echo "run_fuzzers: reproduce with $build/<target>_fuzzer <artifact>" >&2
  exit 1
fi
