package push_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"go.uber.org/zap"
	"go.uber.org/zap/zaptest"

	"github.com/syncd-dev/syncd/internal/models"
	"github.com/syncd-dev/syncd/internal/push"
	syncer "github.com/syncd-dev/syncd/internal/sync"
	"github.com/syncd-dev/syncd/internal/tenants"
	"github.com/syncd-dev/syncd/internal/testing/dbtest"
	"github.com/syncd-dev/syncd/internal/testing/fakeapi"
	"github.com/syncd-dev/syncd/internal/testing/funnelfake"
	"github.com/syncd-dev/syncd/internal/testing/rentenginefake"
)

const (
	userOne = "11111111-1111-4111-8111-111111111111"
	userTwo = "22222222-2222-4222-8222-222222222222"
)

// pushFixture is a small, hand-made world in which every expected request can be written down:
//
//	RentEngine prospects                      Funnel clients (community 1234)
//	p1 Alice  " Alice@Example.com " (555) 123-4567  ─┐
//	p2 Alice  alice@example.com  +15551234567        ├─ Alice  alice@example.com 5551234567, agent one
//	p3 Bob    bob@example.com    555-222-3333      ─── Bob    BOB@example.com, agent two
//	p4 Carol  carol@example.com                    ─── Carol  carol@example.com, agent unmapped
//	p5 Dan    dan@example.com                          (no Funnel client: never scored, "unlinked")
//	p6 Eve    no contact details                       (never scored)
//
// Renewals: Alice's unit 501 offered at $1,925 until 2026-12-31; Bob's unit 502 signed.
type pushFixture struct {
	store     *models.Store
	re        *rentenginefake.Server
	fu        *funnelfake.Server
	tenant    *tenants.Tenant
	runner    *syncer.Runner
	community int64
	p         [7]int64 // p[1]..p[6]
	alice     int64
	bob       int64
	r1, r2    int64
}

func newPushFixture(t *testing.T, store *models.Store, hooks *push.Hooks) *pushFixture {
	t.Helper()
	f := &pushFixture{store: store}
	f.re = rentenginefake.New(rentenginefake.Options{Token: "re-tok"})
	t.Cleanup(f.re.Close)
	f.fu = funnelfake.New(funnelfake.Options{APIKey: "fu-key"})
	t.Cleanup(f.fu.Close)

	at := time.Date(2026, 11, 1, 12, 0, 0, 0, time.UTC)
	add := func(i int, rec map[string]any, status string) {
		f.p[i] = f.re.Insert(rentenginefake.Prospects, rec)
		if status != "" {
			f.re.AddEvent(f.p[i], status, at.Add(time.Duration(i)*time.Minute))
		}
	}
	add(1, map[string]any{"name": "Alice Park", "email": " Alice@Example.com ", "phone": "(555) 123-4567", "unit_of_interest": 1}, "Showing Scheduled")
	add(2, map[string]any{"name": "Alice Park", "email": "alice@example.com", "phone": "+15551234567", "unit_of_interest": 2}, "Application Received")
	add(3, map[string]any{"name": "Bob Stone", "email": "bob@example.com", "phone": "555-222-3333"}, "New")
	add(4, map[string]any{"name": "Carol Diaz", "email": "carol@example.com"}, "Showing Desired")
	add(5, map[string]any{"name": "Dan Wu", "email": "dan@example.com"}, "Application Approved")
	add(6, map[string]any{"name": "Eve Null"}, "New")

	f.community = f.fu.InsertCommunity(map[string]any{"id": 1234, "name": "Maple Court", "syndication_id": "P1234-567"}, "")
	person := func(first, email string, phone any) map[string]any {
		return map[string]any{"first_name": first, "last_name": "X", "email": email, "phone_1": phone, "is_primary": true}
	}
	f.alice = f.fu.Insert(f.community, funnelfake.Prospects, map[string]any{"status": "Applicant",
		"people": []any{person("Alice", "alice@example.com", "5551234567")}, "agents": []any{"Agent.One@acme.example"}})
	f.bob = f.fu.Insert(f.community, funnelfake.Prospects, map[string]any{"status": "Prospect",
		"people": []any{person("Bob", "BOB@example.com", nil2())}, "agents": []any{"agent.two@acme.example"}})
	f.fu.Insert(f.community, funnelfake.Prospects, map[string]any{"status": "Prospect",
		"people": []any{person("Carol", "carol@example.com", nil2())}, "agents": []any{"agent.unmapped@acme.example"}})
	f.r1 = f.fu.Insert(f.community, funnelfake.Renewals, map[string]any{"funnel_renter_id": f.alice, "funnel_unit_id": 501,
		"unit_number": "4B", "lease_start": "2025-12-01", "lease_end": "2026-11-30", "status": "offered",
		"offer_rent": "1925.00", "offer_expires_at": "2026-12-31T00:00:00"})
	f.r2 = f.fu.Insert(f.community, funnelfake.Renewals, map[string]any{"funnel_renter_id": f.bob, "funnel_unit_id": 502,
		"unit_number": "7C", "lease_start": "2025-06-01", "lease_end": "2026-05-31", "status": "signed", "offer_rent": 1500})

	f.tenant = &tenants.Tenant{
		ID: "pushco", RunTimeout: time.Minute,
		RentEngine: &tenants.RentEngine{BaseURL: f.re.BaseURL(), Token: tenants.NewSecret("re-tok")},
		Funnel: &tenants.Funnel{BaseURL: f.fu.BaseURL(), APIKey: tenants.NewSecret("fu-key"), Auth: "basic",
			CompanyID: f.fu.CompanyID(), Communities: []string{"1234"}},
		Push:   &tenants.Push{},
		Agents: map[string]string{"agent.one@acme.example": userOne, "AGENT.TWO@acme.example": userTwo},
	}
	f.runner = syncer.NewRunner(syncer.Config{Store: store, Retry: fastRetry, Test: syncer.TestConfig{PushHooks: hooks}},
		zaptest.NewLogger(t, zaptest.Level(zap.ErrorLevel)))
	return f
}

func nil2() any { return nil }

// syncAll runs what `syncd sync` runs: both pulls, then the push.
func (f *pushFixture) syncAll(t *testing.T) (*models.SyncRun, error) {
	t.Helper()
	for _, job := range []tenants.Job{tenants.JobRentEngine, tenants.JobFunnel} {
		if _, err := f.runner.Run(context.Background(), f.tenant, job); err != nil {
			t.Fatalf("%s pull: %v", job, err)
		}
	}
	f.re.ResetRequests()
	f.fu.ResetRequests()
	return f.runner.Run(context.Background(), f.tenant, tenants.JobPush)
}

func bodies(reqs []fakeapi.Request, method, suffix string) []map[string]any {
	var out []map[string]any
	for _, r := range reqs {
		if r.Method != method || !strings.HasSuffix(r.Path, suffix) {
			continue
		}
		var m map[string]any
		if err := json.Unmarshal(r.Body, &m); err != nil {
			panic(err)
		}
		m["_path"] = r.Path
		out = append(out, m)
	}
	return out
}

func (f *pushFixture) scoreRequests() []map[string]any {
	return bodies(f.fu.Requests(), http.MethodPost, "/customer-score/")
}

func (f *pushFixture) assignRequests() []map[string]any {
	return bodies(f.re.Requests(), http.MethodPost, "/leasing_events")
}

func (f *pushFixture) renewalRequests() []map[string]any {
	return bodies(f.fu.Requests(), http.MethodPut, "/renewal-status/")
}

func canon(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

func sortedCanon(ms []map[string]any) []string {
	var out []string
	for _, m := range ms {
		out = append(out, canon(m))
	}
	sort.Strings(out)
	return out
}

func TestPushEndToEnd(t *testing.T) {
	dbtest.Dialects(t, func(t *testing.T, store *models.Store) {
		f := newPushFixture(t, store, nil)

		run, err := f.syncAll(t)
		if err != nil {
			t.Fatalf("first push: %v", err)
		}

		// Scores: one per Funnel client, the highest of its linked prospects, identified by the
		// client's own e-mail (each singles its client out); Dan has no Funnel client, so nothing
		// is sent for him.
		var scores []map[string]any
		for _, s := range f.scoreRequests() {
			if _, err := time.Parse("2006-01-02T15:04:05", s["submitted_at"].(string)); err != nil {
				t.Errorf("submitted_at %q is not a naive date-time: %v", s["submitted_at"], err)
			}
			delete(s, "submitted_at")
			scores = append(scores, s)
		}
		path := fmt.Sprintf("%s/company/%d/customer-score/", funnelfake.BasePath, f.fu.CompanyID())
		score := func(v int, email, phone string) map[string]any {
			m := map[string]any{"score_name": tenants.DefaultScoreName, "score_value": float64(v), "maximum_score": float64(100), "_path": path}
			if email != "" {
				m["email"] = email
			}
			if phone != "" {
				m["phone"] = phone
			}
			return m
		}
		want := []map[string]any{
			score(80, "alice@example.com", ""),
			score(10, "bob@example.com", ""),
			score(35, "carol@example.com", ""),
		}
		if got, w := sortedCanon(scores), sortedCanon(want); canon(got) != canon(w) {
			t.Errorf("score requests:\n got  %v\n want %v", got, w)
		}

		// Assignments: every linked prospect whose agent maps; Carol's agent is unmapped.
		assign := func(p int64, user string) map[string]any {
			return map[string]any{"_path": rentenginefake.BasePath + "/leasing_events", "events": []any{map[string]any{
				"prospect_id": float64(p), "event_type": "Assign to User", "source": "Automation",
				"notes":   "Assigned by syncd: Funnel agent",
				"context": map[string]any{"assignedToUserIds": []any{user}, "applyActionInBulk": false}}}}
		}
		wantAssign := []map[string]any{assign(f.p[1], userOne), assign(f.p[2], userOne), assign(f.p[3], userTwo)}
		if got, w := sortedCanon(f.assignRequests()), sortedCanon(wantAssign); canon(got) != canon(w) {
			t.Errorf("assignment requests:\n got  %v\n want %v", got, w)
		}

		// Renewal cards rendered from the default templates.
		card := func(renter, unit int64, m map[string]any) map[string]any {
			m["_path"] = fmt.Sprintf("%s/community/1234/renters/%d/units/%d/renewal-status/", funnelfake.BasePath, renter, unit)
			return m
		}
		wantCards := []map[string]any{
			card(f.alice, 501, map[string]any{"renewal_card_status": true, "renewal_header": "Your renewal offer is ready",
				"renewal_subheader": "Unit 4B", "renewal_body": "Renew at $1,925 a month. The offer is open until December 31, 2026.",
				"renewal_alert_status": true, "renewal_alert_body": "Please answer by December 31, 2026.", "renewal_alert_type": "INFO",
				"renewal_allow_clickthrough": true, "renewal_icon": "RENEWAL"}),
			card(f.bob, 502, map[string]any{"renewal_card_status": true, "renewal_header": "You're renewed!",
				"renewal_subheader": "Unit 7C", "renewal_body": "Thank you for staying with us. Your renewed lease is signed.",
				"renewal_alert_status": false, "renewal_allow_clickthrough": false, "renewal_icon": "RENEWAL"}),
		}
		if got, w := sortedCanon(f.renewalRequests()), sortedCanon(wantCards); canon(got) != canon(w) {
			t.Errorf("renewal requests:\n got  %v\n want %v", got, w)
		}
		if run.Status != models.RunSucceeded {
			t.Errorf("run status %s", run.Status)
		}
		assertLedger(t, store, f.tenant.ID, models.PushCustomerScore, fmt.Sprintf("funnel-client:%d", f.alice), models.PushPushed)
		var details struct {
			Push struct {
				Skips map[string]map[string]int `json:"skips"`
			} `json:"push"`
		}
		must(t, json.Unmarshal(run.Details, &details))
		if got, want := details.Push.Skips[models.PushCustomerScore], (map[string]int{"unlinked": 1, "ambiguous": 0,
			"no_status_score": 0, "client_deleted": 0}); !maps.Equal(got, want) {
			t.Errorf("run details count score skips %v, want %v (Dan unlinked)", got, want)
		}

		// Nothing changed: nothing is sent (the pulled assignments are echoes of our own pushes).
		if _, err := f.syncAll(t); err != nil {
			t.Fatalf("second push: %v", err)
		}
		if n := len(f.scoreRequests()) + len(f.assignRequests()) + len(f.renewalRequests()); n != 0 {
			t.Errorf("an unchanged mirror sent %d requests", n)
		}

		// Three people's statuses change upstream: exactly three score requests.
		at := time.Date(2026, 11, 2, 9, 0, 0, 0, time.UTC)
		f.re.AddEvent(f.p[3], "Showing Scheduled", at)    // Bob 10 → 50
		f.re.AddEvent(f.p[4], "Application Received", at) // Carol 35 → 80
		f.re.AddEvent(f.p[1], "Lease Signed", at)         // Alice 80 → 100 (her highest)
		if _, err := f.syncAll(t); err != nil {
			t.Fatalf("third push: %v", err)
		}
		got := map[string]float64{}
		for _, s := range f.scoreRequests() {
			got[s["email"].(string)] = s["score_value"].(float64)
		}
		if len(f.scoreRequests()) != 3 || got["bob@example.com"] != 50 || got["carol@example.com"] != 80 || got["alice@example.com"] != 100 {
			t.Errorf("score requests after 3 status changes: %v", f.scoreRequests())
		}
		if n := len(f.assignRequests()) + len(f.renewalRequests()); n != 0 {
			t.Errorf("status changes sent %d other requests", n)
		}

		// Plan mode: the changes are listed, nothing is sent.
		f.re.AddEvent(f.p[3], "Application Approved", at.Add(time.Hour))
		for _, job := range []tenants.Job{tenants.JobRentEngine, tenants.JobFunnel} {
			if _, err := f.runner.Run(context.Background(), f.tenant, job); err != nil {
				t.Fatal(err)
			}
		}
		f.fu.ResetRequests()
		f.re.ResetRequests()
		plan, err := f.runner.Plan(context.Background(), f.tenant)
		if err != nil {
			t.Fatal(err)
		}
		if len(plan.Changes) != 1 || plan.Changes[0].Target != fmt.Sprintf("funnel-client:%d", f.bob) || plan.Changes[0].Before != "50" {
			t.Errorf("plan = %+v", plan.Changes)
		}
		if n := len(f.fu.Requests()) + len(f.re.Requests()); n != 0 {
			t.Errorf("planning sent %d requests", n)
		}
		// Dry run: the same, through the scheduled job.
		f.tenant.Push.DryRun = true
		if _, err := f.runner.Run(context.Background(), f.tenant, tenants.JobPush); err != nil {
			t.Fatal(err)
		}
		if n := len(f.fu.Requests()) + len(f.re.Requests()); n != 0 {
			t.Errorf("dry run sent %d requests", n)
		}
		f.tenant.Push.DryRun = false

		// Blast-radius guard: two more changes against a limit of one aborts the run, loudly.
		f.re.AddEvent(f.p[4], "Lease Signed", at.Add(2*time.Hour))
		f.tenant.Push.MaxChanges, f.tenant.Push.MaxChangesCount = "1", 1
		run, err = f.syncAll(t)
		if !errors.Is(err, syncer.ErrBlastRadius) {
			t.Fatalf("err = %v, want the blast-radius guard", err)
		}
		if run.Status != models.RunFailed || !strings.Contains(string(run.Details), `"aborted":true`) {
			t.Errorf("aborted run recorded as %s %s", run.Status, run.Details)
		}
		if n := len(f.fu.Requests()) + len(f.re.Requests()); n != 0 {
			t.Errorf("an aborted run sent %d requests", n)
		}
	})
}

func assertLedger(t *testing.T, store *models.Store, tenant, kind, target, state string) {
	t.Helper()
	var row models.PushLedger
	if err := dbtest.DB(store).Where("tenant_id = ? AND kind = ? AND target_key = ?", tenant, kind, target).First(&row).Error; err != nil {
		t.Fatalf("ledger %s %s: %v", kind, target, err)
	}
	if row.State != state {
		t.Errorf("ledger %s %s: state %s, want %s (error %v)", kind, target, row.State, state, row.LastError)
	}
}

// errCrash stands for the process dying: the run's goroutine stops where it is, and nothing
// after that point is written.
type errCrash struct{}

// TestPushCrashBetweenIntentAndOutcome stops the push after the intent of each kind, once before
// the call (context cancelled) and once after it (the call landed, the outcome was never written),
// then reruns: every push must be applied exactly once upstream.
func TestPushCrashBetweenIntentAndOutcome(t *testing.T) {
	for _, point := range []string{"after intent, before the call", "after the call, before the outcome"} {
		for _, kind := range []string{models.PushCustomerScore, models.PushAssignment, models.PushRenewalStatus} {
			t.Run(point+"/"+kind, func(t *testing.T) {
				store := dbtest.SQLite(t)
				ctx, cancel := context.WithCancel(context.Background())
				defer cancel()
				crashed := false
				hooks := &push.Hooks{}
				if strings.HasPrefix(point, "after intent") {
					hooks.AfterIntent = func(_ context.Context, c push.Change) {
						if c.Kind == kind && !crashed {
							crashed = true
							cancel()
						}
					}
				} else {
					hooks.AfterCall = func(_ context.Context, c push.Change, err error) {
						if c.Kind == kind && !crashed && err == nil {
							crashed = true
							panic(errCrash{})
						}
					}
				}
				f := newPushFixture(t, store, hooks)
				for _, job := range []tenants.Job{tenants.JobRentEngine, tenants.JobFunnel} {
					if _, err := f.runner.Run(context.Background(), f.tenant, job); err != nil {
						t.Fatal(err)
					}
				}
				if _, err := f.runner.Run(ctx, f.tenant, tenants.JobPush); err == nil {
					t.Fatal("the crashed run succeeded")
				}
				if !crashed {
					t.Fatal("the crash point was never reached")
				}
				// A push with no pull in between: an assignment whose outcome is unknown must wait
				// for a RentEngine pull rather than be posted again blindly.
				f.re.ResetRequests()
				_, _ = f.runner.Run(context.Background(), f.tenant, tenants.JobPush)
				if kind == models.PushAssignment {
					for _, r := range f.assignRequests() {
						if ev := r["events"].([]any)[0].(map[string]any); ev["prospect_id"] == float64(f.p[1]) {
							t.Errorf("the assignment whose outcome is unknown was re-posted before any pull: %v", r)
						}
					}
				}
				if _, err := f.syncAll(t); err != nil {
					t.Fatalf("rerun: %v", err)
				}
				if _, err := f.syncAll(t); err != nil {
					t.Fatalf("second rerun: %v", err)
				}
				assertAppliedOnce(t, f)
			})
		}
	}
}

// assertAppliedOnce checks the fakes' state: each linked prospect assigned exactly once by syncd,
// each matched person's score set to the right value (identical submissions only), each renewal
// card set.
func assertAppliedOnce(t *testing.T, f *pushFixture) {
	t.Helper()
	count := map[int64]int{}
	for _, ev := range f.re.Records(rentenginefake.LeasingEvents) {
		if ev["event_type"] == "Assign to User" {
			p, _ := strconv.ParseInt(fmt.Sprint(ev["prospect"]), 10, 64)
			count[p]++
		}
	}
	for _, p := range []int64{f.p[1], f.p[2], f.p[3]} {
		if count[p] != 1 {
			t.Errorf("prospect %d assigned %d times, want exactly once", p, count[p])
		}
	}
	for client, want := range map[int64]int64{f.alice: 80, f.bob: 10} {
		scores := f.fu.CustomerScores(client)
		if len(scores) == 0 {
			t.Errorf("client %d has no score", client)
			continue
		}
		for _, s := range scores {
			if s.Value != want {
				t.Errorf("client %d scores %v, want only %d", client, scores, want)
			}
		}
	}
	for _, r := range []int64{f.r1, f.r2} {
		if _, ok := f.fu.RenewalCard(r); !ok {
			t.Errorf("renewal %d has no card", r)
		}
	}
	if n := len(f.assignRequests()) + len(f.scoreRequests()) + len(f.renewalRequests()); n != 0 {
		t.Errorf("the run after recovery still sent %d requests", n)
	}
}
