#!/usr/bin/env bash
# Times, as whole processes in one hyperfine run:
#   nsinspect run --memory 512m --rootfs <busybox rootfs> -- /bin/true
#   nsinspect run --memory 512m -- /bin/true            (default: overlay of the host's /)
#   runc run of an equivalent OCI bundle (same rootfs, same memory limit)
#   unshare --fork --pid --mount --net --uts --ipc --mount-proc true   (the namespace-only floor)
# and prints the medians and the ratios the run issue asks for. Needs root,
# hyperfine, runc and busybox-static. Cleans up everything it makes.
#   scripts/bench/run.sh [runs]
set -euo pipefail
cd "$(dirname "$0")/../.."
runs=${1:-100}
for t in hyperfine runc busybox unshare jq; do
  command -v $t >/dev/null || { echo "needs $t" >&2; exit 2; }
done

tmp=$(mktemp -d /tmp/nsinspect-bench-run.XXXXXX)
cleanup() {
  runc delete -f nsibench >/dev/null 2>&1 || true
  rm -rf "$tmp"
}
trap cleanup EXIT

CGO_ENABLED=0 go build -o "$tmp/nsinspect" ./cmd/nsinspect

# A busybox root filesystem, shared by nsinspect --rootfs and the runc bundle.
rootfs="$tmp/bundle/rootfs"
mkdir -p "$rootfs"/{bin,proc,sys,dev,etc,tmp}
cp "$(command -v busybox)" "$rootfs/bin/busybox"
for a in true sh cat ls; do ln -s busybox "$rootfs/bin/$a"; done

# runc's default spec, with the same command and memory limit; runc gets a
# writable rootfs like nsinspect's overlay (nsinspect never writes the lower).
(cd "$tmp/bundle" && runc spec)
jq '.process.args = ["/bin/true"] | .process.terminal = false | .root.readonly = false
    | .linux.resources.memory = {"limit": 536870912}' "$tmp/bundle/config.json" > "$tmp/bundle/c.json"
mv "$tmp/bundle/c.json" "$tmp/bundle/config.json"

hyperfine -N --warmup 5 --runs "$runs" --export-json "$tmp/h.json" \
  -n "nsinspect --rootfs" "$tmp/nsinspect run --memory 512m --rootfs $rootfs -- /bin/true" \
  -n "nsinspect default" "$tmp/nsinspect run --memory 512m -- /bin/true" \
  -n "runc run" "runc run --bundle $tmp/bundle nsibench" \
  -n "unshare" "unshare --fork --pid --mount --net --uts --ipc --mount-proc true" >&2

jq -r '
  def med(n): (.results[] | select(.command==n) | .median * 1000);
  def r2: . * 100 | round / 100;
  med("nsinspect --rootfs") as $r | med("nsinspect default") as $d | med("runc run") as $c | med("unshare") as $u |
  "nsinspect run --rootfs  median \($r|r2) ms\n" +
  "nsinspect run (host /)  median \($d|r2) ms\n" +
  "runc run                median \($c|r2) ms\n" +
  "unshare floor           median \($u|r2) ms\n" +
  "ratio nsinspect/runc    \($r/$c|r2)  (target <= 0.5)\n" +
  "ratio nsinspect/unshare \($r/$u|r2)  (target <= 4)\n" +
  "default minus --rootfs  \($d-$r|r2) ms (target <= 2)"' "$tmp/h.json"
