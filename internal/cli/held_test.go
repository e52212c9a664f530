package cli_test

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/syncd-dev/syncd/internal/models"
	"github.com/syncd-dev/syncd/internal/testing/dbtest"
	"github.com/syncd-dev/syncd/internal/testing/rentenginefake"
)

// An upstream that suddenly lists no units: `syncd sync` exits non-zero with the run held and
// says how to release it; `syncd status` shows the held run and its counts; `syncd sync
// --allow-deletes` releases it.
func TestSyncHeldAndReleased(t *testing.T) {
	for _, dl := range []struct {
		name string
		dsn  func(testing.TB) string
	}{{models.Postgres, dbtest.PostgresDSN}, {models.SQLite, dbtest.SQLiteDSN}} {
		t.Run(dl.name, func(t *testing.T) {
			t.Parallel()
			dsn := dl.dsn(t)
			fake := rentenginefake.New(rentenginefake.Options{Token: "tok"})
			defer fake.Close()
			rentenginefake.Seed(fake, rentenginefake.SeedOptions{Seed: 3, Units: 40, Prospects: 30, EventsPerProspect: 1})
			config := writeFile(t, "config.yaml", fmt.Sprintf(`database: {url: %q}
log: {level: error}
tenants:
  - id: acme
    rentengine: {base_url: %q, token_env: RE_TOKEN}
`, dsn, fake.BaseURL()))
			sync := func(args ...string) (int, string, string) {
				return runCLI(t, append([]string{"sync", "--config", config, "--tenant", "acme", "--job", "rentengine"}, args...)...)
			}
			if code, _, errOut := sync(); code != 0 {
				t.Fatalf("first sync: exit %d: %s", code, errOut)
			}
			for _, id := range fake.IDs(rentenginefake.Units) {
				if err := fake.Delete(rentenginefake.Units, id); err != nil {
					t.Fatal(err)
				}
			}

			code, out, errOut := sync()
			if code != 1 || !strings.Contains(out, "acme rentengine: held") ||
				!strings.Contains(errOut, "syncd sync --tenant acme --job rentengine --allow-deletes") {
				t.Fatalf("held sync: exit %d\nstdout %s\nstderr %s", code, out, errOut)
			}

			code, out, errOut = runCLI(t, "status", "--config", config)
			if code != 0 || !strings.Contains(out, "held (units 40)") {
				t.Errorf("status table: exit %d\n%s%s", code, out, errOut)
			}
			code, out, errOut = runCLI(t, "status", "--config", config, "--json")
			var st []struct {
				LastRun struct {
					Status      string           `json:"status"`
					HeldDeletes map[string]int64 `json:"held_deletes"`
					Error       string           `json:"error"`
				} `json:"last_run"`
				LastError string `json:"last_error"`
			}
			if err := json.Unmarshal([]byte(out), &st); err != nil || code != 0 || len(st) != 1 {
				t.Fatalf("status --json: exit %d, %v\n%s%s", code, err, out, errOut)
			}
			if lr := st[0].LastRun; lr.Status != models.RunHeld || lr.HeldDeletes["units"] != 40 ||
				!strings.Contains(lr.Error, "--allow-deletes") || st[0].LastError != lr.Error {
				t.Errorf("status --json: %+v", st[0])
			}

			if code, _, errOut := runCLI(t, "sync", "--config", config, "--tenant", "acme", "--allow-deletes"); code != 2 ||
				!strings.Contains(errOut, "--allow-deletes needs --job") {
				t.Errorf("--allow-deletes without --job: exit %d, %s", code, errOut)
			}
			code, out, errOut = sync("--allow-deletes")
			if code != 0 || !strings.Contains(out, "acme rentengine: succeeded") || !strings.Contains(out, "deleted 40") {
				t.Errorf("released sync: exit %d\nstdout %s\nstderr %s", code, out, errOut)
			}
		})
	}
}
