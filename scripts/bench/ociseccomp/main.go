// Command ociseccomp prints Docker's default seccomp profile resolved for
// Docker's 14 capabilities on this kernel, as the linux.seccomp object of
// an OCI config.json: what nsinspect compiles, for runc to load through
// libseccomp, so scripts/bench/run.sh can time both with the same rules.
package main

import (
	"encoding/json"
	"fmt"
	"os"

	"github.com/nsinspect/nsinspect/launch"
	"github.com/nsinspect/nsinspect/launch/seccomp"
)

func main() {
	p, err := seccomp.Resolve(nil, launch.DefaultCapabilities)
	if err != nil {
		fmt.Fprintln(os.Stderr, "ociseccomp:", err)
		os.Exit(1)
	}
	json.NewEncoder(os.Stdout).Encode(p)
}
