package rentenginefake

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"iter"
	"maps"
	"slices"
	"time"

	"github.com/syncd-dev/syncd/internal/testing/fakeapi"
)

// Resource names one list endpoint and its table.
type Resource string

// The resources the fake serves.
const (
	Units         Resource = "units"
	Prospects     Resource = "prospects"
	LeasingEvents Resource = "leasing_events"
)

// Resources lists every resource.
func Resources() []Resource { return []Resource{Units, Prospects, LeasingEvents} }

// ErrNotFound is returned by Update and Delete for an id the table does not hold.
var ErrNotFound = errors.New("record not found")

// timeLayout is how the API writes timestamps: RFC 3339, UTC, microseconds.
const timeLayout = "2006-01-02T15:04:05.000000Z"

func formatTime(t time.Time) string { return t.UTC().Format(timeLayout) }

// hasUpdatedAt reports whether records of res carry updated_at. Chosen: leasing events do not;
// their documented field list has only created_at.
func hasUpdatedAt(res Resource) bool { return res != LeasingEvents }

// isActionEventType reports whether an event type is an action rather than a status: such events
// are recorded but do not become the prospect's status. Every other type does, unknown ones
// included. This is the one place that set lives in the fake; it matches the contract's
// contract.NonStatusEventTypes (a test checks).
func isActionEventType(eventType string) bool {
	switch eventType {
	case EventAssignToUser, EventReassignShowing, EventLogNote, EventBlocklistProspect, EventUnblockProspect:
		return true
	}
	return false
}

// entry is one stored record. raw is never modified after it is stored (updates replace it), so
// it may be handed out without copying to readers that promise not to modify it.
type entry struct {
	raw []byte
	m   meta
}

// meta holds the few fields that filters and bulk assignment need, extracted once when a record
// is stored so that a million-row scan never decodes JSON.
type meta struct {
	account string // units: account_id
	status  string // units: status
	phone   string // prospects: last 10 digits of phone ("" when none)
	created int64  // prospects: created_at in Unix microseconds (0 when absent or unparsable)
}

// table is one resource's records: a map by id plus the ids in ascending order. Deletes and
// out-of-order inserts only mark ids dirty; compact restores the order before the next read, so a
// burst of mutations on a million rows costs one sort, not one slice shift each.
type table struct {
	recs    map[int64]entry
	ids     []int64 // ascending and exactly the keys of recs, unless dirty
	dirty   bool
	maxID   int64  // highest id ever stored; new ids continue from it, like a database sequence
	version uint64 // bumped on every change, to invalidate cached filter results
}

func newTable() *table { return &table{recs: map[int64]entry{}} }

func (t *table) put(id int64, e entry) {
	if _, ok := t.recs[id]; !ok {
		if id < t.maxID {
			t.dirty = true
		}
		t.ids = append(t.ids, id)
	}
	t.recs[id] = e
	t.maxID = max(t.maxID, id)
	t.version++
}

func (t *table) del(id int64) bool {
	if _, ok := t.recs[id]; !ok {
		return false
	}
	delete(t.recs, id)
	t.dirty = true
	t.version++
	return true
}

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
	t.ids = slices.Compact(ids) // an id deleted and re-inserted before compaction appears twice
	t.dirty = false
}

// table returns res's table; an unknown resource is a programming error in a test.
func (s *Server) table(res Resource) *table {
	t, ok := s.tables[res]
	if !ok {
		panic(fmt.Sprintf("rentenginefake: unknown resource %q", res))
	}
	return t
}

// readLocked runs fn under the read lock with res's ids in order.
func (s *Server) readLocked(res Resource, fn func(t *table)) {
	s.mu.RLock()
	t := s.table(res)
	for t.dirty {
		s.mu.RUnlock()
		s.mu.Lock()
		t.compact()
		s.mu.Unlock()
		s.mu.RLock()
	}
	defer s.mu.RUnlock()
	fn(t)
}

// Insert stores rec and returns its id. Without an "id" the next id of the resource's sequence is
// assigned; with one (a number or a numeric string, kept as given in the JSON) the record is
// stored under it, replacing any record with that id. created_at (and updated_at where the
// resource has it) are set to now when missing. rec is not retained. Insert panics if rec cannot
// be encoded or its id is not an integer: that is a bug in the calling test.
func (s *Server) Insert(res Resource, rec map[string]any) int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.insertLocked(res, maps.Clone(rec))
}

func (s *Server) insertLocked(res Resource, rec map[string]any) int64 {
	t := s.table(res)
	id, ok := fakeapi.Int64Of(rec["id"])
	switch {
	case rec["id"] == nil:
		id = t.maxID + 1
		rec["id"] = id
	case !ok:
		panic(fmt.Sprintf("rentenginefake: Insert %s: id %v is not an integer", res, rec["id"]))
	}
	now := formatTime(s.now())
	if _, ok := rec["created_at"]; !ok {
		rec["created_at"] = now
	}
	if _, ok := rec["updated_at"]; !ok && hasUpdatedAt(res) {
		rec["updated_at"] = now
	}
	s.storeLocked(res, id, rec)
	return id
}

func (s *Server) storeLocked(res Resource, id int64, rec map[string]any) {
	raw, err := json.Marshal(rec)
	if err != nil {
		panic(fmt.Sprintf("rentenginefake: encode %s %d: %v", res, id, err))
	}
	s.table(res).put(id, entry{raw: raw, m: metaOf(res, rec)})
}

// Update merges patch into the record's top-level fields (a nil value stores JSON null) and bumps
// updated_at to now unless patch sets it or the resource has none. The id cannot be changed.
func (s *Server) Update(res Resource, id int64, patch map[string]any) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	t := s.table(res)
	e, ok := t.recs[id]
	if !ok {
		return fmt.Errorf("update %s %d: %w", res, id, ErrNotFound)
	}
	if v, ok := patch["id"]; ok {
		if pid, _ := fakeapi.Int64Of(v); pid != id {
			return fmt.Errorf("update %s %d: the id cannot be changed", res, id)
		}
	}
	rec := decode(e.raw)
	maps.Copy(rec, patch)
	if _, ok := patch["updated_at"]; !ok && hasUpdatedAt(res) {
		rec["updated_at"] = formatTime(s.now())
	}
	s.storeLocked(res, id, rec)
	return nil
}

// Corrupt replaces the JSON served for record id with raw, verbatim: the record keeps its place
// in the paging order but may no longer decode (or even carry its id). It exists so tests can
// serve the malformed records real integrations report.
func (s *Server) Corrupt(res Resource, id int64, raw json.RawMessage) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	t := s.table(res)
	e, ok := t.recs[id]
	if !ok {
		return fmt.Errorf("corrupt %s %d: %w", res, id, ErrNotFound)
	}
	e.raw = bytes.Clone(raw)
	t.recs[id] = e
	return nil
}

// Delete removes a record.
func (s *Server) Delete(res Resource, id int64) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.table(res).del(id) {
		return fmt.Errorf("delete %s %d: %w", res, id, ErrNotFound)
	}
	return nil
}

// Get returns a decoded copy of one record. Numbers decode as json.Number, so values round-trip
// exactly.
func (s *Server) Get(res Resource, id int64) (map[string]any, bool) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	e, ok := s.table(res).recs[id]
	if !ok {
		return nil, false
	}
	return decode(e.raw), true
}

// Raw returns a copy of one record's JSON exactly as the API serves it.
func (s *Server) Raw(res Resource, id int64) (json.RawMessage, bool) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	e, ok := s.table(res).recs[id]
	if !ok {
		return nil, false
	}
	return bytes.Clone(e.raw), true
}

// Records returns decoded copies of all records in id order.
func (s *Server) Records(res Resource) []map[string]any {
	var out []map[string]any
	for _, raw := range s.All(res) {
		out = append(out, decode(raw))
	}
	return out
}

// All iterates over a snapshot of res's records in id order, with each record's JSON as served.
// The snapshot is taken when iteration starts, without holding any lock while yielding, so the
// loop body may call the Server. The JSON is shared with the store: do not modify it.
func (s *Server) All(res Resource) iter.Seq2[int64, json.RawMessage] {
	return func(yield func(int64, json.RawMessage) bool) {
		var ids []int64
		var raws [][]byte
		s.readLocked(res, func(t *table) {
			ids = slices.Clone(t.ids)
			raws = make([][]byte, len(ids))
			for i, id := range ids {
				raws[i] = t.recs[id].raw
			}
		})
		for i, id := range ids {
			if !yield(id, raws[i]) {
				return
			}
		}
	}
}

// Count returns the number of records.
func (s *Server) Count(res Resource) int {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return len(s.table(res).recs)
}

// IDs returns the ids in ascending order.
func (s *Server) IDs(res Resource) []int64 {
	var ids []int64
	s.readLocked(res, func(t *table) { ids = slices.Clone(t.ids) })
	return ids
}

// AddEvent records a leasing event of eventType for a prospect at the given time and returns its
// id. Unless the type is an action (see isActionEventType), the prospect's status
// becomes eventType and its updated_at is bumped to now, since a prospect's status is the type of
// its latest leasing event. An event for a prospect that does not exist is still recorded, with a
// null unit, as upstream keeps events of deleted prospects.
func (s *Server) AddEvent(prospectID int64, eventType string, at time.Time) int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	ev := eventRecord{
		CreatedAt: formatTime(at),
		Prospect:  prospectID,
		EventType: eventType,
		CreatedBy: s.userID,
		Context:   map[string]any{},
	}
	p, ok := s.tables[Prospects].recs[prospectID]
	var prospect map[string]any
	if ok {
		prospect = decode(p.raw)
		ev.Unit = unitRef(prospect["unit_of_interest"])
	}
	id := s.storeEventLocked(ev)
	if ok && !isActionEventType(eventType) {
		prospect["status"] = eventType
		prospect["updated_at"] = formatTime(s.now())
		s.storeLocked(Prospects, prospectID, prospect)
	}
	return id
}

// eventRecord is a leasing event in the field order of the documented POST response.
type eventRecord struct {
	ID              int64   `json:"id"`
	CreatedAt       string  `json:"created_at"`
	Notes           *string `json:"notes"`
	Prospect        int64   `json:"prospect"`
	PlannedDateTime *string `json:"planned_date_time"`
	Source          *string `json:"source"`
	EventType       string  `json:"event_type"`
	NextFollowUp    *string `json:"next_follow_up"`
	Deleted         bool    `json:"deleted"`
	CreatedBy       string  `json:"created_by"`
	Context         any     `json:"context"`
	Unit            any     `json:"unit"` // unit id or nil
}

// storeEventLocked assigns the next event id, stores ev and returns its id.
func (s *Server) storeEventLocked(ev eventRecord) int64 {
	t := s.tables[LeasingEvents]
	ev.ID = t.maxID + 1
	raw, err := json.Marshal(ev)
	if err != nil {
		panic(fmt.Sprintf("rentenginefake: encode leasing event: %v", err))
	}
	t.put(ev.ID, entry{raw: raw})
	return ev.ID
}

// unitRef turns a prospect's unit_of_interest (a number, a numeric string or null) into the
// integer unit id an event carries, or nil.
func unitRef(v any) any {
	if id, ok := fakeapi.Int64Of(v); ok {
		return id
	}
	return nil
}

func decode(raw []byte) map[string]any {
	d := json.NewDecoder(bytes.NewReader(raw))
	d.UseNumber()
	var m map[string]any
	if err := d.Decode(&m); err != nil {
		panic(fmt.Sprintf("rentenginefake: stored record is not a JSON object: %v", err))
	}
	return m
}

// metaOf extracts the indexed fields from a decoded record.
func metaOf(res Resource, rec map[string]any) meta {
	var m meta
	switch res {
	case Units:
		m.account, _ = rec["account_id"].(string)
		m.status, _ = rec["status"].(string)
	case Prospects:
		if p, ok := rec["phone"].(string); ok {
			m.phone = phoneKey(p)
		}
		if c, ok := rec["created_at"].(string); ok {
			if t, err := time.Parse(time.RFC3339Nano, c); err == nil {
				m.created = t.UnixMicro()
			}
		}
	}
	return m
}

// phoneKey is what bulk assignment compares: the last 10 digits, ignoring formatting and the
// country code. Chosen: the docs say "same phone number" without saying how numbers are compared.
func phoneKey(phone string) string {
	var d []byte
	for i := 0; i < len(phone); i++ {
		if c := phone[i]; c >= '0' && c <= '9' {
			d = append(d, c)
		}
	}
	if len(d) > 10 {
		d = d[len(d)-10:]
	}
	return string(d)
}
