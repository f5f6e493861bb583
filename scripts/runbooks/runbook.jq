# jq helpers of the runbooks (included with jq -L DIR 'include "runbook"; ...').
# Everything a container chose (names, commands, paths, hostnames) goes
# through esc before jq -r prints it, as nsinspect's table does.

def _hex($w): . as $n
  | [range($w - 1; -1; -1)]
  | map((($n / pow(16; .)) | floor) % 16 | "0123456789abcdef"[.:.+1])
  | add;

# esc: the string with control characters escaped the way nsinspect's
# table shows them: \n \t \r, other C0 and DEL as \xNN, C1 and the bidi
# controls as \uNNNN. A backslash is left as it is.
def esc:
  if . == null then "--" else
    tostring | explode
    | map(if . == 10 then "\\n" elif . == 9 then "\\t" elif . == 13 then "\\r"
          elif . < 32 or . == 127 then "\\x" + _hex(2)
          elif (. >= 128 and . < 160) or . == 1564 or . == 8206 or . == 8207
               or (. >= 8234 and . <= 8238) or (. >= 8294 and . <= 8297) then "\\u" + _hex(4)
          else [.] | implode end)
    | add // ""
  end;

# _round1: one decimal at most (16, 1.5, 0.1).
def _round1: . * 10 | round / 10 | tostring;

# human: bytes as 512MiB, 1.5GiB, 980KiB; null as "--".
def human:
  if . == null then "--"
  elif . < 1024 then "\(.)B"
  else . as $b
    | [["KiB", 1024], ["MiB", 1048576], ["GiB", 1073741824], ["TiB", 1099511627776]]
    | map(select($b >= .[1])) | last
    | (($b / .[1]) | _round1) + .[0]
  end;

# pct($part; $whole): "12.5%", or "--" when either is unknown or whole is 0.
def pct($part; $whole):
  if $part == null or $whole == null or $whole == 0 then "--"
  else ($part / $whole * 100 | _round1) + "%" end;

# plural($n; $word): "1 time", "3 times".
def plural($n; $word): "\($n) \($word)" + (if $n == 1 then "" elif ($word | endswith("s")) then "es" else "s" end);

# ids: finding ids as "a, b x3, c" (each once, with its count).
def ids: group_by(.) | map(.[0] + (if length > 1 then " x\(length)" else "" end)) | join(", ");

# list: an array of names as "a, b", or "none".
def list: if . == null then "--" elif length == 0 then "none" else map(esc) | join(", ") end;

# table: an array of rows (arrays of strings, already escaped) as lines
# with columns padded to their widest cell, three spaces apart.
def table:
  if length == 0 then empty else
    (map(map(length)) | transpose | map(max)) as $w
    | .[] | [range(length) as $i | .[$i] + (" " * ($w[$i] - (.[$i] | length)))]
    | join("   ") | sub(" +$"; "")
  end;

# who: one line naming the inspected process, its container and runtime.
def who:
  (.runtime // {}) as $r
  | (if ($r.containerName // "") != "" then ($r.containerName | esc) + " " else "" end)
    + "(" + ([if $r.name == "none" then "runtime none" else $r.name // "runtime unknown" | esc end, (($r.containerId // "")[0:12] | select(. != "") | esc)] | join(" ")) + ")"
    + ", pid \(.pid) (\(.process.comm | esc))";
