package rentengine

import "time"

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

	// EventAssignToUser is the one leasing event type the API can create [documented].
	EventAssignToUser = "Assign to User"
	// SourceAutomation marks events created by syncd.
	SourceAutomation = "Automation"
)

// ActionEventTypes are leasing event types that record an action rather than a stage, so they
// never become a prospect's status [inferred: the status list in the docs has neither].
var ActionEventTypes = []string{EventAssignToUser, "Reassign Showing"}

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
// differently per endpoint and it is documented only for /units (`accountId`).
var accountParam = map[Resource]string{
	Units: "accountId",
}
