package cli_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/syncd-dev/syncd/internal/testing/funnelfake"
	"github.com/syncd-dev/syncd/internal/testing/rentenginefake"
)

const probeConfig = `database: {url: "sqlite::memory:"}
listen: ""
tenants:
  - id: acme
    rentengine: {base_url: %s, token_env: RE_TOKEN, rate_limit: {requests: 1000, per: 1s}}
    funnel: {base_url: %s, api_key_env: FU_KEY, communities: [%q], rate_limit: {requests: 1000, per: 1s}}
    schedules: {rentengine: "", funnel: ""}
  - id: parked
    enabled: false
    rentengine: {base_url: %[1]s, token_env: PARKED_TOKEN}
`

// syncd probe through the real command entry: exit status, the table, --json and --save.
func TestProbeCommand(t *testing.T) {
	re := rentenginefake.NewUnstarted(rentenginefake.Options{Token: "tok"}) // runCLIEnv's RE_TOKEN
	rentenginefake.Seed(re, rentenginefake.SeedOptions{Seed: 5, Units: 7, Prospects: 6, EventsPerProspect: 1})
	if err := re.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(re.Close)
	const key = "fu-secret-key"
	fu := funnelfake.NewUnstarted(funnelfake.Options{APIKey: key})
	funnelfake.Seed(fu, funnelfake.SeedOptions{Seed: 5, Communities: 1, ProspectsPerCommunity: 6,
		RenewalsPerCommunity: 3, AppointmentsPerCommunity: 3})
	if err := fu.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(fu.Close)
	com := fu.Communities()[0].Numeric()
	config := writeFile(t, "config.yaml", fmt.Sprintf(probeConfig, re.BaseURL(), fu.BaseURL(), com))
	env := map[string]string{"FU_KEY": key}

	cases := []struct {
		name string
		// off switches the leasing-events endpoint off for the case.
		off  bool
		args []string
		code int
		// stdout and stderr must contain these.
		stdout, stderr []string
		// check inspects more.
		check func(t *testing.T, stdout string)
	}{
		{name: "every call ok", args: []string{"--tenant", "acme"}, code: 0,
			stdout: []string{"rentengine GET /units ", "rentengine GET /leasing_events ",
				"funnel GET /community/{id}/appointments/booked/ [" + com + "]",
				"OK: every call the configured jobs need works",
				"Writes: the tenant has no push job"}},
		{name: "an endpoint off names it", off: true, args: []string{"--tenant", "acme"}, code: 1,
			stdout: []string{"FAILED", "rentengine GET /leasing_events: page 0 (limit=5): 404 Not Found"}},
		{name: "json", off: true, args: []string{"--tenant", "acme", "--json"}, code: 1,
			stderr: []string{"syncd probe: FAILED rentengine GET /leasing_events: page 0 (limit=5): 404 Not Found"},
			check: func(t *testing.T, stdout string) {
				var rep struct {
					OK    bool `json:"ok"`
					Calls []struct {
						Call, Verdict string
					} `json:"calls"`
				}
				if err := json.Unmarshal([]byte(stdout), &rep); err != nil {
					t.Fatalf("stdout is not JSON: %v\n%s", err, stdout)
				}
				if rep.OK || len(rep.Calls) != 7 {
					t.Errorf("ok %v, %d calls", rep.OK, len(rep.Calls))
				}
			}},
		{name: "save", args: []string{"--tenant", "acme", "--save", "DIR"}, code: 0,
			stdout: []string{"masked, to "},
			check: func(t *testing.T, stdout string) {
				dir := stdout[strings.Index(stdout, "masked, to ")+len("masked, to "):]
				dir = dir[:strings.Index(dir, " (described")]
				for _, f := range []string{"manifest.json", "rentengine_units_page0.json", "funnel_" + com + "_community.json"} {
					if _, err := os.Stat(filepath.Join(dir, f)); err != nil {
						t.Error(err)
					}
				}
			}},
		{name: "no tenant flag", args: nil, code: 2, stderr: []string{"--tenant is required"}},
		{name: "unknown tenant", args: []string{"--tenant", "nope"}, code: 1, stderr: []string{`no tenant "nope"`}},
		{name: "disabled tenant", args: []string{"--tenant", "parked"}, code: 1,
			stderr: []string{"tenant parked is disabled", `schedules set to ""`}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if tc.off {
				re.Disable(rentenginefake.EndpointLeasingEvents)
				t.Cleanup(re.Reset)
			}
			re.ResetRequests()
			fu.ResetRequests()
			args := append([]string{"probe", "--config", config}, tc.args...)
			for i, a := range args {
				if a == "DIR" {
					args[i] = filepath.Join(t.TempDir(), "fixtures")
				}
			}
			code, stdout, stderr := runCLIEnv(t, env, args...)
			if code != tc.code {
				t.Fatalf("exit %d, want %d\nstdout:\n%s\nstderr:\n%s", code, tc.code, stdout, stderr)
			}
			for _, want := range tc.stdout {
				if !strings.Contains(stdout, want) {
					t.Errorf("stdout lacks %q:\n%s", want, stdout)
				}
			}
			for _, want := range tc.stderr {
				if !strings.Contains(stderr, want) {
					t.Errorf("stderr lacks %q:\n%s", want, stderr)
				}
			}
			if tc.check != nil {
				tc.check(t, stdout)
			}
			for _, secret := range []string{key, "Bearer tok"} {
				if strings.Contains(stdout+stderr, secret) {
					t.Errorf("the output shows a secret (%q)", secret)
				}
			}
			for _, r := range append(re.Requests(), fu.Requests()...) {
				if r.Method != http.MethodGet {
					t.Errorf("the probe sent %s %s", r.Method, r.Path)
				}
			}
		})
	}
}
