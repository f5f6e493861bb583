#!/usr/bin/env bash
# Times `nsinspect pid <pid> --json` against `lsns -p <pid>` (util-linux) as
# whole processes in one hyperfine run, on a process in new pid, net, uts,
# ipc and mnt namespaces, and reports both medians, their ratio and
# nsinspect's peak RSS. Needs root (unshare) and hyperfine.
#   scripts/bench/pid.sh [runs]
set -euo pipefail
cd "$(dirname "$0")/../.."
runs=${1:-200}
command -v hyperfine >/dev/null || { echo "needs hyperfine (apt-get install hyperfine)" >&2; exit 2; }

tmp=$(mktemp -d /tmp/nsinspect-bench.XXXXXX)
target=""
cleanup() {
  [ -n "$target" ] && kill -9 "$target" 2>/dev/null || true
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

hyperfine -N --warmup 20 --runs "$runs" --export-json "$tmp/h.json" \
  -n "nsinspect pid --json" "$tmp/nsinspect pid $target --json" \
  -n "lsns -p" "lsns -p $target" >&2

rss=$( { /usr/bin/time -f '%M' "$tmp/nsinspect" pid "$target" --json >/dev/null; } 2>&1 | tail -1)
jq -r --arg rss "$rss" '
  (.results[] | select(.command=="nsinspect pid --json") | .median) as $n |
  (.results[] | select(.command=="lsns -p") | .median) as $l |
  "nsinspect pid --json median \($n*1000 | .*100|round/100) ms\nlsns -p median          \($l*1000 | .*100|round/100) ms\nratio nsinspect/lsns    \($n/$l | .*100|round/100)  (target <= 0.5)\nnsinspect peak RSS      \($rss|tonumber/1024 | .*10|round/10) MiB (target < 20)"' "$tmp/h.json"
