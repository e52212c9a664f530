package sync_test

import (
	"context"
	"errors"
	"net/http"
	"reflect"
	"strconv"
	"strings"
	"testing"

	"github.com/syncd-dev/syncd/internal/models"
	syncer "github.com/syncd-dev/syncd/internal/sync"
	"github.com/syncd-dev/syncd/internal/tenants"
	"github.com/syncd-dev/syncd/internal/testing/dbtest"
	"github.com/syncd-dev/syncd/internal/testing/funnelfake"
)

// listRows counts a tenant's rows of each Funnel list table (tombstoned included) and reads the
// community id each row is stored under.
func listRows(t *testing.T, store *models.Store, tenant string) (map[string]int64, map[string]string) {
	t.Helper()
	n := map[string]int64{}
	label := map[string]string{}
	for _, table := range []string{"funnel_prospects", "funnel_renewals", "funnel_appointments"} {
		rows, err := dbtest.DB(store).Raw("SELECT CAST(id AS TEXT), community_id FROM "+table+" WHERE tenant_id = ?", tenant).Rows()
		must(t, err)
		for rows.Next() {
			var id, c string
			must(t, rows.Scan(&id, &c))
			n[table]++
			label[table+"/"+id] = c
		}
		rows.Close()
	}
	return n, label
}

// fakeListCounts is how many records each list table should hold for the fake.
func fakeListCounts(b *fuBundle) map[string]int64 {
	n := map[string]int64{}
	for _, c := range b.coms {
		n["funnel_prospects"] += int64(b.fake.Count(c.ID, funnelfake.Prospects))
		n["funnel_renewals"] += int64(b.fake.Count(c.ID, funnelfake.Renewals))
		n["funnel_appointments"] += int64(b.fake.Count(c.ID, funnelfake.Appointments))
	}
	return n
}

func (b *fuBundle) partial(t *testing.T, resource string) *models.SyncRun {
	t.Helper()
	run, err := b.runner.Run(context.Background(), b.tenant, tenants.JobFunnel)
	var pe *syncer.PartialError
	if !errors.As(err, &pe) || run.Status != models.RunPartial {
		t.Fatalf("run %v, err %v: want partial", run.Status, err)
	}
	if _, ok := pe.Unavailable[resource]; !ok || len(pe.Unavailable) != 1 {
		t.Fatalf("unavailable %v, want only %s", pe.Unavailable, resource)
	}
	return run
}

// With the community detail call switched off from the first run, the lists still land (under
// the id as configured: the numeric form is canonical already, the syndication and partner forms
// are not); once it is back, the community rows appear and the list rows take the canonical id,
// without a duplicate.
func TestFunnelCommunityDetailOffFromTheStart(t *testing.T) {
	dbtest.Dialects(t, func(t *testing.T, store *models.Store) {
		for i, status := range []int{http.StatusNotFound, http.StatusGone} {
			t.Run(http.StatusText(status), func(t *testing.T) {
				tenant := []string{"cd404", "cd410"}[i]
				b := newFunnelBundle(t, store, tenant, int64(60+i))
				b.fake.DisableWith(funnelfake.EndpointCommunity, status)
				run := b.partial(t, "communities")
				if u := run.Unavailable()["communities"]; !strings.Contains(u.Reason, "GET /community/{id}/: ") {
					t.Errorf("reason %q", u.Reason)
				}
				want := fakeListCounts(b)
				got, labels := listRows(t, store, tenant)
				if !reflect.DeepEqual(got, want) {
					t.Fatalf("list rows %v, want %v", got, want)
				}
				if n := dbtest.CountRows(t, store, "funnel_communities", tenant); n != 0 {
					t.Errorf("%d community rows without a detail call", n)
				}
				forms := map[string]bool{}
				for _, l := range labels {
					forms[l] = true
				}
				wantForms := map[string]bool{b.coms[0].Numeric(): true, b.coms[1].Syndication: true, b.coms[2].PartnerForm(): true}
				if !reflect.DeepEqual(forms, wantForms) {
					t.Errorf("rows stored under %v, want the configured ids %v", forms, wantForms)
				}

				// Back on: canonical ids, community rows, no duplicate, nothing tombstoned.
				b.fake.Enable(funnelfake.EndpointCommunity)
				run = b.sync(t)
				if run.Status != models.RunSucceeded {
					t.Fatalf("status %s", run.Status)
				}
				assertFunnelMirrorEqualsFake(t, store, tenant, b.fake)
				if got, _ := listRows(t, store, tenant); !reflect.DeepEqual(got, want) {
					t.Errorf("list rows after the detail call came back %v, want %v", got, want)
				}
				for _, table := range []string{"funnel_prospects", "funnel_renewals", "funnel_appointments"} {
					if n := countWhere(t, store, table, tenant, "deleted_at IS NOT NULL"); n != 0 {
						t.Errorf("%s: %d rows tombstoned", table, n)
					}
				}
				// And the next run finds nothing to change.
				before := funnelRowVersions(t, store, tenant)
				b.sync(t)
				if after := funnelRowVersions(t, store, tenant); !reflect.DeepEqual(before, after) {
					t.Errorf("a run after the relabelling rewrote %d rows", diffCount(before, after))
				}
			})
		}
	})
}

// With the community detail call switched off after a successful run, the lists are pulled
// under the canonical ids learnt before: no row changes its community id, the community rows are
// neither rewritten nor tombstoned, and list changes upstream still land and tombstone.
func TestFunnelCommunityDetailOffLater(t *testing.T) {
	dbtest.Dialects(t, func(t *testing.T, store *models.Store) {
		b := newFunnelBundle(t, store, "later", 70)
		b.sync(t)
		_, labelsBefore := listRows(t, store, "later")
		before := funnelRowVersions(t, store, "later")

		b.fake.Disable(funnelfake.EndpointCommunity)
		a := b.coms[1].ID
		gone := b.fake.IDs(a, funnelfake.Prospects)[3]
		must(t, b.fake.Delete(a, funnelfake.Prospects, gone))
		added := b.fake.Insert(a, funnelfake.Renewals, map[string]any{"status": "offered"})
		for run := 0; run < 2; run++ {
			b.partial(t, "communities")
			assertFunnelMirrorEqualsFake(t, store, "later", b.fake)
		}
		assertTombstoned(t, store, "funnel_prospects", "later", gone)
		_, labelsAfter := listRows(t, store, "later")
		for k, l := range labelsBefore {
			if labelsAfter[k] != l {
				t.Errorf("%s moved from community %q to %q", k, l, labelsAfter[k])
			}
		}
		if l := labelsAfter["funnel_renewals/"+strconv.FormatInt(added, 10)]; l != b.coms[1].Numeric() {
			t.Errorf("a renewal added while the detail call was off is stored under %q, want %q", l, b.coms[1].Numeric())
		}
		after := funnelRowVersions(t, store, "later")
		for k, v := range before {
			if strings.HasPrefix(k, "funnel_communities/") && after[k] != v {
				t.Errorf("%s was rewritten while its detail call was off", k)
			}
		}
		b.fake.Enable(funnelfake.EndpointCommunity)
		b.sync(t)
		assertFunnelMirrorEqualsFake(t, store, "later", b.fake)
	})
}

// A list endpoint switched off is that resource's alone: its rows stay as they were, the other
// lists sync and tombstone; the run is partial.
func TestFunnelListUnavailable(t *testing.T) {
	dbtest.Dialects(t, func(t *testing.T, store *models.Store) {
		b := newFunnelBundle(t, store, "lists", 80)
		b.sync(t)
		a := b.coms[0].ID
		prospect := b.fake.IDs(a, funnelfake.Prospects)[2]
		renewal := b.fake.IDs(a, funnelfake.Renewals)[2]
		must(t, b.fake.Delete(a, funnelfake.Prospects, prospect))
		must(t, b.fake.Delete(a, funnelfake.Renewals, renewal))
		b.fake.Disable(funnelfake.ListEndpoint(funnelfake.Renewals))

		run := b.partial(t, "renewals")
		if r := run.Unavailable()["renewals"].Reason; r != "GET /community/{id}/renewals/: 404 Not Found" {
			t.Errorf("reason %q", r)
		}
		assertTombstoned(t, store, "funnel_prospects", "lists", prospect)
		if n := countWhere(t, store, "funnel_renewals", "lists", "deleted_at IS NOT NULL"); n != 0 {
			t.Errorf("%d renewals tombstoned while their list was unavailable", n)
		}
		b.fake.Enable(funnelfake.ListEndpoint(funnelfake.Renewals))
		b.sync(t)
		assertFunnelMirrorEqualsFake(t, store, "lists", b.fake)
	})
}

// A community Funnel does not know (CommunityNotFound) is a configuration error, not an
// unavailable endpoint: the run fails naming it, whether or not the detail call is available.
func TestFunnelCommunityNotFoundIsAFailure(t *testing.T) {
	dbtest.Dialects(t, func(t *testing.T, store *models.Store) {
		for i, detailOff := range []bool{false, true} {
			b := newFunnelBundle(t, store, []string{"cnf", "cnf-off"}[i], int64(90+i))
			b.tenant.Funnel.Communities = append(b.tenant.Funnel.Communities, "partner-id:gone")
			if detailOff {
				b.fake.Disable(funnelfake.EndpointCommunity)
			}
			run, err := b.runner.Run(context.Background(), b.tenant, tenants.JobFunnel)
			if err == nil || run.Status != models.RunFailed || run.Error == nil ||
				!strings.Contains(*run.Error, "partner-id:gone") || !strings.Contains(*run.Error, "CommunityNotFound") {
				t.Fatalf("detail off %v: run %v, err %v: want a failure naming the community", detailOff, run.Status, err)
			}
			for _, res := range []string{"prospects", "renewals", "appointments"} {
				if _, ok := run.Unavailable()[res]; ok {
					t.Errorf("detail off %v: %s recorded as unavailable", detailOff, res)
				}
			}
			// The known communities were still pulled.
			if got, _ := listRows(t, store, b.tenant.ID); !reflect.DeepEqual(got, fakeListCounts(b)) {
				t.Errorf("detail off %v: list rows %v, want %v", detailOff, got, fakeListCounts(b))
			}
		}
	})
}
