#!/usr/bin/env bash
# CPU throttling triage for one container: its quota, and what it used and
# how often the quota ran out over a sample window.
set -euo pipefail

rb_usage='cpu-throttle.sh CONTAINER [SECONDS]'
rb_about='CPU throttling triage for one container (an id, a name or a PID, as
nsinspect pid takes them): its CFS quota and period (what --cpus became),
shares or weight and cpuset, then two readings of nsinspect pid --json
SECONDS apart (default 5): the CPU time it used, the CFS periods that
elapsed and the periods in which it was throttled, and a verdict line.
Needs nsinspect (or NSINSPECT=/path/to/nsinspect) and jq.'
# shellcheck source=lib.sh
. "$(dirname -- "$(readlink -f -- "${BASH_SOURCE[0]}")")/lib.sh"

case "${1-}" in
  -h | --help) rb_help ;;
esac
[ $# -ge 1 ] || rb_usage_error "missing CONTAINER"
[ $# -le 2 ] || rb_usage_error "too many arguments"
rb_check_target "$1"
window=${2:-5}
[[ $window =~ ^[0-9]+([.][0-9]+)?$ ]] && ! [[ $window =~ ^0+([.]0+)?$ ]] ||
  rb_usage_error "SECONDS must be a positive number, not $(rb_quote "$window")"
rb_need_tools

now() { printf '%s\n' "${EPOCHREALTIME/,/.}"; }
first=$(rb_pid_json "$1") || exit
t1=$(now)
sleep "$window"
second=$(rb_pid_json "$1") || exit
t2=$(now)
ident='"pid \(.pid), started at \(.process.startTicks) ticks"'
[ "$(jq -r "$ident" <<<"$first")" = "$(jq -r "$ident" <<<"$second")" ] ||
  rb_fail 1 "the container's init changed during the window ($(jq -r "$ident" <<<"$first"), then $(jq -r "$ident" <<<"$second")): run it again"

rb_jq -n -r --argjson a "$first" --argjson b "$second" --argjson t1 "$t1" --argjson t2 "$t2" '
  ($t2 - $t1) as $secs
  | ($a.cgroup.cpu // {}) as $c1 | ($b.cgroup.cpu // {}) as $c
  | def delta($f): if $c1[$f] == null or $c[$f] == null then null else $c[$f] - $c1[$f] end;
    delta("usageMicros") as $used
  | delta("periods") as $periods
  | delta("throttledPeriods") as $thr
  | delta("throttledTimeMicros") as $thrTime
  | (if $used == null then null else $used / ($secs * 1000000) end) as $usedCpus
  | def cpus: if . == null then "--" else (. * 100 | round / 100 | tostring) end;
    ([["container", ($b | who)],
      ["cpu cgroup", ($c.dir | esc)],
      ["quota", (if $c.quotaMicros != null then "\($c.quotaMicros) µs per \($c.periodMicros) µs period = \($c.cpus | cpus) CPUs"
                 elif $c.evidence.quotaMicros != null then "none (period \($c.periodMicros // "--") µs)" else "--" end)],
      ["shares", (if $c.shares != null then "\($c.shares) (cpu.shares)" elif $c.weight != null then "weight \($c.weight) (cpu.weight)" else "--" end)],
      ["cpuset", "\($c.cpusetCpus // "--" | esc) (\($c.cpusetCount // "--") CPUs)"],
      ["window", "\($secs * 10 | round / 10) s"],
      ["used", (if $used == null then "--" else "\($used / 1000000 * 100 | round / 100) s of CPU = \($usedCpus | cpus) CPUs"
                 + (if $c.cpus != null then " (\(pct($usedCpus; $c.cpus)) of the quota)" else "" end) end)],
      ["periods", ($periods // "--" | tostring)],
      ["throttled", (if $thr == null then "--" else "\($thr) periods (\(pct($thr; $periods)))" end)
                     + (if $thrTime != null then ", \($thrTime / 1000000 * 100 | round / 100) s waiting" else "" end)]]
     | table),
    "verdict: " +
    if $thr == null or $periods == null then
      "throttling counters unreadable (\([$b.errors[]? | select(.section == "cgroup") | .error] | first // "cpu.stat missing" | esc))"
    elif $c.quotaMicros == null and $thr == 0 then
      "no CPU quota: never throttled; used \($usedCpus | cpus) CPUs"
    elif $periods == 0 then
      "not throttled: no CFS period elapsed, it did not run in the window"
    elif $thr == 0 then
      "not throttled in \($periods) periods; used \($usedCpus | cpus) of its \($c.cpus | cpus) CPUs"
    else
      "throttled in \($thr) of \($periods) periods (\(pct($thr; $periods))); used \($usedCpus | cpus) of its \($c.cpus | cpus) CPUs"
      + (if $thr / $periods >= 0.2 then ": the quota is too small for its load" else "" end)
    end
'
