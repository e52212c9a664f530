package sync_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"reflect"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"go.uber.org/zap"
	"go.uber.org/zap/zaptest"

	"github.com/syncd-dev/syncd/internal/identity"
	"github.com/syncd-dev/syncd/internal/models"
	syncer "github.com/syncd-dev/syncd/internal/sync"
	"github.com/syncd-dev/syncd/internal/tenants"
	"github.com/syncd-dev/syncd/internal/testing/dbtest"
	"github.com/syncd-dev/syncd/internal/testing/fakeapi"
	"github.com/syncd-dev/syncd/internal/testing/funnelfake"
	"github.com/syncd-dev/syncd/internal/testing/mirrortest"
	"github.com/syncd-dev/syncd/internal/testing/rentenginefake"
)

const funnelKey = "funnel-key"

type fuBundle struct {
	store  *models.Store
	fake   *funnelfake.Server
	tenant *tenants.Tenant
	runner *syncer.Runner
	coms   []funnelfake.CommunityIDs
}

// newFunnelBundle seeds three communities and configures the tenant with each in a different id
// form: numeric, syndication and partner-id (whose seeded partner ids need escaping).
func newFunnelBundle(t *testing.T, store *models.Store, tenantID string, seed int64) *fuBundle {
	t.Helper()
	fake := funnelfake.New(funnelfake.Options{APIKey: funnelKey})
	t.Cleanup(fake.Close)
	funnelfake.Seed(fake, funnelfake.SeedOptions{Seed: seed, Communities: 3, ProspectsPerCommunity: 60,
		RenewalsPerCommunity: 25, AppointmentsPerCommunity: 55})
	coms := fake.Communities()
	return &fuBundle{
		store: store, fake: fake, coms: coms,
		tenant: funnelTenant(tenantID, fake, coms[0].Numeric(), coms[1].Syndication, coms[2].PartnerForm()),
		runner: syncer.NewRunner(syncer.Config{Store: store, Retry: fastRetry}, zaptest.NewLogger(t, zaptest.Level(zap.WarnLevel))),
	}
}

func funnelTenant(id string, fake *funnelfake.Server, communities ...string) *tenants.Tenant {
	return &tenants.Tenant{
		ID:         id,
		RunTimeout: time.Minute,
		Funnel: &tenants.Funnel{BaseURL: fake.BaseURL(), Auth: tenants.FunnelAuthBasic, CompanyID: fake.CompanyID(),
			Communities: communities, APIKey: tenants.NewSecret(funnelKey)},
	}
}

func (b *fuBundle) sync(t *testing.T) *models.SyncRun {
	t.Helper()
	run, err := b.runner.Run(context.Background(), b.tenant, tenants.JobFunnel)
	if err != nil {
		t.Fatalf("sync: %v", err)
	}
	return run
}

func (b *fuBundle) total() int64 {
	n := int64(len(b.coms))
	for _, c := range b.coms {
		for _, res := range funnelfake.Resources() {
			n += int64(b.fake.Count(c.ID, res))
		}
	}
	return n
}

func TestFunnelSyncEndToEnd(t *testing.T) {
	dbtest.Dialects(t, func(t *testing.T, store *models.Store) {
		b := newFunnelBundle(t, store, "acme", 1)
		total := b.total()

		run := b.sync(t)
		assertFunnelMirrorEqualsFake(t, store, "acme", b.fake)
		assertCounts(t, run, counts{inserted: total, fetched: total})
		if run.Status != models.RunSucceeded {
			t.Fatalf("run status %q", run.Status)
		}
		var details struct {
			Communities map[string]string `json:"communities"`
			Links       *identity.Stats   `json:"links"`
		}
		must(t, json.Unmarshal(run.Details, &details))
		wantDir := map[string]string{}
		for i, form := range b.tenant.Funnel.Communities {
			wantDir[form] = b.coms[i].Numeric()
		}
		if !reflect.DeepEqual(details.Communities, wantDir) || details.Links == nil {
			t.Errorf("details %s", run.Details)
		}

		// Upstream changes: 5 inserts, 3 updates, 2 deletes, spread over the resources and
		// communities.
		a, c := b.coms[0].ID, b.coms[2].ID
		prospects := b.fake.IDs(a, funnelfake.Prospects)
		appts := b.fake.IDs(c, funnelfake.Appointments)
		renewals := b.fake.IDs(c, funnelfake.Renewals)
		b.fake.Insert(a, funnelfake.Prospects, map[string]any{"status": "Prospect", "people": []any{
			map[string]any{"first_name": "New", "email": " New.Person@Example.COM ", "phone_1": "(628) 555-0100"}}, "agents": []string{"x@y.z"}})
		b.fake.Insert(c, funnelfake.Prospects, map[string]any{"funnel_renter_id": "99999", "people": nil, "move_in_date": "2025-09-01T00:00:00"})
		b.fake.Insert(c, funnelfake.Renewals, map[string]any{"funnel_renter_id": prospects[0], "funnel_unit_id": "123", "status": "renewal-review", "offer_rent": "2,100.50"})
		b.fake.Insert(c, funnelfake.Appointments, map[string]any{"date": "2025-07-04", "time": "10:15", "client": nil, "agent": nil})
		b.fake.Insert(b.coms[1].ID, funnelfake.Appointments, map[string]any{"date": "2025-07-05", "client": map[string]any{"id": "7"}})
		must(t, b.fake.Update(a, funnelfake.Prospects, prospects[3], map[string]any{"status": "Applicant", "agents": "a@b.c, d@e.f"}))
		must(t, b.fake.Update(c, funnelfake.Renewals, renewals[1], map[string]any{"status": "notice-given", "offer_rent": nil}))
		must(t, b.fake.UpdateCommunity(b.coms[1].ID, map[string]any{"name": "Renamed Commons"}))
		must(t, b.fake.Delete(a, funnelfake.Prospects, prospects[10]))
		must(t, b.fake.Delete(c, funnelfake.Appointments, appts[2]))

		run = b.sync(t)
		assertFunnelMirrorEqualsFake(t, store, "acme", b.fake)
		assertCounts(t, run, counts{inserted: 5, updated: 3, deleted: 2, fetched: -1}) // deletions cause a second pass
		assertTombstoned(t, store, "funnel_prospects", "acme", prospects[10])
		assertTombstoned(t, store, "funnel_appointments", "acme", appts[2])

		// No upstream change: nothing is rewritten.
		before := funnelRowVersions(t, store, "acme")
		run = b.sync(t)
		assertCounts(t, run, counts{fetched: total + 3})
		if run.Unchanged != total+3 {
			t.Errorf("unchanged = %d, want %d", run.Unchanged, total+3)
		}
		if after := funnelRowVersions(t, store, "acme"); !reflect.DeepEqual(before, after) {
			t.Errorf("an unchanged re-sync rewrote rows (%d row versions differ)", diffCount(before, after))
		}
	})
}

func TestFunnelFailedCommunityTombstonesNothing(t *testing.T) {
	dbtest.Dialects(t, func(t *testing.T, store *models.Store) {
		cases := []struct {
			name string
			// fault breaks part of the next run and returns the tables in which nothing may be
			// tombstoned.
			fault     func(b *fuBundle) []string
			tombstone []string // tables in which the deletion below must be applied
		}{
			{"one community's prospects fail beyond the retries", func(b *fuBundle) []string {
				path := funnelfake.BasePath + "/community/" + b.coms[1].Syndication + "/prospects/"
				b.fake.Faults().Script(func(r *http.Request) bool { return r.URL.Path == path }, fakeapi.FaultServerError, -1)
				return []string{"funnel_prospects"}
			}, []string{"funnel_renewals"}},
			{"a configured community no longer exists", func(b *fuBundle) []string {
				b.tenant.Funnel.Communities = append(b.tenant.Funnel.Communities, "partner-id:gone")
				return []string{"funnel_communities", "funnel_prospects", "funnel_renewals", "funnel_appointments"}
			}, nil},
		}
		for i, tc := range cases {
			t.Run(tc.name, func(t *testing.T) {
				tenant := fmt.Sprintf("t%d", i)
				b := newFunnelBundle(t, store, tenant, 2)
				b.sync(t)
				a := b.coms[0].ID
				must(t, b.fake.Delete(a, funnelfake.Prospects, b.fake.IDs(a, funnelfake.Prospects)[1]))
				must(t, b.fake.Delete(a, funnelfake.Renewals, b.fake.IDs(a, funnelfake.Renewals)[1]))
				added := b.fake.Insert(a, funnelfake.Prospects, map[string]any{"status": "Prospect"})

				frozen := tc.fault(b)
				run, err := b.runner.Run(context.Background(), b.tenant, tenants.JobFunnel)
				if err == nil || run == nil || run.Status != models.RunFailed || run.Error == nil {
					t.Fatalf("run = %+v, %v; want a recorded failure", run, err)
				}
				for _, table := range frozen {
					var n int64
					must(t, dbtest.DB(store).Table(table).Where("tenant_id = ? AND deleted_at IS NOT NULL", tenant).Count(&n).Error)
					if n != 0 {
						t.Errorf("%s: %d rows tombstoned by an incomplete pass", table, n)
					}
				}
				for _, table := range tc.tombstone {
					var n int64
					must(t, dbtest.DB(store).Table(table).Where("tenant_id = ? AND deleted_at IS NOT NULL", tenant).Count(&n).Error)
					if n != 1 {
						t.Errorf("%s: %d rows tombstoned, want 1 (its pass was complete)", table, n)
					}
				}
				// The healthy communities were still pulled.
				var n int64
				must(t, dbtest.DB(store).Table("funnel_prospects").Where("tenant_id = ? AND id = ?", tenant, added).Count(&n).Error)
				if n != 1 {
					t.Error("a prospect added in a healthy community was not stored")
				}
			})
		}
	})
}

// TestIdentityLinksEndToEnd pulls both fakes and checks identity_links exactly on the hard cases.
func TestIdentityLinksEndToEnd(t *testing.T) {
	dbtest.Dialects(t, func(t *testing.T, store *models.Store) {
		ctx := context.Background()
		re := rentenginefake.New(rentenginefake.Options{Token: "tok"})
		t.Cleanup(re.Close)
		fu := funnelfake.New(funnelfake.Options{APIKey: funnelKey})
		t.Cleanup(fu.Close)

		// RentEngine: one person (Maya) as three prospects with messy details, a prospect sharing
		// a phone with two Funnel clients, one matching a co-applicant, one matching only a
		// merged client, and one matching nothing.
		rp := func(name, email, phone string) int64 {
			return re.Insert(rentenginefake.Prospects, map[string]any{"name": name, "email": email, "phone": phone})
		}
		maya1 := rp("Maya Patel", " MAYA.Patel@Example.com ", "(555) 123-4567")
		maya2 := rp("Maya Patel", "", "555-123-4567")
		maya3 := rp("Maya Patel", "maya.patel@example.com", "+15551234567")
		shared := rp("Jo Kim", "", "+15550001111")
		co := rp("Cy Applicant", "co.app@example.com", "")
		merged := rp("Old Dup", "merged@example.com", "")
		nobody := rp("No Match", "nobody@example.com", "+15559990000")

		com := fu.InsertCommunity(map[string]any{"name": "Harbor Point", "syndication_id": "P77-100"}, "hp")
		funnelfake.Seed(fu, funnelfake.SeedOptions{Seed: 3, Contacts: []funnelfake.Contact{
			{Name: "Maya Patel", Email: "maya.patel@example.com ", Phone: "+1 555 123 4567"}}})
		fp := func(status string, people ...map[string]any) int64 {
			ps := make([]any, len(people))
			for i, p := range people {
				ps[i] = p
			}
			return fu.Insert(com, funnelfake.Prospects, map[string]any{"status": status, "people": ps})
		}
		jo := fp("Prospect", map[string]any{"first_name": "Jo", "email": "jo@example.com", "phone_1": "(555) 000-1111"})
		sam := fp("Toured", map[string]any{"first_name": "Sam", "email": nil, "phone_1": nil, "phone_2": "555.000.1111"})
		household := fp("Applicant", map[string]any{"first_name": "Pri", "email": "p@example.com"},
			map[string]any{"first_name": "Cy", "email": "CO.APP@example.com"})
		fp("Client Merged", map[string]any{"email": "merged@example.com"})
		var maya int64
		for id, raw := range fu.All(com, funnelfake.Prospects) {
			if strings.Contains(string(raw), `"maya.patel@example.com "`) {
				maya = id
			}
		}
		if maya == 0 {
			t.Fatal("fixture: the contact did not become a Funnel client")
		}

		tenant := &tenants.Tenant{ID: "acme", RunTimeout: time.Minute,
			RentEngine: &tenants.RentEngine{BaseURL: re.BaseURL(), Token: tenants.NewSecret("tok")},
			Funnel: &tenants.Funnel{BaseURL: fu.BaseURL(), Auth: tenants.FunnelAuthBearer, CompanyID: fu.CompanyID(),
				Communities: []string{"partner-id:hp"}, APIKey: tenants.NewSecret(funnelKey)}}
		runner := syncer.NewRunner(syncer.Config{Store: store, Retry: fastRetry}, zaptest.NewLogger(t, zaptest.Level(zap.WarnLevel)))
		run := func(job tenants.Job) *models.SyncRun {
			t.Helper()
			r, err := runner.Run(ctx, tenant, job)
			if err != nil {
				t.Fatalf("%s: %v", job, err)
			}
			return r
		}
		link := func(p, c int64, on, status string) string { return fmt.Sprintf("%d>%d %s/%s", p, c, on, status) }

		run(tenants.JobRentEngine)
		if got := linkRows(t, store, "acme"); len(got) != 0 {
			t.Errorf("links before any Funnel data: %v", got)
		}
		r := run(tenants.JobFunnel)
		want := []string{
			link(maya1, maya, "both", "linked"), link(maya2, maya, "phone", "linked"), link(maya3, maya, "both", "linked"),
			link(shared, jo, "phone", "ambiguous"), link(shared, sam, "phone", "ambiguous"),
			link(co, household, "email", "linked"),
		}
		sort.Strings(want)
		if got := linkRows(t, store, "acme"); !reflect.DeepEqual(got, want) {
			t.Fatalf("links:\n got  %v\n want %v", got, want)
		}
		var details struct {
			Links identity.Stats `json:"links"`
		}
		must(t, json.Unmarshal(r.Details, &details))
		if details.Links != (identity.Stats{Linked: 4, AmbiguousProspects: 1, AmbiguousLinks: 2, Inserted: 6}) {
			t.Errorf("run details links %+v", details.Links)
		}
		usable, err := identity.UsableLinks(ctx, store, "acme")
		must(t, err)
		var got []int64
		for _, l := range usable {
			got = append(got, l.RentEngineProspectID)
		}
		if !reflect.DeepEqual(got, []int64{maya1, maya2, maya3, co}) {
			t.Errorf("usable links for prospects %v", got)
		}
		for _, p := range []int64{shared, merged, nobody} {
			if _, ok, err := identity.UsableLink(ctx, store, "acme", p); ok || err != nil {
				t.Errorf("prospect %d has a usable link (%v)", p, err)
			}
		}

		// Sam leaves Funnel: the shared phone now names Jo alone. Maya's links are untouched.
		before := linkVersions(t, store)
		must(t, fu.Delete(com, funnelfake.Prospects, sam))
		r = run(tenants.JobFunnel)
		want = []string{
			link(maya1, maya, "both", "linked"), link(maya2, maya, "phone", "linked"), link(maya3, maya, "both", "linked"),
			link(shared, jo, "phone", "linked"), link(co, household, "email", "linked"),
		}
		sort.Strings(want)
		if got := linkRows(t, store, "acme"); !reflect.DeepEqual(got, want) {
			t.Fatalf("links after a Funnel delete:\n got  %v\n want %v", got, want)
		}
		after := linkVersions(t, store)
		for _, p := range []int64{maya1, maya2, maya3, co} {
			k := strconv.FormatInt(p, 10)
			if before[k] != after[k] {
				t.Errorf("the unchanged link of prospect %d was rewritten", p)
			}
		}
		must(t, json.Unmarshal(r.Details, &details))
		if details.Links != (identity.Stats{Linked: 5, Updated: 1, Deleted: 1, Unchanged: 4}) {
			t.Errorf("run details links %+v", details.Links)
		}

		// A RentEngine prospect goes: its link goes with the next RentEngine pull.
		must(t, re.Delete(rentenginefake.Prospects, maya2))
		run(tenants.JobRentEngine)
		if got := linkRows(t, store, "acme"); len(got) != 4 || slicesContains(got, link(maya2, maya, "phone", "linked")) {
			t.Errorf("links after a RentEngine delete: %v", got)
		}
	})
}

func slicesContains(s []string, v string) bool {
	for _, x := range s {
		if x == v {
			return true
		}
	}
	return false
}

func linkRows(t *testing.T, store *models.Store, tenant string) []string {
	t.Helper()
	var rows []models.IdentityLink
	must(t, dbtest.DB(store).Where("tenant_id = ?", tenant).Find(&rows).Error)
	out := []string{}
	for _, r := range rows {
		out = append(out, fmt.Sprintf("%d>%d %s/%s", r.RentEngineProspectID, r.FunnelClientID, r.MatchedOn, r.Status))
	}
	sort.Strings(out)
	return out
}

// linkVersions maps each RentEngine prospect with one link to that row's physical version.
func linkVersions(t *testing.T, store *models.Store) map[string]string {
	t.Helper()
	col := "CAST(computed_at AS TEXT)"
	if store.Dialect() == models.Postgres {
		col = "xmin::text"
	}
	out := map[string]string{}
	rows, err := dbtest.DB(store).Raw("SELECT rentengine_prospect_id, " + col + " FROM identity_links").Rows()
	must(t, err)
	defer rows.Close()
	for rows.Next() {
		var id, v string
		must(t, rows.Scan(&id, &v))
		out[id] += v
	}
	return out
}

// funnelRowVersions identifies every Funnel and link row's physical version: xmin on Postgres,
// synced_at (computed_at for links) on SQLite.
func funnelRowVersions(t *testing.T, store *models.Store, tenant string) map[string]string {
	t.Helper()
	out := map[string]string{}
	for _, table := range []string{"funnel_communities", "funnel_prospects", "funnel_renewals", "funnel_appointments", "identity_links"} {
		id, col := "CAST(id AS TEXT)", "CAST(synced_at AS TEXT)"
		if table == "identity_links" {
			id, col = "CAST(rentengine_prospect_id AS TEXT) || '>' || CAST(funnel_client_id AS TEXT)", "CAST(computed_at AS TEXT)"
		}
		if store.Dialect() == models.Postgres {
			col = "xmin::text"
		}
		rows, err := dbtest.DB(store).Raw("SELECT "+id+", "+col+" FROM "+table+" WHERE tenant_id = ?", tenant).Rows()
		must(t, err)
		for rows.Next() {
			var k, v string
			must(t, rows.Scan(&k, &v))
			out[table+"/"+k] = v
		}
		rows.Close()
	}
	return out
}

func assertFunnelMirrorEqualsFake(t *testing.T, store *models.Store, tenant string, fake *funnelfake.Server) {
	t.Helper()
	diffs, err := mirrortest.FunnelDiff(context.Background(), store, tenant, fake)
	must(t, err)
	for _, d := range diffs {
		t.Error(d)
	}
}

// TestFunnelCommunityConfiguredTwice: two forms of one community (as in config.example.yaml) land
// on the same rows, and its lists are fetched once per run.
func TestFunnelCommunityConfiguredTwice(t *testing.T) {
	dbtest.Dialects(t, func(t *testing.T, store *models.Store) {
		fake := funnelfake.New(funnelfake.Options{APIKey: funnelKey})
		t.Cleanup(fake.Close)
		funnelfake.Seed(fake, funnelfake.SeedOptions{Seed: 4, Communities: 1, ProspectsPerCommunity: 12,
			RenewalsPerCommunity: 3, AppointmentsPerCommunity: 3})
		com := fake.Communities()[0]
		b := &fuBundle{store: store, fake: fake, coms: []funnelfake.CommunityIDs{com},
			tenant: funnelTenant("acme", fake, com.Syndication, com.Numeric(), com.PartnerForm()),
			runner: syncer.NewRunner(syncer.Config{Store: store, Retry: fastRetry}, zaptest.NewLogger(t, zaptest.Level(zap.WarnLevel)))}
		run := b.sync(t)
		assertFunnelMirrorEqualsFake(t, store, "acme", fake)
		if run.Inserted != b.total() {
			t.Errorf("inserted %d, want %d", run.Inserted, b.total())
		}
		lists := 0
		for _, r := range fake.Requests() {
			for _, suffix := range []string{"/prospects/", "/renewals/", "/appointments/booked/"} {
				if strings.HasSuffix(r.Path, suffix) {
					lists++
				}
			}
		}
		if lists != 3 {
			t.Errorf("%d list requests, want one per resource", lists)
		}
	})
}
