package launch

import (
	"bytes"
	"net/netip"
	"strings"
)

// hostname is the container's hostname: --hostname, else the short id,
// as Docker does.
func (s *Spec) hostname() string {
	if s.Hostname != "" {
		return s.Hostname
	}
	return s.ID[:12]
}

// dockerHosts is the /etc/hosts Docker writes for a container without a
// network of its own to name (--network none): the loopback names only.
const dockerHosts = `127.0.0.1	localhost
::1	localhost ip6-localhost ip6-loopback
fe00::0	ip6-localnet
ff00::0	ip6-mcastprefix
ff02::1	ip6-allnodes
ff02::2	ip6-allrouters
`

// etcFiles are the per-container files of /etc, as Docker writes them:
// the hostname; for --network host the host's hosts and resolv.conf as
// they are, otherwise the loopback hosts file and the host's resolv.conf
// without loopback nameservers (a resolver on the host's 127.0.0.53 is
// not reachable from another network namespace). hostHosts and
// hostResolv are the host's files, read by the caller.
func (s *Spec) etcFiles(hostHosts, hostResolv []byte) map[string][]byte {
	files := map[string][]byte{"hostname": []byte(s.hostname() + "\n")}
	if s.Network == "host" {
		files["hosts"] = hostHosts
		files["resolv.conf"] = hostResolv
		return files
	}
	files["hosts"] = []byte(dockerHosts)
	files["resolv.conf"] = withoutLoopbackNameservers(hostResolv)
	return files
}

// withoutLoopbackNameservers drops "nameserver 127.x", "::1" and the like
// from a resolv.conf, keeping everything else.
func withoutLoopbackNameservers(b []byte) []byte {
	var out bytes.Buffer
	for line := range bytes.Lines(b) {
		if isLoopbackNameserver(string(line)) {
			continue
		}
		out.Write(line)
	}
	return out.Bytes()
}

func isLoopbackNameserver(line string) bool {
	f := strings.Fields(line)
	if len(f) < 2 || f[0] != "nameserver" {
		return false
	}
	ip, err := netip.ParseAddr(strings.Split(f[1], "%")[0])
	return err == nil && ip.IsLoopback()
}
