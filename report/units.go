package report

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Bytes formats n in binary units as docker does: 512MiB, 23.5GiB, 528KiB.
func Bytes(n uint64) string {
	units := []string{"B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB"}
	v := float64(n)
	i := 0
	for v >= 1024 && i < len(units)-1 {
		v /= 1024
		i++
	}
	return trimFloat(v) + units[i]
}

// trimFloat prints three significant digits at most, without trailing zeros
// and without exponents: 512, 23.5, 1.23, 1000.
func trimFloat(v float64) string {
	var s string
	switch {
	case v >= 100:
		s = strconv.FormatFloat(v, 'f', 0, 64)
	case v >= 10:
		s = strconv.FormatFloat(v, 'f', 1, 64)
	default:
		s = strconv.FormatFloat(v, 'f', 2, 64)
	}
	if strings.Contains(s, ".") {
		s = strings.TrimRight(strings.TrimRight(s, "0"), ".")
	}
	return s
}

// CPUs formats a CPU count: "0.50 CPUs", "1 CPU".
func CPUs(v float64) string {
	if v == 1 {
		return "1 CPU"
	}
	return strconv.FormatFloat(v, 'f', 2, 64) + " CPUs"
}

// Micros formats a duration given in microseconds.
func Micros(us uint64) string {
	return (time.Duration(us) * time.Microsecond).Round(time.Millisecond).String()
}

// Percent formats a ratio 0..1 (or above) as "12.3%".
func Percent(r float64) string { return strconv.FormatFloat(r*100, 'f', 1, 64) + "%" }

func plural(n int, one, many string) string {
	if n == 1 {
		return fmt.Sprintf("%d %s", n, one)
	}
	return fmt.Sprintf("%d %s", n, many)
}
