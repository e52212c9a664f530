package sync_test

import (
	"context"
	"fmt"
	"slices"
	"strings"
	gosync "sync"
	"testing"
	"time"

	"go.uber.org/zap"
	"go.uber.org/zap/zaptest"

	"github.com/syncd-dev/syncd/internal/clients/upstream"
	syncer "github.com/syncd-dev/syncd/internal/sync"
	"github.com/syncd-dev/syncd/internal/tenants"
	"github.com/syncd-dev/syncd/internal/testing/dbtest"
	"github.com/syncd-dev/syncd/internal/testing/fakeapi"
	"github.com/syncd-dev/syncd/internal/testing/funnelfake"
)

// The limit the fake enforces per key in these tests, and the one configured: 6 per 2s leaves
// 105ms of the 5% headroom for network jitter.
var sharedLimit = fakeapi.RateLimit{Requests: 6, Per: 2 * time.Second}

// sharedKeyFake is a Funnel fake limiting its one key, with n small communities.
func sharedKeyFake(t *testing.T, n int, limit fakeapi.RateLimit) *funnelfake.Server {
	t.Helper()
	fake := funnelfake.NewUnstarted(funnelfake.Options{APIKey: funnelKey, RateLimit: &limit})
	funnelfake.Seed(fake, funnelfake.SeedOptions{Seed: 15, Communities: n, ProspectsPerCommunity: 3,
		RenewalsPerCommunity: 1, AppointmentsPerCommunity: 1})
	if err := fake.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(fake.Close)
	return fake
}

// busiest is the most requests the fake received in any window of per (whatever it answered).
func busiest(reqs []fakeapi.Request, per time.Duration) int {
	var at []time.Time
	for _, r := range reqs {
		at = append(at, r.At)
	}
	slices.SortFunc(at, func(a, b time.Time) int { return a.Compare(b) })
	most, j := 0, 0
	for i := range at {
		for at[i].Sub(at[j]) >= per {
			j++
		}
		most = max(most, i-j+1)
	}
	return most
}

// Two tenants that give one Funnel key inline share its budget: one bucket, labelled with both,
// and pulling at once they stay within the key's limit at the fake (each alone at the configured
// rate would double it).
func TestTenantsSharingAKeyShareOneBucket(t *testing.T) {
	store := dbtest.Open(t, dbtest.SQLiteDSN(t))
	fake := sharedKeyFake(t, 2, sharedLimit)
	coms := fake.Communities()
	cfg, err := tenants.Parse(fmt.Appendf(nil, `
database: {url: "sqlite::memory:"}
tenants:
  - id: acme
    funnel: {base_url: %[1]q, api_key_env: KEY, communities: [%[2]q], rate_limit: {requests: 6, per: 2s, burst: 1}}
  - id: beta
    funnel: {base_url: %[1]q, api_key_env: KEY, communities: [%[3]q], rate_limit: {requests: 6, per: 2s, burst: 1}}
`, fake.BaseURL(), coms[0].Numeric(), coms[1].Numeric()), tenants.LoadOptions{
		LookupEnv: func(k string) (string, bool) { return funnelKey, k == "KEY" }})
	if err != nil {
		t.Fatal(err)
	}
	runner := syncer.NewRunner(syncer.Config{Store: store, Retry: fastRetry}, zaptest.NewLogger(t, zaptest.Level(zap.ErrorLevel)))
	t.Cleanup(func() { runner.Stop(context.Background()) })
	a, b := cfg.Tenant("acme"), cfg.Tenant("beta")
	specA, _ := syncer.RateSpec(a, tenants.JobFunnel)
	specB, _ := syncer.RateSpec(b, tenants.JobFunnel)
	if specA.Key != specB.Key || specA.Label != "acme,beta" {
		t.Fatalf("specs %+v and %+v: want one key labelled acme,beta", specA, specB)
	}

	var wg gosync.WaitGroup
	for _, tn := range []*tenants.Tenant{a, b} {
		wg.Go(func() {
			if _, err := runner.Run(context.Background(), tn, tenants.JobFunnel); err != nil {
				t.Errorf("pull %s: %v", tn.ID, err)
			}
		})
	}
	wg.Wait()
	reqs := fake.Requests()
	if len(reqs) <= sharedLimit.Requests {
		t.Fatalf("the pulls made %d requests; the test needs more than the limit (%d) to mean anything", len(reqs), sharedLimit.Requests)
	}
	bucket := runner.Limiters().Bucket(specA.Key)
	if bucket == nil {
		t.Fatal("no bucket for the shared key")
	}
	if st := fake.RateLimiter().Stats(); st.Limited != 0 || bucket.State().Limited != 0 {
		t.Errorf("the fake answered %d requests 429 (the bucket saw %d); the shared bucket must keep both tenants within the key's limit",
			st.Limited, bucket.State().Limited)
	}
	if n := busiest(reqs, sharedLimit.Per); n > sharedLimit.Requests {
		t.Errorf("%d requests in one %s at the fake, limit %d", n, sharedLimit.Per, sharedLimit.Requests)
	}
}

// Three processes (runners with their own stores and budgets, leasing shares in one Postgres)
// pulling tenants on one key keep the key's total within its limit, measured at the fake over a
// bounded window: the fake allows the limit plus a burst of one request per process in any
// period, and answers none of them 429. (Each process alone at the configured rate would send
// three times the limit.)
func TestReplicasShareOneBudget(t *testing.T) {
	dsn := dbtest.PostgresDSN(t)
	const replicas = 3
	fake := sharedKeyFake(t, 3, fakeapi.RateLimit{Requests: sharedLimit.Requests + replicas, Per: sharedLimit.Per})
	log := zaptest.NewLogger(t, zaptest.Level(zap.ErrorLevel))
	var wg gosync.WaitGroup
	var stops []func()
	until := time.Now().Add(9 * time.Second)
	for i, com := range fake.Communities() {
		store := dbtest.Open(t, dsn)
		runner := syncer.NewRunner(syncer.Config{Store: store, Retry: fastRetry, Limiters: upstream.NewLimiters()}, log)
		stops = append(stops, runner.ShareRateBudgets(log))
		t.Cleanup(func() { runner.Stop(context.Background()) })
		tn := funnelTenant(fmt.Sprintf("t%d", i), fake, com.Numeric())
		tn.Funnel.RateLimit = &tenants.RateLimit{Requests: sharedLimit.Requests, Per: sharedLimit.Per, Burst: 1}
		wg.Go(func() {
			ctx, cancel := context.WithDeadline(context.Background(), until)
			defer cancel()
			for ctx.Err() == nil {
				if _, err := runner.Run(ctx, tn, tenants.JobFunnel); err != nil && ctx.Err() == nil {
					t.Errorf("pull %s: %v", tn.ID, err)
					return
				}
			}
		})
	}
	wg.Wait()
	for _, stop := range stops {
		stop()
	}
	reqs := fake.Requests()
	for _, com := range fake.Communities() {
		if !slices.ContainsFunc(reqs, func(r fakeapi.Request) bool { return strings.Contains(r.Path, "/community/"+com.Numeric()+"/") }) {
			t.Errorf("community %s was never asked for: a process was starved", com.Numeric())
		}
	}
	if len(reqs) < 2*sharedLimit.Requests {
		t.Fatalf("only %d requests in the window; the test needs the processes to contend", len(reqs))
	}
	if st := fake.RateLimiter().Stats(); st.Limited != 0 {
		t.Errorf("the fake answered %d of %d requests 429: the processes together exceeded the key's limit", st.Limited, len(reqs))
	}
	if n := busiest(reqs, sharedLimit.Per); n > sharedLimit.Requests+replicas {
		t.Errorf("%d requests in one %s at the fake; limit %d plus a burst of one per process", n, sharedLimit.Per, sharedLimit.Requests)
	}
	var leases int64
	dbtest.Must(t, dbtest.DB(dbtest.Open(t, dsn)).Raw("SELECT count(*) FROM rate_leases").Scan(&leases).Error, "count leases")
	if leases != 0 {
		t.Errorf("%d leases left after every process stopped; each releases its own", leases)
	}
}
