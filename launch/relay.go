package launch

import (
	"io"
	"os"
	"sync"
	"time"
)

// Stdio is where the container's standard streams go. The container never
// gets these files themselves: it gets pipes, and the launcher copies
// between them and the caller's (Docker does the same). A host terminal
// handed to a container process is a host terminal it can inject input
// into with TIOCSTI, and a log file handed to it is a host file it can
// write without bound.
//
// In nil means the container's stdin is at end of file from the start.
type Stdio struct {
	In       io.Reader
	Out, Err io.Writer
}

// relay is one set of pipes for a container process: Files are the
// container's ends (its fds 0, 1 and 2), which the caller passes to the
// process and then closes with started; the copying goroutines hold ours.
type relay struct {
	Files  [3]*os.File
	outs   []*os.File // our read ends of stdout and stderr
	stdin  *os.File   // our write end of stdin, or nil
	copies sync.WaitGroup
}

func newRelay(s Stdio) (*relay, error) {
	r := &relay{}
	ok := false
	defer func() {
		if !ok {
			r.close()
		}
	}()
	inR, inW, err := os.Pipe()
	if err != nil {
		return nil, err
	}
	r.Files[0] = inR
	if s.In == nil {
		inW.Close()
	} else {
		r.stdin = inW
	}
	for i, w := range []io.Writer{s.Out, s.Err} {
		pr, pw, err := os.Pipe()
		if err != nil {
			return nil, err
		}
		r.Files[i+1] = pw
		r.outs = append(r.outs, pr)
		if w == nil {
			w = io.Discard
		}
		r.copies.Add(1)
		go r.copyOut(w, pr)
	}
	if r.stdin != nil {
		go func(in io.Reader, w *os.File) {
			io.Copy(w, in)
			w.Close()
		}(s.In, r.stdin)
	}
	ok = true
	return r, nil
}

// copyOut copies one output stream until every writer in the container has
// closed it. When the caller's side fails (a closed pipe: `nsinspect run
// ... | head`), our read end is closed too, so the container gets EPIPE or
// SIGPIPE as it would writing to the caller's pipe directly, rather than
// blocking on a pipe nobody drains.
func (r *relay) copyOut(w io.Writer, pr *os.File) {
	defer r.copies.Done()
	buf := make([]byte, 32<<10)
	for {
		n, err := pr.Read(buf)
		if n > 0 {
			if _, werr := w.Write(buf[:n]); werr != nil {
				pr.Close()
				return
			}
		}
		if err != nil {
			return
		}
	}
}

// started closes the container's ends in this process once the container
// process holds them, so end of file arrives when it and its children are
// done.
func (r *relay) started() {
	for i, f := range r.Files {
		if f != nil {
			f.Close()
			r.Files[i] = nil
		}
	}
}

// wait lets the output copiers finish. A process's children can keep the
// pipes open after it exits (`sh -c 'sleep 100 &'`); after grace, what has
// not arrived is abandoned.
func (r *relay) wait(grace time.Duration) {
	done := make(chan struct{})
	go func() { r.copies.Wait(); close(done) }()
	select {
	case <-done:
		return
	case <-time.After(grace):
	}
	for _, f := range r.outs {
		f.SetReadDeadline(time.Now())
	}
	<-done
}

// close releases everything, whatever state the relay is in.
func (r *relay) close() {
	r.started()
	for _, f := range r.outs {
		f.Close()
	}
	if r.stdin != nil {
		r.stdin.Close()
	}
}
