package mirror

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

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

	// Delivery identifies the delivery in record_changes.delivery_id (set by the receiver, never
	// read from the body; see webhook.DeliveryID). "" records the change without one.
	Delivery string `json:"-"`
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
// nothing the second time. What it changes is recorded in record_changes with ch.Delivery. An UPDATE's record is laid over the stored record field by field,
// because webhook records carry only a subset of a record's fields; the next pull replaces the
// row with the full record.
//
// Ordering. Deliveries are retried and arrive out of order, so each is compared with the stored
// row under a row lock (models.EditRow: concurrent deliveries for one record apply one after
// another, each merging over the result of the one before):
//   - A delivery older than the stored record (by updated_at) overwrites nothing; it only adds
//     the fields the stored record lacks, so that deliveries racing each other lose no field.
//   - A tombstone supersedes every version up to its deletion version (the updated_at its
//     DELETE carried, else when it was tombstoned). A later INSERT or UPDATE that is not newer
//     than that leaves the row deleted ("stale"); a newer one un-deletes it. An UPDATE without
//     updated_at cannot be ordered and leaves a tombstone alone; an INSERT without one is a
//     re-creation and un-deletes.
//   - A DELETE whose record is older than the stored record (by updated_at) is stale: the record
//     was updated after the version the DELETE removed, so it is not tombstoned.
//
// A record the mirror cannot store as received (models.Unstorable, or a value the database
// refuses) is quarantined in bad_records and reported with ErrQuarantined: the sender's fault,
// never worth a retry.
func ApplyRentEngineChange(ctx context.Context, store *models.Store, tenant string, ch Change, now time.Time) (string, error) {
	typ := strings.ToUpper(strings.TrimSpace(ch.Type))
	switch typ {
	case "INSERT", "UPDATE", "DELETE":
	default:
		return "", fmt.Errorf("%w: type %q is not INSERT, UPDATE or DELETE", ErrBadChange, ch.Type)
	}
	switch rentengine.Resource(strings.TrimSpace(ch.Table)) {
	case rentengine.Units:
		return applyChange(ctx, store, tenant, models.RentEngineUnit{}.TableName(), typ, ch, RentEngineUnit, now)
	case rentengine.Prospects:
		return applyChange(ctx, store, tenant, models.RentEngineProspect{}.TableName(), typ, ch, RentEngineProspect, now)
	case rentengine.LeasingEvents:
		return applyChange(ctx, store, tenant, models.RentEngineLeasingEvent{}.TableName(), typ, ch, RentEngineLeasingEvent, now)
	case "":
		return "", fmt.Errorf("%w: no table", ErrBadChange)
	}
	return WebhookIgnored, nil
}

// WebhookResources are the RentEngine resources ApplyRentEngineChange applies: the tables a
// tenant's change webhooks keep current between pulls.
var WebhookResources = []rentengine.Resource{rentengine.Units, rentengine.Prospects, rentengine.LeasingEvents}

func applyChange[T any, P interface {
	*T
	models.Row[int64]
}](ctx context.Context, store *models.Store, tenant, table, typ string, ch Change,
	build func(json.RawMessage) (T, error), now time.Time) (string, error) {
	if typ != "DELETE" {
		if isNullJSON(ch.Record) {
			return "", fmt.Errorf("%w: %s without a record", ErrBadChange, typ)
		}
		return applyRecord[T, P](ctx, store, tenant, table, typ, ch.Record, models.Origin{Delivery: ch.Delivery}, build, now)
	}
	raw := ch.OldRecord
	if isNullJSON(raw) {
		raw = ch.Record
	}
	id, err := webhookID(raw)
	if err != nil {
		return "", fmt.Errorf("%w: DELETE without a usable record id: %v", ErrBadChange, err)
	}
	var fields map[string]json.RawMessage
	_ = json.Unmarshal(raw, &fields) // webhookID decoded it; only updated_at is wanted
	version, hasVersion := versionOf(fields)
	outcome := WebhookUnchanged
	res, err := models.EditRow[T, P](ctx, store, tenant, models.Origin{Delivery: ch.Delivery}, id, now, func(st *models.Stored) (models.Edit[T], error) {
		if st == nil || st.Deleted {
			return models.Edit[T]{}, nil
		}
		if hasVersion {
			var old map[string]json.RawMessage
			if json.Unmarshal(st.Raw, &old) == nil {
				if stored, ok := versionOf(old); ok && stored.After(version) {
					outcome = WebhookStale
					return models.Edit[T]{}, nil
				}
			}
			return models.Edit[T]{Tombstone: true, DeletedVersion: &version}, nil
		}
		return models.Edit[T]{Tombstone: true}, nil
	})
	if err != nil {
		return "", fmt.Errorf("apply DELETE of %s %d: %w", table, id, err)
	}
	if res.Tombstoned {
		return WebhookDeleted, nil
	}
	return outcome, nil
}

func isNullJSON(raw json.RawMessage) bool {
	s := strings.TrimSpace(string(raw))
	return s == "" || s == "null"
}

// webhookID is the record's id, which must be a positive integer.
func webhookID(raw json.RawMessage) (int64, error) {
	id, err := rentengine.RecordID(raw)
	if err != nil {
		return 0, err
	}
	if id <= 0 {
		return 0, fmt.Errorf("id %d is not positive", id)
	}
	return id, nil
}

// versionOf is a record's updated_at, if it has a readable one.
func versionOf(fields map[string]json.RawMessage) (time.Time, bool) {
	v, ok := fields["updated_at"]
	if !ok {
		return time.Time{}, false
	}
	var t flex.Time
	if json.Unmarshal(v, &t) != nil || !t.Valid {
		return time.Time{}, false
	}
	return t.V, true
}

func applyRecord[T any, P interface {
	*T
	models.Row[int64]
}](ctx context.Context, store *models.Store, tenant, table, typ string, raw json.RawMessage, origin models.Origin,
	build func(json.RawMessage) (T, error), now time.Time) (string, error) {
	var fields map[string]json.RawMessage
	if err := json.Unmarshal(raw, &fields); err != nil || fields == nil {
		return "", fmt.Errorf("%w: record is not a JSON object", ErrBadChange)
	}
	id, err := webhookID(raw)
	if err != nil {
		return "", fmt.Errorf("%w: record without a usable id: %v", ErrBadChange, err)
	}
	if why := models.Unstorable(raw); why != "" {
		return "", quarantineDelivery(ctx, store, tenant, table, id, raw, why, now)
	}
	incoming, hasVersion := versionOf(fields)

	outcome := ""
	res, err := models.EditRow[T, P](ctx, store, tenant, origin, id, now, func(st *models.Stored) (models.Edit[T], error) {
		merged := raw
		if st != nil && st.Deleted {
			newer := hasVersion && incoming.After(st.DeletedVersion)
			recreated := typ == "INSERT" && !hasVersion
			if !newer && !recreated {
				outcome = WebhookStale
				return models.Edit[T]{}, nil
			}
		}
		var old map[string]json.RawMessage
		if st != nil && json.Unmarshal(st.Raw, &old) == nil && old != nil {
			stored, ok := versionOf(old)
			stale := ok && hasVersion && stored.After(incoming)
			if stale && st.Deleted {
				outcome = WebhookStale
				return models.Edit[T]{}, nil
			}
			// A stale delivery only fills the stored record's gaps: what it says of a field the
			// stored record has is older than what is stored.
			changed := false
			for k, v := range fields {
				if prev, had := old[k]; had && (stale || sameJSON(prev, v)) {
					continue
				}
				old[k] = v
				changed = true
			}
			switch {
			case !changed && stale:
				outcome = WebhookStale
				return models.Edit[T]{}, nil
			case !changed && !st.Deleted:
				// A repeated delivery, or one the stored record already reflects.
				outcome = WebhookUnchanged
				return models.Edit[T]{}, nil
			}
			var err error
			if merged, err = json.Marshal(old); err != nil {
				return models.Edit[T]{}, fmt.Errorf("merge %s %d: %w", table, id, err)
			}
		}
		row, err := build(merged)
		if err != nil {
			return models.Edit[T]{}, fmt.Errorf("%w: %s %d: %v", ErrBadRecord, table, id, err)
		}
		SetRaw(P(&row).Sys(), merged)
		return models.Edit[T]{Row: &row}, nil
	})
	switch {
	case err == nil:
	case errors.Is(err, ErrBadRecord):
		return "", err
	case models.IsDataError(err):
		// Something Unstorable does not foresee; answering 5xx would have it sent forever.
		return "", quarantineDelivery(ctx, store, tenant, table, id, raw, "the database refused it: "+err.Error(), now)
	default:
		return "", fmt.Errorf("apply %s of %s %d: %w", typ, table, id, err)
	}
	switch {
	case outcome != "":
		return outcome, nil
	case res.Inserted > 0:
		return WebhookInserted, nil
	case res.Updated > 0:
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
