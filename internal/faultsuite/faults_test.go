package faultsuite_test

import (
	"context"
	"fmt"
	"net/http"
	"sort"
	"strings"
	"testing"
	"time"

	"go.uber.org/zap"
	"go.uber.org/zap/zaptest"

	"github.com/syncd-dev/syncd/internal/clients/upstream"
	"github.com/syncd-dev/syncd/internal/dbtest"
	"github.com/syncd-dev/syncd/internal/fakeapi"
	"github.com/syncd-dev/syncd/internal/funnelfake"
	"github.com/syncd-dev/syncd/internal/mirrortest"
	"github.com/syncd-dev/syncd/internal/models"
	"github.com/syncd-dev/syncd/internal/rentenginefake"
	syncer "github.com/syncd-dev/syncd/internal/sync"
	"github.com/syncd-dev/syncd/internal/tenants"
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

// TestFaultSuite injects every fault kind into both upstreams from a fixed seed while syncing, then
// checks that the mirror converges to the fakes' exact state.
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

	tenant := &tenants.Tenant{ID: "faulty", RunTimeout: time.Minute,
		RentEngine: &tenants.RentEngine{BaseURL: re.BaseURL(), Token: tenants.NewSecret(token)},
		Funnel: &tenants.Funnel{BaseURL: fu.BaseURL(), APIKey: tenants.NewSecret(key), Auth: tenants.FunnelAuthBasic,
			CompanyID: fu.CompanyID(), Communities: communities}}
	runner := syncer.NewRunner(syncer.Config{Store: store, Retry: suiteRetry, AttemptTimeout: attemptTimeout},
		zaptest.NewLogger(t, zaptest.Level(zap.ErrorLevel)))

	var retries, runs, failed int64
	ctx := context.Background()
	for _, job := range []string{tenants.JobRentEngine, tenants.JobFunnel} {
		// With faults on, a run may still fail when a page's retries run out; the next run picks up.
		for attempt := 0; attempt < 8; attempt++ {
			run, err := runner.Run(ctx, tenant, job)
			runs++
			if run != nil {
				retries += run.Retries
			}
			if err == nil {
				break
			}
			failed++
		}
	}
	// Upstreams quiet again: one more run each sees records that drift inserted behind a pass.
	for _, f := range []*fakeapi.FaultInjector{re.Faults(), fu.Faults()} {
		f.SetPlan(fakeapi.FaultPlan{})
		f.ClearScripts()
	}
	for _, job := range []string{tenants.JobRentEngine, tenants.JobFunnel} {
		run, err := runner.Run(ctx, tenant, job)
		if err != nil {
			t.Fatalf("clean %s run after faults: %v", job, err)
		}
		retries += run.Retries
		runs++
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
		n := re.Faults().Injected()[k] + fu.Faults().Injected()[k]
		kinds = append(kinds, fmt.Sprintf("%s=%d", k, n))
		for name, f := range map[string]*fakeapi.FaultInjector{"rentengine": re.Faults(), "funnel": fu.Faults()} {
			if f.Injected()[k] == 0 {
				t.Errorf("fault kind %s was never injected into %s", k, name)
			}
		}
	}
	sort.Strings(kinds)
	// The echoed-secret fault put both credentials into 401 bodies, and the redirect fault pointed
	// at a decoy origin: neither may have reached the database or the decoy.
	secrets := findSecrets(tableTexts(t, store), secretForms(token, key))
	for name, f := range map[string]*fakeapi.FaultInjector{"rentengine": re.Faults(), "funnel": fu.Faults()} {
		for _, r := range f.DecoyRequests() {
			t.Errorf("a redirect from %s was followed to another origin: %s %s?%s", name, r.Method, r.Path, r.RawQuery)
		}
	}
	fmt.Printf("fault suite: faults injected {%s}; runs %d (failed %d); retries %d; rows differing at the end %d; secrets found %d\n",
		strings.Join(kinds, " "), runs, failed, retries, len(diffs), len(secrets))
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

func assertNoDuplicates(t *testing.T, store *models.Store) {
	t.Helper()
	for _, table := range []string{"rentengine_units", "rentengine_prospects", "rentengine_leasing_events",
		"funnel_communities", "funnel_prospects", "funnel_renewals", "funnel_appointments"} {
		var rows, distinct int64
		if err := store.DB().Raw("SELECT count(*), count(DISTINCT (tenant_id, id)) FROM "+table).Row().Scan(&rows, &distinct); err != nil {
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
