-- +goose Up
-- Rate budgets shared across processes (issue 15; README "Rate limits"). Every process that calls
-- an upstream (each daemon replica, each one-off `syncd sync` or `push`) holds one lease per
-- credential it is using, renewed every few seconds; each takes 1/n of the credential's configured
-- rate for n live leases. A lease not renewed by expires_at is ignored and deleted later.
--
-- No tenant_id column, so no row-level security (00009): the table is never granted to analyst
-- roles, since Store.Migrate grants SELECT only on tables with a policy. credential may still name
-- tenants (the sorted ids of the tenants sharing an unnamed key), which analysts must not see.
CREATE TABLE rate_leases (
    bucket          text             NOT NULL,
    holder          text             NOT NULL,
    api             text             NOT NULL,
    credential      text             NOT NULL,
    configured_rate double precision NOT NULL,
    factor          double precision NOT NULL,
    effective_rate  double precision NOT NULL,
    ready_at        timestamptz      NOT NULL,
    renewed_at      timestamptz      NOT NULL,
    expires_at      timestamptz      NOT NULL,
    PRIMARY KEY (bucket, holder)
);
CREATE INDEX rate_leases_expires_at ON rate_leases (expires_at);
COMMENT ON TABLE rate_leases IS 'One row per process and upstream credential it is calling: the process''s lease on a share of the credential''s rate budget, renewed every few seconds (upstream.LeaseInterval) and ignored once expires_at has passed. Live leases of one bucket split its configured rate evenly. Not under row-level security (no tenant_id), so never readable by analyst roles.';
COMMENT ON COLUMN rate_leases.bucket IS 'The credential: API, base URL and the first 12 hex digits of the SHA-256 of its secret, separated by spaces ("funnel https://… 3f2a…"). Never the secret itself.';
COMMENT ON COLUMN rate_leases.holder IS 'The process holding the lease: its procid ("host/boot/pid/start", as in sync_runs.process), then "#" and a random suffix told apart per rate-limiter set.';
COMMENT ON COLUMN rate_leases.api IS 'The upstream: rentengine or funnel.';
COMMENT ON COLUMN rate_leases.credential IS 'The credential''s label in status and metrics: its name under credentials: in the config, else the ids of the tenants that use the key, sorted and joined by commas.';
COMMENT ON COLUMN rate_leases.configured_rate IS 'The credential''s configured rate in requests per second (rate_limit requests / per), the total for all processes.';
COMMENT ON COLUMN rate_leases.factor IS 'The holder''s adaptive factor at its last renewal: the fraction of the configured rate it allows itself after 429s (1 = none lately; at least rate_limit.min_fraction).';
COMMENT ON COLUMN rate_leases.effective_rate IS 'What the holder may send, in requests per second, at its last renewal: configured_rate × factor × its share (0 while it waits to join). The sum over live leases is the credential''s effective rate.';
COMMENT ON COLUMN rate_leases.ready_at IS 'When the holder may start sending on its share: a process that joins a credential others hold waits until each of them has renewed (and cut its share) once.';
COMMENT ON COLUMN rate_leases.renewed_at IS 'When the holder last renewed the lease (database clock).';
COMMENT ON COLUMN rate_leases.expires_at IS 'When the lease lapses unless renewed (database clock); expired leases count for no one.';

-- +goose Down
DROP TABLE rate_leases;
