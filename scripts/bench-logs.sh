#!/usr/bin/env bash
# Log streaming against a flood, side by side in one run (figures go in the issue note):
#   `fleetdeck logs -f --tail all` and `docker logs -f`, both attached to one container that
#   floods (`yes some-log-line`) for $SECS seconds (default 30) and then exits.
#   Reported: lines each received (counted with wc -l), the daemon's own count of the log,
#   and the CPU seconds (user + system, from /usr/bin/time) each reader spent.
# `docker logs -f` ends by itself when the container exits; `fleetdeck logs -f` keeps waiting
# for a restart, so once it has gone idle (its CPU time stops growing) it gets SIGINT, on which
# it exits 0.
# Needs: a daemon, the test image (`cargo test --test actions` builds it), /usr/bin/time.
# Labels what it makes (fleetdeck.bench=logs) and removes it.
set -euo pipefail
cd "$(dirname "$0")/.."
IMAGE=fleetdeck-test-busybox:latest
LABEL=fleetdeck.bench=logs
SECS=${SECS:-30}
NAME=fdbench-logs-flood-$$
WORK=$(mktemp -d)
FD_TIME_PID=""
cleanup() {
  if [ -n "$FD_TIME_PID" ] && kill -0 "$FD_TIME_PID" 2>/dev/null; then
    pkill -INT -P "$FD_TIME_PID" 2>/dev/null || true
  fi
  docker ps -aq --filter "label=$LABEL" | xargs -r docker rm -f >/dev/null
  rm -rf "$WORK"
}
trap cleanup EXIT
docker ps -aq --filter "label=$LABEL" | xargs -r docker rm -f >/dev/null
[ -x /usr/bin/time ] || apt-get install -y -qq time >/dev/null
docker image inspect "$IMAGE" >/dev/null || { echo "build the test image first: cargo test --test actions"; exit 1; }
[ -n "${SKIP_BUILD:-}" ] || cargo build --release --quiet
FD=${FD:-./target/release/fleetdeck}
CONFIG=$WORK/config.toml
: >"$CONFIG"

# Waits 2 s so both readers are attached before the first line, floods, exits. Its own log
# options: no rotation during the run (a reader that falls more than the daemon's max-file
# behind would lose lines to rotation, which would measure the daemon's settings, not readers).
docker run -d --name "$NAME" --label "$LABEL" --network none \
  --log-driver json-file --log-opt max-size=8g --log-opt max-file=1 "$IMAGE" \
  sh -c "sleep 2; timeout $SECS yes some-log-line; exit 0" >/dev/null

( /usr/bin/time -f "%U %S" -o "$WORK/fd.time" \
    "$FD" --config "$CONFIG" --audit-file "$WORK/audit.jsonl" logs -f --tail all "$NAME" \
    | wc -l >"$WORK/fd.count" ) &
FD_SUB=$!
( /usr/bin/time -f "%U %S" -o "$WORK/docker.time" docker logs -f "$NAME" 2>&1 \
    | wc -l >"$WORK/docker.count" ) &
DOCKER_SUB=$!
sleep 0.5
FD_TIME_PID=$(pgrep -P "$FD_SUB" -x time || true)

echo "== flooding for ${SECS}s"
docker wait "$NAME" >/dev/null
wait "$DOCKER_SUB"
echo "== docker logs -f done; waiting for fleetdeck logs -f to go idle"
FD_PID=$(pgrep -P "$FD_TIME_PID" || true)
cpu() { awk '{print $14 + $15}' "/proc/$1/stat" 2>/dev/null || echo gone; }
last=""; same=0
while [ -n "$FD_PID" ] && kill -0 "$FD_PID" 2>/dev/null; do
  now=$(cpu "$FD_PID")
  if [ "$now" = "$last" ]; then same=$((same + 1)); else same=0; fi
  last=$now
  [ "$same" -ge 3 ] && break
  sleep 1
done
[ -n "$FD_PID" ] && kill -INT "$FD_PID" 2>/dev/null || true
wait "$FD_SUB" || true

for f in fd docker; do
  # /usr/bin/time puts a line before the figures when the command did not exit 0.
  [ "$(wc -l <"$WORK/$f.time")" -gt 1 ] && echo "$f: $(head -1 "$WORK/$f.time")"
done
daemon_lines=$(docker logs "$NAME" 2>&1 | wc -l)
read -r fd_user fd_sys < <(tail -1 "$WORK/fd.time")
read -r dk_user dk_sys < <(tail -1 "$WORK/docker.time")
fd_lines=$(cat "$WORK/fd.count")
dk_lines=$(cat "$WORK/docker.count")
printf '%-26s %12s %10s %10s %10s\n' reader lines user_s sys_s cpu_s
printf '%-26s %12s %10s %10s %10s\n' "daemon's log (docker logs)" "$daemon_lines" - - -
printf '%-26s %12s %10s %10s %10s\n' "fleetdeck logs -f" "$fd_lines" "$fd_user" "$fd_sys" \
  "$(awk "BEGIN{print $fd_user + $fd_sys}")"
printf '%-26s %12s %10s %10s %10s\n' "docker logs -f" "$dk_lines" "$dk_user" "$dk_sys" \
  "$(awk "BEGIN{print $dk_user + $dk_sys}")"
