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

// Entries with the same schedule share one cron entry; a reload moves an entry between groups,
// and a group's cron entry goes with its last member.
func TestGroupsFollowReloads(t *testing.T) {
	s := New(Config{}, nil, nil)
	defer s.Stop()
	cfg := func(specs ...string) *tenants.Config {
		c := &tenants.Config{}
		for i, spec := range specs {
			c.Tenants = append(c.Tenants, tenants.Tenant{ID: string(rune('a' + i)), Location: time.UTC,
				RentEngine: &tenants.RentEngine{BaseURL: "http://x"}, Schedules: tenants.Schedules{RentEngine: spec}})
		}
		return c
	}
	check := func(when string, groups int) {
		t.Helper()
		if len(s.groups) != groups || len(s.cron.Entries()) != groups {
			t.Errorf("%s: %d groups and %d cron entries, want %d", when, len(s.groups), len(s.cron.Entries()), groups)
		}
	}
	if err := s.Apply(cfg("@every 1m", "@every 1m", "@every 1m")); err != nil {
		t.Fatal(err)
	}
	check("three tenants on one schedule", 1)
	if err := s.Apply(cfg("@every 1m", "@every 5m", "@every 1m")); err != nil {
		t.Fatal(err)
	}
	check("one moved to another schedule", 2)
	if got := len(s.groups[groupKey("@every 5m", "UTC")].members); got != 1 {
		t.Errorf("the @every 5m group has %d members, want 1", got)
	}
	if err := s.Apply(cfg("@every 5m")); err != nil {
		t.Fatal(err)
	}
	check("the others removed", 1)
	if err := s.Apply(&tenants.Config{}); err != nil {
		t.Fatal(err)
	}
	check("all removed", 0)
}
