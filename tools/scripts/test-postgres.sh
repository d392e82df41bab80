#!/usr/bin/env bash
# A throwaway PostgreSQL server for the tests: `start STATE_DIR` creates a
# cluster in a fresh temporary folder, starts it on a free loopback port
# (trust authentication, fsync off: test data only) and writes its base URI
# to STATE_DIR/uri; `stop STATE_DIR` stops it and deletes the cluster.
# ctest runs these as the setup and cleanup of the `postgres` fixture.
# `start STATE_DIR --durable` keeps PostgreSQL's durable defaults (fsync and
# synchronous commit on), for benchmarks.
# As root, the server runs as the `postgres` user (initdb refuses root).
set -euo pipefail
command=${1:?usage: test-postgres.sh start|stop STATE_DIR}
state=${2:?usage: test-postgres.sh start|stop STATE_DIR}
settings="-c fsync=off -c synchronous_commit=off -c full_page_writes=off"
if [[ "${3:-}" == --durable ]]; then settings=""; fi
bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)
[[ -n "$bin" ]] || { echo "test-postgres: PostgreSQL server not installed (apt-get install postgresql)" >&2; exit 1; }

as_server_user() {
  if [[ $(id -u) -eq 0 ]]; then runuser -u postgres -- "$@"; else "$@"; fi
}

stop() {
  if [[ -f "$state/cluster" ]]; then
    cluster=$(cat "$state/cluster")
    as_server_user "$bin/pg_ctl" -D "$cluster/data" -m immediate -w stop >/dev/null 2>&1 || true
    rm -rf "$cluster"
  fi
  rm -f "$state/cluster" "$state/uri"
}

case "$command" in
  stop) stop ;;
  start)
    mkdir -p "$state"
    stop  # a cluster left behind by an interrupted run
    cluster=$(mktemp -d /tmp/herstel-test-postgres.XXXXXX)
    echo "$cluster" >"$state/cluster"
    if [[ $(id -u) -eq 0 ]]; then chown postgres: "$cluster"; fi
    as_server_user "$bin/initdb" -D "$cluster/data" -U postgres --auth=trust --locale=C -E UTF8 \
      >"$cluster/initdb.log" 2>&1 || { cat "$cluster/initdb.log" >&2; exit 1; }
    for attempt in 1 2 3 4 5 6 7 8; do
      port=$((20000 + RANDOM % 20000))
      if as_server_user "$bin/pg_ctl" -D "$cluster/data" -l "$cluster/server.log" -w -t 30 start \
          -o "-p $port -k $cluster -c listen_addresses=127.0.0.1 $settings \
              -c max_connections=400 -c shared_buffers=128MB" >/dev/null 2>&1; then
        echo "postgresql://postgres@127.0.0.1:$port" >"$state/uri"
        echo "test-postgres: server on 127.0.0.1:$port, cluster $cluster"
        exit 0
      fi
    done
    cat "$cluster/server.log" >&2 || true
    echo "test-postgres: could not start a server" >&2
    exit 1 ;;
  *) echo "usage: test-postgres.sh start|stop STATE_DIR" >&2; exit 2 ;;
esac
