// Package mirrortest compares the mirror with the fakes' state, record by record. Tests, the
// fault suite and the benchmarks use it to prove convergence.
package mirrortest

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"reflect"
	"strconv"
	"strings"
	"time"

	"github.com/syncd-dev/syncd/internal/identity"
	"github.com/syncd-dev/syncd/internal/models"
	"github.com/syncd-dev/syncd/internal/rentenginefake"
)

// RentEngineDiff compares a tenant's RentEngine mirror with the fake's state: live rows must be
// exactly the fake's records (raw JSON and typed columns, each typed column derived here
// independently of the sync code), and every other stored row must be tombstoned. It returns one
// line per differing row; none means equal.
func RentEngineDiff(ctx context.Context, store *models.Store, tenant string, fake *rentenginefake.Server) ([]string, error) {
	var diffs []string
	errorf := func(format string, args ...any) { diffs = append(diffs, fmt.Sprintf(format, args...)) }
	db := store.DB().WithContext(ctx)
	var units []models.RentEngineUnit
	if err := db.Where("tenant_id = ?", tenant).Find(&units).Error; err != nil {
		return nil, err
	}
	var prospects []models.RentEngineProspect
	if err := db.Where("tenant_id = ?", tenant).Find(&prospects).Error; err != nil {
		return nil, err
	}
	var events []models.RentEngineLeasingEvent
	if err := db.Where("tenant_id = ?", tenant).Find(&events).Error; err != nil {
		return nil, err
	}

	check := func(res rentenginefake.Resource, rows map[int64]mirrorRow, expect func(map[string]any) map[string]any) {
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
			"status": str(u.Status), "property_type": str(u.PropertyType), "bedrooms": num(u.Bedrooms),
			"bathrooms": num(u.Bathrooms), "sqft": num(u.Sqft), "rent": num(u.Rent), "city": str(u.City),
			"created_at": ts(u.SourceCreatedAt), "updated_at": ts(u.SourceUpdatedAt),
		}}
	}
	check(rentenginefake.Units, ur, func(m map[string]any) map[string]any {
		city := ""
		if a, ok := m["address"].(map[string]any); ok {
			city = jstr(a["city"])
		}
		return map[string]any{
			"status": jstr(m["status"]), "property_type": jstr(m["property_type"]), "bedrooms": jnum(m["bedrooms"]),
			"bathrooms": jnum(m["bathrooms"]), "sqft": jnum(m["sqft"]), "rent": jnum(m["target_rental_rate"]),
			"city": city, "created_at": jts(m["created_at"]), "updated_at": jts(m["updated_at"]),
		}
	})
	pr := map[int64]mirrorRow{}
	for _, p := range prospects {
		pr[p.ID] = mirrorRow{raw: p.Raw, deleted: p.DeletedAt != nil, typed: map[string]any{
			"name": str(p.Name), "email": str(p.Email), "phone": str(p.Phone), "status": str(p.Status),
			"source": str(p.Source), "unit_id": i64(p.UnitID), "email_normalized": str(p.EmailNormalized),
			"phone_e164": str(p.PhoneE164), "created_at": ts(p.SourceCreatedAt),
		}}
	}
	check(rentenginefake.Prospects, pr, func(m map[string]any) map[string]any {
		return map[string]any{
			"name": jstr(m["name"]), "email": jstr(m["email"]), "phone": jstr(m["phone"]), "status": jstr(m["status"]),
			"source": jstr(m["source"]), "unit_id": jint(m["unit_of_interest"]),
			"email_normalized": identity.NormalizeEmail(jstr(m["email"])),
			"phone_e164":       identity.NormalizePhone(jstr(m["phone"])), "created_at": jts(m["created_at"]),
		}
	})
	er := map[int64]mirrorRow{}
	for _, e := range events {
		er[e.ID] = mirrorRow{raw: e.Raw, deleted: e.DeletedAt != nil, typed: map[string]any{
			"event_type": str(e.EventType), "prospect_id": i64(e.ProspectID), "unit_id": i64(e.UnitID),
			"source": str(e.Source), "assigned": str(e.AssignedUserID), "created_at": ts(e.SourceCreatedAt),
		}}
	}
	check(rentenginefake.LeasingEvents, er, func(m map[string]any) map[string]any {
		assigned := ""
		if c, ok := m["context"].(map[string]any); ok {
			if ids, ok := c["assignedToUserIds"].([]any); ok && len(ids) > 0 {
				assigned = jstr(ids[0])
			}
		}
		return map[string]any{
			"event_type": jstr(m["event_type"]), "prospect_id": jint(m["prospect"]), "unit_id": jint(m["unit"]),
			"source": jstr(m["source"]), "assigned": assigned, "created_at": jts(m["created_at"]),
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
func str(p *string) string {
	if p == nil {
		return ""
	}
	return *p
}

func num(p *float64) string {
	if p == nil {
		return ""
	}
	return strconv.FormatFloat(math.Round(*p*100)/100, 'f', -1, 64)
}

func i64(p *int64) string {
	if p == nil {
		return ""
	}
	return strconv.FormatInt(*p, 10)
}

func ts(p *time.Time) string {
	if p == nil {
		return ""
	}
	return p.UTC().Format(time.RFC3339Nano)
}

func jstr(v any) string {
	switch x := v.(type) {
	case nil:
		return ""
	case string:
		return x
	case float64:
		return strconv.FormatFloat(x, 'f', -1, 64)
	case bool:
		return strconv.FormatBool(x)
	}
	return fmt.Sprint(v)
}

func jnum(v any) string {
	s := strings.TrimSpace(jstr(v))
	if s == "" {
		return ""
	}
	f, err := strconv.ParseFloat(strings.ReplaceAll(strings.TrimPrefix(s, "$"), ",", ""), 64)
	if err != nil {
		return "unparseable:" + s
	}
	return strconv.FormatFloat(math.Round(f*100)/100, 'f', -1, 64)
}

func jint(v any) string {
	s := strings.TrimSpace(jstr(v))
	if s == "" {
		return ""
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil {
		return "unparseable:" + s
	}
	return strconv.FormatInt(int64(f), 10)
}

func jts(v any) string {
	s := jstr(v)
	if s == "" {
		return ""
	}
	tm, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return "unparseable:" + s
	}
	return tm.UTC().Format(time.RFC3339Nano)
}
