#!/usr/bin/env bash
# Figures for compose reconcile (issue 11), on the real daemon:
#   - `fleetdeck plan` on an in-sync 50-service, 100-container project: wall time, and the
#     daemon calls it makes, counted by a unix-socket proxy in front of the daemon (python3)
#   - `fleetdeck apply` from empty next to `docker-compose up -d` on the same file, each from
#     empty and cleaned after: wall time each
# Uses the test image (fleetdeck-test-busybox:latest, built from /bin/busybox when missing) and
# the debug binary unless FLEETDECK_BIN names another. Everything it makes is labelled
# fleetdeck.test.run=bench-compose and removed at the end, also on failure.
set -euo pipefail
cd "$(dirname "$0")/.."

BIN=${FLEETDECK_BIN:-target/debug/fleetdeck}
[ -x "$BIN" ] || cargo build --quiet
IMAGE=fleetdeck-test-busybox:latest
P=fdbench
SERVICES=${SERVICES:-50}
REPLICAS=${REPLICAS:-2}
WORK=$(mktemp -d /tmp/fd-bench-compose.XXXXXX)
FILE=$WORK/compose.yaml
LABEL=fleetdeck.test.run=bench-compose

clean() {
  local ids
  ids=$(docker ps -aq --filter "label=com.docker.compose.project=$P")
  [ -z "$ids" ] || docker rm -f $ids >/dev/null
  ids=$(docker network ls -q --filter "label=com.docker.compose.project=$P")
  [ -z "$ids" ] || docker network rm $ids >/dev/null
}
finish() {
  clean
  [ -n "${PROXY_PID:-}" ] && kill "$PROXY_PID" 2>/dev/null || true
  rm -rf "$WORK"
}
trap finish EXIT

if ! docker image inspect "$IMAGE" >/dev/null 2>&1; then
  mkdir -p "$WORK/img" && cp /bin/busybox "$WORK/img/"
  printf 'FROM scratch\nCOPY busybox /bin/busybox\nRUN ["/bin/busybox", "--install", "-s", "/bin"]\nCMD ["/bin/sh"]\n' >"$WORK/img/Dockerfile"
  DOCKER_BUILDKIT=0 docker build -q -t "$IMAGE" "$WORK/img" >/dev/null
fi

{
  echo "services:"
  for i in $(seq 1 "$SERVICES"); do
    cat <<YAML
  s$i:
    image: $IMAGE
    command: ["sleep", "86400"]
    scale: $REPLICAS
    network_mode: none
    labels:
      fleetdeck.test.run: bench-compose
YAML
  done
} >"$FILE"

now() { date +%s.%N; }
secs() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", b - a }'; }
fd() { "$BIN" --audit-file "$WORK/audit.jsonl" -p "$P" -f "$FILE" "$@"; }

# A proxy that forwards to the daemon's socket and logs each request line.
cat >"$WORK/proxy.py" <<'PY'
import os, socket, sys, threading
listen, target, log = sys.argv[1], sys.argv[2], sys.argv[3]
srv = socket.socket(socket.AF_UNIX); srv.bind(listen); srv.listen(64)
lock = threading.Lock()
def pipe(a, b, record):
    buf = b""
    try:
        while True:
            data = a.recv(65536)
            if not data: break
            if record:
                buf = (buf + data)[-4096:]
                for line in data.split(b"\r\n"):
                    w = line.split(b" ")
                    if len(w) == 3 and w[0] in (b"GET", b"POST", b"DELETE", b"PUT", b"HEAD") and w[2].startswith(b"HTTP/"):
                        with lock, open(log, "ab") as f: f.write(w[0] + b" " + w[1].split(b"?")[0] + b"\n")
            b.sendall(data)
    except OSError: pass
    finally:
        for s in (a, b):
            try: s.shutdown(socket.SHUT_RDWR)
            except OSError: pass
def serve(c):
    d = socket.socket(socket.AF_UNIX); d.connect(target)
    threading.Thread(target=pipe, args=(c, d, True), daemon=True).start()
    threading.Thread(target=pipe, args=(d, c, False), daemon=True).start()
while True:
    c, _ = srv.accept(); serve(c)
PY
python3 "$WORK/proxy.py" "$WORK/proxy.sock" /var/run/docker.sock "$WORK/calls.log" &
PROXY_PID=$!
for _ in $(seq 1 50); do [ -S "$WORK/proxy.sock" ] && break; sleep 0.1; done

clean
echo "project: $SERVICES services x $REPLICAS replicas = $((SERVICES * REPLICAS)) containers, busybox sleep, network_mode none"
echo "binary: $BIN; daemon $(docker version --format '{{.Server.Version}}')"

t0=$(now); fd apply >/dev/null 2>"$WORK/apply.err"; t1=$(now)
echo "fleetdeck apply from empty:        $(secs "$t0" "$t1") s ($(grep -o 'done: .*' "$WORK/apply.err"))"

for i in 1 2 3 4 5; do
  t0=$(now); fd plan >"$WORK/plan.out"; t1=$(now)
  times="${times:-}$(secs "$t0" "$t1") "
done
echo "fleetdeck plan, in sync (5 runs):  ${times}s ($(tail -1 "$WORK/plan.out"))"
: >"$WORK/calls.log"
DOCKER_HOST="unix://$WORK/proxy.sock" fd plan >/dev/null
echo "daemon calls of one plan:          $(wc -l <"$WORK/calls.log") ($(sort "$WORK/calls.log" | uniq -c | awk '{printf "%s x %s %s; ", $1, $2, $3}'))"
: >"$WORK/calls.log"
DOCKER_HOST="unix://$WORK/proxy.sock" fd apply >/dev/null 2>&1
echo "daemon calls of an in-sync apply:  $(wc -l <"$WORK/calls.log") ($(sort "$WORK/calls.log" | uniq -c | awk '{printf "%s x %s %s; ", $1, $2, $3}'))"
clean

if command -v docker-compose >/dev/null; then
  t0=$(now); docker-compose -p "$P" -f "$FILE" up -d >/dev/null 2>&1; t1=$(now)
  n=$(docker ps -q --filter "label=com.docker.compose.project=$P" | wc -l)
  echo "docker-compose up -d from empty:   $(secs "$t0" "$t1") s ($n running; $(docker-compose version --short))"
  clean
else
  echo "docker-compose: not installed, no comparison"
fi
