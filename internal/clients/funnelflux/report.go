package funnelflux

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"time"
	"unicode"

	"github.com/syncd-dev/syncd/internal/clients/flex"
	"github.com/syncd-dev/syncd/internal/clients/upstream"
)

// DateLayout is how a report day is written.
const DateLayout = "2006-01-02"

// ReportRange is a report's days: First to Last, both included, as calendar days in TimeZone.
type ReportRange struct {
	// First and Last are "2006-01-02" dates, Last not before First.
	First, Last string
	// TimeZone is an IANA zone name ("America/Chicago"; "" = UTC).
	TimeZone string
}

// bounds returns the range as [start, end) instants: local midnights in the zone.
func (r ReportRange) bounds() (start, end time.Time, loc *time.Location, err error) {
	loc = time.UTC
	if r.TimeZone != "" {
		if loc, err = time.LoadLocation(r.TimeZone); err != nil {
			return start, end, nil, fmt.Errorf("report time zone: %w", err)
		}
	}
	first, err := time.ParseInLocation(DateLayout, r.First, loc)
	if err != nil {
		return start, end, nil, fmt.Errorf("report first day: %w", err)
	}
	last, err := time.ParseInLocation(DateLayout, r.Last, loc)
	if err != nil {
		return start, end, nil, fmt.Errorf("report last day: %w", err)
	}
	if last.Before(first) {
		return start, end, nil, fmt.Errorf("report range %s..%s: last day before first", r.First, r.Last)
	}
	return first, last.AddDate(0, 0, 1), loc, nil
}

// DailyStat is one row of the daily report: one day × funnel × traffic source. Metrics the
// answer leaves null or out are zero.
type DailyStat struct {
	// Date is the day in the report's zone, "2006-01-02".
	Date            string
	FunnelID        string
	TrafficSourceID string
	Entrances       int64
	Conversions     int64
	Revenue         float64
	Cost            float64
	Profit          float64
	// Raw is the row as received.
	Raw json.RawMessage
}

// ConversionStat is one row of the conversion report: the conversions of one hit and
// transaction, with the funnel and traffic source of the hit's visit, counted on the day the
// hit entered the funnel (entrance-attributed, as DailyStat is), so that a lease lands on the
// same day × funnel × traffic source row as the traffic cost that bought it.
type ConversionStat struct {
	// Date is the hit's entrance day in the report's zone, "2006-01-02" (not the day the
	// conversion was applied).
	Date            string
	FunnelID        string
	TrafficSourceID string
	HitID           string
	Transaction     string
	Conversions     int64
	Revenue         float64
	Raw             json.RawMessage
}

// DailyStats pulls the drilldown report grouped by date × funnel × traffic source over r,
// attributed to the entrance time, page by page until rowsTotal rows have been read, and hands
// each page's rows to fn.
func (c *Client) DailyStats(ctx context.Context, r ReportRange, fn func([]DailyStat) error) error {
	err := c.report(ctx, r, dailyQuery, func(rows []reportRow) error {
		out := make([]DailyStat, 0, len(rows))
		for _, row := range rows {
			out = append(out, DailyStat{Date: row.date, FunnelID: row.keys[1], TrafficSourceID: row.keys[2],
				Entrances: int64(row.metrics[0]), Conversions: int64(row.metrics[1]), Revenue: row.metrics[2],
				Cost: row.metrics[3], Profit: row.metrics[4], Raw: row.raw})
		}
		return fn(out)
	})
	if err != nil {
		return fmt.Errorf("funnelflux daily stats %s..%s: %w", r.First, r.Last, err)
	}
	return nil
}

// Conversions pulls the drilldown report grouped by date × funnel × traffic source × hit id ×
// conversion transaction over r, converted hits only, attributed to the entrance time: a
// conversion shows on its hit's entrance day, so r must reach back to the entrances of the hits
// looked for (a conversion sent today for a hit that entered before r is not in it). It is how a
// queued conversion update is seen applied, and where it is attributed.
func (c *Client) Conversions(ctx context.Context, r ReportRange, fn func([]ConversionStat) error) error {
	err := c.report(ctx, r, conversionQuery, func(rows []reportRow) error {
		out := make([]ConversionStat, 0, len(rows))
		for _, row := range rows {
			out = append(out, ConversionStat{Date: row.date, FunnelID: row.keys[1], TrafficSourceID: row.keys[2],
				HitID: row.keys[3], Transaction: row.keys[4], Conversions: int64(row.metrics[0]), Revenue: row.metrics[1],
				Raw: row.raw})
		}
		return fn(out)
	})
	if err != nil {
		return fmt.Errorf("funnelflux conversions %s..%s: %w", r.First, r.Last, err)
	}
	return nil
}

// reportQuery is what differs between the reports: groupings (the first is always the date),
// metrics read, attribution.
type reportQuery struct {
	groupings     []string
	metrics       []string
	attribution   string
	onlyConverted bool
}

// dailyQuery is DailyStats' report: by date × funnel × traffic source, attributed to entrances.
var dailyQuery = reportQuery{groupings: []string{GroupDate, GroupFunnel, GroupTrafficSource},
	attribution: AttributeEntrance,
	metrics:     []string{MetricEntrances, MetricConversions, MetricRevenue, MetricCost, MetricProfit}}

// conversionQuery is Conversions' report: by date × funnel × traffic source × hit ×
// transaction, converted hits only, attributed to entrances like dailyQuery, so that its date,
// funnel and traffic source are those of a dailyQuery row.
var conversionQuery = reportQuery{
	groupings:   []string{GroupDate, GroupFunnel, GroupTrafficSource, GroupHitID, GroupConversionTx},
	attribution: AttributeEntrance, onlyConverted: true, metrics: []string{MetricConversions, MetricRevenue}}

// reportRow is one decoded row: its grouping cells' raw values in groupings order (keys[0] is
// the date as sent, date the normalised day) and its metrics in metrics order.
type reportRow struct {
	keys    []string
	date    string
	metrics []float64
	raw     json.RawMessage
}

// reportBody is the drilldown request for one page [A/I: see contract.go].
func reportBody(start, end time.Time, zone string, q reportQuery, from, length int) map[string]any {
	groupings := make([]map[string]any, 0, len(q.groupings))
	for _, g := range q.groupings {
		groupings = append(groupings, map[string]any{ReqGroupBy: g})
	}
	return map[string]any{
		ReqTimeStart: start.Format(time.RFC3339),
		ReqTimeEnd:   end.Format(time.RFC3339),
		ReqTimeZone:  zone,
		ReqGroupings: groupings,
		ReqPaging:    map[string]any{ReqPagingStart: from, ReqPagingLength: length},
		// A fixed order, so that pages do not shift while rows are read.
		ReqSorting: map[string]any{ReqSortColumn: GroupDate, ReqSortDirection: "asc"},
		ReqOptions: map[string]any{ReqViewType: ViewFlat, ReqTimeAttribution: q.attribution,
			ReqOnlyConverted: q.onlyConverted},
	}
}

// report pages through one drilldown report: pages of ReportPageSize from 0 until rowsTotal rows
// were read. A page that brings no rows before then fails the pull (a report that shrank while
// it was read, or a paging field that is not the one expected), rather than loop or stop short.
func (c *Client) report(ctx context.Context, r ReportRange, q reportQuery, fn func([]reportRow) error) error {
	start, end, loc, err := r.bounds()
	if err != nil {
		return err
	}
	zone := loc.String()
	for from, page := 0, 0; ; page++ {
		var rp reportPage
		decode := upstream.DecodeFunc(func(raw []byte) (err error) {
			rp, err = decodeReport(raw, q, loc)
			return err
		})
		req := upstream.Request{Method: http.MethodPost, Path: PathDrilldown, Op: OpDrilldown, Idempotent: true,
			Body: reportBody(start, end, zone, q, from, c.cfg.ReportPageSize)}
		if err := c.do(ctx, req, decode); err != nil {
			return fmt.Errorf("report page %d: %w", page, err)
		}
		if len(rp.rows) > 0 {
			if err := fn(rp.rows); err != nil {
				return err
			}
		}
		from += len(rp.rows)
		switch {
		case from >= rp.total:
			return nil
		case len(rp.rows) == 0:
			return fmt.Errorf("report page %d: no rows after %d of %s=%d", page, from, RespRowsTotal, rp.total)
		}
	}
}

// reportPage is one decoded page.
type reportPage struct {
	rows  []reportRow
	total int
}

// reportWire is the drilldown answer [A].
type reportWire struct {
	Columns []struct {
		Name flex.String `json:"name"`
		Type flex.String `json:"type"`
	} `json:"columns"`
	Rows         []json.RawMessage `json:"rows"`
	RowsReturned flex.Int          `json:"rowsReturned"`
	RowsTotal    flex.Int          `json:"rowsTotal"`
}

type rowWire struct {
	Cells []struct {
		Raw       json.RawMessage `json:"raw"`
		Formatted flex.String     `json:"formatted"`
	} `json:"cells"`
}

// decodeReport reads one page: columns are found by name (see columnAliases), so that a
// reordered answer still reads right and a renamed one fails instead of shifting numbers.
func decodeReport(raw []byte, q reportQuery, loc *time.Location) (reportPage, error) {
	var w reportWire
	if err := json.Unmarshal(raw, &w); err != nil {
		return reportPage{}, fmt.Errorf("decode report: %w", err)
	}
	if !w.RowsTotal.Valid {
		return reportPage{}, fmt.Errorf("decode report: no %s", RespRowsTotal)
	}
	index := map[string]int{}
	for i, col := range w.Columns {
		index[normColumn(col.Name.V)] = i
	}
	find := func(name string) (int, error) {
		for _, n := range append([]string{name}, columnAliases[name]...) {
			if i, ok := index[normColumn(n)]; ok {
				return i, nil
			}
		}
		return 0, fmt.Errorf("decode report: no column %q among %d", name, len(w.Columns))
	}
	keyCols := make([]int, len(q.groupings))
	metricCols := make([]int, len(q.metrics))
	if len(w.Rows) > 0 {
		for i, g := range q.groupings {
			var err error
			if keyCols[i], err = find(g); err != nil {
				return reportPage{}, err
			}
		}
		for i, m := range q.metrics {
			var err error
			if metricCols[i], err = find(m); err != nil {
				return reportPage{}, err
			}
		}
	}
	out := reportPage{total: int(w.RowsTotal.V), rows: make([]reportRow, 0, len(w.Rows))}
	for n, rr := range w.Rows {
		var row rowWire
		if err := json.Unmarshal(rr, &row); err != nil {
			return reportPage{}, fmt.Errorf("decode report row %d: %w", n, err)
		}
		cell := func(i int) (json.RawMessage, flex.String, error) {
			if i >= len(row.Cells) {
				return nil, flex.String{}, fmt.Errorf("decode report row %d: %d cells, column %d missing", n, len(row.Cells), i)
			}
			return row.Cells[i].Raw, row.Cells[i].Formatted, nil
		}
		rec := reportRow{raw: rr, keys: make([]string, len(keyCols)), metrics: make([]float64, len(metricCols))}
		for i, col := range keyCols {
			v, f, err := cell(col)
			if err != nil {
				return reportPage{}, err
			}
			var s flex.String
			if err := json.Unmarshal(orNull(v), &s); err != nil {
				return reportPage{}, fmt.Errorf("decode report row %d %q: %w", n, q.groupings[i], err)
			}
			if !s.Valid {
				s = f
			}
			rec.keys[i] = s.V
		}
		day, err := reportDay(rec.keys[0], loc)
		if err != nil {
			return reportPage{}, fmt.Errorf("decode report row %d: %w", n, err)
		}
		rec.date = day
		for i, col := range metricCols {
			v, _, err := cell(col)
			if err != nil {
				return reportPage{}, err
			}
			var f flex.Float
			if err := json.Unmarshal(orNull(v), &f); err != nil {
				return reportPage{}, fmt.Errorf("decode report row %d %q: %w", n, q.metrics[i], err)
			}
			rec.metrics[i] = f.V
		}
		out.rows = append(out.rows, rec)
	}
	return out, nil
}

func orNull(v json.RawMessage) json.RawMessage {
	if len(bytes.TrimSpace(v)) == 0 {
		return json.RawMessage("null")
	}
	return v
}

// reportDay reads a date cell: "2006-01-02", or a time (RFC3339 or Unix) read as the day it
// falls on in the report's zone [I].
func reportDay(s string, loc *time.Location) (string, error) {
	s = strings.TrimSpace(s)
	if t, err := time.Parse(DateLayout, s); err == nil {
		return t.Format(DateLayout), nil
	}
	if t, err := flex.ParseTime(s); err == nil {
		return t.In(loc).Format(DateLayout), nil
	}
	var ts flex.Time
	if json.Unmarshal([]byte(s), &ts) == nil && ts.Valid {
		return ts.V.In(loc).Format(DateLayout), nil
	}
	return "", fmt.Errorf("date cell %q is not a date", s)
}

// normColumn compares column names without case, spaces or punctuation.
func normColumn(s string) string {
	var b strings.Builder
	for _, r := range s {
		if unicode.IsLetter(r) || unicode.IsDigit(r) || r == '/' {
			b.WriteRune(unicode.ToLower(r))
		}
	}
	return b.String()
}
