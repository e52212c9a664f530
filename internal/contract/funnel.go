package contract

import "time"

// Funnel Partner API.
const (
	// FunnelDefaultBaseURL is the production base URL: host [secondary source], path prefix
	// /api/partners/v1 [documented].
	FunnelDefaultBaseURL = "https://api.funnelleasing.com/api/partners/v1"

	// FunnelDefaultRateRequests per FunnelDefaultRatePer with FunnelDefaultRateBurst is the
	// client-side limit when a tenant sets none [chosen default: Funnel publishes no limit and
	// asks partners to be gentle].
	FunnelDefaultRateRequests = 5
	FunnelDefaultRatePer      = time.Second
	FunnelDefaultRateBurst    = 1

	// FunnelAuthBasic sends the API key as the Basic user name with an empty password;
	// FunnelAuthBearer as "Authorization: Bearer <key>" [documented: the Partner API accepts both].
	FunnelAuthBasic  = "basic"
	FunnelAuthBearer = "bearer"
)

// RenewalStatus is a Funnel renewal's state [chosen enum]. Values outside the known set still
// decode: Known tells them apart.
type RenewalStatus string

// The known renewal statuses.
const (
	RenewalNotStarted  RenewalStatus = "not-started"
	RenewalOffered     RenewalStatus = "offered"
	RenewalPending     RenewalStatus = "pending"
	RenewalSigned      RenewalStatus = "signed"
	RenewalDeclined    RenewalStatus = "declined"
	RenewalNoticeGiven RenewalStatus = "notice-given"
)

// RenewalStatuses lists the known values.
func RenewalStatuses() []RenewalStatus {
	return []RenewalStatus{RenewalNotStarted, RenewalOffered, RenewalPending, RenewalSigned,
		RenewalDeclined, RenewalNoticeGiven}
}

// Known reports whether s is one of RenewalStatuses.
func (s RenewalStatus) Known() bool {
	for _, k := range RenewalStatuses() {
		if s == k {
			return true
		}
	}
	return false
}

// Funnel renewal card alert types [documented].
const (
	AlertWarning = "WARNING"
	AlertInfo    = "INFO"
)
