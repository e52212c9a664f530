package funnelfluxfake

import (
	"encoding/json"
	"fmt"
	"math"
	"slices"
	"time"
)

// Asset statuses [I: active, archived, deleted].
const (
	StatusActive   = "active"
	StatusArchived = "archived"
	StatusDeleted  = "deleted"
)

// assetList keeps one asset kind's records as JSON objects, in insertion order.
type assetList struct {
	order []string
	recs  map[string]map[string]any
}

func newAssetList() *assetList { return &assetList{recs: map[string]map[string]any{}} }

func (l *assetList) put(id string, rec map[string]any) {
	if _, ok := l.recs[id]; !ok {
		l.order = append(l.order, id)
	}
	l.recs[id] = rec
}

// FunnelGroup seeds a funnel group.
type FunnelGroup struct {
	ID, Name string
	// Status is StatusActive when empty.
	Status string
	// Legacy serves the group with idCampaign and campaignName only, the legacy spelling.
	Legacy bool
}

// Funnel seeds a funnel.
type Funnel struct {
	ID, Name, GroupID string
	// FunnelType is "traffic" when empty [I].
	FunnelType string
	Status     string
	// LegacyGroup serves the group only as idCampaign, the legacy alias [V]; otherwise both
	// idFunnelGroup and idCampaign are served, as the reference's field list has both.
	LegacyGroup bool
}

// TrafficSource seeds a traffic source.
type TrafficSource struct {
	ID, Name, Status string
	CategoryID       string // "" means uncategorised [V]
	CategoryName     string
	CostType         string
}

// Hit is one entrance: a visitor's first node view in a funnel from a traffic source.
type Hit struct {
	// ID is the hit id (FunnelFlux format: 26 lowercase characters; offer hits end in "h" [V]).
	ID              string
	FunnelID        string
	TrafficSourceID string
	At              time.Time
	// DefaultPayout is the revenue of a conversion sent without a payout.
	DefaultPayout float64
	// cost is this hit's share of the cost segments that cover it.
	cost float64
}

// Conversion is an applied conversion: one (hit, transaction).
type Conversion struct {
	HitID       string
	Transaction string
	Payout      float64
	// At is when it was applied (its event time).
	At time.Time
}

type convKey struct{ hit, tx string }

// costSegment is a cost spread evenly over the entrances of one funnel × traffic source in
// [start, end): FunnelFlux's costForWholeSegment [A].
type costSegment struct {
	start, end     time.Time
	funnel, source string
	amount         float64
}

// queuedUpdate is one conversion update waiting to be applied.
type queuedUpdate struct {
	due  time.Time
	at   time.Time
	hits []queuedHit
}

type queuedHit struct {
	hit, tx string
	payout  *float64
}

// AddFunnelGroup adds or replaces a funnel group.
func (s *Server) AddFunnelGroup(g FunnelGroup) {
	rec := map[string]any{"status": orDefault(g.Status, StatusActive), "idCategory": "",
		"updatedAt": s.now().UTC().Format(time.RFC3339)}
	if g.Legacy {
		rec["idCampaign"], rec["campaignName"] = g.ID, g.Name
	} else {
		rec["idFunnelGroup"], rec["funnelGroupName"] = g.ID, g.Name
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.groups.put(g.ID, rec)
}

// AddFunnel adds or replaces a funnel.
func (s *Server) AddFunnel(f Funnel) {
	rec := map[string]any{"idFunnel": f.ID, "funnelName": f.Name, "idCampaign": f.GroupID,
		"funnelType": orDefault(f.FunnelType, "traffic"), "status": orDefault(f.Status, StatusActive),
		"canvasWidth": 2400, "canvasHeight": 1600, "defaultCost": nil, "nodes": []any{}, "connections": []any{},
		"meta": map[string]any{"version": 3}, "updatedAt": s.now().UTC().Format(time.RFC3339)}
	if !f.LegacyGroup {
		rec["idFunnelGroup"] = f.GroupID
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.funnels.put(f.ID, rec)
}

// AddTrafficSource adds or replaces a traffic source.
func (s *Server) AddTrafficSource(t TrafficSource) {
	rec := map[string]any{"idTrafficSource": t.ID, "trafficSourceName": t.Name,
		"status": orDefault(t.Status, StatusActive), "idCategory": t.CategoryID, "categoryName": t.CategoryName,
		"costType": orDefault(t.CostType, "cpc"), "updatedAt": s.now().UTC().Format(time.RFC3339)}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.sources.put(t.ID, rec)
}

// SetAssetField sets one field of a seeded asset's JSON (an unknown field, a null, a number
// where a string is expected), for tolerance tests. resource is one of Resources().
func (s *Server) SetAssetField(resource, id, field string, value any) {
	s.mu.Lock()
	defer s.mu.Unlock()
	l := s.listLocked(resource)
	rec, ok := l.recs[id]
	if !ok {
		panic(fmt.Sprintf("funnelfluxfake: no %s %q", resource, id))
	}
	if field != "updatedAt" {
		rec["updatedAt"] = s.now().UTC().Format(time.RFC3339)
	}
	rec[field] = value
}

// SetAssetStatus changes a seeded asset's status (StatusDeleted removes it from not-deleted lists).
func (s *Server) SetAssetStatus(resource, id, status string) {
	s.SetAssetField(resource, id, "status", status)
}

func (s *Server) listLocked(resource string) *assetList {
	switch resource {
	case ResourceFunnels:
		return s.funnels
	case ResourceFunnelGroups:
		return s.groups
	case ResourceTrafficSources:
		return s.sources
	}
	panic(fmt.Sprintf("funnelfluxfake: unknown resource %q", resource))
}

// AssetRaw returns the JSON of every record of resource as listed with status not-deleted.
func (s *Server) AssetRaw(resource string) []json.RawMessage {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.listRawLocked(resource, "not-deleted")
}

func (s *Server) listRawLocked(resource, status string) []json.RawMessage {
	l := s.listLocked(resource)
	out := make([]json.RawMessage, 0, len(l.order))
	for _, id := range l.order {
		rec := l.recs[id]
		st, _ := rec["status"].(string)
		if !statusMatches(status, st) {
			continue
		}
		b, err := json.Marshal(rec)
		if err != nil {
			panic(err)
		}
		out = append(out, s.Rewrite(resource, b))
	}
	return out
}

// statusMatches applies a list's status filter: empty or not-deleted lists everything but
// deleted items [V for middleware configs], other values list that status [I].
func statusMatches(filter, status string) bool {
	switch filter {
	case "", "not-deleted":
		return status != StatusDeleted
	}
	return filter == status
}

// AddHit adds an entrance hit.
func (s *Server) AddHit(h Hit) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.hits[h.ID]; !ok {
		s.hitOrder = append(s.hitOrder, h.ID)
	}
	hh := h
	hh.At = h.At.UTC()
	s.hits[h.ID] = &hh
	s.costDirty = true
}

// HitIDs returns the seeded hit ids in insertion order.
func (s *Server) HitIDs() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.hitOrder)
}

// Hit returns the hit with this id (its funnel, traffic source and entrance time), and whether
// there is one.
func (s *Server) Hit(id string) (Hit, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	h, ok := s.hits[id]
	if !ok {
		return Hit{}, false
	}
	return *h, true
}

// AddConversion applies a conversion at once, as a real-time postback would (at = its time).
func (s *Server) AddConversion(hitID, tx string, payout float64, at time.Time) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.hits[hitID]; !ok {
		panic(fmt.Sprintf("funnelfluxfake: no hit %q", hitID))
	}
	s.convs[convKey{hitID, tx}] = &Conversion{HitID: hitID, Transaction: tx, Payout: payout, At: at.UTC()}
}

// Conversions returns the applied conversions (queued ones that are due are applied first),
// ordered by hit and transaction.
func (s *Server) Conversions() []Conversion {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.applyDueLocked()
	out := make([]Conversion, 0, len(s.convs))
	for _, c := range s.convs {
		out = append(out, *c)
	}
	slices.SortFunc(out, func(a, b Conversion) int {
		if a.HitID != b.HitID {
			return cmpString(a.HitID, b.HitID)
		}
		return cmpString(a.Transaction, b.Transaction)
	})
	return out
}

// Pending counts the conversion hits queued and not applied yet.
func (s *Server) Pending() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.applyDueLocked()
	n := 0
	for _, q := range s.queued {
		n += len(q.hits)
	}
	return n
}

// Dropped counts queued conversions that were dropped when applied, because their hit is not known.
func (s *Server) Dropped() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.applyDueLocked()
	return s.dropped
}

// ConversionUpdates counts the conversion updates accepted (queued).
func (s *Server) ConversionUpdates() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.updatesIn
}

// SetDayCost sets the cost of one funnel × traffic source over one calendar day in zone
// ("2006-01-02", IANA name), replacing any cost set for exactly that day, as a cost update does.
// It is spread evenly over that day's entrances; a day without entrances shows no cost.
func (s *Server) SetDayCost(day, zone, funnelID, sourceID string, amount float64) {
	loc, err := time.LoadLocation(zone)
	if err != nil {
		panic(err)
	}
	start, err := time.ParseInLocation("2006-01-02", day, loc)
	if err != nil {
		panic(err)
	}
	seg := costSegment{start: start.UTC(), end: start.AddDate(0, 0, 1).UTC(), funnel: funnelID, source: sourceID, amount: amount}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.costs = slices.DeleteFunc(s.costs, func(c costSegment) bool {
		return c.start.Equal(seg.start) && c.end.Equal(seg.end) && c.funnel == funnelID && c.source == sourceID
	})
	s.costs = append(s.costs, seg)
	s.costDirty = true
}

// recostLocked spreads every cost segment over its entrances, when hits or costs changed.
func (s *Server) recostLocked() {
	if !s.costDirty {
		return
	}
	s.costDirty = false
	for _, h := range s.hits {
		h.cost = 0
	}
	for _, c := range s.costs {
		var in []*Hit
		for _, id := range s.hitOrder {
			h := s.hits[id]
			if h.FunnelID == c.funnel && h.TrafficSourceID == c.source && !h.At.Before(c.start) && h.At.Before(c.end) {
				in = append(in, h)
			}
		}
		for _, h := range in {
			h.cost += c.amount / float64(len(in))
		}
	}
}

// applyDueLocked applies the queued updates that are due: each (hit, transaction) is added or
// updated [I: "add new or update existing conversions"], a payout of -1 removes it [V], a
// missing payout takes the hit's default payout, and an unknown hit is dropped.
func (s *Server) applyDueLocked() {
	now := s.now()
	keep := s.queued[:0]
	for _, q := range s.queued {
		if q.due.After(now) {
			keep = append(keep, q)
			continue
		}
		for _, h := range q.hits {
			hit, ok := s.hits[h.hit]
			if !ok {
				s.dropped++
				continue
			}
			k := convKey{h.hit, h.tx}
			payout := hit.DefaultPayout
			if h.payout != nil {
				payout = *h.payout
			}
			if payout == -1 {
				delete(s.convs, k)
				continue
			}
			s.convs[k] = &Conversion{HitID: h.hit, Transaction: h.tx, Payout: payout, At: q.due.UTC()}
		}
	}
	s.queued = keep
}

func orDefault(v, def string) string {
	if v == "" {
		return def
	}
	return v
}

func cmpString(a, b string) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// round2 rounds money to cents.
func round2(v float64) float64 { return math.Round(v*100) / 100 }
