package push_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strings"
	gosync "sync"
	"testing"
	"time"

	"go.uber.org/zap"
	"go.uber.org/zap/zaptest"

	"github.com/syncd-dev/syncd/internal/models"
	"github.com/syncd-dev/syncd/internal/push"
	syncer "github.com/syncd-dev/syncd/internal/sync"
	"github.com/syncd-dev/syncd/internal/tenants"
	"github.com/syncd-dev/syncd/internal/testing/dbtest"
	"github.com/syncd-dev/syncd/internal/testing/funnelfake"
	"github.com/syncd-dev/syncd/internal/testing/rentenginefake"
)

// scoreFixture is the world of customer scores: who a RentEngine person is in Funnel decides
// whether, and how, their score is sent. Funnel matches a score's e-mail among every client of
// the company, lets the phone narrow several matches down, uses the phone alone only without an
// e-mail match, and silently picks one of several clients left. Communities A (1234) and B (5678)
// are mirrored; C (9012) is not.
//
//	RentEngine prospects (status)                         Funnel clients
//	r1 Nina  nina@home.example  555-700-0001 (Showing Sch.) ── nina  A  nina@home.example 555-700-0001
//	                                                           noah  B  nina@home.example 555-700-0002   shared e-mail: the phone narrows → e-mail + phone
//	r2 Tess  tess@example.com   555-700-0003 (App. Rec.)  ─┬─ tessA A  tess@example.com 555-700-0003
//	                                                       └─ tessB B  tess@example.com 555-700-0003    nothing narrows: ambiguous, never sent
//	r3 Paul  —                  555-700-0004 (Showing Des.) ── paul  A  —                555-700-0004    phone only → phone
//	r4 Sam   sam@example.com    555-700-0005 (New)         ─┐
//	r5 Sam   —                  555-700-0005 (App. Rec.)    ├─ sam   A  sam@example.com  555-700-0005    three prospects, one client: the highest, once
//	r6 Sam   —                  555-700-0005 (Showing Sch.)─┘
//	r7 Kim   kim@example.com    555-700-0006 (App. Appr.)  ─┬─ kimOld A kim@example.com  555-700-0006    Client Merged: never matches
//	                                                       └─ kim   B  kim@example.com  555-700-0006    → e-mail
//	r8 Dan   dan@example.com    —            (Showing Sch.)    dan   C  dan@example.com  (not mirrored)  unlinked: sent only with targets: all
//	r9 Lou   lou@example.com    —            (New)         ─── lou   A  lou@example.com  Client Deleted   client deleted, never sent
//	r10 Val  val@example.com    —            (Duplicate Lead) ─ val  A  val@example.com                   no status score
type scoreFixture struct {
	store   *models.Store
	re      *rentenginefake.Server
	fu      *funnelfake.Server
	tenant  *tenants.Tenant
	runner  *syncer.Runner
	skips   *skipRecorder
	a, b, c int64
	r       map[string]int64 // RentEngine prospect ids by name ("r1"...)
	cl      map[string]int64 // Funnel client ids by name
	at      time.Time
}

func newScoreFixture(t *testing.T, store *models.Store, targets string) *scoreFixture {
	t.Helper()
	f := &scoreFixture{store: store, r: map[string]int64{}, cl: map[string]int64{},
		at: time.Date(2026, 11, 1, 12, 0, 0, 0, time.UTC)}
	f.re = rentenginefake.New(rentenginefake.Options{Token: "re-tok"})
	t.Cleanup(f.re.Close)
	f.fu = funnelfake.New(funnelfake.Options{APIKey: "fu-key"})
	t.Cleanup(f.fu.Close)

	prospect := func(key, name, email, phone, status string) {
		rec := map[string]any{"name": name}
		if email != "" {
			rec["email"] = email
		}
		if phone != "" {
			rec["phone"] = phone
		}
		f.r[key] = f.re.Insert(rentenginefake.Prospects, rec)
		f.re.AddEvent(f.r[key], status, f.at.Add(time.Duration(len(f.r))*time.Minute))
	}
	prospect("r1", "Nina Ruiz", "nina@home.example", "(555) 700-0001", "Showing Scheduled")
	prospect("r2", "Tess Ng", "tess@example.com", "555-700-0003", "Application Received")
	prospect("r3", "Paul Ode", "", "555.700.0004", "Showing Desired")
	prospect("r4", "Sam Roy", "sam@example.com", "(555) 700-0005", "New")
	prospect("r5", "Sam Roy", "", "555-700-0005", "Application Received")
	prospect("r6", "Sam Roy", "", "+15557000005", "Showing Scheduled")
	prospect("r7", "Kim Lee", "kim@example.com", "555-700-0006", "Application Approved")
	prospect("r8", "Dan Wu", "dan@example.com", "", "Showing Scheduled")
	prospect("r9", "Lou Park", "lou@example.com", "", "New")
	prospect("r10", "Val Cruz", "val@example.com", "", "Duplicate Lead")

	f.a = f.fu.InsertCommunity(map[string]any{"id": 1234, "name": "Maple Court"}, "")
	f.b = f.fu.InsertCommunity(map[string]any{"id": 5678, "name": "Birch Yard"}, "")
	f.c = f.fu.InsertCommunity(map[string]any{"id": 9012, "name": "Cedar Row (not mirrored)"}, "")
	client := func(key string, community int64, status, first, email, phone string) {
		person := map[string]any{"first_name": first, "last_name": "X", "email": nil, "phone_1": nil}
		if email != "" {
			person["email"] = email
		}
		if phone != "" {
			person["phone_1"] = phone
		}
		f.cl[key] = f.fu.Insert(community, funnelfake.Prospects, map[string]any{"status": status, "people": []any{person}})
	}
	client("nina", f.a, "Prospect", "Nina", "nina@home.example", "5557000001")
	client("noah", f.b, "Prospect", "Noah", "Nina@Home.example", "555-700-0002")
	client("tessA", f.a, "Applicant", "Tess", "tess@example.com", "555-700-0003")
	client("tessB", f.b, "Prospect", "Tess", "tess@example.com", "(555) 700-0003")
	client("paul", f.a, "Toured", "Paul", "", "555-700-0004")
	client("sam", f.a, "Applicant", "Sam", "sam@example.com", "555-700-0005")
	client("kimOld", f.a, "Client Merged", "Kim", "kim@example.com", "555-700-0006")
	client("kim", f.b, "Prospect", "Kim", "kim@example.com", "555-700-0006")
	client("dan", f.c, "Prospect", "Dan", "dan@example.com", "")
	client("lou", f.a, "Client Deleted", "Lou", "lou@example.com", "")
	client("val", f.a, "Prospect", "Val", "val@example.com", "")

	f.tenant = &tenants.Tenant{
		ID: "scoreco", RunTimeout: time.Minute,
		RentEngine: &tenants.RentEngine{BaseURL: f.re.BaseURL(), Token: tenants.NewSecret("re-tok")},
		Funnel: &tenants.Funnel{BaseURL: f.fu.BaseURL(), APIKey: tenants.NewSecret("fu-key"), Auth: "basic",
			CompanyID: f.fu.CompanyID(), Communities: []string{"1234", "5678"}},
		Push: &tenants.Push{
			CustomerScores: &tenants.CustomerScores{Targets: targets},
			Assignments:    &tenants.Assignments{Enabled: ptr(false)},
			RenewalStatus:  &tenants.RenewalStatus{Enabled: ptr(false)},
		},
	}
	f.skips = &skipRecorder{}
	f.runner = syncer.NewRunner(syncer.Config{Store: store, Retry: fastRetry, Pushes: f.skips},
		zaptest.NewLogger(t, zaptest.Level(zap.ErrorLevel)))
	return f
}

func ptr[T any](v T) *T { return &v }

// skipRecorder is the metrics' view of the push job: outcomes and the latest skips.
type skipRecorder struct {
	mu    gosync.Mutex
	skips map[string]map[string]int
}

func (r *skipRecorder) Push(string, string, string) {}

func (r *skipRecorder) PushSkipped(_ string, skips map[string]map[string]int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.skips = map[string]map[string]int{}
	for kind, byReason := range skips {
		r.skips[kind] = maps.Clone(byReason)
	}
}

var _ syncer.PushSkipObserver = (*skipRecorder)(nil)

// pull runs both pulls; push then runs the push job and returns the score requests it sent, as
// "email|phone=value" strings, sorted.
func (f *scoreFixture) pull(t *testing.T) {
	t.Helper()
	for _, job := range []tenants.Job{tenants.JobRentEngine, tenants.JobFunnel} {
		if _, err := f.runner.Run(context.Background(), f.tenant, job); err != nil {
			t.Fatalf("%s pull: %v", job, err)
		}
	}
}

func (f *scoreFixture) push(t *testing.T) []string {
	t.Helper()
	f.pull(t)
	f.fu.ResetRequests()
	if _, err := f.runner.Run(context.Background(), f.tenant, tenants.JobPush); err != nil {
		t.Fatalf("push: %v", err)
	}
	var out []string
	for _, b := range bodies(f.fu.Requests(), "POST", "/customer-score/") {
		email, _ := b["email"].(string)
		phone, _ := b["phone"].(string)
		out = append(out, fmt.Sprintf("%s|%s=%v", email, phone, b["score_value"]))
	}
	slices.Sort(out)
	return out
}

// landed returns, per client name, the score values the fake stored, and fails on a score that
// Funnel had to pick among several clients.
func (f *scoreFixture) landed(t *testing.T) map[string][]int64 {
	t.Helper()
	out := map[string][]int64{}
	for name, id := range f.cl {
		for _, s := range f.fu.CustomerScores(id) {
			out[name] = append(out[name], s.Value)
			if s.Candidates != 1 {
				t.Errorf("a score on %s was picked among %d clients: %+v", name, s.Candidates, s)
			}
		}
	}
	return out
}

func TestCustomerScoresLinkedClientsOnly(t *testing.T) {
	dbtest.Dialects(t, func(t *testing.T, store *models.Store) {
		f := newScoreFixture(t, store, "") // the default: linked

		got := f.push(t)
		want := []string{
			"kim@example.com|=90",               // the merged duplicate is not a candidate
			"nina@home.example|+15557000001=50", // the shared e-mail, narrowed by Nina's phone
			"sam@example.com|=80",               // Sam's three prospects: the highest, once
			"|+15557000004=35",                  // Paul has no e-mail: the phone alone
		}
		slices.Sort(want)
		if !slices.Equal(got, want) {
			t.Errorf("score requests:\n got  %q\n want %q", got, want)
		}
		if got, want := f.landed(t), map[string][]int64{"nina": {50}, "paul": {35}, "sam": {80}, "kim": {90}}; !maps.EqualFunc(got, want, slices.Equal) {
			t.Errorf("scores in Funnel %v, want %v", got, want)
		}
		wantSkips := map[string]int{push.SkipUnlinked: 1, push.SkipAmbiguous: 1, push.SkipNoStatusScore: 1, push.SkipClientDeleted: 1}
		if got := f.skips.skips[models.PushCustomerScore]; !maps.Equal(got, wantSkips) {
			t.Errorf("skips reported to the metrics %v, want %v", got, wantSkips)
		}
		for _, name := range []string{"nina", "sam", "kim", "paul"} {
			assertLedger(t, store, f.tenant.ID, models.PushCustomerScore, fmt.Sprintf("funnel-client:%d", f.cl[name]), models.PushPushed)
		}

		// A second run sends nothing.
		if got := f.push(t); len(got) != 0 {
			t.Errorf("an unchanged mirror sent %q", got)
		}

		// One linked person's status changes: exactly one request, for their client.
		f.re.AddEvent(f.r["r6"], "Lease Signed", f.at.Add(time.Hour)) // Sam 80 → 100
		if got, want := f.push(t), []string{"sam@example.com|=100"}; !slices.Equal(got, want) {
			t.Errorf("after one status change: %q, want %q", got, want)
		}
		// A change below the client's highest score changes nothing.
		f.re.AddEvent(f.r["r4"], "Showing Scheduled", f.at.Add(2*time.Hour)) // Sam's r4 10 → 50, Sam stays 100
		if got := f.push(t); len(got) != 0 {
			t.Errorf("a change below the client's highest score sent %q", got)
		}

		// Plan mode says why each person is left alone.
		plan, err := f.runner.Plan(context.Background(), f.tenant)
		must(t, err)
		for reason, n := range wantSkips {
			text := map[string]string{push.SkipUnlinked: "unlinked", push.SkipAmbiguous: "ambiguous",
				push.SkipNoStatusScore: "no status score", push.SkipClientDeleted: "client deleted"}[reason]
			found := false
			for k, v := range plan.Skipped {
				found = found || (strings.Contains(k, text) && v == n)
			}
			if !found {
				t.Errorf("plan.Skipped %v does not say %d %s", plan.Skipped, n, text)
			}
		}

		// Links change: Paul's client is merged into a new one in community B. The new client
		// gets its score on the next run; the merged one is left alone, with no clearing call.
		must(t, f.fu.Update(f.a, funnelfake.Prospects, f.cl["paul"], map[string]any{"status": "Client Merged"}))
		f.cl["paul2"] = f.fu.Insert(f.b, funnelfake.Prospects, map[string]any{"status": "Toured", "people": []any{
			map[string]any{"first_name": "Paul", "email": nil, "phone_1": "555-700-0004"}}})
		if got, want := f.push(t), []string{"|+15557000004=35"}; !slices.Equal(got, want) {
			t.Errorf("after a merge: %q, want %q", got, want)
		}
		if got := f.landed(t); !slices.Equal(got["paul2"], []int64{35}) || !slices.Equal(got["paul"], []int64{35}) {
			t.Errorf("after a merge, Paul's clients hold %v (old) and %v (new), want [35] each", got["paul"], got["paul2"])
		}
		// An e-mail changes: Kim's client takes a new address, which still singles it out.
		must(t, f.fu.Update(f.b, funnelfake.Prospects, f.cl["kim"], map[string]any{"people": []any{
			map[string]any{"first_name": "Kim", "email": "kim.lee@example.com", "phone_1": "555-700-0006"}}}))
		if got := f.push(t); len(got) != 0 {
			t.Errorf("a client whose score is unchanged was sent again after its e-mail changed: %q", got)
		}
	})
}

func TestCustomerScoresAllTargets(t *testing.T) {
	dbtest.Dialects(t, func(t *testing.T, store *models.Store) {
		f := newScoreFixture(t, store, tenants.ScoreTargetsAll)

		got := f.push(t)
		want := []string{
			"dan@example.com|=50", // unlinked in the mirror: sent blind, and Funnel has him in community C
			"kim@example.com|=90",
			"nina@home.example|+15557000001=50",
			"sam@example.com|=80",
			"|+15557000004=35",
		}
		slices.Sort(want)
		if !slices.Equal(got, want) {
			t.Errorf("score requests:\n got  %q\n want %q", got, want)
		}
		landed := f.landed(t)
		if !slices.Equal(landed["dan"], []int64{50}) || len(landed["tessA"])+len(landed["tessB"])+len(landed["lou"]) != 0 {
			t.Errorf("scores in Funnel %v: want Dan's, and none for Tess (ambiguous) or Lou (deleted)", landed)
		}
		assertLedger(t, store, f.tenant.ID, models.PushCustomerScore, "contact:dan@example.com", models.PushPushed)
		wantSkips := map[string]int{push.SkipUnlinked: 0, push.SkipAmbiguous: 1, push.SkipNoStatusScore: 1, push.SkipClientDeleted: 1}
		if got := f.skips.skips[models.PushCustomerScore]; !maps.Equal(got, wantSkips) {
			t.Errorf("skips %v, want %v", got, wantSkips)
		}
		if got := f.push(t); len(got) != 0 {
			t.Errorf("an unchanged mirror sent %q", got)
		}
		f.re.AddEvent(f.r["r8"], "Application Received", f.at.Add(time.Hour)) // Dan 50 → 80
		if got, want := f.push(t), []string{"dan@example.com|=80"}; !slices.Equal(got, want) {
			t.Errorf("after Dan's status changed: %q, want %q", got, want)
		}
	})
}

// oldHash is the ledger hash the earlier scheme gave a score: the whole payload, contact details
// included.
func oldHash(d map[string]any) string {
	b, _ := json.Marshal(struct {
		ScoreName    string `json:"score_name"`
		ScoreValue   int    `json:"score_value"`
		MaximumScore int    `json:"maximum_score"`
		Email        string `json:"email,omitempty"`
		Phone        string `json:"phone,omitempty"`
	}{d["score_name"].(string), d["score_value"].(int), d["maximum_score"].(int), d["email"].(string), d["phone"].(string)})
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:16])
}

// A ledger written by the earlier scheme (one person:<key> row per RentEngine person, hashed with
// the person's contact details) is rewritten to the Funnel clients its scores landed on: a
// client whose score is unchanged is not sent again, one whose score changed is.
func TestCustomerScoresLedgerFromPersonTargets(t *testing.T) {
	dbtest.Dialects(t, func(t *testing.T, store *models.Store) {
		f := newScoreFixture(t, store, "")
		f.pull(t)
		pushedAt := f.at.Add(-24 * time.Hour)
		old := func(target string, value int, email, phone, state string) {
			d := map[string]any{"score_name": tenants.DefaultScoreName, "score_value": value, "maximum_score": 100,
				"email": email, "phone": phone}
			raw, _ := json.Marshal(map[string]any{"score_name": tenants.DefaultScoreName, "score_value": value,
				"maximum_score": 100, "email": email, "phone": phone})
			row := models.PushLedger{TenantID: f.tenant.ID, Kind: models.PushCustomerScore, TargetKey: target,
				Desired: raw, DesiredHash: oldHash(d), State: state, Attempts: 1, IntentAt: &pushedAt,
				CreatedAt: pushedAt, UpdatedAt: pushedAt}
			if state == models.PushPushed {
				h := oldHash(d)
				row.Pushed, row.PushedHash, row.PushedAt = raw, &h, &pushedAt
			}
			must(t, dbtest.DB(store).Create(&row).Error)
		}
		// What the earlier scheme left after pushing this fixture, Paul at an older status.
		old("person:nina@home.example", 50, "nina@home.example", "+15557000001", models.PushPushed)
		old("person:tess@example.com", 80, "tess@example.com", "+15557000003", models.PushPushed)
		old("person:+15557000004", 10, "", "+15557000004", models.PushPushed)
		old("person:sam@example.com", 80, "", "+15557000005", models.PushPushed) // from r5, which has no e-mail
		old("person:kim@example.com", 90, "kim@example.com", "+15557000006", models.PushPushed)
		old("person:dan@example.com", 50, "dan@example.com", "", models.PushUnmatched)

		// The plan already reads the rewritten ledger, and writes nothing.
		plan, err := f.runner.Plan(context.Background(), f.tenant)
		must(t, err)
		if len(plan.Changes) != 1 || plan.Changes[0].Target != fmt.Sprintf("funnel-client:%d", f.cl["paul"]) || plan.Changes[0].Before != "10" {
			t.Errorf("plan over the old ledger: %+v", plan.Changes)
		}
		var n int64
		must(t, dbtest.DB(store).Model(&models.PushLedger{}).Where("target_key LIKE 'person:%'").Count(&n).Error)
		if n != 6 {
			t.Errorf("planning rewrote the ledger: %d person rows left, want 6", n)
		}

		if got, want := f.push(t), []string{"|+15557000004=35"}; !slices.Equal(got, want) {
			t.Errorf("first run over the old ledger sent %q, want only Paul's changed score %q", got, want)
		}
		var targets []string
		must(t, dbtest.DB(store).Model(&models.PushLedger{}).Where("tenant_id = ?", f.tenant.ID).Order("target_key").Pluck("target_key", &targets).Error)
		wantTargets := []string{"contact:dan@example.com", "contact:tess@example.com",
			fmt.Sprintf("funnel-client:%d", f.cl["kim"]), fmt.Sprintf("funnel-client:%d", f.cl["nina"]),
			fmt.Sprintf("funnel-client:%d", f.cl["paul"]), fmt.Sprintf("funnel-client:%d", f.cl["sam"])}
		slices.Sort(wantTargets)
		if !slices.Equal(targets, wantTargets) {
			t.Errorf("ledger targets %q, want %q", targets, wantTargets)
		}
		if got := f.push(t); len(got) != 0 {
			t.Errorf("the next run sent %q", got)
		}
	})
}
