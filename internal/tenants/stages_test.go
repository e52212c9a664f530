package tenants

import (
	"errors"
	"strings"
	"testing"
)

// push.customer_scores.stages keys are matched exactly against the statuses RentEngine sends, so
// a misspelled key silently scores nobody: it is an error with the right spelling. A key that is
// no misspelling may be a type RentEngine added later: accepted, with a warning.
func TestCustomerScoreStageKeys(t *testing.T) {
	const base = `
tenants:
  - id: acme
    rentengine: {token_env: T}
    funnel: {api_key_env: K, communities: ['1'], company_id: 7}
    push:
      customer_scores:
        stages:
`
	cases := []struct {
		name    string
		stage   string
		problem string // substring of the one error; "" = valid
		warning string // substring of the one warning; "" = none
	}{
		{"documented type", `"Prescreen Rejected - Credit": 3`, "", ""},
		{"type with a comma", `"Contacted, Awaiting Information": 25`, "", ""},
		{"extra type", `"Showing Pending": 40`, "", ""},
		{"blocklisted record status", `"Blocklist Prospect": 0`, "", ""},
		{"the old wrong key", `"Prescreen Rejected": 5`, `one of "Prescreen Rejected - Credit", "Prescreen Rejected - Income", "Prescreen Rejected - ID Verification"`, ""},
		{"other case", `"Looking Too Early": 20`, `did you mean "Looking too early"?`, ""},
		{"other punctuation", `"Move In Scheduled": 99`, `did you mean "Move-in Scheduled"?`, ""},
		{"letters swapped", `"Showing Schedueld": 50`, `did you mean "Showing Scheduled"?`, ""},
		{"one letter off", `"Aplication Received": 80`, `did you mean "Application Received"?`, ""},
		{"a new upstream type", `"Showing Rescheduled": 45`, "", "not a RentEngine leasing event type syncd knows"},
		{"an action", `"Log Note": 10`, "", "never becomes a prospect's status"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c, err := Parse([]byte(base+"          "+tc.stage+"\n"), LoadOptions{LookupEnv: envOf(map[string]string{"T": "t", "K": "k"})})
			if tc.problem != "" {
				var ve *ValidationError
				if !errors.As(err, &ve) || len(ve.Problems) != 1 {
					t.Fatalf("err = %v, want one problem", err)
				}
				p := ve.Problems[0]
				key := strings.Trim(strings.SplitN(tc.stage, ":", 2)[0], `"`)
				if p.Tenant != "acme" || p.Field != "push.customer_scores.stages."+key || p.Line != 9 ||
					!strings.Contains(p.Message, tc.problem) {
					t.Errorf("problem %+v, want tenant acme, the key on line 9 and %q", p, tc.problem)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			switch {
			case tc.warning == "" && len(c.Warnings) > 0:
				t.Errorf("warnings %v, want none", c.Warnings)
			case tc.warning != "" && (len(c.Warnings) != 1 || !strings.Contains(c.Warnings[0].String(), tc.warning) ||
				c.Warnings[0].Tenant != "acme" || c.Warnings[0].Line != 9):
				t.Errorf("warnings %v, want one on line 9 containing %q", c.Warnings, tc.warning)
			}
		})
	}
}
