package rentengine

import (
	"fmt"
	"slices"
	"time"

	"github.com/syncd-dev/syncd/internal/clients/upstream"
)

// Everything below is what ../shared/reference/CONTRACT.md fixes for RentEngine, including the
// decisions marked [chosen] there. When the real API is confirmed, this is the file to change.

const (
	// DefaultBaseURL is the production base URL [documented].
	DefaultBaseURL = "https://app.rentengine.io/api/public/v1"
	// PageSize is the largest documented `limit` [documented: default 50, max 100].
	PageSize = 100
	// ParamLimit and ParamPage are the paging parameters; `page_number` counts from 0
	// [documented]. `offset` and `page` are rejected with 400 [third-party].
	ParamLimit = "limit"
	ParamPage  = "page_number"
	// FirstPage is the first page_number.
	FirstPage = 0

	// DefaultRateRequests per DefaultRatePer is the assumed token limit [chosen: "about 20
	// requests per 5 s per token"].
	DefaultRateRequests = 20
	DefaultRatePer      = 5 * time.Second

	// SourceAutomation marks events created by syncd.
	SourceAutomation = "Automation"
)

// Leasing event types, spelled exactly as the API sends them (case, punctuation and the comma
// inside "Contacted, Awaiting Information" included). A prospect's status holds one of these: the
// type of its latest status-bearing event.
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

// Resource is a listable collection.
type Resource string

const (
	Units         Resource = "units"          // GET /units [documented]
	Prospects     Resource = "prospects"      // GET /prospects [third-party, live]
	LeasingEvents Resource = "leasing_events" // GET /leasing_events [chosen]
)

// Resources lists the pulled collections in pull order: units first so that prospects and events
// can be joined to them as soon as they land.
var Resources = []Resource{Units, Prospects, LeasingEvents}

// path returns the collection path of a resource.
func (r Resource) path() string { return "/" + string(r) }

// accountParam is the account-filter query parameter per resource; the API spells it
// differently per endpoint (accountId, account_id, account_ids). It is documented only for
// /units (`accountId`) [documented]; nothing documents one for /prospects or /leasing_events, so
// none is sent there [chosen]: a guessed parameter could be rejected with a 400 ("must NOT have
// additional properties") or silently ignored. Records of those resources are filtered by the
// account of the unit they reference instead (see internal/sync).
var accountParam = map[Resource]string{
	Units: "accountId",
}

// checkAssignAnswer reads the answer to POST /leasing_events: the created event(s), with the
// fields of the documented 201 (`id`, `prospect`, `event_type`, ...). Whether they come back as
// one object or an array is not documented, so both are accepted, and a {"data": ...} envelope
// too [chosen]. The answer proves the assignment when every event decodes (an id each) and one
// of them is an "Assign to User" event for the prospect sent; with applyActionInBulk the others
// are the prospects sharing its phone. The prospect may be spelled `prospect` (documented) or
// `prospect_id`, and as a number or a numeric string.
func checkAssignAnswer(raw []byte, prospectID int64) ([]LeasingEvent, error) {
	if err := upstream.CheckJSONBody(raw); err != nil {
		return nil, err
	}
	evs, err := decodeEvents(raw)
	if err != nil {
		return nil, fmt.Errorf("not the documented leasing-event answer: %w", err)
	}
	for _, ev := range evs {
		if p := ev.ProspectRef(); p.Valid && p.V == prospectID && ev.EventType.V == EventAssignToUser {
			return evs, nil
		}
	}
	return nil, fmt.Errorf("not the documented leasing-event answer: no %q event for prospect %d among %d created",
		EventAssignToUser, prospectID, len(evs))
}
