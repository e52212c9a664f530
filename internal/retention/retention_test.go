package retention_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"go.uber.org/zap"
	"go.uber.org/zap/zaptest"

	"github.com/syncd-dev/syncd/internal/models"
	"github.com/syncd-dev/syncd/internal/retention"
	"github.com/syncd-dev/syncd/internal/testing/dbtest"
)

// fakeStore holds change times in memory and deletes the oldest first, as PruneChanges does.
type fakeStore struct {
	mu      sync.Mutex
	changes []time.Time
	calls   []time.Time // when each PruneChanges call came
	befores []time.Time
	fail    error
}

func (s *fakeStore) PruneChanges(_ context.Context, before time.Time, batch int) (int64, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.calls = append(s.calls, time.Now())
	s.befores = append(s.befores, before)
	if s.fail != nil {
		return 0, s.fail
	}
	var kept []time.Time
	n := 0
	for _, c := range s.changes {
		if c.Before(before) && n < batch {
			n++
			continue
		}
		kept = append(kept, c)
	}
	s.changes = kept
	return int64(n), nil
}

type observed struct {
	mu   sync.Mutex
	runs []string
	rows int64
}

func (o *observed) HistoryPruned(outcome string, rows int64, _ time.Duration) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.runs = append(o.runs, outcome)
	o.rows += rows
}

// lockHeld is a Locker whose lock another replica holds.
type lockHeld struct{}

func (lockHeld) TryLock(context.Context, string, string) (context.Context, func(), error) {
	return nil, nil, nil
}

// The job's timing, under synctest's fake clock: the first run FirstDelay after Start, then one
// every Every; each run deletes in batches with a pause between them until a batch comes back
// short; SetKeep applies from the next run; Stop ends the goroutine.
func TestJobTiming(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		start := time.Now()
		keep := 10 * 24 * time.Hour
		st := &fakeStore{}
		for i := range 12 { // 12 changes, 11 to 0 days old
			st.changes = append(st.changes, start.Add(-time.Duration(11-i)*24*time.Hour))
		}
		obs := &observed{}
		j := retention.New(retention.Config{Store: st, Keep: keep, FirstDelay: time.Minute, Every: 24 * time.Hour,
			Batch: 1, Pause: time.Second, Observer: obs}, zaptest.NewLogger(t))
		j.Start()
		j.Start() // idempotent

		time.Sleep(time.Minute - time.Nanosecond)
		synctest.Wait()
		if len(st.calls) != 0 {
			t.Fatalf("ran before its first delay: %v", st.calls)
		}
		time.Sleep(time.Hour)
		synctest.Wait()
		// Two changes are older than 10 days: two full batches of 1 and a short one.
		if len(st.calls) != 3 || len(st.changes) != 10 {
			t.Fatalf("first run: %d calls, %d changes left; want 3 and 10", len(st.calls), len(st.changes))
		}
		for i, c := range st.calls {
			if want := start.Add(time.Minute + time.Duration(i)*time.Second); !c.Equal(want) {
				t.Errorf("call %d at %s, want %s (a pause between batches)", i, c.Sub(start), want.Sub(start))
			}
			if want := start.Add(time.Minute - keep); !st.befores[i].Equal(want) {
				t.Errorf("call %d deletes before %s, want %s", i, st.befores[i], want)
			}
		}

		// The next run comes Every after the end of this one (two pauses in), with the new keep:
		// changes of 4 days and older at that time go.
		j.SetKeep(5 * 24 * time.Hour)
		time.Sleep(24 * time.Hour)
		synctest.Wait()
		if cut := st.befores[len(st.befores)-1]; len(st.changes) != 4 || !cut.Equal(start.Add(time.Minute+2*time.Second+24*time.Hour-5*24*time.Hour)) {
			t.Errorf("second run, a day later with keep 5d: %d changes left, cut-off %s", len(st.changes), cut.Sub(start))
		}
		j.Stop()
		j.Stop() // idempotent
		calls := len(st.calls)
		time.Sleep(72 * time.Hour)
		synctest.Wait()
		if len(st.calls) != calls {
			t.Errorf("ran after Stop")
		}
		if fmt.Sprint(obs.runs) != "[succeeded succeeded]" || obs.rows != 8 {
			t.Errorf("observed %v with %d rows, want two successful runs and 8 rows", obs.runs, obs.rows)
		}
	})
}

// Stop during a run ends it between two statements; what was deleted stays deleted.
func TestStopDuringRun(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		st := &fakeStore{}
		for range 100 {
			st.changes = append(st.changes, time.Now().Add(-48*time.Hour))
		}
		obs := &observed{}
		j := retention.New(retention.Config{Store: st, Keep: time.Hour, FirstDelay: time.Second, Batch: 10,
			Pause: time.Minute, Observer: obs}, zap.NewNop())
		j.Start()
		time.Sleep(time.Second + 90*time.Second) // two batches in
		synctest.Wait()
		j.Stop()
		if len(st.changes) != 80 || fmt.Sprint(obs.runs) != "[failed]" || obs.rows != 20 {
			t.Errorf("after Stop: %d changes left, observed %v %d rows; want 80, [failed], 20", len(st.changes), obs.runs, obs.rows)
		}
	})
}

func TestRunOutcomes(t *testing.T) {
	boom := errors.New("database unavailable")
	obs := &observed{}
	j := retention.New(retention.Config{Store: &fakeStore{fail: boom}, Keep: time.Hour, Observer: obs}, zap.NewNop())
	if run := j.RunOnce(context.Background()); run.Outcome != retention.Failed || !errors.Is(run.Err, boom) {
		t.Errorf("failing store: %+v", run)
	}
	st := &fakeStore{changes: []time.Time{time.Now().Add(-2 * time.Hour)}}
	j = retention.New(retention.Config{Store: st, Keep: time.Hour, Locker: lockHeld{}, Observer: obs}, zap.NewNop())
	if run := j.RunOnce(context.Background()); run.Outcome != retention.Skipped || len(st.calls) != 0 {
		t.Errorf("lock held elsewhere: %+v, %d calls", run, len(st.calls))
	}
	if fmt.Sprint(obs.runs) != "[failed skipped]" {
		t.Errorf("observed %v", obs.runs)
	}
}

// On both databases, a run deletes exactly the changes older than keep, across tenants and
// tables, in as many batches as it takes.
func TestPruneOnlyOlderThanKeep(t *testing.T) {
	dbtest.Dialects(t, func(t *testing.T, store *models.Store) {
		ctx := context.Background()
		now := time.Date(2026, 11, 29, 3, 0, 0, 0, time.UTC)
		keep := 400 * 24 * time.Hour
		unit := func(id int64, status string) models.RentEngineUnit {
			raw := fmt.Sprintf(`{"id":%d,"status":%q}`, id, status)
			return models.RentEngineUnit{ID: id, System: models.System{Raw: models.JSON(raw), ContentHash: models.HashRaw([]byte(raw))}}
		}
		write := func(tenant string, at time.Time, status string, ids ...int64) {
			t.Helper()
			var rows []models.RentEngineUnit
			for _, id := range ids {
				rows = append(rows, unit(id, status))
			}
			if _, err := models.UpsertPage[int64](ctx, store, tenant, models.Origin{RunID: "r"}, rows, at); err != nil {
				t.Fatal(err)
			}
		}
		old := now.Add(-keep - time.Second)
		write("acme", old.Add(-24*time.Hour), "New", 1, 2, 3, 4, 5) // 5 old inserts
		write("globex", old, "New", 1, 2)                           // 2 old inserts, another tenant
		write("acme", now.Add(-keep+time.Second), "Leased", 1, 2)   // 2 updates just inside keep
		write("globex", now.Add(-time.Hour), "Leased", 1)           // 1 recent update
		if _, err := models.Tombstone[int64, models.RentEngineUnit](ctx, store, "acme", models.Origin{RunID: "r"}, []int64{5}, now); err != nil {
			t.Fatal(err)
		}

		j := retention.New(retention.Config{Store: store, Keep: keep, Batch: 3, Pause: time.Millisecond,
			Now: func() time.Time { return now }}, zaptest.NewLogger(t))
		run := j.RunOnce(ctx)
		if run.Err != nil || run.Rows != 7 || run.Batches != 3 {
			t.Fatalf("run: %+v, want 7 rows in 3 batches of at most 3", run)
		}
		var left []models.RecordChange
		if err := dbtest.DB(store).Order("tenant_id, changed_at, record_id").Find(&left).Error; err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, c := range left {
			if c.ChangedAt.Before(now.Add(-keep)) {
				t.Errorf("kept a change older than keep: %+v", c)
			}
			got = append(got, fmt.Sprintf("%s %s %s", c.TenantID, c.Operation, c.RecordID))
		}
		if want := "[acme update 1 acme update 2 acme delete 5 globex update 1]"; fmt.Sprint(got) != want {
			t.Errorf("left %v, want %s", got, want)
		}
		if run := j.RunOnce(ctx); run.Rows != 0 || run.Err != nil {
			t.Errorf("second run: %+v, want nothing to delete", run)
		}
	})
}
