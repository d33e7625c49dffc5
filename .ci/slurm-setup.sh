#!/usr/bin/env bash
# Starts a single-node Slurm cluster on loopback (munged, slurmctld, slurmd as
# root) for the Slurm tests, and waits until `sinfo` shows the node idle.
# Idempotent: a cluster that already answers is left as it is.
# Needs root and Debian's slurm-wlm and munge (installed when missing).
set -euo pipefail

deadline=${SLURM_SETUP_TIMEOUT:-60}
conf=/etc/slurm/slurm.conf

log() { echo "slurm-setup: $*"; }

node_idle() {
  sinfo --noheader --nodes=localhost --format=%t 2>/dev/null | grep -Eq '^(idle|mix|alloc)'
}

if [ "$(id -u)" -ne 0 ]; then
  log "needs root; Slurm tests will be skipped"
  exit 1
fi

if ! command -v slurmctld >/dev/null 2>&1 || ! command -v munged >/dev/null 2>&1; then
  log "installing slurm-wlm and munge"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq slurm-wlm munge >/dev/null
fi

if [ -f "$conf" ] && node_idle; then
  log "cluster already up"
  exit 0
fi

# The node is declared with more CPUs and memory than a small CI machine has
# (config_overrides accepts that), so several one-CPU jobs share it.
cpus=8
memory=8192
mkdir -p /etc/slurm /var/lib/slurm/slurmctld /var/lib/slurm/slurmd /var/log/slurm /run/munge
cat >"$conf" <<CONF
# Written by .ci/slurm-setup.sh: a single-node cluster on loopback for tests.
ClusterName=baton-ci
SlurmctldHost=localhost
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
CredType=cred/munge
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
MpiDefault=none
SchedulerType=sched/builtin
SelectType=select/cons_tres
SelectTypeParameters=CR_CPU_Memory
SlurmdParameters=config_overrides
ReturnToService=2
KillWait=2
MinJobAge=600
StateSaveLocation=/var/lib/slurm/slurmctld
SlurmdSpoolDir=/var/lib/slurm/slurmd
SlurmctldPidFile=/run/slurmctld.pid
SlurmdPidFile=/run/slurmd.pid
SlurmctldLogFile=/var/log/slurm/slurmctld.log
SlurmdLogFile=/var/log/slurm/slurmd.log
DefMemPerCPU=256
NodeName=localhost NodeAddr=127.0.0.1 CPUs=$cpus RealMemory=$memory State=UNKNOWN
PartitionName=debug Nodes=localhost Default=YES MaxTime=INFINITE State=UP
CONF

# munge: a key if missing, then the daemon (as the munge user, which owns the key).
if [ ! -s /etc/munge/munge.key ]; then
  log "creating a munge key"
  dd if=/dev/urandom of=/etc/munge/munge.key bs=1024 count=1 status=none
fi
chown -R munge:munge /etc/munge /run/munge /var/lib/munge /var/log/munge 2>/dev/null || true
chmod 0400 /etc/munge/munge.key
chmod 0755 /run/munge
# Tells the teardown script that this run started the daemons (and may stop them).
touch /run/baton-slurm-started
if ! pgrep -x munged >/dev/null; then
  log "starting munged"
  runuser -u munge -- /usr/sbin/munged
fi
for _ in $(seq 1 50); do
  munge -n </dev/null >/dev/null 2>&1 && break
  sleep 0.1
done

if ! pgrep -x slurmctld >/dev/null; then
  log "starting slurmctld"
  slurmctld -i
fi
if ! pgrep -x slurmd >/dev/null; then
  log "starting slurmd"
  slurmd -N localhost
fi

# A node left down or drained by an earlier run is brought back.
for _ in $(seq 1 $((deadline * 2))); do
  if node_idle; then
    log "node localhost is idle"
    sinfo
    exit 0
  fi
  state=$(sinfo --noheader --nodes=localhost --format=%t 2>/dev/null || true)
  case "$state" in
  down* | drain* | drng*) scontrol update nodename=localhost state=resume >/dev/null 2>&1 || true ;;
  esac
  sleep 0.5
done
log "the node did not become idle within ${deadline}s; last state: ${state:-none}"
tail -n 20 /var/log/slurm/slurmctld.log /var/log/slurm/slurmd.log 2>/dev/null || true
exit 1
