package funnelfake

import (
	"encoding/json"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/syncd-dev/syncd/internal/testing/fakeapi"
)

func TestTrailingSlash(t *testing.T) {
	b := setup(t)
	p := b.s.Insert(b.com.ID, Prospects, map[string]any{"status": "Prospect"})
	b.s.Insert(b.com.ID, Renewals, map[string]any{"funnel_renter_id": p, "funnel_unit_id": 77})
	score := BasePath + "/company/3187/customer-score"
	card := base + "1234/renters/" + itoa(p) + "/units/77/renewal-status"
	tests := []struct {
		name, method, path string
		auth               []string // nil: the key
		want               int
		location           string // for a 301
	}{
		{"community", "GET", base + "1234", nil, 301, base + "1234/"},
		{"list keeps the query", "GET", base + "1234/prospects?page=2&per_page=5", nil, 301, base + "1234/prospects/?page=2&per_page=5"},
		{"renewals", "GET", base + "1234/renewals", nil, 301, base + "1234/renewals/"},
		{"appointments", "GET", base + "1234/appointments/booked", nil, 301, base + "1234/appointments/booked/"},
		{"escaped community id stays escaped", "GET", base + "partner-id%3Aapts%2F12%3Ab", nil, 301, base + "partner-id%3Aapts%2F12%3Ab/"},
		{"HEAD", "HEAD", base + "1234/renewals", nil, 301, base + "1234/renewals/"},
		{"before authentication", "GET", base + "1234/renewals", []string{""}, 301, base + "1234/renewals/"},
		{"unknown community: resolved later", "GET", base + "9999", nil, 301, base + "9999/"},
		{"GET of a PUT path", "GET", card, nil, 301, card + "/"},
		{"GET of a POST path", "GET", score, nil, 301, score + "/"},
		{"POST", "POST", score, nil, 404, ""},
		{"PUT", "PUT", card, nil, 404, ""},
		{"POST to a list", "POST", base + "1234/prospects", nil, 404, ""},
		{"DELETE", "DELETE", base + "1234", nil, 404, ""},
		{"no route even with a slash", "GET", base + "1234/units", nil, 404, ""},
		{"the prospect path takes no slash", "GET", base + "1234/prospects/" + itoa(p) + "/", nil, 404, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var body any
			if tt.method == "POST" || tt.method == "PUT" {
				body = map[string]any{}
			}
			r := b.do(t, tt.method, tt.path, body, tt.auth...)
			if r.status != tt.want {
				t.Fatalf("status %d, want %d (%s)", r.status, tt.want, r.body)
			}
			if tt.want == 404 && !r.isHTMLNotFound() {
				t.Errorf("404 is not the HTML page: %s %s", r.header.Get("Content-Type"), r.body)
			}
			if got := r.header.Get("Location"); got != tt.location {
				t.Errorf("Location %q, want %q", got, tt.location)
			}
		})
	}

	// A client that follows the redirect lands on the real answer.
	req, _ := http.NewRequest("GET", b.s.URL()+base+"1234/prospects?per_page=1", nil)
	req.SetBasicAuth(testKey, "")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 || resp.Request.URL.Path != base+"1234/prospects/" {
		t.Errorf("following the redirect: %d at %s", resp.StatusCode, resp.Request.URL)
	}
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

func TestCustomerScoreValidation(t *testing.T) {
	b := setup(t)
	b.s.Insert(b.com.ID, Prospects, map[string]any{"people": []any{
		map[string]any{"email": "ana@example.com", "phone_1": "415-555-0101"}}})
	path := BasePath + "/company/3187/customer-score/"
	valid := `"score_name":"fit","score_value":8,"maximum_score":10,"submitted_at":"2022-06-05T00:34:00"`
	tests := []struct {
		name string
		body string
		bad  string // fields with errors, sorted, comma-separated; "" for a 200
	}{
		{"documented example", `{` + valid + `,"email":"ana@example.com","phone":"415-555-0101"}`, ""},
		{"email only", `{` + valid + `,"email":"ana@example.com"}`, ""},
		{"phone only", `{` + valid + `,"phone":"567-567-5678"}`, "*404"},
		{"null email with a phone", `{` + valid + `,"email":null,"phone":"415-555-0101"}`, ""},
		{"maximum_score absent", `{"score_name":"fit","score_value":8,"submitted_at":"2022-06-05T00:34:00","email":"ana@example.com"}`, ""},
		{"submitted_at with zone and fraction", `{"score_name":"fit","score_value":8,"submitted_at":"2022-06-05T00:34:00.123456Z","email":"ana@example.com"}`, ""},
		{"submitted_at with a space, no seconds", `{"score_name":"fit","score_value":8,"submitted_at":"2022-06-05 00:34","email":"ana@example.com"}`, ""},
		{"negative score", `{"score_name":"fit","score_value":-1,"submitted_at":"2022-06-05T00:34:00","email":"ana@example.com"}`, ""},

		{"submitted_at absent", `{"score_name":"fit","score_value":8,"email":"ana@example.com"}`, "submitted_at"},
		{"submitted_at null", `{"score_name":"fit","score_value":8,"submitted_at":null,"email":"ana@example.com"}`, "submitted_at"},
		{"submitted_at empty", `{"score_name":"fit","score_value":8,"submitted_at":"","email":"ana@example.com"}`, "submitted_at"},
		{"submitted_at a date", `{"score_name":"fit","score_value":8,"submitted_at":"2022-06-05","email":"ana@example.com"}`, "submitted_at"},
		{"submitted_at out of range", `{"score_name":"fit","score_value":8,"submitted_at":"2022-02-30T00:34:00","email":"ana@example.com"}`, "submitted_at"},
		{"submitted_at a number", `{"score_name":"fit","score_value":8,"submitted_at":1654389240,"email":"ana@example.com"}`, "submitted_at"},
		{"score_value a numeric string", `{"score_name":"fit","score_value":"8","submitted_at":"2022-06-05T00:34:00","email":"ana@example.com"}`, "score_value"},
		{"score_value with a fraction", `{"score_name":"fit","score_value":8.5,"submitted_at":"2022-06-05T00:34:00","email":"ana@example.com"}`, "score_value"},
		{"score_value 8.0", `{"score_name":"fit","score_value":8.0,"submitted_at":"2022-06-05T00:34:00","email":"ana@example.com"}`, "score_value"},
		{"score_value an exponent", `{"score_name":"fit","score_value":8e0,"submitted_at":"2022-06-05T00:34:00","email":"ana@example.com"}`, "score_value"},
		{"score_value a bool", `{"score_name":"fit","score_value":true,"submitted_at":"2022-06-05T00:34:00","email":"ana@example.com"}`, "score_value"},
		{"score_value absent", `{"score_name":"fit","submitted_at":"2022-06-05T00:34:00","email":"ana@example.com"}`, "score_value"},
		{"score_value null", `{"score_name":"fit","score_value":null,"submitted_at":"2022-06-05T00:34:00","email":"ana@example.com"}`, "score_value"},
		{"maximum_score a numeric string", `{` + strings.Replace(valid, `"maximum_score":10`, `"maximum_score":"10"`, 1) + `,"email":"ana@example.com"}`, "maximum_score"},
		{"maximum_score null", `{` + strings.Replace(valid, `"maximum_score":10`, `"maximum_score":null`, 1) + `,"email":"ana@example.com"}`, "maximum_score"},
		{"score_name blank", `{` + strings.Replace(valid, `"score_name":"fit"`, `"score_name":" "`, 1) + `,"email":"ana@example.com"}`, "score_name"},
		{"neither email nor phone", `{` + valid + `}`, "non_field_errors"},
		{"both empty", `{` + valid + `,"email":"","phone":""}`, "non_field_errors"},
		{"phone a number", `{` + valid + `,"phone":4155550101}`, "phone"},
		{"email not a string", `{` + valid + `,"email":["ana@example.com"]}`, "email"},
		{"everything wrong at once", `{"score_value":"8","maximum_score":1.5}`, "maximum_score,non_field_errors,score_name,score_value,submitted_at"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := b.do(t, "POST", path, tt.body)
			switch tt.bad {
			case "":
				if r.status != 200 {
					t.Fatalf("status %d, want 200 (%s)", r.status, r.body)
				}
				return
			case "*404": // valid, but matches no client
				if r.status != 404 || r.errorType(t) != errRenterNotFound {
					t.Fatalf("status %d, want 404 RenterNotFound (%s)", r.status, r.body)
				}
				return
			}
			if r.status != 400 || r.errorType(t) != errValidation {
				t.Fatalf("status %d, want 400 ValidationError (%s)", r.status, r.body)
			}
			var e apiError
			if err := json.Unmarshal(r.body, &e); err != nil {
				t.Fatal(err)
			}
			var keys []string
			for k, msgs := range e.Errors {
				if len(msgs) == 0 || msgs[0] == "" {
					t.Errorf("field %s without a message", k)
				}
				keys = append(keys, k)
			}
			slices.Sort(keys)
			if got := strings.Join(keys, ","); got != tt.bad {
				t.Errorf("errors for %s, want %s (%s)", got, tt.bad, r.body)
			}
		})
	}
	if n := len(b.s.CustomerScores(b.s.IDs(b.com.ID, Prospects)[0])); n != 7 {
		t.Errorf("%d scores stored, want one per valid matching body (7)", n)
	}
}

func TestSwitchEndpoints(t *testing.T) {
	b := setup(t)
	p := b.s.Insert(b.com.ID, Prospects, map[string]any{"status": "Prospect", "people": []any{
		map[string]any{"email": "ana@example.com"}}})
	b.s.Insert(b.com.ID, Renewals, map[string]any{"funnel_renter_id": p, "funnel_unit_id": 77})
	calls := map[string]struct {
		method, path string
		body         any
	}{
		EndpointCommunity:     {"GET", base + "1234/", nil},
		EndpointProspects:     {"GET", base + "1234/prospects/", nil},
		EndpointProspect:      {"GET", base + "1234/prospects/" + itoa(p), nil},
		EndpointRenewals:      {"GET", base + "1234/renewals/", nil},
		EndpointAppointments:  {"GET", base + "1234/appointments/booked/", nil},
		EndpointRenewalStatus: {"PUT", base + "1234/renters/" + itoa(p) + "/units/77/renewal-status/", map[string]any{"renewal_header": "Renew"}},
		EndpointCustomerScore: {"POST", BasePath + "/company/3187/customer-score/", map[string]any{"score_name": "fit", "score_value": 1,
			"submitted_at": "2022-06-05T00:34:00", "email": "ana@example.com"}},
	}
	if len(calls) != len(Endpoints()) {
		t.Fatalf("the test covers %d of %d endpoints", len(calls), len(Endpoints()))
	}
	for _, ep := range Endpoints() {
		c := calls[ep]
		t.Run(ep, func(t *testing.T) {
			t.Cleanup(b.s.Reset)
			if r := b.do(t, c.method, c.path, c.body); r.status != 200 {
				t.Fatalf("on: %d %s", r.status, r.body)
			}
			for _, tt := range []struct {
				status  int
				errType string
			}{{404, htmlNotFound}, {405, errMethodNotAllowed}, {410, errGone}} {
				b.s.DisableWith(ep, tt.status)
				r := b.do(t, c.method, c.path, c.body)
				if r.status != tt.status || r.errorType(t) != tt.errType {
					t.Errorf("disabled with %d: %d %s", tt.status, r.status, r.body)
				}
			}
			// Switched off, an endpoint no longer attracts the trailing-slash redirect.
			b.s.Disable(ep)
			if r := b.do(t, "GET", strings.TrimSuffix(c.path, "/"), nil); r.status == 301 {
				t.Errorf("redirected to a disabled endpoint")
			}
			// Other endpoints are untouched.
			for other, oc := range calls {
				if other == ep || oc.method != "GET" {
					continue
				}
				if r := b.do(t, oc.method, oc.path, oc.body); r.status != 200 {
					t.Errorf("%s answered %d while %s is off", other, r.status, ep)
				}
			}
			b.s.Enable(ep)
			if r := b.do(t, c.method, c.path, c.body); r.status != 200 {
				t.Errorf("on again: %d %s", r.status, r.body)
			}
		})
	}
	// A disabled 404 is a missing route: no credentials needed to find that out.
	b.s.Disable(EndpointCommunity)
	if r := b.do(t, "GET", base+"1234/", nil, ""); !r.isHTMLNotFound() {
		t.Errorf("disabled endpoint without credentials: %d %s", r.status, r.body)
	}
}

func TestSwitchFieldTypes(t *testing.T) {
	b := setup(t)
	p := b.s.Insert(b.com.ID, Prospects, map[string]any{"status": "Prospect", "people": []any{
		map[string]any{"first_name": "Ana", "email": "ana@example.com"},
		map[string]any{"first_name": "Co", "email": "co@example.com"}}})
	b.s.Insert(b.com.ID, Renewals, map[string]any{"funnel_renter_id": p, "funnel_unit_id": 77})
	stored, _ := b.s.Raw(b.com.ID, Prospects, p)

	b.s.SetFieldType(string(Prospects), "funnel_renter_id", fakeapi.FieldString)
	b.s.SetFieldType(string(Prospects), "people.email", fakeapi.FieldObject)
	b.s.SetFieldType(ResourceCommunity, "id", fakeapi.FieldString)
	b.s.SetFieldType(ResourceCustomerScore, "customer_score_value", fakeapi.FieldString)
	b.s.MutateField(ResourceRenewalStatus, "renewal_status_id", func(any) any { return fakeapi.Absent })

	list := b.do(t, "GET", base+"1234/prospects/", nil)
	one := b.do(t, "GET", base+"1234/prospects/"+itoa(p), nil)
	for _, r := range []response{list, one} {
		if !strings.Contains(string(r.body), `"funnel_renter_id":"`+itoa(p)+`"`) ||
			!strings.Contains(string(r.body), `"email":{"value":"ana@example.com"}`) ||
			!strings.Contains(string(r.body), `"email":{"value":"co@example.com"}`) {
			t.Errorf("prospect served as %s", r.body)
		}
	}
	if r := b.do(t, "GET", base+"1234/", nil); !strings.Contains(string(r.body), `"id":"1234"`) {
		t.Errorf("community served as %s", r.body)
	}
	r := b.do(t, "POST", BasePath+"/company/3187/customer-score/", map[string]any{"score_name": "fit", "score_value": 7,
		"submitted_at": "2022-06-05T00:34:00", "email": "co@example.com"})
	if !strings.Contains(string(r.body), `"customer_score_value":"7"`) {
		t.Errorf("customer score answered %s", r.body)
	}
	r = b.do(t, "PUT", base+"1234/renters/"+itoa(p)+"/units/77/renewal-status/", map[string]any{})
	if r.status != 200 || strings.Contains(string(r.body), "renewal_status_id") {
		t.Errorf("renewal status answered %d %s", r.status, r.body)
	}
	// The stored record is what it was; the fake's accessors see no change.
	if raw, _ := b.s.Raw(b.com.ID, Prospects, p); string(raw) != string(stored) {
		t.Errorf("stored record changed: %s", raw)
	}
	b.s.Reset()
	if r := b.do(t, "GET", base+"1234/prospects/"+itoa(p), nil); string(r.body) != string(stored) {
		t.Errorf("after Reset served %s, stored %s", r.body, stored)
	}
}
