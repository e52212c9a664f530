package rentenginefake

import (
	"encoding/json"
	"errors"
	"net"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/syncd-dev/syncd/internal/testing/fakeapi"
)

// TestEachFaultKindReachesAPlainClient scripts each fault once on a real page request and
// checks what a plain http.Client sees.
func TestEachFaultKindReachesAPlainClient(t *testing.T) {
	tests := []struct {
		kind  fakeapi.FaultKind
		check func(t *testing.T, r response)
	}{
		{fakeapi.FaultRateLimit, func(t *testing.T, r response) {
			if r.status != 429 || r.header.Get("Retry-After") != "1" {
				t.Errorf("%d Retry-After %q", r.status, r.header.Get("Retry-After"))
			}
		}},
		{fakeapi.FaultRateLimitNoHeader, func(t *testing.T, r response) {
			if r.status != 429 || r.header.Get("Retry-After") != "" {
				t.Errorf("%d Retry-After %q", r.status, r.header.Get("Retry-After"))
			}
		}},
		{fakeapi.FaultRateLimitDate, func(t *testing.T, r response) {
			if _, err := http.ParseTime(r.header.Get("Retry-After")); r.status != 429 || err != nil {
				t.Errorf("%d Retry-After %q", r.status, r.header.Get("Retry-After"))
			}
		}},
		{fakeapi.FaultServerError, func(t *testing.T, r response) {
			if r.status < 500 || r.status > 504 {
				t.Errorf("status %d", r.status)
			}
		}},
		{fakeapi.FaultSlow, func(t *testing.T, r response) {
			var ne net.Error
			if !errors.As(r.err, &ne) || !ne.Timeout() {
				t.Errorf("err %v, want a client timeout", r.err)
			}
		}},
		{fakeapi.FaultReset, func(t *testing.T, r response) {
			if r.err == nil {
				t.Errorf("status %d, want a connection error", r.status)
			}
		}},
		{fakeapi.FaultTruncated, func(t *testing.T, r response) {
			if r.status != 200 || (r.err == nil && json.Valid(r.body)) {
				t.Errorf("status %d err %v valid JSON %v", r.status, r.err, json.Valid(r.body))
			}
		}},
		{fakeapi.FaultPageDrift, func(t *testing.T, r response) {
			if r.status != 200 || !json.Valid(r.body) {
				t.Errorf("status %d %.60s", r.status, r.body)
			}
		}},
	}
	for _, tt := range tests {
		t.Run(string(tt.kind), func(t *testing.T) {
			b := setup(t, func(o *Options) { o.Faults = &fakeapi.FaultPlan{SlowDelay: time.Minute} })
			Seed(b.s, SeedOptions{Seed: 1, Units: 30})
			b.client.Timeout = 200 * time.Millisecond
			before := b.s.IDs(Units)
			b.s.Faults().Script(nil, tt.kind, 1)
			tt.check(t, b.get(t, "/units?limit=10&page_number=1"))
			if n := b.s.Faults().Injected()[tt.kind]; n != 1 {
				t.Errorf("Injected()[%s] = %d, want 1", tt.kind, n)
			}
			if changed := !slices.Equal(before, b.s.IDs(Units)); changed != (tt.kind == fakeapi.FaultPageDrift) {
				t.Errorf("ids changed = %v", changed)
			}
			if r := b.get(t, "/units?limit=10&page_number=1"); r.status != 200 {
				t.Errorf("next request: %d %v", r.status, r.err)
			}
		})
	}
}

func TestDriftKinds(t *testing.T) {
	// Over many seeded drifts on page 2 (offset 20) all three mutations must occur, and each must
	// touch the ids as documented.
	var deletes, gapInserts, appends int
	for seed := range int64(40) {
		b := setup(t, func(o *Options) { o.Faults = &fakeapi.FaultPlan{Seed: seed} })
		Seed(b.s, SeedOptions{Seed: 2, Units: 50})
		before := b.s.IDs(Units)
		b.s.Faults().Script(nil, fakeapi.FaultPageDrift, 1)
		list(t, b.get(t, "/units?limit=10&page_number=2"))
		after := b.s.IDs(Units)
		switch {
		case len(after) == len(before)-1:
			gone := slices.IndexFunc(before, func(id int64) bool { return !slices.Contains(after, id) })
			if gone >= 20 {
				t.Errorf("seed %d deleted index %d, not before offset 20", seed, gone)
			}
			deletes++
		case len(after) == len(before)+1 && after[len(after)-1] != before[len(before)-1]:
			appends++
		case len(after) == len(before)+1:
			added := slices.IndexFunc(after, func(id int64) bool { return !slices.Contains(before, id) })
			if added >= 20 {
				t.Errorf("seed %d inserted at index %d, not before offset 20", seed, added)
			}
			gapInserts++
		default:
			t.Errorf("seed %d: %d ids before, %d after", seed, len(before), len(after))
		}
	}
	if deletes == 0 || gapInserts == 0 || appends == 0 {
		t.Errorf("deletes %d, gap inserts %d, appends %d; want each at least once", deletes, gapInserts, appends)
	}
}

func TestDriftIgnoresFirstPageAndWrites(t *testing.T) {
	b := setup(t)
	Seed(b.s, SeedOptions{Seed: 2, Units: 20})
	b.s.Faults().Script(nil, fakeapi.FaultPageDrift, 1)
	b.get(t, "/units?limit=10")               // page 0: nothing before it
	b.get(t, "/units?limit=10&page_number=0") // likewise
	if n := b.s.Faults().Injected()[fakeapi.FaultPageDrift]; n != 0 || b.s.Count(Units) != 20 {
		t.Fatalf("drift on page 0: injected %d, count %d", n, b.s.Count(Units))
	}
	b.get(t, "/units?limit=10&page_number=1") // the refunded script fires here
	if n := b.s.Faults().Injected()[fakeapi.FaultPageDrift]; n != 1 {
		t.Errorf("injected %d, want 1", n)
	}
}

func TestSeededFaultPlanIsDeterministic(t *testing.T) {
	plan := fakeapi.FaultPlan{Seed: 7, Probability: map[fakeapi.FaultKind]float64{
		fakeapi.FaultRateLimit: 0.1, fakeapi.FaultRateLimitNoHeader: 0.05, fakeapi.FaultRateLimitDate: 0.05,
		fakeapi.FaultServerError: 0.1, fakeapi.FaultReset: 0.05, fakeapi.FaultTruncated: 0.1,
		fakeapi.FaultPageDrift: 0.15,
	}}
	run := func() (string, []int64) {
		b := setup(t, func(o *Options) { o.Faults = &plan })
		Seed(b.s, SeedOptions{Seed: 3, Units: 120})
		var out []string
		for i := range 80 {
			r := b.get(t, "/units?limit=10&page_number="+strconv.Itoa(i%12))
			s := strconv.Itoa(r.status) + ":" + strconv.Itoa(len(r.body))
			if r.err != nil {
				s = "err"
			}
			out = append(out, s)
		}
		if n := len(b.s.Faults().Injected()); n < 5 {
			t.Errorf("only %d fault kinds injected: %v", n, b.s.Faults().Injected())
		}
		return strings.Join(out, " "), b.s.IDs(Units)
	}
	a, aIDs := run()
	b, bIDs := run()
	if a != b {
		t.Errorf("same seed, different answers:\n%s\n%s", a, b)
	}
	if !slices.Equal(aIDs, bIDs) {
		t.Errorf("same seed, different data after drift")
	}
}
