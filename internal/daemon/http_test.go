package daemon_test

import (
	"bufio"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"strings"
	"testing"
	"time"

	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
	"go.uber.org/zap/zaptest/observer"

	"github.com/syncd-dev/syncd/internal/daemon"
	"github.com/syncd-dev/syncd/internal/testing/dbtest"
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

// TestHealthAndReadiness: /readyz answers 503 with a short, fixed reason that names nothing of
// the database (anyone who reaches the port reads it), and logs the detail.
func TestHealthAndReadiness(t *testing.T) {
	cases := []struct {
		name string
		// breakDB damages the daemon's database (named db at dsn) after it started.
		breakDB    func(t *testing.T, dsn, db string)
		wantStatus int
		wantBody   string
		wantDetail string // in the log ("" with ready; "?" for any detail)
	}{
		{"ready", nil, http.StatusOK, "ready\n", ""},
		{"schema behind the binary", func(t *testing.T, dsn, _ string) {
			s := dbtest.Open(t, dsn)
			if err := dbtest.DB(s).Exec("DELETE FROM goose_db_version WHERE version_id = (SELECT MAX(version_id) FROM goose_db_version)").Error; err != nil {
				t.Fatal(err)
			}
		}, http.StatusServiceUnavailable, "not ready: schema not current\n", "this binary needs"},
		{"database unreachable", func(t *testing.T, _, db string) {
			adminExec(t, "ALTER DATABASE "+db+" ALLOW_CONNECTIONS false")
			adminExec(t, "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '"+db+"'")
		}, http.StatusServiceUnavailable, "not ready: database unreachable\n", "?"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			dsn := dbtest.PostgresDSN(t)
			u, err := url.Parse(dsn)
			if err != nil {
				t.Fatal(err)
			}
			db := strings.TrimPrefix(u.Path, "/")
			path := configPath(t)
			writeConfig(t, path, configData{DSN: dsn, BaseURL: "http://127.0.0.1:1/api", Listen: "127.0.0.1:0"})
			core, logs := observer.New(zapcore.InfoLevel)
			d := startDaemon(t, daemon.Options{ConfigPath: path, WatchInterval: -1, Log: zap.New(core)})
			base := "http://" + d.Addr().String()
			if tc.breakDB != nil {
				tc.breakDB(t, dsn, db)
			}
			if code, body := get(t, base+"/healthz"); code != http.StatusOK {
				t.Errorf("/healthz: %d %s; the process is alive whatever the database", code, body)
			}
			// Twice: once the pool's connections are gone, the driver's error is a failed
			// connect, which names the user, host and database.
			var body string
			for range 2 {
				var code int
				code, body = get(t, base+"/readyz")
				if code != tc.wantStatus || body != tc.wantBody {
					t.Errorf("/readyz: %d %q, want %d %q", code, body, tc.wantStatus, tc.wantBody)
				}
				for _, secret := range []string{db, u.User.Username(), u.Hostname(), u.Port()} {
					if strings.Contains(body, secret) {
						t.Errorf("/readyz tells anyone %q: %q", secret, body)
					}
				}
			}
			if tc.wantDetail == "" {
				return
			}
			found := false
			for _, e := range logs.FilterMessage("not ready").All() {
				f := e.ContextMap()
				detail, _ := f["error"].(string)
				found = found || detail != "" && (tc.wantDetail == "?" || strings.Contains(detail, tc.wantDetail)) &&
					"not ready: "+fmt.Sprint(f["reason"])+"\n" == body
			}
			if !found {
				t.Errorf("the detail (%q) is not in the log: %v", tc.wantDetail, logs.FilterMessage("not ready").All())
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
	// Unknown tenants get the wrong key's answer (internal/webhook tests that they are alike).
	if resp.StatusCode != http.StatusUnauthorized || !strings.Contains(string(body), "missing or wrong API key") {
		t.Errorf("POST to an unknown tenant: %d %s", resp.StatusCode, body)
	}
}

// TestHTTPServerCutsSlowAndIdleConnections: a client cannot hold a connection of the daemon's
// HTTP server open indefinitely, idle or dripping a request. The limits are shortened for the
// test; each connection must be closed by the server well before a generous bound (which the
// old server, without these timeouts, reached every time).
func TestHTTPServerCutsSlowAndIdleConnections(t *testing.T) {
	const bound = 10 * time.Second
	path := configPath(t)
	writeConfig(t, path, configData{DSN: dbtest.SQLiteDSN(t), BaseURL: "http://127.0.0.1:1/api", Listen: "127.0.0.1:0",
		Tenants: []testTenant{{ID: "acme", Schedule: "0 0 1 1 *", WebhookKeyEnv: "WH_KEY"}}})
	d := startDaemon(t, daemon.Options{ConfigPath: path, WatchInterval: -1, HTTP: daemon.HTTPTimeouts{
		ReadHeader: 200 * time.Millisecond, Read: 400 * time.Millisecond, Write: 2 * time.Second, Idle: 300 * time.Millisecond}})
	addr := d.Addr().String()

	// drip writes s a byte at a time until the server closes the connection or stop is closed.
	drip := func(conn net.Conn, s string, stop <-chan struct{}) {
		for i := 0; i < len(s); i++ {
			select {
			case <-stop:
				return
			case <-time.After(20 * time.Millisecond):
			}
			if _, err := conn.Write([]byte{s[i]}); err != nil {
				return
			}
		}
	}
	webhookHead := "POST /webhooks/rentengine/acme HTTP/1.1\r\nHost: syncd\r\nX-API-Key: " + webhookKey +
		"\r\nContent-Type: application/json\r\nContent-Length: 100000\r\n\r\n"
	cases := []struct {
		name string
		// talk sends on conn, returning when the server should be about to close it.
		talk func(t *testing.T, conn net.Conn, r *bufio.Reader, stop <-chan struct{})
	}{
		{"idle keep-alive connection", func(t *testing.T, conn net.Conn, r *bufio.Reader, _ <-chan struct{}) {
			if _, err := io.WriteString(conn, "GET /healthz HTTP/1.1\r\nHost: syncd\r\n\r\n"); err != nil {
				t.Fatal(err)
			}
			resp, err := http.ReadResponse(r, nil)
			if err != nil {
				t.Fatal(err)
			}
			_, _ = io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if resp.StatusCode != http.StatusOK || resp.Close {
				t.Fatalf("/healthz: %d, close %v; want 200 on a kept-alive connection", resp.StatusCode, resp.Close)
			}
		}},
		{"headers sent a byte at a time", func(t *testing.T, conn net.Conn, _ *bufio.Reader, stop <-chan struct{}) {
			go drip(conn, webhookHead+strings.Repeat(" ", 100000), stop)
		}},
		{"body sent a byte at a time", func(t *testing.T, conn net.Conn, _ *bufio.Reader, stop <-chan struct{}) {
			if _, err := io.WriteString(conn, webhookHead+`{"type":"INSERT","table":"units","record":{"id":1,"notes":"`); err != nil {
				t.Fatal(err)
			}
			go drip(conn, strings.Repeat("x", 100000), stop)
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			conn, err := net.Dial("tcp", addr)
			if err != nil {
				t.Fatal(err)
			}
			defer conn.Close()
			stop := make(chan struct{})
			defer close(stop)
			r := bufio.NewReader(conn)
			tc.talk(t, conn, r, stop)
			start := time.Now()
			if err := conn.SetReadDeadline(start.Add(bound)); err != nil {
				t.Fatal(err)
			}
			// Whatever the server answers before closing (a 400 for the cut body) is read and
			// dropped; what matters is that the connection ends.
			_, err = io.Copy(io.Discard, r)
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() {
				t.Fatalf("the connection was still open after %s", bound)
			}
			t.Logf("closed by the server after %s (%v)", time.Since(start).Round(time.Millisecond), err)
		})
	}
}

// TestStatusPageRoutes: the daemon serves the status page on its listen address, behind
// status_page.auth when set, while probes and the scrape endpoint stay open (the pages themselves
// are tested in internal/statuspage).
func TestStatusPageRoutes(t *testing.T) {
	dsn := dbtest.SQLiteDSN(t)
	path := configPath(t)
	writeConfig(t, path, configData{DSN: dsn, BaseURL: "http://127.0.0.1:1/api", Listen: "127.0.0.1:0",
		Tenants: []testTenant{{ID: "acme", Schedule: "@every 1h"}}})
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	// WH_KEY doubles as the page's bearer token.
	if err := os.WriteFile(path, append([]byte("status_page: {auth: {bearer_token_env: WH_KEY}}\n"), data...), 0o600); err != nil {
		t.Fatal(err)
	}
	d := startDaemon(t, daemon.Options{ConfigPath: path, WatchInterval: -1})
	base := "http://" + d.Addr().String()
	for _, tc := range []struct {
		path, token string
		want        int
		wantBody    string
	}{
		{"/", "", http.StatusUnauthorized, "unauthorized"},
		{"/tenants/acme", "wrong", http.StatusUnauthorized, "unauthorized"},
		{"/", webhookKey, http.StatusOK, "Tenants and jobs"},
		{"/tenants/acme", webhookKey, http.StatusOK, "Tenant acme"},
		{"/tenants/nobody", webhookKey, http.StatusNotFound, "No tenant"},
		{"/healthz", "", http.StatusOK, "ok"},
		{"/readyz", "", http.StatusOK, "ready"},
		{"/metrics", "", http.StatusOK, "syncd_tenants"},
	} {
		req, _ := http.NewRequest(http.MethodGet, base+tc.path, nil)
		if tc.token != "" {
			req.Header.Set("Authorization", "Bearer "+tc.token)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != tc.want || !strings.Contains(string(body), tc.wantBody) {
			t.Errorf("GET %s (token %q): %d, want %d with %q", tc.path, tc.token, resp.StatusCode, tc.want, tc.wantBody)
		}
		if strings.Contains(string(body), webhookKey) {
			t.Errorf("GET %s shows the token", tc.path)
		}
	}
}
