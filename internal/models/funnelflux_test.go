package models_test

import (
	"math"
	"testing"

	"github.com/syncd-dev/syncd/internal/models"
	"github.com/syncd-dev/syncd/internal/testing/dbtest"
)

// TestLeaseAttribution: one row per tenant, day, traffic source and funnel with stats or leases;
// a lease lands on the stats row of its (entrance) day, funnel and traffic source, and only
// there: cost per lease is that row's cost over its leases (distinct prospects), NULL without a
// lease; tombstoned stats and other tenants stay out; a lease whose report row gave no funnel or
// source gets a row of its own.
func TestLeaseAttribution(t *testing.T) {
	dbtest.Dialects(t, func(t *testing.T, store *models.Store) {
		stat := func(tenant, date, funnel, source string, entrances int64, cost float64, deleted bool) *models.FunnelFluxDailyStat {
			return &models.FunnelFluxDailyStat{System: sysAt(tenant, deleted), ID: models.StatsID(models.Date(date), funnel, source),
				Date: models.Date(date), FunnelID: funnel, TrafficSourceID: source, Timezone: "UTC", Entrances: entrances, Cost: cost}
		}
		conv := func(tx string, prospect int64, stage, date string, funnel, source *string) *models.FunnelFluxLeaseConversion {
			return &models.FunnelFluxLeaseConversion{TenantID: "acme", TransactionID: tx, ProspectID: prospect, Stage: stage,
				HitID: "h" + tx, Date: models.Date(date), FunnelID: funnel, TrafficSourceID: source, ConfirmedAt: viewBase, SyncedAt: viewBase}
		}
		insert(t, store,
			&models.FunnelFluxFunnel{System: sysAt("acme", false), ID: "F1", Name: ptr("Tour request")},
			&models.FunnelFluxTrafficSource{System: sysAt("acme", false), ID: "T1", Name: ptr("Google Ads")},
			stat("acme", "2026-11-18", "F1", "T1", 40, 300, false),
			stat("acme", "2026-11-18", "F1", "T2", 10, 50, false),
			stat("acme", "2026-11-17", "F1", "T1", 99, 999, true), // tombstoned: left out
			stat("globex", "2026-11-18", "F1", "T1", 5, 5, false),
			// Two leases of distinct prospects on 11-18 F1×T1 (none on F1×T2 the same day), and one
			// prospect converted at two stages.
			conv("a", 1, "Lease Signed", "2026-11-18", ptr("F1"), ptr("T1")),
			conv("b", 2, "Lease Signed", "2026-11-18", ptr("F1"), ptr("T1")),
			conv("c", 2, "Moved In", "2026-11-18", ptr("F1"), ptr("T1")),
			// A lease on a day without stats, and one without funnel and source.
			conv("d", 3, "Lease Signed", "2026-11-19", ptr("F1"), ptr("T1")),
			conv("e", 4, "Lease Signed", "2026-11-19", nil, nil),
		)
		type row struct {
			Date                          models.Date
			TrafficSourceID, FunnelID     *string
			TrafficSourceName, FunnelName *string
			Entrances, Leases             int64
			Cost                          float64
			CostPerLease                  *float64
		}
		var rows []row
		if err := dbtest.DB(store).Raw(`SELECT date, traffic_source_id, funnel_id, traffic_source_name, funnel_name,
			entrances, leases, cost, cost_per_lease FROM lease_attribution WHERE tenant_id = 'acme'
			ORDER BY date, coalesce(traffic_source_id, ''), coalesce(funnel_id, '')`).Scan(&rows).Error; err != nil {
			t.Fatal(err)
		}
		s := func(p *string) string {
			if p == nil {
				return "NULL"
			}
			return *p
		}
		want := []struct {
			date, source, funnel, sourceName, funnelName string
			entrances, leases                            int64
			cost                                         float64
			perLease                                     float64 // -1: NULL
		}{
			{"2026-11-18", "T1", "F1", "Google Ads", "Tour request", 40, 2, 300, 150},
			{"2026-11-18", "T2", "F1", "NULL", "Tour request", 10, 0, 50, -1},
			{"2026-11-19", "NULL", "NULL", "NULL", "NULL", 0, 1, 0, 0},
			{"2026-11-19", "T1", "F1", "Google Ads", "Tour request", 0, 1, 0, 0},
		}
		if len(rows) != len(want) {
			t.Fatalf("lease_attribution rows %+v, want %d", rows, len(want))
		}
		for i, w := range want {
			r := rows[i]
			per := -1.0
			if r.CostPerLease != nil {
				per = *r.CostPerLease
			}
			if string(r.Date) != w.date || s(r.TrafficSourceID) != w.source || s(r.FunnelID) != w.funnel ||
				s(r.TrafficSourceName) != w.sourceName || s(r.FunnelName) != w.funnelName || r.Entrances != w.entrances ||
				r.Leases != w.leases || math.Abs(r.Cost-w.cost) > 1e-9 || math.Abs(per-w.perLease) > 1e-9 {
				t.Errorf("row %d: %s %s %s %s %s entrances %d leases %d cost %v per lease %v; want %+v", i, r.Date,
					s(r.TrafficSourceID), s(r.FunnelID), s(r.TrafficSourceName), s(r.FunnelName), r.Entrances, r.Leases, r.Cost, per, w)
			}
		}
	})
}
