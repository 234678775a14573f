#!/usr/bin/env bash
# The one test command (README): makes a clean machine ready, then runs every test.
#   - tools the tests need: busybox-static (the test image), tmux (end-to-end console tests),
#     openssl and openssh-server (the TLS and ssh host tests)
#   - a Docker daemon answering (starts Debian's dockerd when none does)
#   - leftovers of earlier runs swept (only containers, networks and volumes labelled
#     fleetdeck.test.run)
#   - the layering check (scripts/check-layers.py), cargo fmt --check, clippy -D warnings, then every test (unit, pane snapshots, real daemon,
#     tmux end to end, benches compiled and run once as tests)
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

log "layering check (docs/architecture.md)"
python3 scripts/check-layers.py
log "cargo fmt --check"
cargo fmt --all -- --check
log "cargo clippy"
cargo clippy --all-targets --quiet -- -D warnings
log "cargo test"
cargo test --all-targets --no-fail-fast
