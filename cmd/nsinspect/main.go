package main

import (
	"os"

	"github.com/nsinspect/nsinspect/launch"
)

func main() {
	// The same binary is the container's init, a detached container's
	// supervisor and a detached exec's keeper; those paths never reach the
	// command line.
	switch {
	case launch.IsInit():
		launch.Init()
	case launch.IsSupervisor():
		launch.Supervise()
	case launch.IsExecKeeper():
		launch.ExecKeep()
	}
	os.Exit(Main(os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
}
