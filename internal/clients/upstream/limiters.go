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

// Get returns the limiter for tenant and api, creating it or updating its rate to requests per
// per with the given burst (burst 0 = 1). requests <= 0 means unlimited.
func (l *Limiters) Get(tenant, api string, requests int, per time.Duration, burst int) *rate.Limiter {
	lim, b := rate.Inf, max(burst, 1)
	if requests > 0 && per > 0 {
		lim = rate.Limit(float64(requests) / per.Seconds())
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
