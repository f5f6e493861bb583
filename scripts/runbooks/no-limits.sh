#!/usr/bin/env bash
# Containers that run without a memory limit or without a pids limit.
set -euo pipefail

rb_usage='no-limits.sh [PS-ARGUMENTS...]'
rb_about='Lists the containers nsinspect ps finds that have no memory limit or no
pids limit: one row each, with what is missing, then a count. Arguments
are passed to nsinspect ps as they are (names, -a, -f runtime=docker,
-f name=web, ...). Needs nsinspect (or NSINSPECT=/path/to/nsinspect) and jq.'
# shellcheck source=lib.sh
. "$(dirname -- "$(readlink -f -- "${BASH_SOURCE[0]}")")/lib.sh"

for a in "$@"; do
  case "$a" in
    -h | --help) rb_help ;;
    --) break ;;
    --json | -o | --output | --output=* | -o* | --format | --format=* | -q | --quiet)
      rb_usage_error "$(rb_quote "$a") is not for this runbook: it reads nsinspect ps --json itself" ;;
  esac
done
rb_need_tools

list=$("$NSINSPECT" ps --json "$@") || exit

rb_jq -r '
  def lim: if . == null then "unlimited" else . end;
  . as $all
  | map(select(.memory.limitBytes == null or .pids.max == null)) as $bad
  | if ($bad | length) == 0 then
      "every container has a memory and a pids limit (\(plural($all | length; "container")) checked)"
    else
      ([["NAME", "RUNTIME", "PID", "MEMORY", "PIDS", "CPUS", "MISSING", "ID"]]
       + ($bad | map([
           (.name | esc), (.runtime | esc), (.pid | tostring),
           (.memory.limitBytes | if . == null then "unlimited" else human end),
           (.pids.max | lim | tostring),
           (.cpu.cpus | lim | tostring),
           ([if .memory.limitBytes == null then "memory" else empty end,
             if .pids.max == null then "pids" else empty end] | join(",")),
           (.id[0:12] | esc)]))
      | table),
      "\($bad | length) of \(plural($all | length; "container")) lack a memory or pids limit"
    end
' <<<"$list"
