package cli_test

import (
	"database/sql"
	"fmt"
	"os"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"go.uber.org/zap"
	"go.uber.org/zap/zaptest"

	syncer "github.com/syncd-dev/syncd/internal/sync"
	"github.com/syncd-dev/syncd/internal/tenants"
	"github.com/syncd-dev/syncd/internal/testing/dbtest"
	"github.com/syncd-dev/syncd/internal/testing/rentenginefake"
)

// analystMirror is a Postgres mirror of two tenants, acme and globex, filled by real pulls and
// pushes against the fakes, with change history, and an acme analyst's login made as README
// says: `syncd analysts grant`, then a LOGIN role in the granted role.
type analystMirror struct {
	owner *sql.DB // syncd's role: every tenant
	alice *sql.DB // a login of the role granted acme
}

// newAnalystMirror builds the mirror. Each tenant's first pass (every job) runs 45 days ago by
// the runner's clock; upstream then changes (a unit's rent, a prospect's status) and `syncd sync`
// pulls and pushes again, now. So the history holds changes of the last month on records stored
// before it, and both tenants have rows for every question README's examples ask.
func newAnalystMirror(t *testing.T) *analystMirror {
	t.Helper()
	d := dbtest.PostgresOwned(t)
	var blocks string
	fakes := map[string]*rentenginefake.Server{}
	for i, tenant := range []string{"acme", "globex"} {
		block, re, _ := seedFakes(t, tenant, int64(i+1))
		blocks += block
		fakes[tenant] = re
		signLeases(t, re)
	}
	config := writeFile(t, "config.yaml", fmt.Sprintf("database: {url: %q}\nlog: {level: error}\ntenants:\n%s", d.URL, blocks))
	env := map[string]string{"FU_KEY": "fu-key", "FF_ACCESS": "ff-access", "FF_REFRESH": "ff-refresh"}
	cfg, err := tenants.Load(config, tenants.LoadOptions{LookupEnv: func(k string) (string, bool) {
		v, ok := map[string]string{"RE_TOKEN": "tok", "FU_KEY": "fu-key", "FF_ACCESS": "ff-access", "FF_REFRESH": "ff-refresh"}[k]
		return v, ok
	}})
	dbtest.Must(t, err, "load config")
	store := dbtest.Open(t, d.URL)
	then := time.Now().UTC().AddDate(0, 0, -45)
	runner := syncer.NewRunner(syncer.Config{Store: store, Now: func() time.Time { return then }},
		zaptest.NewLogger(t, zaptest.Level(zap.ErrorLevel)))
	for i := range cfg.Tenants {
		tenant := &cfg.Tenants[i]
		for _, job := range tenant.Jobs() {
			_, err := runner.Run(t.Context(), tenant, job)
			dbtest.Must(t, err, "%s's %s pass 45 days ago", tenant.ID, job)
		}
	}
	runner.Stop(t.Context())

	for tenant, re := range fakes {
		// units[0] is quarantined (see seedFakes): change the next one.
		unit := re.IDs(rentenginefake.Units)[1]
		u, _ := re.Get(rentenginefake.Units, unit)
		rent, err := strconv.Atoi(fmt.Sprint(u["target_rental_rate"]))
		dbtest.Must(t, err, "%s unit %d's rent %v", tenant, unit, u["target_rental_rate"])
		dbtest.Must(t, re.Update(rentenginefake.Units, unit, map[string]any{"target_rental_rate": strconv.Itoa(rent + 25)}), "raise a rent")
		prospect := re.IDs(rentenginefake.Prospects)[0]
		dbtest.Must(t, re.Update(rentenginefake.Prospects, prospect, map[string]any{"status": rentenginefake.EventApplicationReceived}), "change a status")
		if code, out, errOut := runCLIEnv(t, env, "sync", "--config", config, "--tenant", tenant); code != 0 {
			t.Fatalf("sync %s: exit %d\n%s%s", tenant, code, out, errOut)
		}
	}

	role := d.RoleName("acme_analysts")
	if code, out, errOut := runCLIEnv(t, env, "analysts", "grant", "--config", config, "--tenant", "acme", "--role", role); code != 0 {
		t.Fatalf("grant acme: exit %d\n%s%s", code, out, errOut)
	}
	alice := d.RoleName("alice")
	_, err = openSQL(t, d.AdminURL).Exec("CREATE ROLE " + alice + " LOGIN IN ROLE " + role)
	dbtest.Must(t, err, "create a login in %s", role)
	return &analystMirror{owner: openSQL(t, d.URL), alice: openSQL(t, d.URLAs(alice))}
}

// signLeases adds a "Lease Signed" event, 20 days after the prospect's creation, to three
// prospects: the seed's short histories (two events each) seldom get that far, and README's
// lead-to-lease and time-to-lease questions need some.
func signLeases(t *testing.T, re *rentenginefake.Server) {
	t.Helper()
	for _, id := range re.IDs(rentenginefake.Prospects)[:3] {
		p, _ := re.Get(rentenginefake.Prospects, id)
		created, err := time.Parse(time.RFC3339, fmt.Sprint(p["created_at"]))
		dbtest.Must(t, err, "prospect %d's created_at", id)
		re.Insert(rentenginefake.LeasingEvents, map[string]any{"prospect": id, "unit": p["unit_of_interest"],
			"event_type": rentenginefake.EventLeaseSigned, "created_at": created.Add(20 * 24 * time.Hour).Format(time.RFC3339)})
	}
}

// readmeAnalystQueries returns the SQL statements of README.md's "For analysts" section, in
// order: every statement of every ```sql block.
func readmeAnalystQueries(t *testing.T) []string {
	t.Helper()
	b, err := os.ReadFile("../../README.md")
	dbtest.Must(t, err, "read README.md")
	_, section, ok := strings.Cut(string(b), "\n## For analysts\n")
	if !ok {
		t.Fatal(`README.md has no "## For analysts" section`)
	}
	section, _, _ = strings.Cut(section, "\n## ")
	return sqlStatements(section)
}

// sqlStatements returns the statements of every ```sql block in text: each block split at the
// semicolons that end a line.
func sqlStatements(text string) []string {
	var out []string
	for {
		var block string
		var ok bool
		if _, text, ok = strings.Cut(text, "```sql\n"); !ok {
			return out
		}
		block, text, _ = strings.Cut(text, "```")
		for _, q := range strings.Split(block, ";\n") {
			if q = strings.TrimSpace(q); q != "" {
				out = append(out, q)
			}
		}
	}
}

// answer is a query's result: its columns, its number of rows, and each row's tenant_id (the
// first column, when it is named so).
type answer struct {
	cols    []string
	rows    int
	tenants []string
}

func (a answer) count(tenant string) int {
	n := 0
	for _, t := range a.tenants {
		if t == tenant {
			n++
		}
	}
	return n
}

func query(db *sql.DB, q string) (answer, error) {
	rows, err := db.Query(q)
	if err != nil {
		return answer{}, err
	}
	defer rows.Close()
	var a answer
	if a.cols, err = rows.Columns(); err != nil {
		return answer{}, err
	}
	for rows.Next() {
		vals := make([]any, len(a.cols))
		for i := range vals {
			vals[i] = new(any)
		}
		if err := rows.Scan(vals...); err != nil {
			return answer{}, err
		}
		a.rows++
		if a.cols[0] == "tenant_id" {
			a.tenants = append(a.tenants, fmt.Sprint(*vals[0].(*any)))
		}
	}
	return a, rows.Err()
}

// TestREADMEAnalystQueries runs every SQL statement of README's "For analysts" section, exactly
// as written, on a mirror of two tenants filled by real syncs, as syncd's role and as a login of
// a role granted acme by `syncd analysts grant`:
//
//   - every statement runs without error for both, and the analyst never gets a globex row; a
//     statement that names acme itself answers the analyst as it answers syncd's role;
//   - each of the "Example queries" leads with tenant_id and answers syncd's role with rows of
//     both tenants (so each example is shown to answer its question on real data, and the
//     analyst's answer below is a real restriction), and answers the analyst with acme's rows
//     only, as many as syncd's role gets for acme.
//
// The examples are Postgres SQL, as README says; TestREADMEAnalystQueriesSQLite runs the few
// marked as running on SQLite too.
func TestREADMEAnalystQueries(t *testing.T) {
	queries := readmeAnalystQueries(t)
	examples := readmeExampleQueries(t)
	if len(examples) < 6 || len(examples) > 10 {
		t.Fatalf("%d example queries in README, want 6 to 10", len(examples))
	}
	m := newAnalystMirror(t)
	// README: "SELECT tenant_id FROM analyst_grants lists yours".
	if a, err := query(m.alice, "SELECT tenant_id FROM analyst_grants"); err != nil || !slices.Equal(a.tenants, []string{"acme"}) {
		t.Errorf("acme's analyst reads the tenants %v in analyst_grants (%v); want acme", a.tenants, err)
	}
	for i, q := range queries {
		example := slices.Contains(examples, q)
		title, _, _ := strings.Cut(q, "\n")
		t.Run(fmt.Sprintf("%02d", i+1), func(t *testing.T) {
			all, err := query(m.owner, q)
			if err != nil {
				t.Fatalf("as syncd's role: %v\n%s", err, q)
			}
			mine, err := query(m.alice, q)
			if err != nil {
				t.Fatalf("as acme's analyst: %v\n%s", err, q)
			}
			if n := mine.count("globex"); n != 0 {
				t.Errorf("%s: acme's analyst got %d globex rows", title, n)
			}
			if !example {
				// The other statements of the section name tenant acme themselves: the analyst
				// gets what syncd's role gets.
				if mine.rows != all.rows {
					t.Errorf("%s: acme's analyst got %d rows, syncd's role %d", title, mine.rows, all.rows)
				}
				return
			}
			if len(mine.cols) == 0 || mine.cols[0] != "tenant_id" {
				t.Fatalf("%s: columns %v; an example leads with tenant_id", title, mine.cols)
			}
			if all.count("acme") == 0 || all.count("globex") == 0 {
				t.Errorf("%s: syncd's role got %d acme and %d globex rows; want both tenants' (the fixture must answer every example)",
					title, all.count("acme"), all.count("globex"))
			}
			if len(mine.tenants) != all.count("acme") || mine.count("acme") != len(mine.tenants) {
				t.Errorf("%s: acme's analyst got %d rows (%d of acme); syncd's role got %d acme rows",
					title, len(mine.tenants), mine.count("acme"), all.count("acme"))
			}
		})
	}
}

// readmeExampleQueries returns the statements of the "### Example queries" subsection.
func readmeExampleQueries(t *testing.T) []string {
	t.Helper()
	b, err := os.ReadFile("../../README.md")
	dbtest.Must(t, err, "read README.md")
	_, section, ok := strings.Cut(string(b), "\n### Example queries\n")
	if !ok {
		t.Fatal(`README.md has no "### Example queries" section`)
	}
	section, _, _ = strings.Cut(section, "\n## ")
	section, _, _ = strings.Cut(section, "\n### ")
	return sqlStatements(section)
}

// sqliteToo marks, in its leading comment, an example query that runs on SQLite as written.
const sqliteToo = "(Postgres and SQLite)"

// TestREADMEAnalystQueriesSQLite runs README's example queries marked sqliteToo on a SQLite
// mirror filled by `syncd sync`: each runs as written, leads with tenant_id and answers with rows.
func TestREADMEAnalystQueriesSQLite(t *testing.T) {
	var both []string
	for _, q := range readmeExampleQueries(t) {
		if comment, _, _ := strings.Cut(q, "\nSELECT"); strings.Contains(comment, sqliteToo) {
			both = append(both, q)
		}
	}
	if len(both) == 0 {
		t.Fatalf("no example query in README is marked %q", sqliteToo)
	}
	dsn := dbtest.SQLiteDSN(t)
	config := writeFile(t, "config.yaml", fmt.Sprintf("database: {url: %q}\nlog: {level: error}\ntenants:\n%s", dsn, seedTenant(t, "acme", 1)))
	if code, out, errOut := runCLIEnv(t, map[string]string{"FU_KEY": "fu-key", "FF_ACCESS": "ff-access", "FF_REFRESH": "ff-refresh"}, "sync", "--config", config, "--tenant", "acme"); code != 0 {
		t.Fatalf("sync acme: exit %d\n%s%s", code, out, errOut)
	}
	db, err := dbtest.DB(dbtest.Open(t, dsn)).DB()
	dbtest.Must(t, err, "the SQLite handle")
	for _, q := range both {
		title, _, _ := strings.Cut(q, "\n")
		a, err := query(db, q)
		switch {
		case err != nil:
			t.Errorf("%s: on SQLite: %v", title, err)
		case len(a.cols) == 0 || a.cols[0] != "tenant_id" || a.rows == 0 || a.count("acme") != a.rows:
			t.Errorf("%s: on SQLite, columns %v, %d rows (%d of acme); want tenant_id first and acme's rows", title, a.cols, a.rows, a.count("acme"))
		}
	}
}
