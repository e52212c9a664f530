package models

import (
	"context"
	"database/sql/driver"
	"errors"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
	"gorm.io/gorm"
)

// uniqueViolation is Postgres' SQLSTATE for a duplicate key.
const uniqueViolation = "23505"

// storedState is what UpsertPage needs to know of a stored row.
type storedState struct {
	hash    string
	deleted bool
}

// storedHashes reads the content hash and tombstone of the tenant's stored rows among keys.
func storedHashes[K Key](ctx context.Context, s *Store, tx *gorm.DB, ti *tableInfo, tenant string, keys []K) (map[K]storedState, error) {
	existing := make(map[K]storedState, len(keys))
	var (
		r interface {
			Next() bool
			Scan(...any) error
			Close() error
			Err() error
		}
		err error
	)
	if s.dialect == Postgres {
		// One array parameter: the statement is the same for every page size, and the planner
		// sees every id (plans are custom, see withCustomPlans).
		r, err = tx.Statement.ConnPool.QueryContext(ctx, `SELECT id, content_hash, deleted_at IS NOT NULL FROM "`+ti.name+
			`" WHERE tenant_id = $1 AND id = ANY($2)`, tenant, keys)
	} else {
		r, err = tx.Table(ti.name).Select("id, content_hash, deleted_at IS NOT NULL").
			Where("tenant_id = ? AND id IN ?", tenant, keys).Rows()
	}
	if err != nil {
		return nil, fmt.Errorf("read stored hashes from %s: %w", ti.name, err)
	}
	for r.Next() {
		var (
			k  K
			st storedState
		)
		if err := r.Scan(&k, &st.hash, &st.deleted); err != nil {
			r.Close()
			return nil, fmt.Errorf("scan stored hash from %s: %w", ti.name, err)
		}
		existing[k] = st
	}
	if err := r.Close(); err != nil {
		return nil, fmt.Errorf("read stored hashes from %s: %w", ti.name, err)
	}
	if err := r.Err(); err != nil {
		return nil, fmt.Errorf("read stored hashes from %s: %w", ti.name, err)
	}
	return existing, nil
}

// pgTable is the Postgres upsert of one mirror table.
type pgTable struct {
	// insert is the same INSERT as upsert without ON CONFLICT (see UpsertNewPage), with a
	// data-modifying CTE that appends an insert row to record_changes for every row: WITH h AS
	// (INSERT INTO record_changes … FROM unnest(<the id column's array>)) INSERT …. Its
	// parameters are the column arrays, then the history's tenant, table, time, run id and
	// delivery id.
	insert string
	// upsert is INSERT … SELECT … FROM unnest($1::type[], …) ON CONFLICT (tenant_id, id) DO
	// UPDATE … WHERE the hash differs or the row is tombstoned: one statement per page with one
	// array parameter per column. It is wrapped like insert, and joins the upsert's RETURNING
	// with the page's history arrays (record id, operation, fields), so a history row is appended
	// exactly for each row the statement wrote, even when the WHERE declined one that another
	// transaction had written meanwhile. Parameters: insert's, then the three history arrays.
	upsert string
	// text marks the columns sent as text and cast in the statement (jsonb, date).
	text []bool
	// typed marks the columns sent as a slice of the field's own type ([]*string, []int64, …),
	// which the driver encodes with one plan per array; the others go as []any, encoded value by
	// value.
	typed []bool
}

// uniqueRows drops all but the last of rows sharing a key (the same id twice in one statement is
// an error on Postgres, and the later copy is the more recent) and returns the keys.
func uniqueRows[K Key, T any, P interface {
	*T
	Row[K]
}](rows []T) ([]T, []K) {
	idx := make(map[K]int, len(rows))
	uniq := rows[:0:0]
	for i := range rows {
		k := P(&rows[i]).Key()
		if j, ok := idx[k]; ok {
			uniq[j] = rows[i]
			continue
		}
		idx[k] = len(uniq)
		uniq = append(uniq, rows[i])
	}
	keys := make([]K, len(uniq))
	for i := range uniq {
		keys[i] = P(&uniq[i]).Key()
	}
	return uniq, keys
}

// HasRows reports whether the tenant has any row, live or tombstoned, in T's table.
func HasRows[T any, P interface {
	*T
	TableName() string
}](ctx context.Context, s *Store, tenant string) (bool, error) {
	table := P(new(T)).TableName()
	var has bool
	if err := s.db.WithContext(ctx).Raw("SELECT EXISTS (SELECT 1 FROM "+table+" WHERE tenant_id = ?)", tenant).
		Scan(&has).Error; err != nil {
		return false, fmt.Errorf("look for rows of %s in %s: %w", tenant, table, err)
	}
	return has, nil
}

// UpsertNewPage is UpsertPage for a pass that began with no row of the tenant in the table (a
// first sync; see HasRows). On Postgres it skips the read of stored hashes, which could only find
// rows this pass wrote itself, and inserts the page with a plain INSERT: one statement, so still
// one transaction per page, without ON CONFLICT's extra index probe and confirmation record per
// row. If some row of the page is already stored (the same record met twice in the pass, when
// paging drifted), the INSERT fails as a whole and the page goes through UpsertPage instead. The
// counts and the stored rows are UpsertPage's either way. Elsewhere it is UpsertPage.
func UpsertNewPage[K Key, T any, P interface {
	*T
	Row[K]
}](ctx context.Context, s *Store, tenant string, origin Origin, rows []T, now time.Time) (PageCounts, error) {
	if s.dialect != Postgres || len(rows) == 0 {
		return UpsertPage[K, T, P](ctx, s, tenant, origin, rows, now)
	}
	ti, err := infoFor(s.db, P(&rows[0]))
	if err != nil {
		return PageCounts{}, err
	}
	uniq, _ := uniqueRows[K, T, P](rows)
	for i := range uniq {
		sys := P(&uniq[i]).Sys()
		sys.TenantID, sys.FirstSeenAt, sys.SyncedAt, sys.DeletedAt, sys.DeletedVersion = tenant, now, now, nil, nil
	}
	conn := s.db.WithContext(ctx).Statement.ConnPool
	pt, err := s.pgTable(ctx, conn, ti)
	if err != nil {
		return PageCounts{}, err
	}
	args, err := unnestArgs(ctx, pt, ti, uniq)
	if err != nil {
		return PageCounts{}, err
	}
	args = append(args, historyArgs(ti, tenant, origin, now)...)
	_, err = conn.ExecContext(ctx, pt.insert, args...)
	var pgErr *pgconn.PgError
	switch {
	case err == nil:
		return PageCounts{Inserted: len(uniq)}, nil
	case errors.As(err, &pgErr) && pgErr.Code == uniqueViolation:
		// Rare, and the failed statement wrote nothing, history included (Postgres logs the
		// error).
		return UpsertPage[K, T, P](ctx, s, tenant, origin, rows, now)
	}
	return PageCounts{}, fmt.Errorf("insert %d rows into %s: %w", len(uniq), ti.name, err)
}

// upsertUnnest writes rows with one INSERT … SELECT FROM unnest(…) … ON CONFLICT DO UPDATE.
//
// It replaces GORM's multi-row INSERT on Postgres. That statement had one bind parameter per
// value (2,300 for a page of units), so each page paid GORM building the statement by reflection,
// the driver encoding thousands of parameters, and Postgres parsing, binding and planning them
// (plans are custom, see withCustomPlans); with one array per column the statement is the same
// for every page and small to plan. The rows, the conflict target, the updated columns and the
// WHERE are GORM's, so what is stored is unchanged.
//
// The same statement appends the page's history (see pgTable.upsert): changes holds one entry per
// row of rows that is to be recorded.
func upsertUnnest[K Key, T any](ctx context.Context, s *Store, conn gorm.ConnPool, ti *tableInfo, rows []T,
	tenant string, origin Origin, now time.Time, changes []change[K]) error {
	pt, err := s.pgTable(ctx, conn, ti)
	if err != nil {
		return err
	}
	args, err := unnestArgs(ctx, pt, ti, rows)
	if err != nil {
		return err
	}
	args = append(args, historyArgs(ti, tenant, origin, now)...)
	ids := make([]K, len(changes))
	ops := make([]string, len(changes))
	fields := make([]*string, len(changes))
	for i, c := range changes {
		ids[i], ops[i] = c.key, c.op
		if c.fields != nil {
			f := string(c.fields)
			fields[i] = &f
		}
	}
	args = append(args, ids, ops, fields)
	if _, err := conn.ExecContext(ctx, pt.upsert, args...); err != nil {
		return fmt.Errorf("upsert %d rows into %s: %w", len(rows), ti.name, err)
	}
	return nil
}

// historyArgs are the scalar parameters of pgTable's history: tenant, table, time, run id and
// delivery id (NULL when empty).
func historyArgs(ti *tableInfo, tenant string, origin Origin, now time.Time) []any {
	return []any{tenant, ti.name, now, nullable(origin.RunID), nullable(origin.Delivery)}
}

// unnestArgs turns rows into one array per column, in ti's column order.
func unnestArgs[T any](ctx context.Context, pt *pgTable, ti *tableInfo, rows []T) ([]any, error) {
	n := len(rows)
	typed := make([]reflect.Value, len(ti.fields))
	texts := make([][]*string, len(ti.fields))
	anys := make([][]any, len(ti.fields))
	for j, f := range ti.fields {
		switch {
		case pt.text[j]:
			texts[j] = make([]*string, n)
		case pt.typed[j]:
			typed[j] = reflect.MakeSlice(reflect.SliceOf(f.FieldType), n, n)
		default:
			anys[j] = make([]any, n)
		}
	}
	for i := range rows {
		rv := reflect.ValueOf(&rows[i]).Elem()
		for j, f := range ti.fields {
			fv := f.ReflectValueOf(ctx, rv)
			if pt.typed[j] {
				typed[j].Index(i).Set(fv)
				continue
			}
			v, err := columnValue(fv)
			if err != nil {
				return nil, fmt.Errorf("write %s: column %s: %w", ti.name, ti.columns[j], err)
			}
			if !pt.text[j] {
				anys[j][i] = v
				continue
			}
			switch x := v.(type) {
			case nil:
			case string:
				texts[j][i] = &x
			case []byte:
				t := string(x)
				texts[j][i] = &t
			default:
				return nil, fmt.Errorf("write %s: column %s: %T is not text", ti.name, ti.columns[j], v)
			}
		}
	}
	args := make([]any, len(ti.fields))
	for j := range args {
		switch {
		case pt.text[j]:
			args[j] = texts[j]
		case pt.typed[j]:
			args[j] = typed[j].Interface()
		default:
			args[j] = anys[j]
		}
	}
	return args, nil
}

// columnValue is what database/sql would send for a field: nil for a nil pointer, a Valuer's
// value, else the value itself.
func columnValue(v reflect.Value) (any, error) {
	if v.Kind() == reflect.Pointer {
		if v.IsNil() {
			return nil, nil
		}
		if vr, ok := v.Interface().(driver.Valuer); ok {
			return vr.Value()
		}
		v = v.Elem()
	}
	x := v.Interface()
	if vr, ok := x.(driver.Valuer); ok {
		return vr.Value()
	}
	return x, nil
}

// plainType reports whether values of t (or of what it points to) are strings, integers,
// floats, booleans or times that the driver encodes directly; a type with methods of its own
// (a Valuer) is sent value by value as database/sql would.
func plainType(t reflect.Type) bool {
	if t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if t == reflect.TypeFor[time.Time]() {
		return true
	}
	if t.PkgPath() != "" || t.Name() == "" && t.Kind() != reflect.Pointer {
		return false // a named type of some package: it may have its own encoding
	}
	switch t.Kind() {
	case reflect.String, reflect.Int64, reflect.Int32, reflect.Int, reflect.Float64, reflect.Bool:
		return true
	}
	return false
}

// pgTable builds (once per store and table) the upsert statement from the table's column types.
func (s *Store) pgTable(ctx context.Context, conn gorm.ConnPool, ti *tableInfo) (*pgTable, error) {
	if v, ok := s.pgTables.Load(ti.name); ok {
		return v.(*pgTable), nil
	}
	rows, err := conn.QueryContext(ctx, `SELECT a.attname, format_type(a.atttypid, NULL)
		FROM pg_attribute a WHERE a.attrelid = $1::regclass AND a.attnum > 0 AND NOT a.attisdropped`, `"`+ti.name+`"`)
	if err != nil {
		return nil, fmt.Errorf("read column types of %s: %w", ti.name, err)
	}
	types := map[string]string{}
	for rows.Next() {
		var name, typ string
		if err := rows.Scan(&name, &typ); err != nil {
			rows.Close()
			return nil, fmt.Errorf("read column types of %s: %w", ti.name, err)
		}
		types[name] = typ
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("read column types of %s: %w", ti.name, err)
	}

	pt := &pgTable{text: make([]bool, len(ti.columns)), typed: make([]bool, len(ti.columns))}
	idType, ok := types["id"]
	if !ok {
		return nil, fmt.Errorf("table %s has no column id", ti.name)
	}
	var quoted, params, selects, sets []string
	for j, c := range ti.columns {
		typ, ok := types[c]
		if !ok {
			return nil, fmt.Errorf("table %s has no column %s", ti.name, c)
		}
		q := `"` + c + `"`
		quoted = append(quoted, q)
		switch typ {
		case "jsonb", "json", "date":
			// Sent as text: the driver's binary array encoders want typed Go values, and
			// these columns hold a Valuer's text (JSON, Date).
			pt.text[j] = true
			params = append(params, fmt.Sprintf("$%d::text[]", j+1))
			selects = append(selects, q+"::"+typ)
		default:
			params = append(params, fmt.Sprintf("$%d::%s[]", j+1, typ))
			selects = append(selects, q)
			pt.typed[j] = plainType(ti.fields[j].FieldType)
		}
	}
	for _, c := range ti.updatable {
		sets = append(sets, `"`+c+`" = excluded."`+c+`"`)
	}
	table := `"` + ti.name + `"`
	insert := "INSERT INTO " + table + " (" + strings.Join(quoted, ", ") + ") SELECT " + strings.Join(selects, ", ") +
		" FROM unnest(" + strings.Join(params, ", ") + ") AS u(" + strings.Join(quoted, ", ") + ")"
	upsert := insert + " ON CONFLICT (tenant_id, id) DO UPDATE SET " + strings.Join(sets, ", ") +
		// Belt and braces with UpsertPage's classification: the database itself refuses to
		// rewrite a row whose content did not change.
		" WHERE " + table + ".content_hash <> excluded.content_hash OR " + table + ".deleted_at IS NOT NULL"

	// The history: after the column arrays come tenant, table, time, run id, delivery id
	// (historyArgs), then for the upsert the arrays of record id, operation and fields.
	n := len(ti.columns)
	p := func(i int) string { return fmt.Sprintf("$%d", n+i) }
	into := "INSERT INTO record_changes (tenant_id, table_name, record_id, operation, changed_at, run_id, delivery_id, fields) "
	scalars := p(1) + "::text, " + p(2) + "::text, "
	origin := p(3) + "::timestamptz, " + p(4) + "::text, " + p(5) + "::text, "
	// The plain INSERT writes every row or none (a duplicate fails the whole statement), so its
	// history comes straight from the id column's array, without a RETURNING to collect.
	idParam := fmt.Sprintf("$%d", slices.Index(ti.columns, "id")+1)
	pt.insert = "WITH h AS (" + into + "SELECT " + scalars + "c.id::text, '" + OpInsert + "', " + origin +
		"NULL FROM unnest(" + idParam + "::" + idType + "[]) AS c(id)) " + insert
	pt.upsert = "WITH w AS (" + upsert + " RETURNING id) " + into +
		"SELECT " + scalars + "c.id::text, c.op, " + origin + "c.fields::jsonb FROM unnest(" +
		p(6) + "::" + idType + "[], " + p(7) + "::text[], " + p(8) + "::text[]) AS c(id, op, fields) JOIN w ON w.id = c.id"
	s.pgTables.Store(ti.name, pt)
	return pt, nil
}

// TenantRows returns every row of the tenant in T's table, tombstoned ones included, by key: the
// mirror as stored, for comparisons with what the upstream holds (internal/testing/mirrortest).
func TenantRows[T interface{ TableName() string }](ctx context.Context, s *Store, tenant string) ([]T, error) {
	var zero T
	var rows []T
	if err := s.db.WithContext(ctx).Where("tenant_id = ?", tenant).Order("id").Find(&rows).Error; err != nil {
		return nil, fmt.Errorf("read %s of %s: %w", zero.TableName(), tenant, err)
	}
	return rows, nil
}
