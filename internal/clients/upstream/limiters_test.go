package upstream

import (
	"context"
	"math"
	"sync"
	"testing"
	"time"
)

func TestBucketsAreKeyedByCredentialAndAdjustedInPlace(t *testing.T) {
	l := NewLimiters()
	spec := BucketSpec{Key: "funnel https://f.example abc", API: "funnel", Label: "partner", Requests: 20, Per: 5 * time.Second, Burst: 1}
	a := l.Get("acme", spec)
	b := l.Get("beta", spec)
	if a.Bucket() != b.Bucket() {
		t.Fatal("two tenants with one credential must share its bucket")
	}
	other := spec
	other.Key = "funnel https://f.example def"
	if l.Get("acme", other).Bucket() == a.Bucket() {
		t.Fatal("another credential needs its own bucket")
	}
	if got := a.Bucket().rate(); math.Abs(got-4*(1-Headroom)) > 1e-9 {
		t.Fatalf("pacing %v/s, want 4/s less the headroom", got)
	}
	// A reload changes the rate of the bucket jobs are already waiting on.
	spec.Requests, spec.Per, spec.Burst = 10, time.Second, 3
	if c := l.Get("acme", spec); c.Bucket() != a.Bucket() || a.Bucket().State().Configured != 10 || a.Bucket().Spec().Burst != 3 {
		t.Fatalf("reload did not adjust in place: %+v", a.Bucket().Spec())
	}
	if s := a.Bucket().Spec(); s.MinFraction != DefaultMinFraction {
		t.Errorf("min fraction %v, want the default %v", s.MinFraction, DefaultMinFraction)
	}
	if u := l.Get("open", BucketSpec{Key: "open"}); !math.IsInf(u.Bucket().rate(), 1) {
		t.Errorf("no limit configured should mean unlimited, got %v", u.Bucket().rate())
	}
	l.Retain([]string{other.Key})
	if l.Bucket(spec.Key) != nil || l.Bucket(other.Key) == nil {
		t.Error("Retain must drop exactly the buckets of credentials not kept")
	}
}

// waitQueued waits until tenant has n requests queued on b.
func waitQueued(t *testing.T, b *Bucket, tenant string, n int) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(time.Millisecond) {
		b.mu.Lock()
		got := len(b.queues[tenant])
		b.mu.Unlock()
		if got >= n {
			return
		}
	}
	t.Fatalf("%s never had %d requests queued", tenant, n)
}

// A tenant with a long queue cannot starve another: the waiting tenants take turns.
func TestTenantsTakeTurns(t *testing.T) {
	l := NewLimiters()
	spec := BucketSpec{Key: "k", Requests: 50, Per: time.Second, Burst: 1}
	big, small := l.Get("big", spec), l.Get("small", spec)
	b := big.Bucket()
	b.mu.Lock()
	b.share, b.tokens = 0, 0 // nothing goes before both are queued
	b.mu.Unlock()

	var mu sync.Mutex
	var order []string
	var wg sync.WaitGroup
	run := func(tu *Turn, name string) {
		defer wg.Done()
		if err := tu.Wait(context.Background()); err != nil {
			t.Error(err)
			return
		}
		mu.Lock()
		order = append(order, name)
		mu.Unlock()
	}
	for i := range 20 {
		wg.Add(1)
		go run(big, "big")
		waitQueued(t, b, "big", i+1)
	}
	for i := range 3 {
		wg.Add(1)
		go run(small, "small")
		waitQueued(t, b, "small", i+1)
	}
	b.mu.Lock()
	b.share = 1
	b.mu.Unlock()
	b.poke()
	wg.Wait()
	// Round robin: small's 3 requests go within the first 7 grants, whatever big has queued.
	last := -1
	for i, name := range order {
		if name == "small" {
			last = i
		}
	}
	if len(order) != 23 || last > 6 {
		t.Errorf("grant order %v: small's last request went %dth, want within the first 7", order, last+1)
	}
}

func TestWaitEndsWithContext(t *testing.T) {
	l := NewLimiters()
	tu := l.Get("a", BucketSpec{Key: "k", Requests: 1, Per: time.Hour, Burst: 1})
	if err := tu.Wait(context.Background()); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := tu.Wait(ctx); err == nil {
		t.Fatal("a wait past the budget must end with its context")
	}
	ctx, cancel = context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	if err := tu.Wait(ctx); err != context.DeadlineExceeded {
		t.Fatalf("err = %v, want the deadline", err)
	}
}

// A 429 cuts the factor multiplicatively, once per cool-down, not below the floor; it then
// climbs additively to just under the rate that drew the 429, and after a quiet spell back to 1.
func TestAdaptiveRate(t *testing.T) {
	l := NewLimiters()
	b := l.Apply(BucketSpec{Key: "k", Requests: 10, Per: time.Second, Burst: 1, MinFraction: 0.3})
	t0 := b.adjusted
	b.Limited(t0)
	if b.factor != DecreaseFactor || b.ceiling != 1 {
		t.Fatalf("after a 429 factor %v ceiling %v, want %v and 1", b.factor, b.ceiling, DecreaseFactor)
	}
	b.Limited(t0.Add(100 * time.Millisecond))
	if b.factor < DecreaseFactor {
		t.Errorf("a second 429 within the cool-down cut again: factor %v", b.factor)
	}
	for i := 1; i <= 10; i++ {
		b.Limited(t0.Add(time.Duration(i) * 2 * time.Second))
	}
	if b.factor != 0.3 {
		t.Errorf("factor %v after many 429s, want the floor 0.3", b.factor)
	}
	ceiling := b.ceiling
	last := t0.Add(20 * time.Second)
	b.adjust(last.Add(10 * time.Second))
	hold := max(0.3, ceiling*CeilingMargin)
	if want := 0.3 + 10*IncreasePerSecond; math.Abs(b.factor-min(want, hold)) > 1e-9 {
		t.Errorf("factor %v 10s later, want additive increase to %v", b.factor, want)
	}
	b.adjust(last.Add(2 * time.Minute))
	if math.Abs(b.factor-hold) > 1e-9 {
		t.Errorf("factor %v, want it held just under the ceiling %v", b.factor, ceiling)
	}
	b.adjust(last.Add(QuietBeforeProbe + 30*time.Minute))
	if b.factor != 1 || b.ceiling != 1 {
		t.Errorf("factor %v ceiling %v long after the last 429, want both back at 1", b.factor, b.ceiling)
	}
	if s := b.State(); s.Effective != 10 || s.Limited != 12 {
		t.Errorf("state %+v, want effective 10 and 12 429s counted", s)
	}
}

// memLeases is a LeaseStore in memory, shared by several Limiters like the rate_leases table.
type memLeases struct {
	mu   sync.Mutex
	rows map[string]map[string]memLease // key -> holder -> lease
}

type memLease struct {
	expires, ready time.Time
	effective      float64
}

func (m *memLeases) RenewRateLeases(_ context.Context, holder string, leases []Lease, ttl, join time.Duration) (map[string]LeaseGrant, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	now := time.Now()
	out := map[string]LeaseGrant{}
	for _, le := range leases {
		rows := m.rows[le.Key]
		if rows == nil {
			rows = map[string]memLease{}
			m.rows[le.Key] = rows
		}
		live := 0
		for h, r := range rows {
			if r.expires.After(now) && h != holder {
				live++
			}
		}
		r, ok := rows[holder]
		if !ok || !r.expires.After(now) {
			r.ready = now
			if live > 0 {
				r.ready = now.Add(join)
			}
		}
		r.expires, r.effective = now.Add(ttl), le.Effective
		rows[holder] = r
		out[le.Key] = LeaseGrant{Lessees: live + 1, ReadyAt: r.ready}
	}
	return out, nil
}

func (m *memLeases) ReleaseRateLeases(_ context.Context, holder string, keys []string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	for k, rows := range m.rows {
		if keys == nil || contains(keys, k) {
			delete(rows, holder)
		}
	}
	return nil
}

func contains(s []string, v string) bool {
	for _, x := range s {
		if x == v {
			return true
		}
	}
	return false
}

// Processes that use one credential split its budget; one that joins waits until the others
// have cut their shares; one that leaves hands its share back.
func TestLeasesSplitTheBudget(t *testing.T) {
	store := &memLeases{rows: map[string]map[string]memLease{}}
	spec := BucketSpec{Key: "k", Requests: 30, Per: time.Second, Burst: 3}
	ctx := context.Background()
	var procs []*Limiters
	stops := map[*Limiters]func(){}
	for range 3 {
		l := NewLimiters()
		stops[l] = l.Coordinate(store, "test", nil)
		procs = append(procs, l)
	}
	defer func() {
		for _, stop := range stops {
			stop()
		}
	}()
	for _, l := range procs {
		if err := l.Get("t", spec).Wait(ctx); err != nil {
			t.Fatal(err)
		}
	}
	// Every process learns of the others within a lease interval or two.
	shareOf := func(l *Limiters) float64 { return l.Bucket("k").State().Share }
	waitFor := func(what string, ok func() bool) {
		t.Helper()
		for deadline := time.Now().Add(20 * time.Second); time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
			if ok() {
				return
			}
		}
		t.Fatalf("never: %s (shares %v %v %v)", what, shareOf(procs[0]), shareOf(procs[1]), shareOf(procs[2]))
	}
	waitFor("each holds a third", func() bool {
		for _, l := range procs {
			if math.Abs(shareOf(l)-1.0/3) > 1e-9 {
				return false
			}
		}
		return true
	})
	if h := procs[0].Holder(); h == procs[1].Holder() || len(h) < len("test#") || h[:5] != "test#" {
		t.Errorf("holders %q and %q must differ and name the process", h, procs[1].Holder())
	}
	stops[procs[2]]()
	stops[procs[2]] = func() {}
	waitFor("the other two hold a half each after one leaves", func() bool {
		return math.Abs(shareOf(procs[0])-0.5) < 1e-9 && math.Abs(shareOf(procs[1])-0.5) < 1e-9
	})
	store.mu.Lock()
	n := len(store.rows["k"])
	store.mu.Unlock()
	if n != 2 {
		t.Errorf("%d lease rows after a process left, want 2 (it releases its lease)", n)
	}
}

// n processes pacing a credential independently each may send a saved-up token on top of their
// rate in any period; their shares leave room for that, so the total stays within the limit.
func TestSharesLeaveRoomForEachProcessBurst(t *testing.T) {
	for _, tc := range []struct {
		requests int
		per      time.Duration
		n        int
	}{{20, time.Second, 1}, {20, time.Second, 3}, {50, time.Second, 4}, {20, 5 * time.Second, 2}, {100, time.Minute, 7}} {
		b := NewLimiters().Apply(BucketSpec{Key: "k", Requests: tc.requests, Per: tc.per, Burst: 1})
		b.share = 1 / float64(tc.n)
		worst := float64(tc.n) * (b.rate()*tc.per.Seconds() + 1)
		if worst > float64(tc.requests)+1e-9 {
			t.Errorf("%d per %s over %d processes: at worst %.2f in one period", tc.requests, tc.per, tc.n, worst)
		}
		if fair := float64(tc.requests) / tc.per.Seconds() / float64(tc.n); b.rate() < 0.6*fair {
			t.Errorf("%d per %s over %d processes: %.3f/s each, far below the fair %.3f/s", tc.requests, tc.per, tc.n, b.rate(), fair)
		}
	}
}
