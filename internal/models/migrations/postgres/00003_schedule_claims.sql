-- +goose Up
-- One row per scheduled tick of a tenant's job that some replica ran. The primary key makes the
-- claim atomic across replicas (INSERT ... ON CONFLICT DO NOTHING): a replica whose clock lags
-- and fires after another replica already ran the tick finds the row and skips the tick.
-- Rows older than a day are pruned by the daemon.
CREATE TABLE schedule_claims (
    tenant_id    text        NOT NULL,
    job          text        NOT NULL,
    scheduled_at timestamptz NOT NULL,
    host         text        NOT NULL,
    claimed_at   timestamptz NOT NULL,
    PRIMARY KEY (tenant_id, job, scheduled_at)
);

-- +goose Down
DROP TABLE schedule_claims;
