package models_test

import (
	"database/sql"
	"encoding/json"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/syncd-dev/syncd/internal/contract"
	"github.com/syncd-dev/syncd/internal/models"
	"github.com/syncd-dev/syncd/internal/testing/dbtest"
)

// The analysts' views of migration 00007, on both databases: each test writes rows into the
// tables and reads every column of every row of a view.

var viewBase = time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)

// hour is viewBase plus n hours.
func hour(n int) time.Time { return viewBase.Add(time.Duration(n) * time.Hour) }

func ptr[T any](v T) *T { return &v }

// sysAt are the system columns of a mirror row of tenant, tombstoned when deleted.
func sysAt(tenant string, deleted bool) models.System {
	s := models.System{TenantID: tenant, Raw: models.JSON(`{}`), ContentHash: "h", FirstSeenAt: viewBase, SyncedAt: viewBase}
	if deleted {
		s.DeletedAt = ptr(hour(100))
	}
	return s
}

// insert writes rows with GORM as they are (no upsert logic), failing the test on error.
func insert(t *testing.T, store *models.Store, rows ...any) {
	t.Helper()
	for _, r := range rows {
		if err := dbtest.DB(store).Create(r).Error; err != nil {
			t.Fatalf("insert %T: %v", r, err)
		}
	}
}

// when is a nullable time scanned from either driver: a time.Time, or the text SQLite returns
// for a computed view column (min, max), which declares no type.
type when struct{ t *time.Time }

func at(t time.Time) when { return when{&t} }

func (w *when) Scan(v any) error {
	w.t = nil
	var s string
	switch x := v.(type) {
	case nil:
		return nil
	case time.Time:
		u := x.UTC()
		w.t = &u
		return nil
	case string:
		s = x
	case []byte:
		s = string(x)
	default:
		return fmt.Errorf("scan time from %T", v)
	}
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02 15:04:05.999999999-07:00", "2006-01-02 15:04:05"} {
		if p, err := time.Parse(layout, s); err == nil {
			u := p.UTC()
			w.t = &u
			return nil
		}
	}
	return fmt.Errorf("scan time from %q", s)
}

func (w when) String() string {
	if w.t == nil {
		return "NULL"
	}
	return w.t.Format(time.RFC3339)
}

// jsonDoc is a JSON column decoded, so that jsonb's formatting and SQLite's text compare equal.
type jsonDoc struct{ v any }

func (j *jsonDoc) Scan(v any) error {
	j.v = nil
	var b []byte
	switch x := v.(type) {
	case nil:
		return nil
	case string:
		b = []byte(x)
	case []byte:
		b = x
	default:
		return fmt.Errorf("scan JSON from %T", v)
	}
	return json.Unmarshal(b, &j.v)
}

func doc(s string) jsonDoc {
	var j jsonDoc
	if err := j.Scan(s); err != nil {
		panic(err)
	}
	return j
}

// readView runs query (a SELECT * of a view), checks that its columns are exactly cols, in
// order, and scans each row into the fields fields returns for a fresh T: every column of every
// row is read, and a column added to the view fails the test until the test reads it too.
func readView[T any](t *testing.T, store *models.Store, query string, cols []string, fields func(*T) []any) []T {
	t.Helper()
	rows, err := dbtest.DB(store).Raw(query).Rows()
	if err != nil {
		t.Fatalf("%s: %v", query, err)
	}
	defer rows.Close()
	got, err := rows.Columns()
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(got, cols) {
		t.Fatalf("%s: columns\n  %v\nwant\n  %v", query, got, cols)
	}
	var out []T
	for rows.Next() {
		var r T
		if err := rows.Scan(fields(&r)...); err != nil {
			t.Fatalf("%s: row %d: %v", query, len(out)+1, err)
		}
		out = append(out, r)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

// compareRows reports each row that differs, field by field.
func compareRows[T any](t *testing.T, view string, got, want []T, key func(T) string) {
	t.Helper()
	if len(got) != len(want) {
		t.Errorf("%s: %d rows, want %d", view, len(got), len(want))
		for _, r := range got {
			t.Logf("  got %s", key(r))
		}
	}
	for i := range min(len(got), len(want)) {
		g, w := reflect.ValueOf(got[i]), reflect.ValueOf(want[i])
		for f := range g.NumField() {
			if !reflect.DeepEqual(g.Field(f).Interface(), w.Field(f).Interface()) {
				t.Errorf("%s row %s: %s = %s, want %s", view, key(want[i]), g.Type().Field(f).Name,
					show(g.Field(f).Interface()), show(w.Field(f).Interface()))
			}
		}
	}
}

func show(v any) string {
	rv := reflect.ValueOf(v)
	if rv.Kind() == reflect.Pointer {
		if rv.IsNil() {
			return "NULL"
		}
		return fmt.Sprintf("%v", rv.Elem().Interface())
	}
	return fmt.Sprintf("%v", v)
}

// journeyRow is a row of prospect_journey, column for column.
type journeyRow struct {
	Tenant                        string
	Prospect                      int64
	Name, Source                  *string
	CreatedAt                     when
	UnitID                        *int64
	UnitAddress, UnitNumber       *string
	Status, StatusFrom            *string
	FirstEventAt, LatestEventAt   when
	EventCount                    int64
	LinkStatus                    string
	LinkCandidates                int64
	MatchedOn                     *string
	FunnelClient                  *int64
	FunnelCommunity, FunnelStatus *string
	FunnelAgent                   *string
	ScoreTarget                   *string
	PushedScore                   *int64
	ScorePushedAt                 when
	Assignee                      *string
	AssignedAt                    when
	RenewalID                     *int64
	RenewalStatus                 *string
	RenewalLeaseEnd               models.Date
}

var journeyColumns = []string{"tenant_id", "prospect_id", "name", "source", "created_at", "unit_id",
	"unit_address", "unit_number", "status", "status_from", "first_event_at", "latest_event_at",
	"event_count", "link_status", "link_candidates", "matched_on", "funnel_client_id",
	"funnel_community_id", "funnel_status", "funnel_agent_email", "score_target", "pushed_score",
	"score_pushed_at", "assignee_user_id", "assigned_at", "renewal_id", "renewal_status",
	"renewal_lease_end"}

func journeyFields(r *journeyRow) []any {
	return []any{&r.Tenant, &r.Prospect, &r.Name, &r.Source, &r.CreatedAt, &r.UnitID, &r.UnitAddress,
		&r.UnitNumber, &r.Status, &r.StatusFrom, &r.FirstEventAt, &r.LatestEventAt, &r.EventCount,
		&r.LinkStatus, &r.LinkCandidates, &r.MatchedOn, &r.FunnelClient, &r.FunnelCommunity,
		&r.FunnelStatus, &r.FunnelAgent, &r.ScoreTarget, &r.PushedScore, &r.ScorePushedAt, &r.Assignee,
		&r.AssignedAt, &r.RenewalID, &r.RenewalStatus, &r.RenewalLeaseEnd}
}

func readJourney(t *testing.T, store *models.Store) []journeyRow {
	return readView(t, store, "SELECT * FROM prospect_journey ORDER BY tenant_id, prospect_id", journeyColumns, journeyFields)
}

// The prospect_journey fixture (tenant acme, and one globex prospect with acme's ids):
//
//	RentEngine prospect                 identity_links           Funnel client        push_ledger customer_score
//	1 Ann   unit 10, events ──────────── linked (both) ───────── 100 live ─────────── funnel-client:100 pushed 52
//	2 Bo    unit 11 (deleted), no status ┬ ambiguous ──────────── 100                   (not joined)
//	                                      └ ambiguous ──────────── 101 live
//	3 Cy    cy@x.test                     none                                         contact:cy@x.test pushed 10
//	4 Di    +15550000004                  none  ┐ one person (shared phone):            contact:di@x.test pushed 35,
//	5 Di    di@x.test +15550000004        none  ┘ key di@x.test                         contact:+15550000004 never pushed
//	6 Ed    no status, no events ─────── linked (phone) ──────── 102 deleted ───────── funnel-client:102 never pushed
//	7 Fay   deleted ──────────────────── linked ───────────────── 100                   (not in the view)
//	globex 1 Gil  unit 10 (globex has none)  none
//
//	Ann's events: 1h New, 2h Assign u-3, 3h Assign u-7, 4h Showing Scheduled, 5h Log Note,
//	              6h Showing Complete (tombstoned), 7h Assign u-9 (deleted upstream).
//	Bo's events:  1h Showing Desired, 2h Assign to User u-3.
//	Renewals of client 100: 500 signed (lease end 2026-01-31), 501 offered (2027-01-31),
//	502 (2028-01-31, tombstoned); of 101: 503; of 102: 504 pending.
func journeyFixture(t *testing.T, store *models.Store) {
	t.Helper()
	const acme, globex = "acme", "globex"
	insert(t, store,
		&[]models.RentEngineUnit{
			{System: sysAt(acme, false), ID: 10, FormattedAddress: ptr("1 Main St, Springfield"), UnitNumber: ptr("1A")},
			{System: sysAt(acme, true), ID: 11, FormattedAddress: ptr("2 Oak Ave"), UnitNumber: ptr("2B")},
		},
		&[]models.RentEngineProspect{
			{System: sysAt(acme, false), ID: 1, Name: ptr("Ann"), Source: ptr("Zillow"), Status: ptr("Showing Scheduled"),
				UnitID: ptr(int64(10)), EmailNormalized: ptr("ann@x.test"), SourceCreatedAt: ptr(hour(0))},
			{System: sysAt(acme, false), ID: 2, Name: ptr("Bo"), UnitID: ptr(int64(11)), EmailNormalized: ptr("bo@x.test")},
			{System: sysAt(acme, false), ID: 3, Name: ptr("Cy"), Status: ptr("New"), EmailNormalized: ptr("cy@x.test")},
			{System: sysAt(acme, false), ID: 4, Name: ptr("Di"), Status: ptr("Contacted, Awaiting Information"),
				PhoneE164: ptr("+15550000004")},
			{System: sysAt(acme, false), ID: 5, Name: ptr("Di"), Status: ptr("Showing Desired"),
				EmailNormalized: ptr("di@x.test"), PhoneE164: ptr("+15550000004")},
			{System: sysAt(acme, false), ID: 6, Name: ptr("Ed"), PhoneE164: ptr("+15550000006")},
			{System: sysAt(acme, true), ID: 7, Name: ptr("Fay"), Status: ptr("New"), EmailNormalized: ptr("ann@x.test")},
			{System: sysAt(globex, false), ID: 1, Name: ptr("Gil"), Status: ptr("New"), UnitID: ptr(int64(10)),
				EmailNormalized: ptr("cy@x.test")},
		},
		&[]models.RentEngineLeasingEvent{
			{System: sysAt(acme, false), ID: 11, ProspectID: ptr(int64(1)), EventType: ptr("New"), SourceCreatedAt: ptr(hour(1))},
			{System: sysAt(acme, false), ID: 12, ProspectID: ptr(int64(1)), EventType: ptr(contract.EventAssignToUser),
				AssignedUserID: ptr("u-3"), SourceCreatedAt: ptr(hour(2))},
			{System: sysAt(acme, false), ID: 13, ProspectID: ptr(int64(1)), EventType: ptr(contract.EventAssignToUser),
				AssignedUserID: ptr("u-7"), SourceCreatedAt: ptr(hour(3)), Deleted: ptr(false)},
			{System: sysAt(acme, false), ID: 14, ProspectID: ptr(int64(1)), EventType: ptr("Showing Scheduled"), SourceCreatedAt: ptr(hour(4))},
			{System: sysAt(acme, false), ID: 15, ProspectID: ptr(int64(1)), EventType: ptr(contract.EventLogNote), SourceCreatedAt: ptr(hour(5))},
			{System: sysAt(acme, true), ID: 16, ProspectID: ptr(int64(1)), EventType: ptr("Showing Complete"), SourceCreatedAt: ptr(hour(6))},
			{System: sysAt(acme, false), ID: 17, ProspectID: ptr(int64(1)), EventType: ptr(contract.EventAssignToUser),
				AssignedUserID: ptr("u-9"), SourceCreatedAt: ptr(hour(7)), Deleted: ptr(true)},
			{System: sysAt(acme, false), ID: 21, ProspectID: ptr(int64(2)), EventType: ptr("Showing Desired"), SourceCreatedAt: ptr(hour(1))},
			{System: sysAt(acme, false), ID: 22, ProspectID: ptr(int64(2)), EventType: ptr(contract.EventAssignToUser),
				AssignedUserID: ptr("u-3"), SourceCreatedAt: ptr(hour(2))},
		},
		&[]models.FunnelProspect{
			{System: sysAt(acme, false), ID: 100, CommunityID: "1234", Status: ptr("Active"), AgentEmail: ptr("agent@acme.test")},
			{System: sysAt(acme, false), ID: 101, CommunityID: "1234", Status: ptr("Active")},
			{System: sysAt(acme, true), ID: 102, CommunityID: "1234", Status: ptr("Active"), AgentEmail: ptr("gone@acme.test")},
		},
		&[]models.FunnelRenewal{
			{System: sysAt(acme, false), ID: 500, CommunityID: "1234", FunnelRenterID: ptr(int64(100)), Status: ptr("signed"),
				LeaseEnd: ptr(models.Date("2026-01-31"))},
			{System: sysAt(acme, false), ID: 501, CommunityID: "1234", FunnelRenterID: ptr(int64(100)), Status: ptr("offered"),
				LeaseEnd: ptr(models.Date("2027-01-31"))},
			{System: sysAt(acme, true), ID: 502, CommunityID: "1234", FunnelRenterID: ptr(int64(100)), Status: ptr("offered"),
				LeaseEnd: ptr(models.Date("2028-01-31"))},
			{System: sysAt(acme, false), ID: 503, CommunityID: "1234", FunnelRenterID: ptr(int64(101)), Status: ptr("offered")},
			{System: sysAt(acme, false), ID: 504, CommunityID: "1234", FunnelRenterID: ptr(int64(102)), Status: ptr("pending")},
		},
		&[]models.IdentityLink{
			{TenantID: acme, RentEngineProspectID: 1, FunnelClientID: 100, MatchedOn: models.MatchedBoth, Status: models.LinkLinked, ComputedAt: viewBase},
			{TenantID: acme, RentEngineProspectID: 2, FunnelClientID: 100, MatchedOn: models.MatchedEmail, Status: models.LinkAmbiguous, ComputedAt: viewBase},
			{TenantID: acme, RentEngineProspectID: 2, FunnelClientID: 101, MatchedOn: models.MatchedPhone, Status: models.LinkAmbiguous, ComputedAt: viewBase},
			{TenantID: acme, RentEngineProspectID: 6, FunnelClientID: 102, MatchedOn: models.MatchedPhone, Status: models.LinkLinked, ComputedAt: viewBase},
			{TenantID: acme, RentEngineProspectID: 7, FunnelClientID: 100, MatchedOn: models.MatchedEmail, Status: models.LinkLinked, ComputedAt: viewBase},
		},
	)
	score := func(tenant, target string, value int, pushedAt time.Time) models.PushLedger {
		payload := models.JSON(fmt.Sprintf(`{"score_name":"RentEngine","score_value":%d,"maximum_score":100}`, value))
		return models.PushLedger{TenantID: tenant, Kind: models.PushCustomerScore, TargetKey: target, Desired: payload,
			DesiredHash: "d", PushedHash: ptr("d"), Pushed: payload, State: models.PushPushed, Attempts: 1,
			IntentAt: &pushedAt, PushedAt: &pushedAt, CreatedAt: pushedAt, UpdatedAt: pushedAt}
	}
	never := func(tenant, target, state string) models.PushLedger {
		return models.PushLedger{TenantID: tenant, Kind: models.PushCustomerScore, TargetKey: target,
			Desired: models.JSON(`{"score_value":1}`), DesiredHash: "d", State: state, Attempts: 1,
			CreatedAt: viewBase, UpdatedAt: viewBase}
	}
	insert(t, store, &[]models.PushLedger{
		score(acme, "funnel-client:100", 52, hour(8)),
		score(acme, "funnel-client:101", 60, hour(8)),
		score(acme, "contact:cy@x.test", 10, hour(9)),
		score(acme, "contact:di@x.test", 35, hour(10)),
		never(acme, "contact:+15550000004", models.PushFailed),
		never(acme, "funnel-client:102", models.PushPlanned),
		// Another kind with a target that looks like a score's is never read as one.
		{TenantID: acme, Kind: models.PushAssignment, TargetKey: "contact:bo@x.test", Desired: models.JSON(`{}`),
			DesiredHash: "d", PushedHash: ptr("d"), Pushed: models.JSON(`{"score_value":99}`), State: models.PushPushed,
			PushedAt: ptr(hour(11)), CreatedAt: viewBase, UpdatedAt: viewBase},
	})
}

// TestProspectJourney: one row per live prospect of each tenant, with the link status shown and
// ambiguous links not joined, every column of every row as expected.
func TestProspectJourney(t *testing.T) {
	dbtest.Dialects(t, func(t *testing.T, store *models.Store) {
		journeyFixture(t, store)
		want := []journeyRow{
			{Tenant: "acme", Prospect: 1, Name: ptr("Ann"), Source: ptr("Zillow"), CreatedAt: at(hour(0)),
				UnitID: ptr(int64(10)), UnitAddress: ptr("1 Main St, Springfield"), UnitNumber: ptr("1A"),
				Status: ptr("Showing Scheduled"), StatusFrom: ptr("prospect"),
				FirstEventAt: at(hour(1)), LatestEventAt: at(hour(5)), EventCount: 5,
				LinkStatus: "linked", LinkCandidates: 1, MatchedOn: ptr("both"), FunnelClient: ptr(int64(100)),
				FunnelCommunity: ptr("1234"), FunnelStatus: ptr("Active"), FunnelAgent: ptr("agent@acme.test"),
				ScoreTarget: ptr("funnel-client:100"), PushedScore: ptr(int64(52)), ScorePushedAt: at(hour(8)),
				Assignee: ptr("u-7"), AssignedAt: at(hour(3)),
				RenewalID: ptr(int64(501)), RenewalStatus: ptr("offered"), RenewalLeaseEnd: "2027-01-31"},
			{Tenant: "acme", Prospect: 2, Name: ptr("Bo"), UnitID: ptr(int64(11)),
				Status: ptr("Showing Desired"), StatusFrom: ptr("leasing_events"),
				FirstEventAt: at(hour(1)), LatestEventAt: at(hour(2)), EventCount: 2,
				LinkStatus: "ambiguous", LinkCandidates: 2,
				Assignee: ptr("u-3"), AssignedAt: at(hour(2))},
			{Tenant: "acme", Prospect: 3, Name: ptr("Cy"), Status: ptr("New"), StatusFrom: ptr("prospect"),
				LinkStatus: "none", ScoreTarget: ptr("contact:cy@x.test"), PushedScore: ptr(int64(10)), ScorePushedAt: at(hour(9))},
			{Tenant: "acme", Prospect: 4, Name: ptr("Di"), Status: ptr("Contacted, Awaiting Information"), StatusFrom: ptr("prospect"),
				LinkStatus: "none", ScoreTarget: ptr("contact:di@x.test"), PushedScore: ptr(int64(35)), ScorePushedAt: at(hour(10))},
			{Tenant: "acme", Prospect: 5, Name: ptr("Di"), Status: ptr("Showing Desired"), StatusFrom: ptr("prospect"),
				LinkStatus: "none", ScoreTarget: ptr("contact:di@x.test"), PushedScore: ptr(int64(35)), ScorePushedAt: at(hour(10))},
			{Tenant: "acme", Prospect: 6, Name: ptr("Ed"), LinkStatus: "linked", LinkCandidates: 1, MatchedOn: ptr("phone"),
				FunnelClient: ptr(int64(102)), RenewalID: ptr(int64(504)), RenewalStatus: ptr("pending")},
			{Tenant: "globex", Prospect: 1, Name: ptr("Gil"), UnitID: ptr(int64(10)), Status: ptr("New"), StatusFrom: ptr("prospect"),
				LinkStatus: "none"},
		}
		compareRows(t, "prospect_journey", readJourney(t, store), want, func(r journeyRow) string {
			return fmt.Sprintf("%s/%d", r.Tenant, r.Prospect)
		})
	})
}

// TestProspectJourneyStatus: a prospect whose record carries no status takes the type of its
// latest live event that changes a status, exactly as the pushes derive it: each of
// contract.NonStatusEventTypes is passed over (so the list in the view's SQL cannot drift from
// the Go one unnoticed), and so are events marked deleted upstream and tombstoned ones; a type
// syncd does not know is a status; events at the same time are ordered by id.
func TestProspectJourneyStatus(t *testing.T) {
	dbtest.Dialects(t, func(t *testing.T, store *models.Store) {
		type later struct {
			eventType       string
			deleted, gone   bool
			sameTimeAsFirst bool
		}
		cases := []struct {
			name  string
			later later
			want  string
		}{
			{"deleted upstream", later{eventType: "Application Received", deleted: true}, "Showing Complete"},
			{"tombstoned", later{eventType: "Application Received", gone: true}, "Showing Complete"},
			{"unknown type", later{eventType: "Brand New Stage"}, "Brand New Stage"},
			{"same time, higher id", later{eventType: "Application Received", sameTimeAsFirst: true}, "Application Received"},
		}
		for _, typ := range contract.NonStatusEventTypes {
			cases = append(cases, struct {
				name  string
				later later
				want  string
			}{typ, later{eventType: typ}, "Showing Complete"})
		}
		want := map[int64]string{}
		for i, c := range cases {
			id := int64(i + 1)
			second := hour(2)
			if c.later.sameTimeAsFirst {
				second = hour(1)
			}
			insert(t, store,
				&models.RentEngineProspect{System: sysAt("acme", false), ID: id, Name: ptr(c.name)},
				&models.RentEngineLeasingEvent{System: sysAt("acme", false), ID: 2 * id, ProspectID: &id,
					EventType: ptr("Showing Complete"), SourceCreatedAt: ptr(hour(1))},
				&models.RentEngineLeasingEvent{System: sysAt("acme", c.later.gone), ID: 2*id + 1, ProspectID: &id,
					EventType: ptr(c.later.eventType), Deleted: ptr(c.later.deleted), SourceCreatedAt: &second},
			)
			want[id] = c.want
		}
		rows := readJourney(t, store)
		if len(rows) != len(cases) {
			t.Fatalf("%d rows, want %d", len(rows), len(cases))
		}
		for _, r := range rows {
			c := cases[r.Prospect-1]
			if r.Status == nil || *r.Status != want[r.Prospect] || r.StatusFrom == nil || *r.StatusFrom != "leasing_events" {
				t.Errorf("%s: status %s from %s, want %q from leasing_events", c.name, show(r.Status), show(r.StatusFrom), want[r.Prospect])
			}
		}
	})
}

// pipelineRow is a row of renewal_pipeline, column for column.
type pipelineRow struct {
	Tenant                  string
	Renewal                 int64
	Community               string
	CommunityName           *string
	Renter                  *int64
	RenterFirst, RenterLast *string
	Unit                    *int64
	UnitNumber              *string
	LeaseStart, LeaseEnd    models.Date
	Status                  *string
	OfferRent               *float64
	OfferExpiresAt          when
	CardTarget, CardState   *string
	Card                    jsonDoc
	CardHeader              *string
	CardShown               *bool
	CardPushedAt            when
	CardLastError           *string
}

// TestRenewalPipeline: every live renewal, with its community and renter when live, and the card
// last pushed under its target <community>/<renter>/<unit> of its own tenant.
func TestRenewalPipeline(t *testing.T) {
	dbtest.Dialects(t, func(t *testing.T, store *models.Store) {
		const acme, globex = "acme", "globex"
		card := func(tenant, target, state, pushed string, pushedAt *time.Time, lastError *string) models.PushLedger {
			var p models.JSON
			var hash *string
			if pushed != "" {
				p, hash = models.JSON(pushed), ptr("p")
			}
			return models.PushLedger{TenantID: tenant, Kind: models.PushRenewalStatus, TargetKey: target,
				Desired: models.JSON(`{}`), DesiredHash: "d", PushedHash: hash, Pushed: p, State: state, Attempts: 2,
				LastError: lastError, PushedAt: pushedAt, CreatedAt: viewBase, UpdatedAt: viewBase}
		}
		insert(t, store,
			&[]models.FunnelCommunity{
				{System: sysAt(acme, false), ID: "1234", Name: ptr("Maple Court")},
				{System: sysAt(acme, true), ID: "77", Name: ptr("Gone Gardens")},
				{System: sysAt(globex, false), ID: "1234", Name: ptr("Globex Towers")},
			},
			&[]models.FunnelProspect{
				{System: sysAt(acme, false), ID: 100, CommunityID: "1234", FirstName: ptr("Ann"), LastName: ptr("Lee")},
				{System: sysAt(acme, true), ID: 101, CommunityID: "77", FirstName: ptr("Old"), LastName: ptr("Client")},
			},
			&[]models.FunnelRenewal{
				{System: sysAt(acme, false), ID: 500, CommunityID: "1234", FunnelRenterID: ptr(int64(100)), FunnelUnitID: ptr(int64(9000)),
					UnitNumber: ptr("4B"), LeaseStart: ptr(models.Date("2025-02-01")), LeaseEnd: ptr(models.Date("2026-01-31")),
					Status: ptr("offered"), OfferRent: ptr(1825.5), OfferExpiresAt: ptr(hour(48))},
				{System: sysAt(acme, false), ID: 501, CommunityID: "1234", FunnelRenterID: ptr(int64(100)), FunnelUnitID: ptr(int64(9001)),
					Status: ptr("declined")},
				{System: sysAt(acme, false), ID: 502, CommunityID: "77", FunnelRenterID: ptr(int64(101)), FunnelUnitID: ptr(int64(9002)),
					Status: ptr("notice-given")},
				{System: sysAt(acme, false), ID: 503, CommunityID: "1234", FunnelUnitID: ptr(int64(9003)), Status: ptr("offered")},
				{System: sysAt(acme, true), ID: 504, CommunityID: "1234", FunnelRenterID: ptr(int64(100)), FunnelUnitID: ptr(int64(9004))},
				{System: sysAt(globex, false), ID: 500, CommunityID: "1234", FunnelRenterID: ptr(int64(100)), FunnelUnitID: ptr(int64(9000)),
					Status: ptr("signed")},
			},
			&[]models.PushLedger{
				card(acme, "1234/100/9000", models.PushPushed,
					`{"renewal_card_status": true, "renewal_header": "Your renewal offer", "renewal_body": "$1,825.50 until March 3"}`,
					ptr(hour(5)), nil),
				card(acme, "1234/100/9001", models.PushFailed, `{"renewal_card_status": false}`, ptr(hour(3)),
					ptr("PUT /community/1234/renters/100/units/9001/renewal-status/: 500 Internal Server Error")),
				card(globex, "1234/100/9000", models.PushPushed, `{"renewal_header": "Globex card"}`, ptr(hour(6)), nil),
			},
		)
		want := []pipelineRow{
			{Tenant: acme, Renewal: 500, Community: "1234", CommunityName: ptr("Maple Court"), Renter: ptr(int64(100)),
				RenterFirst: ptr("Ann"), RenterLast: ptr("Lee"), Unit: ptr(int64(9000)), UnitNumber: ptr("4B"),
				LeaseStart: "2025-02-01", LeaseEnd: "2026-01-31", Status: ptr("offered"), OfferRent: ptr(1825.5),
				OfferExpiresAt: at(hour(48)), CardTarget: ptr("1234/100/9000"), CardState: ptr("pushed"),
				Card:       doc(`{"renewal_card_status":true,"renewal_header":"Your renewal offer","renewal_body":"$1,825.50 until March 3"}`),
				CardHeader: ptr("Your renewal offer"), CardShown: ptr(true), CardPushedAt: at(hour(5))},
			{Tenant: acme, Renewal: 501, Community: "1234", CommunityName: ptr("Maple Court"), Renter: ptr(int64(100)),
				RenterFirst: ptr("Ann"), RenterLast: ptr("Lee"), Unit: ptr(int64(9001)), Status: ptr("declined"),
				CardTarget: ptr("1234/100/9001"), CardState: ptr("failed"), Card: doc(`{"renewal_card_status":false}`),
				CardShown: ptr(false), CardPushedAt: at(hour(3)),
				CardLastError: ptr("PUT /community/1234/renters/100/units/9001/renewal-status/: 500 Internal Server Error")},
			{Tenant: acme, Renewal: 502, Community: "77", Renter: ptr(int64(101)), Unit: ptr(int64(9002)), Status: ptr("notice-given")},
			{Tenant: acme, Renewal: 503, Community: "1234", CommunityName: ptr("Maple Court"), Unit: ptr(int64(9003)), Status: ptr("offered")},
			{Tenant: globex, Renewal: 500, Community: "1234", CommunityName: ptr("Globex Towers"), Renter: ptr(int64(100)),
				Unit: ptr(int64(9000)), Status: ptr("signed"), CardTarget: ptr("1234/100/9000"), CardState: ptr("pushed"),
				Card: doc(`{"renewal_header":"Globex card"}`), CardHeader: ptr("Globex card"), CardPushedAt: at(hour(6))},
		}
		got := readView(t, store, "SELECT * FROM renewal_pipeline ORDER BY tenant_id, renewal_id",
			[]string{"tenant_id", "renewal_id", "community_id", "community_name", "funnel_renter_id", "renter_first_name",
				"renter_last_name", "funnel_unit_id", "unit_number", "lease_start", "lease_end", "status", "offer_rent",
				"offer_expires_at", "card_target", "card_state", "card", "card_header", "card_shown", "card_pushed_at",
				"card_last_error"},
			func(r *pipelineRow) []any {
				return []any{&r.Tenant, &r.Renewal, &r.Community, &r.CommunityName, &r.Renter, &r.RenterFirst, &r.RenterLast,
					&r.Unit, &r.UnitNumber, &r.LeaseStart, &r.LeaseEnd, &r.Status, &r.OfferRent, &r.OfferExpiresAt,
					&r.CardTarget, &r.CardState, &r.Card, &r.CardHeader, &r.CardShown, &r.CardPushedAt, &r.CardLastError}
			})
		compareRows(t, "renewal_pipeline", got, want, func(r pipelineRow) string { return fmt.Sprintf("%s/%d", r.Tenant, r.Renewal) })
	})
}

// healthRow is a row of sync_health, column for column.
type healthRow struct {
	Tenant, Job, RunID, Status string
	StartedAt, FinishedAt      when
	AgeSeconds                 int64
	LastSucceededAt            when
	Pages, Fetched, Inserted   int64
	Updated, Unchanged         int64
	Deleted, BadRecords        int64
	Retries                    int64
	Error                      *string
}

// TestSyncHealth: the latest run of each tenant and job (whatever its status), its age at query
// time, and when the job last succeeded.
func TestSyncHealth(t *testing.T) {
	dbtest.Dialects(t, func(t *testing.T, store *models.Store) {
		now := time.Now().UTC().Truncate(time.Second)
		ago := func(d time.Duration) *time.Time { return ptr(now.Add(-d)) }
		run := func(id, tenant, job, status string, started time.Duration, finished *time.Time, fetched int64, err *string) *models.SyncRun {
			return &models.SyncRun{RunID: id, TenantID: tenant, Job: job, StartedAt: now.Add(-started), FinishedAt: finished,
				Status: status, Pages: fetched / 10, Fetched: fetched, Inserted: 1, Updated: 2, Unchanged: fetched - 3,
				Deleted: 0, BadRecords: 1, Retries: 4, Error: err, Host: "h", Process: "p"}
		}
		// Inserted in start order, as the runner does: ids follow starts.
		insert(t, store,
			run("r1", "acme", "rentengine", models.RunSucceeded, 3*time.Hour, ago(170*time.Minute), 100, nil),
			run("r2", "globex", "rentengine", models.RunSucceeded, 2*time.Hour, ago(110*time.Minute), 30, nil),
			run("r3", "acme", "rentengine", models.RunFailed, time.Hour, ago(50*time.Minute), 20, ptr("credentials rejected: 401")),
			run("r4", "acme", "funnel", models.RunRunning, 10*time.Minute, nil, 0, nil),
		)
		got := readView(t, store, "SELECT * FROM sync_health ORDER BY tenant_id, job",
			[]string{"tenant_id", "job", "run_id", "status", "started_at", "finished_at", "age_seconds", "last_succeeded_at",
				"pages", "fetched", "inserted", "updated", "unchanged", "deleted", "bad_records", "retries", "error"},
			func(r *healthRow) []any {
				return []any{&r.Tenant, &r.Job, &r.RunID, &r.Status, &r.StartedAt, &r.FinishedAt, &r.AgeSeconds,
					&r.LastSucceededAt, &r.Pages, &r.Fetched, &r.Inserted, &r.Updated, &r.Unchanged, &r.Deleted,
					&r.BadRecords, &r.Retries, &r.Error}
			})
		// The age is read against the database's clock a moment after now: at least the
		// expected seconds, and not much more.
		ages := map[string]int64{"r3": 50 * 60, "r4": 10 * 60, "r2": 110 * 60}
		for i := range got {
			want := ages[got[i].RunID]
			if a := got[i].AgeSeconds; a < want-2 || a > want+120 {
				t.Errorf("%s/%s: age_seconds %d, want about %d", got[i].Tenant, got[i].Job, a, want)
			}
			got[i].AgeSeconds = want
		}
		row := func(r *models.SyncRun, age int64, lastOK *time.Time) healthRow {
			h := healthRow{Tenant: r.TenantID, Job: r.Job, RunID: r.RunID, Status: r.Status, StartedAt: at(r.StartedAt),
				AgeSeconds: age, Pages: r.Pages, Fetched: r.Fetched, Inserted: r.Inserted, Updated: r.Updated,
				Unchanged: r.Unchanged, Deleted: r.Deleted, BadRecords: r.BadRecords, Retries: r.Retries, Error: r.Error}
			if r.FinishedAt != nil {
				h.FinishedAt = at(*r.FinishedAt)
			}
			if lastOK != nil {
				h.LastSucceededAt = at(*lastOK)
			}
			return h
		}
		want := []healthRow{
			row(run("r4", "acme", "funnel", models.RunRunning, 10*time.Minute, nil, 0, nil), 10*60, nil),
			row(run("r3", "acme", "rentengine", models.RunFailed, time.Hour, ago(50*time.Minute), 20, ptr("credentials rejected: 401")),
				50*60, ago(170*time.Minute)),
			row(run("r2", "globex", "rentengine", models.RunSucceeded, 2*time.Hour, ago(110*time.Minute), 30, nil),
				110*60, ago(110*time.Minute)),
		}
		compareRows(t, "sync_health", got, want, func(r healthRow) string { return r.Tenant + "/" + r.Job })
	})
}

// TestCurrentViews: every mirrored table (every table with a deleted_at tombstone, read from
// the catalog) has a <table>_current view, and the view returns exactly the table's rows with
// deleted_at IS NULL, every column of them.
func TestCurrentViews(t *testing.T) {
	dbtest.Dialects(t, func(t *testing.T, store *models.Store) {
		for _, tenant := range []string{"acme", "globex"} {
			for i, deleted := range []bool{false, true, false} {
				id := int64(i + 1)
				s := sysAt(tenant, deleted)
				s.Raw = models.JSON(fmt.Sprintf(`{"id":%d,"tenant":%q}`, id, tenant))
				if deleted {
					s.DeletedVersion = ptr(hour(99))
				}
				insert(t, store,
					&models.RentEngineUnit{System: s, ID: id, Status: ptr("active"), Rent: ptr(1999.99), Bedrooms: ptr(2.5),
						IsOccupied: ptr(true), SourceCreatedAt: ptr(hour(1))},
					&models.RentEngineProspect{System: s, ID: id, Name: ptr("P"), UnitID: ptr(id), SourceUpdatedAt: ptr(hour(2))},
					&models.RentEngineLeasingEvent{System: s, ID: id, ProspectID: ptr(id), EventType: ptr("New"), Deleted: ptr(false),
						PlannedAt: ptr(hour(3))},
					&models.FunnelCommunity{System: s, ID: fmt.Sprint(id), Name: ptr("C"), Timezone: ptr("America/Chicago")},
					&models.FunnelProspect{System: s, ID: id, CommunityID: "1", MoveInDate: ptr(models.Date("2026-05-01")),
						FirstName: ptr("F")},
					&models.FunnelRenewal{System: s, ID: id, CommunityID: "1", OfferRent: ptr(1500.0), LeaseEnd: ptr(models.Date("2026-12-31"))},
					&models.FunnelAppointment{System: s, ID: id, CommunityID: "1", AppointmentDate: ptr(models.Date("2026-04-02")),
						AppointmentTime: ptr("14:30")},
					&models.FunnelFluxFunnelGroup{System: s, ID: fmt.Sprint(id), Name: ptr("G")},
					&models.FunnelFluxFunnel{System: s, ID: fmt.Sprint(id), Name: ptr("F"), FunnelGroupID: ptr("1")},
					&models.FunnelFluxTrafficSource{System: s, ID: fmt.Sprint(id), Name: ptr("T"), CategoryID: ptr("c")},
					&models.FunnelFluxDailyStat{System: s, ID: models.StatsID("2026-04-02", fmt.Sprint(id), "1"),
						Date: "2026-04-02", FunnelID: fmt.Sprint(id), TrafficSourceID: "1", Timezone: "UTC",
						Entrances: 10, Conversions: 1, Revenue: 12.5, Cost: 3.25, Profit: 9.25},
				)
			}
		}
		rels := catalog(t, store)
		tables := mirrorTables(rels)
		if len(tables) != 11 {
			t.Errorf("mirrored tables (with deleted_at) %v: expected the 11 of RentEngine, Funnel and FunnelFlux", tables)
		}
		var views []string
		for _, r := range rels {
			if r.View && strings.HasSuffix(r.Name, "_current") {
				views = append(views, r.Name)
			}
		}
		var want []string
		for _, tbl := range tables {
			want = append(want, tbl+"_current")
		}
		if !slices.Equal(views, want) {
			t.Errorf("_current views %v, want one per mirrored table: %v", views, want)
		}
		for _, tbl := range tables {
			if find(rels, tbl+"_current") == nil {
				continue
			}
			order := " ORDER BY tenant_id, id"
			viewCols, viewRows := readAll(t, store, "SELECT * FROM "+tbl+"_current"+order)
			tableCols, tableRows := readAll(t, store, "SELECT * FROM "+tbl+" WHERE deleted_at IS NULL"+order)
			if !slices.Equal(viewCols, tableCols) {
				t.Errorf("%s_current columns %v, table columns %v", tbl, viewCols, tableCols)
				continue
			}
			if len(viewRows) != 4 || !reflect.DeepEqual(viewRows, tableRows) {
				t.Errorf("%s_current:\n  %v\nwant the 4 live rows of %s:\n  %v", tbl, viewRows, tbl, tableRows)
			}
		}
	})
}

// readAll returns a query's columns and rows, each value as the driver returns it.
func readAll(t *testing.T, store *models.Store, query string) ([]string, [][]any) {
	t.Helper()
	rows, err := dbtest.DB(store).Raw(query).Rows()
	if err != nil {
		t.Fatalf("%s: %v", query, err)
	}
	defer rows.Close()
	cols, err := rows.Columns()
	if err != nil {
		t.Fatal(err)
	}
	var out [][]any
	for rows.Next() {
		vals := make([]any, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		if err := rows.Scan(ptrs...); err != nil {
			t.Fatalf("%s: %v", query, err)
		}
		for i, v := range vals {
			if b, ok := v.([]byte); ok {
				vals[i] = string(b) // the driver may reuse the buffer
			}
		}
		out = append(out, vals)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return cols, out
}

// TestViewsAreSecurityInvoker: every Postgres view runs with the privileges, and so under the
// row-level security, of whoever queries it (read from pg_class.reloptions).
func TestViewsAreSecurityInvoker(t *testing.T) {
	rels := postgresCatalog(t, dbtest.Postgres(t))
	n := 0
	for _, r := range rels {
		if !r.View {
			continue
		}
		n++
		if !slices.Contains(r.Options, "security_invoker=true") {
			t.Errorf("view %s is not security_invoker (options %v): create it WITH (security_invoker = true)", r.Name, r.Options)
		}
	}
	if n == 0 {
		t.Fatal("no views found")
	}
}

var _ sql.Scanner = (*when)(nil)
