package funnelfake

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/syncd-dev/syncd/internal/testing/fakeapi"
)

// Paging limits [documented for appointments/booked; chosen for the other lists].
const (
	defaultPerPage = 50
	maxPerPage     = 50
)

// Error types the fake answers with. The first four are documented; the rest are chosen, since
// Funnel documents only that those statuses exist.
const (
	errCommunityNotFound = "CommunityNotFound"
	errProspectNotFound  = "ProspectNotFound"
	errRenterNotFound    = "RenterNotFound"
	errLeaseNotFound     = "LeaseNotFound"
	errNotAuthenticated  = "NotAuthenticated" // Chosen: the 401 body's error_type is not documented
	errPermissionDenied  = "PermissionDenied" // Chosen: a company other than the key's
	errValidation        = "ValidationError"  // as the Customer API names it
	errMethodNotAllowed  = "MethodNotAllowed" // Chosen
	errGone              = "Gone"             // Chosen: only an endpoint switched off with 410
)

// apiError is the Partner API's error body; Errors carries field messages on 400s.
type apiError struct {
	ErrorType string              `json:"error_type"`
	Message   string              `json:"message"`
	Errors    map[string][]string `json:"errors,omitempty"`
}

func writeError(w http.ResponseWriter, status int, typ, msg string) {
	fakeapi.WriteJSON(w, status, apiError{ErrorType: typ, Message: msg})
}

func writeValidation(w http.ResponseWriter, errs map[string][]string) {
	fakeapi.WriteJSON(w, http.StatusBadRequest, apiError{ErrorType: errValidation, Message: "Invalid request.", Errors: errs})
}

// Endpoint names for the switchboard (fake.Disable, fake.Enable): method and path below BasePath,
// path parameters named as in funnel.md.
const (
	EndpointCommunity     = "GET /community/{community_id}/"
	EndpointProspects     = "GET /community/{community_id}/prospects/"
	EndpointProspect      = "GET /community/{community_id}/prospects/{prospect_id}"
	EndpointRenewals      = "GET /community/{community_id}/renewals/"
	EndpointAppointments  = "GET /community/{community_id}/appointments/booked/"
	EndpointRenewalStatus = "PUT /community/{community_id}/renters/{funnel_renter_id}/units/{funnel_unit_id}/renewal-status/"
	EndpointCustomerScore = "POST /company/{company_id}/customer-score/"
)

// Endpoints lists every endpoint the fake serves.
func Endpoints() []string {
	return []string{EndpointCommunity, EndpointProspects, EndpointProspect, EndpointRenewals,
		EndpointAppointments, EndpointRenewalStatus, EndpointCustomerScore}
}

// ListEndpoint is the endpoint that lists res.
func ListEndpoint(res Resource) string {
	switch res {
	case Prospects:
		return EndpointProspects
	case Renewals:
		return EndpointRenewals
	}
	return EndpointAppointments
}

// Resource names for the switchboard (fake.SetFieldType, fake.MutateField) besides the
// per-community lists (Prospects, Renewals, Appointments; a Prospects change applies to the
// single-prospect GET too): the community detail record and the answers of the two writes.
const (
	ResourceCommunity     = "community"
	ResourceCustomerScore = "customer_score"
	ResourceRenewalStatus = "renewal_status"
)

func switchResources() []string {
	out := []string{ResourceCommunity}
	for _, r := range Resources() {
		out = append(out, string(r))
	}
	return append(out, ResourceCustomerScore, ResourceRenewalStatus)
}

// notFoundHTML is the page a Django backend answers for a path no route matches (DEBUG off).
const notFoundHTML = `<!doctype html>
<html lang="en">
<head>
  <title>Not Found</title>
</head>
<body>
  <h1>Not Found</h1><p>The requested resource was not found on this server.</p>
</body>
</html>
`

// writeHTMLNotFound answers a path no route matches: an HTML page, not the JSON error shape.
func writeHTMLNotFound(w http.ResponseWriter) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Content-Length", strconv.Itoa(len(notFoundHTML)))
	w.WriteHeader(http.StatusNotFound)
	_, _ = w.Write([]byte(notFoundHTML))
}

// route dispatches under BasePath the way the Django/DRF backend Funnel's URLs and errors point to
// [inferred], so that a client which passes here sends exactly the documented paths:
//
//  1. URL resolution. A path that no route matches (or whose endpoint is switched off with 404)
//     answers an HTML 404 page, whatever the credentials. A GET or HEAD that would match with a
//     trailing slash added answers 301 to the slashed path with the same query string (Django's
//     APPEND_SLASH); any other method answers the HTML 404, since a redirect cannot carry a body.
//     A path with a slash where the documented one has none (GET one prospect) is not matched.
//  2. Authentication: 401 {"error_type", "message"} (DRF authenticates inside the view).
//  3. Method: 405 for a method the path does not take (or an endpoint switched off with 405), 410
//     for one switched off with 410, both in the JSON error shape.
//
// Paths are matched segment by segment on the escaped path, so a community id may contain any
// character once percent-encoded ("partner-id%3Aa%2Fb").
func (s *Server) route(w http.ResponseWriter, r *http.Request) {
	rest, ok := strings.CutPrefix(r.URL.EscapedPath(), BasePath)
	if !ok || (rest != "" && rest[0] != '/') {
		writeHTMLNotFound(w)
		return
	}
	segs, ok := splitPath(rest)
	if !ok {
		writeHTMLNotFound(w)
		return
	}
	m := s.resolve(segs)
	if m.kind == "" {
		get := r.Method == http.MethodGet || r.Method == http.MethodHead
		if get && !strings.HasSuffix(rest, "/") && s.resolve(append(segs, "")).kind != "" {
			loc := BasePath + rest + "/"
			if r.URL.RawQuery != "" {
				loc += "?" + r.URL.RawQuery
			}
			w.Header().Set("Location", loc)
			w.Header().Set("Content-Type", "text/html; charset=utf-8")
			w.WriteHeader(http.StatusMovedPermanently)
			return
		}
		writeHTMLNotFound(w)
		return
	}
	if !s.authorized(r) {
		writeError(w, http.StatusUnauthorized, errNotAuthenticated,
			"We were unable to authenticate your request with the provided API key.")
		return
	}
	status, off := s.Disabled(m.endpoint())
	if r.Method != m.method || off && status == http.StatusMethodNotAllowed {
		if !off {
			w.Header().Set("Allow", m.method)
		}
		writeError(w, http.StatusMethodNotAllowed, errMethodNotAllowed, "Method \""+r.Method+"\" not allowed.")
		return
	}
	if off { // 410; a 404 never resolved
		writeError(w, http.StatusGone, errGone, "This endpoint is no longer available.")
		return
	}
	if m.kind == "customer-score" {
		s.postCustomerScore(w, r, m.company)
		return
	}
	s.mu.RLock()
	c, ok := s.resolveLocked(m.community)
	var cid int64
	if ok {
		cid = c.id
	}
	s.mu.RUnlock()
	if !ok {
		writeError(w, http.StatusNotFound, errCommunityNotFound, "Community not found.")
		return
	}
	switch m.kind {
	case "community":
		raw, ok := s.CommunityRaw(cid)
		if !ok { // deleted between the two locks
			writeError(w, http.StatusNotFound, errCommunityNotFound, "Community not found.")
			return
		}
		fakeapi.WriteRawJSON(w, http.StatusOK, s.Rewrite(ResourceCommunity, raw))
	case "list":
		page, perPage, errs := parsePaging(r.URL.Query())
		if len(errs) > 0 {
			writeValidation(w, errs)
			return
		}
		fakeapi.WriteRawJSON(w, http.StatusOK, s.page(cid, m.res, page, perPage))
	case "prospect":
		id, err := strconv.ParseInt(m.prospect, 10, 64)
		raw, ok := s.Raw(cid, Prospects, id)
		if err != nil || !ok {
			writeError(w, http.StatusNotFound, errProspectNotFound, "Prospect not found.")
			return
		}
		fakeapi.WriteRawJSON(w, http.StatusOK, s.Rewrite(string(Prospects), raw))
	case "renewal-status":
		s.putRenewalStatus(w, r, cid, m.renter, m.unit)
	}
}

// splitPath splits the escaped path below BasePath into unescaped segments; a trailing slash
// leaves a last empty segment.
func splitPath(rest string) ([]string, bool) {
	segs := strings.Split(strings.TrimPrefix(rest, "/"), "/")
	for i, seg := range segs {
		u, err := url.PathUnescape(seg)
		if err != nil {
			return nil, false
		}
		segs[i] = u
	}
	return segs, true
}

// resolve is match with the endpoints switched off with 404 taken out, as if they were never
// routed.
func (s *Server) resolve(segs []string) matched {
	m := match(segs)
	if m.kind != "" {
		if status, off := s.Disabled(m.endpoint()); off && status == http.StatusNotFound {
			return matched{}
		}
	}
	return m
}

// matched is a recognised route.
type matched struct {
	kind, method string
	community    string
	res          Resource
	prospect     string
	renter, unit string
	company      string
}

// endpoint is the switchboard name of the route.
func (m matched) endpoint() string {
	switch m.kind {
	case "community":
		return EndpointCommunity
	case "list":
		return ListEndpoint(m.res)
	case "prospect":
		return EndpointProspect
	case "renewal-status":
		return EndpointRenewalStatus
	case "customer-score":
		return EndpointCustomerScore
	}
	return ""
}

// match recognises the documented paths; segs is the path below BasePath, split on "/" and
// unescaped, so a trailing slash leaves a last empty segment.
func match(segs []string) matched {
	n := len(segs)
	end := func(i int) bool { return n == i+1 && segs[i] == "" } // a trailing slash after segs[i-1]
	switch {
	case n >= 3 && segs[0] == "community" && segs[1] != "":
		c := segs[1]
		switch {
		case end(2):
			return matched{kind: "community", method: http.MethodGet, community: c}
		case n == 4 && segs[2] == "prospects" && end(3):
			return matched{kind: "list", method: http.MethodGet, community: c, res: Prospects}
		case n == 4 && segs[2] == "prospects" && segs[3] != "":
			// The one documented path without a trailing slash.
			return matched{kind: "prospect", method: http.MethodGet, community: c, prospect: segs[3]}
		case n == 4 && segs[2] == "renewals" && end(3):
			return matched{kind: "list", method: http.MethodGet, community: c, res: Renewals}
		case n == 5 && segs[2] == "appointments" && segs[3] == "booked" && end(4):
			return matched{kind: "list", method: http.MethodGet, community: c, res: Appointments}
		case n == 8 && segs[2] == "renters" && segs[4] == "units" && segs[6] == "renewal-status" && end(7):
			return matched{kind: "renewal-status", method: http.MethodPut, community: c, renter: segs[3], unit: segs[5]}
		}
	case n == 4 && segs[0] == "company" && segs[2] == "customer-score" && end(3):
		return matched{kind: "customer-score", method: http.MethodPost, company: segs[1]}
	}
	return matched{}
}

// parsePaging validates page (>= 1, default 1) and per_page (1..50, default 50) with DRF-style
// messages. Chosen: other query parameters are ignored (the documented appointment filters date,
// from_date, to_date, email and phone are not implemented).
func parsePaging(q url.Values) (page, perPage int, errs map[string][]string) {
	page, perPage = 1, defaultPerPage
	bad := func(k, msg string) {
		if errs == nil {
			errs = map[string][]string{}
		}
		errs[k] = append(errs[k], msg)
	}
	if v, ok := q["page"]; ok {
		n, err := strconv.Atoi(v[0])
		switch {
		case err != nil:
			bad("page", "A valid integer is required.")
		case n < 1:
			bad("page", "Ensure this value is greater than or equal to 1.")
		default:
			page = n
		}
	}
	if v, ok := q["per_page"]; ok {
		n, err := strconv.Atoi(v[0])
		switch {
		case err != nil:
			bad("per_page", "A valid integer is required.")
		case n < 1:
			bad("per_page", "Ensure this value is greater than or equal to 1.")
		case n > maxPerPage:
			bad("per_page", "Ensure this value is less than or equal to "+strconv.Itoa(maxPerPage)+".")
		default:
			perPage = n
		}
	}
	return page, perPage, errs
}

// page assembles {"data": [...]} from the stored bytes, in id order (documented for
// appointments/booked; chosen for the other lists).
func (s *Server) page(communityID int64, res Resource, page, perPage int) []byte {
	body := []byte(`{"data":[`)
	s.readTable(communityID, res, func(t *table) {
		ids := t.ids
		// Compare before multiplying so a huge page cannot overflow.
		if page-1 > len(ids)/perPage || (page-1)*perPage >= len(ids) {
			return
		}
		ids = ids[(page-1)*perPage : min(len(ids), page*perPage)]
		for i, id := range ids {
			if i > 0 {
				body = append(body, ',')
			}
			body = append(body, s.Rewrite(string(res), t.recs[id].raw)...)
		}
	})
	return append(body, "]}"...)
}
