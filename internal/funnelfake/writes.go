package funnelfake

import (
	"bytes"
	"encoding/json"
	"io"
	"math/rand/v2"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/syncd-dev/syncd/internal/fakeapi"
)

// maxBodyBytes bounds a request body; the real ones are a few hundred bytes.
const maxBodyBytes = 1 << 20

// readObject reads a JSON object body (numbers as json.Number), answering 400 itself when it
// cannot.
func readObject(w http.ResponseWriter, r *http.Request) (map[string]any, bool) {
	raw, err := io.ReadAll(io.LimitReader(r.Body, maxBodyBytes+1))
	if err != nil || len(raw) > maxBodyBytes {
		writeError(w, http.StatusBadRequest, errValidation, "Invalid request body.")
		return nil, false
	}
	d := json.NewDecoder(bytes.NewReader(raw))
	d.UseNumber()
	var body map[string]any
	if err := d.Decode(&body); err != nil || body == nil {
		writeError(w, http.StatusBadRequest, errValidation, "JSON parse error: expected an object.")
		return nil, false
	}
	return body, true
}

// postCustomerScore implements POST /company/{company_id}/customer-score/ [documented]: the score
// is stored on the client of the company that matches the e-mail or the phone.
//
// Chosen where the docs are silent: a company other than the fake's is a 403 PermissionDenied
// (a partner key is granted per company); score_name and score_value are required and
// score_value and maximum_score must be integers (numeric strings accepted, as DRF's IntegerField
// does), else 400 ValidationError; an e-mail match wins over a phone match, and among several
// clients the lowest id wins; the score is not part of the client's list record.
func (s *Server) postCustomerScore(w http.ResponseWriter, r *http.Request, company string) {
	if id, err := strconv.ParseInt(company, 10, 64); err != nil || id != s.companyID {
		writeError(w, http.StatusForbidden, errPermissionDenied, "You do not have permission to perform this action.")
		return
	}
	body, ok := readObject(w, r)
	if !ok {
		return
	}
	errs := map[string][]string{}
	name, _ := body["score_name"].(string)
	if strings.TrimSpace(name) == "" {
		errs["score_name"] = []string{"This field is required."}
	}
	value, ok := intField(body, "score_value", true)
	if !ok {
		errs["score_value"] = []string{"A valid integer is required."}
	}
	maximum, ok := intField(body, "maximum_score", false)
	if !ok {
		errs["maximum_score"] = []string{"A valid integer is required."}
	}
	email, _ := body["email"].(string)
	phone := body["phone"]
	if emailKey(email) == "" && phoneKey(phone) == "" {
		errs["non_field_errors"] = []string{"An email or a phone is required."}
	}
	if len(errs) > 0 {
		writeValidation(w, errs)
		return
	}
	submitted, _ := body["submitted_at"].(string)
	phoneText, _ := phone.(string)

	s.mu.Lock()
	client, found := s.matchClientLocked(emailKey(email), phoneKey(phone))
	if found {
		s.scores[client] = append(s.scores[client], CustomerScore{
			ClientID: client, Name: name, Value: value, Maximum: maximum,
			SubmittedAt: submitted, Email: email, Phone: phoneText,
		})
	}
	s.mu.Unlock()
	if !found {
		writeError(w, http.StatusNotFound, errRenterNotFound, "Could not match renter by phone or email.")
		return
	}
	fakeapi.WriteJSON(w, http.StatusOK, map[string]any{
		"id":                          client,
		"customer_score_name":         name,
		"customer_score_value":        value,
		"customer_score_maximum":      maximum,
		"customer_score_submitted_at": submitted,
	})
}

// matchClientLocked finds the client with a person whose e-mail (or, failing that, phone)
// matches, across all communities.
func (s *Server) matchClientLocked(email, phone string) (int64, bool) {
	best := func(match func(meta) bool) (int64, bool) {
		var ids []int64
		for _, c := range s.communities {
			for id, e := range c.tables[Prospects].recs {
				if match(e.m) {
					ids = append(ids, id)
				}
			}
		}
		if len(ids) == 0 {
			return 0, false
		}
		return slices.Min(ids), true
	}
	if email != "" {
		if id, ok := best(func(m meta) bool { return slices.Contains(m.emails, email) }); ok {
			return id, true
		}
	}
	if phone != "" {
		return best(func(m meta) bool { return slices.Contains(m.phones, phone) })
	}
	return 0, false
}

// intField reads an integer body field; absent is fine unless required.
func intField(body map[string]any, key string, required bool) (int64, bool) {
	v, present := body[key]
	if !present || v == nil {
		return 0, !required
	}
	if s, ok := v.(string); ok {
		v = json.Number(strings.TrimSpace(s))
	}
	return fakeapi.Int64Of(v)
}

// Renewal card fields and their JSON types [documented].
var (
	cardBoolFields   = []string{"renewal_card_status", "renewal_alert_status", "renewal_allow_clickthrough"}
	cardStringFields = []string{"renewal_header", "renewal_subheader", "renewal_body", "renewal_alert_body", "renewal_icon", "renewal_alert_type"}
)

// putRenewalStatus implements PUT .../renters/{funnel_renter_id}/units/{funnel_unit_id}/
// renewal-status/ [documented]: the lease is the community's renewal for that renter and unit.
//
// Chosen where the docs are silent: with several renewals for the same renter and unit the one
// with the highest id is the active lease; ids that are not integers match no lease; fields
// present in the body replace the stored ones and absent ones are kept, unknown fields are
// ignored; renewal_alert_type must be WARNING or INFO; one renewal_status_id per lease, stable
// across PUTs (the call is idempotent); the card is not part of the renewal's list record.
func (s *Server) putRenewalStatus(w http.ResponseWriter, r *http.Request, communityID int64, renter, unit string) {
	rid, err1 := strconv.ParseInt(renter, 10, 64)
	uid, err2 := strconv.ParseInt(unit, 10, 64)
	body, ok := readObject(w, r)
	if !ok {
		return
	}
	errs := map[string][]string{}
	card := map[string]any{}
	for _, k := range cardBoolFields {
		if v, ok := body[k]; ok && v != nil {
			b, isBool := v.(bool)
			if !isBool {
				errs[k] = []string{"Must be a valid boolean."}
				continue
			}
			card[k] = b
		}
	}
	for _, k := range cardStringFields {
		if v, ok := body[k]; ok && v != nil {
			str, isStr := v.(string)
			if !isStr {
				errs[k] = []string{"Not a valid string."}
				continue
			}
			card[k] = str
		}
	}
	if t, ok := card["renewal_alert_type"]; ok && t != "WARNING" && t != "INFO" {
		errs["renewal_alert_type"] = []string{"\"" + t.(string) + "\" is not a valid choice."}
	}
	if len(errs) > 0 {
		writeValidation(w, errs)
		return
	}

	s.mu.Lock()
	lease := int64(-1)
	if c, ok := s.communities[communityID]; ok && err1 == nil && err2 == nil {
		for id, e := range c.tables[Renewals].recs {
			if e.m.renter == rid && e.m.unit == uid && id > lease {
				lease = id
			}
		}
	}
	if lease < 0 {
		s.mu.Unlock()
		writeError(w, http.StatusNotFound, errLeaseNotFound, "No active lease found for this renter and unit.")
		return
	}
	stored := s.cards[lease]
	if stored == nil {
		stored = map[string]any{}
		s.cards[lease] = stored
	}
	for k, v := range card {
		stored[k] = v
	}
	statusID, ok := s.cardIDs[lease]
	if !ok {
		s.maxCardID = max(s.maxCardID, 700000) + 1
		statusID = s.maxCardID
		s.cardIDs[lease] = statusID
	}
	s.mu.Unlock()
	fakeapi.WriteJSON(w, http.StatusOK, map[string]any{"renewal_status_id": statusID})
}

// drift is the fakeapi.DriftFunc: on a GET of page > 1 of a community's list it changes the data
// the way concurrent upstream activity would between two page fetches, then lets the request be
// served: half the time it deletes a record before the page's offset (every later record moves
// back by one and a client skips one), otherwise it inserts a copy of a record with a new highest
// id (which lands on a later page).
func (s *Server) drift(r *http.Request, rng *rand.Rand) bool {
	if r.Method != http.MethodGet {
		return false
	}
	rest, ok := strings.CutPrefix(r.URL.EscapedPath(), BasePath+"/")
	if !ok {
		return false
	}
	segs := strings.Split(rest, "/")
	for i := range segs {
		segs[i], _ = url.PathUnescape(segs[i])
	}
	m := match(segs)
	if m.kind != "list" {
		return false
	}
	page, perPage, errs := parsePaging(r.URL.Query())
	if len(errs) > 0 || page == 1 {
		return false
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	c, ok := s.resolveLocked(m.community)
	if !ok {
		return false
	}
	t := c.tables[m.res]
	t.compact()
	if len(t.ids) == 0 {
		return false
	}
	offset := min(len(t.ids), (page-1)*perPage)
	if rng.IntN(2) == 0 && offset > 0 {
		return t.del(t.ids[rng.IntN(offset)])
	}
	rec := decode(t.recs[t.ids[rng.IntN(len(t.ids))]].raw)
	delete(rec, idField(m.res))
	delete(rec, "created_at")
	delete(rec, "updated_at")
	s.insertLocked(c, m.res, rec)
	return true
}
