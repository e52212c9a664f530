package tenants

import (
	"testing"
	"time"
)

func TestMoneyAndDate(t *testing.T) {
	f := func(v float64) *float64 { return &v }
	for in, want := range map[*float64]string{f(1925): "$1,925", f(1925.5): "$1,925.50", f(999.999): "$1,000",
		f(1234567.01): "$1,234,567.01", f(0): "$0", nil: ""} {
		if got := money(in); got != want {
			t.Errorf("money(%v) = %q, want %q", in, got, want)
		}
	}
	at := time.Date(2026, 12, 31, 0, 0, 0, 0, time.UTC)
	for in, want := range map[any]string{&at: "December 31, 2026", "2026-05-31": "May 31, 2026", "": "", (*time.Time)(nil): ""} {
		if got := date(in); got != want {
			t.Errorf("date(%v) = %q, want %q", in, got, want)
		}
	}
}
