#!/usr/bin/env bash
# 1. Times `nsinspect stats --no-stream` (two samples 500 ms apart, one
#    table) over 50 running containers, end to end (target <= 0.6 s).
# 2. Streams `nsinspect stats` over 200 containers at the default 1 s
#    interval for 30 s and measures its own CPU time (target < 2 % of one
#    core).
# The containers are real `nsinspect run -d` containers (sleep); all are
# removed at the end. Needs root and hyperfine.
#   scripts/bench/stats.sh [small] [large] [seconds]
set -euo pipefail
cd "$(dirname "$0")/../.."
small=${1:-50}
large=${2:-200}
secs=${3:-30}
command -v hyperfine >/dev/null || { echo "needs hyperfine" >&2; exit 2; }

tmp=$(mktemp -d /tmp/nsinspect-bench-stats.XXXXXX)
bin="$tmp/nsinspect"
cleanup() {
  for n in $("$bin" ps -a --format '{{.Name}}' 2>/dev/null | grep '^bench-' || true); do
    "$bin" rm -f "$n" >/dev/null 2>&1 || true
  done
  "$bin" gc >/dev/null 2>&1 || true
  rm -rf "$tmp"
}
trap cleanup EXIT
CGO_ENABLED=0 go build -o "$bin" ./cmd/nsinspect

start() { # start containers bench-$1 .. bench-$2
  for i in $(seq "$1" "$2"); do "$bin" run -d --name "bench-$i" --memory 64m -- sleep 3600 >/dev/null; done
}

start 1 "$small"
hyperfine -N --warmup 1 --runs 10 --export-json "$tmp/h.json" -n "stats --no-stream ($small)" "$bin stats --no-stream" >&2
nostream=$(jq '.results[0].median * 1000' "$tmp/h.json")

start $((small + 1)) "$large"
"$bin" stats > /dev/null &
spid=$!
sleep 2 # past the start-up and the first discovery
t0=$(awk '{print $14+$15}' "/proc/$spid/stat")
sleep "$secs"
t1=$(awk '{print $14+$15}' "/proc/$spid/stat")
kill "$spid"; wait "$spid" || true
hz=$(getconf CLK_TCK)
echo "stats --no-stream over $small containers: median $(printf %.0f "$nostream") ms (target <= 600)"
awk -v a="$t0" -v b="$t1" -v hz="$hz" -v s="$secs" -v n="$large" 'BEGIN {
  cpu = (b - a) / hz; printf "stats streaming %d containers at 1 s for %d s: %.2f s CPU = %.2f %% of one core (target < 2)\n", n, s, cpu, cpu / s * 100 }'
