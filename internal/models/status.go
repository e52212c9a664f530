package models

import (
	"context"
	"fmt"
	"sort"
	"time"
)

// JobStatus sums up the recorded runs of one tenant's job (read-only; for `syncd status` and for
// metrics that must survive a restart).
type JobStatus struct {
	TenantID string
	Job      string
	// Last is the most recent run, whatever its status.
	Last SyncRun
	// LastSuccess is the most recent succeeded run (nil: none recorded).
	LastSuccess *SyncRun
	// LastFailure is the most recent failed, held, partial or abandoned run (nil: none recorded).
	LastFailure *SyncRun
}

// JobStatuses returns the status of every tenant job found in sync_runs, sorted by tenant and
// job; tenant "" means every tenant. "Most recent" is by id: runs of one job are serialised by
// its lock, so they are inserted in the order they start.
func (s *Store) JobStatuses(ctx context.Context, tenant string) ([]JobStatus, error) {
	last, err := s.latestRuns(ctx, tenant)
	if err != nil {
		return nil, err
	}
	ok, err := s.latestRuns(ctx, tenant, RunSucceeded)
	if err != nil {
		return nil, err
	}
	bad, err := s.latestRuns(ctx, tenant, RunFailed, RunHeld, RunPartial, RunAbandoned)
	if err != nil {
		return nil, err
	}
	out := make([]JobStatus, 0, len(last))
	for k, r := range last {
		st := JobStatus{TenantID: k[0], Job: k[1], Last: *r, LastSuccess: ok[k], LastFailure: bad[k]}
		out = append(out, st)
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].TenantID != out[j].TenantID {
			return out[i].TenantID < out[j].TenantID
		}
		return out[i].Job < out[j].Job
	})
	return out, nil
}

// RecentRuns returns up to limit finished runs (not running, not abandoned) of a tenant's job,
// newest first: what the pulls last knew, for the runs that follow (the push plan, the Funnel
// community directory).
func (s *Store) RecentRuns(ctx context.Context, tenant, job string, limit int) ([]SyncRun, error) {
	var runs []SyncRun
	err := s.db.WithContext(ctx).Where("tenant_id = ? AND job = ? AND status NOT IN ?", tenant, job,
		[]string{RunRunning, RunAbandoned}).Order("id DESC").Limit(limit).Find(&runs).Error
	if err != nil {
		return nil, fmt.Errorf("read recent %s runs of %s: %w", job, tenant, err)
	}
	return runs, nil
}

// LastSuccesses returns when each tenant job last finished successfully.
func (s *Store) LastSuccesses(ctx context.Context) (map[[2]string]time.Time, error) {
	runs, err := s.latestRuns(ctx, "", RunSucceeded)
	if err != nil {
		return nil, err
	}
	out := make(map[[2]string]time.Time, len(runs))
	for k, r := range runs {
		if r.FinishedAt != nil {
			out[k] = *r.FinishedAt
		}
	}
	return out, nil
}

// latestRuns returns the newest run per tenant and job, among runs with one of statuses (all
// runs when none is given), keyed by {tenant, job}.
func (s *Store) latestRuns(ctx context.Context, tenant string, statuses ...string) (map[[2]string]*SyncRun, error) {
	sub := s.db.Model(&SyncRun{}).Select("MAX(id)").Group("tenant_id, job")
	if tenant != "" {
		sub = sub.Where("tenant_id = ?", tenant)
	}
	if len(statuses) > 0 {
		sub = sub.Where("status IN ?", statuses)
	}
	var runs []SyncRun
	if err := s.db.WithContext(ctx).Where("id IN (?)", sub).Find(&runs).Error; err != nil {
		return nil, fmt.Errorf("read latest runs: %w", err)
	}
	out := make(map[[2]string]*SyncRun, len(runs))
	for i := range runs {
		out[[2]string{runs[i].TenantID, runs[i].Job}] = &runs[i]
	}
	return out, nil
}

// LastSuccess returns when the tenant's job last finished successfully (nil: never, as far as
// sync_runs knows).
func (s *Store) LastSuccess(ctx context.Context, tenant, job string) (*time.Time, error) {
	var run SyncRun
	err := s.db.WithContext(ctx).Where("tenant_id = ? AND job = ? AND status = ?", tenant, job, RunSucceeded).
		Order("finished_at DESC").Limit(1).Find(&run).Error
	if err != nil {
		return nil, fmt.Errorf("read the last %s run: %w", job, err)
	}
	return run.FinishedAt, nil
}

// RunningRuns returns the runs of a tenant's jobs that sync_runs says are running (a run whose
// process died stays so until the next run of its job marks it abandoned: callers that wait on
// them check liveness themselves and bound the wait).
func (s *Store) RunningRuns(ctx context.Context, tenant string, jobs []string) ([]SyncRun, error) {
	var runs []SyncRun
	err := s.db.WithContext(ctx).Where("tenant_id = ? AND job IN ? AND status = ?", tenant, jobs, RunRunning).
		Order("id").Find(&runs).Error
	if err != nil {
		return nil, fmt.Errorf("read running runs of %s: %w", tenant, err)
	}
	return runs, nil
}

// LastCompleted returns when the tenant's job last finished with one of statuses (nil: never, as
// far as sync_runs knows).
func (s *Store) LastCompleted(ctx context.Context, tenant, job string, statuses ...string) (*time.Time, error) {
	var run SyncRun
	err := s.db.WithContext(ctx).Where("tenant_id = ? AND job = ? AND status IN ?", tenant, job, statuses).
		Order("finished_at DESC").Limit(1).Find(&run).Error
	if err != nil {
		return nil, fmt.Errorf("read the last completed %s run: %w", job, err)
	}
	return run.FinishedAt, nil
}
