package cli

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/syncd-dev/syncd/internal/daemon"
	"github.com/syncd-dev/syncd/internal/testing/dbtest"
	"github.com/syncd-dev/syncd/internal/testing/rentenginefake"
)

// TestSyncRespectsTheDaemonsLock: a one-shot `syncd sync` must not run a job that a daemon replica
// is running (it holds the job's advisory lock); once the lock is free it runs.
func TestSyncRespectsTheDaemonsLock(t *testing.T) {
	dsn := dbtest.PostgresDSN(t)
	fake := rentenginefake.New(rentenginefake.Options{Token: "tok"})
	defer fake.Close()
	rentenginefake.Seed(fake, rentenginefake.SeedOptions{Seed: 1, Units: 5, Prospects: 5, EventsPerProspect: 1})
	cfg := filepath.Join(t.TempDir(), "config.yaml")
	if err := os.WriteFile(cfg, []byte(fmt.Sprintf(`database: {url_env: LOCK_DB}
log: {level: error}
tenants:
  - id: locked
    rentengine: {base_url: %q, token_env: LOCK_TOKEN}
`, fake.BaseURL())), 0o600); err != nil {
		t.Fatal(err)
	}
	env := func(out, errOut *bytes.Buffer) Env {
		return Env{Stdout: out, Stderr: errOut, LookupEnv: func(k string) (string, bool) {
			switch k {
			case "LOCK_DB":
				return dsn, true
			case "LOCK_TOKEN":
				return "tok", true
			}
			return "", false
		}}
	}
	ctx := context.Background()
	locker, err := daemon.NewLocker(ctx, daemon.LockerConfig{DSN: dsn}, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer locker.Close()
	held, release, err := locker.TryLock(ctx, "locked", "rentengine")
	if err != nil || held == nil {
		t.Fatalf("take the lock: %v", err)
	}

	var out, errOut bytes.Buffer
	if code := Main(ctx, []string{"sync", "--config", cfg, "--tenant", "locked"}, env(&out, &errOut)); code == 0 {
		t.Fatalf("sync ran while another process held the job's lock:\n%s", out.String())
	}
	if !strings.Contains(errOut.String(), "running in another process") {
		t.Errorf("stderr does not say why: %s", errOut.String())
	}
	if n := len(fake.Requests()); n != 0 {
		t.Errorf("the refused sync still called the upstream %d times", n)
	}

	release()
	out.Reset()
	errOut.Reset()
	if code := Main(ctx, []string{"sync", "--config", cfg, "--tenant", "locked"}, env(&out, &errOut)); code != 0 {
		t.Fatalf("sync after release: exit %d\n%s", code, errOut.String())
	}
}
