package main

import (
	"errors"
	"fmt"
	"os"
	"strings"

	"github.com/nsinspect/nsinspect/inspect"
	"github.com/nsinspect/nsinspect/launch"
)

// findContainer resolves a name or id prefix of a container nsinspect
// started; an unknown one is a usage error (exit 2). When ref names a
// container of another runtime (ps lists it), the error says so and names
// the tool that manages it, instead of "no such container".
func findContainer(fsys inspect.FS, command, ref string) (*launch.State, error) {
	st, err := launch.Find(ref)
	if errors.Is(err, launch.ErrNotFound) {
		if other := otherRuntime(fsys, command, ref); other != nil {
			return nil, usageError{other}
		}
		return nil, usageError{err}
	}
	return st, err
}

// runtimeTools name the command that manages each runtime's containers.
var runtimeTools = map[string]string{
	inspect.RuntimeDocker:     "docker",
	inspect.RuntimePodman:     "podman",
	inspect.RuntimeContainerd: "ctr task",
	inspect.RuntimeCRIO:       "crictl",
	inspect.RuntimeKubernetes: "kubectl",
	inspect.RuntimeOCI:        "runc",
	inspect.RuntimeLXC:        "lxc-attach, lxc-stop",
	inspect.RuntimeNspawn:     "machinectl",
}

// otherRuntime looks ref up among every runtime's running containers (as
// ps finds them) and, when one that nsinspect did not start matches, says
// whose it is: "t1 is a docker container; nsinspect exec manages only
// containers started by nsinspect run — use docker exec". It is nil when
// ref names nothing or the lookup fails.
func otherRuntime(fsys inspect.FS, command, ref string) error {
	cs, _, err := fsys.Discover(false)
	if err != nil {
		return nil
	}
	c, err := pickContainer(cs, ref)
	if err != nil || c.Runtime.Name == inspect.RuntimeNsinspect {
		return nil
	}
	use := "use the tool that started it"
	if tool, ok := runtimeTools[c.Runtime.Name]; ok {
		use = "use " + tool
		if !strings.Contains(tool, ",") {
			use += " " + command
		}
	}
	return fmt.Errorf("%s is a %s container; nsinspect %s manages only containers started by nsinspect run — %s", ref, c.Runtime.Name, command, use)
}

func needRoot(what string) error {
	if os.Geteuid() != 0 {
		return fmt.Errorf("%s needs root", what)
	}
	return nil
}
