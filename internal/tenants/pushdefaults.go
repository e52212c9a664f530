package tenants

import (
	"cmp"
	"maps"

	"github.com/syncd-dev/syncd/internal/contract"
)

// Push defaults. The push job never applies a default itself: it reads each block through its
// Resolved method below, which lays the tenant's settings over these. A Tenant built by hand
// (tests, the benchmark) resolves the same way as one loaded from a file.

// DefaultScoreName is the customer score's name in Funnel when the tenant sets none.
const DefaultScoreName = "RentEngine leasing stage"

// DefaultMaximumScore is sent as maximum_score when the tenant sets none.
const DefaultMaximumScore = 100

// DefaultStages scores RentEngine prospect statuses (leasing event types, keyed by the exact
// strings of contract.EventTypes) from 0 to 100 by how close the prospect is to a signed lease.
// Every status-bearing type has an entry here or is in UnscoredStages (a test holds this); README
// shows the table. A tenant's push.customer_scores.stages override these status by status;
// statuses in neither are not scored (and are reported in the plan as "no status score").
//
// "Blocklist Prospect" is not a status-bearing event (a derived status skips it), but prospect
// records have been seen carrying it as their status [third-party], so such a record scores 0.
var DefaultStages = map[string]int{
	// First contact.
	contract.EventNew:                          10,
	contract.EventGhosting:                     10,
	contract.EventLookingTooEarly:              15,
	contract.EventUnitOfInterestUnavailable:    15,
	contract.EventContactedAwaitingInformation: 20,
	// Showings; a showing that did not happen leaves a lead still worth following up.
	contract.EventMissedShowing:      20,
	contract.EventShowingFailed:      25,
	contract.EventShowingCanceled:    25,
	contract.EventShowingDesired:     35,
	contract.EventPrescreenSubmitted: 40,
	contract.EventShowingPending:     45,
	contract.EventPrescreenApproved:  45,
	contract.EventShowingScheduled:   50,
	contract.EventShowingConfirmed:   52,
	contract.EventArrivedForShowing:  55,
	contract.EventShowingStarted:     55,
	contract.EventStillDeciding:      55,
	contract.EventShowingComplete:    60,
	// Applications, then the HOA's approval where the unit needs one.
	contract.EventApplicationSentToProspect:    70,
	contract.EventApplicationReceived:          80,
	contract.EventApplicationPending:           82,
	contract.EventApplicationInOwnerReview:     85,
	contract.EventApplicationApproved:          90,
	contract.EventHOAApplicationSentToProspect: 91,
	contract.EventHOAApplicationSubmitted:      92,
	contract.EventHOAApplicationApproved:       93,
	// The lease.
	contract.EventLeaseOutForSigning: 95,
	contract.EventLeaseSigned:        100,
	contract.EventDepositReceived:    100,
	contract.EventMoveInScheduled:    100,
	contract.EventMovedIn:            100,
	// Rejected or gone.
	contract.EventPrescreenRejectedCredit:         5,
	contract.EventPrescreenRejectedIncome:         5,
	contract.EventPrescreenRejectedIDVerification: 5,
	contract.EventApplicationRejected:             5,
	contract.EventHOAApplicationRejected:          5,
	contract.EventNotInterested:                   0,
	contract.EventWithdrawn:                       0,
	contract.EventBlocklistProspect:               0,
}

// UnscoredStages are status-bearing types deliberately left without a default score.
//   - "Duplicate Lead": the record duplicates another prospect of the same person and says nothing
//     about that person's stage. A score from it (even 0) would be pushed under the duplicate's
//     own contact details, which Funnel may match to the same client as the real lead, replacing
//     that lead's score.
var UnscoredStages = []string{contract.EventDuplicateLead}

// DefaultAssignmentNotes is the note of an "Assign to User" event when the tenant sets none.
const DefaultAssignmentNotes = "Assigned by syncd: Funnel agent"

// Resolved returns the customer-score settings a push applies: the tenant's block (nil when
// left out) over the defaults. Enabled and Targets are set, ScoreName defaults to
// DefaultScoreName, MaximumScore to DefaultMaximumScore, and Stages is DefaultStages with the
// tenant's stages over them, status by status (a map of its own).
func (cs *CustomerScores) Resolved() CustomerScores {
	var out CustomerScores
	if cs != nil {
		out = *cs
	}
	enabled := KindEnabled(out.Enabled)
	out.Enabled = &enabled
	out.Targets = cmp.Or(out.Targets, ScoreTargetsLinked)
	out.ScoreName = cmp.Or(out.ScoreName, DefaultScoreName)
	out.MaximumScore = cmp.Or(out.MaximumScore, DefaultMaximumScore)
	stages := maps.Clone(DefaultStages)
	maps.Copy(stages, out.Stages)
	out.Stages = stages
	return out
}

func yes() *bool { v := true; return &v }
func no() *bool  { v := false; return &v }

// DefaultTemplates is the resident-app renewal card per known renewal status. Text fields are Go
// templates over the renewal; see RenewalData.
var DefaultTemplates = map[string]RenewalTemplate{
	string(contract.RenewalNotStarted): {Show: no()},
	string(contract.RenewalOffered): {
		Show:         yes(),
		Header:       "Your renewal offer is ready",
		Subheader:    "Unit {{.UnitNumber}}",
		Body:         "Renew at {{money .OfferRent}} a month. The offer is open until {{date .OfferExpiresAt}}.",
		Alert:        yes(),
		AlertBody:    "Please answer by {{date .OfferExpiresAt}}.",
		AlertType:    contract.AlertInfo,
		Clickthrough: yes(),
		Icon:         "RENEWAL",
	},
	string(contract.RenewalPending): {
		Show:         yes(),
		Header:       "Your renewal is being prepared",
		Subheader:    "Unit {{.UnitNumber}}",
		Body:         "We are preparing your new lease documents. We will let you know when they are ready to sign.",
		Alert:        no(),
		Clickthrough: no(),
		Icon:         "RENEWAL",
	},
	string(contract.RenewalSigned): {
		Show:         yes(),
		Header:       "You're renewed!",
		Subheader:    "Unit {{.UnitNumber}}",
		Body:         "Thank you for staying with us. Your renewed lease is signed.",
		Alert:        no(),
		Clickthrough: no(),
		Icon:         "RENEWAL",
	},
	string(contract.RenewalDeclined): {
		Show:         yes(),
		Header:       "Renewal declined",
		Subheader:    "Unit {{.UnitNumber}}",
		Body:         "You declined the renewal offer. Your lease ends on {{date .LeaseEnd}}.",
		Alert:        yes(),
		AlertBody:    "Please schedule your move-out inspection before {{date .LeaseEnd}}.",
		AlertType:    contract.AlertWarning,
		Clickthrough: no(),
		Icon:         "RENEWAL",
	},
	string(contract.RenewalNoticeGiven): {
		Show:         yes(),
		Header:       "Notice to vacate received",
		Subheader:    "Unit {{.UnitNumber}}",
		Body:         "We received your notice. Your lease ends on {{date .LeaseEnd}}.",
		Alert:        yes(),
		AlertBody:    "Please schedule your move-out inspection before {{date .LeaseEnd}}.",
		AlertType:    contract.AlertWarning,
		Clickthrough: no(),
		Icon:         "RENEWAL",
	},
}

// Resolved returns the renewal-card settings a push applies: the tenant's block (nil when left
// out) with Enabled set and Templates being DefaultTemplates with the tenant's templates over
// them, status by status (a map of its own).
func (rs *RenewalStatus) Resolved() RenewalStatus {
	var out RenewalStatus
	if rs != nil {
		out = *rs
	}
	enabled := KindEnabled(out.Enabled)
	out.Enabled = &enabled
	tpls := maps.Clone(DefaultTemplates)
	maps.Copy(tpls, out.Templates)
	out.Templates = tpls
	return out
}

// Resolved returns the assignment settings a push applies: the tenant's block (nil when left
// out) with Enabled set and Notes defaulting to DefaultAssignmentNotes.
func (as *Assignments) Resolved() Assignments {
	var out Assignments
	if as != nil {
		out = *as
	}
	enabled := KindEnabled(out.Enabled)
	out.Enabled = &enabled
	out.Notes = cmp.Or(out.Notes, DefaultAssignmentNotes)
	return out
}
