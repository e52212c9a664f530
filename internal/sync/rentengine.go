package sync

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"go.uber.org/zap"

	"github.com/syncd-dev/syncd/internal/clients/rentengine"
	"github.com/syncd-dev/syncd/internal/clients/upstream"
	"github.com/syncd-dev/syncd/internal/identity"
	"github.com/syncd-dev/syncd/internal/models"
	"github.com/syncd-dev/syncd/internal/tenants"
)

// rentEngineClient builds a client for one run: the limiter is the tenant's shared one, the
// logger carries the run's fields.
func (r *Runner) rentEngineClient(t *tenants.Tenant, log *zap.Logger) (*rentengine.Client, error) {
	re := t.RentEngine
	if re == nil {
		return nil, fmt.Errorf("tenant %s has no rentengine block", t.ID)
	}
	uc := r.upstreamConfig()
	if rl := re.RateLimit; rl != nil {
		uc.Limiter = r.cfg.Limiters.Get(t.ID, "rentengine", rl.Requests, rl.Per, rl.Burst)
	}
	return rentengine.New(rentengine.Config{
		BaseURL:   re.BaseURL,
		Token:     re.Token.Reveal(),
		AccountID: re.AccountID,
		Upstream:  uc,
	}, log)
}

// rentEngineResources lists the RentEngine pulls. Each is keyedByBuild: the Decode functions
// reject a record without an integer id (as RecordID does) and the row's id is the decoded one.
func rentEngineResources(c *rentengine.Client) []puller {
	list := func(res rentengine.Resource) func(context.Context, func(upstream.Page) error) error {
		return func(ctx context.Context, fn func(upstream.Page) error) error { return c.List(ctx, res, fn) }
	}
	return []puller{
		resource[int64, models.RentEngineUnit, *models.RentEngineUnit]{
			name: string(rentengine.Units), table: "rentengine_units",
			list: list(rentengine.Units), key: rentengine.RecordID, build: buildUnit, keyedByBuild: true,
		},
		resource[int64, models.RentEngineProspect, *models.RentEngineProspect]{
			name: string(rentengine.Prospects), table: "rentengine_prospects",
			list: list(rentengine.Prospects), key: rentengine.RecordID, build: buildProspect, keyedByBuild: true,
		},
		resource[int64, models.RentEngineLeasingEvent, *models.RentEngineLeasingEvent]{
			name: string(rentengine.LeasingEvents), table: "rentengine_leasing_events",
			list: list(rentengine.LeasingEvents), key: rentengine.RecordID, build: buildLeasingEvent, keyedByBuild: true,
		},
	}
}

func (r *Runner) pullRentEngine(ctx context.Context, rc *runContext, t *tenants.Tenant) error {
	c, err := r.rentEngineClient(t, rc.log)
	if err != nil {
		return err
	}
	defer func() { rc.retries += c.Retries() }()
	err = rc.pullAll(ctx, rentEngineResources(c))
	return errors.Join(err, r.recomputeLinks(ctx, rc))
}

func buildUnit(raw json.RawMessage) (models.RentEngineUnit, error) {
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

func buildProspect(raw json.RawMessage) (models.RentEngineProspect, error) {
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

func buildLeasingEvent(raw json.RawMessage) (models.RentEngineLeasingEvent, error) {
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
