package funnel_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/syncd-dev/syncd/internal/clients/funnel"
	"github.com/syncd-dev/syncd/internal/clients/upstream"
	"github.com/syncd-dev/syncd/internal/testing/fakeapi"
	"github.com/syncd-dev/syncd/internal/testing/funnelfake"
)

const key = "partner-key"

// bundle is one test's fake and a client of it.
type bundle struct {
	fake   *funnelfake.Server
	client *funnel.Client
	// community is a community with every id form, seeded with a few records.
	community funnelfake.CommunityIDs
}

// setup starts a fake with one seeded community and a client using auth and apiKey.
func setup(t *testing.T, auth, apiKey string) *bundle {
	t.Helper()
	fake := funnelfake.New(funnelfake.Options{APIKey: key})
	t.Cleanup(fake.Close)
	funnelfake.Seed(fake, funnelfake.SeedOptions{Seed: 1, Communities: 1, ProspectsPerCommunity: 120,
		RenewalsPerCommunity: 20, AppointmentsPerCommunity: 51})
	c, err := funnel.New(funnel.Config{BaseURL: fake.BaseURL(), APIKey: apiKey, Auth: auth, CompanyID: fake.CompanyID(),
		Upstream: upstream.Config{Retry: upstream.RetryPolicy{MaxAttempts: 1}}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	return &bundle{fake: fake, client: c, community: fake.Communities()[0]}
}

func TestListStreamsEveryPageOfEveryResource(t *testing.T) {
	b := setup(t, funnel.AuthBasic, key)
	for _, res := range funnel.Resources {
		t.Run(string(res), func(t *testing.T) {
			b.fake.ResetRequests()
			var ids []int64
			err := b.client.List(context.Background(), b.community.Numeric(), res, func(p upstream.Page) error {
				if len(p.Records) > funnel.PageSize {
					t.Errorf("page %d has %d records", p.Number, len(p.Records))
				}
				for _, raw := range p.Records {
					id, err := funnel.RecordID(raw)
					if res == funnel.Prospects {
						id, err = funnel.ProspectID(raw)
					}
					if err != nil {
						t.Errorf("record id of %s: %v", raw, err)
					}
					ids = append(ids, id)
				}
				return nil
			})
			if err != nil {
				t.Fatal(err)
			}
			want := b.fake.IDs(b.community.ID, funnelfake.Resource(res))
			if len(ids) != len(want) {
				t.Fatalf("listed %d records, the fake has %d", len(ids), len(want))
			}
			for i := range want {
				if ids[i] != want[i] {
					t.Fatalf("record %d: id %d, want %d", i, ids[i], want[i])
				}
			}
			segment := string(res)
			if res == funnel.Appointments {
				segment = "appointments/booked"
			}
			path := funnelfake.BasePath + "/community/" + b.community.Numeric() + "/" + segment + "/"
			reqs := b.fake.Requests()
			if wantPages := len(want)/funnel.PageSize + 1; len(reqs) != wantPages {
				t.Errorf("%d requests, want %d (stop on the first short page)", len(reqs), wantPages)
			}
			for i, r := range reqs {
				if r.Path != path {
					t.Errorf("request %d path %q, want %q", i, r.Path, path)
				}
				if want := "page=" + itoa(i+1) + "&per_page=50"; r.RawQuery != want {
					t.Errorf("request %d query %q, want %q", i, r.RawQuery, want)
				}
				if user, pass, ok := basicAuth(r.Header); !ok || user != key || pass != "" {
					t.Errorf("request %d not authorised with the key as Basic user name: %v", i, r.Header)
				}
			}
		})
	}
}

func TestAuthSchemes(t *testing.T) {
	tests := []struct {
		name, auth, key string
		wantErr         bool
	}{
		{"basic", funnel.AuthBasic, key, false},
		{"default is basic", "", key, false},
		{"bearer", funnel.AuthBearer, key, false},
		{"wrong key basic", funnel.AuthBasic, "nope", true},
		{"wrong key bearer", funnel.AuthBearer, "nope", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := setup(t, tt.auth, tt.key)
			_, _, err := b.client.GetCommunity(context.Background(), b.community.Numeric())
			if !tt.wantErr {
				if err != nil {
					t.Fatal(err)
				}
				h := b.fake.Requests()[0].Header.Get("Authorization")
				if tt.auth == funnel.AuthBearer && h != "Bearer "+key || tt.auth != funnel.AuthBearer && !strings.HasPrefix(h, "Basic ") {
					t.Errorf("Authorization %q", h)
				}
				return
			}
			var ue *upstream.Error
			if !errors.As(err, &ue) || ue.Kind != upstream.KindAuth || ue.Status != http.StatusUnauthorized || ue.Message == "" {
				t.Fatalf("err = %v, want a 401 auth error with the body's message", err)
			}
		})
	}
	if _, err := funnel.New(funnel.Config{APIKey: key, Auth: "digest"}, nil); err == nil {
		t.Error("New accepted an unknown auth scheme")
	}
	if _, err := funnel.New(funnel.Config{}, nil); err == nil {
		t.Error("New accepted an empty key")
	}
	// A colon would turn the rest of the key into a Basic password, which Funnel rejects.
	if _, err := funnel.New(funnel.Config{APIKey: "abc:def", Auth: funnel.AuthBasic}, nil); err == nil {
		t.Error("New accepted a key with a colon for Basic auth")
	}
	if _, err := funnel.New(funnel.Config{APIKey: "abc:def", Auth: funnel.AuthBearer}, nil); err != nil {
		t.Errorf("a key with a colon as bearer token: %v", err)
	}
}

func TestCommunityIDForms(t *testing.T) {
	b := setup(t, funnel.AuthBasic, key)
	want, _ := b.fake.CommunityRaw(b.community.ID)
	for _, form := range b.community.Forms() {
		t.Run(form, func(t *testing.T) {
			com, raw, err := b.client.GetCommunity(context.Background(), form)
			if err != nil {
				t.Fatal(err)
			}
			if string(raw) != string(want) {
				t.Errorf("raw %s, want %s", raw, want)
			}
			if com.ID.Text != b.community.Numeric() {
				t.Errorf("id %q, want %q", com.ID.Text, b.community.Numeric())
			}
			n := 0
			err = b.client.List(context.Background(), form, funnel.Renewals, func(p upstream.Page) error { n += len(p.Records); return nil })
			if err != nil || n != b.fake.Count(b.community.ID, funnelfake.Renewals) {
				t.Errorf("listed %d renewals (err %v), want %d", n, err, b.fake.Count(b.community.ID, funnelfake.Renewals))
			}
		})
	}
	if !strings.ContainsAny(b.community.Partner, ":/") {
		t.Errorf("fixture: the seeded partner id %q should need escaping", b.community.Partner)
	}
}

// TestCommunityIDEscaping checks the bytes on the wire, which the fake (a real server) only sees
// decoded.
func TestCommunityIDEscaping(t *testing.T) {
	var (
		mu   sync.Mutex
		uris []string
	)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		uris = append(uris, r.RequestURI)
		mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		io.WriteString(w, `{"id": 1, "data": []}`)
	}))
	t.Cleanup(srv.Close)
	c, err := funnel.New(funnel.Config{BaseURL: srv.URL + "/api/partners/v1", APIKey: key}, nil)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct{ id, want string }{
		{"1234", "/api/partners/v1/community/1234/"},
		{"P1234-567", "/api/partners/v1/community/P1234-567/"},
		{"partner-id:abc", "/api/partners/v1/community/partner-id%3Aabc/"},
		{funnel.PartnerCommunityID("apts/12 b?x#y"), "/api/partners/v1/community/partner-id%3Aapts%2F12%20b%3Fx%23y/"},
		{"100%", "/api/partners/v1/community/100%25/"},
		{"..", "/api/partners/v1/community/%2E%2E/"},
	}
	for _, tt := range tests {
		t.Run(tt.id, func(t *testing.T) {
			mu.Lock()
			uris = nil
			mu.Unlock()
			if _, _, err := c.GetCommunity(context.Background(), tt.id); err != nil {
				t.Fatal(err)
			}
			if err := c.List(context.Background(), tt.id, funnel.Appointments, func(upstream.Page) error { return nil }); err != nil {
				t.Fatal(err)
			}
			mu.Lock()
			defer mu.Unlock()
			if len(uris) != 2 || uris[0] != tt.want || uris[1] != tt.want+"appointments/booked/?page=1&per_page=50" {
				t.Errorf("request URIs %q, want %q and its appointments/booked/ list", uris, tt.want)
			}
		})
	}
}

func TestTypedErrors(t *testing.T) {
	b := setup(t, funnel.AuthBasic, key)
	ctx := context.Background()
	com := b.community.Numeric()
	renewal, _ := b.fake.Get(b.community.ID, funnelfake.Renewals, b.fake.IDs(b.community.ID, funnelfake.Renewals)[0])
	renter, unit := asInt(t, renewal["funnel_renter_id"]), asInt(t, renewal["funnel_unit_id"])
	is := map[string]func(error) bool{
		funnel.CodeCommunityNotFound: funnel.IsCommunityNotFound,
		funnel.CodeProspectNotFound:  funnel.IsProspectNotFound,
		funnel.CodeRenterNotFound:    funnel.IsRenterNotFound,
		funnel.CodeLeaseNotFound:     funnel.IsLeaseNotFound,
	}
	tests := []struct {
		code string
		call func() error
	}{
		{funnel.CodeCommunityNotFound, func() error { _, _, err := b.client.GetCommunity(ctx, "partner-id:nobody"); return err }},
		{funnel.CodeCommunityNotFound, func() error {
			return b.client.List(ctx, "P999-999", funnel.Prospects, func(upstream.Page) error { return nil })
		}},
		{funnel.CodeCommunityNotFound, func() error {
			_, err := b.client.SetRenewalStatus(ctx, "424242", renter, unit, funnel.RenewalCard{})
			return err
		}},
		{funnel.CodeProspectNotFound, func() error { _, _, err := b.client.GetProspect(ctx, com, 1); return err }},
		{funnel.CodeRenterNotFound, func() error {
			_, err := b.client.PostCustomerScore(ctx, funnel.CustomerScore{Name: "fit", Value: 1, Maximum: 5,
				SubmittedAt: time.Now(), Email: "nobody@example.org", Phone: "+1 (999) 555-0000"})
			return err
		}},
		{funnel.CodeLeaseNotFound, func() error {
			_, err := b.client.SetRenewalStatus(ctx, com, renter, unit+1_000_000, funnel.RenewalCard{})
			return err
		}},
	}
	for _, tt := range tests {
		t.Run(tt.code, func(t *testing.T) {
			err := tt.call()
			var ue *upstream.Error
			if !errors.As(err, &ue) || ue.Status != http.StatusNotFound || ue.Kind != upstream.KindNotFound || ue.Code != tt.code {
				t.Fatalf("err = %v, want a 404 %s", err, tt.code)
			}
			for code, f := range is {
				if f(err) != (code == tt.code) {
					t.Errorf("Is%s(%v) = %v", code, err, f(err))
				}
			}
		})
	}
}

func TestPostCustomerScore(t *testing.T) {
	b := setup(t, funnel.AuthBearer, key)
	var p struct {
		ID     json.Number `json:"funnel_renter_id"`
		People []struct {
			Email *string `json:"email"`
		} `json:"people"`
	}
	id := b.fake.IDs(b.community.ID, funnelfake.Prospects)[0]
	raw, _ := b.fake.Raw(b.community.ID, funnelfake.Prospects, id)
	if err := json.Unmarshal(raw, &p); err != nil || len(p.People) == 0 || p.People[0].Email == nil {
		t.Fatalf("fixture: first prospect %s has no e-mail", raw)
	}
	at := time.Date(2025, 6, 5, 0, 34, 0, 0, time.UTC)
	res, err := b.client.PostCustomerScore(context.Background(), funnel.CustomerScore{
		Name: "syncd-fit", Value: 7, Maximum: 10, SubmittedAt: at,
		Email: "  " + strings.ToUpper(strings.TrimSpace(*p.People[0].Email)) + " ",
	})
	if err != nil {
		t.Fatal(err)
	}
	if res.ClientID.Int != id || res.Name.V != "syncd-fit" || res.Value.V != 7 || res.Maximum.V != 10 || !res.SubmittedAt.V.Equal(at) {
		t.Errorf("result %+v", res)
	}
	got := b.fake.CustomerScores(id)
	if len(got) != 1 || got[0].Value != 7 || got[0].Maximum != 10 || got[0].SubmittedAt != "2025-06-05T00:34:00" {
		t.Errorf("stored scores %+v", got)
	}
	noCompany, _ := funnel.New(funnel.Config{BaseURL: b.fake.BaseURL(), APIKey: key}, nil)
	if _, err := noCompany.PostCustomerScore(context.Background(), funnel.CustomerScore{Name: "s", SubmittedAt: at, Email: "a@b.c"}); err == nil {
		t.Error("posted a score without a company id")
	}
}

func TestSetRenewalStatus(t *testing.T) {
	b := setup(t, funnel.AuthBasic, key)
	rid := b.fake.IDs(b.community.ID, funnelfake.Renewals)[3]
	renewal, _ := b.fake.Get(b.community.ID, funnelfake.Renewals, rid)
	renter, unit := asInt(t, renewal["funnel_renter_id"]), asInt(t, renewal["funnel_unit_id"])
	on, header := true, "Your renewal offer is ready"
	id1, err := b.client.SetRenewalStatus(context.Background(), b.community.Syndication, renter, unit,
		funnel.RenewalCard{CardStatus: &on, Header: &header, AlertType: funnel.AlertInfo, Icon: "RENEWAL"})
	if err != nil {
		t.Fatal(err)
	}
	body := "Sign by the 30th"
	id2, err := b.client.SetRenewalStatus(context.Background(), b.community.PartnerForm(), renter, unit, funnel.RenewalCard{Body: &body})
	if err != nil {
		t.Fatal(err)
	}
	if id1 == 0 || id1 != id2 {
		t.Errorf("renewal_status_id %d then %d, want one stable id", id1, id2)
	}
	card, ok := b.fake.RenewalCard(rid)
	if !ok || card["renewal_card_status"] != true || card["renewal_header"] != header || card["renewal_body"] != body ||
		card["renewal_alert_type"] != "INFO" || card["renewal_icon"] != "RENEWAL" {
		t.Errorf("stored card %v", card)
	}
	if _, ok := card["renewal_alert_status"]; ok {
		t.Errorf("an unset field was sent: %v", card)
	}
	puts := b.fake.Recorder().Filter(http.MethodPut, funnelfake.BasePath+"/community/"+b.community.Syndication+
		"/renters/"+itoa(int(renter))+"/units/"+itoa(int(unit))+"/renewal-status/")
	if len(puts) != 1 {
		t.Errorf("%d PUTs on the exact documented path, want 1", len(puts))
	}
}

// TestRetryRules checks which writes the upstream layer repeats: the POST only on 429, the PUT
// also on a 503.
func TestRetryRules(t *testing.T) {
	tests := []struct {
		name   string
		method string
		first  int // status of the first answer; the second is 200
		calls  int
	}{
		{"POST after 500 is not repeated", http.MethodPost, 500, 1},
		{"POST after 503 is not repeated", http.MethodPost, 503, 1},
		{"POST after 429 is repeated", http.MethodPost, 429, 2},
		{"PUT after 503 is repeated", http.MethodPut, 503, 2},
		{"PUT after 429 is repeated", http.MethodPut, 429, 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var mu sync.Mutex
			calls := 0
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				mu.Lock()
				calls++
				n := calls
				mu.Unlock()
				w.Header().Set("Content-Type", "application/json")
				if n == 1 {
					w.WriteHeader(tt.first)
					io.WriteString(w, `{"error_type":"Oops","message":"try later"}`)
					return
				}
				// The documented answer of either call (each ignores the other's fields).
				io.WriteString(w, `{"id": 5, "customer_score_name": "s", "customer_score_value": 0, "customer_score_maximum": 0,
					"customer_score_submitted_at": "2025-06-05T00:34:00", "renewal_status_id": 9}`)
			}))
			t.Cleanup(srv.Close)
			c, err := funnel.New(funnel.Config{BaseURL: srv.URL, APIKey: key, CompanyID: 1, Upstream: upstream.Config{
				Retry: upstream.RetryPolicy{Base: time.Millisecond, Cap: time.Millisecond, MaxAttempts: 3}}}, nil)
			if err != nil {
				t.Fatal(err)
			}
			if tt.method == http.MethodPost {
				_, err = c.PostCustomerScore(context.Background(), funnel.CustomerScore{Name: "s", SubmittedAt: time.Now(), Email: "a@b.c"})
			} else {
				_, err = c.SetRenewalStatus(context.Background(), "1", 2, 3, funnel.RenewalCard{})
			}
			if (err == nil) != (tt.calls == 2) {
				t.Errorf("err = %v", err)
			}
			if calls != tt.calls {
				t.Errorf("%d calls, want %d", calls, tt.calls)
			}
		})
	}
}

func TestGetProspect(t *testing.T) {
	b := setup(t, funnel.AuthBasic, key)
	id := b.fake.IDs(b.community.ID, funnelfake.Prospects)[5]
	p, raw, err := b.client.GetProspect(context.Background(), b.community.PartnerForm(), id)
	if err != nil {
		t.Fatal(err)
	}
	want, _ := b.fake.Raw(b.community.ID, funnelfake.Prospects, id)
	if p.FunnelRenterID.Int != id || string(raw) != string(want) {
		t.Errorf("got %d %s, want %s", p.FunnelRenterID.Int, raw, want)
	}
	path := b.fake.Requests()[0].Path
	if !strings.HasSuffix(path, "/prospects/"+itoa(int(id))) {
		t.Errorf("path %q: the one-prospect path has no trailing slash", path)
	}
}

func basicAuth(h http.Header) (string, string, bool) {
	r := &http.Request{Header: h}
	return r.BasicAuth()
}

func asInt(t *testing.T, v any) int64 {
	t.Helper()
	var n json.Number
	switch x := v.(type) {
	case json.Number:
		n = x
	case string:
		n = json.Number(x)
	default:
		t.Fatalf("not an integer: %v", v)
	}
	i, err := n.Int64()
	if err != nil {
		t.Fatal(err)
	}
	return i
}

func itoa(i int) string { return strconv.Itoa(i) }

// TestCutBodiesAreRetried: a read whose body is cut short (a broken JSON body as much as a short
// read) is retried by the upstream layer, lists and single objects alike.
func TestCutBodiesAreRetried(t *testing.T) {
	b := setup(t, funnel.AuthBasic, key)
	c, err := funnel.New(funnel.Config{BaseURL: b.fake.BaseURL(), APIKey: key, Upstream: upstream.Config{
		Retry: upstream.RetryPolicy{Base: time.Millisecond, Cap: time.Millisecond, MaxAttempts: 5}}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	b.fake.Faults().Script(nil, fakeapi.FaultTruncated, 3)
	if _, _, err := c.GetCommunity(context.Background(), b.community.Numeric()); err != nil {
		t.Fatal(err)
	}
	b.fake.Faults().Script(nil, fakeapi.FaultTruncated, 3)
	n := 0
	if err := c.List(context.Background(), b.community.Numeric(), funnel.Prospects, func(p upstream.Page) error {
		n += len(p.Records)
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if n != b.fake.Count(b.community.ID, funnelfake.Prospects) || c.Retries() != 6 {
		t.Errorf("listed %d records with %d retries", n, c.Retries())
	}
}
