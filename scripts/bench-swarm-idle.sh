#!/bin/bash
# The console's idle cost on a Swarm manager (issue 21, item 2: "an idle manager with 50
# services x 4 tasks costs <= 1 % of a core and <= 1 % of dockerd"). On a two-node swarm made
# here (the recipe of shared/testing: each node a dockerd in its own network namespace, on a
# bridge of its own; torn down at the end, also on failure) with SERVICES services of REPLICAS
# tasks each (`sleep 100000` in the test image), once every task runs, per round:
#   baseline  the manager's dockerd over WINDOW seconds, nothing attached;
#   list      the console (`FD --host manager=unix://...`, tmux 200x50) on its container list;
#   services  the console on `:services` (the screen shows the services 4/4);
#   triage    the console on the triage view (`t`: on a manager it reads services, nodes and
#             every task every 10 s while open).
# Between events the Swarm views read again every 2 s while a service has not converged, every
# 10 s once all have (here, once every task runs).
# Each console window starts SETTLE seconds after the view is on screen. Figures: the
# console's CPU (utime + stime from /proc/PID/stat, in CLK_TCK ticks) and peak RSS (VmHWM),
# and the manager dockerd's CPU over the same window, against the round's baseline.
# Needs root, dockerd, ip, nsenter, unshare, tmux, and the test image
# (fleetdeck-test-busybox:latest: `cargo test --test swarm` builds it).
# Usage: FD=target/release/fleetdeck WINDOW=60 SETTLE=10 ROUNDS=2 SERVICES=50 REPLICAS=4 \
#        scripts/bench-swarm-idle.sh
set -euo pipefail

FD=${FD:-$(cd "$(dirname "$0")/.." && pwd)/target/release/fleetdeck}
WINDOW=${WINDOW:-60}
SETTLE=${SETTLE:-10}
ROUNDS=${ROUNDS:-2}
SERVICES=${SERVICES:-50}
REPLICAS=${REPLICAS:-4}
TCK=$(getconf CLK_TCK)
SOCK=""
PREFIX=fdbi OCTET=208 WORK_NAME=fdbench-swarm-idle
# shellcheck source=scripts/bench-swarm-common.sh
. "$(dirname "$0")/bench-swarm-common.sh"
swarm_vars
[ -x "$FD" ] || { echo "no binary at $FD (FD=...)"; exit 1; }
command -v tmux >/dev/null || { echo "needs tmux"; exit 1; }

teardown() {
  [ -n "$SOCK" ] && tmux -S "$SOCK" kill-server 2>/dev/null
  swarm_teardown
  log "load average at the end: $(uptime)"
}
trap teardown EXIT
trap 'exit 130' INT TERM

log "load average at the start: $(uptime)"
swarm_make

log "creating $SERVICES services x $REPLICAS tasks"
for s in $(seq -w 1 "$SERVICES"); do
  # A short grace period: `sleep` as PID 1 ignores SIGTERM, and the teardown stops them all.
  dk 1 service create --detach --no-resolve-image --name "fdidle$s" --replicas "$REPLICAS" \
    --stop-grace-period 1s "$IMAGE" sleep 100000 >/dev/null
done
converged() { [ "$(dk 1 service ls --format '{{.Replicas}}' | grep -c "^$REPLICAS/$REPLICAS")" = "$SERVICES" ]; }
for _ in $(seq 1 600); do converged && break; sleep 1; done
converged || { echo "never converged: $(dk 1 service ls --format '{{.Replicas}}' | sort | uniq -c | tr '\n' ' ')"; exit 1; }
# shellcheck disable=SC2046
TASKS=$(dk 1 service ps -q --filter desired-state=running $(dk 1 service ls -q) | wc -l)
ON1=$(dk 1 ps -q | wc -l)
log "converged: $TASKS tasks running (node-1 runs $ON1 containers, node-2 $(dk 2 ps -q | wc -l))"
MANAGER=$(node_pid 1)
log "manager dockerd pid $MANAGER; settling 20 s"
sleep 20

# utime + stime of a PID in ticks (fields 14 and 15; comm may hold spaces).
ticks() {
  local stat
  stat=$(cat "/proc/$1/stat" 2>/dev/null) || { echo 0; return; }
  stat=${stat##*) }
  # shellcheck disable=SC2086
  set -- $stat
  echo $(( ${12} + ${13} ))
}
# Ticks as seconds and percent of one core over the window.
fmt_cpu() { awk -v d="$1" -v tck="$TCK" -v s="$WINDOW" 'BEGIN { printf "%.2f s (%.3f %%)", d / tck, 100 * d / tck / s }'; }
fmt_console() {
  awk -v d="$1" -v tck="$TCK" -v s="$WINDOW" \
    'BEGIN { printf "%.2f s in %d s (%.3f %% of a core)", d / tck, s, 100 * d / tck / s }'
}
tm() { tmux -S "$SOCK" "$@"; }
screen() { tm capture-pane -p -t idle; }
# Waits until the screen holds $1 (a grep -E pattern) at least $2 times, up to 60 s.
wait_screen() {
  for _ in $(seq 1 600); do
    [ "$(screen | grep -cE "$1")" -ge "$2" ] && return 0
    sleep 0.1
  done
  echo "the screen never showed $2 x '$1':"; screen; exit 1
}

BASE=0
baseline() {
  local d0 d1
  sleep "$SETTLE"
  d0=$(ticks "$MANAGER"); sleep "$WINDOW"; d1=$(ticks "$MANAGER")
  BASE=$((d1 - d0))
  printf '%-9s dockerd(manager) %s  [ticks %d, CLK_TCK %d]\n' baseline "$(fmt_cpu "$BASE")" "$BASE" "$TCK"
}

# One console window: $1 the view's name, $2 the keys that open it ("" for the list), $3 and
# $4 what the screen shows once it is open (pattern, how many lines at least).
console() {
  local name=$1 keys=$2 pattern=$3 lines=$4
  SOCK="$WORK/tmux-$name-$RANDOM.sock"
  tm new-session -d -s idle -x 200 -y 50 \
    "exec $FD --host manager=$(node_host 1) --config $WORK/empty.toml --audit-file $WORK/audit.jsonl"
  tm set -s escape-time 0
  local pid
  pid=$(tm display -p -t idle '#{pane_pid}')
  wait_screen fdidle 1
  # Words: tmux sends a word that names no key (":services") as its characters.
  # shellcheck disable=SC2086
  [ -n "$keys" ] && tm send-keys -t idle $keys
  wait_screen "$pattern" "$lines"
  local shown
  shown=$(screen | grep -cE "$pattern")
  sleep "$SETTLE"
  local c0 c1 d0 d1 hwm
  c0=$(ticks "$pid"); d0=$(ticks "$MANAGER")
  sleep "$WINDOW"
  c1=$(ticks "$pid"); d1=$(ticks "$MANAGER")
  hwm=$(awk '/VmHWM/ { print $2 }' "/proc/$pid/status")
  kill -0 "$pid" 2>/dev/null || { echo "the console exited during the window"; exit 1; }
  [ -n "${SCREENS:-}" ] && { echo "--- $name"; screen; } >&2
  tm kill-server
  SOCK=""
  for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  printf '%-9s console cpu %s  peak RSS %s MiB  dockerd(manager) %s vs baseline %s, %s %% of a core added  [ticks: console %d, dockerd %d, baseline %d; screen: %d lines /%s/]\n' \
    "$name" "$(fmt_console $((c1 - c0)))" \
    "$(awk -v h="$hwm" 'BEGIN { printf "%.1f", h / 1024 }')" "$(fmt_cpu $((d1 - d0)))" \
    "$(fmt_cpu "$BASE")" \
    "$(awk -v d=$((d1 - d0 - BASE)) -v tck="$TCK" -v s="$WINDOW" 'BEGIN { printf "%+.3f", 100 * d / tck / s }')" \
    $((c1 - c0)) $((d1 - d0)) "$BASE" "$shown" "$pattern"
}

: > "$WORK/empty.toml"
echo "== $SERVICES services x $REPLICAS tasks ($TASKS running) on a two-node swarm; window $WINDOW s, settle $SETTLE s; binary $FD"
echo "== CPU: utime + stime from /proc/PID/stat in ticks (CLK_TCK $TCK); % of one core over the window"
echo "== load average before the first window: $(uptime | sed 's/.*load average: //')"
for round in $(seq 1 "$ROUNDS"); do
  echo "-- round $round"
  baseline
  console list "" "┌ containers $ON1 " 1
  console services ":services Enter" " $REPLICAS/$REPLICAS " "$(( SERVICES < 40 ? SERVICES : 40 ))"
  console triage "t" "┌ triage" 1
done
echo "== load average after the last window: $(uptime | sed 's/.*load average: //')"
