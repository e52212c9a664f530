package push

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/syncd-dev/syncd/internal/clients/funnel"
	"github.com/syncd-dev/syncd/internal/clients/rentengine"
	"github.com/syncd-dev/syncd/internal/models"
	"github.com/syncd-dev/syncd/internal/tenants"
)

// Dependencies on the pulls.
//
// Each kind of push is computed from mirrored resources. When the latest pull of a resource found
// it unavailable upstream (sync_runs.details.unavailable; see the sync package), its rows are
// those of an older pull, and a push computed from them could undo what happened upstream since:
//
//   - assignments need RentEngine leasing events (the current assignee), RentEngine prospects
//     and Funnel prospects (the links and the Funnel agent): skipped while any is unavailable;
//   - customer scores need RentEngine prospects: skipped while they are unavailable; a person
//     whose status comes from leasing events (a prospect record without one) is skipped while
//     leasing events are;
//   - renewal cards need Funnel renewals: skipped while they are unavailable;
//   - lease conversions need RentEngine prospects (the hit id) and leasing events (the stage).
//
// A resource the tenant's webhooks keep current (RentEngine's, with rentengine.webhook) is as
// good as pulled, and blocks nothing. Skipped kinds are named in Plan.Blocked and their targets
// counted in Plan.Skipped, with the reason; the next plan after a pull that lists the resource
// again pushes as usual.

// need names a resource a kind is computed from.
type need struct {
	job      tenants.Job
	resource string
}

var dependsOn = map[string][]need{
	models.PushAssignment: {
		{tenants.JobRentEngine, string(rentengine.LeasingEvents)},
		{tenants.JobRentEngine, string(rentengine.Prospects)},
		{tenants.JobFunnel, string(funnel.Prospects)},
	},
	models.PushCustomerScore: {{tenants.JobRentEngine, string(rentengine.Prospects)}},
	models.PushRenewalStatus: {{tenants.JobFunnel, string(funnel.Renewals)}},
	models.PushLeaseConversion: {
		{tenants.JobRentEngine, string(rentengine.Prospects)},
		{tenants.JobRentEngine, string(rentengine.LeasingEvents)},
	},
}

// availability is what the latest pulls knew of each resource: the resources they found
// unavailable, by job, and when RentEngine's leasing events were last listed.
type availability struct {
	unavailable map[need]models.Unavailable
	// eventsPulled is when the latest RentEngine pull that listed leasing events finished: the
	// newest succeeded run, or a newer partial run that listed them (nil: none recorded).
	eventsPulled *time.Time
}

// availabilityRuns bounds how many recent runs of a pull job are read: each resource is judged
// by the newest run that reached it (a run stopped by a rejected credential reaches none).
const availabilityRuns = 20

func loadAvailability(ctx context.Context, store *models.Store, tenant string) (availability, error) {
	av := availability{unavailable: map[need]models.Unavailable{}}
	for _, job := range []tenants.Job{tenants.JobRentEngine, tenants.JobFunnel} {
		runs, err := store.RecentRuns(ctx, tenant, string(job), availabilityRuns)
		if err != nil {
			return av, err
		}
		judged := map[string]bool{}
		for _, run := range runs {
			u := run.Unavailable()
			for _, res := range run.PulledResources() {
				if judged[res] {
					continue
				}
				judged[res] = true
				if why, ok := u[res]; ok {
					av.unavailable[need{job, res}] = why
				}
			}
			// A partial run in which leasing events were listed confirms assignments like a
			// succeeded one (the newest succeeded run is read below, however old).
			_, eventsOff := u[string(rentengine.LeasingEvents)]
			if job == tenants.JobRentEngine && av.eventsPulled == nil && run.Status == models.RunPartial && !eventsOff &&
				slices.Contains(run.PulledResources(), string(rentengine.LeasingEvents)) {
				av.eventsPulled = run.FinishedAt
			}
		}
	}
	last, err := lastSuccess(ctx, store, tenant, string(tenants.JobRentEngine))
	if err != nil {
		return av, err
	}
	if last != nil && (av.eventsPulled == nil || last.After(*av.eventsPulled)) {
		av.eventsPulled = last
	}
	return av, nil
}

// stale returns why a resource's rows may be out of date ("" when they are not): the latest
// pull found it unavailable and no webhook keeps it current.
func (av availability) stale(job tenants.Job, resource string) string {
	u, ok := av.unavailable[need{job, resource}]
	if !ok || u.KeptCurrentByWebhooks {
		return ""
	}
	return fmt.Sprintf("%s %s unavailable at the last pull (%s)", job, resource, u.Reason)
}

// blocks returns why a kind cannot be planned ("" when it can).
func (av availability) blocks(kind string) string {
	for _, n := range dependsOn[kind] {
		if why := av.stale(n.job, n.resource); why != "" {
			return "needs " + why
		}
	}
	return ""
}
