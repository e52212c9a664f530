// Package models holds the mirror's table structs, the versioned SQL migrations embedded in the
// binary (one directory per dialect), and the Store that reads and writes them.
//
// All of syncd's SQL lives here, behind named Store methods (ReadPushLedger, ClaimTick,
// ReplaceIdentityLinks, …), and table names come from the row types' TableName. Other packages
// never hold a database handle and do not import GORM or a driver; TestSQLStaysInModels
// (imports_test.go) enforces that. Tests reach the handle through internal/testing/dbtest.DB.
//
// Every mirror table has the primary key (tenant_id, id), typed columns for what analysts filter
// and join on, the record exactly as received (raw; jsonb on Postgres), a content hash used to skip
// unchanged records, first_seen_at, synced_at (when syncd last wrote the row) and deleted_at (the
// tombstone: set when a complete pull no longer returns the record, cleared if it comes back),
// with deleted_version when a webhook DELETE set the tombstone.
//
// The Postgres migrations comment every table, view and column (COMMENT ON, by the convention at
// the top of migration 00007), and docs/SCHEMA.md is generated from the migrated schemas by
// TestSchemaDoc (schemadoc_test.go): go generate ./internal/models rewrites it.
//
//go:generate go test -count=1 -run ^TestSchemaDoc$ . -update
package models

import (
	"database/sql/driver"
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"time"

	"gorm.io/gorm"
	"gorm.io/gorm/schema"
)

// JSON is a JSON document column: jsonb on Postgres, text on SQLite. A local type keeps
// gorm.io/datatypes (and the MySQL driver it pulls in) out of the build.
type JSON json.RawMessage

// Value implements driver.Valuer.
func (j JSON) Value() (driver.Value, error) {
	if len(j) == 0 {
		return nil, nil
	}
	return string(j), nil
}

// Scan implements sql.Scanner.
func (j *JSON) Scan(v any) error {
	switch t := v.(type) {
	case nil:
		*j = nil
	case []byte:
		*j = append((*j)[:0], t...)
	case string:
		*j = JSON(t)
	default:
		return fmt.Errorf("scan JSON from %T", v)
	}
	return nil
}

// MarshalJSON keeps the document as is when a row is encoded.
func (j JSON) MarshalJSON() ([]byte, error) {
	if len(j) == 0 {
		return []byte("null"), nil
	}
	return j, nil
}

// GormDBDataType names the column type per dialect (used only by the schema-agreement test).
func (JSON) GormDBDataType(db *gorm.DB, _ *schema.Field) string {
	if db.Dialector.Name() == "postgres" {
		return "jsonb"
	}
	return "text"
}

// System are the columns every mirror table carries besides its id.
type System struct {
	TenantID    string `gorm:"primaryKey;column:tenant_id"`
	Raw         JSON   `gorm:"column:raw;not null"`
	ContentHash string `gorm:"column:content_hash;not null"`
	FirstSeenAt time.Time
	SyncedAt    time.Time
	DeletedAt   *time.Time
	// DeletedVersion is set only on a row tombstoned by a webhook DELETE: the updated_at the
	// DELETE carried (see EditRow). Every write of a row clears it.
	DeletedVersion *time.Time
}

// Sys gives the generic writer access to the system columns.
func (s *System) Sys() *System { return s }

// RentEngineUnit mirrors GET /units.
type RentEngineUnit struct {
	System
	ID               int64 `gorm:"primaryKey;autoIncrement:false"`
	AccountID        *string
	Status           *string
	PropertyType     *string
	AddressID        *int64
	FormattedAddress *string
	UnitNumber       *string
	City             *string
	State            *string
	ZipCode          *string
	Bedrooms         *float64
	Bathrooms        *float64
	Sqft             *float64
	Rent             *float64 // target_rental_rate, dollars per month
	IsOccupied       *bool
	SourceCreatedAt  *time.Time `gorm:"column:created_at"`
	SourceUpdatedAt  *time.Time `gorm:"column:updated_at"`
}

func (RentEngineUnit) TableName() string { return "rentengine_units" }

// Key returns the primary key within the tenant.
func (r *RentEngineUnit) Key() int64 { return r.ID }

// RentEngineProspect mirrors GET /prospects.
type RentEngineProspect struct {
	System
	ID     int64 `gorm:"primaryKey;autoIncrement:false"`
	Name   *string
	Email  *string
	Phone  *string
	Status *string // the type of the prospect's latest leasing event
	Source *string
	UnitID *int64 // unit_of_interest
	// EmailNormalized and PhoneE164 are the match keys for identity links.
	EmailNormalized *string
	PhoneE164       *string    `gorm:"column:phone_e164"`
	SourceCreatedAt *time.Time `gorm:"column:created_at"`
	SourceUpdatedAt *time.Time `gorm:"column:updated_at"`
}

func (RentEngineProspect) TableName() string { return "rentengine_prospects" }

// Key returns the primary key within the tenant.
func (r *RentEngineProspect) Key() int64 { return r.ID }

// RentEngineLeasingEvent mirrors GET /leasing_events.
type RentEngineLeasingEvent struct {
	System
	ID         int64 `gorm:"primaryKey;autoIncrement:false"`
	ProspectID *int64
	UnitID     *int64
	EventType  *string
	Source     *string
	CreatedBy  *string
	// AssignedUserID is the first of context.assignedToUserIds on "Assign to User" events.
	AssignedUserID  *string
	Deleted         *bool
	SourceCreatedAt *time.Time `gorm:"column:created_at"`
	PlannedAt       *time.Time
}

func (RentEngineLeasingEvent) TableName() string { return "rentengine_leasing_events" }

// Key returns the primary key within the tenant.
func (r *RentEngineLeasingEvent) Key() int64 { return r.ID }

// Run statuses.
const (
	RunRunning   = "running"
	RunSucceeded = "succeeded"
	RunFailed    = "failed"
	// RunHeld marks a pull run in which the mass-delete guard kept at least one resource from
	// tombstoning (details.held_deletes has the would-be count per resource); everything else of
	// the run was stored as usual.
	RunHeld = "held"
	// RunPartial marks a pull run in which at least one resource was unavailable upstream (its
	// list answered 404, 405 or 410, or a body that is not a JSON list, before any page of it
	// arrived): that resource's rows were left as they were, everything else of the run was
	// stored and tombstoned as usual (details.unavailable has the reason per resource).
	//
	// Precedence when a run has several of these: failed > held > partial > succeeded. A resource
	// that genuinely failed makes the run failed, and a held resource makes it held, whatever
	// else was unavailable; details keep every resource's state either way.
	RunPartial = "partial"
	// RunAbandoned marks a run whose process died; set by the next run of the same job.
	RunAbandoned = "abandoned"
	// RunSkipped marks a push that did not run because of the job order within its tenant
	// (README "Job order"): details.skip_reason is SkipPullsUnfinished or SkipFirstPulls, and
	// error says it in words. Neither a success nor a failure.
	RunSkipped = "skipped"
)

// Skip reasons of a push (sync_runs.details.skip_reason, schedule_claims.skip_reason, and the
// reason label of syncd_scheduler_skipped_total).
const (
	// SkipPullsUnfinished: the tenant's pulls of the push's tick (or, from a shell, the pulls in
	// progress) did not finish within the push's run timeout.
	SkipPullsUnfinished = "pulls_unfinished"
	// SkipFirstPulls: the tenant has never pushed successfully and not every upstream it pulls
	// has had a complete pull yet (succeeded or partial).
	SkipFirstPulls = "waiting_for_first_pulls"
)

// SyncRun records one run of one job for one tenant.
type SyncRun struct {
	ID         int64  `gorm:"primaryKey"`
	RunID      string `gorm:"column:run_id"`
	TenantID   string
	Job        string
	StartedAt  time.Time
	FinishedAt *time.Time
	Status     string
	Pages      int64
	Fetched    int64
	Inserted   int64
	Updated    int64
	Unchanged  int64
	Deleted    int64
	BadRecords int64
	Retries    int64
	Error      *string
	// Details holds per-resource counts and notes as JSON.
	Details JSON
	// Host names the process for people ("host" or "host/pid").
	Host string
	// Process identifies the process that ran the run (procid.ID's String form; "" for runs
	// recorded before migration 00006), so that a later run can tell whether it is gone.
	Process string
}

func (SyncRun) TableName() string { return "sync_runs" }

// SkipReason is the job-order reason of a skipped run (details.skip_reason; "" for any other).
func (r *SyncRun) SkipReason() string {
	if r.Status != RunSkipped || len(r.Details) == 0 {
		return ""
	}
	var d struct {
		SkipReason string `json:"skip_reason"`
	}
	_ = json.Unmarshal(r.Details, &d)
	return d.SkipReason
}

// Unavailable is what a run recorded of one resource it could not list (details.unavailable).
type Unavailable struct {
	// Reason is the upstream's answer ("GET /leasing_events: 404 Not Found").
	Reason string `json:"reason"`
	// KeptCurrentByWebhooks: the tenant's webhooks carry this resource's changes, so its rows
	// stay current without the pull (details.kept_current_by_webhooks).
	KeptCurrentByWebhooks bool `json:"kept_current_by_webhooks,omitempty"`
}

// Unavailable returns the resources the run found unavailable upstream (details.unavailable),
// nil when there were none.
func (r *SyncRun) Unavailable() map[string]Unavailable {
	if len(r.Details) == 0 {
		return nil
	}
	var d struct {
		Unavailable map[string]string `json:"unavailable"`
		Webhooks    []string          `json:"kept_current_by_webhooks"`
	}
	if json.Unmarshal(r.Details, &d) != nil || len(d.Unavailable) == 0 {
		return nil
	}
	out := make(map[string]Unavailable, len(d.Unavailable))
	for name, reason := range d.Unavailable {
		out[name] = Unavailable{Reason: reason, KeptCurrentByWebhooks: slices.Contains(d.Webhooks, name)}
	}
	return out
}

// PulledResources returns the resources the run pulled or tried to pull (the keys of
// details.resources), sorted; none for a push run or a run that stopped before its first pull.
func (r *SyncRun) PulledResources() []string {
	if len(r.Details) == 0 {
		return nil
	}
	var d struct {
		Resources map[string]json.RawMessage `json:"resources"`
	}
	if json.Unmarshal(r.Details, &d) != nil || len(d.Resources) == 0 {
		return nil
	}
	return slices.Sorted(maps.Keys(d.Resources))
}

// HeldDeletes returns, per resource, how many rows the mass-delete guard kept the run from
// tombstoning (details.held_deletes); nil when it held nothing.
func (r *SyncRun) HeldDeletes() map[string]int64 {
	if len(r.Details) == 0 {
		return nil
	}
	var d struct {
		Held map[string]int64 `json:"held_deletes"`
	}
	if json.Unmarshal(r.Details, &d) != nil || len(d.Held) == 0 {
		return nil
	}
	return d.Held
}
