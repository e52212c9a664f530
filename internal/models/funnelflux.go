package models

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"time"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"
)

// FunnelFlux tables (migration 00012). FunnelFlux ids are strings. The daily stats are keyed
// (tenant, date, funnel, traffic source) by a unique index, and carry a text id made of the three
// (StatsID), so that the mirror's upsert, tombstone and history code serves them unchanged.

// PushLeaseConversion is the push kind that sends lease conversions to FunnelFlux.
const PushLeaseConversion = "lease_conversion"

// FunnelFluxFunnelGroup mirrors a FunnelFlux funnel group (legacy "campaign").
type FunnelFluxFunnelGroup struct {
	System
	ID     string `gorm:"primaryKey"`
	Name   *string
	Status *string
}

func (FunnelFluxFunnelGroup) TableName() string { return "funnelflux_funnel_groups" }

// Key returns the primary key within the tenant.
func (r *FunnelFluxFunnelGroup) Key() string { return r.ID }

// FunnelFluxFunnel mirrors a FunnelFlux funnel.
type FunnelFluxFunnel struct {
	System
	ID            string `gorm:"primaryKey"`
	Name          *string
	FunnelGroupID *string
	FunnelType    *string
	Status        *string
}

func (FunnelFluxFunnel) TableName() string { return "funnelflux_funnels" }

// Key returns the primary key within the tenant.
func (r *FunnelFluxFunnel) Key() string { return r.ID }

// FunnelFluxTrafficSource mirrors a FunnelFlux traffic source.
type FunnelFluxTrafficSource struct {
	System
	ID           string `gorm:"primaryKey"`
	Name         *string
	Status       *string
	CategoryID   *string
	CategoryName *string
	CostType     *string
}

func (FunnelFluxTrafficSource) TableName() string { return "funnelflux_traffic_sources" }

// Key returns the primary key within the tenant.
func (r *FunnelFluxTrafficSource) Key() string { return r.ID }

// FunnelFluxDailyStat is one row of the daily drilldown report: a day, a funnel and a traffic
// source. Money is in the FunnelFlux account's currency.
type FunnelFluxDailyStat struct {
	System
	// ID is StatsID(Date, FunnelID, TrafficSourceID).
	ID              string `gorm:"primaryKey"`
	Date            Date
	FunnelID        string
	TrafficSourceID string
	// Timezone is the IANA zone the day was cut in.
	Timezone    string
	Entrances   int64
	Conversions int64
	Revenue     float64
	Cost        float64
	Profit      float64
}

func (FunnelFluxDailyStat) TableName() string { return "funnelflux_daily_stats" }

// Key returns the primary key within the tenant.
func (r *FunnelFluxDailyStat) Key() string { return r.ID }

// StatsID is the id of a daily stats row: date/funnel/traffic source. FunnelFlux ids are
// base62, so the slash never occurs inside one.
func StatsID(date Date, funnel, trafficSource string) string {
	return string(date) + "/" + funnel + "/" + trafficSource
}

// FunnelFluxLeaseConversion is a lease conversion syncd sent that a report pull showed applied.
type FunnelFluxLeaseConversion struct {
	TenantID      string `gorm:"primaryKey"`
	TransactionID string `gorm:"primaryKey"`
	ProspectID    int64
	Stage         string
	HitID         string
	Date          Date
	// FunnelID and TrafficSourceID are nil while the conversion report does not give them.
	FunnelID        *string
	TrafficSourceID *string
	Revenue         float64
	ConfirmedAt     time.Time
	SyncedAt        time.Time
}

func (FunnelFluxLeaseConversion) TableName() string { return "funnelflux_lease_conversions" }

// StatsIDsBetween returns the ids of the tenant's live daily stats rows dated from..to
// (inclusive): the rows a complete report pull of those days is compared with.
func (s *Store) StatsIDsBetween(ctx context.Context, tenant string, from, to Date) ([]string, error) {
	var ids []string
	err := s.db.WithContext(ctx).Model(&FunnelFluxDailyStat{}).
		Where("tenant_id = ? AND deleted_at IS NULL AND date >= ? AND date <= ?", tenant, from, to).
		Order("id").Pluck("id", &ids).Error
	if err != nil {
		return nil, fmt.Errorf("read daily stats of %s from %s to %s: %w", tenant, from, to, err)
	}
	return ids, nil
}

// ConfirmLeaseConversions records conversions a report pull showed: each is upserted into
// funnelflux_lease_conversions (confirmed_at kept from the first sighting) and its ledger row
// gets confirmed_at, in one transaction. A ledger row whose attempt had an unknown outcome (the
// process died after the call) becomes pushed: the report proves the call landed. It returns how many ledger rows became confirmed now.
// target maps a conversion's transaction id to its push_ledger target.
func (s *Store) ConfirmLeaseConversions(ctx context.Context, tenant string, convs []FunnelFluxLeaseConversion,
	target map[string]string, now time.Time) (int, error) {
	if len(convs) == 0 {
		return 0, nil
	}
	newly := 0
	err := s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		for i := range convs {
			c := convs[i]
			c.TenantID, c.ConfirmedAt, c.SyncedAt = tenant, now, now
			err := tx.Clauses(clause.OnConflict{
				Columns: []clause.Column{{Name: "tenant_id"}, {Name: "transaction_id"}},
				DoUpdates: clause.AssignmentColumns([]string{"prospect_id", "stage", "hit_id", "date", "funnel_id",
					"traffic_source_id", "revenue", "synced_at"}),
			}).Create(&c).Error
			if err != nil {
				return fmt.Errorf("record confirmed conversion %s: %w", c.TransactionID, err)
			}
			res := tx.Model(&PushLedger{}).
				Where("tenant_id = ? AND kind = ? AND target_key = ? AND confirmed_at IS NULL", tenant, PushLeaseConversion, target[c.TransactionID]).
				Updates(map[string]any{"confirmed_at": now, "updated_at": now, "state": PushPushed,
					"pushed_hash": gorm.Expr("desired_hash"), "pushed": gorm.Expr("desired"),
					"pushed_at": gorm.Expr("coalesce(pushed_at, ?)", now), "last_error": nil})
			if res.Error != nil {
				return fmt.Errorf("confirm ledger row %s: %w", target[c.TransactionID], res.Error)
			}
			newly += int(res.RowsAffected)
		}
		return nil
	})
	if err != nil {
		return 0, err
	}
	return newly, nil
}

// ProspectStage is a RentEngine prospect and the raw record its hit id is read from, with the
// stages it has reached (its status and its live leasing events' types, among those asked for).
type ProspectStage struct {
	ID     int64
	Raw    JSON
	Stages []string
}

// ProspectsAtStages returns the tenant's live RentEngine prospects whose status, or a live
// leasing event not marked deleted, is one of stages, by id.
func (s *Store) ProspectsAtStages(ctx context.Context, tenant string, stages []string) ([]ProspectStage, error) {
	if len(stages) == 0 {
		return nil, nil
	}
	type hit struct {
		ID    int64
		Stage string
	}
	var hits []hit
	db := s.db.WithContext(ctx)
	if err := db.Table(RentEngineProspect{}.TableName()).Select("id, status AS stage").
		Where("tenant_id = ? AND deleted_at IS NULL AND status IN ?", tenant, stages).Scan(&hits).Error; err != nil {
		return nil, fmt.Errorf("read prospects at stages: %w", err)
	}
	var evs []hit
	if err := db.Table(RentEngineLeasingEvent{}.TableName()+" e").
		Select("DISTINCT e.prospect_id AS id, e.event_type AS stage").
		Joins("JOIN "+RentEngineProspect{}.TableName()+" p ON p.tenant_id = e.tenant_id AND p.id = e.prospect_id AND p.deleted_at IS NULL").
		Where("e.tenant_id = ? AND e.deleted_at IS NULL AND e.event_type IN ? AND (e.deleted IS NULL OR e.deleted = ?)", tenant, stages, false).
		Scan(&evs).Error; err != nil {
		return nil, fmt.Errorf("read leasing events at stages: %w", err)
	}
	reached := map[int64]map[string]bool{}
	for _, h := range append(hits, evs...) {
		if reached[h.ID] == nil {
			reached[h.ID] = map[string]bool{}
		}
		reached[h.ID][h.Stage] = true
	}
	if len(reached) == 0 {
		return nil, nil
	}
	ids := make([]int64, 0, len(reached))
	for id := range reached {
		ids = append(ids, id)
	}
	var rows []struct {
		ID  int64
		Raw JSON
	}
	for chunk := range slices.Chunk(ids, 1000) {
		var part []struct {
			ID  int64
			Raw JSON
		}
		if err := db.Table(RentEngineProspect{}.TableName()).Select("id, raw").
			Where("tenant_id = ? AND id IN ?", tenant, chunk).Scan(&part).Error; err != nil {
			return nil, fmt.Errorf("read prospect records: %w", err)
		}
		rows = append(rows, part...)
	}
	slices.SortFunc(rows, func(a, b struct {
		ID  int64
		Raw JSON
	}) int {
		return cmp.Compare(a.ID, b.ID)
	})
	out := make([]ProspectStage, 0, len(rows))
	for _, r := range rows {
		st := make([]string, 0, len(reached[r.ID]))
		for s := range reached[r.ID] {
			st = append(st, s)
		}
		slices.Sort(st)
		out = append(out, ProspectStage{ID: r.ID, Raw: r.Raw, Stages: st})
	}
	return out, nil
}

// UnconfirmedConversions returns the tenant's lease_conversion ledger rows no report pull has
// confirmed yet and that were attempted (an intent written), by target.
func (s *Store) UnconfirmedConversions(ctx context.Context, tenant string) ([]PushLedger, error) {
	var rows []PushLedger
	err := s.db.WithContext(ctx).Where("tenant_id = ? AND kind = ? AND confirmed_at IS NULL AND intent_at IS NOT NULL",
		tenant, PushLeaseConversion).Order("target_key").Find(&rows).Error
	if err != nil {
		return nil, fmt.Errorf("read unconfirmed lease conversions of %s: %w", tenant, err)
	}
	return rows, nil
}
