// Package retention runs the daemon's daily maintenance job that deletes change history
// (record_changes) older than history.keep.
//
// It is not a tenant job: one retention applies to the whole database, and the history of a
// tenant removed from the config must be pruned too. It runs on its own goroutine, outside the
// scheduler's concurrency cap, and never blocks a sync:
//
//   - Each statement deletes at most Batch rows (models.Store.PruneChanges), and the job pauses
//     between statements. On Postgres a delete locks only the old rows it removes, which no sync
//     writes (history rows are only ever inserted), so upserts never wait for it; on SQLite,
//     whose one connection serialises every write, a sync waits at most one batch.
//   - A run is bounded by Timeout, well below the interval; a run cut short resumes at the next.
//   - With several replicas on one Postgres, a run first takes a cross-replica lock without
//     waiting; a replica that finds it held skips its run.
//
// Runs are logged (one line each: rows deleted, batches, time taken) and observed (metrics). The
// first run comes FirstDelay after Start, then one every Every. Keep follows config reloads
// (SetKeep).
package retention

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"go.uber.org/zap"
)

// Pruner is what the job needs of the store (models.Store implements it).
type Pruner interface {
	// PruneChanges deletes at most batch changes older than before and returns how many.
	PruneChanges(ctx context.Context, before time.Time, batch int) (int64, error)
}

// Locker is the cross-replica lock (daemon.Locker implements it, as for tenant jobs).
type Locker interface {
	TryLock(ctx context.Context, tenant, job string) (held context.Context, release func(), err error)
}

// LockName is the job name under which a run takes the Locker's lock. Its tenant is "", which no
// tenant id can be, so it never shares a lock with a tenant's job.
const LockName = "history-retention"

// Outcomes of a run, as observed and logged.
const (
	Succeeded = "succeeded"
	Failed    = "failed"
	// Skipped: another replica holds the lock and prunes.
	Skipped = "skipped"
)

// Observer is told the outcome of every run (the metrics package implements it).
type Observer interface {
	HistoryPruned(outcome string, rows int64, took time.Duration)
}

// Run is one run's outcome.
type Run struct {
	Outcome string
	// Before is the cut-off: changes older than this were deleted.
	Before  time.Time
	Rows    int64
	Batches int
	Took    time.Duration
	Err     error
}

// Config configures a Job. Zero fields take the defaults given.
type Config struct {
	Store Pruner
	// Keep is how long changes are kept (required; history.keep, changed later by SetKeep).
	Keep time.Duration
	// Every is the wait from the end of one run to the start of the next (0 = 24h).
	Every time.Duration
	// FirstDelay is the wait from Start to the first run (0 = 10m): after the start-up's
	// migrations and first syncs, not among them.
	FirstDelay time.Duration
	// Batch is the most rows one statement deletes (0 = 5000).
	Batch int
	// Pause is the wait between two statements of a run (0 = 200ms), which leaves the database
	// to syncs in between.
	Pause time.Duration
	// Timeout bounds one run (0 = 1h).
	Timeout time.Duration
	// Locker is the cross-replica lock (nil = this process only, as in SQLite mode).
	Locker Locker
	// Observer is told every run's outcome (nil = none).
	Observer Observer
	// Now is the clock (nil = time.Now).
	Now func() time.Time
}

// Job prunes record_changes on a timer.
type Job struct {
	cfg  Config
	log  *zap.Logger
	keep atomic.Int64 // time.Duration

	mu      sync.Mutex
	started bool
	cancel  context.CancelFunc
	done    chan struct{}
}

// New returns a stopped Job.
func New(cfg Config, log *zap.Logger) *Job {
	cfg.Every = cmp.Or(cfg.Every, 24*time.Hour)
	cfg.FirstDelay = cmp.Or(cfg.FirstDelay, 10*time.Minute)
	cfg.Batch = cmp.Or(cfg.Batch, 5000)
	cfg.Pause = cmp.Or(cfg.Pause, 200*time.Millisecond)
	cfg.Timeout = cmp.Or(cfg.Timeout, time.Hour)
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if log == nil {
		log = zap.NewNop()
	}
	j := &Job{cfg: cfg, log: log.Named("retention").With(zap.String("job", LockName))}
	j.keep.Store(int64(cfg.Keep))
	return j
}

// SetKeep changes the retention from the next run on (a config reload).
func (j *Job) SetKeep(keep time.Duration) {
	if old := time.Duration(j.keep.Swap(int64(keep))); old != keep {
		j.log.Info("history retention changed", zap.Duration("keep", keep), zap.Duration("was", old))
	}
}

// Start begins the timer: the first run after FirstDelay, then one every Every. It is idempotent.
func (j *Job) Start() {
	j.mu.Lock()
	defer j.mu.Unlock()
	if j.started {
		return
	}
	j.started = true
	ctx, cancel := context.WithCancel(context.Background())
	j.cancel, j.done = cancel, make(chan struct{})
	go j.loop(ctx)
}

// Stop cancels a run in progress (it stops between two statements; what it deleted stays
// deleted) and waits for the job's goroutine to end. It is idempotent, and a no-op before Start.
func (j *Job) Stop() {
	j.mu.Lock()
	defer j.mu.Unlock()
	if !j.started || j.cancel == nil {
		return
	}
	j.cancel()
	<-j.done
	j.cancel = nil
}

func (j *Job) loop(ctx context.Context) {
	defer close(j.done)
	t := time.NewTimer(j.cfg.FirstDelay)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		j.RunOnce(ctx)
		t.Reset(j.cfg.Every)
	}
}

// RunOnce runs the job now: it deletes, batch by batch, the changes older than now minus keep,
// until a batch comes back short, and logs and observes the outcome. A panic is recovered and
// reported as a failed run.
func (j *Job) RunOnce(ctx context.Context) (run Run) {
	start := time.Now()
	run.Before = j.cfg.Now().UTC().Add(-time.Duration(j.keep.Load()))
	defer func() {
		if p := recover(); p != nil {
			run.Err = fmt.Errorf("panic: %v", p)
		}
		run.Took = time.Since(start)
		switch {
		case run.Err != nil:
			run.Outcome = Failed
		case run.Outcome == "":
			run.Outcome = Succeeded
		}
		j.report(run)
	}()

	ctx, cancel := context.WithTimeout(ctx, j.cfg.Timeout)
	defer cancel()
	if j.cfg.Locker != nil {
		held, release, err := j.cfg.Locker.TryLock(ctx, "", LockName)
		if err != nil {
			run.Err = err
			return run
		}
		if held == nil {
			run.Outcome = Skipped
			return run
		}
		defer release()
		ctx = held
	}
	for {
		n, err := j.cfg.Store.PruneChanges(ctx, run.Before, j.cfg.Batch)
		run.Rows += n
		run.Batches++
		if err != nil {
			run.Err = err
			return run
		}
		if n < int64(j.cfg.Batch) {
			return run
		}
		if err := sleep(ctx, j.cfg.Pause); err != nil {
			run.Err = fmt.Errorf("stopped after %d batches: %w", run.Batches, err)
			return run
		}
	}
}

func (j *Job) report(run Run) {
	fields := []zap.Field{zap.String("outcome", run.Outcome), zap.Time("before", run.Before), zap.Int64("rows", run.Rows),
		zap.Int("batches", run.Batches), zap.Duration("took", run.Took)}
	switch {
	case run.Err != nil && errors.Is(run.Err, context.Canceled):
		j.log.Info("history retention stopped by shutdown; the next run goes on", append(fields, zap.Error(run.Err))...)
	case run.Err != nil:
		j.log.Error("history retention failed; the next run goes on", append(fields, zap.Error(run.Err))...)
	case run.Outcome == Skipped:
		j.log.Info("history retention skipped: another replica holds its lock", fields...)
	default:
		j.log.Info("history retention pruned record_changes", fields...)
	}
	if j.cfg.Observer != nil {
		j.cfg.Observer.HistoryPruned(run.Outcome, run.Rows, run.Took)
	}
}

// sleep waits d or until ctx ends.
func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}
