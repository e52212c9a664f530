package funnel

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/syncd-dev/syncd/internal/clients/flex"
	"github.com/syncd-dev/syncd/internal/clients/upstream"
	"github.com/syncd-dev/syncd/internal/contract"
)

// Everything below is what ../shared/reference/CONTRACT.md and funnel.md fix for the Funnel
// Partner API, including the decisions marked [chosen] there. When the real API is confirmed, this
// is the file to change: paths, paging, defaults, error codes and enum values live here and
// nowhere else, except what the configuration needs too (the base URL, the default rate, the
// auth modes, renewal statuses and alert types), which lives in internal/contract and is
// re-exported here.

const (
	// DefaultBaseURL is the production base URL: host [secondary source], path prefix
	// /api/partners/v1 [documented] (kept in internal/contract, shared with the configuration).
	DefaultBaseURL = contract.FunnelDefaultBaseURL

	// PageSize is the largest `per_page` [documented for appointments/booked: default 50, max
	// 50; chosen for the other lists].
	PageSize = 50
	// ParamPage and ParamPerPage are the paging parameters; `page` counts from FirstPage
	// [documented for appointments/booked, chosen for the other lists]. No totals or next links
	// are assumed: a short page is the last one [inferred].
	ParamPage    = "page"
	ParamPerPage = "per_page"
	FirstPage    = 1

	// DefaultRateRequests per DefaultRatePer with DefaultRateBurst is the client-side limit when
	// a tenant sets none [chosen default: Funnel publishes no limit and asks partners to be
	// gentle] (kept in internal/contract).
	DefaultRateRequests = contract.FunnelDefaultRateRequests
	DefaultRatePer      = contract.FunnelDefaultRatePer
	DefaultRateBurst    = contract.FunnelDefaultRateBurst

	// AuthBasic sends the API key as the Basic user name with an empty password; AuthBearer as
	// "Authorization: Bearer <key>" [documented: the Partner API accepts both] (kept in
	// internal/contract).
	AuthBasic  = contract.FunnelAuthBasic
	AuthBearer = contract.FunnelAuthBearer

	// PartnerIDPrefix marks a community addressed by the partner's own id, registered with
	// Funnel beforehand [documented].
	PartnerIDPrefix = "partner-id:"

	// ScoreTimeLayout is how customer-score submitted_at is written: a naive date-time
	// [documented example "2022-06-05T00:34:00"]. syncd writes UTC [chosen].
	ScoreTimeLayout = "2006-01-02T15:04:05"
)

// Error types carried in {"error_type": "...", "message": "..."} bodies [documented].
const (
	CodeCommunityNotFound = "CommunityNotFound" // any /community/{id}/... call
	CodeProspectNotFound  = "ProspectNotFound"  // GET/PUT one prospect
	CodeRenterNotFound    = "RenterNotFound"    // customer-score: no client matched by email or phone
	CodeLeaseNotFound     = "LeaseNotFound"     // renewal-status: no active lease for renter+unit
	CodeUnitNotFound      = "UnitNotFound"      // unit-by-xid
)

// Prospect (client) statuses [documented]; the list is not closed, so unknown values are kept.
const (
	StatusProspect       = "Prospect"
	StatusToured         = "Toured"
	StatusApplicant      = "Applicant"
	StatusResident       = "Resident"
	StatusDidNotRent     = "Did Not Rent"
	StatusClientMerged   = "Client Merged"
	StatusClientDeleted  = "Client Deleted"
	StatusVendorSpam     = "Vendor/Spam"
	StatusFormerResident = "Former Resident"
)

// RenewalStatus is a renewal's state [chosen enum], kept in internal/contract with the known
// values, since the configuration's default renewal cards are keyed by them. Values outside the
// known set still decode: Known tells them apart.
type RenewalStatus = contract.RenewalStatus

// The known renewal statuses.
const (
	RenewalNotStarted  = contract.RenewalNotStarted
	RenewalOffered     = contract.RenewalOffered
	RenewalPending     = contract.RenewalPending
	RenewalSigned      = contract.RenewalSigned
	RenewalDeclined    = contract.RenewalDeclined
	RenewalNoticeGiven = contract.RenewalNoticeGiven
)

// RenewalStatuses lists the known values.
func RenewalStatuses() []RenewalStatus { return contract.RenewalStatuses() }

// Renewal card alert types [documented] (kept in internal/contract).
const (
	AlertWarning = contract.AlertWarning
	AlertInfo    = contract.AlertInfo
)

// Resource is a per-community list.
type Resource string

// The pulled lists.
const (
	Prospects    Resource = "prospects"    // GET /community/{id}/prospects/ [chosen list; item shape documented]
	Renewals     Resource = "renewals"     // GET /community/{id}/renewals/ [chosen]
	Appointments Resource = "appointments" // GET /community/{id}/appointments/booked/ [documented]
)

// Resources lists the per-community lists in pull order: prospects first, so renewals and
// appointments can be joined to their clients as soon as they land.
var Resources = []Resource{Prospects, Renewals, Appointments}

// segment is the resource's path below a community, without slashes.
func (r Resource) segment() string {
	if r == Appointments {
		return "appointments/booked"
	}
	return string(r)
}

// Paths. Trailing slashes are exactly as documented: the Django-style backend may 301 or 404
// otherwise (funnelfake does both, and TestEveryCallSendsTheDocumentedPath checks that no call
// relies on the redirect). Community ids are escaped here; every other path parameter is an
// integer.

func communityPath(community string) string {
	return "/community/" + escapeSegment(community) + "/"
}

func listPath(community string, r Resource) string {
	return communityPath(community) + r.segment() + "/"
}

// prospectPath has no trailing slash [documented for GET/PUT one prospect].
func prospectPath(community string, id int64) string {
	return communityPath(community) + "prospects/" + strconv.FormatInt(id, 10)
}

func customerScorePath(company int64) string {
	return "/company/" + strconv.FormatInt(company, 10) + "/customer-score/"
}

func renewalStatusPath(community string, renter, unit int64) string {
	return communityPath(community) + "renters/" + strconv.FormatInt(renter, 10) + "/units/" +
		strconv.FormatInt(unit, 10) + "/renewal-status/"
}

// Ops label calls in errors and metrics; they name the route, never a concrete id.
const (
	opCommunity     = "GET /community/{id}/"
	opProspect      = "GET /community/{id}/prospects/{prospect_id}"
	opCustomerScore = "POST /company/{company_id}/customer-score/"
	opRenewalStatus = "PUT /community/{id}/renters/{renter}/units/{unit}/renewal-status/"
)

func listOp(r Resource) string { return "GET /community/{id}/" + r.segment() + "/" }

// Write answers [documented, funnel.md §6.4–6.5]. A write counts as applied only when its 2xx
// answer is the documented one; anything else (an HTML page, an empty body, JSON of another
// shape, an echo that differs from what was sent) fails the call as unverified. The fields that
// prove the write must be present and agree; they decode as tolerantly as every record
// (numbers as strings, the client id as a number or a string), and unknown fields are ignored.

// checkScoreAnswer reads the customer-score echo {"id", "customer_score_name",
// "customer_score_value", "customer_score_maximum", "customer_score_submitted_at"}: the matched
// client's id must be present, and the name, value and maximum must be those sent.
// customer_score_submitted_at is kept when readable but not compared [chosen: Funnel may store
// the naive date-time in another layout or zone].
func checkScoreAnswer(raw []byte, sent customerScoreBody) (CustomerScoreResult, error) {
	var a struct {
		ID          json.RawMessage `json:"id"`
		Name        json.RawMessage `json:"customer_score_name"`
		Value       json.RawMessage `json:"customer_score_value"`
		Maximum     json.RawMessage `json:"customer_score_maximum"`
		SubmittedAt json.RawMessage `json:"customer_score_submitted_at"`
	}
	if err := answerObject(raw, &a); err != nil {
		return CustomerScoreResult{}, fmt.Errorf("not the documented customer-score echo: %w", err)
	}
	var out CustomerScoreResult
	var bad []string
	if out.ClientID.UnmarshalJSON(a.ID) != nil || !out.ClientID.Valid() {
		bad = append(bad, "id "+shown(a.ID)+", want the matched client's id")
	}
	if out.Name.UnmarshalJSON(a.Name) != nil || !out.Name.Valid || out.Name.V != strings.TrimSpace(sent.ScoreName) {
		bad = append(bad, fmt.Sprintf("customer_score_name %s, sent %q", shown(a.Name), sent.ScoreName))
	}
	if out.Value.UnmarshalJSON(a.Value) != nil || !out.Value.Valid || out.Value.V != int64(sent.ScoreValue) {
		bad = append(bad, fmt.Sprintf("customer_score_value %s, sent %d", shown(a.Value), sent.ScoreValue))
	}
	if out.Maximum.UnmarshalJSON(a.Maximum) != nil || !out.Maximum.Valid || out.Maximum.V != int64(sent.MaximumScore) {
		bad = append(bad, fmt.Sprintf("customer_score_maximum %s, sent %d", shown(a.Maximum), sent.MaximumScore))
	}
	if len(bad) > 0 {
		return CustomerScoreResult{}, fmt.Errorf("not the documented customer-score echo: %s", strings.Join(bad, "; "))
	}
	if out.SubmittedAt.UnmarshalJSON(a.SubmittedAt) != nil {
		out.SubmittedAt = flex.Time{}
	}
	return out, nil
}

// checkRenewalAnswer reads {"renewal_status_id": n}, n an integer (a numeric string too).
func checkRenewalAnswer(raw []byte) (int64, error) {
	var a struct {
		ID json.RawMessage `json:"renewal_status_id"`
	}
	if err := answerObject(raw, &a); err != nil {
		return 0, fmt.Errorf("not the documented renewal-status answer: %w", err)
	}
	var id flex.Int
	if id.UnmarshalJSON(a.ID) != nil || !id.Valid {
		return 0, fmt.Errorf("not the documented renewal-status answer: renewal_status_id %s, want an integer", shown(a.ID))
	}
	return id.V, nil
}

// answerObject decodes a write's answer that must be one JSON object into dst.
func answerObject(raw []byte, dst any) error {
	if err := upstream.CheckJSONBody(raw); err != nil {
		return err
	}
	if raw = bytes.TrimSpace(raw); raw[0] != '{' {
		return fmt.Errorf("the body is JSON but not an object: %s", shown(raw))
	}
	return json.Unmarshal(raw, dst)
}

// shown is a field of an answer as a reason quotes it: "absent", or its JSON cut short on a rune
// boundary, as valid UTF-8 (the reason is stored in a text column).
func shown(raw json.RawMessage) string {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 {
		return "absent"
	}
	const most = 40
	s := string(raw)
	if len(s) > most {
		n := most
		for n > 0 && !utf8.RuneStart(s[n]) {
			n--
		}
		s = s[:n] + "…"
	}
	return strings.ToValidUTF8(s, "\uFFFD")
}

// PartnerCommunityID returns the community id form for a partner's own id ("partner-id:abc").
func PartnerCommunityID(partnerID string) string { return PartnerIDPrefix + partnerID }

// escapeSegment percent-encodes a path segment strictly: only RFC 3986 unreserved characters
// stay as they are. url.PathEscape would leave ':' (legal in a segment, but funnel.md advises
// escaping the partner-id form) and would not protect "." and ".." from path normalisation.
func escapeSegment(s string) string {
	if s == "." || s == ".." {
		return strings.Repeat("%2E", len(s))
	}
	const hex = "0123456789ABCDEF"
	var b strings.Builder
	b.Grow(len(s) + 8)
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9',
			c == '-', c == '.', c == '_', c == '~':
			b.WriteByte(c)
		default:
			b.WriteByte('%')
			b.WriteByte(hex[c>>4])
			b.WriteByte(hex[c&15])
		}
	}
	return b.String()
}
