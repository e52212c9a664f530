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
