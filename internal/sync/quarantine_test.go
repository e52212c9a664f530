package sync_test

import (
	"bytes"
	"context"
	"encoding/json"
	"strconv"
	"sync"
	"testing"

	"go.uber.org/zap"
	"go.uber.org/zap/zaptest"

	"github.com/syncd-dev/syncd/internal/models"
	syncer "github.com/syncd-dev/syncd/internal/sync"
	"github.com/syncd-dev/syncd/internal/testing/dbtest"
	"github.com/syncd-dev/syncd/internal/testing/rentenginefake"
)

// quarantineCounter records QuarantineObserver calls.
type quarantineCounter struct {
	mu sync.Mutex
	n  map[string]int // tenant/table
}

func (q *quarantineCounter) Quarantined(tenant, table string, n int) {
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.n == nil {
		q.n = map[string]int{}
	}
	q.n[tenant+"/"+table] += n
}

// poison returns raw with a field holding bad text put first.
func poison(raw json.RawMessage, bad string) json.RawMessage {
	return append([]byte(`{"notes":"`+bad+`",`), raw[1:]...)
}

// TestPullQuarantinesPoisonRecords: records that Postgres cannot store (\u0000, a lone
// surrogate, invalid UTF-8) are quarantined one by one, on both databases alike; the rest of
// their pages land, their stored rows are kept and never tombstoned, and the pass still
// tombstones what was deleted upstream.
func TestPullQuarantinesPoisonRecords(t *testing.T) {
	dbtest.Dialects(t, func(t *testing.T, store *models.Store) {
		ctx := context.Background()
		b := newREBundle(t, store, "acme", 3)
		counter := &quarantineCounter{}
		b.runner = syncer.NewRunner(syncer.Config{Store: store, Retry: fastRetry, Quarantine: counter},
			zaptest.NewLogger(t, zaptest.Level(zap.ErrorLevel)))
		b.sync(t)

		units := b.fake.IDs(rentenginefake.Units)
		prospects := b.fake.IDs(rentenginefake.Prospects)
		events := b.fake.IDs(rentenginefake.LeasingEvents)
		type bad struct {
			res    rentenginefake.Resource
			table  string
			id     int64
			stored bool // a row was stored before the record went bad
			raw    json.RawMessage
			orig   json.RawMessage
		}
		bads := []*bad{
			{res: rentenginefake.Units, table: "rentengine_units", id: units[2], stored: true},
			{res: rentenginefake.Prospects, table: "rentengine_prospects", id: prospects[3], stored: true},
			{res: rentenginefake.LeasingEvents, table: "rentengine_leasing_events", id: events[4], stored: true},
			{res: rentenginefake.Units, table: "rentengine_units", stored: false},
		}
		bads[3].id = b.fake.Insert(rentenginefake.Units, map[string]any{"status": "Available"})
		for i, text := range []string{`nul \u0000 here`, `lone \ud800 surrogate`, "caf\xe9 latin-1", `\udc00`} {
			x := bads[i]
			x.orig, _ = b.fake.Raw(x.res, x.id)
			x.raw = poison(x.orig, text)
			must(t, b.fake.Corrupt(x.res, x.id, x.raw))
		}
		before := map[string]string{}
		for _, x := range bads {
			before[x.table+"/"+strconv.FormatInt(x.id, 10)] = storedRaw(t, store, x.table, x.id)
		}
		// On the same first page: a good change that must land, and a deletion.
		must(t, b.fake.Update(rentenginefake.Units, units[5], map[string]any{"status": "Withdrawn"}))
		must(t, b.fake.Delete(rentenginefake.Units, units[7]))

		run := b.sync(t)
		if run.Status != models.RunSucceeded {
			t.Fatalf("run %s: %v", run.Status, run.Error)
		}
		if run.BadRecords != 4 {
			t.Errorf("bad_records = %d, want 4", run.BadRecords)
		}
		var details struct {
			Resources map[string]syncer.Counts `json:"resources"`
		}
		must(t, json.Unmarshal(run.Details, &details))
		if q := details.Resources["units"].Quarantined + details.Resources["prospects"].Quarantined +
			details.Resources["leasing_events"].Quarantined; q != 4 || details.Resources["units"].Quarantined != 2 {
			t.Errorf("quarantined in details: %s", run.Details)
		}
		counter.mu.Lock()
		if counter.n["acme/rentengine_units"] != 2 || counter.n["acme/rentengine_prospects"] != 1 || counter.n["acme/rentengine_leasing_events"] != 1 {
			t.Errorf("quarantines observed: %v", counter.n)
		}
		counter.mu.Unlock()

		recs, err := store.BadRecords(ctx, "acme")
		must(t, err)
		if len(recs) != 4 {
			t.Fatalf("%d bad_records rows, want 4: %+v", len(recs), recs)
		}
		byKey := map[string]models.BadRecord{}
		for _, r := range recs {
			byKey[r.Table+"/"+r.RecordID] = r
		}
		for _, x := range bads {
			key := x.table + "/" + strconv.FormatInt(x.id, 10)
			r, ok := byKey[key]
			if !ok {
				t.Errorf("%s not quarantined", key)
				continue
			}
			got, err := r.Bytes()
			if err != nil || !bytes.Equal(got, x.raw) {
				t.Errorf("%s: quarantined bytes %q, want exactly what was served %q", key, got, x.raw)
			}
			if r.Source != models.SourcePull || r.RunID == nil || *r.RunID != run.RunID || r.Reason == "" || r.TimesSeen != 1 {
				t.Errorf("%s: bad_records row %+v", key, r)
			}
			// The stored row is kept as it was, live; a record never stored stays absent.
			if got := storedRaw(t, store, x.table, x.id); got != before[key] {
				t.Errorf("%s: stored raw changed from %q to %q", key, before[key], got)
			}
			if x.stored {
				assertLive(t, store, x.table, x.id)
			} else if before[key] != "" {
				t.Errorf("%s: a record never stored has a row", key)
			}
		}
		var status string
		must(t, dbtest.DB(store).Table("rentengine_units").Select("status").Where("tenant_id = ? AND id = ?", "acme", units[5]).Row().Scan(&status))
		if status != "Withdrawn" {
			t.Errorf("the good record on the same page did not land: status %q", status)
		}
		assertTombstoned(t, store, "rentengine_units", "acme", units[7])

		// Refused again on the next run: still one row each, seen twice.
		b.sync(t)
		recs, err = store.BadRecords(ctx, "acme")
		must(t, err)
		for _, r := range recs {
			if r.TimesSeen != 2 {
				t.Errorf("%s/%s seen %d times after two runs", r.Table, r.RecordID, r.TimesSeen)
			}
		}
		// Repaired upstream: they land, and the mirror equals the upstream.
		for _, x := range bads {
			must(t, b.fake.Corrupt(x.res, x.id, x.orig))
		}
		b.sync(t)
		assertMirrorEqualsFake(t, store, "acme", b.fake)
	})
}

// TestPullQuarantinesWhatPostgresRefuses: a value Unstorable does not foresee but Postgres
// refuses (a rent too large for numeric(12,2), a number too large for jsonb) fails its page's
// statement; the page is then stored record by record and only those records are quarantined.
func TestPullQuarantinesWhatPostgresRefuses(t *testing.T) {
	store := dbtest.Postgres(t)
	b := newREBundle(t, store, "acme", 4)
	b.sync(t)
	units := b.fake.IDs(rentenginefake.Units)
	must(t, b.fake.Update(rentenginefake.Units, units[1], map[string]any{"target_rental_rate": "99999999999999"}))
	raw, _ := b.fake.Raw(rentenginefake.Units, units[2])
	must(t, b.fake.Corrupt(rentenginefake.Units, units[2], append([]byte(`{"score":1e999999,`), raw[1:]...)))
	must(t, b.fake.Update(rentenginefake.Units, units[3], map[string]any{"status": "Withdrawn"}))
	newID := b.fake.Insert(rentenginefake.Units, map[string]any{"status": "Available", "target_rental_rate": 1e15})

	run := b.sync(t)
	if run.Status != models.RunSucceeded || run.BadRecords != 3 {
		t.Fatalf("run %s with %d bad records (%v), want succeeded with 3", run.Status, run.BadRecords, run.Error)
	}
	recs, err := store.BadRecords(context.Background(), "acme")
	must(t, err)
	got := map[string]string{}
	for _, r := range recs {
		got[r.RecordID] = r.Reason
	}
	for _, id := range []int64{units[1], units[2], newID} {
		if reason := got[strconv.FormatInt(id, 10)]; reason == "" {
			t.Errorf("unit %d not quarantined (bad_records: %v)", id, got)
		}
	}
	var status string
	must(t, dbtest.DB(store).Table("rentengine_units").Select("status").Where("tenant_id = ? AND id = ?", "acme", units[3]).Row().Scan(&status))
	if status != "Withdrawn" {
		t.Errorf("the good record on the same page did not land: status %q", status)
	}
	assertLive(t, store, "rentengine_units", units[1])
	assertLive(t, store, "rentengine_units", units[2])
}

func storedRaw(t *testing.T, store *models.Store, table string, id int64) string {
	t.Helper()
	var raw []string
	must(t, dbtest.DB(store).Table(table).Where("tenant_id = ? AND id = ?", "acme", id).Pluck("raw", &raw).Error)
	if len(raw) == 0 {
		return ""
	}
	return raw[0]
}

func assertLive(t *testing.T, store *models.Store, table string, id int64) {
	t.Helper()
	var n int64
	must(t, dbtest.DB(store).Table(table).Where("tenant_id = ? AND id = ? AND deleted_at IS NULL", "acme", id).Count(&n).Error)
	if n != 1 {
		t.Errorf("%s %d is not a live row", table, id)
	}
}
