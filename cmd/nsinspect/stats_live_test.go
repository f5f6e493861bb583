package main

import (
	"bufio"
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
	if testing.Short() {
		// On the one emulated CPU of a scripts/vm guest, with the busy
		// loops, the sample in flight at the move was seen to end after
		// the next one began (3rd sample, once in the v1 guest): not yet
		// a bound this test can hold there. It runs in full on the host.
		t.Skip("-short (the VM guests): sample boundaries under emulation are not yet reliable for this bound")
	}
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
	// The process to move, for now in the test's own cgroup: no container.
	mover := exec.Command("sleep", "60")
	if err := mover.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { mover.Process.Kill(); mover.Wait() })

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
	// count is how many rows of id came before the first row of stop
	// (all of them when stop never came), and whether stop came.
	count := func(id, stop string) (n int, stopped bool) {
		mu.Lock()
		defer mu.Unlock()
		for _, l := range lines {
			if stop != "" && strings.Contains(l, stop) {
				return n, true
			}
			if strings.Contains(l, id) {
				n++
			}
		}
		return n, false
	}
	// Bounds in time only catch a hang (an emulated guest with two busy
	// loops on one CPU samples slowly); the assertion is in samples.
	for deadline := time.Now().Add(time.Minute); ; time.Sleep(50 * time.Millisecond) {
		if n, _ := count(decoyID, ""); n >= 3 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("stats showed the decoy container in fewer than 3 samples within a minute")
		}
	}

	// Move it, then find the first target row and how many decoy rows
	// (complete samples) came before it.
	before, _ := count(decoyID, "")
	for _, f := range target.procs {
		if err := os.WriteFile(f, []byte(strconv.Itoa(mover.Process.Pid)), 0); err != nil {
			t.Fatalf("moving pid %d to %s: %v", mover.Process.Pid, f, err)
		}
	}
	var at int
	found := false
	for deadline := time.Now().Add(time.Minute); !found && time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		at, found = count(decoyID, targetID)
	}
	if !found {
		n, _ := count(decoyID, "")
		t.Fatalf("pid %d moved into %s never showed in stats (%d samples since)", mover.Process.Pid, targetID[:12], n-before)
	}
	// Samples completed after the move before the target's: the one in
	// flight at the move may have read the old cgroup; the next must not.
	if late := at - before; late > 1 {
		t.Errorf("the moved process showed in the %d-th sample after the move, want within two", late+1)
	}
	stats.Process.Signal(syscall.SIGTERM)
}
