package push

import (
	"maps"

	"github.com/syncd-dev/syncd/internal/clients/funnel"
	"github.com/syncd-dev/syncd/internal/tenants"
)

// DefaultScoreName is the customer score's name in Funnel when the tenant sets none.
const DefaultScoreName = "RentEngine leasing stage"

// DefaultMaximumScore is sent as maximum_score when the tenant sets none.
const DefaultMaximumScore = 100

// DefaultStages scores every known RentEngine prospect status (a leasing event type) from 0 to
// 100 by how close the prospect is to a signed lease. A tenant's push.customer_scores.stages
// override these status by status; statuses in neither are not scored (and are reported).
var DefaultStages = map[string]int{
	"New":                             10,
	"Contacted, Awaiting Information": 20,
	"Ghosting":                        10,
	"Unit of Interest Unavailable":    15,
	"Showing Desired":                 35,
	"Showing Scheduled":               50,
	"Showing Canceled":                25,
	"Missed Showing":                  20,
	"Showing Complete":                60,
	"Still Deciding":                  55,
	"Application Sent to Prospect":    70,
	"Application Received":            80,
	"Application Approved":            90,
	"Lease Signed":                    100,
	"Moved In":                        100,
	"Prescreen Rejected":              5,
	"Not Interested":                  0,
	"Withdrawn":                       0,
	"Blocklist Prospect":              0,
}

// stages merges a tenant's overrides onto the defaults.
func stages(cs *tenants.CustomerScores) map[string]int {
	out := maps.Clone(DefaultStages)
	if cs != nil {
		maps.Copy(out, cs.Stages)
	}
	return out
}

func yes() *bool { v := true; return &v }
func no() *bool  { v := false; return &v }

// DefaultTemplates is the resident-app renewal card per known renewal status. Text fields are Go
// templates over the renewal; see RenewalData.
var DefaultTemplates = map[string]tenants.RenewalTemplate{
	string(funnel.RenewalNotStarted): {Show: no()},
	string(funnel.RenewalOffered): {
		Show:         yes(),
		Header:       "Your renewal offer is ready",
		Subheader:    "Unit {{.UnitNumber}}",
		Body:         "Renew at {{money .OfferRent}} a month. The offer is open until {{date .OfferExpiresAt}}.",
		Alert:        yes(),
		AlertBody:    "Please answer by {{date .OfferExpiresAt}}.",
		AlertType:    funnel.AlertInfo,
		Clickthrough: yes(),
		Icon:         "RENEWAL",
	},
	string(funnel.RenewalPending): {
		Show:         yes(),
		Header:       "Your renewal is being prepared",
		Subheader:    "Unit {{.UnitNumber}}",
		Body:         "We are preparing your new lease documents. We will let you know when they are ready to sign.",
		Alert:        no(),
		Clickthrough: no(),
		Icon:         "RENEWAL",
	},
	string(funnel.RenewalSigned): {
		Show:         yes(),
		Header:       "You're renewed!",
		Subheader:    "Unit {{.UnitNumber}}",
		Body:         "Thank you for staying with us. Your renewed lease is signed.",
		Alert:        no(),
		Clickthrough: no(),
		Icon:         "RENEWAL",
	},
	string(funnel.RenewalDeclined): {
		Show:         yes(),
		Header:       "Renewal declined",
		Subheader:    "Unit {{.UnitNumber}}",
		Body:         "You declined the renewal offer. Your lease ends on {{date .LeaseEnd}}.",
		Alert:        yes(),
		AlertBody:    "Please schedule your move-out inspection before {{date .LeaseEnd}}.",
		AlertType:    funnel.AlertWarning,
		Clickthrough: no(),
		Icon:         "RENEWAL",
	},
	string(funnel.RenewalNoticeGiven): {
		Show:         yes(),
		Header:       "Notice to vacate received",
		Subheader:    "Unit {{.UnitNumber}}",
		Body:         "We received your notice. Your lease ends on {{date .LeaseEnd}}.",
		Alert:        yes(),
		AlertBody:    "Please schedule your move-out inspection before {{date .LeaseEnd}}.",
		AlertType:    funnel.AlertWarning,
		Clickthrough: no(),
		Icon:         "RENEWAL",
	},
}

// templates merges a tenant's templates onto the defaults, status by status.
func templates(rs *tenants.RenewalStatus) map[string]tenants.RenewalTemplate {
	out := maps.Clone(DefaultTemplates)
	if rs != nil {
		maps.Copy(out, rs.Templates)
	}
	return out
}
