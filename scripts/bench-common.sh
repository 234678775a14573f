# Shared by the speed-at-scale bench scripts (bench-5000.sh, bench-keys.sh, bench-churn.sh);
# sourced, not run. Expects IMAGE, LABEL, FD and WORK set by the script, and defines:
#   a private tmux server ($WORK/tmux.sock) with the console at 200x50, CPU ticks and RSS of a
#   PID from /proc, dockerd's PID, a clock in ns without forks ($EPOCHREALTIME), and a cleanup
#   (tmux server, the containers labelled $LABEL unless KEEP=1, $WORK) installed as EXIT trap.
# shellcheck shell=bash

SOCK="$WORK/tmux.sock"
TCK=$(getconf CLK_TCK)
EXTRA_PIDS=()

tm() { tmux -S "$SOCK" "$@"; }

bench_cleanup() {
  local pid
  for pid in "${EXTRA_PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${EXTRA_PIDS[@]}"; do wait "$pid" 2>/dev/null || true; done
  tm kill-server 2>/dev/null || true
  if [ "${KEEP:-0}" != 1 ]; then
    docker ps -aq --filter "label=$LABEL" | xargs -r -n 200 docker rm -f -v >/dev/null 2>&1 || true
  fi
  rm -rf "$WORK"
}

bench_preflight() {
  [ -x "$FD" ] || cargo build --release --quiet
  command -v tmux >/dev/null || { echo "needs tmux"; exit 1; }
  docker image inspect "$IMAGE" >/dev/null 2>&1 \
    || { echo "build the test image first: cargo test --test actions"; exit 1; }
}

# Now, in µs, without a fork (into the named variable).
now_us() { printf -v "$1" '%s' "${EPOCHREALTIME/[.,]/}"; }

# utime + stime of a PID, in clock ticks (fields 14 and 15; comm may hold spaces).
cpu_ticks() {
  local stat
  stat=$(cat "/proc/$1/stat" 2>/dev/null) || { echo 0; return; }
  stat=${stat##*) }
  # shellcheck disable=SC2086
  set -- $stat
  echo $(( ${12} + ${13} ))
}

# Percent of one core from a tick delta over seconds (awk for the division).
pct() { awk -v d="$1" -v tck="$TCK" -v s="$2" 'BEGIN { printf "%.2f", 100 * d / tck / s }'; }

# A field of /proc/PID/status (VmRSS, VmHWM) in MiB.
mem_mib() { awk -v f="$2:" '$1 == f { printf "%.1f", $2 / 1024 }' "/proc/$1/status" 2>/dev/null || echo "?"; }

# dockerd's PID on this machine ("" for a daemon elsewhere).
# The daemon DOCKER_HOST names when it is a unix socket of a dockerd with --host or a pidfile
# beside it (a second daemon for benches), else the oldest dockerd.
dockerd_pid() {
  local sock=${DOCKER_HOST#unix://} pid
  if [ -n "${DOCKER_HOST:-}" ] && [ "$sock" != "$DOCKER_HOST" ]; then
    pid=$(pgrep -f -- "dockerd.*--host unix://$sock" | head -1)
    [ -n "$pid" ] && { echo "$pid"; return; }
  fi
  pgrep -xo dockerd || true
}

# Starts the console in tmux session $1 at 200x50; prints its PID (exec: the pane's process
# is the console itself).
start_console() {
  local session=$1
  : > "$WORK/config.toml"
  tm new-session -d -s "$session" -x 200 -y 50 \
    "exec $FD ${CONSOLE_FLAGS:-} --config $WORK/config.toml --audit-file $WORK/audit.jsonl"
  tm set -s escape-time 0
  tm display -p -t "$session" '#{pane_pid}'
}

# Waits (polling back to back) until the pane of session $1 shows the fixed string $2; gives
# up after $3 seconds (exit 1).
wait_screen() {
  local session=$1 needle=$2 limit_us=$(( $3 * 1000000 )) start now screen
  now_us start
  while :; do
    screen=$(tm capture-pane -p -t "$session")
    [[ $screen == *"$needle"* ]] && return 0
    now_us now
    (( now - start > limit_us )) && return 1
  done
}
