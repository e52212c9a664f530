package push

import (
	"strings"
	"testing"

	"github.com/syncd-dev/syncd/internal/tenants"
)

func TestCheckTemplates(t *testing.T) {
	cases := []struct {
		name string
		rs   *tenants.RenewalStatus
		// bad are the status/sample pairs that must fail; every other pair must render.
		bad []string
	}{
		{"the defaults render", nil, nil},
		{"a template naming a missing field fails on both samples", &tenants.RenewalStatus{Templates: map[string]tenants.RenewalTemplate{
			"offered": {Body: "{{.NoSuchField}}"},
		}}, []string{"offered/full", "offered/sparse"}},
		{"a template that needs an offer fails only on the sparse sample", &tenants.RenewalStatus{Templates: map[string]tenants.RenewalTemplate{
			"month-to-month": {Header: "{{if .OfferRent}}{{money .OfferRent}}{{else}}{{.NoOffer}}{{end}}"},
		}}, []string{"month-to-month/sparse"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			checks := CheckTemplates(tc.rs)
			want := templates(tc.rs)
			if len(checks) != 2*len(want) {
				t.Fatalf("%d checks for %d templates", len(checks), len(want))
			}
			for _, c := range checks {
				key := c.Status + "/" + c.Sample
				mustFail := false
				for _, b := range tc.bad {
					mustFail = mustFail || b == key
				}
				if (c.Err != nil) != mustFail {
					t.Errorf("%s: err = %v, want failure %v", key, c.Err, mustFail)
				}
				if c.Err != nil && !strings.Contains(c.Err.Error(), "renewal template "+c.Status) {
					t.Errorf("%s: error %q does not name the template", key, c.Err)
				}
			}
		})
	}
}
