-- +goose Up
-- Mirror of RentEngine. Every table: primary key (tenant_id, id), typed columns for analysts,
-- raw = the record as received, content_hash for change detection, tombstone in deleted_at.
CREATE TABLE rentengine_units (
    tenant_id         text        NOT NULL,
    id                bigint      NOT NULL,
    account_id        text,
    status            text,
    property_type     text,
    address_id        bigint,
    formatted_address text,
    unit_number       text,
    city              text,
    state             text,
    zip_code          text,
    bedrooms          numeric,
    bathrooms         numeric,
    sqft              numeric,
    rent              numeric(12,2),
    is_occupied       boolean,
    created_at        timestamptz,
    updated_at        timestamptz,
    raw               jsonb       NOT NULL,
    content_hash      text        NOT NULL,
    first_seen_at     timestamptz NOT NULL,
    synced_at         timestamptz NOT NULL,
    deleted_at        timestamptz,
    PRIMARY KEY (tenant_id, id)
);
CREATE INDEX rentengine_units_status ON rentengine_units (tenant_id, status);

CREATE TABLE rentengine_prospects (
    tenant_id         text        NOT NULL,
    id                bigint      NOT NULL,
    name              text,
    email             text,
    phone             text,
    status            text,
    source            text,
    unit_id           bigint,
    email_normalized  text,
    phone_e164        text,
    created_at        timestamptz,
    updated_at        timestamptz,
    raw               jsonb       NOT NULL,
    content_hash      text        NOT NULL,
    first_seen_at     timestamptz NOT NULL,
    synced_at         timestamptz NOT NULL,
    deleted_at        timestamptz,
    PRIMARY KEY (tenant_id, id)
);
CREATE INDEX rentengine_prospects_status ON rentengine_prospects (tenant_id, status);
CREATE INDEX rentengine_prospects_email ON rentengine_prospects (tenant_id, email_normalized);
CREATE INDEX rentengine_prospects_phone ON rentengine_prospects (tenant_id, phone_e164);
CREATE INDEX rentengine_prospects_unit ON rentengine_prospects (tenant_id, unit_id);

CREATE TABLE rentengine_leasing_events (
    tenant_id         text        NOT NULL,
    id                bigint      NOT NULL,
    prospect_id       bigint,
    unit_id           bigint,
    event_type        text,
    source            text,
    created_by        text,
    assigned_user_id  text,
    deleted           boolean,
    created_at        timestamptz,
    planned_at        timestamptz,
    raw               jsonb       NOT NULL,
    content_hash      text        NOT NULL,
    first_seen_at     timestamptz NOT NULL,
    synced_at         timestamptz NOT NULL,
    deleted_at        timestamptz,
    PRIMARY KEY (tenant_id, id)
);
CREATE INDEX rentengine_leasing_events_prospect ON rentengine_leasing_events (tenant_id, prospect_id, created_at);
CREATE INDEX rentengine_leasing_events_type ON rentengine_leasing_events (tenant_id, event_type);

CREATE TABLE sync_runs (
    id           bigserial   PRIMARY KEY,
    run_id       text        NOT NULL UNIQUE,
    tenant_id    text        NOT NULL,
    job          text        NOT NULL,
    started_at   timestamptz NOT NULL,
    finished_at  timestamptz,
    status       text        NOT NULL,
    pages        bigint      NOT NULL DEFAULT 0,
    fetched      bigint      NOT NULL DEFAULT 0,
    inserted     bigint      NOT NULL DEFAULT 0,
    updated      bigint      NOT NULL DEFAULT 0,
    unchanged    bigint      NOT NULL DEFAULT 0,
    deleted      bigint      NOT NULL DEFAULT 0,
    bad_records  bigint      NOT NULL DEFAULT 0,
    retries      bigint      NOT NULL DEFAULT 0,
    error        text,
    details      jsonb,
    host         text        NOT NULL DEFAULT ''
);
CREATE INDEX sync_runs_tenant_job ON sync_runs (tenant_id, job, started_at DESC);

-- +goose Down
DROP TABLE sync_runs;
DROP TABLE rentengine_leasing_events;
DROP TABLE rentengine_prospects;
DROP TABLE rentengine_units;
