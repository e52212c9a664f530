package upstream

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"math"
	"slices"
	"sync"
	"time"

	"go.uber.org/zap"
)

// Limiter is what a Client waits on before each attempt and tells about each 429.
type Limiter interface {
	// Wait blocks until the request may be sent or ctx ends.
	Wait(ctx context.Context) error
	// Limited reports that the upstream answered a request 429 Too Many Requests.
	Limited()
}

// Limiters holds one rate budget ("bucket") per upstream credential: the API, the base URL and a
// fingerprint of the secret (BucketSpec.Key). Every tenant and job that uses the credential in
// this process waits on the same bucket, and the tenants waiting take turns (round robin), so one
// tenant's long pull cannot starve another's push. A config reload adjusts a bucket in place.
//
// Each bucket's rate is the configured rate, less Headroom, times two fractions:
//   - the adaptive factor: a 429 multiplies it by DecreaseFactor (not below the configured
//     minimum fraction), and it climbs back by IncreasePerSecond of the configured rate per second,
//     at first only to CeilingMargin of the rate that drew the 429, then, after QuietBeforeProbe
//     without a 429, on up to the configured rate;
//   - the share: with a LeaseStore (Coordinate), the processes using a credential each lease a
//     share of its rate, 1/n of it for n live lessees, renewed every LeaseInterval. Without one
//     the share is 1: the process has the whole budget.
type Limiters struct {
	mu      sync.Mutex
	buckets map[string]*Bucket

	holder string
	obs    RateObserver
	log    *zap.Logger

	// coordination, set by Coordinate
	store LeaseStore
	kick  chan struct{}
}

// RateObserver receives the effective rate of each credential (requests per second), whenever it
// changes.
type RateObserver interface {
	SetRateEffective(api, credential string, perSecond float64)
}

// Tuning of the adaptive rate and of the leases.
const (
	// DecreaseFactor multiplies the adaptive factor on a 429.
	DecreaseFactor = 0.75
	// IncreasePerSecond is the additive increase of the factor per second (0.01: from 0.1 back
	// to 1 in 90 seconds, when nothing holds it lower).
	IncreasePerSecond = 0.01
	// CeilingMargin is how far under the factor that drew the last 429 the factor climbs back
	// to: a 429 at a pace only a little above the real limit would otherwise come back, rarely
	// but for minutes.
	CeilingMargin = 0.9
	// QuietBeforeProbe is how long after the last 429 the factor stays under the rate that drew
	// it; after that the ceiling rises by a tenth of IncreasePerSecond per second.
	QuietBeforeProbe = 5 * time.Minute
	// DefaultMinFraction is the floor of the factor when the spec leaves it 0.
	DefaultMinFraction = 0.1
	// LeaseInterval is how often leases are renewed; a lease expires after LeaseTTL, and a
	// process that joins a credential others hold waits LeaseJoinDelay before it sends, so that
	// every other lessee has renewed and cut its share first.
	LeaseInterval  = 2 * time.Second
	LeaseTTL       = 3 * LeaseInterval
	LeaseJoinDelay = LeaseInterval + time.Second
	// idleAfter is how long a bucket that nobody waited on keeps its lease.
	idleAfter = 10 * time.Second
)

// NewLimiters returns an empty set whose buckets each have the whole budget of their credential.
func NewLimiters() *Limiters {
	b := make([]byte, 4)
	_, _ = rand.Read(b)
	return &Limiters{buckets: map[string]*Bucket{}, holder: hex.EncodeToString(b), obs: noopRates{}, log: zap.NewNop(),
		kick: make(chan struct{}, 1)}
}

type noopRates struct{}

func (noopRates) SetRateEffective(string, string, float64) {}

// Observe sends effective rates to obs (nil = nowhere).
func (l *Limiters) Observe(obs RateObserver) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if obs == nil {
		obs = noopRates{}
	}
	l.obs = obs
}

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

// BucketSpec describes a credential's budget.
type BucketSpec struct {
	// Key identifies the credential: API, base URL and secret fingerprint, never the secret.
	Key string
	// API and Label name the credential in metrics and status (Label: the config's name for it,
	// or the tenants that use it).
	API, Label string
	// Requests per Per with Burst (0 = 1); Requests <= 0 means unlimited.
	Requests int
	Per      time.Duration
	Burst    int
	// MinFraction is the floor of the adaptive factor (0 = DefaultMinFraction).
	MinFraction float64
}

// Configured is the configured rate in requests per second (+Inf when unlimited).
func (s BucketSpec) Configured() float64 {
	if s.Requests <= 0 || s.Per <= 0 {
		return math.Inf(1)
	}
	return float64(s.Requests) / s.Per.Seconds()
}

// Get returns tenant's handle on the credential's bucket, creating the bucket or adjusting it
// to spec.
func (l *Limiters) Get(tenant string, spec BucketSpec) *Turn {
	return &Turn{b: l.Apply(spec), tenant: tenant}
}

// Apply creates the bucket for spec or adjusts it in place, and returns it.
func (l *Limiters) Apply(spec BucketSpec) *Bucket {
	l.mu.Lock()
	b, ok := l.buckets[spec.Key]
	if !ok {
		b = &Bucket{l: l, queues: map[string][]*waiter{}, factor: 1, ceiling: 1, kick: make(chan struct{}, 1)}
		if l.store == nil || math.IsInf(spec.Configured(), 1) {
			b.share = 1
		}
		l.buckets[spec.Key] = b
	}
	l.mu.Unlock()
	b.configure(spec)
	return b
}

// Retain drops the buckets whose key is not in keys (credentials gone from the config).
func (l *Limiters) Retain(keys []string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	for k := range l.buckets {
		if !slices.Contains(keys, k) {
			delete(l.buckets, k)
		}
	}
}

// Bucket returns the bucket of a key, or nil.
func (l *Limiters) Bucket(key string) *Bucket {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buckets[key]
}

// Turn is one tenant's handle on a bucket: its Wait queues behind the tenant's own earlier
// requests and takes turns with the other tenants.
type Turn struct {
	b      *Bucket
	tenant string
}

// Wait waits for the tenant's turn.
func (t *Turn) Wait(ctx context.Context) error { return t.b.wait(ctx, t.tenant) }

// Limited lowers the credential's effective rate.
func (t *Turn) Limited() { t.b.Limited(time.Now()) }

// Bucket returns the bucket.
func (t *Turn) Bucket() *Bucket { return t.b }

// Bucket is one credential's budget in this process.
type Bucket struct {
	l *Limiters

	mu   sync.Mutex
	spec BucketSpec
	// factor is the adaptive fraction of the configured rate; ceiling the factor that last drew
	// a 429 (1 when none); adjusted is when factor was last brought up to date.
	factor, ceiling float64
	adjusted        time.Time
	lastDecrease    time.Time
	limited         int64 // 429s reported
	// share is this process's fraction of the budget (0 until its lease is ready).
	share   float64
	readyAt time.Time
	renewed time.Time // last successful lease renewal
	leased  bool      // a lease row exists
	// tokens at last; the bucket holds at most burst tokens.
	tokens float64
	last   time.Time
	// queues holds each tenant's waiters in order; ring the tenants with waiters in turn order,
	// next the index of the tenant whose turn is next.
	queues map[string][]*waiter
	ring   []string
	next   int
	// running is set while the dispatcher goroutine runs; kick wakes it early.
	running  bool
	kick     chan struct{}
	lastUsed time.Time
	reported float64
}

type waiter struct {
	ch      chan struct{}
	granted bool
	gone    bool
}

func (b *Bucket) configure(spec BucketSpec) {
	b.mu.Lock()
	if spec.MinFraction <= 0 || spec.MinFraction > 1 {
		spec.MinFraction = DefaultMinFraction
	}
	spec.Burst = max(spec.Burst, 1)
	first := b.spec.Key == ""
	b.spec = spec
	if first {
		b.tokens = float64(spec.Burst)
		b.last = time.Now()
		b.adjusted = b.last
	}
	b.factor = max(b.factor, spec.MinFraction)
	b.mu.Unlock()
	b.poke()
	b.report()
}

// Spec returns the bucket's configuration.
func (b *Bucket) Spec() BucketSpec {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.spec
}

// State is a bucket's current rates.
type State struct {
	// Configured is the configured rate per second (+Inf unlimited); Factor the adaptive
	// fraction; Share this process's fraction; Effective = Configured × Factor × Share, what this
	// process may send (before Headroom).
	Configured, Factor, Share, Effective float64
	Limited                              int64
}

// State returns the bucket's rates now.
func (b *Bucket) State() State {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.adjust(time.Now())
	return b.stateLocked()
}

func (b *Bucket) stateLocked() State {
	c := b.spec.Configured()
	return State{Configured: c, Factor: b.factor, Share: b.share, Effective: c * b.factor * b.share, Limited: b.limited}
}

// Limited lowers the factor after a 429: by DecreaseFactor, at most once per cool-down (the
// requests already sent at the old rate draw 429s of their own), not below the minimum.
func (b *Bucket) Limited(now time.Time) {
	b.mu.Lock()
	b.limited++
	b.adjust(now)
	cool := max(2*b.spec.Per, 2*time.Second)
	if b.lastDecrease.IsZero() || now.Sub(b.lastDecrease) >= cool {
		b.lastDecrease = now
		b.ceiling = b.factor
		b.factor = max(b.spec.MinFraction, b.factor*DecreaseFactor)
		b.tokens = min(b.tokens, 1) // no burst at the old rate
	}
	b.mu.Unlock()
	b.poke()
	b.report()
}

// adjust brings the factor up to now: additive increase toward just under the ceiling, and
// the ceiling itself back up once quiet.
func (b *Bucket) adjust(now time.Time) {
	dt := now.Sub(b.adjusted).Seconds()
	if dt <= 0 {
		return
	}
	b.adjusted = now
	if b.ceiling < 1 && !b.lastDecrease.IsZero() && now.Sub(b.lastDecrease) > QuietBeforeProbe {
		b.ceiling = min(1, b.ceiling+dt*IncreasePerSecond/10)
	}
	target := 1.0
	if b.ceiling < 1 {
		target = max(b.spec.MinFraction, b.ceiling*CeilingMargin)
	}
	if b.factor < target {
		b.factor = min(target, b.factor+dt*IncreasePerSecond)
	}
}

// rate is the pacing rate in requests per second (+Inf when unlimited).
func (b *Bucket) rate() float64 {
	c := b.spec.Configured()
	if math.IsInf(c, 1) {
		return c
	}
	if time.Now().Before(b.readyAt) {
		return 0 // joining: the other lessees have not all cut their shares yet
	}
	r := c * (1 - Headroom) * b.factor
	if b.share >= 1 || b.share <= 0 {
		return r * b.share
	}
	// n processes pacing independently can each send one request more than their rate in a
	// window of Per (a token saved up at its start): n in all, of which Headroom covers one. So
	// each gives up (n-1)/n of a request per window, but never more than half its share.
	n := math.Round(1 / b.share)
	perWindow := r * b.spec.Per.Seconds()
	return max(perWindow/n-(n-1)/n, perWindow/n/2) / b.spec.Per.Seconds()
}

// capacity is the bucket's size: the burst, shared like the rate (at least one request).
func (b *Bucket) capacity() float64 { return max(1, float64(b.spec.Burst)*b.share) }

func (b *Bucket) poke() {
	select {
	case b.kick <- struct{}{}:
	default:
	}
}

// report sends the effective rate to the observer when it changed.
func (b *Bucket) report() {
	b.mu.Lock()
	s := b.stateLocked()
	api, label := b.spec.API, b.spec.Label
	changed := s.Effective != b.reported
	b.reported = s.Effective
	b.mu.Unlock()
	if changed && !math.IsInf(s.Effective, 1) {
		b.l.mu.Lock()
		obs := b.l.obs
		b.l.mu.Unlock()
		obs.SetRateEffective(api, label, s.Effective)
	}
}

func (b *Bucket) wait(ctx context.Context, tenant string) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	w := &waiter{ch: make(chan struct{})}
	b.mu.Lock()
	b.lastUsed = time.Now()
	if len(b.queues[tenant]) == 0 {
		b.ring = append(b.ring, tenant)
	}
	b.queues[tenant] = append(b.queues[tenant], w)
	start := !b.running
	b.running = true
	needLease := !b.leased
	b.mu.Unlock()
	if start {
		go b.dispatch()
	} else {
		b.poke()
	}
	if needLease {
		b.l.kickLeases()
	}
	select {
	case <-w.ch:
		return nil
	case <-ctx.Done():
		b.mu.Lock()
		defer b.mu.Unlock()
		if w.granted {
			return nil // granted as ctx ended: the caller may as well use it
		}
		w.gone = true
		return ctx.Err()
	}
}

// dispatch grants tokens to waiters, one tenant after another, until no one waits.
func (b *Bucket) dispatch() {
	timer := time.NewTimer(time.Hour)
	defer timer.Stop()
	for {
		b.mu.Lock()
		now := time.Now()
		b.adjust(now)
		if !b.hasWaiter() {
			b.running = false
			b.tokens = min(b.tokens, b.capacity())
			b.mu.Unlock()
			return
		}
		r := b.rate()
		if math.IsInf(r, 1) {
			b.grantLocked()
			b.mu.Unlock()
			continue
		}
		if r > 0 && now.After(b.last) {
			// While requests wait, a timer that fires a little late must not cost the tokens it
			// overslept: a fifth of a token of slack keeps the grants on their schedule (never
			// ahead of it). Beyond that a loaded machine slows down, which leaves more of the
			// headroom for its own jitter.
			b.tokens = min(b.capacity()+0.2, b.tokens+now.Sub(b.last).Seconds()*r)
		}
		if now.After(b.last) {
			b.last = now
		}
		if b.tokens >= 1 {
			b.tokens--
			b.grantLocked()
			b.mu.Unlock()
			b.report() // the factor climbs between 429s
			continue
		}
		var d time.Duration
		if r > 0 {
			d = time.Duration((1 - b.tokens) / r * float64(time.Second))
		}
		// Rates change (a 429, a share, a reload): re-evaluate at least every second.
		d = min(max(d, time.Millisecond), time.Second)
		if r <= 0 {
			d = 100 * time.Millisecond
		}
		b.mu.Unlock()
		timer.Reset(d)
		select {
		case <-timer.C:
		case <-b.kick:
			if !timer.Stop() {
				<-timer.C
			}
		}
	}
}

// hasWaiter drops departed waiters at the queue heads and reports whether any remain.
func (b *Bucket) hasWaiter() bool {
	for i := 0; i < len(b.ring); {
		t := b.ring[i]
		q := b.queues[t]
		for len(q) > 0 && q[0].gone {
			q = q[1:]
		}
		if len(q) == 0 {
			delete(b.queues, t)
			b.ring = slices.Delete(b.ring, i, i+1)
			if b.next > i {
				b.next--
			}
			continue
		}
		b.queues[t] = q
		i++
	}
	if b.next >= len(b.ring) {
		b.next = 0
	}
	return len(b.ring) > 0
}

// grantLocked lets the next tenant's oldest waiter go. hasWaiter has just run.
func (b *Bucket) grantLocked() {
	t := b.ring[b.next]
	q := b.queues[t]
	w := q[0]
	w.granted = true
	close(w.ch)
	b.lastUsed = time.Now()
	if len(q) == 1 {
		delete(b.queues, t)
		b.ring = slices.Delete(b.ring, b.next, b.next+1)
	} else {
		b.queues[t] = q[1:]
		b.next++
	}
	if b.next >= len(b.ring) {
		b.next = 0
	}
}
