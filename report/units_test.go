package report

import "testing"

func TestBytes(t *testing.T) {
	for _, tc := range []struct {
		in   uint64
		want string
	}{
		{0, "0B"}, {1023, "1023B"}, {1024, "1KiB"}, {540672, "528KiB"},
		{536870912, "512MiB"}, {1048576000, "1000MiB"}, {25276514304, "23.5GiB"},
		{1288490189, "1.2GiB"}, {9223372036854771712, "8EiB"},
	} {
		if got := Bytes(tc.in); got != tc.want {
			t.Errorf("Bytes(%d) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

func TestCPUsAndMicros(t *testing.T) {
	if got := CPUs(0.5); got != "0.50 CPUs" {
		t.Errorf("CPUs(0.5) = %q", got)
	}
	if got := CPUs(1); got != "1 CPU" {
		t.Errorf("CPUs(1) = %q", got)
	}
	if got := Micros(50000); got != "50ms" {
		t.Errorf("Micros(50000) = %q", got)
	}
	if got := Percent(0.4); got != "40.0%" {
		t.Errorf("Percent(0.4) = %q", got)
	}
}

func TestSeverityRank(t *testing.T) {
	if !(Info.Rank() < Warn.Rank() && Warn.Rank() < Critical.Rank()) || Severity("nope").Rank() != -1 {
		t.Errorf("severity ranks: info %d warn %d critical %d", Info.Rank(), Warn.Rank(), Critical.Rank())
	}
}
