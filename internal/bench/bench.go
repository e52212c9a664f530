// Package bench is syncd's benchmark harness: it seeds the fake upstreams and a real Postgres, runs
// each scenario of the benchmark issue and returns the figures, which cmd/bench writes to
// docs/BENCHMARKS.md. The same harness runs at tiny sizes as a smoke test in CI (TestBenchSmoke),
// so it keeps working; the figures themselves come only from a full run, never from timed
// assertions in tests.
//
// Scenarios:
//   - ingest: many tenants pulled through real HTTP into Postgres, against a pgx CopyFrom reference
//     writing the same rows into identical tables (the write floor); then an unchanged re-sync and
//     its write amplification from pg_stat_user_tables.
//   - memory: peak RSS of a `syncd sync` process pulling a large and a small tenant from a fake
//     running in another process (cmd/fakeupstream).
//   - ratelimit: a tenant limited to R requests/s against a fake that answers 429 above R.
//   - sharedkey, replicas, adaptive: tenants sharing one Funnel key that the fake limits per
//     key: in one process, in three replicas plus a one-off command leasing shares through
//     Postgres, and with the real limit half the configured one (issue 15).
//   - scale: 10,000 tenants on one scheduler with a stub runner: start delay, idle CPU and RSS.
//   - push: requests per changed value, and for an unchanged mirror; customer-score requests that
//     change a score, and scores Funnel had to pick a client for among several.
//   - pipeline: Go benchmarks of the pull's hot path (decoding a page, upserting a page), as
//     supporting figures.
package bench

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	"go.uber.org/zap"
)

// Scenario names, in the order Run runs them. Scale runs first, while the process has nothing
// else in it, because it measures the process's own idle CPU.
const (
	ScenarioScale     = "scale"
	ScenarioPipeline  = "pipeline"
	ScenarioRateLimit = "ratelimit"
	ScenarioSharedKey = "sharedkey"
	ScenarioReplicas  = "replicas"
	ScenarioAdaptive  = "adaptive"
	ScenarioPush      = "push"
	ScenarioMemory    = "memory"
	ScenarioIngest    = "ingest"
)

// Scenarios lists every scenario in run order.
func Scenarios() []string {
	return []string{ScenarioScale, ScenarioPipeline, ScenarioRateLimit, ScenarioSharedKey, ScenarioReplicas, ScenarioAdaptive,
		ScenarioPush, ScenarioMemory, ScenarioIngest}
}

// Config sizes every scenario. Full and Smoke return the two standard sizes.
type Config struct {
	// Mode names the size in the report ("full" or "smoke").
	Mode string
	// NewDatabase returns the URL of a new, empty Postgres database and a function that drops
	// it. Required.
	NewDatabase func(ctx context.Context) (dsn string, drop func(), err error)
	// Only restricts the run to these scenarios (empty: all).
	Only []string

	Ingest    IngestConfig
	Memory    MemoryConfig
	RateLimit RateLimitConfig
	SharedKey SharedKeyConfig
	Replicas  ReplicasConfig
	Adaptive  AdaptiveConfig
	Scale     ScaleConfig
	Push      PushConfig

	// Progress receives one line per step (nil: discarded).
	Progress io.Writer
	// Log receives syncd's own logs (nil: discarded).
	Log *zap.Logger
}

// Full is the size the issue asks for.
func Full() Config {
	return Config{
		Mode:   "full",
		Ingest: IngestConfig{Tenants: 20, Units: 10_000, Prospects: 20_000, Events: 50_000, Reps: 5},
		Memory: MemoryConfig{SmallRows: 10_000, LargeRows: 1_000_000, Reps: 2},
		RateLimit: RateLimitConfig{Limits: []RateLimitCase{
			{Requests: 20, Per: time.Second, Pages: 600},
			{Requests: 20, Per: 5 * time.Second, Pages: 120},
		}},
		SharedKey: SharedKeyConfig{Tenants: 30, Requests: 20, Per: time.Second, Duration: time.Minute},
		Replicas: ReplicasConfig{Replicas: 3, Tenants: 30, Requests: 50, Per: time.Second, Duration: time.Minute,
			OneOffAfter: 20 * time.Second},
		Adaptive: AdaptiveConfig{Tenants: 5, Requests: 20, RealRequests: 10, Per: time.Second, Duration: 3 * time.Minute},
		Scale:    ScaleConfig{Tenants: 10_000, Every: time.Minute, MaxJitter: 30 * time.Second, Ticks: 2},
		Push:     PushConfig{Units: 300, Prospects: 3000, Communities: 3, RenewalsPerCommunity: 100, Changes: 50},
	}
}

// Smoke runs every scenario at tiny sizes in seconds, for CI.
func Smoke() Config {
	return Config{
		Mode:      "smoke",
		Ingest:    IngestConfig{Tenants: 3, Units: 40, Prospects: 120, Events: 300, Reps: 1},
		Memory:    MemoryConfig{SmallRows: 300, LargeRows: 3_000, Reps: 1},
		RateLimit: RateLimitConfig{Limits: []RateLimitCase{{Requests: 100, Per: time.Second, Pages: 25}}},
		SharedKey: SharedKeyConfig{Tenants: 5, Requests: 50, Per: time.Second, Duration: 2 * time.Second},
		Replicas: ReplicasConfig{Replicas: 3, Tenants: 6, Requests: 40, Per: time.Second, Duration: 8 * time.Second,
			OneOffAfter: 3 * time.Second, FakeSlack: 4},
		Adaptive: AdaptiveConfig{Tenants: 2, Requests: 40, RealRequests: 20, Per: time.Second, Duration: 9 * time.Second},
		Scale:    ScaleConfig{Tenants: 50, Every: time.Second, MaxJitter: 200 * time.Millisecond, Ticks: 2},
		Push:     PushConfig{Units: 20, Prospects: 120, Communities: 2, RenewalsPerCommunity: 12, Changes: 3},
	}
}

// Report is everything one run measured.
type Report struct {
	Mode     string
	Machine  Machine
	Started  time.Time
	Took     time.Duration
	Command  string
	Postgres string

	Ingest    *IngestResult
	Memory    *MemoryResult
	RateLimit *RateLimitResult
	SharedKey *SharedKeyResult
	Replicas  *ReplicasResult
	Adaptive  *AdaptiveResult
	Scale     *ScaleResult
	Push      *PushResult
	Pipeline  *PipelineResult
}

// Run runs the configured scenarios and returns their figures. A scenario that fails stops the
// run with its error; the figures measured so far are returned with it.
func Run(ctx context.Context, cfg Config) (*Report, error) {
	if cfg.NewDatabase == nil {
		return nil, errors.New("bench: Config.NewDatabase is required")
	}
	if cfg.Log == nil {
		cfg.Log = zap.NewNop()
	}
	if cfg.Progress == nil {
		cfg.Progress = io.Discard
	}
	for _, s := range cfg.Only {
		if !slices.Contains(Scenarios(), s) {
			return nil, fmt.Errorf("bench: unknown scenario %q (want one of %s)", s, strings.Join(Scenarios(), ", "))
		}
	}
	r := &Report{Mode: cmp.Or(cfg.Mode, "custom"), Started: time.Now().UTC(), Machine: readMachine()}
	start := time.Now()
	defer func() { r.Took = time.Since(start) }()
	h := &harness{cfg: cfg, progress: cfg.Progress}

	ver, err := h.postgresVersion(ctx)
	if err != nil {
		return r, err
	}
	r.Postgres = ver

	for _, s := range Scenarios() {
		if len(cfg.Only) > 0 && !slices.Contains(cfg.Only, s) {
			continue
		}
		h.logf("== %s", s)
		var err error
		switch s {
		case ScenarioScale:
			r.Scale, err = h.scale(ctx)
		case ScenarioPipeline:
			r.Pipeline, err = h.pipeline(ctx)
		case ScenarioRateLimit:
			r.RateLimit, err = h.rateLimit(ctx)
		case ScenarioSharedKey:
			r.SharedKey, err = h.sharedKey(ctx)
		case ScenarioReplicas:
			r.Replicas, err = h.replicas(ctx)
		case ScenarioAdaptive:
			r.Adaptive, err = h.adaptive(ctx)
		case ScenarioPush:
			r.Push, err = h.push(ctx)
		case ScenarioMemory:
			r.Memory, err = h.memory(ctx)
		case ScenarioIngest:
			r.Ingest, err = h.ingest(ctx)
		}
		if err != nil {
			return r, fmt.Errorf("scenario %s: %w", s, err)
		}
	}
	return r, nil
}

// harness carries what the scenarios share.
type harness struct {
	cfg      Config
	progress io.Writer
}

func (h *harness) logf(format string, args ...any) {
	fmt.Fprintf(h.progress, "%s %s\n", time.Now().Format("15:04:05"), fmt.Sprintf(format, args...))
}
