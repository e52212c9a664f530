package funnelfluxfake_test

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/syncd-dev/syncd/internal/testing/fakeapi"
	"github.com/syncd-dev/syncd/internal/testing/funnelfluxfake"
)

const (
	access  = "ffat_a"
	refresh = "ffrt_r"
)

type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time      { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) Add(d time.Duration) { c.mu.Lock(); defer c.mu.Unlock(); c.t = c.t.Add(d) }

// t0 is 2026-11-20 12:00 in Chicago.
var t0 = time.Date(2026, 11, 20, 18, 0, 0, 0, time.UTC)

// setup starts a fake with a small hand-made account:
//
//	day 2026-11-20 (Chicago): h1, h2 in funnel F1 from TS1; h3 in F1 from TS2
//	day 2026-11-21:           h4 in F2 from TS1
//	conversion h1/lead (20.50); cost 30 on 11-20 F1×TS1 (15 per entrance)
func setup(t *testing.T, o funnelfluxfake.Options) (*funnelfluxfake.Server, *clock) {
	t.Helper()
	clk := &clock{t: t0}
	o.AccessToken, o.RefreshToken, o.Now = access, refresh, clk.Now
	s := funnelfluxfake.NewUnstarted(o)
	s.AddFunnelGroup(funnelfluxfake.FunnelGroup{ID: "G1", Name: "Group"})
	s.AddFunnelGroup(funnelfluxfake.FunnelGroup{ID: "G2", Name: "Old", Legacy: true})
	s.AddFunnel(funnelfluxfake.Funnel{ID: "F1", Name: "One", GroupID: "G1"})
	s.AddFunnel(funnelfluxfake.Funnel{ID: "F2", Name: "Two", GroupID: "G2", LegacyGroup: true})
	s.AddTrafficSource(funnelfluxfake.TrafficSource{ID: "TS1", Name: "Google"})
	s.AddTrafficSource(funnelfluxfake.TrafficSource{ID: "TS2", Name: "Meta", Status: funnelfluxfake.StatusDeleted})
	s.AddHit(funnelfluxfake.Hit{ID: "h1", FunnelID: "F1", TrafficSourceID: "TS1", At: t0.Add(-2 * time.Hour), DefaultPayout: 5})
	s.AddHit(funnelfluxfake.Hit{ID: "h2", FunnelID: "F1", TrafficSourceID: "TS1", At: t0.Add(-time.Hour)})
	s.AddHit(funnelfluxfake.Hit{ID: "h3", FunnelID: "F1", TrafficSourceID: "TS2", At: t0.Add(-time.Hour)})
	s.AddHit(funnelfluxfake.Hit{ID: "h4", FunnelID: "F2", TrafficSourceID: "TS1", At: t0.Add(20 * time.Hour)})
	s.AddConversion("h1", "lead", 20.5, t0)
	s.SetDayCost("2026-11-20", "America/Chicago", "F1", "TS1", 30)
	if err := s.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Close)
	return s, clk
}

func do(t *testing.T, s *funnelfluxfake.Server, method, path, token, body string) (int, http.Header, []byte) {
	t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, _ := http.NewRequest(method, s.BaseURL()+path, rd)
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header, b
}

func TestAuth(t *testing.T) {
	s, clk := setup(t, funnelfluxfake.Options{TokenLifetime: time.Hour, ExpiredStatus: http.StatusBadRequest})
	list := "/funnel/list?status=not-deleted"
	if st, _, _ := do(t, s, "GET", list, access, ""); st != 200 {
		t.Fatalf("valid token: %d", st)
	}
	for name, tok := range map[string]string{"none": "", "unknown": "nope"} {
		if st, _, _ := do(t, s, "GET", list, tok, ""); st != 401 {
			t.Errorf("%s token: %d", name, st)
		}
	}
	clk.Add(time.Hour)
	if st, _, _ := do(t, s, "GET", list, access, ""); st != 400 {
		t.Errorf("expired token: %d, want the configured 400", st)
	}
	if st, _, _ := do(t, s, "POST", "/auth/validate", access, ""); st != 401 {
		t.Errorf("validate an expired token without a refresh token: %d", st)
	}
	if st, _, _ := do(t, s, "POST", "/auth/validate", access, `{"refresh_token":"wrong"}`); st != 401 {
		t.Errorf("validate with a wrong refresh token: %d", st)
	}
	if st, _, _ := do(t, s, "POST", "/auth/validate", access, `{"refresh_token":"ffrt_r","extra":1}`); st != 400 {
		t.Errorf("validate with an unknown field: %d", st)
	}
	st, _, body := do(t, s, "POST", "/auth/validate", access, `{"refresh_token":"ffrt_r"}`)
	var ans struct {
		Tokens struct {
			AccessToken string `json:"access_token"`
			ExpiresAt   int64  `json:"expires_at"`
		} `json:"tokens"`
	}
	if err := json.Unmarshal(body, &ans); err != nil || st != 200 || ans.Tokens.AccessToken == "" || ans.Tokens.AccessToken == access ||
		ans.Tokens.ExpiresAt != clk.Now().Add(time.Hour).Unix() {
		t.Fatalf("refresh: %d %s", st, body)
	}
	fresh := ans.Tokens.AccessToken
	if st, _, _ := do(t, s, "GET", list, fresh, ""); st != 200 {
		t.Errorf("renewed token: %d", st)
	}
	if st, _, _ := do(t, s, "GET", list, access, ""); st != 400 {
		t.Errorf("the old token works again: %d", st)
	}
	// A valid token is answered as it is, whatever the refresh token.
	s.RevokeRefreshToken()
	st, _, body = do(t, s, "POST", "/auth/validate", fresh, `{"refresh_token":"ffrt_r"}`)
	if st != 200 || !strings.Contains(string(body), fresh) {
		t.Errorf("validate a valid token: %d %s", st, body)
	}
	s.ExpireAccessTokens()
	if st, _, _ := do(t, s, "POST", "/auth/validate", fresh, `{"refresh_token":"ffrt_r"}`); st != 401 {
		t.Errorf("refresh with a revoked refresh token: %d", st)
	}
	if s.Refreshes() != 1 || s.Validations() != 6 {
		t.Errorf("%d refreshes, %d validations", s.Refreshes(), s.Validations())
	}
}

func TestStrictRequests(t *testing.T) {
	s, _ := setup(t, funnelfluxfake.Options{})
	report := func(extra string) string {
		return `{"timeStart":"2026-11-20T00:00:00-06:00","timeEnd":"2026-11-21T00:00:00-06:00","timeZone":"America/Chicago",` +
			`"groupings":[{"groupBy":"Date"}]` + extra + `}`
	}
	for _, tt := range []struct {
		name, method, path, body string
		want                     int
	}{
		{"list without status", "GET", "/funnel/list", "", 400},
		{"list with an unknown status", "GET", "/funnel/list?status=gone", "", 400},
		{"list by POST", "POST", "/funnel/list?status=active", "{}", 405},
		{"legacy campaign path", "GET", "/campaign/list?status=active", "", 404},
		{"conversions without the trailing slash", "PUT", "/reporting/update/conversions", `{"hits":[{"idHit":"h1"}]}`, 404},
		{"conversions by POST", "POST", "/reporting/update/conversions/", `{"hits":[{"idHit":"h1"}]}`, 405},
		{"conversions with a numeric hit id", "PUT", "/reporting/update/conversions/", `{"hits":[{"idHit":1}]}`, 400},
		{"conversions without hits", "PUT", "/reporting/update/conversions/", `{"hits":[]}`, 400},
		{"conversions with an unknown field", "PUT", "/reporting/update/conversions/", `{"hits":[{"idHit":"h1","stage":"x"}]}`, 400},
		{"conversions with a bad postbackCalls", "PUT", "/reporting/update/conversions/", `{"hits":[{"idHit":"h1"}],"postbackCalls":"once"}`, 400},
		{"report", "POST", "/reporting/drilldown", report(""), 200},
		{"report with an unknown field", "POST", "/reporting/drilldown", report(`,"limit":5`), 400},
		{"report with an unknown grouping", "POST", "/reporting/drilldown", strings.Replace(report(""), "Date", "Day", 1), 400},
		{"report without a zone", "POST", "/reporting/drilldown", strings.Replace(report(""), `"timeZone":"America/Chicago",`, "", 1), 400},
		{"report with a bad zone", "POST", "/reporting/drilldown", strings.Replace(report(""), "America/Chicago", "Mars/Base", 1), 400},
		{"report with a page too long", "POST", "/reporting/drilldown", report(`,"paging":{"start":0,"length":1001}`), 400},
		{"report as a tree", "POST", "/reporting/drilldown", report(`,"options":{"viewType":"tree"}`), 400},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if st, _, body := do(t, s, tt.method, tt.path, access, tt.body); st != tt.want {
				t.Errorf("%d, want %d: %s", st, tt.want, body)
			}
		})
	}
	if s.ConversionUpdates() != 0 {
		t.Errorf("%d bad conversion updates were queued", s.ConversionUpdates())
	}
}

func TestAssetsServeStringIDsAndTheLegacyAlias(t *testing.T) {
	s, _ := setup(t, funnelfluxfake.Options{})
	s.SetFieldType(funnelfluxfake.ResourceFunnels, "canvasWidth", fakeapi.FieldString)
	_, _, body := do(t, s, "GET", "/funnel/list?status=not-deleted", access, "")
	var funnels []map[string]any
	if err := json.Unmarshal(body, &funnels); err != nil || len(funnels) != 2 {
		t.Fatalf("%s", body)
	}
	if funnels[0]["idFunnelGroup"] != "G1" || funnels[0]["idCampaign"] != "G1" || funnels[1]["idFunnelGroup"] != nil ||
		funnels[1]["idCampaign"] != "G2" || funnels[0]["canvasWidth"] != "2400" {
		t.Errorf("funnels %v", funnels)
	}
	if _, err := time.Parse(time.RFC3339, funnels[0]["updatedAt"].(string)); err != nil {
		t.Errorf("updatedAt: %v", err)
	}
	_, _, body = do(t, s, "GET", "/funnelgroup/list?status=", access, "")
	if !bytes.Contains(body, []byte(`"idCampaign":"G2"`)) || !bytes.Contains(body, []byte(`"idFunnelGroup":"G1"`)) {
		t.Errorf("groups %s", body)
	}
	// Deleted items are left out of not-deleted lists and listed by status=deleted.
	_, _, body = do(t, s, "GET", "/trafficsource/list?status=not-deleted", access, "")
	_, _, deleted := do(t, s, "GET", "/trafficsource/list?status=deleted", access, "")
	if bytes.Contains(body, []byte("TS2")) || !bytes.Contains(deleted, []byte("TS2")) || bytes.Contains(deleted, []byte("TS1")) {
		t.Errorf("not-deleted %s; deleted %s", body, deleted)
	}
}

// page asks for one page of the daily report.
func page(t *testing.T, s *funnelfluxfake.Server, start, length int, extra string) map[string]any {
	t.Helper()
	body, _ := json.Marshal(map[string]any{
		"timeStart": "2026-11-20T00:00:00-06:00", "timeEnd": "2026-11-22T00:00:00-06:00", "timeZone": "America/Chicago",
		"groupings": []map[string]string{{"groupBy": "Date"}, {"groupBy": "Funnel"}, {"groupBy": "Traffic Source"}},
		"paging":    map[string]int{"start": start, "length": length},
	})
	if extra != "" {
		body = append(body[:len(body)-1], []byte(","+extra+"}")...)
	}
	st, _, ans := do(t, s, "POST", "/reporting/drilldown", access, string(body))
	if st != 200 {
		t.Fatalf("%d %s", st, ans)
	}
	var out map[string]any
	if err := json.Unmarshal(ans, &out); err != nil {
		t.Fatal(err)
	}
	return out
}

// cells reads a page's rows as column name → raw value.
func cells(p map[string]any) []map[string]any {
	cols := p["columns"].([]any)
	var out []map[string]any
	for _, r := range p["rows"].([]any) {
		row := map[string]any{}
		for i, c := range r.(map[string]any)["cells"].([]any) {
			row[cols[i].(map[string]any)["name"].(string)] = c.(map[string]any)["raw"]
		}
		out = append(out, row)
	}
	return out
}

func TestReportComputedAndPaged(t *testing.T) {
	s, _ := setup(t, funnelfluxfake.Options{})
	all := cells(page(t, s, 0, 50, ""))
	want := []map[string]any{
		{"Date": "2026-11-20", "Funnel": "F1", "Traffic Source": "TS1", "Entrances": 2.0, "Conv.": 1.0, "Revenue": "20.50", "Cost": "30.00", "P/L": "-9.50"},
		{"Date": "2026-11-20", "Funnel": "F1", "Traffic Source": "TS2", "Entrances": 1.0, "Conv.": 0.0, "Revenue": "0.00", "Cost": "0.00", "P/L": "0.00"},
		{"Date": "2026-11-21", "Funnel": "F2", "Traffic Source": "TS1", "Entrances": 1.0, "Conv.": 0.0, "Revenue": "0.00", "Cost": "0.00", "P/L": "0.00"},
	}
	if len(all) != len(want) {
		t.Fatalf("rows %v", all)
	}
	for i, w := range want {
		for k, v := range w {
			if all[i][k] != v {
				t.Errorf("row %d %s = %v, want %v", i, k, all[i][k], v)
			}
		}
	}
	p := page(t, s, 1, 1, "")
	if got := cells(p); len(got) != 1 || got[0]["Traffic Source"] != "TS2" || p["rowsTotal"] != "3" || p["rowsReturned"] != 1.0 {
		t.Errorf("page 2 of 1: %v", p)
	}
	if got := cells(page(t, s, 3, 1, "")); len(got) != 0 {
		t.Errorf("past the end: %v", got)
	}
	// A changed cost moves only its day × funnel × traffic source.
	s.SetDayCost("2026-11-21", "America/Chicago", "F2", "TS1", 7.25)
	after := cells(page(t, s, 0, 50, ""))
	if after[2]["Cost"] != "7.25" || after[0]["Cost"] != "30.00" || after[1]["Cost"] != "0.00" {
		t.Errorf("after the cost change: %v", after)
	}
}

func TestConversionsQueuedThenApplied(t *testing.T) {
	s, clk := setup(t, funnelfluxfake.Options{ConversionDelay: time.Minute})
	put := func(body string) {
		t.Helper()
		st, h, ans := do(t, s, "PUT", "/reporting/update/conversions/", access, body)
		if st != http.StatusAccepted || len(ans) != 0 || h.Get("Content-Type") != "" {
			t.Fatalf("%d %q %s", st, h.Get("Content-Type"), ans)
		}
	}
	put(`{"hits":[{"idHit":"h2","transaction":"lease-1","payout":1500},{"idHit":"h3","transaction":"t"},{"idHit":"nobody"}],"postbackCalls":"onlyOnce"}`)
	if n := len(s.Conversions()); n != 1 || s.Pending() != 3 {
		t.Fatalf("before the delay: %d conversions, %d pending", n, s.Pending())
	}
	clk.Add(time.Minute)
	convs := s.Conversions()
	if len(convs) != 3 || s.Pending() != 0 || s.Dropped() != 1 {
		t.Fatalf("after the delay: %+v, %d pending, %d dropped", convs, s.Pending(), s.Dropped())
	}
	if convs[1].HitID != "h2" || convs[1].Payout != 1500 || !convs[1].At.Equal(t0.Add(time.Minute)) || convs[2].Payout != 0 {
		t.Errorf("conversions %+v", convs)
	}
	// Event attribution by hit × transaction shows each conversion on the day it was applied,
	// whatever its entrance's day: h2's lease on 11-20 12:01 Chicago.
	st, _, body := do(t, s, "POST", "/reporting/drilldown", access, `{"timeStart":"2026-11-20T00:00:00-06:00",`+
		`"timeEnd":"2026-11-21T00:00:00-06:00","timeZone":"America/Chicago","groupings":[{"groupBy":"Date"},`+
		`{"groupBy":"Hit ID"},{"groupBy":"Conversion TxID"}],"options":{"timeAttribution":"event","onlyConvertedHits":true}}`)
	var rep map[string]any
	if err := json.Unmarshal(body, &rep); st != 200 || err != nil {
		t.Fatalf("%d %s", st, body)
	}
	got := cells(rep)
	if len(got) != 3 || got[1]["Hit ID"] != "h2" || got[1]["Conversion TxID"] != "lease-1" || got[1]["Revenue"] != "1500.00" ||
		got[1]["Conv."] != 1.0 || got[1]["Entrances"] != 0.0 || got[1]["Date"] != "2026-11-20" {
		t.Errorf("conversion rows %v", got)
	}
	// Entrance attribution by date × funnel × traffic source × hit × transaction (the client's
	// conversion report) shows a conversion on its hit's entrance day, with the hit's funnel and
	// traffic source: h4 entered on 11-21 in F2 from TS1 and converted on 11-23.
	s.AddConversion("h4", "lease-4", 900, t0.Add(72*time.Hour))
	st, _, body = do(t, s, "POST", "/reporting/drilldown", access, `{"timeStart":"2026-11-20T00:00:00-06:00",`+
		`"timeEnd":"2026-11-24T00:00:00-06:00","timeZone":"America/Chicago","groupings":[{"groupBy":"Date"},`+
		`{"groupBy":"Funnel"},{"groupBy":"Traffic Source"},{"groupBy":"Hit ID"},{"groupBy":"Conversion TxID"}],`+
		`"options":{"timeAttribution":"entrance","onlyConvertedHits":true}}`)
	rep = nil
	if err := json.Unmarshal(body, &rep); st != 200 || err != nil {
		t.Fatalf("%d %s", st, body)
	}
	got = cells(rep)
	var h4 []map[string]any
	for _, r := range got {
		if r["Hit ID"] == "h4" {
			h4 = append(h4, r)
		}
	}
	if len(h4) != 1 || h4[0]["Date"] != "2026-11-21" || h4[0]["Funnel"] != "F2" || h4[0]["Traffic Source"] != "TS1" ||
		h4[0]["Conversion TxID"] != "lease-4" || h4[0]["Conv."] != 1.0 || h4[0]["Revenue"] != "900.00" {
		t.Errorf("entrance-attributed conversion rows %v", got)
	}
	for _, r := range got {
		if r["Hit ID"] == "h2" && (r["Date"] != "2026-11-20" || r["Funnel"] != "F1" || r["Traffic Source"] != "TS1") {
			t.Errorf("h2's row %v", r)
		}
	}
	// Payout -1 removes it.
	put(`{"hits":[{"idHit":"h2","transaction":"lease-1","payout":-1}]}`)
	clk.Add(time.Minute)
	if n := len(s.Conversions()); n != 3 {
		t.Errorf("after un-converting: %d conversions (h4's lease left)", n)
	}
}

func TestRateLimitPerToken(t *testing.T) {
	s, _ := setup(t, funnelfluxfake.Options{RateLimit: &fakeapi.RateLimit{Requests: 1, Per: time.Hour}})
	if st, _, _ := do(t, s, "GET", "/funnel/list?status=active", access, ""); st != 200 {
		t.Fatalf("first: %d", st)
	}
	st, h, _ := do(t, s, "GET", "/funnel/list?status=active", access, "")
	if st != http.StatusTooManyRequests || h.Get("Retry-After") == "" {
		t.Errorf("second: %d, Retry-After %q", st, h.Get("Retry-After"))
	}
	if st, _, _ := do(t, s, "GET", "/funnel/list?status=active", "other", ""); st != 401 {
		t.Errorf("another token has its own budget: %d", st)
	}
}
