// Command demo shows syncd end to end with nothing to set up: it starts the fake upstreams seeded
// with realistic data, writes a config for one tenant, runs `syncd sync` against them into an
// embedded SQLite file, changes some records upstream, syncs again, and prints what landed.
//
//	go run ./cmd/demo                     # sync and print rows per table
//	go run ./cmd/demo -sql "SELECT …"     # then query the demo mirror
//	go run ./cmd/demo -serve 127.0.0.1:8080
//	                                      # then run the daemon with the status page until ^C
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/syncd-dev/syncd/internal/cli"
	"github.com/syncd-dev/syncd/internal/models"
	"github.com/syncd-dev/syncd/internal/testing/funnelfake"
	"github.com/syncd-dev/syncd/internal/testing/funnelfluxfake"
	"github.com/syncd-dev/syncd/internal/testing/rentenginefake"
	"go.uber.org/zap"
)

func main() { os.Exit(run()) }

func run() int {
	dbPath := flag.String("db", "syncd-demo.db", "SQLite file for the demo mirror (replaced on each run)")
	query := flag.String("sql", "", "only run this SQL query against an existing demo mirror and print the result")
	verbose := flag.Bool("v", false, "show syncd's logs")
	serve := flag.String("serve", "", "after the demo, add a tenant with a revoked token, let the mass-delete guard hold a pass, "+
		"and run the daemon with its status page on this address (host:port) until interrupted")
	flag.Parse()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()

	if *query != "" {
		return runQuery(ctx, *dbPath, *query)
	}
	for _, suffix := range []string{"", "-wal", "-shm", ".lock"} {
		_ = os.Remove(*dbPath + suffix)
	}

	const token, apiKey = "demo-rentengine-token", "demo-funnel-key"
	re := rentenginefake.New(rentenginefake.Options{Token: token})
	defer re.Close()
	rentenginefake.Seed(re, rentenginefake.SeedOptions{Seed: 42, Units: 250, Prospects: 600, EventsPerProspect: 3})
	fmt.Printf("fake RentEngine at %s: %d units, %d prospects, %d leasing events\n", re.BaseURL(),
		re.Count(rentenginefake.Units), re.Count(rentenginefake.Prospects), re.Count(rentenginefake.LeasingEvents))

	// Funnel holds some of the same people (every 4th RentEngine person), so identity links,
	// customer scores and assignments have something to work on.
	fu := funnelfake.New(funnelfake.Options{APIKey: apiKey})
	defer fu.Close()
	funnelfake.Seed(fu, funnelfake.SeedOptions{Seed: 42, Communities: 2, ProspectsPerCommunity: 80,
		RenewalsPerCommunity: 25, AppointmentsPerCommunity: 30,
		Contacts: funnelfake.ContactsFrom(re.All(rentenginefake.Prospects), 4, 120)})
	var communities []string
	for i, c := range fu.Communities() {
		// Each community in a different documented id form, as tenants write them.
		if form := c.PartnerForm(); i%2 == 1 && form != "" {
			communities = append(communities, strconv.Quote(form))
		} else {
			communities = append(communities, strconv.Quote(c.Numeric()))
		}
	}
	agents := demoAgents(fu)

	// FunnelFlux Pro: two weeks of ad traffic, and three leads whose lead form wrote their hit id
	// into the RentEngine notes, now at Lease Signed: their lease conversions go back to FunnelFlux,
	// and the next report pull confirms them (lease_attribution).
	const ffAccess, ffRefresh = "demo-funnelflux-access", "demo-funnelflux-refresh"
	ff := funnelfluxfake.New(funnelfluxfake.Options{AccessToken: ffAccess, RefreshToken: ffRefresh})
	defer ff.Close()
	seeded := funnelfluxfake.Seed(ff, funnelfluxfake.SeedOptions{Seed: 42, Zone: "America/Chicago"})
	for i, hit := range seeded.FreshHits[:min(3, len(seeded.FreshHits))] {
		p := re.Insert(rentenginefake.Prospects, map[string]any{"name": fmt.Sprintf("Ad Lead %d", i+1),
			"email": fmt.Sprintf("ad.lead%d@example.com", i+1), "notes": "Lead form; ff_hit=" + hit})
		re.AddEvent(p, "Lease Signed", time.Now().Add(-time.Hour))
	}
	fmt.Printf("fake FunnelFlux at %s: %s\n", ff.BaseURL(), seeded)
	fmt.Printf("fake Funnel at %s: %d communities, company %d\n", fu.BaseURL(), len(communities), fu.CompanyID())

	dir, err := os.MkdirTemp("", "syncd-demo")
	if err != nil {
		fmt.Fprintln(os.Stderr, "demo:", err)
		return 1
	}
	defer os.RemoveAll(dir)
	cfgPath := filepath.Join(dir, "config.yaml")
	abs, _ := filepath.Abs(*dbPath)
	cfg := fmt.Sprintf(`# written by the demo; see config.example.yaml for every option
database:
  url: sqlite:%s
listen: %q
log:
  level: warn
  format: console
tenants:
  - id: demo
    name: Demo Property Management
    rentengine:
      base_url: %s
      token_env: DEMO_RENTENGINE_TOKEN
      # The fake has no rate limit; the real API allows about 20 requests per 5 s.
      rate_limit: {requests: 500, per: 1s, burst: 20}
    funnel:
      base_url: %s
      api_key_env: DEMO_FUNNEL_API_KEY
      company_id: %d
      communities: [%s]
      rate_limit: {requests: 500, per: 1s, burst: 20}
    funnelflux:
      base_url: %s
      access_token_env: DEMO_FUNNELFLUX_ACCESS_TOKEN
      refresh_token_env: DEMO_FUNNELFLUX_REFRESH_TOKEN
      report_days: 7
      rate_limit: {requests: 500, per: 1s, burst: 20}
    push:
      max_changes: "100%%"
      lease_conversion:
        stages: {"Lease Signed": {payout: 250}}
        hit_id: {path: notes, pattern: 'ff_hit=([0-9a-z]+)'}
    agents:
%s`, abs, *serve, re.BaseURL(), fu.BaseURL(), fu.CompanyID(), strings.Join(communities, ", "), ff.BaseURL(), agents)
	if err := os.WriteFile(cfgPath, []byte(cfg), 0o600); err != nil {
		fmt.Fprintln(os.Stderr, "demo:", err)
		return 1
	}
	env := cli.Env{LookupEnv: func(k string) (string, bool) {
		switch k {
		case "DEMO_RENTENGINE_TOKEN":
			return token, true
		case "DEMO_FUNNEL_API_KEY":
			return apiKey, true
		case "DEMO_REVOKED_TOKEN":
			return "revoked-" + token, true
		case "DEMO_FUNNELFLUX_ACCESS_TOKEN":
			return ffAccess, true
		case "DEMO_FUNNELFLUX_REFRESH_TOKEN":
			return ffRefresh, true
		}
		return os.LookupEnv(k)
	}}
	if !*verbose {
		env.Stderr = &prefixWriter{}
	}
	sync := func(title string) bool {
		fmt.Printf("\n== %s\n$ syncd sync --config config.yaml --tenant demo\n", title)
		if code := cli.Main(ctx, []string{"sync", "--config", cfgPath, "--tenant", "demo"}, env); code != 0 {
			fmt.Fprintf(os.Stderr, "demo: sync failed (exit %d); rerun with -v for logs\n", code)
			return false
		}
		return true
	}

	if !sync("first sync: everything is new, then pushes go out") {
		return 1
	}
	// Upstream changes between runs: what a day of leasing looks like to the mirror.
	units := re.IDs(rentenginefake.Units)
	prospects := re.IDs(rentenginefake.Prospects)
	re.Insert(rentenginefake.Prospects, map[string]any{"name": "Dana Whitfield", "email": " Dana.W@Example.com ",
		"phone": "(555) 201-7788", "status": "New", "source": "Zillow", "unit_of_interest": units[0]})
	re.AddEvent(prospects[3], "Showing Scheduled", time.Now())
	_ = re.Update(rentenginefake.Units, units[5], map[string]any{"status": "Leased", "target_rental_rate": "2150"})
	_ = re.Delete(rentenginefake.Units, units[7])
	fmt.Println("\nupstream: 1 prospect added, 1 showing scheduled, 1 unit leased, 1 unit deleted")
	if !sync("second sync: only the differences are written") {
		return 1
	}
	if !sync("third sync: nothing changed upstream, nothing is rewritten") {
		return 1
	}
	if code := summary(ctx, abs); code != 0 || *serve == "" {
		return code
	}
	return serveDemo(ctx, re, *serve, cfgPath, cfg, env)
}

// serveDemo gives the status page something besides successes to show, then runs the daemon
// on the config's listen address until ctx ends: a second tenant whose token RentEngine no
// longer accepts (its sync fails), and a third pull of the demo tenant after upstream lost
// most of its units (the mass-delete guard holds that pass).
func serveDemo(ctx context.Context, re *rentenginefake.Server, addr, cfgPath, cfg string, env cli.Env) int {
	cfg += `  - id: revoked
    name: Revoked Token Realty
    rentengine:
      base_url: ` + re.BaseURL() + `
      token_env: DEMO_REVOKED_TOKEN
`
	if err := os.WriteFile(cfgPath, []byte(cfg), 0o600); err != nil {
		fmt.Fprintln(os.Stderr, "demo:", err)
		return 1
	}
	fmt.Printf("\n== a tenant whose token was revoked\n$ syncd sync --config config.yaml --tenant revoked\n")
	quiet := env
	quiet.Stderr = io.Discard
	if code := cli.Main(ctx, []string{"sync", "--config", cfgPath, "--tenant", "revoked"}, quiet); code == 0 {
		fmt.Fprintln(os.Stderr, "demo: the revoked tenant's sync succeeded; it should have failed")
		return 1
	}
	units := re.IDs(rentenginefake.Units)
	for _, id := range units[:len(units)*2/3] {
		_ = re.Delete(rentenginefake.Units, id)
	}
	fmt.Printf("\nupstream: %d of %d units gone at once\n", len(units)*2/3, len(units))
	fmt.Printf("\n== fourth sync: the mass-delete guard holds the units pass\n$ syncd sync --config config.yaml --tenant demo\n")
	if code := cli.Main(ctx, []string{"sync", "--config", cfgPath, "--tenant", "demo"}, quiet); code == 0 {
		fmt.Fprintln(os.Stderr, "demo: the guard did not hold the units pass")
		return 1
	}
	fmt.Printf("\n== status page on http://%s/ (Ctrl-C stops)\n$ syncd run --config config.yaml\n", addr)
	if code := cli.Main(ctx, []string{"run", "--config", cfgPath}, env); code != 0 {
		fmt.Fprintf(os.Stderr, "demo: syncd run exited %d\n", code)
		return code
	}
	return 0
}

func summary(ctx context.Context, path string) int {
	store, err := models.Open(ctx, models.OpenConfig{DSN: "sqlite:" + path}, zap.NewNop())
	if err != nil {
		fmt.Fprintln(os.Stderr, "demo:", err)
		return 1
	}
	defer store.Close()
	fmt.Printf("\n== what landed in %s\n", path)
	tw := tabwriter.NewWriter(os.Stdout, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "table\tlive rows\ttombstoned\t")
	counts, err := store.TableCounts(ctx)
	if err != nil {
		fmt.Fprintln(os.Stderr, "demo:", err)
		return 1
	}
	for _, c := range counts {
		if c.HasTombstones {
			fmt.Fprintf(tw, "%s\t%d\t%d\t\n", c.Table, c.Live, c.Tombstoned)
		} else {
			fmt.Fprintf(tw, "%s\t%d\t-\t\n", c.Table, c.Live)
		}
	}
	tw.Flush()
	fmt.Printf(`
Query the mirror with SQL, for example:
  go run ./cmd/demo -sql "SELECT status, count(*) FROM rentengine_prospects WHERE deleted_at IS NULL GROUP BY status ORDER BY 2 DESC"
  go run ./cmd/demo -sql "SELECT job, status, inserted, updated, unchanged, deleted FROM sync_runs ORDER BY id"
  go run ./cmd/demo -sql "SELECT kind, state, count(*) FROM push_ledger GROUP BY kind, state"
  go run ./cmd/demo -sql "SELECT matched_on, status, count(*) FROM identity_links GROUP BY 1, 2"
  go run ./cmd/demo -sql "SELECT changed_at, table_name, record_id, operation, fields FROM record_changes WHERE operation <> 'insert' ORDER BY changed_at"
  go run ./cmd/demo -sql "SELECT traffic_source_name, funnel_name, sum(entrances), sum(leases), sum(cost), sum(cost) / nullif(sum(leases), 0) AS cost_per_lease FROM lease_attribution GROUP BY 1, 2 ORDER BY 1, 2"
or open %s with any SQLite client (sqlite3, DBeaver, DuckDB).
`, path)
	return 0
}

func runQuery(ctx context.Context, path, q string) int {
	if _, err := os.Stat(path); err != nil {
		fmt.Fprintf(os.Stderr, "demo: %s not found; run `go run ./cmd/demo` first\n", path)
		return 1
	}
	store, err := models.Open(ctx, models.OpenConfig{DSN: "sqlite:" + path}, zap.NewNop())
	if err != nil {
		fmt.Fprintln(os.Stderr, "demo:", err)
		return 1
	}
	defer store.Close()
	cols, rows, err := store.AdHocQuery(ctx, q)
	if err != nil {
		fmt.Fprintln(os.Stderr, "demo:", err)
		return 1
	}
	tw := tabwriter.NewWriter(os.Stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, strings.Join(cols, "\t"))
	for _, vals := range rows {
		cells := make([]string, len(vals))
		for i, v := range vals {
			switch x := v.(type) {
			case nil:
				cells[i] = "NULL"
			case []byte:
				cells[i] = string(x)
			default:
				cells[i] = fmt.Sprint(x)
			}
			if len(cells[i]) > 60 {
				cells[i] = cells[i][:57] + "..."
			}
		}
		fmt.Fprintln(tw, strings.Join(cells, "\t"))
	}
	tw.Flush()
	fmt.Printf("(%d rows)\n", len(rows))
	return 0
}

// demoAgents maps the Funnel agents of the seeded clients to made-up RentEngine user ids, leaving
// the last one out so the demo also shows how an unmapped agent is reported.
func demoAgents(fu *funnelfake.Server) string {
	seen := map[string]bool{}
	var emails []string
	for _, c := range fu.Communities() {
		for _, raw := range fu.All(c.ID, funnelfake.Prospects) {
			var p struct {
				Agents json.RawMessage `json:"agents"`
			}
			_ = json.Unmarshal(raw, &p)
			var list []string
			if json.Unmarshal(p.Agents, &list) != nil {
				continue
			}
			for _, a := range list {
				if a = strings.ToLower(strings.TrimSpace(a)); strings.Contains(a, "@") && !seen[a] {
					seen[a] = true
					emails = append(emails, a)
				}
			}
		}
	}
	sort.Strings(emails)
	var b strings.Builder
	for i, e := range emails {
		if i == len(emails)-1 && i > 0 {
			break
		}
		fmt.Fprintf(&b, "      %q: %08x-0000-4000-8000-%012x\n", e, i+1, i+1)
	}
	if b.Len() == 0 {
		return "      {}\n"
	}
	return b.String()
}

// prefixWriter swallows syncd's logs in the quiet demo but keeps error lines visible.
type prefixWriter struct{}

func (prefixWriter) Write(p []byte) (int, error) {
	if s := string(p); strings.Contains(s, "ERROR") || strings.HasPrefix(s, "syncd") {
		os.Stderr.Write(p)
	}
	return len(p), nil
}
