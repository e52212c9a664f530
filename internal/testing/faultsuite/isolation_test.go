package faultsuite_test

import (
	"net/http"
	"sync"
	"testing"
	"time"

	"go.uber.org/zap"
	"go.uber.org/zap/zaptest"

	"github.com/syncd-dev/syncd/internal/models"
	"github.com/syncd-dev/syncd/internal/scheduler"
	syncer "github.com/syncd-dev/syncd/internal/sync"
	"github.com/syncd-dev/syncd/internal/tenants"
	"github.com/syncd-dev/syncd/internal/testing/dbtest"
	"github.com/syncd-dev/syncd/internal/testing/fakeapi"
	"github.com/syncd-dev/syncd/internal/testing/rentenginefake"
)

// delays records each run's start delay per tenant.
type delays struct {
	mu      sync.Mutex
	starts  map[string][]time.Duration
	skipped map[string]int
}

func (d *delays) StartDelay(tenant, _ string, v time.Duration) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.starts[tenant] = append(d.starts[tenant], v)
}

func (d *delays) Skipped(tenant, _, _ string) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.skipped[tenant]++
}

// TestOneTenantsFailureNeverStallsAnother schedules four tenants every second: one whose upstream
// answers in 30 seconds, one whose upstream rejects its token, and two healthy ones. The healthy
// tenants' runs must start on time (less than a second late) and succeed while the others hang or
// fail.
func TestOneTenantsFailureNeverStallsAnother(t *testing.T) {
	store := dbtest.Postgres(t)
	mk := func(id, token string, slow bool) tenants.Tenant {
		fake := rentenginefake.New(rentenginefake.Options{Token: "tok", Faults: &fakeapi.FaultPlan{SlowDelay: 30 * time.Second}})
		t.Cleanup(fake.Close)
		rentenginefake.Seed(fake, rentenginefake.SeedOptions{Seed: 3, Units: 30, Prospects: 30, EventsPerProspect: 1})
		if slow {
			fake.Faults().Script(func(*http.Request) bool { return true }, fakeapi.FaultSlow, -1)
		}
		return tenants.Tenant{ID: id, RunTimeout: time.Minute, MaxJitter: -1,
			RentEngine: &tenants.RentEngine{BaseURL: fake.BaseURL(), Token: tenants.NewSecret(token)},
			Schedules:  tenants.Schedules{RentEngine: "@every 1s"}}
	}
	cfg := &tenants.Config{Tenants: []tenants.Tenant{
		mk("slow", "tok", true), mk("rejected", "wrong-token", false),
		mk("healthy-a", "tok", false), mk("healthy-b", "tok", false),
	}}
	// The default attempt timeout is 30s: the slow tenant's run really hangs for the whole test.
	runner := syncer.NewRunner(syncer.Config{Store: store, Retry: suiteRetry}, zaptest.NewLogger(t, zaptest.Level(zap.ErrorLevel)))
	obs := &delays{starts: map[string][]time.Duration{}, skipped: map[string]int{}}
	sched := scheduler.New(scheduler.Config{MaxConcurrent: 16, ShutdownTimeout: 10 * time.Second, Observer: obs}, runner, zap.NewNop())
	if err := sched.Apply(cfg); err != nil {
		t.Fatal(err)
	}
	sched.Start()
	time.Sleep(4500 * time.Millisecond) // four or five ticks
	if err := sched.Stop(); err != nil {
		t.Fatalf("stop: %v", err)
	}

	obs.mu.Lock()
	defer obs.mu.Unlock()
	for _, id := range []string{"healthy-a", "healthy-b"} {
		if len(obs.starts[id]) < 3 {
			t.Errorf("%s started %d runs in 4.5s of @every 1s", id, len(obs.starts[id]))
		}
		for _, d := range obs.starts[id] {
			if d > time.Second {
				t.Errorf("%s started %s late", id, d)
			}
		}
		var runs []models.SyncRun
		if err := dbtest.DB(store).Where("tenant_id = ?", id).Find(&runs).Error; err != nil {
			t.Fatal(err)
		}
		for _, r := range runs {
			if r.Status != models.RunSucceeded {
				t.Errorf("%s run %s: %s %v", id, r.RunID, r.Status, r.Error)
			}
		}
	}
	if obs.skipped["slow"] == 0 {
		t.Error("the slow tenant's hanging run should make its later ticks skip")
	}
	var failed int64
	if err := dbtest.DB(store).Model(&models.SyncRun{}).Where("tenant_id = ? AND status = ?", "rejected", models.RunFailed).Count(&failed).Error; err != nil {
		t.Fatal(err)
	}
	if failed == 0 {
		t.Error("the rejected tenant's runs should have failed")
	}
}
