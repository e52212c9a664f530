package probe_test

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/syncd-dev/syncd/internal/clients/funnel"
	"github.com/syncd-dev/syncd/internal/clients/upstream"
	"github.com/syncd-dev/syncd/internal/probe"
	"github.com/syncd-dev/syncd/internal/tenants"
	"github.com/syncd-dev/syncd/internal/testing/fakeapi"
	"github.com/syncd-dev/syncd/internal/testing/funnelfake"
	"github.com/syncd-dev/syncd/internal/testing/rentenginefake"
)

const (
	reToken = "re-token-5f1c9a"
	fuKey   = "fu-key-77d0e2"
)

// bundle is one test's fakes and the tenant configuration pointing at them.
type bundle struct {
	re *rentenginefake.Server
	fu *funnelfake.Server
	// communities are the configured community ids: one numeric, one syndication form.
	communities []string
	// agents are every agent e-mail in the Funnel fake's data, each mapped in the config.
	agents []string
	// reURL and fuURL are the base URLs the tenant uses (the fakes', unless a test puts a proxy
	// in front).
	reURL, fuURL string
	// agentsTable overrides the tenant's agents: table (nil = every agent mapped).
	agentsTable map[string]string
	// templates is extra YAML under push.renewal_status.
	templates string
	// token overrides the RentEngine token the tenant sends.
	token string
}

// setup starts seeded fakes. The data is small enough that the probe reads every record, so
// every agent that appears is seen.
func setup(t *testing.T, opts ...func(*rentenginefake.Options, *funnelfake.Options)) *bundle {
	t.Helper()
	reOpts := rentenginefake.Options{Token: reToken}
	fuOpts := funnelfake.Options{APIKey: fuKey}
	for _, o := range opts {
		o(&reOpts, &fuOpts)
	}
	re := rentenginefake.NewUnstarted(reOpts)
	rentenginefake.Seed(re, rentenginefake.SeedOptions{Seed: 11, Units: 12, Prospects: 9, EventsPerProspect: 2})
	if err := re.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(re.Close)
	fu := funnelfake.NewUnstarted(fuOpts)
	funnelfake.Seed(fu, funnelfake.SeedOptions{Seed: 11, Communities: 2, ProspectsPerCommunity: 8,
		RenewalsPerCommunity: 6, AppointmentsPerCommunity: 6})
	if err := fu.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(fu.Close)
	b := &bundle{re: re, fu: fu, reURL: re.BaseURL(), fuURL: fu.BaseURL()}
	coms := fu.Communities()
	b.communities = []string{coms[0].Numeric(), cmpOr(coms[1].Syndication, coms[1].Numeric())}
	seen := map[string]bool{}
	for _, c := range coms {
		for _, raw := range fu.All(c.ID, funnelfake.Prospects) {
			p, err := funnel.DecodeProspect(raw)
			if err != nil {
				t.Fatal(err)
			}
			for _, a := range p.Agents {
				seen[strings.ToLower(a)] = true
			}
		}
		for _, raw := range fu.All(c.ID, funnelfake.Appointments) {
			a, err := funnel.DecodeAppointment(raw)
			if err != nil {
				t.Fatal(err)
			}
			if a.Agent.Email.Valid {
				seen[strings.ToLower(a.Agent.Email.V)] = true
			}
		}
	}
	b.agents = slices.Sorted(maps.Keys(seen))
	if len(b.agents) < 2 {
		t.Fatalf("the seeded data has %d agents; the agent tests need two", len(b.agents))
	}
	return b
}

func cmpOr(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

// config is the tenant's YAML.
func (b *bundle) config() string {
	table := b.agentsTable
	if table == nil {
		table = map[string]string{}
		for i, a := range b.agents {
			table[a] = fmt.Sprintf("00000000-0000-4000-8000-%012d", i+1)
		}
	}
	var agents strings.Builder
	for _, a := range slices.Sorted(maps.Keys(table)) {
		fmt.Fprintf(&agents, "      %q: %q\n", a, table[a])
	}
	if agents.Len() == 0 {
		agents.WriteString("      {}\n")
	}
	coms := make([]string, len(b.communities))
	for i, c := range b.communities {
		coms[i] = strconv.Quote(c)
	}
	return fmt.Sprintf(`database: {url: "sqlite::memory:"}
listen: ""
tenants:
  - id: acme
    rentengine:
      base_url: %s
      token_env: RE_TOKEN
      rate_limit: {requests: 1000, per: 1s}
    funnel:
      base_url: %s
      api_key_env: FU_KEY
      company_id: %d
      communities: [%s]
      rate_limit: {requests: 1000, per: 1s}
    schedules: {rentengine: "", funnel: "", push: ""}
    push:
      renewal_status:
        enabled: true
%s
    agents:
%s`, b.reURL, b.fuURL, b.fu.CompanyID(), strings.Join(coms, ", "), b.templates, agents.String())
}

// tenant loads the config as syncd does.
func (b *bundle) tenant(t *testing.T) *tenants.Tenant {
	t.Helper()
	env := map[string]string{"RE_TOKEN": cmpOr(b.token, reToken), "FU_KEY": fuKey}
	cfg, err := tenants.Parse([]byte(b.config()), tenants.LoadOptions{LookupEnv: func(k string) (string, bool) {
		v, ok := env[k]
		return v, ok
	}})
	if err != nil {
		t.Fatalf("config: %v\n%s", err, b.config())
	}
	return cfg.Tenant("acme")
}

// run probes and checks that the fakes saw nothing but GETs.
func (b *bundle) run(t *testing.T, saveDir string) *probe.Report {
	t.Helper()
	rep, err := probe.Run(context.Background(), probe.Config{Tenant: b.tenant(t), SaveDir: saveDir,
		Retry: fastRetry})
	if err != nil {
		t.Fatal(err)
	}
	b.onlyGETs(t)
	return rep
}

// fastRetry keeps a retried fault from slowing the tests.
var fastRetry = upstream.RetryPolicy{Base: 5 * time.Millisecond, Cap: 20 * time.Millisecond, MaxAttempts: 3}

// onlyGETs fails the test when either fake received anything but a GET.
func (b *bundle) onlyGETs(t *testing.T) {
	t.Helper()
	n := 0
	for _, reqs := range [][]fakeapi.Request{b.re.Requests(), b.fu.Requests()} {
		for _, r := range reqs {
			n++
			if r.Method != http.MethodGet {
				t.Errorf("the probe sent %s %s", r.Method, r.Path)
			}
		}
	}
	if n == 0 {
		t.Error("the fakes received no request at all")
	}
}

func call(t *testing.T, rep *probe.Report, api, name, community string) *probe.Call {
	t.Helper()
	for _, c := range rep.Calls {
		if c.API == api && c.Call == name && c.Community == community {
			return c
		}
	}
	t.Fatalf("no call %s %s [%s] in the report", api, name, community)
	return nil
}

func write(t *testing.T, rep *probe.Report, kind string) *probe.WriteCheck {
	t.Helper()
	for _, w := range rep.Writes {
		if w.Kind == kind {
			return w
		}
	}
	t.Fatalf("no write check %s in the report", kind)
	return nil
}

func typeDiff(c *probe.Call, field string) *probe.TypeDiff {
	if c.Shape == nil {
		return nil
	}
	for i := range c.Shape.Types {
		if c.Shape.Types[i].Field == field {
			return &c.Shape.Types[i]
		}
	}
	return nil
}

// dump is the report as text, for failure messages.
func dump(rep *probe.Report) string {
	var b strings.Builder
	rep.WriteText(&b)
	return b.String()
}

// Against the fakes as they are, every call syncd makes works and every write check passes.
func TestProbeAgainstTheFakes(t *testing.T) {
	b := setup(t)
	rep := b.run(t, "")
	if !rep.OK || len(rep.Failures) > 0 {
		t.Fatalf("report not OK: %v\n%s", rep.Failures, dump(rep))
	}
	want := []string{"rentengine GET /units", "rentengine GET /prospects", "rentengine GET /leasing_events"}
	for _, com := range b.communities {
		for _, c := range []string{funnel.OpCommunity, funnel.Prospects.Op(), funnel.Renewals.Op(), funnel.Appointments.Op()} {
			want = append(want, "funnel "+c+" ["+com+"]")
		}
	}
	var got []string
	for _, c := range rep.Calls {
		got = append(got, c.Name())
		if c.Verdict != probe.OK || c.Auth != "accepted" {
			t.Errorf("%s: verdict %s, auth %s, problems %v", c.Name(), c.Verdict, c.Auth, c.Problems)
		}
		if c.Shape == nil || c.Shape.Records == 0 || c.Shape.Unreadable > 0 || c.Shape.IDsMissing > 0 {
			t.Errorf("%s: shape %+v", c.Name(), c.Shape)
		}
		if p := c.Paging; p != nil && (p.Limit != "honoured" || strings.Contains(p.End, "NOT") || p.AtSyncdSize == "") {
			t.Errorf("%s: paging %+v", c.Name(), p)
		}
	}
	if !slices.Equal(got, want) {
		t.Errorf("calls\n%q\nwant\n%q", got, want)
	}
	for _, w := range rep.Writes {
		if w.Verdict != probe.OK {
			t.Errorf("write %s: %s %v", w.Kind, w.Verdict, w.Problems)
		}
	}
	// The seeded quirks show as tolerated differences, never as failures.
	if d := typeDiff(call(t, rep, "rentengine", "GET /units", ""), "bedrooms"); d == nil || !d.Tolerated ||
		d.Got["string (numeric)"] == 0 {
		t.Errorf("units.bedrooms, sent as numeric strings: %+v", d)
	}
	// The syndication form resolves to the community's numeric id.
	detail := call(t, rep, funnel.API, funnel.OpCommunity, b.communities[1])
	if !slices.ContainsFunc(detail.Notes, func(n string) bool { return strings.HasPrefix(n, "canonical id ") }) {
		t.Errorf("community %s: notes %v", b.communities[1], detail.Notes)
	}
}

// What the probe reports when the upstream answers differently from the fakes' defaults.
func TestProbeFindsTheDifference(t *testing.T) {
	cases := []struct {
		name string
		// change alters the bundle before the probe.
		change func(b *bundle)
		ok     bool
		// check inspects the report.
		check func(t *testing.T, b *bundle, rep *probe.Report)
	}{
		{
			name:   "GET /leasing_events switched off",
			change: func(b *bundle) { b.re.Disable(rentenginefake.EndpointLeasingEvents) },
			check: func(t *testing.T, b *bundle, rep *probe.Report) {
				c := call(t, rep, "rentengine", "GET /leasing_events", "")
				if c.Verdict != probe.Fail || c.Requests[0].Status != 404 {
					t.Errorf("leasing events: %s %+v", c.Verdict, c.Requests)
				}
				failure(t, rep, "rentengine GET /leasing_events", "404 Not Found")
				if u := call(t, rep, "rentengine", "GET /units", ""); u.Verdict != probe.OK {
					t.Errorf("units: %s %v", u.Verdict, u.Problems)
				}
			},
		},
		{
			name:   "the Funnel community detail switched off",
			change: func(b *bundle) { b.fu.Disable(funnelfake.EndpointCommunity) },
			check: func(t *testing.T, b *bundle, rep *probe.Report) {
				for _, com := range b.communities {
					failure(t, rep, "funnel GET /community/{id}/ ["+com+"]", "404 Not Found")
					if c := call(t, rep, funnel.API, funnel.Prospects.Op(), com); c.Verdict != probe.OK {
						t.Errorf("prospects of %s: %s %v", com, c.Verdict, c.Problems)
					}
				}
				// With no community answering, no score could be matched.
				if w := write(t, rep, "customer_scores"); w.Verdict != probe.Fail {
					t.Errorf("customer scores: %s %v", w.Verdict, w.Problems)
				}
			},
		},
		{
			name:   "id served as a string",
			change: func(b *bundle) { b.re.SetFieldType("units", "id", fakeapi.FieldString) },
			ok:     true,
			check: func(t *testing.T, b *bundle, rep *probe.Report) {
				c := call(t, rep, "rentengine", "GET /units", "")
				d := typeDiff(c, "id")
				if d == nil || !d.Tolerated || d.Expected != "number" || d.Got["string (numeric)"] != c.Shape.Records {
					t.Fatalf("id: %+v of %d records", d, c.Shape.Records)
				}
				if s := d.String(); !strings.Contains(s, "id: expected number, got string (numeric)") || !strings.Contains(s, "tolerated") {
					t.Errorf("id reported as %q", s)
				}
			},
		},
		{
			name:   "bedrooms served as an object",
			change: func(b *bundle) { b.re.SetFieldType("units", "bedrooms", fakeapi.FieldObject) },
			check: func(t *testing.T, b *bundle, rep *probe.Report) {
				c := call(t, rep, "rentengine", "GET /units", "")
				d := typeDiff(c, "bedrooms")
				if d == nil || d.Tolerated || d.Got["object"] != c.Shape.Records || c.Shape.Unreadable != c.Shape.Records {
					t.Fatalf("bedrooms: %+v; shape %+v", d, c.Shape)
				}
				failure(t, rep, "rentengine GET /units", "bedrooms: expected number, got object")
				// Nothing else is blamed.
				for _, other := range c.Shape.Types {
					if other.Field != "bedrooms" && !other.Tolerated {
						t.Errorf("%s blamed too", other)
					}
				}
			},
		},
		{
			name: "a nested field the mapper cannot read",
			change: func(b *bundle) {
				b.fu.SetFieldType(string(funnelfake.Prospects), "people.first_name", fakeapi.FieldArray)
			},
			check: func(t *testing.T, b *bundle, rep *probe.Report) {
				c := call(t, rep, funnel.API, funnel.Prospects.Op(), b.communities[0])
				if d := typeDiff(c, "people[].first_name"); d == nil || d.Tolerated || d.Expected != "string" {
					t.Errorf("people[].first_name: %+v", d)
				}
			},
		},
		{
			name: "a mapped field absent, an unknown one present",
			change: func(b *bundle) {
				b.re.SetFieldType("prospects", "source", fakeapi.FieldAbsent)
			},
			ok: true,
			check: func(t *testing.T, b *bundle, rep *probe.Report) {
				c := call(t, rep, "rentengine", "GET /units", "")
				if c.Shape.Unknown["furnished"] == 0 {
					t.Errorf("units: unknown %v", c.Shape.Unknown)
				}
				p := call(t, rep, "rentengine", "GET /prospects", "")
				if !slices.Contains(p.Shape.Absent, "source") || p.Verdict != probe.OK {
					t.Errorf("prospects: absent %v, verdict %s", p.Shape.Absent, p.Verdict)
				}
			},
		},
		{
			name:   "ids repeated on a page",
			change: func(b *bundle) { b.re.MutateField("prospects", "id", func(any) any { return 7 }) },
			check: func(t *testing.T, b *bundle, rep *probe.Report) {
				failure(t, rep, "rentengine GET /prospects", "id repeated on one page: 7")
			},
		},
		{
			name:   "ids missing",
			change: func(b *bundle) { b.fu.SetFieldType(string(funnelfake.Renewals), "id", fakeapi.FieldNull) },
			check: func(t *testing.T, b *bundle, rep *probe.Report) {
				failure(t, rep, "funnel GET /community/{id}/renewals/ ["+b.communities[0]+"]", "6 of 6 records have no id")
			},
		},
		{
			name: "prospects that name another community",
			change: func(b *bundle) {
				b.fu.MutateField(string(funnelfake.Prospects), "funnel_community_id", func(any) any { return 424242 })
			},
			ok: true,
			check: func(t *testing.T, b *bundle, rep *probe.Report) {
				w := write(t, rep, "customer_scores")
				if w.Verdict != probe.Warn || len(w.Problems) != 2 || !strings.Contains(w.Problems[0], "another funnel_community_id") {
					t.Errorf("customer scores: %s %v", w.Verdict, w.Problems)
				}
			},
		},
		{
			name:   "an agent missing from agents:",
			change: func(b *bundle) { b.dropAgent(b.agents[0]) },
			ok:     true,
			check: func(t *testing.T, b *bundle, rep *probe.Report) {
				w := write(t, rep, "assignments")
				if w.Verdict != probe.Warn || !slices.Equal(w.MissingAgents, b.agents[:1]) {
					t.Errorf("assignments: %s, missing %v, want %v", w.Verdict, w.MissingAgents, b.agents[:1])
				}
				if !strings.Contains(dump(rep), b.agents[0]) {
					t.Error("the text report does not name the missing agent")
				}
			},
		},
		{
			name:   "no agent in agents:",
			change: func(b *bundle) { b.agentsTable = map[string]string{} },
			check: func(t *testing.T, b *bundle, rep *probe.Report) {
				w := write(t, rep, "assignments")
				if w.Verdict != probe.Fail || !slices.Equal(w.MissingAgents, b.agents) {
					t.Errorf("assignments: %s, missing %v", w.Verdict, w.MissingAgents)
				}
				failure(t, rep, "rentengine POST /leasing_events (assignments)", "none of the")
			},
		},
		{
			name: "a renewal card template that does not render",
			change: func(b *bundle) {
				b.templates = "        templates:\n          offered: {header: \"{{.NoSuchField}}\"}"
			},
			check: func(t *testing.T, b *bundle, rep *probe.Report) {
				failure(t, rep, "(renewal_status)", `the "offered" card does not render`)
			},
		},
		{
			name:   "a rejected token",
			change: func(b *bundle) { b.token = "another-token" },
			check: func(t *testing.T, b *bundle, rep *probe.Report) {
				for _, res := range []string{"units", "prospects", "leasing_events"} {
					c := call(t, rep, "rentengine", "GET /"+res, "")
					if c.Auth != "rejected" || c.Verdict != probe.Fail {
						t.Errorf("%s: auth %s verdict %s", res, c.Auth, c.Verdict)
					}
				}
				if text := dump(rep); strings.Contains(text, reToken) {
					t.Error("the report shows the token")
				}
			},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			b := setup(t)
			tc.change(b)
			rep := b.run(t, "")
			if rep.OK != tc.ok {
				t.Errorf("OK = %v, want %v; failures %v", rep.OK, tc.ok, rep.Failures)
			}
			tc.check(t, b, rep)
			if t.Failed() {
				t.Log(dump(rep))
			}
		})
	}
}

// failure checks that the report's failures name the call with the reason.
func failure(t *testing.T, rep *probe.Report, name, reason string) {
	t.Helper()
	for _, f := range rep.Failures {
		if strings.HasPrefix(f, name) && strings.Contains(f, reason) || strings.Contains(f, name) && strings.Contains(f, reason) {
			return
		}
	}
	t.Errorf("no failure naming %q with %q in %q", name, reason, rep.Failures)
}

func (b *bundle) dropAgent(agent string) {
	b.agentsTable = map[string]string{}
	for i, a := range b.agents {
		if a != agent {
			b.agentsTable[a] = fmt.Sprintf("00000000-0000-4000-8000-%012d", i+1)
		}
	}
}

// Paging as the upstream may really do it: the probe tells a capped or ignored page size from an
// honoured one, and fails when syncd's pull, which stops at a short page, would miss records.
// Each case puts a proxy in front of the RentEngine fake that rewrites the paging parameters.
func TestProbePaging(t *testing.T) {
	ignoreLimit := func(_ *bundle, q map[string][]string) { delete(q, "limit") }
	ignorePage := func(_ *bundle, q map[string][]string) { delete(q, "page_number") }
	insertAhead := func(b *bundle, q map[string][]string) {
		if first(q["page_number"]) == "1" && first(q["limit"]) == "5" {
			b.re.Insert(rentenginefake.Units, map[string]any{"id": 0, "bedrooms": "1"})
		}
	}
	cases := []struct {
		name string
		// units seeds that many units.
		units int
		// rewrite changes the query the fake sees, or the fake's data as it is paged.
		rewrite func(b *bundle, q map[string][]string)
		verdict probe.Verdict
		limit   string
		end     string
		atSyncd string
		// problem is in the call's problems ("" when it has none).
		problem string
	}{
		{"honoured", 12, nil, probe.OK, "honoured", "a short page ends the list",
			"the whole list (12 records) on one short page", ""},
		{"honoured, a long list", 240, nil, probe.OK, "honoured", "not reached in 4 pages", "honoured", ""},
		{"capped below the small size", 12, capAt(3), probe.Fail, "capped at 3", "a short page does NOT end the list", "",
			"page 0 held 3 records, fewer than the 5 asked, yet page 1 held 3 more"},
		{"capped below syncd's size", 240, capAt(50), probe.Fail, "honoured", "not reached", "capped at 50",
			"limit=100 answered 50 records and the next page 50 more"},
		{"ignored, the list fits one page", 12, ignoreLimit, probe.Warn, "ignored (asked 5, got 12)", "an empty page ends the list",
			"the whole list (12 records) on one short page", "limit=5 is ignored: page 0 held 12 records"},
		{"page parameter ignored", 240, ignorePage, probe.Fail, "honoured", "page 1 repeats page 0", "the page parameter is ignored",
			"page 1 at limit=100 repeats page 0"},
		{"a record inserted ahead while paging", 12, insertAhead, probe.Warn, "honoured", "a short page ends the list",
			"the whole list (13 records) on one short page", "1 record(s) came on two pages (id "},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			b := setup(t)
			rentenginefake.Seed(b.re, rentenginefake.SeedOptions{Seed: 12, Units: tc.units - 12})
			if tc.rewrite != nil {
				h := b.re.Handler()
				proxy := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
					q := r.URL.Query()
					if strings.HasSuffix(r.URL.Path, "/units") {
						tc.rewrite(b, q)
					}
					r.URL.RawQuery = q.Encode()
					h.ServeHTTP(w, r)
				}))
				t.Cleanup(proxy.Close)
				b.reURL = proxy.URL + rentenginefake.BasePath
			}
			rep := b.run(t, "")
			c := call(t, rep, "rentengine", "GET /units", "")
			p := c.Paging
			if c.Verdict != tc.verdict || p.Limit != tc.limit || !strings.HasPrefix(p.End, tc.end) || p.AtSyncdSize != tc.atSyncd {
				t.Errorf("verdict %s, paging %+v, problems %v", c.Verdict, p, c.Problems)
			}
			if all := strings.Join(c.Problems, "\n"); tc.problem == "" && all != "" || !strings.Contains(all, tc.problem) {
				t.Errorf("problems %q, want one with %q", c.Problems, tc.problem)
			}
		})
	}
}

func capAt(n int) func(*bundle, map[string][]string) {
	return func(_ *bundle, q map[string][]string) {
		if v, err := strconv.Atoi(first(q["limit"])); err == nil && v > n {
			q["limit"] = []string{strconv.Itoa(n)}
		}
	}
}

func first(s []string) string {
	if len(s) == 0 {
		return ""
	}
	return s[0]
}

// Rate-limit headers are reported, whatever their spelling.
func TestProbeRateLimitHeaders(t *testing.T) {
	b := setup(t, func(re *rentenginefake.Options, _ *funnelfake.Options) {
		re.RateLimit = &fakeapi.RateLimit{Requests: 1000, Per: time.Second}
	})
	rep := b.run(t, "")
	for _, c := range rep.Calls {
		got := c.RateLimitHeaders["X-Ratelimit-Limit"]
		if want := map[string]string{"rentengine": "1000", "funnel": ""}[c.API]; got != want {
			t.Errorf("%s: X-Ratelimit-Limit %q, want %q (headers %v)", c.Name(), got, want, c.RateLimitHeaders)
		}
	}
}

// The JSON report round-trips and names its verdicts as documented.
func TestReportJSON(t *testing.T) {
	b := setup(t)
	b.re.Disable(rentenginefake.EndpointProspects)
	rep := b.run(t, "")
	raw, err := json.Marshal(rep)
	if err != nil {
		t.Fatal(err)
	}
	var back struct {
		OK       bool     `json:"ok"`
		Failures []string `json:"failures"`
		Calls    []struct {
			Call    string `json:"call"`
			Verdict string `json:"verdict"`
		} `json:"calls"`
	}
	if err := json.Unmarshal(raw, &back); err != nil {
		t.Fatal(err)
	}
	verdicts := map[string]string{}
	for _, c := range back.Calls {
		verdicts[c.Call] = c.Verdict
	}
	if back.OK || verdicts["GET /prospects"] != "fail" || verdicts["GET /units"] != "ok" || len(back.Failures) != 1 {
		t.Errorf("ok %v, verdicts %v, failures %v", back.OK, verdicts, back.Failures)
	}
}
