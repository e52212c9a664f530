package bench_test

import (
	"os"
	"testing"

	"github.com/syncd-dev/syncd/internal/bench"
	"github.com/syncd-dev/syncd/internal/testing/dbtest"
)

// BenchmarkDecodePage: see bench.DecodePage.
func BenchmarkDecodePage(b *testing.B) {
	for _, res := range bench.Resources {
		b.Run(string(res), func(b *testing.B) { bench.DecodePage(b, res) })
	}
}

// BenchmarkUpsertPage: see bench.UpsertPage. BENCH_PLAN_CACHE_MODE=auto compares with Postgres'
// own choice between generic and custom plans (the store forces custom plans).
func BenchmarkUpsertPage(b *testing.B) {
	dsn := dbtest.PostgresDSN(b)
	if m := os.Getenv("BENCH_PLAN_CACHE_MODE"); m != "" {
		dsn += "&plan_cache_mode=" + m
	}
	store := dbtest.Open(b, dsn)
	for _, m := range []bench.UpsertMode{bench.UpsertInsert, bench.UpsertNew, bench.UpsertUnchanged} {
		b.Run(string(m), func(b *testing.B) { bench.UpsertPage(b, store, m) })
	}
}
