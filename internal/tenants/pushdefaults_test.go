package tenants

import (
	"testing"

	"github.com/syncd-dev/syncd/internal/contract"
)

// The stage table against the full list of event types: every status-bearing type has a default
// score or is deliberately unscored, and every key is a type RentEngine sends (a key such as
// "Prescreen Rejected", which matches no real type, would leave those prospects unscored).
func TestDefaultStagesCoverEveryEventType(t *testing.T) {
	unscored := map[string]bool{}
	for _, st := range UnscoredStages {
		unscored[st] = true
		if _, ok := DefaultStages[st]; ok {
			t.Errorf("%q is both scored and in UnscoredStages", st)
		}
		if !contract.KnownEventType(st) || !contract.StatusEvent(st) {
			t.Errorf("unscored %q is not a known status-bearing type", st)
		}
	}
	for _, st := range append(append([]string{}, contract.EventTypes...), contract.ExtraEventTypes...) {
		_, scored := DefaultStages[st]
		if contract.StatusEvent(st) && !scored && !unscored[st] {
			t.Errorf("status %q has no default score and is not marked unscored", st)
		}
	}
	for st, v := range DefaultStages {
		if !contract.KnownEventType(st) {
			t.Errorf("default stage %q is not a RentEngine leasing event type", st)
		}
		if v < 0 || v > DefaultMaximumScore {
			t.Errorf("default stage %q scores %d, outside 0-%d", st, v, DefaultMaximumScore)
		}
		if !contract.StatusEvent(st) && st != contract.EventBlocklistProspect {
			t.Errorf("default stage %q can never be a status", st)
		}
	}
	// The ends of the funnel.
	if DefaultStages["New"] >= DefaultStages["Showing Scheduled"] || DefaultStages["Showing Scheduled"] >= DefaultStages["Application Received"] ||
		DefaultStages["Application Received"] >= DefaultStages["Lease Signed"] || DefaultStages["Lease Signed"] != DefaultMaximumScore {
		t.Errorf("stages out of order: %v", DefaultStages)
	}
	for _, st := range []string{"Prescreen Rejected - Credit", "Prescreen Rejected - Income", "Prescreen Rejected - ID Verification"} {
		if _, ok := DefaultStages[st]; !ok {
			t.Errorf("no default score for %q", st)
		}
	}
}

func TestDefaultTemplatesCoverEveryRenewalStatus(t *testing.T) {
	for _, st := range []string{"not-started", "offered", "pending", "signed", "declined", "notice-given"} {
		if _, ok := DefaultTemplates[st]; !ok {
			t.Errorf("no default card for renewal status %q", st)
		}
	}
}
