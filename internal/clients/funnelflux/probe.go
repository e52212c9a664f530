package funnelflux

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"time"

	"github.com/syncd-dev/syncd/internal/clients/flex"
	"github.com/syncd-dev/syncd/internal/clients/upstream"
)

// The calls below are for checking the live API (syncd probe): each makes the request the pull
// makes, through the same upstream layer and token handling, and returns the body as received
// and what the exchange looked like. None writes anything upstream.

// ValidateExchange calls POST /auth/validate as Validate does (keeping the token it returns) and
// returns the answer's body with its tokens masked, and the exchange.
func (c *Client) ValidateExchange(ctx context.Context) ([]byte, upstream.Exchange, error) {
	return c.tokens.validateExchange(ctx)
}

// FetchAsset fetches one asset list as List does.
func (c *Client) FetchAsset(ctx context.Context, a Asset) ([]byte, upstream.Exchange, error) {
	var ex upstream.Exchange
	req := listRequest(a)
	req.Exchange = &ex
	var body []byte
	if err := c.do(ctx, req, &body); err != nil {
		return nil, ex, fmt.Errorf("fetch funnelflux %s: %w", a, err)
	}
	return body, ex, nil
}

// FetchAttributes fetches the list of report attributes (groupings), which syncd does not use
// but which names the groupings that contract.go guesses.
func (c *Client) FetchAttributes(ctx context.Context) ([]byte, upstream.Exchange, error) {
	var ex upstream.Exchange
	var body []byte
	req := upstream.Request{Method: http.MethodGet, Path: PathAttributes, Op: OpAttributes, Exchange: &ex}
	if err := c.do(ctx, req, &body); err != nil {
		return nil, ex, fmt.Errorf("fetch funnelflux report attributes: %w", err)
	}
	return body, ex, nil
}

// FetchDailyStatsPage fetches the first page of the daily-stats report over r, with length rows,
// as DailyStats asks for it.
func (c *Client) FetchDailyStatsPage(ctx context.Context, r ReportRange, length int) ([]byte, upstream.Exchange, error) {
	return c.fetchReportPage(ctx, r, dailyQuery, length)
}

// FetchConversionsPage fetches the first page of the conversion report over r, as Conversions
// asks for it.
func (c *Client) FetchConversionsPage(ctx context.Context, r ReportRange, length int) ([]byte, upstream.Exchange, error) {
	return c.fetchReportPage(ctx, r, conversionQuery, length)
}

func (c *Client) fetchReportPage(ctx context.Context, r ReportRange, q reportQuery, length int) ([]byte, upstream.Exchange, error) {
	var ex upstream.Exchange
	start, end, loc, err := r.bounds()
	if err != nil {
		return nil, ex, err
	}
	var body []byte
	req := upstream.Request{Method: http.MethodPost, Path: PathDrilldown, Op: OpDrilldown, Idempotent: true,
		Body: reportBody(start, end, loc.String(), q, 0, length), Exchange: &ex}
	if err := c.do(ctx, req, &body); err != nil {
		return nil, ex, fmt.Errorf("fetch funnelflux report page: %w", err)
	}
	return body, ex, nil
}

// CheckDailyStatsPage decodes a daily-stats report page as DailyStats does, and returns its rows
// and rowsTotal.
func CheckDailyStatsPage(body []byte, timeZone string) (rows, total int, err error) {
	return checkReportPage(body, dailyQuery, timeZone)
}

// CheckConversionsPage decodes a conversion report page as Conversions does.
func CheckConversionsPage(body []byte, timeZone string) (rows, total int, err error) {
	return checkReportPage(body, conversionQuery, timeZone)
}

func checkReportPage(body []byte, q reportQuery, timeZone string) (int, int, error) {
	loc := time.UTC
	if timeZone != "" {
		var err error
		if loc, err = time.LoadLocation(timeZone); err != nil {
			return 0, 0, err
		}
	}
	p, err := decodeReport(body, q, loc)
	if err != nil {
		return 0, 0, err
	}
	return len(p.rows), p.total, nil
}

// Shape describes how the mapper reads a's records (see flex.Shape).
func (a Asset) Shape() flex.Shape {
	switch a {
	case Funnels:
		return flex.Shape{Record: Funnel{}, ID: idFields[a][0], StringIDs: true,
			Decode: func(raw json.RawMessage) error { _, err := DecodeFunnel(raw); return err }}
	case FunnelGroups:
		return flex.Shape{Record: FunnelGroup{}, ID: idFields[a][0], StringIDs: true, IDAliases: idFields[a][1:],
			Decode: func(raw json.RawMessage) error { _, err := DecodeFunnelGroup(raw); return err }}
	case TrafficSources:
		return flex.Shape{Record: TrafficSource{}, ID: idFields[a][0], StringIDs: true,
			Decode: func(raw json.RawMessage) error { _, err := DecodeTrafficSource(raw); return err }}
	}
	panic(fmt.Sprintf("funnelflux: no shape for asset %q", a))
}
