package tenants

import (
	"slices"
	"testing"
)

// TestFunnelFluxConfig: the funnelflux: block and push.lease_conversion resolve their defaults,
// and every mistake is a problem naming the tenant and the field.
func TestFunnelFluxConfig(t *testing.T) {
	env := envOf(map[string]string{"RE": "re-tok", "FF_ACCESS": "a", "FF_REFRESH": "r"})
	t.Run("defaults", func(t *testing.T) {
		cfg, err := Parse([]byte(`
tenants:
  - id: flux
    rentengine: {token_env: RE}
    funnelflux: {access_token_env: FF_ACCESS, refresh_token_env: FF_REFRESH}
    push:
      lease_conversion:
        hit_id: {path: notes, pattern: 'ff_hit=([0-9a-z]+)'}
`), LoadOptions{LookupEnv: env})
		if err != nil {
			t.Fatal(err)
		}
		f := cfg.Tenant("flux")
		ff := f.FunnelFlux
		eq(t, "base url", ff.BaseURL, DefaultFunnelFluxBaseURL)
		eq(t, "report days", ff.ReportDays, 7)
		eq(t, "rate", *ff.RateLimit, RateLimit{Requests: 1, Per: DefaultFunnelFluxRatePer, Burst: 1, MinFraction: DefaultMinFraction})
		eq(t, "tokens", ff.AccessToken.Reveal()+"/"+ff.RefreshToken.Reveal(), "a/r")
		eq(t, "schedule", f.Schedules.FunnelFlux, "@hourly")
		if got := f.Jobs(); !slices.Equal(got, []Job{JobRentEngine, JobFunnelFlux, JobPush}) {
			t.Errorf("jobs %v", got)
		}
		lc := f.Push.LeaseConversion.Resolved()
		eq(t, "stages", len(lc.Stages), 1)
		if _, ok := lc.Stages["Lease Signed"]; !ok || lc.PostbackCalls != "onlyOnce" || lc.UnconfirmedAfter != 3 || !f.LeaseConversionOn() {
			t.Errorf("resolved lease conversion %+v", lc)
		}
	})
	t.Run("problems", func(t *testing.T) {
		_, err := Parse([]byte(`
tenants:
  - id: flux
    rentengine: {token_env: RE}
    funnelflux:
      access_token_env: FF_ACCESS
      report_days: 400
    push:
      lease_conversion:
        stages:
          "Lease Signd": {payout: -5}
        hit_id: {path: "a..b", pattern: '(x)(y)'}
        postback_calls: always
        unconfirmed_after: -1
  - id: noflux
    rentengine: {token_env: RE}
    funnel: {api_key_env: RE, communities: ["1"]}
    push:
      customer_scores: {enabled: false}
      lease_conversion:
        hit_id: {path: notes}
  - id: onlyflux
    funnelflux: {access_token_env: FF_ACCESS, refresh_token_env: FF_REFRESH}
`), LoadOptions{LookupEnv: env})
		checkProblems(t, err, []want{
			{"flux", "funnelflux.report_days", "400 is out of range", 0},
			{"flux", "funnelflux", "no refresh token", 0},
			{"flux", "push.lease_conversion.stages.Lease Signd", `did you mean "Lease Signed"`, 0},
			{"flux", "push.lease_conversion.stages.Lease Signd.payout", "negative", 0},
			{"flux", "push.lease_conversion.hit_id.path", "empty key", 0},
			{"flux", "push.lease_conversion.hit_id.pattern", "2 capture groups", 0},
			{"flux", "push.lease_conversion.postback_calls", `"always" is not none, onlyOnce or all`, 0},
			{"flux", "push.lease_conversion.unconfirmed_after", "1 or more", 0},
			{"noflux", "push.lease_conversion", "add a funnelflux: block", 0},
			{"onlyflux", "funnelflux", "add a rentengine: or funnel: block", 0},
		})
	})
}
