#!/usr/bin/env bash
# OOM triage for one container: limit, working set, cache, OOM kills, the
# largest processes of its memory cgroup, and a one-line verdict.
set -euo pipefail

rb_usage='oom-triage.sh CONTAINER'
rb_about='OOM triage for one container (an id, a name or a PID, as nsinspect pid takes
them): its memory limit, usage, working set (what docker stats shows), page
cache, anonymous memory, high-water mark, limit hits and OOM kills, then the
largest processes of its memory cgroup by RSS (from the cgroup.procs files
under the cgroup directory nsinspect names, and /proc/PID/status), then a
verdict line. Set RUNBOOK_TOP=N for more or fewer than 10 processes. Needs
nsinspect (or NSINSPECT=/path/to/nsinspect) and jq.'
# shellcheck source=lib.sh
. "$(dirname -- "$(readlink -f -- "${BASH_SOURCE[0]}")")/lib.sh"

rb_one_target "$@"
top=${RUNBOOK_TOP:-10}
[[ $top =~ ^[0-9]+$ ]] || rb_usage_error "RUNBOOK_TOP must be a number, not $(rb_quote "$top")"
rb_need_tools

doc=$(rb_pid_json "$1") || exit

rb_jq -r '
  (.cgroup.memory // {}) as $m
  | ([["container", who],
      ["memory cgroup", ($m.dir | esc)],
      ["limit", (if $m.limitBytes != null then "\($m.limitBytes | human) (\($m.limitBytes) bytes)"
                 elif $m.evidence.limitBytes != null then "none" else "--" end)
                + (if $m.effectiveLimitBytes != null and $m.effectiveLimitBytes != $m.limitBytes
                   then ", \($m.effectiveLimitBytes | human) inherited from a parent cgroup" else "" end)],
      ["usage", ($m.usageBytes | human) + " (page cache included)"],
      ["working set", ($m.workingSetBytes | human) + (if ($m.effectiveLimitBytes // $m.limitBytes) != null
                       then " = " + pct($m.workingSetBytes; $m.effectiveLimitBytes // $m.limitBytes) + " of the limit" else "" end)],
      ["cache", ($m.cacheBytes | human) + " (inactive, reclaimable: \($m.inactiveFileBytes | human))"],
      ["anon", ($m.anonBytes | human)],
      ["max usage", ($m.maxUsageBytes | human)],
      ["limit hits", ($m.limitHits // "--" | tostring)],
      ["oom kills", ($m.oomKills // "--" | tostring)]] | table)
' <<<"$doc"

# The processes of the memory cgroup and of any cgroup below it: read
# from the kernel's cgroup.procs and /proc/PID/status, never from the
# container's files, and nothing of the container is run.
# A process in a hierarchy's root cgroup (hostWide) gets that cgroup's own
# processes, not every cgroup of the host below it.
dir=$(jq -r '.cgroup.memory.dir // empty' <<<"$doc")
depth=()
[ "$(jq -r '.cgroup.memory.hostWide' <<<"$doc")" != true ] || depth=(-maxdepth 1)
statuses() {
  local procs pid st
  while IFS= read -r -d '' procs; do
    while IFS= read -r pid; do
      [[ $pid =~ ^[0-9]+$ ]] || continue
      { st=$(<"/proc/$pid/status"); } 2>/dev/null || continue # it exited
      printf 'PID\t%s\n%s\n' "$pid" "$st"
    done <"$procs"
  done < <(find "$dir" "${depth[@]}" -name cgroup.procs -type f -print0 2>/dev/null)
}
echo
if [ -n "$dir" ] && [ -d "$dir" ]; then
  statuses | rb_jq -R -n -r --argjson top "$top" '
    reduce inputs as $l ([];
      if $l | startswith("PID\t") then . + [{pid: ($l[4:] | tonumber), rss: 0}]
      elif length == 0 then .
      elif $l | startswith("Name:\t") then .[length - 1].name = $l[6:]
      elif $l | startswith("VmRSS:") then .[length - 1].rss = ($l[6:] | gsub("[^0-9]"; "") | tonumber * 1024)
      elif $l | startswith("RssAnon:") then .[length - 1].anon = ($l[8:] | gsub("[^0-9]"; "") | tonumber * 1024)
      else . end)
    | "\(plural(length; "process")) in the cgroup" + (if length > $top then ", the \($top) largest by RSS:" else ", by RSS:" end),
      ([["PID", "RSS", "ANON", "COMMAND"]]
       + (sort_by(-.rss) | .[:$top] | map([(.pid | tostring), (.rss | human), (.anon | human), (.name | esc)]))
       | table)'
else
  echo "processes: -- (no memory cgroup directory to list)"
fi

rb_jq -r '
  (.cgroup.memory // {}) as $m
  | ($m.effectiveLimitBytes // $m.limitBytes) as $lim
  | "verdict: " +
    if $m.oomKills == null then
      "OOM kill count unknown (\([.errors[]? | select(.section == "cgroup") | .error] | first // "not readable" | esc)); working set \($m.workingSetBytes | human)"
    elif $m.oomKills > 0 then
      "OOM-killed \(plural($m.oomKills; "time")); working set \($m.workingSetBytes | human) of limit \($lim | human) (\(pct($m.workingSetBytes; $lim)))"
    elif $lim == null then
      "no memory limit: never OOM-killed by its own cgroup, only by the host running out; working set \($m.workingSetBytes | human)"
    elif ($m.workingSetBytes // 0) >= $lim * 0.9 then
      "not OOM-killed yet, but close: working set \($m.workingSetBytes | human) of limit \($lim | human) (\(pct($m.workingSetBytes; $lim)))"
    else
      "not OOM-killed; working set \($m.workingSetBytes | human) of limit \($lim | human) (\(pct($m.workingSetBytes; $lim)))"
    end
' <<<"$doc"
