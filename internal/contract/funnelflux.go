package contract

import "time"

// FunnelFlux Pro API (../shared/reference/funnelflux.md).
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

	// FunnelFluxDefaultReportDays is how many days, today included, each pull re-reads [I:
	// conversions arrive late and cost updates are applied asynchronously; 3–7 days advised].
	FunnelFluxDefaultReportDays = 7
	// FunnelFluxMaxReportDays bounds report_days: a reporting workload that slows the service
	// for others is named as abusive.
	FunnelFluxMaxReportDays = 90

	// Values of postbackCalls in a conversion update [V].
	FunnelFluxPostbackNone     = "none"
	FunnelFluxPostbackOnlyOnce = "onlyOnce"
	FunnelFluxPostbackAll      = "all"
)
