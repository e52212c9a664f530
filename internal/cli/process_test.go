package cli_test

// End-to-end tests of `syncd run` as real processes: several replicas on one Postgres, a replica
// killed while it holds a lock, SIGTERM and SIGHUP, and a second process refused on SQLite.
// They build the binary once per package run. Real processes, real HTTP and a real database are
// out of a fake clock's reach, so these tests poll with deadlines (waitFor); the deadlines only
// bound how long a failure takes to show.

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/syncd-dev/syncd/internal/models"
	"github.com/syncd-dev/syncd/internal/testing/dbtest"
	"github.com/syncd-dev/syncd/internal/testing/rentenginefake"
)

const fakeToken = "tok-process-test"

var (
	buildOnce sync.Once
	binPath   string
	buildErr  error
)

// syncdBinary builds cmd/syncd once for the package's tests.
func syncdBinary(t testing.TB) string {
	t.Helper()
	buildOnce.Do(func() {
		dir, err := os.MkdirTemp("", "syncd-test-bin-")
		if err != nil {
			buildErr = err
			return
		}
		binPath = filepath.Join(dir, "syncd")
		out, err := exec.Command("go", "build", "-o", binPath, "github.com/syncd-dev/syncd/cmd/syncd").CombinedOutput()
		if err != nil {
			buildErr = fmt.Errorf("go build: %v\n%s", err, out)
		}
	})
	if buildErr != nil {
		t.Fatal(buildErr)
	}
	return binPath
}

func TestMain(m *testing.M) {
	code := m.Run()
	if binPath != "" {
		os.RemoveAll(filepath.Dir(binPath))
	}
	os.Exit(code)
}

// slowUpstream serves a small seeded fake RentEngine, delaying each request by delay (or until
// the client gives up). It returns the API base URL.
func slowUpstream(t testing.TB, delay time.Duration) string {
	t.Helper()
	fake := rentenginefake.NewUnstarted(rentenginefake.Options{Token: fakeToken})
	rentenginefake.Seed(fake, rentenginefake.SeedOptions{Seed: 3, Units: 10, Prospects: 10, EventsPerProspect: 1})
	h := fake.Handler()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-time.After(delay):
			h.ServeHTTP(w, r)
		case <-r.Context().Done():
		}
	}))
	t.Cleanup(srv.Close)
	return srv.URL + rentenginefake.BasePath
}

const processConfig = `database:
  url: %s
listen: "%s"
log:
  level: info
limits:
  shutdown_timeout: 5s
defaults:
  max_jitter: -1s
  rentengine:
    base_url: %s
    rate_limit: {requests: 1000, per: 1s, burst: 1000}
tenants:
  - id: acme
    rentengine: {token_env: RE_TOKEN}
    schedules: {rentengine: "%s"}
`

func processConfigFile(t testing.TB, dsn, listen, baseURL, schedule string) string {
	return writeFile(t, "config.yaml", fmt.Sprintf(processConfig, dsn, listen, baseURL, schedule))
}

// lockedBuffer collects a process's stderr.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

type proc struct {
	name   string
	cmd    *exec.Cmd
	stderr *lockedBuffer
	done   chan struct{}
	err    error // set when done is closed
}

// startSyncd starts the binary with the config in $SYNCD_CONFIG. The process is killed when the
// test ends if it is still running; its stderr is logged if the test failed.
func startSyncd(t testing.TB, name, config string, args ...string) *proc {
	t.Helper()
	cmd := exec.Command(syncdBinary(t), args...)
	cmd.Env = append(os.Environ(), "SYNCD_CONFIG="+config, "RE_TOKEN="+fakeToken)
	p := &proc{name: name, cmd: cmd, stderr: &lockedBuffer{}, done: make(chan struct{})}
	cmd.Stderr = p.stderr
	if err := cmd.Start(); err != nil {
		t.Fatalf("start %s: %v", name, err)
	}
	go func() { p.err = cmd.Wait(); close(p.done) }()
	t.Cleanup(func() {
		select {
		case <-p.done:
		default:
			_ = cmd.Process.Kill()
			<-p.done
		}
		if t.Failed() {
			t.Logf("stderr of %s (pid %d):\n%s", name, cmd.Process.Pid, p.stderr.String())
		}
	})
	return p
}

func (p *proc) pid() int { return p.cmd.Process.Pid }

// exit waits up to timeout for the process to end and returns its exit status (-1: a signal).
func (p *proc) exit(t testing.TB, timeout time.Duration) int {
	t.Helper()
	select {
	case <-p.done:
		return p.cmd.ProcessState.ExitCode()
	case <-time.After(timeout):
		t.Fatalf("%s still running after %s", p.name, timeout)
		return 0
	}
}

func (p *proc) signal(t testing.TB, sig os.Signal) {
	t.Helper()
	if err := p.cmd.Process.Signal(sig); err != nil {
		t.Fatalf("signal %s: %v", p.name, err)
	}
}

func waitFor(t testing.TB, timeout time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %s waiting for %s", timeout, what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func allRuns(t testing.TB, s *models.Store) []models.SyncRun {
	t.Helper()
	var out []models.SyncRun
	if err := dbtest.DB(s).Order("started_at").Find(&out).Error; err != nil {
		t.Fatalf("read sync_runs: %v", err)
	}
	return out
}

func freeAddr(t testing.TB) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// Three replicas on one Postgres, a job every second, runs of about half a second: every tick
// runs exactly once, runs never overlap, and when the replica running the job is killed
// (SIGKILL: no cleanup at all) another replica runs the next tick.
func TestReplicasRunEachTickOnce(t *testing.T) {
	t.Parallel()
	baseURL := slowUpstream(t, 150*time.Millisecond) // 3 requests per run
	dsn := dbtest.PostgresDSN(t)
	store := dbtest.Open(t, dsn) // migrated up front, so the replicas start without queueing on goose's lock
	config := processConfigFile(t, dsn, "", baseURL, "@every 1s")
	var procs []*proc
	for i := range 3 {
		procs = append(procs, startSyncd(t, fmt.Sprintf("replica-%d", i), config, "run"))
	}
	byHost := func(host string) *proc {
		for _, p := range procs {
			if strings.HasSuffix(host, fmt.Sprintf("/%d", p.pid())) {
				return p
			}
		}
		return nil
	}
	countSucceeded := func(after time.Time, notBy *proc) int {
		n := 0
		for _, r := range allRuns(t, store) {
			if r.Status == models.RunSucceeded && r.StartedAt.After(after) && byHost(r.Host) != notBy {
				n++
			}
		}
		return n
	}
	waitFor(t, 15*time.Second, "4 succeeded runs", func() bool { return countSucceeded(time.Time{}, nil) >= 4 })

	// Kill the replica that is running the job right now (a run that started moments ago, so it
	// is surely still running when the signal lands).
	var (
		victim    *proc
		victimRun string
	)
	waitFor(t, 5*time.Second, "a run in progress", func() bool {
		for _, r := range allRuns(t, store) {
			if r.Status == models.RunRunning && time.Since(r.StartedAt) < 150*time.Millisecond {
				victim, victimRun = byHost(r.Host), r.RunID
			}
		}
		return victim != nil
	})
	victim.signal(t, syscall.SIGKILL)
	killedAt := time.Now().UTC()
	victim.exit(t, 5*time.Second)
	waitFor(t, 5*time.Second, "another replica to take over", func() bool { return countSucceeded(killedAt, victim) >= 1 })
	waitFor(t, 5*time.Second, "two more runs", func() bool { return countSucceeded(killedAt, victim) >= 3 })
	for _, p := range procs {
		if p != victim {
			p.signal(t, syscall.SIGTERM)
		}
	}
	for _, p := range procs {
		if p != victim {
			if code := p.exit(t, 10*time.Second); code != 0 {
				t.Errorf("%s exited %d after SIGTERM, want 0", p.name, code)
			}
		}
	}

	runs := allRuns(t, store)
	type span struct {
		run        models.SyncRun
		start, end time.Time
	}
	var spans []span
	for _, r := range runs {
		s := span{run: r, start: r.StartedAt}
		switch {
		case r.RunID == victimRun:
			// Its process died at killedAt; the next run marked it abandoned.
			s.end = killedAt
			if r.Status != models.RunAbandoned || r.FinishedAt != nil {
				t.Errorf("killed run %s: status %s, finished %v; want abandoned, unfinished", r.RunID, r.Status, r.FinishedAt)
			}
		case r.FinishedAt == nil:
			t.Errorf("run %s has no finish time (status %s)", r.RunID, r.Status)
			continue
		default:
			s.end = *r.FinishedAt
		}
		spans = append(spans, s)
	}
	sort.Slice(spans, func(i, j int) bool { return spans[i].start.Before(spans[j].start) })

	// Never two at once.
	for i := 1; i < len(spans); i++ {
		if spans[i].start.Before(spans[i-1].end) {
			t.Errorf("runs overlap: %s (%s) %s–%s and %s (%s) from %s", spans[i-1].run.RunID, spans[i-1].run.Host,
				spans[i-1].start.Format("15:04:05.000"), spans[i-1].end.Format("15:04:05.000"),
				spans[i].run.RunID, spans[i].run.Host, spans[i].start.Format("15:04:05.000"))
		}
	}
	// Each tick (a whole second) ran once, or was skipped because a run was still in progress.
	// "In progress" is what the scheduler goes by: the job's lock, which a replica holds from
	// before the run's sync_runs row starts until after its outcome is recorded (the tick's end
	// in schedule_claims, then the advisory unlock). Under load that tail can cross the next
	// tick, which every replica then skips although sync_runs shows nothing running: such a
	// tick counts as busy when a replica logged skipping it for the lock and a run ended within
	// the second before it.
	lockSkips := map[time.Time]bool{}
	for _, p := range procs {
		for _, line := range strings.Split(p.stderr.String(), "\n") {
			var e struct {
				Msg  string    `json:"msg"`
				Tick time.Time `json:"tick"`
			}
			if json.Unmarshal([]byte(line), &e) == nil && !e.Tick.IsZero() && (e.Msg == "skipping tick: previous run still running" ||
				e.Msg == "skipping tick: another replica is running this job") {
				lockSkips[e.Tick.UTC()] = true
			}
		}
	}
	perTick := map[time.Time][]string{}
	for _, s := range spans {
		tick := s.start.Truncate(time.Second)
		perTick[tick] = append(perTick[tick], s.run.RunID+"@"+s.run.Host)
	}
	first, last := spans[0].start.Truncate(time.Second), spans[len(spans)-1].start.Truncate(time.Second)
	for tick := first; !tick.After(last); tick = tick.Add(time.Second) {
		switch n := len(perTick[tick]); {
		case n > 1:
			t.Errorf("tick %s ran %d times: %v", tick.Format("15:04:05"), n, perTick[tick])
		case n == 0:
			busy := false
			for _, s := range spans {
				busy = busy || (s.start.Before(tick) && s.end.After(tick)) ||
					(lockSkips[tick.UTC()] && s.start.Before(tick) && s.end.After(tick.Add(-time.Second)))
			}
			if !busy {
				t.Errorf("tick %s did not run anywhere, and no run was in progress", tick.Format("15:04:05"))
			}
		}
	}
	// Every run claimed its tick first, and every claim ran.
	var claims int64
	if err := dbtest.DB(store).Table("schedule_claims").Count(&claims).Error; err != nil {
		t.Fatal(err)
	}
	if claims != int64(len(runs)) {
		t.Errorf("%d tick claims for %d runs", claims, len(runs))
	}
	if t.Failed() {
		for _, s := range spans {
			t.Logf("run %s %-10s %s–%s %s", s.run.RunID, s.run.Status, s.start.Format("15:04:05.000"), s.end.Format("15:04:05.000"), s.run.Host)
		}
	}
}

// SIGHUP reloads; SIGTERM in the middle of a run ends the process with status 0 well within
// limits.shutdown_timeout, and the run is recorded as failed (cancelled), not left "running".
func TestRunStopsOnSIGTERM(t *testing.T) {
	t.Parallel()
	baseURL := slowUpstream(t, time.Minute) // the first request never answers in time
	dsn := dbtest.SQLiteDSN(t)
	addr := freeAddr(t)
	config := processConfigFile(t, dsn, addr, baseURL, "@every 1s")
	store := dbtest.Open(t, dsn) // migrated before the daemon starts: SQLite migrations take no lock
	p := startSyncd(t, "daemon", config, "run")
	waitFor(t, 10*time.Second, "the daemon to start", func() bool { return strings.Contains(p.stderr.String(), `"syncd started"`) })

	p.signal(t, syscall.SIGHUP)
	waitFor(t, 5*time.Second, "the reload on SIGHUP", func() bool {
		return strings.Contains(p.stderr.String(), `"msg":"config reloaded","trigger":"signal"`)
	})
	health := "http://" + addr + "/healthz"
	if code, _, errOut := runCLI(t, "healthcheck", "--url", health); code != 0 {
		t.Errorf("healthcheck of the running daemon: exit %d: %s", code, errOut)
	}

	waitFor(t, 10*time.Second, "a run in progress", func() bool {
		rs := allRuns(t, store)
		return len(rs) > 0 && rs[0].Status == models.RunRunning
	})
	begin := time.Now()
	p.signal(t, syscall.SIGTERM)
	code := p.exit(t, 10*time.Second)
	took := time.Since(begin)
	if code != 0 || took > 5*time.Second {
		t.Errorf("exit %d after %s; want 0 within the 5s shutdown_timeout", code, took)
	}
	rs := allRuns(t, store)
	if len(rs) != 1 {
		t.Fatalf("%d runs, want 1", len(rs))
	}
	r := rs[0]
	if r.Status != models.RunFailed || r.FinishedAt == nil || r.Error == nil || !strings.Contains(*r.Error, "context canceled") {
		t.Errorf("run after SIGTERM: status %s, finished %v, error %v; want failed with the cancellation", r.Status, r.FinishedAt, deref(r.Error))
	}
	if code, _, _ := runCLI(t, "healthcheck", "--url", health); code != 1 {
		t.Errorf("healthcheck of a stopped daemon: exit %d, want 1", code)
	}
}

func deref(s *string) string {
	if s == nil {
		return "<nil>"
	}
	return *s
}

// SQLite mode is one process: a second `syncd run` on the same database file exits at once with
// a clear message, and the first keeps running.
func TestSQLiteRefusesSecondProcess(t *testing.T) {
	t.Parallel()
	config := processConfigFile(t, dbtest.SQLiteDSN(t), "", "http://127.0.0.1:1/api", "@every 1h")
	first := startSyncd(t, "first", config, "run")
	waitFor(t, 10*time.Second, "the first daemon to start", func() bool {
		return strings.Contains(first.stderr.String(), `"syncd started"`)
	})
	second := startSyncd(t, "second", config, "run")
	if code := second.exit(t, 10*time.Second); code != 1 {
		t.Errorf("second process exited %d, want 1", code)
	}
	if msg := second.stderr.String(); !strings.Contains(msg, "another syncd process is already using the SQLite database") ||
		!strings.Contains(msg, "use Postgres for several replicas") {
		t.Errorf("second process said: %s", msg)
	}
	select {
	case <-first.done:
		t.Fatal("the first process stopped")
	default:
	}
	first.signal(t, syscall.SIGTERM)
	if code := first.exit(t, 10*time.Second); code != 0 {
		t.Errorf("first process exited %d after SIGTERM, want 0", code)
	}
}
