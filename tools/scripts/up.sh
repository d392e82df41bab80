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

source tools/scripts/services.sh
GRPC_BASE=50050
METRICS_BASE=9460

stop_all() {
  trap - INT TERM EXIT
  echo
  echo "herstel: stopping..."
  herstel_stop_services
  echo "herstel: stopped. Data is kept in $DATA/."
}
trap stop_all INT TERM EXIT

herstel_start_services build "$DATA" "$GRPC_BASE" "$METRICS_BASE"
CTL=build/tools/herstelctl/herstelctl
TOKEN=$($CTL mint-token --key_file="$DATA/token.key" --subject=operator-demo --role=operator \
  --organisation=NCG --ttl_hours=12)

tools/scripts/load-demo.sh "$DATA"

cat <<INFO

Herstel is up (data in $DATA/, logs in $DATA/*.log):
  case-service        $(herstel_address case)   metrics http://127.0.0.1:$((METRICS_BASE + 1))/metrics
  mandate-service     $(herstel_address mandate)   metrics http://127.0.0.1:$((METRICS_BASE + 2))/metrics
  escalation-service  $(herstel_address escalation)   metrics http://127.0.0.1:$((METRICS_BASE + 3))/metrics
  reporting-service   $(herstel_address reporting)   metrics http://127.0.0.1:$((METRICS_BASE + 4))/metrics

An operator token for the next 12 hours:
  export HERSTEL_TOKEN=$TOKEN

Try:
  $CTL health $(herstel_address case)
  $CTL call $(herstel_address mandate) herstel.v1.MandateService/WatchEvents '{"stop_at_end": true}'
  $CTL watch $(herstel_address mandate) herstel.v1.MandateService --follow
  $CTL services

Ctrl-C stops all four services cleanly.
INFO

wait
