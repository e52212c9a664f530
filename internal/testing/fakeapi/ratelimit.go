package fakeapi

import (
	"math"
	"net/http"
	"strconv"
	"sync"
	"time"
)

// RateLimit allows Requests per Per for each credential, like an upstream's per-token limit.
type RateLimit struct {
	Requests int
	Per      time.Duration
}

// RateLimitStats counts the limiter's decisions.
type RateLimitStats struct {
	Allowed int // requests passed on
	Limited int // requests answered 429
}

// RateLimiter enforces a RateLimit per credential with a sliding window log: a request is allowed
// when fewer than Requests requests were allowed in the Per before it. That is exact (no burst at
// window edges), which is what a benchmark of client-side limiting wants to measure against.
// It is safe for concurrent use.
type RateLimiter struct {
	limit RateLimit

	mu    sync.Mutex
	log   map[string][]time.Time // allowed request times per credential, oldest first
	stats RateLimitStats
}

// NewRateLimiter returns a limiter for rl. Requests < 1 or Per <= 0 disables limiting (every
// request is allowed and counted).
func NewRateLimiter(rl RateLimit) *RateLimiter {
	return &RateLimiter{limit: rl, log: map[string][]time.Time{}}
}

// Stats returns the counts so far.
func (l *RateLimiter) Stats() RateLimitStats {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.stats
}

// Middleware answers 429 with Retry-After (whole seconds until the oldest request in the window
// expires) above the limit, and sets X-Ratelimit-Limit on every answer, as RentEngine was seen to.
func (l *RateLimiter) Middleware(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		wait, ok := l.allow(credential(r), time.Now())
		if l.limit.Requests > 0 {
			w.Header().Set("X-Ratelimit-Limit", strconv.Itoa(l.limit.Requests))
		}
		if !ok {
			w.Header().Set("Retry-After", strconv.Itoa(max(1, int(math.Ceil(wait.Seconds())))))
			WriteJSON(w, http.StatusTooManyRequests, map[string]string{"error": "Too Many Requests"})
			return
		}
		next.ServeHTTP(w, r)
	})
}

// allow records a request at now and reports whether it is within the limit, or how long until
// it would be.
func (l *RateLimiter) allow(key string, now time.Time) (time.Duration, bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.limit.Requests < 1 || l.limit.Per <= 0 {
		l.stats.Allowed++
		return 0, true
	}
	times := l.log[key]
	cutoff := now.Add(-l.limit.Per)
	i := 0
	for i < len(times) && !times[i].After(cutoff) {
		i++
	}
	times = times[i:]
	if len(times) >= l.limit.Requests {
		l.log[key] = times
		l.stats.Limited++
		return times[0].Add(l.limit.Per).Sub(now), false
	}
	l.log[key] = append(times, now)
	l.stats.Allowed++
	return 0, true
}

// credential identifies the caller: the Authorization header (bearer token or Basic key), else
// X-API-Key. Requests with neither share one anonymous budget.
func credential(r *http.Request) string {
	if v := r.Header.Get("Authorization"); v != "" {
		return v
	}
	return r.Header.Get("X-API-Key")
}
