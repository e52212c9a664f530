package metrics_test

import (
	"slices"
	"testing"
	"time"

	"github.com/syncd-dev/syncd/internal/metrics"
	"github.com/syncd-dev/syncd/internal/models"
)

// MetricNames lists every registered metric, vectors without series included, and no name twice.
func TestMetricNames(t *testing.T) {
	names := metrics.New().MetricNames()
	for _, want := range []string{"syncd_runs_total", "syncd_run_duration_seconds", "syncd_held_deletes",
		"syncd_job_interval_seconds", "syncd_job_consecutive_failures", "syncd_credentials_rejected",
		"syncd_push_failures_total", "syncd_ready", "go_goroutines", "process_start_time_seconds"} {
		if !slices.Contains(names, want) {
			t.Errorf("MetricNames() lacks %s", want)
		}
	}
	if !slices.IsSorted(names) || len(slices.Compact(slices.Clone(names))) != len(names) {
		t.Errorf("MetricNames() not sorted or has repeats: %v", names)
	}
}

// The gauges replaced as a whole drop the series left out; ForgetTenant drops a tenant's;
// syncd_ready follows the readiness check; a push failure counts by reason.
func TestOperatorGaugesFollowTheirSources(t *testing.T) {
	m := metrics.New()
	if got := flatten(t, m)["syncd_ready"]; got != 0 {
		t.Errorf("syncd_ready before SetReadiness = %g, want 0", got)
	}
	ready := true
	m.SetReadiness(func() bool { return ready })
	m.SetJobIntervals(map[[2]string]time.Duration{{"acme", "funnel"}: 30 * time.Minute, {"beta", "rentengine"}: time.Hour})
	m.SetFailureStreaks(map[[2]string]int{{"acme", "funnel"}: 4, {"beta", "rentengine"}: 0})
	msg := "credentials rejected: GET /units: 403 Forbidden"
	m.SetCredentialsRejected(&models.SyncRun{TenantID: "beta", Job: "rentengine", Status: models.RunFailed, Error: &msg})
	other := "GET /units: 500 Internal Server Error"
	m.SetCredentialsRejected(&models.SyncRun{TenantID: "acme", Job: "funnel", Status: models.RunFailed, Error: &other})
	m.PushFailed("acme", "customer_score", "rate_limited")
	m.PushFailed("acme", "customer_score", "rate_limited")
	got := flatten(t, m)
	for name, want := range map[string]float64{
		"syncd_ready": 1,
		"syncd_job_interval_seconds{job=funnel,tenant=acme}":                             1800,
		"syncd_job_interval_seconds{job=rentengine,tenant=beta}":                         3600,
		"syncd_job_consecutive_failures{job=funnel,tenant=acme}":                         4,
		"syncd_job_consecutive_failures{job=rentengine,tenant=beta}":                     0,
		"syncd_credentials_rejected{job=rentengine,tenant=beta}":                         1,
		"syncd_credentials_rejected{job=funnel,tenant=acme}":                             0,
		"syncd_push_failures_total{kind=customer_score,reason=rate_limited,tenant=acme}": 2,
	} {
		if v, ok := got[name]; !ok || v != want {
			t.Errorf("%s = %g (present %v), want %g", name, v, ok, want)
		}
	}

	ready = false
	m.SetJobIntervals(map[[2]string]time.Duration{{"acme", "funnel"}: time.Hour})
	m.SetFailureStreaks(map[[2]string]int{{"acme", "funnel"}: 0})
	m.ForgetTenant("beta")
	got = flatten(t, m)
	if got["syncd_ready"] != 0 || got["syncd_job_interval_seconds{job=funnel,tenant=acme}"] != 3600 ||
		got["syncd_job_consecutive_failures{job=funnel,tenant=acme}"] != 0 {
		t.Errorf("after the second round: %v", got)
	}
	for _, gone := range []string{"syncd_job_interval_seconds{job=rentengine,tenant=beta}",
		"syncd_job_consecutive_failures{job=rentengine,tenant=beta}", "syncd_credentials_rejected{job=rentengine,tenant=beta}"} {
		if _, ok := got[gone]; ok {
			t.Errorf("%s still exported", gone)
		}
	}
}
