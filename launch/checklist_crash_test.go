package launch_test

// Checklist item 38 (security-notes.md §9) and §7's leak checks: the
// launcher SIGKILLed at every setup step, then gc, leaves nothing; and
// many containers in a row and in parallel leave nothing either.

import (
	"fmt"
	"os"
	"os/exec"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// Checklist 38: for each step NSINSPECT_TEST_PAUSE_AT can stop at, start a
// foreground run, wait until it is paused there, SIGKILL the launcher, run
// gc: no cgroup, state, mount or process is left.
func TestChecklist38CrashAtEveryStep(t *testing.T) {
	requireRoot(t)
	leakCheck(t)
	procLeakCheck(t)
	for _, tc := range []struct {
		step string
		// paused reports, from the host, that the container (its id and
		// its init's pid) has reached the step.
		paused func(id string, init int) bool
	}{
		// Every hierarchy's directory exists (on hybrid hosts the unified
		// one is made last).
		{"after-cgroup", func(id string, _ int) bool {
			for _, h := range cgroupHierarchies() {
				if !exists(h + "/nsinspect/" + id) {
					return false
				}
			}
			return true
		}},
		{"after-mount", func(_ string, init int) bool { return initMounted(init, false) }},
		{"after-pivot", func(_ string, init int) bool { return initMounted(init, true) }},
		{"before-exec", func(_ string, init int) bool { return statusField(init, "NoNewPrivs") == "1" }},
	} {
		t.Run(tc.step, func(t *testing.T) {
			before := hostMounts()
			l := startLauncher(t, []string{"NSINSPECT_TEST_PAUSE_AT=" + tc.step}, nil, "run", "--", "true")
			var st *stateFile
			var init int
			waitFor(t, "the launcher to pause at "+tc.step, func() bool {
				if st = stateBySupervisor(l.pid()); st == nil {
					return false
				}
				// The init, if started: at after-cgroup it may be.
				if kids := children(l.pid()); len(kids) == 1 {
					init = kids[0]
				} else if tc.step != "after-cgroup" {
					return false
				}
				return tc.paused(st.ID, init)
			})
			l.signal(t, syscall.SIGKILL)
			l.wait(t)
			if init > 0 && !poll(2*time.Second, func() bool { return gone(init) }) {
				t.Errorf("the init (pid %d) still runs 2 s after its launcher was SIGKILLed", init)
			}
			mustRun(t, "gc")
			assertNothingLeft(t, st.ID)
			if extra := newLines(before, hostMounts()); len(extra) > 0 {
				t.Errorf("host mounts left:\n%s", strings.Join(extra, "\n"))
			}
		})
	}
}

// initMounted reports whether the init has mounted the overlay root (in
// its own mount namespace), and with pivoted whether it is its root.
func initMounted(init int, pivoted bool) bool {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/mountinfo", init))
	if err != nil {
		return false
	}
	for _, m := range parseMountinfo(string(b)) {
		if m.fstype == "overlay" && strings.Contains(m.line, "/run/nsinspect/") {
			if pivoted == (m.point == "/") {
				return true
			}
		}
	}
	return false
}

// §7: a hundred containers in a row all succeed and leave nothing.
func TestChecklistHundredInARow(t *testing.T) {
	requireRoot(t)
	leakCheck(t)
	procLeakCheck(t)
	for i := 0; i < rounds(100); i++ {
		if r := nsi(t, "run", "--", "true"); r.code != 0 {
			t.Fatalf("run %d: exit %d, stderr %q", i, r.code, r.stderr)
		}
	}
}

// §7: a hundred containers, eight at a time, all succeed and leave
// nothing: launchers starting together (each runs gc first) must not
// take each other's containers for the remains of a killed one.
func TestChecklistHundredInParallel(t *testing.T) {
	requireRoot(t)
	leakCheck(t)
	procLeakCheck(t)
	var wg sync.WaitGroup
	var mu sync.Mutex
	var failed []string
	slots := make(chan struct{}, 8)
	for i := 0; i < rounds(100); i++ {
		wg.Add(1)
		slots <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-slots }()
			// Not nsi: it may call t.Fatal, which only the test's own
			// goroutine may.
			if out, err := exec.Command(bin, "run", "--", "true").CombinedOutput(); err != nil {
				mu.Lock()
				failed = append(failed, fmt.Sprintf("run %d: %v, %s", i, err, strings.TrimSpace(string(out))))
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	if len(failed) > 0 {
		t.Errorf("%d of 100 parallel runs failed:\n%s", len(failed), strings.Join(failed, "\n"))
	}
}
