// Package daemon wires syncd together: config, logger, mirror store, runner, scheduler, HTTP
// endpoints and config reload. cmd/syncd calls Run; tests embed it the same way.
//
// Run reads top to bottom: open builds the daemon, serve starts it, loop reloads the config
// until the context ends, and stop winds the runs down. Config reload follows Alertmanager's
// config coordinator (reload.go): every component that depends on the config subscribes a
// function that applies a new config to itself, so adding a component never edits reload.
package daemon

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"sync/atomic"
	"time"

	"go.uber.org/zap"

	"github.com/syncd-dev/syncd/internal/clients/upstream"
	"github.com/syncd-dev/syncd/internal/metrics"
	"github.com/syncd-dev/syncd/internal/models"
	"github.com/syncd-dev/syncd/internal/retention"
	"github.com/syncd-dev/syncd/internal/scheduler"
	syncer "github.com/syncd-dev/syncd/internal/sync"
	"github.com/syncd-dev/syncd/internal/tenants"
)

// Options configure Run.
type Options struct {
	// ConfigPath is the YAML file; it is re-read on SIGHUP (Reload) and when it changes.
	ConfigPath string
	// LookupEnv resolves the config's *_env references, at startup and on every reload
	// (nil = os.LookupEnv).
	LookupEnv func(string) (string, bool)
	// Config is the config already loaded from ConfigPath by the caller (nil = load it here);
	// reloads always read the file.
	Config *tenants.Config
	// WatchInterval is how often the config file is checked for changes (0 = 5s, <0 = never).
	WatchInterval time.Duration
	// Reload receives a value for every SIGHUP.
	Reload <-chan struct{}
	// Log is the process logger (nil = none).
	Log *zap.Logger
	// Retry bounds retries of upstream calls (zero = the upstream defaults; tests use short
	// backoffs).
	Retry upstream.RetryPolicy
	// AttemptTimeout bounds one upstream HTTP attempt (0 = 30s).
	AttemptTimeout time.Duration
	// HTTP bounds the connections of the HTTP server (zero fields = defaults).
	HTTP HTTPTimeouts

	// Test holds what only tests set; production leaves it zero.
	Test TestConfig
}

// TestConfig groups the test-only hooks of Run, kept apart from its configuration as River keeps
// its TestConfig.
type TestConfig struct {
	// Ready, if set, receives the daemon once it serves: the HTTP server listens (Addr is set)
	// and the scheduler has started. Run blocks on the send, so give it a buffered channel or
	// receive from it.
	Ready chan<- *Daemon
	// Retention overrides the history retention job's timing (zero fields: its defaults, the
	// first run 10 minutes after start, then daily).
	Retention RetentionTiming
	// OrderPoll is how often a push waiting for its tick's pulls checks them (0 = 1s).
	OrderPoll time.Duration
}

// RetentionTiming is the timing of the history retention job (see retention.Config).
type RetentionTiming struct {
	FirstDelay, Every, Pause time.Duration
	Batch                    int
}

// load reads the config file as Run does at startup and on every reload.
func (o Options) load(path string) (*tenants.Config, error) {
	return tenants.Load(path, tenants.LoadOptions{LookupEnv: o.LookupEnv})
}

// HTTPTimeouts bound what one client can hold of the HTTP server (/metrics, probes, webhooks).
// Zero fields take the defaults below.
type HTTPTimeouts struct {
	// ReadHeader bounds reading a request's headers (default 10s).
	ReadHeader time.Duration
	// Read bounds reading a whole request, body included (default 30s): a body sent a byte at a
	// time is cut there. Webhook deliveries are at most 1 MiB.
	Read time.Duration
	// Write bounds the time from the end of reading the headers to the end of writing the
	// answer (default 30s); a webhook waits on the database within it.
	Write time.Duration
	// Idle bounds how long a keep-alive connection may wait for its next request (default 120s).
	Idle time.Duration
}

func (t HTTPTimeouts) server(h http.Handler) *http.Server {
	return &http.Server{
		Handler:           h,
		ReadHeaderTimeout: cmp.Or(t.ReadHeader, 10*time.Second),
		ReadTimeout:       cmp.Or(t.Read, 30*time.Second),
		WriteTimeout:      cmp.Or(t.Write, 30*time.Second),
		IdleTimeout:       cmp.Or(t.Idle, 120*time.Second),
	}
}

// Daemon is a running syncd.
type Daemon struct {
	opts    Options
	log     *zap.Logger
	store   *models.Store
	locker  *Locker // nil in SQLite mode
	metrics *metrics.Metrics
	runner  *syncer.Runner
	sched   *scheduler.Scheduler
	// retention prunes record_changes daily (not a tenant job: see internal/retention).
	retention *retention.Job
	// config holds the running config and hands every valid reload to the components.
	config *coordinator
	// webhookTenants is the tenant set the webhook receiver answers for.
	webhookTenants tenantSet
	// shutdownTimeout is the startup config's: like the scheduler's, it changes on restart only.
	shutdownTimeout time.Duration
	// closers release what open acquired, the last one first.
	closers []func()

	// srv and addr are set by serve when the config has a listen address.
	srv  *http.Server
	addr net.Addr

	// stopping turns /readyz to 503 while runs are being cancelled.
	stopping atomic.Bool
	// notReady is the reason and detail /readyz last found ("" = ready; nil = not asked yet).
	notReady atomic.Pointer[string]
}

// The metrics take the push runs' skips as well as their outcomes.
var _ syncer.PushSkipObserver = (*metrics.Metrics)(nil)

// Run runs the daemon until ctx ends: open builds it, serve starts it, loop reloads the config
// until ctx ends, and stop winds the runs down.
func Run(ctx context.Context, opts Options) error {
	if opts.Log == nil {
		opts.Log = zap.NewNop()
	}
	d, err := open(ctx, opts)
	if errors.Is(err, errStoppedWhileStarting) {
		return nil
	}
	if err != nil {
		return err
	}
	defer d.close()
	if err := d.serve(); err != nil {
		return err
	}
	d.loop(ctx)
	return d.stop()
}

// errStoppedWhileStarting ends a start that ctx cancelled while it waited on the database.
var errStoppedWhileStarting = errors.New("stopped while starting")

// open builds a daemon that is ready to serve: the config loaded (unless the caller did), the
// mirror opened and migrated, this process's lock (SQLite) or the lock pool (Postgres), the
// metrics seeded from the mirror, the runner and the scheduler, and every component subscribed
// to config reloads and given the startup config. What open acquired is released by close; if
// open fails, it releases it itself.
func open(ctx context.Context, opts Options) (_ *Daemon, err error) {
	cfg := opts.Config
	if cfg == nil {
		if cfg, err = opts.load(opts.ConfigPath); err != nil {
			return nil, fmt.Errorf("load config %s: %w", opts.ConfigPath, err)
		}
	}
	d := &Daemon{opts: opts, log: opts.Log, shutdownTimeout: cfg.Limits.ShutdownTimeout}
	defer func() {
		if err != nil {
			d.close()
		}
	}()
	if err := d.openStore(ctx, cfg); err != nil {
		return nil, err
	}

	host := processName()
	d.metrics = d.newMetrics(ctx)
	lims := upstream.NewLimiters()
	lims.Observe(d.metrics)
	d.runner = syncer.NewRunner(syncer.Config{
		Store: d.store, Limiters: lims, Upstream: d.metrics, Runs: d.metrics, Pushes: d.metrics,
		Retry: opts.Retry, AttemptTimeout: opts.AttemptTimeout, Host: host, Quarantine: d.metrics,
	}, d.log.Named("sync"))
	// The configured rates are the total for every process using the database (rate_leases);
	// the leases are released before the store closes.
	d.onClose(d.runner.ShareRateBudgets(d.log.Named("rate")))
	scfg := scheduler.Config{
		MaxConcurrent:   cfg.Limits.MaxConcurrentJobs,
		ShutdownTimeout: cfg.Limits.ShutdownTimeout,
		Observer:        d.metrics,
	}
	if d.locker != nil {
		// Only Postgres can have several replicas; SQLite mode is one process (the file lock).
		scfg.Locker = d.locker
	}
	// Claims on both databases: besides keeping a tick to one replica, they record when each
	// tick's run ended, which the job order within a tenant waits on (a push waits for the same
	// tick's pulls).
	claimer := NewClaimer(d.store, host)
	scfg.Claimer, scfg.Order, scfg.OrderPoll = claimer, claimer, opts.Test.OrderPoll
	d.sched = scheduler.New(scfg, d.runner, d.log)
	rcfg := retention.Config{
		Store: d.store, Keep: cfg.History.Keep.Duration(), Observer: d.metrics,
		FirstDelay: opts.Test.Retention.FirstDelay, Every: opts.Test.Retention.Every,
		Pause: opts.Test.Retention.Pause, Batch: opts.Test.Retention.Batch,
	}
	if d.locker != nil {
		rcfg.Locker = d.locker // one replica prunes at a time
	}
	d.retention = retention.New(rcfg, d.log)

	// Each component applies a new config to itself; reload only hands it over, in this order.
	d.config = newCoordinator(opts.ConfigPath, opts.load, d.log, d.metrics.Reload)
	d.config.subscribe("restart-only settings", restartOnly(d.log))
	d.config.subscribe("scheduler", d.sched.Apply)
	d.config.subscribe("job intervals", func(*tenants.Config) error {
		d.metrics.SetJobIntervals(d.sched.Intervals())
		return nil
	})
	d.config.subscribe("limits", limits(d.runner))
	d.config.subscribe("metrics", tenantMetrics(d.metrics))
	d.config.subscribe("webhooks", d.webhookTenants.apply)
	d.config.subscribe("history retention", func(cfg *tenants.Config) error {
		d.retention.SetKeep(cfg.History.Keep.Duration())
		return nil
	})
	if err := d.config.start(cfg); err != nil {
		return nil, err
	}
	d.metrics.SetReadiness(func() bool { return d.ready(context.Background()) == "" })
	d.refreshJobState(ctx)
	return d, nil
}

// jobStateRefresh is how often the gauges of each job's latest runs are read again from
// sync_runs. Every replica reads them, so each reports the runs of the others too and they agree
// within this time: the alert rules take max by (tenant, job) of gauges that a replica that did
// not run the job lately would otherwise leave stale.
const jobStateRefresh = 30 * time.Second

// streakLimit caps the failures counted in a row: an alert needs a few, not the whole history.
const streakLimit = 10

// refreshJobState sets, for every scheduled job, syncd_job_consecutive_failures and, from its
// latest finished run that is not abandoned, syncd_held_deletes, syncd_resource_available and
// syncd_credentials_rejected. On a database error it logs and keeps the values it had.
func (d *Daemon) refreshJobState(ctx context.Context) {
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	latest, err := d.store.LatestFinishedRuns(ctx, streakLimit)
	if err != nil {
		d.log.Warn("could not read the latest runs from sync_runs; the job gauges keep their values", zap.Error(err))
		return
	}
	streaks := map[[2]string]int{}
	for k := range d.sched.Intervals() {
		runs := latest[k]
		streaks[k] = models.FailureStreak(runs)
		for i := range runs {
			if runs[i].Status == models.RunAbandoned {
				continue
			}
			d.metrics.SetHeldDeletes(k[0], k[1], runs[i].HeldDeletes())
			d.metrics.SetResourceAvailability(&runs[i])
			d.metrics.SetCredentialsRejected(&runs[i])
			break
		}
	}
	d.metrics.SetFailureStreaks(streaks)
}

// openStore opens the mirror, takes the lock that keeps SQLite mode to one process or opens the
// Postgres lock pool, and migrates the schema if it is behind.
func (d *Daemon) openStore(ctx context.Context, cfg *tenants.Config) error {
	store, err := models.Open(ctx, models.OpenConfig{DSN: cfg.Database.DSN.Reveal(), MaxOpenConns: cfg.Database.MaxOpenConns}, d.log.Named("store"))
	if err != nil {
		return d.startFailed(ctx, err)
	}
	d.store = store
	d.onClose(func() { _ = store.Close() })

	switch store.Dialect() {
	case models.SQLite:
		release, err := lockSQLiteFile(cfg.Database.SQLitePath())
		if err != nil {
			return err
		}
		d.onClose(release)
	case models.Postgres:
		locker, err := NewLocker(ctx, LockerConfig{DSN: cfg.Database.DSN.Reveal()}, d.log.Named("lock"))
		if err != nil {
			return d.startFailed(ctx, err)
		}
		d.locker = locker
		d.onClose(func() { _ = locker.Close() })
	}
	// Migrate only when behind: migrating takes goose's session lock, which replicas starting
	// together would otherwise queue on (goose polls it every 5s) even with nothing to apply.
	if cur, latest, err := store.MigrationState(ctx); err != nil || cur < latest {
		if _, err := store.Migrate(ctx); err != nil {
			return d.startFailed(ctx, err)
		}
	}
	return nil
}

// startFailed returns the error of a start step that waits on the database, or
// errStoppedWhileStarting if ctx ended meanwhile: a stop requested while starting (SIGTERM while
// waiting for the database or for another replica's migration) is a clean stop, not a failure.
func (d *Daemon) startFailed(ctx context.Context, err error) error {
	if ctx.Err() != nil {
		d.log.Info("stopped while starting", zap.Error(err))
		return errStoppedWhileStarting
	}
	return err
}

// newMetrics builds the metrics, with the database pools registered and the gauges that describe
// the latest runs seeded from sync_runs, so a restart does not empty them.
func (d *Daemon) newMetrics(ctx context.Context) *metrics.Metrics {
	m := metrics.New()
	if pool, err := d.store.PoolCollector("mirror"); err == nil {
		m.RegisterDB(pool)
	}
	if d.locker != nil {
		m.RegisterDB(d.locker.PoolCollector("locks"))
	}
	if last, err := d.store.LastSuccesses(ctx); err != nil {
		d.log.Warn("could not read last successes from sync_runs; the gauge starts empty", zap.Error(err))
	} else {
		for k, at := range last {
			m.SetLastSuccess(k[0], k[1], at)
		}
	}
	if statuses, err := d.store.JobStatuses(ctx, ""); err != nil {
		d.log.Warn("could not read the latest runs from sync_runs; the held-deletes, resource-available and credentials-rejected gauges start empty", zap.Error(err))
	} else {
		for _, st := range statuses {
			m.SetHeldDeletes(st.TenantID, st.Job, st.Last.HeldDeletes())
			m.SetResourceAvailability(&st.Last)
			m.SetCredentialsRejected(&st.Last)
		}
	}
	return m
}

// serve starts the HTTP server, when the config has a listen address, and the scheduler, then
// hands the daemon to Options.Test.Ready.
func (d *Daemon) serve() error {
	cfg := d.Config()
	if cfg.Listen != "" {
		ln, err := net.Listen("tcp", cfg.Listen)
		if err != nil {
			return fmt.Errorf("listen on %s: %w", cfg.Listen, err)
		}
		d.addr = ln.Addr()
		d.srv = d.opts.HTTP.server(d.Handler())
		go func() {
			if err := d.srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
				d.log.Error("http server stopped", zap.Error(err))
			}
		}()
		d.log.Info("serving", zap.String("addr", ln.Addr().String()))
	}
	d.sched.Start()
	d.retention.Start()
	d.log.Info("syncd started", zap.Int("tenants", countEnabled(cfg)), zap.String("database", d.store.Dialect()))
	if d.opts.Test.Ready != nil {
		d.opts.Test.Ready <- d
	}
	return nil
}

// loop reloads the config on every Options.Reload and whenever the file's content changes,
// until ctx ends.
func (d *Daemon) loop(ctx context.Context) {
	var tick <-chan time.Time
	if every := cmp.Or(d.opts.WatchInterval, 5*time.Second); every > 0 {
		t := time.NewTicker(every)
		defer t.Stop()
		tick = t.C
	}
	jobState := time.NewTicker(jobStateRefresh)
	defer jobState.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-d.opts.Reload:
			d.config.reload("signal")
		case <-tick:
			if d.config.fileChanged() {
				d.config.reload("file changed")
			}
		case <-jobState.C:
			d.refreshJobState(ctx)
		}
	}
}

// stop ends scheduling, cancels the runs in progress and waits, within the shutdown timeout, for
// them and for outcomes the database has not accepted yet; then it closes the HTTP server.
// /readyz answers 503 from the start.
func (d *Daemon) stop() error {
	d.log.Info("stopping: no new runs; cancelling runs in progress")
	d.stopping.Store(true)
	ctx, cancel := context.WithTimeout(context.Background(), d.shutdownTimeout)
	defer cancel()
	stopErr := d.sched.Stop()
	d.retention.Stop() // between two of its statements; the next start goes on
	// Outcomes the database refused get what is left of the shutdown timeout.
	if n := d.runner.Pending(); n > 0 {
		d.log.Warn("waiting for run outcomes the database has not accepted yet", zap.Int("pending", n))
	}
	d.runner.Stop(ctx)
	if d.srv != nil {
		sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		_ = d.srv.Shutdown(sctx)
		cancel()
	}
	if stopErr != nil {
		d.log.Warn("stopped with runs still in progress", zap.Error(stopErr))
		return stopErr
	}
	d.log.Info("stopped")
	return nil
}

// onClose registers f to be run by close.
func (d *Daemon) onClose(f func()) { d.closers = append(d.closers, f) }

// close releases what open acquired, the last one first: the locks before the mirror.
func (d *Daemon) close() {
	for i := len(d.closers) - 1; i >= 0; i-- {
		d.closers[i]()
	}
	d.closers = nil
}

// Config returns the running config.
func (d *Daemon) Config() *tenants.Config { return d.config.current() }

// Addr is the HTTP listen address (nil when not serving).
func (d *Daemon) Addr() net.Addr { return d.addr }

// Scheduler exposes the scheduler (tests).
func (d *Daemon) Scheduler() *scheduler.Scheduler { return d.sched }

// Metrics exposes the metrics (tests).
func (d *Daemon) Metrics() *metrics.Metrics { return d.metrics }

// Compile-time checks of what Run wires together.
var (
	_ upstream.Observer  = (*metrics.Metrics)(nil)
	_ syncer.RunObserver = (*metrics.Metrics)(nil)
	_ scheduler.Observer = (*metrics.Metrics)(nil)
	_ scheduler.Runner   = (*syncer.Runner)(nil)
	_ scheduler.Claimer  = (*Claimer)(nil)
	_ scheduler.Order    = (*Claimer)(nil)
	_ scheduler.Skipper  = (*syncer.Runner)(nil)
	_ retention.Locker   = (*Locker)(nil)
	_ retention.Observer = (*metrics.Metrics)(nil)
	_ retention.Pruner   = (*models.Store)(nil)

	_ syncer.QuarantineObserver = (*metrics.Metrics)(nil)
)

// processName names this process in sync_runs.host and schedule_claims.host: the host name and
// the process id, so that runs of two replicas on one machine can be told apart.
func processName() string {
	h, err := os.Hostname()
	if err != nil || h == "" {
		h = "unknown"
	}
	return fmt.Sprintf("%s/%d", h, os.Getpid())
}
