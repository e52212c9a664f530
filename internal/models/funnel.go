package models

import (
	"context"
	"database/sql/driver"
	"fmt"
	"time"

	"gorm.io/gorm"
	"gorm.io/gorm/schema"
)

// Key types of the Funnel tables, chosen from the API: client (renter), renewal, appointment and
// unit ids are integers upstream and bigint here; community ids are text, because the API's
// community id is a string union ("1234", "P1234-567", "partner-id:abc"). The stored community
// id is the canonical one Funnel returns in GET /community/{id}/ ("1234" as text), whichever form
// the tenant configured, so rows do not change when a tenant switches forms and two forms of one
// community land on the same rows.

// Date is a calendar date without a time zone: date on Postgres, 'YYYY-MM-DD' text on SQLite (so
// it sorts and compares as a date there too).
type Date string

// DateOf returns the date part of t as a Date.
func DateOf(t time.Time) Date { return Date(t.Format(time.DateOnly)) }

// Value implements driver.Valuer.
func (d Date) Value() (driver.Value, error) { return string(d), nil }

// Scan implements sql.Scanner; drivers hand dates back as time.Time or as text.
func (d *Date) Scan(v any) error {
	switch t := v.(type) {
	case nil:
		*d = ""
	case time.Time:
		*d = DateOf(t)
	case string:
		*d = Date(trimDate(t))
	case []byte:
		*d = Date(trimDate(string(t)))
	default:
		return fmt.Errorf("scan date from %T", v)
	}
	return nil
}

// trimDate keeps the date of a "2006-01-02..." text.
func trimDate(s string) string {
	if len(s) > 10 {
		return s[:10]
	}
	return s
}

// GormDBDataType names the column type per dialect (used only by the schema-agreement test).
func (Date) GormDBDataType(db *gorm.DB, _ *schema.Field) string {
	if db.Dialector.Name() == "postgres" {
		return "date"
	}
	return "DATE"
}

// FunnelCommunity mirrors GET /community/{id}/ for each community a tenant configures.
type FunnelCommunity struct {
	System
	// ID is the canonical Funnel community id as text.
	ID              string `gorm:"primaryKey"`
	Name            *string
	SyndicationID   *string
	Address         *string
	City            *string
	State           *string
	PostalCode      *string
	Timezone        *string
	SourceUpdatedAt *time.Time `gorm:"column:updated_at"`
}

func (FunnelCommunity) TableName() string { return "funnel_communities" }

// Key returns the primary key within the tenant.
func (r *FunnelCommunity) Key() string { return r.ID }

// FunnelProspect mirrors GET /community/{id}/prospects/: one Funnel client (guest card), keyed by
// funnel_renter_id. The typed contact columns are the primary person's; every person (and the
// agents list) stays in raw.
type FunnelProspect struct {
	System
	ID          int64  `gorm:"primaryKey;autoIncrement:false"` // funnel_renter_id
	CommunityID string // canonical id of the community the client was listed under
	Status      *string
	LeadSource  *string
	MoveInDate  *Date
	FirstName   *string
	LastName    *string
	Email       *string
	Phone       *string // phone_1, else phone_2
	// EmailNormalized and PhoneE164 are the primary person's match keys; identity links also
	// match the other people's, read from raw.
	EmailNormalized *string
	PhoneE164       *string `gorm:"column:phone_e164"`
	// AgentEmail is the first of agents, the assigned agent.
	AgentEmail      *string
	SourceCreatedAt *time.Time `gorm:"column:created_at"`
	SourceUpdatedAt *time.Time `gorm:"column:updated_at"`
}

func (FunnelProspect) TableName() string { return "funnel_prospects" }

// Key returns the primary key within the tenant.
func (r *FunnelProspect) Key() int64 { return r.ID }

// FunnelRenewal mirrors GET /community/{id}/renewals/.
type FunnelRenewal struct {
	System
	ID             int64 `gorm:"primaryKey;autoIncrement:false"`
	CommunityID    string
	FunnelRenterID *int64 // funnel_prospects.id
	FunnelUnitID   *int64
	UnitNumber     *string
	LeaseStart     *Date
	LeaseEnd       *Date
	// Status is kept as sent, including values outside the known set.
	Status          *string
	OfferRent       *float64 // dollars per month
	OfferExpiresAt  *time.Time
	SourceUpdatedAt *time.Time `gorm:"column:updated_at"`
}

func (FunnelRenewal) TableName() string { return "funnel_renewals" }

// Key returns the primary key within the tenant.
func (r *FunnelRenewal) Key() int64 { return r.ID }

// FunnelAppointment mirrors GET /community/{id}/appointments/booked/.
type FunnelAppointment struct {
	System
	ID          int64 `gorm:"primaryKey;autoIncrement:false"`
	CommunityID string
	ClientID    *int64 // funnel_prospects.id
	Email       *string
	Phone       *string
	AgentEmail  *string
	AgentName   *string // "Unassigned" when none
	// AppointmentDate and AppointmentTime ("HH:MM") are naive local times of the community.
	AppointmentDate *Date
	AppointmentTime *string
}

func (FunnelAppointment) TableName() string { return "funnel_appointments" }

// Key returns the primary key within the tenant.
func (r *FunnelAppointment) Key() int64 { return r.ID }

// Identity link values.
const (
	MatchedEmail = "email"
	MatchedPhone = "phone"
	MatchedBoth  = "both"

	// LinkLinked: the prospect matches exactly one Funnel client. LinkAmbiguous: it matches
	// several, each recorded, and none may be used.
	LinkLinked    = "linked"
	LinkAmbiguous = "ambiguous"
)

// IdentityLink says that a RentEngine prospect is (or, when ambiguous, may be) a Funnel client.
// It is derived data: internal/identity recomputes a tenant's links after every pull.
type IdentityLink struct {
	TenantID             string `gorm:"primaryKey"`
	RentEngineProspectID int64  `gorm:"primaryKey;autoIncrement:false;column:rentengine_prospect_id"`
	FunnelClientID       int64  `gorm:"primaryKey;autoIncrement:false"`
	// MatchedOn is MatchedEmail, MatchedPhone or MatchedBoth.
	MatchedOn string
	// Status is LinkLinked or LinkAmbiguous.
	Status string
	// ComputedAt is when the link took its current matched_on and status.
	ComputedAt time.Time
}

func (IdentityLink) TableName() string { return "identity_links" }

// RelabelFunnelCommunity moves a tenant's Funnel list rows (prospects, renewals, appointments)
// stored under the community id from to the id to, and returns how many it moved. A pull labels
// a community's rows with the id as configured while the community's own details cannot be
// fetched; once they can, the rows take the canonical id. Rows are keyed by their own ids, so
// this changes one column and never creates or merges rows. raw and content_hash are untouched:
// the record is the same, only syncd's label of it changed.
func (s *Store) RelabelFunnelCommunity(ctx context.Context, tenant, from, to string, now time.Time) (int64, error) {
	if from == to {
		return 0, nil
	}
	var n int64
	err := s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		for _, table := range []string{FunnelProspect{}.TableName(), FunnelRenewal{}.TableName(), FunnelAppointment{}.TableName()} {
			res := tx.Table(table).Where("tenant_id = ? AND community_id = ?", tenant, from).
				Updates(map[string]any{"community_id": to, "synced_at": now})
			if res.Error != nil {
				return fmt.Errorf("relabel community %s as %s in %s: %w", from, to, table, res.Error)
			}
			n += res.RowsAffected
		}
		return nil
	})
	return n, err
}
