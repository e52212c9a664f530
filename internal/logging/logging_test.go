package logging_test

import (
	"bufio"
	"bytes"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"go.uber.org/zap"

	"github.com/syncd-dev/syncd/internal/logging"
)

func lines(b *bytes.Buffer) []string {
	var out []string
	sc := bufio.NewScanner(b)
	for sc.Scan() {
		out = append(out, sc.Text())
	}
	return out
}

func TestFormatsAndLevels(t *testing.T) {
	cases := []struct {
		name      string
		cfg       logging.Config
		wantLines int
		check     func(t *testing.T, line string)
		wantErr   string
	}{
		{name: "json by default", cfg: logging.Config{}, wantLines: 2, check: func(t *testing.T, line string) {
			var m map[string]any
			if err := json.Unmarshal([]byte(line), &m); err != nil {
				t.Fatalf("not JSON: %q", line)
			}
			for _, k := range []string{"ts", "level", "msg", "logger", "tenant", "job", "run_id"} {
				if _, ok := m[k]; !ok {
					t.Errorf("key %s missing from %q", k, line)
				}
			}
			if _, err := time.Parse("2006-01-02T15:04:05.000Z0700", m["ts"].(string)); err != nil {
				t.Errorf("ts %v is not ISO 8601: %v", m["ts"], err)
			}
		}},
		{name: "console for people", cfg: logging.Config{Format: "console"}, wantLines: 2, check: func(t *testing.T, line string) {
			if json.Valid([]byte(line)) || !strings.Contains(line, "\tsync\t") || !strings.Contains(line, `"run_id": "r1"`) {
				t.Errorf("not a console line: %q", line)
			}
		}},
		{name: "debug level shows debug lines", cfg: logging.Config{Level: "debug"}, wantLines: 3},
		{name: "warn level hides info", cfg: logging.Config{Level: "warn"}, wantLines: 1},
		{name: "unknown format", cfg: logging.Config{Format: "xml"}, wantErr: `log format "xml"`},
		{name: "unknown level", cfg: logging.Config{Level: "loud"}, wantErr: `log level "loud"`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var buf bytes.Buffer
			tc.cfg.Output = &buf
			log, err := logging.New(tc.cfg)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("err %v, want %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			run := log.Named("sync").With(zap.String("tenant", "acme"), zap.String("job", "rentengine"), zap.String("run_id", "r1"))
			run.Debug("retrying upstream call")
			run.Info("run started")
			run.Warn("bad upstream record")
			got := lines(&buf)
			if len(got) != tc.wantLines {
				t.Fatalf("%d lines, want %d:\n%s", len(got), tc.wantLines, strings.Join(got, "\n"))
			}
			if tc.check != nil {
				for _, l := range got {
					tc.check(t, l)
				}
			}
		})
	}
}

// zap's production config samples: after 100 identical messages in a second it keeps one in
// 100, across all callers, so a noisy tenant would hide a quiet one's lines. Ours keeps all.
func TestNoSampling(t *testing.T) {
	var buf bytes.Buffer
	log, err := logging.New(logging.Config{Output: &buf})
	if err != nil {
		t.Fatal(err)
	}
	const n = 2000
	for i := range n {
		log.Info("run succeeded", zap.String("tenant", "noisy"), zap.Int("i", i))
	}
	log.Info("run succeeded", zap.String("tenant", "quiet"))
	got := lines(&buf)
	if len(got) != n+1 || !strings.Contains(got[n], `"tenant":"quiet"`) {
		t.Fatalf("%d lines written of %d, last %q", len(got), n+1, got[len(got)-1])
	}
}
