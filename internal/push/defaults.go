package push

import (
	"maps"

	"github.com/syncd-dev/syncd/internal/clients/funnel"
	"github.com/syncd-dev/syncd/internal/clients/rentengine"
	"github.com/syncd-dev/syncd/internal/tenants"
)

// DefaultScoreName is the customer score's name in Funnel when the tenant sets none.
const DefaultScoreName = "RentEngine leasing stage"

// DefaultMaximumScore is sent as maximum_score when the tenant sets none.
const DefaultMaximumScore = 100

// DefaultStages scores RentEngine prospect statuses (leasing event types, keyed by the exact
// strings of rentengine.EventTypes) from 0 to 100 by how close the prospect is to a signed lease.
// Every status-bearing type has an entry here or is in UnscoredStages (a test holds this); README
// shows the table. A tenant's push.customer_scores.stages override these status by status;
// statuses in neither are not scored (and are reported in the plan as "no status score").
//
// "Blocklist Prospect" is not a status-bearing event (a derived status skips it), but prospect
// records have been seen carrying it as their status [third-party], so such a record scores 0.
var DefaultStages = map[string]int{
	// First contact.
	rentengine.EventNew:                          10,
	rentengine.EventGhosting:                     10,
	rentengine.EventLookingTooEarly:              15,
	rentengine.EventUnitOfInterestUnavailable:    15,
	rentengine.EventContactedAwaitingInformation: 20,
	// Showings; a showing that did not happen leaves a lead still worth following up.
	rentengine.EventMissedShowing:      20,
	rentengine.EventShowingFailed:      25,
	rentengine.EventShowingCanceled:    25,
	rentengine.EventShowingDesired:     35,
	rentengine.EventPrescreenSubmitted: 40,
	rentengine.EventShowingPending:     45,
	rentengine.EventPrescreenApproved:  45,
	rentengine.EventShowingScheduled:   50,
	rentengine.EventShowingConfirmed:   52,
	rentengine.EventArrivedForShowing:  55,
	rentengine.EventShowingStarted:     55,
	rentengine.EventStillDeciding:      55,
	rentengine.EventShowingComplete:    60,
	// Applications, then the HOA's approval where the unit needs one.
	rentengine.EventApplicationSentToProspect:    70,
	rentengine.EventApplicationReceived:          80,
	rentengine.EventApplicationPending:           82,
	rentengine.EventApplicationInOwnerReview:     85,
	rentengine.EventApplicationApproved:          90,
	rentengine.EventHOAApplicationSentToProspect: 91,
	rentengine.EventHOAApplicationSubmitted:      92,
	rentengine.EventHOAApplicationApproved:       93,
	// The lease.
	rentengine.EventLeaseOutForSigning: 95,
	rentengine.EventLeaseSigned:        100,
	rentengine.EventDepositReceived:    100,
	rentengine.EventMoveInScheduled:    100,
	rentengine.EventMovedIn:            100,
	// Rejected or gone.
	rentengine.EventPrescreenRejectedCredit:         5,
	rentengine.EventPrescreenRejectedIncome:         5,
	rentengine.EventPrescreenRejectedIDVerification: 5,
	rentengine.EventApplicationRejected:             5,
	rentengine.EventHOAApplicationRejected:          5,
	rentengine.EventNotInterested:                   0,
	rentengine.EventWithdrawn:                       0,
	rentengine.EventBlocklistProspect:               0,
}

// UnscoredStages are status-bearing types deliberately left without a default score.
//   - "Duplicate Lead": the record duplicates another prospect of the same person and says nothing
//     about that person's stage. A score from it (even 0) would be pushed under the duplicate's
//     own contact details, which Funnel may match to the same client as the real lead, replacing
//     that lead's score.
var UnscoredStages = []string{rentengine.EventDuplicateLead}

// stages merges a tenant's overrides onto the defaults.
func stages(cs *tenants.CustomerScores) map[string]int {
	out := maps.Clone(DefaultStages)
	if cs != nil {
		maps.Copy(out, cs.Stages)
	}
	return out
}

func yes() *bool { v := true; return &v }
func no() *bool  { v := false; return &v }

// DefaultTemplates is the resident-app renewal card per known renewal status. Text fields are Go
// templates over the renewal; see RenewalData.
var DefaultTemplates = map[string]tenants.RenewalTemplate{
	string(funnel.RenewalNotStarted): {Show: no()},
	string(funnel.RenewalOffered): {
		Show:         yes(),
		Header:       "Your renewal offer is ready",
		Subheader:    "Unit {{.UnitNumber}}",
		Body:         "Renew at {{money .OfferRent}} a month. The offer is open until {{date .OfferExpiresAt}}.",
		Alert:        yes(),
		AlertBody:    "Please answer by {{date .OfferExpiresAt}}.",
		AlertType:    funnel.AlertInfo,
		Clickthrough: yes(),
		Icon:         "RENEWAL",
	},
	string(funnel.RenewalPending): {
		Show:         yes(),
		Header:       "Your renewal is being prepared",
		Subheader:    "Unit {{.UnitNumber}}",
		Body:         "We are preparing your new lease documents. We will let you know when they are ready to sign.",
		Alert:        no(),
		Clickthrough: no(),
		Icon:         "RENEWAL",
	},
	string(funnel.RenewalSigned): {
		Show:         yes(),
		Header:       "You're renewed!",
		Subheader:    "Unit {{.UnitNumber}}",
		Body:         "Thank you for staying with us. Your renewed lease is signed.",
		Alert:        no(),
		Clickthrough: no(),
		Icon:         "RENEWAL",
	},
	string(funnel.RenewalDeclined): {
		Show:         yes(),
		Header:       "Renewal declined",
		Subheader:    "Unit {{.UnitNumber}}",
		Body:         "You declined the renewal offer. Your lease ends on {{date .LeaseEnd}}.",
		Alert:        yes(),
		AlertBody:    "Please schedule your move-out inspection before {{date .LeaseEnd}}.",
		AlertType:    funnel.AlertWarning,
		Clickthrough: no(),
		Icon:         "RENEWAL",
	},
	string(funnel.RenewalNoticeGiven): {
		Show:         yes(),
		Header:       "Notice to vacate received",
		Subheader:    "Unit {{.UnitNumber}}",
		Body:         "We received your notice. Your lease ends on {{date .LeaseEnd}}.",
		Alert:        yes(),
		AlertBody:    "Please schedule your move-out inspection before {{date .LeaseEnd}}.",
		AlertType:    funnel.AlertWarning,
		Clickthrough: no(),
		Icon:         "RENEWAL",
	},
}

// templates merges a tenant's templates onto the defaults, status by status.
func templates(rs *tenants.RenewalStatus) map[string]tenants.RenewalTemplate {
	out := maps.Clone(DefaultTemplates)
	if rs != nil {
		maps.Copy(out, rs.Templates)
	}
	return out
}
