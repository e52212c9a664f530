package sync

import (
	"context"
	"fmt"
	"time"

	"go.uber.org/zap"

	"github.com/syncd-dev/syncd/internal/models"
)

// Quarantine: a record that decodes but that the mirror cannot store as received (see
// models.Unstorable for the rule, and models.IsDataError for the net behind it) is put in
// bad_records with its bytes instead of failing its page. In a pull the rest of the page lands,
// the record counts as a bad record (and as quarantined) in the run, and its stored row is kept
// and never tombstoned for it (the pass saw it). A webhook delivering one is answered 422 (see
// mirror.ErrQuarantined).

// QuarantineObserver counts quarantined records (the metrics package implements it).
type QuarantineObserver interface {
	Quarantined(tenant, table string, n int)
}

// quarantine puts one record of a pull in bad_records, counts it and logs it. On the verifying
// pass (report false) it does nothing: the first pass did it all.
func (rc *runContext) quarantine(ctx context.Context, table string, id any, raw []byte, reason string, page int, report bool, c *Counts) error {
	if !report {
		return nil
	}
	rid := fmt.Sprint(id)
	if err := rc.store.Quarantine(ctx, models.Quarantined{Tenant: rc.tenant, Table: table, RecordID: rid, Reason: reason,
		Raw: raw, Source: models.SourcePull, RunID: rc.runID, At: rc.now()}); err != nil {
		return err
	}
	c.BadRecords++
	c.Quarantined++
	if rc.quarantined != nil {
		rc.quarantined.Quarantined(rc.tenant, table, 1)
	}
	rc.log.Warn("bad upstream record: cannot be stored as received; quarantined in bad_records, stored row kept",
		zap.String("table", table), zap.String("id", rid), zap.Int("page", page), zap.String("reason", reason),
		zap.String("raw", excerpt(raw)))
	return nil
}

// storePage upserts one page of a pull. Should the database refuse a value in it anyway (a data
// error, which Unstorable did not foresee: the whole page's statement fails), the page is stored
// again record by record and the records refused are quarantined, so that one record cannot fail
// its resource on every run. Clean pages take the first call only.
func storePage[K models.Key, T any, P interface {
	*T
	models.Row[K]
}](ctx context.Context, rc *runContext, table string,
	upsert func(context.Context, *models.Store, string, models.Origin, []T, time.Time) (models.PageCounts, error),
	rows []T, page int, report bool, c *Counts) (models.PageCounts, error) {
	pc, err := upsert(ctx, rc.store, rc.tenant, rc.origin(), rows, rc.now())
	if err == nil || len(rows) == 0 || !models.IsDataError(err) {
		return pc, err
	}
	rc.log.Warn("the database refused a value in a page; storing its records one by one",
		zap.String("table", table), zap.Int("page", page), zap.Error(err))
	pc = models.PageCounts{}
	for i := range rows {
		one, err := upsert(ctx, rc.store, rc.tenant, rc.origin(), rows[i:i+1], rc.now())
		if err != nil {
			if !models.IsDataError(err) {
				return pc, err
			}
			p := P(&rows[i])
			if err := rc.quarantine(ctx, table, p.Key(), p.Sys().Raw, "the database refused it: "+err.Error(), page, report, c); err != nil {
				return pc, err
			}
			continue
		}
		pc.Inserted += one.Inserted
		pc.Updated += one.Updated
		pc.Unchanged += one.Unchanged
	}
	return pc, nil
}
