package cli_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/syncd-dev/syncd/internal/cli"
	"github.com/syncd-dev/syncd/internal/models"
	"github.com/syncd-dev/syncd/internal/testing/dbtest"
)

// runCLI runs the command line in-process with $RE_TOKEN set and returns exit status, stdout
// and stderr.
func runCLI(t testing.TB, args ...string) (int, string, string) {
	t.Helper()
	return runCLIEnv(t, nil, args...)
}

// runCLIEnv is runCLI with more environment variables.
func runCLIEnv(t testing.TB, env map[string]string, args ...string) (int, string, string) {
	t.Helper()
	lookup := func(k string) (string, bool) {
		if k == "RE_TOKEN" {
			return "tok", true
		}
		v, ok := env[k]
		return v, ok
	}
	var out, errOut bytes.Buffer
	code := cli.Main(context.Background(), args, cli.Env{Stdout: &out, Stderr: &errOut, LookupEnv: lookup})
	return code, out.String(), errOut.String()
}

const statusConfig = `database:
  url: %s
listen: ""
tenants:
  - id: acme
    rentengine: {token_env: RE_TOKEN}
    schedules: {rentengine: "@every 15m"}
  - id: beta
    enabled: false
    rentengine: {token_env: BETA_TOKEN_NOT_SET}
  - id: gamma
    rentengine: {token_env: RE_TOKEN}
    schedules: {rentengine: ""}
`

func writeFile(t testing.TB, name, content string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// record writes a run as the runner would: start, then (unless status is running) finish.
func record(t testing.TB, s *models.Store, r models.SyncRun) {
	t.Helper()
	ctx := context.Background()
	status := r.Status
	if err := s.StartRun(ctx, &r, nil); err != nil {
		t.Fatal(err)
	}
	if status == models.RunRunning {
		return
	}
	r.Status = status
	if err := s.FinishRun(ctx, &r); err != nil {
		t.Fatal(err)
	}
}

func ptr[T any](v T) *T { return &v }

var cellSep = regexp.MustCompile(`\s{2,}`)

func TestStatusCommand(t *testing.T) {
	dialects := []struct {
		name string
		dsn  func(testing.TB) string
	}{{models.Postgres, dbtest.PostgresDSN}, {models.SQLite, dbtest.SQLiteDSN}}
	for _, dl := range dialects {
		t.Run(dl.name, func(t *testing.T) {
			t.Parallel()
			dsn := dl.dsn(t)
			store := dbtest.Open(t, dsn)
			now := time.Now().UTC().Truncate(time.Microsecond)
			// acme: ok two hours ago, failed an hour ago, ok ten minutes ago.
			record(t, store, models.SyncRun{RunID: "a1", TenantID: "acme", Job: "rentengine", StartedAt: now.Add(-2 * time.Hour),
				FinishedAt: ptr(now.Add(-2*time.Hour + 30*time.Second)), Status: models.RunSucceeded, Fetched: 110, Inserted: 110})
			record(t, store, models.SyncRun{RunID: "a2", TenantID: "acme", Job: "rentengine", StartedAt: now.Add(-time.Hour),
				FinishedAt: ptr(now.Add(-time.Hour + 5*time.Second)), Status: models.RunFailed,
				Error: ptr("pull units: rentengine GET /units: 503 Service Unavailable")})
			record(t, store, models.SyncRun{RunID: "a3", TenantID: "acme", Job: "rentengine", StartedAt: now.Add(-10 * time.Minute),
				FinishedAt: ptr(now.Add(-10*time.Minute + 12*time.Second)), Status: models.RunSucceeded,
				Fetched: 120, Inserted: 5, Updated: 3, Unchanged: 110, Deleted: 2, Host: "node-1/7"})
			// acme once ran funnel, which its config no longer has.
			record(t, store, models.SyncRun{RunID: "a4", TenantID: "acme", Job: "funnel", StartedAt: now.Add(-48 * time.Hour),
				FinishedAt: ptr(now.Add(-48 * time.Hour)), Status: models.RunSucceeded})
			// gamma: running for 30s.
			record(t, store, models.SyncRun{RunID: "g1", TenantID: "gamma", Job: "rentengine", StartedAt: now.Add(-30 * time.Second),
				Status: models.RunRunning})
			// ghost: only in sync_runs; its last run was abandoned.
			record(t, store, models.SyncRun{RunID: "x1", TenantID: "ghost", Job: "rentengine", StartedAt: now.Add(-3 * time.Hour), Status: models.RunRunning})
			record(t, store, models.SyncRun{RunID: "x2", TenantID: "ghost", Job: "rentengine", StartedAt: now.Add(-2 * time.Hour), Status: models.RunRunning})
			config := writeFile(t, "config.yaml", fmt.Sprintf(statusConfig, dsn))

			t.Run("table", func(t *testing.T) {
				code, out, errOut := runCLI(t, "status", "--config", config)
				if code != 0 {
					t.Fatalf("exit %d: %s", code, errOut)
				}
				out, _, _ = strings.Cut(out, "\n\n") // the jobs; the credentials follow (status_credentials_test.go)
				lines := strings.Split(strings.TrimRight(out, "\n"), "\n")
				want := [][]string{
					{"TENANT", "JOB", "SCHEDULE", "LAST RUN", "OUTCOME", "TOOK", "FETCHED", "INSERTED", "UPDATED", "DELETED", "LAST SUCCESS", "LAST ERROR"},
					{"acme", "rentengine", "@every 15m", "10m0s ago", "succeeded", "12s", "120", "5", "3", "2", "9m48s ago",
						"(1h0m ago) pull units: rentengine GET /units: 503 Service Unavailable"},
					{"acme", "funnel", "not in config", "2d0h ago", "succeeded", "0s", "0", "0", "0", "0", "2d0h ago", "-"},
					{"beta", "rentengine", "disabled", "never", "-", "-", "-", "-", "-", "-", "never", "-"},
					{"gamma", "rentengine", "manual", "30s ago", "running", "30s", "0", "0", "0", "0", "never", "-"},
					{"ghost", "rentengine", "not in config", "2h0m ago", "running", "2h0m", "0", "0", "0", "0", "never",
						"(3h0m ago) process ended before the run finished"},
				}
				if len(lines) != len(want) {
					t.Fatalf("%d lines, want %d:\n%s", len(lines), len(want), out)
				}
				for i, line := range lines {
					cells := cellSep.Split(strings.TrimSpace(line), -1)
					if fmt.Sprint(cells) != fmt.Sprint(want[i]) {
						t.Errorf("line %d:\n got %q\nwant %q", i, cells, want[i])
					}
				}
				// Aligned: every column starts at the same offset on every line.
				col := strings.Index(lines[0], "LAST SUCCESS")
				for _, line := range lines[1:] {
					if line[col-2:col] != "  " || line[col] == ' ' {
						t.Errorf("LAST SUCCESS column not aligned at %d: %q", col, line)
					}
				}
			})

			t.Run("json", func(t *testing.T) {
				code, out, errOut := runCLI(t, "status", "--config", config, "--json", "--tenant", "acme")
				if code != 0 {
					t.Fatalf("exit %d: %s", code, errOut)
				}
				var got []struct {
					Tenant, Job, Schedule, State string
					LastRun                      *struct {
						RunID     string   `json:"run_id"`
						Status    string   `json:"status"`
						Duration  *float64 `json:"duration_seconds"`
						Fetched   int64    `json:"fetched"`
						Inserted  int64    `json:"inserted"`
						Updated   int64    `json:"updated"`
						Unchanged int64    `json:"unchanged"`
						Deleted   int64    `json:"deleted"`
						Host      string   `json:"host"`
					} `json:"last_run"`
					LastSuccessAt  *time.Time `json:"last_success_at"`
					LastSuccessAge *float64   `json:"last_success_age_seconds"`
					LastError      string     `json:"last_error"`
					LastErrorAt    *time.Time `json:"last_error_at"`
				}
				if err := json.Unmarshal([]byte(out), &got); err != nil {
					t.Fatalf("decode %s: %v", out, err)
				}
				if len(got) != 2 || got[0].Job != "rentengine" || got[1].Job != "funnel" {
					t.Fatalf("rows %+v, want acme's rentengine and funnel", got)
				}
				re := got[0]
				lr := re.LastRun
				if re.State != "scheduled" || re.Schedule != "@every 15m" || lr == nil || lr.RunID != "a3" || lr.Status != "succeeded" ||
					*lr.Duration != 12 || lr.Fetched != 120 || lr.Inserted != 5 || lr.Updated != 3 || lr.Unchanged != 110 ||
					lr.Deleted != 2 || lr.Host != "node-1/7" {
					t.Errorf("acme rentengine: %+v / last run %+v", re, lr)
				}
				if !re.LastSuccessAt.Equal(now.Add(-10*time.Minute+12*time.Second)) || *re.LastSuccessAge < 588 || *re.LastSuccessAge > 598 {
					t.Errorf("last success %v, age %v", re.LastSuccessAt, *re.LastSuccessAge)
				}
				if !strings.Contains(re.LastError, "503") || !re.LastErrorAt.Equal(now.Add(-time.Hour)) {
					t.Errorf("last error %q at %v", re.LastError, re.LastErrorAt)
				}
				if got[1].State != "not_in_config" {
					t.Errorf("acme funnel state %q, want not_in_config", got[1].State)
				}
			})

			errCases := []struct {
				name     string
				args     []string
				wantCode int
				wantOut  string // in stdout
				wantErr  string // in stderr
			}{
				{"a tenant only in sync_runs", []string{"--tenant", "ghost"}, 0, "ghost", ""},
				{"a config tenant without runs", []string{"--tenant", "beta"}, 0, "never", ""},
				{"an unknown tenant", []string{"--tenant", "nobody"}, 1, "", `no tenant "nobody"`},
				{"a bad flag", []string{"--bogus"}, 2, "", "flag provided but not defined"},
			}
			for _, tc := range errCases {
				t.Run(tc.name, func(t *testing.T) {
					code, out, errOut := runCLI(t, append([]string{"status", "--config", config}, tc.args...)...)
					if code != tc.wantCode || !strings.Contains(out, tc.wantOut) || !strings.Contains(errOut, tc.wantErr) {
						t.Errorf("exit %d, stdout %q, stderr %q; want %d, %q, %q", code, out, errOut, tc.wantCode, tc.wantOut, tc.wantErr)
					}
				})
			}
		})
	}
}

// A missing SQLite file is reported, not created empty.
func TestStatusWithoutDatabase(t *testing.T) {
	dbPath := filepath.Join(t.TempDir(), "missing.db")
	config := writeFile(t, "config.yaml", fmt.Sprintf(statusConfig, "sqlite:"+dbPath))
	code, _, errOut := runCLI(t, "status", "--config", config)
	if code != 1 || !strings.Contains(errOut, "no database at") {
		t.Errorf("exit %d, stderr %q", code, errOut)
	}
	if _, err := os.Stat(dbPath); err == nil {
		t.Error("status created the database file")
	}
}
