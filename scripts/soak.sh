#!/usr/bin/env bash
# Soak: the keeper (`fleetdeck keep`) and the console (in tmux, 200x50) side by side for
# SOAK_MINUTES (default 30) over N (default 200) containers on two daemons, with churn, while
# the daemons are made to misbehave; then the figures and the "nothing lost" checks.
#
# The fleet (everything labelled fleetdeck.soak=RUN and fleetdeck.test.run=RUN, so that
# scripts/test.sh's sweep also finds what a killed soak left):
#   - a compose project the keeper keeps (`keep -f`): `crash` x2 (exits 3 after 2 s: a crash
#     loop the keeper restarts), `flaky` x4 (exits 1 after 25 s; restarted and verified), `web`
#     x KEPT_WEB (a line every 5 s)
#   - on this machine's daemon, plain containers (a line every 10 s) up to N in all
#   - a second dockerd (started here: own socket, data root, exec root and bridge, never
#     --bridge=none; shared/testing/README.md), N_D2 containers, 3 of them crash-looping under
#     `--restart always`
#   - CHURN workers creating, running (2 s) and removing containers until the end
# What happens, at fractions of the run:
#   15 %  the daemon PAUSE_DAEMON (main | second; default main) is stopped (SIGSTOP) for PAUSE_S
#   35 %  the second daemon is SIGKILLed, then started again on the same data root
#   50 %  the store's disk (a STORE_MIB tmpfs holding only the store) is filled with a file,
#         held full for FILL_S, then freed
#   70 %  PAUSE_DAEMON is stopped again for PAUSE_S
# Printed at the end: RSS (start, end, peak) of keeper and console, the keeper's restarts and
# other decisions, containers churned, the daemons' events for the soak's containers (followed
# with `docker events` over the whole run) against the events the store recorded for them,
# what the keeper said about the store on stderr while its disk was full, and the checks:
#   - every daemon event outside the disk-full window is in the store (nothing lost silently;
#     events inside it are counted apart: losing them is expected, saying nothing is not)
#   - every soak container the daemons still have is in the store's containers table
#   - the kept project's crashes were all answered (restart or give-up) but the last of each
#   - keeper and console alive at the end; the keeper exits 0 on SIGTERM
# Pausing the machine's main daemon disturbs everything else using it (tests run in parallel
# included): on a shared machine use PAUSE_DAEMON=second, or give the soak a daemon of its own
# as "main": MAIN_HOST=unix://…/d.sock MAIN_PID=<that dockerd's pid> (own bridge, never
# --bridge=none).
#
# Needs root (a second dockerd, a tmpfs, a bridge), tmux, python3, and the test image
# (cargo test --test actions builds it). Cleans up everything it made, also when interrupted.
# Usage: SOAK_MINUTES=3 PAUSE_DAEMON=second FD=target/release/fleetdeck bash scripts/soak.sh
set -euo pipefail
cd "$(dirname "$0")/.."
IMAGE=fleetdeck-test-busybox:latest
RUN=fdsoak$$
LABEL=fleetdeck.soak=$RUN
MINUTES=${SOAK_MINUTES:-30}
N=${N:-200}
N_D2=${N_D2:-20}
KEPT_WEB=${KEPT_WEB:-10}
CHURN=${CHURN:-2}
PAUSE_DAEMON=${PAUSE_DAEMON:-main}
PAUSE_S=${PAUSE_S:-20}
FILL_S=${FILL_S:-30}
STORE_MIB=${STORE_MIB:-64}
MAIN=${MAIN_HOST:-unix:///var/run/docker.sock}
FD=${FD:-./target/release/fleetdeck}
WORK=$(mktemp -d /tmp/fdsoak.XXXXXX)
D2=$WORK/d2
D2_HOST=unix://$D2/docker.sock
STORE=$WORK/store
BRIDGE=fdsoak$(( $$ % 100000 ))
# shellcheck source=scripts/bench-common.sh
. scripts/bench-common.sh

case "$PAUSE_DAEMON" in main | second) ;; *) echo "PAUSE_DAEMON is main or second"; exit 2 ;; esac
[ "$(id -u)" = 0 ] || { echo "needs root (a second dockerd, a tmpfs, a bridge)"; exit 2; }
FD=$(realpath "$FD" 2>/dev/null || echo "$FD")

log() { printf '== [%4ss] %s\n' "$(( $(date +%s) - ${T0_S:-$(date +%s)} ))" "$*"; }
ns() { date +%s%N; }
PAUSED_PID=""
KEEP_PID=""

soak_cleanup() {
  set +e
  # Never leave a daemon stopped.
  [ -n "$PAUSED_PID" ] && kill -CONT "$PAUSED_PID" 2>/dev/null
  touch "$WORK/stop" "$WORK/stop-events"
  [ -n "$KEEP_PID" ] && kill -TERM "$KEEP_PID" 2>/dev/null && wait "$KEEP_PID" 2>/dev/null
  for f in "$WORK"/events-pid.*; do [ -f "$f" ] && kill "$(cat "$f")" 2>/dev/null; done
  if [ -S "$D2/docker.sock" ]; then
    docker -H "$D2_HOST" ps -aq | xargs -r -n 100 docker -H "$D2_HOST" rm -f >/dev/null 2>&1
  fi
  if [ -f "$D2/docker.pid" ]; then
    kill "$(cat "$D2/docker.pid")" 2>/dev/null
    for _ in $(seq 100); do kill -0 "$(cat "$D2/docker.pid" 2>/dev/null)" 2>/dev/null || break; sleep 0.2; done
  fi
  end_d2_containerd
  [ -n "${SOAK_SAVE:-}" ] && mkdir -p "$SOAK_SAVE" && cp "$STORE"/fleet.db* "$SOAK_SAVE"/ 2>/dev/null
  grep " $WORK" /proc/mounts | cut -d' ' -f2 | sort -r | xargs -r -n1 umount -l
  ip link del "$BRIDGE" 2>/dev/null
  if [ -n "${SOAK_SAVE:-}" ]; then
    mkdir -p "$SOAK_SAVE" && cp -r "$WORK"/events.* "$WORK"/keep.* "$WORK"/phases "$WORK"/fill-window \
      "$WORK"/compare-from "$WORK"/screen.end "$WORK"/d2/dockerd.log "$SOAK_SAVE"/ 2>/dev/null
  fi
  docker network ls -q --filter "label=com.docker.compose.project=$RUN" | xargs -r docker network rm >/dev/null 2>&1
  bench_cleanup
}

# The second daemon's containerd, if it outlived its dockerd (only the process whose command
# line names this soak's dir).
end_d2_containerd() {
  local pid
  pid=$(cat "$D2/exec/containerd/containerd.pid" 2>/dev/null) || return 0
  for _ in $(seq 50); do
    grep -qs "$D2" "/proc/$pid/cmdline" || break
    sleep 0.2
  done
  grep -qs "$D2" "/proc/$pid/cmdline" && kill -9 "$pid" 2>/dev/null
  rm -f "$D2/exec/containerd/"containerd.{pid,sock,sock.ttrpc} "$D2/exec/containerd/containerd-debug.sock" "$D2/docker.pid"
  return 0
}

start_d2() {
  dockerd --config-file "$D2/daemon.json" --host "$D2_HOST" --data-root "$D2/data" \
    --exec-root "$D2/exec" --pidfile "$D2/docker.pid" --bridge="$BRIDGE" \
    --iptables=false --ip-forward=false --ip-masq=false >> "$D2/dockerd.log" 2>&1 &
  disown $!  # its SIGKILL is the soak's doing: no "Killed" job notice
  for _ in $(seq 300); do docker -H "$D2_HOST" info >/dev/null 2>&1 && return 0; sleep 0.2; done
  echo "the second dockerd did not answer"; tail -20 "$D2/dockerd.log"; exit 1
}

# Follows the soak's container events of daemon $1 into file $2, again after each cut (the
# second daemon's kill), from the start of the run (duplicates are dropped later).
follow_events() {
  local host=$1 out=$2 tag=$3
  while [ ! -e "$WORK/stop-events" ]; do
    docker -H "$host" events --since "$T0_S" --filter "label=$LABEL" --filter type=container \
      --format '{{json .}}' >> "$out" 2>/dev/null &
    echo $! > "$WORK/events-pid.$tag"
    wait $! 2>/dev/null || true
    sleep 0.5
  done
}

# A phase NAME from ns FROM to now, plus 10 s for what follows it (reconnects), for the tally
# of events missing from the store.
phase() { echo "$1 $2 $(( $(ns) + 10000000000 ))" >> "$WORK/phases"; }

pause_daemon() {
  local pid
  if [ "$PAUSE_DAEMON" = main ]; then pid=${MAIN_PID:-$(dockerd_pid)}; else pid=$(cat "$D2/docker.pid"); fi
  [ -n "$pid" ] || { log "no $PAUSE_DAEMON dockerd to pause"; return; }
  log "pausing the $PAUSE_DAEMON daemon (pid $pid) for ${PAUSE_S}s"
  PAUSED_PID=$pid
  local from
  from=$(ns)
  kill -STOP "$pid"
  sleep "$PAUSE_S"
  kill -CONT "$pid"
  PAUSED_PID=""
  phase "pause-$PAUSE_DAEMON-$1" "$from"
  log "the $PAUSE_DAEMON daemon runs again"
}

kill_d2() {
  log "SIGKILL to the second daemon"
  local from
  from=$(ns)
  kill -9 "$(cat "$D2/docker.pid")"
  sleep 3
  end_d2_containerd
  start_d2
  phase "d2-killed-and-restarted" "$from"
  log "the second daemon is back (same data root)"
}

fill_store_disk() {
  log "filling the store's disk ($STORE_MIB MiB tmpfs) for ${FILL_S}s"
  local from to
  from=$(ns)
  wc -l < "$WORK/keep.err" > "$WORK/keep.err.at-fill"
  wc -l < "$WORK/keep.jsonl" > "$WORK/keep.jsonl.at-fill"
  dd if=/dev/zero of="$STORE/fill" bs=1M 2>/dev/null || true
  log "store disk: $(df -h --output=avail "$STORE" | tail -1 | tr -d ' ') left"
  sleep "$FILL_S"
  rm -f "$STORE/fill"
  # The writer's next batches land once there is room again.
  sleep 5
  to=$(ns)
  echo "$from $to" > "$WORK/fill-window"
  wc -l < "$WORK/keep.err" > "$WORK/keep.err.after-fill"
  wc -l < "$WORK/keep.jsonl" > "$WORK/keep.jsonl.after-fill"
  log "store disk freed"
}

churn() {
  local w=$1 i=0
  while [ ! -e "$WORK/stop" ]; do
    i=$((i + 1))
    if docker -H "$MAIN" run --rm --network none --label "$LABEL" --label "fleetdeck.test.run=$RUN" \
      --name "$RUN-churn-$w-$i" "$IMAGE" sh -c 'sleep 2' >/dev/null 2>&1; then
      echo >> "$WORK/churned.$w"
    fi
  done
}

trap soak_cleanup EXIT
bench_preflight
command -v python3 >/dev/null || { echo "needs python3"; exit 1; }
T0_S=$(date +%s)
log "soak $RUN: $MINUTES min, $N containers ($N_D2 on a second daemon), pause: $PAUSE_DAEMON, binary $FD"

# The second daemon, with its own bridge (alias: test.sh's sweep finds it if left).
mkdir -p "$D2" "$STORE"
echo '{}' > "$D2/daemon.json"
ip link add "$BRIDGE" type bridge
ip link set "$BRIDGE" alias fleetdeck.test.run
ip addr add "10.233.$(( $$ % 200 + 10 )).1/24" dev "$BRIDGE"
ip link set "$BRIDGE" up
start_d2
docker save "$IMAGE" | docker -H "$D2_HOST" load >/dev/null
mount -t tmpfs -o "size=${STORE_MIB}m" fdsoak-store "$STORE"

# The kept project and the keeper's config.
labels="    labels:
      fleetdeck.soak: \"$RUN\"
      fleetdeck.test.run: \"$RUN\""
cat > "$WORK/compose.yaml" <<EOF
name: $RUN
services:
  crash:
    image: $IMAGE
    command: ["sh", "-c", "sleep 2; exit 3"]
    network_mode: none
    restart: "no"
    scale: 2
$labels
  flaky:
    image: $IMAGE
    command: ["sh", "-c", "echo up; sleep 25; exit 1"]
    network_mode: none
    restart: "no"
    scale: 4
$labels
  web:
    image: $IMAGE
    command: ["sh", "-c", "trap 'exit 0' TERM; while true; do echo tick; sleep 5; done"]
    network_mode: none
    restart: "no"
    scale: $KEPT_WEB
$labels
networks:
  default:
$labels
EOF
cat > "$WORK/keep.toml" <<EOF
[keeper]
restart_budget = 1000
backoff = "1s"
backoff_max = "8s"
window = "1m"
settle = "3s"
verify_timeout = "30s"
reconcile_interval = "30s"
gc_interval = "1m"
EOF
HOSTS=(--host "local=$MAIN" --host "d2=$D2_HOST")
"$FD" --host "local=$MAIN" --config "$WORK/keep.toml" --store "$STORE/fleet.db" \
  --audit-file "$WORK/audit.jsonl" -f "$WORK/compose.yaml" apply > "$WORK/apply.out" 2>&1 \
  || { echo "apply failed:"; cat "$WORK/apply.out"; exit 1; }

# The daemons' events over the run, the keeper, the console.
follow_events "$MAIN" "$WORK/events.main" main &
EXTRA_PIDS+=($!)
follow_events "$D2_HOST" "$WORK/events.d2" d2 &
EXTRA_PIDS+=($!)
"$FD" "${HOSTS[@]}" --config "$WORK/keep.toml" --store "$STORE/fleet.db" \
  --audit-file "$WORK/audit.jsonl" keep -f "$WORK/compose.yaml" --json \
  > "$WORK/keep.jsonl" 2> "$WORK/keep.err" &
KEEP_PID=$!
CONSOLE_PID=$(CONSOLE_FLAGS="${HOSTS[*]} --store $STORE/fleet.db" start_console soak)
wait_screen soak "containers" 60 || { echo "the console did not start:"; tm capture-pane -p -t soak; exit 1; }
# Filtered to the soak's containers (the machine's daemon may hold many others).
tm send-keys -t soak / C-u
tm send-keys -t soak -l "$RUN"
tm send-keys -t soak Enter
wait_screen soak "$RUN-crash-1" 60 || {
  echo "the console showed no soak container in 60 s:"
  tm capture-pane -p -t soak 2>&1 | head -20
  exit 1
}
# Events from here on are compared: the keeper follows both daemons by now.
sleep 5
ns > "$WORK/compare-from"
n_kept=$(( 2 + 4 + KEPT_WEB ))
n_main=$(( N - N_D2 - n_kept ))
log "fleet: $n_kept kept, $n_main plain here, $N_D2 on the second daemon"
seq 1 "$n_main" | xargs -P 8 -I{} docker -H "$MAIN" run -d --network none --label "$LABEL" \
  --label "fleetdeck.test.run=$RUN" --name "$RUN-m-{}" "$IMAGE" \
  sh -c 'trap "exit 0" TERM; while true; do echo tick; sleep 10; done' >/dev/null
seq 1 "$N_D2" | xargs -P 8 -I{} docker -H "$D2_HOST" run -d --network none --label "$LABEL" \
  --label "fleetdeck.test.run=$RUN" --name "$RUN-d2-{}" "$IMAGE" sleep 100000 >/dev/null
for i in 1 2 3; do
  docker -H "$D2_HOST" rm -f "$RUN-d2-$i" >/dev/null
  docker -H "$D2_HOST" run -d --network none --restart always --label "$LABEL" \
    --label "fleetdeck.test.run=$RUN" --name "$RUN-d2-$i" "$IMAGE" sh -c 'sleep 5; exit 2' >/dev/null
done

for w in $(seq 1 "$CHURN"); do
  churn "$w" &
  EXTRA_PIDS+=($!)
done
sleep 10
kill -0 "$KEEP_PID" || { echo "the keeper exited:"; cat "$WORK/keep.err"; exit 1; }
keep_rss0=$(mem_mib "$KEEP_PID" VmRSS)
console_rss0=$(mem_mib "$CONSOLE_PID" VmRSS)
log "running: keeper pid $KEEP_PID ($keep_rss0 MiB), console pid $CONSOLE_PID ($console_rss0 MiB)"

total_s=$(( MINUTES * 60 ))
T_RUN=$(date +%s)
at() { # percent of the run (from the end of the set-up) → wait until then
  local due=$(( T_RUN + total_s * $1 / 100 ))
  local now
  now=$(date +%s)
  [ "$due" -gt "$now" ] && sleep $(( due - now ))
  return 0
}
at 15; pause_daemon 1
at 35; kill_d2
at 50; fill_store_disk
at 70; pause_daemon 2
at 100
touch "$WORK/stop"
log "stopping the churn"
for pid in "${EXTRA_PIDS[@]:2}"; do wait "$pid" 2>/dev/null || true; done
sleep 5

alive_keep=yes; kill -0 "$KEEP_PID" 2>/dev/null || alive_keep=no
alive_console=yes; kill -0 "$CONSOLE_PID" 2>/dev/null || alive_console=no
keep_rss1=$(mem_mib "$KEEP_PID" VmRSS); keep_hwm=$(mem_mib "$KEEP_PID" VmHWM)
console_rss1=$(mem_mib "$CONSOLE_PID" VmRSS); console_hwm=$(mem_mib "$CONSOLE_PID" VmHWM)
tm capture-pane -p -t soak > "$WORK/screen.end" 2>/dev/null || true
# What the daemons still have of the soak's, before the keeper stops.
{ docker -H "$MAIN" ps -aq --no-trunc --filter "label=$LABEL"
  docker -H "$D2_HOST" ps -aq --no-trunc --filter "label=$LABEL"; } > "$WORK/alive.ids"
touch "$WORK/stop-events"
for f in "$WORK"/events-pid.*; do kill "$(cat "$f")" 2>/dev/null || true; done
kill -TERM "$KEEP_PID"
keep_code=0; wait "$KEEP_PID" || keep_code=$?
KEEP_PID=""
log "keeper exited $keep_code"

echo
echo "== soak $RUN: $MINUTES min, $N containers, $CHURN churn workers, paused: $PAUSE_DAEMON"
echo "keeper  RSS: start $keep_rss0 MiB, end $keep_rss1 MiB, peak $keep_hwm MiB; alive at the end: $alive_keep; exit on SIGTERM: $keep_code"
echo "console RSS: start $console_rss0 MiB, end $console_rss1 MiB, peak $console_hwm MiB; alive at the end: $alive_console"
echo "churned: $(cat "$WORK"/churned.* 2>/dev/null | wc -l) containers created, run and removed"
echo "console at the end (first and last lines):"
head -2 "$WORK/screen.end" | sed 's/^/  | /'
tail -2 "$WORK/screen.end" | sed 's/^/  | /'
WORK=$WORK RUN=$RUN KEEP_CODE=$keep_code ALIVE="$alive_keep$alive_console" python3 - <<'PY'
import json, os, sqlite3, sys
w = os.environ["WORK"]
def read(path):
    try:
        with open(path) as f:
            return f.read()
    except OSError:
        return ""
def window(path):
    t = read(path).split()
    return (int(t[0]), int(t[1])) if len(t) == 2 else None
fill = window(f"{w}/fill-window")
compare_from = int(read(f"{w}/compare-from").strip())

# The daemons' events, without the duplicates of each re-follow.
daemon = {}
for host in ("main", "d2"):
    seen = set()
    for line in read(f"{w}/events.{host}").splitlines():
        try:
            e = json.loads(line)
        except ValueError:
            continue
        key = (e.get("id") or e["Actor"]["ID"], e.get("Action", "").split(":")[0].strip(), int(e["timeNano"]))
        if key[2] >= compare_from:
            seen.add(key)
    daemon[host] = seen
ids = {k[0] for s in daemon.values() for k in s}

db = sqlite3.connect(f"file:{w}/store/fleet.db?mode=ro", uri=True)
stored = set()
for cid, action, t in db.execute("SELECT container_id, action, time FROM events"):
    if cid in ids:
        stored.add((cid, action.split(":")[0].strip(), int(t)))
known = {r[0] for r in db.execute("SELECT id FROM containers")}

phases = []
for line in read(f"{w}/phases").splitlines():
    name, a, b = line.split()
    phases.append((name, int(a), int(b)))
def phase_of(t):
    for name, a, b in phases:
        if a <= t <= b:
            return name
    return "none (steady running)"

print("events of the soak's containers once the keeper ran (the daemon's, followed / in the store):")
lost_outside = []
lost_inside = 0
for host, s in daemon.items():
    missing = s - stored
    inside = [k for k in missing if fill and fill[0] <= k[2] <= fill[1]]
    outside = [k for k in missing if k not in inside]
    lost_inside += len(inside)
    lost_outside += outside
    print(f"  {host}: {len(s)} / {len(s & stored)}; missing {len(missing)} "
          f"({len(inside)} while the store's disk was full, {len(outside)} outside that)")
    tally = {}
    for k in outside:
        tally[phase_of(k[2])] = tally.get(phase_of(k[2]), 0) + 1
    for name, count in sorted(tally.items()):
        print(f"    missing during {name}: {count}")

decisions = {}
for line in read(f"{w}/keep.jsonl").splitlines():
    try:
        d = json.loads(line)
    except ValueError:
        continue
    decisions[d.get("decision")] = decisions.get(d.get("decision"), 0) + 1
print("keeper decisions:", ", ".join(f"{k} {v}" for k, v in sorted(decisions.items())))

# Crashes of the kept project (a non-zero die of crash-* or flaky-*) against the keeper's
# answers (restart or give_up); the last crash of each container may still wait its backoff.
kept_dies = [k for k in daemon["main"] if k[1] == "die"]
names = {}
for line in read(f"{w}/events.main").splitlines():
    try:
        e = json.loads(line)
    except ValueError:
        continue
    names[e.get("id")] = e.get("Actor", {}).get("Attributes", {}).get("name", "")
run = os.environ["RUN"]
crash_ids = {i for i, n in names.items() if n.startswith(f"{run}-crash-") or n.startswith(f"{run}-flaky-")}
crashes = sum(1 for k in kept_dies if k[0] in crash_ids)
answers = decisions.get("restart", 0) + decisions.get("give_up", 0)
print(f"kept project: {crashes} crashes, {decisions.get('restart', 0)} restarts, "
      f"{decisions.get('restarted', 0)} restarted, {decisions.get('verified', 0)} verified, "
      f"{decisions.get('give_up', 0)} give-ups")

def lines_between(name):
    text = read(f"{w}/{name}").splitlines()
    a = int(read(f"{w}/{name}.at-fill").strip() or 0)
    b = int(read(f"{w}/{name}.after-fill").strip() or 0)
    return text, [l for l in text[a:b] if "store" in l.lower()]
err, said_err = lines_between("keep.err")
out, said_out = lines_between("keep.jsonl")
said = said_err + said_out
print(f"keeper: {len(err)} lines on stderr, {len(out)} decisions on stdout; "
      f"about the store while its disk was full: {len(said)}")
for l in said[:2]:
    print("  |", l[:200])
for l in [l for l in err + out if "store" in l.lower()][:3]:
    print("  any time |", l[:200])

alive = set(read(f"{w}/alive.ids").split())
unknown = alive - known
checks = [
    ("every daemon event outside the disk-full window is in the store", not lost_outside),
    ("every soak container the daemons still have is in the store", not unknown),
    ("every crash of the kept project answered (but the last of each)", answers >= crashes - len(crash_ids)),
    ("keeper and console alive at the end", os.environ["ALIVE"] == "yesyes"),
    ("the keeper exits 0 on SIGTERM", os.environ["KEEP_CODE"] == "0"),
    ("the keeper said so while the store's disk was full", bool(said) or lost_inside == 0),
]
print("nothing lost:")
for what, ok in checks:
    print(f"  {'ok  ' if ok else 'FAIL'} {what}")
for k in sorted(lost_outside)[:5]:
    print("    lost:", k)
for i in sorted(unknown)[:5]:
    print("    not in the store:", i)
sys.exit(0 if all(ok for _, ok in checks) else 1)
PY
