package models

import (
	"context"
	"fmt"
)

// LatestFinishedRuns returns, for every tenant and job in sync_runs, up to limit of its latest
// finished runs, newest first: one query for the whole fleet (the daemon reads it every half
// minute, so one query per job would cost thousands of round trips with thousands of tenants).
func (s *Store) LatestFinishedRuns(ctx context.Context, limit int) (map[[2]string][]SyncRun, error) {
	ranked := s.db.Model(&SyncRun{}).
		Select("id, row_number() OVER (PARTITION BY tenant_id, job ORDER BY started_at DESC, id DESC) AS rn").
		Where("status <> ?", RunRunning)
	ids := s.db.Table("(?) AS ranked", ranked).Select("id").Where("rn <= ?", limit)
	var runs []SyncRun
	err := s.db.WithContext(ctx).Where("id IN (?)", ids).Order("tenant_id, job, started_at DESC, id DESC").Find(&runs).Error
	if err != nil {
		return nil, fmt.Errorf("read the latest finished runs: %w", err)
	}
	out := map[[2]string][]SyncRun{}
	for _, r := range runs {
		k := [2]string{r.TenantID, r.Job}
		out[k] = append(out[k], r)
	}
	return out, nil
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
