#!/usr/bin/env bash
# Captures the console's screen for the README: a small demo fleet (a compose project with a
# healthy web, an unhealthy db and an OOM-killed worker; beside it a graceful stop, a clean
# exit, a paused cache and a crash loop), the real binary in tmux at 110x24, filtered to the
# demo. Prints the capture; cleans up what it made.
set -euo pipefail
cd "$(dirname "$0")/.."
IMAGE=fleetdeck-test-busybox:latest
LABEL=fleetdeck.demo=readme
FD=${FD:-./target/release/fleetdeck}
SOCK=$(mktemp -u /tmp/fd-capture.XXXX)
cleanup() {
  tmux -S "$SOCK" kill-server 2>/dev/null || true
  docker ps -aq --filter "label=$LABEL" | xargs -r docker rm -f >/dev/null
}
trap cleanup EXIT
cleanup
run() { docker run -d --network none --label "$LABEL" "$@" >/dev/null; }
shop() { echo "--label com.docker.compose.project=shop --label com.docker.compose.service=$1"; }
run --name shop-web-1 $(shop web) --health-cmd 'true' --health-interval 1s "$IMAGE" sleep 100000
run --name shop-db-1 $(shop db) --memory 256m --health-cmd 'echo connection refused; exit 1' \
  --health-interval 1s --health-retries 1 "$IMAGE" sleep 100000
run --name shop-worker-1 $(shop worker) --memory 16m --memory-swap 16m "$IMAGE" sh -c 'sleep 1; tail /dev/zero'
run --name api "$IMAGE" sh -c 'trap "exit 143" TERM; while true; do sleep 0.2; done'
run --name batch-job "$IMAGE" true
run --name cache "$IMAGE" sleep 100000
run --name crashy --restart on-failure:5 "$IMAGE" sh -c 'sleep 0.5; exit 3'
sleep 2
docker stop api >/dev/null
docker pause cache >/dev/null
sleep 6
tmux -S "$SOCK" new-session -d -s cap -x 110 -y 24 "$FD --read-only --audit-file /dev/null"
sleep 2
tmux -S "$SOCK" send-keys -t cap / C-u
tmux -S "$SOCK" send-keys -t cap -l 'label:fleetdeck.demo'
tmux -S "$SOCK" send-keys -t cap Enter
sleep 2
tmux -S "$SOCK" send-keys -t cap j
sleep 1
tmux -S "$SOCK" capture-pane -p -t cap
if [ "${TRIAGE:-}" = 1 ]; then
  tmux -S "$SOCK" send-keys -t cap t
  sleep 1
  tmux -S "$SOCK" capture-pane -p -t cap
fi
