#!/usr/bin/env bash
# Stops what .ci/sge-setup.sh started: deletes leftover jobs, then stops
# sge_execd and sge_qmaster by their pid files — only if the setup script
# started them.
set -uo pipefail
export SGE_ROOT=/var/lib/gridengine
export SGE_CELL=default

stop() { # name pidfile
  local pid
  pid=$(cat "$2" 2>/dev/null || pgrep -x "$1" | head -n 1)
  [ -n "$pid" ] || return 0
  kill "$pid" 2>/dev/null || return 0
  for _ in $(seq 1 50); do
    kill -0 "$pid" 2>/dev/null || return 0
    sleep 0.1
  done
  kill -9 "$pid" 2>/dev/null || true
}

if [ ! -e /run/baton-sge-started ]; then
  echo "sge-teardown: .ci/sge-setup.sh did not start the daemons; leaving them"
  exit 0
fi

if command -v qdel >/dev/null 2>&1; then
  qdel -u root >/dev/null 2>&1 || true
fi
stop sge_execd /var/spool/gridengine/execd/"$(hostname)"/execd.pid
stop sge_execd /var/spool/gridengine/execd/localhost/execd.pid
stop sge_qmaster /var/spool/gridengine/qmaster/qmaster.pid
rm -f /run/baton-sge-started
echo "sge-teardown: daemons stopped"
