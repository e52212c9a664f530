package sync

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"go.uber.org/zap"

	"github.com/syncd-dev/syncd/internal/models"
	"github.com/syncd-dev/syncd/internal/procid"
	"github.com/syncd-dev/syncd/internal/tenants"
)

// Job order within a tenant (README "Job order"). A push computes its plan from the mirror, so
// it must not run from a half-filled or half-updated one:
//   - a tenant's first push (no succeeded push in sync_runs) waits until every upstream the
//     tenant pulls has had a complete pull: a succeeded run, or a partial one (every resource
//     the upstream serves was pulled; the push already leaves alone what depends on the others,
//     see push.Plan.Blocked). A failed or held run does not count. Until then the push is
//     skipped with models.SkipFirstPulls;
//   - a scheduled push waits for its tenant's pulls of the same tick (the scheduler's Order,
//     on schedule_claims; see daemon.Claimer), and a push from a shell (RunOptions.WaitForPulls)
//     waits for the tenant's pulls in progress, each for at most the push's run timeout, after
//     which it is skipped with models.SkipPullsUnfinished.
//
// RunOptions.Force overrides both. A skipped push is a sync_runs row with status skipped,
// details.skip_reason and the reason in words in error.

// SkipError is the outcome of a push that the job order kept from running.
type SkipError struct {
	Tenant string
	Job    tenants.Job
	// Reason is models.SkipPullsUnfinished or models.SkipFirstPulls.
	Reason string
	// Detail says it in words, with what would have to happen for the push to run.
	Detail string
}

func (e *SkipError) Error() string { return fmt.Sprintf("skipped (%s): %s", e.Reason, e.Detail) }

// SkipReason names the reason (the scheduler reads it through an interface, without importing
// this package).
func (e *SkipError) SkipReason() string { return e.Reason }

// pullJobs are the tenant's pull jobs: each upstream it has a block for.
func pullJobs(t *tenants.Tenant) []string {
	var out []string
	for _, j := range t.Jobs() {
		if j != tenants.JobPush {
			out = append(out, string(j))
		}
	}
	return out
}

// firstPushBlocked returns why the tenant's push would be its first one before every upstream
// had a complete pull ("" when it may run).
func (r *Runner) firstPushBlocked(ctx context.Context, t *tenants.Tenant) (string, error) {
	pushed, err := r.cfg.Store.LastSuccess(ctx, t.ID, string(tenants.JobPush))
	if err != nil {
		return "", err
	}
	if pushed != nil {
		return "", nil
	}
	var missing []string
	for _, job := range pullJobs(t) {
		at, err := r.cfg.Store.LastCompleted(ctx, t.ID, job, models.RunSucceeded, models.RunPartial)
		if err != nil {
			return "", err
		}
		if at == nil {
			missing = append(missing, job)
		}
	}
	if len(missing) == 0 {
		return "", nil
	}
	return fmt.Sprintf("tenant %s has never pushed, and its first push waits until every upstream has had a complete pull; "+
		"no complete %s pull yet (succeeded, or partial: only resources unavailable upstream left out)", t.ID, strings.Join(missing, " or ")), nil
}

// runningPulls returns the tenant's pulls in progress (RunningPulls).
func (r *Runner) runningPulls(ctx context.Context, t *tenants.Tenant) ([]string, error) {
	jobs := pullJobs(t)
	if len(jobs) == 0 {
		return nil, nil
	}
	return RunningPulls(ctx, r.cfg.Store, t.ID, jobs)
}

// RunningPulls returns the runs of the tenant's jobs that sync_runs says are in progress, as
// "job (run R on HOST since T)", leaving out runs whose process is known to be gone (their rows
// say running until the next run of the job marks them abandoned). The runner's one-off pushes
// and the daemon's tick order both wait on it.
func RunningPulls(ctx context.Context, store *models.Store, tenant string, jobs []string) ([]string, error) {
	runs, err := store.RunningRuns(ctx, tenant, jobs)
	if err != nil {
		return nil, err
	}
	var out []string
	for _, run := range runs {
		if id, ok := procid.Parse(run.Process); ok {
			if alive, known := procid.Alive(id); known && !alive {
				continue
			}
		}
		out = append(out, fmt.Sprintf("%s (run %s on %s since %s)", run.Job, run.RunID, run.Host, run.StartedAt.UTC().Format(time.RFC3339)))
	}
	return out, nil
}

// waitForRunningPulls polls until none of the tenant's pulls is in progress, or ctx ends. It
// returns the pulls still running when ctx ended (nil: none is running; err only for a database
// error).
func (r *Runner) waitForRunningPulls(ctx context.Context, t *tenants.Tenant, log *zap.Logger) ([]string, error) {
	every := r.cfg.OrderPoll
	if every <= 0 {
		every = time.Second
	}
	logged := false
	var last []string
	for {
		running, err := r.runningPulls(ctx, t)
		if err != nil {
			if ctx.Err() != nil && last != nil {
				return last, nil // the time ran out during a check: what the last one saw
			}
			return nil, fmt.Errorf("check the pulls in progress: %w", err)
		}
		last = running
		if len(running) == 0 {
			return nil, nil
		}
		if !logged {
			log.Info("push waits for the tenant's pulls in progress", zap.Strings("pulls", running))
			logged = true
		}
		if !sleepCtx(ctx, every) {
			return running, nil
		}
	}
}

func sleepCtx(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}

// pushOrder applies the job order to a push about to run: it returns a *SkipError when the push
// must not run, nil when it may. waitCtx (a child of ctx) bounds the wait for pulls in progress.
func (r *Runner) pushOrder(ctx, waitCtx context.Context, t *tenants.Tenant, opts RunOptions, log *zap.Logger) error {
	if opts.WaitForPulls {
		running, err := r.waitForRunningPulls(waitCtx, t, log)
		if err != nil {
			return err
		}
		if len(running) > 0 {
			return &SkipError{Tenant: t.ID, Job: tenants.JobPush, Reason: models.SkipPullsUnfinished,
				Detail: "the tenant's pulls were still running when the push's run timeout ran out: " + strings.Join(running, ", ")}
		}
	}
	detail, err := r.firstPushBlocked(ctx, t)
	if err != nil {
		return fmt.Errorf("check the first-push rule: %w", err)
	}
	if detail != "" {
		return &SkipError{Tenant: t.ID, Job: tenants.JobPush, Reason: models.SkipFirstPulls, Detail: detail}
	}
	return nil
}

// Skip records a run of the tenant's job that the job order kept from running: a sync_runs row
// with status skipped, details.skip_reason = reason and detail as its error. It returns the run
// and a *SkipError (wrapped). The scheduler calls it for a push whose same-tick pulls did not
// finish in time.
func (r *Runner) Skip(ctx context.Context, t *tenants.Tenant, job tenants.Job, reason, detail string) (*models.SyncRun, error) {
	return r.recordSkip(ctx, t, job, &SkipError{Tenant: t.ID, Job: job, Reason: reason, Detail: detail})
}

func (r *Runner) recordSkip(ctx context.Context, t *tenants.Tenant, job tenants.Job, skip *SkipError) (*models.SyncRun, error) {
	runID := newRunID()
	log := r.log.With(zap.String("tenant", t.ID), zap.String("job", string(job)), zap.String("run_id", runID))
	r.settlePending(ctx, t.ID, job)
	now := r.cfg.Now()
	run := &models.SyncRun{RunID: runID, TenantID: t.ID, Job: string(job), StartedAt: now, Host: r.cfg.Host,
		Process: r.self.String()}
	if err := r.cfg.Store.StartRun(ctx, run, r.ownerGone); err != nil {
		return nil, fmt.Errorf("tenant %s job %s: record a skipped run (%s): %w", t.ID, job, skip.Reason, err)
	}
	run.FinishedAt = &now
	run.Status = models.RunSkipped
	msg := skip.Error()
	run.Error = &msg
	if b, err := json.Marshal(map[string]string{"skip_reason": skip.Reason}); err == nil {
		run.Details = models.JSON(b)
	}
	r.recordOutcome(ctx, run, log)
	if r.cfg.Runs != nil {
		r.cfg.Runs.RunFinished(run, 0)
	}
	log.Warn("push skipped", zap.String("reason", skip.Reason), zap.String("detail", skip.Detail))
	return run, fmt.Errorf("tenant %s job %s: %w", t.ID, job, skip)
}

// IsSkip reports whether err is a run skipped by the job order, and why.
func IsSkip(err error) (string, bool) {
	var s *SkipError
	if errors.As(err, &s) {
		return s.Reason, true
	}
	return "", false
}

// PushOrderBlocks says, without waiting, what the job order would hold a push of the tenant for
// right now: each pull in progress, and the first-push rule if it is not met (nil: nothing).
// `syncd push --force` prints it as what it overrides.
func (r *Runner) PushOrderBlocks(ctx context.Context, t *tenants.Tenant) ([]string, error) {
	running, err := r.runningPulls(ctx, t)
	if err != nil {
		return nil, fmt.Errorf("check the pulls in progress: %w", err)
	}
	var out []string
	for _, p := range running {
		out = append(out, "pull in progress: "+p)
	}
	detail, err := r.firstPushBlocked(ctx, t)
	if err != nil {
		return nil, fmt.Errorf("check the first-push rule: %w", err)
	}
	if detail != "" {
		out = append(out, "first push before complete pulls: "+detail)
	}
	return out, nil
}
