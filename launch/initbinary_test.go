package launch

import (
	"bytes"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

func TestStaticELF(t *testing.T) {
	exe, err := os.ReadFile("/proc/self/exe") // the test binary: an ELF, static or not
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		data func(t *testing.T) []byte
		want string // "" accepted
	}{
		{"a script", func(*testing.T) []byte { return []byte("#!/bin/sh\nexec \"$@\"\n") }, "not an ELF executable"},
		{"empty", func(*testing.T) []byte { return nil }, "not an ELF executable"},
		{"a truncated ELF header", func(*testing.T) []byte { return exe[:20] }, "not an ELF executable"},
		{"host tini-static", hostFile("/usr/bin/tini-static"), ""},
		{"host docker-init", hostFile("/usr/bin/docker-init"), ""},
		{"host tini (dynamic on Debian)", hostFile("/usr/bin/tini"), "dynamically linked (its loader /lib64/ld-linux-x86-64.so.2 would come from the container's root)"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := staticELF(bytes.NewReader(tc.data(t)))
			switch {
			case tc.want == "" && err != nil:
				t.Errorf("refused: %v", err)
			case tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)):
				t.Errorf("got %v, want an error with %q", err, tc.want)
			}
		})
	}
}

// hostFile reads a host binary, skipping when the host lacks it.
func hostFile(p string) func(t *testing.T) []byte {
	return func(t *testing.T) []byte {
		b, err := os.ReadFile(p)
		if err != nil {
			t.Skipf("%s not installed here (apt-get install tini docker.io): %v", p, err)
		}
		if p == "/usr/bin/tini" && !bytes.Contains(b, []byte("ld-linux-x86-64")) {
			t.Skipf("%s is not Debian's dynamically linked tini", p)
		}
		return b
	}
}

// Without --init-path the search takes the first static init in order,
// and names --init-path when there is none.
func TestSealedInitSearch(t *testing.T) {
	static, err := os.ReadFile("/usr/bin/tini-static")
	if err != nil {
		t.Skipf("tini-static not installed here (apt-get install tini): %v", err)
	}
	a, b := t.TempDir(), t.TempDir()
	oldNames, oldDirs := initNames, initDirs
	t.Cleanup(func() { initNames, initDirs = oldNames, oldDirs })
	initNames, initDirs = []string{"docker-init", "tini"}, []string{a, b}

	if _, _, err := sealedInit(""); err == nil || !strings.Contains(err.Error(), "give --init-path PATH") || strings.Contains(err.Error(), "\n") {
		t.Errorf("no init anywhere: %v, want one line naming --init-path", err)
	}
	os.WriteFile(filepath.Join(a, "docker-init"), []byte("#!/bin/sh\n"), 0o755) // skipped: a script
	os.WriteFile(filepath.Join(b, "tini"), static, 0o755)
	os.WriteFile(filepath.Join(b, "docker-init"), static, 0o755)
	mem, path, err := sealedInit("")
	if err != nil {
		t.Fatal(err)
	}
	defer mem.Close()
	if path != filepath.Join(b, "docker-init") {
		t.Errorf("found %s, want %s (a name before a directory, scripts skipped)", path, filepath.Join(b, "docker-init"))
	}
	// The copy is sealed: no write, no resize.
	if _, err := mem.WriteAt([]byte("x"), 0); err == nil {
		t.Error("the sealed copy took a write")
	}
	if err := mem.Truncate(1); err == nil {
		t.Error("the sealed copy was truncated")
	}
	got, err := os.ReadFile("/proc/self/fd/" + strconv.Itoa(int(mem.Fd())))
	if err != nil || !bytes.Equal(got, static) {
		t.Errorf("the copy differs from the binary (%d bytes, %v)", len(got), err)
	}
}
