#!/usr/bin/env bash
# Several hosts, two figures (release binary, tmux 200x50):
#  1. the first frame that shows the local fleet, with the local host alone and with a second
#     host that accepts TCP and never answers (--daemon-timeout 5s), RUNS times each;
#  2. the console's idle CPU and RSS over N running containers on each of two daemons (this
#     machine's and a second dockerd started here with its own socket, data root and bridge)
#     for IDLE_S seconds.
# Usage: FD=target/release/fleetdeck N=200 IDLE_S=60 RUNS=3 bash scripts/bench-hosts.sh
set -euo pipefail
FD=${FD:-target/release/fleetdeck}
IMAGE=fleetdeck-test-busybox:latest
LABEL=fleetdeck.bench.hosts
N=${N:-200}
IDLE_S=${IDLE_S:-60}
RUNS=${RUNS:-3}
WORK=$(mktemp -d /tmp/fdbh.XXXXXX)
D2=$WORK/d2
BRIDGE=fdbh$$
# shellcheck source=scripts/bench-common.sh
source "$(dirname "$0")/bench-common.sh"

cleanup() {
  if [ -S "$D2/docker.sock" ]; then
    docker -H "unix://$D2/docker.sock" ps -aq | xargs -r -n 200 docker -H "unix://$D2/docker.sock" rm -f >/dev/null 2>&1 || true
  fi
  [ -f "$D2/docker.pid" ] && kill "$(cat "$D2/docker.pid")" 2>/dev/null || true
  sleep 2
  ip link del "$BRIDGE" 2>/dev/null || true
  bench_cleanup
}
trap cleanup EXIT
bench_preflight

# A host that accepts connections and never answers a byte.
python3 -c '
import socket
s = socket.socket(); s.bind(("127.0.0.1", 0)); s.listen(64)
print(s.getsockname()[1], flush=True)
held = []
while True:
    c, _ = s.accept(); held.append(c)
' > "$WORK/hole.port" &
EXTRA_PIDS+=($!)
while [ ! -s "$WORK/hole.port" ]; do sleep 0.05; done
HOLE=$(cat "$WORK/hole.port")

marker=fdbh-marker-$$
docker run -d --label "$LABEL" --network none --name "$marker" "$IMAGE" sleep 100000 >/dev/null

first_frame() { # flags... → seconds to the first frame that shows the marker
  local t0 t1 session=ff$RANDOM
  now_us t0
  CONSOLE_FLAGS="$*" start_console "$session" >/dev/null
  if wait_screen "$session" "$marker" 60; then
    now_us t1
    awk -v us=$(( t1 - t0 )) 'BEGIN { printf "%.3f", us / 1e6 }'
  else
    printf 'none'
  fi
  tm kill-session -t "$session" 2>/dev/null || true
}

LOCAL="--host local=unix:///var/run/docker.sock"
alone=(); withdead=()
for _ in $(seq "$RUNS"); do
  alone+=("$(first_frame "$LOCAL")")
  withdead+=("$(first_frame --daemon-timeout 5s "$LOCAL" --host "hole=tcp://127.0.0.1:$HOLE")")
done
echo "first frame, one host alone:              ${alone[*]} s"
echo "first frame, plus a host that never answers (timeout 5s): ${withdead[*]} s"

# The second daemon (see shared/testing/README.md: its own bridge, never --bridge=none).
mkdir -p "$D2"
echo '{}' > "$D2/daemon.json"
ip link add "$BRIDGE" type bridge
ip addr add 10.232.$(( $$ % 200 + 10 )).1/24 dev "$BRIDGE"
ip link set "$BRIDGE" up
dockerd --config-file "$D2/daemon.json" --host "unix://$D2/docker.sock" --data-root "$D2/data" \
  --exec-root "$D2/exec" --pidfile "$D2/docker.pid" --bridge="$BRIDGE" \
  --iptables=false --ip-forward=false --ip-masq=false > "$D2/dockerd.log" 2>&1 &
for _ in $(seq 100); do docker -H "unix://$D2/docker.sock" info >/dev/null 2>&1 && break; sleep 0.2; done
docker save "$IMAGE" | docker -H "unix://$D2/docker.sock" load >/dev/null

make_fleet() { # host prefix
  seq "$N" | xargs -P 8 -I{} docker -H "$1" run -d --label "$LABEL" --network none \
    --name "$2-{}" "$IMAGE" sleep 100000 >/dev/null
}
make_fleet unix:///var/run/docker.sock fdbh-a
make_fleet "unix://$D2/docker.sock" fdbh-b
echo "fleet: $N running on each of two daemons"

CONSOLE_FLAGS="$LOCAL --host d2=unix://$D2/docker.sock"
pid=$(CONSOLE_FLAGS="$CONSOLE_FLAGS" start_console idle)
wait_screen idle "containers" 60 || true
sleep 10
t0=$(cpu_ticks "$pid")
sleep "$IDLE_S"
t1=$(cpu_ticks "$pid")
echo "console idle CPU over ${IDLE_S}s: $(pct $(( t1 - t0 )) "$IDLE_S") % of a core; RSS $(mem_mib "$pid" VmRSS) MiB (peak $(mem_mib "$pid" VmHWM) MiB)"
tm capture-pane -p -t idle | head -3
