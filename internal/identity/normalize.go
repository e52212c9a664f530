// Package identity normalises contact details and links the same person across upstreams
// (a RentEngine prospect to the Funnel client it is) by e-mail or phone.
//
// Links live in identity_links and are derived data: Recompute rebuilds a tenant's links from the
// live mirror rows after every pull, writing only what changed. A prospect that matches several
// Funnel clients is recorded once per candidate with status ambiguous, so the conflict is visible
// to analysts; downstream code reads links only through UsableLinks and UsableLink, which never
// return an ambiguous one.
package identity

import (
	"strings"

	"github.com/nyaruka/phonenumbers"
)

// DefaultRegion is assumed for phone numbers written without a country code.
const DefaultRegion = "US"

// NormalizeEmail trims and lower-cases an address; it returns "" for anything that is not
// plausibly an e-mail address, so junk never becomes a match key.
func NormalizeEmail(s string) string {
	s = strings.ToLower(strings.TrimSpace(s))
	at := strings.LastIndexByte(s, '@')
	if at <= 0 || at == len(s)-1 || strings.ContainsAny(s, " \t\r\n") {
		return ""
	}
	return s
}

// NormalizePhone returns the number in E.164 ("+15551234567"), reading numbers without a country
// code as DefaultRegion, or "" when it is not a possible number.
func NormalizePhone(s string) string {
	s = strings.TrimSpace(s)
	if s == "" {
		return ""
	}
	n, err := phonenumbers.Parse(s, DefaultRegion)
	if err != nil || !phonenumbers.IsPossibleNumber(n) {
		return ""
	}
	return phonenumbers.Format(n, phonenumbers.E164)
}
