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

// GET /leasing_events switched off upstream: `syncd sync` exits 1 on the partial run, naming the
// resource, and 0 with --allow-partial; `syncd status` shows the resource in the table and in
// --json, and says when webhooks keep it current.
func TestSyncPartial(t *testing.T) {
	for _, dl := range []struct {
		name string
		dsn  func(testing.TB) string
	}{{models.Postgres, dbtest.PostgresDSN}, {models.SQLite, dbtest.SQLiteDSN}} {
		t.Run(dl.name, func(t *testing.T) {
			t.Parallel()
			dsn := dl.dsn(t)
			fake := rentenginefake.New(rentenginefake.Options{Token: "tok"})
			defer fake.Close()
			rentenginefake.Seed(fake, rentenginefake.SeedOptions{Seed: 4, Units: 20, Prospects: 30, EventsPerProspect: 1})
			fake.Disable(rentenginefake.EndpointLeasingEvents)
			config := func(webhook string) string {
				return writeFile(t, "config.yaml", fmt.Sprintf(`database: {url: %q}
log: {level: error}
tenants:
  - id: acme
    rentengine: {base_url: %q, token_env: RE_TOKEN%s}
`, dsn, fake.BaseURL(), webhook))
			}
			plain := config("")
			env := map[string]string{"HOOK_KEY": "hook"}
			sync := func(config string, args ...string) (int, string, string) {
				return runCLIEnv(t, env, append([]string{"sync", "--config", config, "--tenant", "acme", "--job", "rentengine"}, args...)...)
			}

			code, out, errOut := sync(plain)
			if code != 1 || !strings.Contains(out, "acme rentengine: partial") ||
				!strings.Contains(out, "leasing_events unavailable (GET /leasing_events: 404 Not Found)") ||
				!strings.Contains(errOut, "leasing_events") {
				t.Fatalf("partial sync: exit %d\nstdout %s\nstderr %s", code, out, errOut)
			}
			code, out, errOut = sync(plain, "--allow-partial")
			if code != 0 || !strings.Contains(out, "acme rentengine: partial") || !strings.Contains(errOut, "--allow-partial") {
				t.Fatalf("sync --allow-partial: exit %d\nstdout %s\nstderr %s", code, out, errOut)
			}

			code, out, errOut = runCLIEnv(t, env, "status", "--config", plain)
			if code != 0 || !strings.Contains(out, "partial (leasing_events unavailable)") {
				t.Errorf("status table: exit %d\n%s%s", code, out, errOut)
			}
			var st []struct {
				LastRun struct {
					Status      string                        `json:"status"`
					Unavailable map[string]models.Unavailable `json:"unavailable"`
				} `json:"last_run"`
				LastError string `json:"last_error"`
			}
			code, out, errOut = runCLIEnv(t, env, "status", "--config", plain, "--json")
			if err := json.Unmarshal([]byte(out), &st); err != nil || code != 0 || len(st) != 1 {
				t.Fatalf("status --json: exit %d, %v\n%s%s", code, err, out, errOut)
			}
			if lr := st[0].LastRun; lr.Status != models.RunPartial ||
				lr.Unavailable["leasing_events"] != (models.Unavailable{Reason: "GET /leasing_events: 404 Not Found"}) ||
				!strings.Contains(st[0].LastError, "leasing_events") {
				t.Errorf("status --json: %+v", st[0])
			}

			// With the tenant's webhooks on, the status says they keep the resource current.
			hooked := config(", webhook: {api_key_env: HOOK_KEY}")
			if code, out, errOut := sync(hooked); code != 1 || !strings.Contains(out, "kept current by webhooks") {
				t.Fatalf("partial sync with webhooks: exit %d\nstdout %s\nstderr %s", code, out, errOut)
			}
			code, out, errOut = runCLIEnv(t, env, "status", "--config", hooked)
			if code != 0 || !strings.Contains(out, "partial (leasing_events unavailable, kept current by webhooks)") {
				t.Errorf("status table with webhooks: exit %d\n%s%s", code, out, errOut)
			}

			// Back on: the next sync succeeds.
			fake.Enable(rentenginefake.EndpointLeasingEvents)
			if code, out, errOut := sync(plain); code != 0 || !strings.Contains(out, "acme rentengine: succeeded") {
				t.Errorf("sync after the endpoint came back: exit %d\nstdout %s\nstderr %s", code, out, errOut)
			}
		})
	}
}
