package daemon

import (
	"context"
	"fmt"
	"time"

	"github.com/syncd-dev/syncd/internal/models"
	"github.com/syncd-dev/syncd/internal/scheduler"
	syncer "github.com/syncd-dev/syncd/internal/sync"
)

// Claimer implements scheduler.Claimer on the schedule_claims table (models.Store.ClaimTick): one
// row per tenant, job and scheduled tick, inserted unless it exists, so exactly one replica takes
// each tick however far apart the replicas' clocks are. It also implements scheduler.Order on the
// same rows: each claimed tick records when its run ended (models.Store.FinishTick), which is
// what a push of the same tick, on any replica, waits for.
type Claimer struct {
	store *models.Store
	host  string
	// keep is how long claims are kept; older ones are pruned when the same job claims again.
	keep time.Duration
	now  func() time.Time
}

var (
	_ scheduler.Claimer = (*Claimer)(nil)
	_ scheduler.Order   = (*Claimer)(nil)
)

// NewClaimer returns a Claimer writing through store; host names this process in the claims.
func NewClaimer(store *models.Store, host string) *Claimer {
	return &Claimer{store: store, host: host, keep: 24 * time.Hour, now: func() time.Time { return time.Now().UTC() }}
}

// Claim implements scheduler.Claimer.
func (c *Claimer) Claim(ctx context.Context, tenant, job string, tick time.Time) (bool, error) {
	// Ticks are whole seconds; truncating keeps the key identical whatever precision the
	// database stores.
	tick = tick.UTC().Truncate(time.Second)
	return c.store.ClaimTick(ctx, models.ScheduleClaim{TenantID: tenant, Job: job, ScheduledAt: tick, Host: c.host, ClaimedAt: c.now()},
		tick.Add(-c.keep))
}

// Finish implements scheduler.Order.
func (c *Claimer) Finish(ctx context.Context, tenant, job string, tick time.Time, runID, skipReason string) error {
	return c.store.FinishTick(ctx, tenant, job, tick.UTC().Truncate(time.Second), runID, skipReason, c.now())
}

// UnfinishedPulls implements scheduler.Order: a pull is unfinished while its claim of the tick
// has no end recorded, while it has no claim of the tick and some replica holds its lock
// (Postgres), or while sync_runs has a run of it in progress (of an earlier tick, which made this
// tick's firing skip) whose process is not known to be gone.
func (c *Claimer) UnfinishedPulls(ctx context.Context, tenant string, tick time.Time, jobs []string) ([]string, error) {
	tick = tick.UTC().Truncate(time.Second)
	claims, err := c.store.TickClaims(ctx, tenant, jobs, tick)
	if err != nil {
		return nil, err
	}
	var out []string
	for _, job := range jobs {
		if cl, ok := claims[job]; ok && cl.FinishedAt == nil {
			out = append(out, fmt.Sprintf("%s (claimed by %s at %s, still running)", job, cl.Host, cl.ClaimedAt.UTC().Format(time.RFC3339)))
		}
	}
	if len(out) > 0 {
		return out, nil
	}
	// No claim, or an ended one: a replica holding the job's lock is about to claim this tick
	// (it takes the lock first), or still ends a run of an earlier tick. Either way, wait.
	for _, job := range jobs {
		if _, claimed := claims[job]; claimed {
			continue
		}
		held, err := c.store.AdvisoryLockHeld(ctx, LockKey(tenant, job))
		if err != nil {
			return nil, err
		}
		if held {
			out = append(out, job+" (its lock is held: a replica is starting or ending a run)")
		}
	}
	if len(out) > 0 {
		return out, nil
	}
	return syncer.RunningPulls(ctx, c.store, tenant, jobs)
}
