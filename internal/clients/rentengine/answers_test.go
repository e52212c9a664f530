package rentengine_test

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/syncd-dev/syncd/internal/clients/rentengine"
	"github.com/syncd-dev/syncd/internal/clients/upstream"
	"github.com/syncd-dev/syncd/internal/testing/fakeapi"
	"github.com/syncd-dev/syncd/internal/testing/rentenginefake"
)

// TestAssignToUserCountsOnlyTheCreatedEvent: the POST counts only when its answer holds the
// created "Assign to User" event for our prospect, as one object or an array; any other 2xx is
// unverified, after a single call.
func TestAssignToUserCountsOnlyTheCreatedEvent(t *testing.T) {
	const (
		prospect = 44
		json     = "application/json; charset=utf-8"
		event    = `{"id": 901, "created_at": "2026-11-01T12:00:00Z", "notes": "syncd", "prospect": 44, "planned_date_time": null,
			"source": "Automation", "event_type": "Assign to User", "context": {"assignedToUserIds": ["u-1"]}}`
	)
	other := strings.Replace(strings.Replace(event, `"prospect": 44`, `"prospect": 45`, 1), `"id": 901`, `"id": 902`, 1)
	tests := []struct {
		name        string
		status      int
		contentType string
		body        string
		want        string // "" for a verified answer, else a fragment of the reason
		events      int
	}{
		{"201 with an array", 201, json, "[" + event + "]", "", 1},
		{"201 with one object", 201, json, event, "", 1},
		{"201 with a data envelope", 201, json, `{"data": [` + event + `]}`, "", 1},
		{"201 bulk, ours among others", 201, json, "[" + other + "," + event + "]", "", 2},
		{"200 with the prospect and id as strings", 200, json,
			strings.Replace(strings.Replace(event, `"prospect": 44`, `"prospect": "44"`, 1), `"id": 901`, `"id": "901"`, 1), "", 1},
		{"200 with an HTML body", 200, "text/html", "<html><body>Service temporarily unavailable</body></html>",
			"content type is not JSON", 0},
		{"201 with an empty body", 201, json, "", "the body is empty", 0},
		{"201 with an empty array", 201, json, "[]", `no "Assign to User" event for prospect 44 among 0 created`, 0},
		{"201 with another prospect's event", 201, json, "[" + other + "]", "among 1 created", 0},
		{"201 with another event type", 201, json, "[" + strings.Replace(event, "Assign to User", "Log Note", 1) + "]",
			`no "Assign to User" event`, 0},
		{"201 with JSON of another shape", 201, json, `{"success": true}`, "not the documented leasing-event answer", 0},
		{"201 with an event without id", 201, json, "[" + strings.Replace(event, `"id": 901,`, "", 1) + "]", "no id", 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var calls atomic.Int32
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				calls.Add(1)
				_, _ = io.Copy(io.Discard, r.Body)
				w.Header().Set("Content-Type", tt.contentType)
				w.WriteHeader(tt.status)
				_, _ = io.WriteString(w, tt.body)
			}))
			t.Cleanup(srv.Close)
			c, err := rentengine.New(rentengine.Config{BaseURL: srv.URL, Token: "tok", Upstream: upstream.Config{
				Retry: upstream.RetryPolicy{Base: time.Millisecond, Cap: time.Millisecond, MaxAttempts: 3}}}, nil)
			if err != nil {
				t.Fatal(err)
			}
			evs, err := c.AssignToUser(context.Background(), rentengine.Assignment{ProspectID: prospect, UserIDs: []string{"u-1"}})
			if calls.Load() != 1 {
				t.Errorf("%d calls, want 1", calls.Load())
			}
			if tt.want == "" {
				if err != nil || len(evs) != tt.events {
					t.Fatalf("events %+v, err %v; want %d events", evs, err, tt.events)
				}
				return
			}
			var ue *upstream.Error
			if !errors.As(err, &ue) || ue.Kind != upstream.KindUnverified || ue.Status != tt.status {
				t.Fatalf("err = %v, want an unverified %d answer", err, tt.status)
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("err = %v, want it to say %q", err, tt.want)
			}
		})
	}
}

// TestFakeAssignAnswerIsTheDocumentedOne: rentenginefake answers the POST with the created event,
// so the happy path verifies, ids as strings too; an answer naming another prospect does not.
func TestFakeAssignAnswerIsTheDocumentedOne(t *testing.T) {
	c, fake := newPair(t, "good")
	p := fake.Insert(rentenginefake.Prospects, map[string]any{"name": "A", "phone": "555-123-4567"})
	assign := func() error {
		_, err := c.AssignToUser(context.Background(), rentengine.Assignment{ProspectID: p,
			UserIDs: []string{"1259ef6e-61ee-42cb-b6bd-7fe547569d7c"}, Source: rentengine.SourceAutomation})
		return err
	}
	if err := assign(); err != nil {
		t.Fatalf("the fake's own answer does not verify: %v", err)
	}
	fake.SetFieldType(string(rentenginefake.LeasingEvents), "id", fakeapi.FieldString)
	fake.SetFieldType(string(rentenginefake.LeasingEvents), "prospect", fakeapi.FieldString)
	if err := assign(); err != nil {
		t.Fatalf("an answer with ids as strings does not verify: %v", err)
	}
	fake.Reset()
	fake.MutateField(string(rentenginefake.LeasingEvents), "prospect", func(any) any { return p + 1 })
	if err := assign(); upstream.KindOf(err) != upstream.KindUnverified {
		t.Errorf("an answer naming another prospect: err = %v", err)
	}
}
