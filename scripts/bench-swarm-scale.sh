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
IMAGE=fleetdeck-test-busybox:latest
TAG=$$
BR=fdbs$((TAG % 100000))
NET=10.209.$((TAG % 200 + 20))
WORK=$(mktemp -d /tmp/fdbench-swarm.XXXXXX)
RULE=0
DOCKERD=$(command -v dockerd)

[ "$(id -u)" = 0 ] || { echo "needs root"; exit 1; }
[ -x "$FD" ] || { echo "no binary at $FD (cargo build, or FD=...)"; exit 1; }
docker image inspect "$IMAGE" >/dev/null 2>&1 || { echo "no $IMAGE (cargo test --test swarm builds it)"; exit 1; }

node_dir() { echo "$WORK/n$1"; }
node_host() { echo "unix://$(node_dir "$1")/d.sock"; }
dk() { local i=$1; shift; docker -H "$(node_host "$i")" "$@"; }

teardown() {
  set +e
  for i in 2 1; do
    [ -S "$(node_dir $i)/d.sock" ] && dk $i swarm leave --force >/dev/null 2>&1
  done
  for i in 2 1; do
    local pid
    pid=$(cat "$(node_dir $i)/d.pid" 2>/dev/null)
    [ -n "$pid" ] && kill "$pid" 2>/dev/null
  done
  sleep 2
  for i in 2 1; do
    local pid
    pid=$(cat "$(node_dir $i)/d.pid" 2>/dev/null)
    [ -n "$pid" ] && kill -9 "$pid" 2>/dev/null
    # What the node's daemon left mounted under its data root.
    grep " $(node_dir $i)/" /proc/mounts | awk '{print $2}' | sort -r | xargs -r -n1 umount -l 2>/dev/null
    ip netns del "fdbs${TAG}n$i" 2>/dev/null
    ip link del "fdbv${TAG}n$i" 2>/dev/null
  done
  [ "$RULE" = 1 ] && iptables -D DOCKER-USER -i "$BR" -o "$BR" -j ACCEPT 2>/dev/null
  ip link del "$BR" 2>/dev/null
  rm -rf "$WORK"
}
trap teardown EXIT

log() { echo "[$(date -u +%T)] $*" >&2; }

log "making a two-node swarm on $BR ($NET.0/24)"
ip link add "$BR" type bridge
ip addr add "$NET.1/24" dev "$BR"
ip link set "$BR" up
if iptables -L DOCKER-USER -n >/dev/null 2>&1; then
  iptables -I DOCKER-USER -i "$BR" -o "$BR" -j ACCEPT
  RULE=1
fi
for i in 1 2; do
  d=$(node_dir $i); mkdir -p "$d"; echo '{}' > "$d/daemon.json"
  ns="fdbs${TAG}n$i"; v="fdbv${TAG}n$i"; p="fdbp${TAG}n$i"
  ip netns add "$ns"
  ip link add "$v" type veth peer name "$p"
  ip link set "$v" master "$BR"; ip link set "$v" up
  ip link set "$p" netns "$ns"
  ip -n "$ns" addr add "$NET.1$i/24" dev "$p"
  ip -n "$ns" link set "$p" up; ip -n "$ns" link set lo up
  nsenter --net="/var/run/netns/$ns" unshare --uts sh -c "hostname node-$i; exec $DOCKERD \
    --config-file $d/daemon.json -H $(node_host $i) --data-root $d/data --exec-root $d/exec \
    --pidfile $d/d.pid" >"$d/dockerd.log" 2>&1 &
done
for i in 1 2; do
  for _ in $(seq 1 300); do dk $i info >/dev/null 2>&1 && break; sleep 0.2; done
  docker save "$IMAGE" | dk $i load -q >/dev/null
done
dk 1 swarm init --advertise-addr "$NET.11" >/dev/null
TOKEN=$(dk 1 swarm join-token -q worker)
dk 2 swarm join --token "$TOKEN" --advertise-addr "$NET.12" "$NET.11:2377" >/dev/null
for _ in $(seq 1 300); do
  [ "$(dk 1 node ls --format '{{.Status}}' | grep -c Ready)" = 2 ] && break; sleep 0.3
done

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
