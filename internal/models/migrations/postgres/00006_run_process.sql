-- +goose Up
-- The process that ran each run (procid: "host/boot id/pid/start ticks"), so that a new run of
-- the same job marks an older run still "running" as abandoned only when that process is gone.
-- Runs recorded before this migration have ''.
ALTER TABLE sync_runs ADD COLUMN process text NOT NULL DEFAULT '';

-- +goose Down
ALTER TABLE sync_runs DROP COLUMN process;
