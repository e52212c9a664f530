package rentenginefake

import (
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/syncd-dev/syncd/internal/testing/fakeapi"
)

func TestAuth(t *testing.T) {
	b := setup(t)
	tests := []struct {
		name   string
		header string
		want   int
	}{
		{"missing", "", 401},
		{"wrong token", "Bearer nope", 401},
		{"wrong scheme", "Token " + testToken, 401},
		{"lowercase scheme", "bearer " + testToken, 401},
		{"right", "Bearer " + testToken, 200},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for _, path := range []string{"/units", "/prospects", "/leasing_events"} {
				req, _ := http.NewRequest(http.MethodGet, b.s.BaseURL()+path, nil)
				if tt.header != "" {
					req.Header.Set("Authorization", tt.header)
				}
				resp, err := b.client.Do(req)
				if err != nil {
					t.Fatal(err)
				}
				var body map[string]any
				_ = json.NewDecoder(resp.Body).Decode(&body)
				resp.Body.Close()
				if resp.StatusCode != tt.want {
					t.Errorf("%s: %d, want %d", path, resp.StatusCode, tt.want)
				}
				if tt.want == 401 && body["error"] != "Unauthorized" {
					t.Errorf("%s: body %v, want {\"error\":\"Unauthorized\"}", path, body)
				}
			}
		})
	}
}

func TestRouting(t *testing.T) {
	b := setup(t)
	tests := []struct {
		method, url string
		want        int
		allow       string
	}{
		{"GET", b.s.URL() + "/units", 404, ""},
		{"GET", b.s.URL() + "/api/public/v2/units", 404, ""},
		{"GET", b.s.BaseURL() + "/lockboxes", 404, ""},
		{"GET", b.s.BaseURL() + "/units/", 404, ""},
		{"GET", b.s.BaseURL() + "/units/1", 404, ""},
		{"POST", b.s.BaseURL() + "/units", 405, "GET"},
		{"DELETE", b.s.BaseURL() + "/leasing_events", 405, "GET, POST"},
	}
	for _, tt := range tests {
		t.Run(tt.method+" "+strings.TrimPrefix(tt.url, b.s.URL()), func(t *testing.T) {
			req, _ := http.NewRequest(tt.method, tt.url, nil)
			req.Header.Set("Authorization", "Bearer "+testToken)
			resp, err := b.client.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != tt.want || resp.Header.Get("Allow") != tt.allow {
				t.Errorf("%d Allow=%q, want %d Allow=%q", resp.StatusCode, resp.Header.Get("Allow"), tt.want, tt.allow)
			}
			if ct := resp.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
				t.Errorf("Content-Type %q, want JSON", ct)
			}
		})
	}
}

func TestPaging(t *testing.T) {
	b := setup(t)
	Seed(b.s, SeedOptions{Seed: 1, Units: 7, Prospects: 60})
	tests := []struct {
		path  string
		sizes []int // page sizes from page 0 until the first short page
	}{
		{"/units?limit=3", []int{3, 3, 1}},
		{"/units?limit=7", []int{7, 0}},
		{"/units?limit=100", []int{7}},
		{"/prospects", []int{50, 10}}, // default limit 50
		{"/prospects?limit=100", []int{60}},
		{"/leasing_events?limit=5", []int{0}},
	}
	for _, tt := range tests {
		t.Run(tt.path, func(t *testing.T) {
			sep := "?"
			if strings.Contains(tt.path, "?") {
				sep = "&"
			}
			var got []int64
			for page, want := range tt.sizes {
				recs := list(t, b.get(t, fmt.Sprintf("%s%spage_number=%d", tt.path, sep, page)))
				if len(recs) != want {
					t.Fatalf("page %d has %d records, want %d", page, len(recs), want)
				}
				got = append(got, idsOf(t, recs)...)
			}
			res := Resource(strings.TrimPrefix(strings.SplitN(tt.path, "?", 2)[0], "/"))
			if want := b.s.IDs(res); !slices.Equal(got, want) {
				t.Errorf("paged ids %v, want all ids in order %v", got, want)
			}
		})
	}
	// Far past the end, including a page number that would overflow offset arithmetic.
	for _, p := range []string{"99", "9223372036854775807"} {
		if r := b.get(t, "/units?limit=100&page_number="+p); r.status != 200 || string(r.body) != "[]" {
			t.Errorf("page %s: %d %s, want 200 []", p, r.status, r.body)
		}
	}
}

func TestQueryValidation(t *testing.T) {
	b := setup(t)
	tests := []struct {
		path, keyword, message string
	}{
		{"/units?limit=101", "maximum", "must be <= 100"},
		{"/units?limit=0", "minimum", "must be >= 1"},
		{"/units?limit=-5", "minimum", "must be >= 1"},
		{"/units?limit=ten", "type", "must be integer"},
		{"/units?limit=1.5", "type", "must be integer"},
		{"/units?page_number=-1", "minimum", "must be >= 0"},
		{"/units?page_number=x", "type", "must be integer"},
		{"/units?offset=100", "additionalProperties", "must NOT have additional properties"},
		{"/prospects?page=2", "additionalProperties", "must NOT have additional properties"},
		{"/leasing_events?offset=0&limit=100", "additionalProperties", "must NOT have additional properties"},
		{"/units?updated_after=2024-01-01T00:00:00Z", "additionalProperties", "must NOT have additional properties"},
		{"/prospects?created_after=2024-01-01", "format", `must match format "date-time"`},
		{"/prospects?created_before=yesterday", "format", `must match format "date-time"`},
		{"/units?accountId=acme", "format", `must match format "uuid"`},
		{"/units?statuses=Leased,Rented", "enum", "must be equal to one of the allowed values"},
		{"/units?unitIds=1,two", "type", "must be integer"},
		{"/prospects?accountId=" + DefaultAccountID, "additionalProperties", "must NOT have additional properties"},
	}
	for _, tt := range tests {
		t.Run(tt.path, func(t *testing.T) {
			r := b.get(t, tt.path)
			if r.status != 400 {
				t.Fatalf("%d %s, want 400", r.status, r.body)
			}
			e := apiErr(t, r)
			if e.Error != "Invalid query parameters" || len(e.Details) != 1 ||
				e.Details[0].Keyword != tt.keyword || e.Details[0].Message != tt.message {
				t.Errorf("error %+v, want one %s detail %q", e, tt.keyword, tt.message)
			}
		})
	}
	t.Run("all errors reported", func(t *testing.T) {
		e := apiErr(t, b.get(t, "/units?limit=500&offset=1&page_number=-1"))
		if len(e.Details) != 3 {
			t.Errorf("details %q, want 3", messages(e))
		}
	})
}

func TestUnitFilters(t *testing.T) {
	b := setup(t)
	const other = "0a0b0c0d-1111-4222-8333-444455556666"
	for i := range 12 {
		acct := DefaultAccountID
		if i%3 == 0 {
			acct = other
		}
		status := []string{"Leased", "Available", "On Hold", "Withdrawal Requested"}[i%4]
		b.s.Insert(Units, map[string]any{"account_id": acct, "status": status, "bedrooms": "2"})
	}
	tests := []struct {
		query string
		want  []int64
	}{
		{"accountId=" + other, []int64{1, 4, 7, 10}},
		{"accountId=" + strings.ToUpper(other), []int64{1, 4, 7, 10}},
		{"statuses=Available", []int64{2, 6, 10}},
		{"statuses=Available,Withdrawal%20Requested", []int64{2, 4, 6, 8, 10, 12}},
		{"unitIds=3,5,99", []int64{3, 5}},
		{"accountId=" + DefaultAccountID + "&statuses=Leased,On%20Hold", []int64{3, 5, 9, 11}},
	}
	for _, tt := range tests {
		t.Run(tt.query, func(t *testing.T) {
			// Page through with a small limit: filtered pages must not overlap or skip.
			var got []int64
			for page := 0; ; page++ {
				recs := list(t, b.get(t, fmt.Sprintf("/units?limit=2&page_number=%d&%s", page, tt.query)))
				got = append(got, idsOf(t, recs)...)
				if len(recs) < 2 {
					break
				}
			}
			if !slices.Equal(got, tt.want) {
				t.Errorf("ids %v, want %v", got, tt.want)
			}
		})
	}
	t.Run("filter sees updates", func(t *testing.T) {
		if err := b.s.Update(Units, 1, map[string]any{"status": "Available"}); err != nil {
			t.Fatal(err)
		}
		got := idsOf(t, list(t, b.get(t, "/units?statuses=Available")))
		if !slices.Equal(got, []int64{1, 2, 6, 10}) {
			t.Errorf("ids %v after update", got)
		}
	})
}

func TestProspectCreatedFilters(t *testing.T) {
	b := setup(t)
	base := time.Date(2024, 3, 1, 0, 0, 0, 0, time.UTC)
	for i := range 5 {
		b.s.Insert(Prospects, map[string]any{"name": "P", "created_at": formatTime(base.Add(time.Duration(i) * time.Hour))})
	}
	tests := []struct {
		query string
		want  []int64
	}{
		{"created_after=2024-03-01T02:00:00Z", []int64{3, 4, 5}}, // inclusive
		{"created_before=2024-03-01T02:00:00Z", []int64{1, 2}},   // exclusive
		{"created_after=2024-03-01T01:00:00Z&created_before=2024-03-01T03:00:00.000000Z", []int64{2, 3}},
		{"created_after=2024-02-29T19:00:00-05:00", []int64{1, 2, 3, 4, 5}}, // offsets are honoured
	}
	for _, tt := range tests {
		t.Run(tt.query, func(t *testing.T) {
			got := idsOf(t, list(t, b.get(t, "/prospects?"+strings.ReplaceAll(tt.query, "+", "%2B"))))
			if !slices.Equal(got, tt.want) {
				t.Errorf("ids %v, want %v", got, tt.want)
			}
		})
	}
}

func TestRequestRecording(t *testing.T) {
	b := setup(t)
	b.get(t, "/units?limit=100&page_number=0")
	b.do(t, http.MethodGet, "/prospects", "bad", nil)
	got := b.s.Requests()
	if len(got) != 2 {
		t.Fatalf("%d requests recorded, want 2", len(got))
	}
	if g := got[0]; g.Path != BasePath+"/units" || g.RawQuery != "limit=100&page_number=0" ||
		g.Status != 200 || g.Header.Get("Authorization") != "Bearer "+testToken {
		t.Errorf("first: %+v", g)
	}
	if got[1].Status != 401 {
		t.Errorf("second status %d, want 401", got[1].Status)
	}
	if n := len(b.s.Recorder().Filter("GET", BasePath+"/prospects")); n != 1 {
		t.Errorf("Filter found %d, want 1", n)
	}
	b.s.ResetRequests()
	if n := len(b.s.Requests()); n != 0 {
		t.Errorf("%d requests after reset", n)
	}
}

func TestRateLimit(t *testing.T) {
	b := setup(t, func(o *Options) { o.RateLimit = &fakeapi.RateLimit{Requests: 2, Per: time.Hour} })
	var statuses []int
	for range 4 {
		statuses = append(statuses, b.get(t, "/units").status)
	}
	if !slices.Equal(statuses, []int{200, 200, 429, 429}) {
		t.Errorf("statuses %v, want 200 200 429 429", statuses)
	}
	if got := b.s.RateLimiter().Stats(); got != (fakeapi.RateLimitStats{Allowed: 2, Limited: 2}) {
		t.Errorf("stats %+v", got)
	}
	if n := len(b.s.Requests()); n != 4 {
		t.Errorf("%d requests recorded, want all 4", n)
	}
}

func TestUnstartedThenStart(t *testing.T) {
	s := NewUnstarted(Options{Token: testToken})
	if s.BaseURL() != "" {
		t.Errorf("BaseURL before Start = %q", s.BaseURL())
	}
	Seed(s, SeedOptions{Units: 3})
	if err := s.Start(); err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if err := s.Start(); err == nil {
		t.Errorf("second Start succeeded")
	}
	if !strings.HasSuffix(s.BaseURL(), "/api/public/v1") {
		t.Errorf("BaseURL %q", s.BaseURL())
	}
}
