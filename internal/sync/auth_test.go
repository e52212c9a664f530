package sync_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"go.uber.org/zap"
	"go.uber.org/zap/zaptest"

	"github.com/syncd-dev/syncd/internal/clients/upstream"
	"github.com/syncd-dev/syncd/internal/models"
	syncer "github.com/syncd-dev/syncd/internal/sync"
	"github.com/syncd-dev/syncd/internal/tenants"
	"github.com/syncd-dev/syncd/internal/testing/dbtest"
	"github.com/syncd-dev/syncd/internal/testing/funnelfake"
	"github.com/syncd-dev/syncd/internal/testing/rentenginefake"
)

// assertCredentialsRejected checks what a run stopped by a rejected credential leaves: a failed
// run whose recorded error and returned error both lead with "credentials rejected".
func assertCredentialsRejected(t *testing.T, run *models.SyncRun, err error) {
	t.Helper()
	if !errors.Is(err, upstream.ErrCredentialsRejected) {
		t.Fatalf("err = %v, want ErrCredentialsRejected", err)
	}
	if run == nil || run.Status != models.RunFailed || run.Error == nil {
		t.Fatalf("run = %+v, want a failed run with an error", run)
	}
	if !strings.HasPrefix(*run.Error, "credentials rejected: ") {
		t.Errorf("sync_runs.error = %q, want it to start with \"credentials rejected\"", *run.Error)
	}
}

// TestPullStopsWhenCredentialsAreRejected: every resource of a job uses the same credential, so
// the first 401 ends the run instead of being repeated for each resource and community.
func TestPullStopsWhenCredentialsAreRejected(t *testing.T) {
	store := dbtest.SQLite(t)
	runner := syncer.NewRunner(syncer.Config{Store: store, Retry: fastRetry}, zaptest.NewLogger(t, zaptest.Level(zap.ErrorLevel)))

	t.Run("rentengine", func(t *testing.T) {
		fake := rentenginefake.New(rentenginefake.Options{Token: "tok"})
		t.Cleanup(fake.Close)
		rentenginefake.Seed(fake, rentenginefake.SeedOptions{Seed: 1, Units: 5, Prospects: 5, EventsPerProspect: 1})
		run, err := runner.Run(context.Background(), reTenant("re-revoked", fake.BaseURL(), "revoked"), tenants.JobRentEngine)
		assertCredentialsRejected(t, run, err)
		if n := len(fake.Requests()); n != 1 {
			t.Errorf("%d requests, want 1: units refused, prospects and leasing events not asked", n)
		}
	})
	t.Run("funnel", func(t *testing.T) {
		fu := funnelfake.New(funnelfake.Options{APIKey: "key"})
		t.Cleanup(fu.Close)
		funnelfake.Seed(fu, funnelfake.SeedOptions{Seed: 1, Communities: 3, ProspectsPerCommunity: 5})
		var communities []string
		for _, c := range fu.Communities() {
			communities = append(communities, c.Numeric())
		}
		tenant := &tenants.Tenant{ID: "fu-revoked", RunTimeout: time.Minute,
			Funnel: &tenants.Funnel{BaseURL: fu.BaseURL(), APIKey: tenants.NewSecret("revoked"), Auth: tenants.FunnelAuthBasic,
				CompanyID: fu.CompanyID(), Communities: communities}}
		run, err := runner.Run(context.Background(), tenant, tenants.JobFunnel)
		assertCredentialsRejected(t, run, err)
		if n := len(fu.Requests()); n != 1 {
			t.Errorf("%d requests, want 1: the first community refused, the other two not asked", n)
		}
	})
}
