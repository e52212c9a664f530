package models

import (
	"context"
	"fmt"
	"hash/fnv"
	"strconv"
	"time"

	"gorm.io/gorm"
)

// Stored is a mirror row as EditRow's function sees it.
type Stored struct {
	Raw JSON
	// Deleted is set on a tombstoned row. DeletedVersion is then the newest version of the record
	// the tombstone is known to supersede: the updated_at a webhook DELETE carried
	// (deleted_version), else when the row was tombstoned (deleted_at; a pull tombstones a row
	// only after the record was gone, so any version of it is older than that).
	Deleted        bool
	DeletedVersion time.Time
}

// Edit is what EditRow writes: Row, upserted as UpsertPage would (which clears a tombstone),
// or a tombstone with DeletedVersion, or (zero Edit) nothing.
type Edit[T any] struct {
	Row            *T
	Tombstone      bool
	DeletedVersion *time.Time
}

// EditResult is what EditRow did: the upsert's classification, or Tombstoned.
type EditResult struct {
	PageCounts
	Tombstoned bool
}

// editLockClass is the first key of the transaction advisory locks EditRow takes on Postgres.
// Two-key advisory locks do not share a key space with one-bigint ones, which the job locks
// and goose's migration lock use, so these never contend with those.
const editLockClass = 0x73796e63 // "sync"

// EditRow reads the tenant's row id of T's table, lets decide choose what to write, and writes
// it, all in one transaction that holds a lock on the row: concurrent edits of one row run one
// after another, each seeing the result of the one before, so read–merge–write cannot lose an
// edit. decide runs once, inside the transaction, and sees nil when the row does not exist; it
// must not touch the database itself (on SQLite that would wait for the one connection forever).
//
// On Postgres the lock is a transaction-scoped advisory lock on (tenant, table, id), which also
// serialises edits of a row that does not exist yet (two first deliveries of one record), plus
// SELECT … FOR UPDATE, which makes a pull writing the same row wait for the edit (and vice versa).
// On SQLite the store has one connection and transactions begin IMMEDIATE, so every write
// transaction of the process is already serialised.
//
// What it writes appends its change to record_changes in the same transaction, attributed to
// origin (a webhook delivery), as UpsertPage and Tombstone do.
func EditRow[T any, P interface {
	*T
	Row[int64]
}](ctx context.Context, s *Store, tenant string, origin Origin, id int64, now time.Time, decide func(*Stored) (Edit[T], error)) (EditResult, error) {
	ti, err := infoFor(s.db, P(new(T)))
	if err != nil {
		return EditResult{}, err
	}
	var res EditResult
	err = s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		res = EditResult{}
		st, err := s.lockRow(tx, ti, tenant, id)
		if err != nil {
			return err
		}
		e, err := decide(st)
		if err != nil {
			return err
		}
		switch {
		case e.Row != nil:
			if k := P(e.Row).Key(); k != id {
				return fmt.Errorf("edit %s %d: the new row has id %d", ti.name, id, k)
			}
			pc, err := upsertInTx[int64, T, P](ctx, s, tx, ti, tenant, origin, []T{*e.Row}, []int64{id}, now)
			if err != nil {
				return err
			}
			res.PageCounts = pc
		case e.Tombstone:
			marked, err := tombstoneInTx(tx, ti.name, tenant, []int64{id}, e.DeletedVersion, now)
			if err != nil {
				return err
			}
			res.Tombstoned = len(marked) > 0
			if res.Tombstoned {
				return appendChanges(s, tx, ti.name, tenant, origin, now, []change[int64]{{key: id, op: OpDelete}})
			}
		}
		return nil
	})
	if err != nil {
		return EditResult{}, err
	}
	return res, nil
}

// lockRow locks the tenant's row id of ti (see EditRow) and reads it; nil when there is none.
func (s *Store) lockRow(tx *gorm.DB, ti *tableInfo, tenant string, id int64) (*Stored, error) {
	q := "SELECT raw, deleted_at, deleted_version FROM " + ti.name + " WHERE tenant_id = ? AND id = ?"
	if s.dialect == Postgres {
		h := fnv.New32a()
		h.Write([]byte(tenant + "\x00" + ti.name + "\x00" + strconv.FormatInt(id, 10)))
		if err := tx.Exec("SELECT pg_advisory_xact_lock(CAST(? AS int4), CAST(? AS int4))",
			editLockClass, int32(h.Sum32())).Error; err != nil {
			return nil, fmt.Errorf("lock %s %d: %w", ti.name, id, err)
		}
		q += " FOR UPDATE"
	}
	rows, err := tx.Raw(q, tenant, id).Rows()
	if err != nil {
		return nil, fmt.Errorf("read stored %s %d: %w", ti.name, id, err)
	}
	defer rows.Close()
	if !rows.Next() {
		if err := rows.Err(); err != nil {
			return nil, fmt.Errorf("read stored %s %d: %w", ti.name, id, err)
		}
		return nil, nil
	}
	var (
		st               Stored
		deleted, version *time.Time
	)
	if err := rows.Scan(&st.Raw, &deleted, &version); err != nil {
		return nil, fmt.Errorf("read stored %s %d: %w", ti.name, id, err)
	}
	if deleted != nil {
		st.Deleted = true
		st.DeletedVersion = *deleted
		if version != nil {
			st.DeletedVersion = *version
		}
	}
	return &st, rows.Close()
}
