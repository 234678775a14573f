#!/usr/bin/env bash
# The console on a big fleet, measured (speed-at-scale issue's note):
#   N_TOTAL containers created (not started), N_RUNNING of them started; then the console in
#   tmux 200x50: time to the first frame that shows container names, the console's CPU over
#   the first 15 s and the next 30 s, dockerd's CPU in both windows, the console's peak RSS;
#   then `ps --json` beside `docker ps --format json` and `ps -a --json` beside
#   `docker ps -a --format json` (hyperfine when installed, else a loop of RUNS).
# Making 5,000 containers takes minutes (`docker create`, 8 in parallel); KEEP=1 keeps the
# fleet for a rerun (which reuses it when the counts match). Cleans up what it makes.
# Usage: FD=path/to/fleetdeck N_TOTAL=5000 N_RUNNING=200 FIRST_S=15 NEXT_S=30 RUNS=5 \
#        KEEP=0 scripts/bench-5000.sh
set -euo pipefail
cd "$(dirname "$0")/.."
IMAGE=fleetdeck-test-busybox:latest
LABEL=fleetdeck.bench=5000
N_TOTAL=${N_TOTAL:-5000}
N_RUNNING=${N_RUNNING:-200}
FIRST_S=${FIRST_S:-15}
NEXT_S=${NEXT_S:-30}
RUNS=${RUNS:-5}
FD=${FD:-./target/release/fleetdeck}
WORK=$(mktemp -d)
# shellcheck source=scripts/bench-common.sh
. scripts/bench-common.sh
trap bench_cleanup EXIT
bench_preflight
[ "$N_RUNNING" -le "$N_TOTAL" ] || { echo "N_RUNNING ($N_RUNNING) > N_TOTAL ($N_TOTAL)"; exit 1; }

have_all=$(docker ps -aq --filter "label=$LABEL" | wc -l)
have_running=$(docker ps -q --filter "label=$LABEL" | wc -l)
if [ "$have_all" = "$N_TOTAL" ] && [ "$have_running" = "$N_RUNNING" ]; then
  echo "== reusing the kept fleet: $have_all containers, $have_running running"
else
  docker ps -aq --filter "label=$LABEL" | xargs -r -n 200 docker rm -f -v >/dev/null
  echo "== creating $N_TOTAL containers (8 at once)"
  t0=$(date +%s)
  seq 1 "$N_TOTAL" | xargs -P 8 -I{} docker create --network none --label "$LABEL" \
    --name "fd5k-{}" "$IMAGE" sleep 100000 >/dev/null
  echo "== starting $N_RUNNING of them"
  seq 1 "$N_RUNNING" | sed 's/^/fd5k-/' | xargs -r -P 8 -n 25 docker start >/dev/null
  echo "   made in $(( $(date +%s) - t0 )) s"
fi
echo "== daemon: $(docker ps -aq | wc -l) containers, $(docker ps -q | wc -l) running"
DOCKERD=$(dockerd_pid)
dockerd_ticks() { if [ -n "$DOCKERD" ]; then cpu_ticks "$DOCKERD"; else echo 0; fi; }

echo "== the console"
d0=$(dockerd_ticks)
now_us t_start
FD_PID=$(start_console big)
if wait_screen big fd5k- 60; then
  now_us t_frame
  first_frame=$(awk -v us=$(( t_frame - t_start )) 'BEGIN { printf "%.3f s", us / 1e6 }')
else
  first_frame="none within 60 s"
fi
# The windows count from the console's start, not from its first frame.
now_us t_now
left_us=$(( FIRST_S * 1000000 - (t_now - t_start) ))
[ "$left_us" -gt 0 ] && sleep "$(awk -v us="$left_us" 'BEGIN { printf "%.3f", us / 1e6 }')"
c1=$(cpu_ticks "$FD_PID"); d1=$(dockerd_ticks)
sleep "$NEXT_S"
c2=$(cpu_ticks "$FD_PID"); d2=$(dockerd_ticks)
hwm=$(mem_mib "$FD_PID" VmHWM)
rss=$(mem_mib "$FD_PID" VmRSS)
tm kill-session -t big

dockerd_pct() { if [ -n "$DOCKERD" ]; then pct "$1" "$2"; else echo "n/a (remote daemon)"; fi; }
echo "first frame with names:   $first_frame"
echo "console CPU, first ${FIRST_S} s:  $(pct "$c1" "$FIRST_S") % of a core   dockerd $(dockerd_pct $(( d1 - d0 )) "$FIRST_S") %"
echo "console CPU, next ${NEXT_S} s:   $(pct $(( c2 - c1 )) "$NEXT_S") % of a core   dockerd $(dockerd_pct $(( d2 - d1 )) "$NEXT_S") %"
echo "console RSS:              peak $hwm MiB, at the end $rss MiB"

echo "== ps: fleetdeck beside docker ($N_RUNNING running of $N_TOTAL)"
AUDIT="$WORK/ps-audit.jsonl"
if command -v hyperfine >/dev/null; then
  hyperfine -N --warmup 1 --runs "$RUNS" \
    "$FD ps --json --audit-file $AUDIT" "docker ps --format json" \
    "$FD ps -a --json --audit-file $AUDIT" "docker ps -a --format json"
else
  # Median wall time of RUNS runs, in ms.
  wall() {
    local i a b times=()
    for i in $(seq 1 "$RUNS"); do
      now_us a
      "$@" >/dev/null
      now_us b
      times+=($(( (b - a) / 1000 )))
    done
    printf '%s\n' "${times[@]}" | sort -n | awk '{ v[NR] = $1 } END { printf "%d ms (median of %d; ", v[int((NR + 1) / 2)], NR }'
    echo "each: ${times[*]})"
  }
  printf '%-36s %s\n' "fleetdeck ps --json" "$(wall "$FD" ps --json --audit-file "$AUDIT")"
  printf '%-36s %s\n' "docker ps --format json" "$(wall docker ps --format json)"
  printf '%-36s %s\n' "fleetdeck ps -a --json" "$(wall "$FD" ps -a --json --audit-file "$AUDIT")"
  printf '%-36s %s\n' "docker ps -a --format json" "$(wall docker ps -a --format json)"
fi
[ "${KEEP:-0}" = 1 ] && echo "== KEEP=1: the fleet stays (label $LABEL); rerun to reuse it"
exit 0
