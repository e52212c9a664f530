package funnelfake

import (
	"bytes"
	"encoding/json"
	"io"
	"math/rand/v2"
	"net/http"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/syncd-dev/syncd/internal/testing/fakeapi"
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
// The body is validated as strictly as the reference types it (funnel.md §6.5), every problem
// at once, as a 400 ValidationError with the messages per field that DRF writes:
//   - score_name: a non-empty string, required;
//   - score_value: a JSON integer, required; maximum_score: a JSON integer when present;
//   - submitted_at: an ISO 8601 date-time string ("2022-06-05T00:34:00"), required;
//   - email, phone: strings (null is as absent); at least one of them non-empty.
//
// Chosen: numeric strings ("8") and numbers with a fraction (8.0) are rejected for the integer
// fields, and numbers for phone. The reference types them int and string; a DRF IntegerField
// would coerce "8", but a schema-validating gateway would not, and a client that sends what the
// reference says passes both. Also chosen where the docs are silent: a company other than the
// fake's is a 403 PermissionDenied (a partner key is granted per company); the score is not part
// of the client's list record. How the client is matched is in matchClientLocked.
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
	name, msg := stringField(body, "score_name", true)
	if msg == "" && strings.TrimSpace(name) == "" {
		msg = "This field may not be blank."
	}
	if msg != "" {
		errs["score_name"] = []string{msg}
	}
	value, msg := intField(body, "score_value", true)
	if msg != "" {
		errs["score_value"] = []string{msg}
	}
	maximum, msg := intField(body, "maximum_score", false)
	if msg != "" {
		errs["maximum_score"] = []string{msg}
	}
	submitted, msg := stringField(body, "submitted_at", true)
	if msg == "" && !isDateTime(submitted) {
		msg = "Datetime has wrong format. Use one of these formats instead: YYYY-MM-DDThh:mm[:ss[.uuuuuu]][+HH:MM|-HH:MM|Z]."
	}
	if msg != "" {
		errs["submitted_at"] = []string{msg}
	}
	email, msg := stringField(body, "email", false)
	if msg != "" {
		errs["email"] = []string{msg}
	}
	phone, msg := stringField(body, "phone", false)
	if msg != "" {
		errs["phone"] = []string{msg}
	}
	if emailKey(email) == "" && phoneKey(phone) == "" && errs["email"] == nil && errs["phone"] == nil {
		errs["non_field_errors"] = []string{"An email or a phone is required."}
	}
	if len(errs) > 0 {
		writeValidation(w, errs)
		return
	}

	s.mu.Lock()
	client, candidates := s.matchClientLocked(emailKey(email), phoneKey(phone))
	found := candidates > 0
	if found {
		s.scores[client] = append(s.scores[client], CustomerScore{
			ClientID: client, Name: name, Value: value, Maximum: maximum,
			SubmittedAt: submitted, Email: email, Phone: phone, Candidates: candidates,
		})
	}
	s.mu.Unlock()
	if !found {
		writeError(w, http.StatusNotFound, errRenterNotFound, "Could not match renter by phone or email.")
		return
	}
	out, _ := json.Marshal(map[string]any{
		"id":                          client,
		"customer_score_name":         name,
		"customer_score_value":        value,
		"customer_score_maximum":      maximum,
		"customer_score_submitted_at": submitted,
	})
	fakeapi.WriteRawJSON(w, http.StatusOK, s.Rewrite(ResourceCustomerScore, out))
}

// matchClientLocked finds the client a customer score goes to, across all the company's
// communities, and how many clients were left to choose from (0: none matched). Funnel's order
// (funnel.md §6.5: "matched by email and/or phone"): the e-mail first, against every person of
// every client; when it matches several clients, the phone narrows them down to those having it
// (a phone none of them has leaves them all); only when no e-mail is sent, or it matches nobody,
// does the phone alone match. When several clients are left, one is picked silently — here the
// lowest id — and the answer does not say that others matched, which is how a score lands on a
// stranger sharing an e-mail. Chosen where the docs are silent: clients whose status is
// "Client Merged" or "Client Deleted" never match (a merged client is a duplicate kept for
// history; syncd's identity links make the same assumption).
func (s *Server) matchClientLocked(email, phone string) (int64, int) {
	matching := func(match func(meta) bool) []int64 {
		var ids []int64
		for _, c := range s.communities {
			for id, e := range c.tables[Prospects].recs {
				if e.m.status != "Client Merged" && e.m.status != "Client Deleted" && match(e.m) {
					ids = append(ids, id)
				}
			}
		}
		return ids
	}
	var ids []int64
	if email != "" {
		ids = matching(func(m meta) bool { return slices.Contains(m.emails, email) })
	}
	switch {
	case len(ids) > 1 && phone != "":
		narrowed := slices.DeleteFunc(slices.Clone(ids), func(id int64) bool {
			for _, c := range s.communities {
				if e, ok := c.tables[Prospects].recs[id]; ok {
					return !slices.Contains(e.m.phones, phone)
				}
			}
			return true
		})
		if len(narrowed) > 0 {
			ids = narrowed
		}
	case len(ids) == 0 && phone != "":
		ids = matching(func(m meta) bool { return slices.Contains(m.phones, phone) })
	}
	if len(ids) == 0 {
		return 0, 0
	}
	return slices.Min(ids), len(ids)
}

// Field messages, as DRF words them.
const (
	msgRequired = "This field is required."
	msgNotNull  = "This field may not be null."
)

// intField reads an integer body field: a JSON number without fraction or exponent. Absent is
// fine unless required; null never is. It returns the problem's message, or "".
func intField(body map[string]any, key string, required bool) (int64, string) {
	v, present := body[key]
	switch {
	case !present && required:
		return 0, msgRequired
	case !present:
		return 0, ""
	case v == nil:
		return 0, msgNotNull
	}
	n, ok := v.(json.Number)
	if !ok || strings.ContainsAny(n.String(), ".eE") {
		return 0, "A valid integer is required."
	}
	i, err := n.Int64()
	if err != nil {
		return 0, "A valid integer is required."
	}
	return i, ""
}

// stringField reads a string body field. A required one may be neither absent nor null; an
// optional null is as absent. It returns the problem's message, or "".
func stringField(body map[string]any, key string, required bool) (string, string) {
	v, present := body[key]
	switch {
	case !present && required:
		return "", msgRequired
	case v == nil && required:
		return "", msgNotNull
	case v == nil:
		return "", ""
	}
	str, ok := v.(string)
	if !ok {
		return "", "Not a valid string."
	}
	return str, ""
}

// dateTimeRE is the ISO 8601 subset Django's parse_datetime accepts: date, "T" or a space,
// hours and minutes, optional seconds and fraction, optional zone.
var dateTimeRE = regexp.MustCompile(`^(\d{4})-(\d{1,2})-(\d{1,2})[T ](\d{1,2}):(\d{1,2})(?::(\d{1,2})(?:[.,]\d{1,9})?)?\s*(?:Z|[+-]\d{2}(?::?\d{2})?)?$`)

// isDateTime reports whether v is a date-time DRF's DateTimeField accepts: the layout above with
// every part in range.
func isDateTime(v string) bool {
	m := dateTimeRE.FindStringSubmatch(v)
	if m == nil {
		return false
	}
	n := make([]int, 7)
	for i := 1; i <= 6; i++ {
		n[i], _ = strconv.Atoi(m[i]) // "" (no seconds) is 0
	}
	t := time.Date(n[1], time.Month(n[2]), n[3], n[4], n[5], n[6], 0, time.UTC)
	return t.Month() == time.Month(n[2]) && t.Day() == n[3] && t.Hour() == n[4] && t.Minute() == n[5] && t.Second() == n[6]
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
	out, _ := json.Marshal(map[string]any{"renewal_status_id": statusID})
	fakeapi.WriteRawJSON(w, http.StatusOK, s.Rewrite(ResourceRenewalStatus, out))
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
	segs, ok := splitPath("/" + rest)
	if !ok {
		return false
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
