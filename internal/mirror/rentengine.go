package mirror

import (
	"encoding/json"

	"github.com/syncd-dev/syncd/internal/clients/rentengine"
	"github.com/syncd-dev/syncd/internal/identity"
	"github.com/syncd-dev/syncd/internal/models"
)

// RentEngineUnit decodes a RentEngine unit record into its mirror row (the writer sets Raw and
// ContentHash with SetRaw, and the tenant and the system timestamps).
func RentEngineUnit(raw json.RawMessage) (models.RentEngineUnit, error) {
	u, err := rentengine.DecodeUnit(raw)
	if err != nil {
		return models.RentEngineUnit{}, err
	}
	return models.RentEngineUnit{
		ID:               u.ID.Int,
		AccountID:        u.AccountID.Ptr(),
		Status:           u.Status.Ptr(),
		PropertyType:     u.PropertyType.Ptr(),
		AddressID:        u.AddressID.Ptr(),
		FormattedAddress: u.FormattedAddress.Ptr(),
		UnitNumber:       u.UnitNumber.Ptr(),
		City:             u.City.Ptr(),
		State:            u.State.Ptr(),
		ZipCode:          u.ZipCode.Ptr(),
		Bedrooms:         u.Bedrooms.Ptr(),
		Bathrooms:        u.Bathrooms.Ptr(),
		Sqft:             u.Sqft.Ptr(),
		Rent:             u.TargetRentalRate.Ptr(),
		IsOccupied:       u.IsOccupied.Ptr(),
		SourceCreatedAt:  u.CreatedAt.Ptr(),
		SourceUpdatedAt:  u.UpdatedAt.Ptr(),
	}, nil
}

// RentEngineProspect decodes a RentEngine prospect record into its mirror row, with its contact
// details normalised for identity matching.
func RentEngineProspect(raw json.RawMessage) (models.RentEngineProspect, error) {
	p, err := rentengine.DecodeProspect(raw)
	if err != nil {
		return models.RentEngineProspect{}, err
	}
	return models.RentEngineProspect{
		ID:              p.ID.Int,
		Name:            p.Name.Ptr(),
		Email:           p.Email.Ptr(),
		Phone:           p.Phone.Ptr(),
		Status:          p.Status.Ptr(),
		Source:          p.Source.Ptr(),
		UnitID:          p.UnitOfInterest.Ptr(),
		EmailNormalized: nonEmpty(identity.NormalizeEmail(p.Email.V)),
		PhoneE164:       nonEmpty(identity.NormalizePhone(p.Phone.V)),
		SourceCreatedAt: p.CreatedAt.Ptr(),
		SourceUpdatedAt: p.UpdatedAt.Ptr(),
	}, nil
}

// RentEngineLeasingEvent decodes a RentEngine leasing event record into its mirror row.
func RentEngineLeasingEvent(raw json.RawMessage) (models.RentEngineLeasingEvent, error) {
	e, err := rentengine.DecodeLeasingEvent(raw)
	if err != nil {
		return models.RentEngineLeasingEvent{}, err
	}
	var assigned *string
	if len(e.AssignedUserIDs) > 0 {
		assigned = &e.AssignedUserIDs[0]
	}
	return models.RentEngineLeasingEvent{
		ID:              e.ID.Int,
		ProspectID:      e.ProspectRef().Ptr(),
		UnitID:          e.Unit.Ptr(),
		EventType:       e.EventType.Ptr(),
		Source:          e.Source.Ptr(),
		CreatedBy:       e.CreatedBy.Ptr(),
		AssignedUserID:  assigned,
		Deleted:         e.Deleted.Ptr(),
		SourceCreatedAt: e.CreatedAt.Ptr(),
		PlannedAt:       e.PlannedDateTime.Ptr(),
	}, nil
}

func nonEmpty(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}
