package funnelflux

import (
	"encoding/json"
	"net/url"

	"github.com/syncd-dev/syncd/internal/clients/flex"

	"github.com/syncd-dev/syncd/internal/contract"
)

// Everything below is what ../shared/reference/funnelflux.md says about FunnelFlux Pro, and every
// guess where it is silent. The reference tags each fact [V] verified, [A] analogue (the
// self-hosted v2 product's spec, not Pro) or [I] inferred; each constant here carries its tag.
// When the live "Download schema" YAMLs are read, this is the file to change: every [A] or [I]
// path, field name, paging field and report grouping is one line here and nowhere else (the fake,
// internal/testing/funnelfluxfake, reads them from here too). What the configuration needs (base
// URL, default rate, postbackCalls values) lives in internal/contract and is re-exported here.

const (
	// DefaultBaseURL is the production base URL [V].
	DefaultBaseURL = contract.FunnelFluxDefaultBaseURL
	// DefaultRateRequests per DefaultRatePer with DefaultRateBurst is the client-side limit when a
	// tenant sets none [I] (kept in internal/contract).
	DefaultRateRequests = contract.FunnelFluxDefaultRateRequests
	DefaultRatePer      = contract.FunnelFluxDefaultRatePer
	DefaultRateBurst    = contract.FunnelFluxDefaultRateBurst
	// TokenLifetime is an access token's life [V: 72 h].
	TokenLifetime = contract.FunnelFluxTokenLifetime
)

// Authentication.
const (
	// PathValidate is the token check and refresh [V: POST /auth/validate; the access token in the
	// Bearer header, accepted there even when expired].
	PathValidate = "/auth/validate"
	// FieldRefreshToken is the request body's refresh token [V: {"refresh_token": "..."}].
	FieldRefreshToken = "refresh_token"
	// The answer's token object and its fields [V-partial: {"tokens": {"access_token",
	// "expires_at"}}; the docs say to ignore the other fields]. A rotated refresh token, when
	// the answer carries one, is kept too [I: not documented; harmless when absent].
	FieldTokens          = "tokens"
	FieldTokenAccess     = "access_token"
	FieldTokenExpiresAt  = "expires_at"
	FieldTokenRefresh    = "refresh_token"
	expiresAtMillisAbove = 1e11 // [I: seconds or milliseconds unknown]: above this it is milliseconds
)

// Asset is a ledger list that is mirrored.
type Asset string

// The mirrored asset lists.
const (
	Funnels        Asset = "funnels"
	FunnelGroups   Asset = "funnel_groups"
	TrafficSources Asset = "traffic_sources"
)

// Assets lists the mirrored asset lists in pull order: groups before the funnels that name them.
var Assets = []Asset{FunnelGroups, Funnels, TrafficSources}

// assetPath is each list's path [I: the docs URL /api/assets/middlewareconfig/list suggests
// /<asset>/<operation>; the exact paths were not visible]. Funnel groups use the newer set, not
// the legacy "campaign" URLs [V: both exist].
var assetPath = map[Asset]string{
	Funnels:        "/funnel/list",
	FunnelGroups:   "/funnelgroup/list",
	TrafficSources: "/trafficsource/list",
}

// Path is the asset list's path below the base URL.
func (a Asset) Path() string { return assetPath[a] }

// Op names the call in errors, metrics and syncd probe.
func (a Asset) Op() string { return "GET " + a.Path() }

// ParamStatus and StatusNotDeleted filter a list [V: lists take `status`; empty or
// `not-deleted` excludes deleted items, seen for middleware configs] [I: the same for these
// lists]. Archived items are listed, so that only deleted ones become tombstones.
const (
	ParamStatus      = "status"
	StatusNotDeleted = "not-deleted"
)

// listQuery is the query of every asset list.
func listQuery() url.Values { return url.Values{ParamStatus: {StatusNotDeleted}} }

// Asset records [V unless tagged]: the json tags below are the field names, each one line.
// The record structs read only what the mirror keeps in typed columns; every record's raw JSON
// is kept as received (Raw). Ids are strings upstream [V: Pro uses string ids] and are kept as
// text whatever they arrive as; unknown fields are ignored, nulls decode as not valid.

// Funnel is one funnel of the funnel list.
type Funnel struct {
	ID            flex.ID     `json:"idFunnel"`
	Name          flex.String `json:"funnelName"`
	FunnelGroupID flex.ID     `json:"idFunnelGroup"`
	// CampaignID is the legacy alias of FunnelGroupID [V]; GroupID prefers FunnelGroupID.
	CampaignID flex.ID     `json:"idCampaign"`
	FunnelType flex.String `json:"funnelType"`
	Status     flex.String `json:"status"`
	CategoryID flex.ID     `json:"idCategory"`
	UpdatedAt  flex.Time   `json:"updatedAt"` // [I: RFC3339 like every Pro time; not seen]
	// Raw is the record as received.
	Raw json.RawMessage `json:"-"`
}

// GroupID is the funnel's group id: idFunnelGroup, or the legacy idCampaign when that is absent
// ("" when neither is sent).
func (f Funnel) GroupID() string { return firstID(f.FunnelGroupID, f.CampaignID) }

// FunnelGroup is one funnel group (a "campaign" in legacy URLs and fields [V]).
type FunnelGroup struct {
	ID flex.ID `json:"idFunnelGroup"` // [I: the group's own id field]
	// CampaignID is the legacy alias of ID [V for funnels, I for groups]; Key prefers ID.
	CampaignID   flex.ID         `json:"idCampaign"`
	Name         flex.String     `json:"funnelGroupName"` // [I]
	CampaignName flex.String     `json:"campaignName"`    // [I: the legacy spelling]
	Status       flex.String     `json:"status"`
	CategoryID   flex.ID         `json:"idCategory"`
	UpdatedAt    flex.Time       `json:"updatedAt"` // [I]
	Raw          json.RawMessage `json:"-"`
}

// Key is the group's id: idFunnelGroup, or the legacy idCampaign when that is absent.
func (g FunnelGroup) Key() string { return firstID(g.ID, g.CampaignID) }

// DisplayName is funnelGroupName, or the legacy campaignName when that is absent.
func (g FunnelGroup) DisplayName() flex.String {
	if g.Name.Valid {
		return g.Name
	}
	return g.CampaignName
}

// TrafficSource is one traffic source of the list [V: idTrafficSource, trafficSourceName,
// status, idCategory, categoryName; costType on the full record].
type TrafficSource struct {
	ID           flex.ID         `json:"idTrafficSource"`
	Name         flex.String     `json:"trafficSourceName"`
	Status       flex.String     `json:"status"`
	CategoryID   flex.ID         `json:"idCategory"`
	CategoryName flex.String     `json:"categoryName"`
	CostType     flex.String     `json:"costType"`
	UpdatedAt    flex.Time       `json:"updatedAt"` // [I]
	Raw          json.RawMessage `json:"-"`
}

// idFields are the id fields of each asset, in order of preference (mirroring the tags above).
var idFields = map[Asset][]string{
	Funnels:        {"idFunnel"},
	FunnelGroups:   {"idFunnelGroup", "idCampaign"},
	TrafficSources: {"idTrafficSource"},
}

// Reporting: the drilldown report [A: v2 Stats API; Pro's path and names were not visible].
const (
	// PathDrilldown creates a drilldown report [I: path unknown].
	PathDrilldown = "/reporting/drilldown"
	// PathAttributes lists the available attributes (groupings) [I: path unknown]. Only syncd
	// probe calls it, to show the real grouping names.
	PathAttributes = "/reporting/attributes"

	// Request fields [A, with Pro's RFC3339 timeStart/timeEnd and a zone name: I].
	ReqTimeStart       = "timeStart" // inclusive, RFC3339 local midnight in the zone
	ReqTimeEnd         = "timeEnd"   // exclusive [A]
	ReqTimeZone        = "timeZone"  // IANA name [A: {name, offset}; I: a name string in Pro]
	ReqGroupings       = "groupings"
	ReqGroupBy         = "groupBy"
	ReqPaging          = "paging"
	ReqPagingStart     = "start"  // [A] from 0
	ReqPagingLength    = "length" // [A] default 50
	ReqSorting         = "sorting"
	ReqSortColumn      = "column"
	ReqSortDirection   = "direction"
	ReqOptions         = "options"
	ReqViewType        = "viewType"        // [A] flat | tree | mixed
	ReqTimeAttribution = "timeAttribution" // [A] entrance | event
	ReqOnlyConverted   = "onlyConvertedHits"
	ViewFlat           = "flat"
	AttributeEntrance  = "entrance"
	AttributeEvent     = "event"

	// Response fields [A].
	RespColumns      = "columns"
	RespColumnName   = "name"
	RespColumnType   = "type"
	RespRows         = "rows"
	RespRowID        = "rowId"
	RespCells        = "cells"
	RespCellRaw      = "raw"
	RespCellText     = "formatted"
	RespChildren     = "children"
	RespRowsReturned = "rowsReturned"
	RespRowsTotal    = "rowsTotal"

	// ReportPageSize is the `length` asked per page [I: v2 defaults to 50; no maximum seen].
	ReportPageSize = 500
)

// Grouping names sent as groupBy [A: the v2 dimension names; I: Pro's "List available
// attributes" gives the real ones, which syncd probe shows]. The daily report groups by Date ×
// Funnel × Traffic Source; the conversion report by the same three × Hit ID × Conversion TxID,
// both attributed to entrances [A: timeAttribution entrance counts a conversion at its hit's
// entrance time], so that a confirmed lease has the funnel, traffic source and day of the daily
// row whose cost bought it.
const (
	GroupDate          = "Date"
	GroupFunnel        = "Funnel"
	GroupTrafficSource = "Traffic Source"
	GroupHitID         = "Hit ID"
	GroupConversionTx  = "Conversion TxID"
)

// Metric column names read from the report [A: v2 metrics Entrances, Conv., Revenue, Cost, P/L].
const (
	MetricEntrances   = "Entrances"
	MetricConversions = "Conv."
	MetricRevenue     = "Revenue"
	MetricCost        = "Cost"
	MetricProfit      = "P/L"
)

// columnAliases are other spellings accepted for a column of the answer, compared without case,
// spaces or punctuation [I]: the answer is matched by column name, so that a renamed column is
// an error instead of a silently shifted number.
var columnAliases = map[string][]string{
	GroupDate:          {"day", "date"},
	GroupFunnel:        {"funnel", "idFunnel", "funnelId"},
	GroupTrafficSource: {"trafficSource", "idTrafficSource", "trafficSourceId"},
	GroupHitID:         {"hit", "hitId", "idHit"},
	GroupConversionTx:  {"transaction", "txId", "conversionTransaction"},
	MetricEntrances:    {"entrances"},
	MetricConversions:  {"conversions", "conv"},
	MetricRevenue:      {"revenue"},
	MetricCost:         {"cost"},
	MetricProfit:       {"profit", "pl", "p/l", "profitLoss"},
}

// Conversion updates [V: PUT /reporting/update/conversions/, queued, no body in the answer].
const (
	PathConversions = "/reporting/update/conversions/"
	// ReqConvertedHits is the array of ConvertedHit [V: required array; I: its name].
	ReqConvertedHits = "hits"
	// ConvertedHit fields [A: idHit required, transaction default "", payout nullable, -1 un-converts].
	ReqHitID       = "idHit"
	ReqTransaction = "transaction"
	ReqPayout      = "payout"
	// Update options [V].
	ReqPostbackCalls    = "postbackCalls"
	ReqOverridePayout   = "overridePayout"
	ReqDisablePostbacks = "disablePostbacks"
	ReqForcePostbacks   = "forcePostbacks"
	// PayoutUnconvert removes a conversion [V].
	PayoutUnconvert = -1
)

// The postbackCalls values [V] (kept in internal/contract).
const (
	PostbackNone     = contract.FunnelFluxPostbackNone
	PostbackOnlyOnce = contract.FunnelFluxPostbackOnlyOnce
	PostbackAll      = contract.FunnelFluxPostbackAll
)

// Error bodies [I: none documented]: {"error": "...", "message": "..."} is read when present,
// any other body is kept as an excerpt.
const (
	ErrFieldError   = "error"
	ErrFieldMessage = "message"
)

// The calls' names as errors, metrics and syncd probe show them.
const (
	OpValidate    = "POST " + PathValidate
	OpDrilldown   = "POST " + PathDrilldown
	OpAttributes  = "GET " + PathAttributes
	OpConversions = "PUT " + PathConversions
)
