-- +goose Up
-- Per-tenant analyst access (README "Per-tenant access"; Store.GrantAnalysts).
--
-- An analyst role may read the tenants recorded for it in analyst_grants, and nothing else:
--   * every table with a tenant_id column has row-level security enabled and one policy,
--     tenant_isolation, made by syncd_enable_tenant_rls: SELECT only, for rows whose tenant the
--     querying role has a grant for (directly, or through roles whose privileges it inherits);
--     there is no policy for INSERT, UPDATE or DELETE, so those are refused even if a privilege
--     were granted by mistake;
--   * analyst_grants has a policy of its own: a role sees its own grants (the tenant policy reads
--     them as the querying role, so there is no SECURITY DEFINER function to misuse), and no one
--     but its owner can write it;
--   * the owner of the tables (the role syncd runs as, which created them) is exempt by design:
--     RLS is enabled, never FORCEd, and Postgres does not apply it to a table's owner. Store.Migrate
--     refuses to run when syncd's role would be subject to it (neither owner nor BYPASSRLS).
-- Roles and privileges are not made here: `syncd analysts grant` creates the role and grants
-- SELECT, and every Store.Migrate grants SELECT again on relations added since (fail closed:
-- only tables with row-level security and a policy, and views with security_invoker).
--
-- A migration that adds a table with a tenant_id column calls
--   SELECT syncd_enable_tenant_rls('the_table');
-- in the same file; TestEveryTenantTableHasItsPolicy fails otherwise.
CREATE TABLE analyst_grants (
    role_name  text        NOT NULL,
    tenant_id  text        NOT NULL,
    granted_at timestamptz NOT NULL,
    PRIMARY KEY (role_name, tenant_id)
);
COMMENT ON TABLE analyst_grants IS 'Per-tenant analyst access: one row per database role and tenant it may read, written by `syncd analysts grant` and `revoke`. Row-level security on every table with a tenant_id shows a role the rows of the tenants granted to it, or to a role whose privileges it inherits. A role sees only its own rows here.';
COMMENT ON COLUMN analyst_grants.role_name IS 'The Postgres role granted (a NOLOGIN group role; a DBA grants it to real logins). A name, not an oid: a role dropped and re-created under the same name keeps its grants.';
COMMENT ON COLUMN analyst_grants.tenant_id IS 'The tenant whose rows the role may read: the tenant''s id from the config, as in every tenant_id column.';
COMMENT ON COLUMN analyst_grants.granted_at IS 'When `syncd analysts grant` recorded the grant (UTC). Never NULL.';

ALTER TABLE analyst_grants ENABLE ROW LEVEL SECURITY;
-- pg_has_role by oid, joined through pg_roles: a grant row naming a role that no longer exists
-- matches nothing instead of making every query fail with "role does not exist". USAGE, not
-- MEMBER: a role sees what the privileges it holds right now allow (a NOINHERIT membership counts
-- after SET ROLE, as its table privileges do).
CREATE POLICY own_grants ON analyst_grants AS PERMISSIVE FOR SELECT TO PUBLIC
    USING (EXISTS (SELECT 1 FROM pg_catalog.pg_roles r
                   WHERE r.rolname = role_name AND pg_catalog.pg_has_role(current_user, r.oid, 'USAGE')));
COMMENT ON POLICY own_grants ON analyst_grants IS 'A role reads the grants of the roles whose privileges it has, and no others.';

-- +goose StatementBegin
CREATE FUNCTION syncd_enable_tenant_rls(tbl regclass) RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
    -- analyst_grants of the table's own schema, qualified: a policy stores what it refers to, and
    -- this keeps it independent of the search_path the migration runs with.
    grants text := (SELECT format('%I.analyst_grants', n.nspname)
                    FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
                    WHERE c.oid = tbl);
BEGIN
    EXECUTE format('ALTER TABLE %s ENABLE ROW LEVEL SECURITY', tbl);
    EXECUTE format('DROP POLICY IF EXISTS tenant_isolation ON %s', tbl);
    EXECUTE format(
        'CREATE POLICY tenant_isolation ON %s AS PERMISSIVE FOR SELECT TO PUBLIC '
        'USING (tenant_id IN (SELECT g.tenant_id FROM %s g JOIN pg_catalog.pg_roles r ON r.rolname = g.role_name '
        'WHERE pg_catalog.pg_has_role(current_user, r.oid, ''USAGE'')))', tbl, grants);
    EXECUTE format('COMMENT ON POLICY tenant_isolation ON %s IS %L', tbl,
        'Analysts read the rows of the tenants granted to their roles (analyst_grants); no policy allows writes. The table owner (syncd) is exempt.');
END
$$;
-- +goose StatementEnd
REVOKE EXECUTE ON FUNCTION syncd_enable_tenant_rls(regclass) FROM PUBLIC;
COMMENT ON FUNCTION syncd_enable_tenant_rls(regclass) IS 'Enables row-level security on a table with a tenant_id column and (re)creates its tenant_isolation policy. Every migration that adds such a table calls it.';

-- Every table with a tenant_id column at this point, whichever migration made it (record_changes
-- included): found in the catalog, not listed here.
-- +goose StatementBegin
DO $$
DECLARE
    t regclass;
BEGIN
    FOR t IN
        SELECT c.oid::regclass
        FROM pg_catalog.pg_class c
        JOIN pg_catalog.pg_attribute a ON a.attrelid = c.oid AND a.attname = 'tenant_id' AND NOT a.attisdropped
        WHERE c.relnamespace = current_schema()::regnamespace
          AND c.relkind IN ('r', 'p')
          AND c.relname <> 'analyst_grants'
        ORDER BY c.relname
    LOOP
        PERFORM syncd_enable_tenant_rls(t);
    END LOOP;
END
$$;
-- +goose StatementEnd

-- +goose Down
-- Privileges first: without row-level security a role left with SELECT would read every tenant.
-- +goose StatementBegin
DO $$
DECLARE
    r text;
    t regclass;
BEGIN
    FOR r IN SELECT DISTINCT g.role_name FROM analyst_grants g JOIN pg_catalog.pg_roles p ON p.rolname = g.role_name LOOP
        FOR t IN
            SELECT DISTINCT c.oid::regclass FROM pg_catalog.pg_class c, pg_catalog.aclexplode(c.relacl) a
            WHERE c.relnamespace = current_schema()::regnamespace
              AND pg_catalog.pg_has_role(current_user, c.relowner, 'USAGE')
              AND a.grantee = (SELECT oid FROM pg_catalog.pg_roles WHERE rolname = r)
        LOOP
            EXECUTE format('REVOKE ALL ON %s FROM %I', t, r);
        END LOOP;
        EXECUTE format('REVOKE USAGE ON SCHEMA %I FROM %I', current_schema(), r);
    END LOOP;
    FOR t IN
        SELECT p.polrelid::regclass FROM pg_catalog.pg_policy p
        JOIN pg_catalog.pg_class c ON c.oid = p.polrelid
        WHERE p.polname = 'tenant_isolation' AND c.relnamespace = current_schema()::regnamespace
    LOOP
        EXECUTE format('DROP POLICY tenant_isolation ON %s', t);
        EXECUTE format('ALTER TABLE %s DISABLE ROW LEVEL SECURITY', t);
    END LOOP;
END
$$;
-- +goose StatementEnd
DROP FUNCTION syncd_enable_tenant_rls(regclass);
DROP TABLE analyst_grants;
