package launch

import (
	"encoding/json"
	"errors"
	"os"
	"strings"

	"golang.org/x/sys/unix"
)

// ExecKeeperArg is argv[1] of the background nsinspect that exec -d leaves
// behind. It calls Exec, the very path of a foreground exec, so the
// command gets the same namespaces, cgroups, credentials, no_new_privs,
// seccomp filter and session; it then waits for the command and reaps it,
// as the shim does for docker exec -d. Without it, the command would be
// reparented to the host's init when nsinspect exits, and a zombie nobody
// reaps there would keep the container's pid namespace from ending (its
// init waits in zap_pid_ns_processes for every task of the namespace to be
// reaped, those that entered with setns included).
const (
	ExecKeeperArg = "exec-keeper"
	execKeeperEnv = "_NSINSPECT_EXEC_KEEPER=1"
)

// IsExecKeeper reports whether this process is the keeper of a detached
// exec.
func IsExecKeeper() bool {
	return len(os.Args) > 1 && os.Args[1] == ExecKeeperArg && os.Getenv(strings.Split(execKeeperEnv, "=")[0]) == "1"
}

// detachedExec is what the launcher hands the keeper: the container as the
// launcher found it (its init's pid and start time, so a reused pid is
// never entered) and the options of the command.
type detachedExec struct {
	State   State       `json:"state"`
	Options ExecOptions `json:"options"`
}

// ExecDetached runs a command in a running container as Exec does, with
// stdin at end of file and its output discarded (as docker exec -d), and
// returns once the command runs, or with an *ExitError (125, 126, 127)
// when it could not start. opt must ask for no terminal and no stdin.
func ExecDetached(st *State, opt ExecOptions) error {
	if opt.TTY || opt.Interactive {
		return failure(errors.New("a detached exec has no terminal and no stdin"))
	}
	// "/": it outlives us, and must hold no directory of ours.
	_, err := startBackground(ExecKeeperArg, []string{execKeeperEnv}, "/", "the keeper of the detached command", detachedExec{State: *st, Options: opt})
	return err
}

// ExecKeep is the body of a detached exec's keeper. It never returns.
func ExecKeep() {
	in := os.NewFile(3, "job")
	out := os.NewFile(4, "result")
	var job detachedExec
	if err := json.NewDecoder(in).Decode(&job); err != nil {
		os.Exit(125)
	}
	in.Close()
	// The result pipe is for the launcher only: never inherited by the
	// exec helper.
	unix.CloseOnExec(4)
	c, err := Exec(&job.State, job.Options, Stdio{})
	if err != nil {
		code := 125
		var ee *ExitError
		if errors.As(err, &ee) {
			code = ee.Code
		}
		json.NewEncoder(out).Encode(detachResult{Code: code, Error: err.Error()})
		os.Exit(code)
	}
	json.NewEncoder(out).Encode(detachResult{})
	out.Close()
	c.WaitExec()
	os.Exit(0)
}
