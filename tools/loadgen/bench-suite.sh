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

source tools/scripts/services.sh
address() { herstel_address "$1"; }
stop_all() {
  local status=$?
  trap - EXIT
  herstel_stop_services
  if ((status == 0)) && [[ "${HERSTEL_BENCH_KEEP:-0}" != 1 ]]; then
    rm -rf "$DATA"
  else
    echo "bench-suite: stores and logs kept in $DATA" >&2
  fi
  exit "$status"
}
trap stop_all EXIT
herstel_start_services "$BUILD" "$DATA" "$GRPC_BASE" "$METRICS_BASE"

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
