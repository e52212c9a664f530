package tenants

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/robfig/cron/v3"
)

// cronParser accepts standard 5-field expressions and descriptors (@every 15m, @hourly, ...).
// Seconds are deliberately not accepted: no upstream tolerates sub-minute polling per tenant.
var cronParser = cron.NewParser(cron.Minute | cron.Hour | cron.Dom | cron.Month | cron.Dow | cron.Descriptor)

const scheduleHint = `write 5 fields (minute hour day-of-month month day-of-week) or a descriptor such as "@every 15m" or "@hourly"`

// ParseSchedule parses a job schedule and evaluates it in loc (UTC when nil). It is the only place
// cron expressions are parsed, so `syncd validate` and the scheduler cannot disagree.
//
// The timezone comes from the tenant's timezone setting only: a CRON_TZ= or TZ= prefix is
// rejected, so one tenant cannot have two sources of truth. "@every" intervals must be whole
// seconds of at least 1s; robfig/cron would otherwise silently round them.
func ParseSchedule(spec string, loc *time.Location) (sched cron.Schedule, err error) {
	spec = strings.TrimSpace(spec)
	if spec == "" {
		return nil, errors.New("empty schedule; " + scheduleHint)
	}
	if strings.HasPrefix(spec, "CRON_TZ=") || strings.HasPrefix(spec, "TZ=") {
		return nil, fmt.Errorf("schedule %q carries its own time zone; remove the prefix and set the tenant's timezone instead", spec)
	}
	if rest, ok := strings.CutPrefix(spec, "@every"); ok {
		d, perr := time.ParseDuration(strings.TrimSpace(rest))
		switch {
		case perr != nil:
			return nil, fmt.Errorf("schedule %q: the interval must be a duration such as 15m or 1h30m", spec)
		case d < time.Second:
			return nil, fmt.Errorf("schedule %q: the interval must be at least 1s", spec)
		case d%time.Second != 0:
			return nil, fmt.Errorf("schedule %q: the interval must be a whole number of seconds", spec)
		}
	}
	if n := len(strings.Fields(spec)); !strings.HasPrefix(spec, "@") && n != 5 {
		return nil, fmt.Errorf("schedule %q has %d fields; %s", spec, n, scheduleHint)
	}
	if loc == nil {
		loc = time.UTC
	}

	// robfig/cron v3.0.1 panics on some malformed input (for example "CRON_TZ=Zone" with no
	// fields). The prefix check above avoids the known case; this catches the unknown ones.
	defer func() {
		if r := recover(); r != nil {
			sched, err = nil, fmt.Errorf("schedule %q: cannot be parsed (%v); %s", spec, r, scheduleHint)
		}
	}()
	s, err := cronParser.Parse(spec)
	if err != nil {
		return nil, fmt.Errorf("schedule %q: %v", spec, err)
	}
	// The parser assigns time.Local, which depends on the host; pin the tenant's zone instead.
	if ss, ok := s.(*cron.SpecSchedule); ok {
		ss.Location = loc
	}
	return s, nil
}
