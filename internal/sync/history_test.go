package sync_test

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"maps"
	"os"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib" // database/sql driver "pgx", to run README's queries as written
	"go.uber.org/zap"
	"go.uber.org/zap/zaptest"

	"github.com/syncd-dev/syncd/internal/models"
	syncer "github.com/syncd-dev/syncd/internal/sync"
	"github.com/syncd-dev/syncd/internal/tenants"
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

// readmeHistoryQueries returns the SQL statements of README.md's "Change history" section.
func readmeHistoryQueries(t *testing.T) []string {
	t.Helper()
	b, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	_, section, ok := strings.Cut(string(b), "\n### Change history\n")
	if !ok {
		t.Fatal(`README.md has no "### Change history" section`)
	}
	section, _, _ = strings.Cut(section, "\n## ")
	_, block, ok := strings.Cut(section, "```sql\n")
	if !ok {
		t.Fatal("the Change history section has no SQL block")
	}
	block, _, _ = strings.Cut(block, "```")
	var out []string
	for _, q := range strings.Split(block, ";\n") {
		if q = strings.TrimSpace(q); q != "" {
			out = append(out, q)
		}
	}
	return out
}

// TestREADMEHistoryQueries runs the point-in-time queries README.md shows, exactly as written,
// against a history made by real pulls at controlled times, and checks their answers:
//
//	2026-09-20  first sync: prospects 4711 New, 4712 Contacted, 4713 New, 4715 New;
//	            units 1 (rent 1500), 2 (1700), 3 (900)
//	2026-09-25  4711 → Showing Scheduled; 4715 deleted upstream
//	2026-09-28  4713 deleted upstream; 4715 back, as Ghosting
//	2026-10-03  4711 → Application Received, 4712 → Lease Signed; 4714 new
//	now − 40d   unit 1 rent 1550
//	now − 10d   unit 1 rent 1600, unit 2 rent 1650; unit 3 loses its bedrooms (not its rent)
func TestREADMEHistoryQueries(t *testing.T) {
	queries := readmeHistoryQueries(t)
	if len(queries) != 3 {
		t.Fatalf("%d queries in README's Change history section, want 3", len(queries))
	}
	dsn := dbtest.PostgresDSN(t)
	store := dbtest.Open(t, dsn)
	var clock time.Time
	now := func() time.Time { return clock }
	fake := rentenginefake.New(rentenginefake.Options{Token: "tok", Now: now})
	t.Cleanup(fake.Close)
	tenant := reTenant("acme", fake.BaseURL(), "tok")
	runner := syncer.NewRunner(syncer.Config{Store: store, Retry: fastRetry, Now: now}, zaptest.NewLogger(t, zaptest.Level(zap.WarnLevel)))
	var runIDs []string
	syncAt := func(at time.Time, edit func()) {
		t.Helper()
		clock = at
		edit()
		run, err := runner.Run(context.Background(), tenant, tenants.JobRentEngine)
		if err != nil {
			t.Fatalf("sync at %s: %v", at, err)
		}
		runIDs = append(runIDs, run.RunID)
	}
	day := func(s string) time.Time {
		d, err := time.Parse(time.DateOnly, s)
		if err != nil {
			t.Fatal(err)
		}
		return d.Add(12 * time.Hour)
	}
	prospect := func(id int64, name, status string) {
		fake.Insert(rentenginefake.Prospects, map[string]any{"id": id, "name": name, "status": status})
	}
	unit := func(id int64, rent string) {
		fake.Insert(rentenginefake.Units, map[string]any{"id": id, "target_rental_rate": rent, "bedrooms": "2",
			"address": map[string]any{"formatted_address": fmt.Sprintf("%d Elm St, Austin, TX 78701", id)}})
	}
	set := func(res rentenginefake.Resource, id int64, patch map[string]any) {
		t.Helper()
		must(t, fake.Update(res, id, patch))
	}
	syncAt(day("2026-09-20"), func() {
		prospect(4711, "Ana", "New")
		prospect(4712, "Ben", "Contacted, Awaiting Information")
		prospect(4713, "Cy", "New")
		prospect(4715, "Eve", "New")
		unit(1, "1500")
		unit(2, "1700")
		unit(3, "900")
	})
	syncAt(day("2026-09-25"), func() {
		set(rentenginefake.Prospects, 4711, map[string]any{"status": "Showing Scheduled"})
		must(t, fake.Delete(rentenginefake.Prospects, 4715))
	})
	syncAt(day("2026-09-28"), func() {
		must(t, fake.Delete(rentenginefake.Prospects, 4713))
		prospect(4715, "Eve", "Ghosting")
	})
	syncAt(day("2026-10-03"), func() {
		set(rentenginefake.Prospects, 4711, map[string]any{"status": "Application Received"})
		set(rentenginefake.Prospects, 4712, map[string]any{"status": "Lease Signed"})
		prospect(4714, "Dee", "New")
	})
	real := time.Now().UTC()
	syncAt(real.AddDate(0, 0, -40), func() { set(rentenginefake.Units, 1, map[string]any{"target_rental_rate": "1550"}) })
	syncAt(real.AddDate(0, 0, -10), func() {
		set(rentenginefake.Units, 1, map[string]any{"target_rental_rate": "1600"})
		set(rentenginefake.Units, 2, map[string]any{"target_rental_rate": "1650"})
		set(rentenginefake.Units, 3, map[string]any{"bedrooms": nil})
	})

	db, err := sql.Open("pgx", dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	// answer runs a query and renders each row as its values joined by " | ", times as dates.
	answer := func(q string) []string {
		t.Helper()
		rows, err := db.Query(q)
		if err != nil {
			t.Fatalf("%v\n%s", err, q)
		}
		defer rows.Close()
		cols, _ := rows.Columns()
		var out []string
		for rows.Next() {
			vals := make([]any, len(cols))
			ptrs := make([]any, len(cols))
			for i := range vals {
				ptrs[i] = &vals[i]
			}
			must(t, rows.Scan(ptrs...))
			var parts []string
			for _, v := range vals {
				switch x := v.(type) {
				case time.Time:
					parts = append(parts, x.UTC().Format(time.DateOnly))
				case nil:
					parts = append(parts, "NULL")
				default:
					parts = append(parts, fmt.Sprint(x))
				}
			}
			out = append(out, strings.Join(parts, " | "))
		}
		must(t, rows.Err())
		return out
	}
	date := func(t time.Time) string { return t.Format(time.DateOnly) }
	wants := [][]string{
		{ // each prospect's status on 2026-10-01
			"4711 | Ana | Showing Scheduled",
			"4712 | Ben | Contacted, Awaiting Information",
			"4715 | Eve | Ghosting",
		},
		{ // units whose rent changed in the last 30 days
			fmt.Sprintf("1 | 1 Elm St, Austin, TX 78701 | %s | 1550 | 1600", date(real.AddDate(0, 0, -10))),
			fmt.Sprintf("2 | 2 Elm St, Austin, TX 78701 | %s | 1700 | 1650", date(real.AddDate(0, 0, -10))),
		},
		{ // 4711's timeline
			"2026-09-20 | insert | NULL | NULL | pull " + runIDs[0],
			"2026-09-25 | update | New | Showing Scheduled | pull " + runIDs[1],
			"2026-10-03 | update | Showing Scheduled | Application Received | pull " + runIDs[3],
		},
	}
	for i, q := range queries {
		got := answer(q)
		if !reflect.DeepEqual(got, wants[i]) {
			t.Errorf("README query %d answered\n  %s\nwant\n  %s\nquery:\n%s", i+1,
				strings.Join(got, "\n  "), strings.Join(wants[i], "\n  "), q)
		}
	}
}
