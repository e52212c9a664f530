package sync

import (
	"fmt"
	"maps"
	"net/http"
	"slices"
	"strings"

	"go.uber.org/zap"

	"github.com/syncd-dev/syncd/internal/clients/funnel"
	"github.com/syncd-dev/syncd/internal/clients/rentengine"
	"github.com/syncd-dev/syncd/internal/clients/upstream"
	"github.com/syncd-dev/syncd/internal/mirror"
	"github.com/syncd-dev/syncd/internal/models"
	"github.com/syncd-dev/syncd/internal/tenants"
)

// Unavailable resources.
//
// Four of the list calls syncd relies on are guesses no public document shows, and the first
// contact with a real service may prove one wrong. A wrong guess costs only its own resource:
//
//   - A resource is unavailable for a run when its pass ends without a single page received and
//     every upstream error of the pass answered as if the endpoint did not exist: 404, 405 or 410
//     (without Funnel's CommunityNotFound, which names a configured community, not a route), or
//     a body that is not a JSON list after the retries (KindDecode).
//   - Its rows are neither touched (no page arrived) nor tombstoned (the pass failed); the job's
//     other resources sync and tombstone as usual. The run is recorded as partial (see
//     models.RunPartial for the precedence over held and failed) with the reason per resource in
//     details.unavailable, and one warning is logged per run and resource.
//   - Once a page of the resource arrived, the endpoint evidently exists: a later 404 or bad body
//     (paging past the end, a proxy error page mid-list, the verifying second pass) is a failure
//     of the run like any other.
//   - Nothing is switched off: the next run lists the resource again.

// unavailableReason reports whether err, the error of a pass that received no page, says the
// resource is unavailable upstream, and the reason to record ("GET /leasing_events: 404 Not
// Found"). Every leaf of a joined error must say so: one genuine failure among them (a community
// that is not found, a 500) makes the pass a failure.
func unavailableReason(err error) (string, bool) {
	var reasons []string
	if !unavailableLeaves(err, &reasons) || len(reasons) == 0 {
		return "", false
	}
	// A Funnel list fails once per community, all alike: say it once.
	return strings.Join(slices.Compact(reasons), "; "), true
}

func unavailableLeaves(err error, reasons *[]string) bool {
	var ue *upstream.Error
	if e, ok := err.(*upstream.Error); ok {
		ue = e
	}
	if ue == nil {
		switch u := err.(type) {
		case interface{ Unwrap() []error }:
			for _, e := range u.Unwrap() {
				if !unavailableLeaves(e, reasons) {
					return false
				}
			}
			return true
		case interface{ Unwrap() error }:
			if next := u.Unwrap(); next != nil {
				return unavailableLeaves(next, reasons)
			}
		}
		return false
	}
	if upstream.IsCanceled(err) || funnel.IsCommunityNotFound(ue) {
		return false
	}
	switch {
	case ue.Kind == upstream.KindDecode:
		*reasons = append(*reasons, fmt.Sprintf("%s: %d answered a body that is not a JSON list", ue.Op, ue.Status))
		return true
	case ue.Status == http.StatusNotFound || ue.Status == http.StatusMethodNotAllowed || ue.Status == http.StatusGone:
		*reasons = append(*reasons, fmt.Sprintf("%s: %d %s", ue.Op, ue.Status, http.StatusText(ue.Status)))
		return true
	}
	return false
}

// PartialError is the outcome of a run in which some resources were unavailable upstream and
// nothing failed or was held: everything else was stored.
type PartialError struct {
	Tenant string
	Job    tenants.Job
	// Unavailable maps each unavailable resource to the reason.
	Unavailable map[string]string
}

func (e *PartialError) Error() string {
	names := slices.Sorted(maps.Keys(e.Unavailable))
	parts := make([]string, len(names))
	for i, n := range names {
		parts[i] = fmt.Sprintf("%s (%s)", n, e.Unavailable[n])
	}
	return fmt.Sprintf("partial: unavailable upstream, rows left as they were: %s; the next run tries again",
		strings.Join(parts, ", "))
}

// markUnavailable records that a resource was unavailable in this run and logs it, once.
func (rc *runContext) markUnavailable(resource, reason string, webhooks bool) {
	if rc.unavailable == nil {
		rc.unavailable = map[string]models.Unavailable{}
	}
	if _, seen := rc.unavailable[resource]; seen {
		return
	}
	rc.unavailable[resource] = models.Unavailable{Reason: reason, KeptCurrentByWebhooks: webhooks}
	msg := "resource unavailable upstream: its rows are left as they are, nothing tombstoned; the next run tries again"
	if webhooks {
		msg = "resource unavailable upstream: its rows are left as they are and kept current by webhooks; the next run tries again"
	}
	rc.log.Warn(msg, zap.String("resource", resource), zap.String("reason", reason))
}

// keptCurrentByWebhooks reports whether the tenant's webhooks carry a resource of a job, so that
// its rows stay current while the pull cannot list it.
func keptCurrentByWebhooks(t *tenants.Tenant, job tenants.Job, resource string) bool {
	return job == tenants.JobRentEngine && t.RentEngine != nil && t.RentEngine.Webhook != nil &&
		slices.Contains(mirror.WebhookResources, rentengine.Resource(resource))
}
