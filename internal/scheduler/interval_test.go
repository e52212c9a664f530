package scheduler_test

import (
	"testing"
	"time"

	"github.com/syncd-dev/syncd/internal/scheduler"
	"github.com/syncd-dev/syncd/internal/tenants"
)

// Interval is an @every schedule's interval and a cron expression's longest gap between ticks,
// in the schedule's own time zone.
func TestInterval(t *testing.T) {
	chicago, err := time.LoadLocation("America/Chicago")
	if err != nil {
		t.Fatal(err)
	}
	from := time.Date(2026, 11, 29, 12, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		spec string
		loc  *time.Location
		want time.Duration
		ok   bool
	}{
		{"@every 15m", nil, 15 * time.Minute, true},
		{"@hourly", nil, time.Hour, true},
		{"*/10 * * * *", nil, 10 * time.Minute, true},
		// Business hours: the longest gap is the night, from 20:50 to 07:00.
		{"*/10 7-20 * * *", chicago, 10*time.Hour + 10*time.Minute, true},
		// Weekdays only: Friday 18:00 to Monday 08:00.
		{"0 8,18 * * 1-5", nil, 62 * time.Hour, true},
		// Local 02:30 does not exist on the spring-forward day, so that day has no run (47h: the clock also moved).
		{"30 2 * * *", chicago, 47 * time.Hour, true},
		{"0 0 1 * *", nil, 31 * 24 * time.Hour, true},
		{"0 0 30 2 *", nil, 0, false},
	} {
		s, err := tenants.ParseSchedule(tc.spec, tc.loc)
		if err != nil {
			t.Fatalf("%s: %v", tc.spec, err)
		}
		got, ok := scheduler.Interval(s, from)
		if got != tc.want || ok != tc.ok {
			t.Errorf("Interval(%q) = %v, %v; want %v, %v", tc.spec, got, ok, tc.want, tc.ok)
		}
	}
}

// Intervals reports the scheduled jobs of enabled tenants only, and follows a reload.
func TestIntervalsFollowApply(t *testing.T) {
	s := scheduler.New(scheduler.Config{}, nil, nil)
	t.Cleanup(func() { _ = s.Stop() })
	off := false
	cfg := &tenants.Config{Tenants: []tenants.Tenant{
		{ID: "acme", Schedules: tenants.Schedules{RentEngine: "@every 15m", Funnel: "0 */2 * * *"}},
		{ID: "idle", Enabled: &off, Schedules: tenants.Schedules{RentEngine: "@every 15m"}},
	}}
	if err := s.Apply(cfg); err != nil {
		t.Fatal(err)
	}
	got := s.Intervals()
	want := map[[2]string]time.Duration{{"acme", "rentengine"}: 15 * time.Minute, {"acme", "funnel"}: 2 * time.Hour}
	if len(got) != len(want) || got[[2]string{"acme", "rentengine"}] != want[[2]string{"acme", "rentengine"}] ||
		got[[2]string{"acme", "funnel"}] != want[[2]string{"acme", "funnel"}] {
		t.Fatalf("Intervals() = %v, want %v", got, want)
	}
	cfg = &tenants.Config{Tenants: []tenants.Tenant{{ID: "acme", Schedules: tenants.Schedules{RentEngine: "@every 5m"}}}}
	if err := s.Apply(cfg); err != nil {
		t.Fatal(err)
	}
	if got := s.Intervals(); len(got) != 1 || got[[2]string{"acme", "rentengine"}] != 5*time.Minute {
		t.Fatalf("after reload Intervals() = %v, want acme/rentengine 5m only", got)
	}
}

func BenchmarkIntervalEveryMinute(b *testing.B) {
	s, err := tenants.ParseSchedule("* * * * *", nil)
	if err != nil {
		b.Fatal(err)
	}
	from := time.Date(2026, 11, 29, 12, 0, 0, 0, time.UTC)
	for b.Loop() {
		scheduler.Interval(s, from)
	}
}
