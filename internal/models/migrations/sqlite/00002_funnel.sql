-- +goose Up
-- Mirror of the Funnel Partner API, and the identity links between RentEngine and Funnel.
-- Same conventions as 00001: primary key (tenant_id, id), typed columns for analysts, raw = the
-- record as received, content_hash for change detection, tombstone in deleted_at.
-- Client, renewal, appointment and unit ids are Funnel integers (bigint). Community ids are text:
-- the API's community id is a string union; the stored one is the canonical id Funnel returns.
CREATE TABLE funnel_communities (
    tenant_id         text        NOT NULL,
    id                text        NOT NULL,
    name              text,
    syndication_id    text,
    address           text,
    city              text,
    state             text,
    postal_code       text,
    timezone          text,
    updated_at        DATETIME,
    raw               TEXT        NOT NULL,
    content_hash      text        NOT NULL,
    first_seen_at     DATETIME NOT NULL,
    synced_at         DATETIME NOT NULL,
    deleted_at        DATETIME,
    PRIMARY KEY (tenant_id, id)
);

CREATE TABLE funnel_prospects (
    tenant_id         text        NOT NULL,
    id                bigint      NOT NULL,
    community_id      text        NOT NULL,
    status            text,
    lead_source       text,
    move_in_date      DATE,
    first_name        text,
    last_name         text,
    email             text,
    phone             text,
    email_normalized  text,
    phone_e164        text,
    agent_email       text,
    created_at        DATETIME,
    updated_at        DATETIME,
    raw               TEXT        NOT NULL,
    content_hash      text        NOT NULL,
    first_seen_at     DATETIME NOT NULL,
    synced_at         DATETIME NOT NULL,
    deleted_at        DATETIME,
    PRIMARY KEY (tenant_id, id)
);
CREATE INDEX funnel_prospects_community ON funnel_prospects (tenant_id, community_id, status);
CREATE INDEX funnel_prospects_email ON funnel_prospects (tenant_id, email_normalized);
CREATE INDEX funnel_prospects_phone ON funnel_prospects (tenant_id, phone_e164);
CREATE INDEX funnel_prospects_agent ON funnel_prospects (tenant_id, agent_email);

CREATE TABLE funnel_renewals (
    tenant_id         text        NOT NULL,
    id                bigint      NOT NULL,
    community_id      text        NOT NULL,
    funnel_renter_id  bigint,
    funnel_unit_id    bigint,
    unit_number       text,
    lease_start       DATE,
    lease_end         DATE,
    status            text,
    offer_rent        NUMERIC,
    offer_expires_at  DATETIME,
    updated_at        DATETIME,
    raw               TEXT        NOT NULL,
    content_hash      text        NOT NULL,
    first_seen_at     DATETIME NOT NULL,
    synced_at         DATETIME NOT NULL,
    deleted_at        DATETIME,
    PRIMARY KEY (tenant_id, id)
);
CREATE INDEX funnel_renewals_community ON funnel_renewals (tenant_id, community_id, status);
CREATE INDEX funnel_renewals_renter ON funnel_renewals (tenant_id, funnel_renter_id, funnel_unit_id);
CREATE INDEX funnel_renewals_lease_end ON funnel_renewals (tenant_id, lease_end);

CREATE TABLE funnel_appointments (
    tenant_id         text        NOT NULL,
    id                bigint      NOT NULL,
    community_id      text        NOT NULL,
    client_id         bigint,
    email             text,
    phone             text,
    agent_email       text,
    agent_name        text,
    appointment_date  DATE,
    appointment_time  text,
    raw               TEXT        NOT NULL,
    content_hash      text        NOT NULL,
    first_seen_at     DATETIME NOT NULL,
    synced_at         DATETIME NOT NULL,
    deleted_at        DATETIME,
    PRIMARY KEY (tenant_id, id)
);
CREATE INDEX funnel_appointments_community ON funnel_appointments (tenant_id, community_id, appointment_date);
CREATE INDEX funnel_appointments_client ON funnel_appointments (tenant_id, client_id);

-- Derived, not mirrored: recomputed after every pull. The primary key serves "links of this
-- tenant" and "link of this prospect"; the index serves "prospects of this Funnel client".
CREATE TABLE identity_links (
    tenant_id               text        NOT NULL,
    rentengine_prospect_id  bigint      NOT NULL,
    funnel_client_id        bigint      NOT NULL,
    matched_on              text        NOT NULL CHECK (matched_on IN ('email', 'phone', 'both')),
    status                  text        NOT NULL CHECK (status IN ('linked', 'ambiguous')),
    computed_at             DATETIME NOT NULL,
    PRIMARY KEY (tenant_id, rentengine_prospect_id, funnel_client_id)
);
CREATE INDEX identity_links_funnel_client ON identity_links (tenant_id, funnel_client_id);

-- +goose Down
DROP TABLE identity_links;
DROP TABLE funnel_appointments;
DROP TABLE funnel_renewals;
DROP TABLE funnel_prospects;
DROP TABLE funnel_communities;
