package bench

import (
	"math"
	"time"
)

// Targets of the credential scenarios (issue 15).
const (
	TargetSharedKeyRatio = 0.9  // aggregate ≥ 0.9 R on one shared key
	TargetFirstWaitRatio = 2.0  // the smallest tenant's first request within 2× the mean wait
	TargetReplicasRatio  = 0.85 // ≥ 0.85 R across replicas, never above R
	TargetAdaptiveBand   = 0.1  // effective rate within 10% of the real limit
	TargetQuietAfter     = time.Minute
)

// SharedKeyOK, ReplicasOK and AdaptiveOK say whether a result meets the targets.
func (s *SharedKeyResult) OK() bool {
	return s.Ratio >= TargetSharedKeyRatio && s.Limited == 0 &&
		float64(s.SmallestFirstWait) <= TargetFirstWaitRatio*float64(s.MeanFirstWait)
}

func (s *ReplicasResult) OK() bool {
	return s.Ratio >= TargetReplicasRatio && s.Limited == 0 && s.MaxWindow <= s.Config.Requests
}

func (s *AdaptiveResult) OK() bool {
	return math.Abs(s.Settled/s.Real-1) <= TargetAdaptiveBand && s.LastLimited-s.FirstLimited <= TargetQuietAfter
}

// credentialSummary writes the summary table's rows of the credential scenarios.
func (r *Report) credentialSummary(p func(string, ...any)) {
	if s := r.SharedKey; s != nil {
		p("| 4a | %d tenants on one Funnel key at R = %d per %s, limited per key at the fake | aggregate **%.3f** of R, **%d** × 429; smallest tenant's first request after **%s** (mean %s) | ≥ %.1f R, 0 × 429, ≤ %.0f× mean | %s |\n",
			s.Config.Tenants, s.Config.Requests, s.Config.Per, s.Ratio, s.Limited, s.SmallestFirstWait.Round(time.Millisecond),
			s.MeanFirstWait.Round(time.Millisecond), TargetSharedKeyRatio, TargetFirstWaitRatio, met(s.OK(), math.NaN()))
	}
	if s := r.Replicas; s != nil {
		p("| 4b | %d replicas + a one-off command on one key at R = %d per %s (shares leased in Postgres) | aggregate **%.3f** of R, at most **%d** in any %s, **%d** × 429 | ≥ %.2f R, ≤ R, 0 × 429 | %s |\n",
			s.Config.Replicas, s.Config.Requests, s.Config.Per, s.Ratio, s.MaxWindow, s.Config.Per, s.Limited, TargetReplicasRatio, met(s.OK(), math.NaN()))
	}
	if s := r.Adaptive; s != nil {
		p("| 4c | Configured R = %d per %s, real limit %d per %s | effective rate settles at **%.2f/s** (real %.2f/s; %.2f..%.2f); 429s from %s to **%s** | within %.0f%%, quiet within %s | %s |\n",
			s.Config.Requests, s.Config.Per, s.Config.RealRequests, s.Config.Per, s.Settled, s.Real, s.SettledMin, s.SettledMax,
			secs(s.FirstLimited), secs(s.LastLimited), TargetAdaptiveBand*100, TargetQuietAfter, met(s.OK(), math.NaN()))
	}
}

// credentialSection writes the section of the credential scenarios.
func (r *Report) credentialSection(p func(string, ...any)) {
	if r.SharedKey == nil && r.Replicas == nil && r.Adaptive == nil {
		return
	}
	p("## 4a–4c. Rate budgets per credential\n\n")
	p("Tenants that share one Funnel partner key, each with a community of its own (the first the largest, 400 clients, the last the smallest, 400 ÷ n), pull in a loop for a fixed time, so every tenant is active for the whole window. The fake limits per key (a sliding-window log, `fakeapi.RateLimiter`); rates are counted at the fake, over the window, from the requests it answered 200.\n\n")
	if s := r.SharedKey; s != nil {
		p("**4a. One process, %d tenants, R = %d per %s, %s.** %d requests = %.2f/s = **%.3f** of R; %d × 429; at most %d requests in any %s. First request after the start: smallest tenant %s, mean %s, slowest %s; requests per tenant %d to %d (round robin across tenants). Load %s.\n\n",
			s.Config.Tenants, s.Config.Requests, s.Config.Per, s.Config.Duration, s.Requests, s.Achieved, s.Ratio, s.Limited, s.MaxWindow, s.Config.Per,
			s.SmallestFirstWait.Round(time.Millisecond), s.MeanFirstWait.Round(time.Millisecond), s.MaxFirstWait.Round(time.Millisecond),
			s.MinTenantRequests, s.MaxTenantRequests, s.Load)
	}
	if s := r.Replicas; s != nil {
		p("**4b. %d replicas and a one-off command, %d tenants, R = %d per %s, %s.** Each replica is a runner with its own store and rate budgets in this process, pulling its third of the tenants; after %s a fourth (a one-off `syncd sync` of one more tenant on the key) joins. They share R through `rate_leases` on one Postgres. %d requests = %.2f/s over the whole window, joins included = **%.3f** of R; at most **%d** in any %s (R = %d); %d × 429; the one-off made %d. Load %s.\n\n",
			s.Config.Replicas, s.Config.Tenants, s.Config.Requests, s.Config.Per, s.Config.Duration, s.Config.OneOffAfter, s.Requests, s.Achieved, s.Ratio,
			s.MaxWindow, s.Config.Per, s.Config.Requests, s.Limited, s.OneOffRequests, s.Load)
	}
	if s := r.Adaptive; s != nil {
		p("**4c. Real limit below the configured one: %d tenants configured for %d per %s, the fake allows %d per %s, %s.** %d × 429, the first after %s and the last after %s. Effective rate (`syncd_rate_effective`) over the last third: mean **%.2f/s**, %.2f to %.2f (real limit %.2f/s); the fake answered %.2f/s over it. Load %s.\n\n",
			s.Config.Tenants, s.Config.Requests, s.Config.Per, s.Config.RealRequests, s.Config.Per, s.Config.Duration, s.Limited,
			secs(s.FirstLimited), secs(s.LastLimited), s.Settled, s.SettledMin, s.SettledMax, s.Real, s.Achieved, s.Load)
	}
}
