package models

import "time"

// Push kinds.
const (
	PushCustomerScore = "customer_score"
	PushAssignment    = "assignment"
	PushRenewalStatus = "renewal_status"
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
	IntentAt  *time.Time
	PushedAt  *time.Time
	CreatedAt time.Time
	UpdatedAt time.Time
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
