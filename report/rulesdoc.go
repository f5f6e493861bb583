package report

import (
	"fmt"
	"io"
	"strings"
)

// LaunchDefaultRules are the rules a container of nsinspect run with
// default flags triggers, whose PID 1 handles SIGTERM: docs/rules.md
// lists them and a live test holds the launcher to them. None is warn or
// worse, so such a container passes audit --fail-on warn.
var LaunchDefaultRules = []string{"lsm-unconfined", "root-without-userns", "no-cpu-limit"}

// DockerDefaultRules are those of docker run with Docker's defaults, on a
// host without AppArmor, whose PID 1 handles SIGTERM.
var DockerDefaultRules = []string{"no-new-privs", "lsm-unconfined", "root-without-userns", "no-memory-limit", "no-pids-limit", "no-cpu-limit"}

// WriteRulesMarkdown writes docs/rules.md from the catalogue
// (go run ./scripts/genrules docs/rules.md).
func WriteRulesMarkdown(w io.Writer) error {
	var b strings.Builder
	b.WriteString(`# nsinspect audit rules

<!-- Generated from report/rules.go by ` + "`go run ./scripts/genrules docs/rules.md`" + `; a test fails when it is stale. -->

` + "`nsinspect audit`" + ` judges containers by these rules. Each has a stable id (for
` + "`--rule`, `--skip`" + ` and ` + "`jq`" + `), a severity, and the fix in Docker, Kubernetes and
nsinspect terms. The findings are the same ones ` + "`nsinspect pid --explain`" + ` prints
(docs/explain.md), from one catalogue. References cite the ` + cisVersion + `
(section numbers move between versions) and the Kubernetes Pod Security Standards.

Severity: **critical** is a way out of the container or onto the whole host;
**warn** is a risk to the host or the workload that an operator should fix;
**info** is worth knowing and often Docker's own default. A finding can rate
itself above or below its rule's usual severity; the rule says when.

` + "`audit --fail-on warn`" + ` exits 3 when any finding is warn or worse; without
` + "`--fail-on`" + ` audit exits 0 whatever it finds (1 when a target could not be read
in full, 2 for an unknown target).

## Every process of the container is judged

A container controls its own init: PID 1 can chroot, enter a user
namespace of its own or drop its capabilities while a sibling keeps them.
So audit reads, besides the init, one process of each distinct kind in the
container (capability sets, seccomp mode, no_new_privs, user and mount
namespace, root directory) and reports what any of them shows; a finding
that only a sibling shows names it ("(pid 4711, sleep, not the init)"). A
thousand workers of one kind cost one read. When every process runs
chrooted, the mounts outside their roots cannot be seen, and the target is
reported as not read in full (exit 1), never passed; so is a container
with more than 16 kinds of process. Resource and rate rules read the
init's cgroup: a container that may write cgroupfs (CAP_SYS_ADMIN or
--privileged, critical findings of their own) can move its processes into
a child cgroup without the quota and hide its throttling there.

## What default containers trigger

A container of ` + "`nsinspect run`" + ` with default flags (memory limit 1 GiB, pids
limit 2048, Docker's 14 capabilities, Docker's seccomp profile,
no_new_privs) whose command handles SIGTERM triggers exactly:
`)
	for _, id := range LaunchDefaultRules {
		r, _ := RuleByID(id)
		fmt.Fprintf(&b, "`%s` (%s), ", id, r.Severity)
	}
	b.WriteString("and passes `--fail-on warn`. Its command decides `pid1-sigterm`: `nsinspect run -- sleep 1d` adds it (warn), as it should; `--init` removes it.\n\n")
	b.WriteString("`docker run` with Docker's defaults, on a host without AppArmor or SELinux, triggers ")
	for i, id := range DockerDefaultRules {
		r, _ := RuleByID(id)
		sep := ", "
		if i == len(DockerDefaultRules)-1 {
			sep = ".\n"
		}
		fmt.Fprintf(&b, "`%s` (%s)%s", id, r.Severity, sep)
	}
	b.WriteString("With AppArmor, Docker applies `docker-default` and `lsm-unconfined` goes.\n\n## Rules\n\n| id | severity | family | summary |\n| --- | --- | --- | --- |\n")
	for _, r := range catalogue {
		fmt.Fprintf(&b, "| [`%s`](#%s) | %s | %s | %s |\n", r.ID, r.ID, r.Severity, r.Family, r.Summary)
	}
	for _, r := range catalogue {
		fmt.Fprintf(&b, "\n### %s\n\n**%s**, %s. %s.\n\n%s\n\n", r.ID, r.Severity, r.Family, r.Summary, r.Why)
		if r.Window {
			b.WriteString("Judged over the sampling window (`--window`, default 5s); `--window 0` skips it.\n\n")
		}
		fmt.Fprintf(&b, "Fix:\n\n* Docker: %s\n* Kubernetes: %s\n* nsinspect: %s\n", r.Fix.Docker, r.Fix.Kubernetes, r.Fix.Nsinspect)
		if len(r.References) > 0 {
			b.WriteString("\nReferences:\n\n")
			for _, ref := range r.References {
				fmt.Fprintf(&b, "* %s\n", ref)
			}
		}
	}
	_, err := io.WriteString(w, b.String())
	return err
}
