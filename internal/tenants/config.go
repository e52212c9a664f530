// Package tenants loads, validates and resolves the syncd configuration file: global settings and
// the list of tenants (property-management companies) with their upstream credentials and schedules.
//
// The YAML is decoded strictly: an unknown key is an error naming the tenant and the key path.
// Secrets are never read from the YAML itself, only from environment variables or files that the
// YAML names; resolved secrets are held in Secret values that never print.
//
// This package is the one place defaults are resolved, the push job's included (score stages,
// maximum score, score name and renewal cards: see CustomerScores.Resolved and
// RenewalStatus.Resolved), and the one place the functions renewal card templates may call are
// defined (TemplateFuncs). It also names the jobs (Job). It imports no client package: what it
// needs of the upstream contracts lives in internal/contract.
package tenants

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"
)

// Job names a job. A tenant has one schedule per job; each job run is one row in sync_runs, whose
// job column holds the name (as do lock keys, schedule claims and metric labels).
type Job string

// The jobs. AllJobs lists them; internal/sync holds the one table of what runs each.
const (
	JobRentEngine Job = "rentengine" // pull units, prospects, leasing events
	JobFunnel     Job = "funnel"     // pull communities, prospects, renewals, appointments
	JobPush       Job = "push"       // compute and push diffs back to the upstreams
	JobFunnelFlux Job = "funnelflux" // pull funnels, funnel groups, traffic sources, daily stats
)

// AllJobs lists every job, in the order schedules, status and validation go through them.
var AllJobs = []Job{JobRentEngine, JobFunnel, JobFunnelFlux, JobPush}

// Known reports whether j is one of AllJobs.
func (j Job) Known() bool { return slices.Contains(AllJobs, j) }

// Jobs lists the jobs the tenant can run, given its config: a pull per upstream block, and the
// push when it has a push: block, RentEngine and something to push to (Funnel, or FunnelFlux for
// lease conversions).
func (t *Tenant) Jobs() []Job {
	var jobs []Job
	if t.RentEngine != nil {
		jobs = append(jobs, JobRentEngine)
	}
	if t.Funnel != nil {
		jobs = append(jobs, JobFunnel)
	}
	if t.FunnelFlux != nil {
		jobs = append(jobs, JobFunnelFlux)
	}
	// The push last: `syncd sync` runs these in order, pulls first.
	if t.RentEngine != nil && (t.Funnel != nil || t.FunnelFlux != nil) && t.Push != nil {
		jobs = append(jobs, JobPush)
	}
	return jobs
}

// Config is the whole configuration file after defaults are applied and secrets resolved.
// Load and Parse return it only when valid; after them every defaulted field below holds its
// effective value, so consumers never apply defaults themselves.
type Config struct {
	// Database is the mirror store.
	Database Database `yaml:"database"`
	// Listen is the HTTP address for /metrics, /healthz, /readyz and the status page ("" disables
	// the server).
	Listen string `yaml:"listen"`
	// StatusPage configures the status page served on Listen.
	StatusPage StatusPage `yaml:"status_page"`
	Log        Log        `yaml:"log"`
	// Limits are process-wide.
	Limits Limits `yaml:"limits"`
	// Defaults apply to every tenant that does not set the value itself.
	Defaults Defaults `yaml:"defaults"`
	// History configures the mirror's change history (record_changes).
	History History `yaml:"history"`
	// Credentials are upstream credentials declared once and referenced by tenants by name
	// (rentengine.credential, funnel.credential): a key that several tenants share, with the
	// rate limit that belongs to it. See Credential.
	Credentials []Credential `yaml:"credentials"`
	// Tenants must be present in the file; an empty list is allowed.
	Tenants []Tenant `yaml:"tenants"`

	// Warnings are settings that are valid but probably not what was meant (a score stage that
	// is no known RentEngine type, for example). They never stop a load; `syncd validate` and
	// every command that loads the file print them.
	Warnings []Problem `yaml:"-"`
}

// Tenant returns the tenant with the given id, or nil.
func (c *Config) Tenant(id string) *Tenant {
	for i := range c.Tenants {
		if c.Tenants[i].ID == id {
			return &c.Tenants[i]
		}
	}
	return nil
}

// Database locates the mirror. URL is either "postgres://user@host:port/db?sslmode=..." (or
// postgresql://) or "sqlite:PATH" ("sqlite::memory:" for a throwaway database). A password never
// appears in the YAML: use PasswordEnv/PasswordFile, or put the whole URL in an environment
// variable or file (URLEnv/URLFile). At most one of URL, URLEnv and URLFile is set; with none the
// default is DefaultDatabaseURL ("sqlite:syncd.db").
type Database struct {
	URL     string `yaml:"url"`
	URLEnv  string `yaml:"url_env"`
	URLFile string `yaml:"url_file"`
	// PasswordEnv or PasswordFile (at most one; postgres only) supplies the password for the
	// URL's user name.
	PasswordEnv  string `yaml:"password_env"`
	PasswordFile string `yaml:"password_file"`
	// MaxOpenConns caps the connection pool (0 = default 10; SQLite always uses 1 writer).
	MaxOpenConns int `yaml:"max_open_conns"`

	// DSN is the resolved connection string, password included. Never log it.
	DSN Secret `yaml:"-"`
}

// Database drivers, as returned by Database.Driver.
const (
	DriverPostgres = "postgres"
	DriverSQLite   = "sqlite"
)

// Driver returns DriverPostgres or DriverSQLite for the resolved DSN ("" before Parse).
func (d Database) Driver() string {
	dsn := d.DSN.Reveal()
	switch {
	case strings.HasPrefix(dsn, "sqlite:"):
		return DriverSQLite
	case strings.HasPrefix(dsn, "postgres://"), strings.HasPrefix(dsn, "postgresql://"):
		return DriverPostgres
	}
	return ""
}

// SQLitePath returns the file path of a sqlite: DSN (":memory:" for an in-memory database), or ""
// for other drivers.
func (d Database) SQLitePath() string {
	if d.Driver() != DriverSQLite {
		return ""
	}
	return strings.TrimPrefix(d.DSN.Reveal(), "sqlite:")
}

// Log selects the zap logger's level (debug, info, warn, error; default info) and format (json or
// console; default json).
type Log struct {
	Level  string `yaml:"level"`
	Format string `yaml:"format"`
}

// Limits are process-wide caps.
type Limits struct {
	// MaxConcurrentJobs caps how many tenant jobs run at once in this process (0 = default 16),
	// so a thousand tenants do not open a thousand connections.
	MaxConcurrentJobs int `yaml:"max_concurrent_jobs"`
	// ShutdownTimeout bounds how long a stop waits for running jobs (0 = default 25s).
	ShutdownTimeout time.Duration `yaml:"shutdown_timeout"`
}

// History configures the change history of the mirror, record_changes. It is one setting for
// the whole database rather than per tenant: one job prunes the table, and it must go on pruning
// the history of tenants removed from the file.
type History struct {
	// Keep is how long a change is kept, in whole days ("400d"; default DefaultHistoryKeep, at
	// least 1d, at most MaxHistoryKeep). The daemon's daily retention job deletes older changes.
	// After Parse it is set.
	Keep Days `yaml:"keep"`
}

// Days is a whole number of days, written "400d" in the file.
type Days int

// Duration is d days of 24 hours.
func (d Days) Duration() time.Duration { return time.Duration(d) * 24 * time.Hour }

func (d Days) String() string { return strconv.Itoa(int(d)) + "d" }

// parseDays reads "400d".
func parseDays(s string) (Days, bool) {
	n, ok := strings.CutSuffix(s, "d")
	if !ok || n == "" || strings.TrimLeft(n, "0123456789") != "" || len(n) > 9 {
		return 0, false
	}
	v, err := strconv.Atoi(n)
	return Days(v), err == nil
}

// UnmarshalYAML reads "400d".
func (d *Days) UnmarshalYAML(n *yaml.Node) error {
	v, ok := parseDays(n.Value)
	if n.Kind != yaml.ScalarNode || !ok {
		return fmt.Errorf("expected whole days such as \"400d\", got %q", n.Value)
	}
	*d = v
	return nil
}

// Defaults are applied to tenants that leave a value unset.
type Defaults struct {
	// Timezone is an IANA name (default "UTC"): local-time schedules skip runs in the DST
	// spring-forward hour, so pick one deliberately.
	Timezone string `yaml:"timezone"`
	// RunTimeout bounds one job run (0 = default 30m).
	RunTimeout time.Duration `yaml:"run_timeout"`
	// MaxJitter is the upper bound of the deterministic per-tenant start delay (0 = default 30s;
	// negative disables jitter).
	MaxJitter time.Duration `yaml:"max_jitter"`
	// MaxDeleteFraction, MinDeleteGuard and MaxPages bound what one pull pass may do; tenants
	// inherit them (see Tenant). Left out: DefaultMaxDeleteFraction, DefaultMinDeleteGuard,
	// DefaultMaxPages.
	MaxDeleteFraction float64 `yaml:"max_delete_fraction"`
	MinDeleteGuard    int     `yaml:"min_delete_guard"`
	MaxPages          int     `yaml:"max_pages"`
	// Schedules per job; a job left out falls back to the built-in schedule (rentengine
	// "@every 15m", funnel "@every 30m", push none, funnelflux "@hourly"), one written as ""
	// has no default.
	Schedules Schedules `yaml:"schedules"`
	// RentEngine defaults to DefaultRentEngineBaseURL and 20 requests per 5s, burst 1.
	RentEngine UpstreamDefaults `yaml:"rentengine"`
	// Funnel defaults to DefaultFunnelBaseURL and 5 requests per 1s, burst 1.
	Funnel UpstreamDefaults `yaml:"funnel"`
	// FunnelFlux defaults to DefaultFunnelFluxBaseURL and 1 request per 1s, burst 1.
	FunnelFlux UpstreamDefaults `yaml:"funnelflux"`
}

// UpstreamDefaults are per-API defaults. After Parse both fields are set.
type UpstreamDefaults struct {
	BaseURL string `yaml:"base_url"`
	// RateLimit keys left out fall back to the built-in limit key by key.
	RateLimit *RateLimit `yaml:"rate_limit"`
}

// Tenant is one property-management company.
type Tenant struct {
	// ID is a slug stored in every mirror row ([a-z0-9][a-z0-9_-]*, at most 63 characters).
	ID string `yaml:"id"`
	// Name is a display name, optional.
	Name string `yaml:"name"`
	// Timezone is an IANA name for the tenant's schedules (default Defaults.Timezone).
	Timezone string `yaml:"timezone"`
	// Enabled defaults to true; a disabled tenant is validated but never scheduled.
	Enabled *bool `yaml:"enabled"`
	// RunTimeout overrides Defaults.RunTimeout.
	RunTimeout time.Duration `yaml:"run_timeout"`
	// MaxJitter overrides Defaults.MaxJitter (0 = inherit; negative disables jitter, so after
	// Parse a value <= 0 means no jitter).
	MaxJitter time.Duration `yaml:"max_jitter"`

	// MaxDeleteFraction is the mass-delete guard: a complete pull pass that would tombstone more
	// than this fraction of a resource's live rows, and more than MinDeleteGuard rows,
	// tombstones none of them and the run is recorded as held (0 < f <= 1; default
	// Defaults.MaxDeleteFraction). A pass that deletes at most MinDeleteGuard rows is never
	// held, so small tables keep working. Webhook deletions are explicit and never guarded.
	// After Parse both are set; on a Tenant built by hand, 0 means the built-in default.
	MaxDeleteFraction float64 `yaml:"max_delete_fraction"`
	MinDeleteGuard    int     `yaml:"min_delete_guard"`
	// MaxPages caps the pages of one pass over one resource: an upstream that keeps inventing
	// full pages fails the pass there, and a failed pass tombstones nothing (default
	// Defaults.MaxPages; 0 on a Tenant built by hand means the built-in default).
	MaxPages int `yaml:"max_pages"`

	// RentEngine and Funnel are nil when the tenant does not use that upstream; at least one is set.
	RentEngine *RentEngine `yaml:"rentengine"`
	Funnel     *Funnel     `yaml:"funnel"`
	// FunnelFlux is nil when the tenant does not use FunnelFlux Pro (ad-funnel reporting, lease
	// conversions back). It is optional and never enough on its own.
	FunnelFlux *FunnelFlux `yaml:"funnelflux"`
	// Push configures the push job; without it the tenant never pushes.
	Push *Push `yaml:"push"`
	// Agents maps a Funnel agent's e-mail (any case) to the RentEngine user UUID that
	// "Assign to User" should name. An agent missing here is reported, never guessed.
	Agents map[string]string `yaml:"agents"`
	// Schedules per job: the tenant's own, else Defaults.Schedules. After Parse a job whose
	// upstream block is missing has no schedule (push needs both blocks), and a schedule
	// written as "" stays empty, turning that job's schedule off for this tenant.
	Schedules Schedules `yaml:"schedules"`

	// Location is Timezone resolved (UTC when unset).
	Location *time.Location `yaml:"-"`
}

// IsEnabled reports whether the tenant should be scheduled.
func (t *Tenant) IsEnabled() bool { return t.Enabled == nil || *t.Enabled }

// Schedules holds one cron expression per job: 5 fields ("*/15 * * * *") or a descriptor
// ("@every 15m", "@hourly"). Expressions are evaluated in the tenant's timezone (UTC by default).
// An empty schedule means the job is not scheduled (it can still be run with `syncd sync`).
type Schedules struct {
	RentEngine string `yaml:"rentengine"`
	Funnel     string `yaml:"funnel"`
	Push       string `yaml:"push"`
	FunnelFlux string `yaml:"funnelflux"`
}

// Get returns the schedule of a job.
func (s Schedules) Get(job Job) string {
	switch job {
	case JobRentEngine:
		return s.RentEngine
	case JobFunnel:
		return s.Funnel
	case JobPush:
		return s.Push
	case JobFunnelFlux:
		return s.FunnelFlux
	}
	return ""
}

// RateLimit is a token bucket: Requests per Per, with Burst. Keys left out inherit from the
// defaults: block, then the built-in limit. Burst written as 0 means "equal to Requests"; after
// Parse all four fields are positive.
//
// The limit belongs to the credential, not the tenant: every tenant and process using one key
// shares it (see Credential). MinFraction is how far a run of 429s may lower the effective rate,
// as a fraction of the configured one (0 < f <= 1; default DefaultMinFraction).
type RateLimit struct {
	Requests    int           `yaml:"requests"`
	Per         time.Duration `yaml:"per"`
	Burst       int           `yaml:"burst"`
	MinFraction float64       `yaml:"min_fraction"`
}

// String is "5 per 1s, burst 1, min_fraction 0.1".
func (r RateLimit) String() string {
	return fmt.Sprintf("%d per %s, burst %d, min_fraction %g", r.Requests, r.Per, r.Burst, r.MinFraction)
}

// RentEngine is a tenant's RentEngine Public API access.
type RentEngine struct {
	// BaseURL defaults to Defaults.RentEngine.BaseURL; after Parse it has no trailing slash.
	BaseURL string `yaml:"base_url"`
	// Exactly one of TokenEnv (a variable name) and TokenFile (a path) names the bearer token.
	TokenEnv  string `yaml:"token_env"`
	TokenFile string `yaml:"token_file"`
	// Credential names an entry of credentials: (api rentengine) that supplies the base URL,
	// the token and the rate limit; with it, base_url, token_env, token_file and rate_limit are
	// not set here.
	Credential string `yaml:"credential"`
	// AccountID optionally restricts pulls to one account (a token can span several).
	AccountID string `yaml:"account_id"`
	// RateLimit is never nil after Parse.
	RateLimit *RateLimit `yaml:"rate_limit"`
	// CredentialLabel names the credential in status and metrics: its name under credentials:,
	// else the ids of the tenants that use the key, sorted and joined by ",". Set by Parse.
	CredentialLabel string `yaml:"-"`

	// Webhook enables the receiver for RentEngine's change webhooks (nil = off).
	Webhook *RentEngineWebhook `yaml:"webhook"`

	// Token is the resolved bearer token (zero for a disabled tenant: its secrets are not read).
	Token Secret `yaml:"-"`
}

// RentEngineWebhook configures POST /webhooks/rentengine/{tenant}: RentEngine sends the API key
// configured in its portal in a header, which syncd compares in constant time.
type RentEngineWebhook struct {
	APIKeyEnv  string `yaml:"api_key_env"`
	APIKeyFile string `yaml:"api_key_file"`
	// Header carries the key (default X-API-Key, as integrators report RentEngine sends it).
	Header string `yaml:"header"`

	// APIKey is the resolved key.
	APIKey Secret `yaml:"-"`
}

// Funnel is a tenant's Funnel Partner API access.
type Funnel struct {
	// BaseURL defaults to Defaults.Funnel.BaseURL; after Parse it has no trailing slash.
	BaseURL string `yaml:"base_url"`
	// Exactly one of APIKeyEnv (a variable name) and APIKeyFile (a path) names the API key,
	// unless Credential names an entry of credentials: (api funnel), which then supplies the base
	// URL, the key and the rate limit.
	APIKeyEnv  string `yaml:"api_key_env"`
	APIKeyFile string `yaml:"api_key_file"`
	Credential string `yaml:"credential"`
	// Auth is how the key is sent: "basic" (the key as user name with an empty password, default)
	// or "bearer". There is no password setting: Funnel rejects a non-empty one, and a key with a
	// ':' is a problem under basic, since the rest of it would be read as the password.
	Auth string `yaml:"auth"`
	// CompanyID is the Funnel company id used for customer scores (0 = none).
	CompanyID int64 `yaml:"company_id"`
	// Communities are community ids in any documented form: "1234", "P1234-567", "partner-id:abc".
	// At least one; no empty or repeated entries.
	Communities []string `yaml:"communities"`
	// RateLimit is never nil after Parse.
	RateLimit *RateLimit `yaml:"rate_limit"`
	// CredentialLabel: see RentEngine.CredentialLabel.
	CredentialLabel string `yaml:"-"`

	// APIKey is the resolved key (zero for a disabled tenant: its secrets are not read).
	APIKey Secret `yaml:"-"`
}

// FunnelFlux is a tenant's FunnelFlux Pro API access. The access token expires after 72 hours
// and is refreshed with the refresh token, in memory only: neither is ever written to the
// database. A refresh that fails needs a person to issue new tokens in FunnelFlux (Settings > API
// Access) and put them where the *_env or *_file keys point.
type FunnelFlux struct {
	// BaseURL defaults to Defaults.FunnelFlux.BaseURL; after Parse it has no trailing slash.
	BaseURL string `yaml:"base_url"`
	// Exactly one of AccessTokenEnv and AccessTokenFile names the access token, and exactly one
	// of RefreshTokenEnv and RefreshTokenFile the refresh token.
	AccessTokenEnv   string `yaml:"access_token_env"`
	AccessTokenFile  string `yaml:"access_token_file"`
	RefreshTokenEnv  string `yaml:"refresh_token_env"`
	RefreshTokenFile string `yaml:"refresh_token_file"`
	// ReportDays is how many days, today included (in the tenant's timezone), each pull re-reads
	// the daily report for: costs and late conversions change past days (1 to
	// FunnelFluxMaxReportDays; default DefaultFunnelFluxReportDays, 7). After Parse it is set.
	ReportDays int `yaml:"report_days"`
	// RateLimit is never nil after Parse.
	RateLimit *RateLimit `yaml:"rate_limit"`

	// AccessToken and RefreshToken are the resolved tokens (zero for a disabled tenant).
	AccessToken  Secret `yaml:"-"`
	RefreshToken Secret `yaml:"-"`
}
