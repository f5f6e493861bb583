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
	// bound leaves the second path time when the first one hangs anyway.
	dialer := net.Dialer{Timeout: 200 * time.Millisecond, Deadline: deadline}
	var conn net.Conn
	for _, p := range []string{"/var/run/docker.sock", "/run/docker.sock"} {
		c, err := dialer.Dial("unix", fsys.hostPath(p))
		if err == nil {
			conn = c
			break
		}
	}
	if conn == nil {
		return names, false
	}
	defer conn.Close()
	conn.SetDeadline(deadline)
	timedOut := func(err error) bool {
		var ne net.Error
		return errors.As(err, &ne) && ne.Timeout()
	}
	if _, err := io.WriteString(conn, "GET /containers/json HTTP/1.0\r\nHost: docker\r\n\r\n"); err != nil {
		return names, timedOut(err)
	}
	resp, err := io.ReadAll(io.LimitReader(conn, 16<<20))
	if err != nil {
		return names, timedOut(err)
	}
	head, body, ok := bytes.Cut(resp, []byte("\r\n\r\n"))
	if !ok {
		return names, false
	}
	status, _, _ := bytes.Cut(head, []byte("\r\n"))
	if f := strings.Fields(string(status)); len(f) < 2 || !strings.HasPrefix(f[0], "HTTP/1.") || f[1] != "200" {
		return names, false
	}
	var list []struct {
		ID    string   `json:"Id"`
		Names []string `json:"Names"`
	}
	if json.Unmarshal(body, &list) != nil {
		return names, false
	}
	for _, c := range list {
		if len(c.Names) > 0 {
			names[c.ID] = strings.TrimPrefix(c.Names[0], "/")
		}
	}
	return names, false
}
