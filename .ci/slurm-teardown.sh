#!/usr/bin/env bash
# Stops what .ci/slurm-setup.sh started: cancels leftover jobs, then stops
# slurmd, slurmctld and munged, each by the pid it recorded — only if the
# setup script started them.
set -uo pipefail

# shellcheck source=.ci/daemons.sh
. "$(dirname "$0")/daemons.sh"

if [ ! -e /run/baton-slurm-started ]; then
  echo "slurm-teardown: .ci/slurm-setup.sh did not start the daemons; leaving them"
  exit 0
fi

if command -v scancel >/dev/null 2>&1 && [ -f /etc/slurm/slurm.conf ]; then
  scancel --user=root >/dev/null 2>&1 || true
fi
stop_daemon slurmd /run/slurmd.pid
stop_daemon slurmctld /run/slurmctld.pid
stop_daemon munged /run/munge/munged.pid
rm -f /run/baton-slurm-started
echo "slurm-teardown: daemons stopped"
