package cli_test

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/syncd-dev/syncd/internal/models"
	"github.com/syncd-dev/syncd/internal/tenants"
	"github.com/syncd-dev/syncd/internal/testing/dbtest"
)

const credentialsConfig = `database:
  url: %s
listen: ""
credentials:
  - {name: partner-key, api: funnel, secret_env: PARTNER_KEY, rate_limit: {requests: 10, per: 1s}}
tenants:
  - id: acme
    rentengine: {token_env: RE_TOKEN}
    funnel: {credential: partner-key, communities: ["1"]}
  - id: beta
    funnel: {credential: partner-key, communities: ["2"]}
  - id: gamma
    rentengine: {token_env: RE_TOKEN}
`

// status lists each credential once with its tenants, the configured rate and the effective
// rate the daemon's live leases report (idle without any), in the table and as each pull job's
// "rate" in --json.
func TestStatusShowsCredentials(t *testing.T) {
	dialects := []struct {
		name string
		dsn  func(testing.TB) string
	}{{models.Postgres, dbtest.PostgresDSN}, {models.SQLite, dbtest.SQLiteDSN}}
	for _, dl := range dialects {
		t.Run(dl.name, func(t *testing.T) {
			dsn := dl.dsn(t)
			store := dbtest.Open(t, dsn)
			config := writeFile(t, "config.yaml", fmt.Sprintf(credentialsConfig, dsn))
			env := map[string]string{"PARTNER_KEY": "partner-secret"}
			// The daemon's lease on the Funnel key, after a 429 halved its factor.
			key := tenants.CredentialKey(tenants.JobFunnel, tenants.DefaultFunnelBaseURL, tenants.NewSecret("partner-secret"))
			if _, err := store.RenewRateLeases(context.Background(), "daemon-1", []models.RateLease{{Bucket: key, API: "funnel",
				Credential: "partner-key", ConfiguredRate: 10, Factor: 0.5, EffectiveRate: 5}}, time.Minute, time.Second); err != nil {
				t.Fatal(err)
			}

			code, out, errOut := runCLIEnv(t, env, "status", "--config", config)
			if code != 0 {
				t.Fatalf("exit %d: %s", code, errOut)
			}
			_, creds, ok := strings.Cut(out, "\n\n")
			lines := strings.Split(strings.TrimRight(creds, "\n"), "\n")
			want := [][]string{
				{"API", "CREDENTIAL", "TENANTS", "CONFIGURED/S", "EFFECTIVE/S", "PROCESSES"},
				{"funnel", "partner-key", "2", "10.00", "5.00", "1"},
				{"rentengine", "acme,gamma", "2", "4.00", "idle", "0"},
			}
			if !ok || len(lines) != len(want) {
				t.Fatalf("credentials section:\n%s\nwant %d lines", out, len(want))
			}
			for i, line := range lines {
				if cells := cellSep.Split(strings.TrimSpace(line), -1); fmt.Sprint(cells) != fmt.Sprint(want[i]) {
					t.Errorf("line %d:\n got %q\nwant %q", i, cells, want[i])
				}
			}

			code, out, errOut = runCLIEnv(t, env, "status", "--config", config, "--json", "--tenant", "acme")
			if code != 0 {
				t.Fatalf("exit %d: %s", code, errOut)
			}
			var rows []struct {
				Job  string
				Rate *struct {
					API        string   `json:"api"`
					Credential string   `json:"credential"`
					Tenants    []string `json:"tenants"`
					Configured float64  `json:"configured_per_second"`
					Effective  *float64 `json:"effective_per_second"`
					Processes  int      `json:"processes"`
				} `json:"rate"`
			}
			if err := json.Unmarshal([]byte(out), &rows); err != nil {
				t.Fatalf("decode %s: %v", out, err)
			}
			if len(rows) != 2 || rows[0].Rate == nil || rows[1].Rate == nil {
				t.Fatalf("rows %s, want acme's two pulls with a rate", out)
			}
			if r := rows[1].Rate; rows[1].Job != "funnel" || r.Credential != "partner-key" || r.Configured != 10 ||
				r.Effective == nil || *r.Effective != 5 || r.Processes != 1 || fmt.Sprint(r.Tenants) != "[acme]" {
				t.Errorf("funnel rate %+v", r)
			}
			if r := rows[0].Rate; r.Credential != "acme,gamma" || r.Effective != nil {
				t.Errorf("rentengine rate %+v, want idle (no lease)", r)
			}
		})
	}
}
