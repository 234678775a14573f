#!/usr/bin/env bash
# The console idle, measured (figures for the console issue's note):
#   CPU seconds and peak RSS of `fleetdeck` over 60 s with N running containers, and the bytes
#   it writes to the terminal in those 60 s (tmux pipe-pane), once drawn.
# Runs twice: with the default config (CPU/memory stats streams for up to 32 rows on screen),
# and with max_stats_streams = 0 (only the event stream). Cleans up what it makes.
# FRESH=1 measures a fresh deploy instead: the console starts as soon as the containers are
# up, so their uptimes tick in seconds through the window (only the default config is run).
# Usage: FD=path/to/fleetdeck N=200 SECONDS_IDLE=60 FRESH=0 scripts/bench-console-idle.sh
set -euo pipefail
cd "$(dirname "$0")/.."
IMAGE=fleetdeck-test-busybox:latest
LABEL=fleetdeck.bench=idle
N=${N:-200}
IDLE=${SECONDS_IDLE:-60}
FD=${FD:-./target/release/fleetdeck}
WORK=$(mktemp -d)
SOCK="$WORK/tmux.sock"
cleanup() {
  tmux -S "$SOCK" kill-server 2>/dev/null || true
  docker ps -aq --filter "label=$LABEL" | xargs -r docker rm -f >/dev/null
  rm -rf "$WORK"
}
trap cleanup EXIT
docker ps -aq --filter "label=$LABEL" | xargs -r docker rm -f >/dev/null
[ -x "$FD" ] || cargo build --release --quiet
docker image inspect "$IMAGE" >/dev/null || { echo "build the test image first: cargo test --test actions"; exit 1; }

echo "== creating $N running containers"
seq 1 "$N" | xargs -P 8 -I{} docker run -d --network none --label "$LABEL" --name "fdidle-{}" \
  "$IMAGE" sleep 100000 >/dev/null
if [ "${FRESH:-0}" != 1 ]; then
  echo "== waiting 65 s so that uptimes read in minutes, as on a fleet that has been up a while"
  sleep 65
fi

measure() {
  local name=$1 config=$2
  tmux -S "$SOCK" new-session -d -s idle -x 200 -y 50 \
    "$FD --config $config --audit-file $WORK/audit.jsonl"
  local pid
  pid=$(tmux -S "$SOCK" display -p -t idle '#{pane_pid}')
  for _ in $(seq 1 100); do
    tmux -S "$SOCK" capture-pane -p -t idle | grep -q fdidle- && break
    sleep 0.1
  done
  sleep 3
  local bytes_file="$WORK/bytes-${name//[^a-z]/_}"
  : > "$bytes_file"
  tmux -S "$SOCK" pipe-pane -o -t idle "cat >> '$bytes_file'"
  local tck t0 t1
  tck=$(getconf CLK_TCK)
  t0=$(awk '{print $14+$15}' "/proc/$pid/stat")
  sleep "$IDLE"
  t1=$(awk '{print $14+$15}' "/proc/$pid/stat")
  local hwm bytes
  hwm=$(awk '/VmHWM/ {print $2}' "/proc/$pid/status")
  bytes=$(stat -c %s "$bytes_file")
  tmux -S "$SOCK" kill-session -t idle
  awk -v n="$name" -v d=$((t1 - t0)) -v tck="$tck" -v s="$IDLE" -v h="$hwm" -v b="$bytes" 'BEGIN {
    printf "%-22s cpu %.2f s in %d s (%.3f %% of a core)  peak RSS %.1f MiB  bytes written %d\n",
      n, d / tck, s, 100 * d / tck / s, h / 1024, b }'
}

printf '' > "$WORK/default.toml"
printf '[ui]\nmax_stats_streams = 0\n' > "$WORK/nostats.toml"
if [ "${FRESH:-0}" = 1 ]; then
  measure "fresh deploy (stats on)" "$WORK/default.toml"
else
  measure "default (stats on)" "$WORK/default.toml"
  measure "events only" "$WORK/nostats.toml"
fi
