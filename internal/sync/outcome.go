package sync

import (
	"cmp"
	"context"
	"errors"
	"time"

	"github.com/sethvargo/go-retry"
	"go.uber.org/zap"

	"github.com/syncd-dev/syncd/internal/models"
	"github.com/syncd-dev/syncd/internal/procid"
	"github.com/syncd-dev/syncd/internal/tenants"
)

// Outcomes.
//
// A run's outcome is written to sync_runs when the run ends. When the database refuses that
// write (it is down, or the connection was cut), the outcome is not dropped: the runner keeps it
// as pending and retries it in the background with exponential backoff, for as long as this
// process lives, until one of
//
//   - a retry records it;
//   - the next run of the same tenant job starts: before it records its own start it takes the
//     pending outcome over and tries it once more itself (if that fails too, the database is most
//     likely still down, the new run cannot start either, and the retries go on);
//   - the runner stops (Stop): pending outcomes get until Stop's deadline, then each one still
//     unrecorded is logged in full at error, so the outcome survives at least in the logs;
//   - OutcomeRetry.MaxElapsed passes (default a day: a job removed from the config never runs
//     again to take its outcome over).
//
// Abandoned runs. When a run starts, older runs of its job still marked running are marked
// abandoned only when their process is gone. Every run records its process (procid: host name,
// kernel boot id, pid and the pid's start time) in sync_runs.process, and StartRun asks ownerGone:
//
//   - a run of this very process is alive while its outcome is pending here;
//   - a run of another process of this machine (same host name and boot) is alive while that
//     pid still runs with the same start time (/proc), which also covers a `syncd sync` started
//     next to a SQLite daemon, which takes no lock;
//   - a run of another machine cannot be checked from here. The caller holds the job's lock
//     (on Postgres an advisory lock that dies with its holder's connection), so that run is not
//     in progress, and it is marked abandoned as before. If its process is in fact alive and
//     still retrying the outcome, that outcome overwrites the label once it lands: FinishRun
//     writes the whole row.
//
// Runs recorded before sync_runs.process existed have none, and are treated like another
// machine's.

// OutcomeRetry paces the background retries of an outcome the database refused.
type OutcomeRetry struct {
	// Base is the first delay, doubled after each attempt (0 = 1s).
	Base time.Duration
	// Cap bounds one delay (0 = 30s).
	Cap time.Duration
	// MaxElapsed bounds the whole retrying (0 = 24h).
	MaxElapsed time.Duration
}

// outcomeAttemptTimeout bounds one attempt to record an outcome.
const outcomeAttemptTimeout = 10 * time.Second

// pendingOutcome is an outcome being retried in the background.
type pendingOutcome struct {
	run    models.SyncRun
	log    *zap.Logger
	cancel context.CancelFunc
	// done is closed when the retrying goroutine has returned; recorded is set before.
	done     chan struct{}
	recorded bool
}

func jobKey(tenant, job string) string { return tenant + "\x00" + job }

// recordOutcome writes run's outcome, or leaves it pending (retried in the background) when the
// database refuses it.
func (r *Runner) recordOutcome(ctx context.Context, run *models.SyncRun, log *zap.Logger) {
	actx, cancel := context.WithTimeout(context.WithoutCancel(ctx), outcomeAttemptTimeout)
	err := r.cfg.Store.FinishRun(actx, run)
	cancel()
	if err == nil {
		return
	}
	log.Warn("could not record the run's outcome; retrying in the background until it is recorded or the job runs again",
		zap.String("status", run.Status), zap.Error(err))
	r.retryOutcome(*run, log)
}

// retryOutcome starts retrying a copy of run's outcome in the background, the first time after
// one backoff delay (the caller has just failed an attempt). After Stop the outcome is only
// logged.
func (r *Runner) retryOutcome(run models.SyncRun, log *zap.Logger) {
	ctx, cancel := context.WithCancel(r.life)
	p := &pendingOutcome{run: run, log: log, cancel: cancel, done: make(chan struct{})}
	key := jobKey(run.TenantID, run.Job)
	r.mu.Lock()
	if r.stopped {
		r.mu.Unlock()
		cancel()
		p.lost(errors.New("the runner has stopped"))
		return
	}
	if old := r.pending[key]; old != nil {
		// Cannot happen (the next run takes the old one over first); never leak it anyway.
		old.cancel()
	}
	r.pending[key] = p
	r.retrying[p] = struct{}{}
	r.mu.Unlock()

	pol := r.cfg.OutcomeRetry
	b := retry.NewExponential(cmp.Or(pol.Base, time.Second))
	b = retry.WithJitterPercent(10, b)
	b = retry.WithCappedDuration(cmp.Or(pol.Cap, 30*time.Second), b)
	b = retry.WithMaxDuration(cmp.Or(pol.MaxElapsed, 24*time.Hour), b)
	go func() {
		defer close(p.done)
		defer cancel()
		attempts := 0
		var last error // go-retry returns only the context's error on cancellation
		first, _ := b.Next()
		wait := time.NewTimer(first)
		defer wait.Stop()
		select {
		case <-ctx.Done():
		case <-wait.C:
		}
		err := retry.Do(ctx, b, func(ctx context.Context) error {
			if err := ctx.Err(); err != nil {
				return err
			}
			attempts++
			actx, cancel := context.WithTimeout(ctx, outcomeAttemptTimeout)
			defer cancel()
			if last = r.cfg.Store.FinishRun(actx, &p.run); last != nil {
				return retry.RetryableError(last)
			}
			return nil
		})
		r.mu.Lock()
		if r.pending[key] == p {
			delete(r.pending, key)
		}
		delete(r.retrying, p)
		r.mu.Unlock()
		switch {
		case err == nil:
			p.recorded = true
			log.Info("recorded the run's outcome after retrying", zap.String("status", p.run.Status), zap.Int("attempts", attempts))
		case ctx.Err() != nil && r.life.Err() == nil:
			// Taken over by the next run of the job, which reports what becomes of it.
		default:
			p.lost(last)
		}
	}()
}

// lost logs an outcome that could not be recorded, in full.
func (p *pendingOutcome) lost(err error) {
	run := p.run
	p.log.Error("run outcome lost: the database did not accept it while this process ran",
		zap.String("status", run.Status), zap.Stringp("run_error", run.Error), zap.Timep("finished_at", run.FinishedAt),
		zap.Int64("pages", run.Pages), zap.Int64("fetched", run.Fetched), zap.Int64("inserted", run.Inserted),
		zap.Int64("updated", run.Updated), zap.Int64("unchanged", run.Unchanged), zap.Int64("deleted", run.Deleted),
		zap.Int64("bad_records", run.BadRecords), zap.ByteString("details", run.Details), zap.NamedError("last_error", err))
}

// settlePending takes over the pending outcome of a tenant job, if any, before a new run of it
// starts: it stops the background retries and tries once more here. On failure the retries go on.
func (r *Runner) settlePending(ctx context.Context, tenant string, job tenants.Job) {
	key := jobKey(tenant, string(job))
	r.mu.Lock()
	p := r.pending[key]
	delete(r.pending, key)
	r.mu.Unlock()
	if p == nil {
		return
	}
	p.cancel()
	<-p.done
	if p.recorded {
		return
	}
	actx, cancel := context.WithTimeout(ctx, outcomeAttemptTimeout)
	err := r.cfg.Store.FinishRun(actx, &p.run)
	cancel()
	if err != nil {
		p.log.Warn("the previous run's outcome is still not recorded; retrying on", zap.Error(err))
		r.retryOutcome(p.run, p.log)
		return
	}
	p.log.Info("recorded the run's outcome before the next run of the job", zap.String("status", p.run.Status))
}

// ownerGone tells StartRun whether the process of an older run still marked running is gone; see
// the comment on Outcomes above.
func (r *Runner) ownerGone(run *models.SyncRun) bool {
	if run.Process == r.self.String() {
		r.mu.Lock()
		p := r.pending[jobKey(run.TenantID, run.Job)]
		r.mu.Unlock()
		return p == nil || p.run.ID != run.ID
	}
	id, ok := procid.Parse(run.Process)
	if !ok {
		return true
	}
	alive, known := procid.Alive(id)
	return !known || !alive
}

// Stop gives outcomes still pending until ctx ends to be recorded, then stops retrying them and
// logs each one left in full. Call it once runs have ended (after the scheduler stopped); a run
// that still ends later has its outcome tried once and, if refused, logged. It is idempotent.
func (r *Runner) Stop(ctx context.Context) {
	for p := r.anyRetrying(); p != nil && ctx.Err() == nil; p = r.anyRetrying() {
		select {
		case <-p.done:
		case <-ctx.Done():
		}
	}
	r.mu.Lock()
	r.stopped = true
	r.mu.Unlock()
	r.stop()
	// Cancelled retries return at once, logging what they lose.
	for p := r.anyRetrying(); p != nil; p = r.anyRetrying() {
		<-p.done
	}
}

// anyRetrying returns one outcome whose retrying goroutine is still running, or nil.
func (r *Runner) anyRetrying() *pendingOutcome {
	r.mu.Lock()
	defer r.mu.Unlock()
	for p := range r.retrying {
		return p
	}
	return nil
}

// Pending reports how many outcomes are waiting to be recorded (tests, shutdown logs).
func (r *Runner) Pending() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.pending)
}
