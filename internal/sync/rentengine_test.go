package sync_test

import (
	"context"
	"fmt"
	"net/http"
	"reflect"
	"strings"
	"testing"
	"time"

	"go.uber.org/zap"
	"go.uber.org/zap/zaptest"

	"github.com/syncd-dev/syncd/internal/clients/upstream"
	"github.com/syncd-dev/syncd/internal/models"
	syncer "github.com/syncd-dev/syncd/internal/sync"
	"github.com/syncd-dev/syncd/internal/tenants"
	"github.com/syncd-dev/syncd/internal/testing/dbtest"
	"github.com/syncd-dev/syncd/internal/testing/fakeapi"
	"github.com/syncd-dev/syncd/internal/testing/mirrortest"
	"github.com/syncd-dev/syncd/internal/testing/rentenginefake"
)

// fastRetry keeps retry tests quick while still exercising the retry path.
var fastRetry = upstream.RetryPolicy{Base: time.Millisecond, Cap: 5 * time.Millisecond, MaxElapsed: 2 * time.Second, MaxAttempts: 3}

type reBundle struct {
	store  *models.Store
	fake   *rentenginefake.Server
	tenant *tenants.Tenant
	runner *syncer.Runner
}

func newREBundle(t *testing.T, store *models.Store, tenantID string, seed int64) *reBundle {
	t.Helper()
	fake := rentenginefake.New(rentenginefake.Options{Token: "tok-" + tenantID})
	t.Cleanup(fake.Close)
	rentenginefake.Seed(fake, rentenginefake.SeedOptions{Seed: seed, Units: 130, Prospects: 240, EventsPerProspect: 2})
	return &reBundle{
		store: store, fake: fake,
		tenant: reTenant(tenantID, fake.BaseURL(), "tok-"+tenantID),
		runner: syncer.NewRunner(syncer.Config{Store: store, Retry: fastRetry}, zaptest.NewLogger(t, zaptest.Level(zap.WarnLevel))),
	}
}

func reTenant(id, baseURL, token string) *tenants.Tenant {
	return &tenants.Tenant{
		ID:         id,
		RunTimeout: time.Minute,
		RentEngine: &tenants.RentEngine{BaseURL: baseURL, Token: tenants.NewSecret(token)},
	}
}

func (b *reBundle) sync(t *testing.T) *models.SyncRun {
	t.Helper()
	run, err := b.runner.Run(context.Background(), b.tenant, tenants.JobRentEngine)
	if err != nil {
		t.Fatalf("sync: %v", err)
	}
	return run
}

func TestRentEngineSyncEndToEnd(t *testing.T) {
	dbtest.Dialects(t, func(t *testing.T, store *models.Store) {
		b := newREBundle(t, store, "acme", 1)
		total := int64(0)
		for _, res := range rentenginefake.Resources() {
			total += int64(b.fake.Count(res))
		}

		run := b.sync(t)
		assertMirrorEqualsFake(t, store, "acme", b.fake)
		assertCounts(t, run, counts{inserted: total, fetched: total})
		if run.Status != models.RunSucceeded || run.FinishedAt == nil {
			t.Fatalf("run status %q finished %v", run.Status, run.FinishedAt)
		}

		// Upstream changes: 5 inserts, 3 updates, 2 deletes, spread over the three resources.
		units := b.fake.IDs(rentenginefake.Units)
		prospects := b.fake.IDs(rentenginefake.Prospects)
		events := b.fake.IDs(rentenginefake.LeasingEvents)
		b.fake.Insert(rentenginefake.Units, map[string]any{"status": "Available", "bedrooms": "2", "target_rental_rate": "1725", "address": 99})
		b.fake.Insert(rentenginefake.Units, map[string]any{"status": "On Hold", "bedrooms": 3, "address": map[string]any{"city": "Austin", "state": "TX"}})
		b.fake.Insert(rentenginefake.Prospects, map[string]any{"name": "New Person", "email": " New.Person@Example.COM ", "phone": "(555) 010-2030", "status": "New"})
		b.fake.Insert(rentenginefake.Prospects, map[string]any{"name": "Other Person", "phone": "+15550102031", "unit_of_interest": fmt.Sprint(units[0])})
		b.fake.Insert(rentenginefake.LeasingEvents, map[string]any{"event_type": "Contacted, Awaiting Information", "prospect": prospects[0], "context": map[string]any{}})
		must(t, b.fake.Update(rentenginefake.Units, units[3], map[string]any{"status": "Leased", "target_rental_rate": "2100"}))
		must(t, b.fake.Update(rentenginefake.Prospects, prospects[5], map[string]any{"email": "changed@example.com"}))
		must(t, b.fake.Update(rentenginefake.LeasingEvents, events[7], map[string]any{"notes": "edited upstream"}))
		must(t, b.fake.Delete(rentenginefake.Units, units[10]))
		must(t, b.fake.Delete(rentenginefake.Prospects, prospects[20]))

		run = b.sync(t)
		assertMirrorEqualsFake(t, store, "acme", b.fake)
		assertCounts(t, run, counts{inserted: 5, updated: 3, deleted: 2, fetched: -1})
		assertTombstoned(t, store, "rentengine_units", "acme", units[10])
		assertTombstoned(t, store, "rentengine_prospects", "acme", prospects[20])

		// No upstream change: nothing is rewritten.
		before := rowVersions(t, store, "acme")
		run = b.sync(t)
		assertCounts(t, run, counts{fetched: -1})
		if run.Unchanged != total+5-2 {
			t.Errorf("unchanged = %d, want %d", run.Unchanged, total+3)
		}
		after := rowVersions(t, store, "acme")
		if !reflect.DeepEqual(before, after) {
			t.Errorf("an unchanged re-sync rewrote rows (%d row versions differ)", diffCount(before, after))
		}

		// A deleted record that comes back is un-tombstoned.
		b.fake.Insert(rentenginefake.Units, map[string]any{"id": units[10], "status": "Available"})
		run = b.sync(t)
		assertCounts(t, run, counts{updated: 1, fetched: -1})
		assertMirrorEqualsFake(t, store, "acme", b.fake)
	})
}

func TestRentEngineFailedPassTombstonesNothing(t *testing.T) {
	dbtest.Dialects(t, func(t *testing.T, store *models.Store) {
		cases := []struct {
			name  string
			fault func(b *reBundle) (context.Context, context.CancelFunc)
		}{
			{"500s on page 3 beyond the retries", func(b *reBundle) (context.Context, context.CancelFunc) {
				b.fake.Faults().Script(func(r *http.Request) bool {
					return strings.HasSuffix(r.URL.Path, "/prospects") && r.URL.Query().Get("page_number") == "2"
				}, fakeapi.FaultServerError, -1)
				return context.WithCancel(context.Background())
			}},
			{"cancelled context", func(b *reBundle) (context.Context, context.CancelFunc) {
				ctx, cancel := context.WithCancel(context.Background())
				b.fake.Faults().Script(func(r *http.Request) bool {
					if strings.HasSuffix(r.URL.Path, "/prospects") && r.URL.Query().Get("page_number") == "1" {
						cancel()
					}
					return false
				}, fakeapi.FaultServerError, -1)
				return ctx, cancel
			}},
		}
		for i, tc := range cases {
			t.Run(tc.name, func(t *testing.T) {
				tenant := fmt.Sprintf("t%d", i)
				b := newREBundle(t, store, tenant, 2)
				b.sync(t)
				prospects := b.fake.IDs(rentenginefake.Prospects)
				must(t, b.fake.Delete(rentenginefake.Prospects, prospects[1]))

				ctx, cancel := tc.fault(b)
				defer cancel()
				run, err := b.runner.Run(ctx, b.tenant, tenants.JobRentEngine)
				if err == nil {
					t.Fatal("run succeeded, want failure")
				}
				if run == nil || run.Status != models.RunFailed || run.Error == nil || *run.Error == "" {
					t.Fatalf("run not recorded as failed: %+v", run)
				}
				var stored models.SyncRun
				must(t, dbtest.DB(store).Where("run_id = ?", run.RunID).First(&stored).Error)
				if stored.Status != models.RunFailed || stored.FinishedAt == nil {
					t.Errorf("sync_runs row: status %q finished %v", stored.Status, stored.FinishedAt)
				}
				if run.Deleted != 0 {
					t.Errorf("failed run deleted %d rows", run.Deleted)
				}
				var n int64
				must(t, dbtest.DB(store).Table("rentengine_prospects").Where("tenant_id = ? AND deleted_at IS NOT NULL", tenant).Count(&n).Error)
				if n != 0 {
					t.Errorf("%d prospects tombstoned by a failed pass", n)
				}
			})
		}
	})
}

func TestTenantsWithOverlappingIDsAreIsolated(t *testing.T) {
	dbtest.Dialects(t, func(t *testing.T, store *models.Store) {
		a := newREBundle(t, store, "alpha", 10)
		b := newREBundle(t, store, "beta", 11)
		if a.fake.IDs(rentenginefake.Units)[0] != b.fake.IDs(rentenginefake.Units)[0] {
			t.Fatal("fixture: the two fakes should share record ids")
		}
		a.sync(t)
		b.sync(t)
		must(t, a.fake.Delete(rentenginefake.Units, a.fake.IDs(rentenginefake.Units)[0]))
		a.fake.Insert(rentenginefake.Prospects, map[string]any{"name": "Only Alpha"})
		a.sync(t)
		b.sync(t)
		assertMirrorEqualsFake(t, store, "alpha", a.fake)
		assertMirrorEqualsFake(t, store, "beta", b.fake)
	})
}

// --- helpers ---

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

type counts struct{ inserted, updated, deleted, fetched int64 }

func assertCounts(t *testing.T, run *models.SyncRun, want counts) {
	t.Helper()
	if run.Inserted != want.inserted || run.Updated != want.updated || run.Deleted != want.deleted {
		t.Errorf("run counts inserted/updated/deleted = %d/%d/%d, want %d/%d/%d (details %s)",
			run.Inserted, run.Updated, run.Deleted, want.inserted, want.updated, want.deleted, run.Details)
	}
	if want.fetched >= 0 && run.Fetched != want.fetched {
		t.Errorf("fetched = %d, want %d", run.Fetched, want.fetched)
	}
}

func assertTombstoned(t *testing.T, store *models.Store, table, tenant string, id int64) {
	t.Helper()
	var deleted *time.Time
	must(t, dbtest.DB(store).Table(table).Select("deleted_at").Where("tenant_id = ? AND id = ?", tenant, id).Row().Scan(&deleted))
	if deleted == nil {
		t.Errorf("%s %d not tombstoned", table, id)
	}
}

// rowVersions identifies every row's physical version: xmin on Postgres (changes on any
// rewrite), synced_at on SQLite (set on every write).
func rowVersions(t *testing.T, store *models.Store, tenant string) map[string]string {
	t.Helper()
	out := map[string]string{}
	col := "CAST(synced_at AS TEXT)"
	if store.Dialect() == models.Postgres {
		col = "xmin::text"
	}
	for _, table := range []string{"rentengine_units", "rentengine_prospects", "rentengine_leasing_events"} {
		rows, err := dbtest.DB(store).Raw("SELECT id, "+col+" FROM "+table+" WHERE tenant_id = ?", tenant).Rows()
		must(t, err)
		for rows.Next() {
			var id int64
			var v string
			must(t, rows.Scan(&id, &v))
			out[fmt.Sprintf("%s/%d", table, id)] = v
		}
		rows.Close()
	}
	return out
}

func diffCount(a, b map[string]string) int {
	n := 0
	for k, v := range a {
		if b[k] != v {
			n++
		}
	}
	return n + max(0, len(b)-len(a))
}

func assertMirrorEqualsFake(t *testing.T, store *models.Store, tenant string, fake *rentenginefake.Server) {
	t.Helper()
	diffs, err := mirrortest.RentEngineDiff(context.Background(), store, tenant, fake)
	must(t, err)
	for _, d := range diffs {
		t.Error(d)
	}
}
