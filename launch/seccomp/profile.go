package seccomp

import (
	"fmt"

	"github.com/moby/profiles/seccomp"
	specs "github.com/opencontainers/runtime-spec/specs-go"
)

// Resolve turns a profile in Docker's JSON format (nil: Docker's default)
// into the rules that apply to a container with the given bounding set on
// this kernel and architecture, as Docker does: rules that include a
// capability the container lacks, or exclude one it has, or need a newer
// kernel, are left out.
func Resolve(profile []byte, bounding []string) (*specs.LinuxSeccomp, error) {
	rs := &specs.Spec{Process: &specs.Process{Capabilities: &specs.LinuxCapabilities{Bounding: bounding}}}
	var p *specs.LinuxSeccomp
	var err error
	if profile == nil {
		p, err = seccomp.GetDefaultProfile(rs)
	} else {
		p, err = seccomp.LoadProfile(string(profile), rs)
	}
	if err != nil {
		return nil, err
	}
	if p == nil {
		return nil, fmt.Errorf("the profile has no defaultAction and no syscalls: use seccomp=unconfined to run without a filter")
	}
	return p, nil
}
