package models_test

import (
	"context"
	"database/sql"
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/syncd-dev/syncd/internal/models"
	"github.com/syncd-dev/syncd/internal/testing/dbtest"
)

// tenantTables lists the base tables of the store's schema that have a tenant_id column, read
// from information_schema.
func tenantTables(t *testing.T, s *models.Store) []string {
	t.Helper()
	var out []string
	err := dbtest.DB(s).Raw(`
SELECT c.table_name FROM information_schema.columns c
JOIN information_schema.tables t ON t.table_schema = c.table_schema AND t.table_name = c.table_name
WHERE c.table_schema = current_schema() AND c.column_name = 'tenant_id' AND t.table_type = 'BASE TABLE'
ORDER BY 1`).Scan(&out).Error
	dbtest.Must(t, err, "list tables with tenant_id")
	return out
}

// Every table with a tenant_id has row-level security enabled (not forced, so its owner, syncd,
// is exempt) and exactly one policy: tenant_isolation, for SELECT, the same expression on every
// table; analyst_grants has its own. A migration that adds a table with tenant_id and forgets
// syncd_enable_tenant_rls fails here.
func TestEveryTenantTableHasItsPolicy(t *testing.T) {
	s := dbtest.Postgres(t)
	tables := tenantTables(t, s)
	// The check sees what it must: the tables the issue names, found in the catalog.
	for _, want := range []string{"analyst_grants", "bad_records", "identity_links", "push_attempts", "push_ledger",
		"rentengine_units", "schedule_claims", "sync_runs"} {
		if !slices.Contains(tables, want) {
			t.Fatalf("tables with tenant_id %v lack %s: the listing is broken", tables, want)
		}
	}
	type policy struct {
		Table, Name, Cmd, Roles, Qual string
		Permissive                    string
		RLS, Forced                   bool
	}
	var tenantQual string
	for _, table := range tables {
		var ps []policy
		err := dbtest.DB(s).Raw(`
SELECT c.relname AS table, p.policyname AS name, p.cmd, array_to_string(p.roles, ',') AS roles, p.qual,
       p.permissive, c.relrowsecurity AS rls, c.relforcerowsecurity AS forced
FROM pg_class c LEFT JOIN pg_policies p ON p.schemaname = current_schema() AND p.tablename = c.relname
WHERE c.relnamespace = current_schema()::regnamespace AND c.relname = ?`, table).Scan(&ps).Error
		dbtest.Must(t, err, "policies of %s", table)
		if len(ps) != 1 {
			t.Errorf("%s: %d policies %+v, want exactly one", table, len(ps), ps)
			continue
		}
		p := ps[0]
		if !p.RLS || p.Forced {
			t.Errorf("%s: row-level security enabled %v, forced %v; want enabled and not forced (the owner, syncd, is exempt)", table, p.RLS, p.Forced)
		}
		wantName := "tenant_isolation"
		if table == "analyst_grants" {
			wantName = "own_grants"
		}
		if p.Name != wantName || p.Cmd != "SELECT" || p.Roles != "public" || p.Permissive != "PERMISSIVE" {
			t.Errorf("%s: policy %+v, want %s, permissive, for SELECT, to public", table, p, wantName)
			continue
		}
		if table == "analyst_grants" {
			continue
		}
		if tenantQual == "" {
			tenantQual = p.Qual
		}
		if p.Qual != tenantQual {
			t.Errorf("%s: policy expression %q differs from the others' %q: make it with syncd_enable_tenant_rls", table, p.Qual, tenantQual)
		}
	}
	if !strings.Contains(tenantQual, "analyst_grants") || !strings.Contains(tenantQual, "pg_has_role") {
		t.Errorf("tenant policy %q does not read analyst_grants through pg_has_role", tenantQual)
	}
}

// The analyst commands need Postgres, and say so on SQLite.
func TestAnalystGrantsNeedPostgres(t *testing.T) {
	s := dbtest.SQLite(t)
	ctx := context.Background()
	if _, err := s.GrantAnalysts(ctx, "acme_analysts", "acme"); !errors.Is(err, models.ErrAnalystsNeedPostgres) {
		t.Errorf("grant on SQLite: %v", err)
	}
	if _, err := s.RevokeAnalysts(ctx, "acme_analysts", "acme"); !errors.Is(err, models.ErrAnalystsNeedPostgres) {
		t.Errorf("revoke on SQLite: %v", err)
	}
	if _, err := s.AnalystGrants(ctx); !errors.Is(err, models.ErrAnalystsNeedPostgres) {
		t.Errorf("list on SQLite: %v", err)
	}
}

func adminDB(t *testing.T, d *dbtest.OwnedDB) *sql.DB {
	t.Helper()
	db, err := sql.Open("pgx", d.AdminURL)
	dbtest.Must(t, err, "open admin connection")
	t.Cleanup(func() { db.Close() })
	return db
}

func mustExec(t *testing.T, db *sql.DB, q string) {
	t.Helper()
	if _, err := db.Exec(q); err != nil {
		t.Fatalf("%s: %v", q, err)
	}
}

// syncd's role must be exempt from row-level security by design: Migrate refuses to go on when
// it is not the tables' owner (nor BYPASSRLS), or when a table forces row-level security on its
// owner; BYPASSRLS is the documented way to run syncd as another role.
func TestSyncdMustBeExemptFromRowLevelSecurity(t *testing.T) {
	ctx := context.Background()
	d := dbtest.PostgresOwned(t)
	owner := dbtest.Open(t, d.URL) // migrates as the owner
	if _, err := owner.Migrate(ctx); err != nil {
		t.Fatalf("the owner's migrate: %v", err)
	}
	admin := adminDB(t, d)

	runner := d.RoleName("syncdrunner")
	mustExec(t, admin, "CREATE ROLE "+runner+" NOLOGIN")
	mustExec(t, admin, "GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO "+runner)
	open := func() (*models.Store, error) {
		s, err := models.Open(ctx, models.OpenConfig{DSN: d.URLAs(runner)}, nil)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { s.Close() })
		_, err = s.Migrate(ctx)
		return s, err
	}
	if _, err := open(); err == nil || !strings.Contains(err.Error(), "subject to row-level security") ||
		!strings.Contains(err.Error(), "BYPASSRLS") || !strings.Contains(err.Error(), "sync_runs") {
		t.Errorf("migrate as a role that does not own the tables: %v", err)
	}
	mustExec(t, admin, "ALTER ROLE "+runner+" BYPASSRLS")
	if _, err := open(); err != nil {
		t.Errorf("migrate as a BYPASSRLS role: %v", err)
	}

	mustExec(t, admin, "ALTER TABLE sync_runs FORCE ROW LEVEL SECURITY")
	if _, err := owner.Migrate(ctx); err == nil || !strings.Contains(err.Error(), "sync_runs") {
		t.Errorf("migrate with sync_runs forcing row-level security on its owner: %v", err)
	}
}

// Grant and revoke at the store: the role is created NOLOGIN, granting again changes nothing,
// roles that row-level security cannot restrict are refused, and the last revoke takes the
// privileges but keeps the role.
func TestGrantAndRevokeAnalysts(t *testing.T) {
	ctx := context.Background()
	d := dbtest.PostgresOwned(t)
	s := dbtest.Open(t, d.URL)
	admin := adminDB(t, d)
	role := d.RoleName("acme_analysts")

	res, err := s.GrantAnalysts(ctx, role, "acme")
	dbtest.Must(t, err, "grant")
	if !res.RoleCreated || res.AlreadyGranted || !slices.Equal(res.Tenants, []string{"acme"}) {
		t.Errorf("first grant: %+v", res)
	}
	if !slices.Contains(res.Relations, "rentengine_units") || !slices.Contains(res.Relations, "analyst_grants") ||
		slices.Contains(res.Relations, "goose_db_version") {
		t.Errorf("granted relations %v: want the tenant tables and analyst_grants, not goose_db_version", res.Relations)
	}
	var login, inherit bool
	dbtest.Must(t, admin.QueryRow("SELECT rolcanlogin, rolinherit FROM pg_roles WHERE rolname = $1", role).Scan(&login, &inherit), "read role")
	if login {
		t.Errorf("role %s can log in; want NOLOGIN", role)
	}
	res, err = s.GrantAnalysts(ctx, role, "acme")
	dbtest.Must(t, err, "grant again")
	if res.RoleCreated || !res.AlreadyGranted {
		t.Errorf("second grant: %+v", res)
	}
	res, err = s.GrantAnalysts(ctx, role, "globex")
	dbtest.Must(t, err, "grant globex")
	if !slices.Equal(res.Tenants, []string{"acme", "globex"}) {
		t.Errorf("grant globex: %+v", res)
	}
	grants, err := s.AnalystGrants(ctx)
	dbtest.Must(t, err, "list")
	if len(grants) != 2 || grants[0].RoleName != role || grants[0].TenantID != "acme" || grants[1].TenantID != "globex" {
		t.Errorf("grants %+v", grants)
	}

	// Refused: syncd's own role, a BYPASSRLS role, a member of the owner, bad names.
	bypass := d.RoleName("bypass")
	mustExec(t, admin, "CREATE ROLE "+bypass+" NOLOGIN BYPASSRLS")
	member := d.RoleName("ownerish")
	mustExec(t, admin, "CREATE ROLE "+member+" NOLOGIN IN ROLE "+d.Owner)
	for _, tc := range []struct{ role, want string }{
		{d.Owner, "syncd's own database role"},
		{bypass, "BYPASSRLS"},
		{member, "owns mirror tables"},
		{"Acme", "lower-case"},
		{"acme analysts", "lower-case"},
		{"pg_monitor", "reserved"},
		{"public", "reserved"},
	} {
		if _, err := s.GrantAnalysts(ctx, tc.role, "acme"); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("grant to %s: %v, want an error saying %q", tc.role, err, tc.want)
		}
	}
	if _, err := s.GrantAnalysts(ctx, role, " acme"); err == nil {
		t.Error("grant for a tenant with a leading space succeeded")
	}
	var n int
	dbtest.Must(t, admin.QueryRow("SELECT count(*) FROM analyst_grants").Scan(&n), "count grants")
	if n != 2 {
		t.Errorf("%d grants after refused ones, want 2", n)
	}

	rv, err := s.RevokeAnalysts(ctx, role, "nosuch")
	dbtest.Must(t, err, "revoke nosuch")
	if rv.Removed || rv.PrivilegesRevoked || len(rv.Tenants) != 2 {
		t.Errorf("revoke of a tenant never granted: %+v", rv)
	}
	rv, err = s.RevokeAnalysts(ctx, role, "acme")
	dbtest.Must(t, err, "revoke acme")
	if !rv.Removed || rv.PrivilegesRevoked || !slices.Equal(rv.Tenants, []string{"globex"}) {
		t.Errorf("revoke acme: %+v", rv)
	}
	var can bool
	dbtest.Must(t, admin.QueryRow("SELECT has_table_privilege($1, 'rentengine_units', 'SELECT')", role).Scan(&can), "privilege")
	if !can {
		t.Error("the role lost SELECT with a tenant left")
	}
	rv, err = s.RevokeAnalysts(ctx, role, "globex")
	dbtest.Must(t, err, "revoke globex")
	if !rv.Removed || !rv.PrivilegesRevoked || len(rv.Tenants) != 0 {
		t.Errorf("revoke globex: %+v", rv)
	}
	var left int
	dbtest.Must(t, admin.QueryRow(`SELECT count(*) FROM pg_class c, aclexplode(c.relacl) a
		WHERE c.relnamespace = 'public'::regnamespace AND a.grantee = $1::regrole`, role).Scan(&left), "privileges left")
	if left != 0 {
		t.Errorf("%d privileges left after the last revoke", left)
	}
	dbtest.Must(t, admin.QueryRow("SELECT count(*) FROM pg_roles WHERE rolname = $1", role).Scan(&n), "role kept")
	if n != 1 {
		t.Error("revoke dropped the role; it must keep it")
	}
}

// Relations added after a grant reach the role at the next Migrate, fail closed: a table with
// tenant_id and its policy (syncd_enable_tenant_rls) and a security_invoker view are granted; a
// table without row-level security and a view that runs with its owner's rights are not. A table
// someone else created in the schema, with row-level security of its own, is neither granted nor
// a reason for Migrate to stop.
func TestMigrateGrantsLaterRelations(t *testing.T) {
	ctx := context.Background()
	d := dbtest.PostgresOwned(t)
	s := dbtest.Open(t, d.URL)
	admin := adminDB(t, d)
	role := d.RoleName("acme_analysts")
	_, err := s.GrantAnalysts(ctx, role, "acme")
	dbtest.Must(t, err, "grant")

	owner := dbtest.DB(s)
	for _, q := range []string{
		"CREATE TABLE later_things (tenant_id text NOT NULL, n int)",
		"SELECT syncd_enable_tenant_rls('later_things')",
		"INSERT INTO later_things VALUES ('acme', 1), ('globex', 2)",
		"CREATE TABLE later_unprotected (tenant_id text NOT NULL)",
		"CREATE VIEW later_invoker WITH (security_invoker) AS SELECT tenant_id, n FROM later_things",
		"CREATE VIEW later_definer AS SELECT tenant_id, n FROM later_things",
	} {
		dbtest.Must(t, owner.Exec(q).Error, "%s", q)
	}
	stranger := d.RoleName("stranger")
	for _, q := range []string{
		"CREATE ROLE " + stranger + " NOLOGIN",
		"GRANT CREATE ON SCHEMA public TO " + stranger,
		"SET ROLE " + stranger,
		"CREATE TABLE strangers (tenant_id text)",
		"ALTER TABLE strangers ENABLE ROW LEVEL SECURITY",
		"CREATE POLICY p ON strangers USING (true)",
		"RESET ROLE",
	} {
		mustExec(t, admin, q)
	}
	privs := func() map[string]bool {
		out := map[string]bool{}
		for _, rel := range []string{"later_things", "later_unprotected", "later_invoker", "later_definer", "strangers"} {
			var can bool
			dbtest.Must(t, admin.QueryRow("SELECT has_table_privilege($1, $2, 'SELECT')", role, rel).Scan(&can), "privilege")
			out[rel] = can
		}
		return out
	}
	if p := privs(); p["later_things"] || p["later_invoker"] {
		t.Fatalf("granted before Migrate: %v", p)
	}
	// A privilege granted by hand: row-level security still refuses the write (no policy
	// allows one), and Migrate takes the privilege away.
	mustExec(t, admin, "GRANT INSERT ON later_things TO "+role)
	analyst, err := sql.Open("pgx", d.URLAs(role))
	dbtest.Must(t, err, "open as analyst")
	defer analyst.Close()
	if _, err := analyst.Exec("INSERT INTO later_things VALUES ('acme', 3)"); err == nil ||
		!strings.Contains(err.Error(), "row-level security") {
		t.Errorf("an analyst's insert with the INSERT privilege: %v; want refused by row-level security", err)
	}
	_, err = s.Migrate(ctx)
	dbtest.Must(t, err, "migrate")
	if p := privs(); !p["later_things"] || !p["later_invoker"] || p["later_unprotected"] || p["later_definer"] || p["strangers"] {
		t.Errorf("after Migrate: %v; want later_things and later_invoker only", p)
	}
	var canInsert bool
	dbtest.Must(t, admin.QueryRow("SELECT has_table_privilege($1, 'later_things', 'INSERT')", role).Scan(&canInsert), "privilege")
	if canInsert {
		t.Error("Migrate left the INSERT privilege granted by hand")
	}
	for _, rel := range []string{"later_things", "later_invoker"} {
		var tenants string
		dbtest.Must(t, analyst.QueryRow("SELECT string_agg(tenant_id, ',') FROM "+rel).Scan(&tenants), "read %s", rel)
		if tenants != "acme" {
			t.Errorf("the analyst reads tenants %q from %s, want acme", tenants, rel)
		}
	}
}
