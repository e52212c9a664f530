package tenants

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"regexp"
	"slices"
	"strings"
)

// Credential is an upstream credential declared once under credentials: and referenced by name
// from tenants (rentengine.credential or funnel.credential). The rate limit is the key's: every
// tenant using it, in every process, shares one budget.
//
// Tenants may also give the same key inline (token_env/api_key_env ... in their own block): they
// share its budget as well, recognised by the API, the base URL and a fingerprint of the secret,
// and must then give it the same rate_limit.
type Credential struct {
	// Name is referenced by tenants and labels the credential in status and metrics
	// ([a-z0-9][a-z0-9_-]*, at most 63 characters).
	Name string `yaml:"name"`
	// API is rentengine or funnel.
	API string `yaml:"api"`
	// BaseURL defaults to the API's defaults.*.base_url.
	BaseURL string `yaml:"base_url"`
	// Exactly one of SecretEnv (a variable name) and SecretFile (a path) names the token or API key.
	SecretEnv  string `yaml:"secret_env"`
	SecretFile string `yaml:"secret_file"`
	// RateLimit keys left out inherit from defaults.*.rate_limit, then the built-in limit. Never
	// nil after Parse.
	RateLimit *RateLimit `yaml:"rate_limit"`

	// Secret is the resolved token or key.
	Secret Secret `yaml:"-"`
}

var credentialNamePattern = regexp.MustCompile(`^[a-z0-9][a-z0-9_-]{0,62}$`)

// Fingerprint identifies a secret without revealing it: the first 12 hex digits of its SHA-256.
// "" for an empty secret.
func (s Secret) Fingerprint() string {
	if s.value == "" {
		return ""
	}
	sum := sha256.Sum256([]byte(s.value))
	return hex.EncodeToString(sum[:6])
}

// CredentialKey identifies a rate budget: the API, the base URL and the secret's fingerprint.
// It holds no secret, so it may be logged and stored.
func CredentialKey(api Job, baseURL string, secret Secret) string {
	return string(api) + " " + baseURL + " " + secret.Fingerprint()
}

// Key is the budget key of the tenant's RentEngine credential.
func (re *RentEngine) Key() string { return CredentialKey(JobRentEngine, re.BaseURL, re.Token) }

// Key is the budget key of the tenant's Funnel credential.
func (f *Funnel) Key() string { return CredentialKey(JobFunnel, f.BaseURL, f.APIKey) }

// Key is the budget key of the tenant's FunnelFlux account. Its tokens rotate (refresh), so they
// cannot key the budget: a FunnelFlux account is one tenant's, and its budget stays the tenant's.
func (f *FunnelFlux) Key(tenant string) string {
	return string(JobFunnelFlux) + " " + f.BaseURL + " tenant:" + tenant
}

// credentials validates the credentials: block and returns the usable entries by name.
func (s scope) credentials(cs []Credential, d *Defaults, reRate, fuRate RateLimit) map[string]*Credential {
	out := map[string]*Credential{}
	firstAt := map[string]int{}
	for i := range cs {
		c := &cs[i]
		field := fmt.Sprintf("credentials[%d]", i)
		ok := true
		switch {
		case c.Name == "":
			s.problem(field+".name", `required: a short name such as "partner-key", which tenants reference`)
			ok = false
		case !credentialNamePattern.MatchString(c.Name):
			s.problem(field+".name", "%q is not a valid name: use 1 to 63 lowercase letters, digits, '-' or '_'", c.Name)
			ok = false
		default:
			if j, dup := firstAt[c.Name]; dup {
				s.problem(field+".name", "credential %q is declared twice (also credentials[%d])", c.Name, j)
				ok = false
			}
			firstAt[c.Name] = i
		}
		var base RateLimit
		switch Job(c.API) {
		case JobRentEngine:
			c.BaseURL = s.baseURL(field+".base_url", c.BaseURL, d.RentEngine.BaseURL)
			base = reRate
		case JobFunnel:
			c.BaseURL = s.baseURL(field+".base_url", c.BaseURL, d.Funnel.BaseURL)
			base = fuRate
		default:
			s.problem(field+".api", "%q is not an API; use rentengine or funnel", c.API)
			ok = false
		}
		c.RateLimit = finalRate(s.mergeRate(base, c.RateLimit, field+".rate_limit"))
		// A missing secret is reported here only, not again by each tenant using the credential.
		if v, found := s.secret(true, field, "secret", "secret_env", c.SecretEnv, "secret_file", c.SecretFile); found {
			c.Secret = NewSecret(v)
		}
		if ok {
			out[c.Name] = c
		}
	}
	return out
}

// useCredential resolves a tenant's reference to a declared credential of api. The tenant's block
// must not also give what the credential holds.
func (s scope) useCredential(creds map[string]*Credential, api Job, name, envKey, env, fileKey, file string) *Credential {
	block := string(api)
	for _, k := range []string{"base_url", envKey, fileKey, "rate_limit"} {
		if s.has(block + "." + k) {
			s.problem(block+"."+k, "set together with credential: %s, which supplies it; remove one of them", name)
		}
	}
	c, ok := creds[name]
	switch {
	case !ok:
		s.problem(block+".credential", "no credential named %q under credentials:", name)
		return nil
	case Job(c.API) != api:
		s.problem(block+".credential", "credential %q is a %s credential, not %s", name, c.API, api)
		return nil
	}
	return c
}

// sharer is one user of a credential key: a declared credential (tenant < 0) or a tenant's block.
type sharer struct {
	tenant int    // index in Config.Tenants, -1 for a declared credential
	name   string // tenant id or "credential NAME"
	field  string // the rate_limit field, relative to the tenant
	rate   RateLimit
	label  *string
}

// sharedKeys finds the tenants that use one key: each key must have one rate limit, and every
// user of it gets the same label (the credential's name, else the sorted tenant ids).
func (p *parser) sharedKeys(c *Config) {
	groups := map[string][]sharer{}
	var order []string
	add := func(key string, sh sharer) {
		if _, ok := groups[key]; !ok {
			order = append(order, key)
		}
		groups[key] = append(groups[key], sh)
	}
	for i := range c.Credentials {
		cr := &c.Credentials[i]
		if cr.Secret.IsZero() || cr.RateLimit == nil || cr.Name == "" {
			continue
		}
		label := cr.Name
		add(CredentialKey(Job(cr.API), cr.BaseURL, cr.Secret), sharer{tenant: -1, name: "credential " + cr.Name, rate: *cr.RateLimit, label: &label})
	}
	for i := range c.Tenants {
		t := &c.Tenants[i]
		if p.broken[i] || t.ID == "" {
			continue
		}
		if re := t.RentEngine; re != nil && !re.Token.IsZero() && re.RateLimit != nil {
			add(re.Key(), sharer{tenant: i, name: t.ID, field: "rentengine", rate: *re.RateLimit, label: &re.CredentialLabel})
		}
		if f := t.Funnel; f != nil && !f.APIKey.IsZero() && f.RateLimit != nil {
			add(f.Key(), sharer{tenant: i, name: t.ID, field: "funnel", rate: *f.RateLimit, label: &f.CredentialLabel})
		}
	}
	for _, key := range order {
		g := groups[key]
		first := g[0]
		label := ""
		var ids []string
		for _, sh := range g {
			if sh.tenant < 0 {
				label = strings.TrimPrefix(sh.name, "credential ")
			} else if !slices.Contains(ids, sh.name) {
				ids = append(ids, sh.name)
			}
			if sh.rate != first.rate && sh.tenant >= 0 {
				api := "RentEngine token"
				if sh.field == "funnel" {
					api = "Funnel API key"
				}
				p.tenant(sh.tenant, sh.field+".rate_limit", "%s and %s use the same %s (at %s) with different rate limits "+
					"(%s: %s; %s: %s); the limit belongs to the key: declare it once under credentials: and reference it "+
					"with %s.credential, or give every tenant using it the same rate_limit",
					first.name, sh.name, api, strings.Fields(key)[1], first.name, first.rate, sh.name, sh.rate, sh.field)
			}
		}
		if label == "" {
			slices.Sort(ids)
			label = strings.Join(ids, ",")
		}
		for _, sh := range g {
			*sh.label = label
		}
	}
}
