-- +goose Up
-- Quarantine: records an upstream sent (in a pull or a webhook) that the mirror cannot store as
-- received (see models.Unstorable): Postgres jsonb refuses \u0000 and lone UTF-16 surrogates, text
-- refuses invalid UTF-8. One row per tenant, mirror table and record id, refreshed each time the
-- record is refused again; the record's stored mirror row (if any) is kept as it was and is never
-- tombstoned for it. raw is the record's bytes exactly as received, base64-encoded, because those
-- bytes are what a text column cannot hold. SQLite could store these records, but the mirror must be
-- the same on both databases, so they are quarantined here too.
CREATE TABLE bad_records (
    tenant_id     text        NOT NULL,
    table_name    text        NOT NULL,
    record_id     text        NOT NULL,
    reason        text        NOT NULL,
    raw           text        NOT NULL,
    source        text        NOT NULL CHECK (source IN ('pull', 'webhook')),
    run_id        text,
    first_seen_at DATETIME    NOT NULL,
    last_seen_at  DATETIME    NOT NULL,
    times_seen    bigint      NOT NULL DEFAULT 1,
    PRIMARY KEY (tenant_id, table_name, record_id)
);

-- deleted_version: on a row tombstoned by a webhook DELETE, the updated_at the DELETE's record
-- carried (the last version the deletion supersedes, on the upstream's clock). NULL on live rows
-- (every write of a row clears it) and on tombstones set by a pull. See models.EditRow.
ALTER TABLE rentengine_units ADD COLUMN deleted_version DATETIME;
ALTER TABLE rentengine_prospects ADD COLUMN deleted_version DATETIME;
ALTER TABLE rentengine_leasing_events ADD COLUMN deleted_version DATETIME;
ALTER TABLE funnel_communities ADD COLUMN deleted_version DATETIME;
ALTER TABLE funnel_prospects ADD COLUMN deleted_version DATETIME;
ALTER TABLE funnel_renewals ADD COLUMN deleted_version DATETIME;
ALTER TABLE funnel_appointments ADD COLUMN deleted_version DATETIME;

-- +goose Down
ALTER TABLE funnel_appointments DROP COLUMN deleted_version;
ALTER TABLE funnel_renewals DROP COLUMN deleted_version;
ALTER TABLE funnel_prospects DROP COLUMN deleted_version;
ALTER TABLE funnel_communities DROP COLUMN deleted_version;
ALTER TABLE rentengine_leasing_events DROP COLUMN deleted_version;
ALTER TABLE rentengine_prospects DROP COLUMN deleted_version;
ALTER TABLE rentengine_units DROP COLUMN deleted_version;
DROP TABLE bad_records;
