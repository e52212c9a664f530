package contract

// FunnelFlux Pro report window (what syncd's configuration needs beyond the client's contract).
const (
	// FunnelFluxDefaultReportDays is how many days, today included, each pull re-reads [I:
	// conversions arrive late and cost updates are applied asynchronously; 3–7 days advised].
	FunnelFluxDefaultReportDays = 7
	// FunnelFluxMaxReportDays bounds report_days: a reporting workload that slows the service
	// for others is named as abusive.
	FunnelFluxMaxReportDays = 90
)
