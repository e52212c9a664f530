package push

import (
	"testing"

	"github.com/syncd-dev/syncd/internal/models"
	"github.com/syncd-dev/syncd/internal/tenants"
)

func TestRender(t *testing.T) {
	s := func(v string) *string { return &v }
	rent := 2150.0
	end := models.Date("2027-01-31")
	r := models.FunnelRenewal{ID: 1, CommunityID: "1234", UnitNumber: s("12A"), Status: s("offered"), OfferRent: &rent, LeaseEnd: &end}
	tpls := templates(&tenants.RenewalStatus{Templates: map[string]tenants.RenewalTemplate{
		"offered": {Header: "{{upper .UnitNumber}}: {{money .OfferRent}}", Body: "ends {{date .LeaseEnd}}", AlertType: "INFO"},
		"broken":  {Body: "{{.NoSuchField}}"},
	}})
	card, ok, err := render(tpls, r)
	if err != nil || !ok {
		t.Fatalf("render: ok %v err %v", ok, err)
	}
	if *card.Header != "12A: $2,150" || *card.Body != "ends January 31, 2027" || card.AlertType != "INFO" || card.Subheader != nil {
		t.Errorf("card = header %q body %q alert %q subheader %v", *card.Header, *card.Body, card.AlertType, card.Subheader)
	}
	// The tenant's template replaced the default for offered; signed keeps the default.
	r.Status = s("signed")
	if card, ok, _ := render(tpls, r); !ok || *card.Header != "You're renewed!" {
		t.Errorf("default template for signed not used: %+v", card)
	}
	r.Status = s("renegotiating")
	if _, ok, _ := render(tpls, r); ok {
		t.Error("an unknown status must not get a card")
	}
	r.Status = s("broken")
	if _, _, err := render(tpls, r); err == nil {
		t.Error("a template naming a missing field must fail, not render empty text")
	}
}

func TestLimit(t *testing.T) {
	p := &Plan{Targets: 200}
	cases := []struct {
		cfg  *tenants.Push
		want int
	}{
		{nil, -1},
		{&tenants.Push{}, -1},
		{&tenants.Push{MaxChangesCount: 25}, 25},
		{&tenants.Push{MaxChangesPercent: 10}, 20},
		{&tenants.Push{MaxChangesPercent: 0.1}, 0},
	}
	for _, tc := range cases {
		if got := p.Limit(tc.cfg); got != tc.want {
			t.Errorf("Limit(%+v) = %d, want %d", tc.cfg, got, tc.want)
		}
	}
}
