#!/usr/bin/env bash
# Times `nsinspect pid <pid> --json` against `lsns -p <pid>` (util-linux) as
# whole processes in one hyperfine run, on a process in new pid, net, uts,
# ipc and mnt namespaces, and reports both medians, their ratio and
# nsinspect's peak RSS. Needs root (unshare) and hyperfine.
#   scripts/bench/pid.sh [runs] [extra-processes]
# lsns reads every process's namespace links, so its time grows with the
# host's processes while nsinspect's start-up does not: extra-processes
# (default 0) sleeping processes are started on the host first, to measure
# a busy host (2000 was the machine the goal was set on), and killed after.
set -euo pipefail
cd "$(dirname "$0")/../.."
runs=${1:-200}
extra=${2:-0}
command -v hyperfine >/dev/null || { echo "needs hyperfine (apt-get install hyperfine)" >&2; exit 2; }

tmp=$(mktemp -d /tmp/nsinspect-bench.XXXXXX)
target=""
sleepers=()
cleanup() {
  [ -n "$target" ] && kill -9 "$target" 2>/dev/null || true
  [ ${#sleepers[@]} -eq 0 ] || kill -9 "${sleepers[@]}" 2>/dev/null || true
  rm -rf "$tmp"
}
trap cleanup EXIT

# Static, as the README installs it: no libc start-up (see README "Install").
CGO_ENABLED=0 go build -o "$tmp/nsinspect" ./cmd/nsinspect
unshare --fork --pid --net --uts --ipc --mount --mount-proc sleep 600 &
for _ in $(seq 50); do
  target=$(pgrep -P $! sleep || true)
  [ -n "$target" ] && break
  sleep 0.05
done
[ -n "$target" ] || { echo "target did not start" >&2; exit 1; }

for _ in $(seq "$extra"); do
  sleep 3600 &
  sleepers+=($!)
done
procs=$(ls /proc | grep -c '^[0-9]')

hyperfine -N --warmup 20 --runs "$runs" --export-json "$tmp/h.json" \
  -n "nsinspect pid --json" "$tmp/nsinspect pid $target --json" \
  -n "lsns -p" "lsns -p $target" >&2

rss=$( { /usr/bin/time -f '%M' "$tmp/nsinspect" pid "$target" --json >/dev/null; } 2>&1 | tail -1)
echo "processes on the host     $procs"
jq -r --arg rss "$rss" '
  (.results[] | select(.command=="nsinspect pid --json") | .median) as $n |
  (.results[] | select(.command=="lsns -p") | .median) as $l |
  "nsinspect pid --json median \($n*1000 | .*100|round/100) ms\nlsns -p median          \($l*1000 | .*100|round/100) ms\nratio nsinspect/lsns    \($n/$l | .*100|round/100)  (target <= 0.5)\nnsinspect peak RSS      \($rss|tonumber/1024 | .*10|round/10) MiB (target < 20)"' "$tmp/h.json"
