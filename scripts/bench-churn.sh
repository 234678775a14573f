#!/usr/bin/env bash
# The console's memory under churn, measured (speed-at-scale issue's note):
#   N_BASE steady running containers, and PARALLEL workers that each, for MINUTES, create, run
#   (`sh -c 'sleep 1'`) and remove a container after another (`docker run --rm`), all under
#   the console in tmux 200x50. Every EVERY_S seconds: the console's RSS and how many
#   containers have been churned; at the end the RSS at the start, the end and the peak.
# Memory that stays flat over minutes of churn is what the issue asks; a rise that does not
# stop is state kept for containers that no longer exist. Cleans up what it makes.
# Usage: FD=path/to/fleetdeck MINUTES=8 EVERY_S=30 PARALLEL=4 N_BASE=10 scripts/bench-churn.sh
set -euo pipefail
cd "$(dirname "$0")/.."
IMAGE=fleetdeck-test-busybox:latest
LABEL=fleetdeck.bench=churn
MINUTES=${MINUTES:-8}
EVERY_S=${EVERY_S:-30}
PARALLEL=${PARALLEL:-4}
N_BASE=${N_BASE:-10}
FD=${FD:-./target/release/fleetdeck}
WORK=$(mktemp -d)
# shellcheck source=scripts/bench-common.sh
. scripts/bench-common.sh
trap bench_cleanup EXIT
bench_preflight
docker ps -aq --filter "label=$LABEL" | xargs -r -n 200 docker rm -f -v >/dev/null

if [ "$N_BASE" -gt 0 ]; then
  echo "== $N_BASE steady containers"
  seq 1 "$N_BASE" | xargs -P 8 -I{} docker run -d --network none --label "$LABEL" \
    --name "fdchurn-base-{}" "$IMAGE" sleep 100000 >/dev/null
fi

FD_PID=$(start_console churn)
wait_screen churn fdchurn- 60 || [ "$N_BASE" = 0 ] \
  || { echo "the console showed no container in 60 s"; exit 1; }
sleep 3
rss0=$(mem_mib "$FD_PID" VmRSS)

# One worker: create, run and remove containers until told to stop; a line per container.
churn() {
  local w=$1 i=0
  while [ ! -e "$WORK/stop" ]; do
    i=$((i + 1))
    if docker run --rm --network none --label "$LABEL" --name "fdchurn-$w-$i" \
      "$IMAGE" sh -c 'sleep 1' >/dev/null 2>&1; then
      echo >> "$WORK/churned.$w"
    fi
  done
}
churned() { cat "$WORK"/churned.* 2>/dev/null | wc -l; }

echo "== churning for $MINUTES min with $PARALLEL workers; RSS every $EVERY_S s"
for w in $(seq 1 "$PARALLEL"); do
  churn "$w" &
  EXTRA_PIDS+=($!)
done
printf '%8s %10s %10s\n' time rss_MiB churned
printf '%7ss %10s %10s\n' 0 "$rss0" 0
total_s=$(( MINUTES * 60 ))
elapsed=0
while [ "$elapsed" -lt "$total_s" ]; do
  step=$(( total_s - elapsed < EVERY_S ? total_s - elapsed : EVERY_S ))
  sleep "$step"
  elapsed=$(( elapsed + step ))
  kill -0 "$FD_PID" 2>/dev/null || { echo "the console exited"; exit 1; }
  printf '%7ss %10s %10s\n' "$elapsed" "$(mem_mib "$FD_PID" VmRSS)" "$(churned)"
done
touch "$WORK/stop"
for pid in "${EXTRA_PIDS[@]}"; do wait "$pid" 2>/dev/null || true; done
EXTRA_PIDS=()
# The last removals reach the console; then the figure to compare with the start.
sleep 5
echo "churned $(churned) containers in $MINUTES min"
echo "console RSS: start $rss0 MiB, end $(mem_mib "$FD_PID" VmRSS) MiB, peak $(mem_mib "$FD_PID" VmHWM) MiB"
