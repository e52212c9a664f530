package scheduler

import (
	"time"

	"github.com/robfig/cron/v3"
)

// Bounds of Interval's walk over a cron schedule's ticks.
const (
	intervalHorizon  = 366 * 24 * time.Hour
	intervalMaxTicks = 2000
)

// Interval is the longest time between two consecutive ticks of s after from: an @every
// schedule's interval, and for a cron expression the longest gap among its ticks over the
// following year, or over its next 2000 ticks if that comes first (a day and a half of a
// schedule firing every minute, three weeks of one firing every 10 minutes in business hours).
// The longest gap, not the usual one: a schedule that runs during business hours only is not
// late overnight, and an alert on "no success for k intervals" must not say it is. ok is false
// for a schedule that never fires.
func Interval(s cron.Schedule, from time.Time) (d time.Duration, ok bool) {
	switch c := aligned(s).(type) {
	case alignedEvery:
		return time.Duration(c), true
	}
	prev := s.Next(from)
	if prev.IsZero() {
		return 0, false
	}
	end := prev.Add(intervalHorizon)
	for range intervalMaxTicks {
		next := s.Next(prev)
		if next.IsZero() || next.After(end) {
			// A schedule with one tick a year (or fewer) has its next year as its gap.
			if d == 0 {
				d = intervalHorizon
			}
			break
		}
		d = max(d, next.Sub(prev))
		prev = next
	}
	return d, true
}
