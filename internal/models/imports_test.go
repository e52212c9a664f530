package models_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"go/ast"
	"go/parser"
	"go/token"
	"io"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// The rule: SQL lives in the store. No package of the module but internal/models (and packages
// below it, such as a future migrations package) may import GORM, a SQL driver, database/sql or
// the migration library in its non-test files, nor refer to models.DBForTest. Test files are
// free to: tests may assert with SQL.
//
// The only exemptions are the test-support packages below, which need the database directly
// and which no production binary links (the test checks that the syncd binary does not). Keep
// this list short and exact: a package that moves or no longer needs its exemption fails the
// test until the list is updated.
var sqlExempt = map[string]string{
	"internal/testing/dbtest": "creates and drops a Postgres database per test (database/sql, pgx) and gives tests the store's handle (DB)",
	"internal/bench":          "loads its reference floor with pgx COPY, reads pg_stat_user_tables, and picks push fixtures with SQL",
}

const (
	module    = "github.com/syncd-dev/syncd"
	storePkg  = module + "/internal/models"
	syncdMain = module + "/cmd/syncd"
)

// sqlImport reports whether an import path is GORM, a SQL driver, database/sql or goose.
func sqlImport(path string) bool {
	for _, p := range []string{
		"database/sql",
		"gorm.io/",
		"github.com/jackc/", // pgx, pgconn, pgtype, puddle
		"github.com/lib/pq",
		"github.com/glebarez/", // glebarez/sqlite, glebarez/go-sqlite
		"modernc.org/sqlite",
		"github.com/mattn/go-sqlite3",
		"github.com/ncruces/go-sqlite3",
		"github.com/go-sql-driver/",
		"github.com/pressly/goose",
	} {
		root := strings.TrimSuffix(p, "/")
		if path == root || strings.HasPrefix(path, root+"/") {
			return true
		}
	}
	return false
}

type listedPackage struct {
	ImportPath string
	Dir        string
	GoFiles    []string
	Imports    []string
	Deps       []string
}

// listModule runs `go list -json` over the module's packages. Imports and GoFiles are those of
// the non-test files.
func listModule(t *testing.T) map[string]listedPackage {
	t.Helper()
	goTool, err := exec.LookPath("go")
	if err != nil {
		t.Fatalf("the go command is needed to list the module's imports: %v", err)
	}
	var stdout, stderr bytes.Buffer
	cmd := exec.Command(goTool, "list", "-json=ImportPath,Dir,GoFiles,Imports,Deps", module+"/...")
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("go list: %v\n%s", err, stderr.String())
	}
	pkgs := map[string]listedPackage{}
	dec := json.NewDecoder(&stdout)
	for {
		var p listedPackage
		if err := dec.Decode(&p); errors.Is(err, io.EOF) {
			break
		} else if err != nil {
			t.Fatalf("decode go list output: %v", err)
		}
		pkgs[p.ImportPath] = p
	}
	return pkgs
}

// refersToDBForTest lists the non-test files of p that use a selector named DBForTest.
func refersToDBForTest(t *testing.T, p listedPackage) []string {
	t.Helper()
	var out []string
	fset := token.NewFileSet()
	for _, name := range p.GoFiles {
		f, err := parser.ParseFile(fset, filepath.Join(p.Dir, name), nil, parser.SkipObjectResolution)
		if err != nil {
			t.Fatal(err)
		}
		ast.Inspect(f, func(n ast.Node) bool {
			if sel, ok := n.(*ast.SelectorExpr); ok && sel.Sel.Name == "DBForTest" {
				out = append(out, fset.Position(sel.Pos()).String())
			}
			return true
		})
	}
	return out
}

func TestSQLStaysInModels(t *testing.T) {
	pkgs := listModule(t)

	// The check sees what it is meant to see.
	if !slices.Contains(pkgs[storePkg].Imports, "gorm.io/gorm") {
		t.Fatalf("%s does not appear to import gorm.io/gorm: the import listing is broken", storePkg)
	}
	syncd, ok := pkgs[syncdMain]
	if !ok {
		t.Fatalf("%s not found among the module's packages", syncdMain)
	}

	for rel, why := range sqlExempt {
		path := module + "/" + rel
		p, ok := pkgs[path]
		if !ok {
			t.Errorf("exempt package %s (%s) does not exist: update sqlExempt", rel, why)
			continue
		}
		if slices.Contains(syncd.Deps, path) {
			t.Errorf("exempt package %s is linked into the syncd binary: only test support may be exempt", rel)
		}
		if !slices.ContainsFunc(p.Imports, sqlImport) && len(refersToDBForTest(t, p)) == 0 {
			t.Errorf("exempt package %s no longer uses SQL directly: remove it from sqlExempt", rel)
		}
	}

	for path, p := range pkgs {
		rel := strings.TrimPrefix(strings.TrimPrefix(path, module), "/")
		if path == storePkg || strings.HasPrefix(path, storePkg+"/") {
			continue
		}
		if _, ok := sqlExempt[rel]; ok {
			continue
		}
		for _, imp := range p.Imports {
			if sqlImport(imp) {
				t.Errorf("%s imports %s: SQL belongs in internal/models, behind a named Store method", rel, imp)
			}
		}
		for _, at := range refersToDBForTest(t, p) {
			t.Errorf("%s: production code refers to models.DBForTest, which is for test support only", at)
		}
	}
}

func TestSQLImportClassification(t *testing.T) {
	for path, want := range map[string]bool{
		"database/sql": true, "database/sql/driver": true, "gorm.io/gorm": true, "gorm.io/gorm/clause": true,
		"gorm.io/driver/postgres": true, "github.com/jackc/pgx/v5/stdlib": true, "github.com/jackc/pgx/v5": true,
		"github.com/lib/pq": true, "github.com/glebarez/sqlite": true, "modernc.org/sqlite": true,
		"github.com/mattn/go-sqlite3": true, "github.com/pressly/goose/v3": true,
		"database/sqlx": false, "github.com/lib/pqx": false, "encoding/json": false, "go.uber.org/zap": false,
		"github.com/prometheus/client_golang/prometheus/collectors": false,
	} {
		if got := sqlImport(path); got != want {
			t.Errorf("sqlImport(%q) = %v, want %v", path, got, want)
		}
	}
}
