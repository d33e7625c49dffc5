# Sourced by the teardown scripts: stops a daemon they started.
# stop_daemon NAME PIDFILE: SIGTERM to the pid in PIDFILE (or the process named NAME),
# SIGKILL if it is still there after 5 s; returns once it is gone (a zombie counts as gone:
# daemons are reparented, and not every container's init reaps them at once).
stop_daemon() {
  local pid
  pid=$(cat "$2" 2>/dev/null || pgrep -x "$1" | head -n 1)
  [ -n "$pid" ] || return 0
  kill "$pid" 2>/dev/null || return 0
  for _ in $(seq 1 50); do
    running "$pid" || return 0
    sleep 0.1
  done
  kill -9 "$pid" 2>/dev/null || true
  for _ in $(seq 1 50); do
    running "$pid" || return 0
    sleep 0.1
  done
}

running() { # pid: alive and not a zombie
  local state
  state=$(ps -o stat= -p "$1" 2>/dev/null) || return 1
  [[ $state != Z* ]]
}
