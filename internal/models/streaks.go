package models

import (
	"context"
	"fmt"
)

// FailureStreak returns how many of the latest finished runs of a tenant's job failed in a row
// (failed or abandoned), counting at most limit runs, across every process that records runs
// here: 0 when its latest finished run did not fail or it has none. Runs in progress are not
// counted either way. One indexed read of at most limit rows (sync_runs_tenant_job).
func (s *Store) FailureStreak(ctx context.Context, tenant, job string, limit int) (int, error) {
	var statuses []string
	err := s.db.WithContext(ctx).Model(&SyncRun{}).Where("tenant_id = ? AND job = ? AND status <> ?", tenant, job, RunRunning).
		Order("started_at DESC, id DESC").Limit(limit).Pluck("status", &statuses).Error
	if err != nil {
		return 0, fmt.Errorf("read the latest %s runs of %s: %w", job, tenant, err)
	}
	n := 0
	for _, st := range statuses {
		if st != RunFailed && st != RunAbandoned {
			break
		}
		n++
	}
	return n, nil
}
