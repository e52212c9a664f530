package daemon_test

import (
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
	"go.uber.org/zap/zaptest/observer"

	"github.com/syncd-dev/syncd/internal/daemon"
	"github.com/syncd-dev/syncd/internal/models"
	"github.com/syncd-dev/syncd/internal/tenants"
	"github.com/syncd-dev/syncd/internal/testing/dbtest"
	"github.com/syncd-dev/syncd/internal/testing/fakeapi"
)

// scrape fetches /metrics over HTTP and returns the families by name.
func scrape(t testing.TB, addr string) map[string]*dto.MetricFamily {
	t.Helper()
	resp, err := http.Get("http://" + addr + "/metrics")
	if err != nil {
		t.Fatalf("scrape: %v", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("scrape: %s", resp.Status)
	}
	p := expfmt.NewTextParser(model.UTF8Validation)
	fams, err := p.TextToMetricFamilies(resp.Body)
	if err != nil {
		t.Fatalf("parse exposition: %v", err)
	}
	return fams
}

// value sums the samples of a family whose labels include match (a counter's or gauge's value,
// a histogram's sample count).
func value(fams map[string]*dto.MetricFamily, name string, match map[string]string) (float64, bool) {
	f, ok := fams[name]
	if !ok {
		return 0, false
	}
	sum, found := 0.0, false
outer:
	for _, m := range f.GetMetric() {
		have := map[string]string{}
		for _, l := range m.GetLabel() {
			have[l.GetName()] = l.GetValue()
		}
		for k, v := range match {
			if have[k] != v {
				continue outer
			}
		}
		found = true
		switch {
		case m.Counter != nil:
			sum += m.GetCounter().GetValue()
		case m.Gauge != nil:
			sum += m.GetGauge().GetValue()
		case m.Histogram != nil:
			sum += float64(m.GetHistogram().GetSampleCount())
		case m.Untyped != nil:
			sum += m.GetUntyped().GetValue()
		}
	}
	return sum, found
}

// After one scheduled sync against the fake (with one injected server error, so one retry),
// /metrics shows exactly that run's outcome, rows, requests and retry, and every log line of the
// run carries tenant, job and run_id.
func TestMetricsAndLogsOfARun(t *testing.T) {
	cases := []struct {
		dialect string
		dsn     func(testing.TB) string
	}{
		{models.Postgres, dbtest.PostgresDSN},
		{models.SQLite, dbtest.SQLiteDSN},
	}
	for _, tc := range cases {
		t.Run(tc.dialect, func(t *testing.T) {
			t.Parallel()
			up := newUpstream(t, 0)
			up.Faults().Script(func(r *http.Request) bool {
				return strings.HasSuffix(r.URL.Path, "/units") && r.URL.Query().Get("page_number") == "0"
			}, fakeapi.FaultServerError, 1)
			dsn := tc.dsn(t)
			path := configPath(t)
			writeConfig(t, path, configData{DSN: dsn, BaseURL: up.baseURL, Listen: "127.0.0.1:0",
				Tenants: []testTenant{{ID: "acme", Schedule: "@every 1s"}}})
			core, logs := observer.New(zap.DebugLevel)
			d := startDaemon(t, daemon.Options{ConfigPath: path, WatchInterval: -1, Log: zap.New(core)})
			store := dbtest.Open(t, dsn)

			// Let exactly one run happen: unschedule everything as soon as the first one starts.
			waitFor(t, 10*time.Second, "the first run", func() bool { return len(runs(t, store, "acme")) > 0 })
			if err := d.Scheduler().Apply(&tenants.Config{}); err != nil {
				t.Fatal(err)
			}
			waitFor(t, 10*time.Second, "the run to finish", func() bool { return runs(t, store, "acme")[0].Status != models.RunRunning })
			rs := runs(t, store, "acme")
			if len(rs) != 1 {
				t.Fatalf("%d runs, want 1", len(rs))
			}
			run := rs[0]
			if run.Status != models.RunSucceeded || run.Fetched != up.records() || run.Inserted != up.records() || run.Retries != 1 {
				t.Fatalf("run %+v: want succeeded, %d fetched and inserted, 1 retry", run, up.records())
			}

			if tc.dialect == models.Postgres {
				// sync_runs says the run finished once the runner recorded its outcome; the
				// scheduler releases the job's lock (a connection of the lock pool) only after
				// that, when the run's firing returns (it records the tick's end first). Until
				// then the pool has the connection in use, so wait for the firing to return.
				waitFor(t, 10*time.Second, "the run's lock to be released", func() bool {
					n, ok := value(scrape(t, d.Addr().String()), "go_sql_in_use_connections", map[string]string{"db_name": "locks"})
					return ok && n == 0
				})
			}
			fams := scrape(t, d.Addr().String())
			acme := map[string]string{"tenant": "acme", "job": string(tenants.JobRentEngine)}
			with := func(kv ...string) map[string]string {
				m := map[string]string{}
				for k, v := range acme {
					m[k] = v
				}
				for i := 0; i < len(kv); i += 2 {
					m[kv[i]] = kv[i+1]
				}
				return m
			}
			requests := float64(len(up.Requests()))
			want := []struct {
				name   string
				labels map[string]string
				value  float64
			}{
				{"syncd_runs_total", with("outcome", models.RunSucceeded), 1},
				{"syncd_runs_total", acme, 1},
				{"syncd_rows_total", with("action", "fetched"), float64(run.Fetched)},
				{"syncd_rows_total", with("action", "inserted"), float64(run.Inserted)},
				{"syncd_rows_total", with("action", "updated"), float64(run.Updated)},
				{"syncd_rows_total", with("action", "unchanged"), float64(run.Unchanged)},
				{"syncd_rows_total", with("action", "deleted"), float64(run.Deleted)},
				{"syncd_run_duration_seconds", acme, 1},
				{"syncd_last_success_timestamp_seconds", acme, float64(run.FinishedAt.Unix())},
				{"syncd_upstream_requests_total", map[string]string{"api": "rentengine"}, requests},
				{"syncd_upstream_requests_total", map[string]string{"api": "rentengine", "code": "200"}, requests - 1},
				{"syncd_upstream_retries_total", map[string]string{"api": "rentengine"}, float64(run.Retries)},
				{"syncd_run_start_delay_seconds", nil, 1},
				{"syncd_tenants", nil, 1},
				{"syncd_resource_available", map[string]string{"tenant": "acme", "api": "rentengine", "resource": "leasing_events"}, 1},
				{"syncd_resource_available", map[string]string{"tenant": "acme", "api": "rentengine"}, 3},
				{"go_sql_open_connections", map[string]string{"db_name": "mirror"}, -1},
				{"go_goroutines", nil, -1},
			}
			if tc.dialect == models.Postgres {
				// The lock pool: a connection per held lock, and none is held now.
				want = append(want, struct {
					name   string
					labels map[string]string
					value  float64
				}{"go_sql_in_use_connections", map[string]string{"db_name": "locks"}, 0})
			}
			for _, w := range want {
				got, ok := value(fams, w.name, w.labels)
				switch {
				case !ok:
					t.Errorf("%s%v missing from /metrics", w.name, w.labels)
				case w.value >= 0 && got != w.value:
					t.Errorf("%s%v = %g, want %g", w.name, w.labels, got, w.value)
				}
			}

			// Logs: the runner's lines, the upstream client's retry line included, all carry the
			// run's fields.
			runLines := logs.Filter(func(e observer.LoggedEntry) bool { return e.LoggerName == "sync" }).All()
			if len(runLines) < 3 {
				t.Fatalf("only %d log lines from the run", len(runLines))
			}
			sawRetry := false
			for _, e := range runLines {
				f := e.ContextMap()
				if f["tenant"] != "acme" || f["job"] != string(tenants.JobRentEngine) || f["run_id"] != run.RunID {
					t.Errorf("log line %q lacks the run's fields: %v", e.Message, f)
				}
				sawRetry = sawRetry || (e.Message == "retrying upstream call" && e.Level == zapcore.DebugLevel)
			}
			if !sawRetry {
				t.Errorf("no retry line among the run's log lines: %v", messages(runLines))
			}
		})
	}
}

// A restart does not hide an unavailable resource: the daemon seeds syncd_resource_available
// from each job's latest run before any run of its own.
func TestResourceAvailabilitySeededAtStart(t *testing.T) {
	for _, tc := range []struct {
		dialect string
		dsn     func(testing.TB) string
	}{{models.Postgres, dbtest.PostgresDSN}, {models.SQLite, dbtest.SQLiteDSN}} {
		t.Run(tc.dialect, func(t *testing.T) {
			t.Parallel()
			dsn := tc.dsn(t)
			store := dbtest.Open(t, dsn)
			ctx := t.Context()
			start := time.Now().UTC()
			run := models.SyncRun{RunID: "before-restart", TenantID: "acme", Job: string(tenants.JobRentEngine), StartedAt: start}
			if err := store.StartRun(ctx, &run, nil); err != nil {
				t.Fatal(err)
			}
			run.Status, run.FinishedAt = models.RunPartial, &start
			run.Details = models.JSON(`{"resources":{"units":{},"prospects":{},"leasing_events":{}},` +
				`"unavailable":{"leasing_events":"GET /leasing_events: 404 Not Found"}}`)
			if err := store.FinishRun(ctx, &run); err != nil {
				t.Fatal(err)
			}
			path := configPath(t)
			writeConfig(t, path, configData{DSN: dsn, BaseURL: "http://127.0.0.1:1", Listen: "127.0.0.1:0",
				Tenants: []testTenant{{ID: "acme"}}})
			d := startDaemon(t, daemon.Options{ConfigPath: path, WatchInterval: -1})
			fams := scrape(t, d.Addr().String())
			for res, want := range map[string]float64{"units": 1, "prospects": 1, "leasing_events": 0} {
				got, ok := value(fams, "syncd_resource_available", map[string]string{"tenant": "acme", "api": "rentengine", "resource": res})
				if !ok || got != want {
					t.Errorf("syncd_resource_available{%s} = %g (present %v), want %g", res, got, ok, want)
				}
			}
		})
	}
}

func messages(es []observer.LoggedEntry) []string {
	var out []string
	for _, e := range es {
		out = append(out, fmt.Sprintf("%s:%s", e.LoggerName, e.Message))
	}
	return out
}
