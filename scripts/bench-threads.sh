#!/usr/bin/env bash
# The console's CPU per thread (event loop, runtime workers, cgroup sampler, vitals watch,
# audit writer): the console in tmux 200x50 over whatever the daemon runs, each thread's
# utime+stime ticks over SECONDS_IDLE once settled, and the total as a share of one core.
# Usage: FD=path/to/fleetdeck SECONDS_IDLE=60 scripts/bench-threads.sh
set -euo pipefail
FD=${FD:-./target/release/fleetdeck}
T=${SECONDS_IDLE:-60}
WORK=$(mktemp -d)
S="$WORK/tmux.sock"
trap 'tmux -S "$S" kill-server 2>/dev/null || true; rm -rf "$WORK"' EXIT
: > "$WORK/config.toml"
tmux -S "$S" new-session -d -s threads -x 200 -y 50 \
  "exec $FD --config $WORK/config.toml --audit-file $WORK/audit.jsonl"
pid=$(tmux -S "$S" display -p -t threads '#{pane_pid}')
sleep 8
snap() {
  for t in /proc/"$pid"/task/*; do
    echo "$(basename "$t") $(tr ' ' _ < "$t/comm") $(awk '{print $14+$15}' "$t/stat")"
  done
}
snap | sort > "$WORK/a"
sleep "$T"
snap | sort > "$WORK/b"
tck=$(getconf CLK_TCK)
join "$WORK/a" "$WORK/b" | awk -v T="$T" -v tck="$tck" '{ d = $5 - $3; tot += d
    printf "%-8s %-20s %d ticks\n", $1, $2, d }
  END { printf "total %d ticks in %d s = %.3f %% of a core\n", tot, T, 100 * tot / tck / T }'
