package funnel

import (
	"errors"
	"testing"
	"time"
)

func TestDecodeProspectTolerance(t *testing.T) {
	tests := []struct {
		name                     string
		raw                      string
		id                       int64
		email, phone, agent, who string
		people                   int
	}{
		{"documented shape plus agents", `{"funnel_renter_id": 51, "funnel_community_id": 1234, "status": "Prospect",
			"people": [{"id": 1, "first_name": "Ana", "email": "ana@x.com", "phone_1": "555-123-4567", "phone_2": null}],
			"agents": ["lee@agency.com"], "updated_at": "2025-06-01T10:00:00"}`, 51, "ana@x.com", "555-123-4567", "lee@agency.com", "Ana", 1},
		{"ids and phones as strings or numbers, unknown fields", `{"funnel_renter_id": "52", "funnel_community_id": "1234",
			"people": [{"id": "7", "first_name": "Bo", "phone_1": 5551234567, "email": null}], "new_field": {"x": 1}}`,
			52, "", "5551234567", "", "Bo", 1},
		{"is_primary picks the second person", `{"funnel_renter_id": 53, "people": [
			{"first_name": "Kid", "is_primary": false, "is_minor": true}, {"first_name": "Cy", "is_primary": true, "phone_2": "+15550001111"}]}`,
			53, "", "+15550001111", "", "Cy", 2},
		{"without is_primary the first adult", `{"funnel_renter_id": 54, "people": [
			{"first_name": "Kid", "is_minor": true}, {"first_name": "Di", "email": "di@x.com"}]}`, 54, "di@x.com", "", "", "Di", 2},
		{"people null, agents null", `{"funnel_renter_id": 55, "people": null, "agents": null, "move_in_date": null}`, 55, "", "", "", "", 0},
		{"people as one object, agents as text", `{"funnel_renter_id": 56, "people": {"first_name": "Ed"}, "agents": "a@x.com, b@x.com"}`,
			56, "", "", "a@x.com", "Ed", 1},
		{"agents as objects", `{"funnel_renter_id": 57, "agents": [{"email": "c@x.com", "name": "C"}]}`, 57, "", "", "c@x.com", "", 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := DecodeProspect([]byte(tt.raw))
			if err != nil {
				t.Fatal(err)
			}
			primary, _ := p.Primary()
			if p.FunnelRenterID.Int != tt.id || primary.Email.V != tt.email || primary.Phone().V != tt.phone ||
				p.AgentEmail() != tt.agent || primary.FirstName.V != tt.who || len(p.People) != tt.people {
				t.Errorf("got id %d email %q phone %q agent %q primary %q people %d", p.FunnelRenterID.Int,
					primary.Email.V, primary.Phone().V, p.AgentEmail(), primary.FirstName.V, len(p.People))
			}
		})
	}
	if _, err := DecodeProspect([]byte(`{"people": []}`)); !errors.Is(err, ErrNoID) {
		t.Errorf("prospect without funnel_renter_id: err %v", err)
	}
}

func TestDecodeRenewalTolerance(t *testing.T) {
	tests := []struct {
		name   string
		raw    string
		status RenewalStatus
		known  bool
		rent   float64
		unit   int64
	}{
		{"documented", `{"id": 1, "funnel_renter_id": 5, "funnel_unit_id": 9, "status": "offered", "offer_rent": 1925.5,
			"lease_start": "2024-07-01", "lease_end": "2025-06-30", "offer_expires_at": "2025-05-01T00:00:00"}`, RenewalOffered, true, 1925.5, 9},
		{"money and ids as strings", `{"id": "2", "funnel_unit_id": "77", "status": "signed", "offer_rent": "1,925.00"}`, RenewalSigned, true, 1925, 77},
		{"unknown status", `{"id": 3, "status": "month-to-month", "offer_rent": null, "extra": [1]}`, "month-to-month", false, 0, 0},
		{"no status", `{"id": 4, "status": null}`, "", false, 0, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, err := DecodeRenewal([]byte(tt.raw))
			if err != nil {
				t.Fatal(err)
			}
			if r.Status != tt.status || r.Status.Known() != tt.known || r.OfferRent.V != tt.rent || r.FunnelUnitID.V != tt.unit {
				t.Errorf("got %+v", r)
			}
		})
	}
}

func TestDecodeAppointmentAndCommunity(t *testing.T) {
	a, err := DecodeAppointment([]byte(`{"id": 300001, "date": "2025-06-03", "time": "14:30",
		"client": {"id": "51", "email": "a@x.com", "phone": "+15551234567"}, "agent": {"name": "Unassigned", "email": null}}`))
	if err != nil {
		t.Fatal(err)
	}
	if a.Client.ID.V != 51 || a.Agent.Name.V != "Unassigned" || a.Agent.Email.Valid || a.Time.V != "14:30" ||
		!a.Date.V.Equal(time.Date(2025, 6, 3, 0, 0, 0, 0, time.UTC)) {
		t.Errorf("got %+v", a)
	}
	if _, err := DecodeAppointment([]byte(`{"id": 2, "client": null, "agent": null}`)); err != nil {
		t.Errorf("null client and agent: %v", err)
	}
	c, err := DecodeCommunity([]byte(`{"id": "1234", "postal_code": 94107, "timezone": null, "amenities": ["Pool"]}`))
	if err != nil || c.ID.Text != "1234" || c.PostalCode.V != "94107" || c.Timezone.Valid {
		t.Errorf("community %+v, %v", c, err)
	}
	if id, err := CommunityID([]byte(`{"id": 1234.0}`)); err != nil || id != "1234" {
		t.Errorf("CommunityID = %q, %v", id, err)
	}
}

func TestParseError(t *testing.T) {
	tests := []struct{ body, code, msg string }{
		{`{"error_type": "LeaseNotFound", "message": "No lease"}`, "LeaseNotFound", "No lease"},
		{`{"error_type": "ValidationError", "message": "Bad", "errors": {"per_page": ["too big"]}}`, "ValidationError", `Bad {"per_page":["too big"]}`},
		{`{"error_type": "NotAvailable", "errors": {"tour_type": ["disabled"]}}`, "NotAvailable", `{"tour_type":["disabled"]}`},
		{`{"error": "No appointments available at the selected time."}`, "", "No appointments available at the selected time."},
		{`{"code": "invalid", "message": "m", "param": "x"}`, "invalid", "m"},
		{`<html>502 Bad Gateway</html>`, "", ""},
		{``, "", ""},
	}
	for _, tt := range tests {
		code, msg := parseError([]byte(tt.body))
		if code != tt.code || msg != tt.msg {
			t.Errorf("parseError(%s) = %q, %q; want %q, %q", tt.body, code, msg, tt.code, tt.msg)
		}
	}
}

func TestEscapeSegment(t *testing.T) {
	tests := map[string]string{
		"1234": "1234", "P1234-567": "P1234-567", "partner-id:abc": "partner-id%3Aabc",
		"a b/c?d#e%": "a%20b%2Fc%3Fd%23e%25", ".": "%2E", "..": "%2E%2E", "a.b_c~d": "a.b_c~d", "é": "%C3%A9",
	}
	for in, want := range tests {
		if got := escapeSegment(in); got != want {
			t.Errorf("escapeSegment(%q) = %q, want %q", in, got, want)
		}
	}
}
