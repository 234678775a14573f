#!/usr/bin/env bash
# The one test command (README): makes a clean machine ready, then runs every test.
#   - tools the tests need: busybox-static (the test image), tmux (end-to-end console tests),
#     openssl and openssh-server (the TLS and ssh host tests), man-db (the man page test),
#     podman and runc (the Podman tests: a podman service each starts on its own socket)
#   - a Docker daemon answering (starts Debian's dockerd when none does)
#   - leftovers of earlier runs swept (only containers, networks and volumes labelled
#     fleetdeck.test.run, and second daemons' bridges with that alias that no dockerd uses)
#   - the layering check (scripts/check-layers.py), cargo fmt --check, clippy -D warnings, then every test (unit, pane snapshots, real daemon,
#     tmux end to end, benches compiled and run once as tests)
#   - the tests marked #[ignore = "needs ..."] (a second dockerd or an sshd: root and dockerd;
#     the cgroup files of a local daemon; a Podman service: root and podman) run too (--include-ignored) where this machine has
#     what they need; where it does not, it says which tests it skipped and why, and with CI set
#     (any value) a missing prerequisite fails the run instead.
set -euo pipefail
cd "$(dirname "$0")/.."

log() { printf '== %s\n' "$*" >&2; }
SUDO=""
if [ "$(id -u)" != 0 ] && command -v sudo >/dev/null; then SUDO="sudo"; fi

need_pkgs=()
[ -x /bin/busybox ] || need_pkgs+=(busybox-static)
command -v tmux >/dev/null || need_pkgs+=(tmux)
command -v docker >/dev/null || need_pkgs+=(docker.io)
command -v python3 >/dev/null || need_pkgs+=(python3)
# compose tests compare with docker-compose; the second-daemon test makes its bridge with ip
command -v docker-compose >/dev/null || need_pkgs+=(docker-compose)
command -v ip >/dev/null || need_pkgs+=(iproute2)
# the TLS host test makes its certificates with openssl; the ssh host test runs its own sshd
# (openssh-server brings the ssh client and ssh-keygen)
command -v openssl >/dev/null || need_pkgs+=(openssl)
[ -x /usr/sbin/sshd ] && command -v ssh >/dev/null || need_pkgs+=(openssh-server)
# the man page test renders the page with man -l
command -v man >/dev/null || need_pkgs+=(man-db)
# the Podman tests (tests/podman.rs) start their own podman service, on runc (docker.io's)
command -v podman >/dev/null || need_pkgs+=(podman)
command -v runc >/dev/null || need_pkgs+=(runc)
if [ "${#need_pkgs[@]}" -gt 0 ]; then
  log "installing ${need_pkgs[*]}"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${need_pkgs[@]}" >/dev/null
fi

if ! docker info >/dev/null 2>&1; then
  log "no Docker daemon answers: starting dockerd"
  command -v dockerd >/dev/null || {
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq docker.io >/dev/null
  }
  $SUDO sh -c 'nohup dockerd --bridge=none --iptables=false --ip-forward=false --ip-masq=false \
      >/tmp/fleetdeck-dockerd.log 2>&1 &'
  for _ in $(seq 1 60); do docker info >/dev/null 2>&1 && break; sleep 1; done
  docker info >/dev/null 2>&1 || { log "dockerd did not come up"; tail -20 /tmp/fleetdeck-dockerd.log; exit 1; }
fi
log "daemon: $(docker version --format '{{.Server.Version}} (API {{.Server.APIVersion}})')"

leftovers=$(docker ps -aq --filter label=fleetdeck.test.run)
if [ -n "$leftovers" ]; then
  log "sweeping $(echo "$leftovers" | wc -w) leftover test containers"
  docker rm -f -v $leftovers >/dev/null
fi
for kind in network volume; do
  left=$(docker $kind ls -q --filter label=fleetdeck.test.run)
  if [ -n "$left" ]; then
    log "sweeping $(echo "$left" | wc -w) leftover test ${kind}s"
    docker $kind rm $left >/dev/null || true
  fi
done
# Images the tests built (tests/objects.rs labels them); never the shared test image.
left=$(docker image ls -aq --no-trunc --filter label=fleetdeck.test.run | sort -u)
if [ -n "$left" ]; then
  log "sweeping $(echo "$left" | wc -w) leftover test images"
  docker image rm -f $left >/dev/null 2>&1 || true
fi
# Second daemons' bridges (tests/common/daemon.rs gives each the alias fleetdeck.test.run):
# those that no running dockerd was started with.
sweep_test_bridges() {
  command -v ip >/dev/null || return 0
  local name
  for name in $(ip -o link show type bridge 2>/dev/null | awk -F': ' '{print $2}' | cut -d@ -f1); do
    [ "$(cat "/sys/class/net/$name/ifalias" 2>/dev/null)" = fleetdeck.test.run ] || continue
    if pgrep -f -- "--bridge=$name( |\$)" >/dev/null 2>&1; then continue; fi
    log "sweeping leftover test bridge $name"
    $SUDO ip link del "$name" || true
  done
}
sweep_test_bridges
# Test swarms' network namespaces (tests/common/swarm.rs names them fdswN...) with no process
# left in them, and their DOCKER-USER rules whose bridge is gone.
sweep_test_swarms() {
  command -v ip >/dev/null || return 0
  local ns rule
  for ns in $(ip netns list 2>/dev/null | awk '{print $1}' | grep '^fdsw[0-9]*n[0-9]*$'); do
    [ -z "$(ip netns pids "$ns" 2>/dev/null)" ] || continue
    log "sweeping leftover test swarm namespace $ns"
    $SUDO ip netns del "$ns" || true
  done
  command -v iptables >/dev/null || return 0
  local rules
  # (none found is no failure: grep's status is not the sweep's)
  rules=$(iptables -S DOCKER-USER 2>/dev/null \
    | grep -o -- '-i fdsw[0-9]* -o fdsw[0-9]* -j ACCEPT' | sort -u || true)
  while read -r rule; do
    [ -n "$rule" ] || continue
    set -- $rule
    if [ ! -e "/sys/class/net/$2" ]; then
      $SUDO iptables -D DOCKER-USER $rule || true
    fi
  done <<< "$rules"
}
sweep_test_swarms

# The #[ignore = "needs ..."] tests: what this machine lacks for them (empty: it has it all).
ignored_prereqs() {
  [ "$(id -u)" = 0 ] || echo "root (a second dockerd, an sshd)"
  command -v dockerd >/dev/null || [ -x /usr/sbin/dockerd ] || echo "dockerd (docker.io)"
  [ -x /usr/sbin/sshd ] || echo "sshd (openssh-server)"
  case "${DOCKER_HOST:-unix://}" in
    unix://*) ;;
    *) echo "a daemon on this machine (DOCKER_HOST=$DOCKER_HOST is not unix://)" ;;
  esac
  [ -d /sys/fs/cgroup ] || echo "/sys/fs/cgroup"
  { command -v podman >/dev/null && command -v runc >/dev/null; } || echo "podman and runc (a Podman service of the tests' own)"
  # the swarm tests: each node a dockerd in its own network namespace (tests/common/swarm.rs)
  { command -v nsenter >/dev/null && command -v unshare >/dev/null && command -v iptables >/dev/null \
    && ip netns list >/dev/null 2>&1; } || echo "ip netns, nsenter, unshare and iptables (a test swarm)"
}
# Each ignored test: FILE: NAME (its reason).
list_ignored() {
  find src tests -name '*.rs' -print0 | xargs -0 awk '
    /^[ \t]*#\[ignore = "/ { r = $0; sub(/.*#\[ignore = "/, "", r); sub(/".*/, "", r); want = 1; next }
    want && /fn [A-Za-z0-9_]+/ { n = $0; sub(/.*fn /, "", n); sub(/[^A-Za-z0-9_].*/, "", n);
      printf "   %s: %s (%s)\n", FILENAME, n, r; want = 0 }'
}

log "layering check (docs/architecture.md)"
python3 scripts/check-layers.py
log "cargo fmt --check"
cargo fmt --all -- --check
log "cargo clippy"
cargo clippy --all-targets --quiet -- -D warnings
include_ignored=()
missing=$(ignored_prereqs)
if [ -z "$missing" ]; then
  include_ignored=(-- --include-ignored)
  log "cargo test (with the tests marked #[ignore]: this machine has what they need)"
else
  log "skipping the tests marked #[ignore]: this machine lacks $(echo "$missing" | paste -sd, | sed 's/,/, /g')"
  list_ignored >&2
  if [ -n "${CI:-}" ]; then
    log "CI is set: a missing prerequisite fails the run"
    exit 1
  fi
  log "cargo test (without them)"
fi
cargo test --all-targets --no-fail-fast "${include_ignored[@]}"
