#!/usr/bin/env bash
# Times, as whole processes in one hyperfine run:
#   nsinspect run --memory 512m --rootfs <busybox rootfs> -- /bin/true   (Docker's seccomp profile)
#   the same with --security-opt seccomp=unconfined
#   nsinspect run --memory 512m -- /bin/true            (default: the allow-list root)
#   runc run of an equivalent OCI bundle (same rootfs, same memory limit,
#     Docker's 14 capabilities), with the same resolved profile in
#     config.json (runc loads it through libseccomp) and without one
#   unshare --fork --pid --mount --net --uts --ipc --mount-proc true   (the namespace-only floor)
# and prints the medians and the ratios the run issues ask for. Needs root,
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
  runc delete -f nsibench-sc >/dev/null 2>&1 || true
  rm -rf "$tmp"
}
trap cleanup EXIT

CGO_ENABLED=0 go build -o "$tmp/nsinspect" ./cmd/nsinspect

# A busybox root filesystem, shared by nsinspect --rootfs and the runc bundle.
rootfs="$tmp/bundle/rootfs"
mkdir -p "$rootfs"/{bin,proc,sys,dev,etc,tmp}
cp "$(command -v busybox)" "$rootfs/bin/busybox"
for a in true sh cat ls; do ln -s busybox "$rootfs/bin/$a"; done

# runc's default spec, with the same command, memory limit and Docker's 14
# capabilities; runc gets a writable rootfs like nsinspect's overlay
# (nsinspect never writes the lower). A second bundle on the same rootfs
# adds the profile nsinspect compiles, resolved the same way.
(cd "$tmp/bundle" && runc spec)
caps='["CAP_CHOWN","CAP_DAC_OVERRIDE","CAP_FSETID","CAP_FOWNER","CAP_MKNOD","CAP_NET_RAW","CAP_SETGID","CAP_SETUID","CAP_SETFCAP","CAP_SETPCAP","CAP_NET_BIND_SERVICE","CAP_SYS_CHROOT","CAP_KILL","CAP_AUDIT_WRITE"]'
jq --argjson caps "$caps" '.process.args = ["/bin/true"] | .process.terminal = false | .root.readonly = false
    | .process.capabilities = {"bounding": $caps, "effective": $caps, "permitted": $caps}
    | .linux.resources.memory = {"limit": 536870912}' "$tmp/bundle/config.json" > "$tmp/bundle/c.json"
mv "$tmp/bundle/c.json" "$tmp/bundle/config.json"
go run ./scripts/bench/ociseccomp > "$tmp/seccomp.json"
mkdir -p "$tmp/bundle-sc"
jq --arg root "$rootfs" --slurpfile sc "$tmp/seccomp.json" '.root.path = $root | .linux.seccomp = $sc[0]' \
  "$tmp/bundle/config.json" > "$tmp/bundle-sc/config.json"

hyperfine -N --warmup 5 --runs "$runs" --export-json "$tmp/h.json" \
  -n "nsinspect --rootfs" "$tmp/nsinspect run --memory 512m --rootfs $rootfs -- /bin/true" \
  -n "nsinspect --rootfs unconfined" "$tmp/nsinspect run --memory 512m --security-opt seccomp=unconfined --rootfs $rootfs -- /bin/true" \
  -n "nsinspect default" "$tmp/nsinspect run --memory 512m -- /bin/true" \
  -n "runc run" "runc run --bundle $tmp/bundle nsibench" \
  -n "runc run seccomp" "runc run --bundle $tmp/bundle-sc nsibench-sc" \
  -n "unshare" "unshare --fork --pid --mount --net --uts --ipc --mount-proc true" >&2

jq -r '
  def med(n): (.results[] | select(.command==n) | .median * 1000);
  def r2: . * 100 | round / 100;
  med("nsinspect --rootfs") as $r | med("nsinspect --rootfs unconfined") as $ru | med("nsinspect default") as $d |
  med("runc run") as $c | med("runc run seccomp") as $cs | med("unshare") as $u |
  "nsinspect run --rootfs            median \($r|r2) ms (Docker'"'"'s profile)\n" +
  "nsinspect run --rootfs unconfined median \($ru|r2) ms\n" +
  "nsinspect run (default root)      median \($d|r2) ms\n" +
  "runc run, no seccomp              median \($c|r2) ms\n" +
  "runc run, the same profile        median \($cs|r2) ms\n" +
  "unshare floor                     median \($u|r2) ms\n" +
  "ratio nsinspect/runc, both filtered   \($r/$cs|r2)  (target <= 0.5)\n" +
  "ratio nsinspect/runc, neither         \($ru/$c|r2)\n" +
  "the filter costs nsinspect \($r-$ru|r2) ms, runc \($cs-$c|r2) ms\n" +
  "ratio nsinspect/unshare \($r/$u|r2)  (target <= 4)\n" +
  "default minus --rootfs  \($d-$r|r2) ms (target <= 2)"' "$tmp/h.json"
