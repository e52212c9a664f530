// Command fakeupstream runs the in-memory upstream fakes as their own process, seeded with
// realistic data, for the demo and for benchmarks. It is a development tool: the production image
// does not contain it.
//
// Each fake is seeded before it starts listening, so once its line is printed (or its port
// accepts connections) a client sees the complete data set. It runs until SIGINT or SIGTERM.
//
//	FAKE_RENTENGINE_TOKEN=dev-token fakeupstream -units 500 -prospects 5000 -rate-limit 20/5s
//	rentengine base_url=http://127.0.0.1:8081/api/public/v1 units=500 prospects=5000 leasing_events=...
//
// The Funnel fake starts beside it when it has a key (-funnel-api-key or FAKE_FUNNEL_API_KEY):
//
//	FAKE_FUNNEL_API_KEY=dev-key FAKE_RENTENGINE_TOKEN=dev-token fakeupstream
//	funnel base_url=http://127.0.0.1:8082/api/partners/v1 company_id=3187 communities=1001,P1002-...,partner-id:... ...
//
// The FunnelFlux fake starts too when it has both tokens (-funnelflux-access-token and
// -funnelflux-refresh-token, or FAKE_FUNNELFLUX_ACCESS_TOKEN and FAKE_FUNNELFLUX_REFRESH_TOKEN). It
// seeds an account with days of hits, conversions and costs, and writes "ff_hit=<hit id>" into the
// notes of some RentEngine prospects, where the demo tenant's push.lease_conversion.hit_id looks
// (path notes, pattern 'ff_hit=([0-9A-Za-z]+)'):
//
//	FAKE_FUNNELFLUX_ACCESS_TOKEN=ffat FAKE_FUNNELFLUX_REFRESH_TOKEN=ffrt FAKE_RENTENGINE_TOKEN=dev-token fakeupstream
//	funnelflux base_url=http://127.0.0.1:8083/v1 funnel_groups=2 funnels=3 traffic_sources=3 hits=... leads=20 ...
//
// Any fake can start with endpoints switched off or fields served with another JSON type, to
// see how syncd copes with an upstream that differs from what it expects (names as in the fakes'
// Endpoint* constants and resources; see fakeapi.Switchboard):
//
//	fakeupstream -rentengine-disable 'GET /leasing_events' -rentengine-field-type units.bedrooms=object \
//	    -funnel-disable 'GET /community/{community_id}/=410' -funnel-field-type prospects.funnel_renter_id=string
//
// The same switches can be changed while it runs, at each fake's admin URL (printed as admin=):
//
//	curl -X POST http://127.0.0.1:8081/_fakeapi/switches -d '{"disable": {"GET /units": 404}}'
//	curl -X POST http://127.0.0.1:8081/_fakeapi/switches -d '{"reset": true}'
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/syncd-dev/syncd/internal/testing/fakeapi"
	"github.com/syncd-dev/syncd/internal/testing/funnelfake"
	"github.com/syncd-dev/syncd/internal/testing/funnelfluxfake"
	"github.com/syncd-dev/syncd/internal/testing/rentenginefake"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	os.Exit(run(ctx, os.Args[1:], os.Getenv, os.Stdout, os.Stderr))
}

// run starts the fakes described by args and blocks until ctx is done. It returns the exit code.
func run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("fakeupstream", flag.ContinueOnError)
	fs.SetOutput(stderr)
	reAddr := fs.String("rentengine-addr", "127.0.0.1:8081", "listen address of the RentEngine fake")
	token := fs.String("token", "", "bearer token the RentEngine fake accepts (default $FAKE_RENTENGINE_TOKEN)")
	seed := fs.Int64("seed", 1, "seed for the generated data; the same seed gives the same records")
	units := fs.Int("units", 200, "RentEngine units to generate")
	prospects := fs.Int("prospects", 1000, "RentEngine prospects to generate")
	events := fs.Int("events-per-prospect", 3, "average RentEngine leasing events per prospect")
	account := fs.String("account-id", rentenginefake.DefaultAccountID, "account_id of the generated units")
	rateLimit := fs.String("rate-limit", "", `server-side limit per token as REQUESTS/PERIOD, e.g. "20/5s" (default: none)`)
	var reSwitch, fuSwitch fakeapi.SwitchRequest
	fs.Var(disableFlag{&reSwitch}, "rentengine-disable", `switch a RentEngine endpoint off, as "METHOD /path" (404) or "METHOD /path=410" (or 405); repeatable`)
	fs.Var(fieldTypeFlag{&reSwitch}, "rentengine-field-type", `serve a RentEngine field as another JSON type, as RESOURCE.FIELD=KIND (kinds: string, number, bool, object, array, null, absent); repeatable`)
	fs.Var(disableFlag{&fuSwitch}, "funnel-disable", "as -rentengine-disable, for the Funnel fake")
	fs.Var(fieldTypeFlag{&fuSwitch}, "funnel-field-type", "as -rentengine-field-type, for the Funnel fake")
	fu := funnelFlags{
		addr:         fs.String("funnel-addr", "127.0.0.1:8082", "listen address of the Funnel fake"),
		key:          fs.String("funnel-api-key", "", "API key the Funnel fake accepts, as Basic user name or Bearer token (default $FAKE_FUNNEL_API_KEY; without one the Funnel fake is not started)"),
		company:      fs.Int64("funnel-company-id", funnelfake.DefaultCompanyID, "Funnel company id the fake serves (for customer scores)"),
		communities:  fs.Int("funnel-communities", 3, "Funnel communities to generate"),
		prospects:    fs.Int("funnel-prospects", 300, "Funnel clients (prospects) to generate per community"),
		renewals:     fs.Int("funnel-renewals", 60, "Funnel renewals to generate per community"),
		appointments: fs.Int("funnel-appointments", 120, "Funnel booked appointments to generate per community"),
		shared:       fs.Int("funnel-shared-people", 100, "RentEngine people who are also Funnel clients, so identity links have something to find"),
		rateLimit:    fs.String("funnel-rate-limit", "", `server-side limit per key as REQUESTS/PERIOD, e.g. "5/s" (default: none)`),
	}
	var ffSwitch fakeapi.SwitchRequest
	fs.Var(disableFlag{&ffSwitch}, "funnelflux-disable", "as -rentengine-disable, for the FunnelFlux fake")
	fs.Var(fieldTypeFlag{&ffSwitch}, "funnelflux-field-type", "as -rentengine-field-type, for the FunnelFlux fake")
	ff := funnelFluxFlags{
		addr:      fs.String("funnelflux-addr", "127.0.0.1:8083", "listen address of the FunnelFlux fake"),
		access:    fs.String("funnelflux-access-token", "", "first access token the FunnelFlux fake accepts (default $FAKE_FUNNELFLUX_ACCESS_TOKEN; without both tokens the FunnelFlux fake is not started)"),
		refresh:   fs.String("funnelflux-refresh-token", "", "refresh token the FunnelFlux fake accepts (default $FAKE_FUNNELFLUX_REFRESH_TOKEN)"),
		days:      fs.Int("funnelflux-days", 14, "days of FunnelFlux history to generate"),
		hits:      fs.Int("funnelflux-hits-per-day", 40, "FunnelFlux entrances per day, on average"),
		leads:     fs.Int("funnelflux-leads", 20, `RentEngine prospects whose notes get "ff_hit=<hit id>" of a recent FunnelFlux hit`),
		lifetime:  fs.Duration("funnelflux-token-lifetime", funnelfluxfake.DefaultTokenLifetime, "FunnelFlux access token lifetime"),
		delay:     fs.Duration("funnelflux-conversion-delay", 5*time.Second, "how long a FunnelFlux conversion update stays queued"),
		zone:      fs.String("funnelflux-timezone", "America/Chicago", "time zone of the generated FunnelFlux daily costs"),
		rateLimit: fs.String("funnelflux-rate-limit", "", `server-side limit per token as REQUESTS/PERIOD, e.g. "2/s" (default: none)`),
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	if *token == "" {
		*token = getenv("FAKE_RENTENGINE_TOKEN")
	}
	if *token == "" {
		fmt.Fprintln(stderr, "fakeupstream: set -token or FAKE_RENTENGINE_TOKEN")
		return 2
	}
	var limit *fakeapi.RateLimit
	if *rateLimit != "" {
		rl, err := parseRateLimit(*rateLimit)
		if err != nil {
			fmt.Fprintf(stderr, "fakeupstream: -rate-limit: %v\n", err)
			return 2
		}
		limit = &rl
	}

	re := rentenginefake.NewUnstarted(rentenginefake.Options{Token: *token, RateLimit: limit, Addr: *reAddr})
	if err := re.Apply(reSwitch); err != nil {
		fmt.Fprintf(stderr, "fakeupstream: %v\n", err)
		return 2
	}
	start := time.Now()
	rentenginefake.Seed(re, rentenginefake.SeedOptions{
		Seed: *seed, Units: *units, Prospects: *prospects, EventsPerProspect: *events, AccountID: *account,
	})
	if err := re.Start(); err != nil {
		fmt.Fprintf(stderr, "fakeupstream: %v\n", err)
		return 1
	}
	defer re.Close()
	fmt.Fprintf(stdout, "rentengine base_url=%s units=%d prospects=%d leasing_events=%d seeded_in=%s admin=%s\n",
		re.BaseURL(), re.Count(rentenginefake.Units), re.Count(rentenginefake.Prospects),
		re.Count(rentenginefake.LeasingEvents), time.Since(start).Round(time.Millisecond), re.URL()+fakeapi.AdminPath)

	if *fu.key == "" {
		*fu.key = getenv("FAKE_FUNNEL_API_KEY")
	}
	if *fu.key != "" {
		f, err := startFunnel(fu, fuSwitch, *seed, re, stdout)
		if errors.Is(err, errUsage) {
			fmt.Fprintf(stderr, "fakeupstream: %v\n", err)
			return 2
		}
		if err != nil {
			fmt.Fprintf(stderr, "fakeupstream: %v\n", err)
			return 1
		}
		defer f.Close()
	}

	if *ff.access == "" {
		*ff.access = getenv("FAKE_FUNNELFLUX_ACCESS_TOKEN")
	}
	if *ff.refresh == "" {
		*ff.refresh = getenv("FAKE_FUNNELFLUX_REFRESH_TOKEN")
	}
	if *ff.access != "" || *ff.refresh != "" {
		f, err := startFunnelFlux(ff, ffSwitch, *seed, re, stdout)
		if errors.Is(err, errUsage) {
			fmt.Fprintf(stderr, "fakeupstream: %v\n", err)
			return 2
		}
		if err != nil {
			fmt.Fprintf(stderr, "fakeupstream: %v\n", err)
			return 1
		}
		defer f.Close()
	}

	<-ctx.Done()
	return 0
}

// funnelFluxFlags are the -funnelflux-... flags.
type funnelFluxFlags struct {
	addr, access, refresh, zone, rateLimit *string
	days, hits, leads                      *int
	lifetime, delay                        *time.Duration
}

// startFunnelFlux seeds and starts the FunnelFlux fake, gives some RentEngine prospects a hit id
// in their notes (recent hits, not converted yet: leads whose lease a demo can sign), and prints
// one line with what a tenant's funnelflux: block needs.
func startFunnelFlux(o funnelFluxFlags, switches fakeapi.SwitchRequest, seed int64, re *rentenginefake.Server, stdout io.Writer) (*funnelfluxfake.Server, error) {
	if *o.access == "" || *o.refresh == "" {
		return nil, fmt.Errorf("%w: the FunnelFlux fake needs both an access and a refresh token", errUsage)
	}
	var limit *fakeapi.RateLimit
	if *o.rateLimit != "" {
		rl, err := parseRateLimit(*o.rateLimit)
		if err != nil {
			return nil, fmt.Errorf("%w: -funnelflux-rate-limit: %w", errUsage, err)
		}
		limit = &rl
	}
	if _, err := time.LoadLocation(*o.zone); err != nil {
		return nil, fmt.Errorf("%w: -funnelflux-timezone: %w", errUsage, err)
	}
	f := funnelfluxfake.NewUnstarted(funnelfluxfake.Options{AccessToken: *o.access, RefreshToken: *o.refresh,
		TokenLifetime: *o.lifetime, ConversionDelay: *o.delay, RateLimit: limit, Addr: *o.addr})
	if err := f.Apply(switches); err != nil {
		return nil, fmt.Errorf("%w: %w", errUsage, err)
	}
	start := time.Now()
	seeded := funnelfluxfake.Seed(f, funnelfluxfake.SeedOptions{Seed: seed, Days: *o.days, HitsPerDay: *o.hits, Zone: *o.zone})
	leads := giveHitIDs(re, seeded.FreshHits, *o.leads)
	if err := f.Start(); err != nil {
		return nil, err
	}
	fmt.Fprintf(stdout, "funnelflux base_url=%s %s leads=%d seeded_in=%s admin=%s\n", f.BaseURL(), seeded, leads,
		time.Since(start).Round(time.Millisecond), f.URL()+fakeapi.AdminPath)
	return f, nil
}

// giveHitIDs appends " ff_hit=<hit id>" to the notes of up to n RentEngine prospects, spread over
// the list, one fresh hit each, and returns how many it changed.
func giveHitIDs(re *rentenginefake.Server, hits []string, n int) int {
	var ids []int64
	for id := range re.All(rentenginefake.Prospects) {
		ids = append(ids, id)
	}
	n = min(n, len(hits), len(ids))
	for i := range n {
		id := ids[i*len(ids)/n]
		raw, _ := re.Raw(rentenginefake.Prospects, id)
		var rec struct {
			Notes *string `json:"notes"`
		}
		_ = json.Unmarshal(raw, &rec)
		notes := "Web lead."
		if rec.Notes != nil && *rec.Notes != "" {
			notes = *rec.Notes
		}
		if err := re.Update(rentenginefake.Prospects, id, map[string]any{"notes": notes + " ff_hit=" + hits[i]}); err != nil {
			panic(fmt.Sprintf("fakeupstream: give prospect %d a hit id: %v", id, err))
		}
	}
	return n
}

// funnelFlags are the -funnel-... flags.
type funnelFlags struct {
	addr, key, rateLimit                                   *string
	company                                                *int64
	communities, prospects, renewals, appointments, shared *int
}

// startFunnel seeds and starts the Funnel fake and prints one line with everything a tenant's
// funnel: block needs: base_url, company_id and the communities, each in a different id form
// (numeric, syndication, partner-id) so that a config using them exercises all three. Some
// RentEngine people become Funnel clients too (same name, e-mail and phone, as RentEngine has
// them), which is what the identity links of the demo find.
func startFunnel(o funnelFlags, switches fakeapi.SwitchRequest, seed int64, re *rentenginefake.Server, stdout io.Writer) (*funnelfake.Server, error) {
	var limit *fakeapi.RateLimit
	if *o.rateLimit != "" {
		rl, err := parseRateLimit(*o.rateLimit)
		if err != nil {
			return nil, fmt.Errorf("%w: -funnel-rate-limit: %w", errUsage, err)
		}
		limit = &rl
	}
	f := funnelfake.NewUnstarted(funnelfake.Options{APIKey: *o.key, CompanyID: *o.company, RateLimit: limit, Addr: *o.addr})
	if err := f.Apply(switches); err != nil {
		return nil, fmt.Errorf("%w: %w", errUsage, err)
	}
	start := time.Now()
	var contacts []funnelfake.Contact
	if n := re.Count(rentenginefake.Prospects); *o.shared > 0 && n > 0 {
		contacts = funnelfake.ContactsFrom(re.All(rentenginefake.Prospects), max(1, n / *o.shared), *o.shared)
	}
	funnelfake.Seed(f, funnelfake.SeedOptions{Seed: seed, Communities: *o.communities, ProspectsPerCommunity: *o.prospects,
		RenewalsPerCommunity: *o.renewals, AppointmentsPerCommunity: *o.appointments, Contacts: contacts})
	if err := f.Start(); err != nil {
		return nil, err
	}
	var forms []string
	counts := map[funnelfake.Resource]int{}
	for i, c := range f.Communities() {
		all := c.Forms()
		forms = append(forms, all[i%len(all)])
		for _, res := range funnelfake.Resources() {
			counts[res] += f.Count(c.ID, res)
		}
	}
	fmt.Fprintf(stdout, "funnel base_url=%s company_id=%d communities=%s prospects=%d renewals=%d appointments=%d shared_people=%d seeded_in=%s admin=%s\n",
		f.BaseURL(), f.CompanyID(), strings.Join(forms, ","), counts[funnelfake.Prospects], counts[funnelfake.Renewals],
		counts[funnelfake.Appointments], len(contacts), time.Since(start).Round(time.Millisecond), f.URL()+fakeapi.AdminPath)
	return f, nil
}

// parseRateLimit reads "20/5s" (or "5/s", "100/1m") as a RateLimit.
func parseRateLimit(s string) (fakeapi.RateLimit, error) {
	n, per, ok := strings.Cut(s, "/")
	if !ok {
		return fakeapi.RateLimit{}, fmt.Errorf("%q is not REQUESTS/PERIOD", s)
	}
	requests, err := strconv.Atoi(n)
	if err != nil || requests < 1 {
		return fakeapi.RateLimit{}, fmt.Errorf("%q: requests must be a positive integer", s)
	}
	if per != "" && (per[0] < '0' || per[0] > '9') {
		per = "1" + per // "5/s" means per one second
	}
	d, err := time.ParseDuration(per)
	if err != nil || d <= 0 {
		return fakeapi.RateLimit{}, fmt.Errorf("%q: period must be a positive duration such as 5s", s)
	}
	return fakeapi.RateLimit{Requests: requests, Per: d}, nil
}

// errUsage marks an error in the flags: exit code 2 rather than 1.
var errUsage = errors.New("usage")

// disableFlag adds "METHOD /path" or "METHOD /path=STATUS" to a SwitchRequest's Disable. The
// fake checks the name when the request is applied.
type disableFlag struct{ req *fakeapi.SwitchRequest }

func (f disableFlag) String() string { return "" }

func (f disableFlag) Set(v string) error {
	endpoint, status := v, 0
	if ep, st, ok := strings.Cut(v, "="); ok {
		n, err := strconv.Atoi(st)
		if err != nil {
			return fmt.Errorf("%q: the status after = must be 404, 405 or 410", v)
		}
		endpoint, status = ep, n
	}
	if f.req.Disable == nil {
		f.req.Disable = map[string]int{}
	}
	f.req.Disable[strings.TrimSpace(endpoint)] = status
	return nil
}

// fieldTypeFlag adds "RESOURCE.FIELD=KIND" to a SwitchRequest's FieldTypes.
type fieldTypeFlag struct{ req *fakeapi.SwitchRequest }

func (f fieldTypeFlag) String() string { return "" }

func (f fieldTypeFlag) Set(v string) error {
	rf, kind, ok := strings.Cut(v, "=")
	if !ok {
		return fmt.Errorf("%q is not RESOURCE.FIELD=KIND", v)
	}
	if _, _, err := fakeapi.SplitResourceField(rf); err != nil {
		return err
	}
	if f.req.FieldTypes == nil {
		f.req.FieldTypes = map[string]fakeapi.FieldKind{}
	}
	f.req.FieldTypes[rf] = fakeapi.FieldKind(kind)
	return nil
}
