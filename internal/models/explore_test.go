package models_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/syncd-dev/syncd/internal/models"
	"github.com/syncd-dev/syncd/internal/testing/dbtest"
)

// TableCounts splits each mirror table's rows into live and tombstoned, counts the others whole,
// and leaves out the migration library's table; AdHocQuery returns a person's query as the driver
// answers it.
func TestExploreTheMirror(t *testing.T) {
	dbtest.Dialects(t, func(t *testing.T, s *models.Store) {
		ctx := context.Background()
		now := time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC)
		var rows []models.RentEngineUnit
		for id := int64(1); id <= 3; id++ {
			raw := fmt.Sprintf(`{"id":%d}`, id)
			rows = append(rows, models.RentEngineUnit{ID: id, System: models.System{Raw: models.JSON(raw), ContentHash: models.HashRaw([]byte(raw))}})
		}
		if _, err := models.UpsertPage[int64](ctx, s, "acme", models.Origin{}, rows, now); err != nil {
			t.Fatal(err)
		}
		if _, err := models.Tombstone[int64, models.RentEngineUnit](ctx, s, "acme", models.Origin{}, []int64{3}, now); err != nil {
			t.Fatal(err)
		}
		if _, err := s.ClaimTick(ctx, models.ScheduleClaim{TenantID: "acme", Job: "rentengine", ScheduledAt: now, Host: "h", ClaimedAt: now}, now); err != nil {
			t.Fatal(err)
		}

		counts, err := s.TableCounts(ctx)
		if err != nil {
			t.Fatal(err)
		}
		byTable := map[string]models.TableCount{}
		var names []string
		for _, c := range counts {
			byTable[c.Table] = c
			names = append(names, c.Table)
		}
		if c := byTable[models.RentEngineUnit{}.TableName()]; !c.HasTombstones || c.Live != 2 || c.Tombstoned != 1 {
			t.Errorf("units: %+v, want 2 live and 1 tombstoned", c)
		}
		if c := byTable[models.ScheduleClaim{}.TableName()]; c.HasTombstones || c.Live != 1 {
			t.Errorf("claims: %+v, want 1 row without tombstones", c)
		}
		if _, ok := byTable["goose_db_version"]; ok {
			t.Errorf("the migration table is listed: %v", names)
		}
		// 3 inserts and 1 delete.
		if c := byTable[models.RecordChange{}.TableName()]; c.HasTombstones || c.Live != 4 {
			t.Errorf("record_changes: %+v, want 4 rows without tombstones", c)
		}
		// Postgres also has analyst_grants (per-tenant analyst access needs roles).
		want := map[string]int{models.Postgres: 21, models.SQLite: 20}[s.Dialect()]
		if len(counts) != want {
			t.Errorf("%d tables %v, want the %d of the schema", len(counts), names, want)
		}

		cols, got, err := s.AdHocQuery(ctx, "SELECT id, raw FROM rentengine_units WHERE deleted_at IS NULL ORDER BY id")
		if err != nil {
			t.Fatal(err)
		}
		if fmt.Sprint(cols) != "[id raw]" || len(got) != 2 || fmt.Sprint(got[1][0]) != "2" {
			t.Errorf("query answered %v %v", cols, got)
		}
		if _, _, err := s.AdHocQuery(ctx, "SELECT * FROM no_such_table"); err == nil {
			t.Error("a query of a missing table did not fail")
		}
	})
}
