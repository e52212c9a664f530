package scheduler_test

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"go.uber.org/zap"
	"go.uber.org/zap/zaptest"
	"go.uber.org/zap/zaptest/observer"

	"github.com/syncd-dev/syncd/internal/models"
	"github.com/syncd-dev/syncd/internal/scheduler"
	"github.com/syncd-dev/syncd/internal/tenants"
)

// Every test runs inside a synctest bubble: the clock starts at 2000-01-01 00:00:00 UTC and only
// moves when every goroutine is blocked, so "a run takes 2.5s" is exact and instant.

var epoch = time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC)

// at converts a bubble time into seconds since the bubble started, for readable assertions.
func at(t time.Time) float64 { return t.Sub(epoch).Seconds() }

// run is one call of the fake runner.
type run struct {
	tenant     string
	job        tenants.Job
	start, end float64
	ptr        *tenants.Tenant
	ctxErr     error // the run context's error when the run ended
}

// fakeRunner records runs; do decides how each behaves (nil: return at once).
type fakeRunner struct {
	do func(ctx context.Context, n int, t *tenants.Tenant) error

	mu   sync.Mutex
	n    int
	runs []run
}

var _ scheduler.Runner = (*fakeRunner)(nil)

// Run records the run when it starts and completes the record when it ends (end is -1 until
// then).
func (f *fakeRunner) Run(ctx context.Context, t *tenants.Tenant, job tenants.Job) (*models.SyncRun, error) {
	f.mu.Lock()
	n := f.n
	f.n++
	f.runs = append(f.runs, run{tenant: t.ID, job: job, start: at(time.Now()), end: -1, ptr: t})
	f.mu.Unlock()
	var err error
	if f.do != nil {
		err = f.do(ctx, n, t)
	}
	f.mu.Lock()
	f.runs[n].end, f.runs[n].ctxErr = at(time.Now()), ctx.Err()
	f.mu.Unlock()
	return &models.SyncRun{TenantID: t.ID, Job: string(job)}, err
}

func (f *fakeRunner) starts() []float64 {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []float64
	for _, r := range f.runs {
		out = append(out, r.start)
	}
	return out
}

func (f *fakeRunner) all() []run {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]run(nil), f.runs...)
}

// sleepFor makes a run last d (or until its context ends).
func sleepFor(d time.Duration) func(context.Context, int, *tenants.Tenant) error {
	return func(ctx context.Context, _ int, _ *tenants.Tenant) error {
		select {
		case <-time.After(d):
			return nil
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

type skip struct {
	tenant, job, reason string
	at                  float64
}

type fakeObserver struct {
	mu     sync.Mutex
	skips  []skip
	delays []time.Duration
}

var _ scheduler.Observer = (*fakeObserver)(nil)

func (o *fakeObserver) Skipped(tenant, job, reason string) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.skips = append(o.skips, skip{tenant, job, reason, at(time.Now())})
}

func (o *fakeObserver) StartDelay(_, _ string, d time.Duration) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.delays = append(o.delays, d)
}

func (o *fakeObserver) reasons() []string {
	o.mu.Lock()
	defer o.mu.Unlock()
	var out []string
	for _, s := range o.skips {
		out = append(out, fmt.Sprintf("%s@%g", s.reason, s.at))
	}
	return out
}

// memLocker is a cross-replica lock shared by the schedulers of one test. delay simulates a
// replica whose clock lags: it reaches the lock that much later than the others.
type memLocker struct {
	shared *sync.Map // "tenant/job" -> struct{}
	delay  time.Duration
	fail   error
	// lose, when set, is closed to simulate the lock's session dying mid-run.
	lose chan struct{}
}

func (l *memLocker) TryLock(ctx context.Context, tenant, job string) (context.Context, func(), error) {
	if l.delay > 0 {
		time.Sleep(l.delay)
	}
	if l.fail != nil {
		return nil, nil, l.fail
	}
	k := tenant + "/" + job
	if _, busy := l.shared.LoadOrStore(k, struct{}{}); busy {
		return nil, nil, nil
	}
	held, cancel := context.WithCancel(ctx)
	if l.lose != nil {
		go func() {
			select {
			case <-l.lose:
				cancel()
			case <-held.Done():
			}
		}()
	}
	return held, func() { l.shared.Delete(k); cancel() }, nil
}

type memClaimer struct {
	mu     sync.Mutex
	claims map[string]bool
}

func (c *memClaimer) Claim(_ context.Context, tenant, job string, tick time.Time) (bool, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	k := fmt.Sprintf("%s/%s@%g", tenant, job, at(tick))
	if c.claims[k] {
		return false, nil
	}
	c.claims[k] = true
	return true, nil
}

func (c *memClaimer) ticks() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.claims)
}

// tenant returns an enabled tenant with a rentengine schedule (and no jitter).
func tenant(id, spec string) tenants.Tenant {
	return tenants.Tenant{ID: id, RentEngine: &tenants.RentEngine{}, Schedules: tenants.Schedules{RentEngine: spec}}
}

func config(ts ...tenants.Tenant) *tenants.Config { return &tenants.Config{Tenants: ts} }

// start builds and starts a scheduler for cfg; it is stopped when the test's bubble ends.
func start(t *testing.T, scfg scheduler.Config, r scheduler.Runner, cfg *tenants.Config, log *zap.Logger) *scheduler.Scheduler {
	t.Helper()
	if log == nil {
		log = zaptest.NewLogger(t, zaptest.Level(zap.WarnLevel))
	}
	s := scheduler.New(scfg, r, log)
	if err := s.Apply(cfg); err != nil {
		t.Fatalf("apply: %v", err)
	}
	s.Start()
	t.Cleanup(func() { _ = s.Stop() })
	return s
}

// until sleeps the bubble to the given second and waits for every goroutine to settle.
func until(sec float64) {
	time.Sleep(time.Until(epoch.Add(time.Duration(sec * float64(time.Second)))))
	synctest.Wait()
}

func TestOverrunIsSkippedNotStacked(t *testing.T) {
	cases := []struct {
		name       string
		runFor     time.Duration
		wantStarts []float64
		wantSkips  []string
	}{
		{"runs shorter than the interval all start", 500 * time.Millisecond, []float64{1, 2, 3, 4, 5, 6}, nil},
		{"a run longer than the interval makes the next ticks skip", 2500 * time.Millisecond,
			[]float64{1, 4}, []string{"overrun@2", "overrun@3", "overrun@5", "overrun@6"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				r := &fakeRunner{do: sleepFor(tc.runFor)}
				obs := &fakeObserver{}
				start(t, scheduler.Config{Observer: obs}, r, config(tenant("acme", "@every 1s")), nil)
				until(6.9)
				if got := r.starts(); !reflect.DeepEqual(got, tc.wantStarts) {
					t.Errorf("runs started at %v, want %v", got, tc.wantStarts)
				}
				if got := obs.reasons(); !reflect.DeepEqual(got, tc.wantSkips) {
					t.Errorf("skips %v, want %v", got, tc.wantSkips)
				}
			})
		})
	}
}

// The per-job lock outlives schedule entries: a reload that re-adds an entry (new schedule)
// while the old entry's run is still going must not start a second run beside it.
func TestReloadDuringRunStillSkips(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		r := &fakeRunner{do: sleepFor(2500 * time.Millisecond)} // tick 1 runs until 3.5
		obs := &fakeObserver{}
		s := start(t, scheduler.Config{Observer: obs}, r, config(tenant("acme", "@every 1s")), nil)
		until(1.5)
		if err := s.Apply(config(tenant("acme", "@every 2s"))); err != nil {
			t.Fatal(err)
		}
		if got := s.Scheduled(); !reflect.DeepEqual(got, map[string]string{"acme/rentengine": "@every 2s"}) {
			t.Fatalf("scheduled after reload: %v", got)
		}
		until(4.5)
		// The new entry ticks at 2 (skipped: the old entry's run holds the lock) and 4.
		if got, want := r.starts(), []float64{1, 4}; !reflect.DeepEqual(got, want) {
			t.Errorf("runs started at %v, want %v", got, want)
		}
		if got, want := obs.reasons(), []string{"overrun@2"}; !reflect.DeepEqual(got, want) {
			t.Errorf("skips %v, want %v", got, want)
		}
	})
}

func TestApplyAddsChangesRemovesAndSwapsTenant(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		r := &fakeRunner{}
		a1, b := tenant("a", "@every 1s"), tenant("b", "@every 1s")
		s := start(t, scheduler.Config{}, r, config(a1, b, tenant("c", "@every 1s")), nil)
		until(1.5)
		// a: same schedule, new credentials; b: new schedule; c: removed; d: added.
		a2 := tenant("a", "@every 1s")
		a2.RentEngine = &tenants.RentEngine{BaseURL: "http://changed"}
		cfg2 := config(a2, tenant("b", "@every 3s"), tenant("d", "@every 1s"))
		if err := s.Apply(cfg2); err != nil {
			t.Fatal(err)
		}
		want := map[string]string{"a/rentengine": "@every 1s", "b/rentengine": "@every 3s", "d/rentengine": "@every 1s"}
		if got := s.Scheduled(); !reflect.DeepEqual(got, want) {
			t.Fatalf("scheduled %v, want %v", got, want)
		}
		until(3.5)
		got := map[string][]float64{}
		for _, run := range r.all() {
			got[run.tenant] = append(got[run.tenant], run.start)
			if run.tenant == "a" && run.start > 1.5 && run.ptr.RentEngine.BaseURL != "http://changed" {
				t.Errorf("run of a at %g used the old tenant config", run.start)
			}
		}
		wantRuns := map[string][]float64{"a": {1, 2, 3}, "b": {1, 3}, "c": {1}, "d": {2, 3}}
		if !reflect.DeepEqual(got, wantRuns) {
			t.Errorf("runs %v, want %v", got, wantRuns)
		}
	})
}

func TestPanicIsRecovered(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		r := &fakeRunner{do: func(_ context.Context, n int, _ *tenants.Tenant) error {
			if n == 0 {
				panic("boom")
			}
			return nil
		}}
		core, logs := observer.New(zap.ErrorLevel)
		// MaxConcurrent 1: the panicking run must give its slot back, or nothing runs again.
		start(t, scheduler.Config{MaxConcurrent: 1}, r, config(tenant("acme", "@every 1s")), zap.New(core))
		until(3.5)
		runs := r.all()
		if len(runs) != 3 || runs[0].end != -1 || runs[1].end != 2 || runs[2].end != 3 {
			t.Errorf("runs %+v: want the one at 1 to panic and those at 2 and 3 to complete", runs)
		}
		entries := logs.FilterMessage("scheduled run panicked").All()
		if len(entries) != 1 || entries[0].ContextMap()["panic"] != "boom" || entries[0].ContextMap()["tenant"] != "acme" {
			t.Errorf("panic log entries: %+v", entries)
		}
	})
}

func TestJitterIsDeterministic(t *testing.T) {
	cases := []struct {
		tenant string
		job    tenants.Job
		max    time.Duration
	}{
		{"acme", tenants.JobRentEngine, 30 * time.Second},
		{"acme", tenants.JobFunnel, 30 * time.Second},
		{"brightside", tenants.JobRentEngine, 30 * time.Second},
		{"acme", tenants.JobRentEngine, 0},
		{"acme", tenants.JobRentEngine, -time.Second},
	}
	seen := map[time.Duration]string{}
	for _, tc := range cases {
		name := fmt.Sprintf("%s/%s/%s", tc.tenant, tc.job, tc.max)
		t.Run(name, func(t *testing.T) {
			j := scheduler.Jitter(tc.tenant, tc.job, tc.max)
			for range 3 {
				if again := scheduler.Jitter(tc.tenant, tc.job, tc.max); again != j {
					t.Fatalf("jitter changed between calls: %s then %s", j, again)
				}
			}
			if tc.max <= 0 {
				if j != 0 {
					t.Fatalf("jitter %s with max %s, want 0", j, tc.max)
				}
				return
			}
			if j < 0 || j >= tc.max {
				t.Fatalf("jitter %s outside [0, %s)", j, tc.max)
			}
			if other, dup := seen[j]; dup {
				t.Errorf("jitter %s equals that of %s", j, other)
			}
			seen[j] = name
		})
	}

	// The scheduler waits exactly that long after the tick, and the start delay it reports is
	// measured against tick plus jitter.
	synctest.Test(t, func(t *testing.T) {
		r := &fakeRunner{}
		obs := &fakeObserver{}
		ten := tenant("acme", "@every 1m")
		ten.MaxJitter = 30 * time.Second
		start(t, scheduler.Config{Observer: obs}, r, config(ten), nil)
		until(150)
		j := scheduler.Jitter("acme", tenants.JobRentEngine, 30*time.Second).Seconds()
		if got, want := r.starts(), []float64{60 + j, 120 + j}; !reflect.DeepEqual(got, want) {
			t.Errorf("runs started at %v, want %v", got, want)
		}
		if !reflect.DeepEqual(obs.delays, []time.Duration{0, 0}) {
			t.Errorf("start delays %v, want 0 for both", obs.delays)
		}
	})
}

func TestStartDelayIsObserved(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		// One slot, two tenants on the same tick: the second waits for the first's 300ms.
		r := &fakeRunner{do: sleepFor(300 * time.Millisecond)}
		obs := &fakeObserver{}
		start(t, scheduler.Config{MaxConcurrent: 1, Observer: obs}, r,
			config(tenant("a", "@every 10s"), tenant("b", "@every 10s")), nil)
		until(11)
		want := []time.Duration{0, 300 * time.Millisecond}
		if !reflect.DeepEqual(obs.delays, want) {
			t.Errorf("start delays %v, want %v", obs.delays, want)
		}
	})
}

func TestStopIsBounded(t *testing.T) {
	cases := []struct {
		name     string
		ignore   bool // the run ignores its context
		wantErr  bool
		wantTook time.Duration
	}{
		{"runs that honour cancellation end at once", false, false, 0},
		{"a run that ignores cancellation is waited for at most ShutdownTimeout", true, true, 5 * time.Second},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				release := make(chan struct{})
				r := &fakeRunner{do: func(ctx context.Context, _ int, _ *tenants.Tenant) error {
					if tc.ignore {
						<-release
						return nil
					}
					<-ctx.Done()
					return ctx.Err()
				}}
				s := start(t, scheduler.Config{ShutdownTimeout: 5 * time.Second}, r, config(tenant("acme", "@every 1s")), nil)
				until(1.5)
				begin := time.Now()
				err := s.Stop()
				took := time.Since(begin)
				close(release)
				synctest.Wait()
				if (err != nil) != tc.wantErr || took != tc.wantTook {
					t.Errorf("Stop returned %v after %s; want error %v after %s", err, took, tc.wantErr, tc.wantTook)
				}
				if err := s.Stop(); err != nil {
					t.Errorf("second Stop: %v", err)
				}
				if runs := r.all(); len(runs) != 1 || (!tc.ignore && !errors.Is(runs[0].ctxErr, context.Canceled)) {
					t.Errorf("runs %+v: want one, cancelled by Stop", runs)
				}
				until(5)
				if n := len(r.all()); n != 1 {
					t.Errorf("%d runs after Stop, want none", n-1)
				}
			})
		})
	}
}

func TestCrossReplicaLock(t *testing.T) {
	cases := []struct {
		name       string
		locker     *memLocker
		preHeld    bool // another replica holds the lock throughout
		wantStarts []float64
		wantSkips  []string
	}{
		{"free lock", &memLocker{}, false, []float64{1, 2}, nil},
		{"held by another replica", &memLocker{}, true, nil, []string{"other_replica@1", "other_replica@2"}},
		{"lock error", &memLocker{fail: errors.New("db down")}, false, nil, []string{"lock_error@1", "lock_error@2"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				tc.locker.shared = &sync.Map{}
				if tc.preHeld {
					tc.locker.shared.Store("acme/rentengine", struct{}{})
				}
				r := &fakeRunner{}
				obs := &fakeObserver{}
				start(t, scheduler.Config{Locker: tc.locker, Observer: obs}, r, config(tenant("acme", "@every 1s")), nil)
				until(2.5)
				if got := r.starts(); !reflect.DeepEqual(got, tc.wantStarts) {
					t.Errorf("runs started at %v, want %v", got, tc.wantStarts)
				}
				if got := obs.reasons(); !reflect.DeepEqual(got, tc.wantSkips) {
					t.Errorf("skips %v, want %v", got, tc.wantSkips)
				}
			})
		})
	}
}

// A run whose cross-replica lock is lost (its database session died) is cancelled: another
// replica may already hold the lock.
func TestLostLockCancelsRun(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		lose := make(chan struct{})
		l := &memLocker{shared: &sync.Map{}, lose: lose}
		r := &fakeRunner{do: sleepFor(time.Hour)}
		start(t, scheduler.Config{Locker: l}, r, config(tenant("acme", "@every 1h")), nil)
		until(3601)
		close(lose)
		synctest.Wait()
		runs := r.all()
		if len(runs) != 1 || !errors.Is(runs[0].ctxErr, context.Canceled) || runs[0].end != 3601 {
			t.Errorf("runs %+v: want one cancelled at 3601", runs)
		}
	})
}

// Two replicas whose clocks disagree by 600ms, runs of 100ms: the lagging replica reaches the
// lock after the other's run of the same tick has released it. Only the tick claim stops it from
// running that tick a second time.
func TestTickClaimAcrossSkewedReplicas(t *testing.T) {
	cases := []struct {
		name        string
		claim       bool
		wantRuns    int
		wantSkipped []string
	}{
		{"with tick claims each tick runs once", true, 3, []string{"tick_taken@1.6", "tick_taken@2.6", "tick_taken@3.6"}},
		{"without them the lagging replica runs every tick again", false, 6, nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				shared := &sync.Map{}
				claims := &memClaimer{claims: map[string]bool{}}
				r := &fakeRunner{do: sleepFor(100 * time.Millisecond)}
				obs := &fakeObserver{}
				for _, lag := range []time.Duration{0, 600 * time.Millisecond} {
					scfg := scheduler.Config{Locker: &memLocker{shared: shared, delay: lag}, Observer: obs}
					if tc.claim {
						scfg.Claimer = claims
					}
					start(t, scfg, r, config(tenant("acme", "@every 1s")), nil)
				}
				until(3.9)
				runs := r.all()
				if len(runs) != tc.wantRuns {
					t.Errorf("%d runs, want %d: %+v", len(runs), tc.wantRuns, runs)
				}
				for i := 1; i < len(runs); i++ {
					if runs[i].start < runs[i-1].end {
						t.Errorf("runs overlap: %+v and %+v", runs[i-1], runs[i])
					}
				}
				if got := obs.reasons(); !reflect.DeepEqual(got, tc.wantSkipped) {
					t.Errorf("skips %v, want %v", got, tc.wantSkipped)
				}
				if tc.claim && claims.ticks() != 3 {
					t.Errorf("%d ticks claimed, want 3", claims.ticks())
				}
			})
		})
	}
}

// "@every" ticks are aligned to multiples of the interval, so replicas started at different
// times (and restarts) agree on them; robfig/cron alone would count from each start.
func TestEveryIsAligned(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		r := &fakeRunner{}
		start(t, scheduler.Config{}, r, config(tenant("a", "@every 15m")), nil)
		until(7*60 + 3.5) // a second replica starts at 00:07:03.5
		start(t, scheduler.Config{}, r, config(tenant("b", "@every 15m")), nil)
		until(31 * 60)
		got := map[string][]float64{}
		for _, run := range r.all() {
			got[run.tenant] = append(got[run.tenant], run.start)
		}
		want := map[string][]float64{"a": {900, 1800}, "b": {900, 1800}}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("runs %v, want %v", got, want)
		}
	})
}
