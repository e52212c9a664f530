package cli_test

import (
	"database/sql"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgconn"

	"github.com/syncd-dev/syncd/internal/models"
	"github.com/syncd-dev/syncd/internal/testing/dbtest"
	"github.com/syncd-dev/syncd/internal/testing/funnelfake"
	"github.com/syncd-dev/syncd/internal/testing/funnelfluxfake"
	"github.com/syncd-dev/syncd/internal/testing/rentenginefake"
)

// notGranted are the relations of the mirror's schema that no analyst role is granted, because
// they hold no tenant's data: every other relation must be readable, and filtered by tenant.
var notGranted = map[string]string{
	"goose_db_version": "the migration library's version table",
	"rate_leases": "each process's lease on a credential's rate budget: no tenant's rows, yet a credential's label " +
		"may list the tenants sharing a key, so it stays closed to analysts (no tenant_id, so no row-level security)",
}

// seedTenant starts a fake RentEngine and Funnel for one tenant, seeded so that every job has
// work: identity links, pushes (scores, renewal cards) and a record quarantined in bad_records.
// It returns the tenant's config block.
func seedTenant(t *testing.T, id string, seed int64) string {
	t.Helper()
	config, _, _ := seedFakes(t, id, seed)
	return config
}

// seedFakes is seedTenant that also returns the fakes, for tests that change upstream data
// between syncs.
func seedFakes(t *testing.T, id string, seed int64) (string, *rentenginefake.Server, *funnelfake.Server) {
	t.Helper()
	re := rentenginefake.New(rentenginefake.Options{Token: "tok"})
	t.Cleanup(re.Close)
	rentenginefake.Seed(re, rentenginefake.SeedOptions{Seed: seed, Units: 20, Prospects: 40, EventsPerProspect: 2})
	units := re.IDs(rentenginefake.Units)
	raw, _ := re.Raw(rentenginefake.Units, units[0])
	if err := re.Corrupt(rentenginefake.Units, units[0], append([]byte(`{"notes":"a\u0000b",`), raw[1:]...)); err != nil {
		t.Fatal(err)
	}
	fu := funnelfake.New(funnelfake.Options{APIKey: "fu-key"})
	t.Cleanup(fu.Close)
	funnelfake.Seed(fu, funnelfake.SeedOptions{Seed: seed, Communities: 1, ProspectsPerCommunity: 10,
		RenewalsPerCommunity: 5, AppointmentsPerCommunity: 5,
		Contacts: funnelfake.ContactsFrom(re.All(rentenginefake.Prospects), 2, 20)})
	var communities []string
	for _, c := range fu.Communities() {
		communities = append(communities, strconv.Quote(c.Numeric()))
	}
	// FunnelFlux: its assets and daily stats, and one lease conversion confirmed by the report.
	ff := funnelfluxfake.New(funnelfluxfake.Options{AccessToken: "ff-access", RefreshToken: "ff-refresh"})
	t.Cleanup(ff.Close)
	seeded := funnelfluxfake.Seed(ff, funnelfluxfake.SeedOptions{Seed: seed, Days: 3, HitsPerDay: 10})
	p := re.Insert(rentenginefake.Prospects, map[string]any{"name": "Ad Lead", "notes": "ff_hit=" + seeded.FreshHits[0]})
	re.AddEvent(p, "Lease Signed", time.Now().Add(-time.Hour))
	return fmt.Sprintf(`  - id: %s
    rentengine: {base_url: %q, token_env: RE_TOKEN, rate_limit: {requests: 1000, per: 1s}}
    funnel: {base_url: %q, api_key_env: FU_KEY, company_id: %d, communities: [%s], rate_limit: {requests: 1000, per: 1s}}
    funnelflux: {base_url: %q, access_token_env: FF_ACCESS, refresh_token_env: FF_REFRESH, rate_limit: {requests: 1000, per: 1s}}
    push: {max_changes: "100%%", lease_conversion: {hit_id: {path: notes, pattern: 'ff_hit=([0-9a-z]+)'}}}
`, id, re.BaseURL(), fu.BaseURL(), fu.CompanyID(), strings.Join(communities, ", "), ff.BaseURL()), re, fu
}

// pgCode returns the SQLSTATE of a Postgres error, or "".
func pgCode(err error) string {
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		return pe.Code
	}
	return ""
}

const insufficientPrivilege = "42501"

func openSQL(t *testing.T, url string) *sql.DB {
	t.Helper()
	db, err := sql.Open("pgx", url)
	dbtest.Must(t, err, "open")
	t.Cleanup(func() { db.Close() })
	return db
}

func quoteIdent(s string) string { return `"` + strings.ReplaceAll(s, `"`, `""`) + `"` }

// writeRefused reports whether err refuses a write to r: a permission error, or for a view one
// that can take no write at all (a join view, or TRUNCATE, which only tables take).
func writeRefused(r relation, err error) bool {
	switch pgCode(err) {
	case insufficientPrivilege:
		return true
	case "55000", "42809": // object_not_in_prerequisite_state, wrong_object_type
		return r.view
	}
	return false
}

// relation is a table or view of the mirror's schema.
type relation struct {
	name      string
	view      bool
	hasTenant bool
}

// tenantRows counts a relation's rows per tenant as db sees them: acme, globex, and all.
func tenantRows(t *testing.T, db *sql.DB, rel string) (acme, globex, all int64, err error) {
	t.Helper()
	err = db.QueryRow(`SELECT count(*) FILTER (WHERE tenant_id = 'acme'), count(*) FILTER (WHERE tenant_id = 'globex'), count(*) FROM `+
		quoteIdent(rel)).Scan(&acme, &globex, &all)
	return acme, globex, all, err
}

// Acceptance (issue 14, row-level security): for an acme analyst, every relation of the mirror's
// schema, read from information_schema, returns no globex row and refuses every write; a role
// granted acme and globex reads both; revoke works; syncd's own role, the tables' owner, reads
// everything. The data comes from real pulls and pushes of two tenants against the fakes (and a
// schedule claim written as the scheduler would, and the grants themselves); every relation is
// checked to hold both tenants' rows, so "no globex row" means something.
func TestAnalystsSeeOnlyTheirTenants(t *testing.T) {
	d := dbtest.PostgresOwned(t)
	config := writeFile(t, "config.yaml", fmt.Sprintf("database: {url: %q}\nlog: {level: error}\ntenants:\n%s%s",
		d.URL, seedTenant(t, "acme", 1), seedTenant(t, "globex", 2)))
	env := map[string]string{"FU_KEY": "fu-key", "FF_ACCESS": "ff-access", "FF_REFRESH": "ff-refresh"}
	for _, tenant := range []string{"acme", "globex"} {
		if code, out, errOut := runCLIEnv(t, env, "sync", "--config", config, "--tenant", tenant); code != 0 {
			t.Fatalf("sync %s: exit %d\n%s%s", tenant, code, out, errOut)
		}
		// The FunnelFlux pull after the push confirms its lease conversion.
		if code, out, errOut := runCLIEnv(t, env, "sync", "--config", config, "--tenant", tenant, "--job", "funnelflux"); code != 0 {
			t.Fatalf("sync %s funnelflux: exit %d\n%s%s", tenant, code, out, errOut)
		}
	}
	store := dbtest.Open(t, d.URL)
	now := time.Now().UTC()
	for _, tenant := range []string{"acme", "globex"} {
		// Only the daemon's scheduler claims ticks.
		_, err := store.ClaimTick(t.Context(), models.ScheduleClaim{TenantID: tenant, Job: "rentengine", ScheduledAt: now, Host: "h", ClaimedAt: now}, now.Add(-time.Hour))
		dbtest.Must(t, err, "claim a tick")
	}

	// The CLI: grant acme to one role, acme and globex to another.
	acmeRole, bothRole := d.RoleName("acme_analysts"), d.RoleName("all_analysts")
	code, out, errOut := runCLIEnv(t, env, "analysts", "grant", "--config", config, "--tenant", "acme", "--role", acmeRole)
	if code != 0 || !strings.Contains(out, "created role "+acmeRole+" (NOLOGIN)") || !strings.Contains(out, "may now read tenant acme") {
		t.Fatalf("grant acme: exit %d\n%s%s", code, out, errOut)
	}
	for _, tenant := range []string{"acme", "globex"} {
		if code, out, errOut := runCLIEnv(t, env, "analysts", "grant", "--config", config, "--tenant", tenant, "--role", bothRole); code != 0 {
			t.Fatalf("grant %s to %s: exit %d\n%s%s", tenant, bothRole, code, out, errOut)
		}
	}
	code, out, _ = runCLIEnv(t, env, "analysts", "list", "--config", config)
	if code != 0 || strings.Count(out, "\n") != 4 || !strings.Contains(out, acmeRole+"  acme") {
		t.Errorf("list: exit %d\n%s", code, out)
	}
	admin := openSQL(t, d.AdminURL)
	owner := openSQL(t, d.URL)
	var rels []relation
	rows, err := admin.Query(`
SELECT t.table_name, t.table_type = 'VIEW',
       EXISTS (SELECT 1 FROM information_schema.columns c
               WHERE c.table_schema = t.table_schema AND c.table_name = t.table_name AND c.column_name = 'tenant_id')
FROM information_schema.tables t WHERE t.table_schema = current_schema() ORDER BY 1`)
	dbtest.Must(t, err, "list relations")
	for rows.Next() {
		var r relation
		dbtest.Must(t, rows.Scan(&r.name, &r.view, &r.hasTenant), "scan")
		rels = append(rels, r)
	}
	dbtest.Must(t, rows.Err(), "list relations")
	if len(rels) < 15 {
		t.Fatalf("%d relations in the schema: the listing is broken", len(rels))
	}

	// syncd's role owns every relation, is neither superuser nor BYPASSRLS: its exemption is
	// ownership, by design.
	var notOwned string
	var super, bypass bool
	dbtest.Must(t, admin.QueryRow(`SELECT coalesce(string_agg(relname, ', '), '') FROM pg_class
		WHERE relnamespace = current_schema()::regnamespace AND relkind IN ('r', 'v', 'p') AND relowner <> $1::regrole`, d.Owner).Scan(&notOwned), "owners")
	dbtest.Must(t, admin.QueryRow(`SELECT rolsuper, rolbypassrls FROM pg_roles WHERE rolname = $1`, d.Owner).Scan(&super, &bypass), "owner role")
	if notOwned != "" || super || bypass {
		t.Fatalf("syncd's role %s: does not own %q, superuser %v, bypassrls %v", d.Owner, notOwned, super, bypass)
	}

	// Every granted relation holds both tenants' rows (admin, a superuser, sees them all), and
	// syncd's role sees every one of them.
	adminCounts := map[string][2]int64{}
	for _, r := range rels {
		if _, ok := notGranted[r.name]; ok {
			continue
		}
		if !r.hasTenant {
			t.Errorf("%s has no tenant_id column: an analyst could not be limited to a tenant's rows of it "+
				"(give it tenant_id, or list it in notGranted with the reason it holds no tenant's data)", r.name)
			continue
		}
		acme, globex, _, err := tenantRows(t, admin, r.name)
		dbtest.Must(t, err, "count %s as admin", r.name)
		if acme == 0 || globex == 0 {
			t.Errorf("%s holds %d acme and %d globex rows: seed both tenants so the checks below mean something", r.name, acme, globex)
		}
		adminCounts[r.name] = [2]int64{acme, globex}
		oa, og, _, err := tenantRows(t, owner, r.name)
		if err != nil || oa != acme || og != globex {
			t.Errorf("syncd's role reads %d acme, %d globex rows of %s (%v); want all %d and %d", oa, og, r.name, err, acme, globex)
		}
	}
	if t.Failed() {
		t.FailNow()
	}

	// Real logins, as a DBA would set them up: members of the NOLOGIN roles.
	alice, carol := d.RoleName("alice"), d.RoleName("carol")
	for _, q := range []string{
		"CREATE ROLE " + alice + " LOGIN IN ROLE " + acmeRole,
		"CREATE ROLE " + carol + " LOGIN IN ROLE " + bothRole,
	} {
		_, err := admin.Exec(q)
		dbtest.Must(t, err, "%s", q)
	}
	asAlice, asCarol := openSQL(t, d.URLAs(alice)), openSQL(t, d.URLAs(carol))

	for _, r := range rels {
		t.Run(r.name, func(t *testing.T) {
			if why, ok := notGranted[r.name]; ok {
				var n int64
				err := asAlice.QueryRow("SELECT count(*) FROM " + quoteIdent(r.name)).Scan(&n)
				if pgCode(err) != insufficientPrivilege {
					t.Errorf("an analyst reading %s (%s): %v; want permission denied", r.name, why, err)
				}
				return
			}
			want, wantCarol := adminCounts[r.name], adminCounts[r.name]
			if r.name == "analyst_grants" {
				// A role reads its own grants only, not the other role's.
				want, wantCarol = [2]int64{1, 0}, [2]int64{1, 1}
			}
			acme, globex, all, err := tenantRows(t, asAlice, r.name)
			if err != nil || globex != 0 || acme != want[0] || all != acme {
				t.Errorf("acme's analyst reads %d acme, %d globex, %d in all (%v); want %d acme and nothing else", acme, globex, all, err, want[0])
			}
			want = wantCarol
			acme, globex, all, err = tenantRows(t, asCarol, r.name)
			if err != nil || acme != want[0] || globex != want[1] || all != acme+globex {
				t.Errorf("the acme+globex analyst reads %d acme, %d globex, %d in all (%v); want %d and %d", acme, globex, all, err, want[0], want[1])
			}
			q := quoteIdent(r.name)
			for _, w := range []string{
				"INSERT INTO " + q + " DEFAULT VALUES",
				"INSERT INTO " + q + " SELECT * FROM " + q,
				"UPDATE " + q + " SET tenant_id = tenant_id",
				"DELETE FROM " + q,
				"TRUNCATE " + q,
			} {
				for name, db := range map[string]*sql.DB{"acme's analyst": asAlice, "the acme+globex analyst": asCarol} {
					tx, err := db.Begin()
					dbtest.Must(t, err, "begin")
					_, err = tx.Exec(w)
					_ = tx.Rollback()
					if !writeRefused(r, err) {
						t.Errorf("%s: %s: %v; want permission denied", name, w, err)
					}
				}
			}
		})
	}

	// Revoke: the role granted both keeps acme only; the acme role loses its privileges and
	// reads nothing, and stays a role.
	code, out, errOut = runCLIEnv(t, env, "analysts", "revoke", "--config", config, "--tenant", "globex", "--role", bothRole)
	if code != 0 || !strings.Contains(out, "no longer reads tenant globex; it still reads: acme") {
		t.Errorf("revoke globex: exit %d\n%s%s", code, out, errOut)
	}
	acme, globex, _, err := tenantRows(t, asCarol, "rentengine_units")
	if err != nil || globex != 0 || acme != adminCounts["rentengine_units"][0] {
		t.Errorf("after revoking globex, %s reads %d acme and %d globex units (%v)", bothRole, acme, globex, err)
	}
	code, out, errOut = runCLIEnv(t, env, "analysts", "revoke", "--config", config, "--tenant", "acme", "--role", acmeRole)
	if code != 0 || !strings.Contains(out, "its privileges on the mirror are revoked; the role is kept") {
		t.Errorf("revoke acme: exit %d\n%s%s", code, out, errOut)
	}
	for _, r := range rels {
		var n int64
		if err := asAlice.QueryRow("SELECT count(*) FROM " + quoteIdent(r.name)).Scan(&n); pgCode(err) != insufficientPrivilege {
			t.Errorf("after the last revoke, acme's analyst reading %s: %v; want permission denied", r.name, err)
		}
	}
	var roles int
	dbtest.Must(t, admin.QueryRow("SELECT count(*) FROM pg_roles WHERE rolname = $1", acmeRole).Scan(&roles), "role")
	if roles != 1 {
		t.Errorf("revoke dropped role %s", acmeRole)
	}
}

// The command's errors: a SQLite database, a tenant not in the config, missing flags.
func TestAnalystsCommandErrors(t *testing.T) {
	sqlite := writeFile(t, "config.yaml", fmt.Sprintf("database: {url: %q}\ntenants:\n  - id: acme\n    rentengine: {token_env: RE_TOKEN}\n",
		dbtest.SQLiteDSN(t)))
	for _, tc := range []struct {
		args []string
		code int
		want string
	}{
		{[]string{"grant", "--config", sqlite, "--tenant", "acme", "--role", "acme_analysts"}, 1, "needs Postgres"},
		{[]string{"list", "--config", sqlite}, 1, "needs Postgres"},
		{[]string{"grant", "--config", sqlite, "--tenant", "acme"}, 2, "--tenant and --role are required"},
		{[]string{"drop", "--config", sqlite}, 2, `unknown subcommand "drop"`},
		{nil, 2, "syncd analysts grant"},
	} {
		code, _, errOut := runCLI(t, append([]string{"analysts"}, tc.args...)...)
		if code != tc.code || !strings.Contains(errOut, tc.want) {
			t.Errorf("analysts %v: exit %d, stderr %q; want %d and %q", tc.args, code, errOut, tc.code, tc.want)
		}
	}

	d := dbtest.PostgresOwned(t)
	pg := writeFile(t, "pg.yaml", fmt.Sprintf("database: {url: %q}\ntenants:\n  - id: acme\n    rentengine: {token_env: RE_TOKEN}\n", d.URL))
	if code, _, errOut := runCLI(t, "analysts", "grant", "--config", pg, "--tenant", "globex", "--role", d.RoleName("x")); code != 1 ||
		!strings.Contains(errOut, `no tenant "globex"`) {
		t.Errorf("grant for a tenant not in the config: exit %d, %s", code, errOut)
	}
	if code, _, errOut := runCLI(t, "analysts", "grant", "--config", pg, "--tenant", "acme", "--role", d.Owner); code != 1 ||
		!strings.Contains(errOut, "syncd's own database role") {
		t.Errorf("grant to syncd's own role: exit %d, %s", code, errOut)
	}
}
