package rentenginefake

import (
	"encoding/json"
	"regexp"
	"strings"
	"testing"

	"github.com/syncd-dev/syncd/internal/testing/fakeapi"
)

func TestSeed(t *testing.T) {
	b := setup(t)
	Seed(b.s, SeedOptions{Seed: 1, Units: 400, Prospects: 1500, EventsPerProspect: 4})
	if b.s.Count(Units) != 400 || b.s.Count(Prospects) != 1500 {
		t.Fatalf("counts %d units, %d prospects", b.s.Count(Units), b.s.Count(Prospects))
	}
	if n := b.s.Count(LeasingEvents); n < 1500*3 || n > 1500*5 {
		t.Errorf("%d events, want about 4 per prospect", n)
	}

	// Every record is valid JSON, served as stored.
	for _, res := range Resources() {
		for id, raw := range b.s.All(res) {
			if !json.Valid(raw) {
				t.Fatalf("%s %d is not valid JSON: %s", res, id, raw)
			}
		}
	}

	quirks := map[string]int{}
	saw := func(name string, cond bool) {
		if cond {
			quirks[name]++
		}
	}
	for _, u := range b.s.Records(Units) {
		_, addrObj := u["address"].(map[string]any)
		_, addrID := u["address"].(json.Number)
		saw("address object", addrObj)
		saw("address id", addrID)
		_, bedsStr := u["bedrooms"].(string)
		_, rentStr := u["target_rental_rate"].(string)
		saw("numbers as strings", bedsStr && rentStr)
		saw("bathrooms 2.5", u["bathrooms"] == "2.5")
		saw("status Leased", u["status"] == "Leased")
		saw("status other", u["status"] != "Leased")
		saw("unit null field", u["sqft"] == nil || u["year_built"] == nil)
		_, unknown := u["listing_quality_score"]
		saw("unknown field", unknown)
		saw("account", u["account_id"] == DefaultAccountID)
	}
	phoneFormats := map[string]*regexp.Regexp{
		"phone (555) 123-4567": regexp.MustCompile(`^\(\d{3}\) \d{3}-\d{4}$`),
		"phone 555-123-4567":   regexp.MustCompile(`^\d{3}-\d{3}-\d{4}$`),
		"phone +15551234567":   regexp.MustCompile(`^\+1\d{10}$`),
		"phone 5551234567":     regexp.MustCompile(`^\d{10}$`),
	}
	byPhone := map[string][]map[string]any{}
	for _, p := range b.s.Records(Prospects) {
		email, _ := p["email"].(string)
		saw("messy email", email != strings.TrimSpace(email) && email != strings.ToLower(email))
		phone, _ := p["phone"].(string)
		for name, re := range phoneFormats {
			saw(name, re.MatchString(phone))
		}
		if phone != "" {
			byPhone[phoneKey(phone)] = append(byPhone[phoneKey(phone)], p)
		}
		_, uoiStr := p["unit_of_interest"].(string)
		saw("unit_of_interest string", uoiStr)
		saw("unit_of_interest null", p["unit_of_interest"] == nil)
		saw("created_at micro Z", regexp.MustCompile(`^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$`).MatchString(p["created_at"].(string)))
	}
	people, multi := len(byPhone), 0
	for _, ps := range byPhone {
		if len(ps) > 1 {
			multi++
			if len(ps) > 3 {
				t.Errorf("%d prospects share phone %v", len(ps), ps[0]["phone"])
			}
			for _, p := range ps[1:] {
				if p["name"] != ps[0]["name"] {
					t.Errorf("prospects sharing a phone have different names: %v / %v", p["name"], ps[0]["name"])
				}
			}
		}
	}
	if pct := 100 * multi / people; pct < 5 || pct > 15 {
		t.Errorf("%d%% of people have several prospects, want about 10%%", pct)
	}

	// Status is the latest non-action event type, "New" without one.
	latest := map[int64]string{}
	latestAt := map[int64]string{}
	for _, e := range b.s.Records(LeasingEvents) {
		typ := e["event_type"].(string)
		saw("event "+typ, true)
		_, prospectStr := e["prospect"].(string)
		saw("prospect as string", prospectStr)
		if typ == EventAssignToUser {
			ctx := e["context"].(map[string]any)
			ids, _ := ctx["assignedToUserIds"].([]any)
			saw("assign with user ids", len(ids) == 1)
		}
		_, hasUnit := e["unit"]
		saw("event unit", hasUnit)
		if isActionEventType(typ) {
			continue
		}
		p, _ := fakeapi.Int64Of(e["prospect"])
		if at := e["created_at"].(string); at >= latestAt[p] {
			latest[p], latestAt[p] = typ, at
		}
	}
	for _, p := range b.s.Records(Prospects) {
		id, _ := fakeapi.Int64Of(p["id"])
		want := latest[id]
		if want == "" {
			want = EventNew
		}
		if p["status"] != want {
			t.Errorf("prospect %d status %q, latest event %q", id, p["status"], want)
		}
	}

	for _, q := range []string{
		"address object", "address id", "numbers as strings", "bathrooms 2.5", "status Leased", "status other",
		"unit null field", "unknown field", "account", "messy email",
		"phone (555) 123-4567", "phone 555-123-4567", "phone +15551234567", "phone 5551234567",
		"unit_of_interest string", "unit_of_interest null", "created_at micro Z",
		"event " + EventContactedAwaitingInfo, "event " + EventAssignToUser, "event " + EventReassignShowing,
		"event " + EventLogNote,
		"prospect as string", "assign with user ids", "event unit",
	} {
		if quirks[q] == 0 {
			t.Errorf("no record shows %q", q)
		}
	}
	if pct := 100 * quirks["address id"] / 400; pct < 2 || pct > 9 {
		t.Errorf("%d%% of units have an integer address, want about 5%%", pct)
	}
	if pct := 100 * quirks["status Leased"] / 400; pct < 55 {
		t.Errorf("%d%% of units are Leased, want most", pct)
	}
}

func TestSeedIsReproducibleAndAppends(t *testing.T) {
	dump := func() string {
		b := setup(t)
		Seed(b.s, SeedOptions{Seed: 9, Units: 20, Prospects: 30, EventsPerProspect: 2})
		Seed(b.s, SeedOptions{Seed: 10, Units: 5, Prospects: 5, AccountID: "0a0b0c0d-1111-4222-8333-444455556666"})
		if b.s.Count(Units) != 25 || b.s.Count(Prospects) != 35 {
			t.Fatalf("counts after two seeds: %d units, %d prospects", b.s.Count(Units), b.s.Count(Prospects))
		}
		var sb strings.Builder
		for _, res := range Resources() {
			for _, raw := range b.s.All(res) {
				sb.Write(raw)
				sb.WriteByte('\n')
			}
		}
		return sb.String()
	}
	if a, b := dump(), dump(); a != b {
		t.Errorf("same seed and clock, different data")
	}
}
