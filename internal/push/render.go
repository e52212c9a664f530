package push

import (
	"bytes"
	"fmt"
	"strings"
	"time"

	"github.com/syncd-dev/syncd/internal/clients/funnel"
	"github.com/syncd-dev/syncd/internal/models"
	"github.com/syncd-dev/syncd/internal/tenants"
)

// RenewalData is what renewal card templates see.
type RenewalData struct {
	RenewalID      int64
	CommunityID    string
	RenterID       int64
	UnitID         int64
	UnitNumber     string
	Status         string
	OfferRent      *float64
	OfferExpiresAt *time.Time
	LeaseStart     string // YYYY-MM-DD or ""
	LeaseEnd       string
}

func renewalData(r models.FunnelRenewal) RenewalData {
	d := RenewalData{RenewalID: r.ID, CommunityID: r.CommunityID, OfferRent: r.OfferRent, OfferExpiresAt: r.OfferExpiresAt}
	if r.FunnelRenterID != nil {
		d.RenterID = *r.FunnelRenterID
	}
	if r.FunnelUnitID != nil {
		d.UnitID = *r.FunnelUnitID
	}
	if r.UnitNumber != nil {
		d.UnitNumber = *r.UnitNumber
	}
	if r.Status != nil {
		d.Status = *r.Status
	}
	if r.LeaseStart != nil {
		d.LeaseStart = string(*r.LeaseStart)
	}
	if r.LeaseEnd != nil {
		d.LeaseEnd = string(*r.LeaseEnd)
	}
	return d
}

// templates is the renewal card per status that a tenant's push renders (see
// tenants.RenewalStatus.Resolved).
func templates(rs *tenants.RenewalStatus) map[string]tenants.RenewalTemplate {
	return rs.Resolved().Templates
}

// render builds the card for a renewal from its status's template. ok is false when no template
// covers the status (an unknown status is reported, not guessed).
func render(tpls map[string]tenants.RenewalTemplate, r models.FunnelRenewal) (card funnel.RenewalCard, ok bool, err error) {
	d := renewalData(r)
	tpl, ok := tpls[d.Status]
	if !ok {
		return card, false, nil
	}
	text := func(name, src string) (*string, error) {
		if src == "" {
			return nil, nil
		}
		t, err := tenants.ParseTemplate(name, src)
		if err != nil {
			return nil, fmt.Errorf("renewal template %s.%s: %w", d.Status, name, err)
		}
		var b bytes.Buffer
		if err := t.Execute(&b, d); err != nil {
			return nil, fmt.Errorf("renewal template %s.%s: %w", d.Status, name, err)
		}
		s := strings.TrimSpace(b.String())
		return &s, nil
	}
	card = funnel.RenewalCard{CardStatus: tpl.Show, AlertStatus: tpl.Alert, AllowClickthrough: tpl.Clickthrough,
		AlertType: tpl.AlertType, Icon: tpl.Icon}
	for _, f := range []struct {
		dst  **string
		name string
		src  string
	}{{&card.Header, "header", tpl.Header}, {&card.Subheader, "subheader", tpl.Subheader},
		{&card.Body, "body", tpl.Body}, {&card.AlertBody, "alert_body", tpl.AlertBody}} {
		if *f.dst, err = text(f.name, f.src); err != nil {
			return card, true, err
		}
	}
	return card, true, nil
}
