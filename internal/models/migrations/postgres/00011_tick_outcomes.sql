-- +goose Up
-- Job order within a tenant (README "Job order"): a claimed tick records when its run ended, so
-- that the tenant's push of the same tick, on whatever replica, can wait for the tick's pulls.
ALTER TABLE schedule_claims ADD COLUMN finished_at timestamptz;
ALTER TABLE schedule_claims ADD COLUMN run_id text;
ALTER TABLE schedule_claims ADD COLUMN skip_reason text;
COMMENT ON COLUMN schedule_claims.finished_at IS 'When the tick''s run ended, or when the tick was skipped (UTC). A push of the same tick waits until every pull of its tenant due at that tick has one. Source: syncd. NULL: the run is still going, or its process died before recording the end.';
COMMENT ON COLUMN schedule_claims.run_id IS 'The run that served the tick: sync_runs.run_id (a skipped push has a sync_runs row too). Source: syncd. NULL: the run has not ended, or the tick ended before a run was recorded (the database refused it).';
COMMENT ON COLUMN schedule_claims.skip_reason IS 'Why the tick''s job did not run: pulls_unfinished (a push whose same-tick pulls did not finish within its run timeout) or waiting_for_first_pulls (a first push before both upstreams had a complete pull). Source: syncd. NULL: the job ran (or still runs).';
COMMENT ON COLUMN sync_runs.status IS 'Outcome: running, succeeded, failed, held (the mass-delete guard kept a resource from tombstoning; details.held_deletes), partial (a resource was unavailable upstream and left as it was; details.unavailable), skipped (a push that did not run: details.skip_reason says why, error in words) or abandoned (its process died). failed > held > partial when several apply. Source: syncd.';
COMMENT ON TABLE schedule_claims IS 'One row per scheduled tick of a tenant''s job that a daemon replica ran (or skipped), so that a replica whose clock lags cannot run the tick again, and so that a push can wait for the same tick''s pulls of its tenant. Row-level security filters it per tenant like the mirrored tables; rows older than a day are pruned. Used on SQLite too (one process), for the job order.';

-- +goose Down
COMMENT ON TABLE schedule_claims IS 'One row per scheduled tick of a tenant''s job that a daemon replica ran, so that a replica whose clock lags cannot run the tick again. No tenant data; rows older than a day are pruned. SQLite (one process) keeps it for schema parity.';
COMMENT ON COLUMN sync_runs.status IS 'Outcome: running, succeeded, failed, held (the mass-delete guard kept a resource from tombstoning; details.held_deletes), partial (a resource was unavailable upstream and left as it was; details.unavailable) or abandoned (its process died). failed > held > partial when several apply. Source: syncd.';
ALTER TABLE schedule_claims DROP COLUMN skip_reason;
ALTER TABLE schedule_claims DROP COLUMN run_id;
ALTER TABLE schedule_claims DROP COLUMN finished_at;
