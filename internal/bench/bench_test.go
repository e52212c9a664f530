package bench_test

import (
	"context"
	"flag"
	"math"
	"testing"
	"time"

	"go.uber.org/zap"
	"go.uber.org/zap/zaptest"

	"github.com/syncd-dev/syncd/internal/bench"
	"github.com/syncd-dev/syncd/internal/models"
	"github.com/syncd-dev/syncd/internal/testing/dbtest"
)

// TestBenchSmoke runs every scenario of the benchmark harness at tiny sizes so that `make bench`
// keeps working. It asserts only that each scenario completes with sane figures and the exact
// counts the benchmarks promise; it has no timing thresholds (figures come only from the full
// harness).
func TestBenchSmoke(t *testing.T) {
	if testing.Short() {
		t.Skip("builds binaries and runs every scenario; skipped with -short")
	}
	// The pipeline scenario's testing.Benchmark calls take this process's -test.benchtime.
	if err := flag.Set("test.benchtime", "20x"); err != nil {
		t.Fatal(err)
	}
	cfg := bench.Smoke()
	cfg.NewDatabase = func(context.Context) (string, func(), error) {
		return dbtest.PostgresDSN(t), nil, nil // dropped when the test ends
	}
	cfg.Log = zaptest.NewLogger(t, zaptest.Level(zap.ErrorLevel))
	cfg.Progress = testWriter{t}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()

	r, err := bench.Run(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	sane := func(name string, v float64) {
		t.Helper()
		if math.IsNaN(v) || math.IsInf(v, 0) || v <= 0 {
			t.Errorf("%s = %v, want a positive number", name, v)
		}
	}

	// 1-2. Ingest and write amplification.
	in := r.Ingest.Median()
	sane("ingest rows/s", in.SyncRate)
	sane("reference rows/s", in.FloorRate)
	sane("ingest ratio", in.Ratio)
	sane("re-sync / first sync", in.ResyncRatio)
	if in.FirstWrites != in.Rows {
		t.Errorf("first sync wrote %d rows (pg_stat_user_tables), want %d", in.FirstWrites, in.Rows)
	}
	if in.ResyncWrites != 0 {
		t.Errorf("an unchanged re-sync wrote %d rows, want 0", in.ResyncWrites)
	}
	if in.ResyncUnchanged != in.Rows {
		t.Errorf("re-sync counted %d unchanged, want %d", in.ResyncUnchanged, in.Rows)
	}
	// Change history: one row per changed record (every record of the first sync, every
	// upstream change after it), none per unchanged record.
	for i, rep := range r.Ingest.Reps {
		if rep.FirstHistory != rep.Rows {
			t.Errorf("rep %d: the first sync appended %d history rows, want one per row (%d)", i+1, rep.FirstHistory, rep.Rows)
		}
		if rep.ResyncHistory != 0 {
			t.Errorf("rep %d: the unchanged re-sync appended %d history rows, want 0", i+1, rep.ResyncHistory)
		}
		if rep.Changed == 0 || rep.ChangedCounted != rep.Changed || rep.ChangedHistory != rep.Changed {
			t.Errorf("rep %d: %d records changed upstream, the runs counted %d, %d history rows appended; want all equal",
				i+1, rep.Changed, rep.ChangedCounted, rep.ChangedHistory)
		}
	}

	// 3. Memory.
	for _, run := range append(r.Memory.Small, r.Memory.Large...) {
		sane("peak RSS", float64(run.PeakRSS))
	}
	sane("memory ratio", r.Memory.Ratio())

	// 4. Rate limit.
	for _, run := range r.RateLimit.Runs {
		sane("achieved rate", run.Achieved)
		if run.Limited != 0 {
			t.Errorf("limit %d/%s: %d requests answered 429, want 0", run.Case.Requests, run.Case.Per, run.Limited)
		}
	}

	// 4a-4c. Rate budgets per credential. The smoke sizes are too short for the rate targets;
	// what must hold at any size: no 429 on a shared key or across replicas, never more than R
	// in any period (plus one request of burst per process), every tenant served, and a real
	// limit below the configured one lowering the effective rate.
	if sk := r.SharedKey; sk.Limited != 0 || sk.MaxWindow > sk.Config.Requests+1 || sk.MinTenantRequests == 0 {
		t.Errorf("shared key: %d × 429, at most %d requests in a period (R %d), fewest per tenant %d; want 0, ≤ R+1, > 0",
			sk.Limited, sk.MaxWindow, sk.Config.Requests, sk.MinTenantRequests)
	} else {
		sane("shared-key ratio", sk.Ratio)
		sane("mean first wait", float64(sk.MeanFirstWait))
	}
	if rp := r.Replicas; rp.Limited != 0 || rp.MaxWindow > rp.Config.Requests+rp.Config.Replicas+1 || rp.OneOffRequests == 0 {
		t.Errorf("replicas: %d × 429, at most %d requests in a period (R %d), the one-off made %d; want 0, ≤ R + a burst per process, > 0",
			rp.Limited, rp.MaxWindow, rp.Config.Requests, rp.OneOffRequests)
	} else {
		sane("replicas ratio", rp.Ratio)
	}
	if ad := r.Adaptive; ad.Limited == 0 || ad.Settled >= float64(ad.Config.Requests) || ad.SettledMin < 0.1*float64(ad.Config.Requests) {
		t.Errorf("adaptive: %d × 429, effective %.2f/s (min %.2f) of %d/s configured; want 429s to lower it, not below the floor",
			ad.Limited, ad.Settled, ad.SettledMin, ad.Config.Requests)
	}

	// 5. Scale.
	s := r.Scale
	if want := int64(s.Config.Tenants * s.Config.Ticks); s.Runs < want || s.Samples < int(want) {
		t.Errorf("scale: %d runs and %d delay samples, want %d", s.Runs, s.Samples, want)
	}
	if math.IsNaN(s.IdleCPU) || s.IdleCPU < 0 || s.IdleWall <= 0 {
		t.Errorf("scale: idle CPU %v over %s", s.IdleCPU, s.IdleWall)
	}
	if s.P99 < 0 || s.P99 < s.P50 {
		t.Errorf("scale: p50 %s p99 %s", s.P50, s.P99)
	}

	// 6. Push economy.
	first, unchanged, changed := r.Push.Cycle(bench.PushFirst), r.Push.Cycle(bench.PushUnchanged), r.Push.Cycle(bench.PushChanged)
	if first.Requests == 0 || first.PerChange != 1 {
		t.Errorf("first push: %d requests, %v per change, want 1", first.Requests, first.PerChange)
	}
	if unchanged.Requests != 0 || len(unchanged.Planned) != 0 {
		t.Errorf("unchanged mirror: %d requests, plan %v, want none", unchanged.Requests, unchanged.Planned)
	}
	for _, kind := range []string{models.PushCustomerScore, models.PushAssignment, models.PushRenewalStatus} {
		if changed.Made[kind] == 0 {
			t.Errorf("no %s value was changed upstream", kind)
		}
		if changed.Planned[kind] != changed.Made[kind] || changed.RequestsByKind[kind] != changed.Made[kind] {
			t.Errorf("%s: %d changed upstream, %d planned, %d requests; want all equal",
				kind, changed.Made[kind], changed.Planned[kind], changed.RequestsByKind[kind])
		}
	}
	if changed.PerChange != 1 {
		t.Errorf("requests per changed value = %v, want 1", changed.PerChange)
	}
	// Customer scores: the seeded data is deterministic, so the figure's targets are checked here.
	if d := r.Push.Data; d.OtherEmail == 0 || d.NoEmail == 0 || d.Households == 0 || d.SecondCards == 0 {
		t.Errorf("push data lacks a kind of person: %+v", d)
	}
	if sk := r.Push.Skips; sk["unlinked"] == 0 || sk["ambiguous"] == 0 {
		t.Errorf("no unlinked or no ambiguous person in the data (skips %v)", sk)
	}
	if first.ScoreRequests == 0 || changed.ScoreRequests != changed.Made[models.PushCustomerScore] {
		t.Errorf("score requests: %d first, %d after %d changes", first.ScoreRequests, changed.ScoreRequests, changed.Made[models.PushCustomerScore])
	}
	if got := r.Push.UsefulRatio(); got < bench.TargetUsefulScores {
		t.Errorf("useful score requests ÷ score requests = %.3f, want ≥ %.2f", got, bench.TargetUsefulScores)
	}
	if n := r.Push.Ambiguous(); n != 0 {
		t.Errorf("%d scores landed on a client picked among several, want 0", n)
	}

	// Pipeline benchmarks.
	for res, v := range r.Pipeline.Decode {
		sane("decode "+string(res)+" ns/record", v)
	}
	for m, v := range r.Pipeline.Upsert {
		sane("upsert "+string(m)+" ns/row", v)
	}
	if len(r.Pipeline.Decode) != 3 || len(r.Pipeline.Upsert) != 3 {
		t.Errorf("pipeline figures: %+v", r.Pipeline)
	}

	// The report renders.
	if md := r.Markdown(); len(md) < 500 {
		t.Errorf("report is %d bytes", len(md))
	}
}

type testWriter struct{ t *testing.T }

func (w testWriter) Write(p []byte) (int, error) {
	w.t.Log(string(p))
	return len(p), nil
}
