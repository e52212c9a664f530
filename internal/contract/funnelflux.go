package contract

import "time"

// FunnelFlux Pro API (../shared/reference/funnelflux.md). TEMPORARY: the same names as h17a's
// client branch adds; this file is deleted when that branch is merged.
const (
	// FunnelFluxDefaultBaseURL is the production base URL [V: host api.funnelflux.pro, basePath /v1].
	FunnelFluxDefaultBaseURL = "https://api.funnelflux.pro/v1"

	// FunnelFluxDefaultRateRequests per FunnelFluxDefaultRatePer with FunnelFluxDefaultRateBurst
	// is the client-side limit when a tenant sets none [chosen default: FunnelFlux publishes no
	// number but may limit or suspend "abusive automation", and advises one reporting call in
	// flight per account].
	FunnelFluxDefaultRateRequests = 1
	FunnelFluxDefaultRatePer      = time.Second
	FunnelFluxDefaultRateBurst    = 1

	// Values of postbackCalls in a conversion update [V].
	FunnelFluxPostbackNone     = "none"
	FunnelFluxPostbackOnlyOnce = "onlyOnce"
	FunnelFluxPostbackAll      = "all"
)
