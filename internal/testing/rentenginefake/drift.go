package rentenginefake

import (
	"math/rand/v2"
	"net/http"
	"strconv"
	"strings"
)

// drift is the fakeapi.DriftFunc: on a GET of page_number > 0 of a list it changes the data the
// way concurrent upstream activity would between two page fetches, then lets the request be
// served. What it does is drawn from rng:
//
//   - half the time it deletes a record located before the page's offset, so every later record
//     moves back by one and a client paging by offset skips one record;
//   - a quarter of the time it inserts a record into a gap in the ids before the offset (ids are a
//     sequence shared by all accounts upstream, so gaps are normal), so later records move forward
//     by one and the client sees one record twice; without a gap it deletes instead;
//   - a quarter of the time it inserts a record with a new highest id, which lands on a later page.
//
// Offsets are computed on the unfiltered list. Inserted records are copies of a random existing
// record with fresh timestamps; an inserted leasing event is made an "Assign to User" so that no
// prospect's status has to change. Deletes are hard deletes, like a record vanishing upstream.
func (s *Server) drift(r *http.Request, rng *rand.Rand) bool {
	if r.Method != http.MethodGet {
		return false
	}
	rest, ok := strings.CutPrefix(r.URL.Path, BasePath+"/")
	if !ok {
		return false
	}
	res := Resource(rest)
	if _, ok := s.tables[res]; !ok {
		return false
	}
	q, details := parseListQuery(res, r.URL.Query())
	if len(details) > 0 || q.page == 0 {
		return false
	}

	s.mu.Lock()
	defer s.mu.Unlock()
	t := s.tables[res]
	t.compact()
	if len(t.ids) == 0 {
		return false
	}
	offset := len(t.ids)
	if q.page <= len(t.ids)/q.limit {
		offset = min(offset, q.page*q.limit)
	}
	switch p := rng.Float64(); {
	case p < 0.5:
		return s.driftDeleteLocked(t, offset, rng)
	case p < 0.75:
		if id, ok := gapBefore(t.ids, offset, rng); ok {
			s.driftInsertLocked(res, t, id, rng)
			return true
		}
		return s.driftDeleteLocked(t, offset, rng)
	default:
		s.driftInsertLocked(res, t, t.maxID+1, rng)
		return true
	}
}

func (s *Server) driftDeleteLocked(t *table, offset int, rng *rand.Rand) bool {
	if offset == 0 {
		return false
	}
	return t.del(t.ids[rng.IntN(offset)])
}

// gapBefore finds an unused id below ids[offset-1], scanning down from a random position.
func gapBefore(ids []int64, offset int, rng *rand.Rand) (int64, bool) {
	if offset == 0 {
		return 0, false
	}
	start := rng.IntN(offset)
	for i := start; i >= 0; i-- {
		prev := int64(0)
		if i > 0 {
			prev = ids[i-1]
		}
		if ids[i]-prev > 1 {
			return ids[i] - 1, true
		}
	}
	return 0, false
}

// driftInsertLocked stores a copy of a random record of t under id.
func (s *Server) driftInsertLocked(res Resource, t *table, id int64, rng *rand.Rand) {
	rec := decode(t.recs[t.ids[rng.IntN(len(t.ids))]].raw)
	now := formatTime(s.now())
	rec["id"] = id
	rec["created_at"] = now
	if hasUpdatedAt(res) {
		rec["updated_at"] = now
	}
	if res == LeasingEvents {
		rec["event_type"] = EventAssignToUser
		rec["deleted"] = false
		rec["context"] = map[string]any{
			"assignedToUserIds": []string{userIDs[rng.IntN(len(userIDs))]},
			"applyActionInBulk": false,
		}
	}
	if res == Units {
		// Keep the copy recognisable when a test looks at it.
		rec["extracted_from"] = "drift-" + strconv.FormatInt(id, 10)
	}
	s.storeLocked(res, id, rec)
}
