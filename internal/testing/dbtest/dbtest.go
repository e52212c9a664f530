// Package dbtest gives each test its own migrated database: a fresh Postgres database (created
// and dropped around the test, so `go test ./...` packages running in parallel never collide)
// or a fresh SQLite file. Postgres being unreachable fails the test; it never skips. DB gives
// tests the store's GORM handle, which production code has no access to.
package dbtest

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"testing"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib" // database/sql driver "pgx" for the admin connection
	"go.uber.org/zap"
	"go.uber.org/zap/zaptest"
	"gorm.io/gorm"

	"github.com/syncd-dev/syncd/internal/models"
)

// DefaultAdminURL is the machine's Postgres (trust auth, database test).
const DefaultAdminURL = "postgres://postgres@127.0.0.1:5432/test?sslmode=disable"

// AdminURL returns the URL of a database from which test databases are created:
// $SYNCD_TEST_POSTGRES_URL or DefaultAdminURL.
func AdminURL() string {
	if u := os.Getenv("SYNCD_TEST_POSTGRES_URL"); u != "" {
		return u
	}
	return DefaultAdminURL
}

// PostgresDSN creates an empty database for this test and returns its URL. The database is
// dropped when the test ends (connections still open are terminated).
func PostgresDSN(t testing.TB) string {
	t.Helper()
	admin := openAdmin(t)
	return createDatabase(t, admin, "")
}

// openAdmin connects to AdminURL, closing the connection when the test ends.
func openAdmin(t testing.TB) *sql.DB {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	admin, err := sql.Open("pgx", AdminURL())
	if err != nil {
		t.Fatalf("dbtest: open admin connection: %v", err)
	}
	if err := admin.PingContext(ctx); err != nil {
		admin.Close()
		t.Fatalf("dbtest: Postgres is required for this test and is not reachable at %s: %v "+
			"(start it, or set SYNCD_TEST_POSTGRES_URL)", redact(AdminURL()), err)
	}
	t.Cleanup(func() { admin.Close() })
	return admin
}

// uniqueName returns prefix_ and 12 random hex digits.
func uniqueName(prefix string) string {
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	return prefix + "_" + hex.EncodeToString(b)
}

// createDatabase creates an empty database (owned by owner, unless "") that is dropped when the
// test ends, and returns its URL as the admin.
func createDatabase(t testing.TB, admin *sql.DB, owner string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	name := uniqueName("syncdtest")
	stmt := "CREATE DATABASE " + name
	if owner != "" {
		stmt += " OWNER " + owner
	}
	if _, err := admin.ExecContext(ctx, stmt); err != nil {
		t.Fatalf("dbtest: create database %s: %v", name, err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if _, err := admin.ExecContext(ctx, "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)"); err != nil {
			t.Errorf("dbtest: drop database %s: %v", name, err)
		}
	})
	u, err := url.Parse(AdminURL())
	if err != nil {
		t.Fatalf("dbtest: parse admin URL: %v", err)
	}
	u.Path = "/" + name
	return u.String()
}

// OwnedDB is a Postgres database for one test, owned by a role of its own that is not a
// superuser, as syncd's role is in production: for tests of roles, privileges and row-level
// security, which a superuser would bypass. Roles are cluster-wide, shared by every test
// package running at the same time, so every role a test uses is named through RoleName
// (unique to the test) and dropped when the test ends, after the database, so nothing is left
// behind.
type OwnedDB struct {
	// URL connects to the database as Owner.
	URL string
	// AdminURL connects to the database as the admin (a superuser, which bypasses row-level
	// security): for setting up roles and for assertions on every row.
	AdminURL string
	// Owner is syncd's role: NOLOGIN CREATEROLE (as `syncd analysts grant` needs to create
	// roles), the owner of the database and so of the schema public.
	Owner string

	mu    sync.Mutex
	roles []string
}

// PostgresOwned creates Owner and the empty database it owns. Open(t, d.URL) migrates it as
// Owner, which then owns every table.
func PostgresOwned(t testing.TB) *OwnedDB {
	t.Helper()
	admin := openAdmin(t)
	d := &OwnedDB{}
	// Registered before the database's cleanup, so it runs after it: a role cannot be dropped
	// while a database grants it something.
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		d.mu.Lock()
		defer d.mu.Unlock()
		for _, r := range slices.Backward(d.roles) {
			if _, err := admin.ExecContext(ctx, "DROP ROLE IF EXISTS "+r); err != nil {
				t.Errorf("dbtest: drop role %s: %v", r, err)
			}
		}
	})
	d.Owner = d.RoleName("syncdowner")
	if _, err := admin.Exec("CREATE ROLE " + d.Owner + " NOLOGIN CREATEROLE"); err != nil {
		t.Fatalf("dbtest: create role %s: %v", d.Owner, err)
	}
	d.AdminURL = createDatabase(t, admin, d.Owner)
	d.URL = d.URLAs(d.Owner)
	return d
}

// RoleName returns a role name starting with prefix and unique to this test, and drops the role,
// if it exists by then, when the test ends. Whoever creates it (the test, or the code under test)
// needs nothing else.
func (d *OwnedDB) RoleName(prefix string) string {
	name := uniqueName(prefix)
	d.mu.Lock()
	defer d.mu.Unlock()
	d.roles = append(d.roles, name)
	return name
}

// URLAs returns the database's URL for sessions acting as role: the admin logs in and the
// session starts with SET ROLE role (the startup parameter role), so privileges and row-level
// security see role, exactly as for a login of it, whatever authentication the admin URL uses.
func (d *OwnedDB) URLAs(role string) string {
	u, err := url.Parse(d.AdminURL)
	if err != nil {
		panic(err) // made by createDatabase from a URL that parsed
	}
	q := u.Query()
	q.Set("role", role)
	u.RawQuery = q.Encode()
	return u.String()
}

func redact(s string) string {
	u, err := url.Parse(s)
	if err != nil {
		return "[unparseable URL]"
	}
	return u.Redacted()
}

// SQLiteDSN returns the URL of a fresh SQLite file in the test's temp directory.
func SQLiteDSN(t testing.TB) string {
	t.Helper()
	return "sqlite:" + filepath.Join(t.TempDir(), "mirror.db")
}

// Open opens and migrates the database at dsn, closing it when the test ends.
func Open(t testing.TB, dsn string) *models.Store {
	t.Helper()
	ctx := context.Background()
	s, err := models.Open(ctx, models.OpenConfig{DSN: dsn}, zaptest.NewLogger(t, zaptest.Level(zap.WarnLevel)))
	if err != nil {
		t.Fatalf("dbtest: open: %v", err)
	}
	t.Cleanup(func() { _ = s.Close() })
	if _, err := s.Migrate(ctx); err != nil {
		t.Fatalf("dbtest: migrate: %v", err)
	}
	return s
}

// Postgres returns a migrated store on a database of its own.
func Postgres(t testing.TB) *models.Store { return Open(t, PostgresDSN(t)) }

// SQLite returns a migrated store on a file of its own.
func SQLite(t testing.TB) *models.Store { return Open(t, SQLiteDSN(t)) }

// Dialects runs fn as one subtest per database: "postgres" and "sqlite", each with its own store.
func Dialects(t *testing.T, fn func(t *testing.T, s *models.Store)) {
	for _, d := range []struct {
		name string
		open func(testing.TB) *models.Store
	}{{models.Postgres, Postgres}, {models.SQLite, SQLite}} {
		t.Run(d.name, func(t *testing.T) { fn(t, d.open(t)) })
	}
}

// DB returns the store's GORM handle, for tests that set up or assert on tables directly (tests
// may use SQL; production code reads and writes through the store's named methods only).
func DB(s *models.Store) *gorm.DB { return models.DBForTest(s) }

// CountRows returns the number of rows in a table for a tenant (deleted included).
func CountRows(t testing.TB, s *models.Store, table, tenant string) int64 {
	t.Helper()
	var n int64
	if err := DB(s).Table(table).Where("tenant_id = ?", tenant).Count(&n).Error; err != nil {
		t.Fatalf("count %s: %v", table, err)
	}
	return n
}

// Must fails the test on err.
func Must(t testing.TB, err error, what string, args ...any) {
	t.Helper()
	if err != nil {
		t.Fatalf("%s: %v", fmt.Sprintf(what, args...), err)
	}
}
