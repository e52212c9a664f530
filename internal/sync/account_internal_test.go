package sync

import (
	"context"
	"testing"

	"github.com/RoaringBitmap/roaring/v2/roaring64"

	"github.com/syncd-dev/syncd/internal/models"
)

// The attribution rules, without a database: the account's units are given.
func TestAccountFilterRules(t *testing.T) {
	const ours = "3f6c2a9e-5b7d-4e51-9a0c-2d8e4f7b1c35"
	f := newAccountFilter(nil, "acme", ours)
	f.units = roaring64.BitmapOf(1, 2)
	ctx := context.Background()
	str := func(s string) *string { return &s }
	id := func(v int64) *int64 { return &v }

	units := []struct {
		account *string
		want    bool
	}{
		{str(ours), true},
		{str(" 3F6C2A9E-5B7D-4E51-9A0C-2D8E4F7B1C35"), true},
		{nil, true}, // listed under ?accountId=, so the server attributed it
		{str("0a0b0c0d-1111-4222-8333-444455556666"), false}, // the server ignored the filter
	}
	for _, tc := range units {
		if got, _ := f.unit(ctx, &models.RentEngineUnit{AccountID: tc.account}); got != tc.want {
			t.Errorf("unit of account %v: keep %v, want %v", tc.account, got, tc.want)
		}
	}

	prospects := []struct {
		id   int64
		unit *int64
		want bool
	}{{10, id(1), true}, {11, nil, true}, {12, id(3), false}}
	for _, tc := range prospects {
		if got, err := f.prospect(ctx, &models.RentEngineProspect{ID: tc.id, UnitID: tc.unit}); err != nil || got != tc.want {
			t.Errorf("prospect %d: keep %v (%v), want %v", tc.id, got, err, tc.want)
		}
	}

	events := []struct {
		name           string
		prospect, unit *int64
		want           bool
	}{
		{"our unit", id(10), id(2), true},
		{"other unit", id(10), id(3), false},
		{"no unit, our prospect", id(10), nil, true},
		{"no unit, prospect left out", id(12), nil, false},
		{"our unit, prospect left out", id(12), id(1), false},
		{"no unit, no prospect", nil, nil, true},
	}
	for _, tc := range events {
		if got, err := f.event(ctx, &models.RentEngineLeasingEvent{ProspectID: tc.prospect, UnitID: tc.unit}); err != nil || got != tc.want {
			t.Errorf("event, %s: keep %v (%v), want %v", tc.name, got, err, tc.want)
		}
	}
}
