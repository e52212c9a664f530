package models

import (
	"context"
	"fmt"
	"time"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"
)

// Push kinds.
const (
	PushCustomerScore = "customer_score"
	PushAssignment    = "assignment"
	PushRenewalStatus = "renewal_status"
	// PushLeaseConversion is declared in funnelflux.go.
)

// Push ledger states.
const (
	// PushPlanned: the intent is written and the call is under way, or the process died before
	// its outcome was recorded.
	PushPlanned = "planned"
	PushPushed  = "pushed"
	PushFailed  = "failed"
	// PushUnmatched: the upstream has no such client or lease (404); not retried until the
	// desired payload changes.
	PushUnmatched = "unmatched"
)

// PushUnverified is an attempt's outcome (push_attempts.outcome, the syncd_pushes_total outcome
// label), never a ledger state: the upstream answered 2xx with something other than the
// documented answer (an HTML page, an empty body, JSON of another shape, an echo that differs),
// so the write may or may not have landed. The ledger records it as PushFailed, with the reason in
// last_error, and the push retry rules apply as to any failure.
const PushUnverified = "unverified"

// PushLedger is the state of one push target: what syncd wants it to be, what it last pushed
// successfully, and how the last attempt went. The intent is written before each call and the
// outcome after, so a crash at any point leaves a row that tells the next run what to do.
type PushLedger struct {
	TenantID  string `gorm:"primaryKey"`
	Kind      string `gorm:"primaryKey"`
	TargetKey string `gorm:"primaryKey"`
	// Desired is the payload syncd wants upstream (volatile fields such as submitted_at left out);
	// DesiredHash identifies it.
	Desired     JSON
	DesiredHash string
	// PushedHash and Pushed are the last payload pushed successfully.
	PushedHash *string
	Pushed     JSON
	State      string
	Attempts   int64
	LastStatus *int
	LastError  *string
	// IntentAt is when the latest attempt was written, before its call.
	IntentAt *time.Time
	PushedAt *time.Time
	// ConfirmedAt is set on a lease_conversion row once a FunnelFlux report pull shows the
	// conversion applied: FunnelFlux queues the update, so PushPushed only means queued.
	ConfirmedAt *time.Time
	CreatedAt   time.Time
	UpdatedAt   time.Time
}

func (PushLedger) TableName() string { return "push_ledger" }

// PushAttempt is one call, with the payload as sent and the answer.
type PushAttempt struct {
	ID          int64 `gorm:"primaryKey"`
	TenantID    string
	Kind        string
	TargetKey   string
	RunID       string
	AttemptedAt time.Time
	Payload     JSON
	StatusCode  *int
	// Outcome is pushed, failed, unverified (a failure whose 2xx answer did not prove the
	// write) or unmatched.
	Outcome string
	Error   *string
	// Response is the decoded answer of a pushed call; for an unverified one, what came back
	// instead: {"content_type", "body"} (an excerpt, scrubbed of credentials).
	Response JSON
}

func (PushAttempt) TableName() string { return "push_attempts" }

// ReadPushLedger returns the tenant's push ledger, every kind.
func (s *Store) ReadPushLedger(ctx context.Context, tenant string) ([]PushLedger, error) {
	var rows []PushLedger
	if err := s.db.WithContext(ctx).Where("tenant_id = ?", tenant).Find(&rows).Error; err != nil {
		return nil, fmt.Errorf("read push ledger of %s: %w", tenant, err)
	}
	return rows, nil
}

// LedgerMove rewrites one ledger row's target and hashes; an empty To deletes the row.
type LedgerMove struct {
	Kind, From, To string
	DesiredHash    string
	PushedHash     *string
}

// MovePushTargets applies the moves to the tenant's ledger rows, in one transaction.
func (s *Store) MovePushTargets(ctx context.Context, tenant string, moves []LedgerMove, now time.Time) error {
	return s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		for _, m := range moves {
			q := tx.Where("tenant_id = ? AND kind = ? AND target_key = ?", tenant, m.Kind, m.From)
			var err error
			if m.To == "" {
				err = q.Delete(&PushLedger{}).Error
			} else {
				err = q.Model(&PushLedger{}).Updates(map[string]any{"target_key": m.To,
					"desired_hash": m.DesiredHash, "pushed_hash": m.PushedHash, "updated_at": now}).Error
			}
			if err != nil {
				return fmt.Errorf("rewrite ledger target %s: %w", m.From, err)
			}
		}
		return nil
	})
}

// ConfirmPushed records that the desired payload of a ledger row landed upstream (an attempt
// whose outcome was unknown, which the mirror now shows): it becomes the pushed payload.
func (s *Store) ConfirmPushed(ctx context.Context, tenant, kind, target string, at time.Time) error {
	err := s.db.WithContext(ctx).Model(&PushLedger{}).
		Where("tenant_id = ? AND kind = ? AND target_key = ?", tenant, kind, target).
		Updates(map[string]any{"state": PushPushed, "pushed_hash": gorm.Expr("desired_hash"),
			"pushed": gorm.Expr("desired"), "pushed_at": at, "last_error": nil, "updated_at": at}).Error
	if err != nil {
		return fmt.Errorf("confirm %s %s: %w", kind, target, err)
	}
	return nil
}

// PushIntent is what syncd is about to push to one target.
type PushIntent struct {
	Tenant, Kind, Target string
	Desired              JSON
	DesiredHash          string
	At                   time.Time
}

// RecordPushIntent writes, before the call, that syncd is about to push this payload: the
// target's ledger row (created if new) is planned, holds the desired payload, and counts one
// more attempt.
func (s *Store) RecordPushIntent(ctx context.Context, in PushIntent) error {
	return recordIntent(s.db.WithContext(ctx), in)
}

func recordIntent(db *gorm.DB, in PushIntent) error {
	at := in.At
	row := PushLedger{TenantID: in.Tenant, Kind: in.Kind, TargetKey: in.Target, Desired: in.Desired,
		DesiredHash: in.DesiredHash, State: PushPlanned, Attempts: 1, IntentAt: &at, CreatedAt: at, UpdatedAt: at}
	err := db.Clauses(clause.OnConflict{
		Columns: []clause.Column{{Name: "tenant_id"}, {Name: "kind"}, {Name: "target_key"}},
		DoUpdates: clause.Set{
			{Column: clause.Column{Name: "desired"}, Value: row.Desired},
			{Column: clause.Column{Name: "desired_hash"}, Value: row.DesiredHash},
			{Column: clause.Column{Name: "state"}, Value: PushPlanned},
			{Column: clause.Column{Name: "attempts"}, Value: gorm.Expr(PushLedger{}.TableName() + ".attempts + 1")},
			{Column: clause.Column{Name: "intent_at"}, Value: at},
			{Column: clause.Column{Name: "updated_at"}, Value: at},
		},
	}).Create(&row).Error
	if err != nil {
		return fmt.Errorf("record intent to push %s %s: %w", in.Kind, in.Target, err)
	}
	return nil
}

// PushOutcome is how one push call went, for RecordPushOutcome.
type PushOutcome struct {
	// Attempt is the call as made. Its TenantID, Kind and TargetKey name the ledger row of the
	// change, and its StatusCode becomes last_status.
	Attempt PushAttempt
	// Covers are the other targets a bulk call settled; their intent is written with the outcome
	// (it was not written before the call).
	Covers []string
	// State is the ledger's new state: PushPushed, PushFailed or PushUnmatched.
	State string
	// Desired and DesiredHash are the payload; with PushPushed, what is now pushed.
	Desired     JSON
	DesiredHash string
	// LastError is the call's failure, recorded unless State is PushPushed.
	LastError string
	At        time.Time
}

// RecordPushOutcome writes, in one transaction, the outcome of a call to the ledger rows it
// settled and the attempt to push_attempts.
func (s *Store) RecordPushOutcome(ctx context.Context, o PushOutcome) error {
	a := o.Attempt
	targets := append([]string{a.TargetKey}, o.Covers...)
	return s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		for _, target := range targets {
			upd := map[string]any{"state": o.State, "last_status": a.StatusCode, "updated_at": o.At}
			if o.State == PushPushed {
				upd["pushed_hash"], upd["pushed"], upd["pushed_at"], upd["last_error"] = o.DesiredHash, o.Desired, o.At, nil
			} else {
				upd["last_error"] = o.LastError
			}
			if target != a.TargetKey {
				// Covered by a bulk call: its intent was not written separately.
				if err := recordIntent(tx, PushIntent{Tenant: a.TenantID, Kind: a.Kind, Target: target,
					Desired: o.Desired, DesiredHash: o.DesiredHash, At: o.At}); err != nil {
					return err
				}
			}
			if err := tx.Model(&PushLedger{}).
				Where("tenant_id = ? AND kind = ? AND target_key = ?", a.TenantID, a.Kind, target).
				Updates(upd).Error; err != nil {
				return fmt.Errorf("record outcome of %s %s: %w", a.Kind, target, err)
			}
		}
		if err := tx.Create(&a).Error; err != nil {
			return fmt.Errorf("record attempt of %s %s: %w", a.Kind, a.TargetKey, err)
		}
		return nil
	})
}

// LatestEventTypes returns, per RentEngine prospect of the tenant, the type of its latest live
// leasing event (by created_at, then id) among those whose type is not in except: a prospect's
// status when its record carries none.
func (s *Store) LatestEventTypes(ctx context.Context, tenant string, except []string) (map[int64]string, error) {
	type ev struct {
		ProspectID int64
		EventType  string
	}
	var evs []ev
	err := s.db.WithContext(ctx).Table(RentEngineLeasingEvent{}.TableName()).
		Select("prospect_id, event_type").
		Where("tenant_id = ? AND deleted_at IS NULL AND prospect_id IS NOT NULL AND event_type IS NOT NULL AND event_type NOT IN ? AND (deleted IS NULL OR deleted = ?)",
			tenant, except, false).
		Order("prospect_id, created_at, id").Scan(&evs).Error
	if err != nil {
		return nil, fmt.Errorf("read latest leasing events: %w", err)
	}
	out := make(map[int64]string, len(evs))
	for _, e := range evs {
		out[e.ProspectID] = e.EventType // ordered: the last one wins
	}
	return out, nil
}

// LatestAssignees returns, per RentEngine prospect of the tenant, the assigned_user_id of its
// latest live leasing event of type assignType (by created_at, then id), "" when that event names
// no user.
func (s *Store) LatestAssignees(ctx context.Context, tenant, assignType string) (map[int64]string, error) {
	type ev struct {
		ProspectID     int64
		AssignedUserID *string
	}
	var evs []ev
	err := s.db.WithContext(ctx).Table(RentEngineLeasingEvent{}.TableName()).
		Select("prospect_id, assigned_user_id").
		Where("tenant_id = ? AND deleted_at IS NULL AND prospect_id IS NOT NULL AND event_type = ? AND (deleted IS NULL OR deleted = ?)",
			tenant, assignType, false).
		Order("prospect_id, created_at, id").Scan(&evs).Error
	if err != nil {
		return nil, fmt.Errorf("read current assignees: %w", err)
	}
	out := make(map[int64]string, len(evs))
	for _, e := range evs {
		user := ""
		if e.AssignedUserID != nil {
			user = *e.AssignedUserID
		}
		out[e.ProspectID] = user // ordered: the last one wins
	}
	return out, nil
}

// LiveRenewals returns the tenant's live Funnel renewals, by id.
func (s *Store) LiveRenewals(ctx context.Context, tenant string) ([]FunnelRenewal, error) {
	var rows []FunnelRenewal
	if err := s.db.WithContext(ctx).Where("tenant_id = ? AND deleted_at IS NULL", tenant).Order("id").Find(&rows).Error; err != nil {
		return nil, fmt.Errorf("read renewals: %w", err)
	}
	return rows, nil
}
