package funnelfake

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"iter"
	"maps"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/syncd-dev/syncd/internal/testing/fakeapi"
)

// Resource names one per-community list and its table.
type Resource string

// The per-community resources the fake serves.
const (
	Prospects    Resource = "prospects"    // Funnel clients (guest cards); id field funnel_renter_id
	Renewals     Resource = "renewals"     // lease renewals; id field id
	Appointments Resource = "appointments" // booked appointments; id field id
)

// Resources lists every per-community resource.
func Resources() []Resource { return []Resource{Prospects, Renewals, Appointments} }

// Errors returned by the mutation helpers.
var (
	ErrNotFound          = errors.New("record not found")
	ErrCommunityNotFound = errors.New("community not found")
)

// timeLayout is how Funnel writes date-times: naive, no zone [documented examples]. The fake
// writes UTC.
const timeLayout = "2006-01-02T15:04:05"

func formatTime(t time.Time) string { return t.UTC().Format(timeLayout) }

// idField is the record field holding a resource's id.
func idField(res Resource) string {
	if res == Prospects {
		return "funnel_renter_id"
	}
	return "id"
}

// hasTimestamps reports whether records of res carry updated_at. Chosen: appointments do not;
// the documented (truncated) appointment shape has none.
func hasTimestamps(res Resource) bool { return res != Appointments }

// entry is one stored record. raw is never modified after it is stored (updates replace it).
type entry struct {
	raw []byte
	m   meta
}

// meta holds what matching needs, extracted once when a record is stored.
type meta struct {
	emails []string // prospects: every person's e-mail, trimmed and lower-cased
	phones []string // prospects: every person's phone as its last 10 digits
	status string   // prospects: the client's status
	renter int64    // renewals: funnel_renter_id
	unit   int64    // renewals: funnel_unit_id
}

// table is one resource of one community: records by id plus the ids in ascending order.
type table struct {
	recs  map[int64]entry
	ids   []int64
	dirty bool
}

func newTable() *table { return &table{recs: map[int64]entry{}} }

func (t *table) put(id int64, e entry) {
	if _, ok := t.recs[id]; !ok {
		if n := len(t.ids); n > 0 && id < t.ids[n-1] {
			t.dirty = true
		}
		t.ids = append(t.ids, id)
	}
	t.recs[id] = e
}

func (t *table) del(id int64) bool {
	if _, ok := t.recs[id]; !ok {
		return false
	}
	delete(t.recs, id)
	t.dirty = true
	return true
}

// compact restores ids to exactly the stored ids in ascending order. The caller holds the write
// lock.
func (t *table) compact() {
	if !t.dirty {
		return
	}
	ids := t.ids[:0]
	for _, id := range t.ids {
		if _, ok := t.recs[id]; ok {
			ids = append(ids, id)
		}
	}
	slices.Sort(ids)
	t.ids = slices.Compact(ids)
	t.dirty = false
}

// community is one community: its record, its id forms and its tables.
type community struct {
	id            int64
	raw           []byte
	syndicationID string
	partnerID     string // without the "partner-id:" prefix; "" when none is registered
	tables        map[Resource]*table
}

// CommunityIDs are the three forms that address one community.
type CommunityIDs struct {
	ID          int64
	Syndication string // "P1234-567"; "" when the community has none
	Partner     string // the partner's own id, without the "partner-id:" prefix; "" when none
}

// Numeric returns the raw Funnel id form ("1234").
func (c CommunityIDs) Numeric() string { return strconv.FormatInt(c.ID, 10) }

// PartnerForm returns "partner-id:<Partner>", or "" when no partner id is registered.
func (c CommunityIDs) PartnerForm() string {
	if c.Partner == "" {
		return ""
	}
	return partnerPrefix + c.Partner
}

// Forms returns every form that addresses the community.
func (c CommunityIDs) Forms() []string {
	out := []string{c.Numeric()}
	if c.Syndication != "" {
		out = append(out, c.Syndication)
	}
	if c.Partner != "" {
		out = append(out, c.PartnerForm())
	}
	return out
}

const partnerPrefix = "partner-id:"

// resolveLocked finds the community addressed by any id form. Chosen: syndication ids compare
// case-insensitively, partner ids exactly (they are the partner's own keys).
func (s *Server) resolveLocked(form string) (*community, bool) {
	if p, ok := strings.CutPrefix(form, partnerPrefix); ok {
		if p == "" {
			return nil, false
		}
		for _, c := range s.communities {
			if c.partnerID == p {
				return c, true
			}
		}
		return nil, false
	}
	if id, err := strconv.ParseInt(form, 10, 64); err == nil {
		c, ok := s.communities[id]
		return c, ok
	}
	for _, c := range s.communities {
		if c.syndicationID != "" && strings.EqualFold(c.syndicationID, form) {
			return c, true
		}
	}
	return nil, false
}

// Resolve returns the numeric id of the community that an id form addresses.
func (s *Server) Resolve(form string) (int64, bool) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	c, ok := s.resolveLocked(form)
	if !ok {
		return 0, false
	}
	return c.id, true
}

// InsertCommunity stores a community record and registers partnerID (without the prefix; "" for
// none) as its partner id. Without an "id" the next id is assigned. A "syndication_id" in rec
// becomes an id form. updated_at is set to now when missing. An existing community with the same
// id keeps its tables; its record and forms are replaced. It panics on a record it cannot encode
// or an id that is not an integer: that is a bug in the calling test.
func (s *Server) InsertCommunity(rec map[string]any, partnerID string) int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.insertCommunityLocked(maps.Clone(rec), partnerID)
}

func (s *Server) insertCommunityLocked(rec map[string]any, partnerID string) int64 {
	id, ok := fakeapi.Int64Of(rec["id"])
	switch {
	case rec["id"] == nil:
		id = s.maxCommunity + 1
		rec["id"] = id
	case !ok:
		panic(fmt.Sprintf("funnelfake: InsertCommunity: id %v is not an integer", rec["id"]))
	}
	if _, ok := rec["updated_at"]; !ok {
		rec["updated_at"] = formatTime(s.now())
	}
	c, ok := s.communities[id]
	if !ok {
		c = &community{id: id, tables: map[Resource]*table{}}
		for _, r := range Resources() {
			c.tables[r] = newTable()
		}
		s.communities[id] = c
	}
	c.partnerID = partnerID
	s.storeCommunityLocked(c, rec)
	s.maxCommunity = max(s.maxCommunity, id)
	return id
}

func (s *Server) storeCommunityLocked(c *community, rec map[string]any) {
	raw, err := json.Marshal(rec)
	if err != nil {
		panic(fmt.Sprintf("funnelfake: encode community %d: %v", c.id, err))
	}
	c.raw = raw
	c.syndicationID, _ = rec["syndication_id"].(string)
}

// UpdateCommunity merges patch into a community's record and bumps its updated_at (unless patch
// sets it). The id cannot be changed.
func (s *Server) UpdateCommunity(id int64, patch map[string]any) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	c, ok := s.communities[id]
	if !ok {
		return fmt.Errorf("update community %d: %w", id, ErrCommunityNotFound)
	}
	if v, ok := patch["id"]; ok {
		if pid, _ := fakeapi.Int64Of(v); pid != id {
			return fmt.Errorf("update community %d: the id cannot be changed", id)
		}
	}
	rec := decode(c.raw)
	maps.Copy(rec, patch)
	if _, ok := patch["updated_at"]; !ok {
		rec["updated_at"] = formatTime(s.now())
	}
	s.storeCommunityLocked(c, rec)
	return nil
}

// DeleteCommunity removes a community with all its records.
func (s *Server) DeleteCommunity(id int64) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.communities[id]; !ok {
		return fmt.Errorf("delete community %d: %w", id, ErrCommunityNotFound)
	}
	delete(s.communities, id)
	return nil
}

// Communities returns every community's id forms, by ascending id.
func (s *Server) Communities() []CommunityIDs {
	s.mu.RLock()
	defer s.mu.RUnlock()
	out := make([]CommunityIDs, 0, len(s.communities))
	for _, c := range s.communities {
		out = append(out, CommunityIDs{ID: c.id, Syndication: c.syndicationID, Partner: c.partnerID})
	}
	slices.SortFunc(out, func(a, b CommunityIDs) int { return int(a.ID - b.ID) })
	return out
}

// CommunityRaw returns a copy of a community's JSON exactly as served.
func (s *Server) CommunityRaw(id int64) (json.RawMessage, bool) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	c, ok := s.communities[id]
	if !ok {
		return nil, false
	}
	return bytes.Clone(c.raw), true
}

// communityLocked returns a community for a helper; a missing one is a bug in the calling test.
func (s *Server) communityLocked(id int64, op string) *community {
	c, ok := s.communities[id]
	if !ok {
		panic(fmt.Sprintf("funnelfake: %s: no community %d", op, id))
	}
	return c
}

// Insert stores rec in a community's resource and returns its id. Without an id field
// (funnel_renter_id for prospects, id otherwise) the next id of the resource's sequence, shared
// by all communities, is assigned; with one (a number or numeric string, kept as given) the record
// is stored under it, replacing any record with that id in that community. A prospect without
// funnel_community_id gets the community's id. created_at and updated_at are set to now when
// missing on resources that have them. rec is not retained. Insert panics for an unknown
// community, an unencodable record or a non-integer id: those are bugs in the calling test.
func (s *Server) Insert(communityID int64, res Resource, rec map[string]any) int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.insertLocked(s.communityLocked(communityID, "Insert"), res, maps.Clone(rec))
}

func (s *Server) insertLocked(c *community, res Resource, rec map[string]any) int64 {
	f := idField(res)
	id, ok := fakeapi.Int64Of(rec[f])
	switch {
	case rec[f] == nil:
		id = s.maxID[res] + 1
		rec[f] = id
	case !ok:
		panic(fmt.Sprintf("funnelfake: Insert %s: %s %v is not an integer", res, f, rec[f]))
	}
	if res == Prospects {
		if _, ok := rec["funnel_community_id"]; !ok {
			rec["funnel_community_id"] = c.id
		}
	}
	if hasTimestamps(res) {
		now := formatTime(s.now())
		if _, ok := rec["created_at"]; !ok && res == Prospects {
			rec["created_at"] = now
		}
		if _, ok := rec["updated_at"]; !ok {
			rec["updated_at"] = now
		}
	}
	s.storeLocked(c, res, id, rec)
	s.maxID[res] = max(s.maxID[res], id)
	return id
}

func (s *Server) storeLocked(c *community, res Resource, id int64, rec map[string]any) {
	raw, err := json.Marshal(rec)
	if err != nil {
		panic(fmt.Sprintf("funnelfake: encode %s %d: %v", res, id, err))
	}
	c.tables[res].put(id, entry{raw: raw, m: metaOf(res, rec)})
}

// Update merges patch into a record's top-level fields (a nil value stores JSON null) and bumps
// updated_at to now unless patch sets it or the resource has none. The id cannot be changed.
func (s *Server) Update(communityID int64, res Resource, id int64, patch map[string]any) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	c, ok := s.communities[communityID]
	if !ok {
		return fmt.Errorf("update %s %d: community %d: %w", res, id, communityID, ErrCommunityNotFound)
	}
	e, ok := c.tables[res].recs[id]
	if !ok {
		return fmt.Errorf("update %s %d in community %d: %w", res, id, communityID, ErrNotFound)
	}
	if v, ok := patch[idField(res)]; ok {
		if pid, _ := fakeapi.Int64Of(v); pid != id {
			return fmt.Errorf("update %s %d: the id cannot be changed", res, id)
		}
	}
	rec := decode(e.raw)
	maps.Copy(rec, patch)
	if _, ok := patch["updated_at"]; !ok && hasTimestamps(res) {
		rec["updated_at"] = formatTime(s.now())
	}
	s.storeLocked(c, res, id, rec)
	return nil
}

// Delete removes a record.
func (s *Server) Delete(communityID int64, res Resource, id int64) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	c, ok := s.communities[communityID]
	if !ok {
		return fmt.Errorf("delete %s %d: community %d: %w", res, id, communityID, ErrCommunityNotFound)
	}
	if !c.tables[res].del(id) {
		return fmt.Errorf("delete %s %d in community %d: %w", res, id, communityID, ErrNotFound)
	}
	return nil
}

// Get returns a decoded copy of one record. Numbers decode as json.Number, so values round-trip
// exactly.
func (s *Server) Get(communityID int64, res Resource, id int64) (map[string]any, bool) {
	raw, ok := s.Raw(communityID, res, id)
	if !ok {
		return nil, false
	}
	return decode(raw), true
}

// Raw returns a copy of one record's JSON exactly as the API serves it.
func (s *Server) Raw(communityID int64, res Resource, id int64) (json.RawMessage, bool) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	c, ok := s.communities[communityID]
	if !ok {
		return nil, false
	}
	e, ok := c.tables[res].recs[id]
	if !ok {
		return nil, false
	}
	return bytes.Clone(e.raw), true
}

// All iterates over a snapshot of a community's records of res in id order, with each record's
// JSON as served. No lock is held while yielding, so the loop body may call the Server. The JSON
// is shared with the store: do not modify it. An unknown community yields nothing.
func (s *Server) All(communityID int64, res Resource) iter.Seq2[int64, json.RawMessage] {
	return func(yield func(int64, json.RawMessage) bool) {
		ids, raws := s.snapshot(communityID, res)
		for i, id := range ids {
			if !yield(id, raws[i]) {
				return
			}
		}
	}
}

func (s *Server) snapshot(communityID int64, res Resource) ([]int64, [][]byte) {
	var ids []int64
	var raws [][]byte
	s.readTable(communityID, res, func(t *table) {
		ids = slices.Clone(t.ids)
		raws = make([][]byte, len(ids))
		for i, id := range ids {
			raws[i] = t.recs[id].raw
		}
	})
	return ids, raws
}

// readTable runs fn under the read lock with the table's ids in order; nothing for an unknown
// community.
func (s *Server) readTable(communityID int64, res Resource, fn func(t *table)) {
	s.mu.RLock()
	c, ok := s.communities[communityID]
	for ok && c.tables[res].dirty {
		s.mu.RUnlock()
		s.mu.Lock()
		c.tables[res].compact()
		s.mu.Unlock()
		s.mu.RLock()
		c, ok = s.communities[communityID]
	}
	defer s.mu.RUnlock()
	if ok {
		fn(c.tables[res])
	}
}

// IDs returns a community's ids of res in ascending order.
func (s *Server) IDs(communityID int64, res Resource) []int64 {
	var ids []int64
	s.readTable(communityID, res, func(t *table) { ids = slices.Clone(t.ids) })
	return ids
}

// Count returns how many records of res a community holds.
func (s *Server) Count(communityID int64, res Resource) int {
	s.mu.RLock()
	defer s.mu.RUnlock()
	c, ok := s.communities[communityID]
	if !ok {
		return 0
	}
	return len(c.tables[res].recs)
}

// CustomerScore is one score set through POST customer-score, as the fake stored it on the client.
type CustomerScore struct {
	ClientID    int64
	Name        string
	Value       int64
	Maximum     int64
	SubmittedAt string // as sent
	Email       string // as sent
	Phone       string // as sent
	// Candidates is how many clients the contacts matched after narrowing; above 1, the fake
	// picked one of them silently (the lowest id), as the real server does.
	Candidates int
}

// CustomerScores returns the scores set on a client, oldest first.
func (s *Server) CustomerScores(clientID int64) []CustomerScore {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return slices.Clone(s.scores[clientID])
}

// RenewalCard returns the renewal card fields set on a renewal through PUT renewal-status (merged
// over all PUTs, plus "renewal_status_id"), and whether any was set.
func (s *Server) RenewalCard(renewalID int64) (map[string]any, bool) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	card, ok := s.cards[renewalID]
	if !ok {
		return nil, false
	}
	out := maps.Clone(card)
	out["renewal_status_id"] = s.cardIDs[renewalID]
	return out, true
}

func decode(raw []byte) map[string]any {
	d := json.NewDecoder(bytes.NewReader(raw))
	d.UseNumber()
	var m map[string]any
	if err := d.Decode(&m); err != nil {
		panic(fmt.Sprintf("funnelfake: stored record is not a JSON object: %v", err))
	}
	return m
}

// metaOf extracts the indexed fields from a record.
func metaOf(res Resource, rec map[string]any) meta {
	var m meta
	switch res {
	case Prospects:
		m.status, _ = rec["status"].(string)
		people, _ := rec["people"].([]any)
		if one, ok := rec["people"].(map[string]any); ok {
			people = []any{one}
		}
		for _, p := range people {
			person, ok := p.(map[string]any)
			if !ok {
				continue
			}
			if e := emailKey(person["email"]); e != "" {
				m.emails = append(m.emails, e)
			}
			for _, f := range []string{"phone_1", "phone_2"} {
				if ph := phoneKey(person[f]); ph != "" {
					m.phones = append(m.phones, ph)
				}
			}
		}
	case Renewals:
		m.renter, _ = fakeapi.Int64Of(rec["funnel_renter_id"])
		m.unit, _ = fakeapi.Int64Of(rec["funnel_unit_id"])
	}
	return m
}

// emailKey is how the fake compares e-mails. Chosen: trimmed and lower-cased; Funnel's own rule
// is not documented.
func emailKey(v any) string {
	s, _ := v.(string)
	return strings.ToLower(strings.TrimSpace(s))
}

// phoneKey is how the fake compares phones: the last 10 digits, ignoring formatting and the
// country code. Chosen, like the RentEngine fake's rule.
func phoneKey(v any) string {
	var s string
	switch x := v.(type) {
	case string:
		s = x
	case json.Number:
		s = x.String()
	case float64:
		s = strconv.FormatFloat(x, 'f', 0, 64)
	case int64:
		s = strconv.FormatInt(x, 10)
	case int:
		s = strconv.Itoa(x)
	}
	var d []byte
	for i := 0; i < len(s); i++ {
		if c := s[i]; c >= '0' && c <= '9' {
			d = append(d, c)
		}
	}
	if len(d) < 7 {
		return ""
	}
	if len(d) > 10 {
		d = d[len(d)-10:]
	}
	return string(d)
}
