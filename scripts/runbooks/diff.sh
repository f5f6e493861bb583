#!/usr/bin/env bash
# Diff two containers field by field: what differs in their configuration,
# not in their ids, pids, times or usage counters.
set -euo pipefail

rb_usage='diff.sh A B'
rb_about='Compares two containers (ids, names or PIDs, as nsinspect pid takes them)
field by field: both nsinspect pid --json documents are flattened to
path = value, the fields that differ between any two containers anyway are
left out (pids, start times, namespace inodes, usage and event counters,
PSI, evidence, the container id and name, finding texts; findings are
compared by id and severity, notable mounts by mount point), and the paths
whose values differ are printed side by side. Capability and signal lists
show their size and the members the other side lacks. Values are cut to
RUNBOOK_WIDTH characters (default 60; 0 cuts nothing). Exit status 0
whether or not they differ. Needs nsinspect (or NSINSPECT=/path/to/nsinspect)
and jq.'
# shellcheck source=lib.sh
. "$(dirname -- "$(readlink -f -- "${BASH_SOURCE[0]}")")/lib.sh"

case "${1-}" in
  -h | --help) rb_help ;;
esac
[ $# -ge 2 ] || rb_usage_error "want two containers, got $#"
[ $# -eq 2 ] || rb_usage_error "too many arguments"
rb_check_target "$1"
rb_check_target "$2"
width=${RUNBOOK_WIDTH:-60}
[[ $width =~ ^[0-9]+$ ]] || rb_usage_error "RUNBOOK_WIDTH must be a number, not $(rb_quote "$width")"
rb_need_tools

a=$(rb_pid_json "$1") || exit
b=$(rb_pid_json "$2") || exit

rb_jq -n -r --argjson a "$a" --argjson b "$b" --argjson width "$width" '
  # The document without what differs between any two containers.
  def normal:
    (.runtime.containerId // "") as $id
    | "/proc/\(.pid)/" as $proc
    | del(.pid, .process.pid, .process.ppid, .process.nspid, .process.startTicks,
          .process.startTime, .process.state, .reference, .signals.wchan,
          .signals.pending, .signals.children, .signals.zombieChildren,
          .rootfs.device, .rootfs.mountCount, .runtime.containerId,
          .runtime.containerName, .cgroup.io, .cgroup.pressure,
          .cgroup.memory.usageBytes, .cgroup.memory.workingSetBytes,
          .cgroup.memory.cacheBytes, .cgroup.memory.anonBytes,
          .cgroup.memory.inactiveFileBytes, .cgroup.memory.maxUsageBytes,
          .cgroup.memory.oomKills, .cgroup.memory.limitHits,
          .cgroup.cpu.usageMicros, .cgroup.cpu.periods, .cgroup.cpu.throttledPeriods,
          .cgroup.cpu.throttledTimeMicros, .cgroup.pids.current, .cgroup.pids.limitHits)
    | del(.. | .evidence?)
    | .namespaces |= ((. // []) | map({key: .type, value: del(.type, .inode, .referenceInode, .file)}) | from_entries)
    | .cgroup.paths |= ((. // []) | map({key: (.controllers | join(",") | if . == "" then "unified" else . end),
                                        value: del(.controllers, .hierarchy)}) | from_entries)
    | .findings |= ((. // []) | map({key: .id, value: .severity}) | from_entries)
    | .rootfs.notable |= ((. // []) | map({key: .mountpoint, value: ("\(.kind) from \(.source):\(.root)"
                                             + (if .hostPath then " (host \(.hostPath))" else "" end)
                                             + (if .readOnly then " ro" else " rw" end))}) | from_entries)
    | walk(if type == "string" then
             (if $id | test("^[0-9a-f]{64}$") then split($id) | join("<id>") | split($id[0:12]) | join("<id>") else . end)
             | split($proc) | join("/proc/<pid>/")
           else . end);

  # [path, value] for every leaf; an array of scalars is one leaf, an
  # empty object none.
  def leaves:
    if type == "object" and length == 0 then empty
    elif (type == "object" or (type == "array" and any(.[]; type == "object" or type == "array"))) and length > 0 then
      to_entries[] | .key as $k | .value | leaves | .[0] |= [$k] + .
    else [[], .] end;

  def pathstr: map(if type == "number" then "[\(.)]"
                   elif test("^[A-Za-z_][A-Za-z0-9_]*$") then ".\(.)"
                   else "[\(tojson)]" end) | join("") | esc;
  def cut: if $width > 0 and length > $width then .[:$width - 3] + "..." else . end;
  def names: ["effective", "permitted", "bounding", "inheritable", "ambient", "addedVsDocker",
              "droppedVsDocker", "caught", "ignored", "blocked"];
  # One side of a differing leaf: a capability or signal list as its size
  # and what the other side lacks, anything else as JSON.
  def cell($path; $mine; $other):
    if ($path | last) as $k | (names | index($k)) and ($mine | type) == "array" and ($other | type) == "array" then
      "[\($mine | length)]" + (($mine - $other) | if length > 0 then " +" + (map(esc) | join(" +")) else "" end)
    else ($mine | tojson | esc) end | cut;

  ($a | normal | [leaves] | map({key: (.[0] | tojson), value: .}) | from_entries) as $fa
  | ($b | normal | [leaves] | map({key: (.[0] | tojson), value: .}) | from_entries) as $fb
  | ([$fa, $fb | keys[]] | unique
     | map(select(($fa[.] | tojson) != ($fb[.] | tojson)))
     | map(. as $k | ($fa[$k] // $fb[$k])[0] as $p
           | [($p | pathstr),
              (if $fa | has($k) then cell($p; $fa[$k][1]; $fb[$k][1]) else "(absent)" end),
              (if $fb | has($k) then cell($p; $fb[$k][1]; $fa[$k][1]) else "(absent)" end)])) as $rows
  | "A  \($a | who)",
    "B  \($b | who)",
    "",
    (if ($rows | length) == 0 then empty else ([["PATH", "A", "B"]] + $rows | table), "" end),
    "\(if ($rows | length) == 0 then "no field differs" else plural($rows | length; "field") + (if ($rows | length) == 1 then " differs" else " differ" end) end) (ids, pids, times, inodes, usage counters and evidence left out)"
'
