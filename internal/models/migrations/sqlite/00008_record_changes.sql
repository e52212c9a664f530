-- +goose Up
-- Change history of the mirror (issue 14, section 3): one row per insert, update, tombstone and
-- un-tombstone of a mirror row, written in the same transaction as the change. Column meanings
-- are the Postgres migration's COMMENT ON statements (SQLite keeps no comments); fields is JSON
-- text here, jsonb there.
CREATE TABLE record_changes (
    tenant_id   text        NOT NULL,
    table_name  text        NOT NULL,
    record_id   text        NOT NULL,
    operation   text        NOT NULL CHECK (operation IN ('insert', 'update', 'delete', 'undelete')),
    changed_at  DATETIME    NOT NULL,
    run_id      text,
    delivery_id text,
    fields      TEXT
);
CREATE INDEX record_changes_record ON record_changes (tenant_id, table_name, record_id, changed_at);
CREATE INDEX record_changes_changed_at ON record_changes (changed_at);

-- +goose Down
DROP TABLE record_changes;
