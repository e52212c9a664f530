package identity

import (
	"reflect"
	"testing"

	"github.com/syncd-dev/syncd/internal/models"
)

func TestIndexMatch(t *testing.T) {
	idx := NewIndex()
	idx.Add(101, []string{" Maya.Patel@Example.COM "}, []string{"(555) 123-4567", ""})
	idx.Add(102, []string{"jo@x.com"}, []string{"+15550001111"})
	idx.Add(103, []string{"not an email"}, []string{"555.000.1111"})
	idx.Add(104, []string{"primary@x.com", "co@x.com"}, []string{"12"}) // a co-applicant; a junk phone
	idx.Add(101, []string{"maya.patel@example.com"}, nil)               // added twice: still one client

	link := func(p, c int64, on, status string) Link {
		return Link{RentEngineProspectID: p, FunnelClientID: c, MatchedOn: on, Status: status}
	}
	tests := []struct {
		name         string
		email, phone string
		want         []Link
	}{
		{"email with case and spaces, and phone", "MAYA.PATEL@example.com ", "+15551234567",
			[]Link{link(1, 101, models.MatchedBoth, models.LinkLinked)}},
		{"phone only, other format", "", "555-123-4567", []Link{link(1, 101, models.MatchedPhone, models.LinkLinked)}},
		{"email only", "maya.patel@example.com", "", []Link{link(1, 101, models.MatchedEmail, models.LinkLinked)}},
		{"shared phone is ambiguous", "", "(555) 000-1111", []Link{
			link(1, 102, models.MatchedPhone, models.LinkAmbiguous), link(1, 103, models.MatchedPhone, models.LinkAmbiguous)}},
		{"email and phone of different clients is ambiguous", "jo@x.com", "+1 555 123 4567", []Link{
			link(1, 101, models.MatchedPhone, models.LinkAmbiguous), link(1, 102, models.MatchedEmail, models.LinkAmbiguous)}},
		{"a co-applicant's email", "co@x.com", "", []Link{link(1, 104, models.MatchedEmail, models.LinkLinked)}},
		{"no match", "nobody@x.com", "+15559999999", nil},
		{"nothing to match on", "", "", nil},
		{"junk is never a key", "not an email", "12", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := idx.Match(1, NormalizeEmail(tt.email), NormalizePhone(tt.phone))
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("Match = %+v, want %+v", got, tt.want)
			}
		})
	}
}

func TestNormalize(t *testing.T) {
	emails := map[string]string{" A.B@Example.COM ": "a.b@example.com", "no-at": "", "a@": "", "@b": "", "a b@c.d": ""}
	for in, want := range emails {
		if got := NormalizeEmail(in); got != want {
			t.Errorf("NormalizeEmail(%q) = %q, want %q", in, got, want)
		}
	}
	phones := map[string]string{"(555) 123-4567": "+15551234567", "+15551234567": "+15551234567",
		"555.123.4567": "+15551234567", "1-555-123-4567": "+15551234567", "12": "", "": "", "+44 20 7946 0958": "+442079460958"}
	for in, want := range phones {
		if got := NormalizePhone(in); got != want {
			t.Errorf("NormalizePhone(%q) = %q, want %q", in, got, want)
		}
	}
}
