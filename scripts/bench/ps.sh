#!/usr/bin/env bash
# Starts about 2,000 processes in a few dozen namespace groups, each in a
# cgroup of its own shaped like a Docker container's, times
# `nsinspect ps --all` against `lsns` as whole processes in one hyperfine
# run, and cleans everything up. Needs root, hyperfine, unshare, jq.
#   scripts/bench/ps.sh [groups] [processes-per-group] [runs]
set -euo pipefail
cd "$(dirname "$0")/../.."
groups=${1:-30}
per=${2:-66}
runs=${3:-30}
for t in hyperfine unshare jq; do command -v $t >/dev/null || { echo "needs $t" >&2; exit 2; }; done

tmp=$(mktemp -d /tmp/nsinspect-bench-ps.XXXXXX)
parent=nsinspect-bench-ps
cgdirs=()
for c in memory pids; do
  [ -d /sys/fs/cgroup/$c ] && cgdirs+=(/sys/fs/cgroup/$c/$parent)
done
[ ${#cgdirs[@]} -eq 0 ] && cgdirs=(/sys/fs/cgroup/$parent)   # cgroup v2

cleanup() {
  # Every process of a group is in its cgroup: SIGKILL them all there
  # (killing unshare alone would leave its child, the namespace's init).
  for d in "${cgdirs[@]}"; do
    for f in "$d"/docker/*/cgroup.procs; do
      [ -f "$f" ] && xargs -r kill -9 < "$f" 2>/dev/null || true
    done
  done
  sleep 0.5
  for d in "${cgdirs[@]}"; do
    for g in "$d"/docker/*/; do [ -d "$g" ] && rmdir "$g" 2>/dev/null || true; done
    rmdir "$d/docker" "$d" 2>/dev/null || true
  done
  rm -rf "$tmp"
}
trap cleanup EXIT

CGO_ENABLED=0 go build -o "$tmp/nsinspect" ./cmd/nsinspect
for i in $(seq "$groups"); do
  id=$(head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n')
  procs=""
  for d in "${cgdirs[@]}"; do mkdir -p "$d/docker/$id"; procs+=" $d/docker/$id/cgroup.procs"; done
  # Join the cgroup, then become the init of new pid and mount namespaces
  # that starts $per-1 sleepers.
  sh -c "for f in $procs; do echo \$\$ > \$f; done; exec unshare --fork --pid --mount --mount-proc sh -c 'echo \$\$ >/dev/null; for i in \$(seq $((per-1))); do sleep 3600 & done; wait'" & disown
done
sleep 2
total=$(ls /proc | grep -c '^[0-9]')
echo "processes on the host: $total" >&2

hyperfine -N --warmup 3 --runs "$runs" --export-json "$tmp/h.json" \
  -n "nsinspect ps --all" "$tmp/nsinspect ps --all" \
  -n "lsns" "lsns" >&2

jq -r --arg total "$total" '
  def med(n): (.results[] | select(.command==n) | .median * 1000);
  def r2: . * 100 | round / 100;
  med("nsinspect ps --all") as $n | med("lsns") as $l |
  "processes               \($total)\nnsinspect ps --all      median \($n|r2) ms\nlsns                    median \($l|r2) ms\nratio nsinspect/lsns    \($n/$l|r2)  (target <= 0.2)"' "$tmp/h.json"
