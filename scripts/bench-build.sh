#!/usr/bin/env bash
# Figures for compose build (issue 20): a build of a ${SIZE_MB:-200} MB context (random data in
# 1 MiB files, so nothing compresses or dedups) through `fleetdeck apply --build` next to
# `DOCKER_BUILDKIT=0 docker build` of the same context, each measured by /usr/bin/time -v:
# wall time and peak RSS of the client process (fleetdeck streams the context as a tar through a
# bounded channel, so its peak RSS must not grow with the context). The Dockerfile copies one
# small file, so both times are dominated by sending the context. Uses the test image
# (fleetdeck-test-busybox:latest) and the debug binary unless FLEETDECK_BIN names another
# (use a release binary for times: cargo build --release; FLEETDECK_BIN=target/release/fleetdeck).
# Removes the context, the project's container and both images at the end, also on failure.
set -euo pipefail
cd "$(dirname "$0")/.."

BIN=${FLEETDECK_BIN:-target/debug/fleetdeck}
[ -x "$BIN" ] || cargo build --quiet
IMAGE=fleetdeck-test-busybox:latest
SIZE_MB=${SIZE_MB:-200}
P=fdbenchbuild
WORK=$(mktemp -d /tmp/fd-bench-build.XXXXXX)
CTX=$WORK/ctx

docker image inspect "$IMAGE" >/dev/null 2>&1 \
  || { echo "build the test image first: cargo test --test actions"; exit 1; }

finish() {
  local ids
  ids=$(docker ps -aq --filter "label=com.docker.compose.project=$P")
  [ -z "$ids" ] || docker rm -f -v $ids >/dev/null
  docker rmi -f "$P-app" "$P-docker" >/dev/null 2>&1 || true
  rm -rf "$WORK"
}
trap finish EXIT

mkdir -p "$CTX/data"
for i in $(seq 1 "$SIZE_MB"); do
  head -c 1048576 /dev/urandom > "$CTX/data/blob-$i"
done
echo hello > "$CTX/small.txt"
printf 'FROM %s\nCOPY small.txt /small.txt\n' "$IMAGE" > "$CTX/Dockerfile"
cat > "$WORK/compose.yaml" <<YAML
services:
  app:
    build: ./ctx
    command: ["true"]
    network_mode: none
YAML

# /usr/bin/time -v output → "wall_s rss_mib"
measure() {
  awk -F': ' '
    /Elapsed \(wall clock\)/ { n = split($2, t, ":"); s = 0; for (i = 1; i <= n; i++) s = s * 60 + t[i]; wall = s }
    /Maximum resident set size/ { rss = $2 / 1024 }
    END { printf "%.2f %.1f\n", wall, rss }' "$1"
}

echo "context: $(du -sh "$CTX" | cut -f1) in $(find "$CTX" -type f | wc -l) files"
/usr/bin/time -v "$BIN" --audit-file "$WORK/audit.jsonl" -f "$WORK/compose.yaml" -p "$P" \
  apply --build >"$WORK/fd.out" 2>"$WORK/fd.time" || { cat "$WORK/fd.out" "$WORK/fd.time"; exit 1; }
read -r FD_WALL FD_RSS < <(measure "$WORK/fd.time")
DOCKER_BUILDKIT=0 /usr/bin/time -v docker build -q -t "$P-docker" "$CTX" \
  >"$WORK/docker.out" 2>"$WORK/docker.time" || { cat "$WORK/docker.time"; exit 1; }
read -r DK_WALL DK_RSS < <(measure "$WORK/docker.time")

printf '%-44s %8s %14s\n' "client" "wall s" "peak RSS MiB"
printf '%-44s %8s %14s\n' "fleetdeck apply --build ($(basename "$BIN"))" "$FD_WALL" "$FD_RSS"
printf '%-44s %8s %14s\n' "DOCKER_BUILDKIT=0 docker build" "$DK_WALL" "$DK_RSS"
