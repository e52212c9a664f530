package daemon

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"fmt"
	"hash/fnv"
	"os"
	"syscall"

	_ "github.com/jackc/pgx/v5/stdlib" // database/sql driver for the lock connections
	"go.uber.org/zap"
)

// Locker implements scheduler.Locker with Postgres session advisory locks, one per tenant and
// job. Each held lock lives on a connection of its own, so a replica that crashes or loses its
// connection releases its locks with it and another replica can take over at the next tick.
type Locker struct {
	db  *sql.DB
	log *zap.Logger
}

// NewLocker opens the lock pool.
func NewLocker(ctx context.Context, dsn string, log *zap.Logger) (*Locker, error) {
	db, err := sql.Open("pgx", dsn)
	if err != nil {
		return nil, fmt.Errorf("open lock connection pool: %w", err)
	}
	if err := db.PingContext(ctx); err != nil {
		db.Close()
		return nil, fmt.Errorf("connect lock connection pool: %w", err)
	}
	return &Locker{db: db, log: log}, nil
}

// LockKey is the advisory lock key of a tenant's job.
func LockKey(tenant, job string) int64 {
	h := fnv.New64a()
	h.Write([]byte("syncd\x00" + tenant + "\x00" + job))
	return int64(h.Sum64())
}

// TryLock implements scheduler.Locker.
func (l *Locker) TryLock(ctx context.Context, tenant, job string) (func(), bool, error) {
	conn, err := l.db.Conn(ctx)
	if err != nil {
		return nil, false, fmt.Errorf("lock %s/%s: get connection: %w", tenant, job, err)
	}
	key := LockKey(tenant, job)
	var ok bool
	if err := conn.QueryRowContext(ctx, "SELECT pg_try_advisory_lock($1)", key).Scan(&ok); err != nil {
		conn.Close()
		return nil, false, fmt.Errorf("lock %s/%s: %w", tenant, job, err)
	}
	if !ok {
		conn.Close()
		return nil, false, nil
	}
	release := func() {
		// The run's context may be cancelled by now; the unlock must still go through.
		if _, err := conn.ExecContext(context.Background(), "SELECT pg_advisory_unlock($1)", key); err != nil {
			l.log.Warn("advisory unlock failed; closing the connection releases it", zap.String("tenant", tenant),
				zap.String("job", job), zap.Error(err))
			_ = conn.Raw(func(any) error { return driver.ErrBadConn }) // discard: never reuse a connection holding a lock
		}
		conn.Close()
	}
	return release, true, nil
}

// Close closes the pool (releasing any lock still held).
func (l *Locker) Close() error { return l.db.Close() }

// lockSQLiteFile takes an exclusive lock on PATH.lock: SQLite mode is single-process, and a second
// daemon on the same file would only fight the first for the write lock.
func lockSQLiteFile(path string) (func(), error) {
	if path == "" || path == ":memory:" {
		return func() {}, nil
	}
	f, err := os.OpenFile(path+".lock", os.O_CREATE|os.O_RDWR, 0o600)
	if err != nil {
		return nil, fmt.Errorf("open lock file for %s: %w", path, err)
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		f.Close()
		return nil, fmt.Errorf("another syncd process is already using the SQLite database %s "+
			"(SQLite mode runs one process; use Postgres for several replicas): %w", path, err)
	}
	return func() { _ = syscall.Flock(int(f.Fd()), syscall.LOCK_UN); f.Close() }, nil
}
