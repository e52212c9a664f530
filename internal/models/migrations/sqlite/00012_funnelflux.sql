-- +goose Up
-- FunnelFlux Pro (issue 17): its assets and daily report in the mirror, and the lease conversions
-- syncd sends it confirmed. Same conventions as the other mirrors: primary key (tenant_id, id), typed
-- columns, raw as received, content_hash, tombstones in deleted_at (after a complete pass only), a
-- _current view each, and history in record_changes. FunnelFlux ids are strings. The daily stats
-- are keyed (tenant, date, funnel, traffic source): a unique index on the three, and a text id
-- made of them so that the mirror's one upsert, tombstone and history code serves them too.
-- No token is stored: access and refresh tokens live in memory and the config's env/files only.
CREATE TABLE funnelflux_funnel_groups (
    tenant_id          text NOT NULL,
    id                 text NOT NULL,
    name               text,
    status             text,
    raw                TEXT NOT NULL,
    content_hash       text NOT NULL,
    first_seen_at      DATETIME NOT NULL,
    synced_at          DATETIME NOT NULL,
    deleted_at         DATETIME,
    deleted_version    DATETIME,
    PRIMARY KEY (tenant_id, id)
);

CREATE TABLE funnelflux_funnels (
    tenant_id          text NOT NULL,
    id                 text NOT NULL,
    name               text,
    funnel_group_id    text,
    funnel_type        text,
    status             text,
    raw                TEXT NOT NULL,
    content_hash       text NOT NULL,
    first_seen_at      DATETIME NOT NULL,
    synced_at          DATETIME NOT NULL,
    deleted_at         DATETIME,
    deleted_version    DATETIME,
    PRIMARY KEY (tenant_id, id)
);
CREATE INDEX funnelflux_funnels_group ON funnelflux_funnels (tenant_id, funnel_group_id);

CREATE TABLE funnelflux_traffic_sources (
    tenant_id          text NOT NULL,
    id                 text NOT NULL,
    name               text,
    status             text,
    category_id        text,
    category_name      text,
    cost_type          text,
    raw                TEXT NOT NULL,
    content_hash       text NOT NULL,
    first_seen_at      DATETIME NOT NULL,
    synced_at          DATETIME NOT NULL,
    deleted_at         DATETIME,
    deleted_version    DATETIME,
    PRIMARY KEY (tenant_id, id)
);

CREATE TABLE funnelflux_daily_stats (
    tenant_id          text NOT NULL,
    id                 text NOT NULL,
    date               DATE NOT NULL,
    funnel_id          text NOT NULL,
    traffic_source_id  text NOT NULL,
    timezone           text NOT NULL,
    entrances          bigint NOT NULL,
    conversions        bigint NOT NULL,
    revenue            REAL NOT NULL,
    cost               REAL NOT NULL,
    profit             REAL NOT NULL,
    raw                TEXT NOT NULL,
    content_hash       text NOT NULL,
    first_seen_at      DATETIME NOT NULL,
    synced_at          DATETIME NOT NULL,
    deleted_at         DATETIME,
    deleted_version    DATETIME,
    PRIMARY KEY (tenant_id, id)
);
CREATE UNIQUE INDEX funnelflux_daily_stats_key ON funnelflux_daily_stats (tenant_id, date, funnel_id, traffic_source_id);

CREATE TABLE funnelflux_lease_conversions (
    tenant_id          text NOT NULL,
    transaction_id     text NOT NULL,
    prospect_id        bigint NOT NULL,
    stage              text NOT NULL,
    hit_id             text NOT NULL,
    date               DATE NOT NULL,
    funnel_id          text,
    traffic_source_id  text,
    revenue            REAL NOT NULL,
    confirmed_at       DATETIME NOT NULL,
    synced_at          DATETIME NOT NULL,
    PRIMARY KEY (tenant_id, transaction_id)
);
CREATE INDEX funnelflux_lease_conversions_day ON funnelflux_lease_conversions (tenant_id, date, funnel_id, traffic_source_id);

-- A lease conversion is confirmed once a report pull shows its transaction: the update is
-- asynchronous upstream, so "pushed" only means queued.
ALTER TABLE push_ledger ADD COLUMN confirmed_at DATETIME;

CREATE VIEW funnelflux_funnel_groups_current AS
    SELECT * FROM funnelflux_funnel_groups WHERE deleted_at IS NULL;
CREATE VIEW funnelflux_funnels_current AS
    SELECT * FROM funnelflux_funnels WHERE deleted_at IS NULL;
CREATE VIEW funnelflux_traffic_sources_current AS
    SELECT * FROM funnelflux_traffic_sources WHERE deleted_at IS NULL;
CREATE VIEW funnelflux_daily_stats_current AS
    SELECT * FROM funnelflux_daily_stats WHERE deleted_at IS NULL;

-- Cost per lease per day, traffic source and funnel: the day's live stats row and its confirmed
-- lease conversions (distinct prospects), also for a day with leases but no stats row. A lease
-- counts on its hit's entrance day, funnel and traffic source (the conversion report is
-- entrance-attributed, as the daily report is), so it lands on the row whose cost bought it.
CREATE VIEW lease_attribution AS
    WITH l AS (
        SELECT tenant_id, date, funnel_id, traffic_source_id, count(DISTINCT prospect_id) AS leases
        FROM funnelflux_lease_conversions
        GROUP BY tenant_id, date, funnel_id, traffic_source_id
    ), k AS (
        SELECT tenant_id, date, funnel_id, traffic_source_id FROM funnelflux_daily_stats WHERE deleted_at IS NULL
        UNION
        SELECT tenant_id, date, funnel_id, traffic_source_id FROM l
    )
    SELECT k.tenant_id, k.date, k.traffic_source_id, ts.name AS traffic_source_name, k.funnel_id, f.name AS funnel_name,
           coalesce(s.entrances, 0) AS entrances, coalesce(l.leases, 0) AS leases, coalesce(s.cost, 0) AS cost,
           CASE WHEN coalesce(l.leases, 0) > 0 THEN coalesce(s.cost, 0) / l.leases END AS cost_per_lease
    FROM k
    LEFT JOIN funnelflux_daily_stats s ON s.tenant_id = k.tenant_id AND s.date = k.date AND s.funnel_id = k.funnel_id
         AND s.traffic_source_id = k.traffic_source_id AND s.deleted_at IS NULL
    LEFT JOIN l ON l.tenant_id = k.tenant_id AND l.date = k.date AND l.funnel_id IS k.funnel_id
         AND l.traffic_source_id IS k.traffic_source_id
    LEFT JOIN funnelflux_funnels f ON f.tenant_id = k.tenant_id AND f.id = k.funnel_id
    LEFT JOIN funnelflux_traffic_sources ts ON ts.tenant_id = k.tenant_id AND ts.id = k.traffic_source_id;

-- +goose Down
DROP VIEW lease_attribution;
DROP VIEW funnelflux_daily_stats_current;
DROP VIEW funnelflux_traffic_sources_current;
DROP VIEW funnelflux_funnels_current;
DROP VIEW funnelflux_funnel_groups_current;
ALTER TABLE push_ledger DROP COLUMN confirmed_at;
DROP TABLE funnelflux_lease_conversions;
DROP TABLE funnelflux_daily_stats;
DROP TABLE funnelflux_traffic_sources;
DROP TABLE funnelflux_funnels;
DROP TABLE funnelflux_funnel_groups;
