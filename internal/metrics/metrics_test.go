package metrics_test

import (
	"database/sql"
	"sort"
	"strings"
	"testing"
	"time"

	_ "github.com/glebarez/go-sqlite" // database/sql driver "sqlite" for the pool-stats case
	"github.com/prometheus/client_golang/prometheus/collectors"
	dto "github.com/prometheus/client_model/go"

	"github.com/syncd-dev/syncd/internal/clients/upstream"
	"github.com/syncd-dev/syncd/internal/metrics"
	"github.com/syncd-dev/syncd/internal/models"
)

// flatten turns a registry's families into "name{label=value,...}" -> value: a counter's or
// gauge's value, and a histogram's sample count (as name_count) and sum (name_sum).
func flatten(t testing.TB, m *metrics.Metrics) map[string]float64 {
	t.Helper()
	fams, err := m.Registry.Gather()
	if err != nil {
		t.Fatalf("gather: %v", err)
	}
	out := map[string]float64{}
	for _, f := range fams {
		for _, s := range f.GetMetric() {
			name := f.GetName() + labels(s.GetLabel())
			switch f.GetType() {
			case dto.MetricType_COUNTER:
				out[name] = s.GetCounter().GetValue()
			case dto.MetricType_GAUGE:
				out[name] = s.GetGauge().GetValue()
			case dto.MetricType_HISTOGRAM:
				out[f.GetName()+"_count"+labels(s.GetLabel())] = float64(s.GetHistogram().GetSampleCount())
				out[f.GetName()+"_sum"+labels(s.GetLabel())] = s.GetHistogram().GetSampleSum()
			}
		}
	}
	return out
}

func labels(ls []*dto.LabelPair) string {
	if len(ls) == 0 {
		return ""
	}
	var parts []string
	for _, l := range ls {
		parts = append(parts, l.GetName()+"="+l.GetValue())
	}
	sort.Strings(parts)
	return "{" + strings.Join(parts, ",") + "}"
}

func ptr[T any](v T) *T { return &v }

func TestObserversFeedMetrics(t *testing.T) {
	finished := time.Date(2025, 3, 4, 5, 6, 7, 0, time.UTC)
	cases := []struct {
		name   string
		feed   func(m *metrics.Metrics)
		want   map[string]float64
		absent []string
	}{
		{
			name: "succeeded run",
			feed: func(m *metrics.Metrics) {
				m.RunFinished(&models.SyncRun{TenantID: "acme", Job: "rentengine", Status: models.RunSucceeded,
					Fetched: 120, Inserted: 100, Updated: 7, Unchanged: 13, Deleted: 2, FinishedAt: &finished}, 1500*time.Millisecond)
			},
			want: map[string]float64{
				"syncd_runs_total{job=rentengine,outcome=succeeded,tenant=acme}":   1,
				"syncd_rows_total{action=fetched,job=rentengine,tenant=acme}":      120,
				"syncd_rows_total{action=inserted,job=rentengine,tenant=acme}":     100,
				"syncd_rows_total{action=updated,job=rentengine,tenant=acme}":      7,
				"syncd_rows_total{action=unchanged,job=rentengine,tenant=acme}":    13,
				"syncd_rows_total{action=deleted,job=rentengine,tenant=acme}":      2,
				"syncd_run_duration_seconds_count{job=rentengine,tenant=acme}":     1,
				"syncd_run_duration_seconds_sum{job=rentengine,tenant=acme}":       1.5,
				"syncd_last_success_timestamp_seconds{job=rentengine,tenant=acme}": float64(finished.Unix()),
			},
			absent: []string{"syncd_bad_records_total{job=rentengine,tenant=acme}"},
		},
		{
			name: "failed run with bad records leaves last success alone",
			feed: func(m *metrics.Metrics) {
				m.RunFinished(&models.SyncRun{TenantID: "acme", Job: "funnel", Status: models.RunFailed, BadRecords: 3,
					FinishedAt: &finished, Error: ptr("boom")}, time.Second)
			},
			want: map[string]float64{
				"syncd_runs_total{job=funnel,outcome=failed,tenant=acme}": 1,
				"syncd_bad_records_total{job=funnel,tenant=acme}":         3,
			},
			absent: []string{"syncd_last_success_timestamp_seconds{job=funnel,tenant=acme}"},
		},
		{
			name: "held run sets the held-deletes gauge; the next run replaces it",
			feed: func(m *metrics.Metrics) {
				m.RunFinished(&models.SyncRun{TenantID: "acme", Job: "rentengine", Status: models.RunHeld, FinishedAt: &finished,
					Details: models.JSON(`{"held_deletes":{"units":130,"prospects":240}}`)}, time.Second)
				m.RunFinished(&models.SyncRun{TenantID: "beta", Job: "rentengine", Status: models.RunHeld, FinishedAt: &finished,
					Details: models.JSON(`{"held_deletes":{"units":50}}`)}, time.Second)
				m.RunFinished(&models.SyncRun{TenantID: "beta", Job: "rentengine", Status: models.RunHeld, FinishedAt: &finished,
					Details: models.JSON(`{"held_deletes":{"prospects":7}}`)}, time.Second)
				m.RunFinished(&models.SyncRun{TenantID: "acme", Job: "rentengine", Status: models.RunSucceeded, FinishedAt: &finished}, time.Second)
			},
			want: map[string]float64{
				"syncd_runs_total{job=rentengine,outcome=held,tenant=acme}":         1,
				"syncd_runs_total{job=rentengine,outcome=held,tenant=beta}":         2,
				"syncd_held_deletes{job=rentengine,resource=prospects,tenant=beta}": 7,
			},
			absent: []string{
				"syncd_held_deletes{job=rentengine,resource=units,tenant=acme}",
				"syncd_held_deletes{job=rentengine,resource=prospects,tenant=acme}",
				"syncd_held_deletes{job=rentengine,resource=units,tenant=beta}",
			},
		},
		{
			name: "resource availability after every pull run; a run that stopped early keeps what it did not reach",
			feed: func(m *metrics.Metrics) {
				m.RunFinished(&models.SyncRun{TenantID: "acme", Job: "rentengine", Status: models.RunPartial, FinishedAt: &finished,
					Details: models.JSON(`{"resources":{"units":{},"prospects":{},"leasing_events":{}},` +
						`"unavailable":{"leasing_events":"GET /leasing_events: 404 Not Found"}}`)}, time.Second)
				m.RunFinished(&models.SyncRun{TenantID: "acme", Job: "funnel", Status: models.RunPartial, FinishedAt: &finished,
					Details: models.JSON(`{"resources":{"communities":{},"prospects":{}},"unavailable":{"communities":"x"}}`)}, time.Second)
				// The next funnel run lists communities again, then stops before prospects.
				m.RunFinished(&models.SyncRun{TenantID: "acme", Job: "funnel", Status: models.RunFailed, FinishedAt: &finished,
					Details: models.JSON(`{"resources":{"communities":{}}}`)}, time.Second)
				m.RunFinished(&models.SyncRun{TenantID: "acme", Job: "push", Status: models.RunSucceeded, FinishedAt: &finished,
					Details: models.JSON(`{"push":{}}`)}, time.Second)
				m.RunFinished(&models.SyncRun{TenantID: "gone", Job: "rentengine", Status: models.RunPartial, FinishedAt: &finished,
					Details: models.JSON(`{"resources":{"units":{}},"unavailable":{"units":"x"}}`)}, time.Second)
				m.ForgetTenant("gone")
			},
			want: map[string]float64{
				"syncd_runs_total{job=rentengine,outcome=partial,tenant=acme}":                 1,
				"syncd_resource_available{api=rentengine,resource=units,tenant=acme}":          1,
				"syncd_resource_available{api=rentengine,resource=prospects,tenant=acme}":      1,
				"syncd_resource_available{api=rentengine,resource=leasing_events,tenant=acme}": 0,
				"syncd_resource_available{api=funnel,resource=communities,tenant=acme}":        1,
				"syncd_resource_available{api=funnel,resource=prospects,tenant=acme}":          1,
			},
			absent: []string{
				"syncd_last_success_timestamp_seconds{job=rentengine,tenant=acme}",
				"syncd_resource_available{api=rentengine,resource=units,tenant=gone}",
			},
		},
		{
			name: "upstream requests, retries and rate-limit waits",
			feed: func(m *metrics.Metrics) {
				m.ObserveRequest("rentengine", "GET /units", 200, 10*time.Millisecond)
				m.ObserveRequest("rentengine", "GET /units", 200, 10*time.Millisecond)
				m.ObserveRequest("rentengine", "GET /units", 503, 10*time.Millisecond)
				m.ObserveRequest("funnel", "GET /clients", 0, time.Millisecond)
				m.ObserveRetry("rentengine", "GET /units", upstream.KindTransient)
				m.ObserveRateWait("rentengine", 250*time.Millisecond)
				m.ObserveRateWait("rentengine", 750*time.Millisecond)
			},
			want: map[string]float64{
				"syncd_upstream_requests_total{api=rentengine,code=200,op=GET /units}":                        2,
				"syncd_upstream_requests_total{api=rentengine,code=503,op=GET /units}":                        1,
				"syncd_upstream_requests_total{api=funnel,code=0,op=GET /clients}":                            1,
				"syncd_upstream_request_duration_seconds_count{api=rentengine}":                               3,
				"syncd_upstream_retries_total{api=rentengine,reason=" + upstream.KindTransient.String() + "}": 1,
				"syncd_rate_limit_wait_seconds_total{api=rentengine}":                                         1,
			},
		},
		{
			name: "effective rate per credential, lowered by a 429",
			feed: func(m *metrics.Metrics) {
				l := upstream.NewLimiters()
				l.Observe(m)
				l.Apply(upstream.BucketSpec{Key: "funnel u k1", API: "funnel", Label: "partner-key", Requests: 10, Per: time.Second})
				l.Apply(upstream.BucketSpec{Key: "rentengine u k2", API: "rentengine", Label: "acme,beta", Requests: 20, Per: 5 * time.Second}).Limited(time.Now())
			},
			want: map[string]float64{
				"syncd_rate_effective{api=funnel,credential=partner-key}":   10,
				"syncd_rate_effective{api=rentengine,credential=acme,beta}": 4 * upstream.DecreaseFactor,
			},
		},
		{
			name: "quarantined records by tenant and table",
			feed: func(m *metrics.Metrics) {
				m.Quarantined("acme", "rentengine_units", 1)
				m.Quarantined("acme", "rentengine_units", 2)
				m.Quarantined("acme", "rentengine_prospects", 1)
			},
			want: map[string]float64{
				"syncd_quarantined_records_total{table=rentengine_units,tenant=acme}":     3,
				"syncd_quarantined_records_total{table=rentengine_prospects,tenant=acme}": 1,
			},
		},
		{
			name: "pushes by kind and outcome",
			feed: func(m *metrics.Metrics) {
				m.Push("acme", "assign_user", "pushed")
				m.Push("acme", "assign_user", "pushed")
				m.Push("acme", "customer_score", "failed")
			},
			want: map[string]float64{
				"syncd_pushes_total{kind=assign_user,outcome=pushed,tenant=acme}":    2,
				"syncd_pushes_total{kind=customer_score,outcome=failed,tenant=acme}": 1,
			},
		},
		{
			name: "push skips: the latest run's counts replace the earlier run's",
			feed: func(m *metrics.Metrics) {
				m.PushSkipped("acme", map[string]map[string]int{"customer_score": {"unlinked": 4, "ambiguous": 2, "client_deleted": 1},
					"other_kind": {"some_reason": 1}})
				m.PushSkipped("acme", map[string]map[string]int{"customer_score": {"unlinked": 3, "ambiguous": 0}})
				m.PushSkipped("beta", map[string]map[string]int{"customer_score": {"no_status_score": 5}})
				m.ForgetTenant("beta")
			},
			want: map[string]float64{
				"syncd_push_skipped{kind=customer_score,reason=unlinked,tenant=acme}":  3,
				"syncd_push_skipped{kind=customer_score,reason=ambiguous,tenant=acme}": 0,
			},
			absent: []string{
				"syncd_push_skipped{kind=customer_score,reason=client_deleted,tenant=acme}",
				"syncd_push_skipped{kind=other_kind,reason=some_reason,tenant=acme}",
				"syncd_push_skipped{kind=customer_score,reason=no_status_score,tenant=beta}",
			},
		},
		{
			name: "scheduler skips and start delay",
			feed: func(m *metrics.Metrics) {
				m.Skipped("acme", "rentengine", "overrun")
				m.Skipped("acme", "rentengine", "other_replica")
				m.Skipped("acme", "rentengine", "other_replica")
				m.StartDelay("acme", "rentengine", 20*time.Millisecond)
			},
			want: map[string]float64{
				"syncd_skipped_runs_total{job=rentengine,reason=overrun,tenant=acme}":       1,
				"syncd_skipped_runs_total{job=rentengine,reason=other_replica,tenant=acme}": 2,
				"syncd_run_start_delay_seconds_count":                                       1,
			},
		},
		{
			name: "reloads and tenants",
			feed: func(m *metrics.Metrics) {
				m.Reload(true)
				m.Reload(false)
				m.Reload(false)
				m.SetTenants(4)
			},
			want: map[string]float64{
				"syncd_config_reloads_total{outcome=applied}":  1,
				"syncd_config_reloads_total{outcome=rejected}": 2,
				"syncd_tenants": 4,
			},
		},
		{
			name: "a removed tenant's last-success gauges go, others stay",
			feed: func(m *metrics.Metrics) {
				m.SetLastSuccess("acme", "rentengine", finished)
				m.SetLastSuccess("acme", "funnel", finished)
				m.SetLastSuccess("beta", "rentengine", finished)
				m.ForgetTenant("acme")
			},
			want: map[string]float64{"syncd_last_success_timestamp_seconds{job=rentengine,tenant=beta}": float64(finished.Unix())},
			absent: []string{
				"syncd_last_success_timestamp_seconds{job=rentengine,tenant=acme}",
				"syncd_last_success_timestamp_seconds{job=funnel,tenant=acme}",
			},
		},
		{
			name: "runtime and pool statistics",
			feed: func(m *metrics.Metrics) {
				db, err := sql.Open("sqlite", ":memory:")
				if err != nil {
					panic(err)
				}
				m.RegisterDB(collectors.NewDBStatsCollector(db, "mirror"))
			},
			want: map[string]float64{"go_sql_max_open_connections{db_name=mirror}": 0},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			m := metrics.New()
			tc.feed(m)
			got := flatten(t, m)
			for k, v := range tc.want {
				g, ok := got[k]
				if !ok {
					t.Errorf("%s missing", k)
				} else if g != v {
					t.Errorf("%s = %g, want %g", k, g, v)
				}
			}
			for _, k := range tc.absent {
				if _, ok := got[k]; ok {
					t.Errorf("%s present, want absent", k)
				}
			}
			for _, k := range []string{"go_goroutines", "process_open_fds"} {
				if _, ok := got[k]; !ok {
					t.Errorf("runtime metric %s missing", k)
				}
			}
		})
	}
}
