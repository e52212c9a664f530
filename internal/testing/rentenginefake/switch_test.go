package rentenginefake

import (
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/syncd-dev/syncd/internal/testing/fakeapi"
)

func TestSwitchEndpoints(t *testing.T) {
	b := setup(t)
	p := b.s.Insert(Prospects, map[string]any{"name": "Ann", "phone": "512-555-0100"})
	b.s.Insert(Units, map[string]any{"status": "Available"})
	b.s.AddEvent(p, "New", b.clock.Now())
	postBody := fmt.Sprintf(`{"events":[{"prospect_id":%d,"event_type":"Assign to User","source":"Automation",`+
		`"context":{"assignedToUserIds":["1259ef6e-61ee-42cb-b6bd-7fe547569d7c"],"applyActionInBulk":false}}]}`, p)
	calls := map[string]struct {
		method, path string
		body         []byte
		ok           int
	}{
		EndpointUnits:             {"GET", "/units", nil, 200},
		EndpointProspects:         {"GET", "/prospects", nil, 200},
		EndpointLeasingEvents:     {"GET", "/leasing_events", nil, 200},
		EndpointPostLeasingEvents: {"POST", "/leasing_events", []byte(postBody), 201},
	}
	if len(calls) != len(Endpoints()) {
		t.Fatalf("the test covers %d of %d endpoints", len(calls), len(Endpoints()))
	}
	for _, ep := range Endpoints() {
		c := calls[ep]
		t.Run(ep, func(t *testing.T) {
			t.Cleanup(b.s.Reset)
			tests := []struct {
				status int
				error  string
			}{{404, "Not Found"}, {405, "Method Not Allowed"}, {410, "Gone"}}
			for _, tt := range tests {
				b.s.DisableWith(ep, tt.status)
				r := b.do(t, c.method, c.path, testToken, c.body)
				if r.status != tt.status || apiErr(t, r).Error != tt.error {
					t.Errorf("disabled with %d: %d %s", tt.status, r.status, r.body)
				}
				if tt.status == 405 && strings.Contains(r.header.Get("Allow"), c.method) {
					t.Errorf("Allow %q lists the disabled method", r.header.Get("Allow"))
				}
			}
			for other, oc := range calls {
				if other != ep && oc.method == "GET" {
					if r := b.do(t, oc.method, oc.path, testToken, oc.body); r.status != oc.ok {
						t.Errorf("%s answered %d while %s is off", other, r.status, ep)
					}
				}
			}
			b.s.Enable(ep)
			if r := b.do(t, c.method, c.path, testToken, c.body); r.status != c.ok {
				t.Errorf("on again: %d %s", r.status, r.body)
			}
		})
	}

	// GET and POST /leasing_events share a path: with one off, the other still answers, and a
	// 405 names the method left.
	b.s.DisableWith(EndpointLeasingEvents, http.StatusMethodNotAllowed)
	if r := b.get(t, "/leasing_events"); r.status != 405 || r.header.Get("Allow") != "POST" {
		t.Errorf("GET off with 405: %d, Allow %q", r.status, r.header.Get("Allow"))
	}
	if r := b.post(t, postBody); r.status != 201 {
		t.Errorf("POST while GET is off: %d %s", r.status, r.body)
	}
	b.s.Disable(EndpointPostLeasingEvents)
	b.s.Disable(EndpointLeasingEvents)
	if r := b.do(t, http.MethodDelete, "/leasing_events", testToken, nil); r.status != 404 {
		t.Errorf("a path with every method off: %d", r.status)
	}
}

func TestSwitchFieldTypes(t *testing.T) {
	b := setup(t)
	u := b.s.Insert(Units, map[string]any{"status": "Available", "bedrooms": "2", "address": map[string]any{"city": "Austin"}})
	p := b.s.Insert(Prospects, map[string]any{"name": "Ann", "phone": "512-555-0100"})
	stored, _ := b.s.Raw(Units, u)

	b.s.SetFieldType(string(Units), "id", fakeapi.FieldString)
	b.s.SetFieldType(string(Units), "bedrooms", fakeapi.FieldObject)
	b.s.SetFieldType(string(Units), "address.city", fakeapi.FieldAbsent)
	b.s.SetFieldType(string(LeasingEvents), "prospect", fakeapi.FieldString)
	got := string(b.get(t, "/units").body)
	if !strings.Contains(got, fmt.Sprintf(`"id":"%d"`, u)) || !strings.Contains(got, `"bedrooms":{"value":"2"}`) ||
		strings.Contains(got, "Austin") {
		t.Errorf("units served as %s", got)
	}
	if got := string(b.get(t, "/prospects").body); !strings.Contains(got, fmt.Sprintf(`"id":%d`, p)) {
		t.Errorf("prospects changed too: %s", got)
	}
	// A leasing_events change applies to the events a POST answers.
	r := b.post(t, fmt.Sprintf(`{"events":[{"prospect_id":%d,"event_type":"Assign to User","source":"Automation",`+
		`"context":{"assignedToUserIds":["1259ef6e-61ee-42cb-b6bd-7fe547569d7c"],"applyActionInBulk":false}}]}`, p))
	if r.status != 201 || !strings.Contains(string(r.body), fmt.Sprintf(`"prospect":"%d"`, p)) {
		t.Errorf("POST answered %d %s", r.status, r.body)
	}
	if raw, _ := b.s.Raw(Units, u); string(raw) != string(stored) {
		t.Errorf("stored unit changed: %s", raw)
	}
	b.s.Reset()
	if got := string(b.get(t, "/units").body); got != "["+string(stored)+"]" {
		t.Errorf("after Reset served %s, stored %s", got, stored)
	}
}

func TestAdminEndpoint(t *testing.T) {
	b := setup(t)
	b.s.Insert(Units, map[string]any{"status": "Available"})
	req, _ := http.NewRequest(http.MethodPost, b.s.URL()+fakeapi.AdminPath,
		strings.NewReader(`{"disable": {"GET /units": 410}}`))
	resp, err := b.client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("admin answered %d", resp.StatusCode)
	}
	if r := b.get(t, "/units"); r.status != 410 {
		t.Errorf("GET /units after the admin call: %d", r.status)
	}
}
