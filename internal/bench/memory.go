package bench

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// MemoryConfig sizes the memory scenario: one tenant of about SmallRows and one of about
// LargeRows rows (units, prospects and two leasing events per prospect).
type MemoryConfig struct {
	SmallRows, LargeRows int
	Reps                 int
}

// MemoryRun is one `syncd sync` process.
type MemoryRun struct {
	Rows    int64 // rows the sync fetched
	PeakRSS int64 // bytes, the child's VmHWM (the kernel's RSS high-water mark), polled every 5ms
	Took    time.Duration
	Load    string
}

// MemoryResult is the scenario's outcome.
type MemoryResult struct {
	Config       MemoryConfig
	Small, Large []MemoryRun
}

// MedianRSS returns the median peak RSS of runs.
func MedianRSS(runs []MemoryRun) int64 {
	v := make([]float64, len(runs))
	for i, r := range runs {
		v[i] = float64(r.PeakRSS)
	}
	return int64(median(v))
}

// Ratio is the large tenant's median peak RSS over the small one's.
func (r *MemoryResult) Ratio() float64 {
	return float64(MedianRSS(r.Large)) / float64(MedianRSS(r.Small))
}

// binaries builds cmd/syncd and cmd/fakeupstream into a temporary directory.
func (h *harness) binaries(ctx context.Context) (syncd, fake string, cleanup func(), err error) {
	dir, err := os.MkdirTemp("", "syncd-bench-bin-")
	if err != nil {
		return "", "", nil, err
	}
	cleanup = func() { os.RemoveAll(dir) }
	goCmd, err := exec.LookPath("go")
	if err != nil {
		goCmd = "go"
	}
	for _, b := range []struct{ out, pkg string }{
		{filepath.Join(dir, "syncd"), "github.com/syncd-dev/syncd/cmd/syncd"},
		{filepath.Join(dir, "fakeupstream"), "github.com/syncd-dev/syncd/cmd/fakeupstream"},
	} {
		out, err := exec.CommandContext(ctx, goCmd, "build", "-o", b.out, b.pkg).CombinedOutput()
		if err != nil {
			cleanup()
			return "", "", nil, fmt.Errorf("go build %s: %v\n%s", b.pkg, err, out)
		}
	}
	return filepath.Join(dir, "syncd"), filepath.Join(dir, "fakeupstream"), cleanup, nil
}

func (h *harness) memory(ctx context.Context) (*MemoryResult, error) {
	cfg := h.cfg.Memory
	cfg.Reps = max(cfg.Reps, 1)
	res := &MemoryResult{Config: cfg}
	h.logf("building cmd/syncd and cmd/fakeupstream")
	syncd, fake, cleanup, err := h.binaries(ctx)
	if err != nil {
		return nil, err
	}
	defer cleanup()
	for rep := range cfg.Reps {
		for _, size := range []struct {
			rows int
			into *[]MemoryRun
		}{{cfg.SmallRows, &res.Small}, {cfg.LargeRows, &res.Large}} {
			run, err := h.memoryRun(ctx, syncd, fake, size.rows, int64(900+rep))
			if err != nil {
				return res, err
			}
			h.logf("%d rows: peak RSS %.1f MiB, %s (%.0f rows/s); load %s", run.Rows, float64(run.PeakRSS)/(1<<20),
				run.Took.Round(time.Millisecond), float64(run.Rows)/run.Took.Seconds(), run.Load)
			*size.into = append(*size.into, run)
		}
	}
	return res, nil
}

var baseURLLine = regexp.MustCompile(`rentengine base_url=(\S+)`)

// memoryRun starts the fake upstream as its own process seeded with about rows rows, syncs them
// with a `syncd sync` process into a fresh database, and returns the sync process's peak RSS.
func (h *harness) memoryRun(ctx context.Context, syncd, fake string, rows int, seed int64) (MemoryRun, error) {
	var run MemoryRun
	const token = "bench-memory"
	units := max(rows/20, 1)
	prospects := max((rows-units)/3, 1) // two events per prospect on average
	fctx, cancel := context.WithCancel(ctx)
	defer cancel()
	fcmd := exec.CommandContext(fctx, fake, "-rentengine-addr", "127.0.0.1:0", "-token", token,
		"-seed", strconv.FormatInt(seed, 10), "-units", strconv.Itoa(units), "-prospects", strconv.Itoa(prospects),
		"-events-per-prospect", "2")
	fcmd.Cancel = func() error { return fcmd.Process.Signal(syscall.SIGTERM) }
	fcmd.WaitDelay = 10 * time.Second
	stdout, err := fcmd.StdoutPipe()
	if err != nil {
		return run, err
	}
	var ferr bytes.Buffer
	fcmd.Stderr = &ferr
	if err := fcmd.Start(); err != nil {
		return run, err
	}
	defer func() { cancel(); _ = fcmd.Wait() }()
	lines := bufio.NewScanner(stdout)
	baseURL := ""
	for baseURL == "" && lines.Scan() {
		if m := baseURLLine.FindStringSubmatch(lines.Text()); m != nil {
			baseURL = m[1]
		}
	}
	if baseURL == "" {
		return run, fmt.Errorf("fakeupstream printed no base_url: %s", ferr.String())
	}
	go func() { _, _ = io.Copy(io.Discard, stdout) }()

	dsn, drop, err := h.newDB(ctx)
	if err != nil {
		return run, err
	}
	defer drop()
	dir, err := os.MkdirTemp("", "syncd-bench-mem-")
	if err != nil {
		return run, err
	}
	defer os.RemoveAll(dir)
	config := filepath.Join(dir, "config.yaml")
	if err := os.WriteFile(config, []byte(fmt.Sprintf(`database:
  url: %s
listen: ""
log:
  level: warn
defaults:
  max_jitter: -1s
tenants:
  - id: memory
    rentengine:
      base_url: %s
      token_env: BENCH_RENTENGINE_TOKEN
      # Lifted: the scenario measures memory, not the upstream's allowance.
      rate_limit: {requests: 1000000, per: 1s, burst: 1000000}
`, dsn, baseURL)), 0o600); err != nil {
		return run, err
	}
	// Migrate first, in its own process, so the measured process does only the sync.
	env := append(os.Environ(), "BENCH_RENTENGINE_TOKEN="+token)
	mig := exec.CommandContext(ctx, syncd, "migrate", "--config", config)
	mig.Env = env
	if out, err := mig.CombinedOutput(); err != nil {
		return run, fmt.Errorf("syncd migrate: %v\n%s", err, out)
	}
	cmd := exec.CommandContext(ctx, syncd, "sync", "--config", config, "--tenant", "memory", "--job", "rentengine")
	cmd.Env = env
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	start := time.Now()
	if err := cmd.Start(); err != nil {
		return run, fmt.Errorf("syncd sync: %v", err)
	}
	// Peak RSS is the child's VmHWM, polled while it runs. getrusage's ru_maxrss of a child is
	// no use here: Go starts children with vfork, and the kernel carries the parent's RSS high
	// water mark into the child's maxrss at exec, so it reported this harness's memory.
	peak := make(chan int64)
	stop := make(chan struct{})
	go func() {
		var max int64
		t := time.NewTicker(5 * time.Millisecond)
		defer t.Stop()
		for {
			if hwm, err := vmHWM(cmd.Process.Pid); err == nil && hwm > max {
				max = hwm
			}
			select {
			case <-stop:
				peak <- max
				return
			case <-t.C:
			}
		}
	}()
	waitErr := cmd.Wait()
	close(stop)
	run.PeakRSS = <-peak
	if waitErr != nil {
		return run, fmt.Errorf("syncd sync: %v\n%s%s", waitErr, out.String(), errOut.String())
	}
	run.Took = time.Since(start)
	if run.PeakRSS == 0 {
		return run, errors.New("could not read the syncd process's VmHWM")
	}
	m := regexp.MustCompile(`fetched (\d+), inserted (\d+)`).FindStringSubmatch(out.String())
	if m == nil {
		return run, fmt.Errorf("unexpected syncd sync output: %q", out.String())
	}
	run.Rows, _ = strconv.ParseInt(m[1], 10, 64)
	if ins, _ := strconv.ParseInt(m[2], 10, 64); ins != run.Rows || run.Rows == 0 {
		return run, fmt.Errorf("syncd sync fetched %s and inserted %s rows", m[1], m[2])
	}
	if !strings.Contains(out.String(), "succeeded") {
		return run, fmt.Errorf("syncd sync did not succeed: %q", out.String())
	}
	run.Load = loadAvg()
	return run, nil
}

// vmHWM reads a live process's peak resident set size (VmHWM in /proc/PID/status) in bytes.
func vmHWM(pid int) (int64, error) { return procStatus(pid, "VmHWM") }

// procStatus reads one memory field of /proc/PID/status ("VmHWM", "VmRSS"), in bytes.
func procStatus(pid int, field string) (int64, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, err
	}
	for _, line := range strings.Split(string(b), "\n") {
		if rest, ok := strings.CutPrefix(line, field+":"); ok {
			kb, err := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(rest), "kB")), 10, 64)
			return kb * 1024, err
		}
	}
	return 0, fmt.Errorf("no %s in /proc/%d/status", field, pid)
}
