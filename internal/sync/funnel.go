package sync

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"go.uber.org/zap"

	"github.com/syncd-dev/syncd/internal/clients/funnel"
	"github.com/syncd-dev/syncd/internal/clients/upstream"
	"github.com/syncd-dev/syncd/internal/identity"
	"github.com/syncd-dev/syncd/internal/models"
	"github.com/syncd-dev/syncd/internal/tenants"
)

func init() {
	jobRegistry = append(jobRegistry, func(r *Runner, m map[string]func(context.Context, *runContext, *tenants.Tenant) error) {
		m[tenants.JobFunnel] = r.pullFunnel
	})
}

// funnelClient builds a client for one run: the limiter is the tenant's shared one, the logger
// carries the run's fields.
func (r *Runner) funnelClient(t *tenants.Tenant, log *zap.Logger) (*funnel.Client, error) {
	f := t.Funnel
	if f == nil {
		return nil, fmt.Errorf("tenant %s has no funnel block", t.ID)
	}
	uc := r.upstreamConfig()
	if rl := f.RateLimit; rl != nil {
		uc.Limiter = r.cfg.Limiters.Get(t.ID, funnel.API, rl.Requests, rl.Per, rl.Burst)
	}
	return funnel.New(funnel.Config{
		BaseURL:   f.BaseURL,
		APIKey:    f.APIKey.Reveal(),
		Auth:      f.Auth,
		CompanyID: f.CompanyID,
		Upstream:  uc,
	}, log)
}

// pullFunnel pulls the tenant's configured communities and, per community, its clients, renewals
// and booked appointments, then recomputes identity links.
//
// Funnel has no "list everything" call: every list is per community, so one resource's pass is
// the concatenation of its lists over all configured communities. A community that fails makes
// that resource's pass incomplete (an error), so nothing of that resource is tombstoned; the other
// communities are still pulled and stored.
func (r *Runner) pullFunnel(ctx context.Context, rc *runContext, t *tenants.Tenant) error {
	c, err := r.funnelClient(t, rc.log)
	if err != nil {
		return err
	}
	defer func() { rc.retries += c.Retries() }()
	dir := newCommunityDirectory(t.Funnel.Communities)
	err = rc.pullAll(ctx, funnelResources(c, dir))
	rc.details["communities"] = dir.canonical
	return errors.Join(err, r.recomputeLinks(ctx, rc))
}

// recomputeLinks brings identity_links up to date after a pull and records the figures. A run
// whose context has ended skips it: the next run recomputes from whatever landed.
func (r *Runner) recomputeLinks(ctx context.Context, rc *runContext) error {
	if ctx.Err() != nil {
		return nil
	}
	st, err := identity.Recompute(ctx, rc.store, rc.tenant, rc.now())
	if err != nil {
		return err
	}
	rc.details["links"] = st
	return nil
}

// communityDirectory maps each configured community id (any form) to the canonical id Funnel
// returns for it, which is what every Funnel row stores. The communities resource fills it; the
// per-community resources, pulled after it in the same run, read it.
type communityDirectory struct {
	configured []string
	canonical  map[string]string
	// current is the canonical id of the community whose pages are being stored. Lists and row
	// builders run sequentially within one pass, so the builder reads what the lister set.
	current string
}

func newCommunityDirectory(configured []string) *communityDirectory {
	return &communityDirectory{configured: configured, canonical: map[string]string{}}
}

// communities lists the configured communities, one GET each, as one page per community.
func (d *communityDirectory) communities(c *funnel.Client) func(context.Context, func(upstream.Page) error) error {
	return func(ctx context.Context, fn func(upstream.Page) error) error {
		var errs []error
		for i, id := range d.configured {
			com, raw, err := c.GetCommunity(ctx, id)
			if err != nil {
				if ctx.Err() != nil || errors.Is(err, upstream.ErrCredentialsRejected) {
					return errors.Join(append(errs, err)...) // the next community would be refused alike
				}
				errs = append(errs, err)
				continue
			}
			d.canonical[id] = com.ID.Text
			if err := fn(upstream.Page{Number: i + 1, Records: []json.RawMessage{raw}}); err != nil {
				return err
			}
		}
		return errors.Join(errs...)
	}
}

// list streams one resource over every configured community whose canonical id is known. A
// community configured twice in different forms ("1234" and "P1234-567") is listed once.
func (d *communityDirectory) list(c *funnel.Client, res funnel.Resource) func(context.Context, func(upstream.Page) error) error {
	return func(ctx context.Context, fn func(upstream.Page) error) error {
		var errs []error
		listed := map[string]bool{}
		for _, id := range d.configured {
			canonical, ok := d.canonical[id]
			if !ok {
				// Without its details the community's rows could not be labelled; the
				// community's own error is already reported by the communities resource.
				errs = append(errs, fmt.Errorf("list %s of community %s: skipped, its details could not be fetched", res, id))
				continue
			}
			if listed[canonical] {
				continue
			}
			listed[canonical] = true
			d.current = canonical
			err := c.List(ctx, id, res, fn)
			d.current = ""
			if err != nil {
				if ctx.Err() != nil || errors.Is(err, upstream.ErrCredentialsRejected) {
					return errors.Join(append(errs, err)...) // the next community would be refused alike
				}
				errs = append(errs, err)
			}
		}
		return errors.Join(errs...)
	}
}

func funnelResources(c *funnel.Client, d *communityDirectory) []puller {
	return []puller{
		resource[string, models.FunnelCommunity, *models.FunnelCommunity]{
			name: "communities", table: models.FunnelCommunity{}.TableName(),
			list: d.communities(c), key: funnel.CommunityID, build: buildFunnelCommunity,
		},
		resource[int64, models.FunnelProspect, *models.FunnelProspect]{
			name: string(funnel.Prospects), table: models.FunnelProspect{}.TableName(),
			list: d.list(c, funnel.Prospects), key: funnel.ProspectID,
			build: func(raw json.RawMessage) (models.FunnelProspect, error) { return buildFunnelProspect(raw, d.current) },
		},
		resource[int64, models.FunnelRenewal, *models.FunnelRenewal]{
			name: string(funnel.Renewals), table: models.FunnelRenewal{}.TableName(),
			list: d.list(c, funnel.Renewals), key: funnel.RecordID,
			build: func(raw json.RawMessage) (models.FunnelRenewal, error) { return buildFunnelRenewal(raw, d.current) },
		},
		resource[int64, models.FunnelAppointment, *models.FunnelAppointment]{
			name: string(funnel.Appointments), table: models.FunnelAppointment{}.TableName(),
			list: d.list(c, funnel.Appointments), key: funnel.RecordID,
			build: func(raw json.RawMessage) (models.FunnelAppointment, error) {
				return buildFunnelAppointment(raw, d.current)
			},
		},
	}
}

func buildFunnelCommunity(raw json.RawMessage) (models.FunnelCommunity, error) {
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

func buildFunnelProspect(raw json.RawMessage, community string) (models.FunnelProspect, error) {
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

func buildFunnelRenewal(raw json.RawMessage, community string) (models.FunnelRenewal, error) {
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

func buildFunnelAppointment(raw json.RawMessage, community string) (models.FunnelAppointment, error) {
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
