package daemon

import (
	"context"
	"time"

	"github.com/syncd-dev/syncd/internal/models"
	"github.com/syncd-dev/syncd/internal/scheduler"
)

// Claimer implements scheduler.Claimer on the schedule_claims table (models.Store.ClaimTick): one
// row per tenant, job and scheduled tick, inserted unless it exists, so exactly one replica takes
// each tick however far apart the replicas' clocks are.
type Claimer struct {
	store *models.Store
	host  string
	// keep is how long claims are kept; older ones are pruned when the same job claims again.
	keep time.Duration
	now  func() time.Time
}

var _ scheduler.Claimer = (*Claimer)(nil)

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
