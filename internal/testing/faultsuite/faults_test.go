package faultsuite_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"sort"
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
	"github.com/syncd-dev/syncd/internal/testing/fakeapi"
	"github.com/syncd-dev/syncd/internal/testing/funnelfake"
	"github.com/syncd-dev/syncd/internal/testing/mirrortest"
	"github.com/syncd-dev/syncd/internal/testing/rentenginefake"
)

// suiteRetry keeps the suite to seconds: tiny backoffs, Retry-After capped far below the fakes'
// one-second minimum, and an attempt timeout far below the slow fault's delay.
var suiteRetry = upstream.RetryPolicy{Base: time.Millisecond, Cap: 10 * time.Millisecond,
	MaxRetryAfter: 20 * time.Millisecond, MaxElapsed: 20 * time.Second, MaxAttempts: 6}

const attemptTimeout = 250 * time.Millisecond

// faultPlan is the suite's seeded random schedule: every kind, at rates that make a pull meet
// several faults per run while a page still gets through within the client's retries.
func faultPlan(seed int64) *fakeapi.FaultPlan {
	return &fakeapi.FaultPlan{
		Seed: seed,
		Probability: map[fakeapi.FaultKind]float64{
			fakeapi.FaultRateLimit: 0.03, fakeapi.FaultRateLimitNoHeader: 0.03, fakeapi.FaultRateLimitDate: 0.03,
			fakeapi.FaultServerError: 0.05, fakeapi.FaultSlow: 0.02, fakeapi.FaultReset: 0.03,
			fakeapi.FaultTruncated: 0.04, fakeapi.FaultPageDrift: 0.06,
			fakeapi.FaultPoisonRecord: 0.02, fakeapi.FaultEmptyList: 0.01,
		},
		MaxConsecutive: 2,
		SlowDelay:      5 * time.Second,
	}
}

// scriptEveryKind makes "every kind at least once" a certainty rather than a property of the seed.
func scriptEveryKind(f *fakeapi.FaultInjector, match func(*http.Request) bool) {
	for _, k := range fakeapi.FaultKinds() {
		f.Script(match, k, 1)
	}
}

// firstPage matches GETs of the first page of the list whose path ends in suffix.
func firstPage(suffix, param, first string) func(*http.Request) bool {
	return func(r *http.Request) bool {
		p := r.URL.Query().Get(param)
		return r.Method == http.MethodGet && strings.HasSuffix(r.URL.Path, suffix) && (p == "" || p == first)
	}
}

// TestFaultSuite injects every fault kind into both upstreams from a fixed seed while syncing, then
// checks that the mirror converges to the fakes' exact state.
//
// It has three phases. In the first, every kind comes at random and each is also scripted once,
// and each job runs until a run succeeds. In the second, with the mirror full and the random faults
// off, one list of each job answers empty on every call of the run and one record of another list
// is poisoned: the mass-delete guard must hold the run and the poisoned record must be
// quarantined. In the third, with the upstreams quiet, one clean run of each job must converge.
// Throughout, a run in which an empty list was served must not tombstone a row that exists
// upstream.
func TestFaultSuite(t *testing.T) {
	const token, key = "re-fault-TOKEN-7c1e", "fu-fault-KEY-3b9d"
	store := dbtest.Postgres(t)
	re := rentenginefake.New(rentenginefake.Options{Token: token, Faults: faultPlan(20261121)})
	defer re.Close()
	rentenginefake.Seed(re, rentenginefake.SeedOptions{Seed: 5, Units: 400, Prospects: 700, EventsPerProspect: 2})
	scriptEveryKind(re.Faults(), func(r *http.Request) bool {
		return r.Method == http.MethodGet && r.URL.Query().Get("page_number") == "1"
	})
	fu := funnelfake.New(funnelfake.Options{APIKey: key, Faults: faultPlan(20261122)})
	defer fu.Close()
	funnelfake.Seed(fu, funnelfake.SeedOptions{Seed: 6, Communities: 2, ProspectsPerCommunity: 160,
		RenewalsPerCommunity: 60, AppointmentsPerCommunity: 120})
	scriptEveryKind(fu.Faults(), func(r *http.Request) bool {
		return r.Method == http.MethodGet && r.URL.Query().Get("page") == "2"
	})
	var communities []string
	for _, c := range fu.Communities() {
		communities = append(communities, c.Numeric())
	}
	injectors := map[string]*fakeapi.FaultInjector{"rentengine": re.Faults(), "funnel": fu.Faults()}
	injected := func(k fakeapi.FaultKind) int { return re.Faults().Injected()[k] + fu.Faults().Injected()[k] }

	tenant := &tenants.Tenant{ID: "faulty", RunTimeout: time.Minute,
		RentEngine: &tenants.RentEngine{BaseURL: re.BaseURL(), Token: tenants.NewSecret(token)},
		Funnel: &tenants.Funnel{BaseURL: fu.BaseURL(), APIKey: tenants.NewSecret(key), Auth: tenants.FunnelAuthBasic,
			CompanyID: fu.CompanyID(), Communities: communities}}
	runner := syncer.NewRunner(syncer.Config{Store: store, Retry: suiteRetry, AttemptTimeout: attemptTimeout},
		zaptest.NewLogger(t, zaptest.Level(zap.ErrorLevel)))

	ctx := context.Background()
	var retries, runs, failed, held int64
	wrong := wrongTombstones(t, store, tenant.ID, re, fu)
	// run runs job once and counts it, then checks that an empty list served during the run
	// tombstoned nothing: no row that exists upstream may have become tombstoned (rows deleted
	// upstream by page drift may be tombstoned as usual).
	run := func(job tenants.Job) (*models.SyncRun, error) {
		emptied := injected(fakeapi.FaultEmptyList)
		r, err := runner.Run(ctx, tenant, job)
		runs++
		if r != nil {
			retries += r.Retries
		}
		switch {
		case errors.As(err, new(*syncer.HeldError)):
			held++
		case err != nil:
			failed++
		}
		now := wrongTombstones(t, store, tenant.ID, re, fu)
		if injected(fakeapi.FaultEmptyList) > emptied {
			var fresh []string
			for d := range now {
				if !wrong[d] {
					fresh = append(fresh, d)
				}
			}
			if len(fresh) > 0 {
				sort.Strings(fresh)
				t.Errorf("%s run %d was served an empty list, ended with %v and tombstoned %d rows that exist upstream: %s",
					job, runs, err, len(fresh), strings.Join(fresh[:min(3, len(fresh))], "; "))
			}
		}
		wrong = now
		return r, err
	}

	// Phase 1: random and scripted faults. A run may fail when a page's retries run out, or be
	// held when an empty list cut a pass short; the next run picks up.
	for _, job := range []tenants.Job{tenants.JobRentEngine, tenants.JobFunnel} {
		for attempt := 0; attempt < 8; attempt++ {
			if _, err := run(job); err == nil {
				break
			}
		}
	}

	// Phase 2: an upstream that answers an empty list, and one that sends a record Postgres
	// cannot store, with nothing else going wrong.
	for _, f := range injectors {
		f.SetPlan(fakeapi.FaultPlan{})
		f.ClearScripts()
	}
	broken := []struct {
		job               tenants.Job
		faults            *fakeapi.FaultInjector
		emptied, poisoned func(*http.Request) bool
		resource, table   string // the emptied list
		poisonedTable     string
	}{
		{tenants.JobRentEngine, re.Faults(), firstPage("/units", "page_number", "0"), firstPage("/prospects", "page_number", "0"),
			"units", "rentengine_units", "rentengine_prospects"},
		{tenants.JobFunnel, fu.Faults(), firstPage("/prospects/", "page", "1"), firstPage("/renewals/", "page", "1"),
			"prospects", "funnel_prospects", "funnel_renewals"},
	}
	for _, b := range broken {
		live := liveRows(t, store, b.table, tenant.ID)
		if live <= tenants.DefaultMinDeleteGuard {
			t.Fatalf("%s holds %d live rows before its list comes back empty; the guard needs more than %d",
				b.table, live, tenants.DefaultMinDeleteGuard)
		}
		b.faults.Script(b.emptied, fakeapi.FaultEmptyList, -1) // both passes see it
		b.faults.Script(b.poisoned, fakeapi.FaultPoisonRecord, 1)
		r, err := run(b.job)
		b.faults.ClearScripts()
		var herr *syncer.HeldError
		if r == nil || !errors.As(err, &herr) || r.Status != models.RunHeld || len(herr.Held) != 1 || herr.Held[b.resource] != live {
			t.Errorf("%s run with an empty %s list: err %v; want held, would-be %d %s", b.job, b.resource, err, live, b.resource)
		}
		if n := liveRows(t, store, b.table, tenant.ID); n != live {
			t.Errorf("%s: %d live rows after the empty list, want all %d", b.table, n, live)
		}
		if r == nil || !quarantinedIn(t, store, tenant.ID, b.poisonedTable, r.RunID) {
			t.Errorf("%s run: no record of %s quarantined in bad_records by the run", b.job, b.poisonedTable)
		}
	}

	// Phase 3: upstreams quiet again. One more run each sees records that drift inserted behind a
	// pass, stores the records that were quarantined, and releases nothing: a pass that sees
	// every record has nothing to hold.
	for _, job := range []tenants.Job{tenants.JobRentEngine, tenants.JobFunnel} {
		if _, err := run(job); err != nil {
			t.Fatalf("clean %s run after faults: %v", job, err)
		}
	}

	reDiffs, err := mirrortest.RentEngineDiff(ctx, store, tenant.ID, re)
	if err != nil {
		t.Fatal(err)
	}
	fuDiffs, err := mirrortest.FunnelDiff(ctx, store, tenant.ID, fu)
	if err != nil {
		t.Fatal(err)
	}
	diffs := append(reDiffs, fuDiffs...)
	var kinds []string
	for _, k := range fakeapi.FaultKinds() {
		kinds = append(kinds, fmt.Sprintf("%s=%d", k, injected(k)))
		for name, f := range injectors {
			if f.Injected()[k] == 0 {
				t.Errorf("fault kind %s was never injected into %s", k, name)
			}
		}
	}
	sort.Strings(kinds)
	// Every quarantined record is one the poison fault made: the fakes' own records are clean.
	bad, err := store.BadRecords(ctx, tenant.ID)
	if err != nil {
		t.Fatal(err)
	}
	for _, b := range bad {
		if b.Reason != models.ReasonNUL && b.Reason != models.ReasonSurrogate {
			t.Errorf("bad record %s %s: %s", b.Table, b.RecordID, b.Reason)
		}
	}
	// The echoed-secret fault put both credentials into 401 bodies, and the redirect fault pointed
	// at a decoy origin: neither may have reached the database or the decoy.
	secrets := findSecrets(tableTexts(t, store), secretForms(token, key))
	for name, f := range injectors {
		for _, r := range f.DecoyRequests() {
			t.Errorf("a redirect from %s was followed to another origin: %s %s?%s", name, r.Method, r.Path, r.RawQuery)
		}
	}
	fmt.Printf("fault suite: faults injected {%s}; runs %d (failed %d, held %d); retries %d; records quarantined %d; "+
		"rows differing at the end %d; secrets found %d\n",
		strings.Join(kinds, " "), runs, failed, held, retries, len(bad), len(diffs), len(secrets))
	for _, d := range diffs {
		t.Error(d)
	}
	for _, s := range secrets {
		t.Error("secret found: " + s)
	}
	if retries == 0 {
		t.Error("no retries were made: the faults did not reach the client")
	}
	assertNoDuplicates(t, store)
}

// wrongTombstones returns the mirror's rows that are tombstoned although they exist upstream.
func wrongTombstones(t *testing.T, store *models.Store, tenant string, re *rentenginefake.Server, fu *funnelfake.Server) map[string]bool {
	t.Helper()
	reDiffs, err := mirrortest.RentEngineDiff(context.Background(), store, tenant, re)
	if err != nil {
		t.Fatal(err)
	}
	fuDiffs, err := mirrortest.FunnelDiff(context.Background(), store, tenant, fu)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]bool{}
	for _, d := range append(reDiffs, fuDiffs...) {
		if strings.Contains(d, "tombstoned but exists upstream") {
			out[d] = true
		}
	}
	return out
}

// liveRows counts a tenant's rows of a mirror table that are not tombstoned.
func liveRows(t *testing.T, store *models.Store, table, tenant string) int64 {
	t.Helper()
	var n int64
	must(t, dbtest.DB(store).Table(table).Where("tenant_id = ? AND deleted_at IS NULL", tenant).Count(&n).Error)
	return n
}

// quarantinedIn reports whether run put a record of table in bad_records.
func quarantinedIn(t *testing.T, store *models.Store, tenant, table, runID string) bool {
	t.Helper()
	bad, err := store.BadRecords(context.Background(), tenant)
	if err != nil {
		t.Fatal(err)
	}
	for _, b := range bad {
		if b.Table == table && b.Source == models.SourcePull && b.RunID != nil && *b.RunID == runID {
			return true
		}
	}
	return false
}

func assertNoDuplicates(t *testing.T, store *models.Store) {
	t.Helper()
	for _, table := range []string{"rentengine_units", "rentengine_prospects", "rentengine_leasing_events",
		"funnel_communities", "funnel_prospects", "funnel_renewals", "funnel_appointments"} {
		var rows, distinct int64
		if err := dbtest.DB(store).Raw("SELECT count(*), count(DISTINCT (tenant_id, id)) FROM "+table).Row().Scan(&rows, &distinct); err != nil {
			t.Fatal(err)
		}
		if rows != distinct {
			t.Errorf("%s: %d rows but %d distinct keys", table, rows, distinct)
		}
	}
}

// TestPageDriftNeverTombstonesSkippedRecords deletes a record before the page being fetched, which
// shifts a live record across the page boundary so the pass never sees it. Without the second pass
// that live record would be tombstoned.
func TestPageDriftNeverTombstonesSkippedRecords(t *testing.T) {
	store := dbtest.SQLite(t)
	sawRepass := false
	for seed := int64(1); seed <= 6; seed++ {
		tenant := fmt.Sprintf("drift%d", seed)
		fake := rentenginefake.New(rentenginefake.Options{Token: "tok", Faults: &fakeapi.FaultPlan{Seed: seed}})
		rentenginefake.Seed(fake, rentenginefake.SeedOptions{Seed: seed, Units: 250, Prospects: 1, EventsPerProspect: 1})
		te := &tenants.Tenant{ID: tenant, RunTimeout: time.Minute,
			RentEngine: &tenants.RentEngine{BaseURL: fake.BaseURL(), Token: tenants.NewSecret("tok")}}
		runner := syncer.NewRunner(syncer.Config{Store: store, Retry: suiteRetry}, zaptest.NewLogger(t, zaptest.Level(zap.ErrorLevel)))
		if _, err := runner.Run(context.Background(), te, tenants.JobRentEngine); err != nil {
			t.Fatal(err)
		}
		fake.Faults().Script(func(r *http.Request) bool {
			return strings.HasSuffix(r.URL.Path, "/units") && r.URL.Query().Get("page_number") == "1"
		}, fakeapi.FaultPageDrift, 1)
		run, err := runner.Run(context.Background(), te, tenants.JobRentEngine)
		if err != nil {
			t.Fatal(err)
		}
		sawRepass = sawRepass || strings.Contains(string(run.Details), `"passes":2`)
		// Right after the drifting run, records the drift deleted or inserted behind the pass may
		// still be pending, but no live record may be tombstoned.
		diffs, err := mirrortest.RentEngineDiff(context.Background(), store, tenant, fake)
		if err != nil {
			t.Fatal(err)
		}
		for _, d := range diffs {
			if strings.Contains(d, "tombstoned but exists upstream") {
				t.Errorf("seed %d: %s", seed, d)
			}
		}
		// The next run converges.
		if _, err := runner.Run(context.Background(), te, tenants.JobRentEngine); err != nil {
			t.Fatal(err)
		}
		diffs, err = mirrortest.RentEngineDiff(context.Background(), store, tenant, fake)
		if err != nil {
			t.Fatal(err)
		}
		for _, d := range diffs {
			t.Errorf("seed %d after the next run: %s", seed, d)
		}
		fake.Close()
	}
	if !sawRepass {
		t.Error("no seed produced a deletion before the offset; the test did not exercise the re-pass")
	}
}
