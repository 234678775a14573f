#!/usr/bin/env bash
# How long after a container writes a line it reaches the reader, side by side in one run:
#   `docker logs -f` and `fleetdeck logs -f` (each read through a pipe), and — in a private tmux
#   server — `docker logs -f` and the console's logs pane, each pane's screen polled with
#   `tmux capture-pane` (the console redraws only the cells that change, so its output bytes do
#   not hold whole lines; the screen does). The poll costs a few ms: the pane figures are
#   "shown within", comparable with each other, not with the pipes.
# The container prints `tick SECONDS.MICROS` every 200 ms, the time read inside it (busybox
# `adjtimex`: the host's clock, one kernel); a reader stamps each tick on arrival. Reported per
# reader: ticks seen, median, p90 and max latency in ms.
# Then a flood (`SECS` s of `yes`, scripts/bench-logs.sh) can be run for the throughput side:
# `SKIP_BUILD=1 bash scripts/bench-logs.sh`.
# Needs: a daemon, the test image (`cargo test --test actions` builds it), tmux, python3.
# Env: TICKS (default 100), FD (default ./target/release/fleetdeck; built when missing).
set -euo pipefail
cd "$(dirname "$0")/.."
IMAGE=fleetdeck-test-busybox:latest
LABEL=fleetdeck.bench=log-latency
TICKS=${TICKS:-100}
FD=${FD:-./target/release/fleetdeck}
NAME=fdbench-latency-$$
WORK=$(mktemp -d)
SOCK=$WORK/tmux.sock
PIDS=()
tm() { tmux -S "$SOCK" "$@"; }
cleanup() {
  for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
  tm kill-server 2>/dev/null || true
  docker ps -aq --filter "label=$LABEL" | xargs -r docker rm -f >/dev/null
  rm -rf "$WORK"
}
trap cleanup EXIT
docker ps -aq --filter "label=$LABEL" | xargs -r docker rm -f >/dev/null
docker image inspect "$IMAGE" >/dev/null || { echo "build the test image first: cargo test --test actions"; exit 1; }
[ -x "$FD" ] || cargo build --release --quiet
command -v tmux >/dev/null || { echo "needs tmux"; exit 1; }
: >"$WORK/config.toml"

# The screen poller: a tmux pane's screen, read in a loop; a tick's latency when it first shows.
cat >"$WORK/screen.py" <<'PY'
import re, subprocess, sys, time
sock, target, out_path = sys.argv[1:4]
pat = re.compile(r"tick (\d+)\.(\d{6})")
seen = set()
with open(out_path, "w") as out:
    while True:
        r = subprocess.run(["tmux", "-S", sock, "capture-pane", "-p", "-t", target],
                           capture_output=True, text=True)
        now = time.time()
        if r.returncode != 0:
            break
        for m in pat.finditer(r.stdout):
            if m.group(0) in seen:
                continue
            seen.add(m.group(0))
            t = int(m.group(1)) + int(m.group(2)) / 1e6
            out.write("%.3f\n" % ((now - t) * 1000)); out.flush()
PY

# The stamper: reads bytes as they come, finds `tick S.U`, writes the latency in ms per tick.
cat >"$WORK/stamp.py" <<'PY'
import os, re, sys, time
src = sys.argv[1]
fd = os.open(src, os.O_RDONLY) if src != "-" else sys.stdin.fileno()
pat = re.compile(rb"tick (\d+)\.(\d{6})")
seen = set(); buf = b""
with open(sys.argv[2], "w") as out:
    while True:
        chunk = os.read(fd, 65536)
        now = time.time()
        if not chunk:
            if src == "-":
                break
            time.sleep(0.0005)
            continue
        buf = (buf + chunk)[-4096:]
        for m in pat.finditer(buf):
            key = m.group(0)
            if key in seen:
                continue
            seen.add(key)
            t = int(m.group(1)) + int(m.group(2)) / 1e6
            out.write("%.3f\n" % ((now - t) * 1000)); out.flush()
        buf = buf[-32:]
PY

docker run -d --name "$NAME" --label "$LABEL" --network none "$IMAGE" sh -c \
  'sleep 3; while true; do echo "tick $(adjtimex | awk "/tv_sec/{s=\$2} /tv_usec/{u=\$2} END{printf \"%d.%06d\", s, u}")"; sleep 0.2; done' >/dev/null

# Through pipes.
docker logs -f --tail 0 "$NAME" 2>&1 | python3 -u "$WORK/stamp.py" - "$WORK/docker-pipe.ms" &
PIDS+=($!)
"$FD" --config "$WORK/config.toml" --audit-file "$WORK/audit.jsonl" logs -f --tail 0 "$NAME" \
  | python3 -u "$WORK/stamp.py" - "$WORK/fleetdeck-pipe.ms" &
PIDS+=($!)

# In tmux panes: docker logs -f, and the console's logs pane.
tm new-session -d -x 200 -y 50 -s docker "docker logs -f --tail 0 $NAME"
tm new-session -d -x 200 -y 50 -s console \
  "XDG_CONFIG_HOME=$WORK XDG_STATE_HOME=$WORK $FD --config $WORK/config.toml --audit-file $WORK/audit.jsonl"
for _ in $(seq 1 100); do tm capture-pane -p -t console | grep -q "q quit" && break; sleep 0.1; done
tm send-keys -t console / C-u
tm send-keys -t console -l "$NAME"
tm send-keys -t console Enter
for _ in $(seq 1 100); do tm capture-pane -p -t console | grep -q "│›" && break; sleep 0.1; done
tm send-keys -t console l
python3 -u "$WORK/screen.py" "$SOCK" docker "$WORK/docker-pane.ms" & PIDS+=($!)
python3 -u "$WORK/screen.py" "$SOCK" console "$WORK/console-pane.ms" & PIDS+=($!)

echo "== $TICKS ticks, one every 200 ms"
for _ in $(seq 1 $((TICKS * 2 + 40))); do
  n=$( (wc -l <"$WORK/fleetdeck-pipe.ms") 2>/dev/null || echo 0)
  [ "$n" -ge "$TICKS" ] && break
  sleep 0.1
done
sleep 0.5
printf '%-22s %6s %9s %9s %9s\n' reader ticks median_ms p90_ms max_ms
for r in docker-pipe fleetdeck-pipe docker-pane console-pane; do
  python3 - "$WORK/$r.ms" "$r" "$TICKS" <<'PY'
import sys
xs = [float(l) for l in open(sys.argv[1]) if l.strip()][:int(sys.argv[3])]
xs.sort()
if not xs:
    print("%-22s %6d %9s %9s %9s" % (sys.argv[2], 0, "-", "-", "-")); sys.exit()
q = lambda p: xs[min(len(xs) - 1, int(p * len(xs)))]
print("%-22s %6d %9.2f %9.2f %9.2f" % (sys.argv[2], len(xs), q(0.5), q(0.9), xs[-1]))
PY
done
