package statusview

import (
	"cmp"
	"context"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/syncd-dev/syncd/internal/models"
	"github.com/syncd-dev/syncd/internal/tenants"
)

// Limits of the tenant view.
const (
	// TenantRunLimit is how many of a tenant's latest runs the tenant view lists.
	TenantRunLimit = 50
	// PushFailureLimit is how many push failures the tenant view lists.
	PushFailureLimit = 100
	// reasonRunes bounds an error or reason shown in a table cell.
	reasonRunes = 300
)

// Overview is every tenant × job, the push ledger's counts and the credentials: the status
// page's front page.
type Overview struct {
	Now  time.Time
	Jobs []Job
	// Ledger counts push_ledger rows per tenant, kind and state.
	Ledger []models.LedgerCount
	// Credentials are the upstream credentials of the config's tenants.
	Credentials []Credential
}

// Tenant is one tenant in detail.
type Tenant struct {
	Now time.Time
	ID  string
	// Name is the display name from the config ("" when unset or not in the config).
	Name string
	// InConfig is false for a tenant known only from sync_runs.
	InConfig bool
	Jobs     []Job
	// Runs are the tenant's latest runs of every job, newest first (at most TenantRunLimit).
	Runs         []Run
	PushFailures []PushFailure
	Ledger       []models.LedgerCount
	Links        models.LinkCounts
	// Config is the tenant's resolved config, key by key; secrets say only where they come from.
	Config []ConfigLine
}

// PushFailure is a push_ledger target whose last attempt failed (or found no target).
type PushFailure struct {
	Kind, Target, State string
	Attempts            int64
	// Status is the last HTTP status (0: none, such as a network error).
	Status int
	// Reason is the last error, short and scrubbed.
	Reason string
	At     time.Time
}

// ConfigLine is one setting of a tenant's config.
type ConfigLine struct {
	Key, Value string
}

// Credential is one upstream credential (rate budget) and the tenants that use it.
type Credential struct {
	// Key is the budget key: API, base URL and the secret's fingerprint (never the secret).
	Key string `json:"-"`
	// Name is the credential's name under credentials: in the config; "" for a credential written
	// inline in tenants' upstream blocks, which is labelled by its tenants.
	Name string `json:"name,omitempty"`
	// API is the upstream: "rentengine", "funnel" or "funnelflux".
	API     string `json:"api"`
	BaseURL string `json:"base_url"`
	// Source says where the secret comes from: "env NAME" or "file PATH".
	Source  string   `json:"secret"`
	Tenants []string `json:"tenants"`
	// Configured is the configured rate limit: the total for all processes.
	Configured tenants.RateLimit `json:"-"`
	// ConfiguredPerSecond is Configured in requests per second.
	ConfiguredPerSecond float64 `json:"configured_per_second"`
	// EffectiveRate is what the processes using the credential allow themselves together now,
	// in requests per second, after 429s lowered it (the sum of their live leases in
	// rate_leases); nil when no process is using it.
	EffectiveRate *float64 `json:"effective_per_second"`
	// Processes counts the processes holding a live lease on it.
	Processes int `json:"processes"`
}

// Label names the credential for people: its name, else its tenants.
func (c Credential) Label() string {
	if c.Name != "" {
		return c.Name
	}
	return strings.Join(c.Tenants, ",") // as the syncd_rate_effective credential label
}

// RateText is a rate limit for people: "20 per 5s (burst 1)".
func RateText(r tenants.RateLimit) string {
	return fmt.Sprintf("%d per %s (burst %d)", r.Requests, r.Per, r.Burst)
}

// BuildOverview reads the front page's data.
func BuildOverview(ctx context.Context, store *models.Store, cfg *tenants.Config, now time.Time) (*Overview, error) {
	jobs, err := Jobs(ctx, store, cfg, "", now)
	if err != nil {
		return nil, err
	}
	if err := addQuarantine(ctx, store, "", jobs); err != nil {
		return nil, err
	}
	ledger, err := store.PushLedgerCounts(ctx, "")
	if err != nil {
		return nil, err
	}
	rates, err := store.CredentialRates(ctx)
	if err != nil {
		return nil, err
	}
	return &Overview{Now: now, Jobs: jobs, Ledger: ledger, Credentials: Credentials(cfg, rates, "")}, nil
}

// BuildTenant reads one tenant's page; nil when the tenant is neither in the config nor in
// sync_runs.
func BuildTenant(ctx context.Context, store *models.Store, cfg *tenants.Config, id string, now time.Time) (*Tenant, error) {
	jobs, err := Jobs(ctx, store, cfg, id, now)
	if err != nil {
		return nil, err
	}
	if len(jobs) == 0 {
		return nil, nil
	}
	if err := addQuarantine(ctx, store, id, jobs); err != nil {
		return nil, err
	}
	scrub := NewScrubber(cfg)
	v := &Tenant{Now: now, ID: id, Jobs: jobs}
	if t := cfg.Tenant(id); t != nil {
		v.InConfig, v.Name, v.Config = true, t.Name, ConfigLines(t)
	}
	runs, err := store.TenantRuns(ctx, id, TenantRunLimit)
	if err != nil {
		return nil, err
	}
	for i := range runs {
		v.Runs = append(v.Runs, *newRun(&runs[i], now, scrub))
	}
	failures, err := store.PushFailures(ctx, id, PushFailureLimit)
	if err != nil {
		return nil, err
	}
	for _, f := range failures {
		pf := PushFailure{Kind: f.Kind, Target: f.TargetKey, State: f.State, Attempts: f.Attempts,
			Reason: OneLine(scrub.Scrub(deref(f.LastError)), reasonRunes), At: f.UpdatedAt.UTC()}
		if f.LastStatus != nil {
			pf.Status = *f.LastStatus
		}
		if f.IntentAt != nil {
			pf.At = f.IntentAt.UTC()
		}
		v.PushFailures = append(v.PushFailures, pf)
	}
	if v.Ledger, err = store.PushLedgerCounts(ctx, id); err != nil {
		return nil, err
	}
	if v.Links, err = store.IdentityLinkCounts(ctx, id); err != nil {
		return nil, err
	}
	return v, nil
}

// addQuarantine sets each job's quarantined record counts: a mirror table belongs to the pull
// job whose name prefixes it (rentengine_units: rentengine).
func addQuarantine(ctx context.Context, store *models.Store, tenant string, jobs []Job) error {
	counts, err := store.BadRecordCounts(ctx, tenant)
	if err != nil {
		return err
	}
	for _, c := range counts {
		for i := range jobs {
			j := &jobs[i]
			if j.Tenant == c.TenantID && strings.HasPrefix(c.Table, j.Job+"_") {
				if j.Quarantined == nil {
					j.Quarantined = map[string]int64{}
				}
				j.Quarantined[c.Table] = c.Count
			}
		}
	}
	return nil
}

// Credentials lists the credentials of the config's tenants (only's, when set), one per rate
// budget: tenants that share a key share a row. rates are the live leases (Store.CredentialRates),
// which fill the effective rate; nil leaves it unknown.
func Credentials(cfg *tenants.Config, rates []models.CredentialRate, only string) []Credential {
	byKey := map[string]*Credential{}
	var order []string
	add := func(tenant, key, name, api, base, source string, rate *tenants.RateLimit) {
		c := byKey[key]
		if c == nil {
			c = &Credential{Key: key, Name: name, API: api, BaseURL: base, Source: source}
			if rate != nil {
				c.Configured = *rate
				if rate.Requests > 0 && rate.Per > 0 {
					c.ConfiguredPerSecond = float64(rate.Requests) / rate.Per.Seconds()
				}
			}
			byKey[key] = c
			order = append(order, key)
		}
		c.Tenants = append(c.Tenants, tenant)
	}
	for i := range cfg.Tenants {
		t := &cfg.Tenants[i]
		if only != "" && t.ID != only {
			continue
		}
		if re := t.RentEngine; re != nil {
			add(t.ID, re.Key(), re.Credential, string(tenants.JobRentEngine), re.BaseURL, source(re.TokenEnv, re.TokenFile), re.RateLimit)
		}
		if f := t.Funnel; f != nil {
			add(t.ID, f.Key(), f.Credential, string(tenants.JobFunnel), f.BaseURL, source(f.APIKeyEnv, f.APIKeyFile), f.RateLimit)
		}
		if f := t.FunnelFlux; f != nil {
			add(t.ID, f.Key(t.ID), "", string(tenants.JobFunnelFlux), f.BaseURL, source(f.AccessTokenEnv, f.AccessTokenFile), f.RateLimit)
		}
	}
	for _, r := range rates {
		if c := byKey[r.Bucket]; c != nil {
			eff := r.Effective
			c.EffectiveRate, c.Processes = &eff, r.Lessees
		}
	}
	out := make([]Credential, 0, len(order))
	for _, k := range order {
		c := *byKey[k]
		slices.Sort(c.Tenants)
		out = append(out, c)
	}
	slices.SortStableFunc(out, func(a, b Credential) int {
		return cmp.Or(cmp.Compare(a.API, b.API), cmp.Compare(a.Label(), b.Label()))
	})
	return out
}

// source says where a secret comes from.
func source(env, file string) string {
	if env != "" {
		return "env " + env
	}
	return "file " + file
}

// secretText shows a secret setting: "set (env NAME)", or "not resolved (env NAME)" for a
// disabled tenant, whose secrets are not read.
func secretText(s tenants.Secret, env, file string) string {
	if s.IsZero() {
		return "not resolved (" + source(env, file) + ")"
	}
	return "set (" + source(env, file) + ")"
}

// ConfigLines lists a tenant's resolved config, key by key, as the status page shows it.
// Secrets appear only as secretText.
func ConfigLines(t *tenants.Tenant) []ConfigLine {
	var out []ConfigLine
	add := func(k, v string) { out = append(out, ConfigLine{k, v}) }
	add("id", t.ID)
	if t.Name != "" {
		add("name", t.Name)
	}
	add("enabled", fmt.Sprint(t.IsEnabled()))
	if t.Location != nil {
		add("timezone", t.Location.String())
	}
	add("run_timeout", t.RunTimeout.String())
	if t.MaxJitter > 0 {
		add("max_jitter", t.MaxJitter.String())
	} else {
		add("max_jitter", "none")
	}
	add("max_delete_fraction", fmt.Sprint(t.MaxDeleteFraction))
	add("min_delete_guard", fmt.Sprint(t.MinDeleteGuard))
	add("max_pages", fmt.Sprint(t.MaxPages))
	for _, job := range tenants.AllJobs {
		spec := t.Schedules.Get(job)
		if spec == "" {
			spec = "none"
		}
		add("schedules."+string(job), spec)
	}
	if re := t.RentEngine; re != nil {
		add("rentengine.base_url", re.BaseURL)
		add("rentengine.token", secretText(re.Token, re.TokenEnv, re.TokenFile))
		if re.AccountID != "" {
			add("rentengine.account_id", re.AccountID)
		}
		if re.RateLimit != nil {
			add("rentengine.rate_limit", RateText(*re.RateLimit))
		}
		if wh := re.Webhook; wh != nil {
			add("rentengine.webhook.api_key", secretText(wh.APIKey, wh.APIKeyEnv, wh.APIKeyFile))
			add("rentengine.webhook.header", wh.Header)
		}
	}
	if f := t.Funnel; f != nil {
		add("funnel.base_url", f.BaseURL)
		add("funnel.api_key", secretText(f.APIKey, f.APIKeyEnv, f.APIKeyFile))
		add("funnel.auth", f.Auth)
		if f.CompanyID != 0 {
			add("funnel.company_id", fmt.Sprint(f.CompanyID))
		}
		add("funnel.communities", strings.Join(f.Communities, ", "))
		if f.RateLimit != nil {
			add("funnel.rate_limit", RateText(*f.RateLimit))
		}
	}
	if p := t.Push; p != nil {
		add("push.dry_run", fmt.Sprint(p.DryRun))
		add("push.max_changes", p.MaxChanges)
		onOff := func(b *bool) string {
			if b != nil && *b {
				return "enabled"
			}
			return "disabled"
		}
		cs := p.CustomerScores.Resolved()
		add("push.customer_scores", fmt.Sprintf("%s; targets %s; score_name %q; maximum_score %d",
			onOff(cs.Enabled), cs.Targets, cs.ScoreName, cs.MaximumScore))
		if b, err := yaml.Marshal(cs.Stages); err == nil {
			add("push.customer_scores.stages", strings.TrimRight(string(b), "\n"))
		}
		as := p.Assignments.Resolved()
		add("push.assignments", fmt.Sprintf("%s; apply_in_bulk %v; notes %q", onOff(as.Enabled), as.ApplyInBulk, as.Notes))
		rs := p.RenewalStatus.Resolved()
		add("push.renewal_status", fmt.Sprintf("%s; cards for %s", onOff(rs.Enabled), strings.Join(slices.Sorted(maps.Keys(rs.Templates)), ", ")))
	}
	if len(t.Agents) > 0 {
		add("agents", fmt.Sprintf("%d Funnel agents mapped to RentEngine users", len(t.Agents)))
	}
	return out
}
