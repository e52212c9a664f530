package funnelflux_test

import (
	"bytes"
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/syncd-dev/syncd/internal/clients/funnelflux"
	"github.com/syncd-dev/syncd/internal/clients/upstream"
	"github.com/syncd-dev/syncd/internal/testing/funnelfluxfake"
)

// The probe's fetches ask exactly what the pull asks (the report's paging.length aside), and
// return the body as the API sent it with the exchange.
func TestFetchIsWhatThePullAsks(t *testing.T) {
	b := setup(t, nil, nil)
	ctx := context.Background()
	same := func(what string, pull, fetch func() error) {
		t.Helper()
		b.fake.ResetRequests()
		if err := pull(); err != nil {
			t.Fatal(err)
		}
		x := b.fake.Requests()[0]
		b.fake.ResetRequests()
		if err := fetch(); err != nil {
			t.Fatal(err)
		}
		y := b.fake.Requests()[0]
		if x.Method != y.Method || x.Path != y.Path || x.RawQuery != y.RawQuery || !sameExceptLength(t, x.Body, y.Body) {
			t.Errorf("%s: fetched %s %s?%s %s, pulled %s %s?%s %s", what, y.Method, y.Path, y.RawQuery, y.Body,
				x.Method, x.Path, x.RawQuery, x.Body)
		}
	}
	for _, a := range funnelflux.Assets {
		same(string(a), func() error {
			return b.client.List(ctx, a, func(upstream.Page) error { return nil })
		}, func() error {
			body, ex, err := b.client.FetchAsset(ctx, a)
			if err == nil && (ex.Status != 200 || len(body) == 0 || body[0] != '[') {
				t.Errorf("%s: exchange %+v body %.20q", a, ex, body)
			}
			return err
		})
	}
	r := lastDays(3)
	same("daily stats", func() error {
		return b.client.DailyStats(ctx, r, func([]funnelflux.DailyStat) error { return nil })
	}, func() error {
		body, _, err := b.client.FetchDailyStatsPage(ctx, r, 5)
		if rows, total, cerr := funnelflux.CheckDailyStatsPage(body, r.TimeZone); cerr != nil || rows != 5 || total < 5 {
			t.Errorf("daily stats page: %d of %d rows, %v", rows, total, cerr)
		}
		return err
	})
	same("conversions", func() error {
		return b.client.Conversions(ctx, r, func([]funnelflux.ConversionStat) error { return nil })
	}, func() error {
		body, _, err := b.client.FetchConversionsPage(ctx, r, 5)
		if _, _, cerr := funnelflux.CheckConversionsPage(body, r.TimeZone); cerr != nil {
			t.Errorf("conversions page: %v", cerr)
		}
		return err
	})
	// The token check answers with its tokens masked.
	body, ex, err := b.client.ValidateExchange(ctx)
	if err != nil || ex.Status != 200 || bytes.Contains(body, []byte(access)) || !bytes.Contains(body, []byte(upstream.Redacted)) {
		t.Errorf("validate: %v, %+v, %s", err, ex, body)
	}
	if b.fake.Calls(funnelfluxfake.EndpointConversions) != 0 {
		t.Error("a fetch wrote")
	}
}

// sameExceptLength compares two JSON bodies with paging.length left out.
func sameExceptLength(t *testing.T, x, y []byte) bool {
	t.Helper()
	if len(x) == 0 && len(y) == 0 {
		return true
	}
	norm := func(b []byte) string {
		var m map[string]any
		if err := json.Unmarshal(b, &m); err != nil {
			t.Fatalf("body %s: %v", b, err)
		}
		if p, ok := m["paging"].(map[string]any); ok {
			delete(p, "length")
		}
		out, _ := json.Marshal(m)
		return string(out)
	}
	return strings.EqualFold(norm(x), norm(y))
}
