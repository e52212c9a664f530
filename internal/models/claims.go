package models

import (
	"context"
	"fmt"
	"time"

	"gorm.io/gorm/clause"
)

// ScheduleClaim is a row of schedule_claims: one scheduled tick of a tenant's job that some
// daemon replica took (see daemon.Claimer). The primary key (tenant, job, tick) makes a claim
// atomic across replicas.
type ScheduleClaim struct {
	TenantID    string    `gorm:"primaryKey"`
	Job         string    `gorm:"primaryKey"`
	ScheduledAt time.Time `gorm:"primaryKey"`
	Host        string
	ClaimedAt   time.Time
	// FinishedAt is when the tick's run ended or the tick was skipped (nil: not yet, or the
	// process died first); a push of the same tick waits for its tenant's pulls to have one.
	FinishedAt *time.Time
	// RunID is the sync_runs.run_id that served the tick (nil: not ended, or not recorded).
	RunID *string
	// SkipReason says why the tick's job did not run (nil: it ran).
	SkipReason *string
}

func (ScheduleClaim) TableName() string { return "schedule_claims" }

// ClaimTick inserts the claim unless a row for its tenant, job and tick exists (INSERT … ON
// CONFLICT DO NOTHING), and reports whether it did: exactly one of several replicas claiming the
// same tick gets true. After a successful claim it deletes the job's claims of ticks before
// pruneBefore (one delete per claim, on the primary key's prefix, keeps the table bounded; a
// failure there only leaves old rows for the next claim to remove).
func (s *Store) ClaimTick(ctx context.Context, c ScheduleClaim, pruneBefore time.Time) (bool, error) {
	db := s.db.WithContext(ctx)
	res := db.Clauses(clause.OnConflict{
		Columns:   []clause.Column{{Name: "tenant_id"}, {Name: "job"}, {Name: "scheduled_at"}},
		DoNothing: true,
	}).Create(&c)
	if res.Error != nil {
		return false, fmt.Errorf("claim tick %s of %s/%s: %w", c.ScheduledAt.Format(time.RFC3339), c.TenantID, c.Job, res.Error)
	}
	if res.RowsAffected == 0 {
		return false, nil
	}
	_ = db.Where("tenant_id = ? AND job = ? AND scheduled_at < ?", c.TenantID, c.Job, pruneBefore).
		Delete(&ScheduleClaim{}).Error
	return true, nil
}

// FinishTick records the end of a claimed tick: the run that served it (runID, "" if none was
// recorded) and, for a tick whose job did not run, why (skipReason, "" when it ran).
func (s *Store) FinishTick(ctx context.Context, tenant, job string, tick time.Time, runID, skipReason string, at time.Time) error {
	set := map[string]any{"finished_at": at.UTC(), "run_id": nullString(runID), "skip_reason": nullString(skipReason)}
	err := s.db.WithContext(ctx).Model(&ScheduleClaim{}).
		Where("tenant_id = ? AND job = ? AND scheduled_at = ?", tenant, job, tick.UTC()).Updates(set).Error
	if err != nil {
		return fmt.Errorf("record the end of tick %s of %s/%s: %w", tick.Format(time.RFC3339), tenant, job, err)
	}
	return nil
}

func nullString(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

// TickClaims returns the claims of a tenant's jobs for one tick, keyed by job (a job absent from
// the map has no claim for that tick yet).
func (s *Store) TickClaims(ctx context.Context, tenant string, jobs []string, tick time.Time) (map[string]ScheduleClaim, error) {
	var rows []ScheduleClaim
	err := s.db.WithContext(ctx).Where("tenant_id = ? AND job IN ? AND scheduled_at = ?", tenant, jobs, tick.UTC()).
		Find(&rows).Error
	if err != nil {
		return nil, fmt.Errorf("read the claims of tick %s of %s: %w", tick.Format(time.RFC3339), tenant, err)
	}
	out := make(map[string]ScheduleClaim, len(rows))
	for _, r := range rows {
		out[r.Job] = r
	}
	return out, nil
}
