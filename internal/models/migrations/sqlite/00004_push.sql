-- +goose Up
-- The push ledger: one row per tenant, kind and target, written before each call (intent) and
-- after it (outcome). push_attempts keeps every call with its payload and answer, for audit.
CREATE TABLE push_ledger (
    tenant_id    text        NOT NULL,
    kind         text        NOT NULL,
    target_key   text        NOT NULL,
    desired      TEXT,
    desired_hash text        NOT NULL,
    pushed_hash  text,
    pushed       TEXT,
    state        text        NOT NULL,
    attempts     bigint      NOT NULL DEFAULT 0,
    last_status  integer,
    last_error   text,
    intent_at    DATETIME,
    pushed_at    DATETIME,
    created_at   DATETIME NOT NULL,
    updated_at   DATETIME NOT NULL,
    PRIMARY KEY (tenant_id, kind, target_key)
);
CREATE INDEX push_ledger_state ON push_ledger (tenant_id, state);

CREATE TABLE push_attempts (
    id           INTEGER     PRIMARY KEY AUTOINCREMENT,
    tenant_id    text        NOT NULL,
    kind         text        NOT NULL,
    target_key   text        NOT NULL,
    run_id       text        NOT NULL,
    attempted_at DATETIME NOT NULL,
    payload      TEXT,
    status_code  integer,
    outcome      text        NOT NULL,
    error        text,
    response     TEXT
);
CREATE INDEX push_attempts_target ON push_attempts (tenant_id, kind, target_key, attempted_at);

-- +goose Down
DROP TABLE push_attempts;
DROP TABLE push_ledger;
