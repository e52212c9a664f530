package push_test

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/syncd-dev/syncd/internal/models"
	syncer "github.com/syncd-dev/syncd/internal/sync"
	"github.com/syncd-dev/syncd/internal/tenants"
	"github.com/syncd-dev/syncd/internal/testing/dbtest"
	"github.com/syncd-dev/syncd/internal/testing/funnelfake"
	"github.com/syncd-dev/syncd/internal/testing/rentenginefake"
)

// pull runs a pull job, accepting a partial outcome.
func (f *pushFixture) pull(t *testing.T, job tenants.Job) *models.SyncRun {
	t.Helper()
	run, err := f.runner.Run(context.Background(), f.tenant, job)
	if err != nil && !errors.As(err, new(*syncer.PartialError)) {
		t.Fatalf("%s pull: %v", job, err)
	}
	return run
}

// pushNow runs both pulls (partial allowed) and the push job, with the fakes' request logs reset
// before the push.
func (f *pushFixture) pushNow(t *testing.T) *models.SyncRun {
	t.Helper()
	f.pull(t, tenants.JobRentEngine)
	f.pull(t, tenants.JobFunnel)
	f.re.ResetRequests()
	f.fu.ResetRequests()
	run, err := f.runner.Run(context.Background(), f.tenant, tenants.JobPush)
	if err != nil {
		t.Fatalf("push: %v", err)
	}
	return run
}

type pushDetails struct {
	Push struct {
		Skipped map[string]int    `json:"skipped"`
		Blocked map[string]string `json:"blocked"`
	} `json:"push"`
}

func detailsOf(t *testing.T, run *models.SyncRun) pushDetails {
	t.Helper()
	var d pushDetails
	must(t, json.Unmarshal(run.Details, &d))
	return d
}

// With RentEngine's leasing events unavailable, assignments (which need the current assignee)
// are skipped with the reason, in the plan and the run's details, and nothing is assigned; scores
// and renewal cards, which do not need events, are pushed. With the tenant's webhooks keeping
// events current, assignments go ahead.
func TestPushSkipsAssignmentsWithoutLeasingEvents(t *testing.T) {
	dbtest.Dialects(t, func(t *testing.T, store *models.Store) {
		f := newPushFixture(t, store, nil)
		f.re.Disable(rentenginefake.EndpointLeasingEvents)

		run := f.pushNow(t)
		const reason = "needs rentengine leasing_events unavailable at the last pull (GET /leasing_events: 404 Not Found)"
		d := detailsOf(t, run)
		if d.Push.Blocked[models.PushAssignment] != reason || d.Push.Skipped[models.PushAssignment+": "+reason] != 3 {
			t.Errorf("push details %s: want assignments blocked (3 targets): %s", run.Details, reason)
		}
		if _, ok := d.Push.Blocked[models.PushCustomerScore]; ok {
			t.Errorf("scores blocked: %s", run.Details)
		}
		if n := len(f.assignRequests()); n != 0 {
			t.Errorf("%d assignments sent without leasing events", n)
		}
		if len(f.scoreRequests()) == 0 || len(f.renewalRequests()) == 0 {
			t.Errorf("scores (%d) and renewal cards (%d) should still be pushed", len(f.scoreRequests()), len(f.renewalRequests()))
		}
		plan, err := f.runner.Plan(context.Background(), f.tenant)
		must(t, err)
		if plan.Blocked[models.PushAssignment] != reason || plan.ByKind()[models.PushAssignment] != 0 {
			t.Errorf("plan blocked %v, changes %v", plan.Blocked, plan.ByKind())
		}

		// Webhooks keep leasing events current: assignments are planned and sent again.
		f.tenant.RentEngine.Webhook = &tenants.RentEngineWebhook{Header: "X-API-Key", APIKey: tenants.NewSecret("hook")}
		run = f.pushNow(t)
		if d := detailsOf(t, run); len(d.Push.Blocked) != 0 {
			t.Errorf("blocked with webhooks on: %s", run.Details)
		}
		if n := len(f.assignRequests()); n != 3 {
			t.Errorf("%d assignments sent with webhooks keeping events current, want 3", n)
		}
	})
}

// A person whose status is derived from leasing events (the prospect record has none) is not
// scored from events a pull could no longer list; the others are.
func TestPushSkipsDerivedScoresWithoutLeasingEvents(t *testing.T) {
	dbtest.Dialects(t, func(t *testing.T, store *models.Store) {
		f := newPushFixture(t, store, nil)
		// Zed has no Funnel client: he is scored blind, which only targets: all does.
		f.tenant.Push.CustomerScores = &tenants.CustomerScores{Targets: tenants.ScoreTargetsAll}
		zed := f.re.Insert(rentenginefake.Prospects, map[string]any{"name": "Zed Roe", "email": "zed@example.com"})
		f.re.Insert(rentenginefake.LeasingEvents, map[string]any{"prospect": zed, "event_type": "Application Received",
			"created_at": "2026-11-01T10:00:00.000000Z", "context": map[string]any{}})
		f.pushNow(t)

		f.re.Disable(rentenginefake.EndpointLeasingEvents)
		f.pull(t, tenants.JobRentEngine)
		plan, err := f.runner.Plan(context.Background(), f.tenant)
		must(t, err)
		const reason = "status derived from leasing events: rentengine leasing_events unavailable at the last pull (GET /leasing_events: 404 Not Found)"
		if plan.Skipped[reason] != 1 {
			t.Errorf("plan skipped %v, want Zed skipped: %s", plan.Skipped, reason)
		}
		if _, ok := plan.Blocked[models.PushCustomerScore]; ok {
			t.Errorf("every score blocked: %v", plan.Blocked)
		}
	})
}

// Renewal cards need Funnel's renewals; customer scores need RentEngine's prospects.
func TestPushSkipsKindsWithoutTheirLists(t *testing.T) {
	dbtest.Dialects(t, func(t *testing.T, store *models.Store) {
		f := newPushFixture(t, store, nil)
		f.fu.Disable(funnelfake.ListEndpoint(funnelfake.Renewals))
		f.re.Disable(rentenginefake.EndpointProspects)
		run := f.pushNow(t)
		d := detailsOf(t, run)
		if r := d.Push.Blocked[models.PushRenewalStatus]; !strings.Contains(r, "funnel renewals unavailable") {
			t.Errorf("renewal cards not blocked: %s", run.Details)
		}
		for _, kind := range []string{models.PushCustomerScore, models.PushAssignment} {
			if r := d.Push.Blocked[kind]; !strings.Contains(r, "rentengine prospects unavailable") {
				t.Errorf("%s not blocked by prospects: %s", kind, run.Details)
			}
		}
		if n := len(f.scoreRequests()) + len(f.assignRequests()) + len(f.renewalRequests()); n != 0 {
			t.Errorf("%d pushes sent", n)
		}

		// Both back: everything is pushed.
		f.fu.Enable(funnelfake.ListEndpoint(funnelfake.Renewals))
		f.re.Enable(rentenginefake.EndpointProspects)
		run = f.pushNow(t)
		if d := detailsOf(t, run); len(d.Push.Blocked) != 0 {
			t.Errorf("still blocked: %s", run.Details)
		}
		if len(f.scoreRequests()) == 0 || len(f.assignRequests()) == 0 || len(f.renewalRequests()) == 0 {
			t.Errorf("pushes after the lists came back: %d scores, %d assignments, %d cards",
				len(f.scoreRequests()), len(f.assignRequests()), len(f.renewalRequests()))
		}
	})
}
