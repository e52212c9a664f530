package mirrortest

import (
	"context"
	"encoding/json"
	"fmt"
	"reflect"
	"strconv"
	"strings"
	"time"

	"github.com/syncd-dev/syncd/internal/identity"
	"github.com/syncd-dev/syncd/internal/models"
	"github.com/syncd-dev/syncd/internal/testing/funnelfake"
)

// FunnelDiff compares a tenant's Funnel mirror with the fake's state, over every community the
// fake holds (the tenant is expected to be configured with all of them): live rows must be
// exactly the fake's records (raw JSON and typed columns, each typed column derived here
// independently of the sync code, community ids in their canonical numeric form), and every other
// stored row must be tombstoned. It returns one line per differing row; none means equal.
func FunnelDiff(ctx context.Context, store *models.Store, tenant string, fake *funnelfake.Server) ([]string, error) {
	var diffs []string
	errorf := func(format string, args ...any) { diffs = append(diffs, fmt.Sprintf(format, args...)) }

	type rec struct {
		raw       json.RawMessage
		community string
	}
	var (
		tCommunities  = models.FunnelCommunity{}.TableName()
		tProspects    = models.FunnelProspect{}.TableName()
		tRenewals     = models.FunnelRenewal{}.TableName()
		tAppointments = models.FunnelAppointment{}.TableName()
	)
	tables := []string{tCommunities, tProspects, tRenewals, tAppointments}
	want := map[string]map[string]rec{}
	for _, table := range tables {
		want[table] = map[string]rec{}
	}
	tableOf := map[funnelfake.Resource]string{funnelfake.Prospects: tProspects,
		funnelfake.Renewals: tRenewals, funnelfake.Appointments: tAppointments}
	for _, c := range fake.Communities() {
		raw, _ := fake.CommunityRaw(c.ID)
		want[tCommunities][c.Numeric()] = rec{raw: raw}
		for _, res := range funnelfake.Resources() {
			for id, raw := range fake.All(c.ID, res) {
				want[tableOf[res]][strconv.FormatInt(id, 10)] = rec{raw: raw, community: c.Numeric()}
			}
		}
	}

	got := map[string]map[string]mirrorRow{}
	for _, table := range tables {
		got[table] = map[string]mirrorRow{}
	}
	coms, err := models.TenantRows[models.FunnelCommunity](ctx, store, tenant)
	if err != nil {
		return nil, err
	}
	for _, c := range coms {
		got[tCommunities][c.ID] = mirrorRow{c.Raw, c.DeletedAt != nil, map[string]any{
			"name": Str(c.Name), "syndication_id": Str(c.SyndicationID), "postal_code": Str(c.PostalCode),
			"timezone": Str(c.Timezone), "updated_at": TS(c.SourceUpdatedAt)}}
	}
	prospects, err := models.TenantRows[models.FunnelProspect](ctx, store, tenant)
	if err != nil {
		return nil, err
	}
	for _, p := range prospects {
		got[tProspects][strconv.FormatInt(p.ID, 10)] = mirrorRow{p.Raw, p.DeletedAt != nil, map[string]any{
			"community": p.CommunityID, "status": Str(p.Status), "lead_source": Str(p.LeadSource),
			"move_in_date": date(p.MoveInDate), "first_name": Str(p.FirstName), "last_name": Str(p.LastName),
			"email": Str(p.Email), "phone": Str(p.Phone), "email_normalized": Str(p.EmailNormalized),
			"phone_e164": Str(p.PhoneE164), "agent": Str(p.AgentEmail), "created_at": TS(p.SourceCreatedAt),
			"updated_at": TS(p.SourceUpdatedAt)}}
	}
	renewals, err := models.TenantRows[models.FunnelRenewal](ctx, store, tenant)
	if err != nil {
		return nil, err
	}
	for _, r := range renewals {
		got[tRenewals][strconv.FormatInt(r.ID, 10)] = mirrorRow{r.Raw, r.DeletedAt != nil, map[string]any{
			"community": r.CommunityID, "renter": I64(r.FunnelRenterID), "unit": I64(r.FunnelUnitID),
			"unit_number": Str(r.UnitNumber), "lease_start": date(r.LeaseStart), "lease_end": date(r.LeaseEnd),
			"status": Str(r.Status), "offer_rent": Num(r.OfferRent), "offer_expires_at": TS(r.OfferExpiresAt),
			"updated_at": TS(r.SourceUpdatedAt)}}
	}
	appts, err := models.TenantRows[models.FunnelAppointment](ctx, store, tenant)
	if err != nil {
		return nil, err
	}
	for _, a := range appts {
		got[tAppointments][strconv.FormatInt(a.ID, 10)] = mirrorRow{a.Raw, a.DeletedAt != nil, map[string]any{
			"community": a.CommunityID, "client": I64(a.ClientID), "email": Str(a.Email), "phone": Str(a.Phone),
			"agent_email": Str(a.AgentEmail), "agent_name": Str(a.AgentName), "date": date(a.AppointmentDate),
			"time": Str(a.AppointmentTime)}}
	}

	expect := map[string]func(m map[string]any, community string) map[string]any{
		tCommunities: func(m map[string]any, _ string) map[string]any {
			return map[string]any{"name": JStr(m["name"]), "syndication_id": JStr(m["syndication_id"]),
				"postal_code": JStr(m["postal_code"]), "timezone": JStr(m["timezone"]), "updated_at": naive(m["updated_at"])}
		},
		tProspects: func(m map[string]any, community string) map[string]any {
			p := primaryPerson(m["people"])
			phone := JStr(p["phone_1"])
			if phone == "" {
				phone = JStr(p["phone_2"])
			}
			return map[string]any{"community": community, "status": JStr(m["status"]), "lead_source": JStr(m["lead_source"]),
				"move_in_date": first10(JStr(m["move_in_date"])), "first_name": JStr(p["first_name"]),
				"last_name": JStr(p["last_name"]), "email": JStr(p["email"]), "phone": phone,
				"email_normalized": identity.NormalizeEmail(JStr(p["email"])), "phone_e164": identity.NormalizePhone(phone),
				"agent": firstAgent(m["agents"]), "created_at": naive(m["created_at"]), "updated_at": naive(m["updated_at"])}
		},
		tRenewals: func(m map[string]any, community string) map[string]any {
			return map[string]any{"community": community, "renter": JInt(m["funnel_renter_id"]), "unit": JInt(m["funnel_unit_id"]),
				"unit_number": JStr(m["unit_number"]), "lease_start": first10(JStr(m["lease_start"])),
				"lease_end": first10(JStr(m["lease_end"])), "status": JStr(m["status"]), "offer_rent": JNum(m["offer_rent"]),
				"offer_expires_at": naive(m["offer_expires_at"]), "updated_at": naive(m["updated_at"])}
		},
		tAppointments: func(m map[string]any, community string) map[string]any {
			c, _ := m["client"].(map[string]any)
			a, _ := m["agent"].(map[string]any)
			return map[string]any{"community": community, "client": JInt(c["id"]), "email": JStr(c["email"]),
				"phone": JStr(c["phone"]), "agent_email": JStr(a["email"]), "agent_name": JStr(a["name"]),
				"date": first10(JStr(m["date"])), "time": JStr(m["time"])}
		},
	}
	for _, table := range tables {
		live := 0
		for id, r := range got[table] {
			w, ok := want[table][id]
			if r.deleted {
				if ok {
					errorf("%s %s is tombstoned but exists upstream", table, id)
				}
				continue
			}
			live++
			if !ok {
				errorf("%s %s is live in the mirror but gone upstream", table, id)
				continue
			}
			var a, b any
			if err := json.Unmarshal(w.raw, &a); err != nil {
				return nil, err
			}
			if err := json.Unmarshal(r.raw, &b); err != nil {
				errorf("%s %s raw is not JSON: %s", table, id, r.raw)
				continue
			}
			if !reflect.DeepEqual(a, b) {
				errorf("%s %s raw differs:\n fake   %s\n mirror %s", table, id, w.raw, r.raw)
			}
			if exp := expect[table](a.(map[string]any), w.community); !reflect.DeepEqual(exp, r.typed) {
				errorf("%s %s typed columns differ:\n want %v\n got  %v", table, id, exp, r.typed)
			}
		}
		if live != len(want[table]) {
			errorf("%s: %d live rows, fake has %d", table, live, len(want[table]))
		}
	}
	return diffs, nil
}

// primaryPerson is the person marked is_primary, else the first adult, else the first.
func primaryPerson(v any) map[string]any {
	var people []map[string]any
	switch x := v.(type) {
	case map[string]any:
		people = append(people, x)
	case []any:
		for _, p := range x {
			if m, ok := p.(map[string]any); ok {
				people = append(people, m)
			}
		}
	}
	for _, p := range people {
		if p["is_primary"] == true {
			return p
		}
	}
	for _, p := range people {
		if p["is_minor"] != true {
			return p
		}
	}
	if len(people) > 0 {
		return people[0]
	}
	return map[string]any{}
}

// firstAgent is the first of agents: an array, or a comma-separated string.
func firstAgent(v any) string {
	switch x := v.(type) {
	case string:
		first, _, _ := strings.Cut(x, ",")
		return strings.TrimSpace(first)
	case []any:
		if len(x) > 0 {
			return JStr(x[0])
		}
	}
	return ""
}

// naive reads Funnel's zone-less date-times as UTC.
func naive(v any) string {
	s := JStr(v)
	if s == "" {
		return ""
	}
	tm, err := time.Parse("2006-01-02T15:04:05", s)
	if err != nil {
		return "unparseable:" + s
	}
	return tm.UTC().Format(time.RFC3339Nano)
}

func first10(s string) string {
	if len(s) > 10 {
		return s[:10]
	}
	return s
}

func date(d *models.Date) string {
	if d == nil {
		return ""
	}
	return string(*d)
}
