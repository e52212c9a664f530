package models_test

import (
	"context"
	"encoding/json"
	"fmt"
	"reflect"
	"testing"
	"time"

	"github.com/syncd-dev/syncd/internal/models"
	"github.com/syncd-dev/syncd/internal/testing/dbtest"
)

// changesSince returns the tenant's record_changes rows written at or after from, in time and
// record order.
func changesSince(t *testing.T, s *models.Store, tenant string, from time.Time) []models.RecordChange {
	t.Helper()
	var out []models.RecordChange
	if err := dbtest.DB(s).Where("tenant_id = ? AND changed_at >= ?", tenant, from).
		Order("changed_at, table_name, record_id").Find(&out).Error; err != nil {
		t.Fatal(err)
	}
	return out
}

// fieldsOf decodes a change's fields, so jsonb's spacing and SQLite's text compare alike.
func fieldsOf(t *testing.T, c models.RecordChange) map[string]map[string]any {
	t.Helper()
	if c.Fields == nil {
		return nil
	}
	var m map[string]map[string]any
	if err := json.Unmarshal(c.Fields, &m); err != nil {
		t.Fatalf("fields of %s %s: %v (%s)", c.Operation, c.RecordID, err, c.Fields)
	}
	return m
}

func rawUnit(id int64, raw string) models.RentEngineUnit {
	return models.RentEngineUnit{ID: id, System: models.System{Raw: models.JSON(raw), ContentHash: models.HashRaw([]byte(raw))}}
}

// opsOf summarises changes as "op:id" in order.
func opsOf(cs []models.RecordChange) []string {
	var out []string
	for _, c := range cs {
		out = append(out, c.Operation+":"+c.RecordID)
	}
	return out
}

// TestRecordChanges follows a few records through every kind of change, on both databases, and
// checks record_changes after each step: what is recorded, with which origin and fields, and that
// nothing is recorded for a write that changes nothing.
func TestRecordChanges(t *testing.T) {
	dbtest.Dialects(t, func(t *testing.T, s *models.Store) {
		ctx := context.Background()
		t0 := time.Date(2026, 10, 1, 9, 0, 0, 0, time.UTC)
		run := models.Origin{RunID: "run-1"}
		steps := []struct {
			name  string
			do    func(now time.Time) error
			want  []string
			check func(t *testing.T, cs []models.RecordChange)
		}{{
			name: "first sync: one insert row per record, attributed to the run, without fields",
			do: func(now time.Time) error {
				_, err := models.UpsertNewPage[int64](ctx, s, "acme", run, []models.RentEngineUnit{
					rawUnit(1, `{"id":1,"status":"Available","target_rental_rate":1500,"bedrooms":"2"}`),
					rawUnit(2, `{"id":2,"status":"Available","target_rental_rate":1700}`),
					rawUnit(3, `{"id":3,"status":"Leased"}`),
				}, now)
				return err
			},
			want: []string{"insert:1", "insert:2", "insert:3"},
			check: func(t *testing.T, cs []models.RecordChange) {
				for _, c := range cs {
					if c.Table != "rentengine_units" || c.RunID == nil || *c.RunID != "run-1" || c.DeliveryID != nil || c.Fields != nil {
						t.Errorf("insert row %+v, want table rentengine_units, run_id run-1, no delivery, no fields", c)
					}
				}
			},
		}, {
			name: "unchanged re-sync (whitespace differs): nothing",
			do: func(now time.Time) error {
				_, err := models.UpsertPage[int64](ctx, s, "acme", run, []models.RentEngineUnit{
					rawUnit(1, `{"id": 1, "status": "Available", "target_rental_rate": 1500, "bedrooms": "2"}`),
					rawUnit(2, `{"id":2,"status":"Available","target_rental_rate":1700}`),
				}, now)
				return err
			},
		}, {
			name: "update: the changed, added and removed top-level fields, old and new",
			do: func(now time.Time) error {
				_, err := models.UpsertPage[int64](ctx, s, "acme", models.Origin{RunID: "run-2"}, []models.RentEngineUnit{
					rawUnit(1, `{"id":1,"status":"On Hold","target_rental_rate":1450,"sqft":"900","address":{"city":"Austin","state":"TX"}}`),
					rawUnit(2, `{"id":2,"status":"Available","target_rental_rate":1700}`),
				}, now)
				return err
			},
			want: []string{"update:1"},
			check: func(t *testing.T, cs []models.RecordChange) {
				want := map[string]map[string]any{
					"status":             {"old": "Available", "new": "On Hold"},
					"target_rental_rate": {"old": 1500.0, "new": 1450.0},
					"sqft":               {"old": nil, "new": "900"},
					"bedrooms":           {"old": "2", "new": nil},
					"address":            {"old": nil, "new": map[string]any{"city": "Austin", "state": "TX"}},
				}
				if got := fieldsOf(t, cs[0]); !reflect.DeepEqual(got, want) {
					t.Errorf("fields %v, want %v", got, want)
				}
				if *cs[0].RunID != "run-2" {
					t.Errorf("run_id %s, want run-2", *cs[0].RunID)
				}
			},
		}, {
			name: "keys reordered only, at any depth: the row is rewritten, nothing recorded",
			do: func(now time.Time) error {
				pc, err := models.UpsertPage[int64](ctx, s, "acme", run, []models.RentEngineUnit{
					rawUnit(1, `{"sqft":"900","address":{"state":"TX","city":"Austin"},"target_rental_rate":1450,"status":"On Hold","id":1}`),
				}, now)
				if err == nil && pc.Updated != 1 {
					err = fmt.Errorf("counts %+v, want 1 updated", pc)
				}
				return err
			},
		}, {
			name: "tombstones: one delete row per row tombstoned, none for one already tombstoned",
			do: func(now time.Time) error {
				if _, err := models.Tombstone[int64, models.RentEngineUnit](ctx, s, "acme", run, []int64{2, 3}, now); err != nil {
					return err
				}
				n, err := models.Tombstone[int64, models.RentEngineUnit](ctx, s, "acme", run, []int64{2, 3}, now)
				if err == nil && n != 0 {
					err = fmt.Errorf("tombstoned %d again", n)
				}
				return err
			},
			want: []string{"delete:2", "delete:3"},
		}, {
			name: "un-tombstone: unchanged content has no fields, changed content has its fields",
			do: func(now time.Time) error {
				_, err := models.UpsertPage[int64](ctx, s, "acme", run, []models.RentEngineUnit{
					rawUnit(2, `{"id":2,"status":"Available","target_rental_rate":1700}`),
					rawUnit(3, `{"id":3,"status":"Available"}`),
				}, now)
				return err
			},
			want: []string{"undelete:2", "undelete:3"},
			check: func(t *testing.T, cs []models.RecordChange) {
				if cs[0].Fields != nil {
					t.Errorf("undelete of unchanged content has fields %s", cs[0].Fields)
				}
				want := map[string]map[string]any{"status": {"old": "Leased", "new": "Available"}}
				if got := fieldsOf(t, cs[1]); !reflect.DeepEqual(got, want) {
					t.Errorf("fields %v, want %v", got, want)
				}
			},
		}, {
			name: "a page of unchanged and new records: only the new ones",
			do: func(now time.Time) error {
				_, err := models.UpsertPage[int64](ctx, s, "acme", run, []models.RentEngineUnit{
					rawUnit(2, `{"id":2,"status":"Available","target_rental_rate":1700}`),
					rawUnit(4, `{"id":4}`),
				}, now)
				return err
			},
			want: []string{"insert:4"},
		}}
		for i, st := range steps {
			now := t0.Add(time.Duration(i) * time.Minute)
			if err := st.do(now); err != nil {
				t.Fatalf("%s: %v", st.name, err)
			}
			cs := changesSince(t, s, "acme", now)
			if got := opsOf(cs); !reflect.DeepEqual(got, st.want) {
				t.Fatalf("%s: recorded %v, want %v", st.name, got, st.want)
			}
			for _, c := range cs {
				if !c.ChangedAt.Equal(now) {
					t.Errorf("%s: changed_at %s, want %s", st.name, c.ChangedAt, now)
				}
			}
			if st.check != nil {
				st.check(t, cs)
			}
		}
	})
}

// Records keyed by text (Funnel communities) get their id as is; a webhook's changes carry
// their delivery and no run.
func TestRecordChangesTextKeysAndDeliveries(t *testing.T) {
	dbtest.Dialects(t, func(t *testing.T, s *models.Store) {
		ctx := context.Background()
		now := time.Date(2026, 10, 1, 9, 0, 0, 0, time.UTC)
		raw := `{"id":"P1234-567","name":"Elm Court"}`
		c := models.FunnelCommunity{ID: "P1234-567", System: models.System{Raw: models.JSON(raw), ContentHash: models.HashRaw([]byte(raw))}}
		if _, err := models.UpsertPage[string](ctx, s, "acme", models.Origin{Delivery: "msg_1"}, []models.FunnelCommunity{c}, now); err != nil {
			t.Fatal(err)
		}
		cs := changesSince(t, s, "acme", now)
		if len(cs) != 1 || cs[0].RecordID != "P1234-567" || cs[0].Table != "funnel_communities" ||
			cs[0].RunID != nil || cs[0].DeliveryID == nil || *cs[0].DeliveryID != "msg_1" {
			t.Fatalf("recorded %+v", cs)
		}
	})
}

// PruneChanges deletes rows older than the cut-off only, a batch at a time.
func TestPruneChanges(t *testing.T) {
	dbtest.Dialects(t, func(t *testing.T, s *models.Store) {
		ctx := context.Background()
		old := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
		recent := old.AddDate(1, 0, 0)
		var rows []models.RentEngineUnit
		for id := int64(1); id <= 7; id++ {
			rows = append(rows, rawUnit(id, fmt.Sprintf(`{"id":%d}`, id)))
		}
		if _, err := models.UpsertPage[int64](ctx, s, "acme", models.Origin{}, rows, old); err != nil {
			t.Fatal(err)
		}
		if _, err := models.Tombstone[int64, models.RentEngineUnit](ctx, s, "acme", models.Origin{}, []int64{1, 2}, recent); err != nil {
			t.Fatal(err)
		}
		cutoff := recent.Add(-time.Hour)
		var total int64
		for i := 0; ; i++ {
			n, err := s.PruneChanges(ctx, cutoff, 3)
			if err != nil {
				t.Fatal(err)
			}
			if n > 3 {
				t.Fatalf("batch %d deleted %d rows, more than 3", i, n)
			}
			total += n
			if n < 3 {
				break
			}
		}
		if total != 7 {
			t.Errorf("pruned %d rows, want the 7 inserts", total)
		}
		if got := opsOf(changesSince(t, s, "acme", old)); !reflect.DeepEqual(got, []string{"delete:1", "delete:2"}) {
			t.Errorf("left %v, want the two recent deletes", got)
		}
	})
}

// A first sync's page that meets a row stored earlier in the pass (paging drift) fails as a plain
// INSERT and goes through UpsertPage: its history is recorded once, from the upsert, and nothing
// of the failed statement remains.
func TestRecordChangesFirstSyncDrift(t *testing.T) {
	dbtest.Dialects(t, func(t *testing.T, s *models.Store) {
		ctx := context.Background()
		now := time.Date(2026, 10, 1, 9, 0, 0, 0, time.UTC)
		run := models.Origin{RunID: "first"}
		if _, err := models.UpsertNewPage[int64](ctx, s, "acme", run, []models.RentEngineUnit{
			rawUnit(1, `{"id":1}`), rawUnit(2, `{"id":2}`)}, now); err != nil {
			t.Fatal(err)
		}
		pc, err := models.UpsertNewPage[int64](ctx, s, "acme", run, []models.RentEngineUnit{
			rawUnit(2, `{"id":2}`), rawUnit(3, `{"id":3}`)}, now.Add(time.Second))
		if err != nil || pc != (models.PageCounts{Inserted: 1, Unchanged: 1}) {
			t.Fatalf("drifted page: %+v, %v", pc, err)
		}
		if got := opsOf(changesSince(t, s, "acme", now)); !reflect.DeepEqual(got, []string{"insert:1", "insert:2", "insert:3"}) {
			t.Errorf("recorded %v, want each insert once", got)
		}
	})
}
