package daemon

import (
	"context"
	"fmt"
	"time"

	"github.com/syncd-dev/syncd/internal/models"
	"github.com/syncd-dev/syncd/internal/scheduler"
)

// Claimer implements scheduler.Claimer on the schedule_claims table: one row per tenant, job
// and scheduled tick, inserted with ON CONFLICT DO NOTHING, so exactly one replica takes each
// tick however far apart the replicas' clocks are. It lives here rather than in models because
// it is coordination state of the daemon, not mirror data.
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
	db := c.store.DB().WithContext(ctx)
	now := c.now()
	// Ticks are whole seconds; truncating keeps the key identical whatever precision the
	// database stores.
	tick = tick.UTC().Truncate(time.Second)
	res := db.Exec(`INSERT INTO schedule_claims (tenant_id, job, scheduled_at, host, claimed_at)
		VALUES (?, ?, ?, ?, ?) ON CONFLICT (tenant_id, job, scheduled_at) DO NOTHING`,
		tenant, job, tick, c.host, now)
	if res.Error != nil {
		return false, fmt.Errorf("claim tick %s of %s/%s: %w", tick.Format(time.RFC3339), tenant, job, res.Error)
	}
	if res.RowsAffected == 0 {
		return false, nil
	}
	// Bounded table: one delete per claim, on the primary key's prefix. A failure only leaves
	// old rows for the next claim to remove.
	_ = db.Exec(`DELETE FROM schedule_claims WHERE tenant_id = ? AND job = ? AND scheduled_at < ?`,
		tenant, job, tick.Add(-c.keep)).Error
	return true, nil
}
