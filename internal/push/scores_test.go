package push

import (
	"encoding/json"
	"maps"
	"slices"
	"testing"
	"time"

	"github.com/syncd-dev/syncd/internal/identity"
	"github.com/syncd-dev/syncd/internal/models"
)

// The rewrite of earlier-scheme ledger rows, case by case: where a row goes, and which row wins
// when several could claim one client.
func TestMigrateScoreTargets(t *testing.T) {
	live := identity.NewIndex()
	live.Add(11, []string{"ann@x.com", "co@x.com"}, []string{"+15550000011"}) // Ann, with a co-applicant
	live.Add(12, []string{"home@x.com"}, []string{"+15550000012"})
	live.Add(13, []string{"home@x.com"}, []string{"+15550000013"})
	live.Add(14, []string{"bo@x.com"}, nil)

	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	row := func(target string, value int, email, phone, state string, pushedAt time.Time) models.PushLedger {
		d := scoreDesired{ScoreName: "s", ScoreValue: value, MaximumScore: 100, Email: email, Phone: phone}
		raw, full := hashOf(d) // the earlier scheme hashed the whole payload
		r := models.PushLedger{Kind: models.PushCustomerScore, TargetKey: target, Desired: models.JSON(raw), DesiredHash: full, State: state}
		if state == models.PushPushed {
			r.Pushed, r.PushedHash, r.PushedAt = models.JSON(raw), &full, &pushedAt
		}
		return r
	}
	rows := []models.PushLedger{
		// Ann as two persons (her own e-mail; the co-applicant's): both landed on client 11, the
		// co-applicant's last, so it holds the client's current score.
		row("person:ann@x.com", 50, "ann@x.com", "", models.PushPushed, t0),
		row("person:co@x.com", 80, "co@x.com", "", models.PushPushed, t0.Add(time.Hour)),
		// A shared e-mail narrowed by the phone: client 13.
		row("person:home@x.com", 35, "home@x.com", "+15550000013", models.PushPushed, t0),
		// A shared e-mail without a narrowing phone: no one client; stays a contact row.
		row("person:+15550000099", 35, "home@x.com", "+15550000099", models.PushPushed, t0),
		// Never matched (404): a contact row, even though client 14 exists now, so 14 gets its score.
		row("person:bo@x.com", 10, "bo@x.com", "", models.PushUnmatched, t0),
		// Its destination exists already (a row written by this scheme): the old row goes.
		row("person:zed@x.com", 10, "zed@x.com", "", models.PushPushed, t0),
		row("contact:zed@x.com", 20, "zed@x.com", "", models.PushPushed, t0),
		// Other kinds and this scheme's rows are left alone.
		{Kind: models.PushAssignment, TargetKey: "prospect:7", DesiredHash: "h"},
	}
	ledger := map[ledgerKey]models.PushLedger{}
	for _, r := range rows {
		ledger[ledgerKey{r.Kind, r.TargetKey}] = r
	}
	p := &Plan{Skipped: map[string]int{}}
	migrateScoreTargets(ledger, live, p)

	var got []string
	for k := range ledger {
		got = append(got, k.kind+" "+k.target)
	}
	slices.Sort(got)
	want := []string{
		"assignment prospect:7",
		"customer_score contact:+15550000099",
		"customer_score contact:ann@x.com",
		"customer_score contact:bo@x.com",
		"customer_score contact:zed@x.com",
		"customer_score funnel-client:11",
		"customer_score funnel-client:13",
	}
	if !slices.Equal(got, want) {
		t.Fatalf("ledger after the rewrite:\n got  %q\n want %q", got, want)
	}
	c11 := ledger[ledgerKey{models.PushCustomerScore, "funnel-client:11"}]
	var prev scoreDesired
	if err := json.Unmarshal(c11.Pushed, &prev); err != nil || prev.ScoreValue != 80 {
		t.Errorf("client 11 holds %+v, want the co-applicant's 80, pushed last", prev)
	}
	if want := valueHash(scoreDesired{ScoreName: "s", ScoreValue: 80, MaximumScore: 100, Email: "anything"}); c11.DesiredHash != want || *c11.PushedHash != want {
		t.Errorf("client 11's hashes %s/%s, want the value hash %s", c11.DesiredHash, *c11.PushedHash, want)
	}
	if z := ledger[ledgerKey{models.PushCustomerScore, "contact:zed@x.com"}]; jsonValue(z.Pushed) != "20" {
		t.Errorf("the existing contact row was overwritten: %s", z.Pushed)
	}

	moves := map[string]string{}
	for _, m := range p.moves {
		moves[m.From] = m.To
	}
	wantMoves := map[string]string{
		"person:ann@x.com": "contact:ann@x.com", "person:co@x.com": "funnel-client:11",
		"person:home@x.com": "funnel-client:13", "person:+15550000099": "contact:+15550000099",
		"person:bo@x.com": "contact:bo@x.com", "person:zed@x.com": "",
	}
	if !maps.Equal(moves, wantMoves) {
		t.Errorf("moves %v, want %v", moves, wantMoves)
	}

	// Nothing left to rewrite: a second pass finds nothing.
	p2 := &Plan{Skipped: map[string]int{}}
	migrateScoreTargets(ledger, live, p2)
	if len(p2.moves) != 0 {
		t.Errorf("a second pass moved %+v", p2.moves)
	}
}

func jsonValue(raw []byte) string {
	var d scoreDesired
	_ = json.Unmarshal(raw, &d)
	b, _ := json.Marshal(d.ScoreValue)
	return string(b)
}

// Prospects sharing an e-mail or a phone are one person, however the sharing chains.
func TestPersons(t *testing.T) {
	s := func(v string) *string { return &v }
	rows := []prospectContact{
		{ID: 1, EmailNormalized: s("a@x.com"), PhoneE164: s("+1")},
		{ID: 2, PhoneE164: s("+2")},
		{ID: 3, EmailNormalized: s("b@x.com"), PhoneE164: s("+1")},
		{ID: 4, EmailNormalized: s("b@x.com"), PhoneE164: s("+2")},
		{ID: 5, EmailNormalized: s("c@x.com")},
	}
	var got [][]int64
	for _, person := range persons(rows) {
		var ids []int64
		for _, r := range person {
			ids = append(ids, r.ID)
		}
		got = append(got, ids)
	}
	if want := [][]int64{{1, 2, 3, 4}, {5}}; !slices.EqualFunc(got, want, slices.Equal) {
		t.Errorf("persons = %v, want %v", got, want)
	}
}
