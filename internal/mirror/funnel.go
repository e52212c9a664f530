package mirror

import (
	"encoding/json"
	"time"

	"github.com/syncd-dev/syncd/internal/clients/funnel"
	"github.com/syncd-dev/syncd/internal/identity"
	"github.com/syncd-dev/syncd/internal/models"
)

// FunnelCommunity decodes a Funnel community record into its mirror row.
func FunnelCommunity(raw json.RawMessage) (models.FunnelCommunity, error) {
	c, err := funnel.DecodeCommunity(raw)
	if err != nil {
		return models.FunnelCommunity{}, err
	}
	return models.FunnelCommunity{
		ID:              c.ID.Text,
		Name:            c.Name.Ptr(),
		SyndicationID:   c.SyndicationID.Ptr(),
		Address:         c.Address.Ptr(),
		City:            c.City.Ptr(),
		State:           c.State.Ptr(),
		PostalCode:      c.PostalCode.Ptr(),
		Timezone:        c.Timezone.Ptr(),
		SourceUpdatedAt: c.UpdatedAt.Ptr(),
	}, nil
}

// FunnelProspect decodes a Funnel client (prospect) record into its mirror row, stored under the
// community label given; the primary person's contact details are normalised for identity
// matching.
func FunnelProspect(raw json.RawMessage, community string) (models.FunnelProspect, error) {
	p, err := funnel.DecodeProspect(raw)
	if err != nil {
		return models.FunnelProspect{}, err
	}
	row := models.FunnelProspect{
		ID:              p.FunnelRenterID.Int,
		CommunityID:     community,
		Status:          p.Status.Ptr(),
		LeadSource:      p.LeadSource.Ptr(),
		MoveInDate:      datePtr(p.MoveInDate.Ptr()),
		AgentEmail:      nonEmpty(p.AgentEmail()),
		SourceCreatedAt: p.CreatedAt.Ptr(),
		SourceUpdatedAt: p.UpdatedAt.Ptr(),
	}
	if person, ok := p.Primary(); ok {
		phone := person.Phone()
		row.FirstName = person.FirstName.Ptr()
		row.LastName = person.LastName.Ptr()
		row.Email = person.Email.Ptr()
		row.Phone = phone.Ptr()
		row.EmailNormalized = nonEmpty(identity.NormalizeEmail(person.Email.V))
		row.PhoneE164 = nonEmpty(identity.NormalizePhone(phone.V))
	}
	return row, nil
}

// FunnelRenewal decodes a Funnel renewal record into its mirror row, under the community label
// given.
func FunnelRenewal(raw json.RawMessage, community string) (models.FunnelRenewal, error) {
	r, err := funnel.DecodeRenewal(raw)
	if err != nil {
		return models.FunnelRenewal{}, err
	}
	return models.FunnelRenewal{
		ID:              r.ID.Int,
		CommunityID:     community,
		FunnelRenterID:  r.FunnelRenterID.Ptr(),
		FunnelUnitID:    r.FunnelUnitID.Ptr(),
		UnitNumber:      r.UnitNumber.Ptr(),
		LeaseStart:      datePtr(r.LeaseStart.Ptr()),
		LeaseEnd:        datePtr(r.LeaseEnd.Ptr()),
		Status:          nonEmpty(string(r.Status)),
		OfferRent:       r.OfferRent.Ptr(),
		OfferExpiresAt:  r.OfferExpiresAt.Ptr(),
		SourceUpdatedAt: r.UpdatedAt.Ptr(),
	}, nil
}

// FunnelAppointment decodes a Funnel booked appointment into its mirror row, under the community
// label given.
func FunnelAppointment(raw json.RawMessage, community string) (models.FunnelAppointment, error) {
	a, err := funnel.DecodeAppointment(raw)
	if err != nil {
		return models.FunnelAppointment{}, err
	}
	return models.FunnelAppointment{
		ID:              a.ID.Int,
		CommunityID:     community,
		ClientID:        a.Client.ID.Ptr(),
		Email:           a.Client.Email.Ptr(),
		Phone:           a.Client.Phone.Ptr(),
		AgentEmail:      a.Agent.Email.Ptr(),
		AgentName:       a.Agent.Name.Ptr(),
		AppointmentDate: datePtr(a.Date.Ptr()),
		AppointmentTime: a.Time.Ptr(),
	}, nil
}

// datePtr keeps the date part of a decoded time (Funnel sends dates, and sometimes date-times at
// midnight, for date fields).
func datePtr(t *time.Time) *models.Date {
	if t == nil {
		return nil
	}
	d := models.DateOf(*t)
	return &d
}
