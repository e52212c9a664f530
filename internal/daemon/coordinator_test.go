package daemon

import (
	"errors"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"go.uber.org/zap"
	"go.uber.org/zap/zaptest/observer"

	"github.com/syncd-dev/syncd/internal/clients/upstream"
	"github.com/syncd-dev/syncd/internal/metrics"
	syncer "github.com/syncd-dev/syncd/internal/sync"
	"github.com/syncd-dev/syncd/internal/tenants"
)

// configOf builds a parsed-looking config with these tenants, each limited to requests per second.
func configOf(requests int, ids ...string) *tenants.Config {
	cfg := &tenants.Config{}
	for _, id := range ids {
		cfg.Tenants = append(cfg.Tenants, tenants.Tenant{ID: id, RentEngine: &tenants.RentEngine{Token: tenants.NewSecret("token-" + id),
			RateLimit: &tenants.RateLimit{Requests: requests, Per: time.Second, Burst: requests}}})
	}
	return cfg
}

// The coordinator hands the startup config and every valid reload to each subscriber in the
// order they subscribed; a subscriber's error is logged and the others still apply; a file that
// does not load is rejected with every problem logged, no subscriber sees it, the running config
// stays, and it is not read again until it changes.
func TestCoordinator(t *testing.T) {
	path := filepath.Join(t.TempDir(), "config.yaml")
	write := func(content string) {
		t.Helper()
		if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	v1, v2 := configOf(1, "a"), configOf(1, "a", "b")
	load := func(p string) (*tenants.Config, error) {
		b, err := os.ReadFile(p)
		if err != nil {
			return nil, err
		}
		switch string(b) {
		case "v1":
			return v1, nil
		case "v2":
			return v2, nil
		}
		return nil, &tenants.ValidationError{Problems: []tenants.Problem{
			{Tenant: "b", Field: "colour", Line: 3, Message: "unknown key"},
			{Tenant: "b", Field: "schedules.rentengine", Line: 5, Message: "bad schedule"},
		}}
	}
	core, logs := observer.New(zap.InfoLevel)
	var outcomes []bool
	c := newCoordinator(path, load, zap.New(core), func(applied bool) { outcomes = append(outcomes, applied) })
	var calls []string
	record := func(name string, fail *tenants.Config) subscriber {
		return func(cfg *tenants.Config) error {
			calls = append(calls, name+":"+cfg.Tenants[len(cfg.Tenants)-1].ID)
			if cfg == fail {
				return errors.New("cannot apply")
			}
			return nil
		}
	}
	c.subscribe("first", record("first", v2))
	c.subscribe("second", record("second", nil))

	write("v1")
	if err := c.start(v1); err != nil {
		t.Fatal(err)
	}
	if c.current() != v1 || c.fileChanged() {
		t.Fatalf("after start: running %v, file changed %v", c.current(), c.fileChanged())
	}

	write("v2")
	if !c.fileChanged() {
		t.Fatal("a new file content is not seen as a change")
	}
	c.reload("test")
	if c.current() != v2 {
		t.Errorf("running config after a valid reload: %v", c.current())
	}
	if partly := logs.FilterMessage("config reload partly applied").FilterField(zap.String("component", "first")).Len(); partly != 1 {
		t.Errorf("%d lines for the failing subscriber, want 1", partly)
	}

	write("broken")
	c.reload("test")
	if c.current() != v2 {
		t.Errorf("running config after a rejected reload: %v", c.current())
	}
	if n := logs.FilterMessage("config reload rejected: problem").Len(); n != 2 {
		t.Errorf("%d problems logged, want 2", n)
	}
	if c.fileChanged() {
		t.Error("a rejected file is read again before it changes")
	}

	if want := []string{"first:a", "second:a", "first:b", "second:b"}; !slices.Equal(calls, want) {
		t.Errorf("subscriber calls %v, want %v", calls, want)
	}
	if want := []bool{true, false}; !slices.Equal(outcomes, want) {
		t.Errorf("reload outcomes %v, want %v", outcomes, want)
	}
}

// The limits subscriber adjusts a kept credential's budget in place and drops the budget of a
// credential no tenant uses any more.
func TestLimitsSubscriber(t *testing.T) {
	lims := upstream.NewLimiters()
	apply := limits(syncer.NewRunner(syncer.Config{Limiters: lims}, nil))
	v1 := configOf(10, "a", "b")
	if err := apply(v1); err != nil {
		t.Fatal(err)
	}
	keyA, keyB := v1.Tenants[0].RentEngine.Key(), v1.Tenants[1].RentEngine.Key()
	a, b := lims.Bucket(keyA), lims.Bucket(keyB)
	if a == nil || b == nil || a == b {
		t.Fatalf("buckets a=%p b=%p: want one per credential", a, b)
	}
	if err := apply(configOf(20, "a")); err != nil {
		t.Fatal(err)
	}
	if lims.Bucket(keyA) != a {
		t.Error("a's bucket was replaced rather than adjusted in place")
	}
	if s := a.Spec(); s.Requests != 20 || s.Burst != 20 || a.State().Configured != 20 {
		t.Errorf("a's bucket after the reload: %+v; want 20 per second, burst 20", s)
	}
	if lims.Bucket(keyB) != nil {
		t.Error("removed tenant b's credential kept its bucket")
	}
}

// The metrics subscriber sets syncd_tenants and removes the series of removed tenants.
func TestTenantMetricsSubscriber(t *testing.T) {
	m := metrics.New()
	apply := tenantMetrics(m)
	if err := apply(configOf(1, "a", "b")); err != nil {
		t.Fatal(err)
	}
	m.SetLastSuccess("a", string(tenants.JobRentEngine), time.Now())
	m.SetLastSuccess("b", string(tenants.JobRentEngine), time.Now())
	if err := apply(configOf(1, "a")); err != nil {
		t.Fatal(err)
	}
	fams, err := m.Registry.Gather()
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	var count float64 = -1
	for _, f := range fams {
		for _, s := range f.GetMetric() {
			for _, l := range s.GetLabel() {
				if l.GetName() == "tenant" {
					seen[l.GetValue()] = true
				}
			}
			if f.GetName() == "syncd_tenants" {
				count = s.GetGauge().GetValue()
			}
		}
	}
	if !seen["a"] || seen["b"] || count != 1 {
		t.Errorf("tenants with series %v, syncd_tenants %g; want a only and 1", seen, count)
	}
}
