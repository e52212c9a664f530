package rentengine

import (
	"fmt"

	"github.com/syncd-dev/syncd/internal/clients/upstream"
	"github.com/syncd-dev/syncd/internal/contract"
)

// Everything below is what ../shared/reference/CONTRACT.md fixes for RentEngine, including the
// decisions marked [chosen] there. When the real API is confirmed, this is the file to change,
// with internal/contract, which holds what the configuration needs too (the base URL, the
// default rate and the leasing-event types).

const (
	// DefaultBaseURL is the production base URL [documented] (kept in internal/contract, shared
	// with the configuration's defaults).
	DefaultBaseURL = contract.RentEngineDefaultBaseURL
	// PageSize is the largest documented `limit` [documented: default 50, max 100].
	PageSize = 100
	// ParamLimit and ParamPage are the paging parameters; `page_number` counts from 0
	// [documented]. `offset` and `page` are rejected with 400 [third-party].
	ParamLimit = "limit"
	ParamPage  = "page_number"
	// FirstPage is the first page_number.
	FirstPage = 0

	// DefaultRateRequests per DefaultRatePer is the assumed token limit [chosen: "about 20
	// requests per 5 s per token"] (kept in internal/contract).
	DefaultRateRequests = contract.RentEngineDefaultRateRequests
	DefaultRatePer      = contract.RentEngineDefaultRatePer

	// SourceAutomation marks events created by syncd.
	SourceAutomation = "Automation"
)

// The leasing-event vocabulary (every type, which are status-bearing, which are known) lives in
// internal/contract, shared with the configuration, which validates score stages against it and
// must not import a client. These are the names this package and its callers use.
const (
	// EventAssignToUser is the one type that can be created through the API.
	EventAssignToUser = contract.EventAssignToUser
)

// NonStatusEventTypes are the types that never become a prospect's status (contract.NonStatusEventTypes).
var NonStatusEventTypes = contract.NonStatusEventTypes

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
