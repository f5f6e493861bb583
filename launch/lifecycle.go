package launch

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

// Kill sends sig to a running container's PID 1.
func Kill(st *State, sig syscall.Signal) error {
	if !st.Alive() {
		return fmt.Errorf("container %s is not running", st.Name)
	}
	awaitInitMask(st)
	return unix.Kill(st.Pid, sig)
}

// awaitInitMask waits, at most a second, until an --init container's PID
// 1 has blocked the signals it forwards. The kernel drops a signal with
// the default action sent to a namespace's init from outside (only
// SIGKILL and SIGSTOP are forced), and tini blocks them a moment after
// its exec; a blocked signal waits for it instead. Without --init PID 1
// is the user's command, whose signals are its own business.
func awaitInitMask(st *State) {
	if !st.Spec.Init {
		return
	}
	const sigterm = 1 << (unix.SIGTERM - 1)
	for deadline := time.Now().Add(time.Second); time.Now().Before(deadline); time.Sleep(5 * time.Millisecond) {
		b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", st.Pid))
		if err != nil {
			return
		}
		for line := range strings.SplitSeq(string(b), "\n") {
			if v, ok := strings.CutPrefix(line, "SigBlk:\t"); ok {
				if mask, err := strconv.ParseUint(v, 16, 64); err == nil && mask&sigterm != 0 {
					return
				}
			}
		}
	}
}

// Stop sends SIGTERM to PID 1 and, if the container is still running after
// timeout, SIGKILLs every process in its cgroup, as docker stop does. It
// returns when the container has stopped.
func Stop(st *State, timeout time.Duration) error {
	if !st.Alive() {
		return nil
	}
	awaitInitMask(st)
	unix.Kill(st.Pid, unix.SIGTERM)
	if waitGone(st, timeout) {
		return nil
	}
	loadCgroups(st.Cgroups).killAll()
	unix.Kill(st.Pid, unix.SIGKILL)
	if !waitGone(st, 10*time.Second) {
		return fmt.Errorf("container %s did not stop", st.Name)
	}
	return nil
}

// waitGone polls until the container's PID 1 is gone and its supervisor
// has recorded the exit, or the timeout passes.
func waitGone(st *State, timeout time.Duration) bool {
	deadline := time.Now().Add(timeout)
	for {
		gone := !st.Alive()
		if gone && !st.SupervisorAlive() {
			return true
		}
		if gone {
			// The supervisor is still cleaning up; give it a moment.
			if st.Refresh() == nil && st.Status == StatusExited {
				return true
			}
			if errors.Is(st.Refresh(), os.ErrNotExist) {
				return true
			}
		}
		if time.Now().After(deadline) {
			return gone
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// Remove deletes a stopped container's state; force stops a running one
// first (SIGKILL, like docker rm -f).
func Remove(st *State, force bool) error {
	if st.Alive() {
		if !force {
			return fmt.Errorf("container %s is running: stop it first, or use rm -f", st.Name)
		}
		if err := Stop(st, 0); err != nil {
			return err
		}
	}
	// A supervisor that is still winding down removes its own cgroups;
	// whatever is left goes here.
	waitGone(st, 5*time.Second)
	// Under the state lock, as gc works: a gc (every run starts with one)
	// that read this state before the directory went would otherwise
	// write it back into the directory being removed.
	unlock, err := lockState()
	if err != nil {
		return err
	}
	defer unlock()
	if _, err := os.Stat(st.Dir()); errors.Is(err, os.ErrNotExist) {
		return nil // gc took it meanwhile
	}
	// The state goes only with the cgroups: if one stays (a mount on it,
	// a task that will not die), rm says so and rm or gc can try again.
	if err := loadCgroups(st.Cgroups).destroy(); err != nil {
		return fmt.Errorf("container %s is not removed: %w", st.Name, err)
	}
	if err := os.RemoveAll(st.Dir()); err != nil && !errors.Is(err, os.ErrNotExist) {
		return err
	}
	return nil
}

// GC removes what launchers killed with SIGKILL left behind: containers
// whose supervisor is gone (their processes are killed with them, by the
// parent-death signal), state directories without a state.json, and
// cgroups under /nsinspect with no state at all. It returns the ids of
// the containers it removed (an exited container kept for logs and rm
// loses only the cgroups it had left, and is not among them).
func GC() ([]string, error) {
	unlock, err := lockState()
	if err != nil {
		return nil, err
	}
	defer unlock()
	var removed []string
	var errs []error
	known := map[string]bool{}
	entries, _ := os.ReadDir(StateRoot)
	for _, e := range entries {
		if !e.IsDir() {
			continue
		}
		dir := filepath.Join(StateRoot, e.Name())
		st, err := readState(dir)
		if err != nil {
			// Half-created: the launcher died inside newState. Give a
			// concurrent launcher a moment to write it.
			if info, ierr := e.Info(); ierr == nil && time.Since(info.ModTime()) > 10*time.Second {
				os.RemoveAll(dir)
				removed = append(removed, e.Name())
			} else {
				known[e.Name()] = true
			}
			continue
		}
		if st.SupervisorAlive() {
			known[st.ID] = true
			continue
		}
		if st.Status == StatusExited && !st.Spec.Remove && len(st.Cgroups.V1) == 0 && st.Cgroups.Unified == "" {
			known[st.ID] = true
			continue // an exited container kept for logs and rm
		}
		if cgErr := loadCgroups(st.Cgroups).destroy(); cgErr != nil {
			// Kept, and not reported as removed: the next gc tries again.
			errs = append(errs, cgErr)
			known[st.ID] = true
			continue
		}
		if st.Status != StatusExited || st.Spec.Remove {
			os.RemoveAll(dir)
			removed = append(removed, st.ID)
		} else {
			// Kept for logs and rm, without the cgroup paths it no longer
			// has: not a removed container.
			known[st.ID] = true
			st.Cgroups = Paths{Mode: st.Cgroups.Mode}
			st.Save()
		}
	}
	// cgroups with no state (the launcher died before recording them, or
	// the state was just removed above): find them by their directory name.
	for _, dir := range orphanCgroups(known) {
		cs := loadCgroups(Paths{Unified: dir})
		if err := cs.destroy(); err != nil {
			errs = append(errs, err)
			continue
		}
		if !slices.Contains(removed, filepath.Base(dir)) {
			removed = append(removed, filepath.Base(dir))
		}
	}
	return removed, errors.Join(errs...)
}

func readState(dir string) (*State, error) {
	st := &State{ID: filepath.Base(dir)}
	if err := st.Refresh(); err != nil {
		return nil, err
	}
	return st, nil
}

// orphanCgroups lists /nsinspect/<id> directories, in every hierarchy,
// whose id has no state directory.
func orphanCgroups(known map[string]bool) []string {
	var out []string
	hier, _ := os.ReadDir(cgroupRoot)
	dirs := []string{cgroupRoot + cgroupParent}
	for _, h := range hier {
		dirs = append(dirs, filepath.Join(cgroupRoot, h.Name(), strings.TrimPrefix(cgroupParent, "/")))
	}
	for _, parent := range dirs {
		kids, err := os.ReadDir(parent)
		if err != nil {
			continue
		}
		for _, k := range kids {
			if k.IsDir() && len(k.Name()) == 64 && !known[k.Name()] {
				out = append(out, filepath.Join(parent, k.Name()))
			}
		}
	}
	return out
}
