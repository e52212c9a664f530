package deploy

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	yaml3 "go.yaml.in/yaml/v3"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	policyv1 "k8s.io/api/policy/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"sigs.k8s.io/yaml"

	"github.com/syncd-dev/syncd/internal/tenants"
)

const k8sDir = "kubernetes"

// kustomization is kustomize's Kustomization, the fields this one uses.
type kustomization struct {
	APIVersion string `json:"apiVersion"`
	Kind       string `json:"kind"`
	Namespace  string `json:"namespace"`
	Labels     []struct {
		Pairs map[string]string `json:"pairs"`
	} `json:"labels"`
	Resources []string `json:"resources"`
	Images    []struct {
		Name    string `json:"name"`
		NewName string `json:"newName"`
		NewTag  string `json:"newTag"`
	} `json:"images"`
}

// serviceMonitor is the Prometheus Operator's ServiceMonitor (monitoring.coreos.com/v1), the
// fields this one uses, with their types from the operator's API.
type serviceMonitor struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata"`
	Spec              struct {
		Selector  metav1.LabelSelector `json:"selector"`
		Endpoints []struct {
			Port        string `json:"port"`
			Path        string `json:"path"`
			Interval    string `json:"interval"`
			HonorLabels bool   `json:"honorLabels"`
		} `json:"endpoints"`
	} `json:"spec"`
}

// decodeStrict decodes one YAML document into v, failing on any field v's type does not have
// (sigs.k8s.io/yaml: YAML to JSON, then encoding/json with DisallowUnknownFields), and checks
// its apiVersion and kind.
func decodeStrict(t *testing.T, name string, doc []byte, v any, apiVersion, kind string) {
	t.Helper()
	if err := yaml.UnmarshalStrict(doc, v); err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	var tm metav1.TypeMeta
	if err := yaml.Unmarshal(doc, &tm); err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	if tm.APIVersion != apiVersion || tm.Kind != kind {
		t.Fatalf("%s: %s %s, want %s %s", name, tm.APIVersion, tm.Kind, apiVersion, kind)
	}
}

func readK8s(t *testing.T, file string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(k8sDir, file))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// manifests is deploy/kubernetes decoded.
type manifests struct {
	kust       kustomization
	namespace  corev1.Namespace
	configMap  corev1.ConfigMap
	deployment appsv1.Deployment
	service    corev1.Service
	pdb        policyv1.PodDisruptionBudget
	monitor    serviceMonitor
	// secrets are the Secrets of secrets.example.yaml (not applied), by name.
	secrets map[string]corev1.Secret
}

func readManifests(t *testing.T) manifests {
	t.Helper()
	var m manifests
	decodeStrict(t, "kustomization.yaml", readK8s(t, "kustomization.yaml"), &m.kust, "kustomize.config.k8s.io/v1beta1", "Kustomization")
	byKind := map[string]struct {
		v          any
		apiVersion string
	}{
		"Namespace":           {&m.namespace, "v1"},
		"ConfigMap":           {&m.configMap, "v1"},
		"Deployment":          {&m.deployment, "apps/v1"},
		"Service":             {&m.service, "v1"},
		"PodDisruptionBudget": {&m.pdb, "policy/v1"},
		"ServiceMonitor":      {&m.monitor, "monitoring.coreos.com/v1"},
	}
	seen := map[string]string{}
	for _, res := range m.kust.Resources {
		doc := readK8s(t, res)
		var tm metav1.TypeMeta
		if err := yaml.Unmarshal(doc, &tm); err != nil {
			t.Fatalf("%s: %v", res, err)
		}
		target, ok := byKind[tm.Kind]
		if !ok {
			t.Fatalf("%s: unexpected kind %s", res, tm.Kind)
		}
		if prev, dup := seen[tm.Kind]; dup {
			t.Fatalf("%s and %s are both a %s", prev, res, tm.Kind)
		}
		seen[tm.Kind] = res
		decodeStrict(t, res, doc, target.v, target.apiVersion, tm.Kind)
	}
	for kind := range byKind {
		if _, ok := seen[kind]; !ok {
			t.Errorf("kustomization.yaml lists no %s", kind)
		}
	}
	m.secrets = map[string]corev1.Secret{}
	for i, doc := range bytes.Split(readK8s(t, "secrets.example.yaml"), []byte("\n---\n")) {
		var s corev1.Secret
		decodeStrict(t, fmt.Sprintf("secrets.example.yaml document %d", i+1), doc, &s, "v1", "Secret")
		m.secrets[s.Name] = s
	}
	return m
}

// Every YAML file in deploy/kubernetes is either applied (listed in kustomization.yaml) or the
// secrets example, so none is left out by mistake.
func TestKustomizationListsEveryManifest(t *testing.T) {
	m := readManifests(t)
	files, err := filepath.Glob(filepath.Join(k8sDir, "*.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range files {
		base := filepath.Base(f)
		if base != "kustomization.yaml" && base != "secrets.example.yaml" && !slices.Contains(m.kust.Resources, base) {
			t.Errorf("%s is not in kustomization.yaml's resources", base)
		}
	}
	if m.kust.Namespace != m.namespace.Name {
		t.Errorf("kustomization namespace %q, Namespace %q", m.kust.Namespace, m.namespace.Name)
	}
	if len(m.kust.Images) != 1 || m.kust.Images[0].Name != m.deployment.Spec.Template.Spec.Containers[0].Image {
		t.Errorf("kustomization images %+v do not set the Deployment's image", m.kust.Images)
	}
}

func selects(t *testing.T, what string, sel *metav1.LabelSelector, l map[string]string) bool {
	t.Helper()
	s, err := metav1.LabelSelectorAsSelector(sel)
	if err != nil {
		t.Fatalf("%s: %v", what, err)
	}
	return !s.Empty() && s.Matches(labels.Set(l))
}

// The Deployment runs syncd as the issue asks: two replicas, probes on /readyz and /healthz, a
// non-root user and a read-only root filesystem, the config from the ConfigMap as a directory
// (so hot reload sees updates), and the Service, the PodDisruptionBudget and the ServiceMonitor
// all find its pods.
func TestDeployment(t *testing.T) {
	m := readManifests(t)
	d := m.deployment
	pod := d.Spec.Template.Spec
	if d.Spec.Replicas == nil || *d.Spec.Replicas != 2 {
		t.Fatalf("replicas %v, want 2", fmt.Sprint(ptrValue(d.Spec.Replicas)))
	}
	if !selects(t, "deployment selector", d.Spec.Selector, d.Spec.Template.Labels) {
		t.Errorf("the Deployment's selector does not match its pods' labels %v", d.Spec.Template.Labels)
	}
	if len(pod.Containers) != 1 {
		t.Fatalf("%d containers, want 1", len(pod.Containers))
	}
	c := pod.Containers[0]
	var port *corev1.ContainerPort
	for i := range c.Ports {
		if c.Ports[i].Name == "http" {
			port = &c.Ports[i]
		}
	}
	if port == nil {
		t.Fatal("no container port named http")
	}
	for _, p := range []struct {
		name  string
		probe *corev1.Probe
		path  string
	}{{"readiness", c.ReadinessProbe, "/readyz"}, {"liveness", c.LivenessProbe, "/healthz"}, {"startup", c.StartupProbe, "/healthz"}} {
		if p.probe == nil || p.probe.HTTPGet == nil || p.probe.HTTPGet.Path != p.path || p.probe.HTTPGet.Port.String() != port.Name {
			t.Errorf("%s probe %+v, want GET %s on port %s", p.name, p.probe, p.path, port.Name)
		}
	}

	psc, csc := pod.SecurityContext, c.SecurityContext
	if psc == nil || psc.RunAsNonRoot == nil || !*psc.RunAsNonRoot || psc.RunAsUser == nil || *psc.RunAsUser == 0 {
		t.Errorf("pod securityContext %+v: want runAsNonRoot and a non-zero runAsUser", psc)
	}
	if csc == nil || csc.ReadOnlyRootFilesystem == nil || !*csc.ReadOnlyRootFilesystem ||
		csc.AllowPrivilegeEscalation == nil || *csc.AllowPrivilegeEscalation ||
		csc.Capabilities == nil || !slices.Contains(csc.Capabilities.Drop, "ALL") {
		t.Errorf("container securityContext %+v: want readOnlyRootFilesystem, no privilege escalation, all capabilities dropped", csc)
	}
	if pod.AutomountServiceAccountToken == nil || *pod.AutomountServiceAccountToken {
		t.Error("the pod mounts a service account token it does not use")
	}

	// The config: the ConfigMap mounted as a directory at the --config path's directory.
	cfgPath := "/etc/syncd/config.yaml"
	if !slices.Equal(c.Args, []string{"--config", cfgPath}) {
		t.Errorf("args %v, want --config %s", c.Args, cfgPath)
	}
	vols := map[string]corev1.Volume{}
	for _, v := range pod.Volumes {
		vols[v.Name] = v
	}
	mountOf := func(dir string) *corev1.VolumeMount {
		for i := range c.VolumeMounts {
			if c.VolumeMounts[i].MountPath == dir {
				return &c.VolumeMounts[i]
			}
		}
		return nil
	}
	for _, vm := range c.VolumeMounts {
		if vm.SubPath != "" {
			t.Errorf("volume %s is mounted with subPath: updates of its ConfigMap or Secret would never reach the pod", vm.Name)
		}
		if _, ok := vols[vm.Name]; !ok {
			t.Errorf("mount of undefined volume %s", vm.Name)
		}
	}
	cm := mountOf(filepath.Dir(cfgPath))
	if cm == nil || vols[cm.Name].ConfigMap == nil || vols[cm.Name].ConfigMap.Name != m.configMap.Name || !cm.ReadOnly {
		t.Fatalf("%s is not a read-only mount of ConfigMap %s", filepath.Dir(cfgPath), m.configMap.Name)
	}
	cfgText, ok := m.configMap.Data[filepath.Base(cfgPath)]
	if !ok {
		t.Fatalf("ConfigMap %s has no %s", m.configMap.Name, filepath.Base(cfgPath))
	}

	// Every *_file of the config is a key of a Secret mounted at the file's directory; the config
	// loads and validates with the example secrets' values.
	files := secretFiles(t, []byte(cfgText))
	if len(files) < 3 {
		t.Fatalf("the config has %d *_file references; the test expects the database URL and tenant credentials", len(files))
	}
	values := map[string][]byte{cfgPath: []byte(cfgText)}
	for _, f := range files {
		vm := mountOf(filepath.Dir(f))
		if vm == nil {
			t.Errorf("%s: no volume is mounted at %s", f, filepath.Dir(f))
			continue
		}
		src := vols[vm.Name].Secret
		if src == nil {
			t.Errorf("%s: volume %s is not a Secret", f, vm.Name)
			continue
		}
		key := filepath.Base(f)
		if len(src.Items) > 0 {
			i := slices.IndexFunc(src.Items, func(it corev1.KeyToPath) bool { return it.Path == key })
			if i < 0 {
				t.Errorf("%s: Secret volume %s has no item with path %s", f, vm.Name, key)
				continue
			}
			key = src.Items[i].Key
		}
		if src.DefaultMode == nil || *src.DefaultMode&0o040 == 0 || *src.DefaultMode&0o007 != 0 {
			t.Errorf("%s: Secret volume %s mode %v: want readable by the fsGroup, not by others", f, vm.Name, src.DefaultMode)
		}
		example, ok := m.secrets[src.SecretName].StringData[key]
		if !ok {
			t.Errorf("%s: key %s of Secret %s is not in secrets.example.yaml", f, key, src.SecretName)
			continue
		}
		values[f] = []byte(example)
	}
	cfg := loadConfig(t, cfgPath, values)
	if !strings.HasPrefix(cfg.Database.DSN.Reveal(), "postgres://") {
		t.Errorf("the Deployment's config does not use Postgres")
	}
	if _, p, _ := strings.Cut(cfg.Listen, ":"); p != fmt.Sprint(port.ContainerPort) {
		t.Errorf("listen %q, container port %d", cfg.Listen, port.ContainerPort)
	}
	grace := time.Duration(*pod.TerminationGracePeriodSeconds) * time.Second
	if grace <= cfg.Limits.ShutdownTimeout {
		t.Errorf("terminationGracePeriodSeconds %s, not above limits.shutdown_timeout %s", grace, cfg.Limits.ShutdownTimeout)
	}

	// Service, PodDisruptionBudget, ServiceMonitor.
	svc := m.service
	if !selects(t, "service selector", &metav1.LabelSelector{MatchLabels: svc.Spec.Selector}, d.Spec.Template.Labels) {
		t.Errorf("the Service's selector %v does not match the pods", svc.Spec.Selector)
	}
	if len(svc.Spec.Ports) != 1 || svc.Spec.Ports[0].TargetPort.String() != port.Name || svc.Spec.Ports[0].Name == "" {
		t.Errorf("Service ports %+v, want one named port targeting %s", svc.Spec.Ports, port.Name)
	}
	if !selects(t, "pdb selector", m.pdb.Spec.Selector, d.Spec.Template.Labels) {
		t.Error("the PodDisruptionBudget does not select the pods")
	}
	if mina := m.pdb.Spec.MinAvailable; mina == nil || mina.IntValue() < 1 || mina.IntValue() >= int(*d.Spec.Replicas) {
		t.Errorf("PodDisruptionBudget minAvailable %v: want at least 1 and fewer than the replicas, so a drain can proceed", mina)
	}
	if !selects(t, "servicemonitor selector", &m.monitor.Spec.Selector, svc.Labels) {
		t.Errorf("the ServiceMonitor does not select the Service (labels %v)", svc.Labels)
	}
	if eps := m.monitor.Spec.Endpoints; len(eps) != 1 || eps[0].Port != svc.Spec.Ports[0].Name || eps[0].Path != "/metrics" || !eps[0].HonorLabels {
		t.Errorf("ServiceMonitor endpoints %+v: want /metrics on port %s with honorLabels (syncd's job label)", eps, svc.Spec.Ports[0].Name)
	}
}

// secretFiles lists every *_file value of a syncd config, wherever it is.
func secretFiles(t *testing.T, cfg []byte) []string {
	t.Helper()
	var root yaml3.Node
	if err := yaml3.Unmarshal(cfg, &root); err != nil {
		t.Fatal(err)
	}
	var out []string
	var walk func(n *yaml3.Node)
	walk = func(n *yaml3.Node) {
		if n.Kind == yaml3.MappingNode {
			for i := 0; i+1 < len(n.Content); i += 2 {
				if strings.HasSuffix(n.Content[i].Value, "_file") && n.Content[i+1].Kind == yaml3.ScalarNode {
					out = append(out, n.Content[i+1].Value)
				}
			}
		}
		for _, c := range n.Content {
			walk(c)
		}
	}
	walk(&root)
	return out
}

// loadConfig loads a syncd config as the daemon does, with files (the config and its *_file
// references) from values; a file not in values is an error, as a missing mount would be.
func loadConfig(t *testing.T, path string, values map[string][]byte) *tenants.Config {
	t.Helper()
	cfg, err := tenants.Load(path, tenants.LoadOptions{
		LookupEnv: func(string) (string, bool) { return "", false },
		ReadFile: func(p string) ([]byte, error) {
			if b, ok := values[p]; ok {
				return b, nil
			}
			return nil, fmt.Errorf("open %s: %w", p, os.ErrNotExist)
		},
	})
	if err != nil {
		t.Fatalf("load %s: %v", path, err)
	}
	return cfg
}

func ptrValue[T any](p *T) any {
	if p == nil {
		return "unset"
	}
	return *p
}
