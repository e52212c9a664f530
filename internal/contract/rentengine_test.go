package contract_test

import (
	"strings"
	"testing"

	"github.com/syncd-dev/syncd/internal/contract"
)

func TestEventTypesAreTheDocumentedList(t *testing.T) {
	if n := len(contract.EventTypes); n != 43 {
		t.Errorf("%d event types, the docs list 43", n)
	}
	if first, last := contract.EventTypes[0], contract.EventTypes[len(contract.EventTypes)-1]; first != "New" {
		t.Errorf("list starts with %q, want New (last is %q)", first, last)
	}
	seen := map[string]bool{}
	for _, typ := range append(append([]string{}, contract.EventTypes...), contract.ExtraEventTypes...) {
		if seen[typ] {
			t.Errorf("%q listed twice", typ)
		}
		seen[typ] = true
		if typ != strings.TrimSpace(typ) || typ == "" {
			t.Errorf("%q has surrounding space", typ)
		}
		if !contract.KnownEventType(typ) {
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
		if contract.KnownEventType(typ) {
			t.Errorf("KnownEventType(%q) = true", typ)
		}
	}
}

func TestStatusEvents(t *testing.T) {
	nonStatus := map[string]bool{"Assign to User": true, "Log Note": true, "Blocklist Prospect": true,
		"Unblock Prospect": true, "Reassign Showing": true}
	for _, typ := range contract.EventTypes {
		if got := contract.StatusEvent(typ); got == nonStatus[typ] {
			t.Errorf("StatusEvent(%q) = %v", typ, got)
		}
	}
	for typ := range nonStatus {
		if !contract.KnownEventType(typ) {
			t.Errorf("non-status type %q is not in the list", typ)
		}
	}
	// A type RentEngine adds later is a status: a new stage must not vanish.
	for _, typ := range []string{"Showing Pending", "Showing Rescheduled", ""} {
		if !contract.StatusEvent(typ) {
			t.Errorf("StatusEvent(%q) = false, want true", typ)
		}
	}
}
