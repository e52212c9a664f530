package sync_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/syncd-dev/syncd/internal/models"
	syncer "github.com/syncd-dev/syncd/internal/sync"
	"github.com/syncd-dev/syncd/internal/tenants"
	"github.com/syncd-dev/syncd/internal/testing/dbtest"
	"github.com/syncd-dev/syncd/internal/testing/rentenginefake"
)

// liveRows counts a tenant's rows of a table that are not tombstoned.
func liveRows(t *testing.T, store *models.Store, table, tenant string) int64 {
	t.Helper()
	var n int64
	must(t, dbtest.DB(store).Table(table).Where("tenant_id = ? AND deleted_at IS NULL", tenant).Count(&n).Error)
	return n
}

// The mass-delete guard: after a full first sync (130 units, 240 prospects), an upstream whose
// units list comes back empty must not tombstone the units. The run is held with the would-be
// count, the other resources sync and tombstone as usual, and the deletions go through once the
// operator allows them (--allow-deletes) or raises the limit. A deletion within the limit is never
// held.
func TestMassDeleteGuard(t *testing.T) {
	dbtest.Dialects(t, func(t *testing.T, store *models.Store) {
		t.Run("a small deletion proceeds", func(t *testing.T) {
			b := newREBundle(t, store, "small", 21)
			b.sync(t)
			units := b.fake.IDs(rentenginefake.Units)
			// 12 of 130: more than min_delete_guard (10), less than a fifth.
			for _, id := range units[:12] {
				must(t, b.fake.Delete(rentenginefake.Units, id))
			}
			run := b.sync(t)
			if run.Status != models.RunSucceeded || run.Deleted != 12 {
				t.Fatalf("status %s, deleted %d; want succeeded, 12", run.Status, run.Deleted)
			}
			assertMirrorEqualsFake(t, store, "small", b.fake)
		})

		releases := []struct {
			name string
			run  func(b *reBundle) (*models.SyncRun, error)
		}{
			{"released by --allow-deletes", func(b *reBundle) (*models.SyncRun, error) {
				return b.runner.RunWith(context.Background(), b.tenant, tenants.JobRentEngine, syncer.RunOptions{AllowDeletes: true})
			}},
			{"released by raising max_delete_fraction", func(b *reBundle) (*models.SyncRun, error) {
				b.tenant.MaxDeleteFraction = 1
				return b.runner.Run(context.Background(), b.tenant, tenants.JobRentEngine)
			}},
		}
		for i, rel := range releases {
			t.Run(rel.name, func(t *testing.T) {
				tenant := fmt.Sprintf("held%d", i)
				b := newREBundle(t, store, tenant, 22)
				b.sync(t)
				units := b.fake.IDs(rentenginefake.Units)
				total := int64(len(units))
				for _, id := range units {
					must(t, b.fake.Delete(rentenginefake.Units, id))
				}
				// Another resource changes too: it must sync and tombstone as usual.
				prospects := b.fake.IDs(rentenginefake.Prospects)
				must(t, b.fake.Delete(rentenginefake.Prospects, prospects[3]))
				b.fake.Insert(rentenginefake.Prospects, map[string]any{"name": "Late Arrival"})

				run, err := b.runner.Run(context.Background(), b.tenant, tenants.JobRentEngine)
				var held *syncer.HeldError
				if !errors.As(err, &held) {
					t.Fatalf("err = %v, want a *HeldError", err)
				}
				if held.Held["units"] != total || len(held.Held) != 1 {
					t.Errorf("held = %v, want units %d", held.Held, total)
				}
				if !strings.Contains(err.Error(), "--tenant "+tenant+" --job rentengine --allow-deletes") {
					t.Errorf("error does not say how to release it: %v", err)
				}
				if n := liveRows(t, store, "rentengine_units", tenant); n != total {
					t.Errorf("%d live units after a held pass, want all %d", n, total)
				}
				if run.Deleted != 1 || run.Inserted != 1 {
					t.Errorf("deleted %d inserted %d, want the prospect change (1, 1)", run.Deleted, run.Inserted)
				}
				assertTombstoned(t, store, "rentengine_prospects", tenant, prospects[3])

				var stored models.SyncRun
				must(t, dbtest.DB(store).Where("run_id = ?", run.RunID).First(&stored).Error)
				if stored.Status != models.RunHeld || stored.FinishedAt == nil || stored.Error == nil {
					t.Errorf("sync_runs: status %q finished %v error %v; want held, finished, with the reason", stored.Status, stored.FinishedAt, stored.Error)
				}
				if got := stored.HeldDeletes(); got["units"] != total {
					t.Errorf("details.held_deletes = %v (details %s), want units %d", got, stored.Details, total)
				}
				var details struct {
					Resources map[string]syncer.Counts `json:"resources"`
				}
				must(t, json.Unmarshal(stored.Details, &details))
				if c := details.Resources["units"]; c.HeldDeletes != total || c.Deleted != 0 {
					t.Errorf("units counts %+v, want held_deletes %d and nothing deleted", c, total)
				}

				// Held again on the next scheduled run: the guard does not wear off by itself.
				if _, err := b.runner.Run(context.Background(), b.tenant, tenants.JobRentEngine); !errors.As(err, &held) {
					t.Fatalf("second run: err = %v, want held again", err)
				}

				run, err = rel.run(b)
				if err != nil {
					t.Fatalf("released run: %v", err)
				}
				if run.Status != models.RunSucceeded || run.Deleted != total {
					t.Errorf("released run: status %s deleted %d, want succeeded %d", run.Status, run.Deleted, total)
				}
				if n := liveRows(t, store, "rentengine_units", tenant); n != 0 {
					t.Errorf("%d live units after the release, want 0", n)
				}
				assertMirrorEqualsFake(t, store, tenant, b.fake)
			})
		}
	})
}

// An upstream that keeps inventing full pages: the pass stops at max_pages with an error naming
// the resource and the limit, stores nothing past it, and tombstones nothing.
func TestMaxPages(t *testing.T) {
	dbtest.Dialects(t, func(t *testing.T, store *models.Store) {
		var endless atomic.Bool
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "application/json")
			if !strings.HasSuffix(r.URL.Path, "/units") {
				fmt.Fprint(w, "[]")
				return
			}
			page, _ := strconv.Atoi(r.URL.Query().Get("page_number"))
			n, base := 100, 1
			if !endless.Load() {
				n = max(0, min(100, 250-page*100)) // 250 units on 3 pages
			} else {
				base = 1_000_000 // always new ids, always a full page
			}
			recs := make([]string, n)
			for i := range recs {
				recs[i] = fmt.Sprintf(`{"id":%d,"status":"Available"}`, base+page*100+i)
			}
			fmt.Fprintf(w, "[%s]", strings.Join(recs, ","))
		}))
		defer srv.Close()
		te := reTenant("endless", srv.URL, "tok")
		te.MaxPages = 5
		b := newREBundle(t, store, "endless", 1) // for its runner
		if _, err := b.runner.Run(context.Background(), te, tenants.JobRentEngine); err != nil {
			t.Fatalf("first sync: %v", err)
		}
		if n := liveRows(t, store, "rentengine_units", "endless"); n != 250 {
			t.Fatalf("first sync stored %d units, want 250", n)
		}

		endless.Store(true)
		run, err := b.runner.Run(context.Background(), te, tenants.JobRentEngine)
		if !errors.Is(err, syncer.ErrTooManyPages) {
			t.Fatalf("err = %v, want ErrTooManyPages", err)
		}
		for _, want := range []string{"pull units", "more than 5 pages", "max_pages"} {
			if !strings.Contains(err.Error(), want) {
				t.Errorf("error %q does not contain %q", err, want)
			}
		}
		if run.Status != models.RunFailed || run.Deleted != 0 {
			t.Errorf("status %s deleted %d, want failed and nothing deleted", run.Status, run.Deleted)
		}
		if n := liveRows(t, store, "rentengine_units", "endless"); n != 250+5*100 {
			t.Errorf("%d live units, want the 250 kept plus 5 pages stored", n)
		}
	})
}
