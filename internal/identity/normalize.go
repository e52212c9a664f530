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
	if e, ok := northAmerican(s); ok {
		return e
	}
	return normalizePhoneLib(s)
}

// normalizePhoneLib is NormalizePhone by libphonenumber alone.
func normalizePhoneLib(s string) string {
	n, err := phonenumbers.Parse(s, DefaultRegion)
	if err != nil || !phonenumbers.IsPossibleNumber(n) {
		return ""
	}
	return phonenumbers.Format(n, phonenumbers.E164)
}

// northAmerican reads, without libphonenumber, the shapes nearly every number here arrives in:
// ten digits whose first is 2-9, optionally after a 1 or a +1, with only spaces, parentheses,
// hyphens or dots between them ("(555) 201-7788", "555.201.7788", "+15552017788"). It declines
// everything else (ok false). For these shapes libphonenumber's answer depends on the digits
// alone: the separators are all punctuation it strips, nothing can read as an extension, the
// leading 1 is the national prefix (or, after +, the country code), and ten digits are a possible
// number for country code 1, so the answer is +1 and the ten digits. Parsing with the library
// (regular expressions for extensions, prefixes and formats) cost more than decoding the rest of
// a prospect. FuzzNormalizePhone checks that the two agree on every input this accepts.
func northAmerican(s string) (string, bool) {
	if len(s) > 40 {
		return "", false
	}
	var d [11]byte
	n, plus := 0, false
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c >= '0' && c <= '9':
			if n == len(d) {
				return "", false
			}
			d[n] = c
			n++
		case c == '+' && i == 0:
			plus = true
		case c == ' ' || c == '(' || c == ')' || c == '-' || c == '.':
		default:
			return "", false
		}
	}
	switch {
	case !plus && n == 10 && d[0] >= '2':
		return "+1" + string(d[:10]), true
	case n == 11 && d[0] == '1' && d[1] >= '2':
		return "+" + string(d[:11]), true
	}
	return "", false
}
