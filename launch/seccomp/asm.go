package seccomp

import (
	"fmt"

	"golang.org/x/net/bpf"
)

// asm builds a classic BPF program with symbolic jump targets, resolved
// at the end. Classic BPF only jumps forward, so every program it builds
// terminates; a conditional jump reaches at most 255 instructions ahead,
// and Compile lays its code out so that only unconditional jumps (32-bit
// offsets) go far: resolve refuses anything else.
type asm struct {
	ins   []bpf.Instruction
	jumps []pending
	marks []int // label -> instruction index, -1 until marked
}

// label is a jump target; next and skip1 are the instruction right after
// the jump and the one after that.
type label int

const (
	next  label = -1
	skip1 label = -2
)

type pending struct {
	at     int
	t, f   label
	always bool
}

func (a *asm) newLabel() label {
	a.marks = append(a.marks, -1)
	return label(len(a.marks) - 1)
}

func (a *asm) mark(l label) { a.marks[l] = len(a.ins) }

func (a *asm) load(off uint32) { a.ins = append(a.ins, bpf.LoadAbsolute{Off: off, Size: 4}) }

func (a *asm) and(v uint32) { a.ins = append(a.ins, bpf.ALUOpConstant{Op: bpf.ALUOpAnd, Val: v}) }

func (a *asm) ret(v uint32) { a.ins = append(a.ins, bpf.RetConstant{Val: v}) }

func (a *asm) jumpIf(c bpf.JumpTest, v uint32, t, f label) {
	a.jumps = append(a.jumps, pending{at: len(a.ins), t: t, f: f})
	a.ins = append(a.ins, bpf.JumpIf{Cond: c, Val: v})
}

func (a *asm) jumpTo(l label) {
	a.jumps = append(a.jumps, pending{at: len(a.ins), t: l, always: true})
	a.ins = append(a.ins, bpf.Jump{})
}

func (a *asm) offset(at int, l label) (int, error) {
	switch l {
	case next:
		return 0, nil
	case skip1:
		return 1, nil
	}
	pos := a.marks[l]
	switch {
	case pos < 0:
		return 0, fmt.Errorf("seccomp compiler: label %d never placed", l)
	case pos <= at || pos >= len(a.ins):
		return 0, fmt.Errorf("seccomp compiler: jump from %d to %d", at, pos)
	}
	return pos - at - 1, nil
}

// resolve fills in every jump's offsets and returns the program.
func (a *asm) resolve() ([]bpf.Instruction, error) {
	for _, j := range a.jumps {
		t, err := a.offset(j.at, j.t)
		if err != nil {
			return nil, err
		}
		if j.always {
			a.ins[j.at] = bpf.Jump{Skip: uint32(t)}
			continue
		}
		f, err := a.offset(j.at, j.f)
		if err != nil {
			return nil, err
		}
		if t > 255 || f > 255 {
			return nil, fmt.Errorf("seccomp compiler: a conditional jump at %d reaches %d/%d instructions ahead (at most 255)", j.at, t, f)
		}
		ji := a.ins[j.at].(bpf.JumpIf)
		ji.SkipTrue, ji.SkipFalse = uint8(t), uint8(f)
		a.ins[j.at] = ji
	}
	for i, in := range a.ins {
		if in == nil {
			return nil, fmt.Errorf("seccomp compiler: empty instruction %d", i)
		}
	}
	if len(a.ins) == 0 {
		return nil, fmt.Errorf("seccomp compiler: empty program")
	}
	if _, ok := a.ins[len(a.ins)-1].(bpf.RetConstant); !ok {
		return nil, fmt.Errorf("seccomp compiler: the program does not end with a return")
	}
	return a.ins, nil
}
