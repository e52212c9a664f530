package sync_test

import (
	"context"
	"errors"
	"net/http"
	"regexp"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"go.uber.org/zap"
	"go.uber.org/zap/zaptest"

	"github.com/syncd-dev/syncd/internal/clients/funnelflux"
	"github.com/syncd-dev/syncd/internal/models"
	"github.com/syncd-dev/syncd/internal/push"
	syncer "github.com/syncd-dev/syncd/internal/sync"
	"github.com/syncd-dev/syncd/internal/tenants"
	"github.com/syncd-dev/syncd/internal/testing/dbtest"
	"github.com/syncd-dev/syncd/internal/testing/funnelfake"
	"github.com/syncd-dev/syncd/internal/testing/funnelfluxfake"
	"github.com/syncd-dev/syncd/internal/testing/rentenginefake"
)

// ffNow is the clock of the FunnelFlux tests: the fake, the runner and the report window agree.
var ffNow = time.Date(2026, 11, 20, 15, 30, 0, 0, time.UTC)

const ffZone = "America/Chicago"

type ffWorld struct {
	store  *models.Store
	ff     *funnelfluxfake.Server
	re     *rentenginefake.Server
	fu     *funnelfake.Server
	seeded funnelfluxfake.Seeded
	tenant *tenants.Tenant
	runner *syncer.Runner
	now    atomic.Pointer[time.Time]
	// afterFirstList, when set, runs once after the first asset list answered (a hook in the
	// HTTP client, so that a token can expire in the middle of a run).
	afterFirstList atomic.Pointer[func()]
}

func (w *ffWorld) clock() time.Time { return *w.now.Load() }

func (w *ffWorld) advance(d time.Duration) {
	t := w.clock().Add(d)
	w.now.Store(&t)
}

// hookTransport calls the world's afterFirstList hook once a FunnelFlux asset list answered.
type hookTransport struct{ w *ffWorld }

func (h hookTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	resp, err := http.DefaultTransport.RoundTrip(r)
	if err == nil && strings.HasSuffix(r.URL.Path, "/list") {
		if f := h.w.afterFirstList.Swap(nil); f != nil {
			(*f)()
		}
	}
	return resp, err
}

func newFFWorld(t *testing.T, store *models.Store, hooks *push.Hooks) *ffWorld {
	t.Helper()
	w := &ffWorld{store: store}
	now := ffNow
	w.now.Store(&now)
	w.ff = funnelfluxfake.New(funnelfluxfake.Options{AccessToken: "ff-access", RefreshToken: "ff-refresh", Now: w.clock})
	t.Cleanup(w.ff.Close)
	w.seeded = funnelfluxfake.Seed(w.ff, funnelfluxfake.SeedOptions{Seed: 7, Now: ffNow, Days: 10, HitsPerDay: 30, Zone: ffZone})
	w.re = rentenginefake.New(rentenginefake.Options{Token: "re-tok"})
	t.Cleanup(w.re.Close)
	loc, err := time.LoadLocation(ffZone)
	if err != nil {
		t.Fatal(err)
	}
	w.tenant = &tenants.Tenant{
		ID: "fluxco", RunTimeout: time.Minute, Timezone: ffZone, Location: loc,
		RentEngine: &tenants.RentEngine{BaseURL: w.re.BaseURL(), Token: tenants.NewSecret("re-tok")},
		FunnelFlux: &tenants.FunnelFlux{BaseURL: w.ff.BaseURL(), ReportDays: 7,
			AccessToken: tenants.NewSecret("ff-access"), RefreshToken: tenants.NewSecret("ff-refresh")},
		Push: &tenants.Push{LeaseConversion: &tenants.LeaseConversion{
			HitID: tenants.HitIDSource{Path: "notes", Pattern: `ff_hit=([0-9a-z]+)`,
				Regexp: regexp.MustCompile(`ff_hit=([0-9a-z]+)`)},
		}},
	}
	w.runner = syncer.NewRunner(syncer.Config{Store: store, Retry: fastRetry, Now: w.clock,
		HTTPClient: &http.Client{Transport: hookTransport{w}},
		Test:       syncer.TestConfig{PushHooks: hooks, FunnelFluxPageSize: 7}},
		zaptest.NewLogger(t, zaptest.Level(zap.ErrorLevel)))
	return w
}

func (w *ffWorld) run(t *testing.T, job tenants.Job) *models.SyncRun {
	t.Helper()
	run, err := w.runner.Run(context.Background(), w.tenant, job)
	if err != nil {
		t.Fatalf("%s: %v", job, err)
	}
	return run
}

// window is the report window of the world's clock: 7 days up to today in Chicago.
func (w *ffWorld) window() (first, last string) {
	loc := w.tenant.Location
	today := w.clock().In(loc)
	return today.AddDate(0, 0, -6).Format(time.DateOnly), today.Format(time.DateOnly)
}

func liveStringIDs(t *testing.T, store *models.Store, table, tenant string) []string {
	t.Helper()
	var ids []string
	if err := dbtest.DB(store).Table(table).Where("tenant_id = ? AND deleted_at IS NULL", tenant).
		Order("id").Pluck("id", &ids).Error; err != nil {
		t.Fatal(err)
	}
	return ids
}

// assertStatsEqualFake compares the live daily stats with the fake's report of the window.
func assertStatsEqualFake(t *testing.T, w *ffWorld) {
	t.Helper()
	first, last := w.window()
	want := map[string]funnelfluxfake.DailyStat{}
	for _, s := range w.ff.DailyStats(first, last, ffZone) {
		want[models.StatsID(models.Date(s.Date), s.FunnelID, s.TrafficSourceID)] = s
	}
	var rows []models.FunnelFluxDailyStat
	if err := dbtest.DB(w.store).Where("tenant_id = ? AND deleted_at IS NULL", w.tenant.ID).Find(&rows).Error; err != nil {
		t.Fatal(err)
	}
	if len(rows) != len(want) || len(want) == 0 {
		t.Errorf("daily stats: %d live rows, the fake's report has %d", len(rows), len(want))
	}
	for _, r := range rows {
		s, ok := want[r.ID]
		if !ok {
			t.Errorf("daily stats row %s is not in the fake's report", r.ID)
			continue
		}
		got := funnelfluxfake.DailyStat{Date: string(r.Date), FunnelID: r.FunnelID, TrafficSourceID: r.TrafficSourceID,
			Entrances: r.Entrances, Conversions: r.Conversions, Revenue: r.Revenue, Cost: r.Cost, Profit: r.Profit}
		if got != s || r.Timezone != ffZone {
			t.Errorf("daily stats row %s: %+v (zone %s), want %+v", r.ID, got, r.Timezone, s)
		}
	}
}

// TestFunnelFluxMirror: assets and the last 7 days of stats mirror the fake exactly; a second
// run writes nothing; a cost change on one past day updates exactly that day's row, and
// record_changes shows only that.
func TestFunnelFluxMirror(t *testing.T) {
	dbtest.Dialects(t, func(t *testing.T, store *models.Store) {
		w := newFFWorld(t, store, nil)
		run := w.run(t, tenants.JobFunnelFlux)
		for table, want := range map[string][]string{
			"funnelflux_funnels":         w.seeded.Funnels,
			"funnelflux_funnel_groups":   w.seeded.FunnelGroups,
			"funnelflux_traffic_sources": w.seeded.TrafficSources,
		} {
			want = slices.Sorted(slices.Values(want))
			if got := liveStringIDs(t, store, table, w.tenant.ID); !slices.Equal(got, want) {
				t.Errorf("%s: %v, want %v", table, got, want)
			}
		}
		// The legacy idCampaign spelling lands in funnel_group_id like idFunnelGroup.
		var grouped int64
		dbtest.DB(store).Table("funnelflux_funnels").Where("tenant_id = ? AND funnel_group_id IS NOT NULL", w.tenant.ID).Count(&grouped)
		if grouped != int64(len(w.seeded.Funnels)) {
			t.Errorf("%d of %d funnels have a funnel group", grouped, len(w.seeded.Funnels))
		}
		assertStatsEqualFake(t, w)
		if run.Pages < 2 {
			t.Errorf("run read %d pages; the report should have been paged (page size 7)", run.Pages)
		}

		again := w.run(t, tenants.JobFunnelFlux)
		if again.Inserted != 0 || again.Updated != 0 || again.Deleted != 0 {
			t.Errorf("unchanged re-run wrote: inserted %d updated %d deleted %d", again.Inserted, again.Updated, again.Deleted)
		}
		if cs := runChanges(t, store, again); len(cs) != 0 {
			t.Errorf("unchanged re-run recorded changes: %v", cs)
		}

		// Three days ago, one funnel × source gets a new cost.
		first, _ := w.window()
		_ = first
		day := w.clock().In(w.tenant.Location).AddDate(0, 0, -3).Format(time.DateOnly)
		var target models.FunnelFluxDailyStat
		if err := dbtest.DB(store).Where("tenant_id = ? AND date = ? AND entrances > 0", w.tenant.ID, day).
			Order("id").First(&target).Error; err != nil {
			t.Fatalf("no stats row on %s: %v", day, err)
		}
		w.ff.SetDayCost(day, ffZone, target.FunnelID, target.TrafficSourceID, target.Cost+41.5)
		changed := w.run(t, tenants.JobFunnelFlux)
		if changed.Updated != 1 || changed.Inserted != 0 || changed.Deleted != 0 {
			t.Errorf("after one cost change: inserted %d updated %d deleted %d, want exactly 1 update",
				changed.Inserted, changed.Updated, changed.Deleted)
		}
		cs := runChanges(t, store, changed)
		if len(cs) != 1 {
			t.Errorf("record_changes of the run: %v, want only the changed day's row", cs)
		}
		c, ok := cs["update funnelflux_daily_stats "+target.ID]
		if !ok {
			t.Fatalf("no update of %s recorded: %v", target.ID, cs)
		}
		fields := decodedFields(t, c)
		if _, ok := fields["cost"]; !ok {
			t.Errorf("recorded fields %v: want cost among them", fields)
		}
		assertStatsEqualFake(t, w)
	})
}

// TestFunnelFluxTokenExpiresMidRun: the access token expires after the first list; the next call
// is refused, the token is renewed once, the call repeated, and the run completes.
func TestFunnelFluxTokenExpiresMidRun(t *testing.T) {
	dbtest.Dialects(t, func(t *testing.T, store *models.Store) {
		w := newFFWorld(t, store, nil)
		expire := func() { w.ff.ExpireAccessTokens() }
		w.afterFirstList.Store(&expire)
		run := w.run(t, tenants.JobFunnelFlux)
		if run.Status != models.RunSucceeded {
			t.Fatalf("run %s: %v", run.Status, run.Error)
		}
		if w.afterFirstList.Load() != nil {
			t.Fatal("the token never expired mid-run")
		}
		if n := w.ff.Refreshes(); n != 1 {
			t.Errorf("%d token renewals, want exactly 1", n)
		}
		assertStatsEqualFake(t, w)
		if got := liveStringIDs(t, store, "funnelflux_traffic_sources", w.tenant.ID); len(got) != len(w.seeded.TrafficSources) {
			t.Errorf("traffic sources %v, want %v", got, w.seeded.TrafficSources)
		}
	})
}

// TestFunnelFluxReauthorisation: with the refresh token revoked and the access token expired,
// the funnelflux run fails with "re-authorisation needed" as its recorded error (what syncd
// status shows), while the tenant's RentEngine and Funnel jobs still succeed.
func TestFunnelFluxReauthorisation(t *testing.T) {
	dbtest.Dialects(t, func(t *testing.T, store *models.Store) {
		w := newFFWorld(t, store, nil)
		w.fu = funnelfake.New(funnelfake.Options{APIKey: funnelKey})
		t.Cleanup(w.fu.Close)
		funnelfake.Seed(w.fu, funnelfake.SeedOptions{Seed: 3, Communities: 1, ProspectsPerCommunity: 5,
			RenewalsPerCommunity: 2, AppointmentsPerCommunity: 2})
		w.tenant.Funnel = funnelTenant(w.tenant.ID, w.fu, w.fu.Communities()[0].Numeric()).Funnel
		w.re.Insert(rentenginefake.Prospects, map[string]any{"name": "A", "email": "a@example.com"})

		w.ff.ExpireAccessTokens()
		w.ff.RevokeRefreshToken()
		run, err := w.runner.Run(context.Background(), w.tenant, tenants.JobFunnelFlux)
		if err == nil || !errors.Is(err, funnelflux.ErrReauthRequired) {
			t.Fatalf("funnelflux run: %v, want re-authorisation needed", err)
		}
		if run.Status != models.RunFailed || run.Error == nil || !strings.HasPrefix(*run.Error, "re-authorisation needed") {
			t.Errorf("recorded run: status %s, error %v; want failed, starting with \"re-authorisation needed\"", run.Status, run.Error)
		}
		if n := w.ff.Calls(funnelfluxfake.EndpointFunnels) + w.ff.Calls(funnelfluxfake.EndpointDrilldown); n != 0 {
			t.Errorf("%d data calls after the refresh failed, want none", n)
		}
		for _, job := range []tenants.Job{tenants.JobRentEngine, tenants.JobFunnel} {
			if r := w.run(t, job); r.Status != models.RunSucceeded {
				t.Errorf("%s: %s %v", job, r.Status, r.Error)
			}
		}
		var last models.SyncRun
		if err := dbtest.DB(store).Where("tenant_id = ? AND job = ?", w.tenant.ID, "funnelflux").
			Order("id DESC").First(&last).Error; err != nil {
			t.Fatal(err)
		}
		if last.Error == nil || !strings.HasPrefix(*last.Error, "re-authorisation needed") {
			t.Errorf("stored funnelflux run error %v", last.Error)
		}
	})
}
