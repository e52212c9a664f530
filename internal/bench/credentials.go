package bench

import (
	"context"
	"fmt"
	"math/rand/v2"
	"net/http"
	"slices"
	"strings"
	gosync "sync"
	"time"

	"github.com/syncd-dev/syncd/internal/clients/upstream"
	"github.com/syncd-dev/syncd/internal/models"
	syncer "github.com/syncd-dev/syncd/internal/sync"
	"github.com/syncd-dev/syncd/internal/tenants"
	"github.com/syncd-dev/syncd/internal/testing/fakeapi"
	"github.com/syncd-dev/syncd/internal/testing/funnelfake"
)

// The credential scenarios (issue 15): many tenants on one Funnel partner key whose limit the
// fake enforces per key, pulled in a loop for a fixed time so that every tenant stays active for
// the whole window. Rates are measured at the fake: the requests it answered 200 with arrival
// times in the window.

// SharedKeyConfig sizes the shared-key scenario: Tenants on one key limited to Requests per Per,
// all started at once and pulling for Duration.
type SharedKeyConfig struct {
	Tenants  int
	Requests int
	Per      time.Duration
	Duration time.Duration
}

// SharedKeyResult is its outcome.
type SharedKeyResult struct {
	Config SharedKeyConfig
	// Requests answered 200 in the window, Limited answered 429.
	Requests, Limited int
	// Achieved is the rate the fake saw over the window; Ratio Achieved / the limit.
	Achieved, Ratio float64
	// MaxWindow is the most requests the fake answered 200 in any window of Per.
	MaxWindow int
	// FirstWait is each tenant's wait from the start to its first request at the fake:
	// the smallest tenant's, the mean and the largest.
	SmallestFirstWait, MeanFirstWait, MaxFirstWait time.Duration
	// TenantRequests is the fewest and most requests one tenant made.
	MinTenantRequests, MaxTenantRequests int
	Load                                 string
}

// ReplicasConfig sizes the replicas scenario: Replicas processes (runners with their own rate
// budgets, leasing shares through one Postgres) pull Tenants on one key limited to Requests per
// Per for Duration, each replica its share of the tenants; after OneOffAfter a one-off command (a
// fourth process) pulls one more tenant on the same key until the end.
type ReplicasConfig struct {
	Replicas    int
	Tenants     int
	Requests    int
	Per         time.Duration
	Duration    time.Duration
	OneOffAfter time.Duration
	// FakeSlack is how many requests per period the fake allows above Requests. The full run
	// has none. The smoke test, on a shared CI machine, allows one per process, as the
	// acceptance test in internal/sync does: over a few seconds a process's timer that fires late
	// and then catches up can put its one-request burst into a neighbour's window, which the
	// fake's exact window would answer 429 though the budget held over the period. What it
	// counts (MaxWindow) is still checked against R plus a burst per process.
	FakeSlack int
}

// ReplicasResult is its outcome.
type ReplicasResult struct {
	Config            ReplicasConfig
	Requests, Limited int
	Achieved, Ratio   float64
	MaxWindow         int
	// OneOffRequests is how many requests the one-off made.
	OneOffRequests int
	Load           string
}

// AdaptiveConfig sizes the adaptive scenario: Tenants on one key configured for Requests per
// Per, against a fake whose real limit is RealRequests per Per, for Duration.
type AdaptiveConfig struct {
	Tenants      int
	Requests     int
	RealRequests int
	Per          time.Duration
	Duration     time.Duration
}

// AdaptiveResult is its outcome.
type AdaptiveResult struct {
	Config  AdaptiveConfig
	Limited int
	// FirstLimited and LastLimited are when the first and the last 429 were answered, from the
	// start.
	FirstLimited, LastLimited time.Duration
	// Settled is the effective rate (per second) averaged over the last third of the run, with
	// its lowest and highest sample; Real is the fake's limit per second.
	Settled, SettledMin, SettledMax, Real float64
	// Achieved is the rate the fake answered 200 over the last third.
	Achieved float64
	Load     string
}

// funnelFleet is a Funnel fake with one community per tenant and tenants that all use its key.
type funnelFleet struct {
	fake    *funnelfake.Server
	tenants []*tenants.Tenant
	// community maps a community id to its tenant's index.
	community map[string]int
}

const fleetKey = "bench-partner-key"

// newFunnelFleet seeds n communities of decreasing size (the first tenant the largest, the last
// the smallest) behind a fake that allows limit per key, and n tenants configured for
// requests per per on its key.
func newFunnelFleet(n int, limit fakeapi.RateLimit, requests int, per time.Duration, seed int64) (*funnelFleet, error) {
	fake := funnelfake.NewUnstarted(funnelfake.Options{APIKey: fleetKey, RateLimit: &limit})
	for i := range n {
		size := max(1, 400/(i+1))
		funnelfake.Seed(fake, funnelfake.SeedOptions{Seed: seed + int64(i), Communities: 1, ProspectsPerCommunity: size,
			RenewalsPerCommunity: max(1, size/4), AppointmentsPerCommunity: max(1, size/4)})
	}
	if err := fake.Start(); err != nil {
		return nil, err
	}
	f := &funnelFleet{fake: fake, community: map[string]int{}}
	for i, c := range fake.Communities() {
		id := c.Numeric()
		f.community[id] = i
		f.tenants = append(f.tenants, &tenants.Tenant{ID: fmt.Sprintf("t%02d", i), RunTimeout: time.Hour,
			Funnel: &tenants.Funnel{BaseURL: fake.BaseURL(), APIKey: tenants.NewSecret(fleetKey), Auth: tenants.FunnelAuthBasic,
				Communities: []string{id}, CredentialLabel: "partner",
				RateLimit: &tenants.RateLimit{Requests: requests, Per: per, Burst: 1, MinFraction: tenants.DefaultMinFraction}}})
	}
	return f, nil
}

// tenantOf returns the index of the tenant a request was for, or -1.
func (f *funnelFleet) tenantOf(r fakeapi.Request) int {
	_, rest, ok := strings.Cut(r.Path, "/community/")
	if !ok {
		return -1
	}
	id, _, _ := strings.Cut(rest, "/")
	if i, ok := f.community[id]; ok {
		return i
	}
	return -1
}

// pullUntil pulls t's Funnel data again and again until the deadline; runs cut short by it do
// not count as failures.
func pullUntil(ctx context.Context, r *syncer.Runner, t *tenants.Tenant, until time.Time) error {
	ctx, cancel := context.WithDeadline(ctx, until)
	defer cancel()
	for ctx.Err() == nil {
		if _, err := r.Run(ctx, t, tenants.JobFunnel); err != nil && ctx.Err() == nil {
			return fmt.Errorf("pull %s: %w", t.ID, err)
		}
	}
	return nil
}

// window counts the requests answered status in [from, to] and the most of them in any window
// of per.
func window(reqs []fakeapi.Request, status int, from, to time.Time, per time.Duration) (n, most int, times []time.Time) {
	for _, r := range reqs {
		if r.Status == status && !r.At.Before(from) && !r.At.After(to) {
			times = append(times, r.At)
		}
	}
	slices.SortFunc(times, func(a, b time.Time) int { return a.Compare(b) })
	j := 0
	for i := range times {
		for times[i].Sub(times[j]) >= per {
			j++
		}
		most = max(most, i-j+1)
	}
	return len(times), most, times
}

func (h *harness) benchStore(ctx context.Context) (*models.Store, string, func(), error) {
	dsn, drop, err := h.newDB(ctx)
	if err != nil {
		return nil, "", nil, err
	}
	store, err := openStore(ctx, dsn, 0, h.cfg.Log)
	if err != nil {
		drop()
		return nil, "", nil, err
	}
	return store, dsn, func() { store.Close(); drop() }, nil
}

func (h *harness) sharedKey(ctx context.Context) (*SharedKeyResult, error) {
	c := h.cfg.SharedKey
	res := &SharedKeyResult{Config: c}
	fleet, err := newFunnelFleet(c.Tenants, fakeapi.RateLimit{Requests: c.Requests, Per: c.Per}, c.Requests, c.Per, 1500)
	if err != nil {
		return res, err
	}
	defer fleet.fake.Close()
	store, _, done, err := h.benchStore(ctx)
	if err != nil {
		return res, err
	}
	defer done()
	runner := syncer.NewRunner(syncer.Config{Store: store, Limiters: upstream.NewLimiters(), Host: "bench"}, h.cfg.Log)
	defer runner.Stop(context.Background())
	h.logf("%d tenants on one key at %d per %s for %s", c.Tenants, c.Requests, c.Per, c.Duration)

	start := time.Now()
	until := start.Add(c.Duration)
	errs := make([]error, len(fleet.tenants))
	var wg gosync.WaitGroup
	// All start at once, as on a common tick, in a shuffled order: the tenants queued first go
	// first, and the smallest tenant is not always the last to ask.
	order := rand.New(rand.NewPCG(15, 1)).Perm(len(fleet.tenants))
	for _, i := range order {
		t := fleet.tenants[i]
		wg.Go(func() { errs[i] = pullUntil(ctx, runner, t, until) })
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return res, err
		}
	}
	reqs := fleet.fake.Requests()
	var times []time.Time
	res.Requests, res.MaxWindow, times = window(reqs, http.StatusOK, start, until, c.Per)
	res.Limited = fleet.fake.RateLimiter().Stats().Limited
	if len(times) < 2 {
		return res, fmt.Errorf("only %d requests reached the fake", len(times))
	}
	res.Achieved = float64(len(times)-1) / times[len(times)-1].Sub(times[0]).Seconds()
	res.Ratio = res.Achieved / (float64(c.Requests) / c.Per.Seconds())

	first := make([]time.Duration, len(fleet.tenants))
	count := make([]int, len(fleet.tenants))
	for _, r := range reqs {
		i := fleet.tenantOf(r)
		if i < 0 || r.At.After(until) {
			continue
		}
		if count[i] == 0 || r.At.Sub(start) < first[i] {
			first[i] = r.At.Sub(start)
		}
		count[i]++
	}
	var sum time.Duration
	for i := range first {
		if count[i] == 0 {
			return res, fmt.Errorf("tenant %s made no request in %s", fleet.tenants[i].ID, c.Duration)
		}
		sum += first[i]
		res.MaxFirstWait = max(res.MaxFirstWait, first[i])
	}
	res.MeanFirstWait = sum / time.Duration(len(first))
	res.SmallestFirstWait = first[len(first)-1]
	res.MinTenantRequests, res.MaxTenantRequests = slices.Min(count), slices.Max(count)
	res.Load = loadAvg()
	h.logf("%d requests = %.2f/s (%.3f of the limit), %d answered 429, most in one %s: %d; first request: smallest tenant %s, mean %s, max %s; per tenant %d..%d",
		res.Requests, res.Achieved, res.Ratio, res.Limited, c.Per, res.MaxWindow, res.SmallestFirstWait.Round(time.Millisecond),
		res.MeanFirstWait.Round(time.Millisecond), res.MaxFirstWait.Round(time.Millisecond), res.MinTenantRequests, res.MaxTenantRequests)
	return res, nil
}

func (h *harness) replicas(ctx context.Context) (*ReplicasResult, error) {
	c := h.cfg.Replicas
	res := &ReplicasResult{Config: c}
	fleet, err := newFunnelFleet(c.Tenants+1, fakeapi.RateLimit{Requests: c.Requests + c.FakeSlack, Per: c.Per}, c.Requests, c.Per, 1600)
	if err != nil {
		return res, err
	}
	defer fleet.fake.Close()
	_, dsn, done, err := h.benchStore(ctx)
	if err != nil {
		return res, err
	}
	defer done()
	// Each process has its own store (pool), rate budgets and leases, as separate processes do.
	newProcess := func(name string) (*syncer.Runner, func(), error) {
		store, err := openStore(ctx, dsn, 4, h.cfg.Log)
		if err != nil {
			return nil, nil, err
		}
		r := syncer.NewRunner(syncer.Config{Store: store, Limiters: upstream.NewLimiters(), Host: name}, h.cfg.Log)
		stop := r.ShareRateBudgets(h.cfg.Log)
		return r, func() { stop(); r.Stop(context.Background()); store.Close() }, nil
	}
	h.logf("%d replicas + a one-off after %s, %d tenants on one key at %d per %s for %s", c.Replicas, c.OneOffAfter,
		c.Tenants, c.Requests, c.Per, c.Duration)
	start := time.Now()
	until := start.Add(c.Duration)
	var wg gosync.WaitGroup
	var mu gosync.Mutex
	var firstErr error
	fail := func(err error) {
		mu.Lock()
		defer mu.Unlock()
		if firstErr == nil {
			firstErr = err
		}
	}
	for p := range c.Replicas {
		r, stop, err := newProcess(fmt.Sprintf("replica-%d", p))
		if err != nil {
			return res, err
		}
		defer stop()
		for i := p; i < c.Tenants; i += c.Replicas {
			t := fleet.tenants[i]
			wg.Go(func() {
				if err := pullUntil(ctx, r, t, until); err != nil {
					fail(err)
				}
			})
		}
	}
	oneOff := fleet.tenants[c.Tenants]
	wg.Go(func() {
		select {
		case <-time.After(c.OneOffAfter):
		case <-ctx.Done():
			return
		}
		r, stop, err := newProcess("one-off")
		if err != nil {
			fail(err)
			return
		}
		defer stop()
		if err := pullUntil(ctx, r, oneOff, until); err != nil {
			fail(err)
		}
	})
	wg.Wait()
	if firstErr != nil {
		return res, firstErr
	}
	reqs := fleet.fake.Requests()
	var times []time.Time
	res.Requests, res.MaxWindow, times = window(reqs, http.StatusOK, start, until, c.Per)
	res.Limited = fleet.fake.RateLimiter().Stats().Limited
	if len(times) < 2 {
		return res, fmt.Errorf("only %d requests reached the fake", len(times))
	}
	// Over the whole window from the start, joins included.
	res.Achieved = float64(len(times)) / c.Duration.Seconds()
	res.Ratio = res.Achieved / (float64(c.Requests) / c.Per.Seconds())
	for _, r := range reqs {
		if fleet.tenantOf(r) == c.Tenants {
			res.OneOffRequests++
		}
	}
	res.Load = loadAvg()
	h.logf("%d requests = %.2f/s (%.3f of the limit), %d answered 429, most in one %s: %d (limit %d); the one-off made %d",
		res.Requests, res.Achieved, res.Ratio, res.Limited, c.Per, res.MaxWindow, c.Requests, res.OneOffRequests)
	return res, nil
}

func (h *harness) adaptive(ctx context.Context) (*AdaptiveResult, error) {
	c := h.cfg.Adaptive
	res := &AdaptiveResult{Config: c, Real: float64(c.RealRequests) / c.Per.Seconds()}
	fleet, err := newFunnelFleet(c.Tenants, fakeapi.RateLimit{Requests: c.RealRequests, Per: c.Per}, c.Requests, c.Per, 1700)
	if err != nil {
		return res, err
	}
	defer fleet.fake.Close()
	store, _, done, err := h.benchStore(ctx)
	if err != nil {
		return res, err
	}
	defer done()
	lims := upstream.NewLimiters()
	runner := syncer.NewRunner(syncer.Config{Store: store, Limiters: lims, Host: "bench"}, h.cfg.Log)
	defer runner.Stop(context.Background())
	h.logf("%d tenants on one key configured for %d per %s against a real limit of %d per %s, for %s",
		c.Tenants, c.Requests, c.Per, c.RealRequests, c.Per, c.Duration)

	start := time.Now()
	until := start.Add(c.Duration)
	settleFrom := start.Add(c.Duration * 2 / 3)
	key := fleet.tenants[0].Funnel.Key()
	var samples []float64
	sampled := make(chan struct{})
	go func() {
		defer close(sampled)
		tick := time.NewTicker(250 * time.Millisecond)
		defer tick.Stop()
		for now := range tick.C {
			if now.After(until) {
				return
			}
			if b := lims.Bucket(key); b != nil && now.After(settleFrom) {
				samples = append(samples, b.State().Effective)
			}
		}
	}()
	errs := make([]error, len(fleet.tenants))
	var wg gosync.WaitGroup
	for i, t := range fleet.tenants {
		wg.Go(func() { errs[i] = pullUntil(ctx, runner, t, until) })
	}
	wg.Wait()
	<-sampled
	for _, err := range errs {
		if err != nil {
			return res, err
		}
	}
	reqs := fleet.fake.Requests()
	for _, r := range reqs {
		if r.Status != http.StatusTooManyRequests {
			continue
		}
		res.Limited++
		at := r.At.Sub(start)
		if res.FirstLimited == 0 || at < res.FirstLimited {
			res.FirstLimited = at
		}
		res.LastLimited = max(res.LastLimited, at)
	}
	if len(samples) == 0 {
		return res, fmt.Errorf("no effective-rate samples in the last third")
	}
	var sum float64
	for _, s := range samples {
		sum += s
	}
	res.Settled, res.SettledMin, res.SettledMax = sum/float64(len(samples)), slices.Min(samples), slices.Max(samples)
	n, _, _ := window(reqs, http.StatusOK, settleFrom, until, c.Per)
	res.Achieved = float64(n) / until.Sub(settleFrom).Seconds()
	res.Load = loadAvg()
	h.logf("%d answered 429, the first after %s, the last after %s; effective rate over the last third %.2f/s (%.2f..%.2f; real limit %.2f/s), achieved %.2f/s",
		res.Limited, res.FirstLimited.Round(time.Millisecond), res.LastLimited.Round(time.Millisecond), res.Settled,
		res.SettledMin, res.SettledMax, res.Real, res.Achieved)
	return res, nil
}
