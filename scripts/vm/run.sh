#!/usr/bin/env bash
# Runs nsinspect's root-only tests inside small qemu guests, one per cgroup
# layout, and brings their output and exit status back.
#
#   scripts/vm/run.sh            # every layout: v2 (systemd's), v1 (pure)
#   scripts/vm/run.sh v2         # one layout; also: v1, hybrid
#
# A guest is Debian's kernel (linux-image-amd64) booted under software
# emulation (TCG: the nested /dev/kvm of CI machines cannot be relied on)
# with an initramfs built here from what this host has: a static busybox,
# the nsinspect binary and every test binary and probe (built here, since
# the guest has no Go toolchain and no source), the testdata trees, the
# tools the tests exec (capsh, unshare, setpriv, choom, keyctl, jq, runc,
# crun) with their libraries, and the kernel's overlay module. Its init
# (scripts/vm/init) switches to a tmpfs root, mounts the layout's cgroups
# the way a real distribution does, runs the tests and powers off.
#
# The tests' output comes back on the guest's second serial port; the
# summary (passed / skipped with reasons / failed per layout) is printed
# here, the full logs are kept in $NSINSPECT_VM_OUT (default
# /tmp/nsinspect-vm). Exit status: 0 when every guest finished and every
# test passed or skipped; 1 otherwise.
#
# Environment: NSINSPECT_VM_TIMEOUT (seconds per guest, default 1500),
# NSINSPECT_VM_KERNEL (default: the newest /boot/vmlinuz-*),
# NSINSPECT_VM_SMP (vCPUs, default 1: two guests run side by side on a
# 2-core machine, and an emulated vCPU starved by another shows up as RCU
# stalls and soft lockups), NSINSPECT_VM_RUN (a -test.run pattern, for a
# quick loop on one test), NSINSPECT_VM_COUNT (-test.count, default 1).
set -euo pipefail

# Everything is in main, which bash reads whole before running it: the
# script may be edited while a run is in progress.
main() {

repo=$(cd "$(dirname "$0")/../.." && pwd)
layouts=("$@")
[ ${#layouts[@]} -gt 0 ] || layouts=(v2 v1)
for l in "${layouts[@]}"; do
  case $l in v2|v1|hybrid) ;; *) echo "scripts/vm/run.sh: unknown layout \"$l\" (want v2, v1 or hybrid)" >&2; exit 2;; esac
done

die() { echo "scripts/vm/run.sh: $*" >&2; exit 1; }
command -v qemu-system-x86_64 >/dev/null || die "qemu-system-x86_64 is missing (apt-get install qemu-system-x86)"
kernel=${NSINSPECT_VM_KERNEL:-$(ls /boot/vmlinuz-* 2>/dev/null | sort -V | tail -n 1)}
[ -n "$kernel" ] && [ -r "$kernel" ] || die "no kernel in /boot (apt-get install linux-image-amd64)"
kver=${kernel##*/vmlinuz-}
moddir=/lib/modules/$kver
[ -d "$moddir" ] || die "no modules for $kver in $moddir"
busybox=$(command -v busybox) || die "busybox is missing (apt-get install busybox-static)"
file -L "$busybox" 2>/dev/null | grep -q "statically linked" || [ "$(ldd "$busybox" 2>&1 | grep -c 'not a dynamic')" = 1 ] || die "$busybox is not static (apt-get install busybox-static)"

out=${NSINSPECT_VM_OUT:-/tmp/nsinspect-vm}
timeout=${NSINSPECT_VM_TIMEOUT:-1500}
smp=${NSINSPECT_VM_SMP:-1}
mkdir -p "$out"
work=$(mktemp -d /tmp/nsinspect-vm-build.XXXXXX)
trap 'rm -rf "$work"' EXIT
root=$work/root
start=$(date +%s)

# --- build on the host --------------------------------------------------
mkdir -p "$root/nsi/bin" "$root/nsi/src"
(
  cd "$repo"
  export CGO_ENABLED=0
  go build -o "$root/nsi/bin/nsinspect" ./cmd/nsinspect
  go build -o "$root/nsi/bin/nsinspect-exporter" ./cmd/nsinspect-exporter
  go build -o "$root/nsi/bin/probe" ./launch/testdata/probe
  GOARCH=386 go build -o "$root/nsi/bin/probe386" ./launch/testdata/probe
  for pkg in inspect cmd/nsinspect launch cmd/nsinspect-exporter; do
    mkdir -p "$root/nsi/src/$pkg"
    go test -c -o "$root/nsi/src/$pkg/pkg.test" "./$pkg"
    [ -d "$pkg/testdata" ] && cp -a "$pkg/testdata" "$root/nsi/src/$pkg/"
  done
  cp -a testdata "$root/nsi/src/"
)

# --- the guest's root ---------------------------------------------------
mkdir -p "$root"/{bin,sbin,usr/bin,usr/sbin,lib,lib64,etc,proc,sys,dev,tmp,run,root,var/tmp,newroot}
cp "$busybox" "$root/bin/busybox"
for applet in $("$busybox" --list); do
  [ -e "$root/bin/$applet" ] || ln -s busybox "$root/bin/$applet"
done
# copy_bin copies an executable and the shared libraries it loads to the
# same paths in the guest.
copy_bin() {
  local src=$1 dst=$2 lib
  cp -L "$src" "$root$dst"
  for lib in $(ldd "$src" 2>/dev/null | awk '$2 == "=>" && $3 ~ /^\// {print $3} $1 ~ /^\// {print $1}'); do
    [ -e "$root$lib" ] && continue
    mkdir -p "$root$(dirname "$lib")"
    cp -L "$lib" "$root$lib"
  done
}
# sh is dash, as on Debian: busybox's ash runs its own applets before
# anything on PATH, so `setpriv` in a test's script would not be
# util-linux's.
copy_bin "$(command -v dash)" /usr/bin/dash
ln -sf /usr/bin/dash "$root/bin/sh"
for tool in bash capsh setpriv unshare choom keyctl jq runc crun; do
  p=$(command -v "$tool") || { echo "scripts/vm/run.sh: $tool not installed here; the tests that need it will skip in the guest" >&2; continue; }
  rm -f "$root/bin/$tool" # a busybox applet of the same name must not win
  copy_bin "$p" "/usr/bin/$tool"
done
# The real runtimes of TestLiveRealRuntimes: a private containerd and
# dockerd (docker's CLI, ctr), about 200 MiB of the initramfs.
for tool in containerd containerd-shim-runc-v2 ctr dockerd docker; do
  p=$(command -v "$tool") || { echo "scripts/vm/run.sh: $tool not installed here; TestLiveRealRuntimes will skip in the guest" >&2; continue; }
  rm -f "$root/bin/$tool"
  copy_bin "$p" "/usr/bin/$tool"
done
# The exporter's live tests: a real Prometheus server scraping it, and
# promtool (about 100 MiB).
for tool in prometheus promtool; do
  p=$(command -v "$tool") || { echo "scripts/vm/run.sh: $tool not installed here; the exporter's Prometheus test will skip in the guest" >&2; continue; }
  copy_bin "$p" "/usr/bin/$tool"
done
# run --init: the host's static tini, as Docker's docker-init.
if [ -x /usr/bin/tini-static ]; then
  cp /usr/bin/tini-static "$root/usr/bin/tini-static"
  ln -sf tini-static "$root/usr/bin/docker-init"
fi
# python3 and the part of its library the seccomp test's glibc threads
# and TCP on lo need (the whole library less tests, tools and caches).
# Debian's (the test runs /usr/bin/python3), not whatever is first on PATH.
if [ -x /usr/bin/python3 ]; then
  copy_bin /usr/bin/python3 /usr/bin/python3
  pylib=$(/usr/bin/python3 -c 'import sysconfig; print(sysconfig.get_paths()["stdlib"])')
  mkdir -p "$root$(dirname "$pylib")"
  tar -C / --exclude=__pycache__ --exclude=site-packages --exclude=dist-packages --exclude="${pylib#/}/test" \
    --exclude="${pylib#/}/idlelib" --exclude="${pylib#/}/tkinter" --exclude="${pylib#/}/ensurepip" \
    --exclude="${pylib#/}/lib2to3" --exclude="${pylib#/}/pydoc_data" -cf - "${pylib#/}" | tar -C "$root" -xf -
  for so in "$pylib"/lib-dynload/*.so; do copy_bin "$so" "$so"; done
fi
mkdir -p "$root/lib/modules/$kver"
for m in fs/overlayfs/overlay.ko; do
  cp "$moddir/kernel/$m"* "$root/lib/modules/$kver/"
done
cat >"$root/etc/passwd" <<'EOF'
root:x:0:0:root:/root:/bin/sh
daemon:x:1:1:daemon:/usr/sbin:/bin/false
nobody:x:65534:65534:nobody:/nonexistent:/bin/false
EOF
cat >"$root/etc/group" <<'EOF'
root:x:0:
daemon:x:1:
tty:x:5:
nogroup:x:65534:
EOF
cat >"$root/etc/shadow" <<'EOF'
root:*:20000:0:99999:7:::
nobody:*:20000:0:99999:7:::
EOF
chmod 0640 "$root/etc/shadow"
chgrp 42 "$root/etc/shadow"
echo "shadow:x:42:" >>"$root/etc/group"
printf '127.0.0.1\tlocalhost\n::1\tlocalhost\n' >"$root/etc/hosts"
: >"$root/etc/resolv.conf"
echo nsi-guest >"$root/etc/hostname"
install -m 0755 "$repo/scripts/vm/init" "$root/init"

# An uncompressed cpio: unpacking it under emulation is faster than
# decompressing one.
initrd=$work/initrd.cpio
(cd "$root" && find . -print0 | cpio --null -o -H newc --quiet >"$initrd")
echo "guest built in $(( $(date +%s) - start )) s: kernel $kver, initramfs $(( $(stat -c %s "$initrd") / 1048576 )) MiB"

# --- boot ---------------------------------------------------------------
boot() {
  local layout=$1
  local console=$out/$layout.console results=$out/$layout.log
  rm -f "$console" "$results"
  # -no-reboot: the guest's poweroff (or a panic, with panic=-1) ends qemu.
  timeout --kill-after=10 "$timeout" qemu-system-x86_64 \
    -accel tcg,thread=multi -cpu max -smp "$smp" -m 3072 \
    -kernel "$kernel" -initrd "$initrd" \
    -append "console=ttyS0 panic=-1 quiet loglevel=4 nsi.layout=$layout nsi.run=${NSINSPECT_VM_RUN:-} nsi.count=${NSINSPECT_VM_COUNT:-1}" \
    -display none -monitor none -nic none -no-reboot \
    -serial "file:$console" -serial "file:$results" &
  wait $! || true
}
vmstart=$(date +%s)
pids=()
for l in "${layouts[@]}"; do
  boot "$l" &
  pids+=($!)
done
for p in "${pids[@]}"; do wait "$p" || true; done
wall=$(( $(date +%s) - vmstart ))

# --- report ---------------------------------------------------------------
status=0
for l in "${layouts[@]}"; do
  log=$out/$l.log
  echo
  echo "== layout $l =="
  if ! grep -q '^NSI-DONE' "$log" 2>/dev/null; then
    echo "the guest did not finish within ${timeout} s; last console lines:"
    tail -n 20 "$out/$l.console" 2>/dev/null | sed 's/^/  /'
    status=1
  fi
  grep -a '^NSI-\(PIVOT\|LEFTOVER\|END\)' "$log" 2>/dev/null | cut -c1-300 || true
  # Each package's output, between NSI-BEGIN and NSI-END, through
  # test2json: counts of passed / skipped / failed tests (subtests
  # included), and each skip with its reason (its first log line).
  awk -v dir="$out" -v layout="$l" '
    /^NSI-BEGIN / { f = $2; gsub("/", "_", f); f = dir "/" layout "." f ".out"; printf "" > f; next }
    /^NSI-END / { close(f); f = ""; next }
    f != "" { print > f }' "$log" 2>/dev/null || true
  for pkgout in "$out/$l".*.out; do
    [ -e "$pkgout" ] || continue
    pkg=${pkgout#"$out/$l".}; pkg=${pkg%.out}; pkg=${pkg//_//}
    go tool test2json -p "$pkg" <"$pkgout" >"${pkgout%.out}.json" 2>/dev/null || true
    jq -rs --arg pkg "$pkg" '
      [.[] | select(.Test != null)] as $e
      | ($e | map(select(.Action == "output")) | group_by(.Test)
         | map({key: .[0].Test, value: ([.[].Output | select(test("^ +[^ ]+\\.go:[0-9]+: "))] | first // "" | sub("^ +"; "") | rtrimstr("\n"))})
         | from_entries) as $why
      | ($e | map(select(.Action == "pass")) | length) as $pass
      | ($e | map(select(.Action == "skip"))) as $skip
      | ($e | map(select(.Action == "fail"))) as $fail
      | "\($pkg): passed \($pass), skipped \($skip | length), failed \($fail | length)",
        ($skip[] | "  skip \(.Test): \($why[.Test])"),
        ($fail[] | "  FAIL \(.Test): \($why[.Test])")' "${pkgout%.out}.json"
  done
  # On the initramfs itself run must fail with the one clear message.
  if ! grep -q '^NSI-PIVOT rc=125 nsinspect: pivot_root into .*this host.s / is its initramfs (rootfs)' "$log" 2>/dev/null; then
    echo "nsinspect run on the initramfs did not say why pivot_root fails"
    status=1
  fi
  grep -q '^NSI-END .* rc=[^0]' "$log" 2>/dev/null && status=1
  grep -q '^NSI-LEFTOVER' "$log" 2>/dev/null && status=1
done
echo
echo "VM part: ${wall} s for ${#layouts[@]} guest(s) in parallel; logs in $out"
exit $status
}

main "$@"
