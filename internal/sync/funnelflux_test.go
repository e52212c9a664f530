package sync_test

import (
	"context"
	"encoding/json"
	"errors"
	"math"
	"net/http"
	"os"
	"regexp"
	"slices"
	"strconv"
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
	"github.com/syncd-dev/syncd/internal/testing/fakeapi"
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
		// A push with a lease conversion to send validates the token first: the conversion is left
		// unsent, and the run says why. (Forced: FunnelFlux has never been pulled, so an ordinary
		// first push would wait for it, order.go, and call nothing.)
		leaseProspects(t, w)
		pushRun, err := w.runner.RunWith(context.Background(), w.tenant, tenants.JobPush, syncer.RunOptions{Force: true})
		if !errors.Is(err, funnelflux.ErrReauthRequired) || pushRun == nil || pushRun.Error == nil ||
			!strings.HasPrefix(*pushRun.Error, "re-authorisation needed") {
			t.Errorf("push with the refresh token revoked: %v", err)
		}
		if n := w.ff.ConversionUpdates(); n != 0 || len(leaseLedger(t, store, w.tenant.ID)) != 0 {
			t.Errorf("%d conversion updates sent without a valid token", n)
		}

		// What syncd status reads: the job's latest run and latest failure.
		statuses, err := store.JobStatuses(context.Background(), w.tenant.ID)
		if err != nil {
			t.Fatal(err)
		}
		byJob := map[string]models.JobStatus{}
		for _, s := range statuses {
			byJob[s.Job] = s
		}
		ffs := byJob[string(tenants.JobFunnelFlux)]
		if ffs.Last.Status != models.RunFailed || ffs.LastFailure == nil || ffs.LastFailure.Error == nil ||
			!strings.HasPrefix(*ffs.LastFailure.Error, "re-authorisation needed") {
			t.Errorf("status of funnelflux: %+v", ffs)
		}
		for _, job := range []tenants.Job{tenants.JobRentEngine, tenants.JobFunnel} {
			if s := byJob[string(job)]; s.Last.Status != models.RunSucceeded || s.LastFailure != nil {
				t.Errorf("status of %s: last %s, failure %v", job, s.Last.Status, s.LastFailure)
			}
		}
	})
}

// leaseWorld adds RentEngine prospects to a FunnelFlux world (see leaseProspects) and pulls
// RentEngine and FunnelFlux, so that the tenant's first push finds every upstream pulled
// (order.go) and the hit's day of stats is mirrored.
func leaseWorld(t *testing.T, w *ffWorld) (leased, noHit int64, hit string) {
	t.Helper()
	leased, noHit, hit = leaseProspects(t, w)
	w.run(t, tenants.JobFunnelFlux)
	return leased, noHit, hit
}

// leaseProspects adds three RentEngine prospects and pulls RentEngine: one at Lease Signed whose
// notes hold the hit id of an unconverted FunnelFlux hit that entered three days before (inside
// the report window, so that its day's stats row is mirrored), one at Lease Signed without a hit
// id, and one with a hit id that has not leased.
func leaseProspects(t *testing.T, w *ffWorld) (leased, noHit int64, hit string) {
	t.Helper()
	hit = unconvertedHitOn(t, w, 3).ID
	at := ffNow.Add(-2 * time.Hour)
	leased = w.re.Insert(rentenginefake.Prospects, map[string]any{"name": "Lee Signer", "email": "lee@example.com",
		"notes": "Lead form. ff_hit=" + hit + " utm_source=google"})
	w.re.AddEvent(leased, "Lease Signed", at)
	noHit = w.re.Insert(rentenginefake.Prospects, map[string]any{"name": "Walk In", "notes": "walked in"})
	w.re.AddEvent(noHit, "Lease Signed", at)
	fresh := w.re.Insert(rentenginefake.Prospects, map[string]any{"name": "Still Looking",
		"notes": "ff_hit=" + w.seeded.FreshHits[1]})
	w.re.AddEvent(fresh, "Showing Scheduled", at)
	w.run(t, tenants.JobRentEngine)
	return leased, noHit, hit
}

// unconvertedHitOn returns a seeded hit without a conversion that entered daysAgo days before
// the world's start (in the tenant's timezone).
func unconvertedHitOn(t *testing.T, w *ffWorld, daysAgo int) funnelfluxfake.Hit {
	t.Helper()
	loc := w.tenant.Location
	day := ffNow.In(loc).AddDate(0, 0, -daysAgo).Format(time.DateOnly)
	for _, id := range w.seeded.Hits {
		h, ok := w.ff.Hit(id)
		if ok && h.At.In(loc).Format(time.DateOnly) == day && !slices.Contains(w.seeded.ConvertedHits, id) {
			return h
		}
	}
	t.Fatalf("no unconverted hit on %s", day)
	return funnelfluxfake.Hit{}
}

func pushSkips(t *testing.T, run *models.SyncRun) (map[string]int, []string) {
	t.Helper()
	var d struct {
		Push struct {
			Skips       map[string]map[string]int `json:"skips"`
			Unconfirmed []string                  `json:"unconfirmed"`
		} `json:"push"`
	}
	if err := json.Unmarshal(run.Details, &d); err != nil {
		t.Fatalf("details %s: %v", run.Details, err)
	}
	return d.Push.Skips[models.PushLeaseConversion], d.Push.Unconfirmed
}

func leaseLedger(t *testing.T, store *models.Store, tenant string) []models.PushLedger {
	t.Helper()
	var rows []models.PushLedger
	if err := dbtest.DB(store).Where("tenant_id = ? AND kind = ?", tenant, models.PushLeaseConversion).Find(&rows).Error; err != nil {
		t.Fatal(err)
	}
	return rows
}

// TestLeaseConversionCrashAfterCall: a prospect at Lease Signed with a hit id produces exactly one
// conversion although the process dies right after the call (before its outcome is written);
// the next push sends nothing, and the next FunnelFlux pull confirms the conversion.
func TestLeaseConversionCrashAfterCall(t *testing.T) {
	dbtest.Dialects(t, func(t *testing.T, store *models.Store) {
		crashed := false
		hooks := &push.Hooks{AfterCall: func(_ context.Context, c push.Change, err error) {
			if c.Kind == models.PushLeaseConversion && !crashed && err == nil {
				crashed = true
				panic(errCrash{})
			}
		}}
		w := newFFWorld(t, store, hooks)
		leased, _, hit := leaseWorld(t, w)
		if _, err := w.runner.Run(context.Background(), w.tenant, tenants.JobPush); err == nil || !crashed {
			t.Fatalf("crashed push: err %v, crashed %v", err, crashed)
		}
		if n := w.ff.ConversionUpdates(); n != 1 {
			t.Fatalf("%d conversion updates, want 1", n)
		}
		rows := leaseLedger(t, store, w.tenant.ID)
		if len(rows) != 1 || rows[0].State != models.PushPlanned || rows[0].TargetKey != "prospect:"+itoa(leased)+"/Lease Signed" {
			t.Fatalf("ledger after the crash: %+v", rows)
		}

		// The outcome is unknown: the next push waits for the report instead of sending again.
		again := w.run(t, tenants.JobPush)
		if n := w.ff.ConversionUpdates(); n != 1 {
			t.Errorf("%d conversion updates after the second push, want still 1", n)
		}
		skips, _ := pushSkips(t, again)
		if skips[push.SkipNoHitID] != 1 || skips[push.SkipAwaitingReport] != 1 {
			t.Errorf("second push skips %v: want no_hit_id 1 and awaiting_report 1", skips)
		}

		tx := push.TransactionID(leased, "Lease Signed")
		var applied []funnelfluxfake.Conversion
		for _, c := range w.ff.Conversions() {
			if c.Transaction == tx {
				applied = append(applied, c)
			}
		}
		if len(applied) != 1 || applied[0].HitID != hit {
			t.Fatalf("conversions for %s upstream: %+v, want exactly one on hit %s", tx, applied, hit)
		}

		w.run(t, tenants.JobFunnelFlux)
		rows = leaseLedger(t, store, w.tenant.ID)
		if len(rows) != 1 || rows[0].ConfirmedAt == nil || rows[0].State != models.PushPushed {
			t.Fatalf("ledger after the report pull: %+v, want confirmed and pushed", rows)
		}
		// The lease is attributed to its hit: the hit's entrance day (three days before the
		// conversion was sent), funnel and traffic source.
		h, _ := w.ff.Hit(hit)
		entranceDay := h.At.In(w.tenant.Location).Format(time.DateOnly)
		var convs []models.FunnelFluxLeaseConversion
		dbtest.DB(store).Where("tenant_id = ?", w.tenant.ID).Find(&convs)
		if len(convs) != 1 || convs[0].TransactionID != tx || convs[0].ProspectID != leased || convs[0].HitID != hit ||
			convs[0].Stage != "Lease Signed" || string(convs[0].Date) != entranceDay ||
			convs[0].FunnelID == nil || *convs[0].FunnelID != h.FunnelID ||
			convs[0].TrafficSourceID == nil || *convs[0].TrafficSourceID != h.TrafficSourceID {
			t.Errorf("funnelflux_lease_conversions: %+v; want on %s, funnel %s, traffic source %s", convs, entranceDay,
				h.FunnelID, h.TrafficSourceID)
		}
		assertLeaseOnHitRow(t, w, h)
		assertReadmeCostPerLease(t, w, h)

		w.run(t, tenants.JobPush)
		if n := w.ff.ConversionUpdates(); n != 1 {
			t.Errorf("%d conversion updates after confirmation, want still 1", n)
		}
	})
}

// assertLeaseOnHitRow: lease_attribution has exactly one lease, on the row of the hit's entrance
// day, funnel and traffic source, which is that day's mirrored stats row: its entrances and cost,
// and cost_per_lease = cost / 1. No row lacks a funnel or traffic source.
func assertLeaseOnHitRow(t *testing.T, w *ffWorld, h funnelfluxfake.Hit) {
	t.Helper()
	type row struct {
		Date                      models.Date
		FunnelID, TrafficSourceID *string
		Entrances, Leases         int64
		Cost                      float64
		CostPerLease              *float64
	}
	var rows []row
	if err := dbtest.DB(w.store).Raw(`SELECT date, funnel_id, traffic_source_id, entrances, leases, cost, cost_per_lease
		FROM lease_attribution WHERE tenant_id = ? AND (leases > 0 OR funnel_id IS NULL OR traffic_source_id IS NULL)`,
		w.tenant.ID).Scan(&rows).Error; err != nil {
		t.Fatal(err)
	}
	day := h.At.In(w.tenant.Location).Format(time.DateOnly)
	var stat models.FunnelFluxDailyStat
	if err := dbtest.DB(w.store).Where("tenant_id = ? AND deleted_at IS NULL AND id = ?", w.tenant.ID,
		models.StatsID(models.Date(day), h.FunnelID, h.TrafficSourceID)).Take(&stat).Error; err != nil {
		t.Fatalf("the hit's stats row %s/%s/%s: %v", day, h.FunnelID, h.TrafficSourceID, err)
	}
	if stat.Cost <= 0 || stat.Entrances < 1 {
		t.Fatalf("the hit's stats row has no traffic: %+v", stat)
	}
	if len(rows) != 1 {
		t.Fatalf("lease_attribution rows with a lease or without a funnel/source: %+v, want the hit's row only", rows)
	}
	r := rows[0]
	if string(r.Date) != day || r.FunnelID == nil || *r.FunnelID != h.FunnelID || r.TrafficSourceID == nil ||
		*r.TrafficSourceID != h.TrafficSourceID || r.Leases != 1 || r.Entrances != stat.Entrances ||
		math.Abs(r.Cost-stat.Cost) > 1e-9 || r.CostPerLease == nil || math.Abs(*r.CostPerLease-stat.Cost/1) > 1e-9 {
		t.Errorf("lease_attribution lease row %+v (cost per lease %v); want %s %s %s, 1 lease, entrances %d, cost %.2f = cost per lease",
			r, r.CostPerLease, day, h.FunnelID, h.TrafficSourceID, stat.Entrances, stat.Cost)
	}
}

// assertReadmeCostPerLease runs README's cost-per-lease query: one lease in total, on the row of
// the hit's traffic source and funnel, whose cost per lease is that source and funnel's cost over
// the window (one lease); the traffic cost of the window equal to the daily stats'.
func assertReadmeCostPerLease(t *testing.T, w *ffWorld, h funnelfluxfake.Hit) {
	t.Helper()
	b, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	_, section, ok := strings.Cut(string(b), "\n### FunnelFlux\n")
	if !ok {
		t.Fatal(`README.md has no "### FunnelFlux" section`)
	}
	_, block, ok := strings.Cut(section, "```sql\n")
	if !ok {
		t.Fatal("the FunnelFlux section has no SQL block")
	}
	block, _, _ = strings.Cut(block, "```")
	var lines []string
	for _, l := range strings.Split(block, "\n") {
		if !strings.HasPrefix(strings.TrimSpace(l), "--") {
			lines = append(lines, l)
		}
	}
	query := strings.TrimSuffix(strings.TrimSpace(strings.Join(lines, "\n")), ";")
	since := w.clock().AddDate(0, 0, -30).Format(time.DateOnly)
	query = strings.NewReplacer("'acme'", "'"+w.tenant.ID+"'", "CURRENT_DATE - 30", "'"+since+"'").Replace(query)
	var rows []struct {
		TrafficSourceName, FunnelName *string
		Leases                        int64
		Cost                          float64
		CostPerLease                  *float64
	}
	if err := dbtest.DB(w.store).Raw(query).Scan(&rows).Error; err != nil {
		t.Fatalf("README query: %v\n%s", err, query)
	}
	var names struct{ Source, Funnel string }
	dbtest.DB(w.store).Raw(`SELECT ts.name AS source, f.name AS funnel FROM funnelflux_traffic_sources ts, funnelflux_funnels f
		WHERE ts.tenant_id = ? AND f.tenant_id = ts.tenant_id AND ts.id = ? AND f.id = ?`, w.tenant.ID, h.TrafficSourceID, h.FunnelID).
		Scan(&names)
	var sourceCost float64
	dbtest.DB(w.store).Raw(`SELECT coalesce(sum(cost), 0) FROM funnelflux_daily_stats WHERE tenant_id = ? AND deleted_at IS NULL
		AND funnel_id = ? AND traffic_source_id = ?`, w.tenant.ID, h.FunnelID, h.TrafficSourceID).Scan(&sourceCost)
	var leases int64
	var cost, want float64
	leaseRows := 0
	for _, r := range rows {
		leases += r.Leases
		cost += r.Cost
		if r.Leases == 0 {
			continue
		}
		leaseRows++
		if r.TrafficSourceName == nil || *r.TrafficSourceName != names.Source || r.FunnelName == nil || *r.FunnelName != names.Funnel ||
			r.Leases != 1 || r.CostPerLease == nil || math.Abs(*r.CostPerLease-sourceCost) > 0.005 || math.Abs(r.Cost-sourceCost) > 0.005 {
			t.Errorf("README cost per lease row %+v (%v %v %v); want %s / %s, 1 lease at %.2f", r, deref(r.TrafficSourceName),
				deref(r.FunnelName), r.CostPerLease, names.Source, names.Funnel, sourceCost)
		}
	}
	dbtest.DB(w.store).Raw("SELECT coalesce(sum(cost), 0) FROM funnelflux_daily_stats WHERE tenant_id = ? AND deleted_at IS NULL",
		w.tenant.ID).Scan(&want)
	if names.Source == "" || names.Funnel == "" || leases != 1 || leaseRows != 1 || len(rows) < 2 || math.Abs(cost-want) > 0.005 {
		t.Errorf("README cost per lease: %d rows, %d leases on %d rows, cost %.2f; want 1 lease on %q / %q and cost %.2f",
			len(rows), leases, leaseRows, cost, names.Source, names.Funnel, want)
	}
}

func deref(p *string) string {
	if p == nil {
		return "NULL"
	}
	return *p
}

// TestLeaseConversionUnconfirmed: a conversion FunnelFlux has not applied unconfirmed_after days
// later is reported (run details, skips) and not sent again.
func TestLeaseConversionUnconfirmed(t *testing.T) {
	dbtest.Dialects(t, func(t *testing.T, store *models.Store) {
		w := newFFWorld(t, store, nil)
		w.ff.Close()
		w.ff = funnelfluxfake.New(funnelfluxfake.Options{AccessToken: "ff-access", RefreshToken: "ff-refresh", Now: w.clock,
			ConversionDelay: 30 * 24 * time.Hour})
		t.Cleanup(w.ff.Close)
		w.seeded = funnelfluxfake.Seed(w.ff, funnelfluxfake.SeedOptions{Seed: 7, Now: ffNow, Days: 10, HitsPerDay: 30, Zone: ffZone})
		w.tenant.FunnelFlux.BaseURL = w.ff.BaseURL()
		leased, _, _ := leaseWorld(t, w)
		w.run(t, tenants.JobPush)
		w.advance(4 * 24 * time.Hour)
		w.run(t, tenants.JobFunnelFlux)
		run := w.run(t, tenants.JobPush)
		if n := w.ff.ConversionUpdates(); n != 1 {
			t.Errorf("%d conversion updates, want 1 (an unconfirmed one is not re-sent)", n)
		}
		skips, overdue := pushSkips(t, run)
		want := "prospect:" + itoa(leased) + "/Lease Signed"
		if skips[push.SkipUnconfirmed] != 1 || !slices.Equal(overdue, []string{want}) {
			t.Errorf("skips %v, unconfirmed %v: want unconfirmed 1 and [%s]", skips, overdue, want)
		}
		if rows := leaseLedger(t, store, w.tenant.ID); len(rows) != 1 || rows[0].ConfirmedAt != nil {
			t.Errorf("ledger %+v: want one unconfirmed row", rows)
		}
	})
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

// errCrash stands for the process dying after a call: the run stops there and nothing after
// that point is written.
type errCrash struct{}

// TestFunnelFluxDegradation: one failing resource does not stop the others, and a 429 is waited
// out and retried.
func TestFunnelFluxDegradation(t *testing.T) {
	dbtest.Dialects(t, func(t *testing.T, store *models.Store) {
		t.Run("traffic sources fail beyond the retries", func(t *testing.T) {
			w := newFFWorld(t, store, nil)
			w.tenant.ID = "degrade-a"
			w.ff.Faults().Script(func(r *http.Request) bool { return strings.HasSuffix(r.URL.Path, "/trafficsource/list") },
				fakeapi.FaultServerError, -1)
			run, err := w.runner.Run(context.Background(), w.tenant, tenants.JobFunnelFlux)
			if err == nil || run.Status != models.RunFailed {
				t.Fatalf("run %s: %v, want failed", run.Status, err)
			}
			if got := liveStringIDs(t, store, "funnelflux_funnels", w.tenant.ID); len(got) != len(w.seeded.Funnels) {
				t.Errorf("funnels %v: the other resources must still be stored", got)
			}
			if got := liveStringIDs(t, store, "funnelflux_traffic_sources", w.tenant.ID); len(got) != 0 {
				t.Errorf("traffic sources %v stored from a failed list", got)
			}
			assertStatsEqualFake(t, w)
		})
		t.Run("a 429 on the report is retried", func(t *testing.T) {
			w := newFFWorld(t, store, nil)
			w.tenant.ID = "degrade-b"
			w.ff.Faults().Script(func(r *http.Request) bool { return strings.HasSuffix(r.URL.Path, "/reporting/drilldown") },
				fakeapi.FaultRateLimit, 1)
			run := w.run(t, tenants.JobFunnelFlux)
			if run.Retries < 1 {
				t.Errorf("retries %d, want the 429 retried", run.Retries)
			}
			assertStatsEqualFake(t, w)
		})
	})
}

// TestLeaseConversionDryRunAndGuard: dry run plans the conversion and sends nothing; the
// blast-radius guard counts lease conversions like any change.
func TestLeaseConversionDryRunAndGuard(t *testing.T) {
	dbtest.Dialects(t, func(t *testing.T, store *models.Store) {
		w := newFFWorld(t, store, nil)
		leaseWorld(t, w)
		w.tenant.Push.DryRun = true
		w.run(t, tenants.JobPush)
		if n := w.ff.ConversionUpdates(); n != 0 || len(leaseLedger(t, store, w.tenant.ID)) != 0 {
			t.Errorf("dry run sent %d conversion updates, ledger %v", n, leaseLedger(t, store, w.tenant.ID))
		}
		plan, err := w.runner.Plan(context.Background(), w.tenant)
		if err != nil {
			t.Fatal(err)
		}
		if got := plan.ByKind()[models.PushLeaseConversion]; got != 1 {
			t.Errorf("plan has %d lease conversions, want 1: %+v", got, plan.Changes)
		}

		w.tenant.Push.DryRun = false
		w.tenant.Push.MaxChanges, w.tenant.Push.MaxChangesPercent = "10%", 10
		if _, err := w.runner.Run(context.Background(), w.tenant, tenants.JobPush); !errors.Is(err, syncer.ErrBlastRadius) {
			t.Errorf("push over max_changes: %v, want the blast-radius guard", err)
		}
		if n := w.ff.ConversionUpdates(); n != 0 {
			t.Errorf("the guarded run sent %d conversion updates", n)
		}
	})
}
