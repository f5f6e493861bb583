package report

import (
	"io"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/nsinspect/nsinspect/launch"
)

// LaunchedContainer is one row of nsinspect ps for a container nsinspect
// launched itself; JSON and --format use the same record.
type LaunchedContainer struct {
	ID       string    `json:"id"`
	Name     string    `json:"name"`
	Pid      int       `json:"pid"`
	Status   string    `json:"status"`
	ExitCode *int      `json:"exitCode"`
	Created  time.Time `json:"created"`
	Command  []string  `json:"command"`
}

// Launched turns states into rows: running ones (all with --all), those
// named in filter only when it is not empty.
func Launched(states []*launch.State, all bool, filter []string) []LaunchedContainer {
	rows := []LaunchedContainer{}
	for _, st := range states {
		status := st.Status
		if !all && status != launch.StatusRunning {
			continue
		}
		if len(filter) > 0 && !slices.ContainsFunc(filter, func(f string) bool { return f == st.Name || strings.HasPrefix(st.ID, f) }) {
			continue
		}
		rows = append(rows, LaunchedContainer{ID: st.ID, Name: st.Name, Pid: st.Pid, Status: status, ExitCode: st.ExitCode, Created: st.Created, Command: st.Spec.Args})
	}
	return rows
}

// WriteLaunched renders the rows like docker ps.
func WriteLaunched(w io.Writer, rows []LaunchedContainer) error {
	var out [][]string
	for _, r := range rows {
		status := r.Status
		if r.ExitCode != nil {
			status += " (" + strconv.Itoa(*r.ExitCode) + ")"
		}
		cmd := strings.Join(r.Command, " ")
		if len(cmd) > 40 {
			cmd = cmd[:37] + "..."
		}
		out = append(out, []string{r.ID[:12], r.Name, strconv.Itoa(r.Pid), status, r.Created.Format("2006-01-02 15:04:05"), cmd})
	}
	return renderRows(w, []string{"CONTAINER ID", "NAME", "PID", "STATUS", "CREATED", "COMMAND"}, out)
}
