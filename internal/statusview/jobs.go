// Package statusview is the one query layer behind `syncd status` and the status page: it reads
// the recorded runs, push ledger, quarantine and identity links from internal/models, joins them
// with the resolved config, and returns typed values. The CLI prints them as a table or JSON, the
// daemon renders them as HTML; neither queries on its own, so the two cannot disagree.
//
// Nothing here returns a secret: errors and reasons pass through a Scrubber built from the
// config's resolved secrets, and config values that name a secret say only where it comes from.
package statusview

import (
	"context"
	"slices"
	"sort"
	"time"

	"github.com/syncd-dev/syncd/internal/models"
	"github.com/syncd-dev/syncd/internal/tenants"
)

// Job is one tenant's job with what sync_runs says about it: one line of `syncd status`. Its
// JSON form is what `syncd status --json` prints, one array of these; the fields marked
// `json:"-"` are shown on the status page only, so that the CLI's JSON keeps its shape.
type Job struct {
	Tenant string `json:"tenant"`
	Job    string `json:"job"`
	// Schedule is the job's cron spec in the config, "" when it is not scheduled.
	Schedule string `json:"schedule"`
	// State is "scheduled", "manual" (no schedule: only `syncd sync` runs it), "disabled" or
	// "not_in_config" (runs recorded for a tenant the config no longer has).
	State              string     `json:"state"`
	LastRun            *Run       `json:"last_run"`
	LastSuccessAt      *time.Time `json:"last_success_at"`
	LastSuccessAgeSecs *float64   `json:"last_success_age_seconds"`
	// LastError is the error of the most recent failed, held, partial or abandoned run, whether
	// or not a success followed it; LastErrorAt is when that run started.
	LastError   string     `json:"last_error,omitempty"`
	LastErrorAt *time.Time `json:"last_error_at,omitempty"`

	// NextRun is the schedule's next time after now, before the per-tenant start jitter (nil:
	// not scheduled).
	NextRun *time.Time `json:"-"`
	// Quarantined counts the records bad_records holds for this job's mirror tables, by table.
	Quarantined map[string]int64 `json:"-"`
}

// Run is one sync_runs row as status shows it.
type Run struct {
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

	// Job is the run's job; set in a tenant's run list, where runs of every job mix.
	Job string `json:"-"`
}

// State values.
const (
	StateScheduled   = "scheduled"
	StateManual      = "manual"
	StateDisabled    = "disabled"
	StateNotInConfig = "not_in_config"
)

// Jobs returns every tenant × job of the config and of sync_runs, as `syncd status` shows them;
// only filters by tenant id ("" = all).
func Jobs(ctx context.Context, store *models.Store, cfg *tenants.Config, only string, now time.Time) ([]Job, error) {
	recorded, err := store.JobStatuses(ctx, only)
	if err != nil {
		return nil, err
	}
	return BuildJobs(cfg, recorded, only, now), nil
}

// jobRank sorts a tenant's jobs the way a sync runs them (tenants.AllJobs: pulls, then push).
func jobRank(job string) int {
	if i := slices.Index(tenants.AllJobs, tenants.Job(job)); i >= 0 {
		return i
	}
	return len(tenants.AllJobs)
}

// BuildJobs joins the config's tenants and jobs with the recorded runs. A config tenant shows
// every job its upstream blocks allow, whether or not it ever ran; a job with runs but no longer
// in the config still shows, so nothing recorded is hidden. only filters by tenant id.
func BuildJobs(cfg *tenants.Config, recorded []models.JobStatus, only string, now time.Time) []Job {
	scrub := NewScrubber(cfg)
	type key struct{ tenant, job string }
	byKey := make(map[key]*models.JobStatus, len(recorded))
	for i := range recorded {
		byKey[key{recorded[i].TenantID, recorded[i].Job}] = &recorded[i]
	}
	seen := map[key]bool{}
	out := []Job{} // never nil: --json prints [] for no jobs

	add := func(t *tenants.Tenant, tenant, job, schedule, state string) {
		k := key{tenant, job}
		if seen[k] {
			return
		}
		seen[k] = true
		js := newJob(tenant, job, schedule, state, byKey[k], now, scrub)
		if t != nil && state == StateScheduled {
			if sched, err := tenants.ParseSchedule(schedule, t.Location); err == nil {
				if next := sched.Next(now); !next.IsZero() {
					next = next.UTC()
					js.NextRun = &next
				}
			}
		}
		out = append(out, js)
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
			state := StateScheduled
			switch {
			case !slices.Contains(configured, job):
				spec, state = "", StateNotInConfig // the tenant's upstream block is gone
			case !t.IsEnabled():
				state = StateDisabled
			case spec == "":
				state = StateManual
			}
			add(t, t.ID, string(job), spec, state)
		}
	}
	for _, r := range recorded {
		if cfg.Tenant(r.TenantID) == nil && (only == "" || r.TenantID == only) {
			add(nil, r.TenantID, r.Job, "", StateNotInConfig)
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

func newJob(tenant, job, schedule, state string, rec *models.JobStatus, now time.Time, scrub Scrubber) Job {
	js := Job{Tenant: tenant, Job: job, Schedule: schedule, State: state}
	if rec == nil {
		return js
	}
	r := rec.Last
	js.LastRun = newRun(&r, now, scrub)
	if s := rec.LastSuccess; s != nil && s.FinishedAt != nil {
		js.LastSuccessAt = utcPtr(s.FinishedAt)
		age := max(0, now.Sub(*s.FinishedAt).Seconds())
		js.LastSuccessAgeSecs = &age
	}
	if f := rec.LastFailure; f != nil {
		js.LastError = scrub.Scrub(deref(f.Error))
		js.LastErrorAt = utcPtr(&f.StartedAt)
	}
	return js
}

func newRun(r *models.SyncRun, now time.Time, scrub Scrubber) *Run {
	run := &Run{
		RunID: r.RunID, Status: r.Status, StartedAt: r.StartedAt.UTC(), FinishedAt: utcPtr(r.FinishedAt), Host: r.Host,
		Pages: r.Pages, Fetched: r.Fetched, Inserted: r.Inserted, Updated: r.Updated, Unchanged: r.Unchanged,
		Deleted: r.Deleted, BadRecords: r.BadRecords, Retries: r.Retries, HeldDeletes: r.HeldDeletes(),
		Unavailable: r.Unavailable(), Error: scrub.Scrub(deref(r.Error)), Job: r.Job, SkipReason: r.SkipReason(),
	}
	for name, u := range run.Unavailable {
		u.Reason = scrub.Scrub(u.Reason)
		run.Unavailable[name] = u
	}
	switch {
	case r.FinishedAt != nil:
		d := max(0, r.FinishedAt.Sub(r.StartedAt).Seconds())
		run.DurationSecs = &d
	case r.Status == models.RunRunning:
		d := max(0, now.Sub(r.StartedAt).Seconds())
		run.DurationSecs = &d
	}
	return run
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
