package models

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"fmt"

	_ "github.com/jackc/pgx/v5/stdlib" // database/sql driver "pgx" for the lock connections
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
)

// LockPool holds Postgres session advisory locks, each on a connection of its own, so that a
// process that crashes or loses its connection releases its locks with it. It is separate from
// the Store's pool: a held lock keeps its connection for as long as the run it guards, which
// must not starve the mirror's reads and writes. (daemon.Locker builds the cross-replica job
// locks on it.)
type LockPool struct {
	db *sql.DB
}

// OpenLockPool connects a lock pool to the Postgres database at dsn.
func OpenLockPool(ctx context.Context, dsn string) (*LockPool, error) {
	db, err := sql.Open("pgx", dsn)
	if err != nil {
		return nil, fmt.Errorf("open lock connection pool: %w", redactDSN(err, dsn))
	}
	if err := db.PingContext(ctx); err != nil {
		db.Close()
		return nil, fmt.Errorf("connect lock connection pool: %w", redactDSN(err, dsn))
	}
	return &LockPool{db: db}, nil
}

// Close closes the pool, releasing any lock still held.
func (p *LockPool) Close() error { return p.db.Close() }

// PoolCollector returns the pool's statistics (go_sql_*{db_name=name}) as a Prometheus
// collector; its open connections are the locks held.
func (p *LockPool) PoolCollector(name string) prometheus.Collector {
	return collectors.NewDBStatsCollector(p.db, name)
}

// SessionLock is a session advisory lock held on a connection of its own.
type SessionLock struct {
	conn *sql.Conn
	key  int64
}

// TryLock takes the session advisory lock key without waiting: nil (and no error) when another
// session holds it.
func (p *LockPool) TryLock(ctx context.Context, key int64) (*SessionLock, error) {
	conn, err := p.db.Conn(ctx)
	if err != nil {
		return nil, fmt.Errorf("get connection: %w", err)
	}
	var ok bool
	if err := conn.QueryRowContext(ctx, "SELECT pg_try_advisory_lock($1)", key).Scan(&ok); err != nil {
		conn.Close()
		return nil, err
	}
	if !ok {
		conn.Close()
		return nil, nil
	}
	return &SessionLock{conn: conn, key: key}, nil
}

// Ping checks the lock's session is still there (if it is gone, so is the lock). It also keeps
// an idle session from being ended by idle_session_timeout or a middlebox.
func (l *SessionLock) Ping(ctx context.Context) error { return l.conn.PingContext(ctx) }

// Release unlocks and returns the connection to the pool. If the unlock fails, the connection is
// discarded instead (closing the session releases the lock; a connection that may still hold a
// lock is never reused) and the unlock's error is returned.
func (l *SessionLock) Release(ctx context.Context) error {
	_, err := l.conn.ExecContext(ctx, "SELECT pg_advisory_unlock($1)", l.key)
	if err != nil {
		_ = l.conn.Raw(func(any) error { return driver.ErrBadConn }) // discard: never reuse a connection holding a lock
	}
	l.conn.Close()
	return err
}

// AdvisoryLockHeld reports whether some session of this database holds the session advisory
// lock key (taken with pg_try_advisory_lock(bigint), as LockPool.TryLock does). Always false on
// SQLite, which has no such locks.
func (s *Store) AdvisoryLockHeld(ctx context.Context, key int64) (bool, error) {
	if s.dialect != Postgres {
		return false, nil
	}
	// A bigint key is stored as classid (its high 32 bits) and objid (its low 32 bits), objsubid 1.
	var held bool
	err := s.db.WithContext(ctx).Raw(`SELECT EXISTS (SELECT 1 FROM pg_catalog.pg_locks
		WHERE locktype = 'advisory' AND granted AND objsubid = 1 AND classid = ?::bigint::oid AND objid = ?::bigint::oid
		AND database = (SELECT oid FROM pg_catalog.pg_database WHERE datname = current_database()))`,
		int64(uint32(uint64(key)>>32)), int64(uint32(uint64(key)))).Scan(&held).Error
	if err != nil {
		return false, fmt.Errorf("check advisory lock %d: %w", key, err)
	}
	return held, nil
}
