#!/usr/bin/env bash
# Starts a single-node Son of Grid Engine on loopback (sge_qmaster and
# sge_execd as root, from Debian's gridengine packages) for the SGE tests,
# and waits until a test job runs. Idempotent: a cell that already answers
# `qstat` with a usable queue is left as it is. Needs root.
# What it takes on these machines is in docs/hpc.md ("A cluster for tests").
set -euo pipefail

deadline=${SGE_SETUP_TIMEOUT:-90}
export SGE_ROOT=/var/lib/gridengine
export SGE_CELL=default
common=$SGE_ROOT/$SGE_CELL/common
work=$(mktemp -d /tmp/baton-sge-setup.XXXXXX)
trap 'rm -rf "$work"' EXIT

log() { echo "sge-setup: $*"; }

if [ "$(id -u)" -ne 0 ]; then
  log "needs root; SGE tests will be skipped"
  exit 1
fi

if ! command -v qsub >/dev/null 2>&1 || [ ! -x /usr/lib/gridengine/sge_qmaster ]; then
  log "installing gridengine-master, gridengine-exec and gridengine-client"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
    gridengine-master gridengine-exec gridengine-client >/dev/null
fi

queue_up() {
  qstat -f -q all.q 2>/dev/null | grep -q 'all.q@'
}

# Scheduling within a second of a submit (the defaults wait up to 15 s), and a queue that
# takes jobs however loaded the machine is (shared CI machines run well above 1 per core).
tune() {
  # Root may submit (the default refuses uids below 100), and accounting (qacct, which says
  # why a job ended) is written within a second instead of 15 s. Only the file forms of
  # qconf are used: the others open an editor; the file must be named "global".
  qconf -sconf global | sed -E \
    -e 's/^(min_uid|min_gid)[[:space:]].*/\1 0/' \
    -e 's/flush_time=[0-9:]+/flush_time=00:00:01/' >"$work/global"
  qconf -Mconf "$work/global" >/dev/null 2>&1
  qconf -ssconf | sed -E \
    -e 's/^schedule_interval[[:space:]].*/schedule_interval 0:0:1/' \
    -e 's/^flush_submit_sec[[:space:]].*/flush_submit_sec 1/' \
    -e 's/^flush_finish_sec[[:space:]].*/flush_finish_sec 1/' \
    -e 's/^job_load_adjustments[[:space:]].*/job_load_adjustments NONE/' \
    -e 's/^load_adjustment_decay_time[[:space:]].*/load_adjustment_decay_time 0:0:0/' >"$work/sconf"
  qconf -Msconf "$work/sconf" >/dev/null 2>&1
  qconf -rattr queue load_thresholds NONE all.q >/dev/null 2>&1 || true
}

if pgrep -x sge_qmaster >/dev/null && pgrep -x sge_execd >/dev/null && queue_up; then
  tune
  log "cell already up"
  exit 0
fi

# The machine's name resolves to 127.0.0.1, which resolves back to "localhost": the
# qmaster refuses clients whose names differ, so both names are made one host.
host=$(hostname)
master=localhost
if [ "$host" != "localhost" ]; then
  echo "localhost $host" >"$common/host_aliases"
fi
echo "$master" >"$common/act_qmaster"

# Tells the teardown script that this run started the daemons (and may stop them).
touch /run/baton-sge-started
# A qmaster stopped a moment ago may still hold its port: a start that does not answer within
# 10 s is tried again.
for _ in 1 2 3; do
  if ! pgrep -x sge_qmaster >/dev/null; then
    log "starting sge_qmaster"
    /usr/lib/gridengine/sge_qmaster || true
  fi
  for _ in $(seq 1 50); do
    qstat >/dev/null 2>&1 && break 2
    sleep 0.2
  done
done
if ! qstat >/dev/null 2>&1; then
  log "sge_qmaster does not answer: $(qstat 2>&1 | head -n 3)"
  exit 1
fi


# The node: an administrative, submit and execution host, in the group @allhosts.
qconf -ah "$master" >/dev/null 2>&1 || true
qconf -as "$master" >/dev/null 2>&1 || true
if ! qconf -se "$master" >/dev/null 2>&1; then
  cat >"$work/exec" <<EOF
hostname              $master
load_scaling          NONE
complex_values        NONE
user_lists            NONE
xuser_lists           NONE
projects              NONE
xprojects             NONE
usage_scaling         NONE
report_variables      NONE
EOF
  qconf -Ae "$work/exec" >/dev/null
fi
if ! qconf -shgrp @allhosts >/dev/null 2>&1; then
  printf 'group_name @allhosts\nhostlist %s\n' "$master" >"$work/hgrp"
  qconf -Ahgrp "$work/hgrp" >/dev/null
fi

# A parallel environment "smp" (all slots on one host), so jobs may ask for several slots.
if ! qconf -sp smp >/dev/null 2>&1; then
  cat >"$work/smp" <<EOF
pe_name            smp
slots              999
user_lists         NONE
xuser_lists        NONE
start_proc_args    NONE
stop_proc_args     NONE
allocation_rule    \$pe_slots
control_slaves     FALSE
job_is_first_task  TRUE
urgency_slots      min
accounting_summary FALSE
qsort_args         NONE
EOF
  qconf -Ap "$work/smp" >/dev/null
fi

# The queue all.q, from qconf's template: the template names a parallel environment that
# does not exist, so pe_list is set to ours. 8 slots, so several one-slot jobs share it.
if ! qconf -sq all.q >/dev/null 2>&1; then
  qconf -sq | sed -E \
    -e 's/^qname[[:space:]].*/qname all.q/' \
    -e 's/^hostlist[[:space:]].*/hostlist @allhosts/' \
    -e 's/^slots[[:space:]].*/slots 8/' \
    -e 's/^pe_list[[:space:]].*/pe_list smp/' \
    -e 's/^shell[[:space:]].*/shell \/bin\/bash/' \
    -e 's/^load_thresholds[[:space:]].*/load_thresholds NONE/' >"$work/queue"
  qconf -Aq "$work/queue" >/dev/null
fi
tune

if ! pgrep -x sge_execd >/dev/null; then
  log "starting sge_execd"
  /usr/lib/gridengine/sge_execd
fi

# Ready when a job runs: submit one and wait for its output.
probe=$work/probe.out
echo 'echo ran' | qsub -S /bin/bash -N baton-sge-probe -o "$probe" -j y -terse >/dev/null
for _ in $(seq 1 $((deadline * 2))); do
  if grep -q ran "$probe" 2>/dev/null; then
    log "a job ran on $(qstat -f -q all.q 2>/dev/null | grep -o 'all.q@[^ ]*' | head -n 1)"
    qstat -f
    exit 0
  fi
  # A queue left in an error state by an earlier run is cleared.
  qmod -c 'all.q' >/dev/null 2>&1 || true
  sleep 0.5
done
log "no job ran within ${deadline}s"
qstat -f 2>&1 | tail -n 20 || true
tail -n 20 /var/spool/gridengine/qmaster/messages 2>/dev/null || true
exit 1
