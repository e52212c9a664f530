package tenants

import (
	"strings"
	"testing"
	"time"
)

var credEnv = envOf(map[string]string{"PARTNER_KEY": "partner-secret", "OTHER_KEY": "other-secret", "RE_TOKEN": "re-token"})

func TestSharedCredentialReferencedByTenants(t *testing.T) {
	cfg, err := Parse([]byte(`
credentials:
  - name: partner-key
    api: funnel
    secret_env: PARTNER_KEY
    rate_limit: {requests: 10, per: 1s, min_fraction: 0.25}
tenants:
  - id: acme
    funnel: {credential: partner-key, communities: ["1"]}
  - id: beta
    funnel: {credential: partner-key, communities: ["2"]}
  - id: gamma
    funnel: {api_key_env: OTHER_KEY, communities: ["3"]}
`), LoadOptions{LookupEnv: credEnv})
	if err != nil {
		t.Fatal(err)
	}
	a, b, g := cfg.Tenant("acme").Funnel, cfg.Tenant("beta").Funnel, cfg.Tenant("gamma").Funnel
	want := RateLimit{Requests: 10, Per: time.Second, Burst: 1, MinFraction: 0.25} // burst from the funnel defaults
	for _, f := range []*Funnel{a, b} {
		if *f.RateLimit != want || f.APIKey.Reveal() != "partner-secret" || f.BaseURL != DefaultFunnelBaseURL || f.CredentialLabel != "partner-key" {
			t.Errorf("tenant's funnel block = rate %s key set %v base %s label %q; want the credential's", f.RateLimit, !f.APIKey.IsZero(), f.BaseURL, f.CredentialLabel)
		}
	}
	if a.Key() != b.Key() || a.Key() == g.Key() {
		t.Errorf("keys: acme %s, beta %s, gamma %s; want acme = beta != gamma", a.Key(), b.Key(), g.Key())
	}
	if strings.Contains(a.Key(), "partner-secret") || !strings.HasSuffix(a.Key(), " "+NewSecret("partner-secret").Fingerprint()) ||
		len(NewSecret("x").Fingerprint()) != 12 {
		t.Errorf("key %q must end in the 12-digit fingerprint and hold no secret", a.Key())
	}
	if g.CredentialLabel != "gamma" {
		t.Errorf("an unshared inline key is labelled %q, want its tenant", g.CredentialLabel)
	}
}

func TestInlineSharedKeys(t *testing.T) {
	const twoTenants = `
tenants:
  - id: zeta
    funnel: {api_key_env: PARTNER_KEY, communities: ["1"]%s}
  - id: alpha
    funnel: {api_key_env: PARTNER_KEY, communities: ["2"]%s}
  - id: other
    funnel: {api_key_env: PARTNER_KEY, base_url: "https://elsewhere.example", communities: ["3"], rate_limit: {requests: 99}}
`
	t.Run("same limit shares and is labelled by tenants", func(t *testing.T) {
		cfg, err := Parse([]byte(strings.ReplaceAll(twoTenants, "%s", "")), LoadOptions{LookupEnv: credEnv})
		if err != nil {
			t.Fatal(err)
		}
		z, a := cfg.Tenant("zeta").Funnel, cfg.Tenant("alpha").Funnel
		if z.Key() != a.Key() || z.CredentialLabel != "alpha,zeta" || a.CredentialLabel != "alpha,zeta" {
			t.Errorf("keys equal %v, labels %q %q; want one key labelled alpha,zeta", z.Key() == a.Key(), z.CredentialLabel, a.CredentialLabel)
		}
		if o := cfg.Tenant("other").Funnel; o.Key() == a.Key() || o.CredentialLabel != "other" {
			t.Errorf("the same key at another base URL is another budget: label %q", o.CredentialLabel)
		}
	})
	t.Run("different limits name both tenants", func(t *testing.T) {
		y := strings.Replace(twoTenants, "%s", "", 1)
		y = strings.Replace(y, "%s", ", rate_limit: {requests: 7}", 1)
		_, err := Parse([]byte(y), LoadOptions{LookupEnv: credEnv})
		checkProblems(t, err, []want{{"alpha", "funnel.rate_limit",
			"zeta and alpha use the same Funnel API key (at " + DefaultFunnelBaseURL + ") with different rate limits (zeta: 5 per 1s", 0}})
	})
	t.Run("inline key of a declared credential with another limit", func(t *testing.T) {
		_, err := Parse([]byte(`
credentials:
  - {name: partner-key, api: funnel, secret_env: PARTNER_KEY, rate_limit: {requests: 10}}
tenants:
  - id: acme
    funnel: {api_key_env: PARTNER_KEY, communities: ["1"]}
`), LoadOptions{LookupEnv: credEnv})
		checkProblems(t, err, []want{{"acme", "funnel.rate_limit", "credential partner-key and acme use the same Funnel API key", 0}})
	})
}

func TestCredentialProblems(t *testing.T) {
	_, err := Parse([]byte(`
credentials:
  - {name: partner-key, api: funnel, secret_env: PARTNER_KEY}
  - {name: partner-key, api: funnel, secret_env: OTHER_KEY}
  - {name: Bad Name, api: funnel, secret_env: OTHER_KEY}
  - {name: fax, api: fax, secret_env: OTHER_KEY}
  - {name: nokey, api: rentengine}
  - {name: lowfloor, api: rentengine, secret_env: RE_TOKEN, rate_limit: {min_fraction: 0}}
tenants:
  - id: acme
    funnel: {credential: missing, communities: ["1"]}
  - id: beta
    rentengine: {credential: partner-key}
  - id: gamma
    funnel: {credential: partner-key, api_key_env: OTHER_KEY, rate_limit: {requests: 3}, communities: ["1"]}
`), LoadOptions{LookupEnv: credEnv})
	checkProblems(t, err, []want{
		{"", "credentials[1].name", `credential "partner-key" is declared twice`, 0},
		{"", "credentials[2].name", "is not a valid name", 0},
		{"", "credentials[3].api", `"fax" is not an API`, 0},
		{"", "credentials[4]", "no secret: set secret_env", 0},
		{"", "credentials[5].rate_limit.min_fraction", "out of range", 0},
		{"acme", "funnel.credential", `no credential named "missing"`, 0},
		{"beta", "rentengine.credential", "is a funnel credential, not rentengine", 0},
		{"gamma", "funnel.api_key_env", "set together with credential: partner-key", 0},
		{"gamma", "funnel.rate_limit", "set together with credential: partner-key", 0},
	})
}
