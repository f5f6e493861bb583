package inspect

import "github.com/nsinspect/nsinspect/inspect/facts"

// The facts inspect returns are defined in package facts, so that report
// can take them without linking this reader (docs/architecture.md). These
// are their names in package inspect, for its callers.
type (
	Evidence     = facts.Evidence
	Sources      = facts.Sources
	SectionError = facts.SectionError

	Process     = facts.Process
	ProcessInfo = facts.ProcessInfo
	View        = facts.View
	Reference   = facts.Reference
	Kernel      = facts.Kernel
	Host        = facts.Host

	NamespaceType = facts.NamespaceType
	Namespace     = facts.Namespace

	CgroupMode    = facts.CgroupMode
	CgroupPath    = facts.CgroupPath
	Cgroup        = facts.Cgroup
	MemoryCgroup  = facts.MemoryCgroup
	CPUCgroup     = facts.CPUCgroup
	PidsCgroup    = facts.PidsCgroup
	IOCgroup      = facts.IOCgroup
	DevicesCgroup = facts.DevicesCgroup
	Pressure      = facts.Pressure
	PSI           = facts.PSI
	PSILine       = facts.PSILine

	CapSet       = facts.CapSet
	Capabilities = facts.Capabilities
	SigSet       = facts.SigSet
	Signals      = facts.Signals
	Security     = facts.Security
	IDMapping    = facts.IDMapping
	Rootfs       = facts.Rootfs
	NotableMount = facts.NotableMount
	Runtime      = facts.Runtime

	Container      = facts.Container
	ContainerFacts = facts.ContainerFacts
	Usage          = facts.Usage
	HostUsage      = facts.HostUsage
)

// The namespace types.
const (
	NSCgroup          = facts.NSCgroup
	NSIPC             = facts.NSIPC
	NSMount           = facts.NSMount
	NSNet             = facts.NSNet
	NSPID             = facts.NSPID
	NSPIDForChildren  = facts.NSPIDForChildren
	NSTime            = facts.NSTime
	NSTimeForChildren = facts.NSTimeForChildren
	NSUser            = facts.NSUser
	NSUTS             = facts.NSUTS
)

// The cgroup modes.
const (
	CgroupV1     = facts.CgroupV1
	CgroupHybrid = facts.CgroupHybrid
	CgroupV2     = facts.CgroupV2
	CgroupNone   = facts.CgroupNone
)

// Reference kinds.
const (
	ReferenceInit    = facts.ReferenceInit
	ReferenceSelf    = facts.ReferenceSelf
	ReferenceHost    = facts.ReferenceHost
	ReferenceProcess = facts.ReferenceProcess
)

// Runtime names.
const (
	RuntimeDocker     = facts.RuntimeDocker
	RuntimeContainerd = facts.RuntimeContainerd
	RuntimeCRIO       = facts.RuntimeCRIO
	RuntimeKubernetes = facts.RuntimeKubernetes
	RuntimePodman     = facts.RuntimePodman
	RuntimeLXC        = facts.RuntimeLXC
	RuntimeNspawn     = facts.RuntimeNspawn
	RuntimeNsinspect  = facts.RuntimeNsinspect
	RuntimeOCI        = facts.RuntimeOCI
	RuntimeUnknown    = facts.RuntimeUnknown
	RuntimeNone       = facts.RuntimeNone
	RuntimeNamespaces = facts.RuntimeNamespaces
)

// SIGTERM verdicts.
const (
	VerdictIgnored         = facts.VerdictIgnored
	VerdictHandled         = facts.VerdictHandled
	VerdictBlocked         = facts.VerdictBlocked
	VerdictProbablyHandled = facts.VerdictProbablyHandled
	VerdictDropped         = facts.VerdictDropped
	VerdictDefault         = facts.VerdictDefault
)

// FindNamespace returns the entry of type t, if present.
func FindNamespace(list []Namespace, t NamespaceType) (Namespace, bool) {
	return facts.FindNamespace(list, t)
}
