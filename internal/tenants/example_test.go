package tenants

import (
	"testing"
	"time"
)

// The example must stay valid: it is the documentation users copy from.
func TestExampleConfig(t *testing.T) {
	const path = "../../config.example.yaml"
	vars := []string{"ACME_RENTENGINE_TOKEN", "ACME_FUNNEL_API_KEY", "ACME_FUNNELFLUX_ACCESS_TOKEN",
		"ACME_FUNNELFLUX_REFRESH_TOKEN", "BRIGHTSIDE_RENTENGINE_TOKEN", "PARTNER_FUNNEL_API_KEY"}

	t.Run("valid with its variables", func(t *testing.T) {
		env := map[string]string{}
		for _, v := range vars {
			env[v] = "value-of-" + v
		}
		cfg, err := Load(path, LoadOptions{LookupEnv: envOf(env)})
		if err != nil {
			t.Fatal(err)
		}
		acme := cfg.Tenant("acme")
		if acme == nil || acme.RentEngine == nil || acme.Funnel == nil || acme.Location.String() != "America/Chicago" {
			t.Fatalf("acme = %+v", acme)
		}
		eq(t, "acme token", acme.RentEngine.Token.Reveal(), "value-of-ACME_RENTENGINE_TOKEN")
		eq(t, "acme key", acme.Funnel.APIKey.Reveal(), "value-of-ACME_FUNNEL_API_KEY")
		eq(t, "acme run timeout", acme.RunTimeout, 45*time.Minute)
		if ff := acme.FunnelFlux; ff == nil || ff.RefreshToken.Reveal() != "value-of-ACME_FUNNELFLUX_REFRESH_TOKEN" || ff.ReportDays != 7 {
			t.Fatalf("acme funnelflux = %+v", acme.FunnelFlux)
		}
		lc := acme.Push.LeaseConversion.Resolved()
		if !acme.LeaseConversionOn() || lc.HitID.Regexp == nil || lc.PostbackCalls != "onlyOnce" || lc.UnconfirmedAfter != 3 {
			t.Fatalf("acme lease conversion = %+v", lc)
		}
		eq(t, "acme funnelflux schedule", acme.Schedules.FunnelFlux, "20 * * * *")
		b := cfg.Tenant("brightside")
		if b == nil || b.Funnel != nil {
			t.Fatalf("brightside = %+v", b)
		}
		eq(t, "brightside schedules", b.Schedules, Schedules{RentEngine: DefaultRentEngineSchedule})
		eq(t, "brightside zone", b.Location, time.UTC)
		c, d := cfg.Tenant("cedar"), cfg.Tenant("dunmore")
		if c == nil || d == nil || c.Funnel == nil || d.Funnel == nil {
			t.Fatalf("cedar = %+v, dunmore = %+v", c, d)
		}
		eq(t, "shared key", c.Funnel.Key(), d.Funnel.Key())
		eq(t, "shared key's label", d.Funnel.CredentialLabel, "partner-funnel")
		eq(t, "shared key's limit", *c.Funnel.RateLimit, RateLimit{Requests: 10, Per: time.Second, Burst: 1, MinFraction: DefaultMinFraction})
		eq(t, "listen", cfg.Listen, ":9090")
		eq(t, "driver", cfg.Database.Driver(), DriverSQLite)
		eq(t, "history keep", cfg.History.Keep, DefaultHistoryKeep)
		if len(cfg.Warnings) > 0 {
			t.Errorf("the example has warnings: %v", cfg.Warnings)
		}
	})

	t.Run("names each missing variable", func(t *testing.T) {
		_, err := Load(path, LoadOptions{LookupEnv: envOf(nil)})
		checkProblems(t, err, []want{
			{"acme", "rentengine.token_env", "ACME_RENTENGINE_TOKEN is unset or empty", 0},
			{"acme", "funnel.api_key_env", "ACME_FUNNEL_API_KEY is unset or empty", 0},
			{"acme", "funnelflux.access_token_env", "ACME_FUNNELFLUX_ACCESS_TOKEN is unset or empty", 0},
			{"acme", "funnelflux.refresh_token_env", "ACME_FUNNELFLUX_REFRESH_TOKEN is unset or empty", 0},
			{"brightside", "rentengine.token_env", "BRIGHTSIDE_RENTENGINE_TOKEN is unset or empty", 0},
			{"", "credentials[0].secret_env", "PARTNER_FUNNEL_API_KEY is unset or empty", 0},
		})
	})
}
