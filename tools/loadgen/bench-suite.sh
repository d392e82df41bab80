#!/usr/bin/env bash
# Measures the suite-wide mix (docs/benchmarks.md): starts the four services
# from BUILD_DIR on ports of their own with their stores in a fresh temporary
# folder, loads the demo region, runs `herstel-loadgen --scenario=suite` and
# the empty-call baseline, records nproc, uptime and the date next to the
# figures, and stops the services it started. Traffic to 127.0.0.1 only.
#
# Usage: tools/loadgen/bench-suite.sh BUILD_DIR [CALLERS] [SECONDS]
#   BUILD_DIR holds the built targets herstel-loadgen, herstel-demo, herstelctl
#   and the four services. CALLERS defaults to 16, SECONDS to 30.
#   HERSTEL_BENCH_GRPC_BASE (51050: services on +1..+4) and
#   HERSTEL_BENCH_METRICS_BASE (9560) move the ports; HERSTEL_DEMO_CASES
#   (300, as the up command) sizes the region; HERSTEL_LOADGEN_MIX replaces
#   the default mix. The temporary folder (stores, logs) is removed after a
#   run that succeeded, unless HERSTEL_BENCH_KEEP=1, and kept, with its path
#   printed, after one that failed.
set -euo pipefail
cd "$(dirname "$0")/../.."
if [[ $# -lt 1 ]]; then
  echo "usage: $0 BUILD_DIR [CALLERS] [SECONDS]" >&2
  exit 2
fi
BUILD="$(cd "$1" && pwd)"
CALLERS="${2:-16}"
RUN_SECONDS="${3:-30}"
GRPC_BASE="${HERSTEL_BENCH_GRPC_BASE:-51050}"
METRICS_BASE="${HERSTEL_BENCH_METRICS_BASE:-9560}"
DATA="$(mktemp -d /tmp/herstel-bench-suite.XXXXXX)"
(umask 077 && openssl rand -base64 48 > "$DATA/token.key")

SERVICES=(case mandate escalation reporting)
declare -A OFFSET=([case]=1 [mandate]=2 [escalation]=3 [reporting]=4)
address() { echo "127.0.0.1:$((GRPC_BASE + OFFSET[$1]))"; }
declare -A PEERS=(
  [case]="--mandate_address=$(address mandate) --escalation_address=$(address escalation)"
  [mandate]=""
  [escalation]="--mandate_address=$(address mandate)"
  [reporting]="--case_address=$(address case) --mandate_address=$(address mandate) --escalation_address=$(address escalation)"
)
PIDS=()
stop_all() {
  local status=$?
  trap - EXIT
  for pid in "${PIDS[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  for pid in "${PIDS[@]}"; do wait "$pid" 2>/dev/null || true; done
  if ((status == 0)) && [[ "${HERSTEL_BENCH_KEEP:-0}" != 1 ]]; then
    rm -rf "$DATA"
  else
    echo "bench-suite: stores and logs kept in $DATA" >&2
  fi
  exit "$status"
}
trap stop_all EXIT

for service in "${SERVICES[@]}"; do
  # shellcheck disable=SC2086  # PEERS holds several flags, split on purpose
  "$BUILD/${service}-service/${service}-service" \
    --listen="$(address "$service")" \
    --metrics_listen="127.0.0.1:$((METRICS_BASE + OFFSET[$service]))" \
    --store="$DATA/${service}.db" \
    --token_key_file="$DATA/token.key" \
    ${PEERS[$service]} \
    2>>"$DATA/${service}.log" &
  PIDS+=($!)
done
for service in "${SERVICES[@]}"; do
  for attempt in $(seq 1 100); do
    if "$BUILD/tools/herstelctl/herstelctl" health "$(address "$service")" --timeout_ms=500 >/dev/null 2>&1; then
      break
    fi
    if ((attempt == 100)); then
      echo "bench-suite: ${service}-service did not become healthy; see $DATA/${service}.log" >&2
      exit 1
    fi
    sleep 0.1
  done
done

"$BUILD/tools/demo/herstel-demo" --key_file="$DATA/token.key" --seed=1 --cases="${HERSTEL_DEMO_CASES:-300}" \
  --case_address="$(address case)" --mandate_address="$(address mandate)" \
  --escalation_address="$(address escalation)" --reporting_address="$(address reporting)" >"$DATA/demo.log"
tail -n 25 "$DATA/demo.log"

LOADGEN="$BUILD/tools/loadgen/herstel-loadgen"
echo "machine: nproc $(nproc), $(date -u '+%Y-%m-%d %H:%M UTC')"
echo "before the suite: $(uptime)"
"$LOADGEN" --scenario=suite --key_file="$DATA/token.key" --callers="$CALLERS" --seconds="$RUN_SECONDS" \
  --case_address="$(address case)" --mandate_address="$(address mandate)" \
  --escalation_address="$(address escalation)" --reporting_address="$(address reporting)" \
  ${HERSTEL_LOADGEN_MIX:+--mix="$HERSTEL_LOADGEN_MIX"}
echo "after the suite: $(uptime)"
"$LOADGEN" --scenario=empty --address="$(address mandate)" --callers="$CALLERS" --seconds="$RUN_SECONDS"
echo "after the baseline: $(uptime)"
