package main

import (
	"io"
	"slices"
	"strings"
	"testing"

	"github.com/spf13/cobra"
)

// shellWords splits one example line as a POSIX shell would, far enough
// for the examples: words with '...' and "..." quoting, stopping at an
// unquoted |, >, ; or &. A $(...) or <(...) is one word, and its text is
// returned among subs, to be checked as a command of its own.
func shellWords(line string) (words, subs []string) {
	var w strings.Builder
	inWord := false
	flush := func() {
		if inWord {
			words = append(words, w.String())
		}
		w.Reset()
		inWord = false
	}
	for i := 0; i < len(line); i++ {
		c := line[i]
		switch {
		case c == '\'':
			j := strings.IndexByte(line[i+1:], '\'')
			w.WriteString(line[i+1 : i+1+j])
			i += j + 1
			inWord = true
		case c == '"':
			j := strings.IndexByte(line[i+1:], '"')
			w.WriteString(line[i+1 : i+1+j])
			i += j + 1
			inWord = true
		case (c == '$' || c == '<') && i+1 < len(line) && line[i+1] == '(':
			depth, j := 1, i+2
			for ; j < len(line) && depth > 0; j++ {
				switch line[j] {
				case '(':
					depth++
				case ')':
					depth--
				}
			}
			subs = append(subs, line[i+2:j-1])
			w.WriteString("sub")
			i = j - 1
			inWord = true
		case c == ' ' || c == '\t':
			flush()
		case c == '|' || c == '>' || c == ';' || c == '&':
			flush()
			return words, subs
		default:
			w.WriteByte(c)
			inWord = true
		}
	}
	flush()
	return words, subs
}

func TestShellWords(t *testing.T) {
	words, subs := shellWords(`nsinspect inspect $(nsinspect ps -q) | jq -r '.[] | "\(.pid)"'`)
	if !slices.Equal(words, []string{"nsinspect", "inspect", "sub"}) || !slices.Equal(subs, []string{"nsinspect ps -q"}) {
		t.Errorf("words %q, subs %q", words, subs)
	}
	words, _ = shellWords(`nsinspect ps --format 'table {{.Name}}\t{{.Pid}}' -f "name=a b" > out`)
	if !slices.Equal(words, []string{"nsinspect", "ps", "--format", `table {{.Name}}\t{{.Pid}}`, "-f", "name=a b"}) {
		t.Errorf("words %q", words)
	}
}

// commands lists c and every command below it that --help can show
// (cobra's help command included, which cobra does not count as
// available).
func commands(c *cobra.Command) []*cobra.Command {
	out := []*cobra.Command{c}
	for _, sub := range c.Commands() {
		if sub.IsAvailableCommand() || sub.Name() == "help" {
			out = append(out, commands(sub)...)
		}
	}
	return out
}

// Every command's --help has examples, and each one is a command line
// nsinspect accepts as written: it names that command (or, for the root
// and completion, one below it), and its flags and
// arguments parse and pass the command's argument check. Commands an
// example runs through $(...) or <(...) are checked the same way.
func TestEveryCommandHasWorkingExamples(t *testing.T) {
	// check parses one nsinspect command line in a fresh tree (flags keep
	// what a parse set) and returns the command it names.
	var check func(t *testing.T, line string) *cobra.Command
	check = func(t *testing.T, line string) *cobra.Command {
		t.Helper()
		words, subs := shellWords(line)
		for _, sub := range subs {
			if strings.HasPrefix(sub, "nsinspect ") {
				check(t, sub)
			}
		}
		for len(words) > 0 && words[0] != "nsinspect" {
			words = words[1:] // source <(...), sudo
		}
		if len(words) == 0 {
			return nil
		}
		root := newRootCmd(streams{in: strings.NewReader(""), out: io.Discard, err: io.Discard})
		cmd, rest, err := root.Find(words[1:])
		if err != nil {
			t.Errorf("%q: %v", line, err)
			return nil
		}
		if err := cmd.ParseFlags(rest); err != nil {
			t.Errorf("%q: %v", line, err)
			return cmd
		}
		if err := cmd.ValidateArgs(cmd.Flags().Args()); err != nil {
			t.Errorf("%q: %v", line, err)
		}
		return cmd
	}
	for _, c := range commands(newRootCmd(streams{in: strings.NewReader(""), out: io.Discard, err: io.Discard})) {
		t.Run(c.CommandPath(), func(t *testing.T) {
			if strings.TrimSpace(c.Example) == "" {
				t.Fatalf("%s has no examples in its --help", c.CommandPath())
			}
			for _, line := range strings.Split(c.Example, "\n") {
				line = strings.TrimSpace(line)
				if !strings.Contains(line, "nsinspect") {
					t.Errorf("example %q runs no nsinspect", line)
					continue
				}
				if got := check(t, line); got != nil && got.CommandPath() != c.CommandPath() && !strings.HasPrefix(got.CommandPath(), c.CommandPath()+" ") {
					t.Errorf("example %q of %s runs %s", line, c.CommandPath(), got.CommandPath())
				}
			}
		})
	}
}
