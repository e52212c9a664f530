package probe_test

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/syncd-dev/syncd/internal/clients/funnelflux"
	"github.com/syncd-dev/syncd/internal/probe"
	"github.com/syncd-dev/syncd/internal/tenants"
	"github.com/syncd-dev/syncd/internal/testing/funnelfluxfake"
	"github.com/syncd-dev/syncd/internal/testing/rentenginefake"
)

const (
	ffAccess  = "ffat_probe-access-4b1d"
	ffRefresh = "ffrt_probe-refresh-93ce"
)

// ffBundle is a tenant with RentEngine and FunnelFlux, pushing lease conversions.
type ffBundle struct {
	re *rentenginefake.Server
	ff *funnelfluxfake.Server
	// withHit counts the RentEngine prospects given a hit id in their notes.
	withHit int
}

func ffSetup(t *testing.T, opts func(*funnelfluxfake.Options)) *ffBundle {
	t.Helper()
	re := rentenginefake.NewUnstarted(rentenginefake.Options{Token: reToken})
	rentenginefake.Seed(re, rentenginefake.SeedOptions{Seed: 11, Units: 12, Prospects: 9, EventsPerProspect: 2})
	o := funnelfluxfake.Options{AccessToken: ffAccess, RefreshToken: ffRefresh}
	if opts != nil {
		opts(&o)
	}
	ff := funnelfluxfake.NewUnstarted(o)
	seeded := funnelfluxfake.Seed(ff, funnelfluxfake.SeedOptions{Seed: 3, Days: 3, HitsPerDay: 10})
	b := &ffBundle{re: re, ff: ff}
	var ids []int64
	for id := range re.All(rentenginefake.Prospects) {
		ids = append(ids, id)
	}
	for i, id := range ids[:3] {
		if err := re.Update(rentenginefake.Prospects, id, map[string]any{"notes": "web lead ff_hit=" + seeded.Hits[i]}); err != nil {
			t.Fatal(err)
		}
		b.withHit++
	}
	for _, s := range []interface{ Start() error }{re, ff} {
		if err := s.Start(); err != nil {
			t.Fatal(err)
		}
	}
	t.Cleanup(re.Close)
	t.Cleanup(ff.Close)
	return b
}

func (b *ffBundle) tenant(t *testing.T, refresh string) *tenants.Tenant {
	t.Helper()
	yaml := fmt.Sprintf(`database: {url: "sqlite::memory:"}
listen: ""
tenants:
  - id: acme
    timezone: America/Chicago
    rentengine:
      base_url: %s
      token_env: RE_TOKEN
      rate_limit: {requests: 1000, per: 1s}
    funnelflux:
      base_url: %s
      access_token_env: FF_ACCESS
      refresh_token_env: FF_REFRESH
      rate_limit: {requests: 1000, per: 1s}
    push:
      lease_conversion:
        enabled: true
        hit_id: {path: notes, pattern: 'ff_hit=([0-9a-z]+)'}
`, b.re.BaseURL(), b.ff.BaseURL())
	env := map[string]string{"RE_TOKEN": reToken, "FF_ACCESS": ffAccess, "FF_REFRESH": refresh}
	cfg, err := tenants.Parse([]byte(yaml), tenants.LoadOptions{LookupEnv: func(k string) (string, bool) {
		v, ok := env[k]
		return v, ok
	}})
	if err != nil {
		t.Fatalf("config: %v\n%s", err, yaml)
	}
	return cfg.Tenant("acme")
}

// onlyReads fails the test when FunnelFlux received a write, or RentEngine anything but a GET.
func (b *ffBundle) onlyReads(t *testing.T) {
	t.Helper()
	for _, r := range b.re.Requests() {
		if r.Method != http.MethodGet {
			t.Errorf("the probe sent RentEngine %s %s", r.Method, r.Path)
		}
	}
	for _, r := range b.ff.Requests() {
		switch r.Method + " " + strings.TrimPrefix(r.Path, funnelfluxfake.BasePath) {
		case "GET /funnel/list", "GET /funnelgroup/list", "GET /trafficsource/list", "GET /reporting/attributes",
			"POST /auth/validate", "POST /reporting/drilldown":
		default:
			t.Errorf("the probe sent FunnelFlux %s %s", r.Method, r.Path)
		}
	}
	if b.ff.Calls(funnelfluxfake.EndpointConversions) != 0 || b.ff.ConversionUpdates() != 0 {
		t.Error("the probe sent a conversion update")
	}
}

func ffCalls(rep *probe.Report) map[string]*probe.Call {
	out := map[string]*probe.Call{}
	for _, c := range rep.Calls {
		if c.API == "funnelflux" {
			out[c.Call] = c
		}
	}
	return out
}

func TestProbeFunnelFluxCallsAndLeaseConversionCheck(t *testing.T) {
	b := ffSetup(t, nil)
	dir := t.TempDir()
	rep, err := probe.Run(context.Background(), probe.Config{Tenant: b.tenant(t, ffRefresh), Retry: fastRetry, SaveDir: dir})
	if err != nil {
		t.Fatal(err)
	}
	b.onlyReads(t)
	if !rep.OK {
		t.Fatalf("not OK: %v", rep.Failures)
	}
	calls := ffCalls(rep)
	want := []string{funnelflux.OpValidate, funnelflux.Funnels.Op(), funnelflux.FunnelGroups.Op(), funnelflux.TrafficSources.Op(),
		funnelflux.OpAttributes, funnelflux.OpDrilldown + " (daily stats)", funnelflux.OpDrilldown + " (conversions)"}
	for _, name := range want {
		c := calls[name]
		if c == nil {
			t.Errorf("no call %q among %d", name, len(calls))
			continue
		}
		if c.Verdict == probe.Fail || c.Auth != "accepted" || c.Job != tenants.JobFunnelFlux {
			t.Errorf("%s: %s, auth %s, problems %v", name, c.Verdict, c.Auth, c.Problems)
		}
	}
	if c := calls[funnelflux.FunnelGroups.Op()]; c != nil && (c.Shape == nil || c.Shape.IDsMissing != 0 || c.Shape.Records != 2 ||
		!strings.Contains(strings.Join(c.Notes, " "), "legacy idCampaign")) {
		t.Errorf("funnel groups: shape %+v, notes %v", c.Shape, c.Notes)
	}
	// Pro's ids are strings [V]: no type difference is reported for them.
	for _, a := range funnelflux.Assets {
		if c := calls[a.Op()]; c != nil && c.Shape != nil && len(c.Shape.Types) != 0 {
			t.Errorf("%s: type differences %v", a, c.Shape.Types)
		}
	}
	daily := calls[funnelflux.OpDrilldown+" (daily stats)"]
	if daily == nil || daily.Paging == nil || daily.Paging.Limit != "honoured" || daily.Requests[0].Records != 5 {
		t.Errorf("daily stats: %+v", daily)
	}
	var lease *probe.WriteCheck
	for _, w := range rep.Writes {
		if w.Kind == "lease_conversion" {
			lease = w
		}
	}
	if lease == nil || lease.Verdict != probe.OK || !strings.HasPrefix(lease.Detail, fmt.Sprintf("%d of 9 RentEngine prospects", b.withHit)) {
		t.Errorf("lease_conversion check: %+v", lease)
	}
	// What --save wrote holds no token.
	files, _ := filepath.Glob(filepath.Join(dir, "*"))
	if len(files) < len(want) {
		t.Errorf("%d files saved", len(files))
	}
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, secret := range []string{ffAccess, ffRefresh, "ffat_"} {
			if strings.Contains(string(data), secret) {
				t.Errorf("%s holds a token", filepath.Base(f))
			}
		}
	}
}

// TestProbeFunnelFluxRenewsAnExpiredToken: the configured access token has expired; the probe's
// token check renews it and says so, and the other calls go through with the new one.
func TestProbeFunnelFluxRenewsAnExpiredToken(t *testing.T) {
	b := ffSetup(t, nil)
	b.ff.ExpireAccessTokens()
	rep, err := probe.Run(context.Background(), probe.Config{Tenant: b.tenant(t, ffRefresh), Retry: fastRetry})
	if err != nil {
		t.Fatal(err)
	}
	b.onlyReads(t)
	v := ffCalls(rep)[funnelflux.OpValidate]
	if !rep.OK || v == nil || !strings.Contains(strings.Join(v.Notes, " "), "renewed") || b.ff.Refreshes() != 1 {
		t.Errorf("OK %v, validate %+v, %d refreshes", rep.OK, v, b.ff.Refreshes())
	}
}

// TestProbeFunnelFluxReauthorisation: a refused refresh token fails the token check and the
// lease-conversion check, saying re-authorisation is needed; RentEngine's calls still pass.
func TestProbeFunnelFluxReauthorisation(t *testing.T) {
	b := ffSetup(t, func(o *funnelfluxfake.Options) { o.TokenLifetime = time.Nanosecond })
	rep, err := probe.Run(context.Background(), probe.Config{Tenant: b.tenant(t, "ffrt_wrong"), Retry: fastRetry})
	if err != nil {
		t.Fatal(err)
	}
	b.onlyReads(t)
	if rep.OK {
		t.Fatal("OK with a refused refresh token")
	}
	v := ffCalls(rep)[funnelflux.OpValidate]
	if v == nil || v.Verdict != probe.Fail || !strings.Contains(strings.Join(v.Problems, " "), "re-authorisation needed") {
		t.Errorf("validate: %+v", v)
	}
	for _, c := range rep.Calls {
		if c.API == "rentengine" && c.Verdict == probe.Fail {
			t.Errorf("%s failed: %v", c.Name(), c.Problems)
		}
	}
	for _, w := range rep.Writes {
		if w.Kind == "lease_conversion" && w.Verdict != probe.Fail {
			t.Errorf("lease_conversion: %+v", w)
		}
	}
	if strings.Contains(fmt.Sprint(rep.Failures), "ffrt_wrong") {
		t.Errorf("failures show the refresh token: %v", rep.Failures)
	}
}
