#!/usr/bin/env bash
# The console idle with the stuck checks, before and after (issue 23's note): N running
# containers (labelled fleetdeck.bench=stuck), then each binary in turn (BEFORE, AFTER, BEFORE,
# AFTER: the same run, the same fleet) in tmux 200x50 for IDLE seconds once drawn: CPU seconds
# (percent of one core) and peak RSS of the console. Cleans up the containers it made.
# Usage: BEFORE=path/to/main/fleetdeck AFTER=path/to/fleetdeck N=200 SECONDS_IDLE=60 \
#        scripts/bench-stuck-idle.sh
set -euo pipefail
cd "$(dirname "$0")/.."
IMAGE=fleetdeck-test-busybox:latest
LABEL=fleetdeck.bench=stuck
N=${N:-200}
IDLE=${SECONDS_IDLE:-60}
BEFORE=${BEFORE:?the binary built from main}
AFTER=${AFTER:-./target/release/fleetdeck}
WORK=$(mktemp -d)
SOCK="$WORK/tmux.sock"
cleanup() {
  for s in "$WORK"/tmux-*.sock; do tmux -S "$s" kill-server 2>/dev/null || true; done
  docker ps -aq --filter "label=$LABEL" | xargs -r docker rm -f >/dev/null
  rm -rf "$WORK"
}
trap cleanup EXIT
docker ps -aq --filter "label=$LABEL" | xargs -r docker rm -f >/dev/null
docker image inspect "$IMAGE" >/dev/null || { echo "build the test image first: cargo test --test actions"; exit 1; }

echo "== creating $N running containers"
seq 1 "$N" | xargs -P 8 -I{} docker run -d --network none --label "$LABEL" --name "fdstuck-{}" \
  "$IMAGE" sleep 100000 >/dev/null
sleep 5

measure() {
  local name=$1 fd=$2
  # A server of its own per run: a new session on the socket of a server that is still
  # exiting fails ("server exited unexpectedly").
  SOCK="$WORK/tmux-$name-$RANDOM.sock"
  tmux -S "$SOCK" new-session -d -s idle -x 200 -y 50 \
    "$fd --config $WORK/config.toml --audit-file $WORK/audit.jsonl"
  local pid
  pid=$(tmux -S "$SOCK" display -p -t idle '#{pane_pid}')
  for _ in $(seq 1 100); do
    tmux -S "$SOCK" capture-pane -p -t idle | grep -q fdstuck- && break
    sleep 0.1
  done
  sleep 5
  local tck t0 t1 hwm
  tck=$(getconf CLK_TCK)
  t0=$(awk '{print $14+$15}' "/proc/$pid/stat")
  sleep "$IDLE"
  t1=$(awk '{print $14+$15}' "/proc/$pid/stat")
  hwm=$(awk '/VmHWM/ {print $2}' "/proc/$pid/status")
  tmux -S "$SOCK" kill-server
  awk -v n="$name" -v d=$((t1 - t0)) -v tck="$tck" -v s="$IDLE" -v h="$hwm" 'BEGIN {
    printf "%-8s cpu %.2f s in %d s (%.3f %% of a core)  peak RSS %.1f MiB\n",
      n, d / tck, s, 100 * d / tck / s, h / 1024 }'
}

: > "$WORK/config.toml"
for round in 1 2; do
  measure "before" "$BEFORE"
  measure "after" "$AFTER"
done
