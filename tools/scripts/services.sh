# Sourced by scripts that run the four services on one machine (up.sh,
# tools/loadgen/bench-suite.sh). Defines:
#   herstel_start_services BUILD DATA GRPC_BASE METRICS_BASE
#       starts case, mandate, escalation and reporting from BUILD on
#       127.0.0.1:GRPC_BASE+1..+4 (metrics METRICS_BASE+1..+4), stores and
#       logs in DATA, wired as the architecture says (case -> mandate,
#       escalation; escalation -> mandate; reporting follows all three), with
#       the token key DATA/token.key; waits until each says SERVING, or
#       returns 1 naming the one that did not.
#   herstel_address SERVICE      its host:port once started
#   herstel_stop_services        SIGTERM to each, then waits for them
# HERSTEL_PIDS holds the started processes.
HERSTEL_SERVICES=(case mandate escalation reporting)
declare -A HERSTEL_OFFSET=([case]=1 [mandate]=2 [escalation]=3 [reporting]=4)
HERSTEL_PIDS=()
HERSTEL_GRPC_BASE=50050

herstel_address() { echo "127.0.0.1:$((HERSTEL_GRPC_BASE + HERSTEL_OFFSET[$1]))"; }

herstel_start_services() {
  local build=$1 data=$2 metrics_base=$4
  HERSTEL_GRPC_BASE=$3
  declare -A peers=(
    [case]="--mandate_address=$(herstel_address mandate) --escalation_address=$(herstel_address escalation)"
    [mandate]=""
    [escalation]="--mandate_address=$(herstel_address mandate)"
    [reporting]="--case_address=$(herstel_address case) --mandate_address=$(herstel_address mandate) --escalation_address=$(herstel_address escalation)"
  )
  local service
  for service in "${HERSTEL_SERVICES[@]}"; do
    # shellcheck disable=SC2086  # peers holds several flags, split on purpose
    "$build/${service}-service/${service}-service" \
      --listen="$(herstel_address "$service")" \
      --metrics_listen="127.0.0.1:$((metrics_base + HERSTEL_OFFSET[$service]))" \
      --store="$data/${service}.db" \
      --token_key_file="$data/token.key" \
      ${peers[$service]} \
      2>>"$data/${service}.log" &
    HERSTEL_PIDS+=($!)
  done
  local attempt
  for service in "${HERSTEL_SERVICES[@]}"; do
    for attempt in $(seq 1 100); do
      if "$build/tools/herstelctl/herstelctl" health "$(herstel_address "$service")" --timeout_ms=500 \
          >/dev/null 2>&1; then
        break
      fi
      if ((attempt == 100)); then
        echo "herstel: ${service}-service did not become healthy; see $data/${service}.log" >&2
        return 1
      fi
      sleep 0.1
    done
  done
}

herstel_stop_services() {
  local pid
  for pid in "${HERSTEL_PIDS[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  for pid in "${HERSTEL_PIDS[@]}"; do wait "$pid" 2>/dev/null || true; done
  HERSTEL_PIDS=()
}
