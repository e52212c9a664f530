package identity_test

import (
	"context"
	"encoding/json"
	"fmt"
	"reflect"
	"sort"
	"testing"
	"time"

	"github.com/syncd-dev/syncd/internal/identity"
	"github.com/syncd-dev/syncd/internal/models"
	"github.com/syncd-dev/syncd/internal/testing/dbtest"
)

// mirror writes mirror rows the way the pull jobs do.
type mirror struct {
	t      *testing.T
	store  *models.Store
	tenant string
	now    time.Time
}

func (m mirror) prospect(id int64, email, phone string) {
	m.t.Helper()
	raw, _ := json.Marshal(map[string]any{"id": id, "email": email, "phone": phone})
	row := models.RentEngineProspect{ID: id, System: models.System{Raw: raw, ContentHash: models.HashRaw(raw)},
		EmailNormalized: opt(identity.NormalizeEmail(email)), PhoneE164: opt(identity.NormalizePhone(phone))}
	if _, err := models.UpsertPage[int64](context.Background(), m.store, m.tenant, models.Origin{}, []models.RentEngineProspect{row}, m.now); err != nil {
		m.t.Fatal(err)
	}
}

// client stores a Funnel client whose people have the given e-mail/phone pairs.
func (m mirror) client(id int64, status string, people ...[2]string) {
	m.t.Helper()
	var ps []map[string]any
	for _, p := range people {
		ps = append(ps, map[string]any{"email": p[0], "phone_1": p[1]})
	}
	raw, _ := json.Marshal(map[string]any{"funnel_renter_id": id, "status": status, "people": ps})
	row := models.FunnelProspect{ID: id, CommunityID: "1", Status: &status,
		System: models.System{Raw: raw, ContentHash: models.HashRaw(raw)}}
	if _, err := models.UpsertPage[int64](context.Background(), m.store, m.tenant, models.Origin{}, []models.FunnelProspect{row}, m.now); err != nil {
		m.t.Fatal(err)
	}
}

func (m mirror) tombstone(table string, id int64) {
	m.t.Helper()
	tombstone := map[string]func(context.Context, *models.Store, string, models.Origin, []int64, time.Time) (int64, error){
		models.RentEngineProspect{}.TableName(): models.Tombstone[int64, models.RentEngineProspect],
		models.FunnelProspect{}.TableName():     models.Tombstone[int64, models.FunnelProspect],
	}[table]
	if tombstone == nil {
		m.t.Fatalf("tombstone: no table %s", table)
	}
	if _, err := tombstone(context.Background(), m.store, m.tenant, models.Origin{}, []int64{id}, m.now); err != nil {
		m.t.Fatal(err)
	}
}

func opt(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

// links returns the tenant's links as "prospect>client on/status" lines, sorted.
func links(t *testing.T, store *models.Store, tenant string) ([]string, map[string]time.Time) {
	t.Helper()
	var rows []models.IdentityLink
	if err := dbtest.DB(store).Where("tenant_id = ?", tenant).Find(&rows).Error; err != nil {
		t.Fatal(err)
	}
	var out []string
	at := map[string]time.Time{}
	for _, r := range rows {
		k := fmt.Sprintf("%d>%d %s/%s", r.RentEngineProspectID, r.FunnelClientID, r.MatchedOn, r.Status)
		out = append(out, k)
		at[k] = r.ComputedAt
	}
	sort.Strings(out)
	return out, at
}

func TestRecomputeWritesOnlyTheDifference(t *testing.T) {
	dbtest.Dialects(t, func(t *testing.T, store *models.Store) {
		ctx := context.Background()
		t0 := time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC)
		m := mirror{t: t, store: store, tenant: "acme", now: t0}
		m.client(101, "Prospect", [2]string{"maya@x.com", "(555) 123-4567"})
		m.client(102, "Toured", [2]string{"jo@x.com", "+15550001111"})
		m.client(103, "Prospect", [2]string{"", "555-000-1111"})
		m.client(104, "Client Merged", [2]string{"maya@x.com", ""}) // a merged duplicate never matches
		m.prospect(1, "MAYA@x.com", "")
		m.prospect(2, "", "+15550001111")
		m.prospect(3, "none@x.com", "")
		// Another tenant's rows never link to this tenant's.
		other := m
		other.tenant = "other"
		other.client(101, "Prospect", [2]string{"none@x.com", ""})

		st, err := identity.Recompute(ctx, store, "acme", t0)
		if err != nil {
			t.Fatal(err)
		}
		want := []string{"1>101 email/linked", "2>102 phone/ambiguous", "2>103 phone/ambiguous"}
		got, _ := links(t, store, "acme")
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("links %v, want %v", got, want)
		}
		if st != (identity.Stats{Linked: 1, AmbiguousProspects: 1, AmbiguousLinks: 2, Inserted: 3}) {
			t.Errorf("stats %+v", st)
		}
		usable, err := identity.UsableLinks(ctx, store, "acme")
		if err != nil || len(usable) != 1 || usable[0].RentEngineProspectID != 1 || usable[0].FunnelClientID != 101 {
			t.Errorf("usable links %+v, %v", usable, err)
		}
		if _, ok, err := identity.UsableLink(ctx, store, "acme", 2); ok || err != nil {
			t.Errorf("an ambiguous prospect has a usable link (%v)", err)
		}
		if l, ok, err := identity.UsableLink(ctx, store, "acme", 1); !ok || err != nil || l.FunnelClientID != 101 {
			t.Errorf("UsableLink(1) = %+v, %v, %v", l, ok, err)
		}

		// Nothing changed: nothing is written.
		before := versions(t, store)
		st, err = identity.Recompute(ctx, store, "acme", t0.Add(time.Hour))
		if err != nil {
			t.Fatal(err)
		}
		if st.Unchanged != 3 || st.Inserted+st.Updated+st.Deleted != 0 {
			t.Errorf("unchanged recompute: %+v", st)
		}
		if after := versions(t, store); !reflect.DeepEqual(before, after) {
			t.Errorf("an unchanged recompute rewrote rows: %v -> %v", before, after)
		}

		// Client 103 is deleted upstream: 2 is now linked to 102 alone (an update), the 103
		// candidate goes; prospect 1 gains a phone matching 101 (an update to "both"); prospect
		// 3 is deleted (it had no link); prospect 4 is new.
		t1 := t0.Add(2 * time.Hour)
		m.now = t1
		m.tombstone("funnel_prospects", 103)
		m.tombstone("rentengine_prospects", 3)
		m.prospect(1, "MAYA@x.com", "+1 555 123 4567")
		m.prospect(4, "jo@x.com", "") // new: links to 102 by e-mail
		st, err = identity.Recompute(ctx, store, "acme", t1)
		if err != nil {
			t.Fatal(err)
		}
		want = []string{"1>101 both/linked", "2>102 phone/linked", "4>102 email/linked"}
		got, at := links(t, store, "acme")
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("links %v, want %v", got, want)
		}
		if st != (identity.Stats{Linked: 3, Inserted: 1, Updated: 2, Deleted: 1}) {
			t.Errorf("stats %+v", st)
		}
		for k, v := range at {
			if !v.Equal(t1) {
				t.Errorf("%s computed_at %v, want %v", k, v, t1)
			}
		}
		if got, _ := links(t, store, "other"); len(got) != 0 {
			t.Errorf("other tenant has links %v", got)
		}
	})
}

// versions identifies each link row's physical version: xmin on Postgres, computed_at on SQLite.
func versions(t *testing.T, store *models.Store) map[string]string {
	t.Helper()
	col := "CAST(computed_at AS TEXT)"
	if store.Dialect() == models.Postgres {
		col = "xmin::text"
	}
	rows, err := dbtest.DB(store).Raw("SELECT rentengine_prospect_id, funnel_client_id, " + col + " FROM identity_links").Rows()
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	out := map[string]string{}
	for rows.Next() {
		var p, c int64
		var v string
		if err := rows.Scan(&p, &c, &v); err != nil {
			t.Fatal(err)
		}
		out[fmt.Sprintf("%d>%d", p, c)] = v
	}
	return out
}

// LoadClients splits the mirrored clients into those that take part in matching and those Funnel
// marks merged or deleted; tombstoned rows are in neither.
func TestLoadClients(t *testing.T) {
	dbtest.Dialects(t, func(t *testing.T, store *models.Store) {
		t0 := time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC)
		m := mirror{t: t, store: store, tenant: "acme", now: t0}
		m.client(101, "Prospect", [2]string{"Maya@x.com", "(555) 123-4567"}, [2]string{"co@x.com", ""})
		m.client(102, "Client Merged", [2]string{"maya@x.com", ""})
		m.client(103, "Client Deleted", [2]string{"", "555-000-1111"})
		m.client(104, "Prospect", [2]string{"gone@x.com", ""})
		m.tombstone("funnel_prospects", 104)

		live, gone, err := identity.LoadClients(context.Background(), store, "acme")
		if err != nil {
			t.Fatal(err)
		}
		if !live.Has(101) || live.Has(102) || live.Has(103) || live.Has(104) {
			t.Errorf("live clients wrong: 101 %v 102 %v 103 %v 104 %v", live.Has(101), live.Has(102), live.Has(103), live.Has(104))
		}
		if !gone.Has(102) || !gone.Has(103) || gone.Has(101) || gone.Has(104) {
			t.Errorf("gone clients wrong")
		}
		if e, p, ok := live.Identify(101); !ok || e != "maya@x.com" || p != "" {
			t.Errorf("Identify(101) = %q %q %v; a merged duplicate does not make Maya's e-mail shared", e, p, ok)
		}
		if got := gone.FunnelMatch("", "+15550001111"); !reflect.DeepEqual(got, []int64{103}) {
			t.Errorf("gone.FunnelMatch = %v", got)
		}
	})
}
