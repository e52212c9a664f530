package models_test

import (
	"context"
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"github.com/syncd-dev/syncd/internal/models"
	"github.com/syncd-dev/syncd/internal/testing/dbtest"
)

func unitRow(id int64, status string) models.RentEngineUnit {
	raw := json.RawMessage(fmt.Sprintf(`{"id":%d,"status":%q}`, id, status))
	return models.RentEngineUnit{ID: id, Status: &status,
		System: models.System{Raw: models.JSON(raw), ContentHash: models.HashRaw(raw)}}
}

// UpsertNewPage (a first sync's pages) must classify and store exactly as UpsertPage does,
// including a record met twice in one pass, unchanged or changed.
func TestUpsertNewPageCountsLikeUpsertPage(t *testing.T) {
	dbtest.Dialects(t, func(t *testing.T, s *models.Store) {
		ctx := context.Background()
		now := time.Date(2026, 11, 1, 12, 0, 0, 0, time.UTC)
		has, err := models.HasRows[models.RentEngineUnit](ctx, s, "acme")
		if err != nil || has {
			t.Fatalf("HasRows on an empty table = %v, %v", has, err)
		}
		page := []models.RentEngineUnit{unitRow(1, "Available"), unitRow(2, "Leased"), unitRow(2, "On Hold")}
		pc, err := models.UpsertNewPage[int64, models.RentEngineUnit](ctx, s, "acme", models.Origin{}, page, now)
		if err != nil {
			t.Fatal(err)
		}
		if pc != (models.PageCounts{Inserted: 2}) {
			t.Errorf("first page: %+v, want 2 inserted (the repeated id keeps its last copy)", pc)
		}
		// The same records again (paging drift), one of them changed meanwhile.
		again := []models.RentEngineUnit{unitRow(1, "Available"), unitRow(2, "Leased"), unitRow(3, "Available")}
		pc, err = models.UpsertNewPage[int64, models.RentEngineUnit](ctx, s, "acme", models.Origin{}, again, now.Add(time.Minute))
		if err != nil {
			t.Fatal(err)
		}
		if pc != (models.PageCounts{Inserted: 1, Updated: 1, Unchanged: 1}) {
			t.Errorf("second page: %+v, want 1 inserted, 1 updated, 1 unchanged", pc)
		}
		var rows []models.RentEngineUnit
		if err := dbtest.DB(s).Where("tenant_id = ?", "acme").Order("id").Find(&rows).Error; err != nil {
			t.Fatal(err)
		}
		want := map[int64]string{1: "Available", 2: "Leased", 3: "Available"}
		if len(rows) != len(want) {
			t.Fatalf("%d rows stored, want %d", len(rows), len(want))
		}
		for _, r := range rows {
			if r.Status == nil || *r.Status != want[r.ID] || r.ContentHash != unitRow(r.ID, want[r.ID]).ContentHash {
				t.Errorf("unit %d stored as %v", r.ID, r.Status)
			}
			if !r.FirstSeenAt.Equal(now) && r.ID != 3 {
				t.Errorf("unit %d first_seen_at %s, want %s", r.ID, r.FirstSeenAt, now)
			}
		}
		if has, _ := models.HasRows[models.RentEngineUnit](ctx, s, "acme"); !has {
			t.Error("HasRows after inserts = false")
		}
	})
}
