package daemon_test

import (
	"maps"
	"reflect"
	"slices"
	"testing"
	"time"

	"go.uber.org/zap"
	"go.uber.org/zap/zaptest/observer"

	"github.com/syncd-dev/syncd/internal/daemon"
	"github.com/syncd-dev/syncd/internal/models"
	"github.com/syncd-dev/syncd/internal/testing/dbtest"
)

// runsSince returns the runs of tenant that started at or after since.
func runsSince(t testing.TB, s *models.Store, tenant string, since time.Time) []models.SyncRun {
	t.Helper()
	var out []models.SyncRun
	for _, r := range runs(t, s, tenant) {
		if !r.StartedAt.Before(since) {
			out = append(out, r)
		}
	}
	return out
}

func succeeded(rs []models.SyncRun) bool {
	return slices.ContainsFunc(rs, func(r models.SyncRun) bool { return r.Status == models.RunSucceeded })
}

// Editing the config file of a running daemon adds, changes and removes tenants, and changed
// credentials apply to the next run, all without a restart; an invalid file is rejected with
// every problem logged and the old config keeps running.
func TestReloadOnFileChange(t *testing.T) {
	t.Parallel()
	up := newUpstream(t, 0)
	dsn := dbtest.SQLiteDSN(t)
	path := configPath(t)
	v1 := configData{DSN: dsn, BaseURL: up.baseURL, Tenants: []testTenant{
		{ID: "a", Schedule: "@every 1s", TokenEnv: "RE_BAD_TOKEN"}, // fails until its token is fixed
		{ID: "b", Schedule: "@every 1h"},
		{ID: "c", Schedule: "@every 1s"},
	}}
	writeConfig(t, path, v1)
	core, logs := observer.New(zap.InfoLevel)
	d := startDaemon(t, daemon.Options{ConfigPath: path, WatchInterval: 50 * time.Millisecond, Log: zap.New(core)})
	store := dbtest.Open(t, dsn)

	want1 := map[string]string{"a/rentengine": "@every 1s", "b/rentengine": "@every 1h", "c/rentengine": "@every 1s"}
	if got := d.Scheduler().Scheduled(); !reflect.DeepEqual(got, want1) {
		t.Fatalf("scheduled %v, want %v", got, want1)
	}
	waitFor(t, 10*time.Second, "a failed run of a and a succeeded run of c", func() bool {
		ra := runs(t, store, "a")
		return len(ra) > 0 && ra[0].Status == models.RunFailed && succeeded(runs(t, store, "c"))
	})

	// v2: a gets the right token (same schedule), b runs every second, c goes, d comes.
	v2 := v1
	v2.Tenants = []testTenant{
		{ID: "a", Schedule: "@every 1s"},
		{ID: "b", Schedule: "@every 1s"},
		{ID: "d", Schedule: "@every 1s"},
	}
	writeConfig(t, path, v2)
	want2 := map[string]string{"a/rentengine": "@every 1s", "b/rentengine": "@every 1s", "d/rentengine": "@every 1s"}
	waitFor(t, 5*time.Second, "the new schedule set", func() bool {
		return maps.Equal(d.Scheduler().Scheduled(), want2)
	})
	applied := time.Now().UTC()
	waitFor(t, 10*time.Second, "succeeded runs of a, b and d after the reload", func() bool {
		return succeeded(runsSince(t, store, "a", applied)) && succeeded(runsSince(t, store, "b", applied)) &&
			succeeded(runsSince(t, store, "d", applied))
	})
	// A run of c already under way when the reload landed may finish; none may start later.
	if late := runsSince(t, store, "c", applied.Add(200*time.Millisecond)); len(late) > 0 {
		t.Errorf("removed tenant c still ran after the reload: %+v", late)
	}
	// a kept its schedule entry (only its tenant config was swapped); b was re-added.
	changed := logs.FilterMessage("schedule changed").All()
	if len(changed) != 1 || changed[0].ContextMap()["tenant"] != "b" {
		t.Errorf("schedule changes logged: %v", messages(changed))
	}
	if n := logs.FilterMessage("unscheduled").FilterField(zap.String("tenant", "c")).Len(); n != 1 {
		t.Errorf("%d unscheduled lines for c, want 1", n)
	}

	// An invalid file: every problem logged, the old config stays and keeps running.
	v3 := v2
	v3.Broken = true
	writeConfig(t, path, v3)
	waitFor(t, 5*time.Second, "the reload to be rejected", func() bool {
		return logs.FilterMessage("config reload rejected; keeping the running config").Len() == 1
	})
	rejected := time.Now().UTC()
	problems := logs.FilterMessage("config reload rejected: problem").All()
	fields := map[string]bool{}
	for _, p := range problems {
		if p.ContextMap()["tenant"] == "broken" {
			fields[p.ContextMap()["field"].(string)] = true
		}
	}
	if !fields["colour"] || !fields["schedules.rentengine"] || len(problems) != 2 {
		t.Errorf("problems logged: %+v; want the unknown key colour and the bad schedule of tenant broken", problems)
	}
	if got := d.Scheduler().Scheduled(); !maps.Equal(got, want2) {
		t.Errorf("scheduled after a rejected reload: %v, want %v", got, want2)
	}
	waitFor(t, 10*time.Second, "runs of d after the rejected reload", func() bool {
		return succeeded(runsSince(t, store, "d", rejected))
	})
	// The rejected file is not retried on every poll, only when it changes again.
	time.Sleep(200 * time.Millisecond)
	if n := logs.FilterMessage("config reload rejected; keeping the running config").Len(); n != 1 {
		t.Errorf("rejection logged %d times, want once", n)
	}
}

// SIGHUP (Options.Reload) reloads even when file watching is off.
func TestReloadOnSignal(t *testing.T) {
	t.Parallel()
	up := newUpstream(t, 0)
	path := configPath(t)
	cfg := configData{DSN: dbtest.SQLiteDSN(t), BaseURL: up.baseURL, Tenants: []testTenant{{ID: "a", Schedule: "@every 1h"}}}
	writeConfig(t, path, cfg)
	hup := make(chan struct{}, 1)
	d := startDaemon(t, daemon.Options{ConfigPath: path, WatchInterval: -1, Reload: hup})

	cfg.Tenants[0].Schedule = "@every 2h"
	writeConfig(t, path, cfg)
	if got := d.Scheduler().Scheduled()["a/rentengine"]; got != "@every 1h" {
		t.Fatalf("schedule changed without a signal: %s", got)
	}
	hup <- struct{}{}
	waitFor(t, 5*time.Second, "the signal's reload", func() bool {
		return d.Scheduler().Scheduled()["a/rentengine"] == "@every 2h"
	})
}
