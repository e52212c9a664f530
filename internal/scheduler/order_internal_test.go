package scheduler

import (
	"testing"
	"time"

	"github.com/syncd-dev/syncd/internal/tenants"
)

// A push waits only for the pulls due on its own tick: dueAt tells them apart for aligned
// "@every" schedules and cron expressions alike.
func TestDueAt(t *testing.T) {
	at := func(s string) time.Time {
		v, err := time.Parse(time.RFC3339, s)
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	for _, tc := range []struct {
		spec string
		tick string
		want bool
	}{
		{"@every 1m", "2026-11-29T12:00:00Z", true},
		{"@every 1m", "2026-11-29T12:00:30Z", false},
		{"@every 5m", "2026-11-29T12:05:00Z", true},
		{"@every 5m", "2026-11-29T12:01:00Z", false},
		{"0 3 * * *", "2026-11-29T03:00:00Z", true},
		{"0 3 * * *", "2026-11-29T04:00:00Z", false},
		{"*/15 * * * *", "2026-11-29T12:45:00Z", true},
	} {
		sched, err := tenants.ParseSchedule(tc.spec, time.UTC)
		if err != nil {
			t.Fatal(err)
		}
		e := &entry{sched: &recordingSchedule{inner: aligned(sched)}}
		if got := e.dueAt(at(tc.tick)); got != tc.want {
			t.Errorf("%q due at %s: %v, want %v", tc.spec, tc.tick, got, tc.want)
		}
	}
}

// settle only moves forward: a late firing of an older tick does not unsettle a newer one.
func TestSettleMovesForward(t *testing.T) {
	e := &entry{}
	t1 := time.Date(2026, 11, 29, 12, 1, 0, 0, time.UTC)
	e.settle(t1)
	e.settle(t1.Add(-time.Minute))
	if got := e.settled.Load(); got != t1.Unix() {
		t.Errorf("settled %d, want %d", got, t1.Unix())
	}
}
