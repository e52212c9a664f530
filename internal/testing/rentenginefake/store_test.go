package rentenginefake

import (
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/syncd-dev/syncd/internal/testing/fakeapi"
)

func TestMutationHelpersChangeWhatGETReturns(t *testing.T) {
	b := setup(t)
	id1 := b.s.Insert(Units, map[string]any{"status": "Leased", "bedrooms": "3", "address": 4711})
	id2 := b.s.Insert(Units, map[string]any{"status": "Available", "bedrooms": "2"})
	id9 := b.s.Insert(Units, map[string]any{"id": 9, "status": "On Hold"})
	id5 := b.s.Insert(Units, map[string]any{"id": "5", "status": "Archived"}) // string id, into a gap
	if id1 != 1 || id2 != 2 || id9 != 9 || id5 != 5 {
		t.Fatalf("ids %d %d %d %d, want 1 2 9 5", id1, id2, id9, id5)
	}
	if id := b.s.Insert(Units, map[string]any{}); id != 10 {
		t.Errorf("next id %d, want 10 (continues after the highest)", id)
	}
	recs := list(t, b.get(t, "/units"))
	if got := idsOf(t, recs); !slices.Equal(got, []int64{1, 2, 5, 9, 10}) {
		t.Fatalf("ids %v", got)
	}
	if recs[0]["created_at"] != formatTime(b.clock.Now()) || recs[0]["updated_at"] != formatTime(b.clock.Now()) {
		t.Errorf("timestamps not set: %v", recs[0])
	}
	if recs[0]["address"] != json.Number("4711") || recs[2]["id"] != "5" {
		t.Errorf("values not kept as given: %v / %v", recs[0]["address"], recs[2]["id"])
	}

	b.clock.Advance(time.Hour)
	if err := b.s.Update(Units, 2, map[string]any{"status": "Leased", "sqft": nil}); err != nil {
		t.Fatal(err)
	}
	got, ok := b.s.Get(Units, 2)
	if !ok || got["status"] != "Leased" || got["sqft"] != nil || got["bedrooms"] != "2" ||
		got["updated_at"] != formatTime(b.clock.Now()) {
		t.Errorf("after update: %v", got)
	}
	if _, has := got["sqft"]; !has {
		t.Errorf("a nil patch value should store null, not remove the field")
	}
	if err := b.s.Update(Units, 2, map[string]any{"updated_at": "2020-01-01T00:00:00.000000Z"}); err != nil {
		t.Fatal(err)
	}
	if got, _ := b.s.Get(Units, 2); got["updated_at"] != "2020-01-01T00:00:00.000000Z" {
		t.Errorf("explicit updated_at not kept: %v", got["updated_at"])
	}
	if err := b.s.Update(Units, 2, map[string]any{"id": 3}); err == nil {
		t.Errorf("changing the id succeeded")
	}

	if err := b.s.Delete(Units, 1); err != nil {
		t.Fatal(err)
	}
	for _, err := range []error{b.s.Delete(Units, 1), b.s.Update(Units, 1, nil)} {
		if !errors.Is(err, ErrNotFound) {
			t.Errorf("err %v, want ErrNotFound", err)
		}
	}
	if got := idsOf(t, list(t, b.get(t, "/units"))); !slices.Equal(got, []int64{2, 5, 9, 10}) {
		t.Errorf("ids after delete %v", got)
	}
	if got := b.s.IDs(Units); !slices.Equal(got, []int64{2, 5, 9, 10}) || b.s.Count(Units) != 4 {
		t.Errorf("IDs %v Count %d", got, b.s.Count(Units))
	}
	if recs := b.s.Records(Units); len(recs) != 4 || recs[1]["status"] != "Archived" {
		t.Errorf("Records %v", recs)
	}
	raw, ok := b.s.Raw(Units, 9)
	if !ok || !json.Valid(raw) {
		t.Errorf("Raw(9) = %s %v", raw, ok)
	}
	// Delete then re-insert the same id before any read: it must appear once.
	_ = b.s.Delete(Units, 9)
	b.s.Insert(Units, map[string]any{"id": 9})
	if got := b.s.IDs(Units); !slices.Equal(got, []int64{2, 5, 9, 10}) {
		t.Errorf("IDs after delete and re-insert %v", got)
	}
}

func TestLeasingEventsHaveNoUpdatedAt(t *testing.T) {
	b := setup(t)
	id := b.s.Insert(LeasingEvents, map[string]any{"event_type": "New", "prospect": 1})
	got, _ := b.s.Get(LeasingEvents, id)
	if _, ok := got["updated_at"]; ok || got["created_at"] == nil {
		t.Errorf("event %v: want created_at and no updated_at", got)
	}
}

func TestAddEventSetsStatusExceptForActions(t *testing.T) {
	b := setup(t)
	p := b.s.Insert(Prospects, map[string]any{"name": "Ann", "status": "New", "unit_of_interest": "42"})
	at := b.clock.Now().Add(-time.Minute)
	tests := []struct {
		eventType, wantStatus string
	}{
		{EventContactedAwaitingInfo, EventContactedAwaitingInfo},
		{EventAssignToUser, EventContactedAwaitingInfo},
		{EventShowingScheduled, EventShowingScheduled},
		{EventReassignShowing, EventShowingScheduled},
		{"Some Future Type", "Some Future Type"},
	}
	for _, tt := range tests {
		t.Run(tt.eventType, func(t *testing.T) {
			b.clock.Advance(time.Hour)
			before, _ := b.s.Get(Prospects, p)
			id := b.s.AddEvent(p, tt.eventType, at)
			ev, ok := b.s.Get(LeasingEvents, id)
			if !ok || ev["event_type"] != tt.eventType || ev["prospect"] != json.Number("1") ||
				ev["unit"] != json.Number("42") || ev["created_at"] != formatTime(at) || ev["created_by"] != b.s.UserID() {
				t.Errorf("event %v", ev)
			}
			after, _ := b.s.Get(Prospects, p)
			if after["status"] != tt.wantStatus {
				t.Errorf("status %v, want %q", after["status"], tt.wantStatus)
			}
			bumped := after["updated_at"] != before["updated_at"]
			if bumped == isActionEventType(tt.eventType) {
				t.Errorf("updated_at bumped=%v for %q", bumped, tt.eventType)
			}
		})
	}
	if id := b.s.AddEvent(999, EventNew, at); id == 0 {
		t.Errorf("event for a missing prospect not recorded")
	}
}

func TestPostLeasingEventsValidation(t *testing.T) {
	b := setup(t)
	b.s.Insert(Prospects, map[string]any{"id": 7, "name": "Ann", "phone": "5125550100"})
	const user = `"1259ef6e-61ee-42cb-b6bd-7fe547569d7c"`
	event := func(fields string) string { return `{"events":[{` + fields + `}]}` }
	valid := `"prospect_id":7,"event_type":"Assign to User","context":{"assignedToUserIds":[` + user + `]}`
	tests := []struct {
		name, body string
		status     int
		message    string // of the first detail, or the error for non-400s
	}{
		{"not JSON", `{"events":`, 400, ""},
		{"not an object", `[1]`, 400, "should be object"},
		{"no events", `{}`, 400, "should have required property 'events'"},
		{"events not array", `{"events":{}}`, 400, "should be array"},
		{"zero events", `{"events":[]}`, 400, "should NOT have fewer than 1 items"},
		{"two events", `{"events":[{` + valid + `},{` + valid + `}]}`, 400, "should NOT have more than 1 items"},
		{"missing prospect_id", event(`"event_type":"Assign to User","context":{"assignedToUserIds":[` + user + `]}`), 400,
			"should have required property 'prospect_id'"},
		{"prospect_id as string", event(`"prospect_id":"7","event_type":"Assign to User","context":{"assignedToUserIds":[` + user + `]}`), 400,
			"should be integer"},
		{"other event type", event(`"prospect_id":7,"event_type":"New","context":{"assignedToUserIds":[` + user + `]}`), 400,
			"should be equal to one of the allowed values"},
		{"missing context", event(`"prospect_id":7,"event_type":"Assign to User"`), 400, "should have required property 'context'"},
		{"missing user ids", event(`"prospect_id":7,"event_type":"Assign to User","context":{}`), 400,
			"should have required property 'assignedToUserIds'"},
		{"empty user ids", event(`"prospect_id":7,"event_type":"Assign to User","context":{"assignedToUserIds":[]}`), 400,
			"should NOT have fewer than 1 items"},
		{"user id not uuid", event(`"prospect_id":7,"event_type":"Assign to User","context":{"assignedToUserIds":["bob"]}`), 400,
			`should match format "uuid"`},
		{"bulk not bool", event(valid[:len(valid)-1] + `,"applyActionInBulk":"yes"}`), 400, "should be boolean"},
		{"bad source", event(valid + `,"source":"Carrier Pigeon"`), 400, "should be equal to one of the allowed values"},
		{"unknown prospect", event(`"prospect_id":8,"event_type":"Assign to User","context":{"assignedToUserIds":[` + user + `]}`), 404,
			"Prospect not found"},
		{"valid", event(valid + `,"source":"Automation","notes":"hi"`), 201, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := b.post(t, tt.body)
			if r.status != tt.status {
				t.Fatalf("%d %s, want %d", r.status, r.body, tt.status)
			}
			if tt.status == 201 {
				return
			}
			e := apiErr(t, r)
			got := e.Error
			if tt.status == 400 && len(e.Details) > 0 {
				got = e.Details[0].Message
			}
			if tt.message != "" && got != tt.message {
				t.Errorf("message %q (%+v), want %q", got, e, tt.message)
			}
		})
	}
	if n := b.s.Count(LeasingEvents); n != 1 {
		t.Errorf("%d events stored, want only the valid one", n)
	}
}

func TestPostAssignToUserBulkByPhone(t *testing.T) {
	b := setup(t)
	ann := []int64{
		b.s.Insert(Prospects, map[string]any{"name": "Ann Lee", "phone": "(512) 555-0100", "unit_of_interest": 11, "status": "Showing Desired"}),
		b.s.Insert(Prospects, map[string]any{"name": "Ann Lee", "phone": "+15125550100", "unit_of_interest": "12", "status": "New"}),
	}
	bob := b.s.Insert(Prospects, map[string]any{"name": "Bob", "phone": "512-555-0199", "unit_of_interest": nil})
	ann = append(ann, b.s.Insert(Prospects, map[string]any{"name": "Ann Lee", "phone": "512.555.0100", "unit_of_interest": 13}))
	noPhone := b.s.Insert(Prospects, map[string]any{"name": "Cy", "phone": nil})
	const user = "1259ef6e-61ee-42cb-b6bd-7fe547569d7c"
	body := func(prospect int64, bulk bool) string {
		return fmt.Sprintf(`{"events":[{"prospect_id":%d,"event_type":"Assign to User","source":"Automation",`+
			`"notes":"primary agent","context":{"assignedToUserIds":[%q],"applyActionInBulk":%v}}]}`, prospect, user, bulk)
	}
	prospectsBefore := b.s.Records(Prospects)

	tests := []struct {
		name      string
		prospect  int64
		bulk      bool
		wantFor   []int64
		wantUnits []any
	}{
		{"single", ann[1], false, []int64{ann[1]}, []any{json.Number("12")}},
		{"bulk from the second", ann[1], true, ann, []any{json.Number("11"), json.Number("12"), json.Number("13")}},
		{"bulk, nobody else", bob, true, []int64{bob}, []any{nil}},
		{"bulk without a phone", noPhone, true, []int64{noPhone}, []any{nil}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := b.post(t, body(tt.prospect, tt.bulk))
			if r.status != 201 {
				t.Fatalf("%d %s", r.status, r.body)
			}
			created := list(t, response{status: 200, body: r.body})
			if len(created) != len(tt.wantFor) {
				t.Fatalf("%d events created, want %d: %s", len(created), len(tt.wantFor), r.body)
			}
			for i, ev := range created {
				p, _ := fakeapi.Int64Of(ev["prospect"])
				if p != tt.wantFor[i] || ev["unit"] != tt.wantUnits[i] || ev["event_type"] != EventAssignToUser ||
					ev["created_by"] != b.s.UserID() || ev["source"] != "Automation" || ev["notes"] != "primary agent" ||
					ev["deleted"] != false || ev["planned_date_time"] != nil || ev["next_follow_up"] != nil {
					t.Errorf("event %d: %v", i, ev)
				}
				ctx, _ := ev["context"].(map[string]any)
				if ids, _ := ctx["assignedToUserIds"].([]any); len(ids) != 1 || ids[0] != user {
					t.Errorf("context %v", ev["context"])
				}
				id, _ := fakeapi.Int64Of(ev["id"])
				if stored, ok := b.s.Get(LeasingEvents, id); !ok || stored["prospect"] != ev["prospect"] {
					t.Errorf("event %d not stored as returned", id)
				}
			}
		})
	}
	if after := b.s.Records(Prospects); !equalJSON(t, prospectsBefore, after) {
		t.Errorf("Assign to User changed prospects")
	}
	if n := len(list(t, b.get(t, "/leasing_events?limit=100"))); n != 6 {
		t.Errorf("GET /leasing_events returned %d events, want 6", n)
	}
}

func equalJSON(t *testing.T, a, b any) bool {
	t.Helper()
	ja, err := json.Marshal(a)
	if err != nil {
		t.Fatal(err)
	}
	jb, err := json.Marshal(b)
	if err != nil {
		t.Fatal(err)
	}
	return string(ja) == string(jb)
}
