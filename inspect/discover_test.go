package inspect

import (
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"
)

// statLine is a /proc/<pid>/stat line with the fields a listing reads.
func statLine(pid, ppid int, comm string, start uint64) string {
	return fmt.Sprintf("%d (%s) S %d %d %d 0 -1 4194560 500 0 0 0 100 50 0 0 20 0 1 0 %d 12345678 1234 18446744073709551615 0 0 0 0 0 0 0 0 0 0 0 0 17 0 0 0 0 0 0 0 0 0 0 0 0 0 0\n", pid, comm, ppid, pid, pid, start)
}

// Containers with free-form ids are found from their runtimes' state, the
// state roots from the running shims and runtimes: a containerd task of a
// private daemon (its shim's working directory is the bundle), a runc
// container run in the foreground with its own --root, a detached crun one
// in the default root. Nothing else is: not a state naming a pid that is
// now another process, not a root anybody may write, not the --root a
// process inside a container claims.
func TestContainersFromRuntimeState(t *testing.T) {
	tmp := t.TempDir()
	proc, host := filepath.Join(tmp, "proc"), filepath.Join(tmp, "host")
	hostMnt, ctrMnt := "mnt:[4026531841]", "mnt:[4026532500]"
	dockerID := strings.Repeat("d1", 32)
	files := map[string]string{}
	type p struct {
		pid, ppid int
		comm      string
		start     uint64
		cgroup    string
		mnt       string
		cmdline   []string
		cwd       string
	}
	procs := []p{
		{1, 0, "systemd", 1, "/init.scope", hostMnt, []string{"/sbin/init"}, ""},
		// containerd's task ctr1 in namespace "default", private state root
		{100, 1, "containerd-shim", 500, "/system.slice/ctd.service", hostMnt, []string{"/usr/bin/containerd-shim-runc-v2", "-namespace", "default", "-id", "ctr1", "-address", "/srv/ctd/containerd.sock"}, "/srv/ctd/state/io.containerd.runtime.v2.task/default/ctr1"},
		{101, 100, "sleep", 510, "/default/ctr1", ctrMnt, []string{"sleep", "99"}, ""},
		{102, 101, "sh", 520, "/default/ctr1", ctrMnt, []string{"sh"}, ""},
		// runc run web in the foreground with --root /srv/runc
		{200, 1, "runc", 600, "/user.slice/session-1.scope", hostMnt, []string{"runc", "--root", "/srv/runc", "run", "web"}, ""},
		{201, 200, "nginx", 610, "/web", ctrMnt, []string{"nginx"}, ""},
		// crun run -d db, default root
		{300, 1, "postgres", 700, "/db", ctrMnt, []string{"postgres"}, ""},
		// a host process next to the shim, and one a stale state names
		{400, 1, "cron", 800, "/system.slice/ctd.service", hostMnt, []string{"cron"}, ""},
		// a process in a Docker container calling itself runc, with a root
		// of its own choosing
		{500, 1, "runc", 900, "/system.slice/docker-" + dockerID + ".scope", ctrMnt, []string{"runc", "--root", "/srv/evil", "run", "x"}, ""},
		// a host runc whose --root anybody may write
		{600, 1, "runc", 950, "/user.slice/session-2.scope", hostMnt, []string{"runc", "--root", "/srv/open", "run", "y"}, ""},
	}
	for _, q := range procs {
		d := fmt.Sprint(q.pid)
		files[d+"/stat"] = statLine(q.pid, q.ppid, q.comm, q.start)
		files[d+"/cgroup"] = "0::" + q.cgroup + "\n"
		files[d+"/cmdline"] = strings.Join(q.cmdline, "\x00") + "\x00"
		files[d+"/ns/mnt"] = "->" + q.mnt
		if q.cwd != "" {
			files[d+"/cwd"] = "->" + q.cwd
		}
	}
	files["1/root"] = "->" + host
	writeTree(t, proc, files)
	writeTree(t, host, map[string]string{
		"srv/ctd/state/io.containerd.runtime.v2.task/default/ctr1/init.pid": "101",
		// a task whose init.pid names a process that is no shim's child
		"srv/ctd/state/io.containerd.runtime.v2.task/default/gone/init.pid": "400",
		"srv/runc/web/state.json": `{"id":"web","init_process_pid":201,"init_process_start":610,"config":{"rootfs":"/x"}}`,
		"run/crun/db/status":      `{"pid":300,"process-start-time":700,"cgroup-path":"/db","rootfs":"/y"}`,
		// pid 400 is not the init this state was written for
		"run/runc/old/state.json": `{"id":"old","init_process_pid":400,"init_process_start":12}`,
		"srv/evil/x/state.json":   `{"id":"x","init_process_pid":400,"init_process_start":800}`,
		"srv/open/y/state.json":   `{"id":"y","init_process_pid":400,"init_process_start":800}`,
	})
	if err := os.Chmod(filepath.Join(host, "srv/open"), 0o777); err != nil {
		t.Fatal(err)
	}
	fsys := NewFS(proc, t.TempDir())
	opt := ListOptions{Host: []Namespace{{Type: NSMount, Inode: 4026531841}}}
	list := func(cs []Container) map[string]string {
		got := map[string]string{}
		for _, c := range cs {
			got[c.Runtime.Name+" "+c.Name] = fmt.Sprintf("id=%s ns=%s pid=%d pids=%v cgroup=%s", c.ID, c.Runtime.Namespace, c.Pid, c.Pids, c.Cgroup)
		}
		return got
	}
	scanned, err := fsys.Scan()
	if err != nil {
		t.Fatal(err)
	}
	got := list(fsys.Containers(scanned, opt))
	// A Scanner, which keeps what it read between samples, sees the same,
	// and a container made after its first sample.
	s := fsys.NewScanner()
	scanner := func() map[string]string {
		procs, err := s.Scan()
		if err != nil {
			t.Fatal(err)
		}
		return list(s.Containers(procs, opt))
	}
	if first := scanner(); !reflect.DeepEqual(first, got) {
		t.Errorf("a Scanner's first sample: %v, want %v", first, got)
	}
	defer func() {
		writeTree(t, proc, map[string]string{
			"700/stat": statLine(700, 1, "redis", 990), "700/cgroup": "0::/cache\n", "700/cmdline": "redis\x00", "700/ns/mnt": "->" + ctrMnt,
		})
		writeTree(t, host, map[string]string{"run/crun/cache/status": `{"pid":700,"process-start-time":990}`})
		// The directory gained an entry: its mtime says so.
		future := time.Now().Add(time.Minute)
		os.Chtimes(filepath.Join(host, "run/crun"), future, future)
		next := scanner()
		if w := "id=cache ns= pid=700 pids=[700] cgroup=/cache"; next["crun cache"] != w {
			t.Errorf("crun cache after it was made: got %q, want %q", next["crun cache"], w)
		}
		if len(next) != len(got)+1 {
			t.Errorf("the Scanner's next sample: %v", next)
		}
	}()
	want := map[string]string{
		"containerd ctr1":         "id=ctr1 ns=default pid=101 pids=[101 102] cgroup=/default/ctr1",
		"runc web":                "id=web ns= pid=201 pids=[201] cgroup=/web",
		"crun db":                 "id=db ns= pid=300 pids=[300] cgroup=/db",
		"docker " + dockerID[:12]: fmt.Sprintf("id=%s ns= pid=500 pids=[500] cgroup=/system.slice/docker-%s.scope", dockerID, dockerID),
	}
	for k, w := range want {
		if got[k] != w {
			t.Errorf("%s: got %q, want %q", k, got[k], w)
		}
	}
	for k := range got {
		if _, ok := want[k]; !ok {
			t.Errorf("unexpected container %s: %s", k, got[k])
		}
	}
}

func TestFlagValues(t *testing.T) {
	for _, tc := range []struct {
		args  []string
		names []string
		want  string
	}{
		{[]string{"dockerd", "--data-root", "/d"}, []string{"data-root"}, "/d"},
		{[]string{"dockerd", "--data-root=/d"}, []string{"data-root"}, "/d"},
		{[]string{"dockerd", "-g", "/old"}, []string{"data-root", "g"}, "/old"},
		{[]string{"shim", "-namespace", "k8s.io", "-id", "x"}, []string{"namespace"}, "k8s.io"},
		{[]string{"runc", "--root"}, []string{"root"}, ""},
		{[]string{"runc", "run", "--", "--root", "/x"}, []string{"root"}, ""},
		{[]string{"runc", "--rootless", "true"}, []string{"root"}, ""},
	} {
		if got := flagValue(tc.args, tc.names...); got != tc.want {
			t.Errorf("flagValue(%q, %q) = %q, want %q", tc.args, tc.names, got, tc.want)
		}
	}
}

// A shim's or runtime's command line is whatever it was given: no
// argument list makes flagValues fail or loop.
func FuzzFlagValues(f *testing.F) {
	f.Add("runc\x00--root\x00/run/x\x00run\x00web", "root")
	f.Add("dockerd\x00-H\x00unix:///a\x00--host=unix:///b\x00--", "H")
	f.Add("--\x00-\x00=\x00--=", "")
	f.Fuzz(func(t *testing.T, cmdline, name string) {
		args := strings.Split(cmdline, "\x00")
		vals := flagValues(args, name)
		if len(vals) > len(args) {
			t.Fatalf("%d values from %d arguments", len(vals), len(args))
		}
	})
}
