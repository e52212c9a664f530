package models

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"reflect"
	"slices"
	"strconv"
	"time"

	"gorm.io/gorm"
)

// Change history: record_changes (migration 00008) gets one row per insert, update, tombstone
// and un-tombstone of a mirror row, written in the transaction (on Postgres, mostly in the very
// statement) that makes the change:
//
//   - UpsertPage and UpsertNewPage, and so EditRow's upserts: one insert, update or undelete row
//     per record the statement wrote. On Postgres the history rows are inserted by the upsert
//     statement itself (a data-modifying CTE joined with the upsert's RETURNING), so a page costs
//     no extra statement for them; only a page holding changed records reads the stored raw
//     records of those (one statement) to compute their changed fields. On SQLite they follow the
//     upsert in the same transaction.
//   - Tombstone and EditRow's tombstone: one delete row per row the UPDATE tombstoned (its
//     RETURNING).
//
// An unchanged record, and an update whose top-level fields all compare equal (only the order
// of the keys changed), append nothing. Nothing else writes mirror rows, except
// RelabelFunnelCommunity, which changes syncd's label of a record (community_id), not the record,
// and is not history.

// Operations recorded in record_changes.operation.
const (
	OpInsert   = "insert"
	OpUpdate   = "update"
	OpDelete   = "delete"
	OpUndelete = "undelete"
)

// Origin names what made a change, for record_changes: a pull run (RunID, sync_runs.run_id) or
// a webhook delivery (Delivery). The zero Origin names neither (tests, tools); its changes are
// recorded with both columns NULL.
type Origin struct {
	RunID    string
	Delivery string
}

// RecordChange is one row of record_changes; see the migration's COMMENT ON statements.
type RecordChange struct {
	TenantID string
	// Table is the mirror table (the column table_name).
	Table      string `gorm:"column:table_name"`
	RecordID   string
	Operation  string
	ChangedAt  time.Time
	RunID      *string `gorm:"column:run_id"`
	DeliveryID *string
	// Fields holds an update's changed top-level fields: {"field": {"old": …, "new": …}}.
	Fields JSON
}

func (RecordChange) TableName() string { return "record_changes" }

// change is one history row of a page, before the origin and time are added.
type change[K Key] struct {
	key    K
	op     string
	fields JSON
}

// keyText is a record id as record_changes.record_id holds it.
func keyText[K Key](k K) string {
	switch v := any(k).(type) {
	case int64:
		return strconv.FormatInt(v, 10)
	case string:
		return v
	}
	return fmt.Sprint(k) // a named type over int64 or string
}

// nullable returns nil for "", else &s.
func nullable(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

// changedFields compares two raw records field by field at the top level and returns the fields
// whose values differ as {"field": {"old": …, "new": …}}, with JSON null on the side where a
// field is absent, sorted by field; nil when no field differs. Values compare as JSON values
// (sameJSON): neither whitespace nor the order of keys inside a value is a change. ok is false
// when either record is not a JSON object (the caller records the change with unknown fields).
func changedFields(oldRaw, newRaw []byte) (fields JSON, ok bool) {
	var o, n map[string]json.RawMessage
	if json.Unmarshal(oldRaw, &o) != nil || o == nil || json.Unmarshal(newRaw, &n) != nil || n == nil {
		return nil, false
	}
	type pair struct {
		Old json.RawMessage `json:"old"`
		New json.RawMessage `json:"new"`
	}
	diff := map[string]pair{}
	for k, nv := range n {
		if ov, had := o[k]; !had || !sameJSON(ov, nv) {
			diff[k] = pair{Old: o[k], New: nv}
		}
	}
	for k, ov := range o {
		if _, has := n[k]; !has {
			diff[k] = pair{Old: ov}
		}
	}
	if len(diff) == 0 {
		return nil, true
	}
	// encoding/json sorts map keys and compacts each RawMessage; a nil one is written as null.
	b, err := json.Marshal(diff)
	if err != nil {
		return nil, false
	}
	return storableJSON(b), true
}

// sameJSON reports whether two JSON texts are the same value: equal once compacted, or else
// equal when decoded (numbers as written), so that an object whose keys come in another order is
// the same value. Upstreams that re-serialise a record may reorder keys at any depth; that
// changes its content hash but not its content. It runs only on records whose hash changed.
func sameJSON(a, b json.RawMessage) bool {
	if bytes.Equal(a, b) {
		return true
	}
	var ca, cb bytes.Buffer
	if json.Compact(&ca, a) != nil || json.Compact(&cb, b) != nil {
		return false
	}
	x, y := ca.Bytes(), cb.Bytes()
	if bytes.Equal(x, y) {
		return true
	}
	if x[0] != y[0] || (x[0] != '{' && x[0] != '[') {
		return false // scalars, or values of different kinds: equal only when written alike
	}
	va, ok := decodeNumbers(x)
	if !ok {
		return false
	}
	vb, ok := decodeNumbers(y)
	return ok && reflect.DeepEqual(va, vb)
}

// decodeNumbers decodes a JSON value with numbers kept as written.
func decodeNumbers(b []byte) (any, bool) {
	d := json.NewDecoder(bytes.NewReader(b))
	d.UseNumber()
	var v any
	return v, d.Decode(&v) == nil
}

// storedRaws reads the raw records of the tenant's rows among keys, inside tx.
func storedRaws[K Key](ctx context.Context, s *Store, tx *gorm.DB, ti *tableInfo, tenant string, keys []K) (map[K]JSON, error) {
	out := make(map[K]JSON, len(keys))
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
		r, err = tx.Statement.ConnPool.QueryContext(ctx, `SELECT id, raw FROM "`+ti.name+
			`" WHERE tenant_id = $1 AND id = ANY($2)`, tenant, keys)
	} else {
		r, err = tx.Table(ti.name).Select("id, raw").Where("tenant_id = ? AND id IN ?", tenant, keys).Rows()
	}
	if err != nil {
		return nil, fmt.Errorf("read stored records from %s: %w", ti.name, err)
	}
	for r.Next() {
		var (
			k   K
			raw JSON
		)
		if err := r.Scan(&k, &raw); err != nil {
			r.Close()
			return nil, fmt.Errorf("scan stored record from %s: %w", ti.name, err)
		}
		out[k] = raw
	}
	if err := r.Close(); err != nil {
		return nil, fmt.Errorf("read stored records from %s: %w", ti.name, err)
	}
	if err := r.Err(); err != nil {
		return nil, fmt.Errorf("read stored records from %s: %w", ti.name, err)
	}
	return out, nil
}

// appendChanges inserts history rows with GORM inside tx: SQLite's path, and the tombstones' on
// both databases (rare, and never more than a chunk of Tombstone at a time).
func appendChanges[K Key](s *Store, tx *gorm.DB, table, tenant string, origin Origin, now time.Time, changes []change[K]) error {
	if len(changes) == 0 {
		return nil
	}
	rows := make([]RecordChange, len(changes))
	for i, c := range changes {
		rows[i] = RecordChange{TenantID: tenant, Table: table, RecordID: keyText(c.key), Operation: c.op,
			ChangedAt: now, RunID: nullable(origin.RunID), DeliveryID: nullable(origin.Delivery), Fields: c.fields}
	}
	const perRow = 8 // columns of record_changes
	for chunk := range slices.Chunk(rows, s.maxParams()/perRow) {
		if err := tx.Create(&chunk).Error; err != nil {
			return fmt.Errorf("record %d changes of %s: %w", len(chunk), table, err)
		}
	}
	return nil
}

// DefaultPruneBatch is how many record_changes rows PruneChanges deletes at most per call.
const DefaultPruneBatch = 5000

// PruneChanges deletes at most batch rows (0 = DefaultPruneBatch) of record_changes older than
// before and returns how many it deleted; the caller repeats while it deletes a full batch.
//
// Each call is one short statement and transaction, so the retention job never holds much: on
// Postgres it locks only the old rows it deletes, which no upsert touches (history rows are only
// ever inserted), and on SQLite it holds the write lock for one batch. On Postgres the batch is
// found through the changed_at index and deleted by ctid (the table has no key; `ctid =
// ANY(ARRAY(…))` is planned as a TID scan, where `ctid IN (SELECT …)` can become a scan of the
// whole table); on SQLite by rowid.
func (s *Store) PruneChanges(ctx context.Context, before time.Time, batch int) (int64, error) {
	if batch <= 0 {
		batch = DefaultPruneBatch
	}
	q := `DELETE FROM record_changes WHERE rowid IN (SELECT rowid FROM record_changes WHERE changed_at < ? LIMIT ?)`
	if s.dialect == Postgres {
		q = `DELETE FROM record_changes WHERE ctid = ANY(ARRAY(SELECT ctid FROM record_changes WHERE changed_at < ? LIMIT ?))`
	}
	res := s.db.WithContext(ctx).Exec(q, before.UTC(), batch)
	if res.Error != nil {
		return 0, fmt.Errorf("prune record_changes before %s: %w", before.UTC().Format(time.RFC3339), res.Error)
	}
	return res.RowsAffected, nil
}
