package sync_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os/exec"
	"runtime"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"go.uber.org/zap"
	"go.uber.org/zap/zaptest"
	"go.uber.org/zap/zaptest/observer"
	"gorm.io/gorm"

	"github.com/syncd-dev/syncd/internal/models"
	"github.com/syncd-dev/syncd/internal/procid"
	syncer "github.com/syncd-dev/syncd/internal/sync"
	"github.com/syncd-dev/syncd/internal/tenants"
	"github.com/syncd-dev/syncd/internal/testing/dbtest"
)

// failFinishes makes the next n writes of a run's outcome (FinishRun) fail, as a database that
// went down at the end of a run would, and returns how many were refused so far.
func failFinishes(t *testing.T, store *models.Store, n int64) *atomic.Int64 {
	t.Helper()
	var left, refused atomic.Int64
	left.Store(n)
	err := dbtest.DB(store).Callback().Update().Before("gorm:update").Register("test:fail_finish", func(db *gorm.DB) {
		if run, ok := db.Statement.Dest.(*models.SyncRun); ok && run.FinishedAt != nil && left.Add(-1) >= 0 {
			refused.Add(1)
			db.AddError(errors.New("simulated outage: connection refused"))
		}
	})
	must(t, err)
	return &refused
}

func storedRun(t *testing.T, store *models.Store, runID string) models.SyncRun {
	t.Helper()
	var r models.SyncRun
	must(t, dbtest.DB(store).Where("run_id = ?", runID).First(&r).Error)
	return r
}

func runStatuses(t *testing.T, store *models.Store, tenant string) string {
	t.Helper()
	var statuses []string
	must(t, dbtest.DB(store).Table("sync_runs").Where("tenant_id = ?", tenant).Order("id").Pluck("status", &statuses).Error)
	return fmt.Sprint(statuses)
}

// The database refuses a run's outcome three times: it is retried in the background and recorded
// as it was, while the process lives.
func TestOutcomeRetriedUntilRecorded(t *testing.T) {
	dbtest.Dialects(t, func(t *testing.T, store *models.Store) {
		b := newREBundle(t, store, "retried", 31)
		b.runner = syncer.NewRunner(syncer.Config{Store: store, Retry: fastRetry,
			OutcomeRetry: syncer.OutcomeRetry{Base: 5 * time.Millisecond, Cap: 20 * time.Millisecond}},
			zaptest.NewLogger(t, zaptest.Level(zap.WarnLevel)))
		refused := failFinishes(t, store, 3)

		run := b.sync(t)
		if refused.Load() == 0 {
			t.Fatal("no outcome write was refused: the test exercised nothing")
		}
		// Stop waits for pending outcomes until its context ends.
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		b.runner.Stop(ctx)
		if b.runner.Pending() != 0 {
			t.Fatalf("%d outcomes still pending", b.runner.Pending())
		}
		got := storedRun(t, store, run.RunID)
		if got.Status != models.RunSucceeded || got.FinishedAt == nil || got.Inserted != run.Inserted || refused.Load() != 3 {
			t.Errorf("stored run: status %s finished %v inserted %d (want %d); %d writes refused",
				got.Status, got.FinishedAt, got.Inserted, run.Inserted, refused.Load())
		}
	})
}

// The outcome is still pending when the job runs again: the new run records it before its own
// start, so the previous run is never relabelled abandoned (today's code marked it abandoned).
func TestNextRunRecordsPendingOutcome(t *testing.T) {
	dbtest.Dialects(t, func(t *testing.T, store *models.Store) {
		b := newREBundle(t, store, "pending", 32)
		// Background retries far in the future: only the next run can record it.
		b.runner = syncer.NewRunner(syncer.Config{Store: store, Retry: fastRetry,
			OutcomeRetry: syncer.OutcomeRetry{Base: time.Hour, Cap: time.Hour}}, zaptest.NewLogger(t, zaptest.Level(zap.WarnLevel)))
		t.Cleanup(func() {
			ctx, cancel := context.WithCancel(context.Background())
			cancel() // nothing may be left to wait for
			b.runner.Stop(ctx)
		})
		failFinishes(t, store, 1)

		first := b.sync(t)
		if got := storedRun(t, store, first.RunID); got.Status != models.RunRunning || b.runner.Pending() != 1 {
			t.Fatalf("after a refused outcome: stored status %s, %d pending; want running, 1", got.Status, b.runner.Pending())
		}
		b.sync(t)
		got := storedRun(t, store, first.RunID)
		if got.Status != models.RunSucceeded || got.FinishedAt == nil || got.Error != nil {
			t.Errorf("first run: status %s finished %v error %v; want its real outcome", got.Status, got.FinishedAt, got.Error)
		}
		if s := runStatuses(t, store, "pending"); s != "[succeeded succeeded]" {
			t.Errorf("statuses %s", s)
		}
	})
}

// A new run marks an older run still "running" abandoned only when that run's process is gone:
// here one of another live process on this machine is left alone, while those of a dead process,
// of another machine, and from before sync_runs.process existed are abandoned.
func TestAbandonsOnlyRunsOfGoneProcesses(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("process liveness needs /proc")
	}
	dbtest.Dialects(t, func(t *testing.T, store *models.Store) {
		b := newREBundle(t, store, "owners", 33)
		alive := exec.Command("sleep", "60")
		must(t, alive.Start())
		t.Cleanup(func() { _ = alive.Process.Kill(); _ = alive.Wait() })
		aliveID, err := procid.Of(alive.Process.Pid)
		must(t, err)
		dead := exec.Command("true")
		must(t, dead.Start())
		deadID, err := procid.Of(dead.Process.Pid)
		must(t, err)
		must(t, dead.Wait())
		elsewhere := procid.Self()
		elsewhere.Host += "-other-machine"

		owners := map[string]string{"alive": aliveID.String(), "dead": deadID.String(), "elsewhere": elsewhere.String(), "legacy": ""}
		for name, process := range owners {
			must(t, dbtest.DB(store).Create(&models.SyncRun{RunID: name, TenantID: "owners", Job: string(tenants.JobRentEngine),
				StartedAt: time.Now().UTC(), Status: models.RunRunning, Process: process}).Error)
		}
		b.sync(t)
		want := map[string]string{"alive": models.RunRunning, "dead": models.RunAbandoned,
			"elsewhere": models.RunAbandoned, "legacy": models.RunAbandoned}
		for name, status := range want {
			got := storedRun(t, store, name)
			if got.Status != status {
				t.Errorf("run of the %s process: status %s, want %s", name, got.Status, status)
			}
			if status == models.RunAbandoned && (got.Error == nil || *got.Error != models.AbandonedMessage) {
				t.Errorf("run of the %s process: error %v", name, got.Error)
			}
		}
	})
}

// An upstream error text with a NUL byte: the run's outcome is still recorded (Postgres text
// rejects NUL, which used to lose the outcome and leave the run "running"). The upstream layer
// already replaces NULs in its excerpts and FinishRun does it again for any other source
// (models.TestFinishRunStoresAnyErrorText); here the whole path is checked.
func TestNULInErrorIsRecorded(t *testing.T) {
	dbtest.Dialects(t, func(t *testing.T, store *models.Store) {
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusBadRequest)
			fmt.Fprint(w, `{"message":"bad\u0000request from \u0000 upstream"}`)
		}))
		defer srv.Close()
		b := newREBundle(t, store, "nul", 34)
		run, err := b.runner.Run(context.Background(), reTenant("nul", srv.URL, "tok"), tenants.JobRentEngine)
		if err == nil || !strings.Contains(err.Error(), "400 Bad Request") {
			t.Fatalf("err = %q, want the upstream's 400", err)
		}
		got := storedRun(t, store, run.RunID)
		if got.Status != models.RunFailed || got.FinishedAt == nil || got.Error == nil {
			t.Fatalf("stored run: status %s finished %v error %v; want failed with the error", got.Status, got.FinishedAt, got.Error)
		}
		if !strings.Contains(*got.Error, "bad\uFFFDrequest from \uFFFD upstream") {
			t.Errorf("stored error %q, want the NULs replaced by U+FFFD", *got.Error)
		}
		if b.runner.Pending() != 0 {
			t.Errorf("%d outcomes pending", b.runner.Pending())
		}
	})
}

// The database never comes back before shutdown: Stop waits until its deadline, then the outcome
// is logged in full at error (the one place it survives) and nothing is left retrying.
func TestStopLogsLostOutcome(t *testing.T) {
	dbtest.Dialects(t, func(t *testing.T, store *models.Store) {
		core, logs := observer.New(zap.WarnLevel)
		b := newREBundle(t, store, "lost", 35)
		b.runner = syncer.NewRunner(syncer.Config{Store: store, Retry: fastRetry,
			OutcomeRetry: syncer.OutcomeRetry{Base: 5 * time.Millisecond, Cap: 10 * time.Millisecond}}, zap.New(core))
		failFinishes(t, store, 1<<30)
		run := b.sync(t)

		ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
		defer cancel()
		b.runner.Stop(ctx)
		if n := b.runner.Pending(); n != 0 {
			t.Errorf("%d outcomes still pending after Stop", n)
		}
		lost := logs.FilterMessageSnippet("run outcome lost").All()
		if len(lost) != 1 || lost[0].Level != zap.ErrorLevel {
			t.Fatalf("lost-outcome log lines: %v", lost)
		}
		f := lost[0].ContextMap()
		if f["tenant"] != "lost" || f["run_id"] != run.RunID || f["status"] != models.RunSucceeded || f["inserted"] != run.Inserted {
			t.Errorf("lost-outcome log fields %v", f)
		}
	})
}
