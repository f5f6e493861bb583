package inspect

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"net"
	"strings"
	"sync"
	"time"
)

// dockerAPI caches container names from the Docker Engine API, the other
// source besides /var/lib/docker/containers/<id>/config.v2.json: a user in
// the docker group can use the socket but not read /var/lib/docker (0710).
type dockerAPI struct {
	mu    sync.Mutex
	at    time.Time
	ttl   time.Duration
	names map[string]string // full id -> name
	// What running dockerds were given (discover.go), besides the
	// defaults: --data-root and -H unix:// sockets.
	roots   []string
	sockets []string
}

// learn keeps the data roots and sockets of the dockerds d found.
func (a *dockerAPI) learn(d daemonArgs) {
	if a == nil || len(d.dockerRoots)+len(d.dockerSockets) == 0 {
		return
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	for _, r := range d.dockerRoots {
		a.roots = appendNew(a.roots, r)
	}
	for _, s := range d.dockerSockets {
		if n := len(a.sockets); len(appendNew(a.sockets, s)) > n {
			a.sockets = append(a.sockets, s)
			a.names = nil // ask the new daemon too, now
		}
	}
}

// dataRoots are the places dockerd keeps containers: the default and the
// --data-root of every dockerd seen.
func (a *dockerAPI) dataRoots() []string {
	roots := []string{"/var/lib/docker"}
	if a == nil {
		return roots
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	return append(roots, a.roots...)
}

// socketPaths are the default sockets and every -H unix:// seen.
func (a *dockerAPI) socketPaths() []string {
	paths := []string{"/var/run/docker.sock", "/run/docker.sock"}
	if a == nil {
		return paths
	}
	// called with a.mu held by dockerAPIName
	return append(paths, a.sockets...)
}

// dockerAPITTL bounds how stale a listing's names may be; one request then
// serves every Docker container of the listing. A daemon that accepted the
// connection but did not answer within readTimeout is hung (or not
// dockerd): it is asked again only after dockerAPIHungTTL, so that stats
// or an exporter, which name containers as they appear, do not stall a
// second on it every few seconds.
const (
	dockerAPITTL     = 2 * time.Second
	dockerAPIHungTTL = time.Minute
)

// dockerAPIName asks the host's Docker socket for the name of container id.
// No socket, no daemon, no permission: "" and the caller falls back to the
// short id. Never blocks a listing for long.
func (fsys FS) dockerAPIName(id string) string {
	d := fsys.docker
	if d == nil {
		return ""
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.names == nil || time.Since(d.at) > d.ttl {
		var hung bool
		d.names, hung = fsys.dockerContainers()
		d.at, d.ttl = time.Now(), dockerAPITTL
		if hung {
			d.ttl = dockerAPIHungTTL
		}
	}
	return d.names[id]
}

// dockerContainers is GET /containers/json over the socket. The request is
// HTTP/1.0, so the daemon answers with a plain body and closes the
// connection: no chunked decoding, and no net/http, whose initialisation
// every nsinspect process would pay.
//
// The whole exchange, dials included, ends by one deadline readTimeout
// from the start; hung reports a daemon that let it pass (a connection
// accepted and never answered, or an answer that never ends).
func (fsys FS) dockerContainers() (names map[string]string, hung bool) {
	names = map[string]string{}
	deadline := time.Now().Add(readTimeout)
	// A unix socket connects at once or fails at once; the dial's own
	// bound leaves the next path time when one hangs anyway.
	dialer := net.Dialer{Timeout: 200 * time.Millisecond, Deadline: deadline}
	asked := false
	for i, p := range fsys.docker.socketPaths() {
		// The two default paths are one socket on most hosts (/var/run
		// links to /run): the second is for hosts where it does not.
		if i == 1 && asked {
			continue
		}
		c, err := dialer.Dial("unix", fsys.hostPath(p))
		if err != nil {
			continue
		}
		asked = true
		if askDocker(c, deadline, names) {
			hung = true
		}
	}
	return names, hung
}

// askDocker lists one daemon's containers into names over conn, closing
// it; it reports whether the daemon hung.
func askDocker(conn net.Conn, deadline time.Time, names map[string]string) (hung bool) {
	defer conn.Close()
	conn.SetDeadline(deadline)
	timedOut := func(err error) bool {
		var ne net.Error
		return errors.As(err, &ne) && ne.Timeout()
	}
	if _, err := io.WriteString(conn, "GET /containers/json HTTP/1.0\r\nHost: docker\r\n\r\n"); err != nil {
		return timedOut(err)
	}
	resp, err := io.ReadAll(io.LimitReader(conn, 16<<20))
	if err != nil {
		return timedOut(err)
	}
	head, body, ok := bytes.Cut(resp, []byte("\r\n\r\n"))
	if !ok {
		return false
	}
	status, _, _ := bytes.Cut(head, []byte("\r\n"))
	if f := strings.Fields(string(status)); len(f) < 2 || !strings.HasPrefix(f[0], "HTTP/1.") || f[1] != "200" {
		return false
	}
	var list []struct {
		ID    string   `json:"Id"`
		Names []string `json:"Names"`
	}
	if json.Unmarshal(body, &list) != nil {
		return false
	}
	for _, c := range list {
		if len(c.Names) > 0 {
			names[c.ID] = strings.TrimPrefix(c.Names[0], "/")
		}
	}
	return false
}
