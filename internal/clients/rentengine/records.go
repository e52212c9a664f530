package rentengine

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/syncd-dev/syncd/internal/clients/flex"
)

// ErrNoID is returned for a record without a usable id.
var ErrNoID = errors.New("record has no id")

// RecordID extracts only the id of a raw record, so that a record that fails full decoding can
// still be identified (and not tombstoned).
func RecordID(raw json.RawMessage) (int64, error) {
	var r struct {
		ID flex.ID `json:"id"`
	}
	if err := json.Unmarshal(raw, &r); err != nil {
		return 0, fmt.Errorf("decode id: %w", err)
	}
	if !r.ID.Valid() || !r.ID.IsInt {
		return 0, ErrNoID
	}
	return r.ID.Int, nil
}

// Unit is the part of a unit syncd types; the whole record is kept raw alongside.
type Unit struct {
	ID               flex.ID         `json:"id"`
	AccountID        flex.String     `json:"account_id"`
	Status           flex.String     `json:"status"`
	PropertyType     flex.String     `json:"property_type"`
	Address          json.RawMessage `json:"address"`
	Bedrooms         flex.Float      `json:"bedrooms"`
	Bathrooms        flex.Float      `json:"bathrooms"`
	Sqft             flex.Float      `json:"sqft"`
	TargetRentalRate flex.Float      `json:"target_rental_rate"`
	IsOccupied       flex.Bool       `json:"is_occupied"`
	CreatedAt        flex.Time       `json:"created_at"`
	UpdatedAt        flex.Time       `json:"updated_at"`

	// Decoded from Address, which is documented as an integer id but arrives live as an object.
	AddressID        flex.Int    `json:"-"`
	FormattedAddress flex.String `json:"-"`
	UnitNumber       flex.String `json:"-"`
	City             flex.String `json:"-"`
	State            flex.String `json:"-"`
	ZipCode          flex.String `json:"-"`
}

type unitAddress struct {
	ID               flex.Int    `json:"id"`
	FormattedAddress flex.String `json:"formatted_address"`
	Unit             flex.String `json:"unit"`
	City             flex.String `json:"city"`
	State            flex.String `json:"state"`
	ZipCode          flex.String `json:"zip_code"`
}

// DecodeUnit decodes a raw unit record.
func DecodeUnit(raw json.RawMessage) (Unit, error) {
	var u Unit
	if err := json.Unmarshal(raw, &u); err != nil {
		return u, fmt.Errorf("decode unit: %w", err)
	}
	if !u.ID.IsInt {
		return u, fmt.Errorf("decode unit: %w", ErrNoID)
	}
	a := bytes.TrimSpace(u.Address)
	switch {
	case len(a) == 0 || bytes.Equal(a, []byte("null")):
	case a[0] == '{':
		var ad unitAddress
		if err := json.Unmarshal(a, &ad); err != nil {
			return u, fmt.Errorf("decode unit %d address: %w", u.ID.Int, err)
		}
		u.AddressID, u.FormattedAddress, u.UnitNumber = ad.ID, ad.FormattedAddress, ad.Unit
		u.City, u.State, u.ZipCode = ad.City, ad.State, ad.ZipCode
	default:
		if err := json.Unmarshal(a, &u.AddressID); err != nil {
			// A bare string address is still an address.
			var s flex.String
			if json.Unmarshal(a, &s) != nil {
				return u, fmt.Errorf("decode unit %d address: %w", u.ID.Int, err)
			}
			u.FormattedAddress = s
		}
	}
	return u, nil
}

// Prospect is one person's interest in one unit; one person can be several prospects.
type Prospect struct {
	ID             flex.ID     `json:"id"`
	Name           flex.String `json:"name"`
	Email          flex.String `json:"email"`
	Phone          flex.String `json:"phone"`
	Status         flex.String `json:"status"`
	Source         flex.String `json:"source"`
	UnitOfInterest flex.Int    `json:"unit_of_interest"`
	CreatedAt      flex.Time   `json:"created_at"`
	UpdatedAt      flex.Time   `json:"updated_at"`
}

// DecodeProspect decodes a raw prospect record.
func DecodeProspect(raw json.RawMessage) (Prospect, error) {
	var p Prospect
	if err := json.Unmarshal(raw, &p); err != nil {
		return p, fmt.Errorf("decode prospect: %w", err)
	}
	if !p.ID.IsInt {
		return p, fmt.Errorf("decode prospect: %w", ErrNoID)
	}
	return p, nil
}

// LeasingEvent is one event in a prospect's history; the latest event's type is the prospect's
// status.
type LeasingEvent struct {
	ID              flex.ID         `json:"id"`
	EventType       flex.String     `json:"event_type"`
	Prospect        flex.Int        `json:"prospect"`
	ProspectID      flex.Int        `json:"prospect_id"`
	Unit            flex.Int        `json:"unit"`
	Source          flex.String     `json:"source"`
	Notes           flex.String     `json:"notes"`
	CreatedBy       flex.String     `json:"created_by"`
	Deleted         flex.Bool       `json:"deleted"`
	CreatedAt       flex.Time       `json:"created_at"`
	PlannedDateTime flex.Time       `json:"planned_date_time"`
	NextFollowUp    flex.Time       `json:"next_follow_up"`
	Context         json.RawMessage `json:"context"`

	// AssignedUserIDs is context.assignedToUserIds for "Assign to User" events.
	AssignedUserIDs []string `json:"-"`
}

// eventContext is the part of a leasing event's context syncd reads.
type eventContext struct {
	// IDs is ["a","b"], "a,b" or "a" (see decodeStringList).
	IDs json.RawMessage `json:"assignedToUserIds"`
}

// ProspectRef returns the prospect id under either spelling (`prospect` in responses,
// `prospect_id` in requests).
func (e LeasingEvent) ProspectRef() flex.Int {
	if e.Prospect.Valid {
		return e.Prospect
	}
	return e.ProspectID
}

// DecodeLeasingEvent decodes a raw leasing event record.
func DecodeLeasingEvent(raw json.RawMessage) (LeasingEvent, error) {
	var e LeasingEvent
	if err := json.Unmarshal(raw, &e); err != nil {
		return e, fmt.Errorf("decode leasing event: %w", err)
	}
	if !e.ID.IsInt {
		return e, fmt.Errorf("decode leasing event: %w", ErrNoID)
	}
	if c := bytes.TrimSpace(e.Context); len(c) > 0 && c[0] == '{' {
		var ctx eventContext
		if json.Unmarshal(c, &ctx) == nil && len(ctx.IDs) > 0 {
			e.AssignedUserIDs = decodeStringList(ctx.IDs)
		}
	}
	return e, nil
}

// decodeStringList accepts ["a","b"], "a,b" or "a".
func decodeStringList(raw json.RawMessage) []string {
	var list []flex.String
	if json.Unmarshal(raw, &list) == nil {
		out := make([]string, 0, len(list))
		for _, s := range list {
			if s.Valid {
				out = append(out, strings.TrimSpace(s.V))
			}
		}
		return out
	}
	var s flex.String
	if json.Unmarshal(raw, &s) == nil && s.Valid {
		var out []string
		for _, p := range strings.Split(s.V, ",") {
			if p = strings.TrimSpace(p); p != "" {
				out = append(out, p)
			}
		}
		return out
	}
	return nil
}
