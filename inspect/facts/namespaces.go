package facts

// NamespaceType is a name as it appears in /proc/<pid>/ns.
type NamespaceType string

// The namespace types, in the order the report lists them.
const (
	NSCgroup          NamespaceType = "cgroup"
	NSIPC             NamespaceType = "ipc"
	NSMount           NamespaceType = "mnt"
	NSNet             NamespaceType = "net"
	NSPID             NamespaceType = "pid"
	NSPIDForChildren  NamespaceType = "pid_for_children"
	NSTime            NamespaceType = "time"
	NSTimeForChildren NamespaceType = "time_for_children"
	NSUser            NamespaceType = "user"
	NSUTS             NamespaceType = "uts"
)

// initialInode holds the fixed inode numbers the kernel gives the initial
// namespaces (include/linux/proc_ns.h, PROC_*_INIT_INO). mnt and net have no
// fixed number. A process whose pid namespace is 0xEFFFFFFC is in the host's.
var initialInode = map[NamespaceType]uint64{
	NSIPC: 0xEFFFFFFF, NSUTS: 0xEFFFFFFE, NSUser: 0xEFFFFFFD,
	NSPID: 0xEFFFFFFC, NSPIDForChildren: 0xEFFFFFFC,
	NSCgroup: 0xEFFFFFFB, NSTime: 0xEFFFFFFA, NSTimeForChildren: 0xEFFFFFFA,
}

// Namespace is one entry of /proc/<pid>/ns.
type Namespace struct {
	Type   NamespaceType `json:"type"`
	Inode  uint64        `json:"inode"`
	Device uint64        `json:"device,omitempty"` // st_dev of the nsfs inode; 0 when not stat-able (fixtures)
	File   string        `json:"file"`
	Link   string        `json:"link,omitempty"` // "net:[4026531993]"
	Error  string        `json:"error,omitempty"`
}

// Initial reports whether ns is the kernel's initial namespace of its type,
// known only for types with a fixed inode; ok is false for mnt and net.
func (ns Namespace) Initial() (initial, ok bool) {
	ino, ok := initialInode[ns.Type]
	if !ok || ns.Inode == 0 {
		return false, false
	}
	return ns.Inode == ino, true
}

// Same reports whether a and b are the same namespace: same device and inode
// when both were stat-ed, same inode otherwise.
func (ns Namespace) Same(o Namespace) bool {
	if ns.Inode == 0 || o.Inode == 0 {
		return false
	}
	if ns.Device != 0 && o.Device != 0 && ns.Device != o.Device {
		return false
	}
	return ns.Inode == o.Inode
}

// FindNamespace returns the entry of type t, if present.
func FindNamespace(list []Namespace, t NamespaceType) (Namespace, bool) {
	for _, ns := range list {
		if ns.Type == t {
			return ns, true
		}
	}
	return Namespace{}, false
}

// parseNamespaceLink understands the target of a /proc/<pid>/ns link,
