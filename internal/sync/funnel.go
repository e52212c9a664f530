package sync

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"go.uber.org/zap"

	"github.com/syncd-dev/syncd/internal/clients/funnel"
	"github.com/syncd-dev/syncd/internal/clients/upstream"
	"github.com/syncd-dev/syncd/internal/identity"
	"github.com/syncd-dev/syncd/internal/mirror"
	"github.com/syncd-dev/syncd/internal/models"
	"github.com/syncd-dev/syncd/internal/tenants"
)

// funnelClient builds a client for one run: the limiter is the tenant's shared one, the logger
// carries the run's fields.
func (r *Runner) funnelClient(t *tenants.Tenant, log *zap.Logger) (*funnel.Client, error) {
	f := t.Funnel
	if f == nil {
		return nil, fmt.Errorf("tenant %s has no funnel block", t.ID)
	}
	uc := r.upstreamConfig()
	if spec, ok := RateSpec(t, tenants.JobFunnel); ok {
		uc.Limiter = r.cfg.Limiters.Get(t.ID, spec)
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
	dir := newCommunityDirectory(t.Funnel.Communities, rc)
	if err := dir.load(ctx); err != nil {
		return err
	}
	err = rc.pullAll(ctx, funnelResources(c, dir))
	rc.details["communities"] = dir.known()
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

// communityDirectory maps each configured community id (any form) to the id its rows are stored
// under. The communities resource fills it; the per-community resources, pulled after it in the
// same run, read it.
//
// Community ids. Every Funnel row stores the canonical id Funnel returns in GET
// /community/{id}/ ("1234"), whichever form the tenant configured, so two forms of one community
// land on the same rows. When that detail call fails, the community's lists are still pulled, under
//
//   - the canonical id an earlier run learnt for that configured form (each run records its
//     directory in sync_runs.details.communities, carried over from run to run), so a detail call
//     that worked once keeps the label stable however long it fails afterwards;
//   - else the id as configured, which for the numeric form is the canonical id already.
//
// A syndication or partner-id form that never had a successful detail call is the one case whose
// label changes: once the detail call succeeds, the rows stored under the configured form are
// relabelled to the canonical id (models.RelabelFunnelCommunity) before the lists are pulled. The
// list rows are keyed by their own ids (funnel_renter_id, renewal and appointment ids), so neither
// label ever duplicates a row; and the push ledger's renewal targets follow the label, so a card
// pushed under the configured form is sent once more under the canonical id (an idempotent PUT).
//
// A community Funnel answers CommunityNotFound for is a configuration error, not an unavailable
// endpoint: its lists are not called (they would answer the same), and the run fails naming it.
type communityDirectory struct {
	rc         *runContext
	configured []string
	// earlier is the directory recorded by the latest earlier run (configured id → canonical).
	earlier map[string]string
	// canonical holds the canonical ids this run's detail calls returned.
	canonical map[string]string
	// notFound holds the configured ids Funnel answered CommunityNotFound for in this run.
	notFound map[string]error
	// settled is set once the rows of communities whose canonical id became known are relabelled.
	settled bool
	// current is the label of the community whose pages are being stored. Lists and row
	// builders run sequentially within one pass, so the builder reads what the lister set.
	current string
}

// directoryRuns bounds how many earlier runs are searched for a recorded directory (runs that
// failed before the pull, such as a rejected credential, record none).
const directoryRuns = 20

func newCommunityDirectory(configured []string, rc *runContext) *communityDirectory {
	return &communityDirectory{rc: rc, configured: configured, earlier: map[string]string{},
		canonical: map[string]string{}, notFound: map[string]error{}}
}

// load reads the directory the latest earlier run recorded.
func (d *communityDirectory) load(ctx context.Context) error {
	runs, err := d.rc.store.RecentRuns(ctx, d.rc.tenant, string(tenants.JobFunnel), directoryRuns)
	if err != nil {
		return err
	}
	for _, run := range runs {
		var details struct {
			Communities *map[string]string `json:"communities"`
		}
		if len(run.Details) == 0 || json.Unmarshal(run.Details, &details) != nil || details.Communities == nil {
			continue
		}
		for id, canonical := range *details.Communities {
			if canonical != "" {
				d.earlier[id] = canonical
			}
		}
		return nil
	}
	return nil
}

// label is the id a configured community's rows are stored under in this run; ok is false when
// its lists are not to be pulled (CommunityNotFound).
func (d *communityDirectory) label(id string) (string, bool) {
	if _, bad := d.notFound[id]; bad {
		return "", false
	}
	if c, ok := d.canonical[id]; ok {
		return c, true
	}
	if c, ok := d.earlier[id]; ok {
		return c, true
	}
	return id, true
}

// known is what this run records for the next: every configured id's canonical id as far as it
// is known, from this run or an earlier one.
func (d *communityDirectory) known() map[string]string {
	out := map[string]string{}
	for _, id := range d.configured {
		if c, ok := d.canonical[id]; ok {
			out[id] = c
		} else if c, ok := d.earlier[id]; ok {
			out[id] = c
		}
	}
	return out
}

// settle relabels, once per run, the rows stored under a label this run's detail calls replaced.
func (d *communityDirectory) settle(ctx context.Context) error {
	if d.settled {
		return nil
	}
	d.settled = true
	for _, id := range d.configured {
		canonical, ok := d.canonical[id]
		if !ok {
			continue
		}
		before := id
		if c, ok := d.earlier[id]; ok {
			before = c
		}
		if before == canonical {
			continue
		}
		n, err := d.rc.store.RelabelFunnelCommunity(ctx, d.rc.tenant, before, canonical, d.rc.now())
		if err != nil {
			return err
		}
		if n > 0 {
			d.rc.log.Info("community details fetched again: rows stored under the configured id now carry the canonical id",
				zap.String("community", id), zap.String("from", before), zap.String("to", canonical), zap.Int64("rows", n))
		}
	}
	return nil
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
				if funnel.IsCommunityNotFound(err) {
					d.notFound[id] = err
					err = fmt.Errorf("community %s: Funnel does not know it (CommunityNotFound); check funnel.communities in the config: %w", id, err)
				} else {
					label, _ := d.label(id)
					d.rc.log.Info("community details unavailable: listing its clients, renewals and appointments under the id as known",
						zap.String("community", id), zap.String("label", label), zap.Error(err))
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

// list streams one resource over every configured community. A community configured twice in
// different forms ("1234" and "P1234-567") is listed once, as long as its canonical id is known.
func (d *communityDirectory) list(c *funnel.Client, res funnel.Resource) func(context.Context, func(upstream.Page) error) error {
	return func(ctx context.Context, fn func(upstream.Page) error) error {
		if err := d.settle(ctx); err != nil {
			return err
		}
		var errs []error
		listed := map[string]bool{}
		for _, id := range d.configured {
			label, ok := d.label(id)
			if !ok {
				errs = append(errs, fmt.Errorf("list %s of community %s: skipped: Funnel does not know the community (CommunityNotFound)", res, id))
				continue
			}
			if listed[label] {
				continue
			}
			listed[label] = true
			d.current = label
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
			list: d.communities(c), key: funnel.CommunityID, build: mirror.FunnelCommunity,
		},
		resource[int64, models.FunnelProspect, *models.FunnelProspect]{
			name: string(funnel.Prospects), table: models.FunnelProspect{}.TableName(),
			list: d.list(c, funnel.Prospects), key: funnel.ProspectID,
			build: func(raw json.RawMessage) (models.FunnelProspect, error) { return mirror.FunnelProspect(raw, d.current) },
		},
		resource[int64, models.FunnelRenewal, *models.FunnelRenewal]{
			name: string(funnel.Renewals), table: models.FunnelRenewal{}.TableName(),
			list: d.list(c, funnel.Renewals), key: funnel.RecordID,
			build: func(raw json.RawMessage) (models.FunnelRenewal, error) { return mirror.FunnelRenewal(raw, d.current) },
		},
		resource[int64, models.FunnelAppointment, *models.FunnelAppointment]{
			name: string(funnel.Appointments), table: models.FunnelAppointment{}.TableName(),
			list: d.list(c, funnel.Appointments), key: funnel.RecordID,
			build: func(raw json.RawMessage) (models.FunnelAppointment, error) {
				return mirror.FunnelAppointment(raw, d.current)
			},
		},
	}
}
