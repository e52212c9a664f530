package models_test

import (
	"bytes"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/syncd-dev/syncd/internal/testing/dbtest"
)

// docs/SCHEMA.md is generated from the migrations, through the databases they build: the
// comments and Postgres types from a migrated Postgres database (pg_description, pg_attribute),
// the SQLite types and which views SQLite has from a migrated SQLite file. Reading the migrated
// schema rather than parsing the SQL means ALTER TABLE, a view replaced or dropped, and a comment
// set again by a later migration (the latest wins) are all accounted for by the databases
// themselves, and a view column's type is known without evaluating its SQL.
//
// `go generate ./internal/models` runs TestSchemaDoc with -update, which rewrites the file;
// without -update the test regenerates it and fails when the committed file differs.

var updateSchemaDoc = flag.Bool("update", false, "rewrite docs/SCHEMA.md from the migrated schema (go generate ./internal/models)")

var schemaDocPath = filepath.Join("..", "..", "docs", "SCHEMA.md")

// gooseVersionTable is the migration library's own bookkeeping (one row per applied migration;
// no tenant data). syncd does not create it with a migration, so it carries no comment, and
// docs/SCHEMA.md names it without documenting its columns. It is the only relation exempt.
const gooseVersionTable = "goose_db_version"

// TestSchemaComments holds the comment convention of migration 00007: every table and view of
// the migrated Postgres schema (read from pg_catalog), and every column of each, has a comment;
// a table column that can be NULL says what NULL means (a view column's nullability is not
// recorded); a comment is one line; and a <table>_current view's columns carry their table's
// comments word for word. Only the migration library's own table is exempt (gooseVersionTable).
func TestSchemaComments(t *testing.T) {
	rels := postgresCatalog(t, dbtest.Postgres(t))
	// The check sees what it must: a mirror table, a view and the exempt table.
	for _, name := range []string{"rentengine_units", "prospect_journey", gooseVersionTable} {
		if find(rels, name) == nil {
			t.Fatalf("%s not found in the migrated schema: the catalog query is broken", name)
		}
	}
	const fix = "add one (in the migration that creates it, or a new one) as the convention at the top of migration 00007 says"
	for _, r := range rels {
		if r.Name == gooseVersionTable {
			continue
		}
		kind, stmt := "table", "COMMENT ON TABLE"
		if r.View {
			kind, stmt = "view", "COMMENT ON VIEW"
		}
		switch {
		case strings.TrimSpace(r.Comment) == "":
			t.Errorf("%s %s has no comment (%s %s IS '...';): %s", kind, r.Name, stmt, r.Name, fix)
		case strings.ContainsAny(r.Comment, "\r\n"):
			t.Errorf("%s %s: its comment has a line break; docs/SCHEMA.md needs one line", kind, r.Name)
		}
		base := (*relation)(nil)
		if name, ok := strings.CutSuffix(r.Name, "_current"); ok && r.View {
			base = find(rels, name)
		}
		for _, c := range r.Columns {
			where := fmt.Sprintf("column %s.%s", r.Name, c.Name)
			switch {
			case strings.TrimSpace(c.Comment) == "":
				t.Errorf("%s has no comment (COMMENT ON COLUMN %s.%s IS '...';): %s", where, r.Name, c.Name, fix)
				continue
			case strings.ContainsAny(c.Comment, "\r\n"):
				t.Errorf("%s: its comment has a line break; docs/SCHEMA.md needs one line", where)
			case !r.View && !c.NotNull && !strings.Contains(c.Comment, "NULL"):
				t.Errorf("%s can be NULL, and its comment does not say what NULL means (\"NULL: ...\"): %q", where, c.Comment)
			}
			if base != nil {
				if bc := base.column(c.Name); bc != nil && bc.Comment != "" && bc.Comment != c.Comment {
					t.Errorf("%s: comment differs from %s.%s's; a _current view's columns carry their table's comments\n  view:  %q\n  table: %q",
						where, base.Name, c.Name, c.Comment, bc.Comment)
				}
			}
		}
	}
}

// TestSchemaDoc fails when docs/SCHEMA.md is not what the migrations generate; with -update
// (go generate ./internal/models) it rewrites the file.
func TestSchemaDoc(t *testing.T) {
	pg := postgresCatalog(t, dbtest.Postgres(t))
	lite := sqliteCatalog(t, dbtest.SQLite(t))
	got := renderSchemaDoc(pg, lite)
	if *updateSchemaDoc {
		if err := os.WriteFile(schemaDocPath, got, 0o644); err != nil {
			t.Fatal(err)
		}
		t.Logf("wrote %s", schemaDocPath)
		return
	}
	want, err := os.ReadFile(schemaDocPath)
	if err != nil {
		t.Fatalf("%v: generate it with go generate ./internal/models", err)
	}
	if bytes.Equal(got, want) {
		return
	}
	gl, wl := strings.Split(string(got), "\n"), strings.Split(string(want), "\n")
	line := 0
	for line < len(gl) && line < len(wl) && gl[line] == wl[line] {
		line++
	}
	at := func(lines []string) string {
		if line < len(lines) {
			return lines[line]
		}
		return "(end of file)"
	}
	t.Errorf("docs/SCHEMA.md is out of date with the migrations: run go generate ./internal/models and commit it.\n"+
		"First difference, line %d:\n  committed: %s\n  generated: %s", line+1, at(wl), at(gl))
}

// renderSchemaDoc writes docs/SCHEMA.md: tables, then views, each sorted by name; per relation
// its comment and a table of columns with the Postgres type, the SQLite type where it differs
// and the comment. A <table>_current view whose columns are exactly its table's (names, types,
// comments) says so instead of repeating them.
func renderSchemaDoc(pg, lite []*relation) []byte {
	var b bytes.Buffer
	p := func(format string, args ...any) { fmt.Fprintf(&b, format, args...) }

	var tables, views []*relation
	for _, r := range pg {
		switch {
		case r.Name == gooseVersionTable:
		case r.View:
			views = append(views, r)
		default:
			tables = append(tables, r)
		}
	}
	// Relations only SQLite has (a migration that forgot Postgres) are listed too, marked.
	for _, r := range lite {
		if r.Name != gooseVersionTable && find(pg, r.Name) == nil {
			if r.View {
				views = append(views, r)
			} else {
				tables = append(tables, r)
			}
		}
	}
	byName := func(a, b *relation) int { return strings.Compare(a.Name, b.Name) }
	slices.SortFunc(tables, byName)
	slices.SortFunc(views, byName)

	p("# The mirror's schema\n\n")
	p("<!-- Generated by `go generate ./internal/models` from the migrations in internal/models/migrations. Do not edit: change the COMMENT ON statements of a migration instead. -->\n\n")
	p("Every table and view in syncd's database, with each column's type and meaning. The descriptions are the\n")
	p("`COMMENT ON` text of the Postgres migrations, so psql (`\\d+ rentengine_units`) and BI tools show the same\n")
	p("in the database. SQLite has no comments; this document covers it too.\n\n")
	p("- **type** is the Postgres type, with `not null` where the column is never NULL. A description ends with\n")
	p("  `Source:` (the upstream field, the column a view reads, or syncd) and, where NULL is possible, `NULL:`\n")
	p("  (what it means).\n")
	p("- **SQLite** is the SQLite column type where it differs; `—` where SQLite declares none (a computed view\n")
	p("  column, whose values keep the type of the expression: times as text, booleans as 1/0).\n")
	p("- Times are UTC. Tenant data is keyed by `tenant_id` everywhere: filter or join on it.\n")
	p("- Views are `security_invoker` on Postgres (15 or later), so row-level security on the tables they read\n")
	p("  applies to whoever queries them. Each says whether SQLite has it.\n")
	p("- Not listed: `%s`, the migration library's own table (one row per applied migration, no\n", gooseVersionTable)
	p("  tenant data).\n\n")

	link := func(rs []*relation) string {
		var parts []string
		for _, r := range rs {
			parts = append(parts, fmt.Sprintf("[`%s`](#%s)", r.Name, r.Name))
		}
		return strings.Join(parts, ", ")
	}
	p("**Tables:** %s.\n\n", link(tables))
	p("**Views:** %s.\n\n", link(views))

	section := func(r *relation) {
		lr, pr := find(lite, r.Name), find(pg, r.Name)
		p("### `%s`\n\n", r.Name)
		switch {
		case pr == nil:
			p("On SQLite only: not in the Postgres schema.\n\n")
		case strings.TrimSpace(pr.Comment) != "":
			p("%s\n\n", pr.Comment)
		}
		if r.View {
			switch {
			case pr == nil:
			case lr == nil:
				p("Postgres only: SQLite has no such view.\n\n")
			default:
				p("On Postgres and SQLite.\n\n")
			}
		} else if pr != nil && lr == nil {
			p("Postgres only: SQLite has no such table.\n\n")
		}
		if base := sameAsTable(pg, lite, r); base != "" {
			p("Columns: exactly those of [`%s`](#%s), with the same types and descriptions.\n\n", base, base)
			return
		}
		p("| column | type | SQLite | description |\n|---|---|---|---|\n")
		if pr == nil {
			for _, c := range lr.Columns {
				p("| `%s` | | %s | |\n", c.Name, cell(sqliteType(c.Type)))
			}
			p("\n")
			return
		}
		for _, c := range pr.Columns {
			typ := c.Type
			if c.NotNull {
				typ += " not null"
			}
			lite := ""
			if lr != nil {
				switch lc := lr.column(c.Name); {
				case lc == nil:
					lite = "(not on SQLite)"
				case !strings.EqualFold(lc.Type, c.Type):
					lite = sqliteType(lc.Type)
				}
			}
			p("| `%s` | %s | %s | %s |\n", c.Name, cell(typ), cell(lite), cell(c.Comment))
		}
		if lr != nil {
			for _, lc := range lr.Columns {
				if pr.column(lc.Name) == nil {
					p("| `%s` | (not on Postgres) | %s | |\n", lc.Name, cell(sqliteType(lc.Type)))
				}
			}
		}
		p("\n")
	}
	p("## Tables\n\n")
	for _, r := range tables {
		section(r)
	}
	p("## Views\n\n")
	for _, r := range views {
		section(r)
	}
	return append(bytes.TrimRight(b.Bytes(), "\n"), '\n')
}

// sameAsTable returns the table a <table>_current view repeats column for column (names, types
// and comments on Postgres, types on SQLite), or "".
func sameAsTable(pg, lite []*relation, v *relation) string {
	name, ok := strings.CutSuffix(v.Name, "_current")
	if !ok || !v.View {
		return ""
	}
	same := func(rels []*relation, withComments bool) bool {
		view, table := find(rels, v.Name), find(rels, name)
		if view == nil || table == nil || table.View || len(view.Columns) != len(table.Columns) {
			return false
		}
		for i, c := range view.Columns {
			tc := table.Columns[i]
			if c.Name != tc.Name || !strings.EqualFold(c.Type, tc.Type) || (withComments && c.Comment != tc.Comment) {
				return false
			}
		}
		return true
	}
	if !same(pg, true) || (find(lite, v.Name) != nil && !same(lite, false)) {
		return ""
	}
	return name
}

func sqliteType(t string) string {
	if t == "" {
		return "—"
	}
	return t
}

// cell escapes text for a Markdown table cell.
func cell(s string) string {
	return strings.NewReplacer("|", `\|`, "\n", " ").Replace(s)
}
