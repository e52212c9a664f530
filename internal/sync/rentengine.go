package sync

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/RoaringBitmap/roaring/v2/roaring64"
	"go.uber.org/zap"

	"github.com/syncd-dev/syncd/internal/clients/rentengine"
	"github.com/syncd-dev/syncd/internal/clients/upstream"
	"github.com/syncd-dev/syncd/internal/mirror"
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
	if spec, ok := RateSpec(t, tenants.JobRentEngine); ok {
		uc.Limiter = r.cfg.Limiters.Get(t.ID, spec)
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
// With an account filter (nil = none) each resource keeps only the account's records.
func rentEngineResources(c *rentengine.Client, af *accountFilter) []puller {
	list := func(res rentengine.Resource) func(context.Context, func(upstream.Page) error) error {
		return func(ctx context.Context, fn func(upstream.Page) error) error { return c.List(ctx, res, fn) }
	}
	units := resource[int64, models.RentEngineUnit, *models.RentEngineUnit]{
		name: string(rentengine.Units), table: models.RentEngineUnit{}.TableName(),
		list: list(rentengine.Units), key: rentengine.RecordID, build: mirror.RentEngineUnit, keyedByBuild: true,
	}
	prospects := resource[int64, models.RentEngineProspect, *models.RentEngineProspect]{
		name: string(rentengine.Prospects), table: models.RentEngineProspect{}.TableName(),
		list: list(rentengine.Prospects), key: rentengine.RecordID, build: mirror.RentEngineProspect, keyedByBuild: true,
	}
	events := resource[int64, models.RentEngineLeasingEvent, *models.RentEngineLeasingEvent]{
		name: string(rentengine.LeasingEvents), table: models.RentEngineLeasingEvent{}.TableName(),
		list: list(rentengine.LeasingEvents), key: rentengine.RecordID, build: mirror.RentEngineLeasingEvent, keyedByBuild: true,
	}
	if af != nil {
		units.keep, prospects.keep, events.keep = af.unit, af.prospect, af.event
	}
	return []puller{units, prospects, events}
}

func (r *Runner) pullRentEngine(ctx context.Context, rc *runContext, t *tenants.Tenant) error {
	c, err := r.rentEngineClient(t, rc.log)
	if err != nil {
		return err
	}
	defer func() { rc.retries += c.Retries() }()
	var af *accountFilter
	if account := strings.TrimSpace(t.RentEngine.AccountID); account != "" {
		af = newAccountFilter(rc.store, rc.tenant, account)
	}
	err = rc.pullAll(ctx, rentEngineResources(c, af))
	return errors.Join(err, r.recomputeLinks(ctx, rc))
}

// accountFilter keeps a tenant's mirror to its own RentEngine account (rentengine.account_id)
// when its token reaches several. Only GET /units documents an account parameter, which the
// client sends; prospects and leasing events carry no account, so they are attributed through
// the unit they reference:
//
//   - a unit is kept unless it carries an account_id of another account (in case the server
//     ignored the parameter);
//   - a prospect is kept when its unit_of_interest is one of the account's units, or is null (it
//     cannot be attributed; the token's user can see it, so it stays);
//   - a leasing event is kept when its unit is one of the account's units, or is null, unless its
//     prospect was left out earlier in this run.
//
// The account's units are read from the mirror once the units pass is over (units are pulled
// first): that is this run's list when /units succeeded and the last one known when it did not,
// so a failed /units never makes every prospect look foreign. A unit created upstream between
// the two passes makes its prospects look foreign for one run; they land on the next.
//
// A record left out is not seen by the pass, so a copy mirrored before the tenant set its
// account (or before it moved) is tombstoned by the next complete pass.
type accountFilter struct {
	store   *models.Store
	tenant  string
	account string
	// units are the account's unit ids, loaded on first use.
	units *roaring64.Bitmap
	// dropped are the prospects left out in this run, whose events are left out too.
	dropped *roaring64.Bitmap
}

func newAccountFilter(store *models.Store, tenant, account string) *accountFilter {
	return &accountFilter{store: store, tenant: tenant, account: account, dropped: roaring64.New()}
}

func (f *accountFilter) unit(_ context.Context, u *models.RentEngineUnit) (bool, error) {
	return u.AccountID == nil || strings.EqualFold(strings.TrimSpace(*u.AccountID), f.account), nil
}

func (f *accountFilter) prospect(ctx context.Context, p *models.RentEngineProspect) (bool, error) {
	ok, err := f.ours(ctx, p.UnitID)
	if err == nil && !ok {
		f.dropped.Add(uint64(p.ID))
	}
	return ok, err
}

func (f *accountFilter) event(ctx context.Context, e *models.RentEngineLeasingEvent) (bool, error) {
	if e.ProspectID != nil && f.dropped.Contains(uint64(*e.ProspectID)) {
		return false, nil
	}
	return f.ours(ctx, e.UnitID)
}

// ours reports whether a referenced unit is the account's; no reference cannot be attributed
// and is kept.
func (f *accountFilter) ours(ctx context.Context, unit *int64) (bool, error) {
	if unit == nil {
		return true, nil
	}
	if f.units == nil {
		ids, err := models.RentEngineAccountUnits(ctx, f.store, f.tenant, f.account)
		if err != nil {
			return false, err
		}
		f.units = roaring64.New()
		for _, id := range ids {
			f.units.Add(uint64(id))
		}
	}
	return f.units.Contains(uint64(*unit)), nil
}
