package push_test

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"

	"go.uber.org/zap"
	"go.uber.org/zap/zaptest"

	"github.com/syncd-dev/syncd/internal/clients/upstream"
	"github.com/syncd-dev/syncd/internal/models"
	syncer "github.com/syncd-dev/syncd/internal/sync"
	"github.com/syncd-dev/syncd/internal/tenants"
	"github.com/syncd-dev/syncd/internal/testing/dbtest"
)

// pushCounter records push outcomes and failure reasons as the metrics package would.
type pushCounter struct {
	mu       sync.Mutex
	outcomes map[string]int
	reasons  map[string]int
}

func (p *pushCounter) PushFailed(_, _, reason string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.reasons == nil {
		p.reasons = map[string]int{}
	}
	p.reasons[reason]++
}

var _ syncer.PushFailureObserver = (*pushCounter)(nil)

func (p *pushCounter) Push(_, _, outcome string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.outcomes == nil {
		p.outcomes = map[string]int{}
	}
	p.outcomes[outcome]++
}

// assertCredentialsRejected checks what a run stopped by a rejected credential leaves: a failed
// run whose recorded error and returned error both lead with "credentials rejected". (The pull's
// tests in internal/sync assert the same of a stopped pull.)
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

// TestPushStopsWhenCredentialsAreRejected: after a 401 the push used to call on for every
// planned change (570 failing calls in a minute). It now stops at the first: one call, recorded as
// failed, and every other change left unsent with no ledger row written for it.
func TestPushStopsWhenCredentialsAreRejected(t *testing.T) {
	dbtest.Dialects(t, func(t *testing.T, store *models.Store) {
		f := newPushFixture(t, store, nil)
		pushes := &pushCounter{}
		f.runner = syncer.NewRunner(syncer.Config{Store: store, Retry: fastRetry, Pushes: pushes},
			zaptest.NewLogger(t, zaptest.Level(zap.ErrorLevel)))
		for _, job := range []tenants.Job{tenants.JobRentEngine, tenants.JobFunnel} {
			if _, err := f.runner.Run(context.Background(), f.tenant, job); err != nil {
				t.Fatalf("%s pull: %v", job, err)
			}
		}
		plan, err := f.runner.Plan(context.Background(), f.tenant)
		if err != nil {
			t.Fatal(err)
		}
		if len(plan.Changes) < 5 {
			t.Fatalf("the fixture plans %d changes; the test needs several", len(plan.Changes))
		}
		// Both credentials revoked, whichever upstream the first change goes to.
		f.tenant.RentEngine.Token = tenants.NewSecret("re-revoked")
		f.tenant.Funnel.APIKey = tenants.NewSecret("fu-revoked")
		f.re.ResetRequests()
		f.fu.ResetRequests()

		run, err := f.runner.Run(context.Background(), f.tenant, tenants.JobPush)
		assertCredentialsRejected(t, run, err)
		var calls []string
		for _, r := range append(f.re.Requests(), f.fu.Requests()...) {
			calls = append(calls, r.Method+" "+r.Path)
			if r.Status != 401 {
				t.Errorf("%s %s answered %d, want 401", r.Method, r.Path, r.Status)
			}
		}
		if len(calls) != 1 {
			t.Errorf("%d calls after the credential was rejected, want exactly 1: %v", len(calls), calls)
		}
		var ledger []models.PushLedger
		if err := dbtest.DB(store).Where("tenant_id = ?", f.tenant.ID).Find(&ledger).Error; err != nil {
			t.Fatal(err)
		}
		if len(ledger) != 1 || ledger[0].State != models.PushFailed {
			t.Errorf("ledger = %+v, want one failed row and the other %d changes untouched", ledger, len(plan.Changes)-1)
		}
		if pushes.outcomes[models.PushFailed] != 1 || len(pushes.outcomes) != 1 {
			t.Errorf("push outcomes observed %v, want failed=1 only", pushes.outcomes)
		}
		if pushes.reasons["auth"] != 1 || len(pushes.reasons) != 1 {
			t.Errorf("push failure reasons observed %v, want auth=1 only", pushes.reasons)
		}
	})
}
