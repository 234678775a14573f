# A two-node swarm for the Swarm benches (sourced by bench-swarm-idle.sh and
# bench-swarm-scale.sh): the recipe of shared/testing — each node a dockerd in its own network
# namespace (its docker0 its own), joined by a bridge of its own — made by `swarm_make` and
# removed by `swarm_teardown` (services first, the daemons stopped, SIGKILL after 30 s, what
# they left mounted or running killed, the namespaces, links and iptables rule gone; it says
# "teardown: clean" or what is left). Needs root, dockerd, ip, nsenter, unshare and the test
# image. The sourcing script sets PREFIX (4 letters, names its links), OCTET (the bridge's
# 10.OCTET.x.0/24) and WORK_NAME, then calls `swarm_vars` before anything else.

IMAGE=fleetdeck-test-busybox:latest
DOCKERD=$(command -v dockerd || true)
RULE=0

log() { echo "[$(date -u +%T)] $*" >&2; }

swarm_vars() {
  TAG=$$
  BR=${PREFIX}$((TAG % 100000))
  NET=10.${OCTET}.$((TAG % 200 + 20))
  [ "$(id -u)" = 0 ] || { echo "needs root"; exit 1; }
  [ -n "$DOCKERD" ] || { echo "needs dockerd"; exit 1; }
  docker image inspect "$IMAGE" >/dev/null 2>&1 ||
    { echo "no $IMAGE (cargo test --test swarm builds it)"; exit 1; }
  WORK=$(mktemp -d "/tmp/${WORK_NAME}.XXXXXX")
}

node_dir() { echo "$WORK/n$1"; }
node_host() { echo "unix://$(node_dir "$1")/d.sock"; }
node_pid() { cat "$(node_dir "$1")/d.pid" 2>/dev/null || true; }
dk() { local i=$1; shift; docker -H "$(node_host "$i")" "$@"; }
# PIDs of what this run started that is still there: every process whose command line names
# this run's directory (the nodes' dockerd, containerd and shims).
ours() { pgrep -f "$WORK/" || true; }

swarm_make() {
  log "making a two-node swarm on $BR ($NET.0/24) in $WORK"
  ip link add "$BR" type bridge
  ip addr add "$NET.1/24" dev "$BR"
  ip link set "$BR" up
  if iptables -L DOCKER-USER -n >/dev/null 2>&1; then
    iptables -I DOCKER-USER -i "$BR" -o "$BR" -j ACCEPT
    RULE=1
  fi
  local i d ns v p
  for i in 1 2; do
    d=$(node_dir $i); mkdir -p "$d"; echo '{}' > "$d/daemon.json"
    ns="${PREFIX}${TAG}n$i"; v="fdbv${TAG}n$i"; p="fdbp${TAG}n$i"
    ip netns add "$ns"
    ip link add "$v" type veth peer name "$p"
    ip link set "$v" master "$BR"; ip link set "$v" up
    ip link set "$p" netns "$ns"
    ip -n "$ns" addr add "$NET.1$i/24" dev "$p"
    ip -n "$ns" link set "$p" up; ip -n "$ns" link set lo up
    # In its own network namespace the node's default bridge (docker0) is its own.
    nsenter --net="/var/run/netns/$ns" unshare --uts sh -c "hostname node-$i; exec $DOCKERD \
      --config-file $d/daemon.json -H $(node_host $i) --data-root $d/data --exec-root $d/exec \
      --pidfile $d/d.pid" >"$d/dockerd.log" 2>&1 &
  done
  for i in 1 2; do
    for _ in $(seq 1 300); do dk $i info >/dev/null 2>&1 && break; sleep 0.2; done
    docker save "$IMAGE" | dk $i load -q >/dev/null
  done
  dk 1 swarm init --advertise-addr "$NET.11" >/dev/null
  local token
  token=$(dk 1 swarm join-token -q worker)
  dk 2 swarm join --token "$token" --advertise-addr "$NET.12" "$NET.11:2377" >/dev/null
  for _ in $(seq 1 300); do
    [ "$(dk 1 node ls --format '{{.Status}}' | grep -c Ready)" = 2 ] && break; sleep 0.3
  done
}

swarm_teardown() {
  set +e
  # The services first, so that the daemons stop with no task containers left to stop.
  if [ -S "$(node_dir 1)/d.sock" ] && dk 1 info >/dev/null 2>&1; then
    dk 1 service ls -q 2>/dev/null | xargs -r timeout 60 docker -H "$(node_host 1)" service rm >/dev/null 2>&1
    for _ in $(seq 1 120); do
      [ "$(dk 1 ps -q 2>/dev/null | wc -l)$(dk 2 ps -q 2>/dev/null | wc -l)" = 00 ] && break
      sleep 0.5
    done
  fi
  local i pid
  for i in 2 1; do
    [ -S "$(node_dir $i)/d.sock" ] && timeout 30 docker -H "$(node_host $i)" swarm leave --force >/dev/null 2>&1
  done
  for i in 2 1; do
    pid=$(node_pid $i)
    [ -n "$pid" ] && kill "$pid" 2>/dev/null
  done
  for i in 2 1; do
    pid=$(node_pid $i)
    [ -z "$pid" ] && continue
    for _ in $(seq 1 60); do kill -0 "$pid" 2>/dev/null || break; sleep 0.5; done
    kill -0 "$pid" 2>/dev/null && { log "dockerd $pid still up after 30 s: SIGKILL"; kill -9 "$pid"; }
  done
  # A containerd or shim left behind (a daemon killed): by PID, each one this run started.
  for pid in $(ours); do kill -9 "$pid" 2>/dev/null; done
  sleep 0.5
  for i in 2 1; do
    # What the node's daemon left mounted under its data and exec roots.
    grep " $(node_dir $i)/" /proc/mounts | awk '{print $2}' | sort -r | xargs -r -n1 umount -l 2>/dev/null
    ip netns del "${PREFIX}${TAG}n$i" 2>/dev/null
    ip link del "fdbv${TAG}n$i" 2>/dev/null
  done
  [ "$RULE" = 1 ] && iptables -D DOCKER-USER -i "$BR" -o "$BR" -j ACCEPT 2>/dev/null
  ip link del "$BR" 2>/dev/null
  local left
  left="$(ours | tr '\n' ' ')$(ip link show "$BR" 2>/dev/null | head -1)$(ip netns list | grep "${PREFIX}${TAG}n")"
  rm -rf "$WORK"
  [ -e "$WORK" ] && left="$left $WORK"
  if [ -n "$left" ]; then log "teardown left: $left"; else log "teardown: clean"; fi
}
