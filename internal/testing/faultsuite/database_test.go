package faultsuite_test

import (
	"context"
	"database/sql"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"go.uber.org/zap"
	"go.uber.org/zap/zaptest"

	"github.com/syncd-dev/syncd/internal/models"
	syncer "github.com/syncd-dev/syncd/internal/sync"
	"github.com/syncd-dev/syncd/internal/tenants"
	"github.com/syncd-dev/syncd/internal/testing/dbtest"
	"github.com/syncd-dev/syncd/internal/testing/fakeapi"
	"github.com/syncd-dev/syncd/internal/testing/mirrortest"
	"github.com/syncd-dev/syncd/internal/testing/rentenginefake"
)

// terminateBackends kills every connection to the database of dsn except the caller's own, as an
// operator's pg_terminate_backend or a failover would.
func terminateBackends(t *testing.T, dsn string) int {
	t.Helper()
	u, err := url.Parse(dsn)
	if err != nil {
		t.Fatal(err)
	}
	admin, err := sql.Open("pgx", dbtest.AdminURL())
	if err != nil {
		t.Fatal(err)
	}
	defer admin.Close()
	var n int
	err = admin.QueryRow(`SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity
		WHERE datname = $1 AND pid <> pg_backend_pid()`, strings.TrimPrefix(u.Path, "/")).Scan(&n)
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// TestDatabaseConnectionsKilledMidRun kills the mirror's connections while a pull is between pages:
// that run must end recorded (not hang, not crash the process), and the next run must succeed
// and converge.
func TestDatabaseConnectionsKilledMidRun(t *testing.T) {
	dsn := dbtest.PostgresDSN(t)
	store := dbtest.Open(t, dsn)
	fake := rentenginefake.New(rentenginefake.Options{Token: "tok"})
	defer fake.Close()
	rentenginefake.Seed(fake, rentenginefake.SeedOptions{Seed: 4, Units: 250, Prospects: 300, EventsPerProspect: 2})
	te := &tenants.Tenant{ID: "dbfault", RunTimeout: time.Minute,
		RentEngine: &tenants.RentEngine{BaseURL: fake.BaseURL(), Token: tenants.NewSecret("tok")}}
	runner := syncer.NewRunner(syncer.Config{Store: store, Retry: suiteRetry}, zaptest.NewLogger(t, zaptest.Level(zap.ErrorLevel)))
	ctx := context.Background()

	killed := 0
	var once sync.Once
	fake.Faults().Script(func(r *http.Request) bool {
		if strings.HasSuffix(r.URL.Path, "/prospects") && r.URL.Query().Get("page_number") == "1" {
			once.Do(func() { killed = terminateBackends(t, dsn) })
		}
		return false
	}, fakeapi.FaultServerError, -1)

	run, err := runner.Run(ctx, te, tenants.JobRentEngine)
	if killed == 0 {
		t.Fatal("no connection was killed: the test did not exercise anything")
	}
	if run == nil {
		t.Fatalf("the run was not recorded: %v", err)
	}
	var stored models.SyncRun
	must(t, dbtest.DB(store).Where("run_id = ?", run.RunID).First(&stored).Error)
	if stored.Status == models.RunRunning {
		t.Errorf("run left as running after losing its connections (err %v)", err)
	}
	t.Logf("run with killed connections: status %s, err %v", stored.Status, err)

	if _, err := runner.Run(ctx, te, tenants.JobRentEngine); err != nil {
		t.Fatalf("the run after the fault failed: %v", err)
	}
	diffs, err := mirrortest.RentEngineDiff(ctx, store, te.ID, fake)
	must(t, err)
	for _, d := range diffs {
		t.Error(d)
	}
}

// TestKilledProcessConverges SIGKILLs `syncd sync` in the middle of a pull and runs it again: no
// duplicate, no lost row, and the killed run is marked abandoned.
func TestKilledProcessConverges(t *testing.T) {
	bin := buildSyncd(t)
	dsn := dbtest.PostgresDSN(t)
	store := dbtest.Open(t, dsn)
	fake := rentenginefake.New(rentenginefake.Options{Token: "tok", Faults: &fakeapi.FaultPlan{SlowDelay: 30 * time.Second}})
	defer fake.Close()
	rentenginefake.Seed(fake, rentenginefake.SeedOptions{Seed: 8, Units: 350, Prospects: 400, EventsPerProspect: 2})
	// Page 2 of prospects hangs: the process is mid-pull with units stored and prospects half done.
	stalled := make(chan struct{})
	var stallOnce sync.Once
	fake.Faults().Script(func(r *http.Request) bool {
		if strings.HasSuffix(r.URL.Path, "/prospects") && r.URL.Query().Get("page_number") == "2" {
			stallOnce.Do(func() { close(stalled) })
			return true
		}
		return false
	}, fakeapi.FaultSlow, 1)

	dir := t.TempDir()
	cfg := filepath.Join(dir, "config.yaml")
	must(t, os.WriteFile(cfg, []byte(fmt.Sprintf(`database:
  url_env: KILL_TEST_DB
log: {level: warn}
tenants:
  - id: killed
    rentengine:
      base_url: %s
      token_env: KILL_TEST_TOKEN
      rate_limit: {requests: 1000, per: 1s}
`, fake.BaseURL())), 0o600))
	env := append(os.Environ(), "KILL_TEST_DB="+dsn, "KILL_TEST_TOKEN=tok")

	cmd := exec.Command(bin, "sync", "--config", cfg, "--tenant", "killed")
	cmd.Env = env
	var stderr strings.Builder
	cmd.Stderr = &stderr
	must(t, cmd.Start())
	select {
	case <-stalled:
	case <-time.After(20 * time.Second):
		_ = cmd.Process.Kill()
		t.Fatalf("syncd never reached prospects page 2; stderr:\n%s", stderr.String())
	}
	must(t, cmd.Process.Signal(syscall.SIGKILL))
	_ = cmd.Wait()

	var units int64
	must(t, dbtest.DB(store).Table("rentengine_units").Where("tenant_id = ?", "killed").Count(&units).Error)
	if units == 0 {
		t.Fatal("nothing was stored before the kill: the kill came too early to test anything")
	}

	again := exec.Command(bin, "sync", "--config", cfg, "--tenant", "killed")
	again.Env = env
	if out, err := again.CombinedOutput(); err != nil {
		t.Fatalf("rerun after SIGKILL: %v\n%s", err, out)
	}
	diffs, err := mirrortest.RentEngineDiff(context.Background(), store, "killed", fake)
	must(t, err)
	for _, d := range diffs {
		t.Error(d)
	}
	assertNoDuplicates(t, store)
	var statuses []string
	must(t, dbtest.DB(store).Table("sync_runs").Where("tenant_id = ?", "killed").Order("id").Pluck("status", &statuses).Error)
	if fmt.Sprint(statuses) != "[abandoned succeeded]" {
		t.Errorf("run statuses = %v, want [abandoned succeeded]", statuses)
	}
}

var (
	buildOnce sync.Once
	builtBin  string
	buildErr  error
)

// buildSyncd builds cmd/syncd once per test binary.
func buildSyncd(t *testing.T) string {
	t.Helper()
	buildOnce.Do(func() {
		dir, err := os.MkdirTemp("", "syncd-bin")
		if err != nil {
			buildErr = err
			return
		}
		builtBin = filepath.Join(dir, "syncd")
		out, err := exec.Command("go", "build", "-o", builtBin, "github.com/syncd-dev/syncd/cmd/syncd").CombinedOutput()
		if err != nil {
			buildErr = fmt.Errorf("go build: %v\n%s", err, out)
		}
	})
	if buildErr != nil {
		t.Fatal(buildErr)
	}
	return builtBin
}
