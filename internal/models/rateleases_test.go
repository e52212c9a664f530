package models_test

import (
	"context"
	"testing"
	"time"

	"github.com/syncd-dev/syncd/internal/models"
	"github.com/syncd-dev/syncd/internal/testing/dbtest"
)

// Leases of one bucket are counted across holders; on Postgres a holder that joins a bucket
// others hold waits the join delay, one that renews keeps its ready time, and a released or
// expired lease stops counting. SQLite has one process: every grant is the whole budget.
func TestRateLeases(t *testing.T) {
	dbtest.Dialects(t, func(t *testing.T, s *models.Store) {
		ctx := context.Background()
		pg := s.Dialect() == models.Postgres
		lease := func(bucket string, eff float64) models.RateLease {
			return models.RateLease{Bucket: bucket, API: "funnel", Credential: "partner", ConfiguredRate: 10, Factor: 1, EffectiveRate: eff}
		}
		renew := func(holder string, ttl time.Duration, ls ...models.RateLease) map[string]models.RateLeaseGrant {
			t.Helper()
			g, err := s.RenewRateLeases(ctx, holder, ls, ttl, 3*time.Second)
			if err != nil {
				t.Fatal(err)
			}
			return g
		}
		if g := renew("a", time.Minute, lease("k", 10))["k"]; g.Lessees != 1 || g.ReadyIn != 0 {
			t.Fatalf("first lessee: %+v, want alone and ready", g)
		}
		g := renew("b", time.Minute, lease("k", 0), lease("other", 10))
		wantJoin := 1
		if pg {
			wantJoin = 2
			if g["k"].ReadyIn < 2*time.Second || g["k"].ReadyIn > 3*time.Second {
				t.Errorf("joining holder ready in %s, want about the join delay", g["k"].ReadyIn)
			}
		}
		if g["k"].Lessees != wantJoin || g["other"].Lessees != 1 || g["other"].ReadyIn != 0 {
			t.Errorf("grants %+v, want %d lessees of k and b alone on other", g, wantJoin)
		}
		if g := renew("b", time.Minute, lease("k", 5))["k"]; pg && g.ReadyIn == 0 {
			t.Error("a renewal moved the joining holder's ready time")
		}
		rates, err := s.CredentialRates(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if len(rates) != 2 || rates[0].Bucket != "k" || rates[0].Effective != 15 || rates[0].Lessees != 2 || rates[0].Configured != 10 {
			t.Errorf("credential rates %+v, want k with 2 lessees and effective 15", rates)
		}
		if err := s.ReleaseRateLeases(ctx, "b", []string{"other"}); err != nil {
			t.Fatal(err)
		}
		renew("c", time.Millisecond, lease("k", 1)) // expires at once
		time.Sleep(5 * time.Millisecond)
		if err := s.ReleaseRateLeases(ctx, "a", nil); err != nil {
			t.Fatal(err)
		}
		rates, err = s.CredentialRates(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if len(rates) != 1 || rates[0].Lessees != 1 || rates[0].Effective != 5 {
			t.Errorf("after a release and an expiry: %+v, want b's lease of k alone", rates)
		}
	})
}
