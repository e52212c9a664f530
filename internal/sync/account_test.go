package sync_test

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"slices"
	"strings"
	"testing"

	"go.uber.org/zap"
	"go.uber.org/zap/zaptest"

	"github.com/syncd-dev/syncd/internal/models"
	syncer "github.com/syncd-dev/syncd/internal/sync"
	"github.com/syncd-dev/syncd/internal/tenants"
	"github.com/syncd-dev/syncd/internal/testing/dbtest"
	"github.com/syncd-dev/syncd/internal/testing/fakeapi"
	"github.com/syncd-dev/syncd/internal/testing/rentenginefake"
)

const otherAccount = "0a0b0c0d-1111-4222-8333-444455556666"

// accountWorld is one token that reaches two accounts: units in each, prospects and leasing
// events referencing units of both, and some with no unit at all.
type accountWorld struct {
	fake *rentenginefake.Server
	// want are the ids that belong to rentenginefake.DefaultAccountID's mirror, per table.
	want map[string][]int64
	// foreign counts the records of the other account, per resource.
	foreign map[string]int64
}

func newAccountWorld(t *testing.T) *accountWorld {
	t.Helper()
	fake := rentenginefake.New(rentenginefake.Options{Token: "tok"})
	t.Cleanup(fake.Close)
	rentenginefake.Seed(fake, rentenginefake.SeedOptions{Seed: 21, Units: 40, Prospects: 90, EventsPerProspect: 2})
	rentenginefake.Seed(fake, rentenginefake.SeedOptions{Seed: 22, Units: 30, Prospects: 70, EventsPerProspect: 2, AccountID: otherAccount})

	w := &accountWorld{fake: fake, want: map[string][]int64{}, foreign: map[string]int64{}}
	ours := map[int64]bool{}
	for _, u := range fake.Records(rentenginefake.Units) {
		id, _ := fakeapi.Int64Of(u["id"])
		if u["account_id"] == rentenginefake.DefaultAccountID {
			ours[id] = true
			w.want["rentengine_units"] = append(w.want["rentengine_units"], id)
		}
	}
	mine := func(unit any) bool {
		id, ok := fakeapi.Int64Of(unit)
		return !ok || ours[id]
	}
	dropped := map[int64]bool{}
	for _, p := range fake.Records(rentenginefake.Prospects) {
		id, _ := fakeapi.Int64Of(p["id"])
		if mine(p["unit_of_interest"]) {
			w.want["rentengine_prospects"] = append(w.want["rentengine_prospects"], id)
		} else {
			dropped[id] = true
			w.foreign["prospects"]++
		}
	}
	for _, e := range fake.Records(rentenginefake.LeasingEvents) {
		id, _ := fakeapi.Int64Of(e["id"])
		p, _ := fakeapi.Int64Of(e["prospect"])
		if mine(e["unit"]) && !dropped[p] {
			w.want["rentengine_leasing_events"] = append(w.want["rentengine_leasing_events"], id)
		} else {
			w.foreign["leasing_events"]++
		}
	}
	if w.foreign["prospects"] == 0 || w.foreign["leasing_events"] == 0 || len(ours) == fake.Count(rentenginefake.Units) {
		t.Fatalf("fixture: no foreign records (%v)", w.foreign)
	}
	return w
}

func liveIDs(t *testing.T, store *models.Store, table, tenant string) []int64 {
	t.Helper()
	var ids []int64
	must(t, dbtest.DB(store).Table(table).Where("tenant_id = ? AND deleted_at IS NULL", tenant).Order("id").Pluck("id", &ids).Error)
	return ids
}

func countRows(t *testing.T, store *models.Store, table, tenant string) int64 {
	t.Helper()
	var n int64
	must(t, dbtest.DB(store).Table(table).Where("tenant_id = ?", tenant).Count(&n).Error)
	return n
}

func (w *accountWorld) assertMirror(t *testing.T, store *models.Store, tenant string) {
	t.Helper()
	for _, table := range []string{"rentengine_units", "rentengine_prospects", "rentengine_leasing_events"} {
		if got := liveIDs(t, store, table, tenant); !slices.Equal(got, w.want[table]) {
			t.Errorf("%s: %d live rows, want the account's %d", table, len(got), len(w.want[table]))
		}
	}
}

func resourceCounts(t *testing.T, run *models.SyncRun) map[string]syncer.Counts {
	t.Helper()
	var d struct {
		Resources map[string]syncer.Counts `json:"resources"`
	}
	must(t, json.Unmarshal(run.Details, &d))
	return d.Resources
}

func TestRentEngineAccountFilter(t *testing.T) {
	dbtest.Dialects(t, func(t *testing.T, store *models.Store) {
		w := newAccountWorld(t)
		runner := syncer.NewRunner(syncer.Config{Store: store, Retry: fastRetry}, zaptest.NewLogger(t, zaptest.Level(zap.ErrorLevel)))
		run := func(tenant *tenants.Tenant) (*models.SyncRun, error) {
			return runner.Run(context.Background(), tenant, tenants.JobRentEngine)
		}

		t.Run("without account_id everything lands", func(t *testing.T) {
			tenant := reTenant("all", w.fake.BaseURL(), "tok")
			r, err := run(tenant)
			must(t, err)
			assertMirrorEqualsFake(t, store, "all", w.fake)
			for res, c := range resourceCounts(t, r) {
				if c.Filtered != 0 {
					t.Errorf("%s: %d filtered without an account", res, c.Filtered)
				}
			}

			// Setting the account: the other account's rows are far more than the mass-delete
			// guard lets one pass tombstone, so the pass is held and tombstones nothing, until an
			// operator releases it; the released pass tombstones them.
			tenant.RentEngine.AccountID = rentenginefake.DefaultAccountID
			_, err = run(tenant)
			var held *syncer.HeldError
			if !errors.As(err, &held) {
				t.Fatalf("setting the account: err %v, want the pass held by the mass-delete guard", err)
			}
			assertMirrorEqualsFake(t, store, "all", w.fake)
			r, err = runner.RunWith(context.Background(), tenant, tenants.JobRentEngine, syncer.RunOptions{AllowDeletes: true})
			must(t, err)
			w.assertMirror(t, store, "all")
			rc := resourceCounts(t, r)
			for _, res := range []string{"prospects", "leasing_events"} {
				if rc[res].Filtered != w.foreign[res] || rc[res].BadRecords != 0 {
					t.Errorf("%s: filtered %d, bad %d; want %d filtered, none bad", res, rc[res].Filtered, rc[res].BadRecords, w.foreign[res])
				}
			}
			wantDeleted := int64(w.fake.Count(rentenginefake.Units)-len(w.want["rentengine_units"])) + w.foreign["prospects"] + w.foreign["leasing_events"]
			if r.Deleted != wantDeleted || r.Inserted != 0 {
				t.Errorf("tombstoned %d, inserted %d; want the other account's %d tombstoned, none inserted", r.Deleted, r.Inserted, wantDeleted)
			}
		})

		t.Run("with account_id from the start", func(t *testing.T) {
			tenant := reTenant("one", w.fake.BaseURL(), "tok")
			tenant.RentEngine.AccountID = strings.ToUpper(rentenginefake.DefaultAccountID)
			w.fake.ResetRequests()
			r, err := run(tenant)
			must(t, err)
			w.assertMirror(t, store, "one")
			for _, table := range []string{"rentengine_units", "rentengine_prospects", "rentengine_leasing_events"} {
				if n := countRows(t, store, table, "one"); n != int64(len(w.want[table])) {
					t.Errorf("%s holds %d rows, want only the account's %d", table, n, len(w.want[table]))
				}
			}
			for _, req := range w.fake.Requests() {
				if strings.HasSuffix(req.Path, "/units") && !strings.Contains(req.RawQuery, "accountId=") {
					t.Errorf("GET /units without the account filter: %s", req.RawQuery)
				}
			}
			if r.Deleted != 0 {
				t.Errorf("first run tombstoned %d rows", r.Deleted)
			}

			// Again: nothing changes, nothing is tombstoned.
			r, err = run(tenant)
			must(t, err)
			if r.Inserted != 0 || r.Updated != 0 || r.Deleted != 0 {
				t.Errorf("second run inserted/updated/deleted %d/%d/%d", r.Inserted, r.Updated, r.Deleted)
			}
			w.assertMirror(t, store, "one")

			// With /units failing, the units come from the mirror: the account's prospects are
			// neither dropped nor tombstoned, the other account's still do not land.
			w.fake.Faults().Script(func(r *http.Request) bool { return strings.HasSuffix(r.URL.Path, "/units") },
				fakeapi.FaultServerError, -1)
			w.fake.Insert(rentenginefake.Prospects, map[string]any{"name": "Ours", "unit_of_interest": w.want["rentengine_units"][0]})
			foreignUnit := int64(0)
			for _, id := range w.fake.IDs(rentenginefake.Units) {
				if !slices.Contains(w.want["rentengine_units"], id) {
					foreignUnit = id
					break
				}
			}
			w.fake.Insert(rentenginefake.Prospects, map[string]any{"name": "Theirs", "unit_of_interest": foreignUnit})
			r, err = run(tenant)
			if err == nil || !strings.Contains(err.Error(), "units") {
				t.Fatalf("run with /units failing: err %v", err)
			}
			if r.Deleted != 0 || r.Inserted != 1 {
				t.Errorf("run with /units failing: inserted %d, tombstoned %d; want 1 and 0", r.Inserted, r.Deleted)
			}
			if got := liveIDs(t, store, "rentengine_prospects", "one"); len(got) != len(w.want["rentengine_prospects"])+1 {
				t.Errorf("%d live prospects, want the account's %d and the new one", len(got), len(w.want["rentengine_prospects"]))
			}
		})
	})
}
