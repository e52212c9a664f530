package faultsuite_test

import (
	"context"
	"database/sql"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"go.uber.org/zap"
	"go.uber.org/zap/zaptest"

	"github.com/syncd-dev/syncd/internal/models"
	syncer "github.com/syncd-dev/syncd/internal/sync"
	"github.com/syncd-dev/syncd/internal/tenants"
	"github.com/syncd-dev/syncd/internal/testing/dbtest"
	"github.com/syncd-dev/syncd/internal/testing/fakeapi"
	"github.com/syncd-dev/syncd/internal/testing/rentenginefake"
)

// databaseOutage takes the database of dsn down for this process as a Postgres restart or a
// failover would (new connections refused, open ones cut) and returns the function that brings it
// back.
func databaseOutage(t *testing.T, dsn string) (restore func()) {
	t.Helper()
	u, err := url.Parse(dsn)
	must(t, err)
	name := strings.TrimPrefix(u.Path, "/")
	admin, err := sql.Open("pgx", dbtest.AdminURL())
	must(t, err)
	exec := func(q string) {
		if _, err := admin.Exec(q); err != nil {
			t.Errorf("%s: %v", q, err)
		}
	}
	exec("ALTER DATABASE " + name + " ALLOW_CONNECTIONS false")
	terminateBackends(t, dsn)
	var once sync.Once
	restore = func() {
		once.Do(func() {
			exec("ALTER DATABASE " + name + " ALLOW_CONNECTIONS true")
			admin.Close()
		})
	}
	t.Cleanup(restore)
	return restore
}

// TestOutcomeSurvivesDatabaseOutage: Postgres goes away during the last page of a run, so the run
// fails and the database refuses its outcome too. The outcome is retried while the process lives
// and recorded once the database is back; the run is never relabelled abandoned, and the next
// run succeeds.
func TestOutcomeSurvivesDatabaseOutage(t *testing.T) {
	dsn := dbtest.PostgresDSN(t)
	store := dbtest.Open(t, dsn)
	fake := rentenginefake.New(rentenginefake.Options{Token: "tok"})
	defer fake.Close()
	rentenginefake.Seed(fake, rentenginefake.SeedOptions{Seed: 5, Units: 60, Prospects: 50, EventsPerProspect: 1})
	te := &tenants.Tenant{ID: "outage", RunTimeout: time.Minute,
		RentEngine: &tenants.RentEngine{BaseURL: fake.BaseURL(), Token: tenants.NewSecret("tok")}}
	runner := syncer.NewRunner(syncer.Config{Store: store, Retry: suiteRetry,
		OutcomeRetry: syncer.OutcomeRetry{Base: 20 * time.Millisecond, Cap: 200 * time.Millisecond}},
		zaptest.NewLogger(t, zaptest.Level(zap.ErrorLevel)))
	ctx := context.Background()
	if _, err := runner.Run(ctx, te, tenants.JobRentEngine); err != nil {
		t.Fatalf("first sync: %v", err)
	}

	var (
		mu      sync.Mutex
		restore func()
	)
	fake.Faults().Script(func(r *http.Request) bool {
		mu.Lock()
		defer mu.Unlock()
		if strings.HasSuffix(r.URL.Path, "/leasing_events") && restore == nil {
			restore = databaseOutage(t, dsn)
		}
		return false
	}, fakeapi.FaultServerError, -1)
	run, err := runner.Run(ctx, te, tenants.JobRentEngine)
	mu.Lock()
	restoreDB := restore
	mu.Unlock()
	if restoreDB == nil || err == nil || run == nil {
		t.Fatalf("the outage did not fail the run (outage %v, err %v)", restoreDB != nil, err)
	}
	if n := runner.Pending(); n != 1 {
		t.Fatalf("%d outcomes pending during the outage, want 1", n)
	}
	restoreDB()

	deadline := time.Now().Add(20 * time.Second)
	for runner.Pending() > 0 {
		if time.Now().After(deadline) {
			t.Fatal("the outcome was not recorded within 20s of the database coming back")
		}
		time.Sleep(20 * time.Millisecond)
	}
	var stored models.SyncRun
	must(t, dbtest.DB(store).Where("run_id = ?", run.RunID).First(&stored).Error)
	if stored.Status != models.RunFailed || stored.FinishedAt == nil || stored.Error == nil || *stored.Error != *run.Error {
		t.Errorf("stored outcome: status %s finished %v error %v; want the run's own (failed: %s)",
			stored.Status, stored.FinishedAt, stored.Error, *run.Error)
	}

	if _, err := runner.Run(ctx, te, tenants.JobRentEngine); err != nil {
		t.Fatalf("the run after the outage: %v", err)
	}
	var statuses []string
	must(t, dbtest.DB(store).Table("sync_runs").Where("tenant_id = ?", "outage").Order("id").Pluck("status", &statuses).Error)
	if fmt.Sprint(statuses) != "[succeeded failed succeeded]" {
		t.Errorf("run statuses = %v, want [succeeded failed succeeded]", statuses)
	}
}
