#!/usr/bin/env bash
# Stops the redis-server that redis-setup.sh started, if it runs. Idempotent, quiet.
set -uo pipefail
port="${BATON_CI_REDIS_PORT:-6390}"
pidfile="/tmp/baton-ci-redis-${port}.pid"
if [ -f "$pidfile" ]; then
  pid="$(cat "$pidfile")"
  if kill -0 "$pid" 2>/dev/null; then
    kill "$pid"
    for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  fi
  rm -f "$pidfile"
fi
exit 0
