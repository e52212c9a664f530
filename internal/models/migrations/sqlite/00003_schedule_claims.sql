-- +goose Up
-- One row per scheduled tick of a tenant's job that some replica ran; see the Postgres
-- migration. SQLite mode runs one process, so the table is only kept for schema parity.
CREATE TABLE schedule_claims (
    tenant_id    text     NOT NULL,
    job          text     NOT NULL,
    scheduled_at DATETIME NOT NULL,
    host         text     NOT NULL,
    claimed_at   DATETIME NOT NULL,
    PRIMARY KEY (tenant_id, job, scheduled_at)
);

-- +goose Down
DROP TABLE schedule_claims;
