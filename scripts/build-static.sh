#!/usr/bin/env bash
# Builds ONE static fleetdeck binary, to copy to a server that has no Rust toolchain, then
# checks it:
#   - musl (TARGET ARCH-unknown-linux-musl) where that target is installed
#     (`rustup target add x86_64-unknown-linux-musl`), else glibc with
#     `-C target-feature=+crt-static` (ARCH-unknown-linux-gnu: nothing to install)
#   - `ldd` (and `file`, where installed) say it is static
#   - copied alone into an empty temp directory and run there with an empty environment
#     (PATH, HOME in that directory, DOCKER_HOST passed on if set): `--version`, and `ps`
#     against the local daemon (skipped, said, with NO_DAEMON=1)
# Prints the binary's path, size and the checks' results; exits non-zero if a check fails.
#
#   bash scripts/build-static.sh            # -> dist/fleetdeck-VERSION-TARGET
#   TARGET=x86_64-unknown-linux-gnu bash scripts/build-static.sh   # force glibc
#
# Notes on the glibc build: the static binary still loads NVML (the GPU pane) with dlopen,
# which needs the machine's libnvidia-ml at run time, as the dynamic binary does; user and
# group names come from /etc/passwd and /etc/group (glibc's built-in files backend).
set -euo pipefail
cd "$(dirname "$0")/.."

log() { printf '== %s\n' "$*" >&2; }
fail() { printf 'FAILED: %s\n' "$*" >&2; exit 1; }

host=$(rustc -vV | sed -n 's/^host: //p')
arch=${host%%-*}
musl="$arch-unknown-linux-musl"
if [ -z "${TARGET:-}" ]; then
  if command -v rustup >/dev/null && rustup target list --installed 2>/dev/null | grep -qx "$musl"; then
    TARGET=$musl
  else
    TARGET="$arch-unknown-linux-gnu"
  fi
fi
case "$TARGET" in
  *-musl) static_flags="-C target-feature=+crt-static" ;; # musl's default, said anyway
  *-gnu) static_flags="-C target-feature=+crt-static" ;;
  *) fail "TARGET=$TARGET: only *-linux-musl and *-linux-gnu are supported" ;;
esac

version=$(sed -n 's/^version = "\(.*\)"/\1/p' Cargo.toml | head -1)
log "building fleetdeck $version for $TARGET ($static_flags)"
# --target keeps RUSTFLAGS off build scripts and proc macros (a static proc macro cannot load).
RUSTFLAGS="${RUSTFLAGS:-} $static_flags" \
  cargo build --release --locked --target "$TARGET" --bin fleetdeck
built="target/$TARGET/release/fleetdeck"
[ -x "$built" ] || fail "no binary at $built"
mkdir -p dist
bin="dist/fleetdeck-$version-$TARGET"
cp "$built" "$bin"
strip "$bin" 2>/dev/null || log "strip not available: the binary keeps its symbols"

checks=0
ok() { printf 'ok: %s\n' "$*"; checks=$((checks + 1)); }

# ldd: "not a dynamic executable" (static) or "statically linked" (static-pie).
ldd_says=$(ldd "$bin" 2>&1 || true)
case "$ldd_says" in
  *"not a dynamic executable"* | *"statically linked"*) ok "ldd: $(echo "$ldd_says" | head -1 | sed 's/^[[:space:]]*//')" ;;
  *) fail "ldd lists shared libraries:
$ldd_says" ;;
esac
if command -v file >/dev/null; then
  file_says=$(file -b "$bin")
  case "$file_says" in
    *"statically linked"* | *"static-pie linked"*) ok "file: ${file_says%%,*}, $(echo "$file_says" | grep -o 'stat[a-z-]* linked')" ;;
    *) fail "file says: $file_says" ;;
  esac
fi

# Alone in an empty directory, with an empty environment.
empty=$(mktemp -d)
trap 'rm -rf "$empty"' EXIT
cp "$bin" "$empty/fleetdeck"
run_alone() {
  (cd "$empty" && env -i PATH=/usr/bin:/bin HOME="$empty/home" \
    ${DOCKER_HOST:+DOCKER_HOST="$DOCKER_HOST"} ./fleetdeck "$@")
}
said=$(run_alone --version) || fail "--version from an empty directory"
case "$said" in
  *"$version"*) ok "--version from an empty directory: $said" ;;
  *) fail "--version says '$said', not $version" ;;
esac
if [ -n "${NO_DAEMON:-}" ]; then
  log "NO_DAEMON set: ps against the daemon not checked"
else
  listed=$(run_alone ps --json) || fail "ps --json against the local daemon (exit $?)"
  rows=$(printf '%s' "$listed" | python3 -c 'import json,sys; print(len(json.load(sys.stdin)))' 2>/dev/null) \
    || fail "ps --json printed no JSON list: $(printf '%s' "$listed" | head -c 300)"
  [ "$(run_alone ps | wc -l)" -ge 1 ] || fail "ps printed nothing"
  ok "ps against the local daemon from an empty directory: $rows containers"
fi

size=$(stat -c %s "$bin")
printf '%s: %s bytes (%s MiB), %s checks passed\n' "$bin" "$size" \
  "$(awk -v s="$size" 'BEGIN { printf "%.1f", s / 1048576 }')" "$checks"
