package sync_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"maps"
	"reflect"
	"slices"
	"testing"

	"github.com/syncd-dev/syncd/internal/models"
	"github.com/syncd-dev/syncd/internal/testing/dbtest"
	"github.com/syncd-dev/syncd/internal/testing/rentenginefake"
)

// runChanges returns the record_changes rows a run wrote, keyed "operation table id".
func runChanges(t *testing.T, store *models.Store, run *models.SyncRun) map[string]models.RecordChange {
	t.Helper()
	var rows []models.RecordChange
	if err := dbtest.DB(store).Where("tenant_id = ? AND run_id = ?", run.TenantID, run.RunID).Find(&rows).Error; err != nil {
		t.Fatal(err)
	}
	out := map[string]models.RecordChange{}
	for _, c := range rows {
		k := fmt.Sprintf("%s %s %s", c.Operation, c.Table, c.RecordID)
		if _, dup := out[k]; dup {
			t.Errorf("%s recorded twice", k)
		}
		if c.DeliveryID != nil || !c.ChangedAt.Equal(c.ChangedAt.UTC()) {
			t.Errorf("%s: delivery %v, changed_at %s", k, c.DeliveryID, c.ChangedAt)
		}
		out[k] = c
	}
	return out
}

func byOperation(cs map[string]models.RecordChange) map[string]int {
	n := map[string]int{}
	for _, c := range cs {
		n[c.Operation]++
	}
	return n
}

// decodedFields decodes a change's fields with numbers as written, as the fake's Get returns
// values.
func decodedFields(t *testing.T, c models.RecordChange) map[string]map[string]any {
	t.Helper()
	d := json.NewDecoder(bytes.NewReader(c.Fields))
	d.UseNumber()
	var m map[string]map[string]any
	if err := d.Decode(&m); err != nil {
		t.Fatalf("fields %s: %v", c.Fields, err)
	}
	return m
}

// TestChangeHistory is issue 14's acceptance test of the change history, on both databases,
// through real pulls from the RentEngine fake:
//
//   - the initial sync records one insert per record (every record is new to the mirror);
//   - after 5 inserts, 3 updates and 2 deletes upstream, the next pull's changes (the rows with
//     its run_id) are exactly 5 insert, 3 update and 2 delete rows, and each update carries the
//     top-level fields that changed, with the values before and after;
//   - a re-sync with no upstream change appends 0 rows;
//   - a deleted record that comes back is recorded as an undelete, with what changed.
//
// (A webhook's changes, recorded with their delivery, are tested in internal/webhook.)
func TestChangeHistory(t *testing.T) {
	dbtest.Dialects(t, func(t *testing.T, store *models.Store) {
		b := newREBundle(t, store, "acme", 1)
		total := 0
		for _, res := range rentenginefake.Resources() {
			total += b.fake.Count(res)
		}
		count := func() int64 { return dbtest.CountRows(t, store, "record_changes", "acme") }

		run := b.sync(t)
		first := runChanges(t, store, run)
		if got := byOperation(first); !reflect.DeepEqual(got, map[string]int{models.OpInsert: total}) || int(count()) != total {
			t.Fatalf("initial sync recorded %v (%d rows in all), want %d inserts", got, count(), total)
		}
		for k, c := range first {
			if c.Fields != nil {
				t.Fatalf("%s carries fields %s; an insert records the operation only", k, c.Fields)
			}
		}

		// Upstream: 5 inserts, 3 updates, 2 deletes, over the three resources.
		units := b.fake.IDs(rentenginefake.Units)
		prospects := b.fake.IDs(rentenginefake.Prospects)
		events := b.fake.IDs(rentenginefake.LeasingEvents)
		inserted := []string{
			fmt.Sprint("rentengine_units ", b.fake.Insert(rentenginefake.Units, map[string]any{"status": "Available", "target_rental_rate": "1725"})),
			fmt.Sprint("rentengine_units ", b.fake.Insert(rentenginefake.Units, map[string]any{"status": "On Hold", "bedrooms": 3})),
			fmt.Sprint("rentengine_prospects ", b.fake.Insert(rentenginefake.Prospects, map[string]any{"name": "New Person", "status": "New"})),
			fmt.Sprint("rentengine_prospects ", b.fake.Insert(rentenginefake.Prospects, map[string]any{"name": "Other Person", "phone": "+15550102031"})),
			fmt.Sprint("rentengine_leasing_events ", b.fake.Insert(rentenginefake.LeasingEvents, map[string]any{"event_type": "Contacted, Awaiting Information", "prospect": prospects[0]})),
		}
		// Each update's expected fields: old value from the fake before, new value after.
		wantFields := map[string]map[string]map[string]any{}
		update := func(res rentenginefake.Resource, table string, id int64, patch map[string]any) {
			t.Helper()
			before, _ := b.fake.Get(res, id)
			must(t, b.fake.Update(res, id, patch))
			after, _ := b.fake.Get(res, id)
			fields := map[string]map[string]any{}
			for _, k := range slices.Sorted(maps.Keys(after)) {
				if !reflect.DeepEqual(before[k], after[k]) {
					fields[k] = map[string]any{"old": before[k], "new": after[k]}
				}
			}
			wantFields[fmt.Sprintf("%s %d", table, id)] = fields
		}
		update(rentenginefake.Units, "rentengine_units", units[3], map[string]any{"status": "Leased", "target_rental_rate": "2100"})
		update(rentenginefake.Prospects, "rentengine_prospects", prospects[5], map[string]any{"email": "changed@example.com"})
		update(rentenginefake.LeasingEvents, "rentengine_leasing_events", events[7], map[string]any{"notes": "edited upstream"})
		must(t, b.fake.Delete(rentenginefake.Units, units[10]))
		must(t, b.fake.Delete(rentenginefake.Prospects, prospects[20]))

		run = b.sync(t)
		assertCounts(t, run, counts{inserted: 5, updated: 3, deleted: 2, fetched: -1})
		got := runChanges(t, store, run)
		want := map[string]bool{}
		for _, k := range inserted {
			want["insert "+k] = true
		}
		for k := range wantFields {
			want["update "+k] = true
		}
		want[fmt.Sprintf("delete rentengine_units %d", units[10])] = true
		want[fmt.Sprintf("delete rentengine_prospects %d", prospects[20])] = true
		if !reflect.DeepEqual(slices.Sorted(maps.Keys(got)), slices.Sorted(maps.Keys(want))) {
			t.Fatalf("the pull after the changes recorded %v,\nwant %v", slices.Sorted(maps.Keys(got)), slices.Sorted(maps.Keys(want)))
		}
		for k, fields := range wantFields {
			c := got["update "+k]
			if g := decodedFields(t, c); !reflect.DeepEqual(g, fields) {
				t.Errorf("update %s: fields %v, want %v", k, g, fields)
			}
			if len(fields) == 0 {
				t.Errorf("update %s: nothing changed upstream", k)
			}
		}
		for k, c := range got {
			if c.Operation != models.OpUpdate && c.Fields != nil {
				t.Errorf("%s carries fields %s", k, c.Fields)
			}
		}

		// No upstream change: nothing appended.
		before := count()
		run = b.sync(t)
		assertCounts(t, run, counts{fetched: -1})
		if n := count() - before; n != 0 || len(runChanges(t, store, run)) != 0 {
			t.Errorf("an unchanged re-sync appended %d rows", n)
		}

		// A deleted record that comes back, changed: an undelete with its changed fields.
		b.fake.Insert(rentenginefake.Units, map[string]any{"id": units[10], "status": "Available"})
		run = b.sync(t)
		got = runChanges(t, store, run)
		key := fmt.Sprintf("undelete rentengine_units %d", units[10])
		if len(got) != 1 || got[key].Operation != models.OpUndelete {
			t.Fatalf("the pull after a deleted unit came back recorded %v, want %s", slices.Sorted(maps.Keys(got)), key)
		}
		if f := decodedFields(t, got[key]); f["status"]["new"] != "Available" {
			t.Errorf("undelete fields %v, want the status among them", f)
		}
	})
}
