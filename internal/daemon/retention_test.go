package daemon_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"go.uber.org/zap"
	"go.uber.org/zap/zaptest/observer"

	"github.com/syncd-dev/syncd/internal/daemon"
	"github.com/syncd-dev/syncd/internal/models"
	"github.com/syncd-dev/syncd/internal/retention"
	"github.com/syncd-dev/syncd/internal/testing/dbtest"
)

// The daemon runs the history retention job on its own: changes older than history.keep (the
// default 400 days here) are deleted, newer ones stay, and the run shows in the log and in
// /metrics.
func TestHistoryRetentionRuns(t *testing.T) {
	for _, tc := range []struct {
		dialect string
		dsn     func(testing.TB) string
	}{{models.Postgres, dbtest.PostgresDSN}, {models.SQLite, dbtest.SQLiteDSN}} {
		t.Run(tc.dialect, func(t *testing.T) {
			t.Parallel()
			dsn := tc.dsn(t)
			store := dbtest.Open(t, dsn)
			ctx := context.Background()
			now := time.Now().UTC()
			for i, at := range []time.Time{now.AddDate(-2, 0, 0), now.AddDate(0, 0, -401), now.AddDate(0, 0, -399), now} {
				raw := fmt.Sprintf(`{"id":1,"v":%d}`, i)
				row := models.RentEngineUnit{ID: 1, System: models.System{Raw: models.JSON(raw), ContentHash: models.HashRaw([]byte(raw))}}
				if _, err := models.UpsertPage[int64](ctx, store, "acme", models.Origin{RunID: "r"}, []models.RentEngineUnit{row}, at); err != nil {
					t.Fatal(err)
				}
			}
			path := configPath(t)
			writeConfig(t, path, configData{DSN: dsn, BaseURL: "http://127.0.0.1:1", Listen: "127.0.0.1:0"})
			core, logs := observer.New(zap.InfoLevel)
			d := startDaemon(t, daemon.Options{ConfigPath: path, WatchInterval: -1, Log: zap.New(core),
				Test: daemon.TestConfig{Retention: daemon.RetentionTiming{FirstDelay: 10 * time.Millisecond, Every: time.Hour, Batch: 1}}})

			waitFor(t, 10*time.Second, "a retention run", func() bool {
				n, _ := value(scrape(t, d.Addr().String()), "syncd_history_retention_runs_total", map[string]string{"outcome": retention.Succeeded})
				return n == 1
			})
			fams := scrape(t, d.Addr().String())
			if n, _ := value(fams, "syncd_history_pruned_rows_total", nil); n != 2 {
				t.Errorf("syncd_history_pruned_rows_total = %v, want 2", n)
			}
			if n, ok := value(fams, "syncd_history_retention_last_success_timestamp_seconds", nil); !ok || n < float64(now.Unix()) {
				t.Errorf("last success = %v", n)
			}
			if n := dbtest.CountRows(t, store, "record_changes", "acme"); n != 2 {
				t.Errorf("%d changes left, want the 2 within 400 days", n)
			}
			lines := logs.FilterMessage("history retention pruned record_changes").All()
			if len(lines) != 1 || lines[0].ContextMap()["rows"] != int64(2) || lines[0].ContextMap()["batches"] != int64(3) {
				t.Errorf("retention log lines: %v", lines)
			}
		})
	}
}
