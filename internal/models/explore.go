package models

import (
	"context"
	"fmt"
	"slices"
	"strings"
)

// For people exploring the mirror (cmd/demo): syncd's own reads and writes have named methods.

// TableCount is how many rows one table of the database holds.
type TableCount struct {
	Table string
	// HasTombstones says the table has deleted_at; Live and Tombstoned then split its rows.
	// Otherwise Live counts every row.
	HasTombstones    bool
	Live, Tombstoned int64
}

// TableCounts counts the rows of every table of the database but the migration library's, by
// table name.
func (s *Store) TableCounts(ctx context.Context) ([]TableCount, error) {
	db := s.db.WithContext(ctx)
	names, err := db.Migrator().GetTables()
	if err != nil {
		return nil, fmt.Errorf("list tables: %w", err)
	}
	slices.Sort(names)
	var out []TableCount
	for _, t := range names {
		if strings.HasPrefix(t, "sqlite_") || t == "goose_db_version" {
			continue
		}
		c := TableCount{Table: t, HasTombstones: db.Migrator().HasColumn(t, "deleted_at")}
		if c.HasTombstones {
			err = db.Table(t).Where("deleted_at IS NULL").Count(&c.Live).Error
			if err == nil {
				err = db.Table(t).Where("deleted_at IS NOT NULL").Count(&c.Tombstoned).Error
			}
		} else {
			err = db.Table(t).Count(&c.Live).Error
		}
		if err != nil {
			return nil, fmt.Errorf("count rows of %s: %w", t, err)
		}
		out = append(out, c)
	}
	return out, nil
}

// AdHocQuery runs a query a person typed and returns its column names and rows, each value as the
// driver returned it.
func (s *Store) AdHocQuery(ctx context.Context, query string) (cols []string, rows [][]any, err error) {
	r, err := s.db.WithContext(ctx).Raw(query).Rows()
	if err != nil {
		return nil, nil, err
	}
	defer r.Close()
	if cols, err = r.Columns(); err != nil {
		return nil, nil, err
	}
	for r.Next() {
		vals := make([]any, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		if err := r.Scan(ptrs...); err != nil {
			return nil, nil, err
		}
		rows = append(rows, vals)
	}
	return cols, rows, r.Err()
}
