#!/usr/bin/env bash
# "My container won't stop": what SIGTERM does to its PID 1, and the fix.
set -euo pipefail

rb_usage='wont-stop.sh CONTAINER'
rb_about='Why a container does not stop on docker stop / nsinspect stop (an id, a name
or a PID, as nsinspect pid takes them): its PID 1, that process'"'"'s signal
masks and nsinspect'"'"'s SIGTERM verdict, what SIGTERM does to the processes
an init forwards it to, then a verdict line and the fix for its runtime.
Needs nsinspect (or NSINSPECT=/path/to/nsinspect) and jq.'
# shellcheck source=lib.sh
. "$(dirname -- "$(readlink -f -- "${BASH_SOURCE[0]}")")/lib.sh"

rb_one_target "$@"
rb_need_tools

doc=$(rb_pid_json "$1") || exit

# The children of PID 1 (where an init such as tini forwards SIGTERM),
# from the kernel's task/*/children lists, and each one's verdict.
pid=$(jq -r '.pid' <<<"$doc")
kids=()
for f in "/proc/$pid/task/"*/children; do
  k=()
  # The file has no newline at its end: read fails but fills k.
  { read -r -a k <"$f" || true; } 2>/dev/null
  kids+=("${k[@]}")
done
children='[]'
for kid in "${kids[@]:0:5}"; do
  [[ $kid =~ ^[0-9]+$ ]] || continue
  c=$("$NSINSPECT" pid --json -- "$kid" 2>/dev/null) || continue # it exited
  children=$(jq -c --argjson c "$c" '. + [$c | {pid, comm: .process.comm, sigterm: .signals.sigterm}]' <<<"$children")
done

rb_jq -r --argjson kids "$children" --argjson nkids "${#kids[@]}" '
  .signals as $s | .process as $p | (.runtime.name // "") as $rt
  | ((if $s.pid1 == true then "PID 1" else "pid \(.pid)" end) + " (\($p.comm | esc))") as $proc
  | ($s.sigterm // "") as $v
  | {docker: {init: "docker run --init (or init: true in compose)", timeout: "docker stop -t N, docker run --stop-timeout N", stopsig: "docker run --stop-signal, STOPSIGNAL in the Dockerfile"},
     podman: {init: "podman run --init", timeout: "podman stop -t N, podman run --stop-timeout N", stopsig: "podman run --stop-signal, STOPSIGNAL in the image"},
     kubernetes: {init: "tini (or dumb-init) as the image'"'"'s ENTRYPOINT, or shareProcessNamespace: true", timeout: "terminationGracePeriodSeconds in the pod spec", stopsig: "STOPSIGNAL in the image, or a preStop hook"},
     nsinspect: {init: "nsinspect run --init", timeout: "nsinspect stop -t N", stopsig: "nsinspect kill -s SIGNAL"}}
    as $fixes
  | ($fixes[$rt] // {init: "an init as PID 1 (docker run --init, tini as the entrypoint)", timeout: "the runtime'"'"'s stop timeout", stopsig: "the runtime'"'"'s stop signal"}) as $fix
  | ([["container", who],
      ["command", ($p.cmdline | if . == null or length == 0 then "--" else map(esc) | join(" ") end)],
      ["pid 1", (if $s.pid1 == true then "yes (NSpid \($p.nspid | map(tostring) | join(" ")))" elif $s.pid1 == false then "no (NSpid \($p.nspid | map(tostring) | join(" ")))" else "--" end)],
      ["state", ($p.state | esc)],
      ["SIGTERM", ($v | esc) + (if $s.heuristic == true then " (a guess from wchan)" else "" end)],
      ["SIGINT", ($s.sigint | esc)],
      ["caught", ($s.caught | list)],
      ["ignored", ($s.ignored | list)],
      ["blocked", ($s.blocked | list)],
      ["pending", ($s.pending | list)],
      ["wchan", ($s.wchan | esc)]]
     + [$kids[] | ["child", "pid \(.pid) (\(.comm | esc)): SIGTERM \(.sigterm | esc)"]]
     + (if $nkids > ($kids | length) then [["children", "\($nkids) in all, the first \($kids | length) shown"]] else [] end)
     | table),
    ("verdict: " +
     if ($p.state // "") | startswith("Z") then
       "PID 1 is a zombie: it has exited and waits to be reaped by its parent (the runtime'"'"'s shim)"
     elif $v | startswith("dropped") then
       "SIGTERM dropped: \($proc) has no SIGTERM handler, so the kernel drops it; stop waits out its timeout, then SIGKILLs it (exit 137)"
     elif $v | startswith("ignored") then
       "SIGTERM ignored: \($proc) has SIGTERM set to SIG_IGN (set by it, or inherited: nohup, trap \"\" TERM); stop ends in SIGKILL"
     elif $v | startswith("blocked") then
       "SIGTERM blocked: \($proc) blocks SIGTERM; it stays pending until the program unblocks it or reads it (sigwait, signalfd)"
     elif $v | test("handled") then
       "SIGTERM handled: \($proc) " + (if $s.heuristic == true then "probably handles it (it waits in sigtimedwait, as tini and docker-init do)" else "has a SIGTERM handler" end)
       + ([$kids[] | select(.sigterm | test("handled|default") | not)] | if length > 0 then "; but \(map("pid \(.pid) (\(.comm | esc)): \(.sigterm | esc)") | join(", ")), so what it forwards may not end it" else "" end)
     elif $v | startswith("default") then
       "SIGTERM terminates \($proc): it is not PID 1 of its pid namespace" + (if ($p.state // "") | startswith("D") then ", but it is in uninterruptible sleep (D) and takes signals only when that I/O returns" else "" end)
     else
       "SIGTERM verdict unknown (\($v | esc)); see .errors in nsinspect pid --json"
     end),
    ("fix: " +
     if $v | startswith("dropped") then
       "run it with \($fix.init), so PID 1 is an init that forwards SIGTERM; or make the program handle SIGTERM (a shell script: trap '"'"'exit 0'"'"' TERM, and exec the long-running program); or accept the wait and shorten it: \($fix.timeout)"
     elif $v | startswith("ignored") then
       "start it without SIGTERM ignored (no nohup, no trap \"\" TERM in the entrypoint), or stop it with a signal it handles: \($fix.stopsig); an init does not help, the program still ignores what it forwards"
     elif $v | startswith("blocked") then
       "make the program read or unblock SIGTERM (a parent that blocked it passes the mask on through exec), or run it under \($fix.init)"
     elif $v | test("handled") then
       "if stop still times out, the handler does not end the program: it must exit on SIGTERM (and a shell PID 1 must pass it on: exec the program instead of running it as a child); \($fix.timeout) sets how long stop waits"
     else
       "nothing to change in its signals; \($fix.timeout) sets how long stop waits"
     end)
' <<<"$doc"
