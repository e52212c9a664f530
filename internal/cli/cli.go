// Package cli implements the syncd command line: it parses the subcommand and flags, loads the
// config, builds the logger and hands off to the daemon or a one-shot job. cmd/syncd only turns
// signals into a context and calls Main.
package cli

import (
	"cmp"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"runtime/debug"
	"strings"
	"time"

	"go.uber.org/zap"

	"github.com/syncd-dev/syncd/internal/daemon"
	"github.com/syncd-dev/syncd/internal/logging"
	"github.com/syncd-dev/syncd/internal/models"
	"github.com/syncd-dev/syncd/internal/scheduler"
	syncer "github.com/syncd-dev/syncd/internal/sync"
	"github.com/syncd-dev/syncd/internal/tenants"
)

// Version is set at build time with -ldflags "-X github.com/syncd-dev/syncd/internal/cli.Version=…".
var Version = ""

// Env carries the process's surroundings so tests can run commands in-process.
type Env struct {
	Stdout, Stderr io.Writer
	// Reload receives a value per SIGHUP (run only).
	Reload <-chan struct{}
	// LookupEnv defaults to os.LookupEnv.
	LookupEnv func(string) (string, bool)
}

const usage = `syncd keeps property-management data in step across leasing systems.

Usage:
  syncd <command> [flags]

Commands:
  run          run the daemon: scheduled pulls and pushes for every tenant, HTTP endpoints
  sync         run one job for one tenant now (--tenant ID [--job rentengine|funnel|funnelflux|push] [--allow-deletes])
  push         plan or run the push job for one tenant (--tenant ID [--plan])
  status       show each tenant's jobs: last run, outcome, rows, last success, last error
  validate     check a config file and list every problem
  probe        check a tenant's upstream calls, read-only (--tenant ID [--json] [--save DIR])
  migrate      apply database migrations
  analysts     per-tenant read access for analysts' database roles, Postgres (grant|revoke|list)
  healthcheck  exit 0 if a running daemon answers /healthz (for container HEALTHCHECK)
  version      print the version

The config file comes from --config or $SYNCD_CONFIG (default ./config.yaml).
Run "syncd <command> -h" for a command's flags.
`

type command struct {
	name string
	help string
	run  func(ctx context.Context, env Env, args []string) int
}

// commands is the one table of subcommands, in the order usage lists them (a test holds the two
// in step). Each command's function lives in the file named after it where it has one.
var commands = []command{
	{"run", "run the daemon", cmdRun},
	{"sync", "run one job now", cmdSync},
	{"push", "plan or run pushes", cmdPush},
	{"status", "show each tenant's jobs", cmdStatus},
	{"validate", "check a config file", cmdValidate},
	{"probe", "check a tenant's upstream calls, read-only", cmdProbe},
	{"migrate", "apply database migrations", cmdMigrate},
	{"analysts", "grant or revoke analysts' per-tenant read access", cmdAnalysts},
	{"healthcheck", "probe a running daemon", cmdHealthcheck},
	{"version", "print the version", cmdVersion},
}

// Main runs the command line and returns the process exit status.
func Main(ctx context.Context, args []string, env Env) int {
	if env.Stdout == nil {
		env.Stdout = os.Stdout
	}
	if env.Stderr == nil {
		env.Stderr = os.Stderr
	}
	if env.LookupEnv == nil {
		env.LookupEnv = os.LookupEnv
	}
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		fmt.Fprint(env.Stdout, usage)
		if len(args) == 0 {
			return 2
		}
		return 0
	}
	for _, c := range commands {
		if c.name == args[0] {
			return c.run(ctx, env, args[1:])
		}
	}
	fmt.Fprintf(env.Stderr, "syncd: unknown command %q\n\n%s", args[0], usage)
	return 2
}

// common are the flags every config-reading command takes.
type common struct {
	config    string
	logLevel  string
	logFormat string
}

func (c *common) register(fs *flag.FlagSet, env Env) {
	def, _ := env.LookupEnv("SYNCD_CONFIG")
	fs.StringVar(&c.config, "config", cmp.Or(def, "config.yaml"), "config file (env SYNCD_CONFIG)")
	fs.StringVar(&c.logLevel, "log-level", "", "override log.level (debug, info, warn, error)")
	fs.StringVar(&c.logFormat, "log-format", "", "override log.format (json, console)")
}

func newFlags(name, summary string, env Env) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(env.Stderr)
	fs.Usage = func() {
		fmt.Fprintf(env.Stderr, "Usage: syncd %s [flags]\n\n%s\n\nFlags:\n", name, summary)
		fs.PrintDefaults()
	}
	return fs
}

// loadConfig loads the config file and prints its warnings, if any, on stderr.
func (c *common) loadConfig(env Env) (*tenants.Config, error) {
	cfg, err := tenants.Load(c.config, tenants.LoadOptions{LookupEnv: env.LookupEnv})
	if err == nil {
		for _, w := range cfg.Warnings {
			fmt.Fprintf(env.Stderr, "%s: warning: %s\n", c.config, w)
		}
	}
	return cfg, err
}

func (c *common) logger(cfg *tenants.Config, env Env) (*zap.Logger, error) {
	lc := logging.Config{Output: env.Stderr}
	if cfg != nil {
		lc.Level, lc.Format = cfg.Log.Level, cfg.Log.Format
	}
	lc.Level = cmp.Or(c.logLevel, lc.Level)
	lc.Format = cmp.Or(c.logFormat, lc.Format)
	return logging.New(lc)
}

// setup loads the config and builds the logger, reporting any failure on stderr.
func (c *common) setup(env Env) (*tenants.Config, *zap.Logger, bool) {
	cfg, err := c.loadConfig(env)
	if err != nil {
		printConfigError(env.Stderr, c.config, err)
		return nil, nil, false
	}
	log, err := c.logger(cfg, env)
	if err != nil {
		fmt.Fprintln(env.Stderr, "syncd:", err)
		return nil, nil, false
	}
	return cfg, log, true
}

// printConfigError writes a load error; validation problems one per line.
func printConfigError(w io.Writer, path string, err error) {
	var ve *tenants.ValidationError
	if errors.As(err, &ve) {
		fmt.Fprintf(w, "%s: %d problem(s):\n", path, len(ve.Problems))
		for _, p := range ve.Problems {
			fmt.Fprintf(w, "  - %s\n", p.String())
		}
		return
	}
	fmt.Fprintf(w, "%s: %v\n", path, err)
}

func cmdRun(ctx context.Context, env Env, args []string) int {
	fs := newFlags("run", "Run the daemon until SIGINT or SIGTERM; SIGHUP or a change of the config file reloads it.", env)
	var c common
	c.register(fs, env)
	if fs.Parse(args) != nil {
		return 2
	}
	cfg, log, ok := c.setup(env)
	if !ok {
		return 1
	}
	defer log.Sync()
	err := daemon.Run(ctx, daemon.Options{
		ConfigPath: c.config,
		Config:     cfg,
		LookupEnv:  env.LookupEnv,
		Reload:     env.Reload,
		Log:        log,
	})
	if err != nil {
		log.Error("syncd stopped with an error", zap.Error(err))
		return 1
	}
	return 0
}

// openStore opens and migrates the configured database.
func openStore(ctx context.Context, cfg *tenants.Config, log *zap.Logger) (*models.Store, error) {
	store, err := models.Open(ctx, models.OpenConfig{DSN: cfg.Database.DSN.Reveal(), MaxOpenConns: cfg.Database.MaxOpenConns}, log.Named("store"))
	if err != nil {
		return nil, err
	}
	if _, err := store.Migrate(ctx); err != nil {
		store.Close()
		return nil, err
	}
	return store, nil
}

func cmdSync(ctx context.Context, env Env, args []string) int {
	fs := newFlags("sync", "Run one pass of a tenant's job(s) now. Exit status 0 means every job succeeded "+
		"(a run held by the mass-delete guard is not a success, nor is a partial run unless --allow-partial).", env)
	var c common
	c.register(fs, env)
	tenant := fs.String("tenant", "", "tenant id (required)")
	job := fs.String("job", "", "job to run: rentengine, funnel, funnelflux or push (default: every pull job the tenant has, then push)")
	allowDeletes := fs.Bool("allow-deletes", false, "lift the mass-delete guard for this one run, after checking upstream that "+
		"the deletions a held run reported are real (needs --job)")
	force := fs.Bool("force", false, "run the push regardless of the job order: do not wait for the tenant's pulls in progress "+
		"elsewhere, and push even before every upstream has had a complete pull")
	allowPartial := fs.Bool("allow-partial", false, "exit 0 after a partial run (a resource unavailable upstream, "+
		"everything else synced); it is still recorded as partial")
	if fs.Parse(args) != nil {
		return 2
	}
	if *tenant == "" {
		fmt.Fprintln(env.Stderr, "syncd sync: --tenant is required")
		return 2
	}
	if *allowDeletes && *job == "" {
		// The override is for the one job whose held deletions the operator checked.
		fmt.Fprintln(env.Stderr, "syncd sync: --allow-deletes needs --job (the job whose held deletions you checked)")
		return 2
	}
	if *job != "" && !tenants.Job(strings.TrimSpace(*job)).Known() {
		fmt.Fprintf(env.Stderr, "syncd sync: unknown job %q (want rentengine, funnel, funnelflux or push)\n", *job)
		return 2
	}
	cfg, err := c.loadConfig(env)
	if err != nil {
		printConfigError(env.Stderr, c.config, err)
		return 1
	}
	t := cfg.Tenant(*tenant)
	if t == nil {
		fmt.Fprintf(env.Stderr, "syncd sync: no tenant %q in %s\n", *tenant, c.config)
		return 1
	}
	if !t.IsEnabled() {
		// A disabled tenant's secrets are not resolved, so it cannot call its upstreams.
		fmt.Fprintf(env.Stderr, "syncd sync: tenant %s is disabled in %s\n", t.ID, c.config)
		return 1
	}
	jobs := t.Jobs()
	if *job != "" {
		found := false
		for _, j := range jobs {
			found = found || j == tenants.Job(*job)
		}
		if !found {
			fmt.Fprintf(env.Stderr, "syncd sync: tenant %s cannot run job %s (its config lacks the upstream block)\n", t.ID, *job)
			return 1
		}
		jobs = []tenants.Job{tenants.Job(*job)}
	}
	log, err := c.logger(cfg, env)
	if err != nil {
		fmt.Fprintln(env.Stderr, "syncd:", err)
		return 1
	}
	defer log.Sync()
	store, err := openStore(ctx, cfg, log)
	if err != nil {
		fmt.Fprintln(env.Stderr, "syncd sync:", err)
		return 1
	}
	defer store.Close()
	runner := syncer.NewRunner(syncer.Config{Store: store}, log)
	defer stopRunner(ctx, runner)
	// A one-off command shares the credentials' budgets with the daemon's replicas.
	defer runner.ShareRateBudgets(log.Named("rate"))()
	lock, closeLock, err := jobLock(ctx, cfg, store, log)
	if err != nil {
		fmt.Fprintln(env.Stderr, "syncd sync:", err)
		return 1
	}
	defer closeLock()
	status := 0
	for _, j := range jobs {
		if j == tenants.JobPush && *force && !announceForce(ctx, env, "syncd sync", runner, t) {
			return 1
		}
		run, err := lockedRun(ctx, lock, runner, t, j, syncer.RunOptions{AllowDeletes: *allowDeletes, WaitForPulls: true, Force: *force})
		if run != nil {
			fmt.Fprintln(env.Stdout, runSummary(t.ID, run))
		}
		switch {
		case err == nil:
		case *allowPartial && errors.As(err, new(*syncer.PartialError)):
			fmt.Fprintf(env.Stderr, "syncd sync: %v (allowed by --allow-partial)\n", err)
		default:
			fmt.Fprintf(env.Stderr, "syncd sync: %v\n", err)
			printSkipHint(env, "syncd sync", err)
			status = 1
		}
		if ctx.Err() != nil {
			return 1
		}
	}
	return status
}

// outcomeGrace is how long a one-shot command waits, before it exits, for run outcomes that the
// database refused to be recorded after all.
const outcomeGrace = 15 * time.Second

// stopRunner gives pending outcomes outcomeGrace (less if ctx ends) and stops the runner.
func stopRunner(ctx context.Context, runner *syncer.Runner) {
	sctx, cancel := context.WithTimeout(ctx, outcomeGrace)
	defer cancel()
	runner.Stop(sctx)
}

// jobLock returns the cross-process lock a one-shot run must hold, so that `syncd sync` never
// runs a tenant's job at the same time as a daemon replica does: the daemon's Postgres advisory
// locks. SQLite needs none (one writer at a time, and the daemon holds the file for itself).
func jobLock(ctx context.Context, cfg *tenants.Config, store *models.Store, log *zap.Logger) (scheduler.Locker, func(), error) {
	if store.Dialect() != models.Postgres {
		return nil, func() {}, nil
	}
	l, err := daemon.NewLocker(ctx, daemon.LockerConfig{DSN: cfg.Database.DSN.Reveal()}, log.Named("lock"))
	if err != nil {
		return nil, nil, err
	}
	return l, func() { _ = l.Close() }, nil
}

// lockedRun runs a job under the lock, or reports that another process is running it.
func lockedRun(ctx context.Context, lock scheduler.Locker, runner *syncer.Runner, t *tenants.Tenant, job tenants.Job, opts syncer.RunOptions) (*models.SyncRun, error) {
	if lock == nil {
		return runner.RunWith(ctx, t, job, opts)
	}
	held, release, err := lock.TryLock(ctx, t.ID, string(job))
	if err != nil {
		return nil, err
	}
	if held == nil {
		return nil, fmt.Errorf("tenant %s job %s is running in another process right now; try again when it ends", t.ID, job)
	}
	defer release()
	return runner.RunWith(held, t, job, opts)
}

func runDuration(r *models.SyncRun) string {
	if r.FinishedAt == nil {
		return "?"
	}
	return r.FinishedAt.Sub(r.StartedAt).Round(time.Millisecond).String()
}

func cmdValidate(ctx context.Context, env Env, args []string) int {
	fs := newFlags("validate", "Check a config file: syntax, unknown keys, tenants, secrets, cron expressions. Lists every problem.", env)
	var c common
	c.register(fs, env)
	if fs.Parse(args) != nil {
		return 2
	}
	cfg, err := c.loadConfig(env)
	if err != nil {
		printConfigError(env.Stderr, c.config, err)
		return 1
	}
	enabled := 0
	for i := range cfg.Tenants {
		if cfg.Tenants[i].IsEnabled() {
			enabled++
		}
	}
	fmt.Fprintf(env.Stdout, "%s: OK (%d tenants, %d enabled, database %s)\n", c.config, len(cfg.Tenants), enabled, cfg.Database.Driver())
	return 0
}

func cmdMigrate(ctx context.Context, env Env, args []string) int {
	fs := newFlags("migrate", "Apply pending database migrations and re-grant analyst roles the relations added since (the daemon also does this at start).", env)
	var c common
	c.register(fs, env)
	if fs.Parse(args) != nil {
		return 2
	}
	cfg, log, ok := c.setup(env)
	if !ok {
		return 1
	}
	store, err := models.Open(ctx, models.OpenConfig{DSN: cfg.Database.DSN.Reveal()}, log.Named("store"))
	if err != nil {
		fmt.Fprintln(env.Stderr, "syncd migrate:", err)
		return 1
	}
	defer store.Close()
	v, err := store.Migrate(ctx)
	if err != nil {
		fmt.Fprintln(env.Stderr, "syncd migrate:", err)
		return 1
	}
	fmt.Fprintf(env.Stdout, "database %s at schema version %d\n", store.Dialect(), v)
	return 0
}

func cmdHealthcheck(ctx context.Context, env Env, args []string) int {
	fs := newFlags("healthcheck", "Exit 0 if the daemon answers /healthz; for the container HEALTHCHECK.", env)
	def, _ := env.LookupEnv("SYNCD_HEALTH_URL")
	u := fs.String("url", cmp.Or(def, "http://127.0.0.1:9090/healthz"), "health URL (env SYNCD_HEALTH_URL)")
	if fs.Parse(args) != nil {
		return 2
	}
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, *u, nil)
	if err != nil {
		fmt.Fprintln(env.Stderr, "healthcheck:", err)
		return 1
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		fmt.Fprintln(env.Stderr, "healthcheck:", err)
		return 1
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		fmt.Fprintln(env.Stderr, "healthcheck:", resp.Status)
		return 1
	}
	return 0
}

func cmdVersion(ctx context.Context, env Env, args []string) int {
	fmt.Fprintln(env.Stdout, "syncd", version())
	return 0
}

func version() string {
	if Version != "" {
		return Version
	}
	if bi, ok := debug.ReadBuildInfo(); ok {
		v := bi.Main.Version
		for _, s := range bi.Settings {
			if s.Key == "vcs.revision" && len(s.Value) >= 12 {
				v = strings.TrimSuffix(v, "(devel)") + s.Value[:12]
			}
		}
		if v != "" {
			return v
		}
	}
	return "dev"
}
