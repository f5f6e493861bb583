package inspect

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// singleShow reads path as the scan does, into a buffer of the pool's size.
func singleShow(path string) ([]byte, error) {
	buf := make([]byte, 32<<10)
	return readInto(path, &buf, true)
}

// TestReadSingleShowReadsWhole: one read is the whole file when it leaves
// room in the buffer, and a file that fills it (32 KiB, the pool's size) or
// exceeds it is still read to the end.
func TestReadSingleShowReadsWhole(t *testing.T) {
	dir := t.TempDir()
	for _, size := range []int{0, 1, 300, 4096, 32<<10 - 1, 32 << 10, 32<<10 + 1, 70000} {
		want := strings.Repeat("y", size)
		path := filepath.Join(dir, strconv.Itoa(size))
		if err := os.WriteFile(path, []byte(want), 0o644); err != nil {
			t.Fatal(err)
		}
		got, err := singleShow(path)
		if err != nil || string(got) != want {
			t.Errorf("size %d: got %d bytes, %v", size, len(got), err)
		}
	}
	if _, err := singleShow(filepath.Join(dir, "missing")); !os.IsNotExist(err) {
		t.Errorf("a missing file: %v, want not-exist", err)
	}
}

// TestReadSingleShowProc compares the scan's two per-process files of a
// sleeping process (whose stat does not change) with os.ReadFile's.
func TestReadSingleShowProc(t *testing.T) {
	cmd := exec.Command("sleep", "30")
	if err := cmd.Start(); err != nil {
		t.Skipf("no sleep to read: %v", err)
	}
	defer func() { cmd.Process.Kill(); cmd.Wait() }()
	// Until it sleeps: while it execs, its stat changes from read to read.
	statPath := fmt.Sprintf("/proc/%d/stat", cmd.Process.Pid)
	for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(10 * time.Millisecond) {
		b, _ := os.ReadFile(statPath)
		if st, err := parseStat(b); err == nil && st.State == "S" && st.Comm == "sleep" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("sleep did not start sleeping: %q", b)
		}
	}
	for _, name := range []string{"stat", "cgroup"} {
		path := fmt.Sprintf("/proc/%d/%s", cmd.Process.Pid, name)
		want, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		got, err := singleShow(path)
		if err != nil || string(got) != string(want) {
			t.Errorf("%s: got %q, %v; want %q", path, got, err, want)
		}
	}
}
