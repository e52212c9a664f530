package sync

import (
	"context"
	"time"

	"go.uber.org/zap"

	"github.com/syncd-dev/syncd/internal/clients/upstream"
	"github.com/syncd-dev/syncd/internal/models"
	"github.com/syncd-dev/syncd/internal/tenants"
)

// RateSpec is the rate budget of the tenant's credential for a pull job's upstream (JobRentEngine,
// JobFunnel or JobFunnelFlux): keyed by the credential (API, base URL, fingerprint of the secret), so tenants
// that share a key share its budget, and labelled with the credential's name or the tenants that
// use it. ok is false when the tenant has no such block or no limit.
func RateSpec(t *tenants.Tenant, job tenants.Job) (spec upstream.BucketSpec, ok bool) {
	var key, label string
	var rl *tenants.RateLimit
	switch job {
	case tenants.JobRentEngine:
		if t.RentEngine == nil {
			return spec, false
		}
		key, label, rl = t.RentEngine.Key(), t.RentEngine.CredentialLabel, t.RentEngine.RateLimit
	case tenants.JobFunnel:
		if t.Funnel == nil {
			return spec, false
		}
		key, label, rl = t.Funnel.Key(), t.Funnel.CredentialLabel, t.Funnel.RateLimit
	case tenants.JobFunnelFlux:
		if t.FunnelFlux == nil {
			return spec, false
		}
		key, label, rl = t.FunnelFlux.Key(t.ID), t.ID, t.FunnelFlux.RateLimit
	default:
		return spec, false
	}
	if rl == nil {
		return spec, false
	}
	if label == "" {
		label = t.ID // a tenant built without Parse
	}
	return upstream.BucketSpec{Key: key, API: string(job), Label: label, Requests: rl.Requests, Per: rl.Per,
		Burst: rl.Burst, MinFraction: rl.MinFraction}, true
}

// ApplyLimits sets the rate budgets of the tenant's credentials to its config now, so a reload
// changes the rate for runs already waiting on them, not only for the next run.
func (r *Runner) ApplyLimits(t *tenants.Tenant) {
	for _, job := range limitedJobs {
		if spec, ok := RateSpec(t, job); ok {
			r.cfg.Limiters.Apply(spec)
		}
	}
}

// RetainLimits drops the budgets of credentials no tenant of cfg uses any more.
func (r *Runner) RetainLimits(cfg *tenants.Config) {
	var keys []string
	for i := range cfg.Tenants {
		for _, job := range limitedJobs {
			if spec, ok := RateSpec(&cfg.Tenants[i], job); ok {
				keys = append(keys, spec.Key)
			}
		}
	}
	r.cfg.Limiters.Retain(keys)
}

// Limiters returns the runner's rate budgets.
func (r *Runner) Limiters() *upstream.Limiters { return r.cfg.Limiters }

// LeaseStore shares rate budgets across processes through the store's rate_leases table (see
// upstream.Limiters.Coordinate). On SQLite every grant is the whole budget.
func LeaseStore(s *models.Store) upstream.LeaseStore { return leaseStore{s} }

type leaseStore struct{ s *models.Store }

func (l leaseStore) RenewRateLeases(ctx context.Context, holder string, leases []upstream.Lease, ttl, joinDelay time.Duration) (map[string]upstream.LeaseGrant, error) {
	rows := make([]models.RateLease, len(leases))
	for i, le := range leases {
		rows[i] = models.RateLease{Bucket: le.Key, API: le.API, Credential: le.Label, ConfiguredRate: le.Configured,
			Factor: le.Factor, EffectiveRate: le.Effective}
	}
	grants, err := l.s.RenewRateLeases(ctx, holder, rows, ttl, joinDelay)
	if err != nil {
		return nil, err
	}
	now := time.Now()
	out := make(map[string]upstream.LeaseGrant, len(grants))
	for k, g := range grants {
		out[k] = upstream.LeaseGrant{Lessees: g.Lessees, ReadyAt: now.Add(g.ReadyIn)}
	}
	return out, nil
}

func (l leaseStore) ReleaseRateLeases(ctx context.Context, holder string, keys []string) error {
	return l.s.ReleaseRateLeases(ctx, holder, keys)
}

// ShareRateBudgets makes the runner's rate budgets the total for all processes using the store:
// it leases each active credential's share through rate_leases until stop, which releases them.
// Call it before the first run.
func (r *Runner) ShareRateBudgets(log *zap.Logger) (stop func()) {
	return r.cfg.Limiters.Coordinate(LeaseStore(r.cfg.Store), r.self.String(), log)
}

// limitedJobs are the jobs whose upstream has a rate budget.
var limitedJobs = []tenants.Job{tenants.JobRentEngine, tenants.JobFunnel, tenants.JobFunnelFlux}
