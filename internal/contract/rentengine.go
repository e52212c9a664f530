package contract

import (
	"slices"
	"time"
)

// RentEngine Public API.
const (
	// RentEngineDefaultBaseURL is the production base URL [documented].
	RentEngineDefaultBaseURL = "https://app.rentengine.io/api/public/v1"

	// RentEngineDefaultRateRequests per RentEngineDefaultRatePer is the assumed token limit
	// [chosen: "about 20 requests per 5 s per token"].
	RentEngineDefaultRateRequests = 20
	RentEngineDefaultRatePer      = 5 * time.Second
)

// RentEngine leasing event types, spelled exactly as the API sends them (case, punctuation and
// the comma inside "Contacted, Awaiting Information" included). A prospect's status holds one of
// these: the type of its latest status-bearing event.
//
// [documented] The docs list 43 types, "New" … "Reassign Showing", but the archived copy shows
// only the ends of the list; the strings in between are an integrator's model of the same enum
// [third-party] (see rentengine.md §6.1). Only "Assign to User" can be created through the API.
const (
	EventNew                             = "New"
	EventContactedAwaitingInformation    = "Contacted, Awaiting Information"
	EventShowingDesired                  = "Showing Desired"
	EventShowingScheduled                = "Showing Scheduled"
	EventShowingConfirmed                = "Showing Confirmed"
	EventArrivedForShowing               = "Arrived for Showing"
	EventShowingStarted                  = "Showing Started"
	EventShowingComplete                 = "Showing Complete"
	EventMissedShowing                   = "Missed Showing"
	EventShowingFailed                   = "Showing Failed"
	EventShowingCanceled                 = "Showing Canceled"
	EventReassignShowing                 = "Reassign Showing"
	EventGhosting                        = "Ghosting"
	EventApplicationSentToProspect       = "Application Sent to Prospect"
	EventApplicationReceived             = "Application Received"
	EventApplicationPending              = "Application Pending"
	EventApplicationInOwnerReview        = "Application in Owner Review"
	EventApplicationApproved             = "Application Approved"
	EventApplicationRejected             = "Application Rejected"
	EventWithdrawn                       = "Withdrawn"
	EventPrescreenSubmitted              = "Prescreen Submitted"
	EventPrescreenRejectedCredit         = "Prescreen Rejected - Credit"
	EventPrescreenRejectedIncome         = "Prescreen Rejected - Income"
	EventPrescreenRejectedIDVerification = "Prescreen Rejected - ID Verification"
	EventPrescreenApproved               = "Prescreen Approved"
	EventLookingTooEarly                 = "Looking too early"
	EventLeaseOutForSigning              = "Lease out for signing"
	EventLeaseSigned                     = "Lease Signed"
	EventDepositReceived                 = "Deposit Received"
	EventMoveInScheduled                 = "Move-in Scheduled"
	EventMovedIn                         = "Moved In"
	EventUnitOfInterestUnavailable       = "Unit of Interest Unavailable"
	EventNotInterested                   = "Not Interested"
	EventDuplicateLead                   = "Duplicate Lead"
	EventStillDeciding                   = "Still Deciding"
	EventHOAApplicationSentToProspect    = "HOA Application Sent To Prospect"
	EventHOAApplicationSubmitted         = "HOA Application Submitted"
	EventHOAApplicationApproved          = "HOA Application Approved"
	EventHOAApplicationRejected          = "HOA Application Rejected"
	EventLogNote                         = "Log Note"
	EventAssignToUser                    = "Assign to User"
	EventBlocklistProspect               = "Blocklist Prospect"
	EventUnblockProspect                 = "Unblock Prospect"

	// EventShowingPending is not on the docs page; one integrator's model has it (the other
	// does not). It is treated as a known, status-bearing type.
	EventShowingPending = "Showing Pending"
)

// EventTypes is the canonical list: the 43 documented types. It is not exhaustive for ever
// (RentEngine adds types), so code must never reject a type that is not in it; see
// KnownEventType and StatusEvent.
var EventTypes = []string{
	EventNew, EventContactedAwaitingInformation, EventShowingDesired, EventShowingScheduled,
	EventShowingConfirmed, EventArrivedForShowing, EventShowingStarted, EventShowingComplete,
	EventMissedShowing, EventShowingFailed, EventShowingCanceled, EventReassignShowing, EventGhosting,
	EventApplicationSentToProspect, EventApplicationReceived, EventApplicationPending,
	EventApplicationInOwnerReview, EventApplicationApproved, EventApplicationRejected, EventWithdrawn,
	EventPrescreenSubmitted, EventPrescreenRejectedCredit, EventPrescreenRejectedIncome,
	EventPrescreenRejectedIDVerification, EventPrescreenApproved, EventLookingTooEarly,
	EventLeaseOutForSigning, EventLeaseSigned, EventDepositReceived, EventMoveInScheduled, EventMovedIn,
	EventUnitOfInterestUnavailable, EventNotInterested, EventDuplicateLead, EventStillDeciding,
	EventHOAApplicationSentToProspect, EventHOAApplicationSubmitted, EventHOAApplicationApproved,
	EventHOAApplicationRejected, EventLogNote, EventAssignToUser, EventBlocklistProspect,
	EventUnblockProspect,
}

// ExtraEventTypes are known beyond the canonical list [third-party]: accepted in configuration
// and given default scores like documented types.
var ExtraEventTypes = []string{EventShowingPending}

// NonStatusEventTypes record something done to a prospect (a note, an assignment, a block), not a
// stage it reached, so they never become a prospect's derived status [chosen]. Every other
// type, including one syncd has never seen, is status-bearing: a new upstream stage then shows up
// as a status (and as "no status score" in push plans) instead of being dropped silently.
var NonStatusEventTypes = []string{
	EventAssignToUser, EventLogNote, EventBlocklistProspect, EventUnblockProspect, EventReassignShowing,
}

// StatusEvent reports whether an event of this type changes the prospect's status. Unknown
// types do.
func StatusEvent(eventType string) bool { return !slices.Contains(NonStatusEventTypes, eventType) }

// KnownEventType reports whether eventType is, exactly, a documented or extra type.
func KnownEventType(eventType string) bool {
	return slices.Contains(EventTypes, eventType) || slices.Contains(ExtraEventTypes, eventType)
}
