# shellcheck shell=bash
# Sourced by every runbook in this directory: argument and tool checks,
# one-line errors, and the call of nsinspect pid --json. The runbook sets
# rb_usage (the usage line without "usage: ") and rb_about (what it does)
# before sourcing it. The jq helpers live in runbook.jq next to this file.

rb_self=${0##*/}
rb_dir=${BASH_SOURCE[0]%/*} # the runbook sources this by its absolute path

# rb_fail CODE MESSAGE: MESSAGE as one line on stderr, then exit CODE.
rb_fail() {
  local code=$1
  shift
  printf '%s: %s\n' "$rb_self" "$*" >&2
  exit "$code"
}

# rb_usage_error MESSAGE: a bad or missing argument; exit 2.
rb_usage_error() {
  rb_fail 2 "$1 (usage: $rb_usage)"
}

rb_help() {
  printf 'usage: %s\n\n%s\n' "$rb_usage" "$rb_about"
  exit 0
}

# rb_quote ARG: an argument the caller gave, safe to print in a message.
rb_quote() {
  printf '%q' "$1"
}

# rb_one_target ARG...: the one CONTAINER argument (id, name or PID) of most
# runbooks. -h/--help prints the usage; anything else but one plain
# argument is a usage error.
rb_one_target() {
  case "${1-}" in
    -h | --help) rb_help ;;
  esac
  [ $# -ge 1 ] || rb_usage_error "missing CONTAINER"
  [ $# -eq 1 ] || rb_usage_error "too many arguments"
  rb_check_target "$1"
}

rb_check_target() {
  case "$1" in
    '') rb_usage_error "empty CONTAINER" ;;
    -*) rb_usage_error "unknown option $(rb_quote "$1")" ;;
  esac
}

# rb_need_tools: nsinspect (NSINSPECT names the binary) and jq.
rb_need_tools() {
  NSINSPECT=${NSINSPECT:-nsinspect}
  command -v -- "$NSINSPECT" >/dev/null 2>&1 ||
    rb_fail 1 "nsinspect not found ($(rb_quote "$NSINSPECT")): put it on PATH or set NSINSPECT to the binary"
  command -v jq >/dev/null 2>&1 ||
    rb_fail 1 "jq not found: install it (apt-get install jq)"
  [ -r "$rb_dir/runbook.jq" ] ||
    rb_fail 1 "$(rb_quote "$rb_dir/runbook.jq") is missing: keep it next to the runbooks"
}

# rb_jq ARGS... PROGRAM: jq with runbook.jq's helpers (esc, human, pct,
# table, who, ...) included. A failure of jq is 1, whatever jq's own code
# (3 for a bad program would read as escape-surface's verdict).
rb_jq() {
  local prog=${!#}
  jq -L "$rb_dir" "${@:1:$#-1}" "include \"runbook\"; $prog" || return 1
}

# rb_pid_json TARGET: nsinspect pid --json of TARGET, checked for the
# schema version the runbooks are written for. nsinspect's own error
# (one line) goes to stderr and its exit code is returned: the caller
# does doc=$(rb_pid_json "$1") || exit.
rb_pid_json() {
  local doc v
  doc=$("$NSINSPECT" pid --json -- "$1") || return
  v=$(jq -r '.schemaVersion' <<<"$doc") || return 1
  [ "$v" = 1 ] || {
    printf '%s: nsinspect speaks JSON schema %s; this runbook reads schema 1\n' "$rb_self" "$(rb_quote "$v")" >&2
    return 1
  }
  printf '%s\n' "$doc"
}
