package rentengine_test

import (
	"context"
	"strings"
	"testing"

	"github.com/syncd-dev/syncd/internal/clients/rentengine"
	"github.com/syncd-dev/syncd/internal/clients/upstream"
	"github.com/syncd-dev/syncd/internal/rentenginefake"
)

func TestEventTypesAreTheDocumentedList(t *testing.T) {
	if n := len(rentengine.EventTypes); n != 43 {
		t.Errorf("%d event types, the docs list 43", n)
	}
	if first, last := rentengine.EventTypes[0], rentengine.EventTypes[len(rentengine.EventTypes)-1]; first != "New" {
		t.Errorf("list starts with %q, want New (last is %q)", first, last)
	}
	seen := map[string]bool{}
	for _, typ := range append(append([]string{}, rentengine.EventTypes...), rentengine.ExtraEventTypes...) {
		if seen[typ] {
			t.Errorf("%q listed twice", typ)
		}
		seen[typ] = true
		if typ != strings.TrimSpace(typ) || typ == "" {
			t.Errorf("%q has surrounding space", typ)
		}
		if !rentengine.KnownEventType(typ) {
			t.Errorf("KnownEventType(%q) = false", typ)
		}
	}
	for _, typ := range []string{
		"Contacted, Awaiting Information", "Prescreen Rejected - Credit", "Prescreen Rejected - Income",
		"Prescreen Rejected - ID Verification", "HOA Application Sent To Prospect", "HOA Application Rejected",
		"Showing Confirmed", "Arrived for Showing", "Showing Failed", "Reassign Showing", "Log Note",
		"Unblock Prospect", "Looking too early", "Move-in Scheduled",
	} {
		if !seen[typ] {
			t.Errorf("%q missing", typ)
		}
	}
	// Near misses are not known: matching is exact, as upstream's values are.
	for _, typ := range []string{"Prescreen Rejected", "Contacted", "looking too early", "New ", "Showing Rescheduled"} {
		if rentengine.KnownEventType(typ) {
			t.Errorf("KnownEventType(%q) = true", typ)
		}
	}
}

func TestStatusEvents(t *testing.T) {
	nonStatus := map[string]bool{"Assign to User": true, "Log Note": true, "Blocklist Prospect": true,
		"Unblock Prospect": true, "Reassign Showing": true}
	for _, typ := range rentengine.EventTypes {
		if got := rentengine.StatusEvent(typ); got == nonStatus[typ] {
			t.Errorf("StatusEvent(%q) = %v", typ, got)
		}
	}
	for typ := range nonStatus {
		if !rentengine.KnownEventType(typ) {
			t.Errorf("non-status type %q is not in the list", typ)
		}
	}
	// A type RentEngine adds later is a status: a new stage must not vanish.
	for _, typ := range []string{"Showing Pending", "Showing Rescheduled", ""} {
		if !rentengine.StatusEvent(typ) {
			t.Errorf("StatusEvent(%q) = false, want true", typ)
		}
	}
}

// The account filter goes only where it is documented: /units takes accountId; /prospects and
// /leasing_events document none, and a strict server rejects unknown parameters.
func TestAccountFilterOnlyOnUnits(t *testing.T) {
	const account = "3f6c2a9e-5b7d-4e51-9a0c-2d8e4f7b1c35"
	fake := rentenginefake.New(rentenginefake.Options{Token: "good"})
	t.Cleanup(fake.Close)
	c, err := rentengine.New(rentengine.Config{BaseURL: fake.BaseURL(), Token: "good", AccountID: account,
		Upstream: upstream.Config{Retry: upstream.RetryPolicy{MaxAttempts: 1}}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, res := range rentengine.Resources {
		if err := c.List(context.Background(), res, func(upstream.Page) error { return nil }); err != nil {
			t.Errorf("list %s: %v", res, err)
		}
	}
	for _, r := range fake.Requests() {
		has := strings.Contains(r.RawQuery, "accountId="+account)
		if want := strings.HasSuffix(r.Path, "/units"); has != want {
			t.Errorf("%s?%s: account filter sent = %v, want %v", r.Path, r.RawQuery, has, want)
		}
		if strings.Contains(r.RawQuery, "account_id") {
			t.Errorf("%s?%s: undocumented account_id sent", r.Path, r.RawQuery)
		}
	}
}
