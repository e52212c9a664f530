package models

import (
	"context"
	"fmt"
)

// LatestFinishedRuns returns up to limit of the latest finished runs of a tenant's job, newest
// first, abandoned ones included (unlike RecentRuns), as every process that records runs here
// left them. One indexed read (sync_runs_tenant_job).
func (s *Store) LatestFinishedRuns(ctx context.Context, tenant, job string, limit int) ([]SyncRun, error) {
	var runs []SyncRun
	err := s.db.WithContext(ctx).Where("tenant_id = ? AND job = ? AND status <> ?", tenant, job, RunRunning).
		Order("started_at DESC, id DESC").Limit(limit).Find(&runs).Error
	if err != nil {
		return nil, fmt.Errorf("read the latest %s runs of %s: %w", job, tenant, err)
	}
	return runs, nil
}

// FailureStreak counts the runs at the head of runs (newest first, as LatestFinishedRuns returns
// them) that failed or were abandoned: 0 when the newest did not fail.
func FailureStreak(runs []SyncRun) int {
	n := 0
	for _, r := range runs {
		if r.Status != RunFailed && r.Status != RunAbandoned {
			break
		}
		n++
	}
	return n
}
