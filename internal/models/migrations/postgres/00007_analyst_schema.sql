-- +goose Up
-- The analysts' schema: every table, view and column documented in the database itself
-- (\d+ in psql, and every BI tool, shows the comments), and views for the common questions.
--
-- The comment convention, which every later migration follows (TestSchemaComments fails on a
-- table, view or column without a comment):
--   - A migration that creates a table or view comments it and each of its columns in the same
--     migration, one plain statement each, on one line:
--         COMMENT ON TABLE t IS '...';      COMMENT ON COLUMN t.c IS '...';
--         COMMENT ON VIEW v IS '...';       COMMENT ON COLUMN v.c IS '...';
--     One that adds a column comments it; one that changes a meaning comments it again (the
--     latest comment wins).
--   - A column comment says what the value means and its unit where it has one; "Source:" the
--     upstream field it comes from (RentEngine unit target_rental_rate), the table column a view
--     reads, syncd (computed by syncd) or computed (by the view); and, for a column that can be
--     NULL, "NULL:" what NULL means. A table or view comment says what one row is and where to
--     look next.
--   - Plain text: quotes doubled (''), no line breaks, since docs/SCHEMA.md puts each comment in a
--     table cell.
--   - A migration that adds a column to a mirrored table recreates its _current view (CREATE OR
--     REPLACE VIEW ... AS SELECT * appends it) and gives the view's column the table column's
--     comment (TestSchemaComments holds them equal).
--   - docs/SCHEMA.md is generated from the migrated schema: run `go generate ./internal/models`
--     after changing a migration (TestSchemaDoc fails while it is out of date).
-- SQLite has no comments; its 00007 creates the same views, and docs/SCHEMA.md covers both.
--
-- Views are security_invoker, so that row-level security on the tables they read applies to
-- whoever queries the view, not to the view's owner. That option needs PostgreSQL 15 or later,
-- which syncd therefore requires.

-- +goose StatementBegin
DO $$
BEGIN
    IF current_setting('server_version_num')::integer < 150000 THEN
        RAISE EXCEPTION 'syncd needs PostgreSQL 15 or later (its views are security_invoker); this server is %',
            current_setting('server_version');
    END IF;
END
$$;
-- +goose StatementEnd

-- RentEngine.
COMMENT ON TABLE rentengine_units IS 'Mirror of RentEngine units (GET /units): one row per tenant and unit id, tombstoned rows included. Live rows only: rentengine_units_current.';
COMMENT ON COLUMN rentengine_units.tenant_id IS 'The tenant (a property-management company): its id in the syncd config. Part of every primary key: always filter or join on it. Source: syncd config.';
COMMENT ON COLUMN rentengine_units.id IS 'RentEngine unit id. Source: RentEngine unit id (a number, or a number sent as a string).';
COMMENT ON COLUMN rentengine_units.account_id IS 'RentEngine account the unit belongs to. Source: RentEngine unit account_id. NULL: not sent.';
COMMENT ON COLUMN rentengine_units.status IS 'Unit status, as RentEngine sends it. Source: RentEngine unit status. NULL: not sent.';
COMMENT ON COLUMN rentengine_units.property_type IS 'Property type, as RentEngine sends it. Source: RentEngine unit property_type. NULL: not sent.';
COMMENT ON COLUMN rentengine_units.address_id IS 'RentEngine address id. Source: RentEngine unit address.id (or address itself when it is a number). NULL: no address, or an address without an id.';
COMMENT ON COLUMN rentengine_units.formatted_address IS 'The address on one line. Source: RentEngine unit address.formatted_address (or address itself when it is a string). NULL: not sent.';
COMMENT ON COLUMN rentengine_units.unit_number IS 'Unit number within the building. Source: RentEngine unit address.unit. NULL: not sent (a single-family home has none).';
COMMENT ON COLUMN rentengine_units.city IS 'City. Source: RentEngine unit address.city. NULL: not sent.';
COMMENT ON COLUMN rentengine_units.state IS 'State, as sent (usually the two-letter code). Source: RentEngine unit address.state. NULL: not sent.';
COMMENT ON COLUMN rentengine_units.zip_code IS 'ZIP code, as text. Source: RentEngine unit address.zip_code. NULL: not sent.';
COMMENT ON COLUMN rentengine_units.bedrooms IS 'Number of bedrooms. Source: RentEngine unit bedrooms. NULL: not sent, or not a number.';
COMMENT ON COLUMN rentengine_units.bathrooms IS 'Number of bathrooms, as sent (may be fractional). Source: RentEngine unit bathrooms. NULL: not sent, or not a number.';
COMMENT ON COLUMN rentengine_units.sqft IS 'Floor area. Unit: square feet. Source: RentEngine unit sqft. NULL: not sent, or not a number.';
COMMENT ON COLUMN rentengine_units.rent IS 'Target rental rate (the asking rent). Unit: US dollars per month. Source: RentEngine unit target_rental_rate. NULL: not sent, or not a number.';
COMMENT ON COLUMN rentengine_units.is_occupied IS 'Whether the unit is occupied. Source: RentEngine unit is_occupied. NULL: not sent, or not a boolean.';
COMMENT ON COLUMN rentengine_units.created_at IS 'When the unit was created in RentEngine (UTC, upstream clock). Source: RentEngine unit created_at. NULL: not sent, or not a time.';
COMMENT ON COLUMN rentengine_units.updated_at IS 'When the unit last changed in RentEngine (UTC, upstream clock). Source: RentEngine unit updated_at. NULL: not sent, or not a time.';
COMMENT ON COLUMN rentengine_units.raw IS 'The record exactly as RentEngine sent it, every field included (jsonb; text on SQLite): raw->>''field'' reads a field without a typed column. Source: the whole record.';
COMMENT ON COLUMN rentengine_units.content_hash IS 'Hash of raw (SHA-256, first 128 bits in hex, of the JSON without insignificant whitespace): a record fetched with the same hash is not rewritten. Source: syncd.';
COMMENT ON COLUMN rentengine_units.first_seen_at IS 'When syncd first stored the record (UTC). Source: syncd.';
COMMENT ON COLUMN rentengine_units.synced_at IS 'When syncd last wrote the row (UTC): its content changed, or it was tombstoned or came back. Source: syncd.';
COMMENT ON COLUMN rentengine_units.deleted_at IS 'Tombstone: when syncd found the record deleted upstream (UTC): a complete pull no longer returned it, or a webhook DELETE arrived. Cleared when the record comes back. Source: syncd. NULL: the record is live.';
COMMENT ON COLUMN rentengine_units.deleted_version IS 'On a row tombstoned by a webhook DELETE, the updated_at that DELETE carried (upstream clock); later deliveries are ordered against it. Source: the DELETE delivery. NULL: the row is live, or a pull tombstoned it.';

COMMENT ON TABLE rentengine_prospects IS 'Mirror of RentEngine prospects (GET /prospects): one row per tenant and prospect id, tombstoned rows included. A prospect is one person''s interest in one unit, so one person can be several prospects (sharing a phone). Live rows only: rentengine_prospects_current; with events, Funnel client, score and assignee: prospect_journey.';
COMMENT ON COLUMN rentengine_prospects.tenant_id IS 'The tenant (a property-management company): its id in the syncd config. Part of every primary key: always filter or join on it. Source: syncd config.';
COMMENT ON COLUMN rentengine_prospects.id IS 'RentEngine prospect id. Source: RentEngine prospect id (a number, or a number sent as a string).';
COMMENT ON COLUMN rentengine_prospects.name IS 'The person''s name, as sent. Source: RentEngine prospect name. NULL: not sent.';
COMMENT ON COLUMN rentengine_prospects.email IS 'E-mail address, as sent. Source: RentEngine prospect email. NULL: not sent.';
COMMENT ON COLUMN rentengine_prospects.phone IS 'Phone number, as sent. Source: RentEngine prospect phone. NULL: not sent.';
COMMENT ON COLUMN rentengine_prospects.status IS 'The prospect''s stage as RentEngine sends it: the type of its latest status-changing leasing event (New, Showing Scheduled, Lease Signed, ...). Source: RentEngine prospect status. NULL: not sent (prospect_journey.status then derives it from the leasing events).';
COMMENT ON COLUMN rentengine_prospects.source IS 'Lead source: where the prospect came from, as sent. Source: RentEngine prospect source. NULL: not sent.';
COMMENT ON COLUMN rentengine_prospects.unit_id IS 'The unit of interest (rentengine_units.id). Source: RentEngine prospect unit_of_interest. NULL: none given.';
COMMENT ON COLUMN rentengine_prospects.email_normalized IS 'email trimmed and lower-cased: the key identity links match on. Source: syncd, from email. NULL: no e-mail.';
COMMENT ON COLUMN rentengine_prospects.phone_e164 IS 'phone in E.164 form (+15551234567; default region US): the key identity links match on. Source: syncd, from phone. NULL: no phone, or not a valid number.';
COMMENT ON COLUMN rentengine_prospects.created_at IS 'When the prospect was created in RentEngine (UTC, upstream clock). Source: RentEngine prospect created_at. NULL: not sent, or not a time.';
COMMENT ON COLUMN rentengine_prospects.updated_at IS 'When the prospect last changed in RentEngine (UTC, upstream clock). Source: RentEngine prospect updated_at. NULL: not sent, or not a time.';
COMMENT ON COLUMN rentengine_prospects.raw IS 'The record exactly as RentEngine sent it, every field included (jsonb; text on SQLite): raw->>''field'' reads a field without a typed column. Source: the whole record.';
COMMENT ON COLUMN rentengine_prospects.content_hash IS 'Hash of raw (SHA-256, first 128 bits in hex, of the JSON without insignificant whitespace): a record fetched with the same hash is not rewritten. Source: syncd.';
COMMENT ON COLUMN rentengine_prospects.first_seen_at IS 'When syncd first stored the record (UTC). Source: syncd.';
COMMENT ON COLUMN rentengine_prospects.synced_at IS 'When syncd last wrote the row (UTC): its content changed, or it was tombstoned or came back. Source: syncd.';
COMMENT ON COLUMN rentengine_prospects.deleted_at IS 'Tombstone: when syncd found the record deleted upstream (UTC): a complete pull no longer returned it, or a webhook DELETE arrived. Cleared when the record comes back. Source: syncd. NULL: the record is live.';
COMMENT ON COLUMN rentengine_prospects.deleted_version IS 'On a row tombstoned by a webhook DELETE, the updated_at that DELETE carried (upstream clock); later deliveries are ordered against it. Source: the DELETE delivery. NULL: the row is live, or a pull tombstoned it.';

COMMENT ON TABLE rentengine_leasing_events IS 'Mirror of RentEngine leasing events (GET /leasing_events): one row per tenant and event id, tombstoned rows included. Each event is a step in a prospect''s history; its type is a stage (which becomes the prospect''s status) or an action (Assign to User, Log Note, Blocklist Prospect, Unblock Prospect, Reassign Showing). Live rows only: rentengine_leasing_events_current.';
COMMENT ON COLUMN rentengine_leasing_events.tenant_id IS 'The tenant (a property-management company): its id in the syncd config. Part of every primary key: always filter or join on it. Source: syncd config.';
COMMENT ON COLUMN rentengine_leasing_events.id IS 'RentEngine leasing event id. Source: RentEngine leasing event id (a number, or a number sent as a string).';
COMMENT ON COLUMN rentengine_leasing_events.prospect_id IS 'The prospect (rentengine_prospects.id). Source: RentEngine leasing event prospect (or prospect_id). NULL: not sent.';
COMMENT ON COLUMN rentengine_leasing_events.unit_id IS 'The unit (rentengine_units.id). Source: RentEngine leasing event unit. NULL: not sent.';
COMMENT ON COLUMN rentengine_leasing_events.event_type IS 'Event type, spelled as RentEngine sends it (Showing Scheduled, Application Received, Assign to User, ...; types RentEngine adds later included). Source: RentEngine leasing event event_type. NULL: not sent.';
COMMENT ON COLUMN rentengine_leasing_events.source IS 'Where the event came from, as sent. Source: RentEngine leasing event source. NULL: not sent.';
COMMENT ON COLUMN rentengine_leasing_events.created_by IS 'Who created the event, as sent. Source: RentEngine leasing event created_by. NULL: not sent.';
COMMENT ON COLUMN rentengine_leasing_events.assigned_user_id IS 'On an Assign to User event, the RentEngine user the prospect was assigned to (the first one named). Source: RentEngine leasing event context.assignedToUserIds (a list, or a comma-separated string). NULL: another event type, or no user named.';
COMMENT ON COLUMN rentengine_leasing_events.deleted IS 'RentEngine''s own deleted flag on the event (unlike deleted_at, the row is still listed upstream); a deleted event never sets a status or an assignee. Source: RentEngine leasing event deleted. NULL: not sent.';
COMMENT ON COLUMN rentengine_leasing_events.created_at IS 'When the event happened (UTC, upstream clock). Source: RentEngine leasing event created_at. NULL: not sent, or not a time.';
COMMENT ON COLUMN rentengine_leasing_events.planned_at IS 'When a planned event (a showing) is to take place (UTC). Source: RentEngine leasing event planned_date_time. NULL: nothing planned, or not sent.';
COMMENT ON COLUMN rentengine_leasing_events.raw IS 'The record exactly as RentEngine sent it, every field included (jsonb; text on SQLite): raw->>''field'' reads a field without a typed column. Source: the whole record.';
COMMENT ON COLUMN rentengine_leasing_events.content_hash IS 'Hash of raw (SHA-256, first 128 bits in hex, of the JSON without insignificant whitespace): a record fetched with the same hash is not rewritten. Source: syncd.';
COMMENT ON COLUMN rentengine_leasing_events.first_seen_at IS 'When syncd first stored the record (UTC). Source: syncd.';
COMMENT ON COLUMN rentengine_leasing_events.synced_at IS 'When syncd last wrote the row (UTC): its content changed, or it was tombstoned or came back. Source: syncd.';
COMMENT ON COLUMN rentengine_leasing_events.deleted_at IS 'Tombstone: when syncd found the record deleted upstream (UTC): a complete pull no longer returned it, or a webhook DELETE arrived. Cleared when the record comes back. Source: syncd. NULL: the record is live.';
COMMENT ON COLUMN rentengine_leasing_events.deleted_version IS 'On a row tombstoned by a webhook DELETE, the updated_at that DELETE carried (upstream clock); later deliveries are ordered against it. Source: the DELETE delivery. NULL: the row is live, or a pull tombstoned it.';

-- Funnel.
COMMENT ON TABLE funnel_communities IS 'Mirror of the Funnel communities a tenant configures (GET /community/{id}/): one row per tenant and community, tombstoned rows included. Live rows only: funnel_communities_current.';
COMMENT ON COLUMN funnel_communities.tenant_id IS 'The tenant (a property-management company): its id in the syncd config. Part of every primary key: always filter or join on it. Source: syncd config.';
COMMENT ON COLUMN funnel_communities.id IS 'Funnel''s canonical community id, as text, whichever id form the tenant configured (1234, P1234-567, partner-id:abc). Source: Funnel community id.';
COMMENT ON COLUMN funnel_communities.name IS 'Community name. Source: Funnel community name. NULL: not sent.';
COMMENT ON COLUMN funnel_communities.syndication_id IS 'The community''s syndication id (another id form a tenant may configure). Source: Funnel community syndication_id. NULL: not sent.';
COMMENT ON COLUMN funnel_communities.address IS 'Street address. Source: Funnel community address. NULL: not sent.';
COMMENT ON COLUMN funnel_communities.city IS 'City. Source: Funnel community city. NULL: not sent.';
COMMENT ON COLUMN funnel_communities.state IS 'State, as sent. Source: Funnel community state. NULL: not sent.';
COMMENT ON COLUMN funnel_communities.postal_code IS 'Postal code, as text. Source: Funnel community postal_code. NULL: not sent.';
COMMENT ON COLUMN funnel_communities.timezone IS 'The community''s time zone (IANA name): appointment dates and times are local to it. Source: Funnel community timezone. NULL: not sent.';
COMMENT ON COLUMN funnel_communities.updated_at IS 'When the community last changed in Funnel (UTC, upstream clock). Source: Funnel community updated_at. NULL: not sent, or not a time.';
COMMENT ON COLUMN funnel_communities.raw IS 'The record exactly as Funnel sent it, every field included (jsonb; text on SQLite): raw->>''field'' reads a field without a typed column. Source: the whole record.';
COMMENT ON COLUMN funnel_communities.content_hash IS 'Hash of raw (SHA-256, first 128 bits in hex, of the JSON without insignificant whitespace): a record fetched with the same hash is not rewritten. Source: syncd.';
COMMENT ON COLUMN funnel_communities.first_seen_at IS 'When syncd first stored the record (UTC). Source: syncd.';
COMMENT ON COLUMN funnel_communities.synced_at IS 'When syncd last wrote the row (UTC): its content changed, or it was tombstoned or came back. Source: syncd.';
COMMENT ON COLUMN funnel_communities.deleted_at IS 'Tombstone: when syncd found the record gone upstream (UTC): a complete pull no longer returned it (a community removed from the config is tombstoned too). Cleared when the record comes back. Source: syncd. NULL: the record is live.';
COMMENT ON COLUMN funnel_communities.deleted_version IS 'Set only by a webhook DELETE, and Funnel sends none: always NULL here (kept so every mirror table has the same system columns). Source: syncd. NULL: always.';

COMMENT ON TABLE funnel_prospects IS 'Mirror of Funnel clients (guest cards) of each configured community (GET /community/{id}/prospects/): one row per tenant and client, tombstoned rows included. The typed contact columns are the primary person''s; every person and the agents list stay in raw (raw->''people''). Live rows only: funnel_prospects_current.';
COMMENT ON COLUMN funnel_prospects.tenant_id IS 'The tenant (a property-management company): its id in the syncd config. Part of every primary key: always filter or join on it. Source: syncd config.';
COMMENT ON COLUMN funnel_prospects.id IS 'Funnel client id (funnel_renter_id). Source: Funnel prospect funnel_renter_id.';
COMMENT ON COLUMN funnel_prospects.community_id IS 'The community the client was listed under (funnel_communities.id): the canonical id, or the id as configured while the community''s own details could never be fetched. Source: the community syncd listed the client under.';
COMMENT ON COLUMN funnel_prospects.status IS 'Client status, as Funnel sends it; clients with Client Merged or Client Deleted take no part in identity links. Source: Funnel prospect status. NULL: not sent.';
COMMENT ON COLUMN funnel_prospects.lead_source IS 'Lead source, as sent. Source: Funnel prospect lead_source. NULL: not sent.';
COMMENT ON COLUMN funnel_prospects.move_in_date IS 'Desired move-in date (a date without time zone). Source: Funnel prospect move_in_date. NULL: not sent, or not a date.';
COMMENT ON COLUMN funnel_prospects.first_name IS 'The primary person''s first name. Source: Funnel prospect people[].first_name of the primary person (the one marked is_primary, else the first adult, else the first). NULL: no person, or not sent.';
COMMENT ON COLUMN funnel_prospects.last_name IS 'The primary person''s last name. Source: Funnel prospect people[].last_name of the primary person. NULL: no person, or not sent.';
COMMENT ON COLUMN funnel_prospects.email IS 'The primary person''s e-mail, as sent. Source: Funnel prospect people[].email of the primary person. NULL: no person, or not sent.';
COMMENT ON COLUMN funnel_prospects.phone IS 'The primary person''s phone, as sent. Source: Funnel prospect people[].phone_1 of the primary person, else phone_2. NULL: no person, or neither sent.';
COMMENT ON COLUMN funnel_prospects.email_normalized IS 'email trimmed and lower-cased (identity links also match the other people''s e-mails, read from raw). Source: syncd, from email. NULL: no e-mail.';
COMMENT ON COLUMN funnel_prospects.phone_e164 IS 'phone in E.164 form (+15551234567; default region US) (identity links also match the other people''s phones, read from raw). Source: syncd, from phone. NULL: no phone, or not a valid number.';
COMMENT ON COLUMN funnel_prospects.agent_email IS 'E-mail of the agent syncd treats as assigned: the first of the client''s agents. Source: Funnel prospect agents[0] (a string, or an object''s email). NULL: no agent.';
COMMENT ON COLUMN funnel_prospects.created_at IS 'When the client was created in Funnel (UTC, upstream clock). Source: Funnel prospect created_at. NULL: not sent, or not a time.';
COMMENT ON COLUMN funnel_prospects.updated_at IS 'When the client last changed in Funnel (UTC, upstream clock). Source: Funnel prospect updated_at. NULL: not sent, or not a time.';
COMMENT ON COLUMN funnel_prospects.raw IS 'The record exactly as Funnel sent it, every field included (jsonb; text on SQLite): raw->>''field'' reads a field without a typed column. Source: the whole record.';
COMMENT ON COLUMN funnel_prospects.content_hash IS 'Hash of raw (SHA-256, first 128 bits in hex, of the JSON without insignificant whitespace): a record fetched with the same hash is not rewritten. Source: syncd.';
COMMENT ON COLUMN funnel_prospects.first_seen_at IS 'When syncd first stored the record (UTC). Source: syncd.';
COMMENT ON COLUMN funnel_prospects.synced_at IS 'When syncd last wrote the row (UTC): its content changed, it was tombstoned or came back, or its community label changed. Source: syncd.';
COMMENT ON COLUMN funnel_prospects.deleted_at IS 'Tombstone: when syncd found the record gone upstream (UTC): a complete pull no longer returned it (the rows of a community removed from the config are tombstoned too). Cleared when the record comes back. Source: syncd. NULL: the record is live.';
COMMENT ON COLUMN funnel_prospects.deleted_version IS 'Set only by a webhook DELETE, and Funnel sends none: always NULL here (kept so every mirror table has the same system columns). Source: syncd. NULL: always.';

COMMENT ON TABLE funnel_renewals IS 'Mirror of Funnel lease renewals of each configured community (GET /community/{id}/renewals/): one row per tenant and renewal, tombstoned rows included. Live rows only: funnel_renewals_current; with the renewal card syncd pushed: renewal_pipeline.';
COMMENT ON COLUMN funnel_renewals.tenant_id IS 'The tenant (a property-management company): its id in the syncd config. Part of every primary key: always filter or join on it. Source: syncd config.';
COMMENT ON COLUMN funnel_renewals.id IS 'Funnel renewal id. Source: Funnel renewal id.';
COMMENT ON COLUMN funnel_renewals.community_id IS 'The community the renewal was listed under (funnel_communities.id): the canonical id, or the id as configured while the community''s own details could never be fetched. Source: the community syncd listed the renewal under.';
COMMENT ON COLUMN funnel_renewals.funnel_renter_id IS 'The Funnel client renewing (funnel_prospects.id). Source: Funnel renewal funnel_renter_id. NULL: not sent (no renewal card can be pushed).';
COMMENT ON COLUMN funnel_renewals.funnel_unit_id IS 'Funnel id of the leased unit. Source: Funnel renewal funnel_unit_id. NULL: not sent (no renewal card can be pushed).';
COMMENT ON COLUMN funnel_renewals.unit_number IS 'Unit number of the lease, as sent. Source: Funnel renewal unit_number. NULL: not sent.';
COMMENT ON COLUMN funnel_renewals.lease_start IS 'First day of the current lease (a date). Source: Funnel renewal lease_start. NULL: not sent, or not a date.';
COMMENT ON COLUMN funnel_renewals.lease_end IS 'Last day of the current lease (a date). Source: Funnel renewal lease_end. NULL: not sent, or not a date.';
COMMENT ON COLUMN funnel_renewals.status IS 'Renewal status as sent: not-started, offered, pending, signed, declined, notice-given, or a value outside that set. Source: Funnel renewal status. NULL: not sent, or empty.';
COMMENT ON COLUMN funnel_renewals.offer_rent IS 'Rent offered for the renewed lease. Unit: US dollars per month. Source: Funnel renewal offer_rent. NULL: no offer, or not a number.';
COMMENT ON COLUMN funnel_renewals.offer_expires_at IS 'When the renewal offer expires (UTC). Source: Funnel renewal offer_expires_at. NULL: no offer, or not sent.';
COMMENT ON COLUMN funnel_renewals.updated_at IS 'When the renewal last changed in Funnel (UTC, upstream clock). Source: Funnel renewal updated_at. NULL: not sent, or not a time.';
COMMENT ON COLUMN funnel_renewals.raw IS 'The record exactly as Funnel sent it, every field included (jsonb; text on SQLite): raw->>''field'' reads a field without a typed column. Source: the whole record.';
COMMENT ON COLUMN funnel_renewals.content_hash IS 'Hash of raw (SHA-256, first 128 bits in hex, of the JSON without insignificant whitespace): a record fetched with the same hash is not rewritten. Source: syncd.';
COMMENT ON COLUMN funnel_renewals.first_seen_at IS 'When syncd first stored the record (UTC). Source: syncd.';
COMMENT ON COLUMN funnel_renewals.synced_at IS 'When syncd last wrote the row (UTC): its content changed, it was tombstoned or came back, or its community label changed. Source: syncd.';
COMMENT ON COLUMN funnel_renewals.deleted_at IS 'Tombstone: when syncd found the record gone upstream (UTC): a complete pull no longer returned it (the rows of a community removed from the config are tombstoned too). Cleared when the record comes back. Source: syncd. NULL: the record is live.';
COMMENT ON COLUMN funnel_renewals.deleted_version IS 'Set only by a webhook DELETE, and Funnel sends none: always NULL here (kept so every mirror table has the same system columns). Source: syncd. NULL: always.';

COMMENT ON TABLE funnel_appointments IS 'Mirror of Funnel booked appointments (tours) of each configured community (GET /community/{id}/appointments/booked/): one row per tenant and appointment, tombstoned rows included. Live rows only: funnel_appointments_current.';
COMMENT ON COLUMN funnel_appointments.tenant_id IS 'The tenant (a property-management company): its id in the syncd config. Part of every primary key: always filter or join on it. Source: syncd config.';
COMMENT ON COLUMN funnel_appointments.id IS 'Funnel appointment id. Source: Funnel appointment id.';
COMMENT ON COLUMN funnel_appointments.community_id IS 'The community the appointment was listed under (funnel_communities.id): the canonical id, or the id as configured while the community''s own details could never be fetched. Source: the community syncd listed the appointment under.';
COMMENT ON COLUMN funnel_appointments.client_id IS 'The client the appointment is booked for (funnel_prospects.id). Source: Funnel appointment client.id. NULL: no client, or not sent.';
COMMENT ON COLUMN funnel_appointments.email IS 'The client''s e-mail, as sent. Source: Funnel appointment client.email. NULL: not sent.';
COMMENT ON COLUMN funnel_appointments.phone IS 'The client''s phone, as sent. Source: Funnel appointment client.phone. NULL: not sent.';
COMMENT ON COLUMN funnel_appointments.agent_email IS 'E-mail of the agent the appointment is assigned to. Source: Funnel appointment agent.email. NULL: no agent, or not sent.';
COMMENT ON COLUMN funnel_appointments.agent_name IS 'Name of the agent the appointment is assigned to; Unassigned when none. Source: Funnel appointment agent.name. NULL: not sent.';
COMMENT ON COLUMN funnel_appointments.appointment_date IS 'Day of the appointment: a date in the community''s time zone (funnel_communities.timezone). Source: Funnel appointment date. NULL: not sent, or not a date.';
COMMENT ON COLUMN funnel_appointments.appointment_time IS 'Time of the appointment, HH:MM, local to the community (funnel_communities.timezone). Source: Funnel appointment time. NULL: not sent.';
COMMENT ON COLUMN funnel_appointments.raw IS 'The record exactly as Funnel sent it, every field included (jsonb; text on SQLite): raw->>''field'' reads a field without a typed column. Source: the whole record.';
COMMENT ON COLUMN funnel_appointments.content_hash IS 'Hash of raw (SHA-256, first 128 bits in hex, of the JSON without insignificant whitespace): a record fetched with the same hash is not rewritten. Source: syncd.';
COMMENT ON COLUMN funnel_appointments.first_seen_at IS 'When syncd first stored the record (UTC). Source: syncd.';
COMMENT ON COLUMN funnel_appointments.synced_at IS 'When syncd last wrote the row (UTC): its content changed, it was tombstoned or came back, or its community label changed. Source: syncd.';
COMMENT ON COLUMN funnel_appointments.deleted_at IS 'Tombstone: when syncd found the record gone upstream (UTC): a complete pull no longer returned it (the rows of a community removed from the config are tombstoned too). Cleared when the record comes back. Source: syncd. NULL: the record is live.';
COMMENT ON COLUMN funnel_appointments.deleted_version IS 'Set only by a webhook DELETE, and Funnel sends none: always NULL here (kept so every mirror table has the same system columns). Source: syncd. NULL: always.';

-- Derived by syncd.
COMMENT ON TABLE identity_links IS 'Which RentEngine prospect is which Funnel client, derived by syncd (not mirrored) after every pull by matching e-mails and phones against every person of each live Funnel client (merged and deleted clients left out). One row per prospect and candidate client: a prospect matching several clients has one ambiguous row per candidate, and none of them is used. Per prospect, with the client joined: prospect_journey.';
COMMENT ON COLUMN identity_links.tenant_id IS 'The tenant (a property-management company): its id in the syncd config. Source: syncd config.';
COMMENT ON COLUMN identity_links.rentengine_prospect_id IS 'The RentEngine prospect (rentengine_prospects.id). Source: syncd.';
COMMENT ON COLUMN identity_links.funnel_client_id IS 'The Funnel client (funnel_prospects.id) the prospect is, or (ambiguous) may be. Source: syncd.';
COMMENT ON COLUMN identity_links.matched_on IS 'What matched: email (trimmed, lower case), phone (E.164) or both. Source: syncd.';
COMMENT ON COLUMN identity_links.status IS 'linked: the one client the prospect is (pushes use it); ambiguous: one of several candidate clients (nothing uses it). Source: syncd.';
COMMENT ON COLUMN identity_links.computed_at IS 'When the link took its current matched_on and status (UTC); an unchanged link keeps it. Source: syncd.';

-- syncd's own bookkeeping.
COMMENT ON TABLE sync_runs IS 'One row per run of a tenant''s job (rentengine and funnel pull, push sends): when it ran, its outcome and its counts. The latest run per tenant and job: sync_health.';
COMMENT ON COLUMN sync_runs.id IS 'Row number, in the order the runs started. Source: syncd.';
COMMENT ON COLUMN sync_runs.run_id IS 'The run''s id: in every log line of the run, and in push_attempts.run_id and bad_records.run_id. Source: syncd.';
COMMENT ON COLUMN sync_runs.tenant_id IS 'The tenant (a property-management company): its id in the syncd config. Source: syncd config.';
COMMENT ON COLUMN sync_runs.job IS 'The job: rentengine (pulls units, prospects, leasing events), funnel (pulls communities, prospects, renewals, appointments) or push (sends scores, assignments and renewal cards). Source: syncd.';
COMMENT ON COLUMN sync_runs.started_at IS 'When the run started (UTC). Source: syncd.';
COMMENT ON COLUMN sync_runs.finished_at IS 'When the run ended (UTC). Source: syncd. NULL: still running, or its process died (status running or abandoned).';
COMMENT ON COLUMN sync_runs.status IS 'Outcome: running, succeeded, failed, held (the mass-delete guard kept a resource from tombstoning; details.held_deletes), partial (a resource was unavailable upstream and left as it was; details.unavailable) or abandoned (its process died). failed > held > partial when several apply. Source: syncd.';
COMMENT ON COLUMN sync_runs.pages IS 'Pages read from the upstream; 0 for a push run. Source: syncd.';
COMMENT ON COLUMN sync_runs.fetched IS 'Records fetched; 0 for a push run. Source: syncd.';
COMMENT ON COLUMN sync_runs.inserted IS 'Records new to the mirror; 0 for a push run. Source: syncd.';
COMMENT ON COLUMN sync_runs.updated IS 'Records whose content changed, rewritten; 0 for a push run. Source: syncd.';
COMMENT ON COLUMN sync_runs.unchanged IS 'Records fetched with an unchanged content hash, not rewritten; 0 for a push run. Source: syncd.';
COMMENT ON COLUMN sync_runs.deleted IS 'Rows tombstoned; 0 for a push run. Source: syncd.';
COMMENT ON COLUMN sync_runs.bad_records IS 'Records that could not be decoded or stored (logged and skipped, or quarantined in bad_records); their stored rows are never tombstoned for it. Source: syncd.';
COMMENT ON COLUMN sync_runs.retries IS 'Upstream calls retried (network errors, 429, 5xx). Source: syncd.';
COMMENT ON COLUMN sync_runs.error IS 'Why the run did not succeed (credentials scrubbed; NUL and invalid UTF-8 replaced by U+FFFD). Source: syncd. NULL: succeeded, or still running.';
COMMENT ON COLUMN sync_runs.details IS 'Per-resource counts and notes, JSON (jsonb; text on SQLite): resources, quarantined, filtered, held_deletes, unavailable and kept_current_by_webhooks, communities (a funnel run), push (a push run). Source: syncd. NULL: still running, or nothing to record (a run that stopped before its first resource).';
COMMENT ON COLUMN sync_runs.host IS 'Names the process that ran the run, for people (host name). Source: syncd.';
COMMENT ON COLUMN sync_runs.process IS 'Identifies the process that ran the run (host/boot id/pid/start ticks), so a later run can tell whether it is gone; empty for runs recorded before migration 00006. Source: syncd.';

COMMENT ON TABLE schedule_claims IS 'One row per scheduled tick of a tenant''s job that a daemon replica ran, so that a replica whose clock lags cannot run the tick again. No tenant data; rows older than a day are pruned. SQLite (one process) keeps it for schema parity.';
COMMENT ON COLUMN schedule_claims.tenant_id IS 'The tenant (its id in the syncd config). Source: syncd config.';
COMMENT ON COLUMN schedule_claims.job IS 'The job: rentengine, funnel or push. Source: syncd.';
COMMENT ON COLUMN schedule_claims.scheduled_at IS 'The tick claimed (UTC). Source: syncd.';
COMMENT ON COLUMN schedule_claims.host IS 'The replica that claimed it (host name). Source: syncd.';
COMMENT ON COLUMN schedule_claims.claimed_at IS 'When it was claimed (UTC). Source: syncd.';

COMMENT ON TABLE push_ledger IS 'The state of every push target: what syncd wants upstream, what it last pushed successfully, and how the last attempt went. One row per tenant, kind and target; the intent is written before each call and the outcome after, so a crash never loses or repeats a push blindly.';
COMMENT ON COLUMN push_ledger.tenant_id IS 'The tenant (a property-management company): its id in the syncd config. Source: syncd config.';
COMMENT ON COLUMN push_ledger.kind IS 'What is pushed: customer_score (to Funnel), assignment (to RentEngine) or renewal_status (a renewal card, to Funnel). Source: syncd.';
COMMENT ON COLUMN push_ledger.target_key IS 'What the push is for: funnel-client:<id> or, with targets: all, contact:<e-mail or phone> (customer_score); prospect:<id> (assignment); <community>/<renter>/<unit> (renewal_status). Source: syncd.';
COMMENT ON COLUMN push_ledger.desired IS 'The payload syncd wants upstream now, JSON (volatile fields left out; jsonb; text on SQLite). Source: syncd. NULL: not recorded.';
COMMENT ON COLUMN push_ledger.desired_hash IS 'Hash of desired, compared with pushed_hash. Source: syncd.';
COMMENT ON COLUMN push_ledger.pushed_hash IS 'Hash of the payload last pushed successfully. Source: syncd. NULL: never pushed successfully.';
COMMENT ON COLUMN push_ledger.pushed IS 'The payload last pushed successfully, JSON: {score_name, score_value, maximum_score, email, phone} for a customer score; {prospect_id, user_id, apply_in_bulk} for an assignment; the card fields (renewal_header, renewal_card_status, ...) for a renewal card. Source: syncd. NULL: never pushed successfully.';
COMMENT ON COLUMN push_ledger.state IS 'planned (intent written, outcome not known yet), pushed, failed, or unmatched (the upstream has no such client or lease; retried only when the payload changes). Source: syncd.';
COMMENT ON COLUMN push_ledger.attempts IS 'Calls made for this target so far. Source: syncd.';
COMMENT ON COLUMN push_ledger.last_status IS 'HTTP status of the last attempt. Source: the upstream''s answer. NULL: no answer (network error), or no attempt finished yet.';
COMMENT ON COLUMN push_ledger.last_error IS 'Why the last attempt failed (credentials scrubbed; an unexpected answer''s status, content type and body excerpt). Source: syncd. NULL: the last attempt succeeded, or has not finished.';
COMMENT ON COLUMN push_ledger.intent_at IS 'When the latest attempt was written, before its call (UTC). Source: syncd. NULL: no attempt yet.';
COMMENT ON COLUMN push_ledger.pushed_at IS 'When the payload in pushed landed (UTC). Source: syncd. NULL: never pushed successfully.';
COMMENT ON COLUMN push_ledger.created_at IS 'When syncd created the row (UTC). Source: syncd.';
COMMENT ON COLUMN push_ledger.updated_at IS 'When syncd last changed the row (UTC). Source: syncd.';

COMMENT ON TABLE push_attempts IS 'Every push call, for audit: one row per call, with the payload as sent and the answer.';
COMMENT ON COLUMN push_attempts.id IS 'Row number, in the order of the calls. Source: syncd.';
COMMENT ON COLUMN push_attempts.tenant_id IS 'The tenant (a property-management company): its id in the syncd config. Source: syncd config.';
COMMENT ON COLUMN push_attempts.kind IS 'What was pushed: customer_score, assignment or renewal_status (as in push_ledger). Source: syncd.';
COMMENT ON COLUMN push_attempts.target_key IS 'The target (push_ledger.target_key). Source: syncd.';
COMMENT ON COLUMN push_attempts.run_id IS 'The push run that made the call (sync_runs.run_id). Source: syncd.';
COMMENT ON COLUMN push_attempts.attempted_at IS 'When the call was made (UTC). Source: syncd.';
COMMENT ON COLUMN push_attempts.payload IS 'The request body as sent, JSON (jsonb; text on SQLite). Source: syncd. NULL: not recorded.';
COMMENT ON COLUMN push_attempts.status_code IS 'HTTP status of the answer. Source: the upstream''s answer. NULL: no answer (network error, timeout).';
COMMENT ON COLUMN push_attempts.outcome IS 'pushed, failed, unverified (answered 2xx without the documented answer, so the write may or may not have landed; the ledger records a failure) or unmatched (no such client or lease). Source: syncd.';
COMMENT ON COLUMN push_attempts.error IS 'Why the call failed (credentials scrubbed). Source: syncd. NULL: pushed.';
COMMENT ON COLUMN push_attempts.response IS 'The decoded answer of a pushed call; for an unverified one, what came back instead: {content_type, body} (an excerpt, credentials scrubbed). JSON (jsonb; text on SQLite). Source: the upstream''s answer. NULL: no answer worth keeping (a failed call).';

COMMENT ON TABLE bad_records IS 'Quarantine: records an upstream sent (in a pull or a webhook) that the mirror cannot store as received (\u0000, unpaired UTF-16 surrogates, invalid UTF-8, a value the database refuses). One row per tenant, mirror table and record id, refreshed each time the record is refused again; the record''s mirror row, if any, is kept as it was and never tombstoned for it.';
COMMENT ON COLUMN bad_records.tenant_id IS 'The tenant (a property-management company): its id in the syncd config. Source: syncd config.';
COMMENT ON COLUMN bad_records.table_name IS 'The mirror table the record was for (rentengine_units, funnel_prospects, ...). Source: syncd.';
COMMENT ON COLUMN bad_records.record_id IS 'The record''s id, as text. Source: the record''s id field (funnel_renter_id for a Funnel client).';
COMMENT ON COLUMN bad_records.reason IS 'Why the record was refused (at most 1000 characters). Source: syncd.';
COMMENT ON COLUMN bad_records.raw IS 'The record''s bytes exactly as received, base64 (standard encoding; decode(raw, ''base64'') on Postgres). Source: the whole record.';
COMMENT ON COLUMN bad_records.source IS 'How the record arrived: pull or webhook. Source: syncd.';
COMMENT ON COLUMN bad_records.run_id IS 'The pull that last refused it (sync_runs.run_id). Source: syncd. NULL: a webhook delivery last refused it.';
COMMENT ON COLUMN bad_records.first_seen_at IS 'When the record was first refused (UTC). Source: syncd.';
COMMENT ON COLUMN bad_records.last_seen_at IS 'When the record was last refused (UTC); once fixed upstream it lands in the mirror and this stops moving. Source: syncd.';
COMMENT ON COLUMN bad_records.times_seen IS 'How many times the record was refused. Source: syncd.';

-- Views.

-- Live rows of each mirrored table: the table's columns, tombstoned rows left out. SELECT * is
-- expanded when the view is created: a migration that adds a column to a mirrored table
-- recreates its view (CREATE OR REPLACE VIEW appends the column) and comments it.
CREATE VIEW rentengine_units_current WITH (security_invoker = true) AS
    SELECT * FROM rentengine_units WHERE deleted_at IS NULL;
CREATE VIEW rentengine_prospects_current WITH (security_invoker = true) AS
    SELECT * FROM rentengine_prospects WHERE deleted_at IS NULL;
CREATE VIEW rentengine_leasing_events_current WITH (security_invoker = true) AS
    SELECT * FROM rentengine_leasing_events WHERE deleted_at IS NULL;
CREATE VIEW funnel_communities_current WITH (security_invoker = true) AS
    SELECT * FROM funnel_communities WHERE deleted_at IS NULL;
CREATE VIEW funnel_prospects_current WITH (security_invoker = true) AS
    SELECT * FROM funnel_prospects WHERE deleted_at IS NULL;
CREATE VIEW funnel_renewals_current WITH (security_invoker = true) AS
    SELECT * FROM funnel_renewals WHERE deleted_at IS NULL;
CREATE VIEW funnel_appointments_current WITH (security_invoker = true) AS
    SELECT * FROM funnel_appointments WHERE deleted_at IS NULL;

-- One row per live RentEngine prospect. Events count when live and not marked deleted upstream.
-- The status-free event types are contract.NonStatusEventTypes (TestProspectJourneyStatus holds
-- the list to it). A prospect with any ambiguous link is ambiguous and joins no client, as the
-- pushes treat it. The score is the customer_score ledger row's last pushed value: the linked
-- client's (funnel-client:<id>), or for an unlinked prospect a blind one (contact:<key>, with
-- targets: all) under its own e-mail or phone or those of a prospect sharing one with it (the
-- person's key is one of them). The renewal is the linked client's with the latest lease end.
CREATE VIEW prospect_journey WITH (security_invoker = true) AS
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
       CAST(s.pushed ->> 'score_value' AS integer) AS pushed_score,
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
CREATE VIEW renewal_pipeline WITH (security_invoker = true) AS
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
       k.pushed ->> 'renewal_header' AS card_header,
       CAST(k.pushed ->> 'renewal_card_status' AS boolean) AS card_shown,
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
CREATE VIEW sync_health WITH (security_invoker = true) AS
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
       CAST(floor(extract(epoch FROM now() - coalesce(r.finished_at, r.started_at))) AS bigint) AS age_seconds,
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

-- The views' comments. A _current view's columns carry its table's comments, word for word.
COMMENT ON VIEW rentengine_units_current IS 'Live rows of rentengine_units: every column of the table, rows tombstoned (deleted_at set) left out.';
COMMENT ON COLUMN rentengine_units_current.tenant_id IS 'The tenant (a property-management company): its id in the syncd config. Part of every primary key: always filter or join on it. Source: syncd config.';
COMMENT ON COLUMN rentengine_units_current.id IS 'RentEngine unit id. Source: RentEngine unit id (a number, or a number sent as a string).';
COMMENT ON COLUMN rentengine_units_current.account_id IS 'RentEngine account the unit belongs to. Source: RentEngine unit account_id. NULL: not sent.';
COMMENT ON COLUMN rentengine_units_current.status IS 'Unit status, as RentEngine sends it. Source: RentEngine unit status. NULL: not sent.';
COMMENT ON COLUMN rentengine_units_current.property_type IS 'Property type, as RentEngine sends it. Source: RentEngine unit property_type. NULL: not sent.';
COMMENT ON COLUMN rentengine_units_current.address_id IS 'RentEngine address id. Source: RentEngine unit address.id (or address itself when it is a number). NULL: no address, or an address without an id.';
COMMENT ON COLUMN rentengine_units_current.formatted_address IS 'The address on one line. Source: RentEngine unit address.formatted_address (or address itself when it is a string). NULL: not sent.';
COMMENT ON COLUMN rentengine_units_current.unit_number IS 'Unit number within the building. Source: RentEngine unit address.unit. NULL: not sent (a single-family home has none).';
COMMENT ON COLUMN rentengine_units_current.city IS 'City. Source: RentEngine unit address.city. NULL: not sent.';
COMMENT ON COLUMN rentengine_units_current.state IS 'State, as sent (usually the two-letter code). Source: RentEngine unit address.state. NULL: not sent.';
COMMENT ON COLUMN rentengine_units_current.zip_code IS 'ZIP code, as text. Source: RentEngine unit address.zip_code. NULL: not sent.';
COMMENT ON COLUMN rentengine_units_current.bedrooms IS 'Number of bedrooms. Source: RentEngine unit bedrooms. NULL: not sent, or not a number.';
COMMENT ON COLUMN rentengine_units_current.bathrooms IS 'Number of bathrooms, as sent (may be fractional). Source: RentEngine unit bathrooms. NULL: not sent, or not a number.';
COMMENT ON COLUMN rentengine_units_current.sqft IS 'Floor area. Unit: square feet. Source: RentEngine unit sqft. NULL: not sent, or not a number.';
COMMENT ON COLUMN rentengine_units_current.rent IS 'Target rental rate (the asking rent). Unit: US dollars per month. Source: RentEngine unit target_rental_rate. NULL: not sent, or not a number.';
COMMENT ON COLUMN rentengine_units_current.is_occupied IS 'Whether the unit is occupied. Source: RentEngine unit is_occupied. NULL: not sent, or not a boolean.';
COMMENT ON COLUMN rentengine_units_current.created_at IS 'When the unit was created in RentEngine (UTC, upstream clock). Source: RentEngine unit created_at. NULL: not sent, or not a time.';
COMMENT ON COLUMN rentengine_units_current.updated_at IS 'When the unit last changed in RentEngine (UTC, upstream clock). Source: RentEngine unit updated_at. NULL: not sent, or not a time.';
COMMENT ON COLUMN rentengine_units_current.raw IS 'The record exactly as RentEngine sent it, every field included (jsonb; text on SQLite): raw->>''field'' reads a field without a typed column. Source: the whole record.';
COMMENT ON COLUMN rentengine_units_current.content_hash IS 'Hash of raw (SHA-256, first 128 bits in hex, of the JSON without insignificant whitespace): a record fetched with the same hash is not rewritten. Source: syncd.';
COMMENT ON COLUMN rentengine_units_current.first_seen_at IS 'When syncd first stored the record (UTC). Source: syncd.';
COMMENT ON COLUMN rentengine_units_current.synced_at IS 'When syncd last wrote the row (UTC): its content changed, or it was tombstoned or came back. Source: syncd.';
COMMENT ON COLUMN rentengine_units_current.deleted_at IS 'Tombstone: when syncd found the record deleted upstream (UTC): a complete pull no longer returned it, or a webhook DELETE arrived. Cleared when the record comes back. Source: syncd. NULL: the record is live.';
COMMENT ON COLUMN rentengine_units_current.deleted_version IS 'On a row tombstoned by a webhook DELETE, the updated_at that DELETE carried (upstream clock); later deliveries are ordered against it. Source: the DELETE delivery. NULL: the row is live, or a pull tombstoned it.';

COMMENT ON VIEW rentengine_prospects_current IS 'Live rows of rentengine_prospects: every column of the table, rows tombstoned (deleted_at set) left out.';
COMMENT ON COLUMN rentengine_prospects_current.tenant_id IS 'The tenant (a property-management company): its id in the syncd config. Part of every primary key: always filter or join on it. Source: syncd config.';
COMMENT ON COLUMN rentengine_prospects_current.id IS 'RentEngine prospect id. Source: RentEngine prospect id (a number, or a number sent as a string).';
COMMENT ON COLUMN rentengine_prospects_current.name IS 'The person''s name, as sent. Source: RentEngine prospect name. NULL: not sent.';
COMMENT ON COLUMN rentengine_prospects_current.email IS 'E-mail address, as sent. Source: RentEngine prospect email. NULL: not sent.';
COMMENT ON COLUMN rentengine_prospects_current.phone IS 'Phone number, as sent. Source: RentEngine prospect phone. NULL: not sent.';
COMMENT ON COLUMN rentengine_prospects_current.status IS 'The prospect''s stage as RentEngine sends it: the type of its latest status-changing leasing event (New, Showing Scheduled, Lease Signed, ...). Source: RentEngine prospect status. NULL: not sent (prospect_journey.status then derives it from the leasing events).';
COMMENT ON COLUMN rentengine_prospects_current.source IS 'Lead source: where the prospect came from, as sent. Source: RentEngine prospect source. NULL: not sent.';
COMMENT ON COLUMN rentengine_prospects_current.unit_id IS 'The unit of interest (rentengine_units.id). Source: RentEngine prospect unit_of_interest. NULL: none given.';
COMMENT ON COLUMN rentengine_prospects_current.email_normalized IS 'email trimmed and lower-cased: the key identity links match on. Source: syncd, from email. NULL: no e-mail.';
COMMENT ON COLUMN rentengine_prospects_current.phone_e164 IS 'phone in E.164 form (+15551234567; default region US): the key identity links match on. Source: syncd, from phone. NULL: no phone, or not a valid number.';
COMMENT ON COLUMN rentengine_prospects_current.created_at IS 'When the prospect was created in RentEngine (UTC, upstream clock). Source: RentEngine prospect created_at. NULL: not sent, or not a time.';
COMMENT ON COLUMN rentengine_prospects_current.updated_at IS 'When the prospect last changed in RentEngine (UTC, upstream clock). Source: RentEngine prospect updated_at. NULL: not sent, or not a time.';
COMMENT ON COLUMN rentengine_prospects_current.raw IS 'The record exactly as RentEngine sent it, every field included (jsonb; text on SQLite): raw->>''field'' reads a field without a typed column. Source: the whole record.';
COMMENT ON COLUMN rentengine_prospects_current.content_hash IS 'Hash of raw (SHA-256, first 128 bits in hex, of the JSON without insignificant whitespace): a record fetched with the same hash is not rewritten. Source: syncd.';
COMMENT ON COLUMN rentengine_prospects_current.first_seen_at IS 'When syncd first stored the record (UTC). Source: syncd.';
COMMENT ON COLUMN rentengine_prospects_current.synced_at IS 'When syncd last wrote the row (UTC): its content changed, or it was tombstoned or came back. Source: syncd.';
COMMENT ON COLUMN rentengine_prospects_current.deleted_at IS 'Tombstone: when syncd found the record deleted upstream (UTC): a complete pull no longer returned it, or a webhook DELETE arrived. Cleared when the record comes back. Source: syncd. NULL: the record is live.';
COMMENT ON COLUMN rentengine_prospects_current.deleted_version IS 'On a row tombstoned by a webhook DELETE, the updated_at that DELETE carried (upstream clock); later deliveries are ordered against it. Source: the DELETE delivery. NULL: the row is live, or a pull tombstoned it.';

COMMENT ON VIEW rentengine_leasing_events_current IS 'Live rows of rentengine_leasing_events: every column of the table, rows tombstoned (deleted_at set) left out.';
COMMENT ON COLUMN rentengine_leasing_events_current.tenant_id IS 'The tenant (a property-management company): its id in the syncd config. Part of every primary key: always filter or join on it. Source: syncd config.';
COMMENT ON COLUMN rentengine_leasing_events_current.id IS 'RentEngine leasing event id. Source: RentEngine leasing event id (a number, or a number sent as a string).';
COMMENT ON COLUMN rentengine_leasing_events_current.prospect_id IS 'The prospect (rentengine_prospects.id). Source: RentEngine leasing event prospect (or prospect_id). NULL: not sent.';
COMMENT ON COLUMN rentengine_leasing_events_current.unit_id IS 'The unit (rentengine_units.id). Source: RentEngine leasing event unit. NULL: not sent.';
COMMENT ON COLUMN rentengine_leasing_events_current.event_type IS 'Event type, spelled as RentEngine sends it (Showing Scheduled, Application Received, Assign to User, ...; types RentEngine adds later included). Source: RentEngine leasing event event_type. NULL: not sent.';
COMMENT ON COLUMN rentengine_leasing_events_current.source IS 'Where the event came from, as sent. Source: RentEngine leasing event source. NULL: not sent.';
COMMENT ON COLUMN rentengine_leasing_events_current.created_by IS 'Who created the event, as sent. Source: RentEngine leasing event created_by. NULL: not sent.';
COMMENT ON COLUMN rentengine_leasing_events_current.assigned_user_id IS 'On an Assign to User event, the RentEngine user the prospect was assigned to (the first one named). Source: RentEngine leasing event context.assignedToUserIds (a list, or a comma-separated string). NULL: another event type, or no user named.';
COMMENT ON COLUMN rentengine_leasing_events_current.deleted IS 'RentEngine''s own deleted flag on the event (unlike deleted_at, the row is still listed upstream); a deleted event never sets a status or an assignee. Source: RentEngine leasing event deleted. NULL: not sent.';
COMMENT ON COLUMN rentengine_leasing_events_current.created_at IS 'When the event happened (UTC, upstream clock). Source: RentEngine leasing event created_at. NULL: not sent, or not a time.';
COMMENT ON COLUMN rentengine_leasing_events_current.planned_at IS 'When a planned event (a showing) is to take place (UTC). Source: RentEngine leasing event planned_date_time. NULL: nothing planned, or not sent.';
COMMENT ON COLUMN rentengine_leasing_events_current.raw IS 'The record exactly as RentEngine sent it, every field included (jsonb; text on SQLite): raw->>''field'' reads a field without a typed column. Source: the whole record.';
COMMENT ON COLUMN rentengine_leasing_events_current.content_hash IS 'Hash of raw (SHA-256, first 128 bits in hex, of the JSON without insignificant whitespace): a record fetched with the same hash is not rewritten. Source: syncd.';
COMMENT ON COLUMN rentengine_leasing_events_current.first_seen_at IS 'When syncd first stored the record (UTC). Source: syncd.';
COMMENT ON COLUMN rentengine_leasing_events_current.synced_at IS 'When syncd last wrote the row (UTC): its content changed, or it was tombstoned or came back. Source: syncd.';
COMMENT ON COLUMN rentengine_leasing_events_current.deleted_at IS 'Tombstone: when syncd found the record deleted upstream (UTC): a complete pull no longer returned it, or a webhook DELETE arrived. Cleared when the record comes back. Source: syncd. NULL: the record is live.';
COMMENT ON COLUMN rentengine_leasing_events_current.deleted_version IS 'On a row tombstoned by a webhook DELETE, the updated_at that DELETE carried (upstream clock); later deliveries are ordered against it. Source: the DELETE delivery. NULL: the row is live, or a pull tombstoned it.';

COMMENT ON VIEW funnel_communities_current IS 'Live rows of funnel_communities: every column of the table, rows tombstoned (deleted_at set) left out.';
COMMENT ON COLUMN funnel_communities_current.tenant_id IS 'The tenant (a property-management company): its id in the syncd config. Part of every primary key: always filter or join on it. Source: syncd config.';
COMMENT ON COLUMN funnel_communities_current.id IS 'Funnel''s canonical community id, as text, whichever id form the tenant configured (1234, P1234-567, partner-id:abc). Source: Funnel community id.';
COMMENT ON COLUMN funnel_communities_current.name IS 'Community name. Source: Funnel community name. NULL: not sent.';
COMMENT ON COLUMN funnel_communities_current.syndication_id IS 'The community''s syndication id (another id form a tenant may configure). Source: Funnel community syndication_id. NULL: not sent.';
COMMENT ON COLUMN funnel_communities_current.address IS 'Street address. Source: Funnel community address. NULL: not sent.';
COMMENT ON COLUMN funnel_communities_current.city IS 'City. Source: Funnel community city. NULL: not sent.';
COMMENT ON COLUMN funnel_communities_current.state IS 'State, as sent. Source: Funnel community state. NULL: not sent.';
COMMENT ON COLUMN funnel_communities_current.postal_code IS 'Postal code, as text. Source: Funnel community postal_code. NULL: not sent.';
COMMENT ON COLUMN funnel_communities_current.timezone IS 'The community''s time zone (IANA name): appointment dates and times are local to it. Source: Funnel community timezone. NULL: not sent.';
COMMENT ON COLUMN funnel_communities_current.updated_at IS 'When the community last changed in Funnel (UTC, upstream clock). Source: Funnel community updated_at. NULL: not sent, or not a time.';
COMMENT ON COLUMN funnel_communities_current.raw IS 'The record exactly as Funnel sent it, every field included (jsonb; text on SQLite): raw->>''field'' reads a field without a typed column. Source: the whole record.';
COMMENT ON COLUMN funnel_communities_current.content_hash IS 'Hash of raw (SHA-256, first 128 bits in hex, of the JSON without insignificant whitespace): a record fetched with the same hash is not rewritten. Source: syncd.';
COMMENT ON COLUMN funnel_communities_current.first_seen_at IS 'When syncd first stored the record (UTC). Source: syncd.';
COMMENT ON COLUMN funnel_communities_current.synced_at IS 'When syncd last wrote the row (UTC): its content changed, or it was tombstoned or came back. Source: syncd.';
COMMENT ON COLUMN funnel_communities_current.deleted_at IS 'Tombstone: when syncd found the record gone upstream (UTC): a complete pull no longer returned it (a community removed from the config is tombstoned too). Cleared when the record comes back. Source: syncd. NULL: the record is live.';
COMMENT ON COLUMN funnel_communities_current.deleted_version IS 'Set only by a webhook DELETE, and Funnel sends none: always NULL here (kept so every mirror table has the same system columns). Source: syncd. NULL: always.';

COMMENT ON VIEW funnel_prospects_current IS 'Live rows of funnel_prospects: every column of the table, rows tombstoned (deleted_at set) left out.';
COMMENT ON COLUMN funnel_prospects_current.tenant_id IS 'The tenant (a property-management company): its id in the syncd config. Part of every primary key: always filter or join on it. Source: syncd config.';
COMMENT ON COLUMN funnel_prospects_current.id IS 'Funnel client id (funnel_renter_id). Source: Funnel prospect funnel_renter_id.';
COMMENT ON COLUMN funnel_prospects_current.community_id IS 'The community the client was listed under (funnel_communities.id): the canonical id, or the id as configured while the community''s own details could never be fetched. Source: the community syncd listed the client under.';
COMMENT ON COLUMN funnel_prospects_current.status IS 'Client status, as Funnel sends it; clients with Client Merged or Client Deleted take no part in identity links. Source: Funnel prospect status. NULL: not sent.';
COMMENT ON COLUMN funnel_prospects_current.lead_source IS 'Lead source, as sent. Source: Funnel prospect lead_source. NULL: not sent.';
COMMENT ON COLUMN funnel_prospects_current.move_in_date IS 'Desired move-in date (a date without time zone). Source: Funnel prospect move_in_date. NULL: not sent, or not a date.';
COMMENT ON COLUMN funnel_prospects_current.first_name IS 'The primary person''s first name. Source: Funnel prospect people[].first_name of the primary person (the one marked is_primary, else the first adult, else the first). NULL: no person, or not sent.';
COMMENT ON COLUMN funnel_prospects_current.last_name IS 'The primary person''s last name. Source: Funnel prospect people[].last_name of the primary person. NULL: no person, or not sent.';
COMMENT ON COLUMN funnel_prospects_current.email IS 'The primary person''s e-mail, as sent. Source: Funnel prospect people[].email of the primary person. NULL: no person, or not sent.';
COMMENT ON COLUMN funnel_prospects_current.phone IS 'The primary person''s phone, as sent. Source: Funnel prospect people[].phone_1 of the primary person, else phone_2. NULL: no person, or neither sent.';
COMMENT ON COLUMN funnel_prospects_current.email_normalized IS 'email trimmed and lower-cased (identity links also match the other people''s e-mails, read from raw). Source: syncd, from email. NULL: no e-mail.';
COMMENT ON COLUMN funnel_prospects_current.phone_e164 IS 'phone in E.164 form (+15551234567; default region US) (identity links also match the other people''s phones, read from raw). Source: syncd, from phone. NULL: no phone, or not a valid number.';
COMMENT ON COLUMN funnel_prospects_current.agent_email IS 'E-mail of the agent syncd treats as assigned: the first of the client''s agents. Source: Funnel prospect agents[0] (a string, or an object''s email). NULL: no agent.';
COMMENT ON COLUMN funnel_prospects_current.created_at IS 'When the client was created in Funnel (UTC, upstream clock). Source: Funnel prospect created_at. NULL: not sent, or not a time.';
COMMENT ON COLUMN funnel_prospects_current.updated_at IS 'When the client last changed in Funnel (UTC, upstream clock). Source: Funnel prospect updated_at. NULL: not sent, or not a time.';
COMMENT ON COLUMN funnel_prospects_current.raw IS 'The record exactly as Funnel sent it, every field included (jsonb; text on SQLite): raw->>''field'' reads a field without a typed column. Source: the whole record.';
COMMENT ON COLUMN funnel_prospects_current.content_hash IS 'Hash of raw (SHA-256, first 128 bits in hex, of the JSON without insignificant whitespace): a record fetched with the same hash is not rewritten. Source: syncd.';
COMMENT ON COLUMN funnel_prospects_current.first_seen_at IS 'When syncd first stored the record (UTC). Source: syncd.';
COMMENT ON COLUMN funnel_prospects_current.synced_at IS 'When syncd last wrote the row (UTC): its content changed, it was tombstoned or came back, or its community label changed. Source: syncd.';
COMMENT ON COLUMN funnel_prospects_current.deleted_at IS 'Tombstone: when syncd found the record gone upstream (UTC): a complete pull no longer returned it (the rows of a community removed from the config are tombstoned too). Cleared when the record comes back. Source: syncd. NULL: the record is live.';
COMMENT ON COLUMN funnel_prospects_current.deleted_version IS 'Set only by a webhook DELETE, and Funnel sends none: always NULL here (kept so every mirror table has the same system columns). Source: syncd. NULL: always.';

COMMENT ON VIEW funnel_renewals_current IS 'Live rows of funnel_renewals: every column of the table, rows tombstoned (deleted_at set) left out.';
COMMENT ON COLUMN funnel_renewals_current.tenant_id IS 'The tenant (a property-management company): its id in the syncd config. Part of every primary key: always filter or join on it. Source: syncd config.';
COMMENT ON COLUMN funnel_renewals_current.id IS 'Funnel renewal id. Source: Funnel renewal id.';
COMMENT ON COLUMN funnel_renewals_current.community_id IS 'The community the renewal was listed under (funnel_communities.id): the canonical id, or the id as configured while the community''s own details could never be fetched. Source: the community syncd listed the renewal under.';
COMMENT ON COLUMN funnel_renewals_current.funnel_renter_id IS 'The Funnel client renewing (funnel_prospects.id). Source: Funnel renewal funnel_renter_id. NULL: not sent (no renewal card can be pushed).';
COMMENT ON COLUMN funnel_renewals_current.funnel_unit_id IS 'Funnel id of the leased unit. Source: Funnel renewal funnel_unit_id. NULL: not sent (no renewal card can be pushed).';
COMMENT ON COLUMN funnel_renewals_current.unit_number IS 'Unit number of the lease, as sent. Source: Funnel renewal unit_number. NULL: not sent.';
COMMENT ON COLUMN funnel_renewals_current.lease_start IS 'First day of the current lease (a date). Source: Funnel renewal lease_start. NULL: not sent, or not a date.';
COMMENT ON COLUMN funnel_renewals_current.lease_end IS 'Last day of the current lease (a date). Source: Funnel renewal lease_end. NULL: not sent, or not a date.';
COMMENT ON COLUMN funnel_renewals_current.status IS 'Renewal status as sent: not-started, offered, pending, signed, declined, notice-given, or a value outside that set. Source: Funnel renewal status. NULL: not sent, or empty.';
COMMENT ON COLUMN funnel_renewals_current.offer_rent IS 'Rent offered for the renewed lease. Unit: US dollars per month. Source: Funnel renewal offer_rent. NULL: no offer, or not a number.';
COMMENT ON COLUMN funnel_renewals_current.offer_expires_at IS 'When the renewal offer expires (UTC). Source: Funnel renewal offer_expires_at. NULL: no offer, or not sent.';
COMMENT ON COLUMN funnel_renewals_current.updated_at IS 'When the renewal last changed in Funnel (UTC, upstream clock). Source: Funnel renewal updated_at. NULL: not sent, or not a time.';
COMMENT ON COLUMN funnel_renewals_current.raw IS 'The record exactly as Funnel sent it, every field included (jsonb; text on SQLite): raw->>''field'' reads a field without a typed column. Source: the whole record.';
COMMENT ON COLUMN funnel_renewals_current.content_hash IS 'Hash of raw (SHA-256, first 128 bits in hex, of the JSON without insignificant whitespace): a record fetched with the same hash is not rewritten. Source: syncd.';
COMMENT ON COLUMN funnel_renewals_current.first_seen_at IS 'When syncd first stored the record (UTC). Source: syncd.';
COMMENT ON COLUMN funnel_renewals_current.synced_at IS 'When syncd last wrote the row (UTC): its content changed, it was tombstoned or came back, or its community label changed. Source: syncd.';
COMMENT ON COLUMN funnel_renewals_current.deleted_at IS 'Tombstone: when syncd found the record gone upstream (UTC): a complete pull no longer returned it (the rows of a community removed from the config are tombstoned too). Cleared when the record comes back. Source: syncd. NULL: the record is live.';
COMMENT ON COLUMN funnel_renewals_current.deleted_version IS 'Set only by a webhook DELETE, and Funnel sends none: always NULL here (kept so every mirror table has the same system columns). Source: syncd. NULL: always.';

COMMENT ON VIEW funnel_appointments_current IS 'Live rows of funnel_appointments: every column of the table, rows tombstoned (deleted_at set) left out.';
COMMENT ON COLUMN funnel_appointments_current.tenant_id IS 'The tenant (a property-management company): its id in the syncd config. Part of every primary key: always filter or join on it. Source: syncd config.';
COMMENT ON COLUMN funnel_appointments_current.id IS 'Funnel appointment id. Source: Funnel appointment id.';
COMMENT ON COLUMN funnel_appointments_current.community_id IS 'The community the appointment was listed under (funnel_communities.id): the canonical id, or the id as configured while the community''s own details could never be fetched. Source: the community syncd listed the appointment under.';
COMMENT ON COLUMN funnel_appointments_current.client_id IS 'The client the appointment is booked for (funnel_prospects.id). Source: Funnel appointment client.id. NULL: no client, or not sent.';
COMMENT ON COLUMN funnel_appointments_current.email IS 'The client''s e-mail, as sent. Source: Funnel appointment client.email. NULL: not sent.';
COMMENT ON COLUMN funnel_appointments_current.phone IS 'The client''s phone, as sent. Source: Funnel appointment client.phone. NULL: not sent.';
COMMENT ON COLUMN funnel_appointments_current.agent_email IS 'E-mail of the agent the appointment is assigned to. Source: Funnel appointment agent.email. NULL: no agent, or not sent.';
COMMENT ON COLUMN funnel_appointments_current.agent_name IS 'Name of the agent the appointment is assigned to; Unassigned when none. Source: Funnel appointment agent.name. NULL: not sent.';
COMMENT ON COLUMN funnel_appointments_current.appointment_date IS 'Day of the appointment: a date in the community''s time zone (funnel_communities.timezone). Source: Funnel appointment date. NULL: not sent, or not a date.';
COMMENT ON COLUMN funnel_appointments_current.appointment_time IS 'Time of the appointment, HH:MM, local to the community (funnel_communities.timezone). Source: Funnel appointment time. NULL: not sent.';
COMMENT ON COLUMN funnel_appointments_current.raw IS 'The record exactly as Funnel sent it, every field included (jsonb; text on SQLite): raw->>''field'' reads a field without a typed column. Source: the whole record.';
COMMENT ON COLUMN funnel_appointments_current.content_hash IS 'Hash of raw (SHA-256, first 128 bits in hex, of the JSON without insignificant whitespace): a record fetched with the same hash is not rewritten. Source: syncd.';
COMMENT ON COLUMN funnel_appointments_current.first_seen_at IS 'When syncd first stored the record (UTC). Source: syncd.';
COMMENT ON COLUMN funnel_appointments_current.synced_at IS 'When syncd last wrote the row (UTC): its content changed, it was tombstoned or came back, or its community label changed. Source: syncd.';
COMMENT ON COLUMN funnel_appointments_current.deleted_at IS 'Tombstone: when syncd found the record gone upstream (UTC): a complete pull no longer returned it (the rows of a community removed from the config are tombstoned too). Cleared when the record comes back. Source: syncd. NULL: the record is live.';
COMMENT ON COLUMN funnel_appointments_current.deleted_version IS 'Set only by a webhook DELETE, and Funnel sends none: always NULL here (kept so every mirror table has the same system columns). Source: syncd. NULL: always.';
COMMENT ON VIEW prospect_journey IS 'One row per live RentEngine prospect: its unit and status, when its leasing events began and last happened, its Funnel client through identity_links (ambiguous links are shown, not joined), the customer score syncd last pushed for it, its current assignee, and its client''s renewal.';
COMMENT ON COLUMN prospect_journey.tenant_id IS 'The tenant (a property-management company): its id in the syncd config. Source: rentengine_prospects.tenant_id.';
COMMENT ON COLUMN prospect_journey.prospect_id IS 'RentEngine prospect id. Source: rentengine_prospects.id.';
COMMENT ON COLUMN prospect_journey.name IS 'The person''s name, as sent. Source: rentengine_prospects.name. NULL: not sent.';
COMMENT ON COLUMN prospect_journey.source IS 'Lead source, as sent. Source: rentengine_prospects.source. NULL: not sent.';
COMMENT ON COLUMN prospect_journey.created_at IS 'When the prospect was created in RentEngine (UTC). Source: rentengine_prospects.created_at. NULL: not sent.';
COMMENT ON COLUMN prospect_journey.unit_id IS 'The unit of interest. Source: rentengine_prospects.unit_id. NULL: none given.';
COMMENT ON COLUMN prospect_journey.unit_address IS 'The unit''s address on one line. Source: rentengine_units.formatted_address (live unit). NULL: no unit of interest, the unit is not in the mirror or is deleted, or it has no address.';
COMMENT ON COLUMN prospect_journey.unit_number IS 'The unit''s number within its building. Source: rentengine_units.unit_number (live unit). NULL: no unit of interest, the unit is not in the mirror or is deleted, or it has no number.';
COMMENT ON COLUMN prospect_journey.status IS 'The prospect''s stage, as customer scores use it: the status on the prospect record, else the type of its latest live leasing event that changes a status (not Assign to User, Log Note, Blocklist Prospect, Unblock Prospect or Reassign Showing, and not marked deleted). Source: rentengine_prospects.status, else rentengine_leasing_events.event_type. NULL: neither.';
COMMENT ON COLUMN prospect_journey.status_from IS 'Where status comes from: prospect (the prospect record) or leasing_events (derived from its events). Source: computed. NULL: no status.';
COMMENT ON COLUMN prospect_journey.first_event_at IS 'When the prospect''s first leasing event happened (UTC); live events not marked deleted upstream count. Source: min(rentengine_leasing_events.created_at). NULL: no such event.';
COMMENT ON COLUMN prospect_journey.latest_event_at IS 'When the prospect''s latest leasing event happened (UTC); live events not marked deleted upstream count. Source: max(rentengine_leasing_events.created_at). NULL: no such event.';
COMMENT ON COLUMN prospect_journey.event_count IS 'Number of the prospect''s live leasing events not marked deleted upstream. Source: count of rentengine_leasing_events.';
COMMENT ON COLUMN prospect_journey.link_status IS 'The prospect''s identity link: linked (it is exactly one Funnel client, joined here), ambiguous (it matches several clients; none is joined) or none (it matches no client, or its links are not computed yet). Source: identity_links.status.';
COMMENT ON COLUMN prospect_journey.link_candidates IS 'Number of Funnel clients in identity_links for the prospect: 0 (none), 1 (linked), 2 or more (ambiguous). Source: count of identity_links.';
COMMENT ON COLUMN prospect_journey.matched_on IS 'What the link matched on: email, phone or both. Source: identity_links.matched_on. NULL: not linked.';
COMMENT ON COLUMN prospect_journey.funnel_client_id IS 'The linked Funnel client (funnel_prospects.id). Source: identity_links.funnel_client_id. NULL: not linked (none or ambiguous).';
COMMENT ON COLUMN prospect_journey.funnel_community_id IS 'The linked client''s community. Source: funnel_prospects.community_id (live client). NULL: not linked, or the client is deleted.';
COMMENT ON COLUMN prospect_journey.funnel_status IS 'The linked client''s Funnel status. Source: funnel_prospects.status (live client). NULL: not linked, the client is deleted, or no status sent.';
COMMENT ON COLUMN prospect_journey.funnel_agent_email IS 'The linked client''s assigned agent. Source: funnel_prospects.agent_email (live client). NULL: not linked, the client is deleted, or no agent.';
COMMENT ON COLUMN prospect_journey.score_target IS 'The push_ledger target of the score shown: funnel-client:<id> for a linked prospect; contact:<e-mail or phone> for an unlinked one scored blind (targets: all), under its own e-mail or phone or those of a prospect sharing one with it. Source: push_ledger.target_key. NULL: no score pushed.';
COMMENT ON COLUMN prospect_journey.pushed_score IS 'The customer score syncd last pushed successfully to Funnel for the prospect''s client (the highest of its linked prospects'' status scores, 0-100 by default). Source: push_ledger.pushed->score_value (kind customer_score). NULL: none pushed (ambiguous, unlinked without a blind score, no scored status, or not pushed yet).';
COMMENT ON COLUMN prospect_journey.score_pushed_at IS 'When that score landed (UTC). Source: push_ledger.pushed_at. NULL: no score pushed.';
COMMENT ON COLUMN prospect_journey.assignee_user_id IS 'The current assignee: the RentEngine user of the prospect''s latest live Assign to User event (by created_at, then id; events marked deleted upstream left out). Source: rentengine_leasing_events.assigned_user_id. NULL: never assigned, or the latest assignment names no user.';
COMMENT ON COLUMN prospect_journey.assigned_at IS 'When that Assign to User event happened (UTC). Source: rentengine_leasing_events.created_at. NULL: never assigned.';
COMMENT ON COLUMN prospect_journey.renewal_id IS 'The linked client''s live renewal with the latest lease end (then the highest id). Source: funnel_renewals.id. NULL: not linked, or the client has no renewal.';
COMMENT ON COLUMN prospect_journey.renewal_status IS 'That renewal''s status (not-started, offered, pending, signed, declined, notice-given, or another value as sent). Source: funnel_renewals.status. NULL: no renewal, or none sent.';
COMMENT ON COLUMN prospect_journey.renewal_lease_end IS 'That renewal''s lease end (a date). Source: funnel_renewals.lease_end. NULL: no renewal, or none sent.';

COMMENT ON VIEW renewal_pipeline IS 'One row per live Funnel renewal: its community, renter and unit, lease, offer and status, and the renewal card syncd last pushed for it (push_ledger kind renewal_status).';
COMMENT ON COLUMN renewal_pipeline.tenant_id IS 'The tenant (a property-management company): its id in the syncd config. Source: funnel_renewals.tenant_id.';
COMMENT ON COLUMN renewal_pipeline.renewal_id IS 'Funnel renewal id. Source: funnel_renewals.id.';
COMMENT ON COLUMN renewal_pipeline.community_id IS 'The community (funnel_communities.id). Source: funnel_renewals.community_id.';
COMMENT ON COLUMN renewal_pipeline.community_name IS 'The community''s name. Source: funnel_communities.name (live community). NULL: the community is not in the mirror or is deleted, or has no name.';
COMMENT ON COLUMN renewal_pipeline.funnel_renter_id IS 'The Funnel client renewing (funnel_prospects.id). Source: funnel_renewals.funnel_renter_id. NULL: not sent (no card can be pushed).';
COMMENT ON COLUMN renewal_pipeline.renter_first_name IS 'The renter''s primary person''s first name. Source: funnel_prospects.first_name (live client). NULL: the client is not in the mirror or is deleted, or no name sent.';
COMMENT ON COLUMN renewal_pipeline.renter_last_name IS 'The renter''s primary person''s last name. Source: funnel_prospects.last_name (live client). NULL: the client is not in the mirror or is deleted, or no name sent.';
COMMENT ON COLUMN renewal_pipeline.funnel_unit_id IS 'Funnel id of the leased unit. Source: funnel_renewals.funnel_unit_id. NULL: not sent (no card can be pushed).';
COMMENT ON COLUMN renewal_pipeline.unit_number IS 'Unit number of the lease. Source: funnel_renewals.unit_number. NULL: not sent.';
COMMENT ON COLUMN renewal_pipeline.lease_start IS 'First day of the current lease (a date). Source: funnel_renewals.lease_start. NULL: not sent.';
COMMENT ON COLUMN renewal_pipeline.lease_end IS 'Last day of the current lease (a date). Source: funnel_renewals.lease_end. NULL: not sent.';
COMMENT ON COLUMN renewal_pipeline.status IS 'Renewal status as sent: not-started, offered, pending, signed, declined, notice-given, or another value. Source: funnel_renewals.status. NULL: not sent.';
COMMENT ON COLUMN renewal_pipeline.offer_rent IS 'Rent offered for the renewed lease. Unit: US dollars per month. Source: funnel_renewals.offer_rent. NULL: no offer.';
COMMENT ON COLUMN renewal_pipeline.offer_expires_at IS 'When the offer expires (UTC). Source: funnel_renewals.offer_expires_at. NULL: no offer, or not sent.';
COMMENT ON COLUMN renewal_pipeline.card_target IS 'The renewal card''s push target, <community>/<renter>/<unit>, when syncd has one in its ledger. Source: push_ledger.target_key (kind renewal_status). NULL: no card planned or pushed for this renewal yet (no template for its status, no renter or unit id, or no push run since).';
COMMENT ON COLUMN renewal_pipeline.card_state IS 'How the card''s latest push went: planned (outcome not known yet), pushed, failed, or unmatched (Funnel has no such lease). Source: push_ledger.state. NULL: no card in the ledger.';
COMMENT ON COLUMN renewal_pipeline.card IS 'The card syncd last pushed successfully, JSON (jsonb; text on SQLite): renewal_card_status, renewal_header, renewal_subheader, renewal_body, renewal_alert_status, renewal_alert_body, renewal_alert_type, renewal_allow_clickthrough, renewal_icon, as sent. Source: push_ledger.pushed. NULL: no card pushed successfully.';
COMMENT ON COLUMN renewal_pipeline.card_header IS 'The header of that card. Source: push_ledger.pushed->renewal_header. NULL: no card pushed, or it has no header.';
COMMENT ON COLUMN renewal_pipeline.card_shown IS 'Whether that card is shown to the renter (false: hidden); 1/0 on SQLite. Source: push_ledger.pushed->renewal_card_status. NULL: no card pushed, or it does not say.';
COMMENT ON COLUMN renewal_pipeline.card_pushed_at IS 'When that card landed (UTC). Source: push_ledger.pushed_at. NULL: no card pushed successfully.';
COMMENT ON COLUMN renewal_pipeline.card_last_error IS 'Why the card''s last push failed. Source: push_ledger.last_error. NULL: no card in the ledger, or its last push did not fail.';

COMMENT ON VIEW sync_health IS 'The latest run of each tenant''s job (the highest sync_runs.id of the tenant and job), with its age, outcome, counts and error, and when the job last succeeded.';
COMMENT ON COLUMN sync_health.tenant_id IS 'The tenant (a property-management company): its id in the syncd config. Source: sync_runs.tenant_id.';
COMMENT ON COLUMN sync_health.job IS 'The job: rentengine, funnel or push. Source: sync_runs.job.';
COMMENT ON COLUMN sync_health.run_id IS 'The latest run''s id (as in the logs). Source: sync_runs.run_id.';
COMMENT ON COLUMN sync_health.status IS 'The latest run''s outcome: running, succeeded, failed, held, partial or abandoned (see sync_runs.status). Source: sync_runs.status.';
COMMENT ON COLUMN sync_health.started_at IS 'When the latest run started (UTC). Source: sync_runs.started_at.';
COMMENT ON COLUMN sync_health.finished_at IS 'When the latest run ended (UTC). Source: sync_runs.finished_at. NULL: still running, or abandoned.';
COMMENT ON COLUMN sync_health.age_seconds IS 'Age of the latest run at query time: seconds since it finished, or since it started while it has no end. Unit: seconds. Source: computed from finished_at or started_at and the database clock.';
COMMENT ON COLUMN sync_health.last_succeeded_at IS 'When a run of the job last finished with status succeeded (UTC): how fresh the data is. Source: max(sync_runs.finished_at) of succeeded runs. NULL: the job never succeeded.';
COMMENT ON COLUMN sync_health.pages IS 'Pages the latest run read; 0 for a push run. Source: sync_runs.pages.';
COMMENT ON COLUMN sync_health.fetched IS 'Records the latest run fetched; 0 for a push run. Source: sync_runs.fetched.';
COMMENT ON COLUMN sync_health.inserted IS 'Records new to the mirror in the latest run. Source: sync_runs.inserted.';
COMMENT ON COLUMN sync_health.updated IS 'Records rewritten with changed content in the latest run. Source: sync_runs.updated.';
COMMENT ON COLUMN sync_health.unchanged IS 'Records fetched unchanged in the latest run. Source: sync_runs.unchanged.';
COMMENT ON COLUMN sync_health.deleted IS 'Rows the latest run tombstoned. Source: sync_runs.deleted.';
COMMENT ON COLUMN sync_health.bad_records IS 'Records the latest run could not decode or store. Source: sync_runs.bad_records.';
COMMENT ON COLUMN sync_health.retries IS 'Upstream calls the latest run retried. Source: sync_runs.retries.';
COMMENT ON COLUMN sync_health.error IS 'Why the latest run did not succeed. Source: sync_runs.error. NULL: it succeeded, or is still running.';

-- +goose Down
-- The comments on tables stay: they change nothing, and the Up sets them again.
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
