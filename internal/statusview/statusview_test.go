package statusview_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/syncd-dev/syncd/internal/models"
	"github.com/syncd-dev/syncd/internal/statusview"
	"github.com/syncd-dev/syncd/internal/tenants"
)

const config = `database: {url: "postgres://syncd@db:5432/syncd", password_env: DB_PASSWORD}
tenants:
  - id: acme
    rentengine: {token_env: SHARED_TOKEN}
    funnel: {api_key_file: /run/secrets/funnel, communities: ["1"]}
  - id: beta
    rentengine: {token_env: SHARED_TOKEN}
  - id: gamma
    rentengine: {token_env: GAMMA_TOKEN, rate_limit: {requests: 5}}
  - id: parked
    enabled: false
    rentengine: {token_env: PARKED_TOKEN}
`

func load(t *testing.T) *tenants.Config {
	t.Helper()
	// gamma has a token of its own: one token given two rate limits is a config error.
	env := map[string]string{"SHARED_TOKEN": "shared-tok-1", "GAMMA_TOKEN": "gamma-tok-4", "DB_PASSWORD": "db-pass-2"}
	cfg, err := tenants.Parse([]byte(config), tenants.LoadOptions{
		LookupEnv: func(k string) (string, bool) { v, ok := env[k]; return v, ok },
		ReadFile: func(p string) ([]byte, error) {
			if p == "/run/secrets/funnel" {
				return []byte("funnel-key-3\n"), nil
			}
			return nil, fmt.Errorf("no file %s", p)
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	return cfg
}

// Tenants sharing one key share a credential entry; live leases fill the effective rate of theirs.
func TestCredentials(t *testing.T) {
	cfg := load(t)
	rates := []models.CredentialRate{
		{Bucket: cfg.Tenant("acme").Funnel.Key(), API: "funnel", Effective: 3.5, Lessees: 2},
		{Bucket: "funnel https://elsewhere.example x", API: "funnel", Effective: 9, Lessees: 1}, // not in the config
	}
	var got []string
	for _, c := range statusview.Credentials(cfg, rates, "") {
		eff := "<nil>"
		if c.EffectiveRate != nil {
			eff = fmt.Sprintf("%.1f/%d", *c.EffectiveRate, c.Processes)
		}
		got = append(got, fmt.Sprintf("%s %s [%s] %s eff=%s", c.API, c.Label(), c.Source, statusview.RateText(c.Configured), eff))
	}
	want := []string{
		"funnel acme [file /run/secrets/funnel] 5 per 1s (burst 1) eff=3.5/2",
		"rentengine acme,beta [env SHARED_TOKEN] 20 per 5s (burst 1) eff=<nil>",
		"rentengine gamma [env GAMMA_TOKEN] 5 per 5s (burst 1) eff=<nil>",
		"rentengine parked [env PARKED_TOKEN] 20 per 5s (burst 1) eff=<nil>",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("credentials:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

func TestScrubAndConfigLines(t *testing.T) {
	cfg := load(t)
	s := statusview.NewScrubber(cfg)
	for in, want := range map[string]string{
		"GET /units with shared-tok-1: 401": "GET /units with [redacted]: 401",
		"dial: password db-pass-2 refused":  "dial: password [redacted] refused",
		"key funnel-key-3 rejected":         "key [redacted] rejected",
		"nothing secret here":               "nothing secret here",
	} {
		if got := s.Scrub(in); got != want {
			t.Errorf("Scrub(%q) = %q, want %q", in, got, want)
		}
	}
	lines := map[string]string{}
	for _, l := range statusview.ConfigLines(cfg.Tenant("acme")) {
		lines[l.Key] = l.Value
	}
	if lines["rentengine.token"] != "set (env SHARED_TOKEN)" || lines["funnel.api_key"] != "set (file /run/secrets/funnel)" {
		t.Errorf("secret lines: %q, %q", lines["rentengine.token"], lines["funnel.api_key"])
	}
	for _, l := range statusview.ConfigLines(cfg.Tenant("parked")) {
		if l.Key == "rentengine.token" && l.Value != "not resolved (env PARKED_TOKEN)" {
			t.Errorf("a disabled tenant's token: %q", l.Value)
		}
	}
}
