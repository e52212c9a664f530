-- +goose Up
-- Change history of the mirror (issue 14, section 3). Every insert, update, tombstone and
-- un-tombstone of a row of a mirror table appends one row here, in the same transaction as the
-- write itself (see models.UpsertPage, models.Tombstone and models.EditRow); an unchanged record
-- appends nothing. An insert records the operation only (the mirror row holds the record), an
-- update the top-level fields of the raw record that changed, with their old and new values.
-- Rows older than history.keep are deleted in small batches by the daemon's retention job.
--
-- No surrogate key: nothing refers to a change, and every byte and index here is paid for once
-- per changed record on the write path (a first sync appends a row per record). The two indexes
-- serve the two ways it is read: one record's (or one table's) changes in time order, and
-- everything older than a date (the retention job, "what changed in the last 30 days").
CREATE TABLE record_changes (
    tenant_id   text        NOT NULL,
    table_name  text        NOT NULL,
    record_id   text        NOT NULL,
    operation   text        NOT NULL CHECK (operation IN ('insert', 'update', 'delete', 'undelete')),
    changed_at  timestamptz NOT NULL,
    run_id      text,
    delivery_id text,
    fields      jsonb
);
CREATE INDEX record_changes_record ON record_changes (tenant_id, table_name, record_id, changed_at);
CREATE INDEX record_changes_changed_at ON record_changes (changed_at);

COMMENT ON TABLE record_changes IS 'Change history of the mirror tables: one row per insert, update, tombstone (delete) and un-tombstone (undelete) of a mirrored record, written in the same transaction as the change; an unchanged record adds nothing. Rows older than history.keep (default 400 days) are pruned daily. Point-in-time queries: README, "Change history".';
COMMENT ON COLUMN record_changes.tenant_id IS 'The tenant (the config''s tenant id) whose mirror row changed. Never NULL.';
COMMENT ON COLUMN record_changes.table_name IS 'The mirror table of the changed row, e.g. rentengine_prospects or funnel_renewals. Never NULL.';
COMMENT ON COLUMN record_changes.record_id IS 'The changed row''s id (the table''s id column) as text, so integer and text ids fit one column: join with record_id = t.id::text. Never NULL.';
COMMENT ON COLUMN record_changes.operation IS 'insert: first stored; update: its record changed (fields says how); delete: tombstoned (deleted_at set: gone from a complete pull, or a webhook DELETE); undelete: a tombstoned record came back (deleted_at cleared; fields set when its content changed too). Never NULL.';
COMMENT ON COLUMN record_changes.changed_at IS 'When syncd wrote the change (UTC), equal to the row''s synced_at at that write; not the upstream''s updated_at. Never NULL.';
COMMENT ON COLUMN record_changes.run_id IS 'The pull run that made the change (sync_runs.run_id). NULL for a change made by a webhook delivery (see delivery_id).';
COMMENT ON COLUMN record_changes.delivery_id IS 'The RentEngine webhook delivery that made the change: its Upstash-Message-Id header when the delivery carried one, else sha256: and the first 32 hex digits of the SHA-256 of the body. NULL for a change made by a pull (see run_id).';
COMMENT ON COLUMN record_changes.fields IS 'For update (and undelete with changed content): the top-level fields of the raw record whose values changed, as {"field": {"old": value, "new": value}}, JSON null on the side where the field was absent; keys are the upstream''s field names (raw), e.g. target_rental_rate for a unit''s rent. NULL for insert, delete and an undelete of unchanged content.';

-- +goose Down
DROP TABLE record_changes;
