#!/usr/bin/env bash
# Stops what .ci/slurm-setup.sh started: cancels leftover jobs, then stops
# slurmd, slurmctld and munged, each by the pid it recorded — only if the
# setup script started them.
set -uo pipefail

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

if [ ! -e /run/baton-slurm-started ]; then
  echo "slurm-teardown: .ci/slurm-setup.sh did not start the daemons; leaving them"
  exit 0
fi

if command -v scancel >/dev/null 2>&1 && [ -f /etc/slurm/slurm.conf ]; then
  scancel --user=root >/dev/null 2>&1 || true
fi
stop slurmd /run/slurmd.pid
stop slurmctld /run/slurmctld.pid
stop munged /run/munge/munged.pid
rm -f /run/baton-slurm-started
echo "slurm-teardown: daemons stopped"
