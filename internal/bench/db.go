package bench

import (
	"bufio"
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"fmt"
	"net/url"
	"os"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib" // database/sql driver "pgx"
	"go.uber.org/zap"

	"github.com/syncd-dev/syncd/internal/models"
)

// Databases creates benchmark databases from an admin connection and drops them. The zero value
// is not usable; see NewDatabases.
type Databases struct {
	adminURL string
	admin    *sql.DB

	mu   sync.Mutex
	live map[string]bool
}

// NewDatabases connects to adminURL (a database of a role allowed to create databases).
func NewDatabases(ctx context.Context, adminURL string) (*Databases, error) {
	admin, err := sql.Open("pgx", adminURL)
	if err != nil {
		return nil, fmt.Errorf("open admin connection: %w", err)
	}
	pctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if err := admin.PingContext(pctx); err != nil {
		admin.Close()
		return nil, fmt.Errorf("connect to Postgres for the benchmark databases: %w", err)
	}
	return &Databases{adminURL: adminURL, admin: admin, live: map[string]bool{}}, nil
}

// New creates an empty database named syncdbench_<random> and returns its URL and its drop
// function (safe to call more than once).
func (d *Databases) New(ctx context.Context) (string, func(), error) {
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	name := "syncdbench_" + hex.EncodeToString(b)
	if _, err := d.admin.ExecContext(ctx, "CREATE DATABASE "+name); err != nil {
		return "", nil, fmt.Errorf("create database %s: %w", name, err)
	}
	d.mu.Lock()
	d.live[name] = true
	d.mu.Unlock()
	u, err := url.Parse(d.adminURL)
	if err != nil {
		return "", nil, err
	}
	u.Path = "/" + name
	return u.String(), func() { d.drop(name) }, nil
}

func (d *Databases) drop(name string) {
	d.mu.Lock()
	live := d.live[name]
	delete(d.live, name)
	d.mu.Unlock()
	if !live {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	_, _ = d.admin.ExecContext(ctx, "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)")
}

// Forget leaves the database at dsn in place when Close drops the others.
func (d *Databases) Forget(dsn string) {
	u, err := url.Parse(dsn)
	if err != nil {
		return
	}
	d.mu.Lock()
	delete(d.live, strings.TrimPrefix(u.Path, "/"))
	d.mu.Unlock()
}

// Close drops every database still there and closes the admin connection.
func (d *Databases) Close() {
	d.mu.Lock()
	var names []string
	for n := range d.live {
		names = append(names, n)
	}
	d.mu.Unlock()
	for _, n := range names {
		d.drop(n)
	}
	d.admin.Close()
}

// openStore opens and migrates a mirror at dsn with the daemon's default pool size unless
// poolSize says otherwise.
func openStore(ctx context.Context, dsn string, poolSize int, log *zap.Logger) (*models.Store, error) {
	s, err := models.Open(ctx, models.OpenConfig{DSN: dsn, MaxOpenConns: poolSize}, log)
	if err != nil {
		return nil, err
	}
	if _, err := s.Migrate(ctx); err != nil {
		s.Close()
		return nil, err
	}
	return s, nil
}

// newDB creates a database through the configured function.
func (h *harness) newDB(ctx context.Context) (string, func(), error) {
	dsn, drop, err := h.cfg.NewDatabase(ctx)
	if err != nil {
		return "", nil, err
	}
	if drop == nil {
		drop = func() {}
	}
	return dsn, drop, nil
}

func (h *harness) postgresVersion(ctx context.Context) (string, error) {
	dsn, drop, err := h.newDB(ctx)
	if err != nil {
		return "", err
	}
	defer drop()
	db, err := sql.Open("pgx", dsn)
	if err != nil {
		return "", err
	}
	defer db.Close()
	var v string
	if err := db.QueryRowContext(ctx, "SHOW server_version").Scan(&v); err != nil {
		return "", fmt.Errorf("read Postgres version: %w", err)
	}
	return v, nil
}

// mirrorTables are the tables whose write counters define write amplification.
var mirrorTables = []string{models.RentEngineUnit{}.TableName(), models.RentEngineProspect{}.TableName(),
	models.RentEngineLeasingEvent{}.TableName()}

// tupleWrites returns n_tup_ins + n_tup_upd summed over the mirror tables of the database at
// dsn, once the statistics have settled.
//
// Postgres backends report their table counters to the shared statistics some time after a
// transaction ends (at most every second, or when they exit), so the writer must have closed
// its pool before this is called: its backends then exit and flush. The counters are read until
// three readings 250ms apart agree.
func tupleWrites(ctx context.Context, dsn string) (int64, error) {
	db, err := sql.Open("pgx", dsn)
	if err != nil {
		return 0, err
	}
	defer db.Close()
	db.SetMaxOpenConns(1)
	read := func() (int64, error) {
		var n int64
		err := db.QueryRowContext(ctx, `SELECT coalesce(sum(n_tup_ins + n_tup_upd), 0)::bigint
			FROM pg_stat_user_tables WHERE relname = ANY($1)`, mirrorTables).Scan(&n)
		return n, err
	}
	deadline := time.Now().Add(30 * time.Second)
	prev, same := int64(-1), 0
	for {
		// Flush this session's own pending counters and drop any cached snapshot.
		if _, err := db.ExecContext(ctx, "SELECT pg_stat_force_next_flush(), pg_stat_clear_snapshot()"); err != nil {
			return 0, fmt.Errorf("flush statistics: %w", err)
		}
		n, err := read()
		if err != nil {
			return 0, fmt.Errorf("read pg_stat_user_tables: %w", err)
		}
		if n == prev {
			same++
		} else {
			same = 0
		}
		if same >= 2 || time.Now().After(deadline) {
			return n, nil
		}
		prev = n
		select {
		case <-ctx.Done():
			return 0, ctx.Err()
		case <-time.After(250 * time.Millisecond):
		}
	}
}

// Machine describes the host.
type Machine struct {
	CPU    string
	Cores  int
	RAM    string
	Go     string
	OS     string
	Kernel string
}

func readMachine() Machine {
	m := Machine{Cores: runtime.NumCPU(), Go: runtime.Version(), OS: runtime.GOOS + "/" + runtime.GOARCH}
	if f, err := os.Open("/proc/cpuinfo"); err == nil {
		sc := bufio.NewScanner(f)
		for sc.Scan() {
			if k, v, ok := strings.Cut(sc.Text(), ":"); ok && strings.TrimSpace(k) == "model name" {
				m.CPU = strings.TrimSpace(v)
				break
			}
		}
		f.Close()
	}
	if f, err := os.Open("/proc/meminfo"); err == nil {
		sc := bufio.NewScanner(f)
		for sc.Scan() {
			if rest, ok := strings.CutPrefix(sc.Text(), "MemTotal:"); ok {
				kb, _ := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(rest), "kB")), 10, 64)
				m.RAM = fmt.Sprintf("%.1f GiB", float64(kb)/(1<<20))
				break
			}
		}
		f.Close()
	}
	if b, err := os.ReadFile("/proc/sys/kernel/osrelease"); err == nil {
		m.Kernel = strings.TrimSpace(string(b))
	}
	return m
}

// loadAvg returns the 1-minute load average ("?" when unknown).
func loadAvg() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "?"
	}
	f := strings.Fields(string(b))
	if len(f) == 0 {
		return "?"
	}
	return f[0]
}
