package rentengine_test

import (
	"context"
	"encoding/json"
	"errors"
	"testing"

	"github.com/syncd-dev/syncd/internal/clients/rentengine"
	"github.com/syncd-dev/syncd/internal/clients/upstream"
	"github.com/syncd-dev/syncd/internal/testing/rentenginefake"
)

func newPair(t *testing.T, token string) (*rentengine.Client, *rentenginefake.Server) {
	t.Helper()
	fake := rentenginefake.New(rentenginefake.Options{Token: "good"})
	t.Cleanup(fake.Close)
	c, err := rentengine.New(rentengine.Config{BaseURL: fake.BaseURL(), Token: token,
		Upstream: upstream.Config{Retry: upstream.RetryPolicy{MaxAttempts: 1}}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	return c, fake
}

func TestListStreamsEveryPageInOrder(t *testing.T) {
	c, fake := newPair(t, "good")
	rentenginefake.Seed(fake, rentenginefake.SeedOptions{Seed: 3, Units: 250, Prospects: 10, EventsPerProspect: 1})
	var ids []int64
	pages := 0
	err := c.List(context.Background(), rentengine.Units, func(p upstream.Page) error {
		pages++
		if len(p.Records) > rentengine.PageSize {
			t.Errorf("page %d has %d records", p.Number, len(p.Records))
		}
		for _, r := range p.Records {
			u, err := rentengine.DecodeUnit(r)
			if err != nil {
				t.Errorf("decode %s: %v", r, err)
				continue
			}
			ids = append(ids, u.ID.Int)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if pages != 3 || len(ids) != 250 {
		t.Errorf("pages %d, records %d; want 3 pages, 250 records", pages, len(ids))
	}
	want := fake.IDs(rentenginefake.Units)
	for i := range want {
		if ids[i] != want[i] {
			t.Fatalf("record %d: id %d, want %d", i, ids[i], want[i])
		}
	}
	for _, r := range fake.Requests() {
		q := r.RawQuery
		if r.Header.Get("Authorization") != "Bearer good" {
			t.Errorf("request without bearer token: %v", r.Header)
		}
		if q == "" {
			t.Errorf("request without paging: %s", r.Path)
		}
	}
}

func TestBadTokenIsAnAuthError(t *testing.T) {
	c, _ := newPair(t, "wrong")
	err := c.List(context.Background(), rentengine.Prospects, func(upstream.Page) error { return nil })
	var ue *upstream.Error
	if !errors.As(err, &ue) || ue.Kind != upstream.KindAuth || ue.Status != 401 {
		t.Fatalf("err = %v, want a 401 auth error", err)
	}
}

func TestDecodeTolerance(t *testing.T) {
	cases := []struct {
		name string
		raw  string
		city string
		addr int64
		beds float64
	}{
		{"address object, strings for numbers", `{"id":"7","address":{"city":"Austin","zip_code":78701},"bedrooms":"3","extra":{"x":1}}`, "Austin", 0, 3},
		{"address as an integer id", `{"id":8,"address":5521,"bedrooms":2}`, "", 5521, 2},
		{"address null, unknown status", `{"id":9,"address":null,"status":"Brand New Status"}`, "", 0, 0},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			u, err := rentengine.DecodeUnit(json.RawMessage(tc.raw))
			if err != nil {
				t.Fatal(err)
			}
			if u.City.V != tc.city || u.AddressID.V != tc.addr || u.Bedrooms.V != tc.beds {
				t.Errorf("city %q addr %d beds %v", u.City.V, u.AddressID.V, u.Bedrooms.V)
			}
		})
	}
	if _, err := rentengine.DecodeUnit(json.RawMessage(`{"address":1}`)); !errors.Is(err, rentengine.ErrNoID) {
		t.Errorf("a unit without id: err = %v", err)
	}
	ev, err := rentengine.DecodeLeasingEvent(json.RawMessage(`{"id":1,"prospect":"44","event_type":"Contacted, Awaiting Information","context":{"assignedToUserIds":["u-1","u-2"]}}`))
	if err != nil || ev.ProspectRef().V != 44 || len(ev.AssignedUserIDs) != 2 || ev.EventType.V != "Contacted, Awaiting Information" {
		t.Errorf("event %+v err %v", ev, err)
	}
}

func TestAssignToUser(t *testing.T) {
	c, fake := newPair(t, "good")
	p1 := fake.Insert(rentenginefake.Prospects, map[string]any{"name": "A", "phone": "(555) 123-4567", "unit_of_interest": 1})
	fake.Insert(rentenginefake.Prospects, map[string]any{"name": "A", "phone": "+15551234567", "unit_of_interest": 2})
	fake.Insert(rentenginefake.Prospects, map[string]any{"name": "B", "phone": "555-999-0000"})
	const user = "1259ef6e-61ee-42cb-b6bd-7fe547569d7c"

	evs, err := c.AssignToUser(context.Background(), rentengine.Assignment{ProspectID: p1, UserIDs: []string{user},
		ApplyInBulk: true, Source: rentengine.SourceAutomation, Notes: "syncd"})
	if err != nil {
		t.Fatal(err)
	}
	if len(evs) != 2 {
		t.Fatalf("bulk assignment created %d events, want 2 (same phone)", len(evs))
	}
	reqs := fake.Recorder().Filter("POST", rentenginefake.BasePath+"/leasing_events")
	if len(reqs) != 1 {
		t.Fatalf("POSTs = %d", len(reqs))
	}
	var body struct {
		Events []map[string]any `json:"events"`
	}
	if err := json.Unmarshal(reqs[0].Body, &body); err != nil || len(body.Events) != 1 {
		t.Fatalf("body %s: %v", reqs[0].Body, err)
	}
	ev := body.Events[0]
	ctx, _ := ev["context"].(map[string]any)
	if ev["event_type"] != "Assign to User" || ev["prospect_id"] != float64(p1) || ev["source"] != "Automation" ||
		ctx["applyActionInBulk"] != true || ctx["assignedToUserIds"].([]any)[0] != user {
		t.Errorf("request body %s", reqs[0].Body)
	}

	if _, err := c.AssignToUser(context.Background(), rentengine.Assignment{ProspectID: 999999, UserIDs: []string{user}}); err == nil {
		t.Error("assigning an unknown prospect must fail")
	}
}
