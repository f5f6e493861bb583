package launch

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/nsinspect/nsinspect/inspect"
	"github.com/nsinspect/nsinspect/inspect/facts"
)

// StateRoot holds one directory per container (facts.LauncherStateRoot:
// inspect reads the same); tests point it elsewhere.
var StateRoot = facts.LauncherStateRoot

// Status of a container.
const (
	StatusCreated = facts.ContainerCreated
	StatusRunning = facts.ContainerRunning
	StatusExited  = facts.ContainerExited
)

// State is what state.json holds about one container: the record inspect
// reads too, with the launcher's whole spec.
type State facts.LauncherState[Spec]

// Paths are the cgroup directories of a container, for cleanup after a
// crash: every v1 controller's directory and the v2 (or hybrid unified) one.
type Paths = facts.LauncherCgroups

// procfs is the host's /proc, read through inspect's parsers: start times
// that tell a running init or launcher from a reused pid.
var procfs = inspect.NewFS("", "")

// Dir is the container's state directory.
func (st *State) Dir() string { return filepath.Join(StateRoot, st.ID) }

// LogFile is where a detached container's output goes.
func (st *State) LogFile() string { return filepath.Join(st.Dir(), "container.log") }

func (st *State) mountDir() string { return filepath.Join(st.Dir(), "mnt") }

// Short is the 12-character form of the id, as docker shows it.
func (st *State) Short() string { return st.ID[:12] }

// Save writes state.json atomically.
func (st *State) Save() error {
	b, err := json.MarshalIndent(st, "", "  ")
	if err != nil {
		return err
	}
	tmp := filepath.Join(st.Dir(), ".state.json.tmp")
	if err := os.WriteFile(tmp, b, 0o600); err != nil {
		return err
	}
	return os.Rename(tmp, filepath.Join(st.Dir(), "state.json"))
}

func newID() string {
	for {
		b := make([]byte, 32)
		rand.Read(b)
		if id := hex.EncodeToString(b); !allDigits(id[:12]) {
			return id
		}
	}
}

// allDigits reports whether s is all decimal digits. Docker never makes an
// id whose short form is (0.4 % of random ones would be): a command line
// could not tell it from a PID.
func allDigits(s string) bool {
	for _, c := range s {
		if c < '0' || c > '9' {
			return false
		}
	}
	return s != ""
}

// lockState serialises changes to the set of containers (names must be
// unique) with an flock on StateRoot.
func lockState() (func(), error) { return lockFile(".lock") }

// lockCgroups serialises making and removing the shared /nsinspect cgroup
// parents: a parent removed and made again between another launcher's
// steps would leave its child with an empty cpuset (ENOSPC on join).
func lockCgroups() (func(), error) { return lockFile(".cgroups.lock") }

func lockFile(name string) (func(), error) {
	if err := os.MkdirAll(StateRoot, 0o700); err != nil {
		return nil, err
	}
	f, err := os.OpenFile(filepath.Join(StateRoot, name), os.O_CREATE|os.O_RDWR|syscall.O_CLOEXEC, 0o600)
	if err != nil {
		return nil, err
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX); err != nil {
		f.Close()
		return nil, err
	}
	return func() { f.Close() }, nil
}

// newState reserves an id and a unique name and creates the state
// directory.
func newState(spec *Spec) (*State, error) {
	unlock, err := lockState()
	if err != nil {
		return nil, fmt.Errorf("locking %s: %w", StateRoot, err)
	}
	defer unlock()
	all, err := List()
	if err != nil {
		return nil, err
	}
	st := &State{ID: newID(), Status: StatusCreated, Created: time.Now().UTC(), Spec: *spec}
	// Recorded before the first save: a concurrent launcher's gc must see
	// a live supervisor, or it removes this directory as left over.
	st.Supervisor = os.Getpid()
	if p, err := procfs.Stat(st.Supervisor); err == nil {
		st.SupervisorStartTicks = p.StartTicks
	}
	st.Name = spec.Name
	if st.Name == "" {
		st.Name = "nsi-" + st.ID[:8]
	}
	for _, o := range all {
		if o.Name == st.Name {
			return nil, fmt.Errorf("the name %q is already used by container %s: remove it first (nsinspect rm %s)", st.Name, o.Short(), st.Name)
		}
	}
	st.Spec.ID, st.Spec.Name = st.ID, st.Name
	if err := os.MkdirAll(st.mountDir(), 0o700); err != nil {
		return nil, err
	}
	if err := st.Save(); err != nil {
		os.RemoveAll(st.Dir())
		return nil, err
	}
	return st, nil
}

// StatusDead is a container recorded as running whose init is gone: its
// launcher was killed. nsinspect gc removes what is left.
const StatusDead = facts.ContainerDead

// List reads every container's state, oldest first, marking as dead the
// ones whose init is gone. Directories without a readable state.json (a
// launcher killed while creating one) are skipped; gc removes them.
func List() ([]*State, error) {
	all, err := inspect.LauncherStates[Spec](procfs, StateRoot)
	if err != nil {
		return nil, err
	}
	var out []*State
	for _, st := range all {
		out = append(out, (*State)(st))
	}
	return out, nil
}

// ErrNotFound is returned by Find for an unknown name or id.
var ErrNotFound = errors.New("no such container")

// Find resolves a name, a full id, or an id prefix of at least 4 hex
// characters to one container.
func Find(ref string) (*State, error) {
	all, err := List()
	if err != nil {
		return nil, err
	}
	for _, st := range all {
		if st.Name == ref || st.ID == ref {
			return st, nil
		}
	}
	var hits []*State
	if len(ref) >= 4 {
		for _, st := range all {
			if strings.HasPrefix(st.ID, ref) {
				hits = append(hits, st)
			}
		}
	}
	switch len(hits) {
	case 1:
		return hits[0], nil
	case 0:
		return nil, fmt.Errorf("%w: %s", ErrNotFound, ref)
	}
	return nil, fmt.Errorf("%q matches %d containers: give more of the id", ref, len(hits))
}

// Refresh re-reads state.json.
func (st *State) Refresh() error {
	b, err := os.ReadFile(filepath.Join(st.Dir(), "state.json"))
	if err != nil {
		return err
	}
	return json.Unmarshal(b, st)
}

// Alive reports whether the container's init is still the process
// recorded (same pid and start time).
func (st *State) Alive() bool { return procfs.ProcessIs(st.Pid, st.StartTicks) }

// SupervisorAlive reports whether the nsinspect process waiting for the
// container still runs.
func (st *State) SupervisorAlive() bool {
	return procfs.ProcessIs(st.Supervisor, st.SupervisorStartTicks)
}
