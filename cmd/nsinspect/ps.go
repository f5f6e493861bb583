package main

import (
	"slices"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/nsinspect/nsinspect/inspect"
	"github.com/nsinspect/nsinspect/report"
)

func newPsCmd(s streams, g *globals) *cobra.Command {
	var out outputFlags
	var all, quiet, noTrunc bool
	var filters []string
	var last int
	cmd := &cobra.Command{
		Use:   "ps [NAME...]",
		Short: "List every container on the host, whatever started it",
		Long: `List the containers running on this host, found from the kernel rather than
from daemons: processes are grouped by the cgroup path patterns of Docker,
containerd, CRI-O, Kubernetes, Podman, LXC, systemd-nspawn and nsinspect.
--all adds stopped nsinspect containers and groups of processes with their
own pid or mount namespace that no runtime claims ("namespaces").

--filter KEY=VALUE keeps the containers that match, as docker ps's does: a
key given twice matches either value, different keys must all match. Keys:
id (a prefix of the id), name (a substring of the name), runtime (as the
RUNTIME column shows it: docker, podman, kubernetes, nsinspect, ...),
status (running, exited, dead), pod (a Kubernetes pod's uid or a prefix of
it, or its name) and namespace (a Kubernetes namespace). A status filter,
like -n, also looks at what --all lists.`,
		Example: `  nsinspect ps
  nsinspect ps --all
  nsinspect ps --filter runtime=docker --filter runtime=podman
  nsinspect ps -f name=web -f status=running
  nsinspect ps -f namespace=kube-system -o wide
  nsinspect ps -n 3
  nsinspect ps --json | jq '.[] | select(.memory.limitBytes == null)'
  nsinspect ps --format '{{.ID}} {{.Runtime}} {{.Pid}}'
  nsinspect ps -q`,
		RunE: func(cmd *cobra.Command, args []string) error {
			f, err := out.parse(report.PsFormat)
			if err != nil {
				return err
			}
			filter, err := inspect.ParseFilter(filters)
			if err != nil {
				return usageError{err}
			}
			if cmd.Flags().Changed("last") && last < 1 {
				return usagef("invalid --last %d: want 1 or more", last)
			}
			// As in docker ps: -n and a status filter look at stopped
			// containers too.
			rows, err := listContainers(g.fs(), all || last > 0 || filter.Has("status"), args, filter)
			if err != nil {
				return err
			}
			rows = inspect.Newest(rows, last, func(r report.ContainerRow) time.Time { return r.Started })
			switch {
			case quiet:
				return report.WriteIDs(s.out, rows, noTrunc)
			case f.Kind == "json":
				return report.WriteJSON(s.out, rows)
			case f.Kind == "template":
				return report.WriteRows(s.out, f, rows, func(r report.ContainerRow) any { return r.View(noTrunc) })
			}
			return report.WriteContainers(s.out, rows, report.PsTable{Wide: f.Kind == "wide", NoTrunc: noTrunc, Width: tableWidth(s.out)})
		},
	}
	out.register(cmd)
	cmd.Flags().Lookup("output").Usage = "output form: table, wide or json"
	cmd.Flags().BoolVar(&noTrunc, "no-trunc", false, "print full ids and commands, and do not fit the table to the terminal")
	cmd.Flags().BoolVarP(&all, "all", "a", false, "also stopped nsinspect containers and unclaimed namespace groups")
	cmd.Flags().BoolVarP(&quiet, "quiet", "q", false, "print only the short ids")
	cmd.Flags().StringArrayVarP(&filters, "filter", "f", nil, "keep containers matching `KEY=VALUE` (id, name, runtime, status, pod, namespace); repeatable")
	cmd.Flags().IntVarP(&last, "last", "n", -1, "show the `N` most recently started containers (includes stopped ones, as --all)")
	return cmd
}

// named reports whether one of refs (names, ids, or id prefixes of at
// least four characters) names the container; no refs name every one.
func named(refs []string, name, id string) bool {
	return len(refs) == 0 || slices.ContainsFunc(refs, func(ref string) bool {
		return name == ref || id == ref || (len(ref) >= 4 && strings.HasPrefix(id, ref))
	})
}

// pickContainer is inspect.PickContainer with its lookup errors as usage
// errors (exit 2).
func pickContainer(cs []inspect.Container, ref string) (inspect.Container, error) {
	c, err := inspect.PickContainer(cs, ref)
	return c, lookupError(err)
}

// listContainers is ps: the running containers refs name (all without
// refs) and filter keeps, described, and with all the stopped nsinspect
// containers. Only those are described: that reads each one's cgroup,
// namespaces and command line.
func listContainers(fsys inspect.FS, all bool, refs []string, filter inspect.Filter) ([]report.ContainerRow, error) {
	cs, host, err := fsys.Discover(all)
	if err != nil {
		return nil, err
	}
	var facts []inspect.ContainerFacts
	for _, c := range cs {
		if named(refs, c.Name, c.ID) && filter.Match(c, "running") {
			facts = append(facts, fsys.Describe(c))
		}
	}
	rows := report.ContainerRows(facts, host, time.Now())
	if all && fsys.Live() {
		if states, err := fsys.LaunchedContainers(); err == nil {
			for _, r := range report.StoppedRows(states) {
				c := inspect.Container{ID: r.ID, Name: r.Name, Runtime: inspect.Runtime{Name: r.Runtime}}
				if named(refs, r.Name, r.ID) && filter.Match(c, r.Status) {
					rows = append(rows, r)
				}
			}
		}
	}
	return rows, nil
}
