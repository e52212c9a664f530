package tenants

import (
	"slices"
	"testing"
)

func TestTenantJobs(t *testing.T) {
	re, fu, push := &RentEngine{}, &Funnel{}, &Push{}
	cases := []struct {
		name string
		t    Tenant
		want []Job
	}{
		{"rentengine only", Tenant{RentEngine: re}, []Job{JobRentEngine}},
		{"funnel only", Tenant{Funnel: fu}, []Job{JobFunnel}},
		{"both, no push block", Tenant{RentEngine: re, Funnel: fu}, []Job{JobRentEngine, JobFunnel}},
		{"push needs both upstreams", Tenant{RentEngine: re, Push: push}, []Job{JobRentEngine}},
		{"everything", Tenant{RentEngine: re, Funnel: fu, Push: push}, []Job{JobRentEngine, JobFunnel, JobPush}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if got := tc.t.Jobs(); !slices.Equal(got, tc.want) {
				t.Errorf("Jobs() = %v, want %v", got, tc.want)
			}
		})
	}
	for _, j := range AllJobs {
		if !j.Known() {
			t.Errorf("%s is not known", j)
		}
	}
	for _, j := range []Job{"", "webhook", "RentEngine", " push"} {
		if j.Known() {
			t.Errorf("%q is known", j)
		}
	}
}
