package funnelflux_test

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/syncd-dev/syncd/internal/clients/funnelflux"
	"github.com/syncd-dev/syncd/internal/clients/upstream"
	"github.com/syncd-dev/syncd/internal/testing/fakeapi"
	"github.com/syncd-dev/syncd/internal/testing/funnelfluxfake"
)

const (
	access  = "ffat_initial-access-token"
	refresh = "ffrt_the-refresh-token"
	zone    = "America/Chicago"
)

// clock is the fake's clock, moved by hand.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// bundle is one test's fake, its clock, what was seeded, and a client of it.
type bundle struct {
	fake   *funnelfluxfake.Server
	clock  *clock
	seeded funnelfluxfake.Seeded
	client *funnelflux.Client
}

// now is the fake's clock at the start of each test.
var now = time.Date(2026, 11, 28, 18, 30, 0, 0, time.UTC)

// setup starts a seeded fake (opts may change its options) and a client with fast retries.
func setup(t *testing.T, opts func(*funnelfluxfake.Options), cfg func(*funnelflux.Config)) *bundle {
	t.Helper()
	clk := &clock{t: now}
	o := funnelfluxfake.Options{AccessToken: access, RefreshToken: refresh, Now: clk.Now}
	if opts != nil {
		opts(&o)
	}
	fake := funnelfluxfake.NewUnstarted(o)
	seeded := funnelfluxfake.Seed(fake, funnelfluxfake.SeedOptions{Seed: 7, Days: 8, HitsPerDay: 30, Zone: zone})
	if err := fake.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(fake.Close)
	c := funnelflux.Config{BaseURL: fake.BaseURL(), AccessToken: access, RefreshToken: refresh,
		Upstream: upstream.Config{Retry: upstream.RetryPolicy{Base: time.Millisecond, Cap: time.Millisecond, MaxAttempts: 3}}}
	if cfg != nil {
		cfg(&c)
	}
	client, err := funnelflux.New(c, nil)
	if err != nil {
		t.Fatal(err)
	}
	return &bundle{fake: fake, clock: clk, seeded: seeded, client: client}
}

func lastDays(n int) funnelflux.ReportRange {
	loc, _ := time.LoadLocation(zone)
	last := now.In(loc)
	return funnelflux.ReportRange{First: last.AddDate(0, 0, -(n - 1)).Format(funnelflux.DateLayout),
		Last: last.Format(funnelflux.DateLayout), TimeZone: zone}
}

func collectDaily(t *testing.T, c *funnelflux.Client, r funnelflux.ReportRange) ([]funnelflux.DailyStat, int) {
	t.Helper()
	var rows []funnelflux.DailyStat
	pages := 0
	err := c.DailyStats(context.Background(), r, func(p []funnelflux.DailyStat) error {
		pages++
		rows = append(rows, p...)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return rows, pages
}

func TestAssetsDecodeWithLegacyAliasAndStringIDs(t *testing.T) {
	b := setup(t, nil, nil)
	ctx := context.Background()
	groups, err := b.client.ListFunnelGroups(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var keys []string
	for _, g := range groups {
		keys = append(keys, g.Key())
		if !g.DisplayName().Valid || len(g.Raw) == 0 {
			t.Errorf("group %s: name %v, raw %d bytes", g.Key(), g.DisplayName(), len(g.Raw))
		}
	}
	if !slices.Equal(keys, b.seeded.FunnelGroups) {
		t.Errorf("group keys %v, want %v (the legacy one by idCampaign)", keys, b.seeded.FunnelGroups)
	}
	funnels, err := b.client.ListFunnels(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(funnels) != 3 {
		t.Fatalf("%d funnels", len(funnels))
	}
	for _, f := range funnels {
		if !slices.Contains(b.seeded.FunnelGroups, f.GroupID()) {
			t.Errorf("funnel %s: group %q is not a seeded group", f.ID.Text, f.GroupID())
		}
	}
	if legacy := funnels[2]; legacy.FunnelGroupID.Valid() || legacy.GroupID() != b.seeded.FunnelGroups[1] {
		t.Errorf("legacy funnel: idFunnelGroup %v, GroupID %q", legacy.FunnelGroupID, legacy.GroupID())
	}
	sources, err := b.client.ListTrafficSources(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(sources) != 3 || sources[0].Name.V != "Google Ads" || !sources[0].UpdatedAt.Valid {
		t.Errorf("traffic sources %+v", sources)
	}
}

func TestAssetsTolerateNullsNumbersAndUnknownFields(t *testing.T) {
	b := setup(t, nil, nil)
	id := b.seeded.TrafficSources[0]
	b.fake.SetAssetField(funnelfluxfake.ResourceTrafficSources, id, "trafficSourceName", nil)
	b.fake.SetAssetField(funnelfluxfake.ResourceTrafficSources, id, "idCategory", 42)
	b.fake.SetAssetField(funnelfluxfake.ResourceTrafficSources, id, "brandNewField", map[string]any{"x": []int{1}})
	b.fake.SetAssetField(funnelfluxfake.ResourceTrafficSources, id, "updatedAt", "2026-11-28T10:00:00.123+01:00")
	sources, err := b.client.ListTrafficSources(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	s := sources[0]
	if s.Name.Valid || s.CategoryID.Text != "42" || !s.UpdatedAt.V.Equal(time.Date(2026, 11, 28, 9, 0, 0, 123e6, time.UTC)) {
		t.Errorf("decoded %+v", s)
	}
	if !strings.Contains(string(s.Raw), `"brandNewField"`) {
		t.Errorf("raw lost the unknown field: %s", s.Raw)
	}
	got, err := funnelflux.RecordID(funnelflux.TrafficSources, s.Raw)
	if err != nil || got != id {
		t.Errorf("RecordID = %q, %v", got, err)
	}
}

func TestDailyStatsPagesToRowsTotal(t *testing.T) {
	for _, tt := range []struct {
		name       string
		pageSize   int
		numStrings bool
	}{
		{"one page", 0, false},
		{"pages of 7, numbers as strings", 7, true},
		{"pages of 1", 1, false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			b := setup(t, func(o *funnelfluxfake.Options) { o.NumbersAsStrings = tt.numStrings },
				func(c *funnelflux.Config) { c.ReportPageSize = tt.pageSize })
			r := lastDays(7)
			rows, pages := collectDaily(t, b.client, r)
			want := b.fake.DailyStats(r.First, r.Last, zone)
			if len(want) < 20 {
				t.Fatalf("the seed gives only %d rows", len(want))
			}
			if len(rows) != len(want) {
				t.Fatalf("%d rows, want %d", len(rows), len(want))
			}
			for i, w := range want {
				g := rows[i]
				if g.Date != w.Date || g.FunnelID != w.FunnelID || g.TrafficSourceID != w.TrafficSourceID ||
					g.Entrances != w.Entrances || g.Conversions != w.Conversions || g.Revenue != w.Revenue ||
					g.Cost != w.Cost || g.Profit != w.Profit || len(g.Raw) == 0 {
					t.Fatalf("row %d = %+v, want %+v", i, g, w)
				}
			}
			size := tt.pageSize
			if size == 0 {
				size = funnelflux.ReportPageSize
			}
			if wantPages := (len(want) + size - 1) / size; pages != wantPages || b.fake.Calls(funnelfluxfake.EndpointDrilldown) != wantPages {
				t.Errorf("%d pages handed over, %d calls, want %d", pages, b.fake.Calls(funnelfluxfake.EndpointDrilldown), wantPages)
			}
		})
	}
}

func TestDailyStatsReflectsOneDaysCostChange(t *testing.T) {
	b := setup(t, nil, nil)
	r := lastDays(7)
	before, _ := collectDaily(t, b.client, r)
	row := before[3]
	b.fake.SetDayCost(row.Date, zone, row.FunnelID, row.TrafficSourceID, 1234.5)
	after, _ := collectDaily(t, b.client, r)
	var changed []int
	for i := range after {
		if after[i].Cost != before[i].Cost || after[i].Profit != before[i].Profit {
			changed = append(changed, i)
		}
	}
	if !slices.Equal(changed, []int{3}) || after[3].Cost != 1234.5 || after[3].Profit != after[3].Revenue-1234.5 {
		t.Errorf("rows changed %v; row 3 now %+v", changed, after[3])
	}
}

// TestDecodeReportByName: the answer is read by column name, so a renamed metric fails
// the pull instead of shifting numbers into the wrong column.
func TestDecodeReportByName(t *testing.T) {
	srv := fakeReport(t, `{"columns":[{"name":"Traffic Source"},{"name":"date"},{"name":"Funnel"},{"name":"P/L"},`+
		`{"name":"Cost"},{"name":"Conversions"},{"name":"Revenue"},{"name":"Entrances"}],`+
		`"rows":[{"cells":[{"raw":"ts1"},{"raw":"2026-11-20T00:00:00-06:00"},{"raw":null,"formatted":"f1"},{"raw":"-1.5"},`+
		`{"raw":"3.5"},{"raw":"1"},{"raw":2},{"raw":"10"}],"extra":true}],"rowsReturned":1,"rowsTotal":1}`)
	rows, _ := collectDaily(t, srv, funnelflux.ReportRange{First: "2026-11-20", Last: "2026-11-20", TimeZone: zone})
	want := funnelflux.DailyStat{Date: "2026-11-20", FunnelID: "f1", TrafficSourceID: "ts1", Entrances: 10,
		Conversions: 1, Revenue: 2, Cost: 3.5, Profit: -1.5}
	got := rows[0]
	got.Raw = nil
	if len(rows) != 1 || got.Date != want.Date || got.FunnelID != want.FunnelID || got.TrafficSourceID != want.TrafficSourceID ||
		got.Entrances != want.Entrances || got.Conversions != want.Conversions || got.Revenue != want.Revenue ||
		got.Cost != want.Cost || got.Profit != want.Profit {
		t.Errorf("rows %+v, want %+v", rows, want)
	}

	bad := fakeReport(t, `{"columns":[{"name":"Date"},{"name":"Funnel"},{"name":"Traffic Source"},{"name":"Visits"},`+
		`{"name":"Conv."},{"name":"Revenue"},{"name":"Cost"},{"name":"P/L"}],"rows":[{"cells":[]}],"rowsTotal":1}`)
	err := bad.DailyStats(context.Background(), lastDays(1), func([]funnelflux.DailyStat) error { return nil })
	if err == nil || !strings.Contains(err.Error(), `no column "Entrances"`) {
		t.Errorf("renamed column: %v", err)
	}
}

// TestReportFailsWhenRowsStopBeforeRowsTotal: a page without rows before rowsTotal is reached
// fails the pull rather than loop or stop short.
func TestReportFailsWhenRowsStopBeforeRowsTotal(t *testing.T) {
	c := fakeReport(t, `{"columns":[],"rows":[],"rowsReturned":0,"rowsTotal":"5"}`)
	err := c.DailyStats(context.Background(), lastDays(1), func([]funnelflux.DailyStat) error { return nil })
	if err == nil || !strings.Contains(err.Error(), "no rows after 0 of rowsTotal=5") {
		t.Errorf("err = %v", err)
	}
}

// fakeReport is a client of a server that answers every drilldown with body (and every
// validate with the same token).
func fakeReport(t *testing.T, body string) *funnelflux.Client {
	t.Helper()
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(body))
	})
	s, err := fakeapi.Start(h, "")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Close)
	c, err := funnelflux.New(funnelflux.Config{BaseURL: s.URL + "/v1", AccessToken: access,
		Upstream: upstream.Config{Retry: upstream.RetryPolicy{MaxAttempts: 1}}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestValidateKeepsTheTokenAndRenewsAnExpiredOne(t *testing.T) {
	b := setup(t, nil, nil)
	ctx := context.Background()
	if err := b.client.Validate(ctx); err != nil {
		t.Fatal(err)
	}
	ts := b.client.Tokens()
	if ts.Token() != access || !ts.ExpiresAt().Equal(now.Add(72*time.Hour)) || b.fake.Refreshes() != 0 {
		t.Fatalf("valid token: %q until %v, %d refreshes", ts.Token(), ts.ExpiresAt(), b.fake.Refreshes())
	}
	b.clock.Add(73 * time.Hour)
	if err := b.client.Validate(ctx); err != nil {
		t.Fatal(err)
	}
	if ts.Token() == access || ts.Token() != b.fake.ValidToken() || ts.Renewals() != 1 || b.fake.Refreshes() != 1 {
		t.Errorf("after expiry: %q (fake: %q), %d renewals, %d refreshes", ts.Token(), b.fake.ValidToken(), ts.Renewals(), b.fake.Refreshes())
	}
	if !ts.ExpiresAt().Equal(b.clock.Now().Add(72 * time.Hour)) {
		t.Errorf("expires at %v", ts.ExpiresAt())
	}
	// Every request carried the refresh token in the body and the access token in the header.
	for _, r := range b.fake.Requests() {
		var body map[string]string
		if err := json.Unmarshal(r.Body, &body); err != nil || body["refresh_token"] != refresh ||
			!strings.HasPrefix(r.Header.Get("Authorization"), "Bearer ") {
			t.Errorf("validate request body %s header %q", r.Body, r.Header.Get("Authorization"))
		}
	}
}

// TestExpiryMidSequenceRefreshesOnceForConcurrentCallers: the token expires between calls; the
// callers that meet the 401 together renew it with one /auth/validate and all complete.
func TestExpiryMidSequenceRefreshesOnceForConcurrentCallers(t *testing.T) {
	for _, status := range []int{http.StatusUnauthorized, http.StatusBadRequest} {
		t.Run(http.StatusText(status), func(t *testing.T) {
			b := setup(t, func(o *funnelfluxfake.Options) { o.ExpiredStatus = status }, nil)
			ctx := context.Background()
			if _, err := b.client.ListFunnels(ctx); err != nil {
				t.Fatal(err)
			}
			b.fake.ExpireAccessTokens()
			const callers = 8
			var wg sync.WaitGroup
			errs := make([]error, callers)
			for i := range callers {
				wg.Add(1)
				go func() {
					defer wg.Done()
					switch i % 3 {
					case 0:
						_, errs[i] = b.client.ListTrafficSources(ctx)
					case 1:
						_, errs[i] = b.client.ListFunnelGroups(ctx)
					default:
						errs[i] = b.client.DailyStats(ctx, lastDays(2), func([]funnelflux.DailyStat) error { return nil })
					}
				}()
			}
			wg.Wait()
			for i, err := range errs {
				if err != nil {
					t.Errorf("caller %d: %v", i, err)
				}
			}
			if b.fake.Validations() != 1 || b.fake.Refreshes() != 1 || b.client.Tokens().Validations() != 1 {
				t.Errorf("%d validate calls, %d tokens issued, want 1 each", b.fake.Validations(), b.fake.Refreshes())
			}
			// Each caller was refused at most once and retried once.
			refused := 0
			for _, r := range b.fake.Requests() {
				if r.Status == status {
					refused++
				}
			}
			if refused < 1 || refused > callers {
				t.Errorf("%d refused requests for %d callers", refused, callers)
			}
		})
	}
}

func TestRevokedRefreshTokenNeedsReauthorisation(t *testing.T) {
	b := setup(t, nil, nil)
	ctx := context.Background()
	b.fake.RevokeRefreshToken()
	// While the access token is valid, the revocation is not seen.
	if err := b.client.Validate(ctx); err != nil {
		t.Fatal(err)
	}
	b.clock.Add(72 * time.Hour)
	_, err := b.client.ListFunnels(ctx)
	if !errors.Is(err, funnelflux.ErrReauthRequired) || !errors.Is(err, upstream.ErrCredentialsRejected) ||
		!strings.Contains(err.Error(), "re-authorisation needed") {
		t.Fatalf("err = %v", err)
	}
	for _, secret := range []string{access, refresh} {
		if strings.Contains(err.Error(), secret) {
			t.Errorf("error shows a token: %v", err)
		}
	}
	// Callers that saw the same token refused get the failure without another refresh.
	calls := b.fake.Validations()
	if _, err := b.client.ListTrafficSources(ctx); !errors.Is(err, funnelflux.ErrReauthRequired) {
		t.Errorf("second call: %v", err)
	}
	if b.fake.Validations() != calls {
		t.Errorf("a second refresh was tried: %d validate calls, want %d", b.fake.Validations(), calls)
	}
	// Validate at the next job start tries again, and fails the same way.
	if err := b.client.Validate(ctx); !errors.Is(err, funnelflux.ErrReauthRequired) {
		t.Errorf("validate: %v", err)
	}
	// Re-authorised upstream: the tenant's new tokens work.
	b.fake.SetRefreshToken("ffrt_new")
	c2, err := funnelflux.New(funnelflux.Config{BaseURL: b.fake.BaseURL(), AccessToken: access, RefreshToken: "ffrt_new"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := c2.Validate(ctx); err != nil {
		t.Errorf("after re-authorisation: %v", err)
	}
}

func TestNoRefreshTokenNeedsReauthorisation(t *testing.T) {
	b := setup(t, nil, func(c *funnelflux.Config) { c.RefreshToken = "" })
	b.clock.Add(80 * time.Hour)
	err := b.client.Validate(context.Background())
	if !errors.Is(err, funnelflux.ErrReauthRequired) || !strings.Contains(err.Error(), "no refresh token") {
		t.Errorf("err = %v", err)
	}
}

// TestRateLimitHonoursRetryAfter: a 429 with Retry-After is waited out, then the call completes.
func TestRateLimitHonoursRetryAfter(t *testing.T) {
	b := setup(t, nil, func(c *funnelflux.Config) {
		c.Upstream.Retry = upstream.RetryPolicy{Base: time.Millisecond, Cap: time.Millisecond, MaxAttempts: 3, MaxRetryAfter: 5 * time.Second}
	})
	b.fake.Faults().Script(func(r *http.Request) bool { return r.Method == http.MethodPost }, fakeapi.FaultRateLimit, 1)
	rows, _ := collectDaily(t, b.client, lastDays(1))
	if len(rows) == 0 {
		t.Fatal("no rows")
	}
	reqs := b.fake.Requests()
	if len(reqs) != 2 || reqs[0].Status != http.StatusTooManyRequests || reqs[1].Status != http.StatusOK {
		t.Fatalf("requests %d", len(reqs))
	}
	// The fault's Retry-After is whole seconds, at least 1: the retry came no sooner.
	if gap := reqs[1].At.Sub(reqs[0].At); gap < time.Second {
		t.Errorf("retried after %v, before the Retry-After", gap)
	}
	if b.client.Retries() != 1 {
		t.Errorf("%d retries", b.client.Retries())
	}
}

// unconvertedHitOn returns a seeded hit without a conversion that entered daysAgo days before
// now (in the report zone), with its record.
func unconvertedHitOn(t *testing.T, b *bundle, daysAgo int) funnelfluxfake.Hit {
	t.Helper()
	loc, _ := time.LoadLocation(zone)
	day := now.In(loc).AddDate(0, 0, -daysAgo).Format(funnelflux.DateLayout)
	for _, id := range b.seeded.Hits {
		h, _ := b.fake.Hit(id)
		if h.At.In(loc).Format(funnelflux.DateLayout) == day && !slices.Contains(b.seeded.ConvertedHits, id) {
			return h
		}
	}
	t.Fatalf("no unconverted hit on %s", day)
	return funnelfluxfake.Hit{}
}

// TestConversionQueuedThenVisibleAfterDelay: a conversion update is seen in the conversion report
// once applied, on its hit's entrance day with the hit's funnel and traffic source (the report is
// entrance-attributed, like the daily report), not on the day it was sent.
func TestConversionQueuedThenVisibleAfterDelay(t *testing.T) {
	b := setup(t, func(o *funnelfluxfake.Options) { o.ConversionDelay = 10 * time.Minute }, nil)
	ctx := context.Background()
	h := unconvertedHitOn(t, b, 3)
	hit := h.ID
	loc, _ := time.LoadLocation(zone)
	entranceDay := h.At.In(loc).Format(funnelflux.DateLayout)
	payout := 1800.0
	err := b.client.UpdateConversions(ctx, funnelflux.ConversionUpdate{PostbackCalls: funnelflux.PostbackOnlyOnce,
		Hits: []funnelflux.ConvertedHit{{HitID: hit, Transaction: "lease-p42-lease-signed", Payout: &payout}}})
	if err != nil {
		t.Fatal(err)
	}
	find := func() []funnelflux.ConversionStat {
		var got []funnelflux.ConversionStat
		err := b.client.Conversions(ctx, lastDays(5), func(rows []funnelflux.ConversionStat) error {
			for _, r := range rows {
				if r.HitID == hit {
					got = append(got, r)
				}
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		return got
	}
	if got := find(); len(got) != 0 || b.fake.Pending() != 1 {
		t.Fatalf("before the delay: %+v, %d pending", got, b.fake.Pending())
	}
	b.clock.Add(10 * time.Minute)
	got := find()
	if len(got) != 1 || got[0].Transaction != "lease-p42-lease-signed" || got[0].Revenue != 1800 || got[0].Conversions != 1 ||
		got[0].Date != entranceDay || got[0].FunnelID != h.FunnelID || got[0].TrafficSourceID != h.TrafficSourceID {
		t.Fatalf("after the delay: %+v; want on %s, funnel %s, traffic source %s", got, entranceDay, h.FunnelID, h.TrafficSourceID)
	}
	// Sent today, it is not in today's report: it counts on its entrance day.
	err = b.client.Conversions(ctx, lastDays(1), func(rows []funnelflux.ConversionStat) error {
		for _, r := range rows {
			if r.HitID == hit {
				t.Errorf("in today's report: %+v", r)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	// Sending it again is the same conversion, not a second one.
	if err := b.client.UpdateConversions(ctx, funnelflux.ConversionUpdate{PostbackCalls: funnelflux.PostbackOnlyOnce,
		Hits: []funnelflux.ConvertedHit{{HitID: hit, Transaction: "lease-p42-lease-signed", Payout: &payout}}}); err != nil {
		t.Fatal(err)
	}
	b.clock.Add(10 * time.Minute)
	if got := find(); len(got) != 1 {
		t.Errorf("after a re-send: %+v", got)
	}
	var body map[string]any
	reqs := b.fake.Recorder().Requests()
	for _, r := range reqs {
		if r.Method == http.MethodPut {
			_ = json.Unmarshal(r.Body, &body)
		}
	}
	if body["postbackCalls"] != "onlyOnce" {
		t.Errorf("sent %v", body)
	}
}

// TestConversionAnswerMustBeQueued: a 2xx that is not the documented empty (or JSON object)
// answer is not a success.
func TestConversionAnswerMustBeQueued(t *testing.T) {
	b := setup(t, nil, nil)
	up := funnelflux.ConversionUpdate{Hits: []funnelflux.ConvertedHit{{HitID: b.seeded.FreshHits[0], Transaction: "t"}}}
	b.fake.Faults().Script(nil, fakeapi.FaultOKHTML, 1)
	err := b.client.UpdateConversions(context.Background(), up)
	if upstream.KindOf(err) != upstream.KindUnverified {
		t.Errorf("HTML answer: %v", err)
	}
	if b.fake.ConversionUpdates() != 0 {
		t.Errorf("the HTML page stood in front of the fake, yet %d updates arrived", b.fake.ConversionUpdates())
	}
	if err := b.client.UpdateConversions(context.Background(), up); err != nil {
		t.Errorf("clean answer: %v", err)
	}
	if err := b.client.UpdateConversions(context.Background(), funnelflux.ConversionUpdate{PostbackCalls: "sometimes",
		Hits: up.Hits}); err == nil {
		t.Error("an unknown postbackCalls was sent")
	}
}

func TestErrorsNeverShowRenewedTokens(t *testing.T) {
	b := setup(t, nil, nil)
	ctx := context.Background()
	b.clock.Add(73 * time.Hour)
	if err := b.client.Validate(ctx); err != nil {
		t.Fatal(err)
	}
	renewed := b.client.Tokens().Token()
	b.fake.Faults().Script(nil, fakeapi.FaultEchoSecret, 2)
	_, err := b.client.ListFunnels(ctx)
	if err == nil {
		t.Fatal("no error")
	}
	if strings.Contains(err.Error(), renewed) || strings.Contains(err.Error(), access) {
		t.Errorf("error shows a token: %v", err)
	}
}
