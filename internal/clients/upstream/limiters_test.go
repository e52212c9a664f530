package upstream_test

import (
	"testing"
	"time"

	"golang.org/x/time/rate"

	"github.com/syncd-dev/syncd/internal/clients/upstream"
)

func TestLimitersAreSharedAndAdjustedInPlace(t *testing.T) {
	l := upstream.NewLimiters()
	a := l.Get("acme", "rentengine", 20, 5*time.Second, 1)
	if a.Limit() != rate.Limit(4*(1-upstream.Headroom)) || a.Burst() != 1 {
		t.Fatalf("limit %v burst %d, want 4/s less the headroom, burst 1", a.Limit(), a.Burst())
	}
	if b := l.Get("acme", "rentengine", 20, 5*time.Second, 1); b != a {
		t.Fatal("the same tenant and API must share one limiter across jobs")
	}
	if other := l.Get("acme", "funnel", 5, time.Second, 1); other == a {
		t.Fatal("each upstream needs its own limiter")
	}
	// A reload changes the rate of the limiter jobs are already waiting on.
	if c := l.Get("acme", "rentengine", 10, time.Second, 3); c != a || a.Limit() != rate.Limit(10*(1-upstream.Headroom)) || a.Burst() != 3 {
		t.Fatalf("reload did not adjust in place: same=%v limit %v burst %d", c == a, a.Limit(), a.Burst())
	}
	if u := l.Get("open", "rentengine", 0, 0, 0); u.Limit() != rate.Inf {
		t.Errorf("no limit configured should mean unlimited, got %v", u.Limit())
	}
	l.Forget("acme")
	if d := l.Get("acme", "rentengine", 20, 5*time.Second, 1); d == a {
		t.Error("Forget must drop the tenant's limiters")
	}
}
