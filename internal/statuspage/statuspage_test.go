package statuspage_test

import (
	"context"
	"encoding/base64"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"go.uber.org/zap/zaptest"
	"golang.org/x/net/html"

	"github.com/syncd-dev/syncd/internal/models"
	"github.com/syncd-dev/syncd/internal/statuspage"
	"github.com/syncd-dev/syncd/internal/tenants"
	"github.com/syncd-dev/syncd/internal/testing/dbtest"
)

// Secret values of the fixture: none may appear anywhere in a page.
var secrets = map[string]string{
	"RE_TOKEN":       "re-token-7f3a9c",
	"FU_KEY":         "fu-key-5b8e21",
	"WEBHOOK_KEY":    "wh-key-c4d0aa",
	"PAGE_TOKEN":     "page-token-99e1b7",
	"PAGE_PASSWORD":  "page-pass-31f0d2",
	"BETA_RE_TOKEN":  "beta-token-0a6f44",
	"GAMMA_RE_TOKEN": "gamma-token-8d2c13",
}

const fixtureConfig = `database:
  url: "sqlite::memory:"
listen: ":0"
%s
tenants:
  - id: acme
    name: Acme Rentals
    rentengine:
      base_url: https://re.example.test
      token_env: RE_TOKEN
      webhook: {api_key_env: WEBHOOK_KEY}
    funnel:
      base_url: https://fu.example.test
      api_key_env: FU_KEY
      company_id: 42
      communities: ["1234"]
    push: {}
    schedules: {rentengine: "@every 15m", funnel: "@every 30m", push: ""}
  - id: beta
    rentengine: {base_url: https://re.example.test, token_env: BETA_RE_TOKEN}
    schedules: {rentengine: "0 * * * *"}
  - id: gamma
    rentengine: {base_url: https://re.example.test, token_env: GAMMA_RE_TOKEN}
`

func loadConfig(t testing.TB, statusPage string) *tenants.Config {
	t.Helper()
	cfg, err := tenants.Parse([]byte(fmt.Sprintf(fixtureConfig, statusPage)), tenants.LoadOptions{
		LookupEnv: func(k string) (string, bool) { v, ok := secrets[k]; return v, ok },
	})
	if err != nil {
		t.Fatal(err)
	}
	return cfg
}

func ptr[T any](v T) *T { return &v }

// record writes a run as the runner would: start, then (unless status is running) finish.
func record(t testing.TB, s *models.Store, r models.SyncRun) {
	t.Helper()
	ctx := context.Background()
	status := r.Status
	if err := s.StartRun(ctx, &r, nil); err != nil {
		t.Fatal(err)
	}
	if status == models.RunRunning {
		return
	}
	r.Status = status
	if err := s.FinishRun(ctx, &r); err != nil {
		t.Fatal(err)
	}
}

// seed writes the fixture: acme's rentengine succeeded and its funnel failed (with an error that
// quotes the Funnel key, which the page must scrub), beta's rentengine was held, gamma's
// rentengine is running; push ledger rows, a quarantined record and identity links for acme.
func seed(t *testing.T, s *models.Store, now time.Time) {
	t.Helper()
	ctx := context.Background()
	record(t, s, models.SyncRun{RunID: "a2", TenantID: "acme", Job: "funnel", StartedAt: now.Add(-20 * time.Minute),
		FinishedAt: ptr(now.Add(-20*time.Minute + 3*time.Second)), Status: models.RunFailed, Fetched: 40,
		Error: ptr("pull prospects: funnel GET /prospects: 401 Unauthorized (key " + secrets["FU_KEY"] + " rejected)")})
	record(t, s, models.SyncRun{RunID: "a1", TenantID: "acme", Job: "rentengine", StartedAt: now.Add(-10 * time.Minute),
		FinishedAt: ptr(now.Add(-10*time.Minute + 12*time.Second)), Status: models.RunSucceeded,
		Fetched: 120, Inserted: 5, Updated: 3, Unchanged: 110, Deleted: 2, Host: "node-1/7"})
	record(t, s, models.SyncRun{RunID: "b1", TenantID: "beta", Job: "rentengine", StartedAt: now.Add(-time.Hour),
		FinishedAt: ptr(now.Add(-time.Hour + 20*time.Second)), Status: models.RunHeld, Fetched: 300, Updated: 7,
		Details: models.JSON(`{"held_deletes":{"units":130},"unavailable":{"leasing_events":"GET /leasing_events: 404 Not Found"}}`),
		Error:   ptr("mass-delete guard: units would tombstone 130 of 400 rows")})
	record(t, s, models.SyncRun{RunID: "g1", TenantID: "gamma", Job: "rentengine", StartedAt: now.Add(-30 * time.Second),
		Status: models.RunRunning, Host: "node-2/9"})

	db := dbtest.DB(s)
	for _, row := range []models.PushLedger{
		{TenantID: "acme", Kind: models.PushCustomerScore, TargetKey: "funnel-client:1", DesiredHash: "h1", State: models.PushPushed, Attempts: 1},
		{TenantID: "acme", Kind: models.PushCustomerScore, TargetKey: "funnel-client:2", DesiredHash: "h2", State: models.PushPushed, Attempts: 1},
		{TenantID: "acme", Kind: models.PushCustomerScore, TargetKey: "funnel-client:3", DesiredHash: "h3", State: models.PushFailed, Attempts: 3,
			LastStatus: ptr(422), LastError: ptr("funnel PUT /clients/3/score: 422 score_value out of range"), IntentAt: ptr(now.Add(-5 * time.Minute))},
		{TenantID: "acme", Kind: models.PushAssignment, TargetKey: "funnel-client:4", DesiredHash: "h4", State: models.PushUnmatched, Attempts: 1,
			LastStatus: ptr(404), LastError: ptr("funnel client 4 not found"), IntentAt: ptr(now.Add(-6 * time.Minute))},
	} {
		row.Desired = models.JSON(`{}`)
		if err := db.Create(&row).Error; err != nil {
			t.Fatal(err)
		}
	}
	if err := s.Quarantine(ctx, models.Quarantined{Tenant: "beta", Table: "rentengine_units", RecordID: "77",
		Reason: "bad JSON", Raw: []byte("{"), Source: models.SourcePull, RunID: "b1", At: now}); err != nil {
		t.Fatal(err)
	}
	// acme's prospects: 1 and 2 linked, 3 ambiguous (two clients), 4 unlinked, 5 tombstoned.
	for id := int64(1); id <= 5; id++ {
		p := models.RentEngineProspect{System: models.System{TenantID: "acme", Raw: models.JSON(`{}`), ContentHash: "x",
			FirstSeenAt: now, SyncedAt: now}, ID: id}
		if id == 5 {
			p.DeletedAt = ptr(now)
		}
		if err := db.Create(&p).Error; err != nil {
			t.Fatal(err)
		}
	}
	for _, l := range []models.IdentityLink{
		{TenantID: "acme", RentEngineProspectID: 1, FunnelClientID: 11, MatchedOn: models.MatchedEmail, Status: models.LinkLinked, ComputedAt: now},
		{TenantID: "acme", RentEngineProspectID: 2, FunnelClientID: 12, MatchedOn: models.MatchedBoth, Status: models.LinkLinked, ComputedAt: now},
		{TenantID: "acme", RentEngineProspectID: 3, FunnelClientID: 13, MatchedOn: models.MatchedPhone, Status: models.LinkAmbiguous, ComputedAt: now},
		{TenantID: "acme", RentEngineProspectID: 3, FunnelClientID: 14, MatchedOn: models.MatchedPhone, Status: models.LinkAmbiguous, ComputedAt: now},
		{TenantID: "acme", RentEngineProspectID: 5, FunnelClientID: 15, MatchedOn: models.MatchedEmail, Status: models.LinkLinked, ComputedAt: now},
	} {
		if err := db.Create(&l).Error; err != nil {
			t.Fatal(err)
		}
	}
}

// page is a parsed page.
type page struct {
	code int
	body string
	doc  *html.Node
}

func fetch(t *testing.T, srv *httptest.Server, path string, header http.Header) page {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, srv.URL+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range header {
		req.Header[k] = v
	}
	resp, err := srv.Client().Do(req)
	if err != nil {
		t.Fatalf("GET %s: %v", path, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	p := page{code: resp.StatusCode, body: string(b)}
	if strings.HasPrefix(resp.Header.Get("Content-Type"), "text/html") {
		if p.doc, err = html.Parse(strings.NewReader(p.body)); err != nil {
			t.Fatalf("parse %s: %v", path, err)
		}
	}
	return p
}

func attr(n *html.Node, key string) string {
	for _, a := range n.Attr {
		if a.Key == key {
			return a.Val
		}
	}
	return ""
}

// text is n's text content with whitespace collapsed.
func text(n *html.Node) string {
	var b strings.Builder
	var walk func(*html.Node)
	walk = func(n *html.Node) {
		if n.Type == html.TextNode {
			b.WriteString(n.Data)
			b.WriteByte(' ')
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c)
		}
	}
	walk(n)
	return strings.Join(strings.Fields(b.String()), " ")
}

func find(n *html.Node, match func(*html.Node) bool) []*html.Node {
	var out []*html.Node
	var walk func(*html.Node)
	walk = func(n *html.Node) {
		if match(n) {
			out = append(out, n)
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c)
		}
	}
	walk(n)
	return out
}

func elem(tag string) func(*html.Node) bool {
	return func(n *html.Node) bool { return n.Type == html.ElementNode && n.Data == tag }
}

// table returns the rows of the table whose caption starts with caption, each row a map from
// a cell's data-label (its column header) to the cell's text.
func table(t *testing.T, p page, caption string) []map[string]string {
	t.Helper()
	for _, tbl := range find(p.doc, elem("table")) {
		caps := find(tbl, elem("caption"))
		if len(caps) == 0 || !strings.HasPrefix(text(caps[0]), caption) {
			continue
		}
		// Every data-label names a column header of the table.
		headers := map[string]bool{}
		for _, th := range find(tbl, func(n *html.Node) bool {
			return n.Type == html.ElementNode && n.Data == "th" && attr(n, "scope") == "col"
		}) {
			headers[text(th)] = true
		}
		var rows []map[string]string
		for _, tr := range find(tbl, elem("tr")) {
			row := map[string]string{}
			for c := tr.FirstChild; c != nil; c = c.NextSibling {
				if l := attr(c, "data-label"); c.Type == html.ElementNode && l != "" {
					if !headers[l] && !headers[strings.ToUpper(l)] {
						t.Errorf("table %q: cell label %q is no column header (%v)", caption, l, headers)
					}
					row[l] = text(c)
				}
			}
			if len(row) > 0 {
				rows = append(rows, row)
			}
		}
		return rows
	}
	t.Fatalf("no table with caption %q", caption)
	return nil
}

// rowWhere returns the row whose cells have the given values.
func rowWhere(t *testing.T, rows []map[string]string, kv ...string) map[string]string {
	t.Helper()
next:
	for _, r := range rows {
		for i := 0; i+1 < len(kv); i += 2 {
			if r[kv[i]] != kv[i+1] {
				continue next
			}
		}
		return r
	}
	t.Fatalf("no row with %v in %v", kv, rows)
	return nil
}

func newServer(t *testing.T, s *models.Store, cfg *tenants.Config, now time.Time) *httptest.Server {
	t.Helper()
	mux := http.NewServeMux()
	statuspage.New(statuspage.Config{Store: s, Config: func() *tenants.Config { return cfg }, Now: func() time.Time { return now }},
		zaptest.NewLogger(t)).Register(mux)
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) { fmt.Fprintln(w, "ok") })
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return srv
}

// checkCommon asserts what every page has: no secret, the refresh, the skip link, no script and
// nothing loaded from elsewhere.
func checkCommon(t *testing.T, p page) {
	t.Helper()
	for name, v := range secrets {
		if strings.Contains(p.body, v) {
			t.Errorf("the page shows the value of %s", name)
		}
	}
	metas := find(p.doc, func(n *html.Node) bool {
		return n.Type == html.ElementNode && n.Data == "meta" && attr(n, "http-equiv") == "refresh"
	})
	if len(metas) != 1 || attr(metas[0], "content") != "30" {
		t.Errorf("no <meta http-equiv=refresh content=30>")
	}
	skip := find(p.doc, func(n *html.Node) bool {
		return n.Type == html.ElementNode && n.Data == "a" && attr(n, "href") == "#main"
	})
	if len(skip) == 0 || len(find(p.doc, func(n *html.Node) bool { return attr(n, "id") == "main" })) != 1 {
		t.Errorf("no skip link to #main")
	}
	if n := find(p.doc, elem("script")); len(n) > 0 {
		t.Errorf("the page has %d <script> elements", len(n))
	}
	for _, n := range find(p.doc, func(n *html.Node) bool { return n.Type == html.ElementNode }) {
		for _, key := range []string{"src", "href"} {
			if v := attr(n, key); strings.Contains(v, "//") {
				t.Errorf("<%s %s=%q> points elsewhere", n.Data, key, v)
			}
		}
	}
}

func TestPages(t *testing.T) {
	for _, dl := range []struct {
		name string
		dsn  func(testing.TB) string
	}{{models.Postgres, dbtest.PostgresDSN}, {models.SQLite, dbtest.SQLiteDSN}} {
		t.Run(dl.name, func(t *testing.T) {
			t.Parallel()
			store := dbtest.Open(t, dl.dsn(t))
			now := time.Now().UTC().Truncate(time.Second)
			seed(t, store, now)
			srv := newServer(t, store, loadConfig(t, ""), now)

			t.Run("overview", func(t *testing.T) {
				p := fetch(t, srv, "/", nil)
				if p.code != http.StatusOK {
					t.Fatalf("status %d: %s", p.code, p.body)
				}
				checkCommon(t, p)
				jobs := table(t, p, "Tenants × jobs")
				if len(jobs) != 5 { // acme rentengine, funnel, push; beta and gamma rentengine
					t.Errorf("%d job rows, want 5: %v", len(jobs), jobs)
				}
				cases := []struct {
					tenant, job string
					want        map[string]string
					contains    map[string]string
				}{
					{"acme", "rentengine", map[string]string{"Schedule": "@every 15m", "Outcome": "succeeded", "Took": "12s",
						"Fetched": "120", "Changed": "8", "Tombstoned": "2", "Last run": "10m0s ago", "Last error": "-"}, nil},
					{"acme", "funnel", map[string]string{"Outcome": "failed", "Fetched": "40", "Last success": "never"},
						map[string]string{"Last error": "401 Unauthorized (key [redacted] rejected)"}},
					{"acme", "push", map[string]string{"Schedule": "manual", "Outcome": "never ran", "Last run": "never", "Next run": "-"}, nil},
					{"beta", "rentengine", map[string]string{"Schedule": "0 * * * *", "Fetched": "300", "Changed": "7", "Tombstoned": "0"},
						map[string]string{"Outcome": "held held: units 130 would be tombstoned", "Last error": "mass-delete guard"}},
					{"beta", "rentengine", nil, map[string]string{"Outcome": "quarantined: 1 in rentengine_units"}},
					{"beta", "rentengine", nil, map[string]string{"Outcome": "unavailable: leasing_events (GET /leasing_events: 404 Not Found)"}},
					{"gamma", "rentengine", map[string]string{"Outcome": "running", "Took": "30s", "Last run": "30s ago", "Last success": "never"}, nil},
				}
				for _, tc := range cases {
					row := rowWhere(t, jobs, "Tenant", tc.tenant, "Job", tc.job)
					for k, v := range tc.want {
						if row[k] != v {
							t.Errorf("%s %s: %s = %q, want %q", tc.tenant, tc.job, k, row[k], v)
						}
					}
					for k, v := range tc.contains {
						if !strings.Contains(row[k], v) {
							t.Errorf("%s %s: %s = %q, want it to contain %q", tc.tenant, tc.job, k, row[k], v)
						}
					}
				}
				// Next run of an hourly schedule is within the hour.
				if nr := rowWhere(t, jobs, "Tenant", "beta")["Next run"]; !strings.HasPrefix(nr, "in ") {
					t.Errorf("beta next run %q", nr)
				}
				ledger := table(t, p, "Push targets by tenant")
				score := rowWhere(t, ledger, "Tenant", "acme", "Kind", "customer_score")
				if score["pushed"] != "2" || score["failed"] != "1" || score["unmatched"] != "0" || score["planned"] != "0" {
					t.Errorf("acme customer_score ledger %v", score)
				}
				if a := rowWhere(t, ledger, "Tenant", "acme", "Kind", "assignment"); a["unmatched"] != "1" {
					t.Errorf("acme assignment ledger %v", a)
				}
				creds := table(t, p, "Upstream credentials")
				if len(creds) != 4 { // rentengine: acme, beta, gamma (own tokens); funnel: acme
					t.Errorf("%d credentials, want 4: %v", len(creds), creds)
				}
				fu := rowWhere(t, creds, "API", "funnel")
				if fu["Credential"] != "acme" || fu["Secret"] != "set (env FU_KEY)" || fu["Configured rate"] != "5 per 1s (burst 1)" ||
					fu["Effective rate"] != "idle (no process using it)" {
					t.Errorf("funnel credential %v", fu)
				}
			})

			t.Run("tenant", func(t *testing.T) {
				p := fetch(t, srv, "/tenants/acme", nil)
				if p.code != http.StatusOK {
					t.Fatalf("status %d: %s", p.code, p.body)
				}
				checkCommon(t, p)
				if h1 := text(find(p.doc, elem("h1"))[0]); h1 != "Tenant acme · Acme Rentals" {
					t.Errorf("h1 %q", h1)
				}
				runs := table(t, p, "The tenant's latest")
				if len(runs) != 2 || runs[0]["Job"] != "rentengine" || runs[0]["Outcome"] != "succeeded" || runs[0]["Inserted"] != "5" ||
					runs[0]["Host"] != "node-1/7" || runs[1]["Outcome"] != "failed" || !strings.Contains(runs[1]["Error"], "[redacted]") {
					t.Errorf("runs %v", runs)
				}
				fails := table(t, p, "Targets whose last push failed")
				if len(fails) != 2 {
					t.Fatalf("push failures %v", fails)
				}
				f := rowWhere(t, fails, "Target", "funnel-client:3")
				if f["State"] != "failed" || f["HTTP"] != "422" || f["Attempts"] != "3" || f["Reason"] != "funnel PUT /clients/3/score: 422 score_value out of range" ||
					f["Last attempt"] != "5m0s ago" {
					t.Errorf("push failure %v", f)
				}
				if u := rowWhere(t, fails, "Target", "funnel-client:4"); u["State"] != "unmatched" || u["Reason"] != "funnel client 4 not found" {
					t.Errorf("push failure %v", u)
				}
				counts := map[string]string{}
				for _, div := range find(p.doc, func(n *html.Node) bool {
					return n.Type == html.ElementNode && n.Data == "div" && n.Parent != nil && attr(n.Parent, "class") == "counts"
				}) {
					counts[text(find(div, elem("dt"))[0])] = text(find(div, elem("dd"))[0])
				}
				if counts["linked"] != "2" || counts["ambiguous"] != "1" || counts["unlinked"] != "1" {
					t.Errorf("identity links %v, want linked 2, ambiguous 1, unlinked 1", counts)
				}
				cfg := table(t, p, "Settings of acme")
				want := map[string]string{
					"rentengine.token":           "set (env RE_TOKEN)",
					"rentengine.webhook.api_key": "set (env WEBHOOK_KEY)",
					"funnel.api_key":             "set (env FU_KEY)",
					"funnel.communities":         "1234",
					"schedules.rentengine":       "@every 15m",
					"rentengine.rate_limit":      "20 per 5s (burst 1)",
					"rentengine.base_url":        "https://re.example.test",
				}
				for k, v := range want {
					if r := rowWhere(t, cfg, "Key", k); r["Value"] != v {
						t.Errorf("config %s = %q, want %q", k, r["Value"], v)
					}
				}
			})

			t.Run("tenant with a held job", func(t *testing.T) {
				p := fetch(t, srv, "/tenants/beta", nil)
				checkCommon(t, p)
				runs := table(t, p, "The tenant's latest")
				if len(runs) != 1 || !strings.HasPrefix(runs[0]["Outcome"], "held held: units 130 would be tombstoned") {
					t.Errorf("beta runs %v", runs)
				}
				if rows := table(t, p, "Targets whose last push failed"); len(rows) != 0 || !strings.Contains(p.body, "No push failures.") {
					t.Errorf("beta push failures %v, want none", rows)
				}
			})

			t.Run("unknown tenant", func(t *testing.T) {
				p := fetch(t, srv, "/tenants/nobody", nil)
				if p.code != http.StatusNotFound || !strings.Contains(text(find(p.doc, elem("h1"))[0]), `No tenant “nobody”`) {
					t.Errorf("status %d, body %s", p.code, p.body)
				}
				checkCommon(t, p)
			})
		})
	}
}

func TestAuth(t *testing.T) {
	store := dbtest.Open(t, dbtest.SQLiteDSN(t))
	now := time.Now().UTC()
	basic := func(u, p string) http.Header {
		return http.Header{"Authorization": {"Basic " + base64.StdEncoding.EncodeToString([]byte(u+":"+p))}}
	}
	bearer := func(tok string) http.Header { return http.Header{"Authorization": {"Bearer " + tok}} }
	cases := []struct {
		name       string
		statusPage string
		header     http.Header
		wantCode   int
		wantChall  string // WWW-Authenticate prefix on 401
	}{
		{"off by default", "", nil, http.StatusOK, ""},
		{"bearer: none given", "status_page: {auth: {bearer_token_env: PAGE_TOKEN}}", nil, http.StatusUnauthorized, "Bearer"},
		{"bearer: wrong", "status_page: {auth: {bearer_token_env: PAGE_TOKEN}}", bearer("nope"), http.StatusUnauthorized, "Bearer"},
		{"bearer: basic given", "status_page: {auth: {bearer_token_env: PAGE_TOKEN}}", basic("ops", secrets["PAGE_TOKEN"]), http.StatusUnauthorized, "Bearer"},
		{"bearer: right", "status_page: {auth: {bearer_token_env: PAGE_TOKEN}}", bearer(secrets["PAGE_TOKEN"]), http.StatusOK, ""},
		{"basic: none given", "status_page: {auth: {basic: {user: ops, password_env: PAGE_PASSWORD}}}", nil, http.StatusUnauthorized, "Basic"},
		{"basic: wrong user", "status_page: {auth: {basic: {user: ops, password_env: PAGE_PASSWORD}}}", basic("root", secrets["PAGE_PASSWORD"]), http.StatusUnauthorized, "Basic"},
		{"basic: wrong password", "status_page: {auth: {basic: {user: ops, password_env: PAGE_PASSWORD}}}", basic("ops", "x"), http.StatusUnauthorized, "Basic"},
		{"basic: right", "status_page: {auth: {basic: {user: ops, password_env: PAGE_PASSWORD}}}", basic("ops", secrets["PAGE_PASSWORD"]), http.StatusOK, ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			srv := newServer(t, store, loadConfig(t, tc.statusPage), now)
			for _, path := range []string{"/", "/tenants/acme"} {
				req, _ := http.NewRequest(http.MethodGet, srv.URL+path, nil)
				for k, v := range tc.header {
					req.Header[k] = v
				}
				resp, err := srv.Client().Do(req)
				if err != nil {
					t.Fatal(err)
				}
				body, _ := io.ReadAll(resp.Body)
				resp.Body.Close()
				if resp.StatusCode != tc.wantCode {
					t.Errorf("GET %s: %d, want %d", path, resp.StatusCode, tc.wantCode)
				}
				if ch := resp.Header.Get("WWW-Authenticate"); tc.wantChall != "" && !strings.HasPrefix(ch, tc.wantChall+` realm="syncd status"`) {
					t.Errorf("GET %s: WWW-Authenticate %q, want %s", path, ch, tc.wantChall)
				}
				for name, v := range secrets {
					if strings.Contains(string(body), v) {
						t.Errorf("GET %s shows %s", path, name)
					}
				}
			}
			// Probes are never behind the page's auth.
			if p := fetch(t, srv, "/healthz", nil); p.code != http.StatusOK {
				t.Errorf("/healthz: %d", p.code)
			}
		})
	}
}
