package tenants

import (
	"errors"
	"testing"
)

func TestPushConfig(t *testing.T) {
	const base = `
tenants:
  - id: acme
    rentengine: {token_env: T}
    funnel: {api_key_env: K, communities: ['1'], company_id: 7}
`
	cases := []struct {
		name   string
		yaml   string
		fields []string // problem fields, in order; empty = valid
		check  func(t *testing.T, c *Config)
	}{
		{"count limit", base + "    push: {max_changes: '25'}", nil, func(t *testing.T, c *Config) {
			eq(t, "count", c.Tenant("acme").Push.MaxChangesCount, 25)
		}},
		{"percentage limit", base + "    push: {max_changes: '12.5%'}", nil, func(t *testing.T, c *Config) {
			eq(t, "percent", c.Tenant("acme").Push.MaxChangesPercent, 12.5)
		}},
		{"push schedule needs a push block", base + "    schedules: {push: '@hourly'}", []string{"schedules.push"}, nil},
		{"bad limit", base + "    push: {max_changes: lots}", []string{"push.max_changes"}, nil},
		{"percentage over 100", base + "    push: {max_changes: '150%'}", []string{"push.max_changes"}, nil},
		{"stage score above maximum", base + "    push: {customer_scores: {maximum_score: 10, stages: {New: 11}}}",
			[]string{"push.customer_scores.stages.New"}, nil},
		{"template that does not parse", base + "    push: {renewal_status: {templates: {offered: {body: '{{.Unit'}}}}",
			[]string{"push.renewal_status.templates.offered.body"}, nil},
		{"bad alert type", base + "    push: {renewal_status: {templates: {offered: {alert_type: DANGER}}}}",
			[]string{"push.renewal_status.templates.offered.alert_type"}, nil},
		{"agent not a UUID", base + "    push: {}\n    agents: {a@b.example: bob}", []string{"agents.a@b.example"}, nil},
		{"unknown key in push", base + "    push: {dryrun: true}", []string{"push.dryrun"}, nil},
		{"score targets all", base + "    push: {customer_scores: {targets: all}}", nil, func(t *testing.T, c *Config) {
			eq(t, "targets", c.Tenant("acme").Push.CustomerScores.Targets, ScoreTargetsAll)
		}},
		{"score targets linked", base + "    push: {customer_scores: {targets: linked}}", nil, nil},
		{"unknown score targets", base + "    push: {customer_scores: {targets: everyone}}", []string{"push.customer_scores.targets"}, nil},
		{"score targets is case-sensitive", base + "    push: {customer_scores: {targets: Linked}}", []string{"push.customer_scores.targets"}, nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c, err := Parse([]byte(tc.yaml), LoadOptions{LookupEnv: envOf(map[string]string{"T": "t", "K": "k"})})
			if len(tc.fields) == 0 {
				if err != nil {
					t.Fatal(err)
				}
				if tc.check != nil {
					tc.check(t, c)
				}
				return
			}
			var ve *ValidationError
			if !errors.As(err, &ve) {
				t.Fatalf("err = %v, want a ValidationError", err)
			}
			var got []string
			for _, p := range ve.Problems {
				if p.Tenant != "acme" {
					t.Errorf("problem %v does not name the tenant", p)
				}
				got = append(got, p.Field)
			}
			if len(got) != len(tc.fields) || got[0] != tc.fields[0] {
				t.Errorf("problem fields = %v, want %v (%v)", got, tc.fields, err)
			}
		})
	}
}

func TestRentEngineWebhookConfig(t *testing.T) {
	const base = `
tenants:
  - id: acme
    rentengine:
      token_env: T
`
	c, err := Parse([]byte(base+"      webhook: {api_key_env: W}"), LoadOptions{LookupEnv: envOf(map[string]string{"T": "t", "W": "hook-key"})})
	if err != nil {
		t.Fatal(err)
	}
	wh := c.Tenant("acme").RentEngine.Webhook
	eq(t, "header", wh.Header, DefaultWebhookHeader)
	eq(t, "key", wh.APIKey.Reveal(), "hook-key")

	for name, tc := range map[string]struct{ yaml, field string }{
		"no key":        {"      webhook: {}", "rentengine.webhook"},
		"unset key":     {"      webhook: {api_key_env: MISSING}", "rentengine.webhook.api_key_env"},
		"bad header":    {"      webhook: {api_key_env: W, header: 'X Key:'}", "rentengine.webhook.header"},
		"secret inline": {"      webhook: {api_key: abc}", "rentengine.webhook.api_key"},
	} {
		t.Run(name, func(t *testing.T) {
			_, err := Parse([]byte(base+tc.yaml), LoadOptions{LookupEnv: envOf(map[string]string{"T": "t", "W": "k"})})
			var ve *ValidationError
			if !errors.As(err, &ve) || ve.Problems[0].Field != tc.field || ve.Problems[0].Tenant != "acme" {
				t.Fatalf("err = %v, want a problem on %s", err, tc.field)
			}
		})
	}
}
