package cli

import (
	"bytes"
	"context"
	"strings"
	"testing"
)

func TestValidate(t *testing.T) {
	exampleEnv := map[string]string{"ACME_RENTENGINE_TOKEN": "a", "ACME_FUNNEL_API_KEY": "b", "BRIGHTSIDE_RENTENGINE_TOKEN": "c",
		"ACME_FUNNELFLUX_ACCESS_TOKEN": "d", "ACME_FUNNELFLUX_REFRESH_TOKEN": "e", "PARTNER_FUNNEL_API_KEY": "f"}
	cases := []struct {
		name     string
		file     string
		env      map[string]string
		code     int
		contains []string
	}{
		{"the example passes", "../../config.example.yaml", exampleEnv, 0, []string{"OK (4 tenants"}},
		{"the example without its secrets names each variable", "../../config.example.yaml", nil, 1,
			[]string{"6 problem(s)", `tenant "acme": rentengine.token_env`, `tenant "acme": funnel.api_key_env`,
				`tenant "acme": funnelflux.access_token_env`, `tenant "acme": funnelflux.refresh_token_env`,
				`tenant "brightside": rentengine.token_env`, "credentials[0].secret_env: environment variable PARTNER_FUNNEL_API_KEY"}},
		{"every problem at once", "../tenants/testdata/multiple_problems.yaml", nil, 1, []string{"problem(s):"}},
		{"unknown key names tenant and path", "../tenants/testdata/unknown_key.yaml", nil, 1, []string{"tenant", "rentengine."}},
		{"bad cron", "../tenants/testdata/bad_cron.yaml", nil, 1, []string{"schedules."}},
		{"duplicate tenant", "../tenants/testdata/duplicate_tenant.yaml", nil, 1, []string{"duplicate tenant id"}},
		{"control characters in a community id", "../tenants/testdata/community_control_chars.yaml",
			map[string]string{"ACME_FUNNEL_API_KEY": "b"}, 1,
			[]string{"4 problem(s)", `tenant "acme": funnel.communities[0]: community id "12\x0034" contains the control character U+0000`}},
		{"missing file", "testdata/nope.yaml", nil, 1, []string{"nope.yaml"}},
		{"unknown score stage warns", "../tenants/testdata/score_stages.yaml", exampleEnv, 0,
			[]string{"OK (1 tenants", `warning: tenant "acme": push.customer_scores.stages.Showing Rescheduled: "Showing Rescheduled" is not a RentEngine leasing event type syncd knows`, "(line 17)"}},
		{"misspelled score stage", "../tenants/testdata/score_stage_typo.yaml", exampleEnv, 1,
			[]string{`tenant "acme": push.customer_scores.stages.Prescreen Rejected:`, `"Prescreen Rejected - ID Verification"`, "(line 16)"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var out, errOut bytes.Buffer
			env := Env{Stdout: &out, Stderr: &errOut, LookupEnv: func(k string) (string, bool) {
				v, ok := tc.env[k]
				return v, ok
			}}
			code := Main(context.Background(), []string{"validate", "--config", tc.file}, env)
			if code != tc.code {
				t.Fatalf("exit %d, want %d\nstdout: %s\nstderr: %s", code, tc.code, out.String(), errOut.String())
			}
			text := out.String() + errOut.String()
			for _, want := range tc.contains {
				if !strings.Contains(text, want) {
					t.Errorf("output lacks %q:\n%s", want, text)
				}
			}
			for _, secret := range []string{"value-of"} {
				if strings.Contains(text, secret) {
					t.Errorf("output leaks a secret: %s", text)
				}
			}
		})
	}
}
