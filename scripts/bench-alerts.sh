#!/bin/bash
# The keeper's CPU and RSS with alert rules, over 60 s after 20 s. Two fleets:
#   MODE=fleet (default): 200 containers (180 quiet, 20 chatty at ~100 lines/s, a FATAL line
#     every 1,000), the keeper with no rules, then with three (one a log rule following the 20);
#   MODE=chatty: the log rule's cost alone: 20 chatty containers (100 lines a second each in
#     one burst, one FATAL line a second), the keeper with the three rules; with the lines one
#     of them wrote and the alerts, suppression notices and deliveries counted.
# Everything labelled and removed after.
# Usage: MODE=fleet|chatty scripts/bench-alerts.sh PATH/TO/fleetdeck   (a release build)
set -u
BIN=$1
MODE=${MODE:-fleet}
LABEL=fleetdeck.test.run=h-alerts-figures
IMAGE=fleetdeck-test-busybox:latest
DIR=$(mktemp -d)
cleanup() { docker ps -aq --filter label=$LABEL | xargs -r docker rm -f >/dev/null; rm -rf "$DIR"; }
trap cleanup EXIT
if [ "$MODE" = chatty ]; then
  CHATTY='while true; do yes "request served in 3ms" | head -n 100; echo "FATAL: a request failed"; sleep 1; done'
else
  seq 1 180 | xargs -P 8 -I{} docker run -d --network none --label $LABEL --name fdfig-quiet-{} $IMAGE sleep 3600 >/dev/null
  CHATTY='i=0; while true; do i=$((i+1)); echo "request $i served in 3ms"; [ $((i % 1000)) = 0 ] && echo "FATAL: request $i"; sleep 0.01; done'
fi
seq 1 20 | xargs -P 8 -I{} docker run -d --network none --label $LABEL --name fdfig-chatty-{} $IMAGE \
  sh -c "$CHATTY" >/dev/null
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
  echo "$2: CPU ${cpu}% of one core over 60 s, RSS $((rss / 1024)) MiB, alerts: $(grep -c '"decision":"alert"' "$DIR/$2.out"), suppressed notices: $(grep -c alert_suppressed "$DIR/$2.out"), delivered: $(grep -c alert_delivered "$DIR/$2.out")"
  kill -TERM $pid; wait $pid
}
if [ "$MODE" = chatty ]; then
  measure "$DIR/rules.toml" 20-chatty
  echo "fdfig-chatty-1 wrote $(docker logs fdfig-chatty-1 2>&1 | wc -l) lines"
else
  measure "$DIR/none.toml" no-rules
  measure "$DIR/rules.toml" three-rules
fi
