package push

import (
	"bytes"
	"fmt"
	"math"
	"strconv"
	"strings"
	"text/template"
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

var funcs = template.FuncMap{
	"money": money,
	"date":  date,
	"upper": strings.ToUpper,
	"lower": strings.ToLower,
}

// money formats dollars: "$1,925" or "$1,925.50"; "" for no value.
func money(v any) string {
	var f float64
	switch x := v.(type) {
	case *float64:
		if x == nil {
			return ""
		}
		f = *x
	case float64:
		f = x
	case int:
		f = float64(x)
	case int64:
		f = float64(x)
	default:
		return ""
	}
	cents := int64(math.Round(f * 100))
	whole, frac := cents/100, cents%100
	s := strconv.FormatInt(whole, 10)
	var b strings.Builder
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	if frac != 0 {
		return fmt.Sprintf("$%s.%02d", b.String(), frac)
	}
	return "$" + b.String()
}

// date formats a time or a YYYY-MM-DD text as "January 2, 2006"; "" for no value.
func date(v any) string {
	switch x := v.(type) {
	case *time.Time:
		if x == nil {
			return ""
		}
		return x.Format("January 2, 2006")
	case time.Time:
		return x.Format("January 2, 2006")
	case string:
		if t, err := time.Parse(time.DateOnly, x); err == nil {
			return t.Format("January 2, 2006")
		}
		return x
	}
	return ""
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
		t, err := template.New(name).Funcs(funcs).Option("missingkey=error").Parse(src)
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
