// Package sync runs syncd's jobs for one tenant: pulls that page through an upstream and upsert
// each page into the mirror (skipping unchanged records, tombstoning records gone upstream after a
// complete pass), and pushes that send the mirror's diffs back. Every run is recorded in sync_runs.
//
// Scheduling, locking between runs and concurrency caps belong to the scheduler; a Runner only
// runs what it is asked to run. What a record becomes in the mirror (and how one webhook change
// lands) is internal/mirror's, shared with the webhook receiver and the benchmarks; the push
// plan and its execution are internal/push's. This package orchestrates them.
package sync

import (
	"cmp"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"net/http"
	"os"
	"runtime/debug"
	"slices"
	"strings"
	gosync "sync"
	"time"

	"go.uber.org/zap"

	"github.com/syncd-dev/syncd/internal/clients/funnelflux"
	"github.com/syncd-dev/syncd/internal/clients/upstream"
	"github.com/syncd-dev/syncd/internal/models"
	"github.com/syncd-dev/syncd/internal/procid"
	"github.com/syncd-dev/syncd/internal/push"
	"github.com/syncd-dev/syncd/internal/tenants"
)

// RunObserver is told about every finished run (the metrics package implements it).
type RunObserver interface {
	RunFinished(run *models.SyncRun, took time.Duration)
}

// Config configures a Runner.
type Config struct {
	Store *models.Store
	// Limiters are shared with every other runner of the process (nil = a private set).
	Limiters *upstream.Limiters
	// HTTPClient is shared by all upstream clients (nil = the upstream package's default).
	HTTPClient *http.Client
	// Upstream receives per-request measurements.
	Upstream upstream.Observer
	// Runs receives per-run measurements.
	Runs RunObserver
	// Retry bounds retries of upstream calls (zero = upstream defaults).
	Retry upstream.RetryPolicy
	// AttemptTimeout bounds one upstream HTTP attempt (0 = 30s).
	AttemptTimeout time.Duration
	// Now is the clock (nil = time.Now in UTC).
	Now func() time.Time
	// Host names this process in sync_runs (default: the hostname).
	Host string
	// Pushes is told the outcome of every push (the metrics package implements it).
	Pushes PushObserver
	// OutcomeRetry paces retries of recording an outcome the database refused (zero = defaults;
	// see OutcomeRetry).
	OutcomeRetry OutcomeRetry
	// Quarantine is told of every record quarantined in bad_records (nil = none).
	Quarantine QuarantineObserver
	// OrderPoll is how often a push from a shell checks whether its tenant's pulls in progress
	// have finished (RunOptions.WaitForPulls; 0 = 1s).
	OrderPoll time.Duration

	// Test holds what only tests set; production leaves it zero.
	Test TestConfig
}

// TestConfig groups the Runner's test-only hooks, kept apart from its configuration as River
// keeps its TestConfig.
type TestConfig struct {
	// PushHooks stop pushes at chosen points (nil = none).
	PushHooks *push.Hooks
	// FunnelFluxPageSize is the FunnelFlux report page length (0 = the client's default), so
	// that tests page through small reports.
	FunnelFluxPageSize int
}

// PushObserver counts push outcomes.
type PushObserver interface {
	Push(tenant, kind, outcome string)
}

// Runner runs jobs. It keeps the outcomes the database refused until they are recorded (see
// outcome.go); Stop ends that.
type Runner struct {
	cfg Config
	log *zap.Logger
	// self identifies this process in sync_runs.process.
	self procid.ID

	// life bounds background outcome retries; stop cancels it.
	life context.Context
	stop context.CancelFunc

	mu gosync.Mutex
	// pending holds the outcome being retried per tenant job (jobKey).
	pending map[string]*pendingOutcome
	// retrying holds every outcome whose retrying goroutine still runs (pending ones, and one
	// being taken over by settlePending).
	retrying map[*pendingOutcome]struct{}
	// stopped is set by Stop: no retrying starts after it.
	stopped bool
	// ffTokens holds each tenant's FunnelFlux token source (see funnelFluxTokens).
	ffTokens map[string]ffTokenEntry
}

// NewRunner builds a runner.
func NewRunner(cfg Config, log *zap.Logger) *Runner {
	if cfg.Limiters == nil {
		cfg.Limiters = upstream.NewLimiters()
	}
	if cfg.Now == nil {
		cfg.Now = func() time.Time { return time.Now().UTC() }
	}
	if cfg.Host == "" {
		cfg.Host, _ = os.Hostname()
	}
	if log == nil {
		log = zap.NewNop()
	}
	life, stop := context.WithCancel(context.Background())
	return &Runner{cfg: cfg, log: log, self: procid.Self(), life: life, stop: stop,
		pending: map[string]*pendingOutcome{}, retrying: map[*pendingOutcome]struct{}{}, ffTokens: map[string]ffTokenEntry{}}
}

// Store returns the runner's store.
func (r *Runner) Store() *models.Store { return r.cfg.Store }

func (r *Runner) upstreamConfig() upstream.Config {
	return upstream.Config{
		HTTPClient: r.cfg.HTTPClient,
		Timeout:    r.cfg.AttemptTimeout,
		Retry:      r.cfg.Retry,
		Observer:   r.cfg.Upstream,
		UserAgent:  "syncd",
	}
}

// runContext is what a job sees of its run.
type runContext struct {
	tenant    string
	runID     string
	log       *zap.Logger
	store     *models.Store
	now       func() time.Time
	bounds    pullBounds
	total     Counts
	resources map[string]Counts
	retries   int64
	// details collects job-specific figures for sync_runs.details (pushes, links).
	details map[string]any
	// quarantined is told of records put in bad_records (nil = none).
	quarantined QuarantineObserver
	// job and cfg are the job being run and the tenant's config.
	job tenants.Job
	cfg *tenants.Tenant
	// unavailable are the resources unavailable upstream in this run (see unavailable.go).
	unavailable map[string]models.Unavailable
}

// origin attributes the run's changes to the mirror in record_changes.
func (rc *runContext) origin() models.Origin { return models.Origin{RunID: rc.runID} }

// pullAll pulls each resource in turn. A failed resource does not stop the others (their data is
// independent), but a cancelled run stops at once, and so does a rejected credential: every
// resource of the job uses the same one. A resource unavailable upstream (see unavailable.go) is
// recorded as such rather than as an error.
func (rc *runContext) pullAll(ctx context.Context, ps []puller) error {
	var errs []error
	for _, p := range ps {
		c, err := p.pull(ctx, rc)
		rc.total.add(c)
		rc.resources[p.resourceName()] = c
		if err != nil && c.Pages == 0 && ctx.Err() == nil {
			if reason, ok := unavailableReason(err); ok {
				rc.markUnavailable(p.resourceName(), reason, rc.cfg != nil && keptCurrentByWebhooks(rc.cfg, rc.job, p.resourceName()))
				continue
			}
		}
		if err != nil {
			errs = append(errs, fmt.Errorf("pull %s: %w", p.resourceName(), err))
			if ctx.Err() != nil || errors.Is(err, upstream.ErrCredentialsRejected) {
				break
			}
		}
	}
	return errors.Join(errs...)
}

// held maps each resource the mass-delete guard held to its would-be count.
func (rc *runContext) held() map[string]int64 {
	var m map[string]int64
	for name, c := range rc.resources {
		if c.HeldDeletes > 0 {
			if m == nil {
				m = map[string]int64{}
			}
			m[name] = c.HeldDeletes
		}
	}
	return m
}

// jobs is the one table of what runs each job: adding a job is adding its tenants.Job constant
// and a line here (a test checks that every tenants.AllJobs entry has one).
var jobs = map[tenants.Job]func(*Runner, context.Context, *runContext, *tenants.Tenant) error{
	tenants.JobRentEngine: (*Runner).pullRentEngine,
	tenants.JobFunnel:     (*Runner).pullFunnel,
	tenants.JobPush:       (*Runner).push,
	tenants.JobFunnelFlux: (*Runner).pullFunnelFlux,
}

// jobFunc returns the implementation of a job.
func (r *Runner) jobFunc(job tenants.Job) (func(context.Context, *runContext, *tenants.Tenant) error, error) {
	f, ok := jobs[job]
	if !ok {
		return nil, fmt.Errorf("unknown job %q", job)
	}
	return func(ctx context.Context, rc *runContext, t *tenants.Tenant) error { return f(r, ctx, rc, t) }, nil
}

// RunOptions are one-off overrides for a single run.
type RunOptions struct {
	// AllowDeletes lifts the mass-delete guard for this run: an operator has checked that the
	// deletions a held run reported are real (syncd sync --allow-deletes).
	AllowDeletes bool
	// WaitForPulls makes a push wait, within its run timeout, until none of its tenant's pulls
	// is in progress (a push from a shell; a scheduled push waits for its tick's pulls in the
	// scheduler instead). See order.go.
	WaitForPulls bool
	// Force runs a push regardless of the job order: neither the first-push rule nor the wait
	// for pulls applies (syncd push --force).
	Force bool
}

// HeldError is the outcome of a run whose mass-delete guard held at least one resource: the
// run stored everything else, and tombstoned none of the held resources' missing rows.
type HeldError struct {
	Tenant string
	Job    tenants.Job
	// Held maps each held resource to the number of rows it would have tombstoned.
	Held map[string]int64
}

func (e *HeldError) Error() string {
	names := slices.Sorted(maps.Keys(e.Held))
	parts := make([]string, len(names))
	for i, n := range names {
		parts[i] = fmt.Sprintf("%d rows of %s", e.Held[n], n)
	}
	return fmt.Sprintf("held by the mass-delete guard: the pull would tombstone %s, over max_delete_fraction; "+
		"none were tombstoned. If the deletions are real, release them with: syncd sync --tenant %s --job %s --allow-deletes",
		strings.Join(parts, ", "), e.Tenant, e.Job)
}

// Run runs one job for one tenant now, bounded by the tenant's run timeout, and records it in
// sync_runs. The returned run is never nil once the run was recorded as started. A run held by
// the mass-delete guard returns a *HeldError, and a partial run (some resources unavailable
// upstream, nothing failed or held) a *PartialError.
func (r *Runner) Run(ctx context.Context, t *tenants.Tenant, job tenants.Job) (*models.SyncRun, error) {
	return r.RunWith(ctx, t, job, RunOptions{})
}

// RunWith is Run with one-off options.
func (r *Runner) RunWith(ctx context.Context, t *tenants.Tenant, job tenants.Job, opts RunOptions) (run *models.SyncRun, err error) {
	fn, err := r.jobFunc(job)
	if err != nil {
		return nil, err
	}
	timeout := cmp.Or(t.RunTimeout, 30*time.Minute)
	if job == tenants.JobPush && !opts.Force {
		// The job order (order.go): waiting for pulls takes at most one run timeout, and the
		// push that then runs has a whole one of its own.
		wctx, cancel := context.WithTimeout(ctx, timeout)
		err := r.pushOrder(ctx, wctx, t, opts, r.log.With(zap.String("tenant", t.ID), zap.String("job", string(job))))
		cancel()
		if skip := (*SkipError)(nil); errors.As(err, &skip) {
			return r.recordSkip(ctx, t, job, skip)
		}
		if err != nil {
			return nil, fmt.Errorf("tenant %s job %s: %w", t.ID, job, err)
		}
	}
	runID := newRunID()
	log := r.log.With(zap.String("tenant", t.ID), zap.String("job", string(job)), zap.String("run_id", runID))
	if timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, timeout)
		defer cancel()
	}
	// An outcome of this job still pending is recorded (or at least tried) before this run
	// starts, so that the previous run is never seen as running next to this one.
	r.settlePending(ctx, t.ID, job)
	start := time.Now()
	run = &models.SyncRun{RunID: runID, TenantID: t.ID, Job: string(job), StartedAt: r.cfg.Now(), Host: r.cfg.Host,
		Process: r.self.String()}
	if err := r.cfg.Store.StartRun(ctx, run, r.ownerGone); err != nil {
		return nil, fmt.Errorf("tenant %s job %s: %w", t.ID, job, err)
	}
	log.Info("run started")
	rc := &runContext{tenant: t.ID, runID: runID, log: log, store: r.cfg.Store, now: r.cfg.Now,
		bounds: boundsFor(t, opts), resources: map[string]Counts{}, details: map[string]any{},
		quarantined: r.cfg.Quarantine, job: job, cfg: t}

	func() {
		defer func() {
			if p := recover(); p != nil {
				log.Error("run panicked", zap.Any("panic", p), zap.ByteString("stack", debug.Stack()))
				err = fmt.Errorf("panic: %v", p)
			}
		}()
		err = fn(ctx, rc, t)
	}()
	if errors.Is(err, funnelflux.ErrReauthRequired) {
		// Said first, so that `syncd status` shows it: the refresh token was refused, and only a
		// person issuing new tokens in FunnelFlux fixes it. The tenant's other jobs go on.
		err = fmt.Errorf("%w: FunnelFlux refused to renew the access token; generate new tokens under "+
			"Settings > API Access and update funnelflux.access_token_* and refresh_token_*: %w", funnelflux.ErrReauthRequired, err)
	} else if errors.Is(err, upstream.ErrCredentialsRejected) {
		// Said first, in sync_runs and the logs alike: no retry or next run fixes it, an operator does.
		err = fmt.Errorf("%w: %w", upstream.ErrCredentialsRejected, err)
	}
	// Outcome precedence: failed > held > partial > succeeded (see models.RunPartial).
	if held := rc.held(); err == nil && len(held) > 0 {
		err = &HeldError{Tenant: t.ID, Job: job, Held: held}
	}
	if err == nil && len(rc.unavailable) > 0 {
		pe := &PartialError{Tenant: t.ID, Job: job, Unavailable: map[string]string{}}
		for name, u := range rc.unavailable {
			pe.Unavailable[name] = u.Reason
		}
		err = pe
	}

	r.finish(ctx, run, rc, err)
	took := time.Since(start)
	if r.cfg.Runs != nil {
		r.cfg.Runs.RunFinished(run, took)
	}
	fields := []zap.Field{zap.Duration("took", took), zap.Int64("pages", run.Pages),
		zap.Int64("fetched", run.Fetched), zap.Int64("inserted", run.Inserted), zap.Int64("updated", run.Updated),
		zap.Int64("unchanged", run.Unchanged), zap.Int64("deleted", run.Deleted),
		zap.Int64("bad_records", run.BadRecords), zap.Int64("retries", run.Retries)}
	if perr := (*PartialError)(nil); errors.As(err, &perr) {
		// Each unavailable resource was logged at warn already, once.
		log.Info("run partial: resources unavailable upstream were left as they were",
			append(fields, zap.Strings("unavailable", slices.Sorted(maps.Keys(perr.Unavailable))))...)
		return run, fmt.Errorf("tenant %s job %s: %w", t.ID, job, err)
	}
	if herr := (*HeldError)(nil); errors.As(err, &herr) {
		// The guard logged each held resource at error already.
		log.Warn("run held: deletions withheld", append(fields, zap.Any("held_deletes", herr.Held))...)
		return run, fmt.Errorf("tenant %s job %s: %w", t.ID, job, err)
	}
	if err != nil {
		log.Error("run failed", append(fields, zap.Error(err))...)
		return run, fmt.Errorf("tenant %s job %s: %w", t.ID, job, err)
	}
	log.Info("run succeeded", fields...)
	return run, nil
}

// finish records the outcome even when the run's context has ended (a cancelled run must still
// be recorded as failed) and even when the database refuses it now (see recordOutcome).
func (r *Runner) finish(ctx context.Context, run *models.SyncRun, rc *runContext, runErr error) {
	now := r.cfg.Now()
	c := rc.total
	run.FinishedAt = &now
	run.Pages, run.Fetched, run.Inserted, run.Updated = c.Pages, c.Fetched, c.Inserted, c.Updated
	run.Unchanged, run.Deleted, run.BadRecords, run.Retries = c.Unchanged, c.Deleted, c.BadRecords, rc.retries
	run.Status = models.RunSucceeded
	if runErr != nil {
		run.Status = models.RunFailed
		switch {
		case errors.As(runErr, new(*HeldError)):
			run.Status = models.RunHeld
		case errors.As(runErr, new(*PartialError)):
			run.Status = models.RunPartial
		}
		msg := runErr.Error()
		run.Error = &msg
	}
	details := map[string]any{}
	if len(rc.resources) > 0 {
		details["resources"] = rc.resources
	}
	// Also on a failed run: a resource can be held while another fails.
	if held := rc.held(); len(held) > 0 {
		details["held_deletes"] = held
	}
	// Also on a failed or held run, which takes precedence over partial.
	if len(rc.unavailable) > 0 {
		reasons := map[string]string{}
		var webhooks []string
		for name, u := range rc.unavailable {
			reasons[name] = u.Reason
			if u.KeptCurrentByWebhooks {
				webhooks = append(webhooks, name)
			}
		}
		details["unavailable"] = reasons
		if len(webhooks) > 0 {
			slices.Sort(webhooks)
			details["kept_current_by_webhooks"] = webhooks
		}
	}
	for k, v := range rc.details {
		details[k] = v
	}
	if len(details) > 0 {
		if b, err := json.Marshal(details); err == nil {
			run.Details = models.JSON(b)
		}
	}
	r.recordOutcome(ctx, run, rc.log)
}

func newRunID() string {
	b := make([]byte, 8)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// ForgetTenant drops per-tenant state (FunnelFlux tokens) of a tenant removed from the config.
// Rate budgets are per credential: RetainLimits drops those no tenant uses.
func (r *Runner) ForgetTenant(tenant string) {
	r.mu.Lock()
	delete(r.ffTokens, tenant)
	r.mu.Unlock()
}
