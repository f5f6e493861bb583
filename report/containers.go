package report

import (
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/nsinspect/nsinspect/inspect/facts"
)

// ContainerRow is one container of nsinspect ps: the record the table is
// drawn from and the JSON array holds (docs/json.md).
type ContainerRow struct {
	ID       string `json:"id"`
	Name     string `json:"name"`
	Runtime  string `json:"runtime"`
	Pid      int    `json:"pid"`
	Status   string `json:"status"` // running; with --all also exited and dead nsinspect containers
	ExitCode *int   `json:"exitCode"`
	// Namespaces lists the types the init does not share with the host,
	// in the order pid, net, mnt, uts, ipc, cgroup, user; nil (JSON null)
	// when they could not be compared (another user's process, read
	// without root; a stopped container).
	Namespaces    []string  `json:"namespaces"`
	Memory        RowMemory `json:"memory"`
	CPU           RowCPU    `json:"cpu"`
	Pids          RowPids   `json:"pids"`
	Processes     int       `json:"processes"`
	Started       time.Time `json:"started,omitzero"`
	UptimeSeconds float64   `json:"uptimeSeconds"`
	Command       []string  `json:"command"`
	CgroupPath    string    `json:"cgroupPath"`
	Image         string    `json:"image,omitempty"`
	Pod           *RowPod   `json:"pod,omitempty"`
	// limitsUnread: the cgroup could not be read (the container went
	// while being listed), so null limits are unknown, not "no limit".
	limitsUnread bool
}

// RowMemory, RowCPU and RowPids are the limits of a ps row; null is "no
// limit" (or unknown, when the container vanished while being read).
type RowMemory struct {
	LimitBytes *uint64 `json:"limitBytes"`
}

type RowCPU struct {
	CPUs *float64 `json:"cpus"`
}

type RowPids struct {
	Current *uint64 `json:"current"`
	Max     *uint64 `json:"max"`
}

// RowPod identifies a Kubernetes container's pod.
type RowPod struct {
	UID      string `json:"uid"`
	QoSClass string `json:"qosClass"`
}

// psNamespaces are the types ps reports, in its order.
var psNamespaces = []facts.NamespaceType{facts.NSPID, facts.NSNet, facts.NSMount, facts.NSUTS, facts.NSIPC, facts.NSCgroup, facts.NSUser}

// ContainerRows turns described containers into rows, comparing each
// init's namespaces with the host's.
func ContainerRows(described []facts.ContainerFacts, host []facts.Namespace, now time.Time) []ContainerRow {
	rows := make([]ContainerRow, 0, len(described))
	for _, f := range described {
		r := ContainerRow{
			ID: f.ID, Name: f.Name, Runtime: f.Runtime.Name, Pid: f.Pid, Status: "running",
			Processes: len(f.Pids), Started: f.Started, Command: f.Cmdline, CgroupPath: f.Cgroup,
			Image: f.Image,
		}
		if !f.Started.IsZero() {
			r.UptimeSeconds = now.Sub(f.Started).Seconds()
		}
		for _, t := range psNamespaces {
			n, ok := facts.FindNamespace(f.Namespaces, t)
			h, hok := facts.FindNamespace(host, t)
			if !ok || !hok || n.Inode == 0 || h.Inode == 0 {
				continue
			}
			if r.Namespaces == nil {
				r.Namespaces = []string{}
			}
			if !n.Same(h) {
				r.Namespaces = append(r.Namespaces, string(t))
			}
		}
		r.limitsUnread = f.Limits == nil
		if l := f.Limits; l != nil {
			r.Memory.LimitBytes = l.Memory.LimitBytes
			r.CPU.CPUs = l.CPU.CPUs
			r.Pids.Current, r.Pids.Max = l.Pids.Current, l.Pids.Max
		}
		if f.Runtime.PodUID != "" {
			r.Pod = &RowPod{UID: f.Runtime.PodUID, QoSClass: f.Runtime.QoSClass}
		}
		rows = append(rows, r)
	}
	return rows
}

// StoppedRows are the nsinspect containers that are not running (ps --all),
// from the launcher's state as inspect read it.
func StoppedRows(states []*facts.LaunchedContainer) []ContainerRow {
	var rows []ContainerRow
	for _, st := range states {
		if st.Status == facts.ContainerRunning || st.Status == facts.ContainerCreated {
			continue
		}
		rows = append(rows, ContainerRow{
			ID: st.ID, Name: st.Name, Runtime: facts.RuntimeNsinspect, Pid: st.Pid, Status: st.Status,
			ExitCode: st.ExitCode, Started: st.Started, Command: st.Spec.Args,
			Memory: RowMemory{LimitBytes: nonNegative(st.Spec.Resources.MemoryBytes)},
		})
	}
	return rows
}

func nonNegative(v *int64) *uint64 {
	if v == nil || *v < 0 {
		return nil
	}
	u := uint64(*v)
	return &u
}

// Short is the 12-character id, for templates.
func (r ContainerRow) Short() string { return short(r.ID) }

// WriteIDs prints the short id of each row, one a line (ps -q), escaped:
// the id of an unclaimed group is a cgroup directory's name.
func WriteIDs(w io.Writer, rows []ContainerRow, noTrunc bool) error {
	for _, r := range rows {
		id := r.Short()
		if noTrunc {
			id = r.ID
		}
		if _, err := io.WriteString(w, Escape(id)+"\n"); err != nil {
			return err
		}
	}
	return nil
}

// PsTable is how ps draws its table: Wide adds the cgroup path and the
// pod; NoTrunc prints full ids and commands, as docker ps --no-trunc, and
// cuts nothing to fit. Width is the terminal's columns, for the table to
// fit it (psFit); 0, for output that is not a terminal, draws it whole.
type PsTable struct {
	Wide, NoTrunc bool
	Width         int
}

// psFit are the columns a ps table cuts to fit the terminal, in the order
// it cuts them: the cgroup path first (the longest, and the container's id
// again), the pod's uid, the command, and the name last, since it is what
// one types to name the container. None is cut below 12 columns, the
// short id's width; the CONTAINER ID column is never cut, as a shorter
// prefix may name two containers.
var psFit = []string{"CGROUP", "POD", "COMMAND", "NAME"}

// minFitWidth is the width a long column is never cut below.
const minFitWidth = 12

// WriteContainers renders ps rows like docker ps.
func WriteContainers(w io.Writer, rows []ContainerRow, opt PsTable) error {
	wide := opt.Wide
	header := []string{"CONTAINER ID", "NAME", "RUNTIME", "PID", "NAMESPACES", "MEMORY LIMIT", "CPUS", "PIDS", "UPTIME", "COMMAND"}
	if wide {
		header = append(header, "CGROUP", "POD")
	}
	var out [][]string
	for _, r := range rows {
		pid := strconv.Itoa(r.Pid)
		if r.Status != "running" {
			pid = "-"
		}
		uptime := "-"
		if r.Status == "running" && r.UptimeSeconds > 0 {
			uptime = Duration(time.Duration(r.UptimeSeconds * float64(time.Second)))
		} else if r.Status != "running" {
			uptime = r.Status
			if r.ExitCode != nil {
				uptime += " (" + strconv.Itoa(*r.ExitCode) + ")"
			}
		}
		ns := "-"
		switch {
		case r.Namespaces == nil:
			ns = unknown
		case len(r.Namespaces) == len(psNamespaces):
			ns = "all"
		case len(r.Namespaces) > 0:
			ns = strings.Join(r.Namespaces, ",")
		}
		mem := "unlimited"
		if r.Memory.LimitBytes != nil {
			mem = Bytes(*r.Memory.LimitBytes)
		}
		cpus := "unlimited"
		if r.CPU.CPUs != nil {
			cpus = strconv.FormatFloat(*r.CPU.CPUs, 'f', 2, 64)
		}
		if r.limitsUnread {
			mem, cpus = unknown, unknown
		}
		pids := "-"
		if r.Pids.Current != nil {
			pids = strconv.FormatUint(*r.Pids.Current, 10)
			if r.Pids.Max != nil {
				pids += "/" + strconv.FormatUint(*r.Pids.Max, 10)
			}
		}
		cmd := strings.Join(r.Command, " ")
		// Cut by characters: a cut inside a UTF-8 sequence prints U+FFFD.
		if rs := []rune(cmd); len(rs) > 32 && !opt.NoTrunc {
			cmd = string(rs[:29]) + "..."
		}
		id := short(r.ID)
		if opt.NoTrunc {
			id = r.ID
		}
		line := []string{id, r.Name, r.Runtime, pid, ns, mem, cpus, pids, uptime, cmd}
		if wide {
			pod := ""
			if r.Pod != nil {
				pod = r.Pod.UID + " (" + r.Pod.QoSClass + ")"
			}
			line = append(line, r.CgroupPath, pod)
		}
		// Ids, names, commands and cgroup paths are the container's (or a
		// user's who made a cgroup) to choose.
		for i := range line {
			line[i] = Escape(line[i])
		}
		out = append(out, line)
	}
	if opt.NoTrunc {
		return renderRows(w, header, out)
	}
	var long []fitColumn
	for _, name := range psFit {
		if i := slices.Index(header, name); i >= 0 {
			long = append(long, fitColumn{i, minFitWidth})
		}
	}
	fitRows(header, out, opt.Width, long)
	return renderRowsCut(w, header, out, opt.Width)
}

// Duration is a compact uptime: 45s, 12m, 3h4m, 2d5h.
func Duration(d time.Duration) string {
	switch {
	case d < time.Minute:
		return strconv.Itoa(int(d.Seconds())) + "s"
	case d < time.Hour:
		return strconv.Itoa(int(d.Minutes())) + "m"
	case d < 48*time.Hour:
		h := int(d.Hours())
		return strconv.Itoa(h) + "h" + strconv.Itoa(int(d.Minutes())-60*h) + "m"
	}
	days := int(d.Hours() / 24)
	return strconv.Itoa(days) + "d" + strconv.Itoa(int(d.Hours())-24*days) + "h"
}

// ContainerView is a ps row as a --format template sees it, with docker
// ps's fields where they exist: .ID is the short id (the full one with
// --no-trunc), .Names the name. Limits print "unlimited" when there is
// none and "--" when they could not be read, never Go's "<nil>";
// {{json .}} is the row as ps --json prints it.
type ContainerView struct {
	ContainerRow
	ID     string
	Names  string
	Memory ViewMemory
	CPU    ViewCPU
	Pids   ViewPids
}

// ViewMemory, ViewCPU and ViewPids are a view's limits: nil when there is
// none, "--" when they could not be read, else the value.
type ViewMemory struct {
	LimitBytes any `json:"limitBytes"`
}

type ViewCPU struct {
	CPUs any `json:"cpus"`
}

type ViewPids struct {
	Current any `json:"current"`
	Max     any `json:"max"`
}

// notRead is a value that could not be read: "--" in a template, null
// in JSON.
type notRead struct{}

func (notRead) String() string               { return unknown }
func (notRead) MarshalJSON() ([]byte, error) { return []byte("null"), nil }

// MarshalJSON is the row's own JSON: {{json .}} keeps null.
func (v ContainerView) MarshalJSON() ([]byte, error) { return json.Marshal(v.ContainerRow) }

// View is r as a template sees it.
func (r ContainerRow) View(noTrunc bool) ContainerView {
	v := ContainerView{ContainerRow: r, ID: short(r.ID), Names: r.Name}
	if noTrunc {
		v.ID = r.ID
	}
	orNil := func(p any, isNil bool) any {
		if r.limitsUnread {
			return notRead{}
		}
		if isNil {
			return nil
		}
		return p
	}
	v.Memory.LimitBytes = orNil(r.Memory.LimitBytes, r.Memory.LimitBytes == nil)
	v.CPU.CPUs = orNil(r.CPU.CPUs, r.CPU.CPUs == nil)
	v.Pids.Max = orNil(r.Pids.Max, r.Pids.Max == nil)
	if r.Pids.Current != nil {
		v.Pids.Current = r.Pids.Current
	}
	return v
}

// PsFormat is what ps offers --format.
var PsFormat = FormatSpec{Command: "ps", Wide: true, Row: ContainerView{},
	Headers: map[string]string{"ID": "CONTAINER ID", "Names": "NAMES", "Name": "NAME", "Runtime": "RUNTIME", "Pid": "PID",
		"Namespaces": "NAMESPACES", "Status": "STATUS", "Command": "COMMAND", "CgroupPath": "CGROUP", "Processes": "PROCESSES",
		"Memory.LimitBytes": "MEMORY LIMIT", "CPU.CPUs": "CPUS", "Pids.Max": "PIDS LIMIT", "Pids.Current": "PIDS"}}

// PIDNote is the note pid writes when arg, a live PID it shows, also names
// a container, as pid would have resolved it were there no such PID:
// "note: 42 is also the name of containerd container 42 (42); showing PID
// 42". It is "" when arg names none.
func PIDNote(arg string, t facts.PIDTarget) string {
	var also string
	switch c := t.Also; {
	case t.AlsoMany:
		also = "the name or id prefix of several containers"
	case c == nil:
		return ""
	case c.ID == arg:
		also = fmt.Sprintf("the id of %s container %s", c.Runtime.Name, c.Name)
	case c.Name == arg:
		also = fmt.Sprintf("the name of %s container %s (%s)", c.Runtime.Name, c.Name, short(c.ID))
	default:
		also = fmt.Sprintf("an id prefix of %s container %s (%s)", c.Runtime.Name, c.Name, short(c.ID))
	}
	return fmt.Sprintf("note: %s is also %s; showing PID %d", arg, Escape(also), t.PID)
}
