package models

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"regexp"
	"slices"
	"strings"
	"time"

	"go.uber.org/zap"
	"gorm.io/gorm"
	"gorm.io/gorm/clause"
)

// Per-tenant analyst access (Postgres only). The design, in one place:
//
//   - analyst_grants records which role may read which tenant. `syncd analysts grant` creates the
//     role when it is missing (NOLOGIN: a DBA grants it to real logins) and grants it USAGE on the
//     schema and SELECT on the relations analysts may read; revoke removes a tenant, and the
//     privileges with the last one. Roles are never dropped: a DBA may have granted them to logins
//     or used them elsewhere, and DROP ROLE fails while any database still grants them anything.
//   - Row-level security (migration 00009) restricts every table with a tenant_id column to the
//     granted tenants' rows through its tenant_isolation policy, SELECT only; analyst_grants has
//     its own policy (a role sees its own grants). Views are security_invoker, so the tables'
//     policies apply through them.
//   - Which relations are granted is decided from the catalog each time, so that relations added
//     by later migrations are covered: Migrate reconciles every recorded role after applying
//     migrations. It fails closed: a table is granted only when row-level security is enabled on
//     it and it has a policy, a view only when it is security_invoker (a view that is not runs
//     with its owner's rights, and its owner is exempt from row-level security). Anything else
//     (goose_db_version; a table someone forgot to give a policy; a materialized view, which
//     row-level security cannot filter) is not granted. Only relations syncd's role owns are
//     managed: it can grant nothing else, and a relation someone else made in the schema is not
//     the mirror's.
//   - syncd's own role is exempt by design, not by accident: it owns the tables (it created them)
//     and row-level security is enabled without FORCE, and Postgres does not apply it to a
//     table's owner (or to a member inheriting the owner's privileges). Migrate checks that this
//     holds (checkRLSExempt) and refuses to go on otherwise, since a syncd subject to its own
//     policies would read nothing and be refused every write. Where syncd does not own the
//     tables, its role needs BYPASSRLS.

// AnalystGrant is a row of analyst_grants (Postgres only): role RoleName may read tenant
// TenantID's rows.
type AnalystGrant struct {
	RoleName  string `gorm:"primaryKey"`
	TenantID  string `gorm:"primaryKey"`
	GrantedAt time.Time
}

func (AnalystGrant) TableName() string { return "analyst_grants" }

// ErrAnalystsNeedPostgres is returned by the analyst-access methods on SQLite, which has no roles
// and no row-level security: whoever can read the file reads all of it.
var ErrAnalystsNeedPostgres = errors.New("per-tenant analyst access needs Postgres: SQLite has no roles or row-level security, and whoever can read the file reads every tenant")

// analystsLockClass is the first key of the transaction advisory lock that serialises grant
// changes (two GRANTs on one table at once can fail with "tuple concurrently updated"). Two-key
// advisory locks do not share a key space with the job locks and goose's.
const analystsLockClass = 0x616e6c79 // "anly"

// roleNamePattern is what syncd accepts as an analyst role name: an unquoted Postgres identifier
// in lower case, so the name a DBA types in psql is the same role.
var roleNamePattern = regexp.MustCompile(`^[a-z_][a-z0-9_]{0,62}$`)

// GrantResult is what GrantAnalysts did.
type GrantResult struct {
	// RoleCreated says the role did not exist and was created NOLOGIN.
	RoleCreated bool
	// AlreadyGranted says the role already had the tenant.
	AlreadyGranted bool
	// Tenants are every tenant the role may read now, sorted.
	Tenants []string
	// Relations are the tables and views it may SELECT from, sorted.
	Relations []string
}

// RevokeResult is what RevokeAnalysts did.
type RevokeResult struct {
	// Removed says the role had the tenant (otherwise nothing changed).
	Removed bool
	// Tenants are the tenants the role may still read, sorted.
	Tenants []string
	// PrivilegesRevoked says no tenant was left and the role's privileges on the schema and its
	// relations were revoked. The role itself is kept.
	PrivilegesRevoked bool
}

// GrantAnalysts lets role read tenant's rows: it creates the role if it is missing (NOLOGIN),
// records the grant and grants the role USAGE on the schema and SELECT on every relation analysts
// may read. Granting again changes nothing. It refuses a role that row-level security cannot
// restrict (a superuser, BYPASSRLS, or one holding the privileges of a table's owner) and syncd's
// own role.
func (s *Store) GrantAnalysts(ctx context.Context, role, tenant string) (GrantResult, error) {
	if s.dialect != Postgres {
		return GrantResult{}, ErrAnalystsNeedPostgres
	}
	if err := checkRoleName(role); err != nil {
		return GrantResult{}, err
	}
	if strings.TrimSpace(tenant) == "" || tenant != strings.TrimSpace(tenant) {
		return GrantResult{}, fmt.Errorf("tenant %q: want a tenant id without surrounding spaces", tenant)
	}
	var res GrantResult
	err := s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		res = GrantResult{}
		if err := lockAnalysts(tx); err != nil {
			return err
		}
		exists, err := roleExists(tx, role)
		if err != nil {
			return err
		}
		if !exists {
			// Transactional: a grant that fails later leaves no role behind.
			if err := tx.Exec("CREATE ROLE " + quoteIdent(role) + " NOLOGIN").Error; err != nil {
				return fmt.Errorf("create role %s (syncd's database role needs CREATEROLE, or a DBA runs CREATE ROLE %s NOLOGIN first): %w", role, role, err)
			}
			res.RoleCreated = true
		}
		if err := checkRestrictable(tx, role); err != nil {
			return err
		}
		ins := tx.Clauses(clause.OnConflict{
			Columns:   []clause.Column{{Name: "role_name"}, {Name: "tenant_id"}},
			DoNothing: true,
		}).Create(&AnalystGrant{RoleName: role, TenantID: tenant, GrantedAt: time.Now().UTC()})
		if ins.Error != nil {
			return fmt.Errorf("record grant: %w", ins.Error)
		}
		res.AlreadyGranted = ins.RowsAffected == 0
		if res.Tenants, err = roleTenants(tx, role); err != nil {
			return err
		}
		res.Relations, _, err = reconcileAnalyst(tx, role)
		return err
	})
	if err != nil {
		return GrantResult{}, fmt.Errorf("grant %s tenant %s: %w", role, tenant, err)
	}
	return res, nil
}

// RevokeAnalysts removes tenant from role's grants. When no tenant is left, the role loses its
// privileges on the schema and every relation in it; the role itself is kept (see the package
// notes above). Revoking a grant that does not exist changes nothing.
func (s *Store) RevokeAnalysts(ctx context.Context, role, tenant string) (RevokeResult, error) {
	if s.dialect != Postgres {
		return RevokeResult{}, ErrAnalystsNeedPostgres
	}
	if err := checkRoleName(role); err != nil {
		return RevokeResult{}, err
	}
	var res RevokeResult
	err := s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		res = RevokeResult{}
		if err := lockAnalysts(tx); err != nil {
			return err
		}
		del := tx.Where("role_name = ? AND tenant_id = ?", role, tenant).Delete(&AnalystGrant{})
		if del.Error != nil {
			return fmt.Errorf("delete grant: %w", del.Error)
		}
		res.Removed = del.RowsAffected > 0
		var err error
		if res.Tenants, err = roleTenants(tx, role); err != nil {
			return err
		}
		exists, err := roleExists(tx, role)
		if err != nil || !exists {
			return err
		}
		if len(res.Tenants) == 0 {
			res.PrivilegesRevoked = true
			return revokeAnalyst(tx, role)
		}
		_, _, err = reconcileAnalyst(tx, role)
		return err
	})
	if err != nil {
		return RevokeResult{}, fmt.Errorf("revoke %s tenant %s: %w", role, tenant, err)
	}
	return res, nil
}

// AnalystGrants lists every grant, by role and tenant.
func (s *Store) AnalystGrants(ctx context.Context) ([]AnalystGrant, error) {
	if s.dialect != Postgres {
		return nil, ErrAnalystsNeedPostgres
	}
	var out []AnalystGrant
	if err := s.db.WithContext(ctx).Order("role_name, tenant_id").Find(&out).Error; err != nil {
		return nil, fmt.Errorf("read analyst grants: %w", err)
	}
	return out, nil
}

// afterMigratePostgres runs after every Migrate on Postgres: it checks that syncd's role is
// exempt from row-level security, then grants every recorded analyst role SELECT on relations
// added since its grant (and takes it from relations no longer eligible).
func (s *Store) afterMigratePostgres(ctx context.Context) error {
	db := s.db.WithContext(ctx)
	if err := checkRLSExempt(db); err != nil {
		return err
	}
	return db.Transaction(func(tx *gorm.DB) error {
		if err := lockAnalysts(tx); err != nil {
			return err
		}
		var roles []string
		if err := tx.Raw(`SELECT DISTINCT role_name FROM analyst_grants ORDER BY role_name`).Scan(&roles).Error; err != nil {
			return fmt.Errorf("read analyst grants: %w", err)
		}
		for _, role := range roles {
			exists, err := roleExists(tx, role)
			if err != nil {
				return err
			}
			if !exists {
				s.log.Warn("analyst role in analyst_grants does not exist; skipped (re-create it, or `syncd analysts revoke` its tenants)",
					zap.String("role", role))
				continue
			}
			_, changed, err := reconcileAnalyst(tx, role)
			if err != nil {
				return fmt.Errorf("re-grant analyst role %s: %w", role, err)
			}
			if changed {
				s.log.Info("analyst role's privileges brought up to date with the schema", zap.String("role", role))
			}
		}
		return nil
	})
}

func checkRoleName(role string) error {
	switch {
	case !roleNamePattern.MatchString(role):
		return fmt.Errorf("role %q: want a lower-case Postgres name (letters, digits, _; at most 63 characters, not starting with a digit)", role)
	case strings.HasPrefix(role, "pg_"), role == "public":
		return fmt.Errorf("role %q: names starting with pg_ and the name public are reserved by Postgres", role)
	}
	return nil
}

// quoteIdent quotes a Postgres identifier.
func quoteIdent(s string) string { return `"` + strings.ReplaceAll(s, `"`, `""`) + `"` }

func lockAnalysts(tx *gorm.DB) error {
	if err := tx.Exec("SELECT pg_advisory_xact_lock(?, 0)", analystsLockClass).Error; err != nil {
		return fmt.Errorf("lock analyst grants: %w", err)
	}
	return nil
}

func roleExists(tx *gorm.DB, role string) (bool, error) {
	var n int64
	if err := tx.Raw("SELECT count(*) FROM pg_catalog.pg_roles WHERE rolname = ?", role).Scan(&n).Error; err != nil {
		return false, fmt.Errorf("look up role %s: %w", role, err)
	}
	return n > 0, nil
}

func roleTenants(tx *gorm.DB, role string) ([]string, error) {
	var out []string
	if err := tx.Raw("SELECT tenant_id FROM analyst_grants WHERE role_name = ? ORDER BY tenant_id", role).Scan(&out).Error; err != nil {
		return nil, fmt.Errorf("read grants of %s: %w", role, err)
	}
	return out, nil
}

// checkRestrictable refuses a role that row-level security would not restrict: syncd's own,
// a superuser, one with BYPASSRLS, or one holding the privileges of the owner of a relation in
// the schema (Postgres exempts the owner and the roles that inherit its privileges).
func checkRestrictable(tx *gorm.DB, role string) error {
	var r struct {
		Super, Bypass, Self bool
		Owned               string
	}
	err := tx.Raw(`
SELECT a.rolsuper AS super, a.rolbypassrls AS bypass, a.rolname = current_user AS self,
       coalesce((SELECT string_agg(DISTINCT o.rolname, ', ')
                 FROM pg_catalog.pg_class c JOIN pg_catalog.pg_roles o ON o.oid = c.relowner
                 WHERE c.relnamespace = current_schema()::regnamespace AND c.relkind IN ('r', 'p') AND c.relrowsecurity
                   AND pg_catalog.pg_has_role(a.oid, c.relowner, 'USAGE')), '') AS owned
FROM pg_catalog.pg_roles a WHERE a.rolname = ?`, role).Scan(&r).Error
	if err != nil {
		return fmt.Errorf("check role %s: %w", role, err)
	}
	switch {
	case r.Self:
		return fmt.Errorf("role %s is syncd's own database role, which owns the mirror and reads every tenant", role)
	case r.Super || r.Bypass:
		return fmt.Errorf("role %s is a superuser or has BYPASSRLS: row-level security cannot restrict it, so it would read every tenant", role)
	case r.Owned != "":
		return fmt.Errorf("role %s has the privileges of %s, which owns mirror tables: table owners are exempt from row-level security, so it would read every tenant", role, r.Owned)
	}
	return nil
}

// analystRelationsSQL lists the relations of the schema an analyst role may SELECT from, the
// fail-closed rule of the package notes: tables with row-level security enabled and at least one
// policy, and views with security_invoker; of those, the ones syncd's role owns (it can grant
// nothing else, and a relation someone else created in the schema is not the mirror's).
const analystRelationsSQL = `
SELECT c.relname
FROM pg_catalog.pg_class c
WHERE c.relnamespace = current_schema()::regnamespace
  AND pg_catalog.pg_has_role(current_user, c.relowner, 'USAGE')
  AND ((c.relkind IN ('r', 'p') AND c.relrowsecurity
        AND EXISTS (SELECT 1 FROM pg_catalog.pg_policy p WHERE p.polrelid = c.oid))
    OR (c.relkind = 'v'
        AND EXISTS (SELECT 1 FROM pg_catalog.pg_options_to_table(c.reloptions) o
                    WHERE o.option_name = 'security_invoker' AND o.option_value::boolean)))
ORDER BY c.relname`

// heldPrivileges returns the privileges granted to role itself (not through PUBLIC or another
// role) on the relations of the schema that syncd's role owns, by relation, each list sorted.
func heldPrivileges(tx *gorm.DB, role string) (map[string][]string, error) {
	var rows []struct{ Rel, Priv string }
	err := tx.Raw(`
SELECT c.relname AS rel, a.privilege_type AS priv
FROM pg_catalog.pg_class c, pg_catalog.aclexplode(c.relacl) a
WHERE c.relnamespace = current_schema()::regnamespace AND c.relkind IN ('r', 'p', 'v', 'm', 'f')
  AND pg_catalog.pg_has_role(current_user, c.relowner, 'USAGE')
  AND a.grantee = (SELECT oid FROM pg_catalog.pg_roles WHERE rolname = ?)`, role).Scan(&rows).Error
	if err != nil {
		return nil, fmt.Errorf("read privileges of %s: %w", role, err)
	}
	out := map[string][]string{}
	for _, r := range rows {
		out[r.Rel] = append(out[r.Rel], r.Priv)
	}
	for _, p := range out {
		slices.Sort(p)
	}
	return out, nil
}

// quoteRelations quotes names as relations of schema, comma-separated, in sorted order.
func quoteRelations(schema string, names []string) string {
	names = slices.Sorted(slices.Values(names))
	quoted := make([]string, len(names))
	for i, n := range names {
		quoted[i] = quoteIdent(schema) + "." + quoteIdent(n)
	}
	return strings.Join(quoted, ", ")
}

// reconcileAnalyst makes role's privileges on the relations syncd's role owns in the schema
// exactly SELECT on those analystRelationsSQL lists, and gives it USAGE on the schema unless it
// has it already (through PUBLIC, say). It changes nothing when they already are, and reports
// the relations and whether it changed anything. Relations owned by others are left alone: syncd
// can neither grant nor revoke on them.
func reconcileAnalyst(tx *gorm.DB, role string) (relations []string, changed bool, err error) {
	if err := tx.Raw(analystRelationsSQL).Scan(&relations).Error; err != nil {
		return nil, false, fmt.Errorf("list relations for analysts: %w", err)
	}
	held, err := heldPrivileges(tx, role)
	if err != nil {
		return nil, false, err
	}
	var usage bool
	if err := tx.Raw("SELECT has_schema_privilege(?, current_schema(), 'USAGE')", role).Scan(&usage).Error; err != nil {
		return nil, false, fmt.Errorf("read schema privilege of %s: %w", role, err)
	}
	var revoke, grant []string
	for rel, privs := range held {
		if !slices.Contains(relations, rel) || !slices.Equal(privs, []string{"SELECT"}) {
			revoke = append(revoke, rel)
		}
	}
	for _, rel := range relations {
		if !slices.Equal(held[rel], []string{"SELECT"}) {
			grant = append(grant, rel)
		}
	}
	schema, err := currentSchema(tx)
	if err != nil {
		return nil, false, err
	}
	var stmts []string
	if len(revoke) > 0 {
		stmts = append(stmts, "REVOKE ALL ON "+quoteRelations(schema, revoke)+" FROM "+quoteIdent(role))
	}
	if !usage {
		stmts = append(stmts, "GRANT USAGE ON SCHEMA "+quoteIdent(schema)+" TO "+quoteIdent(role))
	}
	if len(grant) > 0 {
		stmts = append(stmts, "GRANT SELECT ON "+quoteRelations(schema, grant)+" TO "+quoteIdent(role))
	}
	for _, q := range stmts {
		if err := tx.Exec(q).Error; err != nil {
			return nil, false, fmt.Errorf("%s: %w", q, err)
		}
	}
	return relations, len(stmts) > 0, nil
}

// revokeAnalyst takes from role every privilege it holds on the relations syncd's role owns in
// the schema, and USAGE on the schema.
func revokeAnalyst(tx *gorm.DB, role string) error {
	held, err := heldPrivileges(tx, role)
	if err != nil {
		return err
	}
	schema, err := currentSchema(tx)
	if err != nil {
		return err
	}
	var stmts []string
	if len(held) > 0 {
		stmts = append(stmts, "REVOKE ALL ON "+quoteRelations(schema, slices.Collect(maps.Keys(held)))+" FROM "+quoteIdent(role))
	}
	stmts = append(stmts, "REVOKE USAGE ON SCHEMA "+quoteIdent(schema)+" FROM "+quoteIdent(role))
	for _, q := range stmts {
		if err := tx.Exec(q).Error; err != nil {
			return fmt.Errorf("%s: %w", q, err)
		}
	}
	return nil
}

func currentSchema(tx *gorm.DB) (string, error) {
	var schema string
	if err := tx.Raw("SELECT current_schema()").Scan(&schema).Error; err != nil {
		return "", fmt.Errorf("read current schema: %w", err)
	}
	if schema == "" {
		return "", errors.New("no schema on the search_path")
	}
	return schema, nil
}

// checkRLSExempt fails when syncd's role would be subject to row-level security on a table of
// the schema that it uses (holds a privilege on): it neither holds the privileges of the table's
// owner (or the table FORCEs row-level security on its owner) nor is a superuser or BYPASSRLS.
// syncd would then read no row and be refused every write. Tables syncd has no privilege on are
// not its own, and are no reason to stop.
func checkRLSExempt(db *gorm.DB) error {
	var r struct {
		Role   string
		Tables string
	}
	err := db.Raw(`
SELECT current_user AS role,
       coalesce(string_agg(c.relname, ', ' ORDER BY c.relname), '') AS tables
FROM pg_catalog.pg_class c
WHERE c.relnamespace = current_schema()::regnamespace AND c.relkind IN ('r', 'p') AND c.relrowsecurity
  AND pg_catalog.has_table_privilege(current_user, c.oid, 'SELECT, INSERT, UPDATE, DELETE')
  AND (c.relforcerowsecurity OR NOT pg_catalog.pg_has_role(current_user, c.relowner, 'USAGE'))
  AND NOT (SELECT rolsuper OR rolbypassrls FROM pg_catalog.pg_roles WHERE rolname = current_user)`).Scan(&r).Error
	if err != nil {
		return fmt.Errorf("check syncd's role against row-level security: %w", err)
	}
	if r.Tables != "" {
		return fmt.Errorf("syncd's database role %s is subject to row-level security on %s "+
			"(it does not own them, or they FORCE row-level security): it would read no row and be refused every write; "+
			"run syncd as the role that owns the tables, or ALTER ROLE %s BYPASSRLS", r.Role, r.Tables, quoteIdent(r.Role))
	}
	return nil
}
