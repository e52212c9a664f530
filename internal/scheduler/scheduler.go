// Package scheduler triggers tenant jobs on their cron schedules (robfig/cron) and decides whether
// a triggered run may start: one run per tenant and job at a time (an overrunning run makes the
// next tick skip, never stack), an optional cross-process lock and tick claim, a process-wide cap
// on concurrent runs, and a deterministic per-tenant start jitter so tenants sharing a schedule do
// not all hit the upstreams in the same second.
//
// Several replicas: a tick is identified by its scheduled time, which every replica computes
// alike ("@every" intervals are aligned to multiples of the interval, not to the process start).
// A run needs the job's cross-replica lock (so two runs of a job never overlap) and then the
// tick's claim (so a replica whose clock lags, and which fires after another replica's run of
// the same tick has already finished and released the lock, does not run that tick again).
//
// The schedule set is replaced as a whole by Apply, which is how a config reload takes effect:
// unchanged entries keep ticking, changed ones are re-added, removed ones stop; runs in progress
// are never interrupted by a reload.
package scheduler

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"hash/fnv"
	"sort"
	"sync"
	"sync/atomic"
	"time"

	"github.com/robfig/cron/v3"
	"go.uber.org/zap"

	"github.com/syncd-dev/syncd/internal/models"
	"github.com/syncd-dev/syncd/internal/tenants"
)

// Runner runs one job of one tenant (sync.Runner implements it).
type Runner interface {
	Run(ctx context.Context, t *tenants.Tenant, job tenants.Job) (*models.SyncRun, error)
}

// Locker takes a lock shared by every replica of the daemon. Locker, Claimer and Observer name a
// job by its name, string(tenants.Job), as lock keys, schedule_claims rows and metric labels do.
type Locker interface {
	// TryLock takes the lock of a tenant's job without waiting. held is nil (and err nil) when
	// another process holds it. Otherwise held is a child of ctx that ends if the lock is lost
	// (for example its database session died), and release must be called once the run ends.
	TryLock(ctx context.Context, tenant, job string) (held context.Context, release func(), err error)
}

// Claimer records which scheduled ticks have run, across replicas.
type Claimer interface {
	// Claim marks the tick of a tenant's job scheduled at tick as taken and reports whether this
	// call took it (false: some replica already ran that tick).
	Claim(ctx context.Context, tenant, job string, tick time.Time) (bool, error)
}

// Observer receives scheduling measurements (the metrics package implements it).
type Observer interface {
	// Skipped is called when a tick finds the previous run of the job still running (here or,
	// with a Locker, on another replica).
	Skipped(tenant, job, reason string)
	// StartDelay is how late a run started against its scheduled time plus its planned jitter.
	StartDelay(tenant, job string, d time.Duration)
}

// Config configures a Scheduler.
type Config struct {
	// MaxConcurrent caps runs in progress in this process (0 = 16).
	MaxConcurrent int
	// ShutdownTimeout bounds Stop's wait for cancelled runs to record their outcome (0 = 25s).
	ShutdownTimeout time.Duration
	// Locker is the cross-replica lock (nil = this process only).
	Locker Locker
	// Claimer records ticks taken by any replica (nil = no claim; fine for a single process,
	// where the local lock and the schedule already give one run per tick).
	Claimer Claimer
	// Observer receives skips and start delays (nil = none).
	Observer Observer
}

// Scheduler owns the cron instance and the run gates.
type Scheduler struct {
	cfg    Config
	runner Runner
	log    *zap.Logger
	cron   *cron.Cron
	sem    chan struct{}

	ctx    context.Context
	cancel context.CancelFunc

	mu      sync.Mutex
	entries map[string]*entry
	// locks outlive entries: a reload that re-adds an entry must still see the run that the old
	// entry started.
	locks   map[string]*sync.Mutex
	stopped bool
	// intervals caches Interval per schedule and time zone: tenants mostly share schedules.
	intervals map[[2]string]time.Duration
}

type entry struct {
	key  string
	job  tenants.Job
	spec string
	loc  string
	id   cron.EntryID
	// interval is the longest time between two of its ticks (Interval; 0 if it never fires).
	interval time.Duration
	// sched tells a firing run which tick it serves.
	sched *recordingSchedule
	// tenant is replaced in place by a reload that keeps the schedule, so the next tick runs
	// with the new credentials, limits and timeouts.
	tenant atomic.Pointer[tenants.Tenant]
}

// New builds a stopped scheduler.
func New(cfg Config, runner Runner, log *zap.Logger) *Scheduler {
	cfg.MaxConcurrent = cmp.Or(cfg.MaxConcurrent, 16)
	cfg.ShutdownTimeout = cmp.Or(cfg.ShutdownTimeout, 25*time.Second)
	if log == nil {
		log = zap.NewNop()
	}
	ctx, cancel := context.WithCancel(context.Background())
	return &Scheduler{
		cfg: cfg, runner: runner, log: log.Named("scheduler"),
		cron: cron.New(cron.WithLocation(time.UTC)),
		sem:  make(chan struct{}, cfg.MaxConcurrent),
		ctx:  ctx, cancel: cancel,
		entries: map[string]*entry{}, locks: map[string]*sync.Mutex{},
	}
}

// Start begins ticking. It is idempotent.
func (s *Scheduler) Start() { s.cron.Start() }

// maxConcurrentChanged reports a changed cap; a running scheduler's cap cannot shrink without
// waiting for runs, so a change is logged and takes effect on restart.
func (s *Scheduler) maxConcurrentChanged(n int) bool { return n > 0 && n != cap(s.sem) }

func key(tenant string, job tenants.Job) string { return tenant + "/" + string(job) }

// Apply makes the scheduled set match cfg: every enabled tenant's jobs with a schedule. It returns
// an error only for a schedule that cannot be parsed (validated configs never have one).
func (s *Scheduler) Apply(cfg *tenants.Config) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.stopped {
		return errors.New("scheduler stopped")
	}
	if s.maxConcurrentChanged(cfg.Limits.MaxConcurrentJobs) {
		s.log.Warn("limits.max_concurrent_jobs changed; the new cap applies after a restart",
			zap.Int("current", cap(s.sem)), zap.Int("configured", cfg.Limits.MaxConcurrentJobs))
	}
	want := map[string]bool{}
	var errs []error
	for i := range cfg.Tenants {
		t := &cfg.Tenants[i]
		if !t.IsEnabled() {
			continue
		}
		for _, job := range tenants.AllJobs {
			spec := t.Schedules.Get(job)
			if spec == "" {
				continue
			}
			k := key(t.ID, job)
			want[k] = true
			locName := "UTC"
			if t.Location != nil {
				locName = t.Location.String()
			}
			if e, ok := s.entries[k]; ok && e.spec == spec && e.loc == locName {
				e.tenant.Store(t) // credentials, limits, timeouts: picked up by the next tick
				continue
			}
			sched, err := tenants.ParseSchedule(spec, t.Location)
			if err != nil {
				errs = append(errs, fmt.Errorf("tenant %s: schedules.%s: %w", t.ID, job, err))
				continue
			}
			if old, ok := s.entries[k]; ok {
				s.cron.Remove(old.id)
				s.log.Info("schedule changed", zap.String("tenant", t.ID), zap.String("job", string(job)),
					zap.String("from", old.spec), zap.String("to", spec))
			} else {
				s.log.Info("scheduled", zap.String("tenant", t.ID), zap.String("job", string(job)), zap.String("schedule", spec),
					zap.String("timezone", locName))
			}
			e := &entry{key: k, job: job, spec: spec, loc: locName, sched: &recordingSchedule{inner: aligned(sched)}}
			e.interval = s.interval(spec, locName, sched)
			e.tenant.Store(t)
			e.id = s.cron.Schedule(e.sched, cron.FuncJob(func() { s.fire(e, e.sched.due(time.Now())) }))
			s.entries[k] = e
		}
	}
	for k, e := range s.entries {
		if !want[k] {
			s.cron.Remove(e.id)
			delete(s.entries, k)
			s.log.Info("unscheduled", zap.String("tenant", e.tenant.Load().ID), zap.String("job", string(e.job)))
		}
	}
	return errors.Join(errs...)
}

// Scheduled lists the scheduled tenant/job keys with their specs (for tests and status).
func (s *Scheduler) Scheduled() map[string]string {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make(map[string]string, len(s.entries))
	for k, e := range s.entries {
		out[k] = e.spec
	}
	return out
}

// interval returns Interval of a schedule, computed once per spec and time zone.
func (s *Scheduler) interval(spec, loc string, sched cron.Schedule) time.Duration {
	k := [2]string{spec, loc}
	if d, ok := s.intervals[k]; ok {
		return d
	}
	d, _ := Interval(sched, time.Now())
	if s.intervals == nil {
		s.intervals = map[[2]string]time.Duration{}
	}
	s.intervals[k] = d
	return d
}

// Intervals returns the longest time between two ticks (Interval) of every scheduled tenant job,
// keyed by {tenant, job}; jobs whose schedule never fires are left out.
func (s *Scheduler) Intervals() map[[2]string]time.Duration {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make(map[[2]string]time.Duration, len(s.entries))
	for _, e := range s.entries {
		if e.interval > 0 {
			out[[2]string{e.tenant.Load().ID, string(e.job)}] = e.interval
		}
	}
	return out
}

// NextRuns returns the next scheduled time of every entry, sorted by key.
func (s *Scheduler) NextRuns() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []string
	for k, e := range s.entries {
		out = append(out, fmt.Sprintf("%s %s", k, s.cron.Entry(e.id).Next.Format(time.RFC3339)))
	}
	sort.Strings(out)
	return out
}

func (s *Scheduler) lockFor(k string) *sync.Mutex {
	s.mu.Lock()
	defer s.mu.Unlock()
	l, ok := s.locks[k]
	if !ok {
		l = &sync.Mutex{}
		s.locks[k] = l
	}
	return l
}

// Jitter is the deterministic start delay of a tenant's job: a hash of tenant and job spread over
// [0, max). Deterministic so that a tenant's runs start at the same offset every time, which
// keeps its upstream traffic regular and its logs comparable.
func Jitter(tenant string, job tenants.Job, maxJitter time.Duration) time.Duration {
	if maxJitter <= 0 {
		return 0
	}
	h := fnv.New64a()
	h.Write([]byte(tenant))
	h.Write([]byte{0})
	h.Write([]byte(job))
	return time.Duration(h.Sum64() % uint64(maxJitter))
}

// fire serves one tick of e, scheduled at tick; it runs in a goroutine of its own (robfig/cron
// starts one per tick).
func (s *Scheduler) fire(e *entry, tick time.Time) {
	t := e.tenant.Load()
	log := s.log.With(zap.String("tenant", t.ID), zap.String("job", string(e.job)))

	// A panic escaping here would kill the process and every tenant with it. Deferred first so it
	// runs last, after the locks and the semaphore slot are released.
	defer func() {
		if p := recover(); p != nil {
			log.Error("scheduled run panicked", zap.Any("panic", p), zap.Stack("stack"))
		}
	}()

	lock := s.lockFor(e.key)
	if !lock.TryLock() {
		log.Warn("skipping tick: previous run still running")
		s.observeSkip(t.ID, e.job, "overrun")
		return
	}
	defer lock.Unlock()

	jitter := Jitter(t.ID, e.job, t.MaxJitter)
	if !sleep(s.ctx, jitter) {
		return
	}
	select {
	case s.sem <- struct{}{}:
	case <-s.ctx.Done():
		return
	}
	defer func() { <-s.sem }()

	ctx := s.ctx
	if s.cfg.Locker != nil {
		held, release, err := s.cfg.Locker.TryLock(s.ctx, t.ID, string(e.job))
		if err != nil {
			log.Error("could not take the cross-replica lock; skipping tick", zap.Error(err))
			s.observeSkip(t.ID, e.job, "lock_error")
			return
		}
		if held == nil {
			log.Info("skipping tick: another replica is running this job")
			s.observeSkip(t.ID, e.job, "other_replica")
			return
		}
		defer release()
		ctx = held
	}
	if s.cfg.Claimer != nil {
		if tick.IsZero() {
			// Not expected (see recordingSchedule.due); the lock still rules out overlap.
			log.Warn("tick time unknown; running without a tick claim")
		} else {
			ok, err := s.cfg.Claimer.Claim(ctx, t.ID, string(e.job), tick)
			if err != nil {
				log.Error("could not claim the tick; skipping it", zap.Time("tick", tick), zap.Error(err))
				s.observeSkip(t.ID, e.job, "claim_error")
				return
			}
			if !ok {
				log.Info("skipping tick: another replica already ran it", zap.Time("tick", tick))
				s.observeSkip(t.ID, e.job, "tick_taken")
				return
			}
		}
	}
	if s.cfg.Observer != nil && !tick.IsZero() {
		s.cfg.Observer.StartDelay(t.ID, string(e.job), max(0, time.Since(tick)-jitter))
	}
	// The runner logs and records the outcome; nothing to add here.
	_, _ = s.runner.Run(ctx, t, e.job)
}

func (s *Scheduler) observeSkip(tenant string, job tenants.Job, reason string) {
	if s.cfg.Observer != nil {
		s.cfg.Observer.Skipped(tenant, string(job), reason)
	}
}

func sleep(ctx context.Context, d time.Duration) bool {
	if d <= 0 {
		return ctx.Err() == nil
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}

// Stop stops scheduling, cancels runs in progress (each records itself as failed; a cancelled
// pull tombstones nothing, so it is safe), and waits for them up to ShutdownTimeout. It is
// idempotent.
func (s *Scheduler) Stop() error {
	s.mu.Lock()
	already := s.stopped
	s.stopped = true
	s.mu.Unlock()
	if already {
		return nil
	}
	running := s.cron.Stop() // done once every fired job has returned
	s.cancel()
	t := time.NewTimer(s.cfg.ShutdownTimeout)
	defer t.Stop()
	select {
	case <-running.Done():
		return nil
	case <-t.C:
		return fmt.Errorf("runs still in progress after %s", s.cfg.ShutdownTimeout)
	}
}

// aligned makes "@every" schedules fire at multiples of their interval (counted from Go's zero
// time, which for intervals dividing a day means from midnight UTC) instead of at start time plus
// multiples. Every replica and every restart then agrees on a job's ticks, which is what lets a
// tick be claimed once across replicas; robfig/cron's own ConstantDelaySchedule counts from
// whenever the process happened to start.
func aligned(s cron.Schedule) cron.Schedule {
	switch c := s.(type) {
	case cron.ConstantDelaySchedule:
		return alignedEvery(c.Delay)
	case *cron.ConstantDelaySchedule:
		return alignedEvery(c.Delay)
	}
	return s
}

type alignedEvery time.Duration

// Next implements cron.Schedule.
func (a alignedEvery) Next(t time.Time) time.Time {
	d := time.Duration(a)
	return t.Truncate(d).Add(d)
}

// recordingSchedule remembers the last two times it handed to cron, so a run can tell which tick
// it serves: robfig/cron does not pass the scheduled time to the job. cron asks for the next time
// right after starting a tick's job, so when the job reads the times they hold either (previous
// tick, this tick) or (this tick, next tick); in both cases this tick is the latest one not after
// now. Only a job goroutine delayed by a whole interval could pick the wrong one.
type recordingSchedule struct {
	inner cron.Schedule
	mu    sync.Mutex
	times [2]time.Time
}

// Next implements cron.Schedule.
func (r *recordingSchedule) Next(t time.Time) time.Time {
	n := r.inner.Next(t)
	r.mu.Lock()
	r.times[0], r.times[1] = r.times[1], n
	r.mu.Unlock()
	return n
}

// due returns the latest handed-out time not after now: the tick being served.
func (r *recordingSchedule) due(now time.Time) time.Time {
	r.mu.Lock()
	defer r.mu.Unlock()
	var best time.Time
	for _, t := range r.times {
		if !t.After(now) && t.After(best) {
			best = t
		}
	}
	return best
}
