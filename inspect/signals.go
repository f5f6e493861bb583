package inspect

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
)

// verdict says what delivering sig will do, by the kernel's order of checks:
// an ignored signal is discarded; a caught one runs the handler; a blocked
// one waits in the queue. A task sleeping in sigtimedwait has its waited set
// moved from "blocked" to "real_blocked", which /proc does not show, so its
// masks look like the default: wchan tells it apart (a heuristic). Only then
// does the default action apply, which a namespace init never gets.
func verdict(s *Signals, sig syscall.Signal) (string, bool) {
	switch {
	case s.Ignored.Has(sig):
		return VerdictIgnored, false
	case s.Caught.Has(sig):
		return VerdictHandled, false
	case s.Blocked.Has(sig):
		return VerdictBlocked, false
	case strings.Contains(s.Wchan, "sigtimedwait"):
		return VerdictProbablyHandled, true
	case s.PID1:
		return VerdictDropped, false
	}
	return VerdictDefault, false
}

// newSignals decodes the masks of st; wchan is the content of
// /proc/<pid>/wchan ("" when unreadable).
func newSignals(st *Status, wchan, file, wchanFile string) *Signals {
	s := &Signals{
		Blocked: SigSet(st.SigBlk),
		Ignored: SigSet(st.SigIgn),
		Caught:  SigSet(st.SigCgt),
		Pending: SigSet(st.SigPnd | st.ShdPnd),
		PID1:    len(st.NSpid) > 0 && st.NSpid[len(st.NSpid)-1] == 1,
		Wchan:   wchan,
	}
	var h1, h2 bool
	s.SIGTERM, h1 = verdict(s, syscall.SIGTERM)
	s.SIGINT, h2 = verdict(s, syscall.SIGINT)
	s.Heuristic = h1 || h2
	s.Sources.Add("blocked", file, fmt.Sprintf("SigBlk:\t%016x", st.SigBlk))
	s.Sources.Add("ignored", file, fmt.Sprintf("SigIgn:\t%016x", st.SigIgn))
	s.Sources.Add("caught", file, fmt.Sprintf("SigCgt:\t%016x", st.SigCgt))
	s.Sources.Add("pid1", file, "NSpid:\t"+joinInts(st.NSpid))
	if wchan != "" {
		s.Sources.Add("wchan", wchanFile, wchan)
	}
	return s
}

func joinInts(v []int) string {
	parts := make([]string, len(v))
	for i, n := range v {
		parts[i] = fmt.Sprint(n)
	}
	return strings.Join(parts, "\t")
}

// countChildren counts the children of pid and how many of them are
// zombies. /proc/<pid>/task/<tid>/children (CONFIG_PROC_CHILDREN) lists
// each thread's children; a child's state is field 3 of its stat. All of
// it is procfs, written by the kernel: nothing the process controls is
// followed. A child that exits between the two reads is not counted.
func (fsys FS) countChildren(pid int) (children, zombies int, file string, err error) {
	taskDir := fsys.pid(pid, "task")
	tids, err := os.ReadDir(taskDir)
	if absent(err) {
		return 0, 0, "", err
	}
	if err != nil {
		return 0, 0, "", classify(err)
	}
	file = filepath.Join(taskDir, strconv.Itoa(pid), "children")
	for _, t := range tids {
		b, err := readFile(filepath.Join(taskDir, t.Name(), "children"))
		if err != nil {
			if absent(err) {
				continue // the thread ended
			}
			return 0, 0, file, classify(err)
		}
		for _, f := range strings.Fields(string(b)) {
			child, err := strconv.Atoi(f)
			if err != nil {
				continue
			}
			children++
			if sb, err := readFile(fsys.pid(child, "stat")); err == nil {
				if st, err := parseStat(sb); err == nil && st.State == "Z" {
					zombies++
				}
			}
		}
	}
	return children, zombies, file, nil
}

// addChildren fills in a namespace init's children and zombies.
func (fsys FS) addChildren(s *Signals, pid int) error {
	if s == nil || !s.PID1 {
		return nil
	}
	n, z, file, err := fsys.countChildren(pid)
	if absent(err) {
		return nil // gone (the final recheck says so), or a fixture without task/
	}
	if err != nil {
		return fmt.Errorf("counting the children of pid %d: %w", pid, err)
	}
	s.Children, s.ZombieChildren = &n, &z
	s.Sources.Add("zombieChildren", file, fmt.Sprintf("%d children, %d of them zombies (state Z in their stat)", n, z))
	return nil
}
