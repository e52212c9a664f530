-- +goose Up
-- Per-tenant analyst access is Postgres only (roles and row-level security; see the Postgres
-- 00009_analyst_access.sql). SQLite has neither: whoever can open the file reads all of it. This
-- migration changes nothing and keeps the two dialects' versions in step.

-- +goose Down
