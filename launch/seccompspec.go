package launch

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"

	"github.com/nsinspect/nsinspect/launch/seccomp"
)

// Seccomp is the container's seccomp profile: Docker's default unless
// --security-opt seccomp=unconfined or seccomp=FILE (Docker's JSON
// format), and none with --privileged, as with Docker.
type Seccomp struct {
	// Profile is "default", "unconfined", or the file a custom profile
	// was read from; JSON is that file's content, kept so exec applies the
	// same profile whatever happens to the file later.
	Profile string          `json:"profile"`
	JSON    json.RawMessage `json:"json,omitempty"`
}

// Profile names of Seccomp.Profile.
const (
	SeccompDefault    = "default"
	SeccompUnconfined = "unconfined"
)

// ParseSecurityOpt applies one --security-opt: seccomp=unconfined,
// seccomp=FILE (also Docker's older seccomp:VALUE), or no-new-privileges,
// which nsinspect always sets. A profile file is read and compiled now,
// so a bad one is an error before anything is created.
func (s *Spec) ParseSecurityOpt(opt string) error {
	key, value, ok := strings.Cut(opt, "=")
	if !ok {
		key, value, ok = strings.Cut(opt, ":")
	}
	switch {
	case opt == "no-new-privileges" || key == "no-new-privileges" && value == "true":
		return nil
	case key != "seccomp" || !ok || value == "":
		return fmt.Errorf("invalid --security-opt %q: nsinspect knows seccomp=unconfined, seccomp=PROFILE.json and no-new-privileges", opt)
	case value == SeccompUnconfined:
		s.Seccomp = Seccomp{Profile: SeccompUnconfined}
		return nil
	}
	b, err := os.ReadFile(value)
	if err != nil {
		return fmt.Errorf("invalid --security-opt seccomp=%s: %w", value, err)
	}
	if !json.Valid(b) {
		return fmt.Errorf("invalid --security-opt seccomp=%s: not JSON", value)
	}
	abs, _ := filepath.Abs(value)
	s.Seccomp = Seccomp{Profile: abs, JSON: b}
	if _, err := s.seccompProgram(DefaultCapabilities); err != nil {
		return fmt.Errorf("invalid --security-opt seccomp=%s: %w", value, err)
	}
	return nil
}

// confined reports whether the container gets a filter at all.
func (s *Spec) confined() bool {
	return !s.Privileged && s.Seccomp.Profile != SeccompUnconfined
}

// seccompProgram resolves the container's profile against its bounding
// set (the capabilities it gets) and this kernel, and compiles it; nil
// when it runs unconfined.
func (s *Spec) seccompProgram(bounding []string) (seccomp.Program, error) {
	if !s.confined() {
		return nil, nil
	}
	var profile []byte
	if s.Seccomp.Profile != "" && s.Seccomp.Profile != SeccompDefault {
		profile = s.Seccomp.JSON
	}
	p, err := seccomp.Resolve(profile, bounding)
	if err != nil {
		return nil, err
	}
	return seccomp.Compile(p, runtime.GOARCH)
}
