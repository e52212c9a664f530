// Package mirrortest compares the mirror with the fakes' state, record by record. Tests, the
// fault suite and the benchmarks use it to prove convergence.
package mirrortest

import (
	"context"
	"encoding/json"
	"fmt"
	"reflect"
	"slices"

	"github.com/syncd-dev/syncd/internal/identity"
	"github.com/syncd-dev/syncd/internal/models"
	"github.com/syncd-dev/syncd/internal/testing/rentenginefake"
)

// RentEngineDiff compares a tenant's RentEngine mirror with the fake's state: live rows must be
// exactly the fake's records (raw JSON and typed columns, each typed column derived here
// independently of the sync code), and every other stored row must be tombstoned. It returns one
// line per differing row; none means equal.
func RentEngineDiff(ctx context.Context, store *models.Store, tenant string, fake *rentenginefake.Server) ([]string, error) {
	return RentEngineDiffOf(ctx, store, tenant, fake, rentenginefake.Resources()...)
}

// RentEngineDiffOf is RentEngineDiff over the given resources only (for a pull in which the
// others were left alone).
func RentEngineDiffOf(ctx context.Context, store *models.Store, tenant string, fake *rentenginefake.Server, resources ...rentenginefake.Resource) ([]string, error) {
	var diffs []string
	errorf := func(format string, args ...any) { diffs = append(diffs, fmt.Sprintf(format, args...)) }
	units, err := models.TenantRows[models.RentEngineUnit](ctx, store, tenant)
	if err != nil {
		return nil, err
	}
	prospects, err := models.TenantRows[models.RentEngineProspect](ctx, store, tenant)
	if err != nil {
		return nil, err
	}
	events, err := models.TenantRows[models.RentEngineLeasingEvent](ctx, store, tenant)
	if err != nil {
		return nil, err
	}

	check := func(res rentenginefake.Resource, rows map[int64]mirrorRow, expect func(map[string]any) map[string]any) {
		if !slices.Contains(resources, res) {
			return
		}
		want := map[int64]json.RawMessage{}
		for id, raw := range fake.All(res) {
			want[id] = raw
		}
		live := 0
		for id, r := range rows {
			if r.deleted {
				if _, ok := want[id]; ok {
					errorf("%s %d is tombstoned but exists upstream", res, id)
				}
				continue
			}
			live++
			raw, ok := want[id]
			if !ok {
				errorf("%s %d is live in the mirror but gone upstream", res, id)
				continue
			}
			var a, b any
			if err := json.Unmarshal(raw, &a); err != nil {
				errorf("%s %d: fake raw: %v", res, id, err)
				continue
			}
			if err := json.Unmarshal(r.raw, &b); err != nil {
				errorf("%s %d: mirror raw: %v", res, id, err)
				continue
			}
			if !reflect.DeepEqual(a, b) {
				errorf("%s %d raw differs:\n fake   %s\n mirror %s", res, id, raw, r.raw)
			}
			if exp := expect(a.(map[string]any)); !reflect.DeepEqual(exp, r.typed) {
				errorf("%s %d typed columns differ:\n want %v\n got  %v", res, id, exp, r.typed)
			}
		}
		if live != len(want) {
			errorf("%s: %d live rows, fake has %d", res, live, len(want))
		}
	}

	ur := map[int64]mirrorRow{}
	for _, u := range units {
		ur[u.ID] = mirrorRow{raw: u.Raw, deleted: u.DeletedAt != nil, typed: map[string]any{
			"status": Str(u.Status), "property_type": Str(u.PropertyType), "bedrooms": Num(u.Bedrooms),
			"bathrooms": Num(u.Bathrooms), "sqft": Num(u.Sqft), "rent": Num(u.Rent), "city": Str(u.City),
			"created_at": TS(u.SourceCreatedAt), "updated_at": TS(u.SourceUpdatedAt),
		}}
	}
	check(rentenginefake.Units, ur, func(m map[string]any) map[string]any {
		city := ""
		if a, ok := m["address"].(map[string]any); ok {
			city = JStr(a["city"])
		}
		return map[string]any{
			"status": JStr(m["status"]), "property_type": JStr(m["property_type"]), "bedrooms": JNum(m["bedrooms"]),
			"bathrooms": JNum(m["bathrooms"]), "sqft": JNum(m["sqft"]), "rent": JNum(m["target_rental_rate"]),
			"city": city, "created_at": JTS(m["created_at"]), "updated_at": JTS(m["updated_at"]),
		}
	})
	pr := map[int64]mirrorRow{}
	for _, p := range prospects {
		pr[p.ID] = mirrorRow{raw: p.Raw, deleted: p.DeletedAt != nil, typed: map[string]any{
			"name": Str(p.Name), "email": Str(p.Email), "phone": Str(p.Phone), "status": Str(p.Status),
			"source": Str(p.Source), "unit_id": I64(p.UnitID), "email_normalized": Str(p.EmailNormalized),
			"phone_e164": Str(p.PhoneE164), "created_at": TS(p.SourceCreatedAt),
		}}
	}
	check(rentenginefake.Prospects, pr, func(m map[string]any) map[string]any {
		return map[string]any{
			"name": JStr(m["name"]), "email": JStr(m["email"]), "phone": JStr(m["phone"]), "status": JStr(m["status"]),
			"source": JStr(m["source"]), "unit_id": JInt(m["unit_of_interest"]),
			"email_normalized": identity.NormalizeEmail(JStr(m["email"])),
			"phone_e164":       identity.NormalizePhone(JStr(m["phone"])), "created_at": JTS(m["created_at"]),
		}
	})
	er := map[int64]mirrorRow{}
	for _, e := range events {
		er[e.ID] = mirrorRow{raw: e.Raw, deleted: e.DeletedAt != nil, typed: map[string]any{
			"event_type": Str(e.EventType), "prospect_id": I64(e.ProspectID), "unit_id": I64(e.UnitID),
			"source": Str(e.Source), "assigned": Str(e.AssignedUserID), "created_at": TS(e.SourceCreatedAt),
		}}
	}
	check(rentenginefake.LeasingEvents, er, func(m map[string]any) map[string]any {
		assigned := ""
		if c, ok := m["context"].(map[string]any); ok {
			if ids, ok := c["assignedToUserIds"].([]any); ok && len(ids) > 0 {
				assigned = JStr(ids[0])
			}
		}
		return map[string]any{
			"event_type": JStr(m["event_type"]), "prospect_id": JInt(m["prospect"]), "unit_id": JInt(m["unit"]),
			"source": JStr(m["source"]), "assigned": assigned, "created_at": JTS(m["created_at"]),
		}
	})
	return diffs, nil
}

type mirrorRow struct {
	raw     []byte
	deleted bool
	typed   map[string]any
}

// Normalised forms for comparison: "" for absent text, NaN-free strings for numbers, RFC3339 UTC
// for times.
