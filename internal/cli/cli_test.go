package cli_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
)

// Logs are JSON unless --log-format (or log.format) asks for the console format.
func TestRunLogFormat(t *testing.T) {
	// A database that cannot be opened makes `run` log one error line and exit.
	dsn := "sqlite:" + filepath.Join(t.TempDir(), "no", "such", "dir", "syncd.db")
	config := writeFile(t, "config.yaml", fmt.Sprintf("database:\n  url: %s\nlisten: \"\"\ntenants: []\n", dsn))
	cases := []struct {
		name     string
		args     []string
		wantJSON bool
	}{
		{"json by default", nil, true},
		{"console by flag", []string{"--log-format", "console"}, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			code, _, errOut := runCLI(t, append([]string{"run", "--config", config}, tc.args...)...)
			if code != 1 {
				t.Fatalf("exit %d, want 1; stderr:\n%s", code, errOut)
			}
			last := strings.TrimSpace(errOut)
			if i := strings.LastIndex(last, "\n"); i >= 0 {
				last = last[i+1:]
			}
			if json.Valid([]byte(last)) != tc.wantJSON || !strings.Contains(last, "syncd stopped with an error") {
				t.Errorf("last log line %q; want JSON %v", last, tc.wantJSON)
			}
		})
	}
}

func TestHealthcheck(t *testing.T) {
	cases := []struct {
		name   string
		status int // 0: nothing listens
		want   int
	}{
		{"healthy", http.StatusOK, 0},
		{"unhealthy", http.StatusServiceUnavailable, 1},
		{"not running", 0, 1},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if r.URL.Path != "/healthz" {
					http.NotFound(w, r)
					return
				}
				w.WriteHeader(tc.status)
			}))
			u := srv.URL + "/healthz"
			if tc.status == 0 {
				srv.Close()
			} else {
				defer srv.Close()
			}
			// The container image sets SYNCD_HEALTH_URL.
			if code, _, errOut := runCLIEnv(t, map[string]string{"SYNCD_HEALTH_URL": u}, "healthcheck"); code != tc.want {
				t.Errorf("exit %d, want %d (%s)", code, tc.want, errOut)
			}
		})
	}
}
