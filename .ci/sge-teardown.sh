#!/usr/bin/env bash
# Stops what .ci/sge-setup.sh started: deletes leftover jobs, then stops
# sge_execd and sge_qmaster by their pid files — only if the setup script
# started them.
set -uo pipefail
export SGE_ROOT=/var/lib/gridengine
export SGE_CELL=default

# shellcheck source=.ci/daemons.sh
. "$(dirname "$0")/daemons.sh"

if [ ! -e /run/baton-sge-started ]; then
  echo "sge-teardown: .ci/sge-setup.sh did not start the daemons; leaving them"
  exit 0
fi

if command -v qdel >/dev/null 2>&1; then
  qdel -u root >/dev/null 2>&1 || true
fi
stop_daemon sge_execd /var/spool/gridengine/execd/localhost/execd.pid
stop_daemon sge_qmaster /var/spool/gridengine/qmaster/qmaster.pid
rm -f /run/baton-sge-started
echo "sge-teardown: daemons stopped"
