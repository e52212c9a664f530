package funnelfluxfake

import (
	"slices"
	"strconv"
	"strings"
	"time"
)

// The groupings the fake's drilldown knows [A: v2 dimension names; Chosen: as
// internal/clients/funnelflux/contract.go sends them].
const (
	GroupDate          = "Date"
	GroupFunnel        = "Funnel"
	GroupTrafficSource = "Traffic Source"
	GroupHitID         = "Hit ID"
	GroupConversionTx  = "Conversion TxID"
)

// The metric columns, in the order the fake serves them [A]. Chosen: not the order the client
// asks in, with ROI besides, so that a client reading cells by position fails here.
var metricColumns = []string{"Entrances", "Cost", "Revenue", "Conv.", "P/L", "ROI"}

// Query is a report query as the fake computes it.
type Query struct {
	Start, End      time.Time // [Start, End)
	Zone            *time.Location
	Groupings       []string
	EventAttributed bool // conversions at their own time, not their entrance's
	OnlyConverted   bool
}

// Row is one computed report row: its grouping values (in the query's order) and metrics.
type Row struct {
	Keys        []string
	Entrances   int64
	Conversions int64
	Revenue     float64
	Cost        float64
}

// Profit is revenue minus cost.
func (r Row) Profit() float64 { return round2(r.Revenue - r.Cost) }

// DailyStat is one expected row of the daily report (date × funnel × traffic source,
// entrance-attributed), for tests that compare a mirror with the fake.
type DailyStat struct {
	Date, FunnelID, TrafficSourceID string
	Entrances, Conversions          int64
	Revenue, Cost, Profit           float64
}

// DailyStats computes the daily report over [first, last] in zone as the API serves it.
func (s *Server) DailyStats(first, last, zone string) []DailyStat {
	loc, err := time.LoadLocation(zone)
	if err != nil {
		panic(err)
	}
	a, err1 := time.ParseInLocation("2006-01-02", first, loc)
	b, err2 := time.ParseInLocation("2006-01-02", last, loc)
	if err1 != nil || err2 != nil {
		panic("funnelfluxfake: DailyStats: bad dates")
	}
	rows := s.Report(Query{Start: a, End: b.AddDate(0, 0, 1), Zone: loc,
		Groupings: []string{GroupDate, GroupFunnel, GroupTrafficSource}})
	out := make([]DailyStat, 0, len(rows))
	for _, r := range rows {
		out = append(out, DailyStat{Date: r.Keys[0], FunnelID: r.Keys[1], TrafficSourceID: r.Keys[2],
			Entrances: r.Entrances, Conversions: r.Conversions, Revenue: r.Revenue, Cost: r.Cost, Profit: r.Profit()})
	}
	return out
}

// Report computes a report, rows ordered by their keys.
func (s *Server) Report(q Query) []Row {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.applyDueLocked()
	return s.reportLocked(q)
}

// fact is one thing counted: an entrance, or a conversion.
type fact struct {
	hit        *Hit
	tx         string
	at         time.Time
	entrance   bool
	revenue    float64
	isConvFact bool
}

func (s *Server) reportLocked(q Query) []Row {
	s.recostLocked()
	converted := map[string]bool{}
	for k := range s.convs {
		converted[k.hit] = true
	}
	byTx := slices.Contains(q.Groupings, GroupConversionTx)
	var facts []fact
	for _, id := range s.hitOrder {
		h := s.hits[id]
		if q.OnlyConverted && !converted[id] {
			continue
		}
		// Chosen: a grouping by transaction has only conversion rows; entrances have none.
		if !byTx {
			facts = append(facts, fact{hit: h, at: h.At, entrance: true})
		}
	}
	for _, c := range s.convs {
		h := s.hits[c.HitID]
		at := h.At
		if q.EventAttributed {
			at = c.At
		}
		facts = append(facts, fact{hit: h, tx: c.Transaction, at: at, revenue: c.Payout, isConvFact: true})
	}
	rows := map[string]*Row{}
	for _, f := range facts {
		if f.at.Before(q.Start) || !f.at.Before(q.End) {
			continue
		}
		keys := make([]string, len(q.Groupings))
		for i, g := range q.Groupings {
			switch g {
			case GroupDate:
				keys[i] = f.at.In(q.Zone).Format("2006-01-02")
			case GroupFunnel:
				keys[i] = f.hit.FunnelID
			case GroupTrafficSource:
				keys[i] = f.hit.TrafficSourceID
			case GroupHitID:
				keys[i] = f.hit.ID
			case GroupConversionTx:
				keys[i] = f.tx
			}
		}
		k := strings.Join(keys, "\x00")
		r, ok := rows[k]
		if !ok {
			r = &Row{Keys: keys}
			rows[k] = r
		}
		if f.entrance {
			r.Entrances++
			r.Cost += f.hit.cost
		}
		if f.isConvFact {
			r.Conversions++
			r.Revenue += f.revenue
		}
	}
	out := make([]Row, 0, len(rows))
	for _, r := range rows {
		r.Cost, r.Revenue = round2(r.Cost), round2(r.Revenue)
		out = append(out, *r)
	}
	slices.SortFunc(out, func(a, b Row) int { return slices.Compare(a.Keys, b.Keys) })
	return out
}

// metricCell is one metric's raw value: money always as a string with two decimals [Chosen:
// the numbers-as-strings quirk], counts as numbers unless NumbersAsStrings.
func (s *Server) metricCell(name string, r Row) (raw any, formatted string) {
	money := func(v float64) (any, string) {
		t := strconv.FormatFloat(v, 'f', 2, 64)
		return t, "$" + t
	}
	count := func(n int64) (any, string) {
		t := strconv.FormatInt(n, 10)
		if s.numStrings {
			return t, t
		}
		return n, t
	}
	switch name {
	case "Entrances":
		return count(r.Entrances)
	case "Conv.":
		return count(r.Conversions)
	case "Revenue":
		return money(r.Revenue)
	case "Cost":
		return money(r.Cost)
	case "P/L":
		return money(r.Profit())
	case "ROI":
		if r.Cost == 0 {
			return nil, "-"
		}
		roi := round2((r.Revenue - r.Cost) / r.Cost * 100)
		return strconv.FormatFloat(roi, 'f', 2, 64), strconv.FormatFloat(roi, 'f', 2, 64) + "%"
	}
	return nil, ""
}
