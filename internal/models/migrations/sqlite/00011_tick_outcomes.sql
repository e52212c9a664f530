-- +goose Up
-- When a claimed tick's run ended (see the Postgres migration): a push waits for its tenant's
-- pulls of the same tick.
ALTER TABLE schedule_claims ADD COLUMN finished_at DATETIME;
ALTER TABLE schedule_claims ADD COLUMN run_id text;
ALTER TABLE schedule_claims ADD COLUMN skip_reason text;

-- +goose Down
ALTER TABLE schedule_claims DROP COLUMN skip_reason;
ALTER TABLE schedule_claims DROP COLUMN run_id;
ALTER TABLE schedule_claims DROP COLUMN finished_at;
