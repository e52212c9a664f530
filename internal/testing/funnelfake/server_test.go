package funnelfake

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"reflect"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/syncd-dev/syncd/internal/testing/fakeapi"
)

const testKey = "test-key"

// clock is a settable clock for Options.Now.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

type bundle struct {
	s     *Server
	clock *clock
	com   CommunityIDs
}

// setup starts a fake with a fixed clock and one empty community with every id form.
func setup(t *testing.T, opts ...func(*Options)) *bundle {
	t.Helper()
	c := &clock{t: time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC)}
	o := Options{APIKey: testKey, Now: c.Now}
	for _, f := range opts {
		f(&o)
	}
	s := New(o)
	t.Cleanup(s.Close)
	id := s.InsertCommunity(map[string]any{"id": 1234, "name": "Harbor Point", "syndication_id": "P1234-567"}, "apts/12:b")
	return &bundle{s: s, clock: c, com: CommunityIDs{ID: id, Syndication: "P1234-567", Partner: "apts/12:b"}}
}

// noRedirects shows a test the redirect itself rather than where it leads.
var noRedirects = &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}

type response struct {
	status int
	header http.Header
	body   []byte
}

// do sends a request with the key as Basic user name unless auth is given ("" sends none).
func (b *bundle) do(t *testing.T, method, path string, body any, auth ...string) response {
	t.Helper()
	var rdr io.Reader
	if body != nil {
		raw, ok := body.(string)
		if !ok {
			enc, _ := json.Marshal(body)
			raw = string(enc)
		}
		rdr = strings.NewReader(raw)
	}
	req, err := http.NewRequest(method, b.s.URL()+path, rdr)
	if err != nil {
		t.Fatal(err)
	}
	if len(auth) == 0 {
		req.SetBasicAuth(testKey, "")
	} else if auth[0] != "" {
		req.Header.Set("Authorization", auth[0])
	}
	resp, err := noRedirects.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return response{status: resp.StatusCode, header: resp.Header, body: raw}
}

// htmlNotFound is what errorType returns for the HTML 404 page of a path no route matches.
const htmlNotFound = "(HTML 404)"

// errorType returns the body's error_type, or htmlNotFound (and fails the test on a body that is
// neither the documented error shape nor the HTML 404 page).
func (r response) errorType(t *testing.T) string {
	t.Helper()
	if r.isHTMLNotFound() {
		return htmlNotFound
	}
	var e struct {
		ErrorType string `json:"error_type"`
		Message   string `json:"message"`
	}
	if err := json.Unmarshal(r.body, &e); err != nil || e.ErrorType == "" || e.Message == "" {
		t.Fatalf("error body %s is not {error_type, message}", r.body)
	}
	return e.ErrorType
}

// isHTMLNotFound reports whether r is the HTML 404 page of a path no route matches.
func (r response) isHTMLNotFound() bool {
	return r.status == 404 && strings.HasPrefix(r.header.Get("Content-Type"), "text/html") &&
		strings.Contains(string(r.body), "<h1>Not Found</h1>")
}

func (r response) data(t *testing.T) []map[string]any {
	t.Helper()
	var env struct {
		Data []map[string]any `json:"data"`
	}
	d := json.NewDecoder(bytes.NewReader(r.body))
	d.UseNumber()
	if err := d.Decode(&env); err != nil || env.Data == nil {
		t.Fatalf("body %s is not {data: [...]}", r.body)
	}
	return env.Data
}

const base = BasePath + "/community/"

func TestAuth(t *testing.T) {
	b := setup(t)
	path := base + "1234/"
	user := func(u, p string) string {
		r, _ := http.NewRequest("GET", "/", nil)
		r.SetBasicAuth(u, p)
		return r.Header.Get("Authorization")
	}
	tests := []struct {
		name, auth string
		want       int
	}{
		{"basic, empty password", user(testKey, ""), 200},
		{"basic, a password", user(testKey, "x"), 401},
		{"basic, the key as password too", user(testKey, testKey), 401},
		{"basic, a space as password", user(testKey, " "), 401},
		{"basic without a colon", "Basic " + base64.StdEncoding.EncodeToString([]byte(testKey)), 401},
		{"bearer", "Bearer " + testKey, 200},
		{"wrong basic", user("other", ""), 401},
		{"wrong bearer", "Bearer other", 401},
		{"key as password", user("", testKey), 401},
		{"none", "", 401},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := b.do(t, "GET", path, nil, tt.auth)
			if r.status != tt.want {
				t.Fatalf("status %d, want %d (%s)", r.status, tt.want, r.body)
			}
			if tt.want == 401 && r.errorType(t) != errNotAuthenticated {
				t.Errorf("401 body %s", r.body)
			}
		})
	}
}

func TestRoutesAndCommunityForms(t *testing.T) {
	b := setup(t)
	b.s.Insert(b.com.ID, Prospects, map[string]any{"status": "Prospect", "people": []any{}})
	tests := []struct {
		method, path string
		want         int
		errType      string
	}{
		{"GET", base + "1234/", 200, ""},
		{"GET", base + "P1234-567/", 200, ""},
		{"GET", base + "p1234-567/", 200, ""},
		{"GET", base + "partner-id%3Aapts%2F12%3Ab/", 200, ""},
		{"GET", base + "partner-id:apts%2F12:b/prospects/", 200, ""},
		{"GET", base + "1234/renewals/", 200, ""},
		{"GET", base + "1234/appointments/booked/", 200, ""},
		{"GET", base + "partner-id%3Aother/", 404, errCommunityNotFound},
		{"GET", base + "partner-id%3A/", 404, errCommunityNotFound},
		{"GET", base + "9999/prospects/", 404, errCommunityNotFound},
		{"GET", base + "P1-1/appointments/booked/", 404, errCommunityNotFound},
		{"GET", base + "1234/prospects/1/", 404, htmlNotFound}, // the one path without a slash
		{"GET", base + "1234/prospects/42", 404, errProspectNotFound},
		{"GET", base + "1234/prospects/abc", 404, errProspectNotFound},
		{"GET", base + "1234/units/", 404, htmlNotFound},
		{"GET", base + "1234/units", 404, htmlNotFound}, // no redirect to a path that does not exist either
		{"GET", "/api/partners/v2/community/1234/", 404, htmlNotFound},
		{"GET", BasePath + "x/community/1234/", 404, htmlNotFound},
		{"POST", base + "1234/prospects/", 405, errMethodNotAllowed},
		{"GET", BasePath + "/company/3187/customer-score/", 405, errMethodNotAllowed},
	}
	for _, tt := range tests {
		t.Run(tt.method+" "+tt.path, func(t *testing.T) {
			r := b.do(t, tt.method, tt.path, nil)
			if r.status != tt.want {
				t.Fatalf("status %d, want %d (%s)", r.status, tt.want, r.body)
			}
			if tt.errType != "" {
				if got := r.errorType(t); got != tt.errType {
					t.Errorf("error_type %q, want %q", got, tt.errType)
				}
			}
		})
	}
	// Every form serves the same community record.
	want, _ := b.s.CommunityRaw(b.com.ID)
	for _, form := range b.com.Forms() {
		id, ok := b.s.Resolve(form)
		if !ok || id != b.com.ID {
			t.Errorf("Resolve(%q) = %d, %v", form, id, ok)
		}
	}
	if r := b.do(t, "GET", base+"P1234-567/", nil); string(r.body) != string(want) {
		t.Errorf("served %s, stored %s", r.body, want)
	}
}

func TestPaging(t *testing.T) {
	b := setup(t)
	for range 120 {
		b.s.Insert(b.com.ID, Renewals, map[string]any{"status": "offered"})
	}
	ids := b.s.IDs(b.com.ID, Renewals)
	tests := []struct {
		query   string
		want    int
		first   int // index into ids of the first record; -1 for none
		n       int
		errKeys string
	}{
		{"", 200, 0, 50, ""},
		{"?page=1&per_page=50", 200, 0, 50, ""},
		{"?page=3&per_page=50", 200, 100, 20, ""},
		{"?page=4&per_page=50", 200, -1, 0, ""},
		{"?page=2&per_page=7", 200, 7, 7, ""},
		{"?page=999999999999&per_page=50", 200, -1, 0, ""},
		{"?page=1&per_page=50&email=a%40b.c&unknown=1", 200, 0, 50, ""},
		{"?page=0", 400, 0, 0, "page"},
		{"?page=x", 400, 0, 0, "page"},
		{"?per_page=51", 400, 0, 0, "per_page"},
		{"?per_page=0", 400, 0, 0, "per_page"},
		{"?page=-1&per_page=100", 400, 0, 0, "page,per_page"},
	}
	for _, tt := range tests {
		t.Run(tt.query, func(t *testing.T) {
			r := b.do(t, "GET", base+"1234/renewals/"+tt.query, nil)
			if r.status != tt.want {
				t.Fatalf("status %d, want %d (%s)", r.status, tt.want, r.body)
			}
			if tt.want == 400 {
				var e apiError
				_ = json.Unmarshal(r.body, &e)
				var keys []string
				for _, k := range []string{"page", "per_page"} {
					if len(e.Errors[k]) > 0 {
						keys = append(keys, k)
					}
				}
				if e.ErrorType != errValidation || strings.Join(keys, ",") != tt.errKeys {
					t.Errorf("400 body %s, want errors for %s", r.body, tt.errKeys)
				}
				return
			}
			data := r.data(t)
			if len(data) != tt.n {
				t.Fatalf("%d records, want %d", len(data), tt.n)
			}
			if tt.n > 0 {
				if id, _ := fakeapi.Int64Of(data[0]["id"]); id != ids[tt.first] {
					t.Errorf("first id %d, want %d", id, ids[tt.first])
				}
			}
		})
	}
}

func TestMutationHelpers(t *testing.T) {
	b := setup(t)
	p1 := b.s.Insert(b.com.ID, Prospects, map[string]any{"status": "Prospect"})
	p2 := b.s.Insert(b.com.ID, Prospects, map[string]any{"funnel_renter_id": "900", "status": "Toured"})
	if p2 != 900 {
		t.Fatalf("explicit string id stored as %d", p2)
	}
	got, ok := b.s.Get(b.com.ID, Prospects, p1)
	if !ok || got["funnel_community_id"] != json.Number("1234") || got["created_at"] != "2025-06-01T12:00:00" {
		t.Errorf("inserted prospect %v", got)
	}
	if raw, _ := b.s.Raw(b.com.ID, Prospects, p2); !strings.Contains(string(raw), `"funnel_renter_id":"900"`) {
		t.Errorf("the id's JSON form was not kept: %s", raw)
	}
	b.clock.Advance(time.Hour)
	if err := b.s.Update(b.com.ID, Prospects, p1, map[string]any{"status": "Applicant", "lead_source": nil}); err != nil {
		t.Fatal(err)
	}
	got, _ = b.s.Get(b.com.ID, Prospects, p1)
	if got["status"] != "Applicant" || got["lead_source"] != nil || got["updated_at"] != "2025-06-01T13:00:00" ||
		got["created_at"] != "2025-06-01T12:00:00" {
		t.Errorf("updated prospect %v", got)
	}
	if err := b.s.Update(b.com.ID, Prospects, p1, map[string]any{"funnel_renter_id": 5}); err == nil {
		t.Error("Update changed the id")
	}
	a := b.s.Insert(b.com.ID, Appointments, map[string]any{"date": "2025-06-03"})
	if got, _ := b.s.Get(b.com.ID, Appointments, a); got["updated_at"] != nil {
		t.Errorf("appointments have no updated_at: %v", got)
	}
	if err := b.s.Delete(b.com.ID, Prospects, p2); err != nil {
		t.Fatal(err)
	}
	if err := b.s.Delete(b.com.ID, Prospects, p2); !errors.Is(err, ErrNotFound) {
		t.Errorf("second delete: %v", err)
	}
	if err := b.s.Update(77, Prospects, p1, nil); !errors.Is(err, ErrCommunityNotFound) {
		t.Errorf("update in an unknown community: %v", err)
	}
	if ids := b.s.IDs(b.com.ID, Prospects); len(ids) != 1 || ids[0] != p1 || b.s.Count(b.com.ID, Prospects) != 1 {
		t.Errorf("ids %v", ids)
	}
	// Ids are one sequence across communities, as upstream.
	other := b.s.InsertCommunity(map[string]any{"name": "Other"}, "")
	if p := b.s.Insert(other, Prospects, map[string]any{}); p <= p2 {
		t.Errorf("new prospect id %d does not continue the sequence after %d", p, p2)
	}
	if err := b.s.UpdateCommunity(b.com.ID, map[string]any{"name": "Renamed", "syndication_id": "P1234-999"}); err != nil {
		t.Fatal(err)
	}
	if _, ok := b.s.Resolve("P1234-999"); !ok {
		t.Error("a changed syndication id does not resolve")
	}
	if _, ok := b.s.Resolve("P1234-567"); ok {
		t.Error("the old syndication id still resolves")
	}
	if err := b.s.DeleteCommunity(other); err != nil {
		t.Fatal(err)
	}
	if r := b.do(t, "GET", base+strconv.FormatInt(other, 10)+"/", nil); r.status != 404 || r.errorType(t) != errCommunityNotFound {
		t.Errorf("deleted community answered %d %s", r.status, r.body)
	}
}

func TestCustomerScore(t *testing.T) {
	b := setup(t)
	ana := b.s.Insert(b.com.ID, Prospects, map[string]any{"people": []any{
		map[string]any{"first_name": "Ana", "email": " Ana.Reyes@Example.com ", "phone_1": "(415) 555-0101"},
		map[string]any{"first_name": "Co", "email": "co@example.com", "phone_1": nil, "phone_2": 4155550199},
	}})
	other := b.s.InsertCommunity(map[string]any{}, "")
	bo := b.s.Insert(other, Prospects, map[string]any{"people": map[string]any{"email": "bo@example.com", "phone_1": "+14155550202"}})
	// A second client with Ana's phone: the e-mail match must win over it.
	b.s.Insert(other, Prospects, map[string]any{"people": []any{map[string]any{"phone_1": "415.555.0101"}}})
	path := BasePath + "/company/3187/customer-score/"
	score := func(email, phone any) map[string]any {
		return map[string]any{"score_name": "fit", "score_value": 8, "maximum_score": 10,
			"submitted_at": "2022-06-05T00:34:00", "email": email, "phone": phone}
	}
	tests := []struct {
		name    string
		path    string
		body    any
		want    int
		errType string
		client  int64
	}{
		{"email, case and spaces", path, score("ana.reyes@EXAMPLE.com", nil), 200, "", ana},
		{"co-applicant's email", path, score("co@example.com", ""), 200, "", ana},
		{"phone in another format", path, score(nil, "+1 415-555-0202"), 200, "", bo},
		{"phone_2 sent as a number", path, score(nil, "(415) 555-0199"), 200, "", ana},
		{"email wins over a shared phone", path, score("ana.reyes@example.com", "415-555-0101"), 200, "", ana},
		{"no match", path, score("nobody@example.com", "+1 999 555 0000"), 404, errRenterNotFound, 0},
		{"neither email nor phone", path, score("", nil), 400, errValidation, 0},
		{"score_value not an integer", path, map[string]any{"score_name": "fit", "score_value": "high", "email": "co@example.com"}, 400, errValidation, 0},
		{"not JSON", path, "score=1", 400, errValidation, 0},
		{"another company", BasePath + "/company/1/customer-score/", score("co@example.com", nil), 403, errPermissionDenied, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := len(b.s.CustomerScores(tt.client))
			r := b.do(t, "POST", tt.path, tt.body)
			if r.status != tt.want {
				t.Fatalf("status %d, want %d (%s)", r.status, tt.want, r.body)
			}
			if tt.errType != "" {
				if got := r.errorType(t); got != tt.errType {
					t.Errorf("error_type %q, want %q", got, tt.errType)
				}
				return
			}
			var res map[string]any
			_ = json.Unmarshal(r.body, &res)
			if res["id"] != float64(tt.client) || res["customer_score_name"] != "fit" || res["customer_score_value"] != float64(8) ||
				res["customer_score_maximum"] != float64(10) || res["customer_score_submitted_at"] != "2022-06-05T00:34:00" {
				t.Errorf("response %s", r.body)
			}
			if got := b.s.CustomerScores(tt.client); len(got) != before+1 || got[len(got)-1].Value != 8 {
				t.Errorf("scores stored on client %d: %+v", tt.client, got)
			}
		})
	}
}

// Funnel's matching order: the e-mail first, then the phone narrows several e-mail matches; the
// phone alone only without an e-mail match. Several clients left: one is picked silently (the
// lowest id) and the score records how many there were. Merged and deleted clients never match.
func TestCustomerScoreMatchingOrder(t *testing.T) {
	b := setup(t)
	other := b.s.InsertCommunity(map[string]any{}, "")
	person := func(email, phone any) map[string]any {
		return map[string]any{"people": []any{map[string]any{"first_name": "X", "email": email, "phone_1": phone}}}
	}
	withStatus := func(rec map[string]any, status string) map[string]any {
		rec["status"] = status
		return rec
	}
	// One household address, two clients in two communities with their own phones.
	homeA := b.s.Insert(b.com.ID, Prospects, person("home@example.com", "(415) 555-0301"))
	homeB := b.s.Insert(other, Prospects, person("Home@Example.com", "415-555-0302"))
	// One person's guest cards in two communities: nothing tells them apart.
	twinA := b.s.Insert(b.com.ID, Prospects, person("twin@example.com", "415-555-0303"))
	twinB := b.s.Insert(other, Prospects, person("twin@example.com", "+14155550303"))
	// A merged duplicate and its surviving client; a deleted client.
	merged := b.s.Insert(b.com.ID, Prospects, withStatus(person("kim@example.com", "415-555-0304"), "Client Merged"))
	kim := b.s.Insert(other, Prospects, withStatus(person("kim@example.com", "415-555-0304"), "Prospect"))
	b.s.Insert(other, Prospects, withStatus(person("lou@example.com", nil), "Client Deleted"))
	phoneOnly := b.s.Insert(other, Prospects, person(nil, "415-555-0305"))
	if twinA > twinB || homeA > homeB || merged > kim {
		t.Fatal("ids are not ascending in insertion order")
	}

	path := BasePath + "/company/3187/customer-score/"
	cases := []struct {
		name         string
		email, phone any
		status       int
		client       int64
		candidates   int
	}{
		{"shared e-mail, the phone narrows", "home@example.com", "415 555 0302", 200, homeB, 1},
		{"shared e-mail, no phone: one picked silently", "home@example.com", nil, 200, homeA, 2},
		{"shared e-mail, a phone neither has", "home@example.com", "415-555-0999", 200, homeA, 2},
		{"shared e-mail and phone", "twin@example.com", "415-555-0303", 200, twinA, 2},
		{"the e-mail wins over another client's phone", "home@example.com", "415-555-0305", 200, homeA, 2},
		{"no e-mail match: the phone alone", "nobody@example.com", "415-555-0305", 200, phoneOnly, 1},
		{"a merged duplicate never matches", "kim@example.com", nil, 200, kim, 1},
		{"a deleted client never matches", "lou@example.com", nil, 404, 0, 0},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			before := len(b.s.CustomerScores(tc.client))
			r := b.do(t, "POST", path, map[string]any{"score_name": "fit", "score_value": 8, "maximum_score": 10,
				"submitted_at": "2022-06-05T00:34:00", "email": tc.email, "phone": tc.phone})
			if r.status != tc.status {
				t.Fatalf("status %d, want %d (%s)", r.status, tc.status, r.body)
			}
			if tc.status != 200 {
				return
			}
			var res map[string]any
			_ = json.Unmarshal(r.body, &res)
			if res["id"] != float64(tc.client) {
				t.Errorf("matched client %v, want %d", res["id"], tc.client)
			}
			got := b.s.CustomerScores(tc.client)
			if len(got) != before+1 || got[len(got)-1].Candidates != tc.candidates {
				t.Errorf("scores on client %d: %+v, want one more with %d candidates", tc.client, got, tc.candidates)
			}
		})
	}
	if n := len(b.s.CustomerScores(merged)); n != 0 {
		t.Errorf("the merged client got %d scores", n)
	}
}

func TestRenewalStatus(t *testing.T) {
	b := setup(t)
	old := b.s.Insert(b.com.ID, Renewals, map[string]any{"funnel_renter_id": 51, "funnel_unit_id": "77", "status": "signed"})
	cur := b.s.Insert(b.com.ID, Renewals, map[string]any{"funnel_renter_id": "51", "funnel_unit_id": 77, "status": "offered"})
	path := func(com, renter, unit string) string {
		return base + com + "/renters/" + renter + "/units/" + unit + "/renewal-status/"
	}
	tests := []struct {
		name    string
		path    string
		body    any
		want    int
		errType string
	}{
		{"card", path("1234", "51", "77"), map[string]any{"renewal_card_status": true, "renewal_header": "Renew now",
			"renewal_alert_type": "WARNING", "unknown": 1}, 200, ""},
		{"partial update", path("P1234-567", "51", "77"), map[string]any{"renewal_body": "Details"}, 200, ""},
		{"no such lease", path("1234", "51", "78"), map[string]any{}, 404, errLeaseNotFound},
		{"renter not an integer", path("1234", "x", "77"), map[string]any{}, 404, errLeaseNotFound},
		{"unknown community", path("4321", "51", "77"), map[string]any{}, 404, errCommunityNotFound},
		{"bad alert type", path("1234", "51", "77"), map[string]any{"renewal_alert_type": "URGENT"}, 400, errValidation},
		{"bool as text", path("1234", "51", "77"), map[string]any{"renewal_card_status": "yes"}, 400, errValidation},
		{"no trailing slash", strings.TrimSuffix(path("1234", "51", "77"), "/"), map[string]any{}, 404, htmlNotFound},
	}
	var statusID any
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := b.do(t, "PUT", tt.path, tt.body)
			if r.status != tt.want {
				t.Fatalf("status %d, want %d (%s)", r.status, tt.want, r.body)
			}
			if tt.errType != "" {
				if got := r.errorType(t); got != tt.errType {
					t.Errorf("error_type %q, want %q", got, tt.errType)
				}
				return
			}
			var res map[string]any
			_ = json.Unmarshal(r.body, &res)
			if statusID == nil {
				statusID = res["renewal_status_id"]
			}
			if res["renewal_status_id"] == nil || res["renewal_status_id"] != statusID {
				t.Errorf("renewal_status_id %v, want a stable one (%v)", res["renewal_status_id"], statusID)
			}
		})
	}
	card, ok := b.s.RenewalCard(cur)
	if !ok || card["renewal_card_status"] != true || card["renewal_header"] != "Renew now" || card["renewal_body"] != "Details" ||
		card["renewal_alert_type"] != "WARNING" || card["unknown"] != nil {
		t.Errorf("card on the latest lease: %v", card)
	}
	if _, ok := b.s.RenewalCard(old); ok {
		t.Error("the older lease got the card")
	}
	if raw, _ := b.s.Raw(b.com.ID, Renewals, cur); strings.Contains(string(raw), "renewal_header") {
		t.Errorf("the card leaked into the listed record: %s", raw)
	}
}

func TestSeed(t *testing.T) {
	seeded := func() *Server {
		s := NewUnstarted(Options{APIKey: testKey, Now: func() time.Time { return time.Date(2025, 6, 1, 0, 0, 0, 0, time.UTC) }})
		Seed(s, SeedOptions{Seed: 7, Communities: 3, ProspectsPerCommunity: 80, RenewalsPerCommunity: 30,
			AppointmentsPerCommunity: 40, Contacts: []Contact{
				{Name: "Maya Patel", Email: " Maya.Patel@Example.com", Phone: "(555) 123-4567"},
				{Name: "Solo", Email: "", Phone: "+15559876543"},
			}})
		return s
	}
	a, b := seeded(), seeded()
	coms := a.Communities()
	if len(coms) != 3 {
		t.Fatalf("%d communities", len(coms))
	}
	var all bytes.Buffer
	for _, c := range coms {
		if c.Syndication == "" || c.Partner == "" {
			t.Errorf("community %+v lacks an id form", c)
		}
		raw, _ := a.CommunityRaw(c.ID)
		all.Write(raw)
		for _, res := range Resources() {
			if n := a.Count(c.ID, res); n == 0 {
				t.Errorf("community %d has no %s", c.ID, res)
			}
			for id, raw := range a.All(c.ID, res) {
				other, _ := b.Raw(c.ID, res, id)
				if !bytes.Equal(raw, other) {
					t.Fatalf("same seed, different %s %d:\n%s\n%s", res, id, raw, other)
				}
				all.Write(raw)
				all.WriteByte('\n')
			}
		}
	}
	if got := a.Count(coms[0].ID, Prospects) + a.Count(coms[1].ID, Prospects) + a.Count(coms[2].ID, Prospects); got != 243 {
		t.Errorf("%d prospects, want 3*80 + 2 contacts, the first with a second guest card", got)
	}
	text := all.String()
	for _, quirk := range []string{
		`"funnel_renter_id":"`, `"funnel_community_id":"`, `"funnel_community_id":null`, `"id":"`, `"postal_code":9`,
		`"amenities"`, `"month-to-month"`, `"offer_rent":"`, `"offer_rent":1`, `"offer_rent":null`, `"unit_number":1`,
		`"is_primary":true`, `"is_minor":true`, `"agents":null`, `"agents":"`, `"agents":[]`, `"name":"Unassigned"`,
		`"phone_1":"(`, `"phone_1":"+1`, `"phone_2":"`, `"move_in_date":null`, `T00:00:00"`,
		`"email":" `, `" Maya.Patel@Example.com"`, `"(555) 123-4567"`, `"+15559876543"`, `"messages"`,
	} {
		if !strings.Contains(text, quirk) {
			t.Errorf("seeded data never contains %s", quirk)
		}
	}
	if !regexp.MustCompile(`"phone_1":\d`).MatchString(text) {
		t.Error("seeded data never has a phone as a JSON number")
	}
}

func TestFaultsAndRateLimit(t *testing.T) {
	b := setup(t, func(o *Options) { o.RateLimit = &fakeapi.RateLimit{Requests: 2, Per: time.Minute} })
	for i, want := range []int{200, 200, 429} {
		if r := b.do(t, "GET", base+"1234/", nil); r.status != want {
			t.Errorf("request %d: %d, want %d", i, r.status, want)
		}
	}
	b = setup(t)
	b.s.Faults().Script(nil, fakeapi.FaultServerError, 1)
	if r := b.do(t, "GET", base+"1234/", nil); r.status < 500 {
		t.Errorf("scripted fault answered %d", r.status)
	}
	if n := len(b.s.Requests()); n != 1 {
		t.Errorf("%d requests recorded", n)
	}
}

func TestPageDrift(t *testing.T) {
	b := setup(t)
	for range 20 {
		b.s.Insert(b.com.ID, Appointments, map[string]any{"date": "2025-06-03"})
	}
	b.s.Faults().Script(nil, fakeapi.FaultPageDrift, 2)
	if r := b.do(t, "GET", base+"1234/appointments/booked/?page=1&per_page=5", nil); r.status != 200 {
		t.Fatal(r.status)
	}
	if r := b.do(t, "GET", base+"1234/appointments/booked/?page=3&per_page=5", nil); r.status != 200 {
		t.Fatal(r.status)
	}
	if got := b.s.Faults().Injected()[fakeapi.FaultPageDrift]; got != 1 {
		t.Errorf("drifted %d times, want once (page 1 declines)", got)
	}
	if n := b.s.Count(b.com.ID, Appointments); n == 20 {
		t.Error("drift did not change the data")
	}
}

func TestContactsFrom(t *testing.T) {
	records := func(yield func(int64, json.RawMessage) bool) {
		for i, r := range []string{
			`{"id": 1, "name": "Maya Patel", "email": " Maya@X.com ", "phone": "(555) 123-4567"}`,
			`{"id": 2, "name": "Maya Patel", "email": null, "phone": "+15551234567"}`, // same person: same phone
			`{"id": 3, "name": "Maya P", "email": "maya@x.com", "phone": null}`,       // same person: same e-mail
			`{"id": 4, "name": "No Contact", "email": null, "phone": null}`,
			`{"id": 5, "name": "Jo Kim", "email": "jo@x.com", "phone": "555-000-1111"}`,
			`not json`,
			`{"id": 7, "name": "Sam Lee", "phone": "555.000.2222"}`,
		} {
			if !yield(int64(i+1), json.RawMessage(r)) {
				return
			}
		}
	}
	got := ContactsFrom(records, 1, 0)
	want := []Contact{
		{Name: "Maya Patel", Email: " Maya@X.com ", Phone: "(555) 123-4567"},
		{Name: "Jo Kim", Email: "jo@x.com", Phone: "555-000-1111"},
		{Name: "Sam Lee", Phone: "555.000.2222"},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("ContactsFrom = %+v", got)
	}
	if got := ContactsFrom(records, 1, 2); len(got) != 2 {
		t.Errorf("limit 2 gave %d", len(got))
	}
	if got := ContactsFrom(records, 4, 0); len(got) != 2 || got[0].Name != "Maya Patel" || got[1].Name != "Jo Kim" {
		t.Errorf("every 4th gave %+v", got)
	}
}
