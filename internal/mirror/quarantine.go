package mirror

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/syncd-dev/syncd/internal/models"
)

// ErrQuarantined marks a webhook record that was quarantined in bad_records rather than stored:
// the sender's fault (4xx), never worth a retry. The error is a *QuarantineError.
var ErrQuarantined = errors.New("record quarantined")

// QuarantineError says which record was quarantined, and why.
type QuarantineError struct {
	Table  string // the mirror table (rentengine_units, …)
	ID     string
	Reason string
}

func (e *QuarantineError) Error() string {
	return fmt.Sprintf("%s %s cannot be stored: it %s; quarantined in bad_records", e.Table, e.ID, e.Reason)
}

// Is makes errors.Is(err, ErrQuarantined) hold.
func (e *QuarantineError) Is(target error) bool { return target == ErrQuarantined }

// quarantineDelivery quarantines a webhook record and returns the *QuarantineError to answer
// with, or the database error if it could not be recorded (a failure of ours: the sender
// retries).
func quarantineDelivery(ctx context.Context, store *models.Store, tenant, table string, id int64, raw []byte, reason string, now time.Time) error {
	rid := strconv.FormatInt(id, 10)
	if err := store.Quarantine(ctx, models.Quarantined{Tenant: tenant, Table: table, RecordID: rid, Reason: reason,
		Raw: raw, Source: models.SourceWebhook, At: now}); err != nil {
		return err
	}
	return &QuarantineError{Table: table, ID: rid, Reason: reason}
}
