package push_test

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"go.uber.org/zap"
	"go.uber.org/zap/zaptest"

	"github.com/syncd-dev/syncd/internal/models"
	syncer "github.com/syncd-dev/syncd/internal/sync"
	"github.com/syncd-dev/syncd/internal/tenants"
	"github.com/syncd-dev/syncd/internal/testing/dbtest"
	"github.com/syncd-dev/syncd/internal/testing/fakeapi"
)

// writeCall is one kind of push as the fakes see it.
type writeCall struct {
	kind string
	// faults is the injector of the fake the call goes to.
	faults func(*pushFixture) *fakeapi.FaultInjector
	match  func(*http.Request) bool
	// requests lists the calls of this kind the fake received since its requests were reset.
	requests func(*pushFixture) []map[string]any
	// targets is how many ledger targets the fixture has of this kind (all sent on a first push).
	targets int
}

func writeCalls() []writeCall {
	is := func(method, suffix string) func(*http.Request) bool {
		return func(r *http.Request) bool { return r.Method == method && strings.HasSuffix(r.URL.Path, suffix) }
	}
	funnel := func(f *pushFixture) *fakeapi.FaultInjector { return f.fu.Faults() }
	rentengine := func(f *pushFixture) *fakeapi.FaultInjector { return f.re.Faults() }
	return []writeCall{
		// Alice, Bob and Carol: the persons linked to a Funnel client (Dan has none, so with the
		// default targets: linked he is never sent).
		{models.PushCustomerScore, funnel, is(http.MethodPost, "/customer-score/"), (*pushFixture).scoreRequests, 3},
		{models.PushRenewalStatus, funnel, is(http.MethodPut, "/renewal-status/"), (*pushFixture).renewalRequests, 2},
		{models.PushAssignment, rentengine, is(http.MethodPost, "/leasing_events"), (*pushFixture).assignRequests, 3},
	}
}

func ledgerRows(t *testing.T, store *models.Store, tenant, kind string) []models.PushLedger {
	t.Helper()
	var rows []models.PushLedger
	if err := dbtest.DB(store).Where("tenant_id = ? AND kind = ?", tenant, kind).Order("target_key").Find(&rows).Error; err != nil {
		t.Fatal(err)
	}
	return rows
}

// TestPushAnsweredWithHTMLIsFailed: a write answered 200 with an HTML page — a maintenance page
// in front of an upstream that never saw the call — used to be recorded as pushed, so it was
// never sent again. It is now failed, with the status, content type and an excerpt of the page as
// the reason, counted as unverified; a later run against a healthy upstream pushes it exactly
// once.
func TestPushAnsweredWithHTMLIsFailed(t *testing.T) {
	for _, call := range writeCalls() {
		t.Run(call.kind, func(t *testing.T) {
			dbtest.Dialects(t, func(t *testing.T, store *models.Store) {
				f := newPushFixture(t, store, nil)
				pushes := &pushCounter{}
				f.runner = syncer.NewRunner(syncer.Config{Store: store, Retry: fastRetry, Pushes: pushes},
					zaptest.NewLogger(t, zaptest.Level(zap.ErrorLevel)))
				call.faults(f).Script(call.match, fakeapi.FaultOKHTML, -1)

				run, err := f.syncAll(t)
				if err == nil || run.Status != models.RunFailed {
					t.Fatalf("run %s, err %v: want a failed run", run.Status, err)
				}
				if n := len(call.requests(f)); n != call.targets {
					t.Fatalf("%d %s calls, want %d", n, call.kind, call.targets)
				}
				if !strings.Contains(string(run.Details), `"unverified":{"`+call.kind+`":`) {
					t.Errorf("run details do not count the unverified pushes: %s", run.Details)
				}
				if pushes.outcomes[models.PushUnverified] != call.targets {
					t.Errorf("outcomes observed %v, want unverified=%d", pushes.outcomes, call.targets)
				}
				if pushes.reasons["unverified"] != call.targets || len(pushes.reasons) != 1 {
					t.Errorf("failure reasons observed %v, want unverified=%d", pushes.reasons, call.targets)
				}
				rows := ledgerRows(t, store, f.tenant.ID, call.kind)
				if len(rows) != call.targets {
					t.Fatalf("%d ledger rows, want %d", len(rows), call.targets)
				}
				for _, row := range rows {
					if row.State != models.PushFailed || row.PushedHash != nil || row.LastStatus == nil || *row.LastStatus != 200 ||
						row.LastError == nil {
						t.Fatalf("ledger %s: state %s, pushed %v, status %v, error %v; want failed with status 200 and a reason",
							row.TargetKey, row.State, row.PushedHash, row.LastStatus, row.LastError)
					}
					for _, want := range []string{"unverified 200 answer", `content type "text/html; charset=utf-8"`, "Scheduled maintenance"} {
						if !strings.Contains(*row.LastError, want) {
							t.Errorf("ledger %s: last_error %q does not say %q", row.TargetKey, *row.LastError, want)
						}
					}
				}
				var atts []models.PushAttempt
				if err := dbtest.DB(store).Where("tenant_id = ? AND kind = ?", f.tenant.ID, call.kind).Find(&atts).Error; err != nil {
					t.Fatal(err)
				}
				for _, a := range atts {
					var resp struct {
						ContentType string `json:"content_type"`
						Body        string `json:"body"`
					}
					_ = json.Unmarshal(a.Response, &resp)
					if a.Outcome != models.PushUnverified || a.StatusCode == nil || *a.StatusCode != 200 || a.Error == nil ||
						resp.ContentType != "text/html; charset=utf-8" || !strings.Contains(resp.Body, "<html>") {
						t.Errorf("attempt %s: outcome %s, response %s; want unverified 200 with an error and the page",
							a.TargetKey, a.Outcome, a.Response)
					}
				}

				if call.kind == models.PushAssignment {
					// The POST creates an event: one whose answer proved nothing waits for a
					// RentEngine pull instead of being posted again blindly.
					f.re.ResetRequests()
					_, _ = f.runner.Run(context.Background(), f.tenant, tenants.JobPush)
					if n := len(f.assignRequests()); n != 0 {
						t.Errorf("%d assignments re-posted before any pull", n)
					}
				}

				// The upstream is healthy again: every target of the kind is sent once, and lands.
				call.faults(f).ClearScripts()
				if _, err := f.syncAll(t); err != nil {
					t.Fatalf("healthy run: %v", err)
				}
				seen := map[string]int{}
				for _, r := range call.requests(f) {
					seen[canon(r)]++
				}
				if len(seen) != call.targets {
					t.Errorf("healthy run sent %v, want each of %d targets once", seen, call.targets)
				}
				for r, n := range seen {
					if n != 1 {
						t.Errorf("sent %d times: %s", n, r)
					}
				}
				for _, row := range ledgerRows(t, store, f.tenant.ID, call.kind) {
					if row.State != models.PushPushed {
						t.Errorf("ledger %s: state %s after the healthy run (error %v)", row.TargetKey, row.State, row.LastError)
					}
				}
				if _, err := f.syncAll(t); err != nil {
					t.Fatalf("run after recovery: %v", err)
				}
				assertAppliedOnce(t, f)
			})
		})
	}
}

// TestPushAnsweredWithHTMLAfterItLanded: the upstream applied the write but a proxy replaced its
// answer with an HTML page. The push is failed all the same (nothing proved it), and the retry
// rules keep the outcome right: a score or card is sent again with the same value, and an
// assignment, which creates an event, is never sent twice: the next RentEngine pull shows it and
// confirms it.
func TestPushAnsweredWithHTMLAfterItLanded(t *testing.T) {
	for _, call := range writeCalls() {
		t.Run(call.kind, func(t *testing.T) {
			dbtest.Dialects(t, func(t *testing.T, store *models.Store) {
				f := newPushFixture(t, store, nil)
				call.faults(f).Script(call.match, fakeapi.FaultOKHTMLApplied, -1)
				if _, err := f.syncAll(t); err == nil {
					t.Fatal("the push with unverified answers succeeded")
				}
				for _, row := range ledgerRows(t, store, f.tenant.ID, call.kind) {
					if row.State == models.PushPushed {
						t.Errorf("ledger %s: pushed on an HTML answer", row.TargetKey)
					}
				}
				call.faults(f).ClearScripts()
				if _, err := f.syncAll(t); err != nil {
					t.Fatalf("healthy run: %v", err)
				}
				if n := len(f.assignRequests()); call.kind == models.PushAssignment && n != 0 {
					t.Errorf("%d assignments posted again although the pull shows them", n)
				}
				if _, err := f.syncAll(t); err != nil {
					t.Fatalf("run after recovery: %v", err)
				}
				assertAppliedOnce(t, f)
				for _, row := range ledgerRows(t, store, f.tenant.ID, call.kind) {
					if row.State != models.PushPushed {
						t.Errorf("ledger %s: state %s at the end", row.TargetKey, row.State)
					}
				}
			})
		})
	}
}
