package push

import (
	"sort"
	"time"

	"github.com/syncd-dev/syncd/internal/models"
	"github.com/syncd-dev/syncd/internal/tenants"
)

// TemplateCheck is the outcome of rendering one renewal card template with one sample renewal.
type TemplateCheck struct {
	// Status is the renewal status the template is for.
	Status string
	// Sample names the sample renewal: "full" (every field set) or "sparse" (ids and status only,
	// as a renewal without an offer or lease dates arrives).
	Sample string
	// Err is the renderer's error; nil when the card rendered.
	Err error
}

// CheckTemplates renders every renewal card template a tenant's push would use (syncd's defaults
// with the tenant's own over them) through the push's own renderer, once with a full and once
// with a sparse sample renewal, so that a template that fails on real data is found before a push
// run meets it. It calls nothing. Results are ordered by status, then sample.
func CheckTemplates(rs *tenants.RenewalStatus) []TemplateCheck {
	tpls := templates(rs)
	statuses := make([]string, 0, len(tpls))
	for st := range tpls {
		statuses = append(statuses, st)
	}
	sort.Strings(statuses)
	var out []TemplateCheck
	for _, st := range statuses {
		for _, sample := range []string{"full", "sparse"} {
			_, _, err := render(tpls, sampleRenewal(st, sample == "full"))
			out = append(out, TemplateCheck{Status: st, Sample: sample, Err: err})
		}
	}
	return out
}

// sampleRenewal is a renewal of status with every field set (full) or only what every renewal
// has.
func sampleRenewal(status string, full bool) models.FunnelRenewal {
	r := models.FunnelRenewal{ID: 9001, CommunityID: "1234", Status: &status}
	if !full {
		return r
	}
	renter, unit, number, rent := int64(50001), int64(70001), "12A", 1925.5
	start, end := models.Date("2025-02-01"), models.Date("2026-01-31")
	expires := time.Date(2025, 12, 15, 0, 0, 0, 0, time.UTC)
	r.FunnelRenterID, r.FunnelUnitID, r.UnitNumber, r.OfferRent = &renter, &unit, &number, &rent
	r.LeaseStart, r.LeaseEnd, r.OfferExpiresAt = &start, &end, &expires
	return r
}
