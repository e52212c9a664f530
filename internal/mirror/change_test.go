package mirror_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/syncd-dev/syncd/internal/mirror"
	"github.com/syncd-dev/syncd/internal/models"
	"github.com/syncd-dev/syncd/internal/testing/dbtest"
)

// t0 is the upstream time of the fixtures' first version.
var t0 = time.Date(2026, 11, 20, 10, 0, 0, 0, time.UTC)

func at(min int) string { return t0.Add(time.Duration(min) * time.Minute).Format(time.RFC3339) }

func apply(t *testing.T, store *models.Store, body string) string {
	t.Helper()
	var ch mirror.Change
	must(t, json.Unmarshal([]byte(body), &ch))
	// The receive time is after every fixture version, as for a delivery received now.
	out, err := mirror.ApplyRentEngineChange(context.Background(), store, "acme", ch, t0.Add(24*time.Hour))
	if err != nil {
		t.Fatalf("%s: %v", body, err)
	}
	return out
}

func storedProspect(t *testing.T, store *models.Store, id int64) (p models.RentEngineProspect, fields map[string]any) {
	t.Helper()
	must(t, dbtest.DB(store).Where("tenant_id = ? AND id = ?", "acme", id).Take(&p).Error)
	must(t, json.Unmarshal(p.Raw, &fields))
	return p, fields
}

// TestWebhookConcurrentUpdates: 200 UPDATEs of one record, delivered at once in any order, each
// adding a field of its own, with increasing updated_at. Every field survives, and the newest
// delivery's values win.
func TestWebhookConcurrentUpdates(t *testing.T) {
	dbtest.Dialects(t, func(t *testing.T, store *models.Store) {
		apply(t, store, fmt.Sprintf(`{"type":"INSERT","table":"prospects","record":{"id":42,"name":"Kim Lee","status":"New","updated_at":%q}}`, at(0)))
		const n = 200
		var wg sync.WaitGroup
		errs := make(chan error, n)
		for i := 1; i <= n; i++ {
			wg.Go(func() {
				var ch mirror.Change
				body := fmt.Sprintf(`{"type":"UPDATE","table":"prospects","record":{"id":42,"field_%d":%d,"status":"s%d","updated_at":%q}}`, i, i, i, at(i))
				if err := json.Unmarshal([]byte(body), &ch); err != nil {
					errs <- err
					return
				}
				if _, err := mirror.ApplyRentEngineChange(context.Background(), store, "acme", ch, t0.Add(24*time.Hour)); err != nil {
					errs <- err
				}
			})
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			t.Fatal(err)
		}
		p, fields := storedProspect(t, store, 42)
		missing := 0
		for i := 1; i <= n; i++ {
			if fields[fmt.Sprintf("field_%d", i)] != float64(i) {
				missing++
			}
		}
		if missing > 0 {
			t.Errorf("%d of %d concurrently added fields lost", missing, n)
		}
		if fields["name"] != "Kim Lee" {
			t.Errorf("name %v: the first version's field was lost", fields["name"])
		}
		if fields["updated_at"] != at(n) || fields["status"] != fmt.Sprintf("s%d", n) {
			t.Errorf("stored version updated_at %v status %v, want the newest: %s s%d", fields["updated_at"], fields["status"], at(n), n)
		}
		if p.SourceUpdatedAt == nil || !p.SourceUpdatedAt.Equal(t0.Add(n*time.Minute)) || p.Status == nil || *p.Status != fmt.Sprintf("s%d", n) {
			t.Errorf("typed columns updated_at %v status %v disagree with the newest version", p.SourceUpdatedAt, p.Status)
		}
	})
}

// TestWebhookOrdering: deliveries arriving in another order than they were made.
func TestWebhookOrdering(t *testing.T) {
	type step struct {
		body string
		want string
	}
	insert := fmt.Sprintf(`{"type":"INSERT","table":"prospects","record":{"id":7,"name":"Kim Lee","status":"New","updated_at":%q}}`, at(0))
	update := func(min int, status string) string {
		return fmt.Sprintf(`{"type":"UPDATE","table":"prospects","record":{"id":7,"status":%q,"updated_at":%q}}`, status, at(min))
	}
	del := func(min int) string {
		return fmt.Sprintf(`{"type":"DELETE","table":"prospects","record":null,"old_record":{"id":7,"updated_at":%q}}`, at(min))
	}
	const delNoVersion = `{"type":"DELETE","table":"prospects","old_record":{"id":7}}`
	cases := []struct {
		name        string
		steps       []step
		wantDeleted bool
		wantStatus  string
	}{
		{"delete, then a stale update made before it", []step{{insert, "inserted"}, {update(10, "Showing"), "updated"},
			{del(10), "deleted"}, {update(5, "Contacted"), "stale"}, {update(10, "Showing"), "stale"}}, true, "Showing"},
		{"delete without a version, then an update made before it was received", []step{{insert, "inserted"},
			{delNoVersion, "deleted"}, {update(30, "Contacted"), "stale"}}, true, "New"},
		{"delete, then an update made after it", []step{{insert, "inserted"}, {del(0), "deleted"},
			{update(20, "Applied"), "updated"}}, false, "Applied"},
		{"update, then a stale delete", []step{{insert, "inserted"}, {update(10, "Showing"), "updated"},
			{del(0), "stale"}}, false, "Showing"},
		{"update, then the delete of that version", []step{{insert, "inserted"}, {update(10, "Showing"), "updated"},
			{del(10), "deleted"}, {del(10), "unchanged"}}, true, "Showing"},
		{"a stale update fills only what is missing", []step{{insert, "inserted"}, {update(10, "Showing"), "updated"},
			{fmt.Sprintf(`{"type":"UPDATE","table":"prospects","record":{"id":7,"status":"New","email":"kim@example.com","updated_at":%q}}`, at(5)), "updated"},
			{update(5, "New"), "stale"}}, false, "Showing"},
	}
	dbtest.Dialects(t, func(t *testing.T, store *models.Store) {
		for _, tc := range cases {
			t.Run(tc.name, func(t *testing.T) {
				must(t, dbtest.DB(store).Exec("DELETE FROM rentengine_prospects").Error)
				for i, s := range tc.steps {
					if got := apply(t, store, s.body); got != s.want {
						t.Fatalf("step %d %s: %s, want %s", i, s.body, got, s.want)
					}
				}
				p, _ := storedProspect(t, store, 7)
				if (p.DeletedAt != nil) != tc.wantDeleted || p.Status == nil || *p.Status != tc.wantStatus {
					t.Errorf("stored: deleted %v status %v, want deleted %v status %s", p.DeletedAt != nil, p.Status, tc.wantDeleted, tc.wantStatus)
				}
				if p.DeletedAt == nil && p.DeletedVersion != nil {
					t.Errorf("a live row keeps deleted_version %v", p.DeletedVersion)
				}
			})
		}
	})
}

// TestWebhookOrderingWithoutVersions: leasing events carry no updated_at, so a tombstone cannot be
// ordered against an UPDATE (which leaves it deleted) but an INSERT re-creates the record.
func TestWebhookOrderingWithoutVersions(t *testing.T) {
	dbtest.Dialects(t, func(t *testing.T, store *models.Store) {
		for _, s := range []struct{ body, want string }{
			{`{"type":"INSERT","table":"leasing_events","record":{"id":9,"prospect":7,"event_type":"Contacted"}}`, "inserted"},
			{`{"type":"DELETE","table":"leasing_events","old_record":{"id":9}}`, "deleted"},
			{`{"type":"UPDATE","table":"leasing_events","record":{"id":9,"event_type":"Showing"}}`, "stale"},
			{`{"type":"INSERT","table":"leasing_events","record":{"id":9,"prospect":7,"event_type":"Applied"}}`, "updated"},
		} {
			if got := apply(t, store, s.body); got != s.want {
				t.Fatalf("%s: %s, want %s", s.body, got, s.want)
			}
		}
		var e models.RentEngineLeasingEvent
		must(t, dbtest.DB(store).Where("tenant_id = ? AND id = ?", "acme", 9).Take(&e).Error)
		if e.DeletedAt != nil || e.EventType == nil || *e.EventType != "Applied" {
			t.Errorf("re-created event: deleted %v type %v", e.DeletedAt, e.EventType)
		}
	})
}

// TestWebhookAfterPullTombstone: a row a pull tombstoned was gone upstream when the pull ran, so an
// UPDATE made before then leaves it deleted.
func TestWebhookAfterPullTombstone(t *testing.T) {
	dbtest.Dialects(t, func(t *testing.T, store *models.Store) {
		apply(t, store, fmt.Sprintf(`{"type":"INSERT","table":"prospects","record":{"id":8,"status":"New","updated_at":%q}}`, at(0)))
		n, err := models.Tombstone[int64, models.RentEngineProspect](context.Background(), store, "acme", models.Origin{}, []int64{8}, t0.Add(time.Hour))
		if err != nil || n != 1 {
			t.Fatalf("tombstone: %d, %v", n, err)
		}
		if got := apply(t, store, fmt.Sprintf(`{"type":"UPDATE","table":"prospects","record":{"id":8,"status":"Late","updated_at":%q}}`, at(30))); got != "stale" {
			t.Errorf("an update made before the pull found the record gone: %s, want stale", got)
		}
		if got := apply(t, store, fmt.Sprintf(`{"type":"UPDATE","table":"prospects","record":{"id":8,"status":"Back","updated_at":%q}}`, at(90))); got != "updated" {
			t.Errorf("an update made after the tombstone: %s, want updated", got)
		}
		if p, _ := storedProspect(t, store, 8); p.DeletedAt != nil || *p.Status != "Back" {
			t.Errorf("stored: deleted %v status %v", p.DeletedAt, *p.Status)
		}
	})
}

// TestWebhookPoisonRecordIsQuarantined: ErrQuarantined (a 4xx for the sender), a bad_records row
// with the record's bytes, and the stored row untouched; on both databases alike.
func TestWebhookPoisonRecordIsQuarantined(t *testing.T) {
	dbtest.Dialects(t, func(t *testing.T, store *models.Store) {
		apply(t, store, fmt.Sprintf(`{"type":"INSERT","table":"prospects","record":{"id":5,"status":"New","updated_at":%q}}`, at(0)))
		for _, rec := range []string{
			`{"id":5,"status":"a\u0000b","updated_at":"` + at(10) + `"}`,
			`{"id":5,"status":"\ud800","updated_at":"` + at(10) + `"}`,
			"{\"id\":5,\"status\":\"caf\xe9\",\"updated_at\":\"" + at(10) + "\"}",
		} {
			var ch mirror.Change
			must(t, json.Unmarshal([]byte(`{"type":"UPDATE","table":"prospects","record":`+rec+`}`), &ch))
			_, err := mirror.ApplyRentEngineChange(context.Background(), store, "acme", ch, t0.Add(24*time.Hour))
			var q *mirror.QuarantineError
			if !errors.Is(err, mirror.ErrQuarantined) || !errors.As(err, &q) || q.Table != "rentengine_prospects" || q.ID != "5" {
				t.Fatalf("%q: %v, want a quarantine of rentengine_prospects 5", rec, err)
			}
			recs, err := store.BadRecords(context.Background(), "acme")
			must(t, err)
			if len(recs) != 1 || recs[0].Source != models.SourceWebhook || recs[0].RunID != nil {
				t.Fatalf("bad_records %+v", recs)
			}
			if b, _ := recs[0].Bytes(); string(b) != rec {
				t.Errorf("quarantined bytes %q, want %q", b, rec)
			}
		}
		if p, _ := storedProspect(t, store, 5); *p.Status != "New" || p.DeletedAt != nil {
			t.Errorf("stored row changed: status %q deleted %v", *p.Status, p.DeletedAt)
		}
	})
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}
