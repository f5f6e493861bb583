package facts

// Security holds the confinement of a process beyond capabilities.
type Security struct {
	Seccomp        string      `json:"seccomp"` // disabled, strict, filter, unknown
	SeccompFilters *int        `json:"seccompFilters"`
	NoNewPrivs     *bool       `json:"noNewPrivs"`
	LSM            string      `json:"lsm"` // apparmor, selinux, smack, none, unknown
	Label          string      `json:"label"`
	UIDMap         []IDMapping `json:"uidMap"`
	GIDMap         []IDMapping `json:"gidMap"`
	// UserNamespaced is true when the uid map is not the identity: ids in
	// the process's user namespace are other ids outside it.
	UserNamespaced bool    `json:"userNamespaced"`
	RootMapsTo     *uint32 `json:"rootMapsTo"` // uid 0 inside is this uid in the reader's namespace
	Sources        Sources `json:"evidence,omitempty"`
}

// IDMapping is one line of /proc/<pid>/uid_map or gid_map: ids
// [Inside, Inside+Length) of the process's user namespace are
// [Outside, Outside+Length) in the reader's.
type IDMapping struct {
	Inside  uint32 `json:"inside"`
	Outside uint32 `json:"outside"`
	Length  uint32 `json:"length"`
}
