package bench

import (
	"context"
	"fmt"
	"net/http"
	"time"

	"github.com/syncd-dev/syncd/internal/clients/upstream"
	syncer "github.com/syncd-dev/syncd/internal/sync"
	"github.com/syncd-dev/syncd/internal/tenants"
	"github.com/syncd-dev/syncd/internal/testing/fakeapi"
	"github.com/syncd-dev/syncd/internal/testing/rentenginefake"
)

// RateLimitConfig lists the limits to measure.
type RateLimitConfig struct {
	Limits []RateLimitCase
}

// RateLimitCase is one limit: the tenant's rentengine.rate_limit is Requests per Per with burst 1
// (the built-in default's burst), and the fake answers 429 to the request that would be the
// (Requests+1)-th within any window of Per. Pages sizes the fake so that one pull makes about
// that many requests.
type RateLimitCase struct {
	Requests int
	Per      time.Duration
	Pages    int
}

// Rate is Requests/Per in requests per second.
func (c RateLimitCase) Rate() float64 { return float64(c.Requests) / c.Per.Seconds() }

// RateLimitRun is one case's outcome.
type RateLimitRun struct {
	Case RateLimitCase
	// Requests is how many requests reached the fake, Limited how many it answered 429, Retries
	// how many retries the client made.
	Requests, Limited int
	Retries           int64
	// Span is the time from the first request's arrival to the last's; Achieved is
	// (Requests-1)/Span, the rate the fake saw.
	Span     time.Duration
	Achieved float64
	Ratio    float64 // Achieved / Case.Rate()
	Load     string
}

// RateLimitResult is the scenario's outcome.
type RateLimitResult struct {
	Runs []RateLimitRun
}

func (h *harness) rateLimit(ctx context.Context) (*RateLimitResult, error) {
	res := &RateLimitResult{}
	for i, c := range h.cfg.RateLimit.Limits {
		run, err := h.rateLimitCase(ctx, i, c)
		if err != nil {
			return res, err
		}
		h.logf("limit %d/%s: %d requests in %s = %.2f/s (%.3f of %.2f/s), %d answered 429, %d retries; load %s",
			c.Requests, c.Per, run.Requests, run.Span.Round(time.Millisecond), run.Achieved, run.Ratio, c.Rate(),
			run.Limited, run.Retries, run.Load)
		res.Runs = append(res.Runs, run)
	}
	return res, nil
}

func (h *harness) rateLimitCase(ctx context.Context, i int, c RateLimitCase) (RateLimitRun, error) {
	run := RateLimitRun{Case: c}
	const token = "bench-ratelimit"
	fake := rentenginefake.NewUnstarted(rentenginefake.Options{Token: token,
		RateLimit: &fakeapi.RateLimit{Requests: c.Requests, Per: c.Per}})
	// Each resource ends with a short page, so records = pages*100 less a little gives Pages
	// requests. Split 10% units, 30% prospects, 60% events, as the ingest data is roughly shaped.
	records := max(c.Pages-3, 1) * 100
	seedRentEngine(fake, int64(500+i), records/10, records*3/10, records*6/10)
	if err := fake.Start(); err != nil {
		return run, err
	}
	defer fake.Close()

	dsn, drop, err := h.newDB(ctx)
	if err != nil {
		return run, err
	}
	defer drop()
	store, err := openStore(ctx, dsn, 0, h.cfg.Log)
	if err != nil {
		return run, err
	}
	defer store.Close()
	t := &tenants.Tenant{ID: "limited", RunTimeout: time.Hour,
		RentEngine: &tenants.RentEngine{BaseURL: fake.BaseURL(), Token: tenants.NewSecret(token),
			RateLimit: &tenants.RateLimit{Requests: c.Requests, Per: c.Per, Burst: 1}}}
	runner := syncer.NewRunner(syncer.Config{Store: store, Limiters: upstream.NewLimiters(), Host: "bench"}, h.cfg.Log)
	h.logf("pulling ~%d pages at %d per %s", c.Pages, c.Requests, c.Per)
	sr, err := runner.Run(ctx, t, tenants.JobRentEngine)
	if err != nil {
		return run, err
	}
	run.Retries = sr.Retries
	stats := fake.RateLimiter().Stats()
	run.Limited = stats.Limited
	var first, last time.Time
	for _, r := range fake.Requests() {
		if r.Status != http.StatusOK {
			continue
		}
		run.Requests++
		if first.IsZero() || r.At.Before(first) {
			first = r.At
		}
		if r.At.After(last) {
			last = r.At
		}
	}
	if run.Requests < 2 {
		return run, fmt.Errorf("only %d requests reached the fake", run.Requests)
	}
	run.Span = last.Sub(first)
	run.Achieved = float64(run.Requests-1) / run.Span.Seconds()
	run.Ratio = run.Achieved / c.Rate()
	run.Load = loadAvg()
	return run, nil
}
