package cli

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	iofs "io/fs"
	"maps"
	"os"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/syncd-dev/syncd/internal/models"
	"github.com/syncd-dev/syncd/internal/statusview"
)

func cmdStatus(ctx context.Context, env Env, args []string) int {
	fs := newFlags("status", "Show each tenant's jobs from the database: last run, outcome, rows, age of the last success, last error.\n"+
		"Tenants come from the config file, plus any tenant found only in sync_runs.", env)
	var c common
	c.register(fs, env)
	tenant := fs.String("tenant", "", "show only this tenant")
	asJSON := fs.Bool("json", false, "print JSON instead of a table")
	if fs.Parse(args) != nil {
		return 2
	}
	cfg, log, ok := c.setup(env)
	if !ok {
		return 1
	}
	defer log.Sync()
	if p := cfg.Database.SQLitePath(); p != "" && p != ":memory:" {
		// Opening a missing SQLite file would create an empty database and report nothing.
		if _, err := os.Stat(p); errors.Is(err, iofs.ErrNotExist) {
			fmt.Fprintf(env.Stderr, "syncd status: no database at %s (has syncd run yet?)\n", p)
			return 1
		}
	}
	store, err := models.Open(ctx, models.OpenConfig{DSN: cfg.Database.DSN.Reveal(), MaxOpenConns: 2}, log.Named("store"))
	if err != nil {
		fmt.Fprintln(env.Stderr, "syncd status:", err)
		return 1
	}
	defer store.Close()
	now := time.Now()
	// The same query layer as the status page on the listen address (internal/statusview).
	rows, err := statusview.Jobs(ctx, store, cfg, *tenant, now)
	if err != nil {
		fmt.Fprintln(env.Stderr, "syncd status:", err)
		return 1
	}
	if *tenant != "" && len(rows) == 0 {
		fmt.Fprintf(env.Stderr, "syncd status: no tenant %q in %s or in sync_runs\n", *tenant, c.config)
		return 1
	}
	if *asJSON {
		enc := json.NewEncoder(env.Stdout)
		enc.SetIndent("", "  ")
		if err := enc.Encode(rows); err != nil {
			fmt.Fprintln(env.Stderr, "syncd status:", err)
			return 1
		}
		return 0
	}
	// Credentials with their configured and effective rates, from the same query layer, below
	// the jobs in the table (--json prints the jobs alone, as before).
	rates, err := store.CredentialRates(ctx)
	if err != nil {
		fmt.Fprintln(env.Stderr, "syncd status:", err)
		return 1
	}
	creds := statusview.Credentials(cfg, rates, *tenant)
	err = writeStatusTable(env.Stdout, rows, now)
	if err == nil {
		err = writeCredentialTable(env.Stdout, creds)
	}
	if err != nil {
		fmt.Fprintln(env.Stderr, "syncd status:", err)
		return 1
	}
	return 0
}

// writeStatusTable prints rows as an aligned table, ages relative to now.
func writeStatusTable(w io.Writer, rows []statusview.Job, now time.Time) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "TENANT\tJOB\tSCHEDULE\tLAST RUN\tOUTCOME\tTOOK\tFETCHED\tINSERTED\tUPDATED\tDELETED\tLAST SUCCESS\tLAST ERROR")
	for _, r := range rows {
		sched := r.Schedule
		switch r.State {
		case statusview.StateManual:
			sched = "manual"
		case statusview.StateDisabled:
			sched = "disabled"
		case statusview.StateNotInConfig:
			sched = "not in config"
		}
		lastRun, outcome, took, fetched, ins, upd, del := "never", "-", "-", "-", "-", "-", "-"
		if lr := r.LastRun; lr != nil {
			lastRun = statusview.Ago(now.Sub(lr.StartedAt))
			outcome = lr.Status
			// "held (units 130)", "partial (leasing_events unavailable)": what the guard kept and
			// what upstream did not serve, without reading the error.
			var notes []string
			if lr.SkipReason != "" {
				notes = append(notes, lr.SkipReason) // "skipped (pulls_unfinished)"
			}
			if len(lr.HeldDeletes) > 0 {
				var parts []string
				for _, name := range slices.Sorted(maps.Keys(lr.HeldDeletes)) {
					parts = append(parts, fmt.Sprintf("%s %d", name, lr.HeldDeletes[name]))
				}
				notes = append(notes, strings.Join(parts, ", "))
			}
			if u := unavailableText(lr.Unavailable, false); u != "" {
				notes = append(notes, u)
			}
			if len(notes) > 0 {
				outcome += " (" + strings.Join(notes, "; ") + ")"
			}
			if lr.DurationSecs != nil {
				took = statusview.Duration(time.Duration(*lr.DurationSecs * float64(time.Second)))
			}
			fetched, ins, upd, del = fmt.Sprint(lr.Fetched), fmt.Sprint(lr.Inserted), fmt.Sprint(lr.Updated), fmt.Sprint(lr.Deleted)
		}
		success := "never"
		if r.LastSuccessAt != nil {
			success = statusview.Ago(now.Sub(*r.LastSuccessAt))
		}
		lastErr := "-"
		if r.LastErrorAt != nil {
			lastErr = statusview.OneLine(r.LastError, 80)
			// An error from an earlier run than the last one says when it happened.
			if r.LastRun == nil || !r.LastErrorAt.Equal(r.LastRun.StartedAt) {
				lastErr = "(" + statusview.Ago(now.Sub(*r.LastErrorAt)) + ") " + lastErr
			}
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", r.Tenant, r.Job, sched, lastRun, outcome,
			took, fetched, ins, upd, del, success, lastErr)
	}
	return tw.Flush()
}
