package upstream

import (
	"context"
	"math"
	"time"

	"go.uber.org/zap"
)

// Lease is what a process tells the coordinator about one credential it uses.
type Lease struct {
	// Key identifies the credential (BucketSpec.Key); API and Label name it.
	Key, API, Label string
	// Configured is the credential's configured rate per second, the total for all processes.
	Configured float64
	// Factor is this process's adaptive factor; Effective what it may send per second
	// (Configured × Factor × its share).
	Factor, Effective float64
}

// LeaseGrant is the coordinator's answer for one credential.
type LeaseGrant struct {
	// Lessees counts the live leases of the credential, this process's included.
	Lessees int
	// ReadyAt is when this process may start sending on its share: when it joins a credential
	// that others hold, after every other lessee has renewed (and cut its share) once.
	ReadyAt time.Time
}

// LeaseStore keeps the leases, shared by every process that calls the upstreams (internal/models
// implements it on the rate_leases table). On a store that only one process uses (SQLite) every
// grant is one lessee, ready at once.
type LeaseStore interface {
	// RenewRateLeases creates or renews holder's leases (expiring after ttl; a new one that
	// finds other live lessees becomes ready after joinDelay) and returns a grant per key.
	RenewRateLeases(ctx context.Context, holder string, leases []Lease, ttl, joinDelay time.Duration) (map[string]LeaseGrant, error)
	// ReleaseRateLeases deletes holder's leases of keys (all of holder's when keys is nil).
	ReleaseRateLeases(ctx context.Context, holder string, keys []string) error
}

// Holder is the name this set's leases are held under.
func (l *Limiters) Holder() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.holder
}

// Coordinate shares each credential's budget with the other processes through store: every
// LeaseInterval it renews a lease on each credential used in the last idleAfter and sets each
// bucket's share to 1/n of n live lessees (0 until its lease is ready, and 0 once its lease lapses
// unrenewed, since the others then take its part). Call it once, before the first Wait; process
// names this process in the holder (procid), to which a random suffix is added so that sets in
// one OS process differ. stop ends the renewals, releases the leases and returns when done.
func (l *Limiters) Coordinate(store LeaseStore, process string, log *zap.Logger) (stop func()) {
	if log == nil {
		log = zap.NewNop()
	}
	l.mu.Lock()
	l.store, l.log = store, log
	if process != "" {
		l.holder = process + "#" + l.holder
	}
	for _, b := range l.buckets {
		b.mu.Lock()
		if !math.IsInf(b.spec.Configured(), 1) {
			b.share, b.leased = 0, false
		}
		b.mu.Unlock()
	}
	l.mu.Unlock()

	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		ticker := time.NewTicker(LeaseInterval)
		defer ticker.Stop()
		for {
			l.renew(ctx)
			select {
			case <-ctx.Done():
				rctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
				if err := store.ReleaseRateLeases(rctx, l.Holder(), nil); err != nil {
					log.Warn("releasing rate leases", zap.Error(err))
				}
				cancel()
				return
			case <-ticker.C:
			case <-l.kick:
			}
		}
	}()
	return func() { cancel(); <-done }
}

func (l *Limiters) kickLeases() {
	select {
	case l.kick <- struct{}{}:
	default:
	}
}

func (l *Limiters) renew(ctx context.Context) {
	l.mu.Lock()
	store, holder := l.store, l.holder
	var active, idle []*Bucket
	for _, b := range l.buckets {
		b.mu.Lock()
		switch {
		case math.IsInf(b.spec.Configured(), 1):
			b.share = 1
		case b.running || time.Since(b.lastUsed) < idleAfter:
			active = append(active, b)
		case b.leased:
			idle = append(idle, b)
		}
		b.mu.Unlock()
	}
	l.mu.Unlock()
	if store == nil {
		return
	}

	if len(idle) > 0 {
		keys := make([]string, len(idle))
		for i, b := range idle {
			keys[i] = b.Spec().Key
		}
		if err := store.ReleaseRateLeases(ctx, holder, keys); err != nil {
			l.log.Warn("releasing idle rate leases", zap.Error(err))
		} else {
			for _, b := range idle {
				b.mu.Lock()
				b.leased, b.share = false, 0
				b.mu.Unlock()
			}
		}
	}
	if len(active) == 0 {
		return
	}
	leases := make([]Lease, len(active))
	for i, b := range active {
		b.mu.Lock()
		b.adjust(time.Now())
		s := b.stateLocked()
		leases[i] = Lease{Key: b.spec.Key, API: b.spec.API, Label: b.spec.Label, Configured: s.Configured,
			Factor: s.Factor, Effective: s.Configured * s.Factor * b.share}
		b.mu.Unlock()
	}
	now := time.Now()
	grants, err := store.RenewRateLeases(ctx, holder, leases, LeaseTTL, LeaseJoinDelay)
	if err != nil {
		if ctx.Err() == nil {
			l.log.Warn("renewing rate leases", zap.Error(err))
		}
		for _, b := range active {
			b.mu.Lock()
			// The others stop counting this process once its lease expires: stop before that.
			if now.Sub(b.renewed) > LeaseTTL-LeaseInterval {
				b.share = 0
			}
			b.mu.Unlock()
		}
		return
	}
	for _, b := range active {
		b.mu.Lock()
		g, ok := grants[b.spec.Key]
		if ok {
			if g.ReadyAt.After(now) && !g.ReadyAt.Equal(b.readyAt) {
				// Joining others: start from an empty bucket, no burst on top of what they sent
				// at their old shares.
				b.tokens, b.last = 0, g.ReadyAt
			}
			b.leased, b.renewed, b.readyAt = true, now, g.ReadyAt
			b.share = 1 / float64(max(1, g.Lessees))
		}
		b.mu.Unlock()
		b.poke()
		b.report()
	}
}
