package seccomp

import (
	"cmp"
	"encoding/binary"
	"errors"
	"fmt"
	"slices"
	"sync"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/net/bpf"
)

// Program is a compiled filter, ready for Load: the kernel's struct
// sock_filter and bpf.RawInstruction have the same layout.
type Program []bpf.RawInstruction

// The filter's return values (linux/seccomp.h).
const (
	retKillProcess = 0x80000000
	retKillThread  = 0x00000000
	retTrap        = 0x00030000
	retErrno       = 0x00050000
	retTrace       = 0x7ff00000
	retLog         = 0x7ffc0000
	retAllow       = 0x7fff0000

	enosys = 38
	eperm  = 1

	// maxInstructions is the kernel's BPF_MAXINSNS.
	maxInstructions = 4096
)

// The offsets of struct seccomp_data's fields: nr, arch, then the
// instruction pointer and six 64-bit arguments, in the host's byte order
// (little-endian on every architecture here: the low word first).
const (
	offNr   = 0
	offArch = 4
	offArgs = 16
)

// x32Bit marks an x32 system call: it enters the kernel as an x86-64 one
// (same audit architecture), with this bit set in its number.
const x32Bit = 0x40000000

// archInfo is what the compiler knows of a seccomp architecture.
type archInfo struct {
	audit   uint32 // AUDIT_ARCH_* (linux/audit.h)
	table   map[string]uint32
	x32     bool
	base    uint32 // the lowest number: x32's carry the x32 bit
	highest uint32
}

// archs is built on first use, not at package init: the five tables cost
// 0.3 ms of every command's start-up, and only run and exec compile a
// profile (GODEBUG=inittrace=1).
var archs = sync.OnceValue(func() map[specs.Arch]archInfo {
	m := map[specs.Arch]archInfo{
		specs.ArchX86_64:  {audit: 0xc000003e, table: sysnumX86_64()},
		specs.ArchX32:     {audit: 0xc000003e, table: sysnumX32(), x32: true, base: x32Bit},
		specs.ArchX86:     {audit: 0x40000003, table: sysnumX86()},
		specs.ArchAARCH64: {audit: 0xc00000b7, table: sysnumAARCH64()},
		specs.ArchARM:     {audit: 0x40000028, table: sysnumARM()},
	}
	for a, info := range m {
		info.highest = maxNr(info.table)
		m[a] = info
	}
	return m
})

// nativeArchs maps GOARCH to the architecture a profile without any
// applies to.
var nativeArchs = map[string]specs.Arch{"amd64": specs.ArchX86_64, "386": specs.ArchX86, "arm64": specs.ArchAARCH64, "arm": specs.ArchARM}

// verdict is one return value and its precedence: when several rules of
// one system call match, the kernel's order of actions decides, as
// libseccomp does: kill process, kill thread, trap, errno, trace, log,
// allow.
type verdict struct {
	ret  uint32
	rank int
}

func newVerdict(a specs.LinuxSeccompAction, errnoRet *uint, defaultErrno uint) (verdict, error) {
	data := func(def uint) uint32 {
		if errnoRet != nil {
			return uint32(*errnoRet & 0xffff)
		}
		return uint32(def & 0xffff)
	}
	switch a {
	case specs.ActKillProcess:
		return verdict{retKillProcess, 0}, nil
	case specs.ActKill, specs.ActKillThread:
		return verdict{retKillThread, 1}, nil
	case specs.ActTrap:
		return verdict{retTrap, 2}, nil
	case specs.ActErrno:
		return verdict{retErrno | data(defaultErrno), 3}, nil
	case specs.ActTrace:
		return verdict{retTrace | data(0), 5}, nil
	case specs.ActLog:
		return verdict{retLog, 6}, nil
	case specs.ActAllow:
		return verdict{retAllow, 7}, nil
	case specs.ActNotify:
		return verdict{}, errors.New("SCMP_ACT_NOTIFY needs a seccomp agent, which nsinspect does not run")
	}
	return verdict{}, fmt.Errorf("unknown seccomp action %q", a)
}

// rule is one resolved rule of one system call.
type rule struct {
	verdict
	args  []specs.LinuxSeccompArg
	order int // position in the profile, for equal precedence
}

// Compile turns a resolved profile into a BPF program. The program first
// checks the architecture: each the profile names gets its own rules with
// its own system call numbers (x32 is told apart from x86-64 by the x32
// bit); any other is killed. In each architecture, a number above the
// highest its table knows returns ENOSYS (a newer C library then falls
// back to an older call, as runc does it), then the rules, then the
// default action.
func Compile(p *specs.LinuxSeccomp, goarch string) (Program, error) {
	if p == nil {
		return nil, errors.New("no seccomp profile")
	}
	defErrno := uint(eperm)
	if p.DefaultErrnoRet != nil {
		defErrno = *p.DefaultErrnoRet
	}
	def, err := newVerdict(p.DefaultAction, p.DefaultErrnoRet, eperm)
	if err != nil {
		return nil, fmt.Errorf("defaultAction: %w", err)
	}
	list := p.Architectures
	if len(list) == 0 {
		native, ok := nativeArchs[goarch]
		if !ok {
			return nil, fmt.Errorf("no seccomp architecture for %s", goarch)
		}
		list = []specs.Arch{native}
	}
	var audits []uint32
	for _, a := range list {
		info, ok := archs()[a]
		if !ok {
			return nil, fmt.Errorf("architecture %s: nsinspect has no system call table for it", a)
		}
		if !slices.Contains(audits, info.audit) {
			audits = append(audits, info.audit)
		}
	}
	var a asm
	a.load(offArch)
	sections := map[uint32]label{}
	for _, audit := range audits {
		l := a.newLabel()
		sections[audit] = l
		a.jumpIf(bpf.JumpEqual, audit, next, skip1)
		a.jumpTo(l)
	}
	a.ret(retKillProcess)
	for _, audit := range audits {
		a.mark(sections[audit])
		a.load(offNr)
		var plain, x32 specs.Arch
		for _, name := range list {
			if info := archs()[name]; info.audit == audit {
				if info.x32 {
					x32 = name
				} else {
					plain = name
				}
			}
		}
		if audit == archs()[specs.ArchX86_64].audit && plain != "" && x32 != "" {
			if err := a.x86Section(p.Syscalls, def, defErrno); err != nil {
				return nil, err
			}
			continue
		}
		if audit == archs()[specs.ArchX86_64].audit {
			// x86-64 and x32 share the audit architecture.
			lx32 := a.newLabel()
			a.jumpIf(bpf.JumpBitsSet, x32Bit, next, skip1)
			a.jumpTo(lx32)
			if plain != "" {
				if err := a.section(archs()[plain], p.Syscalls, def, defErrno); err != nil {
					return nil, fmt.Errorf("%s: %w", plain, err)
				}
			} else {
				a.ret(retKillProcess)
			}
			a.mark(lx32)
			if x32 != "" {
				if err := a.section(archs()[x32], p.Syscalls, def, defErrno); err != nil {
					return nil, fmt.Errorf("%s: %w", x32, err)
				}
			} else {
				a.ret(retKillProcess)
			}
			continue
		}
		if err := a.section(archs()[plain], p.Syscalls, def, defErrno); err != nil {
			return nil, fmt.Errorf("%s: %w", plain, err)
		}
	}
	insns, err := a.resolve()
	if err != nil {
		return nil, err
	}
	if len(insns) > maxInstructions {
		return nil, fmt.Errorf("the profile compiles to %d BPF instructions, more than the kernel's %d", len(insns), maxInstructions)
	}
	raw, err := bpf.Assemble(insns)
	if err != nil {
		return nil, fmt.Errorf("assembling the filter: %w", err)
	}
	return raw, nil
}

// section emits one architecture's part; the system call number is in A.
func (a *asm) section(info archInfo, calls []specs.LinuxSyscall, def verdict, defErrno uint) error {
	rules, err := byNumber(info, calls, defErrno)
	if err != nil {
		return err
	}
	a.jumpIf(bpf.JumpGreaterThan, info.highest, next, skip1)
	a.ret(retErrno | enosys)
	a.rules(info, rules, info.base, def)
	return nil
}

// x86Section emits the x86-64 audit architecture's part when both x86-64
// and x32 are filtered, with one copy of the rules: an x32 number above
// the range the two share (512 and up: x32's own numbers for calls whose
// x86-64 entry is 64-bit only) gets x32's rules; one of those 64-bit-only
// x86-64 numbers with the x32 bit is no x32 call and gets the default;
// any other x32 number is the x86-64 call of the same number, so it
// drops the bit and takes the x86-64 rules. The number is in A.
func (a *asm) x86Section(calls []specs.LinuxSyscall, def verdict, defErrno uint) error {
	x64, x32 := archs()[specs.ArchX86_64], archs()[specs.ArchX32]
	rules64, err := byNumber(x64, calls, defErrno)
	if err != nil {
		return err
	}
	rules32, err := byNumber(x32, calls, defErrno)
	if err != nil {
		return err
	}
	// Classic BPF jumps forward only: the x32 part comes first, then the
	// x86-64 part it shares, then x32's own.
	l64, lrules, lown := a.newLabel(), a.newLabel(), a.newLabel()
	a.jumpIf(bpf.JumpBitsSet, x32Bit, skip1, next)
	a.jumpTo(l64)
	a.jumpIf(bpf.JumpGreaterThan, x32.highest, next, skip1)
	a.ret(retErrno | enosys)
	a.jumpIf(bpf.JumpGreaterOrEqual, x32Own, next, skip1)
	a.jumpTo(lown)
	a.runs(toRuns(x32Missing()), def.ret)
	a.and(^uint32(x32Bit))
	a.jumpTo(lrules)
	a.mark(l64)
	a.jumpIf(bpf.JumpGreaterThan, x64.highest, next, skip1)
	a.ret(retErrno | enosys)
	a.mark(lrules)
	a.rules(x64, rules64, 0, def)
	a.mark(lown)
	a.rules(x32, rules32, x32Own, def)
	return nil
}

// x32Own is the first of x32's own numbers (512 with the x32 bit); below
// it, x32 numbers are x86-64's with the bit, but for x32Missing: the
// x86-64 numbers, with the x32 bit, whose calls are 64-bit only.
const x32Own = x32Bit | 512

var x32Missing = sync.OnceValue(func() []uint32 {
	has := map[uint32]bool{}
	for _, nr := range archs()[specs.ArchX32].table {
		has[nr] = true
	}
	var out []uint32
	for _, nr := range archs()[specs.ArchX86_64].table {
		if !has[nr|x32Bit] {
			out = append(out, nr|x32Bit)
		}
	}
	slices.Sort(out)
	return out
})

// byNumber collects every rule of the profile under the numbers of its
// names on one architecture.
func byNumber(info archInfo, calls []specs.LinuxSyscall, defErrno uint) ([][]rule, error) {
	rules := make([][]rule, info.highest-info.base+1) // by number, from base
	for i, c := range calls {
		v, err := newVerdict(c.Action, c.ErrnoRet, defErrno)
		if err != nil {
			return nil, fmt.Errorf("rule %d (%v): %w", i, c.Names, err)
		}
		for _, arg := range c.Args {
			if arg.Index > 5 {
				return nil, fmt.Errorf("rule %d (%v): argument index %d (a system call has 6)", i, c.Names, arg.Index)
			}
			if _, err := condition(arg.Op); err != nil {
				return nil, fmt.Errorf("rule %d (%v): %w", i, c.Names, err)
			}
		}
		for _, name := range c.Names {
			// A name this architecture does not have is skipped, as
			// libseccomp does (socketcall exists on x86, not on x86-64).
			if nr, ok := info.table[name]; ok {
				rules[nr-info.base] = append(rules[nr-info.base], rule{v, c.Args, i})
			}
		}
	}
	return rules, nil
}

// rules emits the tests of every number from from up, then the default.
func (a *asm) rules(info archInfo, rules [][]rule, from uint32, def verdict) {
	// Every rule of a system call, most severe action first; when its
	// most severe rule has no condition, that is its verdict (plain). The
	// numbers come out in order.
	plain := map[uint32][]uint32{} // verdict -> numbers
	var blocks []uint32
	for i, rs := range rules {
		nr := uint32(i) + info.base
		if len(rs) == 0 || nr < from {
			continue
		}
		slices.SortStableFunc(rs, func(x, y rule) int { return cmp.Or(cmp.Compare(x.rank, y.rank), cmp.Compare(x.order, y.order)) })
		if len(rs[0].args) == 0 {
			plain[rs[0].ret] = append(plain[rs[0].ret], nr)
		} else {
			blocks = append(blocks, nr)
		}
	}
	// Allowed calls first: they are what a program makes all the time,
	// and the scan stops at the first match.
	rets := make([]uint32, 0, len(plain))
	for r := range plain {
		rets = append(rets, r)
	}
	slices.SortFunc(rets, func(x, y uint32) int {
		return cmp.Or(cmp.Compare(boolInt(x != retAllow), boolInt(y != retAllow)), cmp.Compare(x, y))
	})
	for _, r := range rets {
		a.runs(toRuns(plain[r]), r)
	}
	slices.Sort(blocks)
	for _, nr := range blocks {
		after := a.newLabel()
		a.jumpIf(bpf.JumpEqual, nr, skip1, next)
		a.jumpTo(after)
		for _, r := range rules[nr-info.base] {
			fail := a.newLabel()
			for _, arg := range r.args {
				a.compare(arg, fail)
			}
			a.ret(r.ret)
			a.mark(fail)
		}
		a.ret(def.ret)
		a.mark(after)
	}
	a.ret(def.ret)
}

// runs returns r for a number in any of the runs and falls through
// otherwise. Runs of consecutive numbers are tested as ranges: the
// program is smaller, and the kernel's cost of loading it grows with its
// size. A run never spans a number the table does not know, so nothing
// unlisted is let through.
func (a *asm) runs(runs [][2]uint32, r uint32) {
	for len(runs) > 0 {
		chunk := runs[:min(len(runs), 120)]
		runs = runs[len(chunk):]
		hit, miss := a.newLabel(), a.newLabel()
		for _, run := range chunk {
			if run[0] == run[1] {
				a.jumpIf(bpf.JumpEqual, run[0], hit, next)
				continue
			}
			a.jumpIf(bpf.JumpGreaterOrEqual, run[0], next, skip1)
			a.jumpIf(bpf.JumpGreaterThan, run[1], next, hit)
		}
		a.jumpTo(miss)
		a.mark(hit)
		a.ret(r)
		a.mark(miss)
	}
}

// toRuns groups sorted numbers into runs of consecutive ones, [first, last].
func toRuns(nrs []uint32) [][2]uint32 {
	var runs [][2]uint32
	for _, nr := range nrs {
		if n := len(runs); n > 0 && runs[n-1][1]+1 == nr {
			runs[n-1][1] = nr
			continue
		}
		runs = append(runs, [2]uint32{nr, nr})
	}
	return runs
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

func condition(op specs.LinuxSeccompOperator) (specs.LinuxSeccompOperator, error) {
	switch op {
	case specs.OpEqualTo, specs.OpNotEqual, specs.OpLessThan, specs.OpLessEqual,
		specs.OpGreaterThan, specs.OpGreaterEqual, specs.OpMaskedEqual:
		return op, nil
	}
	return "", fmt.Errorf("unknown argument operator %q", op)
}

// compare emits a test of one argument that jumps to fail when it does not
// hold and falls through when it does. Arguments are 64 bits, loaded as
// two 32-bit words, high word first; on a 32-bit ABI the kernel
// zero-extends them, so the same test is right there.
func (a *asm) compare(arg specs.LinuxSeccompArg, fail label) {
	lo, hi := uint32(offArgs+8*arg.Index), uint32(offArgs+8*arg.Index+4)
	vlo, vhi := uint32(arg.Value), uint32(arg.Value>>32)
	pass := a.newLabel()
	switch arg.Op {
	case specs.OpEqualTo:
		a.load(hi)
		a.jumpIf(bpf.JumpEqual, vhi, next, fail)
		a.load(lo)
		a.jumpIf(bpf.JumpEqual, vlo, next, fail)
	case specs.OpNotEqual:
		a.load(hi)
		a.jumpIf(bpf.JumpEqual, vhi, next, pass)
		a.load(lo)
		a.jumpIf(bpf.JumpEqual, vlo, fail, next)
	case specs.OpGreaterThan, specs.OpGreaterEqual:
		a.load(hi)
		a.jumpIf(bpf.JumpGreaterThan, vhi, pass, next)
		a.jumpIf(bpf.JumpEqual, vhi, next, fail)
		a.load(lo)
		test := bpf.JumpGreaterThan
		if arg.Op == specs.OpGreaterEqual {
			test = bpf.JumpGreaterOrEqual
		}
		a.jumpIf(test, vlo, next, fail)
	case specs.OpLessThan, specs.OpLessEqual:
		a.load(hi)
		a.jumpIf(bpf.JumpGreaterThan, vhi, fail, next)
		a.jumpIf(bpf.JumpEqual, vhi, next, pass)
		a.load(lo)
		test := bpf.JumpGreaterOrEqual // not less than
		if arg.Op == specs.OpLessEqual {
			test = bpf.JumpGreaterThan // not less or equal
		}
		a.jumpIf(test, vlo, fail, next)
	case specs.OpMaskedEqual:
		// OCI's masked equality: (arg & value) == valueTwo.
		wlo, whi := uint32(arg.ValueTwo), uint32(arg.ValueTwo>>32)
		a.load(hi)
		a.and(vhi)
		a.jumpIf(bpf.JumpEqual, whi, next, fail)
		a.load(lo)
		a.and(vlo)
		a.jumpIf(bpf.JumpEqual, wlo, next, fail)
	}
	a.mark(pass)
}

// Bytes is the program as the kernel lays it out (struct sock_filter:
// code, jt, jf, k), little-endian, for passing it to another process.
func (p Program) Bytes() []byte {
	b := make([]byte, 0, 8*len(p))
	for _, in := range p {
		b = binary.LittleEndian.AppendUint16(b, in.Op)
		b = append(b, in.Jt, in.Jf)
		b = binary.LittleEndian.AppendUint32(b, in.K)
	}
	return b
}

// ProgramFrom reads what Bytes wrote.
func ProgramFrom(b []byte) (Program, error) {
	if len(b)%8 != 0 || len(b) == 0 || len(b) > 8*maxInstructions {
		return nil, fmt.Errorf("a seccomp program of %d bytes: want 8 per instruction, at most %d", len(b), maxInstructions)
	}
	p := make(Program, len(b)/8)
	for i := range p {
		in := b[8*i:]
		p[i] = bpf.RawInstruction{Op: binary.LittleEndian.Uint16(in), Jt: in[2], Jf: in[3], K: binary.LittleEndian.Uint32(in[4:])}
	}
	return p, nil
}

// Number is the system call number of name on architecture arch, from the
// same tables the compiler uses.
func Number(arch specs.Arch, name string) (uint32, bool) {
	nr, ok := archs()[arch].table[name]
	return nr, ok
}

// Highest is the highest system call number the table of arch knows:
// anything above it gets ENOSYS.
func Highest(arch specs.Arch) uint32 { return archs()[arch].highest }

func maxNr(table map[string]uint32) uint32 {
	var m uint32
	for _, n := range table {
		m = max(m, n)
	}
	return m
}
