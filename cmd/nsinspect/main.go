package main

import (
	"os"

	"github.com/nsinspect/nsinspect/launch"
)

func main() {
	// The same binary is the container's init and a detached container's
	// supervisor; those paths never reach the command line.
	switch {
	case launch.IsInit():
		launch.Init()
	case launch.IsSupervisor():
		launch.Supervise()
	}
	os.Exit(Main(os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
}
