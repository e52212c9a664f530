package daemon_test

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"go.uber.org/zap/zaptest"

	"github.com/syncd-dev/syncd/internal/daemon"
	"github.com/syncd-dev/syncd/internal/models"
	"github.com/syncd-dev/syncd/internal/testing/dbtest"
)

func newLocker(t *testing.T, dsn string) *daemon.Locker {
	t.Helper()
	l, err := daemon.NewLocker(context.Background(), daemon.LockerConfig{DSN: dsn, CheckInterval: 50 * time.Millisecond}, zaptest.NewLogger(t))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	return l
}

// Two lockers are two replicas: one pool each, one Postgres.
func TestLockerExcludesOtherReplicas(t *testing.T) {
	t.Parallel()
	dsn := dbtest.PostgresDSN(t)
	a, b := newLocker(t, dsn), newLocker(t, dsn)
	ctx := context.Background()

	held, release, err := a.TryLock(ctx, "acme", "rentengine")
	if err != nil || held == nil {
		t.Fatalf("first lock: held %v, err %v", held, err)
	}
	if h, _, err := b.TryLock(ctx, "acme", "rentengine"); h != nil || err != nil {
		t.Fatalf("second replica took a held lock (err %v)", err)
	}
	hf, rf, err := b.TryLock(ctx, "acme", "funnel")
	if err != nil || hf == nil {
		t.Fatalf("another job's lock: held %v, err %v", hf, err)
	}
	rf()
	release()
	if held.Err() == nil {
		t.Error("held context still live after release")
	}
	hb, rb, err := b.TryLock(ctx, "acme", "rentengine")
	if err != nil || hb == nil {
		t.Fatalf("lock not free after release: err %v", err)
	}
	rb()
}

// Releasing works after the run's context ended (a cancelled run must not keep its lock).
func TestLockerReleaseAfterCancel(t *testing.T) {
	t.Parallel()
	dsn := dbtest.PostgresDSN(t)
	a, b := newLocker(t, dsn), newLocker(t, dsn)
	ctx, cancel := context.WithCancel(context.Background())
	held, release, err := a.TryLock(ctx, "acme", "rentengine")
	if err != nil || held == nil {
		t.Fatalf("lock: %v", err)
	}
	cancel()
	release()
	h, r, err := b.TryLock(context.Background(), "acme", "rentengine")
	if err != nil || h == nil {
		t.Fatalf("lock still held after a release under a cancelled context (err %v)", err)
	}
	r()
}

// When the session holding the lock dies, the lock is gone (another replica can take it) and
// the held context ends, so the run stops instead of overlapping with the next one.
func TestLockerLostSessionCancelsHolder(t *testing.T) {
	t.Parallel()
	dsn := dbtest.PostgresDSN(t)
	a, b := newLocker(t, dsn), newLocker(t, dsn)
	held, release, err := a.TryLock(context.Background(), "acme", "rentengine")
	if err != nil || held == nil {
		t.Fatalf("lock: %v", err)
	}
	defer release()
	key := daemon.LockKey("acme", "rentengine")
	// Advisory locks on a bigint key show its high and low halves as classid and objid.
	adminExec(t, fmt.Sprintf(`SELECT pg_terminate_backend(pid) FROM pg_locks WHERE locktype = 'advisory'
		AND classid = %d AND objid = %d`, uint32(uint64(key)>>32), uint32(uint64(key))))
	select {
	case <-held.Done():
	case <-time.After(5 * time.Second):
		t.Fatal("held context still live 5s after its session was terminated")
	}
	if cause := context.Cause(held); cause == nil || cause == context.Canceled {
		t.Errorf("cause %v, want the lost-lock error", cause)
	}
	h, r, err := b.TryLock(context.Background(), "acme", "rentengine")
	if err != nil || h == nil {
		t.Fatalf("lock of a dead session not free (err %v)", err)
	}
	r()
}

func TestClaimer(t *testing.T) {
	dbtest.Dialects(t, func(t *testing.T, store *models.Store) {
		replicas := []*daemon.Claimer{daemon.NewClaimer(store, "r1"), daemon.NewClaimer(store, "r2"), daemon.NewClaimer(store, "r3")}
		tick := time.Date(2025, 6, 1, 12, 15, 0, 0, time.UTC)
		ctx := context.Background()

		// Many replicas race for one tick: exactly one wins.
		var won atomic.Int32
		var wg sync.WaitGroup
		for i := range 12 {
			wg.Go(func() {
				ok, err := replicas[i%3].Claim(ctx, "acme", "rentengine", tick)
				if err != nil {
					t.Error(err)
				}
				if ok {
					won.Add(1)
				}
			})
		}
		wg.Wait()
		if won.Load() != 1 {
			t.Fatalf("%d claims of one tick succeeded, want 1", won.Load())
		}

		cases := []struct {
			name        string
			tenant, job string
			tick        time.Time
			want        bool
		}{
			{"same tick again", "acme", "rentengine", tick, false},
			{"same tick, sub-second difference", "acme", "rentengine", tick.Add(300 * time.Millisecond), false},
			{"same tick in another zone", "acme", "rentengine", tick.In(time.FixedZone("X", 3600)), false},
			{"next tick", "acme", "rentengine", tick.Add(15 * time.Minute), true},
			{"other job", "acme", "funnel", tick, true},
			{"other tenant", "beta", "rentengine", tick, true},
		}
		for _, tc := range cases {
			t.Run(tc.name, func(t *testing.T) {
				ok, err := replicas[1].Claim(ctx, tc.tenant, tc.job, tc.tick)
				if err != nil || ok != tc.want {
					t.Errorf("claim = %v, %v; want %v", ok, err, tc.want)
				}
			})
		}

		// Claims older than a day are pruned by the job's next claim.
		var n int64
		count := func() int64 {
			if err := dbtest.DB(store).Table("schedule_claims").Where("tenant_id = ? AND job = ?", "acme", "rentengine").Count(&n).Error; err != nil {
				t.Fatal(err)
			}
			return n
		}
		if got := count(); got != 2 {
			t.Fatalf("%d claims before pruning, want 2", got)
		}
		if ok, err := replicas[0].Claim(ctx, "acme", "rentengine", tick.Add(25*time.Hour)); !ok || err != nil {
			t.Fatalf("claim a day later: %v %v", ok, err)
		}
		if got := count(); got != 1 {
			t.Errorf("%d claims after a claim a day later, want 1 (older ones pruned)", got)
		}
	})
}
