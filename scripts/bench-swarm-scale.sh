#!/bin/bash
# Time from a scale 4 -> 6 to converged (6/6 running) on a two-node swarm, RUNS times each:
#   fleetdeck: `fleetdeck --host manager=URL service scale web=6 --wait` (returns once the
#              manager says 6 of 6 tasks run);
#   docker:    `docker service scale --detach web=6`, then `docker service ls` polled every
#              POLL seconds until it says 6/6.
# Between runs the service goes back to 4/4 (not timed). The swarm is made here with the
# recipe of shared/testing (each node a dockerd in its own network namespace, on a bridge of
# its own) and torn down at the end, also on failure. Needs root, dockerd, ip, nsenter,
# unshare, and the test image (fleetdeck-test-busybox:latest: `cargo test --test swarm`
# builds it). FD=binary (default target/debug/fleetdeck: a debug build's own CPU hardly counts
# here, the time is the swarm's). Prints one line per run and a median per tool.
set -euo pipefail

FD=${FD:-$(cd "$(dirname "$0")/.." && pwd)/target/debug/fleetdeck}
RUNS=${RUNS:-3}
POLL=${POLL:-0.1}
PREFIX=fdbs OCTET=209 WORK_NAME=fdbench-swarm
# shellcheck source=scripts/bench-swarm-common.sh
. "$(dirname "$0")/bench-swarm-common.sh"
swarm_vars
[ -x "$FD" ] || { echo "no binary at $FD (cargo build, or FD=...)"; exit 1; }
trap swarm_teardown EXIT

swarm_make

replicas() { dk 1 service ls --filter name=web --format '{{.Replicas}}'; }
wait_for() { for _ in $(seq 1 1200); do [ "$(replicas)" = "$1" ] && return 0; sleep 0.1; done; echo "never $1"; exit 1; }
# Back to 4/4, and only the 4 tasks left running (the scale down's shut-down ones gone).
reset() {
  dk 1 service scale --detach web=4 >/dev/null 2>&1
  wait_for 4/4
  for _ in $(seq 1 600); do
    [ "$(dk 1 service ps web --filter desired-state=running -q | wc -l)" = 4 ] && break; sleep 0.1
  done
  sleep 2
}

dk 1 service create --detach --no-resolve-image --name web --replicas 4 "$IMAGE" \
  sh -c "trap 'exit 0' TERM; sleep 100000 & wait" >/dev/null
wait_for 4/4
log "web 4/4; $RUNS runs each"

secs() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", (b - a) / 1e6 }'; }
median() { sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }
FDT=(); DKT=()
for run in $(seq 1 "$RUNS"); do
  reset
  t0=${EPOCHREALTIME/[.,]/}
  "$FD" --host "manager=$(node_host 1)" --audit-file "$WORK/audit.jsonl" \
    service scale web=6 --wait >/dev/null
  t1=${EPOCHREALTIME/[.,]/}
  [ "$(replicas)" = 6/6 ] || { echo "fleetdeck returned before 6/6: $(replicas)"; exit 1; }
  FDT+=("$(secs "$t0" "$t1")")
  echo "run $run  fleetdeck service scale web=6 --wait        ${FDT[-1]} s"

  reset
  t0=${EPOCHREALTIME/[.,]/}
  dk 1 service scale --detach web=6 >/dev/null 2>&1
  until [ "$(replicas)" = 6/6 ]; do sleep "$POLL"; done
  t1=${EPOCHREALTIME/[.,]/}
  DKT+=("$(secs "$t0" "$t1")")
  echo "run $run  docker service scale + service ls polled   ${DKT[-1]} s"
done
echo "median  fleetdeck $(printf '%s\n' "${FDT[@]}" | median) s   docker $(printf '%s\n' "${DKT[@]}" | median) s   (poll every ${POLL} s; binary $FD)"
