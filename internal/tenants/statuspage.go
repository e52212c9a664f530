package tenants

import "strings"

// StatusPage configures the read-only status page (/ and /tenants/{id}) on the listen address.
type StatusPage struct {
	// Auth protects the page (nil: no protection, the default, since listen is meant to be an
	// internal address). /metrics, /healthz, /readyz and the webhooks are never behind it.
	Auth *StatusPageAuth `yaml:"auth"`
}

// StatusPageAuth asks for exactly one of a bearer token (BearerTokenEnv or BearerTokenFile) and
// Basic credentials (Basic).
type StatusPageAuth struct {
	BearerTokenEnv  string     `yaml:"bearer_token_env"`
	BearerTokenFile string     `yaml:"bearer_token_file"`
	Basic           *BasicAuth `yaml:"basic"`

	// BearerToken is the resolved token (zero when Basic is used).
	BearerToken Secret `yaml:"-"`
}

// BasicAuth is a user name and a password from exactly one of PasswordEnv and PasswordFile.
type BasicAuth struct {
	User         string `yaml:"user"`
	PasswordEnv  string `yaml:"password_env"`
	PasswordFile string `yaml:"password_file"`

	// Password is the resolved password.
	Password Secret `yaml:"-"`
}

func (s scope) statusPage(sp *StatusPage, listen string) {
	a := sp.Auth
	if a == nil {
		return
	}
	if listen == "" {
		s.warn("status_page.auth", "listen is empty, so there is no status page to protect")
	}
	bearer := a.BearerTokenEnv != "" || a.BearerTokenFile != ""
	switch {
	case bearer && a.Basic != nil:
		s.problem("status_page.auth", "both a bearer token and basic are set; keep exactly one")
	case bearer:
		if v, ok := s.secret(true, "status_page.auth", "bearer token", "bearer_token_env", a.BearerTokenEnv,
			"bearer_token_file", a.BearerTokenFile); ok {
			a.BearerToken = NewSecret(v)
		}
	case a.Basic != nil:
		b := a.Basic
		switch {
		case b.User == "":
			s.problem("status_page.auth.basic", "no user: set user (the Basic user name)")
		case badText(b.User) != "" || strings.Contains(b.User, ":"):
			s.problem("status_page.auth.basic.user", "must be printable text without ':' (RFC 7617)")
		}
		if v, ok := s.secret(true, "status_page.auth.basic", "password", "password_env", b.PasswordEnv,
			"password_file", b.PasswordFile); ok {
			b.Password = NewSecret(v)
		}
	default:
		s.problem("status_page.auth", "set bearer_token_env or bearer_token_file, or basic: {user, password_env or password_file}")
	}
}
