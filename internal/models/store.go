package models

import (
	"bytes"
	"cmp"
	"context"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"reflect"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/glebarez/sqlite"
	"github.com/pressly/goose/v3"
	"github.com/pressly/goose/v3/lock"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"go.uber.org/zap"
	"gorm.io/driver/postgres"
	"gorm.io/gorm"
	"gorm.io/gorm/clause"
	gormlogger "gorm.io/gorm/logger"
	"gorm.io/gorm/schema"
)

//go:embed migrations
var migrations embed.FS

// Dialects.
const (
	Postgres = "postgres"
	SQLite   = "sqlite"
)

// OpenConfig configures Open.
type OpenConfig struct {
	// DSN is "postgres://…" / "postgresql://…" or "sqlite:PATH" ("sqlite::memory:" for a
	// throwaway database).
	DSN string
	// MaxOpenConns caps the Postgres pool (0 = 10). SQLite always uses one connection: one
	// writer at a time is what SQLite allows anyway, and it rules out SQLITE_BUSY between our own
	// goroutines.
	MaxOpenConns int
	// LogSQL logs every statement at debug level (never with bind values).
	LogSQL bool
}

// Store is the mirror database.
type Store struct {
	db      *gorm.DB
	dialect string
	log     *zap.Logger
	// pgTables caches the Postgres upsert statements per table (see upsertUnnest).
	pgTables sync.Map // table name -> *pgTable
}

// Open connects to the database (it does not migrate).
func Open(ctx context.Context, cfg OpenConfig, log *zap.Logger) (*Store, error) {
	if log == nil {
		log = zap.NewNop()
	}
	var glog gormlogger.Interface = newGORMLogger(log)
	if cfg.LogSQL {
		glog = glog.LogMode(gormlogger.Info)
	}
	gcfg := &gorm.Config{
		Logger:                 glog,
		NowFunc:                func() time.Time { return time.Now().UTC() },
		SkipDefaultTransaction: true, // every write path manages its own transaction
		PrepareStmt:            false,
	}
	var (
		dial    gorm.Dialector
		dialect string
	)
	switch {
	case strings.HasPrefix(cfg.DSN, "postgres://"), strings.HasPrefix(cfg.DSN, "postgresql://"):
		dialect = Postgres
		dial = postgres.Open(withCustomPlans(cfg.DSN))
	case strings.HasPrefix(cfg.DSN, "sqlite:"):
		dialect = SQLite
		dial = sqlite.Open(sqliteDSN(strings.TrimPrefix(cfg.DSN, "sqlite:")))
	default:
		return nil, errors.New("open database: the URL must start with postgres://, postgresql:// or sqlite")
	}
	db, err := gorm.Open(dial, gcfg)
	if err != nil {
		// The driver's error may echo the DSN; report only the dialect.
		return nil, fmt.Errorf("open %s database: %w", dialect, redactDSN(err, cfg.DSN))
	}
	sqlDB, err := db.DB()
	if err != nil {
		return nil, fmt.Errorf("open %s database: %w", dialect, err)
	}
	if dialect == SQLite {
		sqlDB.SetMaxOpenConns(1)
	} else {
		sqlDB.SetMaxOpenConns(cmp.Or(cfg.MaxOpenConns, 10))
		sqlDB.SetMaxIdleConns(cmp.Or(cfg.MaxOpenConns, 10))
		sqlDB.SetConnMaxLifetime(30 * time.Minute)
	}
	pctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if err := sqlDB.PingContext(pctx); err != nil {
		sqlDB.Close()
		return nil, fmt.Errorf("connect to %s database: %w", dialect, redactDSN(err, cfg.DSN))
	}
	return &Store{db: db, dialect: dialect, log: log}, nil
}

// withCustomPlans asks Postgres to plan every statement for its actual parameters. pgx caches
// prepared statements per connection, and after five executions Postgres may switch a statement to
// a generic plan; one made while a mirror table was still nearly empty is a sequential scan, which
// then stays cached while the table grows to millions of rows and turns each page's hash lookup
// from microseconds into a full scan. Planning these small statements costs a fraction of a
// millisecond.
func withCustomPlans(dsn string) string {
	u, err := url.Parse(dsn)
	if err != nil || u.Query().Has("plan_cache_mode") {
		return dsn
	}
	q := u.Query()
	q.Set("plan_cache_mode", "force_custom_plan")
	u.RawQuery = q.Encode()
	return u.String()
}

// sqliteDSN adds the pragmas syncd relies on: WAL so analysts can read while a sync writes, a
// busy timeout for other processes (an analyst's sqlite3 shell), and immediate transactions so
// a writer takes its lock up front instead of failing half-way.
func sqliteDSN(path string) string {
	if path == ":memory:" || path == "" {
		return "file::memory:?_pragma=foreign_keys(1)"
	}
	sep := "?"
	if strings.Contains(path, "?") {
		sep = "&"
	}
	return "file:" + path + sep + "_pragma=busy_timeout(10000)&_pragma=journal_mode(WAL)&_pragma=synchronous(NORMAL)&_txlock=immediate"
}

// redactDSN removes the DSN (which may hold a password) from a driver error.
func redactDSN(err error, dsn string) error {
	msg := err.Error()
	if u, perr := url.Parse(dsn); perr == nil && u.User != nil {
		if p, ok := u.User.Password(); ok && p != "" {
			msg = strings.ReplaceAll(msg, p, "[redacted]")
		}
	}
	msg = strings.ReplaceAll(msg, dsn, "[dsn]")
	if msg == err.Error() {
		return err
	}
	return errors.New(msg)
}

// Dialect returns Postgres or SQLite.
func (s *Store) Dialect() string { return s.dialect }

// Close closes the pool.
func (s *Store) Close() error {
	sqlDB, err := s.db.DB()
	if err != nil {
		return err
	}
	return sqlDB.Close()
}

// PoolCollector returns the connection-pool statistics of the store (go_sql_*{db_name=name}) as a
// Prometheus collector, for the daemon's /metrics.
func (s *Store) PoolCollector(name string) (prometheus.Collector, error) {
	sqlDB, err := s.db.DB()
	if err != nil {
		return nil, err
	}
	return collectors.NewDBStatsCollector(sqlDB, name), nil
}

// Ping checks the database is reachable.
func (s *Store) Ping(ctx context.Context) error {
	sqlDB, err := s.db.DB()
	if err != nil {
		return err
	}
	return sqlDB.PingContext(ctx)
}

func (s *Store) migrator() (*goose.Provider, error) {
	sqlDB, err := s.db.DB()
	if err != nil {
		return nil, err
	}
	sub, err := fs.Sub(migrations, "migrations/"+s.dialect)
	if err != nil {
		return nil, err
	}
	dialect := goose.DialectSQLite3
	opts := []goose.ProviderOption{goose.WithDisableGlobalRegistry(true)}
	if s.dialect == Postgres {
		dialect = goose.DialectPostgres
		// Several replicas may start at once: one migrates, the others wait.
		locker, err := lock.NewPostgresSessionLocker()
		if err != nil {
			return nil, err
		}
		opts = append(opts, goose.WithSessionLocker(locker))
	}
	return goose.NewProvider(dialect, sqlDB, sub, opts...)
}

// Migrate applies pending migrations and returns the resulting version. On Postgres it then
// checks that syncd's role is exempt from row-level security and brings every analyst role's
// privileges up to date with the schema (see analysts.go).
func (s *Store) Migrate(ctx context.Context) (int64, error) {
	p, err := s.migrator()
	if err != nil {
		return 0, fmt.Errorf("load migrations: %w", err)
	}
	res, err := p.Up(ctx)
	if err != nil {
		return 0, fmt.Errorf("apply migrations: %w", err)
	}
	for _, r := range res {
		s.log.Info("applied migration", zap.Int64("version", r.Source.Version), zap.String("file", r.Source.Path), zap.Duration("took", r.Duration))
	}
	if s.dialect == Postgres {
		// Relations added by the migrations just applied reach the analyst roles now, and syncd
		// must still be exempt from row-level security (see analysts.go).
		if err := s.afterMigratePostgres(ctx); err != nil {
			return 0, err
		}
	}
	v, err := p.GetDBVersion(ctx)
	if err != nil {
		return 0, fmt.Errorf("read schema version: %w", err)
	}
	return v, nil
}

// MigrationState returns the database's schema version and the newest version this binary has.
func (s *Store) MigrationState(ctx context.Context) (current, latest int64, err error) {
	p, err := s.migrator()
	if err != nil {
		return 0, 0, fmt.Errorf("load migrations: %w", err)
	}
	current, latest, err = p.GetVersions(ctx)
	if err != nil {
		return 0, 0, fmt.Errorf("read schema version: %w", err)
	}
	return current, latest, nil
}

// HashRaw is the content hash of a record: SHA-256 (first 128 bits, hex) over its JSON with
// insignificant whitespace removed, so a re-serialised but identical record is not a change.
func HashRaw(raw []byte) string {
	if hasInsignificantSpace(raw) {
		var buf bytes.Buffer
		buf.Grow(len(raw))
		if json.Compact(&buf, raw) == nil {
			raw = buf.Bytes()
		}
	}
	sum := sha256.Sum256(raw)
	return hex.EncodeToString(sum[:16])
}

// hasInsignificantSpace reports whether raw has a space, tab or newline outside its strings.
// Without one, json.Compact would return raw unchanged (or fail, and raw is hashed as is), so
// HashRaw can skip it: compacting was most of the cost of hashing a record, and upstreams send
// compact JSON. Strings, most of a record's bytes, are jumped over with IndexByte.
func hasInsignificantSpace(raw []byte) bool {
	for i := 0; i < len(raw); {
		end := len(raw)
		q := bytes.IndexByte(raw[i:], '"')
		if q >= 0 {
			end = i + q
		}
		for _, c := range raw[i:end] {
			if c == ' ' || c == '\t' || c == '\n' || c == '\r' {
				return true
			}
		}
		if q < 0 {
			return false
		}
		// Skip the string: its closing quote is the next one not escaped by an odd run of
		// backslashes.
		for j := end + 1; ; {
			k := bytes.IndexByte(raw[j:], '"')
			if k < 0 {
				return false // unterminated: invalid, so Compact would fail and raw is hashed as is
			}
			backslashes := 0
			for p := j + k - 1; p > end && raw[p] == '\\'; p-- {
				backslashes++
			}
			if backslashes%2 == 0 {
				i = j + k + 1
				break
			}
			j += k + 1
		}
	}
	return false
}

// Key is the type of a mirror table's id: RentEngine ids are integers, some Funnel ids are text.
type Key interface{ ~int64 | ~string }

// Row is a pointer to a mirror model.
type Row[K Key] interface {
	Sys() *System
	Key() K
	TableName() string
}

// PageCounts classifies the records of one upserted page.
type PageCounts struct {
	Inserted, Updated, Unchanged int
}

// tableInfo is derived once per model type.
type tableInfo struct {
	name      string
	updatable []string
	perRow    int
	// columns and fields list every column in the model's order.
	columns []string
	fields  []*schema.Field
}

var tableInfos sync.Map // reflect.Type -> *tableInfo

func infoFor(db *gorm.DB, model any) (*tableInfo, error) {
	t := reflect.TypeOf(model)
	if v, ok := tableInfos.Load(t); ok {
		return v.(*tableInfo), nil
	}
	sch, err := schema.Parse(model, &sync.Map{}, db.NamingStrategy)
	if err != nil {
		return nil, fmt.Errorf("parse model %s: %w", t, err)
	}
	ti := &tableInfo{name: sch.Table, perRow: len(sch.DBNames)}
	for _, c := range sch.DBNames {
		ti.columns = append(ti.columns, c)
		ti.fields = append(ti.fields, sch.FieldsByDBName[c])
		switch c {
		case "tenant_id", "id", "first_seen_at":
		default:
			ti.updatable = append(ti.updatable, c)
		}
	}
	tableInfos.Store(t, ti)
	return ti, nil
}

// maxParams is the bind-parameter limit per statement (Postgres 65,535; SQLite 32,766).
func (s *Store) maxParams() int {
	if s.dialect == Postgres {
		return 65535
	}
	return 32766
}

// UpsertPage writes one page of records for a tenant in one transaction. Records whose content
// hash equals the stored one (and that are not tombstoned) are not written at all, so an unchanged
// re-sync rewrites no row. Duplicate keys within the page keep the last occurrence. Each row's
// ContentHash and Raw must be set by the caller; tenant and system timestamps are set here. On
// Postgres the new and changed rows go in one INSERT … SELECT FROM unnest (see upsertUnnest).
//
// Every row written appends its change to record_changes in the same transaction, attributed to
// origin (see history.go): insert, update (with the changed fields) or undelete.
func UpsertPage[K Key, T any, P interface {
	*T
	Row[K]
}](ctx context.Context, s *Store, tenant string, origin Origin, rows []T, now time.Time) (PageCounts, error) {
	var pc PageCounts
	if len(rows) == 0 {
		return pc, nil
	}
	ti, err := infoFor(s.db, P(&rows[0]))
	if err != nil {
		return pc, err
	}
	uniq, keys := uniqueRows[K, T, P](rows)
	err = s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		var err error
		pc, err = upsertInTx[K, T, P](ctx, s, tx, ti, tenant, origin, uniq, keys, now)
		return err
	})
	if err != nil {
		return PageCounts{}, err
	}
	return pc, nil
}

// upsertInTx is UpsertPage's work inside its transaction: read the stored hashes of uniq (whose
// keys are keys), classify every row, and write the new and changed ones with their history.
// The stored raw records are read only for rows whose content changed, to compute their changed
// fields: a page of unchanged records costs one read, as before history existed.
func upsertInTx[K Key, T any, P interface {
	*T
	Row[K]
}](ctx context.Context, s *Store, tx *gorm.DB, ti *tableInfo, tenant string, origin Origin, uniq []T, keys []K, now time.Time) (PageCounts, error) {
	var pc PageCounts
	existing, err := storedHashes(ctx, s, tx, ti, tenant, keys)
	if err != nil {
		return pc, err
	}
	changed := make([]T, 0, len(uniq))
	changes := make([]change[K], 0, len(uniq))
	var differ []K // stored rows whose content changed
	for i := range uniq {
		p := P(&uniq[i])
		sys := p.Sys()
		sys.TenantID, sys.FirstSeenAt, sys.SyncedAt, sys.DeletedAt, sys.DeletedVersion = tenant, now, now, nil, nil
		k := p.Key()
		st, ok := existing[k]
		switch {
		case !ok:
			pc.Inserted++
			changes = append(changes, change[K]{key: k, op: OpInsert})
		case st.hash != sys.ContentHash:
			pc.Updated++
			differ = append(differ, k)
			op := OpUpdate
			if st.deleted {
				op = OpUndelete
			}
			changes = append(changes, change[K]{key: k, op: op}) // fields below
		case st.deleted:
			pc.Updated++
			changes = append(changes, change[K]{key: k, op: OpUndelete})
		default:
			pc.Unchanged++
			continue
		}
		changed = append(changed, uniq[i])
	}
	if len(changed) == 0 {
		return pc, nil
	}
	if len(differ) > 0 {
		if changes, err = withFields[K, T, P](ctx, s, tx, ti, tenant, changed, changes, differ); err != nil {
			return pc, err
		}
	}
	if s.dialect == Postgres {
		return pc, upsertUnnest(ctx, s, tx.Statement.ConnPool, ti, changed, tenant, origin, now, changes)
	}
	batch := max(1, s.maxParams()/ti.perRow)
	onConflict := clause.OnConflict{
		Columns:   []clause.Column{{Name: "tenant_id"}, {Name: "id"}},
		DoUpdates: clause.AssignmentColumns(ti.updatable),
		// Belt and braces with the classification above: the database itself refuses to
		// rewrite a row whose content did not change.
		Where: clause.Where{Exprs: []clause.Expression{clause.Expr{
			SQL: ti.name + ".content_hash <> excluded.content_hash OR " + ti.name + ".deleted_at IS NOT NULL",
		}}},
	}
	for start := 0; start < len(changed); start += batch {
		end := min(start+batch, len(changed))
		chunk := changed[start:end]
		if err := tx.Table(ti.name).Clauses(onConflict).Create(&chunk).Error; err != nil {
			return pc, fmt.Errorf("upsert %d rows into %s: %w", len(chunk), ti.name, err)
		}
	}
	// SQLite: the store's one connection runs this transaction alone (it began IMMEDIATE), so
	// every row classified above was written as classified.
	return pc, appendChanges(s, tx, ti.name, tenant, origin, now, changes)
}

// withFields reads the stored raw records of differ (rows of changed whose content changed) and
// sets each one's changed fields in changes (parallel to changed). An update whose fields all
// compare equal (the keys were only reordered) is dropped from changes: the row is rewritten,
// but nothing changed to record.
func withFields[K Key, T any, P interface {
	*T
	Row[K]
}](ctx context.Context, s *Store, tx *gorm.DB, ti *tableInfo, tenant string, changed []T, changes []change[K], differ []K) ([]change[K], error) {
	old, err := storedRaws(ctx, s, tx, ti, tenant, differ)
	if err != nil {
		return nil, err
	}
	out := changes[:0]
	for i, c := range changes {
		if prev, ok := old[c.key]; ok && c.op != OpInsert {
			fields, known := changedFields(prev, P(&changed[i]).Sys().Raw)
			if known && fields == nil && c.op == OpUpdate {
				continue
			}
			c.fields = fields
		}
		out = append(out, c)
	}
	return out, nil
}

// MissingKeys returns the keys of the tenant's live rows of T's table for which seen is false,
// and how many live rows the tenant has there (missing ones included).
func MissingKeys[K Key, T any, P interface {
	*T
	Row[K]
}](ctx context.Context, s *Store, tenant string, seen func(K) bool) (missing []K, live int64, err error) {
	table := P(new(T)).TableName()
	// Collect first, update later: SQLite has a single connection, so a cursor cannot stay open
	// across other statements.
	rows, err := s.db.WithContext(ctx).Table(table).Select("id").
		Where("tenant_id = ? AND deleted_at IS NULL", tenant).Rows()
	if err != nil {
		return nil, 0, fmt.Errorf("list live rows of %s: %w", table, err)
	}
	defer rows.Close()
	for rows.Next() {
		var k K
		if err := rows.Scan(&k); err != nil {
			return nil, 0, fmt.Errorf("scan live row of %s: %w", table, err)
		}
		live++
		if !seen(k) {
			missing = append(missing, k)
		}
	}
	if err := rows.Err(); err != nil {
		return nil, 0, fmt.Errorf("list live rows of %s: %w", table, err)
	}
	return missing, live, nil
}

// Tombstone sets deleted_at on the given live rows of T's table and returns how many it marked.
// Each row it marks appends a delete to record_changes, attributed to origin, in the same
// transaction (one per chunk of keys).
func Tombstone[K Key, T any, P interface {
	*T
	Row[K]
}](ctx context.Context, s *Store, tenant string, origin Origin, keys []K, now time.Time) (int64, error) {
	table := P(new(T)).TableName()
	var n int64
	const chunk = 1000
	for ids := range slices.Chunk(keys, chunk) {
		err := s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
			marked, err := tombstoneInTx(tx, table, tenant, ids, nil, now)
			if err != nil {
				return err
			}
			changes := make([]change[K], len(marked))
			for i, k := range marked {
				changes[i] = change[K]{key: k, op: OpDelete}
			}
			n += int64(len(marked))
			return appendChanges(s, tx, table, tenant, origin, now, changes)
		})
		if err != nil {
			return n, err
		}
	}
	return n, nil
}

// tombstoneInTx tombstones the tenant's live rows among ids (with deleted_version, when given)
// and returns the ids it marked.
func tombstoneInTx[K Key](tx *gorm.DB, table, tenant string, ids []K, version *time.Time, now time.Time) ([]K, error) {
	rows, err := tx.Raw("UPDATE "+table+" SET deleted_at = ?, synced_at = ?, deleted_version = ? "+
		"WHERE tenant_id = ? AND id IN ? AND deleted_at IS NULL RETURNING id", now, now, version, tenant, ids).Rows()
	if err != nil {
		return nil, fmt.Errorf("tombstone %d rows of %s: %w", len(ids), table, err)
	}
	defer rows.Close()
	var marked []K
	for rows.Next() {
		var k K
		if err := rows.Scan(&k); err != nil {
			return nil, fmt.Errorf("tombstone %d rows of %s: %w", len(ids), table, err)
		}
		marked = append(marked, k)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("tombstone %d rows of %s: %w", len(ids), table, err)
	}
	return marked, rows.Close()
}

// AbandonedMessage is the error recorded for a run whose process ended before recording its
// outcome.
const AbandonedMessage = "process ended before the run finished"

// StartRun inserts a running SyncRun. Earlier runs of the same tenant and job still marked
// running are marked abandoned when gone says their process has ended (nil: all of them, which
// is right when nothing else can be known: the caller holds the job's lock, so no other run of
// it can be in progress). The caller decides liveness; see sync.Runner.
func (s *Store) StartRun(ctx context.Context, run *SyncRun, gone func(*SyncRun) bool) error {
	db := s.db.WithContext(ctx)
	var running []SyncRun
	if err := db.Where("tenant_id = ? AND job = ? AND status = ?", run.TenantID, run.Job, RunRunning).
		Find(&running).Error; err != nil {
		return fmt.Errorf("read unfinished runs of %s/%s: %w", run.TenantID, run.Job, err)
	}
	var ids []int64
	for i := range running {
		if gone == nil || gone(&running[i]) {
			ids = append(ids, running[i].ID)
		}
	}
	if len(ids) > 0 {
		// status = running again: a run whose outcome was recorded meanwhile keeps it.
		if err := db.Model(&SyncRun{}).Where("id IN ? AND status = ?", ids, RunRunning).
			Updates(map[string]any{"status": RunAbandoned, "error": AbandonedMessage}).Error; err != nil {
			return fmt.Errorf("mark abandoned runs of %s/%s: %w", run.TenantID, run.Job, err)
		}
	}
	run.Status = RunRunning
	if err := db.Create(run).Error; err != nil {
		return fmt.Errorf("record start of run %s: %w", run.RunID, err)
	}
	return nil
}

// FinishRun writes a run's outcome and counts, replacing whatever the row says (also an
// "abandoned" set meanwhile by another replica: the outcome is the truth). Error and Details are
// made storable first (see storableText), so no error text can make an outcome unrecordable.
func (s *Store) FinishRun(ctx context.Context, run *SyncRun) error {
	if run.Error != nil {
		msg := storableText(*run.Error)
		run.Error = &msg
	}
	run.Details = storableJSON(run.Details)
	if err := s.db.WithContext(ctx).Model(&SyncRun{}).Where("id = ?", run.ID).Select("*").Omit("id").
		Updates(run).Error; err != nil {
		return fmt.Errorf("record end of run %s: %w", run.RunID, err)
	}
	return nil
}

// storableText returns s as both databases store it unchanged: invalid UTF-8 and NUL (which a
// Postgres text column rejects, failing the whole statement) become U+FFFD. Error texts carry
// upstream bytes, which may be anything.
func storableText(s string) string {
	s = strings.ToValidUTF8(s, "\uFFFD")
	return strings.ReplaceAll(s, "\x00", "\uFFFD")
}

// storableJSON replaces the escape \u0000 in a JSON document with \uFFFD: jsonb rejects it
// (encoding/json writes a NUL in a string that way). Escapes are walked pairwise, so an escaped
// backslash followed by "u0000" is left alone; the replacement has the same length, so it is
// done in a copy of the same size.
func storableJSON(doc JSON) JSON {
	if !bytes.Contains(doc, []byte(`\u0000`)) {
		return doc
	}
	out := bytes.Clone(doc)
	for i := 0; i < len(out)-1; i++ {
		if out[i] != '\\' {
			continue
		}
		if out[i+1] == 'u' && bytes.HasPrefix(out[i+2:], []byte("0000")) {
			copy(out[i+2:], "FFFD")
		}
		i++ // skip the escaped character
	}
	return out
}
