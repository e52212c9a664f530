package statuspage

import (
	"strings"
	"time"

	"github.com/syncd-dev/syncd/internal/statusview"
)

// errorRunes bounds an error shown in the runs table, briefRunes one in the jobs table.
const (
	errorRunes = 300
	briefRunes = 160
)

var funcs = map[string]any{
	"iso":   func(t any) string { return asTime(t).UTC().Format(time.RFC3339) },
	"stamp": func(t any) string { return asTime(t).UTC().Format("2006-01-02 15:04:05 UTC") },
	"ago":   func(now time.Time, t any) string { return statusview.Ago(roundAge(now.Sub(asTime(t)))) },
	"until": func(now time.Time, t any) string {
		return "in " + statusview.Duration(max(0, asTime(t).Sub(now)).Round(time.Second))
	},
	"took": func(r statusview.Run) string {
		if r.DurationSecs == nil {
			return "-"
		}
		return statusview.Duration(time.Duration(*r.DurationSecs * float64(time.Second)))
	},
	"changed": func(r statusview.Run) int64 { return r.Inserted + r.Updated },
	"short":   func(s string) string { return statusview.OneLine(s, errorRunes) },
	"brief":   func(s string) string { return statusview.OneLine(s, briefRunes) },
	"rate":    statusview.RateText,
	"deref":   func(f *float64) float64 { return *f },
	"schedule": func(j statusview.Job) string {
		switch j.State {
		case statusview.StateManual:
			return "manual"
		case statusview.StateDisabled:
			return "disabled"
		case statusview.StateNotInConfig:
			return "not in config"
		}
		return j.Schedule
	},
	"multiline": func(s string) bool { return strings.Contains(s, "\n") },
}

// asTime accepts the time values the views hold.
func asTime(t any) time.Time {
	switch v := t.(type) {
	case time.Time:
		return v
	case *time.Time:
		if v != nil {
			return *v
		}
	}
	return time.Time{}
}

// roundAge drops the tenths of a second that the CLI shows for short ages: the page is read
// up to 30 s after it was rendered.
func roundAge(d time.Duration) time.Duration {
	if d >= time.Second {
		return d.Round(time.Second)
	}
	return d
}
