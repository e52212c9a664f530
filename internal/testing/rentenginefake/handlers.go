package rentenginefake

import (
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/syncd-dev/syncd/internal/testing/fakeapi"
)

// Paging limits, as documented.
const (
	defaultLimit = 50
	maxLimit     = 100
)

// apiError is RentEngine's documented error body.
type apiError struct {
	Error   string        `json:"error"`
	Details []errorDetail `json:"details,omitempty"`
}

// errorDetail mimics one AJV validation error, in the documented field names.
type errorDetail struct {
	Keyword    string         `json:"keyword"`
	DataPath   string         `json:"dataPath"`
	SchemaPath string         `json:"schemaPath"`
	Params     map[string]any `json:"params"`
	Message    string         `json:"message"`
}

func writeError(w http.ResponseWriter, status int, msg string, details ...errorDetail) {
	fakeapi.WriteJSON(w, status, apiError{Error: msg, Details: details})
}

// Endpoint names for the switchboard (fake.Disable, fake.Enable): method and path below BasePath.
const (
	EndpointUnits             = "GET /units"
	EndpointProspects         = "GET /prospects"
	EndpointLeasingEvents     = "GET /leasing_events"
	EndpointPostLeasingEvents = "POST /leasing_events"
)

// Endpoints lists every endpoint the fake serves.
func Endpoints() []string {
	return []string{EndpointUnits, EndpointProspects, EndpointLeasingEvents, EndpointPostLeasingEvents}
}

// ListEndpoint is the endpoint that lists res.
func ListEndpoint(res Resource) string { return "GET /" + string(res) }

// route dispatches under BasePath: anything else is 404, then auth, then the endpoint. Chosen:
// auth comes before routing, so an unknown path under BasePath with a bad token is a 401.
// GET /leasing_events is itself chosen (CONTRACT.md); its only parameters are limit and page_number.
//
// An endpoint switched off answers as a path the API does not have (404 {"error": "Not Found"}),
// or with the 405 or 410 it was switched off with; a 405's Allow header lists the path's methods
// still on.
func (s *Server) route(w http.ResponseWriter, r *http.Request) {
	rest, ok := strings.CutPrefix(r.URL.Path, BasePath)
	if !ok || (rest != "" && rest[0] != '/') {
		writeError(w, http.StatusNotFound, "Not Found")
		return
	}
	if !s.authorized(r) {
		writeError(w, http.StatusUnauthorized, "Unauthorized")
		return
	}
	var allowed []string
	switch rest {
	case "/units":
		allowed = []string{http.MethodGet}
	case "/prospects":
		allowed = []string{http.MethodGet}
	case "/leasing_events":
		allowed = []string{http.MethodGet, http.MethodPost}
	default:
		writeError(w, http.StatusNotFound, "Not Found")
		return
	}
	on := slices.DeleteFunc(slices.Clone(allowed), func(m string) bool {
		_, off := s.Disabled(m + " " + rest)
		return off
	})
	status, off := s.Disabled(r.Method + " " + rest)
	switch {
	case len(on) == 0 && (!off || status == http.StatusNotFound):
		writeError(w, http.StatusNotFound, "Not Found") // every method of the path is gone
		return
	case !slices.Contains(allowed, r.Method) || off && status == http.StatusMethodNotAllowed:
		w.Header().Set("Allow", strings.Join(on, ", "))
		writeError(w, http.StatusMethodNotAllowed, "Method Not Allowed")
		return
	case off && status == http.StatusGone:
		writeError(w, http.StatusGone, "Gone")
		return
	case off:
		writeError(w, http.StatusNotFound, "Not Found")
		return
	}
	res := Resource(rest[1:])
	if r.Method == http.MethodPost {
		s.postLeasingEvents(w, r)
		return
	}
	q, details := parseListQuery(res, r.URL.Query())
	if len(details) > 0 {
		writeError(w, http.StatusBadRequest, "Invalid query parameters", details...)
		return
	}
	fakeapi.WriteRawJSON(w, http.StatusOK, s.page(res, q))
}

// listQuery is a validated list request.
type listQuery struct {
	limit, page int
	filter      filter
}

// queryParams lists the parameters each list endpoint accepts. Chosen: anything else is a 400
// ("must NOT have additional properties"), which is how the real API's rejection of offset and
// page is most plausibly implemented; a client that passes against this strict fake also passes
// against a lenient server.
func queryParams(res Resource) []string {
	common := []string{"limit", "page_number"}
	switch res {
	case Units:
		return append(common, "accountId", "unitIds", "statuses")
	case Prospects:
		return append(common, "created_after", "created_before")
	}
	return common
}

// parseListQuery validates the query like the API's AJV schema does (all errors, sorted by
// parameter name). Messages follow the live API's wording ("must ...").
func parseListQuery(res Resource, vals map[string][]string) (listQuery, []errorDetail) {
	q := listQuery{limit: defaultLimit}
	var details []errorDetail
	bad := func(param, keyword string, params map[string]any, msg string) {
		details = append(details, errorDetail{
			Keyword:    keyword,
			DataPath:   "." + param,
			SchemaPath: "#/properties/" + param + "/" + keyword,
			Params:     params,
			Message:    msg,
		})
	}
	names := make([]string, 0, len(vals))
	for k := range vals {
		names = append(names, k)
	}
	slices.Sort(names)
	allowed := queryParams(res)
	for _, name := range names {
		v := vals[name][0]
		if !slices.Contains(allowed, name) {
			details = append(details, errorDetail{
				Keyword:    "additionalProperties",
				SchemaPath: "#/additionalProperties",
				Params:     map[string]any{"additionalProperty": name},
				Message:    "must NOT have additional properties",
			})
			continue
		}
		switch name {
		case "limit":
			n, err := strconv.Atoi(v)
			switch {
			case err != nil:
				bad(name, "type", map[string]any{"type": "integer"}, "must be integer")
			case n > maxLimit:
				bad(name, "maximum", map[string]any{"comparison": "<=", "limit": maxLimit}, "must be <= 100")
			case n < 1:
				bad(name, "minimum", map[string]any{"comparison": ">=", "limit": 1}, "must be >= 1")
			default:
				q.limit = n
			}
		case "page_number":
			n, err := strconv.Atoi(v)
			switch {
			case err != nil:
				bad(name, "type", map[string]any{"type": "integer"}, "must be integer")
			case n < 0:
				bad(name, "minimum", map[string]any{"comparison": ">=", "limit": 0}, "must be >= 0")
			default:
				q.page = n
			}
		case "accountId":
			// Chosen: validated as a UUID, as the docs type it; compared case-insensitively.
			if !isUUID(v) {
				bad(name, "format", map[string]any{"format": "uuid"}, `must match format "uuid"`)
			}
			q.filter.accountID = v
		case "unitIds":
			q.filter.unitIDs = map[int64]bool{}
			for part := range strings.SplitSeq(v, ",") {
				id, err := strconv.ParseInt(strings.TrimSpace(part), 10, 64)
				if err != nil {
					bad(name, "type", map[string]any{"type": "integer"}, "must be integer")
					break
				}
				q.filter.unitIDs[id] = true
			}
		case "statuses":
			q.filter.statuses = map[string]bool{}
			for part := range strings.SplitSeq(v, ",") {
				if !isUnitStatus(part) {
					bad(name, "enum", map[string]any{"allowedValues": unitStatusValues()},
						"must be equal to one of the allowed values")
					break
				}
				q.filter.statuses[part] = true
			}
		case "created_after", "created_before":
			t, err := time.Parse(time.RFC3339Nano, v)
			if err != nil {
				bad(name, "format", map[string]any{"format": "date-time"}, `must match format "date-time"`)
				break
			}
			if name == "created_after" {
				q.filter.createdAfter = &t
			} else {
				q.filter.createdBefore = &t
			}
		}
	}
	return q, details
}

func isUnitStatus(s string) bool {
	return slices.Contains(unitStatusValues(), s)
}

func unitStatusValues() []string {
	out := make([]string, len(unitStatuses))
	for i, w := range unitStatuses {
		out[i] = w.value
	}
	return out
}

// isUUID checks the 8-4-4-4-12 hex layout.
func isUUID(s string) bool {
	if len(s) != 36 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch i {
		case 8, 13, 18, 23:
			if c != '-' {
				return false
			}
		default:
			if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F') {
				return false
			}
		}
	}
	return true
}

// filter is the record filter of a list request; the zero value matches everything.
type filter struct {
	accountID     string
	unitIDs       map[int64]bool
	statuses      map[string]bool
	createdAfter  *time.Time // inclusive (integrators saw the boundary record repeat)
	createdBefore *time.Time // Chosen: exclusive, so adjacent windows do not overlap at the end
}

func (f filter) empty() bool {
	return f.accountID == "" && f.unitIDs == nil && f.statuses == nil &&
		f.createdAfter == nil && f.createdBefore == nil
}

func (f filter) match(id int64, m meta) bool {
	if f.accountID != "" && !strings.EqualFold(m.account, f.accountID) {
		return false
	}
	if f.unitIDs != nil && !f.unitIDs[id] {
		return false
	}
	if f.statuses != nil && !f.statuses[m.status] {
		return false
	}
	if f.createdAfter != nil && m.created < f.createdAfter.UnixMicro() {
		return false
	}
	if f.createdBefore != nil && m.created >= f.createdBefore.UnixMicro() {
		return false
	}
	return true
}

// key identifies the filter for the cache.
func (f filter) key(res Resource) string {
	var b strings.Builder
	b.WriteString(string(res))
	b.WriteString("|" + strings.ToLower(f.accountID) + "|")
	ids := make([]int64, 0, len(f.unitIDs))
	for id := range f.unitIDs {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	for _, id := range ids {
		b.WriteString(strconv.FormatInt(id, 10) + ",")
	}
	b.WriteString("|")
	st := make([]string, 0, len(f.statuses))
	for s := range f.statuses {
		st = append(st, s)
	}
	slices.Sort(st)
	b.WriteString(strings.Join(st, "\x00"))
	for _, t := range []*time.Time{f.createdAfter, f.createdBefore} {
		b.WriteString("|")
		if t != nil {
			b.WriteString(strconv.FormatInt(t.UnixMicro(), 10))
		}
	}
	return b.String()
}

// filtered is a cached filter result, valid while the table's version is unchanged.
type filtered struct {
	version uint64
	ids     []int64
}

// maxCachedFilters bounds the cache; it is simply emptied when full.
const maxCachedFilters = 32

// matchingIDs returns the ids matching f. The caller holds the read lock with t compacted.
func (s *Server) matchingIDs(res Resource, t *table, f filter) []int64 {
	if f.empty() {
		return t.ids
	}
	key := f.key(res)
	s.cacheMu.Lock()
	c, ok := s.cache[key]
	s.cacheMu.Unlock()
	if ok && c.version == t.version {
		return c.ids
	}
	var ids []int64
	for _, id := range t.ids {
		if f.match(id, t.recs[id].m) {
			ids = append(ids, id)
		}
	}
	s.cacheMu.Lock()
	if len(s.cache) >= maxCachedFilters {
		clear(s.cache)
	}
	s.cache[key] = filtered{version: t.version, ids: ids}
	s.cacheMu.Unlock()
	return ids
}

// page assembles one page as a bare JSON array from the stored bytes.
func (s *Server) page(res Resource, q listQuery) []byte {
	var body []byte
	s.readLocked(res, func(t *table) {
		ids := s.matchingIDs(res, t, q.filter)
		// Compare before multiplying so a huge page_number cannot overflow.
		if q.page > len(ids)/q.limit || q.page*q.limit >= len(ids) {
			body = []byte("[]")
			return
		}
		ids = ids[q.page*q.limit : min(len(ids), (q.page+1)*q.limit)]
		n := 2
		for _, id := range ids {
			n += len(t.recs[id].raw) + 1
		}
		body = make([]byte, 0, n)
		body = append(body, '[')
		for i, id := range ids {
			if i > 0 {
				body = append(body, ',')
			}
			body = append(body, s.Rewrite(string(res), t.recs[id].raw)...)
		}
		body = append(body, ']')
	})
	return body
}
