// Package daemon wires syncd together: config, logger, mirror store, runner, scheduler, HTTP
// endpoints and config reload. cmd/syncd calls Run; tests embed it the same way.
package daemon

import (
	"cmp"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"sync"
	"sync/atomic"
	"time"

	"go.uber.org/zap"

	"github.com/syncd-dev/syncd/internal/clients/upstream"
	"github.com/syncd-dev/syncd/internal/metrics"
	"github.com/syncd-dev/syncd/internal/models"
	"github.com/syncd-dev/syncd/internal/scheduler"
	syncer "github.com/syncd-dev/syncd/internal/sync"
	"github.com/syncd-dev/syncd/internal/tenants"
)

// Options configure Run.
type Options struct {
	// ConfigPath is the YAML file; it is re-read on SIGHUP (Reload) and when it changes.
	ConfigPath string
	// Load overrides how the config is read (tests); nil = tenants.Load with the real environment.
	Load func(path string) (*tenants.Config, error)
	// Config is the config already loaded from ConfigPath by the caller (nil = load it here);
	// reloads always read the file.
	Config *tenants.Config
	// WatchInterval is how often the config file is checked for changes (0 = 5s, <0 = never).
	WatchInterval time.Duration
	// Reload receives a value for every SIGHUP.
	Reload <-chan struct{}
	// Log is the process logger.
	Log *zap.Logger
	// Ready, if set, is closed once the daemon is serving (tests).
	Ready chan<- *Daemon
	// Retry overrides the upstream retry policy (tests use short backoffs).
	Retry upstream.RetryPolicy
	// AttemptTimeout overrides the upstream per-attempt timeout.
	AttemptTimeout time.Duration
	// HTTP bounds the connections of the HTTP server (zero fields = defaults).
	HTTP HTTPTimeouts
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
	metrics *metrics.Metrics
	runner  *syncer.Runner
	sched   *scheduler.Scheduler
	locker  *Locker

	// stopping turns /readyz to 503 while runs are being cancelled.
	stopping atomic.Bool
	// notReady is the reason and detail /readyz last found ("" = ready; nil = not asked yet).
	notReady atomic.Pointer[string]

	mu   sync.Mutex
	cfg  *tenants.Config
	addr net.Addr
	// fileSum identifies the config file content last applied or rejected.
	fileSum string
}

func (o Options) load(path string) (*tenants.Config, error) {
	if o.Load != nil {
		return o.Load(path)
	}
	return tenants.Load(path, tenants.LoadOptions{})
}

// The metrics take the push runs' skips as well as their outcomes.
var _ syncer.PushSkipObserver = (*metrics.Metrics)(nil)

// Run runs the daemon until ctx ends.
func Run(ctx context.Context, opts Options) error {
	log := opts.Log
	if log == nil {
		log = zap.NewNop()
	}
	// A stop requested while starting (SIGTERM while waiting for the database or for another
	// replica's migration) is a clean stop, not a failure.
	startFailed := func(err error) error {
		if ctx.Err() != nil {
			log.Info("stopped while starting", zap.Error(err))
			return nil
		}
		return err
	}
	cfg := opts.Config
	if cfg == nil {
		var err error
		if cfg, err = opts.load(opts.ConfigPath); err != nil {
			return fmt.Errorf("load config %s: %w", opts.ConfigPath, err)
		}
	}
	store, err := models.Open(ctx, models.OpenConfig{DSN: cfg.Database.DSN.Reveal(), MaxOpenConns: cfg.Database.MaxOpenConns}, log.Named("store"))
	if err != nil {
		return startFailed(err)
	}
	defer store.Close()

	var locker *Locker
	switch store.Dialect() {
	case models.SQLite:
		release, err := lockSQLiteFile(cfg.Database.SQLitePath())
		if err != nil {
			return err
		}
		defer release()
	case models.Postgres:
		locker, err = NewLocker(ctx, LockerConfig{DSN: cfg.Database.DSN.Reveal()}, log.Named("lock"))
		if err != nil {
			return startFailed(err)
		}
		defer locker.Close()
	}
	// Migrate only when behind: migrating takes goose's session lock, which replicas starting
	// together would otherwise queue on (goose polls it every 5s) even with nothing to apply.
	if cur, latest, err := store.MigrationState(ctx); err != nil || cur < latest {
		if _, err := store.Migrate(ctx); err != nil {
			return startFailed(err)
		}
	}

	host := processName()
	m := metrics.New()
	if pool, err := store.PoolCollector("mirror"); err == nil {
		m.RegisterDB(pool)
	}
	if locker != nil {
		m.RegisterDB(locker.PoolCollector("locks"))
	}
	if last, err := store.LastSuccesses(ctx); err != nil {
		log.Warn("could not read last successes from sync_runs; the gauge starts empty", zap.Error(err))
	} else {
		for k, at := range last {
			m.SetLastSuccess(k[0], k[1], at)
		}
	}
	if statuses, err := store.JobStatuses(ctx, ""); err != nil {
		log.Warn("could not read the latest runs from sync_runs; the held-deletes and resource-available gauges start empty", zap.Error(err))
	} else {
		for _, st := range statuses {
			m.SetHeldDeletes(st.TenantID, st.Job, st.Last.HeldDeletes())
			m.SetResourceAvailability(&st.Last)
		}
	}
	runner := syncer.NewRunner(syncer.Config{
		Store: store, Limiters: upstream.NewLimiters(), Upstream: m, Runs: m, Pushes: m,
		Retry: opts.Retry, AttemptTimeout: opts.AttemptTimeout, Host: host, Quarantine: m,
	}, log.Named("sync"))
	scfg := scheduler.Config{
		MaxConcurrent:   cfg.Limits.MaxConcurrentJobs,
		ShutdownTimeout: cfg.Limits.ShutdownTimeout,
		Observer:        m,
	}
	if locker != nil {
		// Only Postgres can have several replicas; SQLite mode is one process (the file lock).
		scfg.Locker = locker
		scfg.Claimer = NewClaimer(store, host)
	}
	d := &Daemon{opts: opts, log: log, store: store, metrics: m, runner: runner, locker: locker,
		sched: scheduler.New(scfg, runner, log), cfg: cfg}
	d.fileSum, _ = fileSum(opts.ConfigPath)
	if err := d.sched.Apply(cfg); err != nil {
		return err
	}
	m.SetTenants(countEnabled(cfg))

	var srv *http.Server
	if cfg.Listen != "" {
		ln, err := net.Listen("tcp", cfg.Listen)
		if err != nil {
			return fmt.Errorf("listen on %s: %w", cfg.Listen, err)
		}
		d.addr = ln.Addr()
		srv = opts.HTTP.server(d.Handler())
		go func() {
			if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
				log.Error("http server stopped", zap.Error(err))
			}
		}()
		log.Info("serving", zap.String("addr", ln.Addr().String()))
	}
	d.sched.Start()
	log.Info("syncd started", zap.Int("tenants", countEnabled(cfg)), zap.String("database", store.Dialect()))
	if opts.Ready != nil {
		opts.Ready <- d
	}

	watch := opts.WatchInterval
	if watch == 0 {
		watch = 5 * time.Second
	}
	var tick <-chan time.Time
	if watch > 0 {
		t := time.NewTicker(watch)
		defer t.Stop()
		tick = t.C
	}
	for done := false; !done; {
		select {
		case <-ctx.Done():
			done = true
		case <-opts.Reload:
			d.reload("signal")
		case <-tick:
			if sum, err := fileSum(opts.ConfigPath); err == nil && sum != d.currentSum() {
				d.reload("file changed")
			}
		}
	}

	log.Info("stopping: no new runs; cancelling runs in progress")
	d.stopping.Store(true)
	stopCtx, cancelStop := context.WithTimeout(context.Background(), cfg.Limits.ShutdownTimeout)
	defer cancelStop()
	stopErr := d.sched.Stop()
	// Outcomes the database refused get what is left of the shutdown timeout.
	if n := runner.Pending(); n > 0 {
		log.Warn("waiting for run outcomes the database has not accepted yet", zap.Int("pending", n))
	}
	runner.Stop(stopCtx)
	if srv != nil {
		sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		_ = srv.Shutdown(sctx)
		cancel()
	}
	if stopErr != nil {
		log.Warn("stopped with runs still in progress", zap.Error(stopErr))
		return stopErr
	}
	log.Info("stopped")
	return nil
}

func (d *Daemon) currentSum() string {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.fileSum
}

// reload validates the file and, if it is valid, applies it; otherwise logs every problem and
// keeps the running config.
func (d *Daemon) reload(why string) {
	sum, _ := fileSum(d.opts.ConfigPath)
	d.mu.Lock()
	d.fileSum = sum
	d.mu.Unlock()
	cfg, err := d.opts.load(d.opts.ConfigPath)
	if err != nil {
		var ve *tenants.ValidationError
		if errors.As(err, &ve) {
			for _, p := range ve.Problems {
				d.log.Error("config reload rejected: problem", zap.String("tenant", p.Tenant), zap.String("field", p.Field),
					zap.Int("line", p.Line), zap.String("problem", p.Message))
			}
		}
		d.log.Error("config reload rejected; keeping the running config", zap.String("trigger", why), zap.Error(err))
		d.metrics.Reload(false)
		return
	}
	d.mu.Lock()
	old := d.cfg
	d.mu.Unlock()
	if old.Database.DSN.Reveal() != cfg.Database.DSN.Reveal() || old.Listen != cfg.Listen {
		d.log.Warn("database and listen settings change only on restart; applying tenant changes only")
	}
	if err := d.sched.Apply(cfg); err != nil {
		d.log.Error("config reload partly applied", zap.Error(err))
	}
	for i := range cfg.Tenants {
		d.runner.ApplyLimits(&cfg.Tenants[i])
	}
	for _, t := range old.Tenants {
		if cfg.Tenant(t.ID) == nil {
			d.runner.ForgetTenant(t.ID)
			d.metrics.ForgetTenant(t.ID)
		}
	}
	d.mu.Lock()
	d.cfg = cfg
	d.mu.Unlock()
	d.metrics.Reload(true)
	d.metrics.SetTenants(countEnabled(cfg))
	d.log.Info("config reloaded", zap.String("trigger", why), zap.Int("tenants", countEnabled(cfg)))
	for _, w := range cfg.Warnings {
		d.log.Warn("config warning", zap.String("tenant", w.Tenant), zap.String("field", w.Field),
			zap.Int("line", w.Line), zap.String("warning", w.Message))
	}
}

// Config returns the running config.
func (d *Daemon) Config() *tenants.Config {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.cfg
}

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

func countEnabled(c *tenants.Config) int {
	n := 0
	for i := range c.Tenants {
		if c.Tenants[i].IsEnabled() {
			n++
		}
	}
	return n
}

func fileSum(path string) (string, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return "", err
	}
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:]), nil
}
