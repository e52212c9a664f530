package mirror

import (
	"encoding/json"
	"fmt"

	"github.com/syncd-dev/syncd/internal/clients/funnelflux"
	"github.com/syncd-dev/syncd/internal/models"
)

// FunnelFluxFunnel decodes a FunnelFlux funnel into its mirror row. The group is idFunnelGroup,
// else its legacy alias idCampaign.
func FunnelFluxFunnel(raw json.RawMessage) (models.FunnelFluxFunnel, error) {
	f, err := funnelflux.DecodeFunnel(raw)
	if err != nil {
		return models.FunnelFluxFunnel{}, err
	}
	return models.FunnelFluxFunnel{
		ID:            f.ID.Text,
		Name:          f.Name.Ptr(),
		FunnelGroupID: nonEmpty(f.GroupID()),
		FunnelType:    f.FunnelType.Ptr(),
		Status:        f.Status.Ptr(),
	}, nil
}

// FunnelFluxFunnelGroup decodes a FunnelFlux funnel group (legacy "campaign") into its mirror row.
func FunnelFluxFunnelGroup(raw json.RawMessage) (models.FunnelFluxFunnelGroup, error) {
	g, err := funnelflux.DecodeFunnelGroup(raw)
	if err != nil {
		return models.FunnelFluxFunnelGroup{}, err
	}
	return models.FunnelFluxFunnelGroup{ID: g.Key(), Name: g.DisplayName().Ptr(), Status: g.Status.Ptr()}, nil
}

// FunnelFluxTrafficSource decodes a FunnelFlux traffic source into its mirror row. An empty
// idCategory means "uncategorised" and is stored as NULL.
func FunnelFluxTrafficSource(raw json.RawMessage) (models.FunnelFluxTrafficSource, error) {
	s, err := funnelflux.DecodeTrafficSource(raw)
	if err != nil {
		return models.FunnelFluxTrafficSource{}, err
	}
	return models.FunnelFluxTrafficSource{
		ID:           s.ID.Text,
		Name:         s.Name.Ptr(),
		Status:       s.Status.Ptr(),
		CategoryID:   nonEmpty(s.CategoryID.Text),
		CategoryName: s.CategoryName.Ptr(),
		CostType:     s.CostType.Ptr(),
	}, nil
}

// statsRecord is what a daily stats row stores as raw: the row's figures as read. The report
// row as sent is positional cells with a rowId that need not be stable between pulls, so hashing
// it could rewrite unchanged days; these fields change only when a figure does.
type statsRecord struct {
	Date          string  `json:"date"`
	Funnel        string  `json:"funnel"`
	TrafficSource string  `json:"traffic_source"`
	Timezone      string  `json:"timezone"`
	Entrances     int64   `json:"entrances"`
	Conversions   int64   `json:"conversions"`
	Revenue       float64 `json:"revenue"`
	Cost          float64 `json:"cost"`
	Profit        float64 `json:"profit"`
}

// FunnelFluxDailyStat turns one daily report row into its mirror row, with Raw and ContentHash
// set (from the figures, see statsRecord); zone is the zone the days were cut in.
func FunnelFluxDailyStat(s funnelflux.DailyStat, zone string) (models.FunnelFluxDailyStat, error) {
	if s.Date == "" || s.FunnelID == "" || s.TrafficSourceID == "" {
		return models.FunnelFluxDailyStat{}, fmt.Errorf("daily stats row without date, funnel or traffic source (%q, %q, %q)",
			s.Date, s.FunnelID, s.TrafficSourceID)
	}
	rec := statsRecord{Date: s.Date, Funnel: s.FunnelID, TrafficSource: s.TrafficSourceID, Timezone: zone,
		Entrances: s.Entrances, Conversions: s.Conversions, Revenue: s.Revenue, Cost: s.Cost, Profit: s.Profit}
	raw, err := json.Marshal(rec)
	if err != nil {
		return models.FunnelFluxDailyStat{}, fmt.Errorf("encode daily stats row: %w", err)
	}
	date := models.Date(s.Date)
	row := models.FunnelFluxDailyStat{
		ID: models.StatsID(date, s.FunnelID, s.TrafficSourceID), Date: date, FunnelID: s.FunnelID,
		TrafficSourceID: s.TrafficSourceID, Timezone: zone, Entrances: s.Entrances, Conversions: s.Conversions,
		Revenue: s.Revenue, Cost: s.Cost, Profit: s.Profit,
	}
	SetRaw(row.Sys(), raw)
	return row, nil
}
