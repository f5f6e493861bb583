package launch

import (
	"debug/elf"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"golang.org/x/sys/unix"
)

// The --init binary is the host's, never the container's: the launcher
// reads it once into a sealed memfd, and the container's init execs that
// by descriptor (execveat, AT_EMPTY_PATH), so nothing in the container's
// root is searched for it and nothing the container does can replace it,
// before or after it runs (a container that opens /proc/1/exe finds the
// sealed copy, CVE-2019-5736).

// initNames and initDirs are where --init looks for a binary when
// --init-path is not given: Docker's docker-init (tini, statically
// linked), tini's own static build, then tini; in the host's system
// directories and where Docker packages keep docker-init.
var (
	initNames = []string{"docker-init", "tini-static", "tini"}
	initDirs  = []string{"/usr/local/bin", "/usr/bin", "/usr/sbin", "/sbin", "/bin",
		"/usr/local/libexec/docker", "/usr/libexec/docker", "/usr/local/lib/docker", "/usr/lib/docker"}
)

// sealedInit opens the init binary (path, or the first static one found
// when path is empty), copies it into a sealed memfd and checks the copy
// is a statically linked ELF executable. It returns the memfd and the
// path it read.
func sealedInit(path string) (*os.File, string, error) {
	if path != "" {
		mem, err := sealedInitAt(path)
		if err != nil {
			return nil, "", fmt.Errorf("--init-path %s: %w", path, err)
		}
		return mem, path, nil
	}
	for _, name := range initNames {
		for _, dir := range initDirs {
			p := filepath.Join(dir, name)
			if mem, err := sealedInitAt(p); err == nil {
				return mem, p, nil
			}
		}
	}
	return nil, "", fmt.Errorf("--init: no statically linked init binary on this host (looked for %s in %s); install tini (Debian's package ships tini-static) or give --init-path PATH",
		strings.Join(initNames, ", "), strings.Join(initDirs, " "))
}

func sealedInitAt(path string) (*os.File, error) {
	src, err := os.Open(path)
	if err != nil {
		var pe *fs.PathError
		if errors.As(err, &pe) {
			return nil, pe.Err
		}
		return nil, err
	}
	defer src.Close()
	if st, err := src.Stat(); err != nil {
		return nil, err
	} else if !st.Mode().IsRegular() {
		return nil, errors.New("not a regular file")
	}
	mem, err := sealedCopy(src, filepath.Base(path))
	if err != nil {
		return nil, err
	}
	// The copy is what runs: check it, not the host's file.
	if err := staticELF(mem); err != nil {
		mem.Close()
		return nil, err
	}
	return mem, nil
}

// staticELF accepts an ELF executable without a program interpreter. A
// dynamically linked one (Debian's /usr/bin/tini) would have the kernel
// load its interpreter, and that its libraries, from the container's root:
// files the container controls, and which a --rootfs may not have. A
// script's interpreter would come from there too.
func staticELF(r io.ReaderAt) error {
	f, err := elf.NewFile(r)
	if err != nil {
		return errors.New("not an ELF executable (a script's interpreter would come from the container's root)")
	}
	defer f.Close()
	if f.Type != elf.ET_EXEC && f.Type != elf.ET_DYN {
		return fmt.Errorf("not an executable (ELF type %s)", f.Type)
	}
	for _, p := range f.Progs {
		if p.Type == elf.PT_INTERP {
			interp, _ := io.ReadAll(io.LimitReader(p.Open(), 256))
			return fmt.Errorf("dynamically linked (its loader %s would come from the container's root); give a statically linked init such as tini-static", strings.TrimRight(string(interp), "\x00"))
		}
	}
	return nil
}

// sealedCopy copies src into a memfd named name and seals it: no write,
// no growing or shrinking, no further seals.
func sealedCopy(src io.Reader, name string) (*os.File, error) {
	fd, err := unix.MemfdCreate(name, unix.MFD_CLOEXEC|unix.MFD_ALLOW_SEALING)
	if err != nil {
		return nil, fmt.Errorf("memfd_create: %w", err)
	}
	f := os.NewFile(uintptr(fd), "memfd:"+name)
	// Plain reads and writes: io.Copy would splice (copy_file_range),
	// whose pipe can still hold references to the memfd's pages when the
	// copy returns, and F_SEAL_WRITE then fails with EBUSY.
	buf := make([]byte, 1<<20)
	if _, err := io.CopyBuffer(struct{ io.Writer }{f}, struct{ io.Reader }{src}, buf); err != nil {
		f.Close()
		return nil, err
	}
	seals := unix.F_SEAL_SEAL | unix.F_SEAL_SHRINK | unix.F_SEAL_GROW | unix.F_SEAL_WRITE
	if _, err := unix.FcntlInt(uintptr(fd), unix.F_ADD_SEALS, seals); err != nil {
		f.Close()
		return nil, fmt.Errorf("sealing the memfd: %w", err)
	}
	return f, nil
}
