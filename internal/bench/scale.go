package bench

import (
	"context"
	"fmt"
	"os"
	"runtime"
	"sort"
	gosync "sync"
	"sync/atomic"
	"syscall"
	"time"

	"go.uber.org/zap"

	"github.com/syncd-dev/syncd/internal/models"
	"github.com/syncd-dev/syncd/internal/scheduler"
	"github.com/syncd-dev/syncd/internal/tenants"
)

// ScaleConfig sizes the scale scenario: Tenants tenants whose rentengine job is scheduled
// "@every Every" with the given start jitter bound, observed for Ticks ticks.
type ScaleConfig struct {
	Tenants   int
	Every     time.Duration
	MaxJitter time.Duration
	Ticks     int
	// MaxConcurrent caps concurrent runs (0 = the daemon's default).
	MaxConcurrent int
}

// ScaleResult is the scenario's outcome.
type ScaleResult struct {
	Config ScaleConfig
	// Runs is how many runs the stub runner saw; Skipped how many ticks were skipped.
	Runs, Skipped int64
	// Delays are the observed start delays (scheduled time plus planned jitter to start).
	P50, P99, Max time.Duration
	Samples       int
	// IdleCPU is the process's CPU time (user+system) per second of wall time while no run was
	// due, over IdleWall of measured windows; IdleCPUPerMinute the same per minute.
	IdleCPU          float64
	IdleWall         time.Duration
	IdleCPUTime      time.Duration
	IdleCPUPerMinute time.Duration
	Goroutines       int // goroutines while idle
	HeapInUse        uint64
	// RSS is the process's resident set while idle (VmRSS, the largest seen at the start of an
	// idle window); PeakRSS its high-water mark over the whole scenario (VmHWM). The scenario
	// runs first, so the process holds little besides the scheduler and its tenants.
	RSS, PeakRSS int64
	Load         string
}

// Goals of the scale scenario (issue 15).
const (
	TargetScaleP99 = time.Second
	TargetScaleRSS = 256 << 20
)

// Met reports whether the scenario met its goals: p99 start delay and idle RSS.
func (r *ScaleResult) Met() bool { return r.P99 < TargetScaleP99 && r.RSS < TargetScaleRSS }

// stubRunner stands in for sync.Runner: it returns at once, so the scenario measures the
// scheduler alone.
type stubRunner struct{ runs atomic.Int64 }

func (s *stubRunner) Run(context.Context, *tenants.Tenant, tenants.Job) (*models.SyncRun, error) {
	s.runs.Add(1)
	return &models.SyncRun{Status: models.RunSucceeded}, nil
}

// delayObserver collects the scheduler's measurements.
type delayObserver struct {
	mu      gosync.Mutex
	delays  []time.Duration
	skipped int64
}

func (o *delayObserver) Skipped(string, string, string) {
	o.mu.Lock()
	o.skipped++
	o.mu.Unlock()
}

func (o *delayObserver) StartDelay(_, _ string, d time.Duration) {
	o.mu.Lock()
	o.delays = append(o.delays, d)
	o.mu.Unlock()
}

func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func (h *harness) scale(ctx context.Context) (*ScaleResult, error) {
	cfg := h.cfg.Scale
	cfg.MaxConcurrent = max(cfg.MaxConcurrent, 0)
	if cfg.MaxConcurrent == 0 {
		cfg.MaxConcurrent = tenants.DefaultMaxConcurrentJobs
	}
	cfg.Ticks = max(cfg.Ticks, 1)
	res := &ScaleResult{Config: cfg}

	conf := &tenants.Config{Limits: tenants.Limits{MaxConcurrentJobs: cfg.MaxConcurrent}}
	spec := "@every " + every(cfg.Every)
	for i := range cfg.Tenants {
		conf.Tenants = append(conf.Tenants, tenants.Tenant{
			ID: fmt.Sprintf("scale%05d", i), MaxJitter: cfg.MaxJitter, RunTimeout: time.Minute, Location: time.UTC,
			RentEngine: &tenants.RentEngine{BaseURL: "http://127.0.0.1:1/unused", Token: tenants.NewSecret("unused")},
			Schedules:  tenants.Schedules{RentEngine: spec},
		})
	}
	stub := &stubRunner{}
	obs := &delayObserver{}
	sched := scheduler.New(scheduler.Config{MaxConcurrent: cfg.MaxConcurrent, Observer: obs}, stub, zap.NewNop())
	if err := sched.Apply(conf); err != nil {
		return nil, err
	}
	runtime.GC()
	sched.Start()
	defer sched.Stop()

	// Ticks fall on multiples of the interval (the scheduler aligns "@every"). A window is idle
	// from a little after the last jittered start of a tick until a little before the next tick.
	settle := max(cfg.Every/60, 100*time.Millisecond)
	first := time.Now().Truncate(cfg.Every).Add(cfg.Every)
	h.logf("%d tenants on %q, jitter up to %s; first tick at %s", cfg.Tenants, spec, cfg.MaxJitter, first.Format("15:04:05"))
	measure := func(from, to time.Time) error {
		if to.Sub(from) < cfg.Every/10 {
			return nil
		}
		if err := sleepUntil(ctx, from); err != nil {
			return err
		}
		var ms runtime.MemStats
		runtime.ReadMemStats(&ms)
		res.HeapInUse = ms.HeapInuse
		res.Goroutines = runtime.NumGoroutine()
		if rss, err := procStatus(os.Getpid(), "VmRSS"); err == nil {
			res.RSS = max(res.RSS, rss)
		}
		c0, w0 := cpuTime(), time.Now()
		if err := sleepUntil(ctx, to); err != nil {
			return err
		}
		res.IdleCPUTime += cpuTime() - c0
		res.IdleWall += time.Since(w0)
		return nil
	}
	// Before the first tick (only the part after the scheduler has settled from Apply).
	if err := measure(time.Now().Add(settle), first.Add(-settle)); err != nil {
		return res, err
	}
	for i := range cfg.Ticks {
		tick := first.Add(time.Duration(i) * cfg.Every)
		allStarted := tick.Add(cfg.MaxJitter + settle)
		if i == cfg.Ticks-1 {
			if err := sleepUntil(ctx, allStarted); err != nil {
				return res, err
			}
			break
		}
		if err := measure(allStarted, tick.Add(cfg.Every-settle)); err != nil {
			return res, err
		}
	}
	want := int64(cfg.Tenants * cfg.Ticks)
	for deadline := time.Now().Add(cfg.Every); stub.runs.Load() < want && time.Now().Before(deadline); {
		time.Sleep(10 * time.Millisecond)
	}
	if err := sched.Stop(); err != nil {
		return res, err
	}
	res.Runs = stub.runs.Load()
	obs.mu.Lock()
	delays := append([]time.Duration(nil), obs.delays...)
	res.Skipped = obs.skipped
	obs.mu.Unlock()
	if res.Runs != want {
		return res, fmt.Errorf("%d runs in %d ticks of %d tenants, want %d", res.Runs, cfg.Ticks, cfg.Tenants, want)
	}
	sort.Slice(delays, func(i, j int) bool { return delays[i] < delays[j] })
	res.Samples = len(delays)
	if len(delays) > 0 {
		res.P50 = percentile(delays, 0.50)
		res.P99 = percentile(delays, 0.99)
		res.Max = delays[len(delays)-1]
	}
	if res.IdleWall > 0 {
		res.IdleCPU = res.IdleCPUTime.Seconds() / res.IdleWall.Seconds()
		res.IdleCPUPerMinute = time.Duration(res.IdleCPU * float64(time.Minute))
	}
	res.Load = loadAvg()
	res.PeakRSS, _ = procStatus(os.Getpid(), "VmHWM")
	h.logf("%d runs; start delay p50 %s p99 %s max %s; idle CPU %.4f%% of a core (%s per minute over %s); %d goroutines; RSS idle %.1f MiB, peak %.1f MiB",
		res.Runs, res.P50, res.P99, res.Max, res.IdleCPU*100, res.IdleCPUPerMinute.Round(time.Microsecond),
		res.IdleWall.Round(time.Second), res.Goroutines, float64(res.RSS)/(1<<20), float64(res.PeakRSS)/(1<<20))
	return res, nil
}

// percentile of sorted durations, nearest rank.
func percentile(sorted []time.Duration, p float64) time.Duration {
	i := int(float64(len(sorted))*p+0.999999) - 1
	return sorted[min(max(i, 0), len(sorted)-1)]
}

func sleepUntil(ctx context.Context, t time.Time) error {
	d := time.Until(t)
	if d <= 0 {
		return ctx.Err()
	}
	timer := time.NewTimer(d)
	defer timer.Stop()
	select {
	case <-timer.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
