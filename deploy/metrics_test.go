package deploy

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"

	"github.com/syncd-dev/syncd/internal/metrics"
)

// rulesFile is the Prometheus rule file's shape, as far as the tests read it.
type rulesFile struct {
	Groups []struct {
		Name  string `yaml:"name"`
		Rules []struct {
			Alert       string            `yaml:"alert"`
			Record      string            `yaml:"record"`
			Expr        string            `yaml:"expr"`
			For         string            `yaml:"for"`
			Labels      map[string]string `yaml:"labels"`
			Annotations map[string]string `yaml:"annotations"`
		} `yaml:"rules"`
	} `yaml:"groups"`
}

// ruleTests is promtool's unit-test file's shape, as far as the tests read it.
type ruleTests struct {
	RuleFiles []string `yaml:"rule_files"`
	Tests     []struct {
		AlertRuleTest []struct {
			EvalTime  string `yaml:"eval_time"`
			Alertname string `yaml:"alertname"`
			ExpAlerts []struct {
				ExpLabels map[string]string `yaml:"exp_labels"`
			} `yaml:"exp_alerts"`
		} `yaml:"alert_rule_test"`
	} `yaml:"tests"`
}

// dashboard is the Grafana dashboard's shape, as far as the tests read it.
type dashboard struct {
	UID           string  `json:"uid"`
	Title         string  `json:"title"`
	SchemaVersion int     `json:"schemaVersion"`
	Panels        []panel `json:"panels"`
	Templating    struct {
		List []struct {
			Name       string          `json:"name"`
			Type       string          `json:"type"`
			Query      json.RawMessage `json:"query"`
			Definition string          `json:"definition"`
			Datasource *datasource     `json:"datasource"`
			Multi      bool            `json:"multi"`
			IncludeAll bool            `json:"includeAll"`
		} `json:"list"`
	} `json:"templating"`
}

type panel struct {
	ID         int         `json:"id"`
	Type       string      `json:"type"`
	Title      string      `json:"title"`
	Datasource *datasource `json:"datasource"`
	Panels     []panel     `json:"panels"`
	Targets    []struct {
		Expr       string      `json:"expr"`
		Datasource *datasource `json:"datasource"`
	} `json:"targets"`
}

type datasource struct {
	Type string `json:"type"`
	UID  string `json:"uid"`
}

func readRules(t *testing.T) rulesFile {
	t.Helper()
	var f rulesFile
	decodeYAMLFile(t, "prometheus/syncd-rules.yaml", &f)
	return f
}

func readDashboard(t *testing.T) dashboard {
	t.Helper()
	b, err := os.ReadFile("grafana/syncd-dashboard.json")
	if err != nil {
		t.Fatal(err)
	}
	var d dashboard
	if err := json.Unmarshal(b, &d); err != nil {
		t.Fatalf("grafana/syncd-dashboard.json: %v", err)
	}
	return d
}

// decodeYAMLFile decodes a YAML file strictly: a key the struct does not know is an error.
func decodeYAMLFile(t *testing.T, path string, v any) {
	t.Helper()
	decodeYAML(t, path, v, true)
}

// decodeYAML decodes a YAML file, strictly or not (a file the struct describes only in part).
func decodeYAML(t *testing.T, path string, v any, strict bool) {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	dec := yaml.NewDecoder(f)
	dec.KnownFields(strict)
	if err := dec.Decode(v); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
}

// Patterns that metricNames strips before it looks for names.
var (
	quoted     = regexp.MustCompile("\"(?:[^\"\\\\]|\\\\.)*\"|'(?:[^'\\\\]|\\\\.)*'|`[^`]*`")
	matchers   = regexp.MustCompile(`\{[^}]*\}`)
	ranges     = regexp.MustCompile(`\[[^\]]*\]`)
	grouping   = regexp.MustCompile(`(?i)\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)`)
	identifier = regexp.MustCompile(`[a-zA-Z_:][a-zA-Z0-9_:]*`)
	labelVals  = regexp.MustCompile(`label_values\(\s*([a-zA-Z_:][a-zA-Z0-9_:]*)\s*(?:\{[^}]*\})?\s*,\s*[a-zA-Z_][a-zA-Z0-9_]*\s*\)`)
	keywords   = []string{"and", "or", "unless", "bool", "offset", "by", "without", "on", "ignoring",
		"group_left", "group_right", "inf", "nan", "atan2"}
)

// metricNames returns the metric names a PromQL expression (or a Grafana label_values query)
// selects: the identifiers left once strings, label matchers, ranges and grouping clauses are
// removed that are not function calls, keywords, numbers or Grafana variables.
func metricNames(expr string) []string {
	var names []string
	for _, m := range labelVals.FindAllStringSubmatch(expr, -1) {
		names = append(names, m[1])
	}
	expr = labelVals.ReplaceAllString(expr, " ")
	for _, re := range []*regexp.Regexp{quoted, matchers, ranges, grouping} {
		expr = re.ReplaceAllString(expr, " ")
	}
	for _, loc := range identifier.FindAllStringIndex(expr, -1) {
		name := expr[loc[0]:loc[1]]
		if loc[0] > 0 && strings.ContainsRune("$0123456789.", rune(expr[loc[0]-1])) {
			continue // a variable ($tenant), or part of a number (1e3, 5m)
		}
		if rest := strings.TrimLeft(expr[loc[1]:], " \t\n"); strings.HasPrefix(rest, "(") {
			continue // a function
		}
		if slices.Contains(keywords, strings.ToLower(name)) {
			continue
		}
		names = append(names, name)
	}
	slices.Sort(names)
	return slices.Compact(names)
}

func TestMetricNamesExtraction(t *testing.T) {
	for _, tc := range []struct {
		expr string
		want []string
	}{
		{`max by (tenant, job) (syncd_job_consecutive_failures) >= 3`, []string{"syncd_job_consecutive_failures"}},
		{`(time() - max by (tenant, job) (syncd_last_success_timestamp_seconds)) > 3 * max by (tenant, job) (syncd_job_interval_seconds)`,
			[]string{"syncd_job_interval_seconds", "syncd_last_success_timestamp_seconds"}},
		{`sum by (api) (rate(syncd_upstream_requests_total{code="429", op=~"GET .*"}[10m])) / sum by (api) (rate(syncd_upstream_requests_total[$__rate_interval]))`,
			[]string{"syncd_upstream_requests_total"}},
		{`histogram_quantile(0.95, sum by (job, le) (rate(syncd_run_duration_seconds_bucket{tenant="$tenant"}[5m])))`,
			[]string{"syncd_run_duration_seconds_bucket"}},
		{`count(x_total offset 1h > 0) or vector(0) unless on (tenant) y_renamed`, []string{"x_total", "y_renamed"}},
		{`1e3 * syncd_ready`, []string{"syncd_ready"}},
		{`label_values(syncd_job_interval_seconds, tenant)`, []string{"syncd_job_interval_seconds"}},
		{`label_values(syncd_tenants{job=~".+"}, job)`, []string{"syncd_tenants"}},
	} {
		if got := metricNames(tc.expr); !slices.Equal(got, tc.want) {
			t.Errorf("metricNames(%q) = %v, want %v", tc.expr, got, tc.want)
		}
	}
}

// known reports whether name is one of syncd's metrics, or a histogram's series of one.
func known(registry []string, name string) bool {
	if slices.Contains(registry, name) {
		return true
	}
	for _, suffix := range []string{"_bucket", "_sum", "_count"} {
		if base, ok := strings.CutSuffix(name, suffix); ok && slices.Contains(registry, base) {
			return true
		}
	}
	return false
}

// Every metric the alert rules and the dashboard query is in syncd's registry (metrics.New, the
// daemon's), so renaming a metric fails here instead of silently emptying a panel or an alert.
func TestRulesAndDashboardUseRegisteredMetrics(t *testing.T) {
	registry := metrics.New().MetricNames()
	if !known(registry, "syncd_run_duration_seconds_bucket") || known(registry, "syncd_runs_renamed_total") {
		t.Fatal("known() does not tell registered metrics from others")
	}
	used := map[string][]string{} // metric → where
	for _, g := range readRules(t).Groups {
		for _, r := range g.Rules {
			for _, n := range metricNames(r.Expr) {
				used[n] = append(used[n], "alert "+r.Alert)
			}
		}
	}
	d := readDashboard(t)
	for _, p := range allPanels(d.Panels) {
		for _, tg := range p.Targets {
			for _, n := range metricNames(tg.Expr) {
				used[n] = append(used[n], "panel "+p.Title)
			}
		}
	}
	for _, v := range d.Templating.List {
		for _, n := range metricNames(v.Definition) {
			used[n] = append(used[n], "variable "+v.Name)
		}
	}
	if len(used) < 15 {
		t.Fatalf("only %d metrics found in the rules and the dashboard: %v", len(used), used)
	}
	for name, where := range used {
		if !known(registry, name) {
			t.Errorf("%s, used by %s, is not a syncd metric", name, strings.Join(slices.Compact(where), ", "))
		}
	}
}

func allPanels(ps []panel) []panel {
	var out []panel
	for _, p := range ps {
		out = append(out, p)
		out = append(out, allPanels(p.Panels)...)
	}
	return out
}

// The rules have every alert the issue lists, each with a summary and a runbook naming a syncd
// command (or the endpoint to ask), and each alert has promtool cases where it fires and where
// it does not.
func TestAlertRules(t *testing.T) {
	want := []string{
		"SyncdJobFailing",                   // a job failing N times in a row
		"SyncdJobStale",                     // last success older than k × its interval
		"SyncdPassHeld",                     // a held pass
		"SyncdResourceUnavailable",          // an unavailable resource
		"SyncdQuarantinedRecordsIncreasing", // quarantined records increasing
		"SyncdUpstreamRateLimited",          // a sustained 429 rate
		"SyncdPushFailures",                 // push failures by reason
		"SyncdCredentialsRejected",          // credentials rejected
		"SyncdNotReady",                     // readiness down
	}
	var got []string
	for _, g := range readRules(t).Groups {
		for _, r := range g.Rules {
			got = append(got, r.Alert)
			if r.Annotations["summary"] == "" || r.Labels["severity"] == "" {
				t.Errorf("%s has no summary or severity", r.Alert)
			}
			if rb := r.Annotations["runbook"]; !strings.Contains(rb, "`syncd ") && !strings.Contains(rb, "/readyz") {
				t.Errorf("%s: runbook %q names no syncd command", r.Alert, rb)
			}
		}
	}
	slices.Sort(got)
	slices.Sort(want)
	if !slices.Equal(got, want) {
		t.Errorf("alerts %v, want %v", got, want)
	}
	// The SyncdPushFailures rule groups by reason, as the issue asks.
	for _, g := range readRules(t).Groups {
		for _, r := range g.Rules {
			if r.Alert == "SyncdPushFailures" && !strings.Contains(r.Expr, "reason") {
				t.Errorf("SyncdPushFailures does not group by reason: %s", r.Expr)
			}
		}
	}

	var tests ruleTests
	decodeYAML(t, "prometheus/syncd-rules.test.yaml", &tests, false) // promtool checks the rest
	if !slices.Equal(tests.RuleFiles, []string{"syncd-rules.yaml"}) {
		t.Errorf("the unit tests load %v, want syncd-rules.yaml", tests.RuleFiles)
	}
	fires, silent := map[string]bool{}, map[string]bool{}
	for _, tc := range tests.Tests {
		for _, a := range tc.AlertRuleTest {
			if len(a.ExpAlerts) > 0 {
				fires[a.Alertname] = true
			} else {
				silent[a.Alertname] = true
			}
		}
	}
	for _, a := range want {
		if !fires[a] || !silent[a] {
			t.Errorf("%s: promtool cases where it fires: %v, where it does not: %v", a, fires[a], silent[a])
		}
	}
}

// The dashboard is Grafana JSON with a data source variable and a single-value tenant variable,
// every panel on the variable's data source, and the panels the issue lists; every query is valid
// PromQL by promtool (as a recording rule, the variables filled in).
func TestDashboard(t *testing.T) {
	d := readDashboard(t)
	if d.SchemaVersion < 36 || d.UID == "" || d.Title == "" {
		t.Errorf("schemaVersion %d, uid %q, title %q", d.SchemaVersion, d.UID, d.Title)
	}
	vars := map[string]bool{}
	for _, v := range d.Templating.List {
		vars[v.Name] = true
		switch v.Name {
		case "datasource":
			if v.Type != "datasource" || string(v.Query) != `"prometheus"` {
				t.Errorf("datasource variable: type %s, query %s", v.Type, v.Query)
			}
		case "tenant":
			if v.Type != "query" || v.Multi || v.IncludeAll || v.Datasource == nil || v.Datasource.UID != "${datasource}" {
				t.Errorf("tenant variable: %+v; want one tenant at a time from the datasource variable", v)
			}
		}
	}
	if !vars["datasource"] || !vars["tenant"] {
		t.Fatalf("variables %v, want datasource and tenant", vars)
	}
	ids := map[int]bool{}
	var exprs []string
	for _, p := range allPanels(d.Panels) {
		if ids[p.ID] {
			t.Errorf("panel id %d used twice", p.ID)
		}
		ids[p.ID] = true
		if p.Type == "row" {
			continue
		}
		if p.Datasource == nil || p.Datasource.UID != "${datasource}" || len(p.Targets) == 0 {
			t.Errorf("panel %q: datasource %+v, %d queries", p.Title, p.Datasource, len(p.Targets))
		}
		for _, tg := range p.Targets {
			if tg.Datasource == nil || tg.Datasource.UID != "${datasource}" || tg.Expr == "" {
				t.Errorf("panel %q: a query without expression or on another data source", p.Title)
			}
			exprs = append(exprs, tg.Expr)
		}
	}
	all := strings.Join(exprs, "\n")
	for _, want := range []string{
		"syncd_upstream_requests_total", "syncd_upstream_retries_total", "syncd_rate_limit_wait_seconds_total",
		"syncd_rows_total{tenant=\"$tenant\"}", "syncd_pushes_total{tenant=\"$tenant\"}",
		"syncd_run_duration_seconds_bucket{tenant=\"$tenant\"}", "by (api, code)", "by (outcome)",
	} {
		if !strings.Contains(all, want) {
			t.Errorf("no dashboard query has %s", want)
		}
	}

	promtool, err := exec.LookPath("promtool")
	if err != nil {
		t.Fatal("promtool not found: install Debian's prometheus package (bash deploy/check.sh does)")
	}
	var rules strings.Builder
	rules.WriteString("groups:\n  - name: dashboard\n    rules:\n")
	fill := strings.NewReplacer("$__rate_interval", "5m", "$tenant", "acme", "$scrape_job", ".*")
	for i, e := range exprs {
		q, _ := json.Marshal(fill.Replace(e))
		rules.WriteString("      - record: dashboard:query" + string(rune('a'+i%26)) + strings.Repeat("x", i/26) + "\n")
		rules.WriteString("        expr: " + string(q) + "\n")
	}
	path := filepath.Join(t.TempDir(), "dashboard-rules.yaml")
	if err := os.WriteFile(path, []byte(rules.String()), 0o600); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command(promtool, "check", "rules", path).CombinedOutput(); err != nil {
		t.Errorf("promtool check rules on the dashboard's queries: %v\n%s", err, out)
	}
}
