-- +goose Up
-- The analysts' views, as on Postgres (see its 00007 for the comment convention and what each
-- view means; docs/SCHEMA.md documents both databases, since SQLite has no comments). The SQL
-- is the same but for the JSON functions (json_extract for ->>), the clock (julianday('now'))
-- and security_invoker, which SQLite has no need of: it has no roles. Booleans read from JSON
-- are 1/0 here. Only functions SQLite has had since 3.25 (window functions) are used, so an
-- analyst's older sqlite3 shell can read the views too.

-- Live rows of each mirrored table: the table's columns, tombstoned rows left out. SELECT * is
-- expanded when the view is created: a migration that adds a column to a mirrored table
-- recreates its view (CREATE OR REPLACE VIEW appends the column) and comments it.
CREATE VIEW rentengine_units_current AS
    SELECT * FROM rentengine_units WHERE deleted_at IS NULL;
CREATE VIEW rentengine_prospects_current AS
    SELECT * FROM rentengine_prospects WHERE deleted_at IS NULL;
CREATE VIEW rentengine_leasing_events_current AS
    SELECT * FROM rentengine_leasing_events WHERE deleted_at IS NULL;
CREATE VIEW funnel_communities_current AS
    SELECT * FROM funnel_communities WHERE deleted_at IS NULL;
CREATE VIEW funnel_prospects_current AS
    SELECT * FROM funnel_prospects WHERE deleted_at IS NULL;
CREATE VIEW funnel_renewals_current AS
    SELECT * FROM funnel_renewals WHERE deleted_at IS NULL;
CREATE VIEW funnel_appointments_current AS
    SELECT * FROM funnel_appointments WHERE deleted_at IS NULL;

-- One row per live RentEngine prospect. Events count when live and not marked deleted upstream.
-- The status-free event types are contract.NonStatusEventTypes (TestProspectJourneyStatus holds
-- the list to it). A prospect with any ambiguous link is ambiguous and joins no client, as the
-- pushes treat it. The score is the customer_score ledger row's last pushed value: the linked
-- client's (funnel-client:<id>), or for an unlinked prospect a blind one (contact:<key>, with
-- targets: all) under its own e-mail or phone or those of a prospect sharing one with it (the
-- person's key is one of them). The renewal is the linked client's with the latest lease end.
CREATE VIEW prospect_journey AS
WITH event_times AS (
    SELECT tenant_id, prospect_id, min(created_at) AS first_event_at,
           max(created_at) AS latest_event_at, count(*) AS event_count
    FROM rentengine_leasing_events
    WHERE deleted_at IS NULL AND (deleted IS NULL OR NOT deleted) AND prospect_id IS NOT NULL
    GROUP BY tenant_id, prospect_id
), status_events AS (
    SELECT tenant_id, prospect_id, event_type,
           row_number() OVER (PARTITION BY tenant_id, prospect_id ORDER BY created_at DESC, id DESC) AS n
    FROM rentengine_leasing_events
    WHERE deleted_at IS NULL AND (deleted IS NULL OR NOT deleted) AND prospect_id IS NOT NULL
      AND event_type IS NOT NULL
      AND event_type NOT IN ('Assign to User', 'Log Note', 'Blocklist Prospect', 'Unblock Prospect', 'Reassign Showing')
), assignments AS (
    SELECT tenant_id, prospect_id, assigned_user_id, created_at,
           row_number() OVER (PARTITION BY tenant_id, prospect_id ORDER BY created_at DESC, id DESC) AS n
    FROM rentengine_leasing_events
    WHERE deleted_at IS NULL AND (deleted IS NULL OR NOT deleted) AND prospect_id IS NOT NULL
      AND event_type = 'Assign to User'
), links AS (
    SELECT tenant_id, rentengine_prospect_id AS prospect_id, count(*) AS candidates,
           max(CASE WHEN status = 'ambiguous' THEN 1 ELSE 0 END) AS ambiguous,
           max(CASE WHEN status = 'linked' THEN funnel_client_id END) AS client_id,
           max(CASE WHEN status = 'linked' THEN matched_on END) AS matched_on
    FROM identity_links
    GROUP BY tenant_id, rentengine_prospect_id
), renewals AS (
    SELECT tenant_id, funnel_renter_id, id, status, lease_end,
           row_number() OVER (PARTITION BY tenant_id, funnel_renter_id ORDER BY lease_end IS NULL, lease_end DESC, id DESC) AS n
    FROM funnel_renewals
    WHERE deleted_at IS NULL AND funnel_renter_id IS NOT NULL
), contact_scores AS (
    -- Blind scores (contact:<key>) and the live prospects they can be for: those that own the
    -- key, and those sharing an e-mail or a phone with an owner. Driven by the ledger's contact
    -- rows, which most tenants have none of.
    SELECT p.tenant_id, p.id AS prospect_id, c.target_key,
           row_number() OVER (PARTITION BY p.tenant_id, p.id ORDER BY c.pushed_at DESC, c.target_key) AS n
    FROM push_ledger c
    JOIN rentengine_prospects q ON q.tenant_id = c.tenant_id AND q.deleted_at IS NULL
        AND (q.email_normalized = substr(c.target_key, 9) OR q.phone_e164 = substr(c.target_key, 9))
    JOIN rentengine_prospects p ON p.tenant_id = q.tenant_id AND p.deleted_at IS NULL
        AND (p.email_normalized = q.email_normalized OR p.phone_e164 = q.phone_e164)
    WHERE c.kind = 'customer_score' AND c.target_key LIKE 'contact:%' AND c.pushed IS NOT NULL
), journey AS (
    SELECT p.tenant_id, p.id, p.name, p.source, p.created_at, p.unit_id, p.status AS record_status,
           CASE WHEN l.prospect_id IS NULL THEN 'none' WHEN l.ambiguous = 1 THEN 'ambiguous' ELSE 'linked' END AS link_status,
           coalesce(l.candidates, 0) AS candidates,
           CASE WHEN l.ambiguous = 0 THEN l.matched_on END AS matched_on,
           CASE WHEN l.ambiguous = 0 THEN l.client_id END AS client_id,
           CASE
               WHEN l.ambiguous = 0 THEN 'funnel-client:' || CAST(l.client_id AS text)
               WHEN l.prospect_id IS NULL THEN cs.target_key
           END AS score_target
    FROM rentengine_prospects p
    LEFT JOIN links l ON l.tenant_id = p.tenant_id AND l.prospect_id = p.id
    LEFT JOIN contact_scores cs ON cs.tenant_id = p.tenant_id AND cs.prospect_id = p.id AND cs.n = 1
    WHERE p.deleted_at IS NULL
)
SELECT j.tenant_id,
       j.id AS prospect_id,
       j.name,
       j.source,
       j.created_at,
       j.unit_id,
       u.formatted_address AS unit_address,
       u.unit_number,
       coalesce(j.record_status, se.event_type) AS status,
       CASE WHEN j.record_status IS NOT NULL THEN 'prospect'
            WHEN se.event_type IS NOT NULL THEN 'leasing_events' END AS status_from,
       et.first_event_at,
       et.latest_event_at,
       coalesce(et.event_count, 0) AS event_count,
       j.link_status,
       j.candidates AS link_candidates,
       j.matched_on,
       j.client_id AS funnel_client_id,
       f.community_id AS funnel_community_id,
       f.status AS funnel_status,
       f.agent_email AS funnel_agent_email,
       s.target_key AS score_target,
       CAST(json_extract(s.pushed, '$.score_value') AS INTEGER) AS pushed_score,
       s.pushed_at AS score_pushed_at,
       a.assigned_user_id AS assignee_user_id,
       a.created_at AS assigned_at,
       r.id AS renewal_id,
       r.status AS renewal_status,
       r.lease_end AS renewal_lease_end
FROM journey j
LEFT JOIN rentengine_units u ON u.tenant_id = j.tenant_id AND u.id = j.unit_id AND u.deleted_at IS NULL
LEFT JOIN status_events se ON se.tenant_id = j.tenant_id AND se.prospect_id = j.id AND se.n = 1
LEFT JOIN event_times et ON et.tenant_id = j.tenant_id AND et.prospect_id = j.id
LEFT JOIN funnel_prospects f ON f.tenant_id = j.tenant_id AND f.id = j.client_id AND f.deleted_at IS NULL
LEFT JOIN push_ledger s ON s.tenant_id = j.tenant_id AND s.kind = 'customer_score'
    AND s.target_key = j.score_target AND s.pushed IS NOT NULL
LEFT JOIN assignments a ON a.tenant_id = j.tenant_id AND a.prospect_id = j.id AND a.n = 1
LEFT JOIN renewals r ON r.tenant_id = j.tenant_id AND r.funnel_renter_id = j.client_id AND r.n = 1;

-- Live renewals with the renewal card last pushed for them (push_ledger kind renewal_status,
-- target <community>/<renter>/<unit>, as internal/push plans it).
CREATE VIEW renewal_pipeline AS
SELECT r.tenant_id,
       r.id AS renewal_id,
       r.community_id,
       c.name AS community_name,
       r.funnel_renter_id,
       f.first_name AS renter_first_name,
       f.last_name AS renter_last_name,
       r.funnel_unit_id,
       r.unit_number,
       r.lease_start,
       r.lease_end,
       r.status,
       r.offer_rent,
       r.offer_expires_at,
       k.target_key AS card_target,
       k.state AS card_state,
       k.pushed AS card,
       json_extract(k.pushed, '$.renewal_header') AS card_header,
       json_extract(k.pushed, '$.renewal_card_status') AS card_shown,
       k.pushed_at AS card_pushed_at,
       k.last_error AS card_last_error
FROM funnel_renewals r
LEFT JOIN funnel_communities c ON c.tenant_id = r.tenant_id AND c.id = r.community_id AND c.deleted_at IS NULL
LEFT JOIN funnel_prospects f ON f.tenant_id = r.tenant_id AND f.id = r.funnel_renter_id AND f.deleted_at IS NULL
LEFT JOIN push_ledger k ON k.tenant_id = r.tenant_id AND k.kind = 'renewal_status'
    AND k.target_key = r.community_id || '/' || CAST(r.funnel_renter_id AS text) || '/' || CAST(r.funnel_unit_id AS text)
WHERE r.deleted_at IS NULL;

-- The latest run of each tenant's job (by id: a job's runs are serialised, so ids follow their
-- starts), and when the job last succeeded.
CREATE VIEW sync_health AS
WITH latest AS (
    SELECT tenant_id, job, max(id) AS id,
           max(CASE WHEN status = 'succeeded' THEN finished_at END) AS last_succeeded_at
    FROM sync_runs
    GROUP BY tenant_id, job
)
SELECT r.tenant_id,
       r.job,
       r.run_id,
       r.status,
       r.started_at,
       r.finished_at,
       CAST((julianday('now') - julianday(coalesce(r.finished_at, r.started_at))) * 86400 AS INTEGER) AS age_seconds,
       l.last_succeeded_at,
       r.pages,
       r.fetched,
       r.inserted,
       r.updated,
       r.unchanged,
       r.deleted,
       r.bad_records,
       r.retries,
       r.error
FROM latest l
JOIN sync_runs r ON r.id = l.id;

-- +goose Down
DROP VIEW sync_health;
DROP VIEW renewal_pipeline;
DROP VIEW prospect_journey;
DROP VIEW funnel_appointments_current;
DROP VIEW funnel_renewals_current;
DROP VIEW funnel_prospects_current;
DROP VIEW funnel_communities_current;
DROP VIEW rentengine_leasing_events_current;
DROP VIEW rentengine_prospects_current;
DROP VIEW rentengine_units_current;
