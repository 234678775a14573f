#!/usr/bin/env bash
# Scripted CLI benchmarks for the backbone issue (figures go in the issue note):
#   1. `fleetdeck ps -a --json` beside `docker ps -a --format json`, with 200 containers
#   2. `fleetdeck stop` of 20 containers that exit on SIGTERM beside a sequential `docker stop`
# Needs: a daemon, the test image (cargo test builds it), hyperfine. Cleans up what it makes.
set -euo pipefail
cd "$(dirname "$0")/.."
IMAGE=fleetdeck-test-busybox:latest
LABEL=fleetdeck.bench=cli
N=${N:-200}
cleanup() { docker ps -aq --filter "label=$LABEL" | xargs -r docker rm -f >/dev/null; }
trap cleanup EXIT
cleanup
command -v hyperfine >/dev/null || apt-get install -y -qq hyperfine >/dev/null
docker image inspect "$IMAGE" >/dev/null || { echo "build the test image first: cargo test --test actions"; exit 1; }
[ -n "${SKIP_BUILD:-}" ] || cargo build --release --quiet
FD=${FD:-./target/release/fleetdeck}

echo "== creating $N running containers"
seq 1 "$N" | xargs -P 8 -I{} docker run -d --network none --label "$LABEL" --name "fdbench-{}" \
  "$IMAGE" sh -c 'trap "exit 143" TERM; while true; do sleep 1; done' >/dev/null
echo "== ps: $(docker ps -aq | wc -l) containers on the daemon"
hyperfine -N --warmup 3 --runs 20 \
  "$FD ps -a --json --audit-file /tmp/fd-bench-audit.jsonl" \
  "docker ps -a --format json"

echo "== stop 20 containers: fleetdeck (concurrent) vs sequential docker stop"
names() { seq "$1" "$2" | sed 's/^/fdbench-/' | tr '\n' ' '; }
start=$(date +%s.%N); $FD stop $(names 1 20) --audit-file /tmp/fd-bench-audit.jsonl >/dev/null; end=$(date +%s.%N)
fd_time=$(echo "$end - $start" | bc)
start=$(date +%s.%N); for n in $(names 21 40); do docker stop "$n" >/dev/null; done; end=$(date +%s.%N)
docker_time=$(echo "$end - $start" | bc)
start=$(date +%s.%N); docker stop fdbench-41 >/dev/null; end=$(date +%s.%N)
one_time=$(echo "$end - $start" | bc)
echo "fleetdeck stop x20: ${fd_time}s   sequential docker stop x20: ${docker_time}s   one docker stop: ${one_time}s"
