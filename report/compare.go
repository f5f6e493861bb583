package report

import (
	"github.com/nsinspect/nsinspect/inspect/facts"
)

// SchemaVersion is the version of the JSON document; docs/json.md describes
// it. Renaming or retyping a field is a new version.
const SchemaVersion = 1

// Inspection is the whole answer to "what is this process?": the target's
// facts, the reference it is compared with, the host, and the findings.
// The table, JSON, template and explain forms are all drawn from it.
type Inspection struct {
	SchemaVersion int                  `json:"schemaVersion"`
	PID           int                  `json:"pid"`
	Process       *facts.ProcessInfo   `json:"process"`
	Reference     Reference            `json:"reference"`
	Namespaces    []Namespace          `json:"namespaces"`
	Cgroup        *facts.Cgroup        `json:"cgroup"`
	Kernel        *facts.Kernel        `json:"kernel"`
	Capabilities  *facts.Capabilities  `json:"capabilities"`
	Security      *facts.Security      `json:"security"`
	Signals       *facts.Signals       `json:"signals"`
	Rootfs        *facts.Rootfs        `json:"rootfs"`
	Runtime       *facts.Runtime       `json:"runtime"`
	Host          *facts.Host          `json:"host"`
	Findings      []Finding            `json:"findings"`
	Errors        []facts.SectionError `json:"errors"`

	target *facts.Process
	ref    *facts.Process
	// grant is what the host can grant (grantable): the measure of
	// "privileged"; grantFromHost is false when it is the kernel's whole set.
	grant         facts.CapSet
	grantFromHost bool
	// window is the audit's earlier reading of the same target, for the
	// rules that judge a change (cpu-throttled, zombies); nil for explain.
	window *window
}

// Reference says what the "host" column was read from and why.
type Reference struct {
	PID     int    `json:"pid"`
	Kind    string `json:"kind"` // init, self or process
	Reason  string `json:"reason"`
	Partial string `json:"partial,omitempty"`
	Comm    string `json:"comm,omitempty"`
}

// Namespace is one namespace of the target next to the reference's.
type Namespace struct {
	Type  facts.NamespaceType `json:"type"`
	Inode uint64              `json:"inode"`
	// Isolated is true when the target has its own namespace of this type,
	// false when it shares the reference's, and null when either side could
	// not be read.
	Isolated       *bool  `json:"isolated"`
	ReferenceInode uint64 `json:"referenceInode"`
	// Initial is true when the namespace is the kernel's initial one of its
	// type (known for every type but mnt and net).
	Initial *bool  `json:"initial"`
	File    string `json:"file"`
	Error   string `json:"error,omitempty"`
}

// Compare builds the Inspection of target against ref. host may be nil when
// it could not be read; hostErr then says why.
//
// Compare also fills the capability verdicts inspect leaves empty, of the
// target and of the reference: .capabilities.addedVsDocker and
// droppedVsDocker, and .capabilities.privileged, which needs the host's
// bounding set that only the pair knows.
func Compare(target *facts.Process, ref *facts.Reference, host *facts.Host, hostErr error) *Inspection {
	last := 0 // cap_last_cap, from whichever side was read
	for _, p := range []*facts.Process{ref.Process, target} {
		if p != nil && p.Capabilities != nil {
			last = p.Capabilities.LastCap
		}
	}
	grant, fromHost := grantable(last, ref)
	target = judged(target, grant, fromHost)
	refProcess := judged(ref.Process, grant, fromHost)
	in := &Inspection{
		SchemaVersion: SchemaVersion,
		PID:           target.PID,
		Process:       target.Info,
		Reference:     Reference{PID: ref.PID, Kind: ref.Kind, Reason: ref.Reason, Partial: ref.Partial},
		Cgroup:        target.Cgroup,
		Kernel:        target.Kernel,
		Capabilities:  target.Capabilities,
		Security:      target.Security,
		Signals:       target.Signals,
		Rootfs:        target.Rootfs,
		Runtime:       target.Runtime,
		Host:          host,
		Errors:        append([]facts.SectionError{}, target.Errors...),
		target:        target,
		ref:           refProcess,
		grant:         grant,
		grantFromHost: fromHost,
	}
	if refProcess != nil && refProcess.Info != nil {
		in.Reference.Comm = refProcess.Info.Comm
	}
	if hostErr != nil {
		in.Errors = append(in.Errors, facts.SectionError{Section: "host", Err: hostErr.Error()})
	}
	in.Namespaces = compareNamespaces(target.Namespaces, refProcess)
	in.Findings = findings(in)
	return in
}

func compareNamespaces(list []facts.Namespace, ref *facts.Process) []Namespace {
	out := make([]Namespace, 0, len(list))
	for _, ns := range list {
		n := Namespace{Type: ns.Type, Inode: ns.Inode, File: ns.File, Error: ns.Error}
		if initial, ok := ns.Initial(); ok {
			n.Initial = &initial
		}
		if ref != nil {
			if r, ok := facts.FindNamespace(ref.Namespaces, ns.Type); ok && r.Inode != 0 && ns.Inode != 0 {
				isolated := !ns.Same(r)
				n.Isolated = &isolated
				n.ReferenceInode = r.Inode
			}
		}
		out = append(out, n)
	}
	return out
}

// Target is the full fact set of the inspected process.
func (in *Inspection) Target() *facts.Process { return in.target }

// ReferenceProcess is the full fact set of the reference, or nil.
func (in *Inspection) ReferenceProcess() *facts.Process { return in.ref }

// Isolated lists the namespace types the target does not share with the
// reference, in report order.
func (in *Inspection) Isolated() []string {
	var out []string
	for _, n := range in.Namespaces {
		if n.Isolated != nil && *n.Isolated {
			out = append(out, string(n.Type))
		}
	}
	return out
}

// Shared lists the namespace types the target shares with the reference.
func (in *Inspection) Shared() []string {
	var out []string
	for _, n := range in.Namespaces {
		if n.Isolated != nil && !*n.Isolated {
			out = append(out, string(n.Type))
		}
	}
	return out
}

// Unreadable lists the namespace types that could not be compared (either
// side unreadable): neither shared nor own. The *_for_children links,
// absent until a process forks, are left out.
func (in *Inspection) Unreadable() []string {
	var out []string
	for _, n := range in.Namespaces {
		if n.Isolated == nil && n.Type != facts.NSPIDForChildren && n.Type != facts.NSTimeForChildren {
			out = append(out, string(n.Type))
		}
	}
	return out
}

// namespace returns the comparison row of type t.
func (in *Inspection) namespace(t facts.NamespaceType) (Namespace, bool) {
	for _, n := range in.Namespaces {
		if n.Type == t {
			return n, true
		}
	}
	return Namespace{}, false
}

// InContainer reports whether the target looks like a container: a runtime
// was recognised, or it has its own pid or mount namespace.
//
// A runtime's monitor (podman's conmon, an LXC monitor) sits in a
// container-shaped cgroup but runs on the host's side: it is not one.
func (in *Inspection) InContainer() bool {
	if in.Runtime != nil && in.Runtime.Role == "monitor" {
		return false
	}
	if in.Runtime != nil && in.Runtime.Name != facts.RuntimeNone {
		return true
	}
	for _, t := range []facts.NamespaceType{facts.NSPID, facts.NSMount} {
		if n, ok := in.namespace(t); ok && n.Isolated != nil && *n.Isolated {
			return true
		}
	}
	return false
}

// PidFormat is what pid offers --format: the document of pid --json, by
// its Go field names ({{.Cgroup.Memory.LimitBytes}}).
var PidFormat = FormatSpec{Command: "pid", Row: Inspection{}}
