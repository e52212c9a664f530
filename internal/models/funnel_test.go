package models_test

import (
	"context"
	"slices"
	"sync"
	"testing"
	"time"

	"gorm.io/gorm/schema"

	"github.com/syncd-dev/syncd/internal/models"
	"github.com/syncd-dev/syncd/internal/testing/dbtest"
)

// TestModelsMatchMigrations checks, on both dialects, that every model's columns are exactly its
// migrated table's columns, so a field added on one side only fails here rather than at run time.
func TestModelsMatchMigrations(t *testing.T) {
	tables := []any{
		&models.RentEngineUnit{}, &models.RentEngineProspect{}, &models.RentEngineLeasingEvent{}, &models.SyncRun{},
		&models.FunnelCommunity{}, &models.FunnelProspect{}, &models.FunnelRenewal{}, &models.FunnelAppointment{},
		&models.IdentityLink{}, &models.BadRecord{}, &models.PushLedger{}, &models.PushAttempt{}, &models.ScheduleClaim{},
		&models.RecordChange{},
	}
	dbtest.Dialects(t, func(t *testing.T, store *models.Store) {
		for _, m := range tables {
			sch, err := schema.Parse(m, &sync.Map{}, dbtest.DB(store).NamingStrategy)
			if err != nil {
				t.Fatal(err)
			}
			cols, err := dbtest.DB(store).Migrator().ColumnTypes(sch.Table)
			if err != nil {
				t.Fatalf("%s: %v", sch.Table, err)
			}
			var got []string
			for _, c := range cols {
				got = append(got, c.Name())
			}
			want := slices.Clone(sch.DBNames)
			slices.Sort(got)
			slices.Sort(want)
			if !slices.Equal(got, want) {
				t.Errorf("%s: table columns %v, model columns %v", sch.Table, got, want)
			}
		}
	})
}

// TestDateRoundTrip checks that a Date column reads back as written on both dialects.
func TestDateRoundTrip(t *testing.T) {
	dbtest.Dialects(t, func(t *testing.T, store *models.Store) {
		d := models.Date("2025-07-01")
		now := time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC)
		rows := []models.FunnelRenewal{{ID: 1, CommunityID: "1234", LeaseStart: &d,
			System: models.System{Raw: models.JSON(`{"id":1}`), ContentHash: "h"}}}
		if _, err := models.UpsertPage[int64](context.Background(), store, "t", models.Origin{}, rows, now); err != nil {
			t.Fatal(err)
		}
		var got models.FunnelRenewal
		if err := dbtest.DB(store).Where("tenant_id = ? AND id = ?", "t", 1).Take(&got).Error; err != nil {
			t.Fatal(err)
		}
		if got.LeaseStart == nil || *got.LeaseStart != d || got.LeaseEnd != nil {
			t.Errorf("lease_start %v, lease_end %v", got.LeaseStart, got.LeaseEnd)
		}
		var n int64
		if err := dbtest.DB(store).Model(&models.FunnelRenewal{}).Where("lease_start < ?", models.Date("2025-07-02")).Count(&n).Error; err != nil || n != 1 {
			t.Errorf("date comparison found %d rows (%v)", n, err)
		}
	})
}

// RelabelFunnelCommunity moves only the tenant's list rows under the old label, and neither
// adds nor merges rows.
func TestRelabelFunnelCommunity(t *testing.T) {
	dbtest.Dialects(t, func(t *testing.T, store *models.Store) {
		ctx := context.Background()
		now := time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC)
		sys := models.System{Raw: models.JSON(`{}`), ContentHash: "h"}
		for _, tenant := range []string{"a", "b"} {
			prospects := []models.FunnelProspect{{ID: 1, CommunityID: "P1234-567", System: sys}, {ID: 2, CommunityID: "99", System: sys}}
			renewals := []models.FunnelRenewal{{ID: 1, CommunityID: "P1234-567", System: sys}}
			appts := []models.FunnelAppointment{{ID: 1, CommunityID: "P1234-567", System: sys}}
			for _, err := range []error{
				first(models.UpsertPage[int64](ctx, store, tenant, models.Origin{}, prospects, now)),
				first(models.UpsertPage[int64](ctx, store, tenant, models.Origin{}, renewals, now)),
				first(models.UpsertPage[int64](ctx, store, tenant, models.Origin{}, appts, now)),
			} {
				if err != nil {
					t.Fatal(err)
				}
			}
		}
		n, err := store.RelabelFunnelCommunity(ctx, "a", "P1234-567", "1234", now.Add(time.Hour))
		if err != nil || n != 3 {
			t.Fatalf("relabelled %d rows (%v), want 3", n, err)
		}
		labels := func(tenant string) []string {
			var out []string
			for _, table := range []string{"funnel_prospects", "funnel_renewals", "funnel_appointments"} {
				var ls []string
				if err := dbtest.DB(store).Table(table).Where("tenant_id = ?", tenant).Order("id").Pluck("community_id", &ls).Error; err != nil {
					t.Fatal(err)
				}
				out = append(out, ls...)
			}
			return out
		}
		if got := labels("a"); !slices.Equal(got, []string{"1234", "99", "1234", "1234"}) {
			t.Errorf("tenant a: %v", got)
		}
		if got := labels("b"); !slices.Equal(got, []string{"P1234-567", "99", "P1234-567", "P1234-567"}) {
			t.Errorf("tenant b was relabelled: %v", got)
		}
		if n, err := store.RelabelFunnelCommunity(ctx, "a", "1234", "1234", now); n != 0 || err != nil {
			t.Errorf("relabel to itself: %d, %v", n, err)
		}
	})
}

func first[T any](_ T, err error) error { return err }
