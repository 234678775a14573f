#!/bin/bash
# The log rule's cost alone: 20 chatty containers (about 100 lines/s each, one FATAL line a
# second), the keeper with the same three rules; CPU and RSS over 60 s after 20 s. Labelled,
# removed after. Usage: scripts/bench-alerts-chatty.sh PATH/TO/fleetdeck
set -u
BIN=$1
LABEL=fleetdeck.test.run=h-alerts-figures
IMAGE=fleetdeck-test-busybox:latest
DIR=$(mktemp -d)
cleanup() { docker ps -aq --filter label=$LABEL | xargs -r docker rm -f >/dev/null; rm -rf "$DIR"; }
trap cleanup EXIT
seq 1 20 | xargs -P 8 -I{} docker run -d --network none --label $LABEL --name fdfig-chatty-{} $IMAGE \
  sh -c 'while true; do yes "request served in 3ms" | head -n 100; echo "FATAL: a request failed"; sleep 1; done' >/dev/null
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
: > "$DIR/none.toml"; "$BIN" --config "${RULES:-$DIR/rules.toml}" --store "$DIR/f.db" --audit-file "$DIR/a.jsonl" keep --json > "$DIR/out" 2> "$DIR/err" &
pid=$!
sleep 20
hz=$(getconf CLK_TCK)
read -r t0 s0 < <(awk '{print $14, $15}' /proc/$pid/stat)
sleep 60
read -r t1 s1 < <(awk '{print $14, $15}' /proc/$pid/stat)
rss=$(awk '/VmRSS/ {print $2}' /proc/$pid/status)
lines=$(docker logs fdfig-chatty-1 2>&1 | wc -l)
cpu=$(echo "scale=2; (($t1 + $s1) - ($t0 + $s0)) * 100 / $hz / 60" | bc)
echo "20 chatty: CPU ${cpu}% of one core over 60 s, RSS $((rss / 1024)) MiB; fdfig-chatty-1 wrote $lines lines in ~85 s; alerts $(grep -c '"decision":"alert"' "$DIR/out"), suppressed notices $(grep -c alert_suppressed "$DIR/out"), delivered $(grep -c alert_delivered "$DIR/out")"
kill -TERM $pid; wait $pid
