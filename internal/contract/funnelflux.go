package contract

import "time"

// FunnelFlux Pro API (../shared/reference/funnelflux.md). What the configuration needs to know
// without importing the client.
const (
	// FunnelFluxDefaultBaseURL is the production base URL [V: swagger host api.funnelflux.pro,
	// basePath /v1].
	FunnelFluxDefaultBaseURL = "https://api.funnelflux.pro/v1"

	// FunnelFluxDefaultRateRequests per FunnelFluxDefaultRatePer with FunnelFluxDefaultRateBurst
	// is the client-side limit when a tenant sets none [I: no limit is published; FunnelFlux warns
	// against abusive automation and reporting workloads, so one request per second, one at a time].
	FunnelFluxDefaultRateRequests = 1
	FunnelFluxDefaultRatePer      = time.Second
	FunnelFluxDefaultRateBurst    = 1

	// FunnelFluxTokenLifetime is how long an access token lives [V: 72 hours].
	FunnelFluxTokenLifetime = 72 * time.Hour
)

// FunnelFluxPostbackCalls values of a conversion update's `postbackCalls` [V: enum none |
// onlyOnce | all, default none]: whether the traffic source's own postbacks fire for the hits.
const (
	FunnelFluxPostbackNone     = "none"
	FunnelFluxPostbackOnlyOnce = "onlyOnce"
	FunnelFluxPostbackAll      = "all"
)

// FunnelFluxPostbackCallsValues lists the accepted postbackCalls values.
func FunnelFluxPostbackCallsValues() []string {
	return []string{FunnelFluxPostbackNone, FunnelFluxPostbackOnlyOnce, FunnelFluxPostbackAll}
}
