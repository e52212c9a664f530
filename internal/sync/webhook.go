package sync

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"gorm.io/gorm"

	"github.com/syncd-dev/syncd/internal/clients/flex"
	"github.com/syncd-dev/syncd/internal/clients/rentengine"
	"github.com/syncd-dev/syncd/internal/models"
)

// Change is one RentEngine webhook delivery: a database-style change of one record
// (`{"type": "INSERT|UPDATE|DELETE", "table", "record", "old_record"}`).
type Change struct {
	Type      string          `json:"type"`
	Table     string          `json:"table"`
	Record    json.RawMessage `json:"record"`
	OldRecord json.RawMessage `json:"old_record"`
}

// Webhook outcomes.
const (
	WebhookInserted  = "inserted"
	WebhookUpdated   = "updated"
	WebhookUnchanged = "unchanged"
	WebhookDeleted   = "deleted"
	// WebhookStale: the delivery is older than the stored record (deliveries are retried and can
	// arrive out of order), so it was not applied.
	WebhookStale = "stale"
	// WebhookIgnored: a table syncd does not mirror.
	WebhookIgnored = "ignored"
)

var (
	// ErrBadChange marks a delivery that is not a well-formed change (the sender's fault: 4xx).
	ErrBadChange = errors.New("malformed webhook change")
	// ErrBadRecord marks a well-formed change whose record cannot be decoded into its table.
	ErrBadRecord = errors.New("webhook record cannot be stored")
)

// ApplyRentEngineChange applies one webhook change to a tenant's mirror, as a pull would have:
// the same decoding, content hash and tombstones, so a delivery repeated by the sender changes
// nothing the second time. An UPDATE's record is laid over the stored record field by field,
// because webhook records carry only a subset of a record's fields; the next pull replaces the
// row with the full record. A delivery older than the stored record (by updated_at) is not
// applied.
func ApplyRentEngineChange(ctx context.Context, store *models.Store, tenant string, ch Change, now time.Time) (string, error) {
	typ := strings.ToUpper(strings.TrimSpace(ch.Type))
	switch typ {
	case "INSERT", "UPDATE", "DELETE":
	default:
		return "", fmt.Errorf("%w: type %q is not INSERT, UPDATE or DELETE", ErrBadChange, ch.Type)
	}
	var table string
	var apply func(json.RawMessage) (string, error)
	switch rentengine.Resource(strings.TrimSpace(ch.Table)) {
	case rentengine.Units:
		table = "rentengine_units"
		apply = func(raw json.RawMessage) (string, error) {
			return applyRecord[models.RentEngineUnit](ctx, store, table, tenant, raw, buildUnit, now)
		}
	case rentengine.Prospects:
		table = "rentengine_prospects"
		apply = func(raw json.RawMessage) (string, error) {
			return applyRecord[models.RentEngineProspect](ctx, store, table, tenant, raw, buildProspect, now)
		}
	case rentengine.LeasingEvents:
		table = "rentengine_leasing_events"
		apply = func(raw json.RawMessage) (string, error) {
			return applyRecord[models.RentEngineLeasingEvent](ctx, store, table, tenant, raw, buildLeasingEvent, now)
		}
	case "":
		return "", fmt.Errorf("%w: no table", ErrBadChange)
	default:
		return WebhookIgnored, nil
	}

	if typ == "DELETE" {
		raw := ch.OldRecord
		if isNullJSON(raw) {
			raw = ch.Record
		}
		id, err := rentengine.RecordID(raw)
		if err != nil {
			return "", fmt.Errorf("%w: DELETE without a record id: %v", ErrBadChange, err)
		}
		n, err := models.Tombstone[int64](ctx, store, table, tenant, []int64{id}, now)
		if err != nil {
			return "", err
		}
		if n == 0 {
			return WebhookUnchanged, nil
		}
		return WebhookDeleted, nil
	}
	if isNullJSON(ch.Record) {
		return "", fmt.Errorf("%w: %s without a record", ErrBadChange, typ)
	}
	return apply(ch.Record)
}

func isNullJSON(raw json.RawMessage) bool {
	s := strings.TrimSpace(string(raw))
	return s == "" || s == "null"
}

func applyRecord[T any, P interface {
	*T
	models.Row[int64]
}](ctx context.Context, store *models.Store, table, tenant string, raw json.RawMessage,
	build func(json.RawMessage) (T, error), now time.Time) (string, error) {
	var fields map[string]json.RawMessage
	if err := json.Unmarshal(raw, &fields); err != nil {
		return "", fmt.Errorf("%w: record is not a JSON object", ErrBadChange)
	}
	id, err := rentengine.RecordID(raw)
	if err != nil {
		return "", fmt.Errorf("%w: record without a usable id: %v", ErrBadChange, err)
	}

	var stored struct{ Raw models.JSON }
	err = store.DB().WithContext(ctx).Table(table).Select("raw").Where("tenant_id = ? AND id = ?", tenant, id).Take(&stored).Error
	switch {
	case errors.Is(err, gorm.ErrRecordNotFound):
	case err != nil:
		return "", fmt.Errorf("read stored %s %d: %w", table, id, err)
	default:
		var old map[string]json.RawMessage
		if json.Unmarshal(stored.Raw, &old) == nil {
			if newer(old["updated_at"], fields["updated_at"]) {
				return WebhookStale, nil
			}
			same := true
			for k, v := range fields {
				same = same && sameJSON(old[k], v)
				old[k] = v
			}
			if same {
				// A repeated delivery, or one the stored record already reflects.
				return WebhookUnchanged, nil
			}
			if raw, err = json.Marshal(old); err != nil {
				return "", fmt.Errorf("merge %s %d: %w", table, id, err)
			}
		}
	}

	row, err := build(raw)
	if err != nil {
		return "", fmt.Errorf("%w: %s %d: %v", ErrBadRecord, table, id, err)
	}
	sys := P(&row).Sys()
	sys.Raw = models.JSON(raw)
	sys.ContentHash = models.HashRaw(raw)
	pc, err := models.UpsertPage[int64, T, P](ctx, store, tenant, []T{row}, now)
	if err != nil {
		return "", err
	}
	switch {
	case pc.Inserted > 0:
		return WebhookInserted, nil
	case pc.Updated > 0:
		return WebhookUpdated, nil
	}
	return WebhookUnchanged, nil
}

// sameJSON compares two JSON values ignoring insignificant whitespace.
func sameJSON(a, b json.RawMessage) bool {
	if a == nil || b == nil {
		return a == nil && b == nil
	}
	var ca, cb bytes.Buffer
	if json.Compact(&ca, a) != nil || json.Compact(&cb, b) != nil {
		return bytes.Equal(a, b)
	}
	return bytes.Equal(ca.Bytes(), cb.Bytes())
}

// newer reports whether the stored updated_at is later than the incoming one (both present).
func newer(stored, incoming json.RawMessage) bool {
	var s, in flex.Time
	if json.Unmarshal(stored, &s) != nil || json.Unmarshal(incoming, &in) != nil || !s.Valid || !in.Valid {
		return false
	}
	return s.V.After(in.V)
}
