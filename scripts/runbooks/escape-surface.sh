#!/usr/bin/env bash
# Escape surface of one container: what it holds that could reach the host.
# Exit 3 when nsinspect judges any of it critical.
set -euo pipefail

rb_usage='escape-surface.sh CONTAINER'
rb_about='The escape surface of one container (an id, a name or a PID, as nsinspect pid
takes them): privileged or not, capabilities beyond Docker'"'"'s default 14, the
namespaces it shares with the host, user namespace, seccomp, no_new_privs
and LSM, notable mounts (the host'"'"'s /, a runtime socket, the host'"'"'s
devices), writable /proc/sys and /sys, then nsinspect'"'"'s findings about
them and a verdict line. Exit status: 0 nothing critical, 3 at least one
critical finding, 1 or 2 as nsinspect when it cannot inspect the
container. Needs nsinspect (or NSINSPECT=/path/to/nsinspect) and jq.'
# shellcheck source=lib.sh
. "$(dirname -- "$(readlink -f -- "${BASH_SOURCE[0]}")")/lib.sh"

rb_one_target "$@"
rb_need_tools

doc=$(rb_pid_json "$1") || exit

# The findings about reaching the host (docs/explain.md): privileged, the
# dangerous capabilities (cap-*), the host's namespaces, mounts and devices
# (host-*), runtime sockets, seccomp, writable kernel interfaces
# (*-writable) and the user namespace. Limits, OOM kills, throttling and
# PID 1's signals are other runbooks' business.
escape='def escape: .id | . == "privileged" or . == "capabilities-beyond-docker" or . == "seccomp-disabled"
  or . == "runtime-socket" or . == "user-namespace" or startswith("cap-") or startswith("host-")
  or endswith("-writable");'

rb_jq -r "$escape"'
  def yesno: if . == true then "yes" elif . == false then "no" else "--" end;
  def rw: if . == true then "WRITABLE" elif . == false then "read-only" else "--" end;
  .capabilities as $cap | .security as $sec | .rootfs as $fs
  | [(.findings // [])[] | select(escape and .severity != "info")] as $esc
  | ([["container", who],
      ["privileged", (if $cap.privileged == true then "YES: \($cap.privilegedReason | esc)"
                      elif $cap.privileged == false then "no" else "--" end)],
      ["capabilities", "\($cap.effective | length) effective; beyond Docker'"'"'s 14: \($cap.addedVsDocker | list)"
                       + (if ($cap.ambient // []) | length > 0 then "; ambient: \($cap.ambient | list)" else "" end)],
      ["host namespaces", "shared: \([(.namespaces // [])[] | select(.isolated == false and (.type | endswith("_for_children") | not)) | .type] | list)"
                          + ([(.namespaces // [])[] | select(.isolated == null) | .type] | if length > 0 then "; unreadable: \(list)" else "" end)
                          + (if .reference.kind == "self" then " (measured against nsinspect'"'"'s own: PID 1'"'"'s are unreadable)"
                             elif .reference.kind != "init" then " (measured against \(.reference.kind | esc) pid \(.reference.pid))" else "" end)],
      ["user namespace", (if $sec.userNamespaced == true then "yes: uid 0 inside is uid \($sec.rootMapsTo) on the host"
                          elif $sec.userNamespaced == false then "none: uid 0 inside is uid 0 on the host" else "--" end)],
      ["seccomp", "\($sec.seccomp | esc)" + (if $sec.seccompFilters != null then " (\(plural($sec.seccompFilters; "filter")))" else "" end)
                  + "; no_new_privs: \($sec.noNewPrivs | yesno)"],
      ["lsm", "\($sec.lsm | esc)" + (if ($sec.label // "") != "" then " (\($sec.label | esc))" else "" end)]]
     + (($fs.notable // []) | if length == 0 then [["notable mounts", "none"]]
        else to_entries | map([(if .key == 0 then "notable mounts" else "" end),
          (.value | "\(.kind | esc) at \(.mountpoint | esc) from \(.source | esc):\(.root | esc)"
                    + (if .hostPath then " (host \(.hostPath | esc))" else "" end)
                    + (if .readOnly then " ro" else " rw" end))]) end)
     + [["host devices", (if $fs.hostDevices == true then "/dev is the host'"'"'s devtmpfs"
                        elif $fs.hostDevice then "\($fs.hostDevice | esc) in /dev" else "none" end)
                       + (if .cgroup.devices.allowAll == true then "; devices cgroup allows all" else "" end)],
      ["/proc/sys, /sys", "\($fs.procSysWritable | rw), \($fs.sysWritable | rw)"]]
     | table),
    "",
    (if ($esc | length) == 0 then "no escape finding above info"
     else "escape findings:", ($esc[] | "[\(.severity)] \(.id | esc): \(.summary | esc)") end),
    ([$esc[] | select(.severity == "critical") | .id] as $crit
     | [$esc[] | select(.severity == "warn") | .id] as $warn
     | "verdict: " +
       if any((.findings // [])[]; .id == "host-process") then
         "not a container: pid \(.pid) shares every namespace with the host (host-process), there is nothing to escape from"
       elif ($crit | length) > 0 then
         "CRITICAL: \(plural($crit | length; "critical finding")) (\($crit | map(esc) | ids)): this container can reach the host"
         + (if ($warn | length) > 0 then "; \(plural($warn | length; "warning")) (\($warn | map(esc) | ids))" else "" end)
       elif ($warn | length) > 0 then
         "no critical finding; \(plural($warn | length; "warning")) (\($warn | map(esc) | ids))"
       else
         "no critical finding, no warning: nothing found that reaches the host"
       end)
' <<<"$doc"

crit=$(jq "$escape"'[(.findings // [])[] | select(escape and .severity == "critical")] | length' <<<"$doc") || exit 1
[ "$crit" -eq 0 ] || exit 3
