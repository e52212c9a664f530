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
	"strings"
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

// Order keeps the job order within a tenant across replicas (README "Job order"): a push waits
// for its tenant's pulls of the same tick. daemon.Claimer implements it on schedule_claims.
type Order interface {
	// UnfinishedPulls returns which of the tenant's pull jobs (given by name) have not finished
	// the tick: claimed and still running, or running a run of an earlier tick. A job with no
	// claim for the tick and nothing running counts as finished (the scheduler calls this only
	// once its own firing of each of them for the tick has returned).
	UnfinishedPulls(ctx context.Context, tenant string, tick time.Time, jobs []string) ([]string, error)
	// Finish records the end of a claimed tick: the run that served it ("" if none was
	// recorded) and why the job did not run ("" if it did).
	Finish(ctx context.Context, tenant, job string, tick time.Time, runID, skipReason string) error
}

// Skipper records a run that the job order kept from running (sync.Runner implements it): a
// push whose same-tick pulls did not finish within its run timeout. The error it returns
// carries the reason (see skipReason).
type Skipper interface {
	Skip(ctx context.Context, t *tenants.Tenant, job tenants.Job, reason, detail string) (*models.SyncRun, error)
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
	// Order makes a push wait for its tenant's pulls of the same tick (nil = no wait; needs a
	// Claimer: the wait reads the tick's claims). A push that waited its whole run timeout is
	// recorded through the runner's Skipper, if it has one.
	Order Order
	// OrderPoll is how often a waiting push checks its tick's pulls (0 = 1s).
	OrderPoll time.Duration
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
	// groups share one cron entry among the entries with the same schedule and time zone
	// (groupKey): at a tick, one dispatcher starts each member at its planned time, instead of
	// cron starting a goroutine per tenant that sleeps its jitter.
	groups map[string]*group
	// firing counts the firings the dispatchers started that have not returned.
	firing sync.WaitGroup
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
	// interval is the longest time between two of its ticks (Interval; 0 if it never fires).
	interval time.Duration
	// group is the entry's cron entry, shared with the entries of the same schedule.
	group *group
	// sched is the group's schedule (which ticks the entry has).
	sched *recordingSchedule
	// lock is the job's run lock (Scheduler.locks, which outlive entries).
	lock *sync.Mutex
	// tenant is replaced in place by a reload that keeps the schedule, so the next tick runs
	// with the new credentials, limits and timeouts.
	tenant atomic.Pointer[tenants.Tenant]
	// settled is the latest tick (Unix seconds) whose firing here has returned: run, or skipped.
	// A push of the same tick waits for it before it asks the database about the pull.
	settled atomic.Int64
}

// settle records that this process's firing of tick has returned.
func (e *entry) settle(tick time.Time) {
	for {
		cur := e.settled.Load()
		if tick.Unix() <= cur || e.settled.CompareAndSwap(cur, tick.Unix()) {
			return
		}
	}
}

// dueAt reports whether the entry's schedule fires at tick.
func (e *entry) dueAt(tick time.Time) bool {
	return e.sched.inner.Next(tick.Add(-time.Second)).Equal(tick)
}

// group is one cron entry serving every entry with the same schedule and time zone.
type group struct {
	key string
	id  cron.EntryID
	// sched tells the dispatcher which tick it serves.
	sched   *recordingSchedule
	members map[string]*entry
}

func groupKey(spec, loc string) string { return spec + "\x00" + loc }

// join adds e to the group of its schedule, creating the group (and its cron entry) if needed;
// s.mu must be held.
func (s *Scheduler) join(e *entry, sched cron.Schedule) {
	gk := groupKey(e.spec, e.loc)
	g, ok := s.groups[gk]
	if !ok {
		g = &group{key: gk, sched: &recordingSchedule{inner: aligned(sched)}, members: map[string]*entry{}}
		g.id = s.cron.Schedule(g.sched, cron.FuncJob(func() { s.dispatch(g) }))
		s.groups[gk] = g
	}
	g.members[e.key] = e
	e.group, e.sched = g, g.sched
}

// leave removes e from its group, and the group's cron entry with its last member; s.mu must be
// held.
func (s *Scheduler) leave(e *entry) {
	g := e.group
	delete(g.members, e.key)
	if len(g.members) == 0 {
		s.cron.Remove(g.id)
		delete(s.groups, g.key)
	}
}

// dispatch serves one tick of g (cron runs it in a goroutine of its own): it starts each member's
// firing at the member's planned start, the tick plus its jitter, in that order. Tenants sharing
// a tick cost one sleeping goroutine, not one each, and none queues behind the others.
func (s *Scheduler) dispatch(g *group) {
	tick := g.sched.due(time.Now())
	base := tick
	if base.IsZero() {
		base = time.Now() // not expected (see recordingSchedule.due); fire handles it
	}
	type start struct {
		at time.Time
		e  *entry
	}
	s.mu.Lock()
	starts := make([]start, 0, len(g.members))
	for _, e := range g.members {
		t := e.tenant.Load()
		starts = append(starts, start{base.Add(Jitter(t.ID, e.job, t.MaxJitter)), e})
	}
	s.mu.Unlock()
	sort.Slice(starts, func(i, j int) bool { return starts[i].at.Before(starts[j].at) })
	for _, st := range starts {
		if !sleep(s.ctx, time.Until(st.at)) {
			return
		}
		s.firing.Add(1)
		go func() {
			defer s.firing.Done()
			s.fire(st.e, tick)
		}()
	}
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
		entries: map[string]*entry{}, groups: map[string]*group{}, locks: map[string]*sync.Mutex{},
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
				s.leave(old)
				s.log.Info("schedule changed", zap.String("tenant", t.ID), zap.String("job", string(job)),
					zap.String("from", old.spec), zap.String("to", spec))
			} else {
				s.log.Info("scheduled", zap.String("tenant", t.ID), zap.String("job", string(job)), zap.String("schedule", spec),
					zap.String("timezone", locName))
			}
			e := &entry{key: k, job: job, spec: spec, loc: locName, lock: s.lockFor(k)}
			e.interval = s.interval(spec, locName, sched)
			e.tenant.Store(t)
			if old, ok := s.entries[k]; ok {
				e.settled.Store(old.settled.Load()) // ticks the old entry served stay served
			}
			s.join(e, sched)
			s.entries[k] = e
		}
	}
	for k, e := range s.entries {
		if !want[k] {
			s.leave(e)
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
		out = append(out, fmt.Sprintf("%s %s", k, s.cron.Entry(e.group.id).Next.Format(time.RFC3339)))
	}
	sort.Strings(out)
	return out
}

// lockFor returns the run lock of key k; s.mu must be held.
func (s *Scheduler) lockFor(k string) *sync.Mutex {
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

// fire serves one tick of e, scheduled at tick, at its planned start (the tick plus the jitter);
// it runs in a goroutine of its own, started by the group's dispatcher.
func (s *Scheduler) fire(e *entry, tick time.Time) {
	t := e.tenant.Load()

	// A panic escaping here would kill the process and every tenant with it. Deferred first so it
	// runs last, after the locks and the semaphore slot are released.
	defer func() {
		if p := recover(); p != nil {
			s.log.Error("scheduled run panicked", zap.String("tenant", t.ID), zap.String("job", string(e.job)),
				zap.Any("panic", p), zap.Stack("stack"))
		}
	}()

	if !tick.IsZero() {
		defer e.settle(tick) // deferred before the returns below: a skipped tick is settled too
	}

	if !e.lock.TryLock() {
		s.log.Warn("skipping tick: previous run still running", zap.String("tenant", t.ID), zap.String("job", string(e.job)),
			zap.Time("tick", tick))
		s.observeSkip(t.ID, e.job, "overrun")
		return
	}
	defer e.lock.Unlock()

	// The dispatcher started this firing at its planned start: the jitter is counted from the
	// tick, so a firing is not late for the others sharing its tick (with a goroutine per tenant
	// sleeping its jitter from when it got to run, the queue of 10,000 firings on one tick made
	// the p99 start delay 2.3s on a loaded machine; see the scale benchmark).
	jitter := Jitter(t.ID, e.job, t.MaxJitter)
	if s.ctx.Err() != nil {
		return
	}
	log := s.log.With(zap.String("tenant", t.ID), zap.String("job", string(e.job)))
	// A push waits for its tenant's pulls of the same tick before it takes a slot or a lock, so
	// a waiting push holds neither (the pulls it waits for may need them). Every replica waits;
	// the one that then claims the tick runs it, or records the skip.
	var skip, skipDetail string
	if e.job == tenants.JobPush && s.cfg.Order != nil && s.cfg.Claimer != nil && !tick.IsZero() {
		waitedFrom := time.Now()
		pending, ok := s.awaitPulls(t, tick, log)
		if !ok {
			return // stopping
		}
		if len(pending) > 0 {
			skip = models.SkipPullsUnfinished
			skipDetail = fmt.Sprintf("the tenant's pulls of tick %s had not finished after %s (the push's run timeout): %s",
				tick.UTC().Format(time.RFC3339), time.Since(waitedFrom).Round(time.Second), strings.Join(pending, ", "))
		}
		jitter += time.Since(waitedFrom) // the wait is planned: it is not start delay
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
			log.Info("skipping tick: another replica is running this job", zap.Time("tick", tick))
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
	if skip != "" {
		s.skipTick(ctx, t, e.job, tick, skip, skipDetail, log)
		return
	}
	if s.cfg.Observer != nil && !tick.IsZero() {
		s.cfg.Observer.StartDelay(t.ID, string(e.job), max(0, time.Since(tick)-jitter))
	}
	// The runner logs and records the outcome; the scheduler records the tick's end.
	run, err := s.runner.Run(ctx, t, e.job)
	reason := skipReason(err)
	if reason != "" {
		s.observeSkip(t.ID, e.job, reason)
	}
	s.finishTick(t.ID, e.job, tick, run, reason, log)
}

// skipReason is the job-order reason of a run the runner skipped ("" for any other outcome).
func skipReason(err error) string {
	var s interface{ SkipReason() string }
	if errors.As(err, &s) {
		return s.SkipReason()
	}
	return ""
}

// skipTick records a claimed tick whose job the order kept from running: through the runner's
// Skipper (a sync_runs row), in the skip metric, and as the tick's end.
func (s *Scheduler) skipTick(ctx context.Context, t *tenants.Tenant, job tenants.Job, tick time.Time, reason, detail string, log *zap.Logger) {
	s.observeSkip(t.ID, job, reason)
	var run *models.SyncRun
	if sk, ok := s.runner.(Skipper); ok {
		run, _ = sk.Skip(ctx, t, job, reason, detail) // it logs
	} else {
		log.Warn("skipping tick", zap.String("reason", reason), zap.String("detail", detail))
	}
	s.finishTick(t.ID, job, tick, run, reason, log)
}

// finishTick records the end of a claimed tick (with an Order); a failure only leaves a push of
// the same tick waiting longer, so it is logged.
func (s *Scheduler) finishTick(tenant string, job tenants.Job, tick time.Time, run *models.SyncRun, reason string, log *zap.Logger) {
	if s.cfg.Order == nil || s.cfg.Claimer == nil || tick.IsZero() {
		return
	}
	runID := ""
	if run != nil {
		runID = run.RunID
	}
	// The run's context may have ended (a stop); the end of the tick is recorded all the same.
	ctx, cancel := context.WithTimeout(context.WithoutCancel(s.ctx), 10*time.Second)
	defer cancel()
	if err := s.cfg.Order.Finish(ctx, tenant, string(job), tick, runID, reason); err != nil {
		log.Warn("could not record the end of the tick; a push of the same tick waits for it until its run timeout", zap.Error(err))
	}
}

// duePulls returns the entries of the tenant's pull jobs that fire at tick.
func (s *Scheduler) duePulls(tenant string, tick time.Time) []*entry {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []*entry
	for _, job := range tenants.AllJobs {
		if job == tenants.JobPush {
			continue
		}
		if p, ok := s.entries[key(tenant, job)]; ok && p.dueAt(tick) {
			out = append(out, p)
		}
	}
	return out
}

// awaitPulls waits, for at most the tenant's run timeout, until the tenant's pulls due at tick
// have finished: this process's firing of each has returned, and the database (Order) knows of
// none still running. It returns the pulls still unfinished when the time ran out (nil: all
// finished) and false if the scheduler is stopping.
func (s *Scheduler) awaitPulls(t *tenants.Tenant, tick time.Time, log *zap.Logger) ([]string, bool) {
	due := s.duePulls(t.ID, tick)
	if len(due) == 0 {
		return nil, true
	}
	jobs := make([]string, len(due))
	for i, p := range due {
		jobs[i] = string(p.job)
	}
	deadline := time.Now().Add(cmp.Or(t.RunTimeout, 30*time.Minute))
	every := cmp.Or(s.cfg.OrderPoll, time.Second)
	logged := false
	for {
		var pending []string
		for _, p := range due {
			if p.settled.Load() < tick.Unix() {
				pending = append(pending, string(p.job)+" (not yet started or skipped here)")
			}
		}
		if len(pending) == 0 {
			unfinished, err := s.cfg.Order.UnfinishedPulls(s.ctx, t.ID, tick, jobs)
			switch {
			case err != nil && s.ctx.Err() != nil:
				return nil, false
			case err != nil:
				log.Warn("could not check the tick's pulls; checking again", zap.Error(err))
				pending = jobs
			case len(unfinished) == 0:
				if logged {
					log.Info("the tick's pulls have finished; the push goes on", zap.Time("tick", tick))
				}
				return nil, true
			default:
				pending = unfinished
			}
		}
		if !logged {
			log.Info("push waits for the tenant's pulls of the same tick", zap.Time("tick", tick), zap.Strings("pulls", pending))
			logged = true
		}
		if !time.Now().Before(deadline) {
			log.Warn("the tick's pulls have not finished within the push's run timeout; skipping the push",
				zap.Time("tick", tick), zap.Strings("pulls", pending))
			return pending, true
		}
		if !sleep(s.ctx, min(every, time.Until(deadline))) {
			return nil, false
		}
	}
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
	dispatchers := s.cron.Stop() // done once every dispatcher has returned
	s.cancel()
	running := make(chan struct{})
	go func() {
		<-dispatchers.Done() // none starts a firing after this
		s.firing.Wait()
		close(running)
	}()
	t := time.NewTimer(s.cfg.ShutdownTimeout)
	defer t.Stop()
	select {
	case <-running:
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
