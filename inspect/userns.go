package inspect

import (
	"bufio"
	"bytes"
	"fmt"
	"math"
	"strconv"
	"strings"
)

// parseIDMap understands uid_map and gid_map:
//
//	0     100000      65536
func parseIDMap(b []byte) ([]IDMapping, error) {
	out := []IDMapping{}
	sc := bufio.NewScanner(bytes.NewReader(b))
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) == 0 {
			continue
		}
		if len(f) != 3 {
			return nil, fmt.Errorf("parsing id map line %q: want 3 fields", sc.Text())
		}
		var v [3]uint32
		for i, s := range f {
			n, err := strconv.ParseUint(s, 10, 32)
			if err != nil {
				return nil, fmt.Errorf("parsing id map line %q: %w", sc.Text(), err)
			}
			v[i] = uint32(n)
		}
		out = append(out, IDMapping{Inside: v[0], Outside: v[1], Length: v[2]})
	}
	return out, sc.Err()
}

// identityMap reports whether m maps every id to itself: the initial user
// namespace shows "0 0 4294967295".
func identityMap(m []IDMapping) bool {
	return len(m) == 1 && m[0].Inside == 0 && m[0].Outside == 0 && m[0].Length == 4294967295
}

// mapToOutside translates id through m; ok is false if id is unmapped.
func mapToOutside(m []IDMapping, id uint32) (uint32, bool) {
	for _, e := range m {
		if id >= e.Inside && uint64(id) < uint64(e.Inside)+uint64(e.Length) {
			out := uint64(e.Outside) + uint64(id-e.Inside)
			if out > math.MaxUint32 { // the kernel refuses such maps
				return 0, false
			}
			return uint32(out), true
		}
	}
	return 0, false
}
