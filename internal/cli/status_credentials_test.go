package cli_test

import (
	"context"
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
// rate the daemon's live leases report (idle without any), below the jobs.
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

		})
	}
}
