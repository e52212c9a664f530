package sync

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"

	"go.uber.org/zap"

	"github.com/syncd-dev/syncd/internal/models"
	"github.com/syncd-dev/syncd/internal/push"
	"github.com/syncd-dev/syncd/internal/tenants"
)

// PushSkipObserver is told, once per push run, how many targets of each kind its plan left alone
// per reason (push.Plan.Skips: kind → reason → count; kinds not in it skipped nothing). A
// PushObserver that also implements it (the metrics package's does) is told.
type PushSkipObserver interface {
	PushSkipped(tenant string, skips map[string]map[string]int)
}

// PushFailureObserver is told the reason of every failed or unverified push (push.Env.Failed). A
// PushObserver that also implements it (the metrics package's does) is told.
type PushFailureObserver interface {
	PushFailed(tenant, kind, reason string)
}

// ErrBlastRadius is returned when a push run would change more than push.max_changes allows.
var ErrBlastRadius = fmt.Errorf("push aborted by max_changes")

// Plan computes a tenant's push plan without calling any API.
func (r *Runner) Plan(ctx context.Context, t *tenants.Tenant) (*push.Plan, error) {
	return push.Compute(ctx, r.cfg.Store, t)
}

// push is the push job: plan from the mirror, check the blast-radius guard, then execute unless
// the tenant is in dry-run mode.
func (r *Runner) push(ctx context.Context, rc *runContext, t *tenants.Tenant) error {
	if t.Push == nil {
		return fmt.Errorf("tenant %s has no push: block", t.ID)
	}
	plan, err := push.ComputeAt(ctx, rc.store, t, rc.now())
	if err != nil {
		return fmt.Errorf("plan pushes: %w", err)
	}
	summary := map[string]any{"targets": plan.Targets, "changes": plan.ByKind(), "unchanged": plan.Unchanged}
	if len(plan.Skipped) > 0 {
		summary["skipped"] = plan.Skipped
	}
	if len(plan.Blocked) > 0 {
		summary["blocked"] = plan.Blocked
		for _, kind := range slices.Sorted(maps.Keys(plan.Blocked)) {
			rc.log.Warn("push kind skipped: it depends on a resource unavailable upstream at the last pull",
				zap.String("kind", kind), zap.String("reason", plan.Blocked[kind]))
		}
	}
	if len(plan.Skips) > 0 {
		summary["skips"] = plan.Skips
	}
	if o, ok := r.cfg.Pushes.(PushSkipObserver); ok {
		o.PushSkipped(t.ID, plan.Skips)
	}
	if len(plan.Overdue) > 0 {
		summary["unconfirmed"] = plan.Overdue
		rc.log.Warn("lease conversions sent and still not confirmed by a FunnelFlux report after unconfirmed_after days; "+
			"not re-sent: check them in FunnelFlux", zap.Strings("targets", plan.Overdue))
	}
	if len(plan.Unmapped) > 0 {
		summary["unmapped_agents"] = plan.Unmapped
		for agent, n := range plan.Unmapped {
			rc.log.Warn("Funnel agent has no RentEngine user in the agents table; not assigning",
				zap.String("agent", agent), zap.Int("prospects", n))
		}
	}
	rc.details["push"] = summary
	if limit := plan.Limit(t.Push); limit >= 0 && len(plan.Changes) > limit {
		rc.log.Error("PUSH ABORTED: the run would change more than push.max_changes allows; nothing was sent",
			zap.Int("changes", len(plan.Changes)), zap.Int("limit", limit), zap.String("max_changes", t.Push.MaxChanges),
			zap.Any("by_kind", plan.ByKind()))
		summary["aborted"] = true
		return fmt.Errorf("%w: %d changes planned, limit %d (%s of %d targets)", ErrBlastRadius,
			len(plan.Changes), limit, t.Push.MaxChanges, plan.Targets)
	}
	if t.Push.DryRun {
		for _, c := range plan.Changes {
			rc.log.Info("dry run: would push", zap.String("kind", c.Kind), zap.String("target", c.Target),
				zap.String("before", c.Before), zap.String("after", c.After))
		}
		summary["dry_run"] = true
		return nil
	}
	if len(plan.Changes) == 0 && plan.Targets == 0 {
		return nil
	}
	env := push.Env{Store: rc.store, Tenant: t.ID, RunID: rc.runID, Log: rc.log, Now: rc.now, Hooks: r.cfg.Test.PushHooks}
	if t.Funnel != nil {
		fc, err := r.funnelClient(t, rc.log)
		if err != nil {
			return err
		}
		defer func() { rc.retries += fc.Retries() }()
		env.Scores, env.Renewals = fc, fc
	}
	rec, err := r.rentEngineClient(t, rc.log)
	if err != nil {
		return err
	}
	defer func() { rc.retries += rec.Retries() }()
	env.Assign = rec
	// FunnelFlux's token is validated (and renewed if need be) before its first call, as every
	// FunnelFlux job does. When it cannot be, the lease conversions are left for a later run and
	// the other kinds go ahead; the run then fails with "re-authorisation needed".
	var ffErr error
	if t.LeaseConversionOn() && plan.ByKind()[models.PushLeaseConversion] > 0 {
		ffc, err := r.funnelFluxClient(t, rc.log)
		if err != nil {
			return err
		}
		defer func() { rc.retries += ffc.Retries() }()
		if ffErr = ffc.Validate(ctx); ffErr != nil {
			n := len(plan.Changes)
			plan.Changes = slices.DeleteFunc(plan.Changes, func(c push.Change) bool { return c.Kind == models.PushLeaseConversion })
			summary["lease_conversion_unsent"] = n - len(plan.Changes)
			rc.log.Warn("lease conversions not sent: the FunnelFlux token could not be validated", zap.Error(ffErr))
			ffErr = fmt.Errorf("lease conversions not sent: validate the FunnelFlux token: %w", ffErr)
		} else {
			env.Conversions = ffc
		}
	}
	env.Observe = func(kind, outcome string) {
		if r.cfg.Pushes != nil {
			r.cfg.Pushes.Push(t.ID, kind, outcome)
		}
	}
	env.Failed = func(kind, reason string) {
		if o, ok := r.cfg.Pushes.(PushFailureObserver); ok {
			o.PushFailed(t.ID, kind, reason)
		}
	}
	res, err := push.Execute(ctx, env, plan)
	summary["result"] = res
	if err != nil {
		return errors.Join(fmt.Errorf("push: %w", err), ffErr)
	}
	if n := res.Failures(); n > 0 {
		return errors.Join(fmt.Errorf("%d of %d pushes failed (see push_ledger and push_attempts)", n, len(plan.Changes)), ffErr)
	}
	return ffErr
}
