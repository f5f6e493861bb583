package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// A process moved into a container's cgroup while stats streams shows up
// in that container within two samples, on a loaded host: runtimes move
// processes all the time (a launcher's init joins its cgroup a moment
// after it exists). A decoy container present from the start counts the
// samples: its id sorts after the target's, so the target's first row
// comes before the decoy's row of the same sample.
func TestLiveStatsSeesMovedProcess(t *testing.T) {
	requireRoot(t)
	stamp := fmt.Sprintf("%d-%d", os.Getpid(), time.Now().UnixNano())
	decoyID, targetID := strings.Repeat("f1", 32), strings.Repeat("a1", 32)
	decoy := newTestCgroupAt(t, "move-"+stamp+"/docker/"+decoyID, "")
	target := newTestCgroupAt(t, "move-"+stamp+"/docker/"+targetID, "")
	startLive(t, decoy, "sleep 60; true", func(string) bool { return true })

	// Load: two busy loops, as many as this machine has CPUs.
	for range 2 {
		busy := exec.Command("sh", "-c", "while :; do :; done")
		if err := busy.Start(); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { busy.Process.Kill(); busy.Wait() })
	}
	stats := exec.Command(buildBinary(t), "stats", "--json", "--interval", "200ms")
	pipe, err := stats.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := stats.Start(); err != nil {
		t.Fatal(err)
	}
	// Stopped even when the test fails, before the cgroups go.
	t.Cleanup(func() { stats.Process.Kill(); stats.Wait() })
	var mu sync.Mutex
	var lines []string
	go func() {
		sc := bufio.NewScanner(pipe)
		for sc.Scan() {
			mu.Lock()
			lines = append(lines, sc.Text())
			mu.Unlock()
		}
	}()
	// rows are the (time, id) of every row read so far.
	type row struct {
		at time.Time
		id string
	}
	rows := func() []row {
		mu.Lock()
		defer mu.Unlock()
		var out []row
		for _, l := range lines {
			var r struct {
				Time time.Time `json:"time"`
				ID   string    `json:"id"`
			}
			if json.Unmarshal([]byte(l), &r) == nil {
				out = append(out, row{r.Time, r.ID})
			}
		}
		return out
	}
	count := func(id string) (n int) {
		for _, r := range rows() {
			if r.id == id {
				n++
			}
		}
		return n
	}
	// Bounds in time only catch a hang (an emulated guest with two busy
	// loops on one CPU samples slowly); the assertion is in samples.
	waitSamples := func(n int) {
		t.Helper()
		for deadline := time.Now().Add(time.Minute); count(decoyID) < n; time.Sleep(50 * time.Millisecond) {
			if time.Now().After(deadline) {
				t.Fatalf("stats showed the decoy container in fewer than %d samples within a minute", n)
			}
		}
	}
	waitSamples(3)
	// The process to move, for now in the test's own cgroup: no container.
	// It is started as a runtime starts the process it moves, and stats
	// scans it outside every container twice before the move: the bug was
	// a first look cached for good.
	mover := exec.Command("sleep", "60")
	if err := mover.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { mover.Process.Kill(); mover.Wait() })
	waitSamples(count(decoyID) + 2)

	// Move it. The samples are told apart by their time (when their
	// second reading was taken), not by when the test read them from the
	// pipe, which lags on a loaded machine.
	for _, f := range target.procs {
		if err := os.WriteFile(f, []byte(strconv.Itoa(mover.Process.Pid)), 0); err != nil {
			t.Fatalf("moving pid %d to %s: %v", mover.Process.Pid, f, err)
		}
	}
	moved := time.Now()
	var first time.Time
	for deadline := time.Now().Add(time.Minute); first.IsZero() && time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		for _, r := range rows() {
			if r.id == targetID {
				first = r.at
				break
			}
		}
	}
	if first.IsZero() {
		t.Fatalf("pid %d moved into %s never showed in stats (%d samples of the decoy since)", mover.Process.Pid, targetID[:12], count(decoyID))
	}
	// Samples taken after the move that did not show it: the one in
	// flight at the move may have scanned before it; the next must not.
	late := 0
	for _, r := range rows() {
		if r.id == decoyID && r.at.After(moved) && r.at.Before(first) {
			late++
		}
	}
	if late > 1 {
		t.Errorf("the moved process showed in the %d-th sample after the move, want within two", late+1)
	}
	stats.Process.Signal(syscall.SIGTERM)
}
