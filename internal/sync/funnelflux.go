package sync

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"time"

	"go.uber.org/zap"

	"github.com/syncd-dev/syncd/internal/clients/funnelflux"
	"github.com/syncd-dev/syncd/internal/clients/upstream"
	"github.com/syncd-dev/syncd/internal/mirror"
	"github.com/syncd-dev/syncd/internal/models"
	"github.com/syncd-dev/syncd/internal/push"
	"github.com/syncd-dev/syncd/internal/tenants"
)

// funnelFluxAPI is what the funnelflux job calls; *funnelflux.Client implements it.
type funnelFluxAPI interface {
	Validate(ctx context.Context) error
	List(ctx context.Context, a funnelflux.Asset, fn func(upstream.Page) error) error
	DailyStats(ctx context.Context, r funnelflux.ReportRange, fn func([]funnelflux.DailyStat) error) error
	Conversions(ctx context.Context, r funnelflux.ReportRange, fn func([]funnelflux.ConversionStat) error) error
}

var _ funnelFluxAPI = (*funnelflux.Client)(nil)

// Names of the funnelflux job's report resources in sync_runs.details.resources.
const (
	resourceDailyStats      = "daily_stats"
	resourceLeaseConversion = "lease_conversions"
)

// funnelFluxTokens returns the tenant's token source, shared by its runs so that an access token
// renewed in one run is used by the next (tokens live in memory only). A reload that changes the
// configured tokens starts a new source from them.
func (r *Runner) funnelFluxTokens(t *tenants.Tenant, log *zap.Logger) (*funnelflux.TokenSource, error) {
	ff := t.FunnelFlux
	sum := sha256.Sum256([]byte(ff.BaseURL + "\x00" + ff.AccessToken.Reveal() + "\x00" + ff.RefreshToken.Reveal()))
	key := hex.EncodeToString(sum[:])
	r.mu.Lock()
	defer r.mu.Unlock()
	if e, ok := r.ffTokens[t.ID]; ok && e.key == key {
		return e.ts, nil
	}
	ts, err := funnelflux.NewTokenSource(funnelflux.TokenConfig{BaseURL: ff.BaseURL, AccessToken: ff.AccessToken.Reveal(),
		RefreshToken: ff.RefreshToken.Reveal(), Upstream: r.funnelFluxUpstream(t)}, log)
	if err != nil {
		return nil, fmt.Errorf("funnelflux tokens of tenant %s: %w", t.ID, err)
	}
	r.ffTokens[t.ID] = ffTokenEntry{key: key, ts: ts}
	return ts, nil
}

// ffTokenEntry is a tenant's token source and the configured tokens it started from (hashed).
type ffTokenEntry struct {
	key string
	ts  *funnelflux.TokenSource
}

func (r *Runner) funnelFluxUpstream(t *tenants.Tenant) upstream.Config {
	uc := r.upstreamConfig()
	if spec, ok := RateSpec(t, tenants.JobFunnelFlux); ok {
		uc.Limiter = r.cfg.Limiters.Get(t.ID, spec)
	}
	return uc
}

// funnelFluxClient builds a client for one run on the tenant's shared token source and limiter.
func (r *Runner) funnelFluxClient(t *tenants.Tenant, log *zap.Logger) (*funnelflux.Client, error) {
	if t.FunnelFlux == nil {
		return nil, fmt.Errorf("tenant %s has no funnelflux block", t.ID)
	}
	ts, err := r.funnelFluxTokens(t, log)
	if err != nil {
		return nil, err
	}
	return funnelflux.New(funnelflux.Config{BaseURL: t.FunnelFlux.BaseURL, Tokens: ts,
		ReportPageSize: r.cfg.Test.FunnelFluxPageSize, Upstream: r.funnelFluxUpstream(t)}, log)
}

// pullFunnelFlux is the funnelflux job:
//
//  1. validate (and if need be renew) the access token first: a refresh that fails ends the run
//     with "re-authorisation needed" before anything else is called (the tenant's other jobs use
//     other credentials and go on);
//  2. the assets (funnels, funnel groups, traffic sources), each a complete pass like any mirror
//     resource, one failing not stopping the others;
//  3. the daily report of the last report_days days in the tenant's timezone (see statsPuller);
//  4. with lease conversions on, the conversion report, which confirms the conversions pushed.
func (r *Runner) pullFunnelFlux(ctx context.Context, rc *runContext, t *tenants.Tenant) error {
	c, err := r.funnelFluxClient(t, rc.log)
	if err != nil {
		return err
	}
	defer func() { rc.retries += c.Retries() }()
	return pullFunnelFluxWith(ctx, rc, t, c)
}

func pullFunnelFluxWith(ctx context.Context, rc *runContext, t *tenants.Tenant, c funnelFluxAPI) error {
	if err := c.Validate(ctx); err != nil {
		return fmt.Errorf("validate the access token: %w", err)
	}
	window := reportWindow(rc.now(), t.Location, t.FunnelFlux.ReportDays)
	ps := append(funnelFluxAssets(c), statsPuller{c: c, window: window})
	if t.LeaseConversionOn() {
		ps = append(ps, conversionPuller{c: c, t: t, window: window})
	}
	return rc.pullAll(ctx, ps)
}

func funnelFluxAssets(c funnelFluxAPI) []puller {
	list := func(a funnelflux.Asset) func(context.Context, func(upstream.Page) error) error {
		return func(ctx context.Context, fn func(upstream.Page) error) error { return c.List(ctx, a, fn) }
	}
	key := func(a funnelflux.Asset) func(json.RawMessage) (string, error) {
		return func(raw json.RawMessage) (string, error) { return funnelflux.RecordID(a, raw) }
	}
	return []puller{
		resource[string, models.FunnelFluxFunnelGroup, *models.FunnelFluxFunnelGroup]{
			name: string(funnelflux.FunnelGroups), table: models.FunnelFluxFunnelGroup{}.TableName(),
			list: list(funnelflux.FunnelGroups), key: key(funnelflux.FunnelGroups), build: mirror.FunnelFluxFunnelGroup,
		},
		resource[string, models.FunnelFluxFunnel, *models.FunnelFluxFunnel]{
			name: string(funnelflux.Funnels), table: models.FunnelFluxFunnel{}.TableName(),
			list: list(funnelflux.Funnels), key: key(funnelflux.Funnels), build: mirror.FunnelFluxFunnel,
		},
		resource[string, models.FunnelFluxTrafficSource, *models.FunnelFluxTrafficSource]{
			name: string(funnelflux.TrafficSources), table: models.FunnelFluxTrafficSource{}.TableName(),
			list: list(funnelflux.TrafficSources), key: key(funnelflux.TrafficSources), build: mirror.FunnelFluxTrafficSource,
		},
	}
}

// reportWindow is the days a pull re-reads: the last days days up to today, in loc.
func reportWindow(now time.Time, loc *time.Location, days int) funnelflux.ReportRange {
	if loc == nil {
		loc = time.UTC
	}
	if days < 1 {
		days = tenants.DefaultFunnelFluxReportDays
	}
	today := now.In(loc)
	return funnelflux.ReportRange{
		First:    today.AddDate(0, 0, -(days - 1)).Format(funnelflux.DateLayout),
		Last:     today.Format(funnelflux.DateLayout),
		TimeZone: loc.String(),
	}
}

// statsPuller re-reads the daily report of a window of days. Each page is upserted like any
// mirror page, so an unchanged row is not written and a changed one appends its change to
// record_changes. After a complete read, the window's stored rows the report no longer has (a
// reset, traffic moved to another source) are tombstoned, under the mass-delete guard; rows of
// days outside the window are never touched. A read that fails tombstones nothing.
type statsPuller struct {
	c      funnelFluxAPI
	window funnelflux.ReportRange
}

func (statsPuller) resourceName() string { return resourceDailyStats }

func (s statsPuller) pull(ctx context.Context, rc *runContext) (Counts, error) {
	var c Counts
	table := models.FunnelFluxDailyStat{}.TableName()
	log := rc.log.With(zap.String("table", table))
	seen := map[string]bool{}
	c.Passes = 1
	pages := 0
	err := s.c.DailyStats(ctx, s.window, func(stats []funnelflux.DailyStat) error {
		if pages++; pages > rc.bounds.maxPages {
			return fmt.Errorf("%w: more than %d pages in one pass (max_pages)", ErrTooManyPages, rc.bounds.maxPages)
		}
		c.Pages++
		rows := make([]models.FunnelFluxDailyStat, 0, len(stats))
		for _, st := range stats {
			c.Fetched++
			row, err := mirror.FunnelFluxDailyStat(st, s.window.TimeZone)
			if err != nil {
				c.BadRecords++
				log.Warn("bad report row: skipped", zap.Int("page", pages), zap.Error(err))
				continue
			}
			if row.Date < models.Date(s.window.First) || row.Date > models.Date(s.window.Last) {
				c.BadRecords++
				log.Warn("report row outside the days asked for: skipped", zap.String("date", string(row.Date)),
					zap.String("first", s.window.First), zap.String("last", s.window.Last))
				continue
			}
			seen[row.ID] = true
			rows = append(rows, row)
		}
		pc, err := storePage[string, models.FunnelFluxDailyStat, *models.FunnelFluxDailyStat](ctx, rc, table,
			models.UpsertPage[string, models.FunnelFluxDailyStat, *models.FunnelFluxDailyStat], rows, pages, true, &c)
		if err != nil {
			return fmt.Errorf("store page %d of %s: %w", pages, resourceDailyStats, err)
		}
		c.Inserted += int64(pc.Inserted)
		c.Updated += int64(pc.Updated)
		c.Unchanged += int64(pc.Unchanged)
		return nil
	})
	if err != nil {
		return c, err
	}
	if c.BadRecords > 0 {
		c.Notes = append(c.Notes, "bad report rows: nothing tombstoned")
		return c, nil
	}
	stored, err := rc.store.StatsIDsBetween(ctx, rc.tenant, models.Date(s.window.First), models.Date(s.window.Last))
	if err != nil {
		return c, err
	}
	var gone []string
	for _, id := range stored {
		if !seen[id] {
			gone = append(gone, id)
		}
	}
	if len(gone) == 0 {
		return c, nil
	}
	if live := int64(len(stored)); rc.bounds.holds(int64(len(gone)), live) && !rc.bounds.allowDeletes {
		c.HeldDeletes = int64(len(gone))
		c.Notes = append(c.Notes, fmt.Sprintf("mass-delete guard: %d of %d rows of %s..%s would be tombstoned; nothing tombstoned",
			len(gone), live, s.window.First, s.window.Last))
		log.Error("mass-delete guard: daily stats held, nothing tombstoned; release with --allow-deletes if the report really lost them",
			zap.Int("would_tombstone", len(gone)), zap.Int64("live", live))
		return c, nil
	}
	n, err := models.Tombstone[string, models.FunnelFluxDailyStat, *models.FunnelFluxDailyStat](ctx, rc.store, rc.tenant, rc.origin(), gone, rc.now())
	c.Deleted += n
	return c, err
}

// conversionPuller reads the conversion report and confirms the lease conversions it shows:
// each pushed (or attempted) lease_conversion whose transaction the report lists is recorded in
// funnelflux_lease_conversions, with the report's funnel, traffic source and day, and its ledger
// row marked confirmed. The report is attributed to entrances, like the daily report, so the day
// is the hit's entrance day and a lease lands on the daily stats row (day × funnel × traffic
// source) whose cost bought it. Since a lease is signed days or weeks after the ad click, the
// report covers the last maxConfirmDays days (not only the pull's window): a conversion whose hit
// entered earlier is never seen, and is reported as unconfirmed by the push job. With nothing
// pending it calls nothing. As a puller, it is degraded like any resource: a report endpoint that
// does not exist makes the run partial, a failure fails the run without undoing the rest.
type conversionPuller struct {
	c      funnelFluxAPI
	t      *tenants.Tenant
	window funnelflux.ReportRange
}

func (conversionPuller) resourceName() string { return resourceLeaseConversion }

func (p conversionPuller) pull(ctx context.Context, rc *runContext) (Counts, error) {
	var counts Counts
	err := confirmConversions(ctx, rc, p.t, p.c, p.window, &counts)
	return counts, err
}

func confirmConversions(ctx context.Context, rc *runContext, t *tenants.Tenant, c funnelFluxAPI, window funnelflux.ReportRange, counts *Counts) error {
	pending, err := push.PendingConversions(ctx, rc.store, t.ID)
	if err != nil {
		return err
	}
	if len(pending) == 0 {
		return nil
	}
	// The hits' entrance days are not known before the report: it reaches back as far as a
	// conversion is looked for, up to today (the window's last day).
	r := window
	r.First = reportWindow(rc.now(), t.Location, maxConfirmDays).First
	byTx := map[string]push.PendingConversion{}
	for _, p := range pending {
		byTx[p.Transaction] = p
	}
	var found []models.FunnelFluxLeaseConversion
	targets := map[string]string{}
	err = c.Conversions(ctx, r, func(rows []funnelflux.ConversionStat) error {
		counts.Pages++
		for _, row := range rows {
			counts.Fetched++
			p, ok := byTx[row.Transaction]
			if !ok || row.Conversions <= 0 {
				continue
			}
			found = append(found, models.FunnelFluxLeaseConversion{TransactionID: row.Transaction, ProspectID: p.ProspectID,
				Stage: p.Stage, HitID: row.HitID, Date: models.Date(row.Date), FunnelID: nonEmpty(row.FunnelID),
				TrafficSourceID: nonEmpty(row.TrafficSourceID), Revenue: row.Revenue})
			targets[row.Transaction] = p.Target
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("read the conversion report: %w", err)
	}
	n, err := rc.store.ConfirmLeaseConversions(ctx, rc.tenant, found, targets, rc.now())
	if err != nil {
		return err
	}
	counts.Updated = int64(n)
	if n > 0 {
		rc.log.Info("lease conversions confirmed by the conversion report", zap.Int("confirmed", n),
			zap.Int("still_pending", len(pending)-n))
	}
	return nil
}

// maxConfirmDays is how far back (in entrance days, today included) the conversion report reaches
// for unconfirmed conversions: a lease whose hit entered earlier is not confirmed.
const maxConfirmDays = 90

// nonEmpty is s, or nil when the report left the grouping cell empty.
func nonEmpty(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}
