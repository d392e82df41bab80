#!/usr/bin/env bash
# Loads the demo region into a running suite with herstel-demo (tools/demo/):
# budget lines with ceilings, cases in the five municipalities, clusters,
# bottlenecks, inspection requests, decision requests within and above
# mandate and what the escalation ladder does with them. Safe to run again:
# herstel-demo reads what exists first and every change carries a request_id
# derived from the seed, so a rerun changes nothing.
# Usage: load-demo.sh DATA_DIR
#   DATA_DIR holds token.key: herstel-demo mints the tokens of every role it
#   acts as (operator, case managers, steering-group members) from it.
#   HERSTEL_DEMO_CASES (default 300) and HERSTEL_DEMO_SEED (default 1) size it.
set -euo pipefail
cd "$(dirname "$0")/../.."
if [[ $# -lt 1 ]]; then
  echo "usage: $0 DATA_DIR" >&2
  exit 2
fi
DATA="$1"

exec build/tools/demo/herstel-demo \
  --key_file="$DATA/token.key" \
  --seed="${HERSTEL_DEMO_SEED:-1}" \
  --cases="${HERSTEL_DEMO_CASES:-300}" \
  --case_address=127.0.0.1:50051 \
  --mandate_address=127.0.0.1:50052 \
  --escalation_address=127.0.0.1:50053 \
  --reporting_address=127.0.0.1:50054
