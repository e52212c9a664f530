package models_test

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/syncd-dev/syncd/internal/models"
	"github.com/syncd-dev/syncd/internal/testing/dbtest"
)

func TestRentEngineAccountUnits(t *testing.T) {
	const (
		ours   = "3f6c2a9e-5b7d-4e51-9a0c-2d8e4f7b1c35"
		theirs = "0a0b0c0d-1111-4222-8333-444455556666"
	)
	dbtest.Dialects(t, func(t *testing.T, s *models.Store) {
		ctx := context.Background()
		now := time.Date(2026, 11, 1, 12, 0, 0, 0, time.UTC)
		row := func(id int64, account string) models.RentEngineUnit {
			u := unitRow(id, "Leased")
			if account != "" {
				u.AccountID = &account
			}
			return u
		}
		rows := []models.RentEngineUnit{
			row(1, ours), // live, ours
			row(2, "3F6C2A9E-5B7D-4E51-9A0C-2D8E4F7B1C35"), // ours, other case
			row(3, theirs), // another account's
			row(4, ""),     // live without an account: came from a filtered /units
			row(5, ours),   // ours, tombstoned below: deleted upstream, still ours
			row(6, ""),     // tombstoned without an account: cannot tell
			row(7, theirs), // another account's, tombstoned
		}
		if _, err := models.UpsertPage[int64](ctx, s, "acme", models.Origin{}, rows, now); err != nil {
			t.Fatal(err)
		}
		if _, err := models.UpsertPage[int64](ctx, s, "other", models.Origin{}, []models.RentEngineUnit{row(8, ours)}, now); err != nil {
			t.Fatal(err)
		}
		if _, err := models.Tombstone[int64, models.RentEngineUnit](ctx, s, "acme", models.Origin{}, []int64{5, 6, 7}, now); err != nil {
			t.Fatal(err)
		}
		got, err := models.RentEngineAccountUnits(ctx, s, "acme", ours)
		if err != nil {
			t.Fatal(err)
		}
		if want := []int64{1, 2, 4, 5}; !slices.Equal(got, want) {
			t.Errorf("account units %v, want %v", got, want)
		}
	})
}
