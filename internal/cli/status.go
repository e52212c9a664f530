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
	"sort"
	"strings"
	"text/tabwriter"
	"time"
	"unicode/utf8"

	"github.com/syncd-dev/syncd/internal/models"
	"github.com/syncd-dev/syncd/internal/tenants"
)

// jobStatus is one line of `syncd status`: a tenant's job with what sync_runs says about it.
// Its JSON form is what `syncd status --json` prints, one array of these.
type jobStatus struct {
	Tenant string `json:"tenant"`
	Job    string `json:"job"`
	// Schedule is the job's cron spec in the config, "" when it is not scheduled.
	Schedule string `json:"schedule"`
	// State is "scheduled", "manual" (no schedule: only `syncd sync` runs it), "disabled" or
	// "not_in_config" (runs recorded for a tenant the config no longer has).
	State              string     `json:"state"`
	LastRun            *runStatus `json:"last_run"`
	LastSuccessAt      *time.Time `json:"last_success_at"`
	LastSuccessAgeSecs *float64   `json:"last_success_age_seconds"`
	// LastError is the error of the most recent failed, held, partial or abandoned run, whether
	// or not a success followed it; LastErrorAt is when that run started.
	LastError   string     `json:"last_error,omitempty"`
	LastErrorAt *time.Time `json:"last_error_at,omitempty"`
}

type runStatus struct {
	RunID      string     `json:"run_id"`
	Status     string     `json:"status"`
	StartedAt  time.Time  `json:"started_at"`
	FinishedAt *time.Time `json:"finished_at"`
	// DurationSecs is the run's duration, or how long it has been running so far; null for an
	// abandoned run (its process died, so its end is unknown).
	DurationSecs *float64 `json:"duration_seconds"`
	Host         string   `json:"host"`
	Pages        int64    `json:"pages"`
	Fetched      int64    `json:"fetched"`
	Inserted     int64    `json:"inserted"`
	Updated      int64    `json:"updated"`
	Unchanged    int64    `json:"unchanged"`
	Deleted      int64    `json:"deleted"`
	BadRecords   int64    `json:"bad_records"`
	Retries      int64    `json:"retries"`
	// HeldDeletes maps each resource the mass-delete guard held (status "held", or "failed" when
	// another resource failed) to the rows it would have tombstoned.
	HeldDeletes map[string]int64 `json:"held_deletes,omitempty"`
	// Unavailable maps each resource the run found unavailable upstream (status "partial", or
	// "failed" or "held" when those took precedence) to the reason, and whether the tenant's
	// webhooks keep its rows current meanwhile.
	Unavailable map[string]models.Unavailable `json:"unavailable,omitempty"`
	Error       string                        `json:"error,omitempty"`

	// SkipReason says why a skipped push did not run (pulls_unfinished, waiting_for_first_pulls).
	SkipReason string `json:"skip_reason,omitempty"`
}

// State values.
const (
	stateScheduled   = "scheduled"
	stateManual      = "manual"
	stateDisabled    = "disabled"
	stateNotInConfig = "not_in_config"
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
	recorded, err := store.JobStatuses(ctx, *tenant)
	if err != nil {
		fmt.Fprintln(env.Stderr, "syncd status:", err)
		return 1
	}
	now := time.Now()
	rows := buildStatus(cfg, recorded, *tenant, now)
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
	if err := writeStatusTable(env.Stdout, rows, now); err != nil {
		fmt.Fprintln(env.Stderr, "syncd status:", err)
		return 1
	}
	return 0
}

// jobRank sorts a tenant's jobs the way a sync runs them (tenants.AllJobs: pulls, then push).
func jobRank(job string) int {
	if i := slices.Index(tenants.AllJobs, tenants.Job(job)); i >= 0 {
		return i
	}
	return len(tenants.AllJobs)
}

// buildStatus joins the config's tenants and jobs with the recorded runs. A config tenant shows
// every job its upstream blocks allow, whether or not it ever ran; a job with runs but no longer
// in the config still shows, so nothing recorded is hidden. only filters by tenant id.
func buildStatus(cfg *tenants.Config, recorded []models.JobStatus, only string, now time.Time) []jobStatus {
	type key struct{ tenant, job string }
	byKey := make(map[key]*models.JobStatus, len(recorded))
	for i := range recorded {
		byKey[key{recorded[i].TenantID, recorded[i].Job}] = &recorded[i]
	}
	seen := map[key]bool{}
	out := []jobStatus{} // never nil: --json prints [] for no jobs

	add := func(tenant, job, schedule, state string) {
		k := key{tenant, job}
		if seen[k] {
			return
		}
		seen[k] = true
		out = append(out, newJobStatus(tenant, job, schedule, state, byKey[k], now))
	}
	for i := range cfg.Tenants {
		t := &cfg.Tenants[i]
		if only != "" && t.ID != only {
			continue
		}
		jobs := t.Jobs()
		for _, r := range recorded {
			if r.TenantID == t.ID && !slices.Contains(jobs, tenants.Job(r.Job)) {
				jobs = append(jobs, tenants.Job(r.Job))
			}
		}
		configured := t.Jobs()
		for _, job := range jobs {
			spec := t.Schedules.Get(job)
			state := stateScheduled
			switch {
			case !slices.Contains(configured, job):
				spec, state = "", stateNotInConfig // the tenant's upstream block is gone
			case !t.IsEnabled():
				state = stateDisabled
			case spec == "":
				state = stateManual
			}
			add(t.ID, string(job), spec, state)
		}
	}
	for _, r := range recorded {
		if cfg.Tenant(r.TenantID) == nil && (only == "" || r.TenantID == only) {
			add(r.TenantID, r.Job, "", stateNotInConfig)
		}
	}
	sort.SliceStable(out, func(i, j int) bool {
		if out[i].Tenant != out[j].Tenant {
			return out[i].Tenant < out[j].Tenant
		}
		return jobRank(out[i].Job) < jobRank(out[j].Job)
	})
	return out
}

func newJobStatus(tenant, job, schedule, state string, rec *models.JobStatus, now time.Time) jobStatus {
	js := jobStatus{Tenant: tenant, Job: job, Schedule: schedule, State: state}
	if rec == nil {
		return js
	}
	r := rec.Last
	js.LastRun = &runStatus{
		RunID: r.RunID, Status: r.Status, StartedAt: r.StartedAt.UTC(), FinishedAt: utcPtr(r.FinishedAt), Host: r.Host,
		Pages: r.Pages, Fetched: r.Fetched, Inserted: r.Inserted, Updated: r.Updated, Unchanged: r.Unchanged,
		Deleted: r.Deleted, BadRecords: r.BadRecords, Retries: r.Retries, HeldDeletes: r.HeldDeletes(), Unavailable: r.Unavailable(),
		Error: deref(r.Error), SkipReason: r.SkipReason(),
	}
	switch {
	case r.FinishedAt != nil:
		d := max(0, r.FinishedAt.Sub(r.StartedAt).Seconds())
		js.LastRun.DurationSecs = &d
	case r.Status == models.RunRunning:
		d := max(0, now.Sub(r.StartedAt).Seconds())
		js.LastRun.DurationSecs = &d
	}
	if s := rec.LastSuccess; s != nil && s.FinishedAt != nil {
		js.LastSuccessAt = utcPtr(s.FinishedAt)
		age := max(0, now.Sub(*s.FinishedAt).Seconds())
		js.LastSuccessAgeSecs = &age
	}
	if f := rec.LastFailure; f != nil {
		js.LastError = deref(f.Error)
		js.LastErrorAt = utcPtr(&f.StartedAt)
	}
	return js
}

// writeStatusTable prints rows as an aligned table, ages relative to now.
func writeStatusTable(w io.Writer, rows []jobStatus, now time.Time) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "TENANT\tJOB\tSCHEDULE\tLAST RUN\tOUTCOME\tTOOK\tFETCHED\tINSERTED\tUPDATED\tDELETED\tLAST SUCCESS\tLAST ERROR")
	for _, r := range rows {
		sched := r.Schedule
		switch r.State {
		case stateManual:
			sched = "manual"
		case stateDisabled:
			sched = "disabled"
		case stateNotInConfig:
			sched = "not in config"
		}
		lastRun, outcome, took, fetched, ins, upd, del := "never", "-", "-", "-", "-", "-", "-"
		if lr := r.LastRun; lr != nil {
			lastRun = ago(now.Sub(lr.StartedAt))
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
				took = fmtDuration(time.Duration(*lr.DurationSecs * float64(time.Second)))
			}
			fetched, ins, upd, del = fmt.Sprint(lr.Fetched), fmt.Sprint(lr.Inserted), fmt.Sprint(lr.Updated), fmt.Sprint(lr.Deleted)
		}
		success := "never"
		if r.LastSuccessAt != nil {
			success = ago(now.Sub(*r.LastSuccessAt))
		}
		lastErr := "-"
		if r.LastErrorAt != nil {
			lastErr = oneLine(r.LastError, 80)
			// An error from an earlier run than the last one says when it happened.
			if r.LastRun == nil || !r.LastErrorAt.Equal(r.LastRun.StartedAt) {
				lastErr = "(" + ago(now.Sub(*r.LastErrorAt)) + ") " + lastErr
			}
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", r.Tenant, r.Job, sched, lastRun, outcome,
			took, fetched, ins, upd, del, success, lastErr)
	}
	return tw.Flush()
}

// ago formats an age as "45s ago", "12m ago", "3h5m ago", "2d4h ago".
func ago(d time.Duration) string { return fmtDuration(max(0, d)) + " ago" }

// fmtDuration is a short duration for people: two units at most.
func fmtDuration(d time.Duration) string {
	switch {
	case d < time.Second:
		return d.Round(time.Millisecond).String()
	case d < 10*time.Second:
		return d.Round(100 * time.Millisecond).String()
	case d < time.Minute:
		return d.Round(time.Second).String()
	case d < time.Hour:
		return fmt.Sprintf("%dm%ds", int(d.Minutes()), int(d.Seconds())%60)
	case d < 48*time.Hour:
		return fmt.Sprintf("%dh%dm", int(d.Hours()), int(d.Minutes())%60)
	}
	return fmt.Sprintf("%dd%dh", int(d.Hours())/24, int(d.Hours())%24)
}

// oneLine keeps a table cell on one line and at most n runes.
func oneLine(s string, n int) string {
	s = strings.Join(strings.Fields(s), " ")
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	return string([]rune(s)[:n-1]) + "…"
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

func utcPtr(t *time.Time) *time.Time {
	if t == nil {
		return nil
	}
	u := t.UTC()
	return &u
}
