package main

import (
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/nsinspect/nsinspect/launch"
)

func TestLogsOptions(t *testing.T) {
	now := time.Date(2026, 1, 2, 15, 4, 5, 0, time.UTC)
	for _, tc := range []struct {
		tail, since string
		want        launch.LogsOptions
		err         string
	}{
		{tail: "all", want: launch.LogsOptions{Tail: -1}},
		{tail: "0", want: launch.LogsOptions{Tail: 0}},
		{tail: "20", want: launch.LogsOptions{Tail: 20}},
		{tail: "all", since: "10m", want: launch.LogsOptions{Tail: -1, Since: now.Add(-10 * time.Minute)}},
		{tail: "all", since: "1h30m", want: launch.LogsOptions{Tail: -1, Since: now.Add(-90 * time.Minute)}},
		{tail: "all", since: "2026-01-01T10:00:00Z", want: launch.LogsOptions{Tail: -1, Since: time.Date(2026, 1, 1, 10, 0, 0, 0, time.UTC)}},
		{tail: "5", since: "2026-01-01T10:00:00.25+01:00", want: launch.LogsOptions{Tail: 5, Since: time.Date(2026, 1, 1, 9, 0, 0, 250e6, time.UTC)}},
		{tail: "-1", err: `invalid --tail "-1": want a number of lines, or all`},
		{tail: "ten", err: `invalid --tail "ten": want a number of lines, or all`},
		{tail: "all", since: "-5m", err: `invalid --since "-5m": want a duration such as 10m or an RFC 3339 time such as 2026-01-02T15:04:05Z`},
		{tail: "all", since: "yesterday", err: `invalid --since "yesterday": want a duration such as 10m or an RFC 3339 time such as 2026-01-02T15:04:05Z`},
		{tail: "all", since: "2026-01-02", err: `invalid --since "2026-01-02": want a duration such as 10m or an RFC 3339 time such as 2026-01-02T15:04:05Z`},
	} {
		got, err := logsOptions(false, tc.tail, tc.since, false, now)
		if tc.err != "" {
			if err == nil || err.Error() != tc.err {
				t.Errorf("--tail %q --since %q: error %v, want %q", tc.tail, tc.since, err, tc.err)
			}
			continue
		}
		if err != nil || got.Tail != tc.want.Tail || !got.Since.Equal(tc.want.Since) {
			t.Errorf("--tail %q --since %q: %+v, %v; want %+v", tc.tail, tc.since, got, err, tc.want)
		}
	}
	// A bad flag is a usage error before any container is looked up.
	if code, out, errOut := run(t, "logs", "--tail", "ten", "nsi-no-such-container"); code != exitUsage || out != "" || errOut != "nsinspect: invalid --tail \"ten\": want a number of lines, or all\n" {
		t.Errorf("logs --tail ten: exit %d, stdout %q, stderr %q", code, out, errOut)
	}
}

// logs --tail, --since and -t over what a real detached container wrote.
func TestLiveLogsTailSinceTimestamps(t *testing.T) {
	requireRoot(t)
	containerTestLock(t)
	bin := buildBinary(t)
	before := time.Now()
	// Pauses between the streams: the supervisor reads two pipes, and the
	// log holds their lines in the order they arrive.
	name := detached(t, bin, "sh", "-c", `echo one; echo two; sleep 0.3; echo three >&2; sleep 0.3; echo four`)
	waitExited(t, bin, name)
	after := time.Now()
	for _, tc := range []struct {
		args           []string
		stdout, stderr string
	}{
		{[]string{"logs", name}, "one\ntwo\nfour\n", "three\n"},
		{[]string{"logs", "--tail", "2", name}, "four\n", "three\n"},
		{[]string{"logs", "-n", "1", name}, "four\n", ""},
		{[]string{"logs", "--tail", "0", name}, "", ""},
		{[]string{"logs", "--tail", "all", "--since", "1h", name}, "one\ntwo\nfour\n", "three\n"},
		{[]string{"logs", "--since", after.Add(time.Second).UTC().Format(time.RFC3339), name}, "", ""},
		{[]string{"logs", "-f", "--tail", "1", name}, "four\n", ""}, // the container is gone: -f ends
	} {
		code, out, errOut := runGuarded(t, bin, tc.args...)
		if code != 0 || out != tc.stdout || errOut != tc.stderr {
			t.Errorf("%v: exit %d, stdout %q, stderr %q; want 0, %q, %q", tc.args, code, out, errOut, tc.stdout, tc.stderr)
		}
	}
	code, out, errOut := runGuarded(t, bin, "logs", "-t", name)
	line := regexp.MustCompile(`^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}Z) (one|two|four)$`)
	lines := strings.Split(strings.TrimSuffix(out, "\n"), "\n")
	if code != 0 || len(lines) != 3 || !strings.HasSuffix(errOut, " three\n") {
		t.Fatalf("logs -t: exit %d, stdout %q, stderr %q", code, out, errOut)
	}
	for _, l := range lines {
		m := line.FindStringSubmatch(l)
		if m == nil {
			t.Errorf("logs -t line %q: want an RFC 3339 UTC time with nine digits, a space and the line", l)
			continue
		}
		at, _ := time.Parse(time.RFC3339Nano, m[1])
		if at.Before(before.Add(-time.Second)) || at.After(after.Add(time.Second)) {
			t.Errorf("logs -t line %q: the time is not within the run (%v to %v)", l, before, after)
		}
	}
	// --since the time -t shows for "four" keeps that line only.
	four := line.FindStringSubmatch(lines[2])
	if four == nil {
		t.Fatalf("no time on %q", lines[2])
	}
	if code, out, errOut := runGuarded(t, bin, "logs", "--since", four[1], name); code != 0 || out != "four\n" || errOut != "" {
		t.Errorf("logs --since %s: exit %d, stdout %q, stderr %q; want four alone", four[1], code, out, errOut)
	}
}
