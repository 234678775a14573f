#!/bin/bash
# Figures for the host views (scripts/bench-objects.sh, FD=binary): the disk-usage call with 5,000 containers and 200 images, and the
# console's idle CPU with the images view open. Everything made carries the label below and
# is removed at the end.
set -u
L="fleetdeck.test.run=hhost-fig-$$"
BIN=${FD:-./target/release/fleetdeck}
IMG=fleetdeck-test-busybox:latest
WORK=$(mktemp -d); cd "$WORK"
log() { echo "[$(date -u +%T)] $*"; }
log "building 200 images"
seq 1 200 | xargs -P 4 -I{} sh -c "printf 'FROM $IMG\nRUN echo {} > /n\n' | DOCKER_BUILDKIT=0 docker build -q -t hhost-fig-{}:latest --label $L - >/dev/null"
log "images now: $(docker images -aq | wc -l)"
log "creating 5000 containers"
seq 1 5000 | xargs -P 8 -I{} docker create --label "$L" --network none $IMG true >/dev/null
log "containers now: $(docker ps -aq | wc -l)"
for i in 1 2 3; do
  s=$(date +%s.%N); $BIN df --json >/dev/null; e=$(date +%s.%N)
  echo "fleetdeck df --json: $(echo "$e - $s" | bc) s"
done
for i in 1 2 3; do
  s=$(date +%s.%N); curl -s --unix-socket /var/run/docker.sock http://localhost/v1.41/system/df >/dev/null; e=$(date +%s.%N)
  echo "raw GET /system/df: $(echo "$e - $s" | bc) s"
done
for i in 1 2 3; do
  s=$(date +%s.%N); $BIN images --json >/dev/null; e=$(date +%s.%N)
  echo "fleetdeck images --json (list calls only): $(echo "$e - $s" | bc) s"
done
log "console idle CPU with :images open"
tmux -L hhostfig kill-server 2>/dev/null
tmux -L hhostfig new-session -d -s fig -x 200 -y 50
mkdir -p $WORK/xdg
tmux -L hhostfig send-keys -t fig "exec env XDG_CONFIG_HOME=$WORK/xdg $BIN --audit-file $WORK/audit.jsonl" Enter
sleep 15
tmux -L hhostfig send-keys -t fig ":" ; sleep 0.5; tmux -L hhostfig send-keys -t fig "images" Enter
sleep 20
PID=$(tmux -L hhostfig display -p -t fig '#{pane_pid}')
tmux -L hhostfig capture-pane -p -t fig | head -8
t() { awk '{print $14+$15}' /proc/$PID/stat; }
a=$(t); sleep 30; b=$(t)
TCK=$(getconf CLK_TCK)
echo "console pid $PID: $(( b - a )) ticks in 30 s = $(echo "scale=3; ($b - $a) * 100 / $TCK / 30" | bc) % CPU (debug build); RSS $(awk '/VmRSS/{print $2" kB"}' /proc/$PID/status)"
tmux -L hhostfig kill-server
log "removing"
docker ps -aq --filter label=$L | xargs -r -n 200 -P 4 docker rm -f >/dev/null
docker images -q --filter label=$L | sort -u | xargs -r docker rmi -f >/dev/null
log "left: containers $(docker ps -aq --filter label=$L | wc -l), images $(docker images -aq --filter label=$L | wc -l)"
