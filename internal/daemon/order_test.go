package daemon_test

import (
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/syncd-dev/syncd/internal/daemon"
	"github.com/syncd-dev/syncd/internal/models"
	"github.com/syncd-dev/syncd/internal/testing/dbtest"
	"github.com/syncd-dev/syncd/internal/testing/funnelfake"
)

// orderConfig is a tenant with both upstreams and a push, each job on its own schedule.
const orderConfig = `database:
  url: %s
listen: "127.0.0.1:0"
log: {level: debug}
limits: {shutdown_timeout: 5s}
defaults:
  max_jitter: -1s
tenants:
  - id: acme
    run_timeout: %s
    rentengine: {base_url: %q, token_env: RE_TOKEN, rate_limit: {requests: 1000, per: 1s, burst: 1000}}
    funnel: {base_url: %q, api_key_env: FU_KEY, company_id: %d, communities: ["1234"]}
    push:
      assignments: {enabled: false}
      renewal_status: {enabled: false}
    schedules: {%s}
`

// startOrderDaemon runs a daemon whose tenant acme pulls from a RentEngine fake that delays
// every request by reDelay and from a Funnel fake, with the given schedules.
func startOrderDaemon(t *testing.T, dsn string, reDelay time.Duration, runTimeout, schedules string) *running {
	t.Helper()
	re := newUpstream(t, reDelay)
	fu := funnelfake.New(funnelfake.Options{APIKey: "fu-key"})
	t.Cleanup(fu.Close)
	fu.InsertCommunity(map[string]any{"id": 1234, "name": "Maple Court"}, "")
	path := configPath(t)
	if err := os.WriteFile(path, []byte(fmt.Sprintf(orderConfig, dsn, runTimeout, re.baseURL, fu.BaseURL(), fu.CompanyID(), schedules)), 0o600); err != nil {
		t.Fatal(err)
	}
	lookup := func(k string) (string, bool) {
		if k == "FU_KEY" {
			return "fu-key", true
		}
		return lookupEnv(k)
	}
	return startDaemon(t, daemon.Options{ConfigPath: path, WatchInterval: -1, LookupEnv: lookup,
		Test: daemon.TestConfig{OrderPoll: 20 * time.Millisecond}})
}

func claimsOf(t testing.TB, s *models.Store, job string) []models.ScheduleClaim {
	t.Helper()
	var out []models.ScheduleClaim
	if err := dbtest.DB(s).Where("tenant_id = ? AND job = ?", "acme", job).Order("scheduled_at").Find(&out).Error; err != nil {
		t.Fatalf("read schedule_claims: %v", err)
	}
	return out
}

func runByID(t testing.TB, s *models.Store, id string) models.SyncRun {
	t.Helper()
	var run models.SyncRun
	if err := dbtest.DB(s).Where("run_id = ?", id).Take(&run).Error; err != nil {
		t.Fatalf("read run %s: %v", id, err)
	}
	return run
}

// A push never starts before the same tick's pulls of its tenant have finished: pulls slowed
// down to over a second, and a push on the same schedule, which would otherwise start at the
// tick. The tick of each run is its claim's (schedule_claims.run_id).
func TestPushWaitsForSameTickPulls(t *testing.T) {
	for _, tc := range []struct {
		dialect string
		dsn     func(testing.TB) string
	}{{models.Postgres, dbtest.PostgresDSN}, {models.SQLite, dbtest.SQLiteDSN}} {
		t.Run(tc.dialect, func(t *testing.T) {
			dsn := tc.dsn(t)
			d := startOrderDaemon(t, dsn, 400*time.Millisecond, "30s",
				`rentengine: "@every 4s", funnel: "@every 4s", push: "@every 4s"`)
			store := dbtest.Open(t, dsn)
			ranPushes := func() []models.ScheduleClaim {
				var out []models.ScheduleClaim
				for _, c := range claimsOf(t, store, "push") {
					if c.FinishedAt != nil && c.RunID != nil {
						out = append(out, c)
					}
				}
				return out
			}
			waitFor(t, 40*time.Second, "two pushes to end", func() bool { return len(ranPushes()) >= 2 })
			d.stop(t)

			pulls := map[time.Time][]models.ScheduleClaim{}
			for _, job := range []string{"rentengine", "funnel"} {
				for _, c := range claimsOf(t, store, job) {
					pulls[c.ScheduledAt.UTC()] = append(pulls[c.ScheduledAt.UTC()], c)
				}
			}
			checked := 0
			for _, pc := range ranPushes() {
				push := runByID(t, store, *pc.RunID)
				if push.Status != models.RunSucceeded {
					t.Errorf("push of tick %s: %s (%s), want succeeded", pc.ScheduledAt.UTC(), push.Status, deref(push.Error))
				}
				same := pulls[pc.ScheduledAt.UTC()]
				if len(same) != 2 {
					t.Errorf("push of tick %s: %d pulls claimed the same tick, want 2", pc.ScheduledAt.UTC(), len(same))
				}
				for _, c := range same {
					if c.RunID == nil {
						t.Fatalf("pull %s of tick %s has no run recorded in its claim", c.Job, c.ScheduledAt.UTC())
					}
					pull := runByID(t, store, *c.RunID)
					if pull.FinishedAt == nil {
						t.Fatalf("pull %s of tick %s has not finished", pull.RunID, c.ScheduledAt.UTC())
					}
					if push.StartedAt.Before(*pull.FinishedAt) {
						t.Errorf("push %s started at %s, before the %s pull of its tick finished (%s)", push.RunID,
							push.StartedAt.Format("15:04:05.000"), pull.Job, pull.FinishedAt.Format("15:04:05.000"))
					}
					checked++
				}
			}
			// The check means something: the slow pull ended well after the tick, when the push
			// would have started without waiting.
			slow := false
			for _, pc := range ranPushes() {
				for _, c := range pulls[pc.ScheduledAt.UTC()] {
					if c.Job == "rentengine" && c.RunID != nil {
						slow = slow || runByID(t, store, *c.RunID).FinishedAt.Sub(pc.ScheduledAt) > 800*time.Millisecond
					}
				}
			}
			if checked < 4 || !slow {
				t.Errorf("checked %d push/pull pairs (want 4), a slow pull among them: %v", checked, slow)
			}
		})
	}
}

// A push whose same-tick pull does not finish within the push's run timeout is skipped, with
// the reason in sync_runs, in schedule_claims, in the logs' place (sync_runs.error) and in the
// skip metric. The unfinished pull is another replica's claim that never ends.
func TestPushSkippedWhenPullsUnfinished(t *testing.T) {
	for _, tc := range []struct {
		dialect string
		dsn     func(testing.TB) string
	}{{models.Postgres, dbtest.PostgresDSN}, {models.SQLite, dbtest.SQLiteDSN}} {
		t.Run(tc.dialect, func(t *testing.T) {
			dsn := tc.dsn(t)
			store := dbtest.Open(t, dsn)
			// Another replica claimed the rentengine pull of every tick of the next minute and
			// is still running it.
			now := time.Now().UTC()
			for tick := now.Truncate(3 * time.Second).Add(3 * time.Second); tick.Before(now.Add(time.Minute)); tick = tick.Add(3 * time.Second) {
				if ok, err := store.ClaimTick(t.Context(), models.ScheduleClaim{TenantID: "acme", Job: "rentengine", ScheduledAt: tick,
					Host: "elsewhere/1", ClaimedAt: now}, now.Add(-time.Hour)); !ok || err != nil {
					t.Fatalf("claim %s: %v %v", tick, ok, err)
				}
			}
			d := startOrderDaemon(t, dsn, 0, "1s", `rentengine: "@every 3s", push: "@every 3s"`)
			var skipped models.SyncRun
			waitFor(t, 30*time.Second, "a skipped push", func() bool {
				for _, r := range runs(t, store, "acme") {
					if r.Job == "push" && r.Status == models.RunSkipped {
						skipped = r
						return true
					}
				}
				return false
			})
			if got := skipped.SkipReason(); got != models.SkipPullsUnfinished {
				t.Errorf("skip reason %q, want %q (details %s)", got, models.SkipPullsUnfinished, skipped.Details)
			}
			if e := deref(skipped.Error); !strings.Contains(e, "rentengine") || !strings.Contains(e, "elsewhere/1") {
				t.Errorf("error %q does not name the unfinished pull and its replica", e)
			}
			waitFor(t, 5*time.Second, "the push's claim to record the skip", func() bool {
				for _, c := range claimsOf(t, store, "push") {
					if c.RunID != nil && *c.RunID == skipped.RunID {
						return c.SkipReason != nil && *c.SkipReason == models.SkipPullsUnfinished && c.FinishedAt != nil
					}
				}
				return false
			})
			n, ok := value(scrape(t, d.Addr().String()), "syncd_skipped_runs_total",
				map[string]string{"tenant": "acme", "job": "push", "reason": models.SkipPullsUnfinished})
			if !ok || n < 1 {
				t.Errorf("syncd_skipped_runs_total{reason=pulls_unfinished} = %g (present %v), want ≥ 1", n, ok)
			}
			for _, r := range runs(t, store, "acme") {
				if r.Job == "push" && r.Status != models.RunSkipped {
					t.Errorf("push run %s: %s, want every push skipped", r.RunID, r.Status)
				}
			}
		})
	}
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

// A push waits for a pull whose lock some replica holds (it is about to claim the tick, or ends
// an earlier one): the store sees a lock held by another session, for keys of either sign.
func TestAdvisoryLockHeld(t *testing.T) {
	dsn := dbtest.PostgresDSN(t)
	store := dbtest.Open(t, dsn)
	locker, err := daemon.NewLocker(t.Context(), daemon.LockerConfig{DSN: dsn}, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer locker.Close()
	signs := map[bool]bool{}
	for i := 0; len(signs) < 2 && i < 64; i++ {
		tenant := fmt.Sprintf("t%d", i)
		key := daemon.LockKey(tenant, "rentengine")
		if signs[key < 0] {
			continue
		}
		signs[key < 0] = true
		if held, err := store.AdvisoryLockHeld(t.Context(), key); err != nil || held {
			t.Fatalf("key %d before locking: held %v, %v", key, held, err)
		}
		ctx, release, err := locker.TryLock(t.Context(), tenant, "rentengine")
		if err != nil || ctx == nil {
			t.Fatalf("lock %s: %v", tenant, err)
		}
		if held, err := store.AdvisoryLockHeld(t.Context(), key); err != nil || !held {
			t.Errorf("key %d while locked: held %v, %v", key, held, err)
		}
		release()
		if held, err := store.AdvisoryLockHeld(t.Context(), key); err != nil || held {
			t.Errorf("key %d after release: held %v, %v", key, held, err)
		}
	}
	if len(signs) < 2 {
		t.Fatal("no keys of both signs tried")
	}
}
