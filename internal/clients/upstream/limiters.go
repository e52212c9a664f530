package upstream

import (
	"sync"
	"time"

	"golang.org/x/time/rate"
)

// Limiters holds one token bucket per tenant and upstream, shared by all of that tenant's jobs
// (the upstream limits per credential, not per job). A config reload adjusts a bucket in place,
// so jobs already waiting on it see the new rate.
type Limiters struct {
	mu sync.Mutex
	m  map[string]*rate.Limiter
}

// NewLimiters returns an empty set.
func NewLimiters() *Limiters { return &Limiters{m: map[string]*rate.Limiter{}} }

// Headroom is the fraction of a configured rate that is left unused.
//
// A token bucket with burst 1 that is always waited on paces requests exactly per/requests apart,
// so request k and request k+requests leave exactly one period apart. An upstream that counts
// requests in a sliding window of that period then sees both inside one window whenever the
// earlier one spent longer on the way than the later one, which on any network is about every
// other time, and answers 429; each 429 costs a Retry-After of a second or more. Pacing 5% under
// the configured rate leaves a twentieth of the period (50ms at 20 per second, 250ms at 20 per 5s)
// for that jitter, at a cost of 5% of the allowance. The benchmark (docs/BENCHMARKS.md, figure 4)
// measured 0.53 of the allowance with 26 429s at 20 per second without it.
const Headroom = 0.05

// Get returns the limiter for tenant and api, creating it or updating its rate to requests per
// per, less Headroom, with the given burst (burst 0 = 1). requests <= 0 means unlimited.
func (l *Limiters) Get(tenant, api string, requests int, per time.Duration, burst int) *rate.Limiter {
	lim, b := rate.Inf, max(burst, 1)
	if requests > 0 && per > 0 {
		lim = rate.Limit(float64(requests) / per.Seconds() * (1 - Headroom))
	}
	key := tenant + "\x00" + api
	l.mu.Lock()
	defer l.mu.Unlock()
	if rl, ok := l.m[key]; ok {
		if rl.Limit() != lim {
			rl.SetLimit(lim)
		}
		if rl.Burst() != b {
			rl.SetBurst(b)
		}
		return rl
	}
	rl := rate.NewLimiter(lim, b)
	l.m[key] = rl
	return rl
}

// Forget drops a tenant's limiters (the tenant was removed from the config).
func (l *Limiters) Forget(tenant string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	for k := range l.m {
		if len(k) > len(tenant) && k[:len(tenant)] == tenant && k[len(tenant)] == 0 {
			delete(l.m, k)
		}
	}
}
