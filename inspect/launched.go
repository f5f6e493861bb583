package inspect

import (
	"encoding/json"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"sort"

	"github.com/nsinspect/nsinspect/inspect/facts"
)

// nsinspect's own launcher (package launch) keeps one directory per
// container under facts.LauncherStateRoot, with its state.json. It is the
// only record of a container that no longer runs (ps --all), and names the
// running ones and their seccomp profiles. The launcher lists its
// containers with LauncherStates too, with its whole spec.

// LaunchedContainers reads the state of every container of nsinspect's
// launcher on the host, oldest first (see LauncherStates).
func (fsys FS) LaunchedContainers() ([]*facts.LaunchedContainer, error) {
	return LauncherStates[facts.LaunchedSpec](fsys, fsys.hostPath(facts.LauncherStateRoot))
}

// LauncherStates reads the state of every container under root, the
// launcher's state root as the reader sees it, oldest first. A container
// recorded as running whose init and launcher are both gone (neither pid
// is, in fsys's proc root, the process that started at the recorded time)
// is marked dead: its launcher was killed. Directories without a readable
// state.json for their own id (a launcher killed while creating one) are
// skipped; no root at all is no containers.
func LauncherStates[S any](fsys FS, root string) ([]*facts.LauncherState[S], error) {
	entries, err := os.ReadDir(root)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var out []*facts.LauncherState[S]
	for _, e := range entries {
		if !e.IsDir() {
			continue
		}
		st, err := readLauncherState[S](filepath.Join(root, e.Name()))
		if err != nil || st.ID != e.Name() {
			continue
		}
		if st.Status == facts.ContainerRunning && !fsys.ProcessIs(st.Pid, st.StartTicks) && !fsys.ProcessIs(st.Supervisor, st.SupervisorStartTicks) {
			st.Status = facts.ContainerDead
		}
		out = append(out, st)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Created.Before(out[j].Created) })
	return out, nil
}

// readLauncherState reads the state.json of the container directory dir.
func readLauncherState[S any](dir string) (*facts.LauncherState[S], error) {
	b, err := os.ReadFile(filepath.Join(dir, "state.json"))
	if err != nil {
		return nil, err
	}
	var st facts.LauncherState[S]
	if err := json.Unmarshal(b, &st); err != nil {
		return nil, err
	}
	return &st, nil
}

// nsinspectState is the launcher's state of container id on the host, or
// a zero one when it keeps none.
func (fsys FS) nsinspectState(id string) facts.LaunchedContainer {
	st, err := readLauncherState[facts.LaunchedSpec](fsys.hostPath(facts.LauncherStateRoot + "/" + id))
	if err != nil {
		return facts.LaunchedContainer{}
	}
	return *st
}
