-- +goose Up
-- The push ledger: one row per tenant, kind and target, written before each call (intent) and
-- after it (outcome). push_attempts keeps every call with its payload and answer, for audit.
CREATE TABLE push_ledger (
    tenant_id    text        NOT NULL,
    kind         text        NOT NULL,
    target_key   text        NOT NULL,
    desired      jsonb,
    desired_hash text        NOT NULL,
    pushed_hash  text,
    pushed       jsonb,
    state        text        NOT NULL,
    attempts     bigint      NOT NULL DEFAULT 0,
    last_status  integer,
    last_error   text,
    intent_at    timestamptz,
    pushed_at    timestamptz,
    created_at   timestamptz NOT NULL,
    updated_at   timestamptz NOT NULL,
    PRIMARY KEY (tenant_id, kind, target_key)
);
CREATE INDEX push_ledger_state ON push_ledger (tenant_id, state);

CREATE TABLE push_attempts (
    id           bigserial   PRIMARY KEY,
    tenant_id    text        NOT NULL,
    kind         text        NOT NULL,
    target_key   text        NOT NULL,
    run_id       text        NOT NULL,
    attempted_at timestamptz NOT NULL,
    payload      jsonb,
    status_code  integer,
    outcome      text        NOT NULL,
    error        text,
    response     jsonb
);
CREATE INDEX push_attempts_target ON push_attempts (tenant_id, kind, target_key, attempted_at);

-- +goose Down
DROP TABLE push_attempts;
DROP TABLE push_ledger;
