package tenants

import (
	"strings"
	"testing"
	"time"

	"github.com/robfig/cron/v3"
)

func TestParseSchedule(t *testing.T) {
	chicago, err := time.LoadLocation("America/Chicago")
	if err != nil {
		t.Fatal(err)
	}
	winter := time.Date(2026, 1, 15, 0, 0, 0, 0, time.UTC)
	summer := time.Date(2026, 7, 15, 0, 0, 0, 0, time.UTC)

	valid := []struct {
		name     string
		spec     string
		loc      *time.Location
		from     time.Time
		wantNext time.Time
	}{
		{"5 fields", "*/15 * * * *", nil, time.Date(2026, 1, 15, 10, 7, 30, 0, time.UTC), time.Date(2026, 1, 15, 10, 15, 0, 0, time.UTC)},
		{"every", "@every 15m", chicago, winter, winter.Add(15 * time.Minute)},
		{"every whole seconds", "@every 1s", nil, winter, winter.Add(time.Second)},
		{"hourly", "@hourly", nil, winter.Add(5 * time.Minute), winter.Add(time.Hour)},
		{"surrounding space", "  0 6 * * *  ", nil, winter, winter.Add(6 * time.Hour)},
		// 06:00 in Chicago is 12:00 UTC in winter (CST) and 11:00 UTC in summer (CDT).
		{"chicago winter", "0 6 * * *", chicago, winter, time.Date(2026, 1, 15, 12, 0, 0, 0, time.UTC)},
		{"chicago summer", "0 6 * * *", chicago, summer, time.Date(2026, 7, 15, 11, 0, 0, 0, time.UTC)},
		{"descriptor in zone", "@daily", chicago, winter, time.Date(2026, 1, 15, 6, 0, 0, 0, time.UTC)},
	}
	for _, tt := range valid {
		t.Run(tt.name, func(t *testing.T) {
			s, err := ParseSchedule(tt.spec, tt.loc)
			if err != nil {
				t.Fatal(err)
			}
			if got := s.Next(tt.from); !got.Equal(tt.wantNext) {
				t.Errorf("Next(%v) = %v, want %v", tt.from, got.UTC(), tt.wantNext)
			}
		})
	}

	t.Run("nil location is UTC, not Local", func(t *testing.T) {
		s, err := ParseSchedule("0 6 * * *", nil)
		if err != nil {
			t.Fatal(err)
		}
		if loc := s.(*cron.SpecSchedule).Location; loc != time.UTC {
			t.Errorf("location = %v, want UTC", loc)
		}
	})

	invalid := []struct {
		name, spec, msg string
	}{
		{"empty", "", "empty schedule"},
		{"garbage", "every fifteen minutes", "has 3 fields"},
		{"too many fields", "0 */15 * * * *", "has 6 fields"},
		{"too few fields", "*/15 * * *", "has 4 fields"},
		{"out of range", "61 * * * *", "above maximum"},
		{"bad field", "x * * * *", `schedule "x * * * *"`},
		{"unknown descriptor", "@fortnightly", "unrecognized descriptor"},
		{"CRON_TZ without fields (robfig panics)", "CRON_TZ=Zone", "set the tenant's timezone"},
		{"CRON_TZ prefix", "CRON_TZ=America/Chicago 0 6 * * *", "set the tenant's timezone"},
		{"TZ prefix", "TZ=UTC 0 6 * * *", "set the tenant's timezone"},
		{"every below 1s", "@every 500ms", "at least 1s"},
		{"every zero", "@every 0s", "at least 1s"},
		{"every negative", "@every -5m", "at least 1s"},
		{"every fraction", "@every 1.5s", "whole number of seconds"},
		{"every no unit", "@every 15", "must be a duration"},
	}
	for _, tt := range invalid {
		t.Run(tt.name, func(t *testing.T) {
			s, err := ParseSchedule(tt.spec, time.UTC)
			if err == nil {
				t.Fatalf("ParseSchedule(%q) = %v, want an error", tt.spec, s)
			}
			if !strings.Contains(err.Error(), tt.msg) {
				t.Errorf("error %q does not contain %q", err, tt.msg)
			}
		})
	}
}
