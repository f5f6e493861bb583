package launch

import (
	"fmt"
	"slices"
	"strings"
)

// Sysctls a container may set are those of the namespaces it owns, as
// Docker and runc allow them: the IPC namespace's (kernel.msg*, sem, shm*,
// fs.mqueue.*), the UTS namespace's kernel.domainname, and the network
// namespace's net.* unless it shares the host's network. Anything else is
// a knob of the whole host.
var (
	ipcSysctls = []string{
		"kernel.msgmax", "kernel.msgmnb", "kernel.msgmni", "kernel.sem",
		"kernel.shmall", "kernel.shmmax", "kernel.shmmni", "kernel.shm_rmid_forced",
	}
	// dockerNetSysctls are what Docker sets in every container with a
	// network namespace of its own: binding ports below 1024 and ping
	// (ICMP echo sockets) need no capability there.
	dockerNetSysctls = [][2]string{
		{"net.ipv4.ip_unprivileged_port_start", "0"},
		{"net.ipv4.ping_group_range", "0 2147483647"},
	}
)

// ParseSysctl checks one --sysctl KEY=VALUE against the namespaces the
// container will have.
func ParseSysctl(kv string, hostNetwork bool) (key, value string, err error) {
	key, value, ok := strings.Cut(kv, "=")
	if !ok || key == "" {
		return "", "", fmt.Errorf("invalid --sysctl %q: want KEY=VALUE, such as net.ipv4.ip_forward=1", kv)
	}
	for part := range strings.SplitSeq(key, ".") {
		if part == "" || strings.ContainsFunc(part, func(r rune) bool {
			return !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '_' || r == '-')
		}) {
			return "", "", fmt.Errorf("invalid --sysctl %q: %q is not a sysctl name", kv, key)
		}
	}
	if strings.ContainsAny(value, "\n\x00") {
		return "", "", fmt.Errorf("invalid --sysctl %q: the value may not contain a newline", kv)
	}
	switch {
	case slices.Contains(ipcSysctls, key), strings.HasPrefix(key, "fs.mqueue."), key == "kernel.domainname":
	case strings.HasPrefix(key, "net."):
		if hostNetwork {
			return "", "", fmt.Errorf("invalid --sysctl %q: with --network host the network namespace is the host's", kv)
		}
	case key == "kernel.hostname":
		return "", "", fmt.Errorf("invalid --sysctl %q: use --hostname", kv)
	default:
		return "", "", fmt.Errorf("invalid --sysctl %q: %s is not namespaced; it would change the whole host", kv, key)
	}
	return key, value, nil
}

type sysctl struct {
	key, value string
	implicit   bool // one of Docker's defaults, not asked for
}

// sysctls are what the init writes: Docker's network defaults (unless
// the network is the host's), then the user's, which win.
func (s *Spec) sysctls() []sysctl {
	var out []sysctl
	if s.Network != "host" {
		for _, d := range dockerNetSysctls {
			if _, set := s.Sysctls[d[0]]; !set {
				out = append(out, sysctl{d[0], d[1], true})
			}
		}
	}
	keys := make([]string, 0, len(s.Sysctls))
	for k := range s.Sysctls {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		out = append(out, sysctl{k, s.Sysctls[k], false})
	}
	return out
}
