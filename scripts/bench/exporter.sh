#!/usr/bin/env bash
# nsinspect-exporter over N running containers (default 200): DOCKER of
# them (default half) Docker-shaped cgroups, /<parent>/docker/<64 hex>
# with a sleep and a 64 MiB limit, as dockerd makes them, the rest real
# `nsinspect run -d` containers. Scraped every 15 s, then every 1 s, for
# SECONDS each (default 60). Reports the exporter's CPU as % of one core,
# its peak RSS (VmHWM), and the scrape latency's median and p99 (curl's
# time_total), against the targets of docs/exporter.md: < 1 % of a core at
# a 15 s scrape, < 30 MiB RSS, one scrape of 200 containers < 50 ms. The
# first scrape, which reads every container's limits and posture once, is
# reported on its own. All containers are removed at the end. Needs root.
#   scripts/bench/exporter.sh [containers] [seconds] [docker-shaped]
set -euo pipefail
cd "$(dirname "$0")/../.."
n=${1:-200}
secs=${2:-60}
dk=${3:-$((n / 2))}
tmp=$(mktemp -d /tmp/nsinspect-bench-exporter.XXXXXX)
bin="$tmp/nsinspect" exp="$tmp/nsinspect-exporter"
epid=
parent=nsinspect-bench-exporter-$$
cg=/sys/fs/cgroup
if [ -f $cg/cgroup.controllers ]; then ctrls=(.); else ctrls=(memory cpu cpuacct pids blkio); fi
sleepers=()
cleanup() {
  [ -z "$epid" ] || kill "$epid" 2>/dev/null || true
  [ ${#sleepers[@]} -eq 0 ] || kill "${sleepers[@]}" 2>/dev/null || true
  [ ${#sleepers[@]} -eq 0 ] || wait "${sleepers[@]}" 2>/dev/null || true
  for c in "${ctrls[@]}"; do
    [ -d "$cg/$c/$parent" ] && find "$cg/$c/$parent" -depth -type d -exec rmdir {} \; 2>/dev/null || true
  done
  for c in $("$bin" ps -a --format '{{.Name}}' 2>/dev/null | grep '^benchx-' || true); do
    "$bin" rm -f "$c" >/dev/null 2>&1 || true
  done
  "$bin" gc >/dev/null 2>&1 || true
  rm -rf "$tmp"
}
trap cleanup EXIT
CGO_ENABLED=0 go build -o "$bin" ./cmd/nsinspect
CGO_ENABLED=0 go build -o "$exp" ./cmd/nsinspect-exporter
for i in $(seq 1 "$((n - dk))"); do "$bin" run -d --name "benchx-$i" --memory 64m -- sleep 3600 >/dev/null; done
if [ "$ctrls" = . ]; then # v2: the parents must pass the controllers down
  mkdir -p "$cg/$parent/docker"
  echo "+memory +cpu +pids +io" > "$cg/$parent/cgroup.subtree_control"
  echo "+memory +cpu +pids +io" > "$cg/$parent/docker/cgroup.subtree_control"
fi
for i in $(seq 1 "$dk"); do
  id=$(printf '%s' "bench-$$-$i" | sha256sum | cut -c1-64)
  sleep 3600 &
  sleepers+=($!)
  for c in "${ctrls[@]}"; do
    d="$cg/$c/$parent/docker/$id"
    mkdir -p "$d"
    [ "$c" != memory ] || echo $((64 << 20)) > "$d/memory.limit_in_bytes"
    [ "$c" != . ] || echo $((64 << 20)) > "$d/memory.max"
    echo $! > "$d/cgroup.procs"
  done
done

port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
"$exp" --web.listen-address "127.0.0.1:$port" 2>"$tmp/log" &
epid=$!
url="http://127.0.0.1:$port/metrics"
until curl -sf -o /dev/null "http://127.0.0.1:$port/healthz"; do sleep 0.05; done
first=$(curl -s -o "$tmp/first.prom" -w '%{time_total}' "$url")
hz=$(getconf CLK_TCK)
cpu() { awk '{print $14+$15}' "/proc/$epid/stat"; }

phase() { # interval: scrape every $1 s for $secs s
  : > "$tmp/lat"
  local t0 t1 end
  t0=$(cpu)
  end=$((SECONDS + secs))
  while [ "$SECONDS" -lt "$end" ]; do
    curl -s -o /dev/null -w '%{time_total}\n' "$url" >> "$tmp/lat"
    sleep "$1"
  done
  t1=$(cpu)
  sort -n "$tmp/lat" | awk -v a="$t0" -v b="$t1" -v hz="$hz" -v s="$secs" -v i="$1" -v n="$n" '
    { v[NR] = $1 } END {
      p99 = int(NR * 0.99 + 0.999); if (p99 < 1) p99 = 1
      printf "every %s s for %d s over %d containers: CPU %.2f %% of one core; scrape median %.1f ms, p99 %.1f ms (%d scrapes)\n",
        i, s, n, (b - a) / hz / s * 100, v[int((NR + 1) / 2)] * 1000, v[p99] * 1000, NR }'
}
echo "$n containers: $((n - dk)) nsinspect run, $dk Docker-shaped cgroups; $(grep -c '^container_processes{' "$tmp/first.prom") in the first scrape"
echo "first scrape (limits and posture of $n containers read once): $(awk -v t="$first" 'BEGIN { printf "%.0f ms", t * 1000 }'), $(wc -c < "$tmp/first.prom") bytes"
phase 15
phase 1
echo "peak RSS: $(awk '/VmHWM/ { printf "%.1f MiB", $2 / 1024 }' "/proc/$epid/status") (target < 30)"
