package tenants

import (
	"strings"
	"testing"
)

func TestStatusPageAuth(t *testing.T) {
	env := envOf(map[string]string{"PAGE_TOKEN": "tok-123456", "PAGE_PASS": "pw-abcdef"})
	files := filesOf(map[string]string{"/run/secrets/page": "file-tok-987\n"})
	for _, tt := range []struct {
		name, yaml string
		// check the resolved auth (nil: none wanted).
		check   func(t *testing.T, a *StatusPageAuth)
		field   string // the problem's field ("" = none)
		problem string
	}{
		{name: "off by default", yaml: "listen: \":9090\"\ntenants: []", check: func(t *testing.T, a *StatusPageAuth) {
			if a != nil {
				t.Errorf("auth %+v, want none", a)
			}
		}},
		{name: "bearer from env", yaml: "listen: \":9090\"\nstatus_page: {auth: {bearer_token_env: PAGE_TOKEN}}\ntenants: []",
			check: func(t *testing.T, a *StatusPageAuth) {
				if a.BearerToken.Reveal() != "tok-123456" || a.Basic != nil {
					t.Errorf("auth %+v", a)
				}
			}},
		{name: "bearer from file", yaml: "listen: \":9090\"\nstatus_page: {auth: {bearer_token_file: /run/secrets/page}}\ntenants: []",
			check: func(t *testing.T, a *StatusPageAuth) {
				if a.BearerToken.Reveal() != "file-tok-987" {
					t.Errorf("token not read from the file, trimmed")
				}
			}},
		{name: "basic", yaml: "listen: \":9090\"\nstatus_page: {auth: {basic: {user: ops, password_env: PAGE_PASS}}}\ntenants: []",
			check: func(t *testing.T, a *StatusPageAuth) {
				if a.Basic.User != "ops" || a.Basic.Password.Reveal() != "pw-abcdef" || !a.BearerToken.IsZero() {
					t.Errorf("auth %+v", a)
				}
			}},
		{name: "empty auth", yaml: "status_page: {auth: {}}\ntenants: []", field: "status_page.auth", problem: "set bearer_token_env"},
		{name: "both kinds", yaml: "status_page: {auth: {bearer_token_env: PAGE_TOKEN, basic: {user: ops, password_env: PAGE_PASS}}}\ntenants: []",
			field: "status_page.auth", problem: "keep exactly one"},
		{name: "both sources", yaml: "status_page: {auth: {bearer_token_env: PAGE_TOKEN, bearer_token_file: /x}}\ntenants: []",
			field: "status_page.auth", problem: "both bearer_token_env and bearer_token_file"},
		{name: "unset variable", yaml: "status_page: {auth: {bearer_token_env: NOPE}}\ntenants: []",
			field: "status_page.auth.bearer_token_env", problem: "NOPE is unset"},
		{name: "basic without user", yaml: "status_page: {auth: {basic: {password_env: PAGE_PASS}}}\ntenants: []",
			field: "status_page.auth.basic", problem: "no user"},
		{name: "basic user with a colon", yaml: "status_page: {auth: {basic: {user: \"a:b\", password_env: PAGE_PASS}}}\ntenants: []",
			field: "status_page.auth.basic.user", problem: "without ':'"},
		{name: "basic without password", yaml: "status_page: {auth: {basic: {user: ops}}}\ntenants: []",
			field: "status_page.auth.basic", problem: "no password"},
		{name: "a password in the file", yaml: "status_page: {auth: {basic: {user: ops, password: hunter2, password_env: PAGE_PASS}}}\ntenants: []",
			field: "status_page.auth.basic.password", problem: ""},
		{name: "unknown key", yaml: "status_page: {title: x}\ntenants: []", field: "status_page.title", problem: ""},
	} {
		t.Run(tt.name, func(t *testing.T) {
			cfg, err := Parse([]byte(tt.yaml), LoadOptions{LookupEnv: env, ReadFile: files})
			if tt.field != "" {
				checkProblems(t, err, []want{{"", tt.field, tt.problem, 0}})
				if err != nil && strings.Contains(err.Error(), "pw-abcdef") {
					t.Error("a problem shows the password")
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			tt.check(t, cfg.StatusPage.Auth)
		})
	}
}

// Auth without a listen address protects nothing: a warning, not an error.
func TestStatusPageAuthWithoutListen(t *testing.T) {
	cfg, err := Parse([]byte("status_page: {auth: {bearer_token_env: PAGE_TOKEN}}\ntenants: []"),
		LoadOptions{LookupEnv: envOf(map[string]string{"PAGE_TOKEN": "tok-123456"})})
	if err != nil {
		t.Fatal(err)
	}
	if len(cfg.Warnings) != 1 || !strings.Contains(cfg.Warnings[0].Message, "listen is empty") {
		t.Errorf("warnings %v", cfg.Warnings)
	}
}
