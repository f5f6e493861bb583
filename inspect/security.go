package inspect

import (
	"errors"
	"fmt"
	"io/fs"
	"strings"
	"syscall"
)

var seccompModes = map[int]string{0: "disabled", 1: "strict", 2: "filter"}

// newSecurity reads what status does not hold: the LSM label and id maps.
func (fsys FS) newSecurity(pid int, st *Status, statusFile string) (*Security, []error) {
	s := &Security{Seccomp: "unknown", LSM: "unknown", UIDMap: []IDMapping{}, GIDMap: []IDMapping{}}
	var errs []error
	if st.Seccomp != nil {
		if m, ok := seccompModes[*st.Seccomp]; ok {
			s.Seccomp = m
		}
		s.Sources.Add("seccomp", statusFile, fmt.Sprintf("Seccomp:\t%d", *st.Seccomp))
	}
	if st.SeccompFilters != nil {
		s.SeccompFilters = st.SeccompFilters
		s.Sources.Add("seccompFilters", statusFile, fmt.Sprintf("Seccomp_filters:\t%d", *st.SeccompFilters))
	}
	if st.NoNewPrivs != nil {
		s.NoNewPrivs = st.NoNewPrivs
		v := 0
		if *st.NoNewPrivs {
			v = 1
		}
		s.Sources.Add("noNewPrivs", statusFile, fmt.Sprintf("NoNewPrivs:\t%d", v))
	}
	if err := fsys.lsm(pid, s); err != nil {
		errs = append(errs, err)
	}
	for _, m := range []struct {
		name  string
		field string
		dst   *[]IDMapping
	}{{"uid_map", "uidMap", &s.UIDMap}, {"gid_map", "gidMap", &s.GIDMap}} {
		p := fsys.pid(pid, m.name)
		raw, err := readTrim(p)
		if err != nil {
			errs = append(errs, fmt.Errorf("reading %s: %w", p, classify(err)))
			continue
		}
		ids, err := parseIDMap([]byte(raw))
		if err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", p, err))
			continue
		}
		*m.dst = ids
		s.Sources.Add(m.field, p, strings.Join(strings.Fields(firstLine(raw)), " "))
	}
	if len(s.UIDMap) > 0 {
		s.UserNamespaced = !identityMap(s.UIDMap)
		if uid, ok := mapToOutside(s.UIDMap, 0); ok {
			s.RootMapsTo = &uid
		}
	}
	return s, errs
}

// lsm reads the security label. With LSM stacking (Linux 5.1+) AppArmor has
// its own attr/apparmor/current; the shared attr/current holds whichever
// LSM is primary, and EINVAL when none is active.
func (fsys FS) lsm(pid int, s *Security) error {
	if label, err := readTrim(fsys.pid(pid, "attr", "apparmor", "current")); err == nil && label != "" {
		s.LSM, s.Label = "apparmor", strings.TrimRight(label, "\x00")
		s.Sources.Add("label", fsys.pid(pid, "attr", "apparmor", "current"), s.Label)
		return nil
	}
	p := fsys.pid(pid, "attr", "current")
	label, err := readTrim(p)
	switch {
	case errors.Is(err, syscall.EINVAL), errors.Is(err, fs.ErrNotExist):
		s.LSM = "none"
		return nil
	case err != nil:
		return fmt.Errorf("reading %s: %w", p, classify(err))
	}
	label = strings.TrimRight(label, "\x00")
	s.Label = label
	s.Sources.Add("label", p, label)
	switch {
	case strings.Count(label, ":") >= 3: // user:role:type:level
		s.LSM = "selinux"
	case label == "unconfined" || strings.HasSuffix(label, ")"): // "docker-default (enforce)"
		s.LSM = "apparmor"
	case label == "" || label == "kernel":
		s.LSM = "none"
	default:
		s.LSM = "smack"
	}
	return nil
}
