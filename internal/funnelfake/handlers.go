package funnelfake

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/syncd-dev/syncd/internal/fakeapi"
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
	errNotFound          = "NotFound"         // Chosen: an unknown path
	errMethodNotAllowed  = "MethodNotAllowed" // Chosen
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

// route dispatches under BasePath. Paths are matched segment by segment on the escaped path, so
// a community id may contain any character once percent-encoded ("partner-id%3Aa%2Fb").
// Chosen: authentication comes before routing (an unknown path with a bad key is a 401), and
// trailing slashes are strict: a documented path written without (or with an extra) slash is a
// 404 rather than the redirect a Django backend may send, so a client that passes here sends
// exactly the documented paths.
func (s *Server) route(w http.ResponseWriter, r *http.Request) {
	rest, ok := strings.CutPrefix(r.URL.EscapedPath(), BasePath)
	if !ok || (rest != "" && rest[0] != '/') {
		writeError(w, http.StatusNotFound, errNotFound, "Not found.")
		return
	}
	if !s.authorized(r) {
		writeError(w, http.StatusUnauthorized, errNotAuthenticated,
			"We were unable to authenticate your request with the provided API key.")
		return
	}
	segs := strings.Split(strings.TrimPrefix(rest, "/"), "/")
	for i, seg := range segs {
		u, err := url.PathUnescape(seg)
		if err != nil {
			writeError(w, http.StatusNotFound, errNotFound, "Not found.")
			return
		}
		segs[i] = u
	}

	m := match(segs)
	if m.kind == "" {
		writeError(w, http.StatusNotFound, errNotFound, "Not found.")
		return
	}
	if r.Method != m.method {
		w.Header().Set("Allow", m.method)
		writeError(w, http.StatusMethodNotAllowed, errMethodNotAllowed, "Method \""+r.Method+"\" not allowed.")
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
		fakeapi.WriteRawJSON(w, http.StatusOK, raw)
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
		fakeapi.WriteRawJSON(w, http.StatusOK, raw)
	case "renewal-status":
		s.putRenewalStatus(w, r, cid, m.renter, m.unit)
	}
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
			body = append(body, t.recs[id].raw...)
		}
	})
	return append(body, "]}"...)
}
