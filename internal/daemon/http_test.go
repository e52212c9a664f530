package daemon_test

import (
	"context"
	"database/sql"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/syncd-dev/syncd/internal/daemon"
	"github.com/syncd-dev/syncd/internal/dbtest"
)

func get(t testing.TB, u string) (int, string) {
	t.Helper()
	resp, err := http.Get(u)
	if err != nil {
		t.Fatalf("GET %s: %v", u, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// adminExec runs SQL on the test server's admin database (outside the daemon's database).
func adminExec(t testing.TB, query string) {
	t.Helper()
	db, err := sql.Open("pgx", dbtest.AdminURL())
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.ExecContext(context.Background(), query); err != nil {
		t.Fatalf("%s: %v", query, err)
	}
}

func TestHealthAndReadiness(t *testing.T) {
	cases := []struct {
		name string
		// breakDB damages the daemon's database (named db at dsn) after it started.
		breakDB    func(t *testing.T, dsn, db string)
		wantStatus int
		wantBody   string
	}{
		{"ready", nil, http.StatusOK, "ready"},
		{"schema behind the binary", func(t *testing.T, dsn, _ string) {
			s := dbtest.Open(t, dsn)
			if err := s.DB().Exec("DELETE FROM goose_db_version WHERE version_id = (SELECT MAX(version_id) FROM goose_db_version)").Error; err != nil {
				t.Fatal(err)
			}
		}, http.StatusServiceUnavailable, "this binary needs"},
		{"database unreachable", func(t *testing.T, _, db string) {
			adminExec(t, "ALTER DATABASE "+db+" ALLOW_CONNECTIONS false")
			adminExec(t, "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '"+db+"'")
		}, http.StatusServiceUnavailable, "database unreachable"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			dsn := dbtest.PostgresDSN(t)
			u, err := url.Parse(dsn)
			if err != nil {
				t.Fatal(err)
			}
			path := configPath(t)
			writeConfig(t, path, configData{DSN: dsn, BaseURL: "http://127.0.0.1:1/api", Listen: "127.0.0.1:0"})
			d := startDaemon(t, daemon.Options{ConfigPath: path, WatchInterval: -1})
			base := "http://" + d.Addr().String()
			if tc.breakDB != nil {
				tc.breakDB(t, dsn, strings.TrimPrefix(u.Path, "/"))
			}
			if code, body := get(t, base+"/healthz"); code != http.StatusOK {
				t.Errorf("/healthz: %d %s; the process is alive whatever the database", code, body)
			}
			code, body := get(t, base+"/readyz")
			if code != tc.wantStatus || !strings.Contains(body, tc.wantBody) {
				t.Errorf("/readyz: %d %q, want %d containing %q", code, body, tc.wantStatus, tc.wantBody)
			}
		})
	}
}

// TestWebhookRouteIsMounted: the daemon serves the RentEngine webhook receiver on its listen
// address (the receiver itself is tested in internal/webhook).
func TestWebhookRouteIsMounted(t *testing.T) {
	dsn := dbtest.PostgresDSN(t)
	path := configPath(t)
	writeConfig(t, path, configData{DSN: dsn, BaseURL: "http://127.0.0.1:1/api", Listen: "127.0.0.1:0"})
	d := startDaemon(t, daemon.Options{ConfigPath: path, WatchInterval: -1})
	resp, err := http.Post("http://"+d.Addr().String()+"/webhooks/rentengine/no-such-tenant", "application/json",
		strings.NewReader(`{"type":"INSERT","table":"units","record":{"id":1}}`))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusNotFound || !strings.Contains(string(body), "no RentEngine webhook") {
		t.Errorf("POST to an unknown tenant: %d %s", resp.StatusCode, body)
	}
}
