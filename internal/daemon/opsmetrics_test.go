package daemon_test

import (
	"testing"
	"time"

	"github.com/syncd-dev/syncd/internal/daemon"
	"github.com/syncd-dev/syncd/internal/models"
	"github.com/syncd-dev/syncd/internal/tenants"
	"github.com/syncd-dev/syncd/internal/testing/dbtest"
)

// The gauges the alert rules need: syncd_job_interval_seconds from each scheduled job's
// schedule, syncd_job_consecutive_failures and syncd_credentials_rejected from sync_runs (seeded
// before any run of this process), syncd_ready as /readyz answers. A reload that drops a tenant
// removes its interval and failure-streak series.
func TestOperatorGauges(t *testing.T) {
	for _, tc := range []struct {
		dialect string
		dsn     func(testing.TB) string
	}{{models.Postgres, dbtest.PostgresDSN}, {models.SQLite, dbtest.SQLiteDSN}} {
		t.Run(tc.dialect, func(t *testing.T) {
			t.Parallel()
			dsn := tc.dsn(t)
			store := dbtest.Open(t, dsn)
			ctx := t.Context()
			start := time.Now().UTC().Add(-time.Hour)
			rejected := "credentials rejected: GET /units: 401 Unauthorized"
			for i, st := range []string{models.RunSucceeded, models.RunFailed, models.RunFailed, models.RunFailed} {
				start = start.Add(time.Minute)
				run := models.SyncRun{RunID: "seed-" + st + string(rune('a'+i)), TenantID: "acme", Job: string(tenants.JobRentEngine), StartedAt: start}
				if err := store.StartRun(ctx, &run, nil); err != nil {
					t.Fatal(err)
				}
				run.Status, run.FinishedAt = st, &start
				if st == models.RunFailed {
					run.Error = &rejected
				}
				if err := store.FinishRun(ctx, &run); err != nil {
					t.Fatal(err)
				}
			}
			path := configPath(t)
			writeConfig(t, path, configData{DSN: dsn, BaseURL: "http://127.0.0.1:1", Listen: "127.0.0.1:0",
				Tenants: []testTenant{{ID: "acme", Schedule: "@every 15m"}, {ID: "beta", Schedule: "0 */2 * * *"}}})
			reload := make(chan struct{}, 1)
			d := startDaemon(t, daemon.Options{ConfigPath: path, WatchInterval: -1, Reload: reload})

			fams := scrape(t, d.Addr().String())
			acme := map[string]string{"tenant": "acme", "job": "rentengine"}
			beta := map[string]string{"tenant": "beta", "job": "rentengine"}
			for _, w := range []struct {
				name   string
				labels map[string]string
				want   float64
			}{
				{"syncd_job_interval_seconds", acme, 900},
				{"syncd_job_interval_seconds", beta, 7200},
				{"syncd_job_consecutive_failures", acme, 3},
				{"syncd_job_consecutive_failures", beta, 0},
				{"syncd_credentials_rejected", acme, 1},
				{"syncd_ready", nil, 1},
			} {
				if got, ok := value(fams, w.name, w.labels); !ok || got != w.want {
					t.Errorf("%s%v = %g (present %v), want %g", w.name, w.labels, got, ok, w.want)
				}
			}

			writeConfig(t, path, configData{DSN: dsn, BaseURL: "http://127.0.0.1:1", Listen: "127.0.0.1:0",
				Tenants: []testTenant{{ID: "acme", Schedule: "@every 5m"}}})
			reload <- struct{}{}
			waitFor(t, 10*time.Second, "the reload to drop beta's interval", func() bool {
				_, ok := value(scrape(t, d.Addr().String()), "syncd_job_interval_seconds", beta)
				return !ok
			})
			fams = scrape(t, d.Addr().String())
			if got, _ := value(fams, "syncd_job_interval_seconds", acme); got != 300 {
				t.Errorf("after reload syncd_job_interval_seconds%v = %g, want 300", acme, got)
			}
			if _, ok := value(fams, "syncd_job_consecutive_failures", beta); ok {
				t.Errorf("syncd_job_consecutive_failures%v still exported for a removed tenant", beta)
			}
		})
	}
}

// A run whose token the upstream refuses sets syncd_credentials_rejected: the metric reads the
// runner's own record of such a run.
func TestCredentialsRejectedGauge(t *testing.T) {
	up := newUpstream(t, 0)
	dsn := dbtest.SQLiteDSN(t)
	path := configPath(t)
	writeConfig(t, path, configData{DSN: dsn, BaseURL: up.baseURL, Listen: "127.0.0.1:0",
		Tenants: []testTenant{{ID: "acme", Schedule: "@every 1s", TokenEnv: "RE_BAD_TOKEN"}}})
	d := startDaemon(t, daemon.Options{ConfigPath: path, WatchInterval: -1})
	store := dbtest.Open(t, dsn)
	waitFor(t, 10*time.Second, "the first run", func() bool { return len(runs(t, store, "acme")) > 0 })
	if err := d.Scheduler().Apply(&tenants.Config{}); err != nil {
		t.Fatal(err)
	}
	waitFor(t, 10*time.Second, "the run to finish", func() bool { return runs(t, store, "acme")[0].Status != models.RunRunning })
	if st := runs(t, store, "acme")[0].Status; st != models.RunFailed {
		t.Fatalf("run %s, want failed", st)
	}
	got, ok := value(scrape(t, d.Addr().String()), "syncd_credentials_rejected", map[string]string{"tenant": "acme", "job": "rentengine"})
	if !ok || got != 1 {
		t.Errorf("syncd_credentials_rejected = %g (present %v), want 1", got, ok)
	}
}
