#!/usr/bin/env bash
# Makes redis-server available for the Redis tests (they start their own
# servers on free ports) and starts one on a loopback port for ad-hoc use
# (REDIS_URL=redis://127.0.0.1:${BATON_CI_REDIS_PORT:-6390}). Idempotent, quiet.
set -euo pipefail
port="${BATON_CI_REDIS_PORT:-6390}"
pidfile="/tmp/baton-ci-redis-${port}.pid"

if ! command -v redis-server >/dev/null 2>&1; then
  echo "Installing redis-server from Debian's packages..."
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >/dev/null
  apt-get install -y -qq --no-install-recommends redis-server >/dev/null
fi

if [ -f "$pidfile" ] && kill -0 "$(cat "$pidfile")" 2>/dev/null; then
  exit 0
fi
redis-server --port "$port" --bind 127.0.0.1 --daemonize yes --pidfile "$pidfile" \
  --save "" --appendonly no --logfile "" >/dev/null
for _ in $(seq 1 50); do
  if redis-cli -p "$port" ping >/dev/null 2>&1; then
    echo "redis-server $(redis-server --version | sed -E 's/.*v=([^ ]+).*/\1/') on 127.0.0.1:${port}"
    exit 0
  fi
  sleep 0.1
done
echo "redis-server did not answer on 127.0.0.1:${port}" >&2
exit 1
