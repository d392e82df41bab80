#!/usr/bin/env bash
# The up command: installs what is missing, builds, and runs all four services
# on embedded stores under data/, until Ctrl-C stops them cleanly.
set -euo pipefail
cd "$(dirname "$0")/../.."

tools/scripts/install-deps.sh
tools/scripts/build.sh

DATA="${HERSTEL_DATA:-data}"
mkdir -p "$DATA"
if [[ ! -s "$DATA/token.key" ]]; then
  (umask 077 && openssl rand -base64 48 > "$DATA/token.key")
fi

SERVICES=(case mandate escalation reporting)
declare -A GRPC_PORT=([case]=50051 [mandate]=50052 [escalation]=50053 [reporting]=50054)
declare -A METRICS_PORT=([case]=9461 [mandate]=9462 [escalation]=9463 [reporting]=9464)
# Who calls whom, as in the architecture: case -> mandate, escalation;
# escalation -> mandate; reporting follows all three.
declare -A PEERS=(
  [case]="--mandate_address=127.0.0.1:${GRPC_PORT[mandate]} --escalation_address=127.0.0.1:${GRPC_PORT[escalation]}"
  [mandate]=""
  [escalation]="--mandate_address=127.0.0.1:${GRPC_PORT[mandate]}"
  [reporting]="--case_address=127.0.0.1:${GRPC_PORT[case]} --mandate_address=127.0.0.1:${GRPC_PORT[mandate]} --escalation_address=127.0.0.1:${GRPC_PORT[escalation]}"
)
PIDS=()

stop_all() {
  trap - INT TERM EXIT
  echo
  echo "herstel: stopping..."
  for pid in "${PIDS[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  for pid in "${PIDS[@]}"; do wait "$pid" 2>/dev/null || true; done
  echo "herstel: stopped. Data is kept in $DATA/."
}
trap stop_all INT TERM EXIT

for service in "${SERVICES[@]}"; do
  build/${service}-service/${service}-service \
    --listen="127.0.0.1:${GRPC_PORT[$service]}" \
    --metrics_listen="127.0.0.1:${METRICS_PORT[$service]}" \
    --store="$DATA/${service}.db" \
    --token_key_file="$DATA/token.key" \
    ${PEERS[$service]} \
    2>>"$DATA/${service}.log" &
  PIDS+=($!)
done

CTL=build/tools/herstelctl/herstelctl
for service in "${SERVICES[@]}"; do
  for attempt in $(seq 1 100); do
    if $CTL health "127.0.0.1:${GRPC_PORT[$service]}" --timeout_ms=500 >/dev/null 2>&1; then break; fi
    if ((attempt == 100)); then
      echo "herstel: ${service}-service did not become healthy; see $DATA/${service}.log" >&2
      exit 1
    fi
    sleep 0.1
  done
done

TOKEN=$($CTL mint-token --key_file="$DATA/token.key" --subject=operator-demo --role=operator \
  --organisation=NCG --ttl_hours=12)

tools/scripts/load-demo.sh "$DATA"

cat <<INFO

Herstel is up (data in $DATA/, logs in $DATA/*.log):
  case-service        127.0.0.1:${GRPC_PORT[case]}   metrics http://127.0.0.1:${METRICS_PORT[case]}/metrics
  mandate-service     127.0.0.1:${GRPC_PORT[mandate]}   metrics http://127.0.0.1:${METRICS_PORT[mandate]}/metrics
  escalation-service  127.0.0.1:${GRPC_PORT[escalation]}   metrics http://127.0.0.1:${METRICS_PORT[escalation]}/metrics
  reporting-service   127.0.0.1:${GRPC_PORT[reporting]}   metrics http://127.0.0.1:${METRICS_PORT[reporting]}/metrics

An operator token for the next 12 hours:
  export HERSTEL_TOKEN=$TOKEN

Try:
  $CTL health 127.0.0.1:${GRPC_PORT[case]}
  $CTL call 127.0.0.1:${GRPC_PORT[mandate]} herstel.v1.MandateService/WatchEvents '{"stop_at_end": true}'
  $CTL watch 127.0.0.1:${GRPC_PORT[mandate]} herstel.v1.MandateService --follow
  $CTL services

Ctrl-C stops all four services cleanly.
INFO

wait
