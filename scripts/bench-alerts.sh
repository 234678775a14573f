#!/bin/bash
# Keeper CPU and RSS with 200 containers (180 quiet, 20 chatty), with and without three alert
# rules (one a log rule following the 20 chatty ones). Everything labelled and removed after.
# Usage: scripts/bench-alerts.sh PATH/TO/fleetdeck   (a release build)
set -u
BIN=$1
LABEL=fleetdeck.test.run=h-alerts-figures
IMAGE=fleetdeck-test-busybox:latest
DIR=$(mktemp -d)
cleanup() { docker ps -aq --filter label=$LABEL | xargs -r docker rm -f >/dev/null; rm -rf "$DIR"; }
trap cleanup EXIT
seq 1 180 | xargs -P 8 -I{} docker run -d --network none --label $LABEL --name fdfig-quiet-{} $IMAGE sleep 3600 >/dev/null
seq 1 20 | xargs -P 8 -I{} docker run -d --network none --label $LABEL --name fdfig-chatty-{} $IMAGE \
  sh -c 'i=0; while true; do i=$((i+1)); echo "request $i served in 3ms"; [ $((i % 1000)) = 0 ] && echo "FATAL: request $i"; sleep 0.01; done' >/dev/null
echo "containers: $(docker ps -q --filter label=$LABEL | wc -l) running"
cat > "$DIR/rules.toml" <<TOML
[[alerts]]
name = "deaths"
on = ["crash", "oom", "restart_loop"]
containers = ["fdfig-*"]
command = ["sh", "-c", "cat >/dev/null"]
[[alerts]]
name = "health"
on = ["unhealthy", "gave_up", "host_down"]
containers = ["fdfig-*"]
command = ["sh", "-c", "cat >/dev/null"]
[[alerts]]
name = "fatal"
on = ["log"]
match = "FATAL"
containers = ["fdfig-chatty-*"]
command = ["sh", "-c", "cat >/dev/null"]
TOML
: > "$DIR/none.toml"
measure() { # config, label
  "$BIN" --config "$1" --store "$DIR/$2.db" --audit-file "$DIR/audit.jsonl" keep --json > "$DIR/$2.out" 2> "$DIR/$2.err" &
  local pid=$!
  sleep 20
  local t0 s0 t1 s1 hz rss
  hz=$(getconf CLK_TCK)
  read -r t0 s0 < <(awk '{print $14, $15}' /proc/$pid/stat)
  sleep 60
  read -r t1 s1 < <(awk '{print $14, $15}' /proc/$pid/stat)
  rss=$(awk '/VmRSS/ {print $2}' /proc/$pid/status)
  local cpu
  cpu=$(echo "scale=2; (($t1 + $s1) - ($t0 + $s0)) * 100 / $hz / 60" | bc)
  echo "$2: CPU ${cpu}% of one core over 60 s, RSS $((rss / 1024)) MiB, alerts: $(grep -c '"decision":"alert"' "$DIR/$2.out"), delivered: $(grep -c alert_delivered "$DIR/$2.out")"
  kill -TERM $pid; wait $pid
}
measure "$DIR/none.toml" no-rules
measure "$DIR/rules.toml" three-rules
