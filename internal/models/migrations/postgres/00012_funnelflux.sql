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
    raw                jsonb NOT NULL,
    content_hash       text NOT NULL,
    first_seen_at      timestamptz NOT NULL,
    synced_at          timestamptz NOT NULL,
    deleted_at         timestamptz,
    deleted_version    timestamptz,
    PRIMARY KEY (tenant_id, id)
);

CREATE TABLE funnelflux_funnels (
    tenant_id          text NOT NULL,
    id                 text NOT NULL,
    name               text,
    funnel_group_id    text,
    funnel_type        text,
    status             text,
    raw                jsonb NOT NULL,
    content_hash       text NOT NULL,
    first_seen_at      timestamptz NOT NULL,
    synced_at          timestamptz NOT NULL,
    deleted_at         timestamptz,
    deleted_version    timestamptz,
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
    raw                jsonb NOT NULL,
    content_hash       text NOT NULL,
    first_seen_at      timestamptz NOT NULL,
    synced_at          timestamptz NOT NULL,
    deleted_at         timestamptz,
    deleted_version    timestamptz,
    PRIMARY KEY (tenant_id, id)
);

CREATE TABLE funnelflux_daily_stats (
    tenant_id          text NOT NULL,
    id                 text NOT NULL,
    date               date NOT NULL,
    funnel_id          text NOT NULL,
    traffic_source_id  text NOT NULL,
    timezone           text NOT NULL,
    entrances          bigint NOT NULL,
    conversions        bigint NOT NULL,
    revenue            double precision NOT NULL,
    cost               double precision NOT NULL,
    profit             double precision NOT NULL,
    raw                jsonb NOT NULL,
    content_hash       text NOT NULL,
    first_seen_at      timestamptz NOT NULL,
    synced_at          timestamptz NOT NULL,
    deleted_at         timestamptz,
    deleted_version    timestamptz,
    PRIMARY KEY (tenant_id, id)
);
CREATE UNIQUE INDEX funnelflux_daily_stats_key ON funnelflux_daily_stats (tenant_id, date, funnel_id, traffic_source_id);

CREATE TABLE funnelflux_lease_conversions (
    tenant_id          text NOT NULL,
    transaction_id     text NOT NULL,
    prospect_id        bigint NOT NULL,
    stage              text NOT NULL,
    hit_id             text NOT NULL,
    date               date NOT NULL,
    funnel_id          text,
    traffic_source_id  text,
    revenue            double precision NOT NULL,
    confirmed_at       timestamptz NOT NULL,
    synced_at          timestamptz NOT NULL,
    PRIMARY KEY (tenant_id, transaction_id)
);
CREATE INDEX funnelflux_lease_conversions_day ON funnelflux_lease_conversions (tenant_id, date, funnel_id, traffic_source_id);

-- A lease conversion is confirmed once a report pull shows its transaction: the update is
-- asynchronous upstream, so "pushed" only means queued.
ALTER TABLE push_ledger ADD COLUMN confirmed_at timestamptz;

CREATE VIEW funnelflux_funnel_groups_current WITH (security_invoker = true) AS
    SELECT * FROM funnelflux_funnel_groups WHERE deleted_at IS NULL;
CREATE VIEW funnelflux_funnels_current WITH (security_invoker = true) AS
    SELECT * FROM funnelflux_funnels WHERE deleted_at IS NULL;
CREATE VIEW funnelflux_traffic_sources_current WITH (security_invoker = true) AS
    SELECT * FROM funnelflux_traffic_sources WHERE deleted_at IS NULL;
CREATE VIEW funnelflux_daily_stats_current WITH (security_invoker = true) AS
    SELECT * FROM funnelflux_daily_stats WHERE deleted_at IS NULL;

-- Cost per lease per day, traffic source and funnel: the day's live stats row and its confirmed
-- lease conversions (distinct prospects), also for a day with leases but no stats row. A lease
-- counts on its hit's entrance day, funnel and traffic source (the conversion report is
-- entrance-attributed, as the daily report is), so it lands on the row whose cost bought it.
CREATE VIEW lease_attribution WITH (security_invoker = true) AS
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
    LEFT JOIN l ON l.tenant_id = k.tenant_id AND l.date = k.date AND l.funnel_id IS NOT DISTINCT FROM k.funnel_id
         AND l.traffic_source_id IS NOT DISTINCT FROM k.traffic_source_id
    LEFT JOIN funnelflux_funnels f ON f.tenant_id = k.tenant_id AND f.id = k.funnel_id
    LEFT JOIN funnelflux_traffic_sources ts ON ts.tenant_id = k.tenant_id AND ts.id = k.traffic_source_id;

COMMENT ON TABLE funnelflux_funnel_groups IS 'Mirror of FunnelFlux funnel groups (the legacy API calls them campaigns): one row per tenant and funnel group id, tombstoned rows included. Live rows only: funnelflux_funnel_groups_current.';
COMMENT ON COLUMN funnelflux_funnel_groups.tenant_id IS 'The tenant (a property-management company): its id in the syncd config. Part of every primary key: always filter or join on it. Source: syncd config.';
COMMENT ON COLUMN funnelflux_funnel_groups.id IS 'FunnelFlux funnel group id (a string). Source: FunnelFlux funnel group idFunnelGroup (legacy alias idCampaign).';
COMMENT ON COLUMN funnelflux_funnel_groups.name IS 'Funnel group name. Source: FunnelFlux funnel group name (funnelGroupName or campaignName). NULL: not sent.';
COMMENT ON COLUMN funnelflux_funnel_groups.status IS 'Status as FunnelFlux sends it (active, archived, ...). Source: FunnelFlux funnel group status. NULL: not sent.';
COMMENT ON COLUMN funnelflux_funnel_groups.raw IS 'The record exactly as FunnelFlux sent it, every field included (jsonb; text on SQLite): raw->>''field'' reads a field without a typed column. Source: the whole record.';
COMMENT ON COLUMN funnelflux_funnel_groups.content_hash IS 'Hash of raw (SHA-256, first 128 bits in hex, of the JSON without insignificant whitespace): a record fetched with the same hash is not rewritten. Source: syncd.';
COMMENT ON COLUMN funnelflux_funnel_groups.first_seen_at IS 'When syncd first stored the record (UTC). Source: syncd.';
COMMENT ON COLUMN funnelflux_funnel_groups.synced_at IS 'When syncd last wrote the row (UTC): its content changed, or it was tombstoned or came back. Source: syncd.';
COMMENT ON COLUMN funnelflux_funnel_groups.deleted_at IS 'Tombstone: when syncd found the record deleted upstream (UTC): a complete pull no longer returned it. Cleared when the record comes back. Source: syncd. NULL: the record is live.';
COMMENT ON COLUMN funnelflux_funnel_groups.deleted_version IS 'Set only on rows tombstoned by a webhook DELETE; FunnelFlux has no webhook syncd receives, so always NULL here (the column keeps the mirror tables alike). Source: syncd. NULL: always, see above.';

COMMENT ON TABLE funnelflux_funnels IS 'Mirror of FunnelFlux funnels: one row per tenant and funnel id, tombstoned rows included. Daily figures per funnel: funnelflux_daily_stats. Live rows only: funnelflux_funnels_current.';
COMMENT ON COLUMN funnelflux_funnels.tenant_id IS 'The tenant (a property-management company): its id in the syncd config. Part of every primary key: always filter or join on it. Source: syncd config.';
COMMENT ON COLUMN funnelflux_funnels.id IS 'FunnelFlux funnel id (a string). Source: FunnelFlux funnel idFunnel.';
COMMENT ON COLUMN funnelflux_funnels.name IS 'Funnel name. Source: FunnelFlux funnel funnelName. NULL: not sent.';
COMMENT ON COLUMN funnelflux_funnels.funnel_group_id IS 'The funnel group (funnelflux_funnel_groups.id). Source: FunnelFlux funnel idFunnelGroup, else its legacy alias idCampaign. NULL: neither sent.';
COMMENT ON COLUMN funnelflux_funnels.funnel_type IS 'Funnel type as FunnelFlux sends it. Source: FunnelFlux funnel funnelType. NULL: not sent.';
COMMENT ON COLUMN funnelflux_funnels.status IS 'Status as FunnelFlux sends it (active, archived, ...). Source: FunnelFlux funnel status. NULL: not sent.';
COMMENT ON COLUMN funnelflux_funnels.raw IS 'The record exactly as FunnelFlux sent it, every field included (jsonb; text on SQLite): raw->>''field'' reads a field without a typed column. Source: the whole record.';
COMMENT ON COLUMN funnelflux_funnels.content_hash IS 'Hash of raw (SHA-256, first 128 bits in hex, of the JSON without insignificant whitespace): a record fetched with the same hash is not rewritten. Source: syncd.';
COMMENT ON COLUMN funnelflux_funnels.first_seen_at IS 'When syncd first stored the record (UTC). Source: syncd.';
COMMENT ON COLUMN funnelflux_funnels.synced_at IS 'When syncd last wrote the row (UTC): its content changed, or it was tombstoned or came back. Source: syncd.';
COMMENT ON COLUMN funnelflux_funnels.deleted_at IS 'Tombstone: when syncd found the record deleted upstream (UTC): a complete pull no longer returned it. Cleared when the record comes back. Source: syncd. NULL: the record is live.';
COMMENT ON COLUMN funnelflux_funnels.deleted_version IS 'Set only on rows tombstoned by a webhook DELETE; FunnelFlux has no webhook syncd receives, so always NULL here (the column keeps the mirror tables alike). Source: syncd. NULL: always, see above.';

COMMENT ON TABLE funnelflux_traffic_sources IS 'Mirror of FunnelFlux traffic sources (ad networks and other sources of visitors): one row per tenant and traffic source id, tombstoned rows included. Live rows only: funnelflux_traffic_sources_current.';
COMMENT ON COLUMN funnelflux_traffic_sources.tenant_id IS 'The tenant (a property-management company): its id in the syncd config. Part of every primary key: always filter or join on it. Source: syncd config.';
COMMENT ON COLUMN funnelflux_traffic_sources.id IS 'FunnelFlux traffic source id (a string). Source: FunnelFlux traffic source idTrafficSource.';
COMMENT ON COLUMN funnelflux_traffic_sources.name IS 'Traffic source name. Source: FunnelFlux traffic source trafficSourceName. NULL: not sent.';
COMMENT ON COLUMN funnelflux_traffic_sources.status IS 'Status as FunnelFlux sends it (active, archived, ...). Source: FunnelFlux traffic source status. NULL: not sent.';
COMMENT ON COLUMN funnelflux_traffic_sources.category_id IS 'FunnelFlux category id. Source: FunnelFlux traffic source idCategory. NULL: uncategorised (sent empty) or not sent.';
COMMENT ON COLUMN funnelflux_traffic_sources.category_name IS 'FunnelFlux category name. Source: FunnelFlux traffic source categoryName. NULL: not sent.';
COMMENT ON COLUMN funnelflux_traffic_sources.cost_type IS 'How the source''s cost is counted, as FunnelFlux sends it. Source: FunnelFlux traffic source costType. NULL: not sent.';
COMMENT ON COLUMN funnelflux_traffic_sources.raw IS 'The record exactly as FunnelFlux sent it, every field included (jsonb; text on SQLite): raw->>''field'' reads a field without a typed column. Source: the whole record.';
COMMENT ON COLUMN funnelflux_traffic_sources.content_hash IS 'Hash of raw (SHA-256, first 128 bits in hex, of the JSON without insignificant whitespace): a record fetched with the same hash is not rewritten. Source: syncd.';
COMMENT ON COLUMN funnelflux_traffic_sources.first_seen_at IS 'When syncd first stored the record (UTC). Source: syncd.';
COMMENT ON COLUMN funnelflux_traffic_sources.synced_at IS 'When syncd last wrote the row (UTC): its content changed, or it was tombstoned or came back. Source: syncd.';
COMMENT ON COLUMN funnelflux_traffic_sources.deleted_at IS 'Tombstone: when syncd found the record deleted upstream (UTC): a complete pull no longer returned it. Cleared when the record comes back. Source: syncd. NULL: the record is live.';
COMMENT ON COLUMN funnelflux_traffic_sources.deleted_version IS 'Set only on rows tombstoned by a webhook DELETE; FunnelFlux has no webhook syncd receives, so always NULL here (the column keeps the mirror tables alike). Source: syncd. NULL: always, see above.';

COMMENT ON TABLE funnelflux_daily_stats IS 'FunnelFlux daily drilldown report by date, funnel and traffic source: one row per tenant, day (in the tenant''s timezone), funnel and traffic source with traffic. Each pull re-reads the last funnelflux.report_days days (costs and late conversions change them); an unchanged day writes nothing. A combination no longer in a re-read day''s report is tombstoned; older days are kept as last read. Cost per lease: lease_attribution. Live rows only: funnelflux_daily_stats_current.';
COMMENT ON COLUMN funnelflux_daily_stats.tenant_id IS 'The tenant (a property-management company): its id in the syncd config. Part of every primary key: always filter or join on it. Source: syncd config.';
COMMENT ON COLUMN funnelflux_daily_stats.id IS 'syncd''s key of the row: date/funnel_id/traffic_source_id, unique per tenant as the three columns are. Source: syncd.';
COMMENT ON COLUMN funnelflux_daily_stats.date IS 'The day the figures are for, in the tenant''s timezone (column timezone). Source: the report''s Date grouping.';
COMMENT ON COLUMN funnelflux_daily_stats.funnel_id IS 'The funnel (funnelflux_funnels.id). Source: the report''s Funnel grouping (raw asset id).';
COMMENT ON COLUMN funnelflux_daily_stats.traffic_source_id IS 'The traffic source (funnelflux_traffic_sources.id). Source: the report''s Traffic Source grouping (raw asset id).';
COMMENT ON COLUMN funnelflux_daily_stats.timezone IS 'IANA time zone the report''s days were cut in: the tenant''s timezone at the pull. Source: syncd config.';
COMMENT ON COLUMN funnelflux_daily_stats.entrances IS 'Visitors entering the funnel from the traffic source that day. Unit: visits. Source: the report''s Entrances metric.';
COMMENT ON COLUMN funnelflux_daily_stats.conversions IS 'Conversions of the day, every kind (leads, leases, ...). Unit: conversions. Source: the report''s Conv. metric.';
COMMENT ON COLUMN funnelflux_daily_stats.revenue IS 'Revenue of the day''s conversions. Unit: the FunnelFlux account''s currency. Source: the report''s Revenue metric.';
COMMENT ON COLUMN funnelflux_daily_stats.cost IS 'Traffic cost of the day. Unit: the FunnelFlux account''s currency. Source: the report''s Cost metric.';
COMMENT ON COLUMN funnelflux_daily_stats.profit IS 'Revenue minus cost. Unit: the FunnelFlux account''s currency. Source: the report''s P/L metric.';
COMMENT ON COLUMN funnelflux_daily_stats.raw IS 'The row''s figures as syncd read them from the report, JSON (jsonb; text on SQLite): date, funnel, traffic_source, timezone, entrances, conversions, revenue, cost, profit. Not the report row as sent: its cells are positional and its rowId is not stable between pulls, so hashing it would rewrite unchanged days. Source: the report row.';
COMMENT ON COLUMN funnelflux_daily_stats.content_hash IS 'Hash of raw (SHA-256, first 128 bits in hex, of the JSON without insignificant whitespace): a record fetched with the same hash is not rewritten. Source: syncd.';
COMMENT ON COLUMN funnelflux_daily_stats.first_seen_at IS 'When syncd first stored the record (UTC). Source: syncd.';
COMMENT ON COLUMN funnelflux_daily_stats.synced_at IS 'When syncd last wrote the row (UTC): its content changed, or it was tombstoned or came back. Source: syncd.';
COMMENT ON COLUMN funnelflux_daily_stats.deleted_at IS 'Tombstone: when syncd found the record deleted upstream (UTC): a complete pull no longer returned it. Cleared when the record comes back. Source: syncd. NULL: the record is live.';
COMMENT ON COLUMN funnelflux_daily_stats.deleted_version IS 'Set only on rows tombstoned by a webhook DELETE; FunnelFlux has no webhook syncd receives, so always NULL here (the column keeps the mirror tables alike). Source: syncd. NULL: always, see above.';

COMMENT ON TABLE funnelflux_lease_conversions IS 'Lease conversions syncd sent to FunnelFlux (push kind lease_conversion) that a report pull has shown applied: one row per tenant and transaction id, with the funnel and traffic source of the converted hit and the hit''s entrance day (the row of funnelflux_daily_stats whose cost bought the lease). Written by the funnelflux job, never by a push (the update is asynchronous upstream). Per day and source: lease_attribution.';
COMMENT ON COLUMN funnelflux_lease_conversions.tenant_id IS 'The tenant (a property-management company): its id in the syncd config. Source: syncd config.';
COMMENT ON COLUMN funnelflux_lease_conversions.transaction_id IS 'The conversion''s transaction id, derived by syncd from the prospect and stage (syncd-lease-<prospect id>-<stage>); push_ledger target prospect:<id>/<stage>. Source: the report''s Conversion TxID grouping.';
COMMENT ON COLUMN funnelflux_lease_conversions.prospect_id IS 'The RentEngine prospect (rentengine_prospects.id) whose stage was converted. Source: syncd, from the transaction id.';
COMMENT ON COLUMN funnelflux_lease_conversions.stage IS 'The RentEngine stage converted (Lease Signed, ...). Source: syncd, from the push ledger.';
COMMENT ON COLUMN funnelflux_lease_conversions.hit_id IS 'The FunnelFlux hit the conversion was sent for, read from the prospect''s RentEngine record (push.lease_conversion.hit_id). Source: the report''s Hit ID grouping.';
COMMENT ON COLUMN funnelflux_lease_conversions.date IS 'The day the converted hit entered the funnel, in the tenant''s timezone: the conversion report is attributed to entrances, like funnelflux_daily_stats, so this is the day of the stats row whose cost bought the lease, not the day the lease was signed, sent or applied. Source: the conversion report''s Date grouping (timeAttribution entrance).';
COMMENT ON COLUMN funnelflux_lease_conversions.funnel_id IS 'The funnel the converted hit belongs to (funnelflux_funnels.id). Source: the conversion report''s Funnel grouping (raw asset id). NULL: the report row left the grouping empty; lease_attribution then shows the lease on a row of its own with no funnel.';
COMMENT ON COLUMN funnelflux_lease_conversions.traffic_source_id IS 'The traffic source of the converted hit''s visit (funnelflux_traffic_sources.id). Source: the conversion report''s Traffic Source grouping (raw asset id). NULL: the report row left the grouping empty; lease_attribution then shows the lease on a row of its own with no traffic source.';
COMMENT ON COLUMN funnelflux_lease_conversions.revenue IS 'Revenue FunnelFlux recorded for the conversion. Unit: the FunnelFlux account''s currency. Source: the report''s Revenue metric.';
COMMENT ON COLUMN funnelflux_lease_conversions.confirmed_at IS 'When a report pull first showed the conversion (UTC). Source: syncd.';
COMMENT ON COLUMN funnelflux_lease_conversions.synced_at IS 'When syncd last wrote the row (UTC). Source: syncd.';
COMMENT ON COLUMN push_ledger.confirmed_at IS 'lease_conversion only: when a FunnelFlux report pull first showed the conversion applied (UTC); the update is queued upstream, so state pushed alone means queued. Source: syncd. NULL: not confirmed yet, or another kind.';

COMMENT ON VIEW funnelflux_funnel_groups_current IS 'Live rows of funnelflux_funnel_groups: every column of the table, rows tombstoned (deleted_at set) left out.';
COMMENT ON COLUMN funnelflux_funnel_groups_current.tenant_id IS 'The tenant (a property-management company): its id in the syncd config. Part of every primary key: always filter or join on it. Source: syncd config.';
COMMENT ON COLUMN funnelflux_funnel_groups_current.id IS 'FunnelFlux funnel group id (a string). Source: FunnelFlux funnel group idFunnelGroup (legacy alias idCampaign).';
COMMENT ON COLUMN funnelflux_funnel_groups_current.name IS 'Funnel group name. Source: FunnelFlux funnel group name (funnelGroupName or campaignName). NULL: not sent.';
COMMENT ON COLUMN funnelflux_funnel_groups_current.status IS 'Status as FunnelFlux sends it (active, archived, ...). Source: FunnelFlux funnel group status. NULL: not sent.';
COMMENT ON COLUMN funnelflux_funnel_groups_current.raw IS 'The record exactly as FunnelFlux sent it, every field included (jsonb; text on SQLite): raw->>''field'' reads a field without a typed column. Source: the whole record.';
COMMENT ON COLUMN funnelflux_funnel_groups_current.content_hash IS 'Hash of raw (SHA-256, first 128 bits in hex, of the JSON without insignificant whitespace): a record fetched with the same hash is not rewritten. Source: syncd.';
COMMENT ON COLUMN funnelflux_funnel_groups_current.first_seen_at IS 'When syncd first stored the record (UTC). Source: syncd.';
COMMENT ON COLUMN funnelflux_funnel_groups_current.synced_at IS 'When syncd last wrote the row (UTC): its content changed, or it was tombstoned or came back. Source: syncd.';
COMMENT ON COLUMN funnelflux_funnel_groups_current.deleted_at IS 'Tombstone: when syncd found the record deleted upstream (UTC): a complete pull no longer returned it. Cleared when the record comes back. Source: syncd. NULL: the record is live.';
COMMENT ON COLUMN funnelflux_funnel_groups_current.deleted_version IS 'Set only on rows tombstoned by a webhook DELETE; FunnelFlux has no webhook syncd receives, so always NULL here (the column keeps the mirror tables alike). Source: syncd. NULL: always, see above.';

COMMENT ON VIEW funnelflux_funnels_current IS 'Live rows of funnelflux_funnels: every column of the table, rows tombstoned (deleted_at set) left out.';
COMMENT ON COLUMN funnelflux_funnels_current.tenant_id IS 'The tenant (a property-management company): its id in the syncd config. Part of every primary key: always filter or join on it. Source: syncd config.';
COMMENT ON COLUMN funnelflux_funnels_current.id IS 'FunnelFlux funnel id (a string). Source: FunnelFlux funnel idFunnel.';
COMMENT ON COLUMN funnelflux_funnels_current.name IS 'Funnel name. Source: FunnelFlux funnel funnelName. NULL: not sent.';
COMMENT ON COLUMN funnelflux_funnels_current.funnel_group_id IS 'The funnel group (funnelflux_funnel_groups.id). Source: FunnelFlux funnel idFunnelGroup, else its legacy alias idCampaign. NULL: neither sent.';
COMMENT ON COLUMN funnelflux_funnels_current.funnel_type IS 'Funnel type as FunnelFlux sends it. Source: FunnelFlux funnel funnelType. NULL: not sent.';
COMMENT ON COLUMN funnelflux_funnels_current.status IS 'Status as FunnelFlux sends it (active, archived, ...). Source: FunnelFlux funnel status. NULL: not sent.';
COMMENT ON COLUMN funnelflux_funnels_current.raw IS 'The record exactly as FunnelFlux sent it, every field included (jsonb; text on SQLite): raw->>''field'' reads a field without a typed column. Source: the whole record.';
COMMENT ON COLUMN funnelflux_funnels_current.content_hash IS 'Hash of raw (SHA-256, first 128 bits in hex, of the JSON without insignificant whitespace): a record fetched with the same hash is not rewritten. Source: syncd.';
COMMENT ON COLUMN funnelflux_funnels_current.first_seen_at IS 'When syncd first stored the record (UTC). Source: syncd.';
COMMENT ON COLUMN funnelflux_funnels_current.synced_at IS 'When syncd last wrote the row (UTC): its content changed, or it was tombstoned or came back. Source: syncd.';
COMMENT ON COLUMN funnelflux_funnels_current.deleted_at IS 'Tombstone: when syncd found the record deleted upstream (UTC): a complete pull no longer returned it. Cleared when the record comes back. Source: syncd. NULL: the record is live.';
COMMENT ON COLUMN funnelflux_funnels_current.deleted_version IS 'Set only on rows tombstoned by a webhook DELETE; FunnelFlux has no webhook syncd receives, so always NULL here (the column keeps the mirror tables alike). Source: syncd. NULL: always, see above.';

COMMENT ON VIEW funnelflux_traffic_sources_current IS 'Live rows of funnelflux_traffic_sources: every column of the table, rows tombstoned (deleted_at set) left out.';
COMMENT ON COLUMN funnelflux_traffic_sources_current.tenant_id IS 'The tenant (a property-management company): its id in the syncd config. Part of every primary key: always filter or join on it. Source: syncd config.';
COMMENT ON COLUMN funnelflux_traffic_sources_current.id IS 'FunnelFlux traffic source id (a string). Source: FunnelFlux traffic source idTrafficSource.';
COMMENT ON COLUMN funnelflux_traffic_sources_current.name IS 'Traffic source name. Source: FunnelFlux traffic source trafficSourceName. NULL: not sent.';
COMMENT ON COLUMN funnelflux_traffic_sources_current.status IS 'Status as FunnelFlux sends it (active, archived, ...). Source: FunnelFlux traffic source status. NULL: not sent.';
COMMENT ON COLUMN funnelflux_traffic_sources_current.category_id IS 'FunnelFlux category id. Source: FunnelFlux traffic source idCategory. NULL: uncategorised (sent empty) or not sent.';
COMMENT ON COLUMN funnelflux_traffic_sources_current.category_name IS 'FunnelFlux category name. Source: FunnelFlux traffic source categoryName. NULL: not sent.';
COMMENT ON COLUMN funnelflux_traffic_sources_current.cost_type IS 'How the source''s cost is counted, as FunnelFlux sends it. Source: FunnelFlux traffic source costType. NULL: not sent.';
COMMENT ON COLUMN funnelflux_traffic_sources_current.raw IS 'The record exactly as FunnelFlux sent it, every field included (jsonb; text on SQLite): raw->>''field'' reads a field without a typed column. Source: the whole record.';
COMMENT ON COLUMN funnelflux_traffic_sources_current.content_hash IS 'Hash of raw (SHA-256, first 128 bits in hex, of the JSON without insignificant whitespace): a record fetched with the same hash is not rewritten. Source: syncd.';
COMMENT ON COLUMN funnelflux_traffic_sources_current.first_seen_at IS 'When syncd first stored the record (UTC). Source: syncd.';
COMMENT ON COLUMN funnelflux_traffic_sources_current.synced_at IS 'When syncd last wrote the row (UTC): its content changed, or it was tombstoned or came back. Source: syncd.';
COMMENT ON COLUMN funnelflux_traffic_sources_current.deleted_at IS 'Tombstone: when syncd found the record deleted upstream (UTC): a complete pull no longer returned it. Cleared when the record comes back. Source: syncd. NULL: the record is live.';
COMMENT ON COLUMN funnelflux_traffic_sources_current.deleted_version IS 'Set only on rows tombstoned by a webhook DELETE; FunnelFlux has no webhook syncd receives, so always NULL here (the column keeps the mirror tables alike). Source: syncd. NULL: always, see above.';

COMMENT ON VIEW funnelflux_daily_stats_current IS 'Live rows of funnelflux_daily_stats: every column of the table, rows tombstoned (deleted_at set) left out.';
COMMENT ON COLUMN funnelflux_daily_stats_current.tenant_id IS 'The tenant (a property-management company): its id in the syncd config. Part of every primary key: always filter or join on it. Source: syncd config.';
COMMENT ON COLUMN funnelflux_daily_stats_current.id IS 'syncd''s key of the row: date/funnel_id/traffic_source_id, unique per tenant as the three columns are. Source: syncd.';
COMMENT ON COLUMN funnelflux_daily_stats_current.date IS 'The day the figures are for, in the tenant''s timezone (column timezone). Source: the report''s Date grouping.';
COMMENT ON COLUMN funnelflux_daily_stats_current.funnel_id IS 'The funnel (funnelflux_funnels.id). Source: the report''s Funnel grouping (raw asset id).';
COMMENT ON COLUMN funnelflux_daily_stats_current.traffic_source_id IS 'The traffic source (funnelflux_traffic_sources.id). Source: the report''s Traffic Source grouping (raw asset id).';
COMMENT ON COLUMN funnelflux_daily_stats_current.timezone IS 'IANA time zone the report''s days were cut in: the tenant''s timezone at the pull. Source: syncd config.';
COMMENT ON COLUMN funnelflux_daily_stats_current.entrances IS 'Visitors entering the funnel from the traffic source that day. Unit: visits. Source: the report''s Entrances metric.';
COMMENT ON COLUMN funnelflux_daily_stats_current.conversions IS 'Conversions of the day, every kind (leads, leases, ...). Unit: conversions. Source: the report''s Conv. metric.';
COMMENT ON COLUMN funnelflux_daily_stats_current.revenue IS 'Revenue of the day''s conversions. Unit: the FunnelFlux account''s currency. Source: the report''s Revenue metric.';
COMMENT ON COLUMN funnelflux_daily_stats_current.cost IS 'Traffic cost of the day. Unit: the FunnelFlux account''s currency. Source: the report''s Cost metric.';
COMMENT ON COLUMN funnelflux_daily_stats_current.profit IS 'Revenue minus cost. Unit: the FunnelFlux account''s currency. Source: the report''s P/L metric.';
COMMENT ON COLUMN funnelflux_daily_stats_current.raw IS 'The row''s figures as syncd read them from the report, JSON (jsonb; text on SQLite): date, funnel, traffic_source, timezone, entrances, conversions, revenue, cost, profit. Not the report row as sent: its cells are positional and its rowId is not stable between pulls, so hashing it would rewrite unchanged days. Source: the report row.';
COMMENT ON COLUMN funnelflux_daily_stats_current.content_hash IS 'Hash of raw (SHA-256, first 128 bits in hex, of the JSON without insignificant whitespace): a record fetched with the same hash is not rewritten. Source: syncd.';
COMMENT ON COLUMN funnelflux_daily_stats_current.first_seen_at IS 'When syncd first stored the record (UTC). Source: syncd.';
COMMENT ON COLUMN funnelflux_daily_stats_current.synced_at IS 'When syncd last wrote the row (UTC): its content changed, or it was tombstoned or came back. Source: syncd.';
COMMENT ON COLUMN funnelflux_daily_stats_current.deleted_at IS 'Tombstone: when syncd found the record deleted upstream (UTC): a complete pull no longer returned it. Cleared when the record comes back. Source: syncd. NULL: the record is live.';
COMMENT ON COLUMN funnelflux_daily_stats_current.deleted_version IS 'Set only on rows tombstoned by a webhook DELETE; FunnelFlux has no webhook syncd receives, so always NULL here (the column keeps the mirror tables alike). Source: syncd. NULL: always, see above.';

COMMENT ON VIEW lease_attribution IS 'What each signed lease cost: one row per tenant, day, traffic source and funnel with FunnelFlux traffic or a confirmed lease conversion, with entrances, leases, cost and cost per lease. Leases are those syncd sent (push kind lease_conversion) and a report pull confirmed. Days are in the tenant''s timezone, and a lease counts on its hit''s entrance day with the hit''s funnel and traffic source (as the daily report counts conversions), so it is on the same row as the traffic cost that bought it, not on the day it was signed. README: "FunnelFlux".';
COMMENT ON COLUMN lease_attribution.tenant_id IS 'The tenant. Source: funnelflux_daily_stats.tenant_id or funnelflux_lease_conversions.tenant_id.';
COMMENT ON COLUMN lease_attribution.date IS 'The day, in the tenant''s timezone: the day of the entrances and cost, and the entrance day of the hits whose leases are counted. Source: funnelflux_daily_stats.date or funnelflux_lease_conversions.date.';
COMMENT ON COLUMN lease_attribution.traffic_source_id IS 'The traffic source. Source: funnelflux_daily_stats.traffic_source_id or funnelflux_lease_conversions.traffic_source_id. NULL: leases whose conversion report row gave no traffic source.';
COMMENT ON COLUMN lease_attribution.traffic_source_name IS 'The traffic source''s name. Source: funnelflux_traffic_sources.name. NULL: no traffic source, the source is not mirrored, or it has no name.';
COMMENT ON COLUMN lease_attribution.funnel_id IS 'The funnel. Source: funnelflux_daily_stats.funnel_id or funnelflux_lease_conversions.funnel_id. NULL: leases whose conversion report row gave no funnel.';
COMMENT ON COLUMN lease_attribution.funnel_name IS 'The funnel''s name. Source: funnelflux_funnels.name. NULL: no funnel, the funnel is not mirrored, or it has no name.';
COMMENT ON COLUMN lease_attribution.entrances IS 'Visitors entering the funnel from the source that day. Unit: visits. Source: funnelflux_daily_stats.entrances; 0 when the day has leases but no live stats row (e.g. a day before the first one mirrored).';
COMMENT ON COLUMN lease_attribution.leases IS 'Confirmed lease conversions of hits that entered the funnel from the traffic source that day (whenever the lease was signed): distinct RentEngine prospects whose conversion a report pull showed applied. Unit: leases. Source: computed, funnelflux_lease_conversions.';
COMMENT ON COLUMN lease_attribution.cost IS 'Traffic cost of the day. Unit: the FunnelFlux account''s currency. Source: funnelflux_daily_stats.cost; 0 when the day has leases but no live stats row (e.g. a day before the first one mirrored).';
COMMENT ON COLUMN lease_attribution.cost_per_lease IS 'cost divided by leases: what the day''s traffic from the source into the funnel cost per lease it brought. Unit: the FunnelFlux account''s currency per lease. Source: computed. NULL: no lease from that day''s traffic (yet).';

SELECT syncd_enable_tenant_rls('funnelflux_funnel_groups');
SELECT syncd_enable_tenant_rls('funnelflux_funnels');
SELECT syncd_enable_tenant_rls('funnelflux_traffic_sources');
SELECT syncd_enable_tenant_rls('funnelflux_daily_stats');
SELECT syncd_enable_tenant_rls('funnelflux_lease_conversions');

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
