package push_test

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"go.uber.org/zap"
	"go.uber.org/zap/zaptest"

	"github.com/syncd-dev/syncd/internal/models"
	"github.com/syncd-dev/syncd/internal/push"
	syncer "github.com/syncd-dev/syncd/internal/sync"
	"github.com/syncd-dev/syncd/internal/tenants"
	"github.com/syncd-dev/syncd/internal/testing/dbtest"
	"github.com/syncd-dev/syncd/internal/testing/rentenginefake"
)

// A prospect record without a status takes the type of its latest status-bearing leasing event,
// and the customer score follows the default stage table keyed by the exact upstream strings.
// Events are inserted directly (not through AddEvent), so the fake does not touch the records.
func TestScoreFromDerivedStatus(t *testing.T) {
	type ev struct {
		typ     string
		deleted bool
	}
	cases := []struct {
		name   string
		events []ev
		want   int // -1: not scored
	}{
		{"log note after showing scheduled", []ev{{"New", false}, {"Showing Scheduled", false}, {"Log Note", false}}, 50},
		{"actions after showing scheduled", []ev{{"Showing Scheduled", false}, {"Assign to User", false},
			{"Blocklist Prospect", false}, {"Unblock Prospect", false}, {"Reassign Showing", false}}, 50},
		{"deleted event ignored", []ev{{"Showing Scheduled", false}, {"Application Received", true}}, 50},
		{"prescreen rejected for credit", []ev{{"New", false}, {"Prescreen Rejected - Credit", false}}, 5},
		{"HOA approval", []ev{{"Application Approved", false}, {"HOA Application Approved", false}}, 93},
		{"duplicate lead is unscored", []ev{{"New", false}, {"Duplicate Lead", false}}, -1},
		{"unknown type is a status", []ev{{"Showing Scheduled", false}, {"Showing Rescheduled", false}}, -1},
	}
	dbtest.Dialects(t, func(t *testing.T, store *models.Store) {
		fake := rentenginefake.New(rentenginefake.Options{Token: "tok"})
		t.Cleanup(fake.Close)
		at := time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)
		emails := map[string]string{}
		for i, tc := range cases {
			email := "p" + string(rune('a'+i)) + "@example.com"
			emails[email] = tc.name
			p := fake.Insert(rentenginefake.Prospects, map[string]any{"name": tc.name, "email": email})
			for j, e := range tc.events {
				fake.Insert(rentenginefake.LeasingEvents, map[string]any{"prospect": p, "event_type": e.typ,
					"deleted": e.deleted, "context": map[string]any{},
					"created_at": at.Add(time.Duration(j) * time.Hour).Format(time.RFC3339)})
			}
		}
		// No Funnel: every person is unlinked, scored (blind) only with targets: all.
		tenant := &tenants.Tenant{ID: "stages", RunTimeout: time.Minute,
			RentEngine: &tenants.RentEngine{BaseURL: fake.BaseURL(), Token: tenants.NewSecret("tok")},
			Push:       &tenants.Push{CustomerScores: &tenants.CustomerScores{Targets: tenants.ScoreTargetsAll}}}
		runner := syncer.NewRunner(syncer.Config{Store: store, Retry: fastRetry}, zaptest.NewLogger(t, zaptest.Level(zap.WarnLevel)))
		if _, err := runner.Run(context.Background(), tenant, tenants.JobRentEngine); err != nil {
			t.Fatal(err)
		}
		plan, err := push.Compute(context.Background(), store, tenant)
		if err != nil {
			t.Fatal(err)
		}
		got := map[string]int{}
		for _, c := range plan.Changes {
			if c.Kind != models.PushCustomerScore {
				continue
			}
			var d struct {
				Email string `json:"email"`
				Value int    `json:"score_value"`
			}
			must(t, json.Unmarshal(c.Desired, &d))
			got[emails[d.Email]] = d.Value
		}
		for _, tc := range cases {
			v, ok := got[tc.name]
			switch {
			case tc.want < 0 && ok:
				t.Errorf("%s: scored %d, want no score", tc.name, v)
			case tc.want >= 0 && !ok:
				t.Errorf("%s: not scored, want %d (plan skipped %v)", tc.name, tc.want, plan.Skipped)
			case tc.want >= 0 && v != tc.want:
				t.Errorf("%s: score %d, want %d", tc.name, v, tc.want)
			}
		}
		if n := plan.Skips[models.PushCustomerScore][push.SkipNoStatusScore]; n != 2 {
			t.Errorf("%d prospects skipped for a status without a score, want 2", n)
		}
	})
}
