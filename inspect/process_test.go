package inspect

import "testing"

// procStat is the head and tail of /proc/stat on a 2-CPU Linux 6.18 VM (the
// intr line cut short).
const procStat = `cpu  14690 0 9285 241156 1511 0 137 605 0 0
cpu0 6549 0 4111 122542 163 0 21 286 0 0
cpu1 8140 0 5174 118614 1348 0 115 318 0 0
intr 633813 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 1 1 13 0 0 0 0 267 58 0 34 1 64472 0 1172 1047
ctxt 1017328
btime 1795819261
processes 23806
procs_running 3
procs_blocked 0
softirq 458622 0 89178 4 56210 0 0 5 167004 0 146221
`

func TestParseBtime(t *testing.T) {
	tests := []struct {
		name string
		text string
		want int64
	}{
		{"/proc/stat", procStat, 1795819261},
		{"only the line", "btime 1795819261", 1795819261},
		{"trailing space", "btime 1795819261 \n", 1795819261},
		{"first btime wins", "btime 1\nbtime 2\n", 1},
		{"epoch", "btime 0\n", 0},
	}
	for _, tt := range tests {
		got, err := parseBtime([]byte(tt.text))
		if err != nil || got != tt.want {
			t.Errorf("%s: parseBtime = %d, %v; want %d", tt.name, got, err, tt.want)
		}
	}
	for _, text := range []string{
		"",
		"cpu  14690 0 9285\nctxt 1017328\n",
		"btime\n",
		"btime x\n",
		"btime 1.5\n",
		"xbtime 5\n",
		" btime 5\n",
		"btime 99999999999999999999\n",
	} {
		if got, err := parseBtime([]byte(text)); err == nil {
			t.Errorf("parseBtime(%q) = %d, want error", text, got)
		}
	}
}
