package models_test

import (
	"context"
	"testing"
	"time"

	"github.com/syncd-dev/syncd/internal/models"
	"github.com/syncd-dev/syncd/internal/testing/dbtest"
)

// LatestFinishedRuns reads every job's finished runs newest first, abandoned ones included and runs in
// progress left out, at most limit, jobs and tenants apart; FailureStreak counts the failed and
// abandoned runs at their head.
func TestFailureStreak(t *testing.T) {
	dbtest.Dialects(t, func(t *testing.T, store *models.Store) {
		ctx := context.Background()
		start := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
		add := func(tenant, job string, statuses ...string) {
			t.Helper()
			for _, st := range statuses {
				start = start.Add(time.Minute)
				run := models.SyncRun{RunID: tenant + job + start.String(), TenantID: tenant, Job: job, StartedAt: start}
				if err := store.StartRun(ctx, &run, nil); err != nil {
					t.Fatal(err)
				}
				if st == models.RunRunning {
					continue
				}
				fin := start.Add(time.Second)
				run.Status, run.FinishedAt = st, &fin
				if err := store.FinishRun(ctx, &run); err != nil {
					t.Fatal(err)
				}
			}
		}
		add("acme", "rentengine", models.RunFailed, models.RunSucceeded, models.RunFailed, models.RunAbandoned, models.RunFailed)
		add("acme", "funnel", models.RunFailed, models.RunFailed, models.RunHeld)
		add("beta", "rentengine", models.RunFailed, models.RunFailed, models.RunRunning)
		add("beta", "funnel", models.RunPartial, models.RunFailed)
		for _, tc := range []struct {
			tenant, job string
			limit, want int
		}{
			{"acme", "rentengine", 10, 3},
			{"acme", "rentengine", 2, 2},
			{"acme", "funnel", 10, 0},
			{"beta", "rentengine", 10, 2},
			{"beta", "funnel", 10, 1},
			{"beta", "push", 10, 0},
			{"gamma", "rentengine", 10, 0},
		} {
			all, err := store.LatestFinishedRuns(ctx, tc.limit)
			if err != nil {
				t.Fatal(err)
			}
			runs := all[[2]string{tc.tenant, tc.job}]
			if len(runs) > tc.limit {
				t.Errorf("LatestFinishedRuns(%s, %s, %d) read %d runs", tc.tenant, tc.job, tc.limit, len(runs))
			}
			for i, r := range runs {
				if r.TenantID != tc.tenant || r.Job != tc.job || r.Status == models.RunRunning ||
					(i > 0 && r.StartedAt.After(runs[i-1].StartedAt)) {
					t.Errorf("LatestFinishedRuns(%s, %s): run %d is %+v", tc.tenant, tc.job, i, r)
				}
			}
			if got := models.FailureStreak(runs); got != tc.want {
				t.Errorf("FailureStreak(%s, %s, %d) = %d, want %d", tc.tenant, tc.job, tc.limit, got, tc.want)
			}
		}
	})
}
