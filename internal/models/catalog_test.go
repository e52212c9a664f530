package models_test

import (
	"slices"
	"strings"
	"testing"

	"github.com/syncd-dev/syncd/internal/models"
	"github.com/syncd-dev/syncd/internal/testing/dbtest"
)

// The schema as a migrated database holds it, read from its catalog (pg_catalog on Postgres,
// sqlite_master and table_xinfo on SQLite) rather than from a list kept by hand, so that a table,
// view or column a migration adds is seen by the tests that read it: the comment check, the
// generated docs/SCHEMA.md, the _current views' check.

// relation is a table or a view with its columns in their order.
type relation struct {
	Name    string
	View    bool
	Comment string // Postgres only: obj_description; "" when none
	// Options are the relation's reloptions on Postgres ("security_invoker=true").
	Options []string
	Columns []column
}

type column struct {
	Name string
	// Type is format_type on Postgres, the declared type on SQLite ("" when it declares none,
	// as for a computed view column).
	Type    string
	NotNull bool
	Comment string // Postgres only: col_description; "" when none
}

// column returns the named column, or nil.
func (r *relation) column(name string) *column {
	for i := range r.Columns {
		if r.Columns[i].Name == name {
			return &r.Columns[i]
		}
	}
	return nil
}

// catalog reads every table and view of the store's schema, sorted by name, the migration
// library's table included.
func catalog(t *testing.T, store *models.Store) []*relation {
	t.Helper()
	if store.Dialect() == models.Postgres {
		return postgresCatalog(t, store)
	}
	return sqliteCatalog(t, store)
}

// postgresCatalog reads pg_catalog: every ordinary or partitioned table, view, materialized view
// and foreign table of the current schema, with every live column, its type and the comments
// (pg_description, through obj_description and col_description).
func postgresCatalog(t *testing.T, store *models.Store) []*relation {
	t.Helper()
	rows, err := dbtest.DB(store).Raw(`
		SELECT c.relname, c.relkind IN ('v', 'm'), coalesce(obj_description(c.oid, 'pg_class'), ''),
		       coalesce(array_to_string(c.reloptions, ','), ''),
		       a.attname, format_type(a.atttypid, a.atttypmod), a.attnotnull,
		       coalesce(col_description(c.oid, a.attnum), '')
		FROM pg_catalog.pg_class c
		JOIN pg_catalog.pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
		WHERE c.relnamespace = current_schema()::regnamespace AND c.relkind IN ('r', 'p', 'v', 'm', 'f')
		ORDER BY c.relname, a.attnum`).Rows()
	if err != nil {
		t.Fatalf("read pg_catalog: %v", err)
	}
	defer rows.Close()
	var out []*relation
	for rows.Next() {
		var (
			r       relation
			options string
			c       column
		)
		if err := rows.Scan(&r.Name, &r.View, &r.Comment, &options, &c.Name, &c.Type, &c.NotNull, &c.Comment); err != nil {
			t.Fatalf("read pg_catalog: %v", err)
		}
		if len(out) == 0 || out[len(out)-1].Name != r.Name {
			if options != "" {
				r.Options = strings.Split(options, ",")
			}
			out = append(out, &r)
		}
		last := out[len(out)-1]
		last.Columns = append(last.Columns, c)
	}
	if err := rows.Err(); err != nil {
		t.Fatalf("read pg_catalog: %v", err)
	}
	return out
}

// sqliteCatalog reads sqlite_master and each relation's table_xinfo (SQLite's own tables, named
// sqlite_*, left out).
func sqliteCatalog(t *testing.T, store *models.Store) []*relation {
	t.Helper()
	db := dbtest.DB(store)
	var names []struct {
		Name string
		Type string
	}
	if err := db.Raw(`SELECT name, type FROM sqlite_master
		WHERE type IN ('table', 'view') AND substr(name, 1, 7) <> 'sqlite_' ORDER BY name`).Scan(&names).Error; err != nil {
		t.Fatalf("read sqlite_master: %v", err)
	}
	var out []*relation
	for _, n := range names {
		r := &relation{Name: n.Name, View: n.Type == "view"}
		rows, err := db.Raw(`SELECT name, type, "notnull" FROM pragma_table_xinfo(?) ORDER BY cid`, n.Name).Rows()
		if err != nil {
			t.Fatalf("read columns of %s: %v", n.Name, err)
		}
		for rows.Next() {
			var c column
			if err := rows.Scan(&c.Name, &c.Type, &c.NotNull); err != nil {
				rows.Close()
				t.Fatalf("read columns of %s: %v", n.Name, err)
			}
			r.Columns = append(r.Columns, c)
		}
		err = rows.Err()
		rows.Close()
		if err != nil {
			t.Fatalf("read columns of %s: %v", n.Name, err)
		}
		out = append(out, r)
	}
	return out
}

// find returns the named relation, or nil.
func find(rels []*relation, name string) *relation {
	i := slices.IndexFunc(rels, func(r *relation) bool { return r.Name == name })
	if i < 0 {
		return nil
	}
	return rels[i]
}

// mirrorTables are the tables with a tombstone (a deleted_at column): the mirrored ones, each of
// which has a <table>_current view.
func mirrorTables(rels []*relation) []string {
	var out []string
	for _, r := range rels {
		if !r.View && r.column("deleted_at") != nil {
			out = append(out, r.Name)
		}
	}
	return out
}
