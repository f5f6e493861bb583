package launch

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"syscall"
)

// SuperviseArg is argv[1] of the background nsinspect that runs a detached
// container (run -d): it stays in its own session, writes the container's
// output to its log, waits for it and cleans up, like conmon for podman.
const (
	SuperviseArg = "supervise"
	superviseEnv = "_NSINSPECT_SUPERVISE=1"
)

// IsSupervisor reports whether this process is a detached container's
// supervisor.
func IsSupervisor() bool {
	return len(os.Args) > 1 && os.Args[1] == SuperviseArg && os.Getenv(strings.Split(superviseEnv, "=")[0]) == "1"
}

type detachResult struct {
	ID    string `json:"id,omitempty"`
	Code  int    `json:"code,omitempty"`
	Error string `json:"error,omitempty"`
}

// StartDetached starts a supervisor for spec and returns the container's
// state once its command runs (or an *ExitError if it could not start).
func StartDetached(spec *Spec) (*State, error) {
	env := []string{superviseEnv}
	if v := os.Getenv("NSINSPECT_TEST_PAUSE_AT"); v != "" {
		env = append(env, "NSINSPECT_TEST_PAUSE_AT="+v)
	}
	res, err := startBackground(SuperviseArg, env, "", "the supervisor of the detached container", spec)
	if err != nil {
		return nil, err
	}
	return Find(res.ID)
}

// startBackground starts nsinspect again as arg (the supervisor of run -d,
// the keeper of exec -d) in a session of its own, hands it job as JSON on
// fd 3 and returns what it answers on fd 4 once it has started what it
// was given: its failure as an *ExitError, else its result. who names it
// in errors.
func startBackground(arg string, env []string, dir, who string, job any) (detachResult, error) {
	jobR, jobW, err := os.Pipe()
	if err != nil {
		return detachResult{}, failure(err)
	}
	defer jobW.Close()
	resR, resW, err := os.Pipe()
	if err != nil {
		jobR.Close()
		return detachResult{}, failure(err)
	}
	defer resR.Close()
	cmd := exec.Command("/proc/self/exe", arg)
	cmd.Env = env
	cmd.Dir = dir
	cmd.ExtraFiles = []*os.File{jobR, resW}
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
	err = cmd.Start()
	jobR.Close()
	resW.Close()
	if err != nil {
		return detachResult{}, failure(err)
	}
	if err := json.NewEncoder(jobW).Encode(job); err != nil {
		cmd.Process.Kill()
		cmd.Wait()
		return detachResult{}, failure(fmt.Errorf("passing the job to %s: %w", who, err))
	}
	jobW.Close()
	var res detachResult
	err = json.NewDecoder(bufio.NewReader(resR)).Decode(&res)
	go cmd.Wait() // reap it should it exit at once; otherwise it outlives us
	if err != nil {
		return detachResult{}, failure(fmt.Errorf("%s died: %w", who, err))
	}
	if res.Error != "" {
		return detachResult{}, &ExitError{Code: res.Code, Err: errors.New(res.Error)}
	}
	return res, nil
}

// Supervise is the body of a detached container's supervisor. It never
// returns.
func Supervise() {
	var spec Spec
	in := os.NewFile(3, "spec")
	out := os.NewFile(4, "result")
	if err := json.NewDecoder(in).Decode(&spec); err != nil {
		os.Exit(125)
	}
	in.Close()
	fail := func(err error) {
		code := 125
		var ee *ExitError
		if errors.As(err, &ee) {
			code = ee.Code
		}
		json.NewEncoder(out).Encode(detachResult{Code: code, Error: err.Error()})
		os.Exit(code)
	}
	c, err := Create(&spec)
	if err != nil {
		fail(err)
	}
	// The container writes to pipes; this process copies them into a log
	// it keeps within --log-opt's bounds. The container never holds the
	// log file itself (a host file it could fill without limit).
	log, err := openLog(c.State.LogFile(), spec.Log)
	if err != nil {
		c.abort()
		fail(err)
	}
	stdout, stderr := log.stream(StreamStdout), log.stream(StreamStderr)
	if err := c.Start(Stdio{Out: stdout, Err: stderr}); err != nil {
		fail(err)
	}
	json.NewEncoder(out).Encode(detachResult{ID: c.State.ID})
	out.Close()
	es := c.Wait() // the streams' copiers are done with them
	stdout.Flush()
	stderr.Flush()
	if es.Message != "" {
		fmt.Fprintln(stderr, "nsinspect: "+es.Message)
	}
	c.Finish(es)
	log.Close()
	os.Exit(0)
}
