package kubernetes

import (
	"bytes"
	"encoding/json"
	"fmt"
	"maps"
	"net"
	"os"
	"path"
	"path/filepath"
	"reflect"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	monitoringv1 "github.com/prometheus-operator/prometheus-operator/pkg/apis/monitoring/v1"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/util/intstr"
	"sigs.k8s.io/yaml"
)

// namespace is where every namespaced object goes; nothing else runs there.
const namespace = "nsinspect"

// kinds maps an apiVersion and kind to the type its documents decode into.
// Any other kind is an error: a manifest the test cannot check.
var kinds = map[string]func() any{
	"v1/Namespace":                            func() any { return new(corev1.Namespace) },
	"v1/ServiceAccount":                       func() any { return new(corev1.ServiceAccount) },
	"v1/Service":                              func() any { return new(corev1.Service) },
	"apps/v1/DaemonSet":                       func() any { return new(appsv1.DaemonSet) },
	"networking.k8s.io/v1/NetworkPolicy":      func() any { return new(networkingv1.NetworkPolicy) },
	"monitoring.coreos.com/v1/ServiceMonitor": func() any { return new(monitoringv1.ServiceMonitor) },
}

// decodeStrict decodes one YAML document into the type its apiVersion and
// kind name. Strictly: a duplicate key fails (YAMLToJSONStrict), as does a
// field the type does not have (DisallowUnknownFields), a value of the
// wrong type, and a key that names a field in another case (exactKeys),
// all of which a lenient decoder, and kubectl without validation, drop.
// A document holding nothing (comments only) decodes to nil.
func decodeStrict(doc []byte) (any, error) {
	j, err := yaml.YAMLToJSONStrict(doc)
	if err != nil {
		return nil, fmt.Errorf("converting yaml to json: %w", err)
	}
	if string(j) == "null" {
		return nil, nil
	}
	var tm metav1.TypeMeta
	if err := json.Unmarshal(j, &tm); err != nil {
		return nil, fmt.Errorf("reading apiVersion and kind: %w", err)
	}
	newObject, ok := kinds[tm.APIVersion+"/"+tm.Kind]
	if !ok {
		return nil, fmt.Errorf("unknown kind %q of apiVersion %q", tm.Kind, tm.APIVersion)
	}
	obj := newObject()
	dec := json.NewDecoder(bytes.NewReader(j))
	dec.DisallowUnknownFields()
	if err := dec.Decode(obj); err != nil {
		return nil, fmt.Errorf("decoding %s: %w", tm.Kind, err)
	}
	var tree any
	if err := json.Unmarshal(j, &tree); err != nil {
		return nil, fmt.Errorf("decoding %s: %w", tm.Kind, err)
	}
	if err := exactKeys(reflect.TypeOf(obj), tree, tm.Kind); err != nil {
		return nil, fmt.Errorf("decoding %s: %w", tm.Kind, err)
	}
	return obj, nil
}

var unmarshalerType = reflect.TypeFor[json.Unmarshaler]()

// exactKeys checks that every key of the decoded JSON tree names a field
// of t exactly. encoding/json matches keys to fields ignoring case, so
// "hostpid: true" would set HostPID here, where the API server's strict
// decoding rejects it. Types that decode themselves (Quantity,
// IntOrString, Time) are left to their own decoder.
func exactKeys(t reflect.Type, tree any, at string) error {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if reflect.PointerTo(t).Implements(unmarshalerType) {
		return nil
	}
	switch t.Kind() {
	case reflect.Struct:
		obj, _ := tree.(map[string]any)
		fields := jsonFields(t)
		for _, k := range slices.Sorted(maps.Keys(obj)) {
			ft, ok := fields[k]
			if !ok {
				return fmt.Errorf("%s: field %q is not a field of that exact name", at, k)
			}
			if err := exactKeys(ft, obj[k], at+"."+k); err != nil {
				return err
			}
		}
	case reflect.Slice, reflect.Array:
		list, _ := tree.([]any)
		for i, e := range list {
			if err := exactKeys(t.Elem(), e, fmt.Sprintf("%s[%d]", at, i)); err != nil {
				return err
			}
		}
	case reflect.Map:
		obj, _ := tree.(map[string]any)
		for _, k := range slices.Sorted(maps.Keys(obj)) {
			if err := exactKeys(t.Elem(), obj[k], at+"."+k); err != nil {
				return err
			}
		}
	}
	return nil
}

// jsonFields returns the JSON names of t's fields and their types, those
// of embedded structs with no name of their own (`json:",inline"`)
// promoted, as encoding/json does.
func jsonFields(t reflect.Type) map[string]reflect.Type {
	fields := map[string]reflect.Type{}
	for i := range t.NumField() {
		f := t.Field(i)
		tag := f.Tag.Get("json")
		if tag == "-" {
			continue
		}
		name, _, _ := strings.Cut(tag, ",")
		if f.Anonymous && name == "" {
			ft := f.Type
			for ft.Kind() == reflect.Pointer {
				ft = ft.Elem()
			}
			if ft.Kind() == reflect.Struct {
				maps.Copy(fields, jsonFields(ft))
				continue
			}
		}
		if !f.IsExported() {
			continue
		}
		if name == "" {
			name = f.Name
		}
		fields[name] = f.Type
	}
	return fields
}

// splitDocuments splits a YAML stream on its "---" lines.
func splitDocuments(b []byte) [][]byte {
	var docs [][]byte
	var cur bytes.Buffer
	for line := range strings.SplitAfterSeq(string(b), "\n") {
		if strings.TrimRight(line, " \t\r\n") == "---" {
			docs = append(docs, bytes.Clone(cur.Bytes()))
			cur.Reset()
			continue
		}
		cur.WriteString(line)
	}
	return append(docs, cur.Bytes())
}

// manifest is one object decoded from one document of a file.
type manifest struct {
	at  string // file and document number
	obj any
}

// loadManifests decodes every object of every *.yaml here but
// kustomization.yaml, and returns the files read.
func loadManifests(t *testing.T) ([]manifest, []string) {
	t.Helper()
	files, err := filepath.Glob("*.yaml")
	if err != nil {
		t.Fatal(err)
	}
	files = slices.DeleteFunc(files, func(f string) bool { return f == "kustomization.yaml" })
	if len(files) == 0 {
		t.Fatal("no manifests (*.yaml) next to the test")
	}
	var ms []manifest
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for i, doc := range splitDocuments(b) {
			at := fmt.Sprintf("%s, document %d", f, i+1)
			obj, err := decodeStrict(doc)
			if err != nil {
				t.Fatalf("%s: %v", at, err)
			}
			if obj != nil {
				ms = append(ms, manifest{at: at, obj: obj})
			}
		}
	}
	return ms, files
}

// only returns the one object of type T among ms.
func only[T any](t *testing.T, ms []manifest) *T {
	t.Helper()
	var found []*T
	for _, m := range ms {
		if o, ok := m.obj.(*T); ok {
			found = append(found, o)
		}
	}
	if len(found) != 1 {
		t.Fatalf("%d objects of type %T in the manifests, want 1", len(found), *new(T))
	}
	return found[0]
}

// objects is the one object of each kind.
type objects struct {
	ns  *corev1.Namespace
	sa  *corev1.ServiceAccount
	ds  *appsv1.DaemonSet
	svc *corev1.Service
	np  *networkingv1.NetworkPolicy
	sm  *monitoringv1.ServiceMonitor
}

func load(t *testing.T) objects {
	t.Helper()
	ms, _ := loadManifests(t)
	if len(ms) != len(kinds) {
		t.Errorf("%d objects in the manifests, want %d, one of each kind", len(ms), len(kinds))
	}
	return objects{
		ns:  only[corev1.Namespace](t, ms),
		sa:  only[corev1.ServiceAccount](t, ms),
		ds:  only[appsv1.DaemonSet](t, ms),
		svc: only[corev1.Service](t, ms),
		np:  only[networkingv1.NetworkPolicy](t, ms),
		sm:  only[monitoringv1.ServiceMonitor](t, ms),
	}
}

// exporter returns the DaemonSet's one container, the exporter.
func exporter(t *testing.T, ds *appsv1.DaemonSet) *corev1.Container {
	t.Helper()
	spec := ds.Spec.Template.Spec
	if len(spec.Containers) != 1 || spec.Containers[0].Name != "exporter" {
		t.Fatalf("DaemonSet containers %v, want exactly one, exporter", spec.Containers)
	}
	return &spec.Containers[0]
}

func TestStrictDecoderRejects(t *testing.T) {
	const base = `apiVersion: apps/v1
kind: DaemonSet
metadata:
  name: x
spec:
  selector:
    matchLabels: {app: x}
  template:
    metadata:
      labels: {app: x}
    spec:
      hostPID: true
      containers:
        - name: c
          image: i
          ports:
            - containerPort: 9969
`
	if _, err := decodeStrict([]byte(base)); err != nil {
		t.Fatalf("the valid document the cases alter: %v", err)
	}
	for _, c := range []struct {
		name, old, new, want string
	}{
		{"unknown field in a container", "          image: i\n", "          image: i\n          imagePullPolcy: Always\n", `unknown field "imagePullPolcy"`},
		{"duplicate key", "          image: i\n", "          image: i\n          image: j\n", `"image" already`},
		{"string for an int", "containerPort: 9969", `containerPort: "9969"`, "cannot unmarshal string"},
		{"misspelled kind", "kind: DaemonSet", "kind: DeamonSet", `unknown kind "DeamonSet"`},
		{"unknown apiVersion", "apiVersion: apps/v1", "apiVersion: apps/v1beta2", `unknown kind "DaemonSet" of apiVersion "apps/v1beta2"`},
		{"field in another case", "hostPID: true", "hostpid: true", `field "hostpid" is not a field of that exact name`},
	} {
		t.Run(c.name, func(t *testing.T) {
			doc := strings.Replace(base, c.old, c.new, 1)
			if doc == base {
				t.Fatalf("%q is not in the document", c.old)
			}
			_, err := decodeStrict([]byte(doc))
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("decodeStrict: %v, want an error containing %s", err, c.want)
			}
		})
	}
}

func TestSplitDocuments(t *testing.T) {
	docs := splitDocuments([]byte("a: 1\n---\nb: 2\n--- \n# only a comment\n"))
	want := []string{"a: 1\n", "b: 2\n", "# only a comment\n"}
	if len(docs) != len(want) {
		t.Fatalf("%d documents %q, want %q", len(docs), docs, want)
	}
	for i := range want {
		if string(docs[i]) != want[i] {
			t.Errorf("document %d %q, want %q", i+1, docs[i], want[i])
		}
	}
	if obj, err := decodeStrict(docs[2]); obj != nil || err != nil {
		t.Errorf("a document of comments decodes to %v, %v; want nothing", obj, err)
	}
}

func TestKustomizationListsEveryManifest(t *testing.T) {
	_, files := loadManifests(t)
	b, err := os.ReadFile("kustomization.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var k struct {
		APIVersion string   `json:"apiVersion"`
		Kind       string   `json:"kind"`
		Resources  []string `json:"resources"`
	}
	if err := yaml.Unmarshal(b, &k); err != nil {
		t.Fatal(err)
	}
	if k.APIVersion != "kustomize.config.k8s.io/v1beta1" || k.Kind != "Kustomization" {
		t.Errorf("kustomization.yaml is %s %s, want kustomize.config.k8s.io/v1beta1 Kustomization", k.APIVersion, k.Kind)
	}
	if got, want := slices.Sorted(slices.Values(k.Resources)), slices.Sorted(slices.Values(files)); !slices.Equal(got, want) {
		t.Errorf("kustomization.yaml lists %v, want exactly the manifests %v", got, want)
	}
}

func TestNamespaces(t *testing.T) {
	ms, _ := loadManifests(t)
	ns := only[corev1.Namespace](t, ms)
	if ns.Name != namespace {
		t.Errorf("Namespace %q, want %q", ns.Name, namespace)
	}
	for _, mode := range []string{"enforce", "audit", "warn"} {
		if got := ns.Labels["pod-security.kubernetes.io/"+mode]; got != "privileged" {
			t.Errorf("Namespace label pod-security.kubernetes.io/%s %q, want privileged (hostPID, hostPath and SYS_PTRACE are outside baseline)", mode, got)
		}
	}
	for _, m := range ms {
		if m.obj == ns {
			continue
		}
		if o := m.obj.(metav1.Object); o.GetNamespace() != namespace {
			t.Errorf("%s: %s in namespace %q, want %q", m.at, o.GetName(), o.GetNamespace(), namespace)
		}
	}
}

func TestNoAPIToken(t *testing.T) {
	o := load(t)
	spec := o.ds.Spec.Template.Spec
	if o.sa.Name != "nsinspect-exporter" || spec.ServiceAccountName != o.sa.Name {
		t.Errorf("ServiceAccount %q, the pod's %q: want nsinspect-exporter for both", o.sa.Name, spec.ServiceAccountName)
	}
	for what, v := range map[string]*bool{
		"ServiceAccount automountServiceAccountToken": o.sa.AutomountServiceAccountToken,
		"pod automountServiceAccountToken":            spec.AutomountServiceAccountToken,
		"pod enableServiceLinks":                      spec.EnableServiceLinks,
	} {
		if v == nil || *v {
			t.Errorf("%s %s, want false", what, show(v))
		}
	}
}

// show prints what a pointer field holds, or unset.
func show[T any](p *T) string {
	if p == nil {
		return "unset"
	}
	if s, ok := any(p).(fmt.Stringer); ok {
		return s.String()
	}
	return fmt.Sprint(*p)
}

func TestDaemonSetPod(t *testing.T) {
	ds := load(t).ds
	spec := ds.Spec.Template.Spec
	for _, c := range []struct {
		field     string
		got, want bool
	}{
		{"hostPID", spec.HostPID, true},
		{"hostNetwork", spec.HostNetwork, false},
		{"hostIPC", spec.HostIPC, false},
		{"shareProcessNamespace", spec.ShareProcessNamespace != nil && *spec.ShareProcessNamespace, false},
		{"initContainers", len(spec.InitContainers) > 0, false},
		{"ephemeralContainers", len(spec.EphemeralContainers) > 0, false},
	} {
		if c.got != c.want {
			t.Errorf("pod %s %v, want %v", c.field, c.got, c.want)
		}
	}
	// The pod's own securityContext must not undo the container's.
	if psc := spec.SecurityContext; psc != nil && psc.SeccompProfile != nil && psc.SeccompProfile.Type != corev1.SeccompProfileTypeRuntimeDefault {
		t.Errorf("pod seccompProfile %s, want RuntimeDefault or unset", psc.SeccompProfile.Type)
	}
	if got := spec.NodeSelector; len(got) != 1 || got["kubernetes.io/os"] != "linux" {
		t.Errorf("nodeSelector %v, want kubernetes.io/os: linux", got)
	}
	if !slices.ContainsFunc(spec.Tolerations, func(tol corev1.Toleration) bool {
		return tol.Key == "" && tol.Operator == corev1.TolerationOpExists && tol.Effect == ""
	}) {
		t.Errorf("tolerations %v: none tolerates every taint (operator: Exists, no key, no effect)", spec.Tolerations)
	}
	if spec.PriorityClassName != "system-node-critical" {
		t.Errorf("priorityClassName %q, want system-node-critical", spec.PriorityClassName)
	}
	if g := spec.TerminationGracePeriodSeconds; g == nil || *g > 30 {
		t.Errorf("terminationGracePeriodSeconds %s, want set and at most 30", show(g))
	}
	us := ds.Spec.UpdateStrategy
	if us.Type != appsv1.RollingUpdateDaemonSetStrategyType || us.RollingUpdate == nil || us.RollingUpdate.MaxUnavailable == nil || *us.RollingUpdate.MaxUnavailable != intstr.FromInt32(1) {
		t.Errorf("updateStrategy %+v, want RollingUpdate with maxUnavailable 1", us)
	}
}

func TestExporterContainerSecurity(t *testing.T) {
	c := exporter(t, load(t).ds)
	sc := c.SecurityContext
	if sc == nil {
		t.Fatal("the exporter container has no securityContext")
	}
	for _, b := range []struct {
		field string
		got   *bool
		want  bool
	}{
		{"privileged", sc.Privileged, false},
		{"allowPrivilegeEscalation", sc.AllowPrivilegeEscalation, false},
		{"readOnlyRootFilesystem", sc.ReadOnlyRootFilesystem, true},
		{"runAsNonRoot", sc.RunAsNonRoot, false},
	} {
		if b.got == nil || *b.got != b.want {
			t.Errorf("securityContext.%s %s, want %v", b.field, show(b.got), b.want)
		}
	}
	if sc.RunAsUser == nil || *sc.RunAsUser != 0 {
		t.Errorf("securityContext.runAsUser %s, want 0 (root's 0600 files read as their owner)", show(sc.RunAsUser))
	}
	if sc.Capabilities == nil {
		t.Fatal("securityContext.capabilities unset, want drop [ALL] add [SYS_PTRACE]")
	}
	if got := sc.Capabilities.Drop; !slices.Equal(got, []corev1.Capability{"ALL"}) {
		t.Errorf("capabilities.drop %v, want exactly [ALL]", got)
	}
	if got := sc.Capabilities.Add; !slices.Equal(got, []corev1.Capability{"SYS_PTRACE"}) {
		t.Errorf("capabilities.add %v, want exactly [SYS_PTRACE]", got)
	}
	if sp := sc.SeccompProfile; sp == nil || sp.Type != corev1.SeccompProfileTypeRuntimeDefault {
		t.Errorf("seccompProfile %+v, want RuntimeDefault", sp)
	}
	if pm := sc.ProcMount; pm == nil || *pm != corev1.DefaultProcMount {
		t.Errorf("procMount %s, want Default", show(pm))
	}
	image := c.Image
	if _, tag, ok := strings.Cut(image[strings.LastIndex(image, "/")+1:], ":"); !ok || tag == "" || tag == "latest" {
		t.Errorf("image %q, want a pinned tag", image)
	}
}

// allowedHostPaths are the host directories the exporter may read, and the
// hostPath type each must carry: procfs and cgroupfs are on every node,
// the runtimes' state directories only on the nodes that run them.
var allowedHostPaths = map[string]corev1.HostPathType{
	"/proc":                      corev1.HostPathDirectory,
	"/sys/fs/cgroup":             corev1.HostPathDirectory,
	"/var/lib/docker/containers": corev1.HostPathUnset,
	"/var/log/pods":              corev1.HostPathUnset,
	"/var/log/containers":        corev1.HostPathUnset,
	"/run/containerd/io.containerd.runtime.v2.task": corev1.HostPathUnset,
}

// deniedHostPaths are, or hold, the sockets of the runtimes and the
// kubelet: a read-only mount still lets a process connect() to a socket
// inside it, and each is node root.
var deniedHostPaths = []string{
	"/", "/dev", "/run", "/var/run", "/run/containerd", "/var/lib/kubelet",
	"/run/crio", "/run/podman", "/run/docker", "/var/run/docker.sock", "/run/docker.sock",
}

// deniedBy returns the denied path that p is, or is a parent of.
func deniedBy(p string) (string, bool) {
	p = path.Clean(p)
	for _, d := range deniedHostPaths {
		if p == d || p == "/" || strings.HasPrefix(d, p+"/") {
			return d, true
		}
	}
	return "", false
}

func TestDeniedBy(t *testing.T) {
	for p, want := range map[string]bool{
		"/":                       true,
		"/run":                    true,
		"/run/":                   true,
		"/var":                    true, // holds /var/run and /var/lib/kubelet
		"/var/lib":                true,
		"/var/run/docker.sock":    true,
		"/run/containerd":         true,
		"/run/containerd/../crio": true,
		"/dev":                    true,
		"/var/log/pods":           false,
		"/run/containerd/io.containerd.runtime.v2.task": false,
	} {
		if d, got := deniedBy(p); got != want {
			t.Errorf("deniedBy(%q) = %q, %v; want %v", p, d, got, want)
		}
	}
}

func TestVolumes(t *testing.T) {
	ds := load(t).ds
	c := exporter(t, ds)
	hostPaths := map[string]string{} // volume name: host path
	for _, v := range ds.Spec.Template.Spec.Volumes {
		hp := v.HostPath
		if hp == nil {
			t.Errorf("volume %s is not a hostPath", v.Name)
			continue
		}
		if d, denied := deniedBy(hp.Path); denied {
			t.Errorf("volume %s mounts %s, which is or holds %s, a socket directory", v.Name, hp.Path, d)
		}
		want, ok := allowedHostPaths[hp.Path]
		if !ok {
			t.Errorf("volume %s mounts %s, not in the allowlist", v.Name, hp.Path)
			continue
		}
		if hp.Type == nil || *hp.Type != want {
			t.Errorf("volume %s: hostPath type %s, want %q", v.Name, show(hp.Type), want)
		}
		if slices.Contains(slices.Collect(maps.Values(hostPaths)), hp.Path) {
			t.Errorf("volume %s mounts %s a second time", v.Name, hp.Path)
		}
		hostPaths[v.Name] = hp.Path
	}
	if len(hostPaths) != len(allowedHostPaths) {
		t.Errorf("hostPath volumes %v, want each of %v", slices.Sorted(maps.Values(hostPaths)), slices.Sorted(maps.Keys(allowedHostPaths)))
	}
	mounted := map[string]bool{}
	for _, m := range c.VolumeMounts {
		p, ok := hostPaths[m.Name]
		if !ok {
			t.Errorf("volumeMount %s: no such hostPath volume", m.Name)
			continue
		}
		if mounted[m.Name] {
			t.Errorf("volume %s mounted twice", m.Name)
		}
		mounted[m.Name] = true
		if !m.ReadOnly {
			t.Errorf("volumeMount %s is not readOnly", m.Name)
		}
		if m.RecursiveReadOnly == nil || *m.RecursiveReadOnly != corev1.RecursiveReadOnlyEnabled {
			t.Errorf("volumeMount %s: recursiveReadOnly %s, want Enabled (its submounts read-only too)", m.Name, show(m.RecursiveReadOnly))
		}
		if m.MountPropagation != nil && *m.MountPropagation != corev1.MountPropagationNone {
			t.Errorf("volumeMount %s: mountPropagation %s, want None (new host mounts would come in read-write)", m.Name, *m.MountPropagation)
		}
		if m.SubPath != "" || m.SubPathExpr != "" {
			t.Errorf("volumeMount %s has a subPath", m.Name)
		}
		if want := "/host" + p; m.MountPath != want {
			t.Errorf("volumeMount %s at %s, want %s (under --path.rootfs=/host)", m.Name, m.MountPath, want)
		}
	}
	for name := range hostPaths {
		if !mounted[name] {
			t.Errorf("volume %s is not mounted", name)
		}
	}
}

func TestArgs(t *testing.T) {
	c := exporter(t, load(t).ds)
	for _, want := range []string{"--path.procfs=/host/proc", "--path.sysfs=/host/sys", "--path.rootfs=/host"} {
		if !slices.Contains(c.Args, want) {
			t.Errorf("args %v lack %s", c.Args, want)
		}
	}
	for _, a := range c.Args {
		if strings.HasPrefix(a, "--path.devfs") {
			t.Errorf("args hold %s: the pod cannot read /dev/kmsg, and /dev is not mounted", a)
		}
	}
}

// listenPort is the port of the exporter's --web.listen-address.
func listenPort(t *testing.T, c *corev1.Container) int {
	t.Helper()
	for _, a := range c.Args {
		if v, ok := strings.CutPrefix(a, "--web.listen-address="); ok {
			_, port, err := net.SplitHostPort(v)
			if err != nil {
				t.Fatalf("--web.listen-address=%s: %v", v, err)
			}
			n, err := strconv.Atoi(port)
			if err != nil {
				t.Fatalf("--web.listen-address=%s: %v", v, err)
			}
			return n
		}
	}
	t.Fatalf("args %v have no --web.listen-address=", c.Args)
	return 0
}

// resolve returns the container port a number or a port name stands for.
func resolve(c *corev1.Container, p intstr.IntOrString) int {
	if p.Type == intstr.Int {
		return p.IntValue()
	}
	for _, cp := range c.Ports {
		if cp.Name == p.StrVal {
			return int(cp.ContainerPort)
		}
	}
	return -1
}

func TestPortsAndProbes(t *testing.T) {
	o := load(t)
	c := exporter(t, o.ds)
	listen := listenPort(t, c)
	if listen != 9969 {
		t.Errorf("--web.listen-address port %d, want 9969", listen)
	}
	if len(c.Ports) != 1 || c.Ports[0].Name != "metrics" || c.Ports[0].Protocol != corev1.ProtocolTCP || c.Ports[0].HostPort != 0 {
		t.Errorf("container ports %+v, want one, metrics TCP, no hostPort", c.Ports)
	}
	ports := map[string]int{}
	for _, cp := range c.Ports {
		ports["containerPort "+cp.Name] = int(cp.ContainerPort)
	}
	for name, p := range map[string]*corev1.Probe{"livenessProbe": c.LivenessProbe, "readinessProbe": c.ReadinessProbe} {
		if p == nil || p.HTTPGet == nil {
			t.Errorf("%s %+v, want an httpGet", name, p)
			continue
		}
		if p.HTTPGet.Path != "/healthz" || (p.HTTPGet.Scheme != "" && p.HTTPGet.Scheme != corev1.URISchemeHTTP) {
			t.Errorf("%s gets %s %s, want HTTP /healthz", name, p.HTTPGet.Scheme, p.HTTPGet.Path)
		}
		ports[name] = resolve(c, p.HTTPGet.Port)
	}
	if len(o.svc.Spec.Ports) != 1 {
		t.Fatalf("Service ports %+v, want one", o.svc.Spec.Ports)
	}
	sp := o.svc.Spec.Ports[0]
	if sp.Name != "metrics" || sp.Protocol != corev1.ProtocolTCP {
		t.Errorf("Service port %+v, want metrics TCP", sp)
	}
	ports["Service port"] = int(sp.Port)
	ports["Service targetPort"] = resolve(c, sp.TargetPort)
	for name, p := range ports {
		if p != listen {
			t.Errorf("%s %d, want the listen port %d", name, p, listen)
		}
	}
}

// goMemLimit parses a GOMEMLIMIT value (a number and B, KiB, MiB, GiB or
// TiB).
func goMemLimit(s string) (int64, error) {
	q, err := resource.ParseQuantity(strings.TrimSuffix(strings.Replace(s, "iB", "i", 1), "B"))
	if err != nil {
		return 0, fmt.Errorf("GOMEMLIMIT %q: %w", s, err)
	}
	return q.Value(), nil
}

func TestResources(t *testing.T) {
	c := exporter(t, load(t).ds)
	req, lim := c.Resources.Requests, c.Resources.Limits
	for _, r := range []corev1.ResourceName{corev1.ResourceCPU, corev1.ResourceMemory} {
		rq, lm := req[r], lim[r]
		if rq.IsZero() || lm.IsZero() {
			t.Errorf("%s request %s, limit %s: want both set", r, rq.String(), lm.String())
		} else if rq.Cmp(lm) > 0 {
			t.Errorf("%s request %s above its limit %s", r, rq.String(), lm.String())
		}
	}
	mem := lim[corev1.ResourceMemory]
	if mem.Cmp(resource.MustParse("32Mi")) < 0 {
		t.Errorf("memory limit %s, want at least 32Mi (28 MiB peak RSS measured for 200 containers)", mem.String())
	}
	i := slices.IndexFunc(c.Env, func(e corev1.EnvVar) bool { return e.Name == "GOMEMLIMIT" })
	if i < 0 {
		t.Fatal("no GOMEMLIMIT in the environment")
	}
	soft, err := goMemLimit(c.Env[i].Value)
	if err != nil {
		t.Fatal(err)
	}
	if soft <= 0 || soft >= mem.Value() {
		t.Errorf("GOMEMLIMIT %s, want below the memory limit %s", c.Env[i].Value, mem.String())
	}
}

func TestSelectors(t *testing.T) {
	o := load(t)
	tmpl := labels.Set(o.ds.Spec.Template.Labels)
	if tmpl["app.kubernetes.io/name"] != "nsinspect-exporter" {
		t.Errorf("pod template labels %v, want app.kubernetes.io/name: nsinspect-exporter", tmpl)
	}
	selects := func(what string, s *metav1.LabelSelector, set labels.Set) {
		t.Helper()
		sel, err := metav1.LabelSelectorAsSelector(s)
		if err != nil {
			t.Errorf("%s: %v", what, err)
			return
		}
		if sel.Empty() || !sel.Matches(set) {
			t.Errorf("%s %q does not select %v", what, sel, set)
		}
	}
	selects("DaemonSet selector", o.ds.Spec.Selector, tmpl)
	selects("Service selector", metav1.SetAsLabelSelector(o.svc.Spec.Selector), tmpl)
	selects("NetworkPolicy podSelector", &o.np.Spec.PodSelector, tmpl)
	selects("ServiceMonitor selector", &o.sm.Spec.Selector, labels.Set(o.svc.Labels))
	if ns := o.sm.Spec.NamespaceSelector; ns.Any || !slices.Equal(ns.MatchNames, []string{o.svc.Namespace}) {
		t.Errorf("ServiceMonitor namespaceSelector %+v, want matchNames [%s]", ns, o.svc.Namespace)
	}
	if o.svc.Spec.ClusterIP != corev1.ClusterIPNone {
		t.Errorf("Service clusterIP %q, want None (headless: one endpoint per node)", o.svc.Spec.ClusterIP)
	}
}

func TestNetworkPolicy(t *testing.T) {
	o := load(t)
	np := o.np.Spec
	if got := slices.Sorted(slices.Values(np.PolicyTypes)); !slices.Equal(got, []networkingv1.PolicyType{networkingv1.PolicyTypeEgress, networkingv1.PolicyTypeIngress}) {
		t.Errorf("policyTypes %v, want Ingress and Egress", np.PolicyTypes)
	}
	if len(np.Egress) != 0 {
		t.Errorf("egress rules %+v, want none: the exporter connects nowhere", np.Egress)
	}
	if len(np.Ingress) != 1 || len(np.Ingress[0].From) != 1 || len(np.Ingress[0].Ports) != 1 {
		t.Fatalf("ingress %+v, want one rule: from one peer, on one port", np.Ingress)
	}
	peer := np.Ingress[0].From[0]
	want := map[string]string{"kubernetes.io/metadata.name": "monitoring"}
	if peer.PodSelector != nil || peer.IPBlock != nil || peer.NamespaceSelector == nil ||
		!maps.Equal(peer.NamespaceSelector.MatchLabels, want) || len(peer.NamespaceSelector.MatchExpressions) != 0 {
		t.Errorf("ingress from %+v, want only namespaceSelector matchLabels %v", peer, want)
	}
	c := exporter(t, o.ds)
	p := np.Ingress[0].Ports[0]
	if p.Protocol == nil || *p.Protocol != corev1.ProtocolTCP || p.Port == nil || resolve(c, *p.Port) != listenPort(t, c) || p.EndPort != nil {
		t.Errorf("ingress port %s %s (end port %s), want TCP %d", show(p.Protocol), show(p.Port), show(p.EndPort), listenPort(t, c))
	}
}

func TestServiceMonitor(t *testing.T) {
	o := load(t)
	sm := o.sm.Spec
	if sm.JobLabel != "" {
		t.Errorf("jobLabel %q, want none: the job is then the Service's name, %s, apart from the kubelet's", sm.JobLabel, o.svc.Name)
	}
	if len(sm.Endpoints) != 1 {
		t.Fatalf("endpoints %+v, want one", sm.Endpoints)
	}
	ep := sm.Endpoints[0]
	if !slices.ContainsFunc(o.svc.Spec.Ports, func(p corev1.ServicePort) bool { return p.Name == ep.Port }) {
		t.Errorf("endpoint port %q is not a port name of the Service", ep.Port)
	}
	if ep.Interval != "15s" || ep.ScrapeTimeout != "10s" {
		t.Errorf("interval %q, scrapeTimeout %q; want 15s and 10s", ep.Interval, ep.ScrapeTimeout)
	}
	if iv, err := time.ParseDuration(string(ep.Interval)); err != nil {
		t.Error(err)
	} else if to, err := time.ParseDuration(string(ep.ScrapeTimeout)); err != nil || to > iv {
		t.Errorf("scrapeTimeout %s: %v, want at most the interval %s", ep.ScrapeTimeout, err, ep.Interval)
	}
	if ep.HonorLabels {
		t.Error("honorLabels true, want false: the exporter must not set job, instance or node")
	}
	node := slices.ContainsFunc(ep.RelabelConfigs, func(r monitoringv1.RelabelConfig) bool {
		return slices.Equal(r.SourceLabels, []monitoringv1.LabelName{"__meta_kubernetes_pod_node_name"}) &&
			r.TargetLabel == "node" && (r.Action == "" || strings.EqualFold(r.Action, "replace"))
	})
	if !node {
		t.Errorf("relabelings %+v do not set node from __meta_kubernetes_pod_node_name", ep.RelabelConfigs)
	}
	// The target's namespace, pod and container (the exporter's) would
	// rename the described container's to exported_*.
	dropped := func(label string) bool {
		return slices.ContainsFunc(ep.RelabelConfigs, func(r monitoringv1.RelabelConfig) bool {
			return strings.EqualFold(r.Action, "labeldrop") && regexp.MustCompile("^(?:"+r.Regex+")$").MatchString(label)
		})
	}
	for label, want := range map[string]bool{"namespace": true, "pod": true, "container": true, "node": false, "instance": false, "job": false} {
		if dropped(label) != want {
			t.Errorf("target label %s dropped %v, want %v", label, !want, want)
		}
	}
}
