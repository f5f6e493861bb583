package seccomp

import (
	"cmp"
	"encoding/binary"
	"math/rand/v2"
	"slices"
	"testing"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/net/bpf"
)

// dockerCaps is Docker's default bounding set.
var dockerCaps = []string{"CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_FSETID", "CAP_FOWNER", "CAP_MKNOD", "CAP_NET_RAW", "CAP_SETGID", "CAP_SETUID", "CAP_SETFCAP", "CAP_SETPCAP", "CAP_NET_BIND_SERVICE", "CAP_SYS_CHROOT", "CAP_KILL", "CAP_AUDIT_WRITE"}

// call is one system call as the filter sees it.
type call struct {
	arch uint32
	nr   uint32
	args [6]uint64
}

// run executes prog on c in x/net/bpf's interpreter. Its loads are
// big-endian, so struct seccomp_data is laid out with each 32-bit word in
// that order: a load then sees the value the kernel's would.
func run(t testing.TB, prog Program, c call) uint32 {
	t.Helper()
	return runVM(t, newVM(t, prog), c)
}

// newVM checks the program with the interpreter's verifier and loads it.
func newVM(t testing.TB, prog Program) *bpf.VM {
	t.Helper()
	insns := make([]bpf.Instruction, len(prog))
	for i, r := range prog {
		insns[i] = r.Disassemble()
	}
	vm, err := bpf.NewVM(insns)
	if err != nil {
		t.Fatalf("the program does not verify: %v", err)
	}
	return vm
}

func runVM(t testing.TB, vm *bpf.VM, c call) uint32 {
	t.Helper()
	data := make([]byte, 64)
	binary.BigEndian.PutUint32(data[offNr:], c.nr)
	binary.BigEndian.PutUint32(data[offArch:], c.arch)
	for i, v := range c.args {
		binary.BigEndian.PutUint32(data[offArgs+8*i:], uint32(v))
		binary.BigEndian.PutUint32(data[offArgs+8*i+4:], uint32(v>>32))
	}
	// The interpreter returns the verdict as an int (a packet length).
	out, err := vm.Run(data)
	if err != nil {
		t.Fatalf("running the program: %v", err)
	}
	return uint32(out)
}

const (
	auditX86_64 = 0xc000003e
	auditI386   = 0x40000003
)

func defaultProgram(t testing.TB, caps []string) (*specs.LinuxSeccomp, Program) {
	t.Helper()
	p, err := Resolve(nil, caps)
	if err != nil {
		t.Fatal(err)
	}
	prog, err := Compile(p, "amd64")
	if err != nil {
		t.Fatal(err)
	}
	return p, prog
}

// Docker's default profile, resolved for Docker's 14 capabilities: the
// verdicts the hostile-container issue lists, on each ABI.
func TestDefaultProfileVerdicts(t *testing.T) {
	_, prog := defaultProgram(t, dockerCaps)
	vm := newVM(t, prog)
	errno := func(e uint32) uint32 { return retErrno | e }
	const (
		cloneNewUser  = 0x10000000
		cloneVM       = 0x00000100
		readImpliesEx = 0x400000
		afVsock       = 40
		afAlg         = 38
		afInet        = 2
	)
	x64 := func(name string, args ...uint64) call {
		c := call{arch: auditX86_64, nr: archs()[specs.ArchX86_64].table[name]}
		copy(c.args[:], args)
		return c
	}
	x32 := func(name string, args ...uint64) call {
		c := call{arch: auditX86_64, nr: archs()[specs.ArchX32].table[name]}
		copy(c.args[:], args)
		return c
	}
	i386 := func(name string, args ...uint64) call {
		c := call{arch: auditI386, nr: archs()[specs.ArchX86].table[name]}
		copy(c.args[:], args)
		return c
	}
	for _, tc := range []struct {
		what string
		c    call
		want uint32
	}{
		{"read", x64("read"), retAllow},
		{"futex", x64("futex"), retAllow},
		{"exit_group", x64("exit_group"), retAllow},
		{"keyctl", x64("keyctl"), errno(eperm)},
		{"add_key", x64("add_key"), errno(eperm)},
		{"io_uring_setup", x64("io_uring_setup"), errno(eperm)},
		{"userfaultfd", x64("userfaultfd"), errno(eperm)},
		{"perf_event_open", x64("perf_event_open"), errno(eperm)},
		{"kexec_load", x64("kexec_load"), errno(eperm)},
		{"open_by_handle_at", x64("open_by_handle_at"), errno(eperm)},
		{"unshare(CLONE_NEWUSER)", x64("unshare", cloneNewUser), errno(eperm)},
		{"clone3", x64("clone3"), errno(enosys)},
		{"clone(CLONE_VM)", x64("clone", cloneVM), retAllow},
		{"clone(CLONE_NEWUSER)", x64("clone", cloneNewUser), errno(eperm)},
		{"personality(0)", x64("personality", 0), retAllow},
		{"personality(0xffffffff)", x64("personality", 0xffffffff), retAllow},
		{"personality(READ_IMPLIES_EXEC)", x64("personality", readImpliesEx), errno(eperm)},
		{"personality(1<<32)", x64("personality", 1<<32), errno(eperm)},
		{"socket(AF_INET)", x64("socket", afInet), retAllow},
		{"socket(AF_VSOCK)", x64("socket", afVsock), errno(eperm)},
		{"socket(AF_ALG)", x64("socket", afAlg), errno(eperm)},
		{"above the table", call{arch: auditX86_64, nr: 1000}, errno(enosys)},
		{"x32 read", x32("read"), retAllow},
		{"x32 execve", x32("execve"), retAllow},
		{"x32 keyctl", x32("keyctl"), errno(eperm)},
		{"x32 clone3", x32("clone3"), errno(enosys)},
		{"x32 personality(READ_IMPLIES_EXEC)", x32("personality", readImpliesEx), errno(eperm)},
		{"x32 the 64-bit execve number", call{arch: auditX86_64, nr: x32Bit | 59}, errno(eperm)},
		{"x32 above the table", call{arch: auditX86_64, nr: x32Bit | 1000}, errno(enosys)},
		{"i386 read", i386("read"), retAllow},
		{"i386 socketcall", i386("socketcall"), retAllow},
		{"i386 keyctl", i386("keyctl"), errno(eperm)},
		{"i386 clone3", i386("clone3"), errno(enosys)},
		{"i386 socket(AF_VSOCK)", i386("socket", afVsock), errno(eperm)},
		{"i386 personality(READ_IMPLIES_EXEC)", i386("personality", readImpliesEx), errno(eperm)},
		{"i386 above the table", call{arch: auditI386, nr: 1000}, errno(enosys)},
		{"arm64", call{arch: 0xc00000b7, nr: 63}, retKillProcess},
		{"another architecture", call{arch: 0x12345678, nr: 0}, retKillProcess},
	} {
		if got := runVM(t, vm, tc.c); got != tc.want {
			t.Errorf("%s: %#x, want %#x", tc.what, got, tc.want)
		}
	}
}

// With CAP_SYS_ADMIN, Docker's profile allows clone3 and new namespaces.
func TestDefaultProfileWithSysAdmin(t *testing.T) {
	_, prog := defaultProgram(t, append(slices.Clone(dockerCaps), "CAP_SYS_ADMIN"))
	for _, tc := range []struct {
		what string
		c    call
		want uint32
	}{
		{"clone3", call{arch: auditX86_64, nr: sysnumX86_64()["clone3"]}, retAllow},
		{"clone(CLONE_NEWUSER)", call{arch: auditX86_64, nr: sysnumX86_64()["clone"], args: [6]uint64{0x10000000}}, retAllow},
		{"mount", call{arch: auditX86_64, nr: sysnumX86_64()["mount"]}, retAllow},
		{"keyctl", call{arch: auditX86_64, nr: sysnumX86_64()["keyctl"]}, retErrno | eperm},
	} {
		if got := run(t, prog, tc.c); got != tc.want {
			t.Errorf("%s: %#x, want %#x", tc.what, got, tc.want)
		}
	}
}

// Small profiles compile to exactly this code.
func TestCompileKnownPrograms(t *testing.T) {
	one := uint(1)
	for _, tc := range []struct {
		what string
		p    specs.LinuxSeccomp
		want []bpf.Instruction
	}{
		{
			"one allowed call",
			specs.LinuxSeccomp{DefaultAction: specs.ActErrno, DefaultErrnoRet: &one, Architectures: []specs.Arch{specs.ArchX86},
				Syscalls: []specs.LinuxSyscall{{Names: []string{"read", "nosuchcall"}, Action: specs.ActAllow}}},
			[]bpf.Instruction{
				bpf.LoadAbsolute{Off: 4, Size: 4},
				bpf.JumpIf{Cond: bpf.JumpEqual, Val: auditI386, SkipFalse: 1},
				bpf.Jump{Skip: 1},
				bpf.RetConstant{Val: retKillProcess},
				bpf.LoadAbsolute{Off: 0, Size: 4},
				bpf.JumpIf{Cond: bpf.JumpGreaterThan, Val: maxNr(sysnumX86()), SkipFalse: 1},
				bpf.RetConstant{Val: retErrno | enosys},
				bpf.JumpIf{Cond: bpf.JumpEqual, Val: 3, SkipTrue: 1},
				bpf.Jump{Skip: 1},
				bpf.RetConstant{Val: retAllow},
				bpf.RetConstant{Val: retErrno | 1},
			},
		},
		{
			"an argument that must equal a 64-bit value, errno of the rule",
			specs.LinuxSeccomp{DefaultAction: specs.ActAllow, Architectures: []specs.Arch{specs.ArchX86},
				Syscalls: []specs.LinuxSyscall{{Names: []string{"personality"}, Action: specs.ActErrno, ErrnoRet: &one,
					Args: []specs.LinuxSeccompArg{{Index: 0, Value: 0x100000002, Op: specs.OpEqualTo}}}}},
			[]bpf.Instruction{
				bpf.LoadAbsolute{Off: 4, Size: 4},
				bpf.JumpIf{Cond: bpf.JumpEqual, Val: auditI386, SkipFalse: 1},
				bpf.Jump{Skip: 1},
				bpf.RetConstant{Val: retKillProcess},
				bpf.LoadAbsolute{Off: 0, Size: 4},
				bpf.JumpIf{Cond: bpf.JumpGreaterThan, Val: maxNr(sysnumX86()), SkipFalse: 1},
				bpf.RetConstant{Val: retErrno | enosys},
				bpf.JumpIf{Cond: bpf.JumpEqual, Val: 136, SkipTrue: 1},
				bpf.Jump{Skip: 6},
				bpf.LoadAbsolute{Off: 20, Size: 4},
				bpf.JumpIf{Cond: bpf.JumpEqual, Val: 1, SkipFalse: 3},
				bpf.LoadAbsolute{Off: 16, Size: 4},
				bpf.JumpIf{Cond: bpf.JumpEqual, Val: 2, SkipFalse: 1},
				bpf.RetConstant{Val: retErrno | 1},
				bpf.RetConstant{Val: retAllow},
				bpf.RetConstant{Val: retAllow},
			},
		},
	} {
		prog, err := Compile(&tc.p, "386")
		if err != nil {
			t.Fatalf("%s: %v", tc.what, err)
		}
		want, err := bpf.Assemble(tc.want)
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(prog, Program(want)) {
			got := make([]bpf.Instruction, len(prog))
			for i, r := range prog {
				got[i] = r.Disassemble()
			}
			t.Errorf("%s:\ngot  %v\nwant %v", tc.what, got, tc.want)
		}
	}
}

// Bad profiles are errors, not programs.
func TestCompileRefuses(t *testing.T) {
	for _, tc := range []struct {
		what string
		p    specs.LinuxSeccomp
	}{
		{"unknown action", specs.LinuxSeccomp{DefaultAction: "SCMP_ACT_MAYBE"}},
		{"notify", specs.LinuxSeccomp{DefaultAction: specs.ActAllow, Syscalls: []specs.LinuxSyscall{{Names: []string{"read"}, Action: specs.ActNotify}}}},
		{"argument 6", specs.LinuxSeccomp{DefaultAction: specs.ActAllow, Syscalls: []specs.LinuxSyscall{{Names: []string{"read"}, Action: specs.ActErrno, Args: []specs.LinuxSeccompArg{{Index: 6, Op: specs.OpEqualTo}}}}}},
		{"unknown operator", specs.LinuxSeccomp{DefaultAction: specs.ActAllow, Syscalls: []specs.LinuxSyscall{{Names: []string{"read"}, Action: specs.ActErrno, Args: []specs.LinuxSeccompArg{{Index: 0, Op: "SCMP_CMP_SOMETIMES"}}}}}},
		{"unknown architecture", specs.LinuxSeccomp{DefaultAction: specs.ActAllow, Architectures: []specs.Arch{specs.ArchPPC64}}},
	} {
		if prog, err := Compile(&tc.p, "amd64"); err == nil {
			t.Errorf("%s: compiled to %d instructions, want an error", tc.what, len(prog))
		}
	}
}

// expected is the profile's meaning, computed directly: what a system
// call c gets from the resolved rules p.
func expected(p *specs.LinuxSeccomp, c call) uint32 {
	list := p.Architectures
	if len(list) == 0 {
		list = []specs.Arch{specs.ArchX86_64}
	}
	var info archInfo
	found := false
	for _, a := range list {
		i := archs()[a]
		if i.audit == c.arch && i.x32 == (c.arch == auditX86_64 && c.nr&x32Bit != 0) {
			info, found = i, true
		}
	}
	if !found {
		return retKillProcess
	}
	if c.nr > maxNr(info.table) {
		return retErrno | enosys
	}
	defErrno := uint(eperm)
	if p.DefaultErrnoRet != nil {
		defErrno = *p.DefaultErrnoRet
	}
	best := verdict{rank: 99}
	bestOrder := 0
	for i, s := range p.Syscalls {
		has := false
		for _, n := range s.Names {
			if nr, ok := info.table[n]; ok && nr == c.nr {
				has = true
			}
		}
		if !has || !holds(s.Args, c.args) {
			continue
		}
		v, _ := newVerdict(s.Action, s.ErrnoRet, defErrno)
		if cmp.Or(cmp.Compare(v.rank, best.rank), cmp.Compare(i, bestOrder)) < 0 {
			best, bestOrder = v, i
		}
	}
	if best.rank == 99 {
		d, _ := newVerdict(p.DefaultAction, p.DefaultErrnoRet, eperm)
		return d.ret
	}
	return best.ret
}

func holds(conds []specs.LinuxSeccompArg, args [6]uint64) bool {
	for _, c := range conds {
		a := args[c.Index]
		ok := false
		switch c.Op {
		case specs.OpEqualTo:
			ok = a == c.Value
		case specs.OpNotEqual:
			ok = a != c.Value
		case specs.OpLessThan:
			ok = a < c.Value
		case specs.OpLessEqual:
			ok = a <= c.Value
		case specs.OpGreaterThan:
			ok = a > c.Value
		case specs.OpGreaterEqual:
			ok = a >= c.Value
		case specs.OpMaskedEqual:
			ok = a&c.Value == c.ValueTwo
		}
		if !ok {
			return false
		}
	}
	return true
}

// Every verdict of Docker's default profile, for every system call of
// every architecture with arguments that hit its conditions, agrees with
// the profile's meaning.
func TestDefaultProfileAgreesEverywhere(t *testing.T) {
	for _, caps := range [][]string{dockerCaps, append(slices.Clone(dockerCaps), "CAP_SYS_ADMIN", "CAP_SYS_PTRACE")} {
		p, prog := defaultProgram(t, caps)
		vm := newVM(t, prog)
		argsList := interestingArgs(p)
		conditional := map[string]bool{}
		for _, s := range p.Syscalls {
			for _, n := range s.Names {
				conditional[n] = conditional[n] || len(s.Args) > 0
			}
		}
		for _, a := range p.Architectures {
			info := archs()[a]
			for name, nr := range info.table {
				for _, args := range argsList {
					if !conditional[name] && args != ([6]uint64{}) {
						break // its verdict cannot depend on them
					}
					c := call{arch: info.audit, nr: nr, args: args}
					if got, want := runVM(t, vm, c), expected(p, c); got != want {
						t.Fatalf("%s nr %d args %v: %#x, want %#x", a, nr, args, got, want)
					}
				}
			}
		}
	}
}

// interestingArgs are argument vectors at and around every value the
// profile compares with, once each.
func interestingArgs(p *specs.LinuxSeccomp) [][6]uint64 {
	seen := map[[6]uint64]bool{{}: true}
	out := [][6]uint64{{}}
	for _, s := range p.Syscalls {
		for _, a := range s.Args {
			for _, v := range []uint64{a.Value, a.Value + 1, a.Value - 1, a.ValueTwo, ^a.Value, a.Value | 1<<40} {
				var args [6]uint64
				args[a.Index] = v
				if !seen[args] {
					seen[args] = true
					out = append(out, args)
				}
			}
		}
	}
	return out
}

// FuzzCompile: random profiles compile to programs that verify, are
// within the kernel's size, end in a return, and give every system call
// the verdict the profile means.
func FuzzCompile(f *testing.F) {
	f.Add(uint64(1), uint8(5))
	f.Add(uint64(42), uint8(40))
	f.Fuzz(func(t *testing.T, seed uint64, n uint8) {
		r := rand.New(rand.NewPCG(seed, uint64(n)))
		names := make([]string, 0, len(sysnumX86_64()))
		for name := range sysnumX86_64() {
			names = append(names, name)
		}
		slices.Sort(names)
		actions := []specs.LinuxSeccompAction{specs.ActAllow, specs.ActErrno, specs.ActKillProcess, specs.ActKillThread, specs.ActTrap, specs.ActLog, specs.ActTrace}
		ops := []specs.LinuxSeccompOperator{specs.OpEqualTo, specs.OpNotEqual, specs.OpLessThan, specs.OpLessEqual, specs.OpGreaterThan, specs.OpGreaterEqual, specs.OpMaskedEqual}
		values := []uint64{0, 1, 2, 40, 0xffffffff, 1 << 32, 0x100000001, ^uint64(0)}
		errno := uint(r.IntN(200))
		p := &specs.LinuxSeccomp{DefaultAction: actions[r.IntN(len(actions))], DefaultErrnoRet: &errno,
			Architectures: [][]specs.Arch{{specs.ArchX86_64}, {specs.ArchX86_64, specs.ArchX86, specs.ArchX32}, {specs.ArchX32}, {specs.ArchX86}}[r.IntN(4)]}
		for i := 0; i < int(n%60); i++ {
			s := specs.LinuxSyscall{Action: actions[r.IntN(len(actions))]}
			for j := 0; j <= r.IntN(4); j++ {
				s.Names = append(s.Names, names[r.IntN(len(names))])
			}
			if r.IntN(3) == 0 {
				e := uint(r.IntN(4096))
				s.ErrnoRet = &e
			}
			for j := 0; j < r.IntN(3); j++ {
				s.Args = append(s.Args, specs.LinuxSeccompArg{Index: uint(r.IntN(6)), Value: values[r.IntN(len(values))], ValueTwo: values[r.IntN(len(values))], Op: ops[r.IntN(len(ops))]})
			}
			p.Syscalls = append(p.Syscalls, s)
		}
		prog, err := Compile(p, "amd64")
		if err != nil {
			t.Fatalf("compile: %v", err)
		}
		if len(prog) > maxInstructions {
			t.Fatalf("%d instructions", len(prog))
		}
		if _, ok := prog[len(prog)-1].Disassemble().(bpf.RetConstant); !ok {
			t.Fatalf("does not end with a return")
		}
		vm := newVM(t, prog)
		for i := 0; i < 64; i++ {
			c := call{arch: []uint32{auditX86_64, auditI386, 0xc00000b7}[r.IntN(3)]}
			switch r.IntN(4) {
			case 0:
				c.nr = uint32(r.IntN(600))
			case 1:
				c.nr = x32Bit | uint32(r.IntN(600))
			default:
				c.nr = sysnumX86_64()[names[r.IntN(len(names))]]
				if c.arch == auditI386 {
					c.nr = sysnumX86()[names[r.IntN(len(names))]]
				}
			}
			for j := range c.args {
				c.args[j] = values[r.IntN(len(values))]
			}
			if got, want := runVM(t, vm, c), expected(p, c); got != want {
				t.Fatalf("arch %#x nr %#x args %v: %#x, want %#x", c.arch, c.nr, c.args, got, want)
			}
		}
	})
}

func BenchmarkCompileDefault(b *testing.B) {
	p, err := Resolve(nil, dockerCaps)
	if err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		if _, err := Compile(p, "amd64"); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkResolveDefault(b *testing.B) {
	for b.Loop() {
		if _, err := Resolve(nil, dockerCaps); err != nil {
			b.Fatal(err)
		}
	}
}
