-- +goose Up
-- Rate budget leases (issue 15). Column meanings are the Postgres migration's COMMENT ON
-- statements. On SQLite one process has the whole budget: the rows only tell `syncd status` the
-- effective rate of each credential.
CREATE TABLE rate_leases (
    bucket          text     NOT NULL,
    holder          text     NOT NULL,
    api             text     NOT NULL,
    credential      text     NOT NULL,
    configured_rate REAL     NOT NULL,
    factor          REAL     NOT NULL,
    effective_rate  REAL     NOT NULL,
    ready_at        DATETIME NOT NULL,
    renewed_at      DATETIME NOT NULL,
    expires_at      DATETIME NOT NULL,
    PRIMARY KEY (bucket, holder)
);
CREATE INDEX rate_leases_expires_at ON rate_leases (expires_at);

-- +goose Down
DROP TABLE rate_leases;
