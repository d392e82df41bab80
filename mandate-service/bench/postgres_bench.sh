#!/usr/bin/env bash
# The mandate-service on PostgreSQL (issue 7's benchmark): reserve+commit
# pairs on one hot line and spread over 1,000 lines, with one and with two
# replicas on one database, next to the same statements run directly by
# pgbench (reserve_commit.pgbench), so the service's overhead over the
# database shows as a ratio. Not a test: prints figures.
#
#   tools/scripts/build.sh && mandate-service/bench/postgres_bench.sh [SECONDS] [CALLERS]
#
# Starts its own PostgreSQL cluster (durable defaults: fsync and synchronous
# commit on) with tools/scripts/test-postgres.sh, and stops it.
set -euo pipefail
cd "$(dirname "$0")/../.."
seconds=${1:-20}
callers=${2:-16}
build=${HERSTEL_BUILD:-build}
bin=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)
work=$(mktemp -d /tmp/herstel-pg-bench.XXXXXX)
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  tools/scripts/test-postgres.sh stop "$work" >/dev/null
  rm -rf "$work"
}
trap cleanup EXIT
tools/scripts/test-postgres.sh start "$work" --durable >/dev/null
base=$(cat "$work/uri")
port=${base##*:}
openssl rand -base64 48 >"$work/token.key"
echo "machine: $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg), $(date -u +%FT%TZ)"
echo "PostgreSQL $("$bin/postgres" --version | awk '{print $3}'), fsync on, synchronous_commit on"

start_replicas() {  # DATABASE COUNT: starts COUNT mandate-services on DATABASE
  local database=$1 count=$2
  addresses=""
  for ((i = 0; i < count; i++)); do
    local grpc_port=$((port + 100 + i))
    "$build/mandate-service/mandate-service" --listen="127.0.0.1:$grpc_port" \
      --store="$base/$database" --token_key_file="$work/token.key" \
      --metrics_listen="127.0.0.1:$((port + 200 + i))" >>"$work/$database-$i.log" 2>&1 &
    pids+=($!)
    addresses+="${addresses:+,}127.0.0.1:$grpc_port"
  done
  for ((i = 0; i < count; i++)); do
    for _ in $(seq 100); do
      "$build/tools/herstelctl/herstelctl" health "127.0.0.1:$((port + 100 + i))" --timeout_ms=500 \
        >/dev/null 2>&1 && break
      sleep 0.1
    done
  done
}
stop_replicas() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; done
  pids=()
}

for replicas in 1 2; do
  for lines in 1 1000; do
    database="service_r${replicas}_l${lines}"
    psql -q "$base/postgres" -c "CREATE DATABASE $database"
    start_replicas "$database" "$replicas"
    printf 'service, %d replica(s), %4d line(s): ' "$replicas" "$lines"
    "$build/tools/loadgen/herstel-loadgen" --scenario=mandate-reserve-commit --lines="$lines" \
      --address="$addresses" --key_file="$work/token.key" --callers="$callers" \
      --seconds="$seconds" 2>&1 | grep '^scenario=' | sed 's/^scenario=[^ ]* //'
    stop_replicas
  done
done

# The same pairs as plain SQL: the schema made by the service, the lines
# inserted directly, then pgbench with as many clients as callers above.
psql -q "$base/postgres" -c "CREATE DATABASE direct"
start_replicas direct 1
stop_replicas
psql -q "$base/direct" -c "INSERT INTO budget_lines (id, source, owner, municipality, area, year,
  ceiling_cents, reserved_cents, committed_cents, create_micros, update_micros, data)
  SELECT 'pgb-' || i, 1, 'NCG', 'municipalities/eemsdelta', '', 2026, 1000000000000000, 0, 0, 0, 0,
  '\\x00'::bytea FROM generate_series(0, 999) AS i"
for lines in 1 1000; do
  printf 'pgbench, direct SQL,   %4d line(s): ' "$lines"
  "$bin/pgbench" -n -M prepared -h 127.0.0.1 -p "$port" -U postgres -c "$callers" -j 2 -T "$seconds" \
    --max-tries=1000 -D lines="$lines" -f mandate-service/bench/reserve_commit.pgbench direct 2>&1 |
    awk '/^tps/ {tps=$3} /latency average/ {avg=$4} /number of failed/ {failed=$5}
         /number of transactions retried/ {retried=$5} /total number of retries/ {retries=$5}
         END {printf "throughput=%.0f/s latency_avg=%sms retried=%s retries=%s failed=%s\n", tps, avg, retried, retries, failed}'
done
