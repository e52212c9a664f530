package daemon

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"hash/fnv"
	"os"
	"syscall"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"go.uber.org/zap"

	"github.com/syncd-dev/syncd/internal/models"
	"github.com/syncd-dev/syncd/internal/scheduler"
)

// Locker implements scheduler.Locker with Postgres session advisory locks, one per tenant and
// job. Each held lock lives on a connection of its own, so a replica that crashes or loses its
// connection releases its locks with it and another replica can take over at the next tick.
//
// The held connection is pinged every CheckInterval while the run lasts: that keeps an otherwise
// idle session from being ended by idle_session_timeout or a middlebox, and if the session is
// gone anyway (so the lock is gone and another replica may take it) the run's context is
// cancelled, so an overlap with another replica's run lasts at most about CheckInterval instead
// of the rest of the run.
type Locker struct {
	pool     *models.LockPool
	log      *zap.Logger
	interval time.Duration
}

// LockerConfig configures NewLocker.
type LockerConfig struct {
	// DSN is the Postgres URL (the mirror's).
	DSN string
	// CheckInterval is how often a held lock's connection is pinged (0 = 10s).
	CheckInterval time.Duration
}

var _ scheduler.Locker = (*Locker)(nil)

// NewLocker opens the lock pool.
func NewLocker(ctx context.Context, cfg LockerConfig, log *zap.Logger) (*Locker, error) {
	pool, err := models.OpenLockPool(ctx, cfg.DSN)
	if err != nil {
		return nil, err
	}
	if log == nil {
		log = zap.NewNop()
	}
	return &Locker{pool: pool, log: log, interval: cmp.Or(cfg.CheckInterval, 10*time.Second)}, nil
}

// LockKey is the advisory lock key of a tenant's job.
func LockKey(tenant, job string) int64 {
	h := fnv.New64a()
	h.Write([]byte("syncd\x00" + tenant + "\x00" + job))
	return int64(h.Sum64())
}

// errLockLost is the cancellation cause of a run whose lock connection failed.
var errLockLost = errors.New("cross-replica lock lost: its database connection failed")

// TryLock implements scheduler.Locker.
func (l *Locker) TryLock(ctx context.Context, tenant, job string) (context.Context, func(), error) {
	lock, err := l.pool.TryLock(ctx, LockKey(tenant, job))
	if err != nil {
		return nil, nil, fmt.Errorf("lock %s/%s: %w", tenant, job, err)
	}
	if lock == nil {
		return nil, nil, nil
	}
	log := l.log.With(zap.String("tenant", tenant), zap.String("job", job))
	held, cancel := context.WithCancelCause(ctx)
	stop, watched := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(watched)
		t := time.NewTicker(l.interval)
		defer t.Stop()
		for {
			select {
			case <-stop:
				return
			case <-held.Done():
				return
			case <-t.C:
				pctx, pcancel := context.WithTimeout(held, l.interval)
				err := lock.Ping(pctx)
				pcancel()
				if err != nil && held.Err() == nil {
					log.Error("lost the cross-replica lock; cancelling the run", zap.Error(err))
					cancel(errLockLost)
					return
				}
			}
		}
	}()
	release := func() {
		close(stop)
		<-watched // the connection is used by one goroutine at a time
		// The run's context may be cancelled by now; the unlock must still go through.
		uctx, ucancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer ucancel()
		if err := lock.Release(uctx); err != nil {
			log.Warn("advisory unlock failed; closing the connection releases it", zap.Error(err))
		}
		cancel(nil)
	}
	return held, release, nil
}

// Close closes the pool (releasing any lock still held).
func (l *Locker) Close() error { return l.pool.Close() }

// PoolCollector returns the lock pool's statistics (go_sql_*{db_name=name}) for /metrics; its
// open connections are the locks held.
func (l *Locker) PoolCollector(name string) prometheus.Collector { return l.pool.PoolCollector(name) }

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
