package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"sort"
	"strings"
	"text/tabwriter"

	"github.com/syncd-dev/syncd/internal/models"
	syncer "github.com/syncd-dev/syncd/internal/sync"
	"github.com/syncd-dev/syncd/internal/tenants"
)

func cmdPush(ctx context.Context, env Env, args []string) int {
	fs := newFlags("push", "Plan (--plan: print the exact changes, call nothing) or run the push job for one tenant.", env)
	var c common
	c.register(fs, env)
	tenant := fs.String("tenant", "", "tenant id (required)")
	plan := fs.Bool("plan", false, "print the changes a push would make, without calling any API")
	asJSON := fs.Bool("json", false, "with --plan: print the plan as JSON")
	force := fs.Bool("force", false, "push regardless of the job order: do not wait for the tenant's pulls in progress, "+
		"and push even if this is the tenant's first push and not every upstream has had a complete pull")
	if fs.Parse(args) != nil {
		return 2
	}
	if *tenant == "" {
		fmt.Fprintln(env.Stderr, "syncd push: --tenant is required")
		return 2
	}
	cfg, err := c.loadConfig(env)
	if err != nil {
		printConfigError(env.Stderr, c.config, err)
		return 1
	}
	t := cfg.Tenant(*tenant)
	switch {
	case t == nil:
		fmt.Fprintf(env.Stderr, "syncd push: no tenant %q in %s\n", *tenant, c.config)
		return 1
	case t.Push == nil:
		fmt.Fprintf(env.Stderr, "syncd push: tenant %s has no push: block\n", t.ID)
		return 1
	case !*plan && !t.IsEnabled():
		fmt.Fprintf(env.Stderr, "syncd push: tenant %s is disabled in %s\n", t.ID, c.config)
		return 1
	}
	log, err := c.logger(cfg, env)
	if err != nil {
		fmt.Fprintln(env.Stderr, "syncd:", err)
		return 1
	}
	defer log.Sync()
	store, err := openStore(ctx, cfg, log)
	if err != nil {
		fmt.Fprintln(env.Stderr, "syncd push:", err)
		return 1
	}
	defer store.Close()
	runner := syncer.NewRunner(syncer.Config{Store: store}, log)
	defer stopRunner(ctx, runner)
	// A one-off command shares the credentials' budgets with the daemon's replicas.
	defer runner.ShareRateBudgets(log.Named("rate"))()

	if !*plan {
		lock, closeLock, err := jobLock(ctx, cfg, store, log)
		if err != nil {
			fmt.Fprintln(env.Stderr, "syncd push:", err)
			return 1
		}
		defer closeLock()
		if *force && !announceForce(ctx, env, "syncd push", runner, t) {
			return 1
		}
		run, err := lockedRun(ctx, lock, runner, t, tenants.JobPush, syncer.RunOptions{WaitForPulls: true, Force: *force})
		if run != nil {
			fmt.Fprintln(env.Stdout, runSummary(t.ID, run))
		}
		if err != nil {
			fmt.Fprintln(env.Stderr, "syncd push:", err)
			printSkipHint(env, "syncd push", err)
			return 1
		}
		return 0
	}

	p, err := runner.Plan(ctx, t)
	if err != nil {
		fmt.Fprintln(env.Stderr, "syncd push:", err)
		return 1
	}
	limit := p.Limit(t.Push)
	if *asJSON {
		enc := json.NewEncoder(env.Stdout)
		enc.SetIndent("", "  ")
		_ = enc.Encode(map[string]any{"tenant": t.ID, "changes": p.Changes, "targets": p.Targets,
			"unchanged": p.Unchanged, "skipped": p.Skipped, "skips": p.Skips, "unmapped_agents": p.Unmapped, "blocked": p.Blocked, "limit": limit})
		return 0
	}
	tw := tabwriter.NewWriter(env.Stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "KIND\tTARGET\tBEFORE\t\tAFTER")
	for _, ch := range p.Changes {
		fmt.Fprintf(tw, "%s\t%s\t%s\t→\t%s\n", ch.Kind, ch.Target, ch.Before, ch.After)
	}
	tw.Flush()
	kinds := p.ByKind()
	names := make([]string, 0, len(kinds))
	for k := range kinds {
		names = append(names, k)
	}
	sort.Strings(names)
	fmt.Fprintf(env.Stdout, "\n%d change(s)", len(p.Changes))
	for _, k := range names {
		fmt.Fprintf(env.Stdout, ", %d %s", kinds[k], k)
	}
	fmt.Fprintf(env.Stdout, "; %d of %d targets unchanged\n", p.Unchanged, p.Targets)
	reasons := make([]string, 0, len(p.Skipped))
	for reason := range p.Skipped {
		reasons = append(reasons, reason)
	}
	sort.Strings(reasons)
	for _, reason := range reasons {
		fmt.Fprintf(env.Stdout, "skipped %d: %s\n", p.Skipped[reason], reason)
	}
	for agent, n := range p.Unmapped {
		fmt.Fprintf(env.Stdout, "unmapped agent %s (%d prospects): add it to agents: to assign them\n", agent, n)
	}
	if limit >= 0 && len(p.Changes) > limit {
		fmt.Fprintf(env.Stdout, "a push run would ABORT: %d changes exceed max_changes %s (limit %d)\n", len(p.Changes), t.Push.MaxChanges, limit)
	}
	if t.Push.DryRun {
		fmt.Fprintln(env.Stdout, "the tenant is in dry_run mode: scheduled pushes only plan")
	}
	return 0
}

// announceForce prints what --force overrides for the tenant's push right now (false: it
// could not be checked).
func announceForce(ctx context.Context, env Env, cmd string, runner *syncer.Runner, t *tenants.Tenant) bool {
	blocks, err := runner.PushOrderBlocks(ctx, t)
	if err != nil {
		fmt.Fprintf(env.Stderr, "%s: %v\n", cmd, err)
		return false
	}
	if len(blocks) == 0 {
		fmt.Fprintf(env.Stderr, "%s: --force: the job order holds nothing back right now (no pull in progress, not a first push before complete pulls)\n", cmd)
		return true
	}
	fmt.Fprintf(env.Stderr, "%s: --force overrides the job order; pushing despite:\n", cmd)
	for _, b := range blocks {
		fmt.Fprintf(env.Stderr, "  - %s\n", b)
	}
	return true
}

// printSkipHint follows a push skipped by the job order with how to override it.
func printSkipHint(env Env, cmd string, err error) {
	switch reason, ok := syncer.IsSkip(err); {
	case !ok:
	case reason == models.SkipFirstPulls:
		fmt.Fprintf(env.Stderr, "%s: run the pulls first (syncd sync --tenant ID), or push anyway with --force\n", cmd)
	default:
		fmt.Fprintf(env.Stderr, "%s: try again when the pulls have finished, or push anyway with --force\n", cmd)
	}
}

// runSummary is the one line `syncd sync` and `syncd push` print per run.
func runSummary(tenant string, run *models.SyncRun) string {
	head := fmt.Sprintf("%s %s: %s in %s", tenant, run.Job, run.Status, runDuration(run))
	if run.Status == models.RunSkipped {
		return fmt.Sprintf("%s %s: skipped (%s)", tenant, run.Job, run.SkipReason())
	}
	if run.Job != string(tenants.JobPush) {
		line := fmt.Sprintf("%s — pages %d, fetched %d, inserted %d, updated %d, unchanged %d, deleted %d, bad %d",
			head, run.Pages, run.Fetched, run.Inserted, run.Updated, run.Unchanged, run.Deleted, run.BadRecords)
		if u := unavailableText(run.Unavailable(), true); u != "" {
			line += "; " + u
		}
		return line
	}
	var d struct {
		Push struct {
			Targets   int               `json:"targets"`
			Unchanged int               `json:"unchanged"`
			Changes   map[string]int    `json:"changes"`
			Unmapped  map[string]int    `json:"unmapped_agents"`
			Blocked   map[string]string `json:"blocked"`
			DryRun    bool              `json:"dry_run"`
			Aborted   bool              `json:"aborted"`
			Result    struct {
				Pushed, Failed, Unmatched map[string]int
			} `json:"result"`
		} `json:"push"`
	}
	_ = json.Unmarshal(run.Details, &d)
	p := d.Push
	sum := func(m map[string]int) int {
		n := 0
		for _, v := range m {
			n += v
		}
		return n
	}
	line := fmt.Sprintf("%s — targets %d, unchanged %d, changes %d", head, p.Targets, p.Unchanged, sum(p.Changes))
	switch {
	case p.Aborted:
		line += " (ABORTED by max_changes)"
	case p.DryRun:
		line += " (dry run: nothing sent)"
	default:
		line += fmt.Sprintf(": pushed %d, unmatched %d, failed %d", sum(p.Result.Pushed), sum(p.Result.Unmatched), sum(p.Result.Failed))
	}
	if n := len(p.Unmapped); n > 0 {
		line += fmt.Sprintf("; %d unmapped agent(s)", n)
	}
	for _, kind := range slices.Sorted(maps.Keys(p.Blocked)) {
		line += fmt.Sprintf("; %s skipped: %s", kind, p.Blocked[kind])
	}
	return line
}

// unavailableText says which resources a run found unavailable upstream: "leasing_events
// unavailable, kept current by webhooks", with each reason in parentheses when withReasons; ""
// for none.
func unavailableText(u map[string]models.Unavailable, withReasons bool) string {
	var parts []string
	for _, name := range slices.Sorted(maps.Keys(u)) {
		part := name + " unavailable"
		if withReasons {
			part += " (" + u[name].Reason + ")"
		}
		if u[name].KeptCurrentByWebhooks {
			part += ", kept current by webhooks"
		}
		parts = append(parts, part)
	}
	return strings.Join(parts, "; ")
}
