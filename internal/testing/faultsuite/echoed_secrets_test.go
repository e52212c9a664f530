package faultsuite_test

import (
	"context"
	"encoding/base64"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/syncd-dev/syncd/internal/cli"
	"github.com/syncd-dev/syncd/internal/logging"
	"github.com/syncd-dev/syncd/internal/metrics"
	"github.com/syncd-dev/syncd/internal/models"
	syncer "github.com/syncd-dev/syncd/internal/sync"
	"github.com/syncd-dev/syncd/internal/tenants"
	"github.com/syncd-dev/syncd/internal/testing/dbtest"
	"github.com/syncd-dev/syncd/internal/testing/fakeapi"
	"github.com/syncd-dev/syncd/internal/testing/funnelfake"
	"github.com/syncd-dev/syncd/internal/testing/rentenginefake"
)

// secretForms lists the forms in which a credential can come back from an upstream that echoes
// it: as sent (alone or after "Bearer"), Basic-encoded (padded or not), and URL-escaped.
func secretForms(secrets ...string) map[string]string {
	forms := map[string]string{}
	for _, s := range secrets {
		for what, f := range map[string]string{
			"raw": s, "query-escaped": url.QueryEscape(s), "path-escaped": url.PathEscape(s),
			"basic":          base64.StdEncoding.EncodeToString([]byte(s + ":")),
			"basic unpadded": base64.RawStdEncoding.EncodeToString([]byte(s + ":")),
			"base64":         base64.StdEncoding.EncodeToString([]byte(s)),
		} {
			forms[f] = what + " form of " + s
		}
	}
	return forms
}

// tableTexts returns every row of every table of the store as text, keyed "table row n".
func tableTexts(t *testing.T, store *models.Store) map[string]string {
	t.Helper()
	q := "SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema()"
	if store.Dialect() == models.SQLite {
		q = "SELECT name FROM sqlite_master WHERE type = 'table'"
	}
	var tables []string
	if err := dbtest.DB(store).Raw(q).Scan(&tables).Error; err != nil {
		t.Fatal(err)
	}
	if len(tables) < 10 {
		t.Fatalf("found only these tables: %v", tables)
	}
	out := map[string]string{}
	for _, table := range tables {
		rows, err := dbtest.DB(store).Raw(`SELECT * FROM "` + table + `"`).Rows()
		if err != nil {
			t.Fatalf("read %s: %v", table, err)
		}
		cols, _ := rows.Columns()
		for n := 0; rows.Next(); n++ {
			vals := make([]any, len(cols))
			ptrs := make([]any, len(cols))
			for i := range vals {
				ptrs[i] = &vals[i]
			}
			if err := rows.Scan(ptrs...); err != nil {
				t.Fatalf("scan %s: %v", table, err)
			}
			var b strings.Builder
			for i, v := range vals {
				if raw, ok := v.([]byte); ok {
					v = string(raw)
				}
				fmt.Fprintf(&b, "%s=%v ", cols[i], v)
			}
			out[fmt.Sprintf("%s row %d", table, n)] = b.String()
		}
		if err := rows.Err(); err != nil {
			t.Fatal(err)
		}
		rows.Close()
	}
	return out
}

// findSecrets reports every place where a form of a secret occurs.
func findSecrets(texts map[string]string, forms map[string]string) []string {
	var hits []string
	for where, text := range texts {
		for f, what := range forms {
			if i := strings.Index(text, f); i >= 0 {
				hits = append(hits, fmt.Sprintf("%s in %s: …%s…", what, where, text[max(0, i-80):min(len(text), i+len(f)+40)]))
			}
		}
	}
	sort.Strings(hits)
	return hits
}

const echoStatusConfig = `database:
  url: %s
listen: ""
tenants:
  - id: acme
    rentengine: {token_env: RE_TOKEN}
  - id: beta
    rentengine: {token_env: RE_TOKEN}
`

// TestEchoedSecretsAreStoredNowhere: upstreams that echo the Authorization header in their 401
// body (Bearer token, Basic key, Bearer key) during pushes and pulls. Every table, every log
// line (SQL included), `syncd status --json` and /metrics are then searched for every form of
// every credential: there must be none.
func TestEchoedSecretsAreStoredNowhere(t *testing.T) {
	const (
		token     = "re-TOK/EN+9f8e=7d6c5b4a"
		basicKey  = "fu-KEY/5e+6f=7a8b9c0d"
		bearerKey = "fu-BEARER/0a+9b=8c7d"
	)
	forms := secretForms(token, basicKey, bearerKey)
	for _, dialect := range []struct {
		name string
		dsn  func(testing.TB) string
	}{{models.Postgres, dbtest.PostgresDSN}, {models.SQLite, dbtest.SQLiteDSN}} {
		t.Run(dialect.name, func(t *testing.T) {
			ctx := context.Background()
			var logs lockedBuffer
			log, err := logging.New(logging.Config{Level: "debug", Format: "json", Output: &logs})
			if err != nil {
				t.Fatal(err)
			}
			dsn := dialect.dsn(t)
			store, err := models.Open(ctx, models.OpenConfig{DSN: dsn, LogSQL: true}, log.Named("store"))
			if err != nil {
				t.Fatal(err)
			}
			defer store.Close()
			if _, err := store.Migrate(ctx); err != nil {
				t.Fatal(err)
			}

			re := rentenginefake.New(rentenginefake.Options{Token: token})
			defer re.Close()
			rentenginefake.Seed(re, rentenginefake.SeedOptions{Seed: 2, Units: 60, Prospects: 40, EventsPerProspect: 1})
			fu := funnelfake.New(funnelfake.Options{APIKey: basicKey})
			defer fu.Close()
			funnelfake.Seed(fu, funnelfake.SeedOptions{Seed: 2, Communities: 1, ProspectsPerCommunity: 40, RenewalsPerCommunity: 6})
			community := fu.Communities()[0].Numeric()
			funnelBlock := func(key, auth string) *tenants.Funnel {
				return &tenants.Funnel{BaseURL: fu.BaseURL(), APIKey: tenants.NewSecret(key), Auth: auth,
					CompanyID: fu.CompanyID(), Communities: []string{community}}
			}
			acme := &tenants.Tenant{ID: "acme", RunTimeout: time.Minute,
				RentEngine: &tenants.RentEngine{BaseURL: re.BaseURL(), Token: tenants.NewSecret(token)},
				Funnel:     funnelBlock(basicKey, tenants.FunnelAuthBasic), Push: &tenants.Push{}}
			beta := &tenants.Tenant{ID: "beta", RunTimeout: time.Minute, Funnel: funnelBlock(bearerKey, tenants.FunnelAuthBearer)}

			m := metrics.New()
			runner := syncer.NewRunner(syncer.Config{Store: store, Retry: suiteRetry, Upstream: m, Runs: m, Pushes: m}, log)
			for _, job := range []tenants.Job{tenants.JobRentEngine, tenants.JobFunnel} {
				if _, err := runner.Run(ctx, acme, job); err != nil {
					t.Fatalf("clean %s pull: %v", job, err)
				}
			}

			// From here on both upstreams echo whatever credential they are sent.
			for _, f := range []*fakeapi.FaultInjector{re.Faults(), fu.Faults()} {
				f.Script(nil, fakeapi.FaultEchoSecret, -1)
			}
			runs := []struct {
				tenant *tenants.Tenant
				job    tenants.Job
			}{{acme, tenants.JobPush}, {acme, tenants.JobRentEngine}, {acme, tenants.JobFunnel}, {beta, tenants.JobFunnel}}
			for _, r := range runs {
				run, err := runner.Run(ctx, r.tenant, r.job)
				if err == nil || run == nil || run.Error == nil || !strings.HasPrefix(*run.Error, "credentials rejected") {
					t.Fatalf("%s %s: err = %v, want a run stopped as credentials rejected", r.tenant.ID, r.job, err)
				}
			}
			if n := re.Faults().Injected()[fakeapi.FaultEchoSecret] + fu.Faults().Injected()[fakeapi.FaultEchoSecret]; n < len(runs) {
				t.Fatalf("%d echoes for %d runs", n, len(runs))
			}

			// The places an operator or an analyst reads.
			texts := tableTexts(t, store)
			texts["logs"] = logs.String()
			config := filepath.Join(t.TempDir(), "config.yaml")
			if err := os.WriteFile(config, fmt.Appendf(nil, echoStatusConfig, dsn), 0o600); err != nil {
				t.Fatal(err)
			}
			var stdout, stderr strings.Builder
			code := cli.Main(ctx, []string{"status", "--config", config, "--json"}, cli.Env{Stdout: &stdout, Stderr: &stderr,
				LookupEnv: func(k string) (string, bool) { return "unrelated-token", k == "RE_TOKEN" }})
			if code != 0 {
				t.Fatalf("status --json: exit %d: %s", code, stderr.String())
			}
			texts["status --json"] = stdout.String()
			texts["status stderr"] = stderr.String()
			rec := httptest.NewRecorder()
			promhttp.HandlerFor(m.Registry, promhttp.HandlerOpts{}).ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/metrics", nil))
			texts["/metrics"] = rec.Body.String()

			// The search must be looking at the echoed errors, or finding nothing proves nothing.
			stored := map[string]bool{}
			for where, text := range texts {
				if strings.Contains(text, "invalid credentials: [REDACTED]") {
					stored[strings.SplitN(where, " row ", 2)[0]] = true
				}
			}
			for _, want := range []string{"sync_runs", "push_attempts", "push_ledger", "logs", "status --json"} {
				if !stored[want] {
					t.Errorf("no redacted echo in %s: the test is not looking at what it should (found in %v)", want, stored)
				}
			}
			if !strings.Contains(texts["/metrics"], `syncd_runs_total{job="push",outcome="failed",tenant="acme"} 1`) {
				t.Errorf("/metrics does not count the failed push run")
			}
			hits := findSecrets(texts, forms)
			for _, h := range hits {
				t.Error("secret found: " + h)
			}
			fmt.Printf("echoed secrets (%s): %d places searched, %d forms of %d credentials, secrets found %d\n",
				dialect.name, len(texts), len(forms), 3, len(hits))
		})
	}
}
