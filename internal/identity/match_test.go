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
	idx.Add(105, []string{"shared@x.com"}, []string{"555-300-0001"})    // a household's address, two phones
	idx.Add(106, []string{"shared@x.com"}, []string{"555-300-0002"})
	idx.Add(107, []string{"twin@x.com"}, []string{"555-300-0003"}) // one person's guest cards in two communities
	idx.Add(108, []string{"twin@x.com"}, []string{"555-300-0003"})

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
		{"shared email, the phone narrows it to one client", "shared@x.com", "(555) 300-0001", []Link{
			link(1, 105, models.MatchedBoth, models.LinkLinked)}},
		{"shared email, no phone to narrow it", "shared@x.com", "", []Link{
			link(1, 105, models.MatchedEmail, models.LinkAmbiguous), link(1, 106, models.MatchedEmail, models.LinkAmbiguous)}},
		{"shared email and phone: two clients match on both", "twin@x.com", "(555) 300-0003", []Link{
			link(1, 107, models.MatchedBoth, models.LinkAmbiguous), link(1, 108, models.MatchedBoth, models.LinkAmbiguous)}},
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

// FunnelMatch models Funnel's customer-score matching; Identify picks the payload that makes it
// land on one client, following the same order.
func TestFunnelMatchAndIdentify(t *testing.T) {
	idx := NewIndex()
	idx.Add(1, []string{"solo@x.com"}, []string{"555-400-0001"})
	idx.Add(2, []string{"home@x.com"}, []string{"555-400-0002"}) // shares an e-mail with 3; the phone narrows
	idx.Add(3, []string{"home@x.com"}, []string{"555-400-0003"})
	idx.Add(4, []string{"twin@x.com"}, []string{"555-400-0004"}) // shares e-mail and phone with 5: never singled out
	idx.Add(5, []string{"twin@x.com"}, []string{"555-400-0004"})
	idx.Add(6, nil, []string{"555-400-0006"})                                   // phone only
	idx.Add(7, nil, []string{"555-400-0004"})                                   // phone only, shared with 4 and 5
	idx.Add(8, []string{"HOME@x.com", "eight@x.com"}, []string{"555-400-0002"}) // a co-applicant's own e-mail singles it out
	idx.Add(9, []string{"twin@x.com"}, []string{"555-400-0009"})                // narrows twin@ by its own phone

	n := func(ids ...int64) []int64 { return ids }
	matches := []struct {
		email, phone string
		want         []int64
	}{
		{"solo@x.com", "", n(1)},
		{"home@x.com", "", n(2, 3, 8)},
		{"home@x.com", "+15554000003", n(3)},
		{"home@x.com", "+15554000002", n(2, 8)},
		{"home@x.com", "+15554009999", n(2, 3, 8)}, // a phone none of them has leaves them all
		{"nobody@x.com", "+15554000006", n(6)},     // no e-mail match: the phone alone
		{"", "+15554000004", n(4, 5, 7)},
		{"solo@x.com", "+15554000006", n(1)}, // the e-mail wins over another client's phone
		{"", "", nil},
	}
	for _, m := range matches {
		if got := idx.FunnelMatch(m.email, m.phone); !reflect.DeepEqual(got, m.want) {
			t.Errorf("FunnelMatch(%q, %q) = %v, want %v", m.email, m.phone, got, m.want)
		}
	}

	type id struct {
		email, phone string
		ok           bool
	}
	wants := map[int64]id{
		1:  {"solo@x.com", "", true},
		2:  {"", "", false}, // home@ with 555-400-0002 still leaves 8
		3:  {"home@x.com", "+15554000003", true},
		4:  {"", "", false},
		5:  {"", "", false},
		6:  {"", "+15554000006", true},
		7:  {"", "", false},
		8:  {"eight@x.com", "", true},
		9:  {"twin@x.com", "+15554000009", true},
		99: {"", "", false}, // not in the index
	}
	for client, w := range wants {
		e, p, ok := idx.Identify(client)
		if (id{e, p, ok}) != w {
			t.Errorf("Identify(%d) = %q, %q, %v; want %+v", client, e, p, ok, w)
		}
		if ok && !reflect.DeepEqual(idx.FunnelMatch(e, p), []int64{client}) {
			t.Errorf("Identify(%d)'s payload matches %v", client, idx.FunnelMatch(e, p))
		}
	}
}
