#!/usr/bin/env bash
# Key → screen latency of the console, measured (speed-at-scale issue's note):
#   N running containers each logging a line a second, the console in tmux 200x50; SAMPLES
#   times: `/` and two letters sent at once (one tmux send-keys), then the pane polled back to
#   back (a capture every ~1-3 ms, no sleeps) until the filter prompt shows them: the median
#   and each sample. Then, nothing pressed, over IDLE_S seconds: the bytes the console writes
#   to the terminal per second (tmux pipe-pane), its CPU, and dockerd's CPU.
# The latency includes tmux's own relay and one capture (a few ms): compare figures taken the
# same way. Cleans up what it makes.
# Usage: FD=path/to/fleetdeck N=200 SAMPLES=5 IDLE_S=30 AGE_S=65 scripts/bench-keys.sh
set -euo pipefail
cd "$(dirname "$0")/.."
IMAGE=fleetdeck-test-busybox:latest
LABEL=fleetdeck.bench=keys
N=${N:-200}
SAMPLES=${SAMPLES:-5}
IDLE_S=${IDLE_S:-30}
FD=${FD:-./target/release/fleetdeck}
WORK=$(mktemp -d)
# shellcheck source=scripts/bench-common.sh
. scripts/bench-common.sh
trap bench_cleanup EXIT
bench_preflight
docker ps -aq --filter "label=$LABEL" | xargs -r -n 200 docker rm -f -v >/dev/null

echo "== creating $N running containers, each logging a line a second"
seq 1 "$N" | xargs -P 8 -I{} docker run -d --network none --label "$LABEL" --name "fdkeys-{}" \
  "$IMAGE" sh -c 'while :; do echo tick; sleep 1; done' >/dev/null
# Uptimes that read in seconds change every second on every row: wait until they read in
# minutes, as on a fleet that has been up a while (AGE_S=0 skips this).
AGE_S=${AGE_S:-65}
[ "$AGE_S" -gt 0 ] && { echo "== waiting $AGE_S s so that uptimes read in minutes"; sleep "$AGE_S"; }
DOCKERD=$(dockerd_pid)
dockerd_ticks() { if [ -n "$DOCKERD" ]; then cpu_ticks "$DOCKERD"; else echo 0; fi; }

FD_PID=$(start_console keys)
wait_screen keys fdkeys- 60 || { echo "the console showed no container in 60 s"; exit 1; }
sleep 3

# Letters no container name or status word holds, so that the prompt is what matches.
TYPED=zq
echo "== key → screen, $SAMPLES samples of \"/$TYPED\" sent at once"
samples=()
for i in $(seq 1 "$SAMPLES"); do
  now_us t0
  tm send-keys -t keys -l "/$TYPED"
  polls=0
  while :; do
    screen=$(tm capture-pane -p -t keys)
    polls=$((polls + 1))
    [[ $screen == *"/$TYPED"* ]] && break
    now_us t1
    (( t1 - t0 > 10000000 )) && { echo "sample $i: the prompt never showed /$TYPED"; exit 1; }
  done
  now_us t1
  samples+=($(( t1 - t0 )))
  printf 'sample %d: %6.1f ms (%d captures)\n' "$i" "$(awk -v us=$(( t1 - t0 )) 'BEGIN { print us / 1000 }')" "$polls"
  # Leave the prompt, and wait until it has gone, at a random phase against the frame clock.
  tm send-keys -t keys Escape
  cleared=0
  for _ in $(seq 1 1000); do
    screen=$(tm capture-pane -p -t keys)
    [[ $screen != *"/$TYPED"* ]] && { cleared=1; break; }
  done
  [ "$cleared" = 1 ] || { echo "Esc did not close the filter prompt"; exit 1; }
  sleep "0.$(( RANDOM % 900 + 100 ))"
done
median=$(printf '%s\n' "${samples[@]}" | sort -n | awk '{ v[NR] = $1 } END { printf "%.1f", v[int((NR + 1) / 2)] / 1000 }')
echo "key → screen median: $median ms"

echo "== $IDLE_S s with nothing pressed"
sleep 2
BYTES="$WORK/bytes"
: > "$BYTES"
tm pipe-pane -o -t keys "cat >> '$BYTES'"
c0=$(cpu_ticks "$FD_PID"); d0=$(dockerd_ticks)
sleep "$IDLE_S"
c1=$(cpu_ticks "$FD_PID"); d1=$(dockerd_ticks)
tm pipe-pane -t keys
bytes=$(stat -c %s "$BYTES")
echo "bytes to the terminal:    $bytes in $IDLE_S s ($(awk -v b="$bytes" -v s="$IDLE_S" 'BEGIN { printf "%.0f", b / s }') B/s)"
echo "console CPU:              $(pct $(( c1 - c0 )) "$IDLE_S") % of a core"
if [ -n "$DOCKERD" ]; then
  echo "dockerd CPU:              $(pct $(( d1 - d0 )) "$IDLE_S") % of a core"
else
  echo "dockerd CPU:              n/a (the daemon is not on this machine)"
fi
echo "console RSS:              $(mem_mib "$FD_PID" VmRSS) MiB"
