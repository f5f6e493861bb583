package inspect

import (
	"bytes"
	"encoding/json"
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
	names map[string]string // full id -> name
}

// dockerAPITTL bounds how stale a listing's names may be; one request then
// serves every Docker container of the listing.
const dockerAPITTL = 2 * time.Second

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
	if d.names == nil || time.Since(d.at) > dockerAPITTL {
		d.names, d.at = fsys.dockerContainers(), time.Now()
	}
	return d.names[id]
}

// dockerContainers is GET /containers/json over the socket. The request is
// HTTP/1.0, so the daemon answers with a plain body and closes the
// connection: no chunked decoding, and no net/http, whose initialisation
// every nsinspect process would pay.
func (fsys FS) dockerContainers() map[string]string {
	names := map[string]string{}
	var conn net.Conn
	for _, p := range []string{"/var/run/docker.sock", "/run/docker.sock"} {
		c, err := net.DialTimeout("unix", fsys.hostPath(p), 200*time.Millisecond)
		if err == nil {
			conn = c
			break
		}
	}
	if conn == nil {
		return names
	}
	defer conn.Close()
	conn.SetDeadline(time.Now().Add(time.Second))
	if _, err := io.WriteString(conn, "GET /containers/json HTTP/1.0\r\nHost: docker\r\n\r\n"); err != nil {
		return names
	}
	resp, err := io.ReadAll(io.LimitReader(conn, 16<<20))
	if err != nil {
		return names
	}
	head, body, ok := bytes.Cut(resp, []byte("\r\n\r\n"))
	if !ok {
		return names
	}
	status, _, _ := bytes.Cut(head, []byte("\r\n"))
	if f := strings.Fields(string(status)); len(f) < 2 || !strings.HasPrefix(f[0], "HTTP/1.") || f[1] != "200" {
		return names
	}
	var list []struct {
		ID    string   `json:"Id"`
		Names []string `json:"Names"`
	}
	if json.Unmarshal(body, &list) != nil {
		return names
	}
	for _, c := range list {
		if len(c.Names) > 0 {
			names[c.ID] = strings.TrimPrefix(c.Names[0], "/")
		}
	}
	return names
}
