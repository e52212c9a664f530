package tenants

import (
	"cmp"
	"errors"
	"fmt"
	"io/fs"
	"net"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/syncd-dev/syncd/internal/contract"

	// Embedded zone data: the production image is distroless-style and may carry no zoneinfo,
	// and a tenant's timezone must load the same everywhere.
	_ "time/tzdata"
)

var (
	tenantIDPattern = regexp.MustCompile(`^[a-z0-9][a-z0-9_-]{0,62}$`)
	// envNamePattern catches a credential pasted where its variable's name belongs, so that the
	// "is unset" message does not echo the credential.
	envNamePattern = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)
)

// scope reports problems and looks up written keys either globally (tenant < 0; fields are full
// paths) or for one tenant (fields are relative to it).
type scope struct {
	p      *parser
	tenant int
}

func (s scope) has(field string) bool {
	if s.tenant < 0 {
		return s.p.has(field)
	}
	return s.p.has(tenantPath(s.tenant, field))
}

func (s scope) problem(field, format string, args ...any) {
	if s.tenant < 0 {
		s.p.global(field, format, args...)
		return
	}
	s.p.tenant(s.tenant, field, format, args...)
}

// warn records a warning about a field of the tenant (see Config.Warnings).
func (s scope) warn(field, format string, args ...any) {
	label, path := "", field
	if s.tenant >= 0 {
		label, path = s.p.label(s.tenant), tenantPath(s.tenant, field)
	}
	s.p.warnings = append(s.p.warnings, Problem{Tenant: label, Field: field, Line: s.p.line(path),
		Message: fmt.Sprintf(format, args...)})
}

// resolve applies defaults, validates and resolves secrets, recording every problem.
func (p *parser) resolve(c *Config) {
	global := scope{p: p, tenant: -1}
	global.database(&c.Database)
	global.listen(c.Listen)
	global.statusPage(&c.StatusPage, c.Listen)
	global.log(&c.Log)
	global.limits(&c.Limits)
	defLoc, reRate, fuRate, ffRate := global.defaults(&c.Defaults)
	global.history(&c.History)
	creds := global.credentials(c.Credentials, &c.Defaults, reRate, fuRate)

	firstByID := map[string]int{}
	for i := range c.Tenants {
		if p.broken[i] {
			continue
		}
		scope{p: p, tenant: i}.tenantConfig(&c.Tenants[i], &c.Defaults, defLoc, reRate, fuRate, ffRate, firstByID, creds)
	}
	p.sharedKeys(c)
}

// pullBounds checks the pull guards written under prefix ("defaults." or "" for a tenant) and
// returns the effective values: each written one, else its inherited value. Zero is not a way to
// ask for the default here: a written 0 is an error like any other out-of-range value.
func (s scope) pullBounds(prefix string, frac float64, minGuard, pages int,
	inhFrac float64, inhMin, inhPages int) (float64, int, int) {
	if !s.has(prefix + "max_delete_fraction") {
		frac = inhFrac
	} else if !(frac > 0 && frac <= 1) {
		s.problem(prefix+"max_delete_fraction", "%v is out of range: a fraction greater than 0 and at most 1, such as 0.2 "+
			"(1 turns the mass-delete guard off)", frac)
		frac = inhFrac
	}
	if !s.has(prefix + "min_delete_guard") {
		minGuard = inhMin
	} else if minGuard < 1 {
		s.problem(prefix+"min_delete_guard", "must be 1 or more (default %d)", DefaultMinDeleteGuard)
		minGuard = inhMin
	}
	if !s.has(prefix + "max_pages") {
		pages = inhPages
	} else if pages < 1 {
		s.problem(prefix+"max_pages", "must be 1 or more (default %d)", DefaultMaxPages)
		pages = inhPages
	}
	return frac, minGuard, pages
}

func (s scope) listen(addr string) {
	if addr == "" {
		return
	}
	_, port, err := net.SplitHostPort(addr)
	if n, perr := strconv.Atoi(port); err != nil || perr != nil || n < 0 || n > 65535 {
		s.problem("listen", "%q is not a host:port address such as \":9090\" or \"127.0.0.1:9090\"", addr)
	}
}

func (s scope) log(l *Log) {
	l.Level = cmp.Or(l.Level, DefaultLogLevel)
	l.Format = cmp.Or(l.Format, DefaultLogFormat)
	switch l.Level {
	case "debug", "info", "warn", "error":
	default:
		s.problem("log.level", "%q is not a level; use debug, info, warn or error", l.Level)
	}
	switch l.Format {
	case "json", "console":
	default:
		s.problem("log.format", "%q is not a format; use json or console", l.Format)
	}
}

func (s scope) limits(l *Limits) {
	if l.MaxConcurrentJobs < 0 {
		s.problem("limits.max_concurrent_jobs", "must be 0 (the default, %d) or more", DefaultMaxConcurrentJobs)
	}
	if l.ShutdownTimeout < 0 {
		s.problem("limits.shutdown_timeout", "must not be negative (0 means the default, %s)", DefaultShutdownTimeout)
	}
	l.MaxConcurrentJobs = cmp.Or(l.MaxConcurrentJobs, DefaultMaxConcurrentJobs)
	l.ShutdownTimeout = cmp.Or(l.ShutdownTimeout, DefaultShutdownTimeout)
}

func (s scope) history(h *History) {
	switch {
	case !s.has("history.keep"):
		h.Keep = DefaultHistoryKeep
	case h.Keep < 1 || h.Keep > MaxHistoryKeep:
		s.problem("history.keep", "%s is out of range: at least 1d and at most %s (default %s)", h.Keep, MaxHistoryKeep, DefaultHistoryKeep)
		h.Keep = DefaultHistoryKeep
	}
}

// defaults fills the defaults: block from the built-in constants and returns what tenants
// inherit: the default location and the per-API rate limits before burst resolution.
func (s scope) defaults(d *Defaults) (loc *time.Location, reRate, fuRate, ffRate RateLimit) {
	d.Timezone = cmp.Or(d.Timezone, DefaultTimezone)
	loc, err := loadLocation(d.Timezone)
	if err != nil {
		s.problem("defaults.timezone", "%v", err)
		loc = time.UTC // keeps tenants validating; the config is rejected anyway
	}
	if d.RunTimeout < 0 {
		s.problem("defaults.run_timeout", "must not be negative (0 means the default, %s)", DefaultRunTimeout)
	}
	d.RunTimeout = cmp.Or(d.RunTimeout, DefaultRunTimeout)
	d.MaxJitter = cmp.Or(d.MaxJitter, DefaultMaxJitter)
	d.MaxDeleteFraction, d.MinDeleteGuard, d.MaxPages = s.pullBounds("defaults.",
		d.MaxDeleteFraction, d.MinDeleteGuard, d.MaxPages,
		DefaultMaxDeleteFraction, DefaultMinDeleteGuard, DefaultMaxPages)

	builtin := Schedules{RentEngine: DefaultRentEngineSchedule, Funnel: DefaultFunnelSchedule, Push: DefaultPushSchedule,
		FunnelFlux: DefaultFunnelFluxSchedule}
	for _, job := range AllJobs {
		field := "defaults.schedules." + string(job)
		if !s.has(field) {
			d.Schedules.set(job, builtin.Get(job))
			continue
		}
		spec := strings.TrimSpace(d.Schedules.Get(job))
		d.Schedules.set(job, spec)
		if spec == "" {
			continue // written as "": no default schedule for this job
		}
		if _, err := ParseSchedule(spec, loc); err != nil {
			s.problem(field, "%v", err)
		}
	}

	d.RentEngine.BaseURL = s.baseURL("defaults.rentengine.base_url", d.RentEngine.BaseURL, DefaultRentEngineBaseURL)
	reRate = s.mergeRate(RateLimit{
		Requests: DefaultRentEngineRateRequests, Per: DefaultRentEngineRatePer, Burst: DefaultRentEngineRateBurst,
	}, d.RentEngine.RateLimit, "defaults.rentengine.rate_limit")
	d.RentEngine.RateLimit = finalRate(reRate)

	d.Funnel.BaseURL = s.baseURL("defaults.funnel.base_url", d.Funnel.BaseURL, DefaultFunnelBaseURL)
	fuRate = s.mergeRate(RateLimit{
		Requests: DefaultFunnelRateRequests, Per: DefaultFunnelRatePer, Burst: DefaultFunnelRateBurst,
	}, d.Funnel.RateLimit, "defaults.funnel.rate_limit")
	d.Funnel.RateLimit = finalRate(fuRate)

	d.FunnelFlux.BaseURL = s.baseURL("defaults.funnelflux.base_url", d.FunnelFlux.BaseURL, DefaultFunnelFluxBaseURL)
	ffRate = s.mergeRate(RateLimit{
		Requests: DefaultFunnelFluxRateRequests, Per: DefaultFunnelFluxRatePer, Burst: DefaultFunnelFluxRateBurst,
	}, d.FunnelFlux.RateLimit, "defaults.funnelflux.rate_limit")
	d.FunnelFlux.RateLimit = finalRate(ffRate)
	return loc, reRate, fuRate, ffRate
}

func (s scope) tenantConfig(t *Tenant, d *Defaults, defLoc *time.Location, reRate, fuRate, ffRate RateLimit, firstByID map[string]int,
	creds map[string]*Credential) {
	switch {
	case t.ID == "":
		s.problem("id", `required: a short slug such as "acme", stored in every mirror row`)
	case !tenantIDPattern.MatchString(t.ID):
		s.problem("id", "%q is not a valid tenant id: use 1 to 63 lowercase letters, digits, '-' or '_', starting with a letter or digit", t.ID)
	default:
		if j, dup := firstByID[t.ID]; dup {
			s.problem("id", "duplicate tenant id; it is first used at line %d", s.p.line(tenantPath(j, "id")))
		} else {
			firstByID[t.ID] = s.tenant
		}
	}

	if t.Timezone == "" {
		t.Timezone, t.Location = d.Timezone, defLoc
	} else {
		loc, err := loadLocation(t.Timezone)
		if err != nil {
			s.problem("timezone", "%v", err)
			loc = time.UTC
		}
		t.Location = loc
	}
	if t.Enabled == nil {
		enabled := true
		t.Enabled = &enabled
	}
	if t.RunTimeout < 0 {
		s.problem("run_timeout", "must not be negative (0 means defaults.run_timeout)")
	}
	t.RunTimeout = cmp.Or(t.RunTimeout, d.RunTimeout)
	t.MaxJitter = cmp.Or(t.MaxJitter, d.MaxJitter)
	t.MaxDeleteFraction, t.MinDeleteGuard, t.MaxPages = s.pullBounds("",
		t.MaxDeleteFraction, t.MinDeleteGuard, t.MaxPages,
		d.MaxDeleteFraction, d.MinDeleteGuard, d.MaxPages)

	if t.RentEngine == nil && t.Funnel == nil && t.FunnelFlux == nil {
		s.problem("", "no upstream configured: add a rentengine: or funnel: block")
	}
	if re := t.RentEngine; re != nil {
		if re.Credential != "" {
			if c := s.useCredential(creds, JobRentEngine, re.Credential, "token_env", re.TokenEnv, "token_file", re.TokenFile); c != nil {
				re.BaseURL, re.Token, re.CredentialLabel = c.BaseURL, c.Secret, c.Name
				rl := *c.RateLimit
				re.RateLimit = &rl
			}
		} else {
			re.BaseURL = s.baseURL("rentengine.base_url", re.BaseURL, d.RentEngine.BaseURL)
			re.RateLimit = finalRate(s.mergeRate(reRate, re.RateLimit, "rentengine.rate_limit"))
			if v, ok := s.secret(t.IsEnabled(), "rentengine", "token", "token_env", re.TokenEnv, "token_file", re.TokenFile); ok {
				re.Token = NewSecret(v)
			}
		}
		if wh := re.Webhook; wh != nil {
			wh.Header = strings.TrimSpace(cmp.Or(wh.Header, DefaultWebhookHeader))
			if !envNamePattern.MatchString(strings.ReplaceAll(wh.Header, "-", "_")) {
				s.problem("rentengine.webhook.header", "%q is not an HTTP header name", wh.Header)
			}
			if v, ok := s.secret(t.IsEnabled(), "rentengine.webhook", "webhook API key", "api_key_env", wh.APIKeyEnv, "api_key_file", wh.APIKeyFile); ok {
				wh.APIKey = NewSecret(v)
			}
		}
	}
	if f := t.Funnel; f != nil {
		s.funnel(f, d, fuRate, t.IsEnabled(), creds)
	}
	if ff := t.FunnelFlux; ff != nil {
		s.funnelFlux(ff, d, ffRate, t.IsEnabled())
		if t.RentEngine == nil && t.Funnel == nil {
			s.problem("funnelflux", "FunnelFlux is an addition to RentEngine or Funnel; add a rentengine: or funnel: block")
		}
	}
	s.push(t)
	s.schedules(t, d)
}

func (s scope) funnel(f *Funnel, d *Defaults, fuRate RateLimit, enabled bool, creds map[string]*Credential) {
	if f.Credential != "" {
		if c := s.useCredential(creds, JobFunnel, f.Credential, "api_key_env", f.APIKeyEnv, "api_key_file", f.APIKeyFile); c != nil {
			f.BaseURL, f.APIKey, f.CredentialLabel = c.BaseURL, c.Secret, c.Name
			rl := *c.RateLimit
			f.RateLimit = &rl
		}
	} else {
		f.BaseURL = s.baseURL("funnel.base_url", f.BaseURL, d.Funnel.BaseURL)
		f.RateLimit = finalRate(s.mergeRate(fuRate, f.RateLimit, "funnel.rate_limit"))
	}
	f.Auth = cmp.Or(f.Auth, DefaultFunnelAuth)
	if f.Auth != FunnelAuthBasic && f.Auth != FunnelAuthBearer {
		s.problem("funnel.auth", "%q is not supported; use basic or bearer", f.Auth)
	}
	if f.CompanyID < 0 {
		s.problem("funnel.company_id", "must not be negative")
	}
	if len(f.Communities) == 0 {
		s.problem("funnel.communities", "list at least one community id; syncd pulls Funnel data per community")
	}
	firstAt := map[string]int{}
	for k, id := range f.Communities {
		field := fmt.Sprintf("funnel.communities[%d]", k)
		id = strings.TrimSpace(id)
		f.Communities[k] = id
		if id == "" {
			s.problem(field, "empty community id")
			continue
		}
		if why := badText(id); why != "" {
			// %q shows the id escaped. Such an id would be sent in upstream URLs and stored as a
			// key; it is always a paste or templating accident.
			s.problem(field, "community id %q %s; remove it", id, why)
			continue
		}
		if first, dup := firstAt[id]; dup {
			s.problem(field, "community %q is listed twice (also at funnel.communities[%d])", id, first)
			continue
		}
		firstAt[id] = k
	}
	if f.Credential != "" {
		if f.Auth == FunnelAuthBasic && strings.Contains(f.APIKey.Reveal(), ":") {
			s.problem("funnel.auth", "the API key of credential %s contains ':', so it cannot be sent as a Basic user name; set funnel.auth: bearer", f.Credential)
		}
	} else if v, ok := s.secret(enabled, "funnel", "API key", "api_key_env", f.APIKeyEnv, "api_key_file", f.APIKeyFile); ok {
		f.APIKey = NewSecret(v)
		// A Basic user name cannot hold a colon (RFC 7617): the rest of the key would be read as
		// a password, which Funnel rejects. The message must not show the key.
		if f.Auth == FunnelAuthBasic && strings.Contains(v, ":") {
			field := "funnel.api_key_file"
			if f.APIKeyEnv != "" {
				field = "funnel.api_key_env"
			}
			s.problem(field, "the API key contains ':', so it cannot be sent as a Basic user name (the rest would be "+
				"read as a password, which Funnel rejects); set funnel.auth: bearer")
		}
	}
}

// funnelFlux checks a tenant's funnelflux: block and resolves its tokens.
func (s scope) funnelFlux(ff *FunnelFlux, d *Defaults, ffRate RateLimit, enabled bool) {
	ff.BaseURL = s.baseURL("funnelflux.base_url", ff.BaseURL, d.FunnelFlux.BaseURL)
	ff.RateLimit = finalRate(s.mergeRate(ffRate, ff.RateLimit, "funnelflux.rate_limit"))
	switch {
	case !s.has("funnelflux.report_days"):
		ff.ReportDays = DefaultFunnelFluxReportDays
	case ff.ReportDays < 1 || ff.ReportDays > contract.FunnelFluxMaxReportDays:
		s.problem("funnelflux.report_days", "%d is out of range: 1 to %d days, today included (default %d)",
			ff.ReportDays, contract.FunnelFluxMaxReportDays, DefaultFunnelFluxReportDays)
		ff.ReportDays = DefaultFunnelFluxReportDays
	}
	if v, ok := s.secret(enabled, "funnelflux", "access token", "access_token_env", ff.AccessTokenEnv, "access_token_file", ff.AccessTokenFile); ok {
		ff.AccessToken = NewSecret(v)
	}
	if v, ok := s.secret(enabled, "funnelflux", "refresh token", "refresh_token_env", ff.RefreshTokenEnv, "refresh_token_file", ff.RefreshTokenFile); ok {
		ff.RefreshToken = NewSecret(v)
	}
}

// schedules picks each job's schedule: the tenant's own, else defaults.schedules, else the
// built-in one. A job runs only when its upstream block exists, so inherited schedules are
// dropped silently while an explicit one for a missing block is an error. A schedule written as
// "" turns the job's schedule off for that tenant.
func (s scope) schedules(t *Tenant, d *Defaults) {
	configured := t.Jobs()
	for _, job := range AllJobs {
		field := "schedules." + string(job)
		explicit := s.has(field)
		spec := d.Schedules.Get(job)
		if explicit {
			spec = strings.TrimSpace(t.Schedules.Get(job))
		}
		if !slices.Contains(configured, job) {
			if explicit && spec != "" {
				if job == JobPush {
					s.problem(field, "set, but pushing needs a rentengine: block, a funnel: or funnelflux: block and a push: block")
				} else {
					s.problem(field, "set, but the tenant has no %s: block", job)
				}
			}
			t.Schedules.set(job, "")
			continue
		}
		// Inherited schedules were checked once, as defaults.schedules.
		if explicit && spec != "" {
			if _, err := ParseSchedule(spec, t.Location); err != nil {
				s.problem(field, "%v", err)
			}
		}
		t.Schedules.set(job, spec)
	}
}

func (sc *Schedules) set(job Job, spec string) {
	switch job {
	case JobRentEngine:
		sc.RentEngine = spec
	case JobFunnel:
		sc.Funnel = spec
	case JobPush:
		sc.Push = spec
	case JobFunnelFlux:
		sc.FunnelFlux = spec
	}
}

// mergeRate overlays the keys written under field onto base, key by key, so a tenant can raise
// requests alone. A burst written as 0 stays 0 here and means "equal to requests" once the
// effective requests are known (finalRate).
func (s scope) mergeRate(base RateLimit, r *RateLimit, field string) RateLimit {
	if r == nil {
		return base
	}
	if s.has(field + ".requests") {
		if r.Requests <= 0 {
			s.problem(field+".requests", "must be greater than 0")
		} else {
			base.Requests = r.Requests
		}
	}
	if s.has(field + ".per") {
		if r.Per <= 0 {
			s.problem(field+".per", `must be a positive duration such as "1s"`)
		} else {
			base.Per = r.Per
		}
	}
	if s.has(field + ".burst") {
		if r.Burst < 0 {
			s.problem(field+".burst", "must be 0 (as many as requests) or more")
		} else {
			base.Burst = r.Burst
		}
	}
	if s.has(field + ".min_fraction") {
		if !(r.MinFraction > 0 && r.MinFraction <= 1) {
			s.problem(field+".min_fraction", "%v is out of range: a fraction greater than 0 and at most 1 (default %g; 1 turns "+
				"slowing down on 429 off)", r.MinFraction, DefaultMinFraction)
		} else {
			base.MinFraction = r.MinFraction
		}
	}
	return base
}

func finalRate(r RateLimit) *RateLimit {
	if r.Burst == 0 {
		r.Burst = r.Requests
	}
	if r.MinFraction == 0 {
		r.MinFraction = DefaultMinFraction
	}
	return &r
}

// baseURL validates an upstream base URL and returns it without a trailing slash, or fallback
// when unset.
func (s scope) baseURL(field, v, fallback string) string {
	if v == "" {
		return fallback
	}
	u, err := url.Parse(v)
	switch {
	case err == nil && u.User != nil, strings.Contains(v, "@"):
		// Not echoed: it may hold a credential.
		s.problem(field, "must not contain a user name or password; credentials come from the *_env or *_file keys")
	case err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "":
		s.problem(field, "%q is not an absolute http(s) URL such as %q", v, fallback)
	}
	return strings.TrimRight(v, "/")
}

// secret resolves a credential from exactly one of an environment variable or a file.
//
// For a disabled tenant (resolve false) only the keys are checked: disabling a tenant is how an
// operator parks one whose credentials are revoked or not issued yet, and that must not stop the
// daemon from starting.
func (s scope) secret(resolve bool, block, what, envKey, env, fileKey, file string) (string, bool) {
	switch {
	case env != "" && file != "":
		s.problem(block, "both %s and %s are set; keep exactly one", envKey, fileKey)
		return "", false
	case env == "" && file == "":
		s.problem(block, "no %s: set %s (an environment variable name) or %s (a file path)", what, envKey, fileKey)
		return "", false
	case env != "":
		field := block + "." + envKey
		if !resolve {
			s.envName(field, env)
			return "", false
		}
		return s.fromEnv(field, env)
	default:
		if !resolve {
			return "", false
		}
		return s.fromFile(block+"."+fileKey, file)
	}
}

// fromEnv and fromFile trim surrounding whitespace: a trailing newline from `echo > file` or a
// secrets manager is never part of a credential.
func (s scope) fromEnv(field, name string) (string, bool) {
	if !s.envName(field, name) {
		return "", false
	}
	v, ok := s.p.opts.LookupEnv(name)
	v = strings.TrimSpace(v)
	if !ok || v == "" {
		s.problem(field, "environment variable %s is unset or empty", name)
		return "", false
	}
	return v, true
}

// envName rejects values that cannot be a variable name, typically the credential itself pasted
// in its place, without echoing them.
func (s scope) envName(field, name string) bool {
	if !envNamePattern.MatchString(name) {
		s.problem(field, "must be the name of an environment variable (letters, digits and _), not the secret itself")
		return false
	}
	return true
}

func (s scope) fromFile(field, path string) (string, bool) {
	data, err := s.p.opts.ReadFile(path)
	if err != nil {
		var pe *fs.PathError
		if errors.As(err, &pe) {
			err = pe.Err // the path is already in the message
		}
		s.problem(field, "cannot read file %s: %v", path, err)
		return "", false
	}
	v := strings.TrimSpace(string(data))
	if v == "" {
		s.problem(field, "file %s is empty", path)
		return "", false
	}
	return v, true
}

// database resolves the DSN. No message here may include it: it can hold a password.
func (s scope) database(d *Database) {
	if d.MaxOpenConns < 0 {
		s.problem("database.max_open_conns", "must be 0 (the default, %d) or more", DefaultMaxOpenConns)
	}
	d.MaxOpenConns = cmp.Or(d.MaxOpenConns, DefaultMaxOpenConns)

	var set []string
	for _, kv := range [][2]string{{"url", d.URL}, {"url_env", d.URLEnv}, {"url_file", d.URLFile}} {
		if kv[1] != "" {
			set = append(set, kv[0])
		}
	}
	if len(set) > 1 {
		s.problem("database", "%s are all set; keep exactly one", strings.Join(set, " and "))
		return
	}
	if d.PasswordEnv != "" && d.PasswordFile != "" {
		s.problem("database", "both password_env and password_file are set; keep exactly one")
		return
	}

	field, src, dsn, ok := "database.url", "", DefaultDatabaseURL, true
	switch {
	case d.URLEnv != "":
		field, src = "database.url_env", "environment variable "+d.URLEnv
		dsn, ok = s.fromEnv(field, d.URLEnv)
	case d.URLFile != "":
		field, src = "database.url_file", "file "+d.URLFile
		dsn, ok = s.fromFile(field, d.URLFile)
	case d.URL != "":
		dsn = strings.TrimSpace(d.URL)
	}
	if !ok {
		return
	}
	if dsn, ok = s.dsn(d, field, src, dsn); ok {
		d.DSN = NewSecret(dsn)
	}
}

// dsn checks and completes a database URL read from field; src names the variable or file it came
// from ("" when written in the YAML).
func (s scope) dsn(d *Database, field, src, dsn string) (string, bool) {
	inYAML := src == ""
	// Messages about a URL from a variable or file name the source, never the value.
	subject := "the URL"
	if !inYAML {
		subject = "the URL in " + src
	}
	pwField := ""
	switch {
	case d.PasswordEnv != "":
		pwField = "database.password_env"
	case d.PasswordFile != "":
		pwField = "database.password_file"
	}

	if path, ok := strings.CutPrefix(dsn, "sqlite:"); ok {
		switch {
		case strings.HasPrefix(path, "//"):
			s.problem(field, "%s: write SQLite URLs as sqlite:PATH (sqlite:/var/lib/syncd/syncd.db or sqlite:syncd.db), not sqlite://", subject)
		case path == "":
			s.problem(field, "%s: sqlite: needs a path, as in sqlite:syncd.db or sqlite::memory:", subject)
		case pwField != "":
			s.problem(pwField, "SQLite has no password; password_env and password_file apply to postgres URLs only")
		default:
			return dsn, true
		}
		return "", false
	}
	if !strings.HasPrefix(dsn, "postgres://") && !strings.HasPrefix(dsn, "postgresql://") {
		s.problem(field, "%s must start with postgres://, postgresql:// or sqlite:", subject)
		return "", false
	}
	u, err := url.Parse(dsn)
	if err != nil {
		var ue *url.Error
		if inYAML && !strings.Contains(dsn, "@") && errors.As(err, &ue) {
			s.problem(field, "%s is not valid: %v", subject, ue.Err)
		} else {
			s.problem(field, "%s is not valid; expected postgres://USER@HOST:PORT/DB?sslmode=require", subject)
		}
		return "", false
	}
	_, hasPassword := u.User.Password()
	if inYAML && hasPassword {
		s.problem(field, "the URL contains a password; put the password in password_env/password_file or the whole URL in url_env")
		return "", false
	}
	if pwField == "" {
		return dsn, true
	}
	switch {
	case u.User == nil || u.User.Username() == "":
		s.problem(pwField, "the database URL has no user name to go with the password; write postgres://USER@HOST/DB")
		return "", false
	case hasPassword:
		s.problem(pwField, "%s already contains a password; remove one of them", subject)
		return "", false
	}
	var pw string
	var ok bool
	if d.PasswordEnv != "" {
		pw, ok = s.fromEnv(pwField, d.PasswordEnv)
	} else {
		pw, ok = s.fromFile(pwField, d.PasswordFile)
	}
	if !ok {
		return "", false
	}
	u.User = url.UserPassword(u.User.Username(), pw)
	return u.String(), true
}

// badText says what makes s unusable as an identifier: invalid UTF-8 or a control character
// (C0 including NUL, DEL, C1). "" means neither.
func badText(s string) string {
	if !utf8.ValidString(s) {
		return "is not valid UTF-8"
	}
	for _, r := range s {
		if unicode.IsControl(r) {
			return fmt.Sprintf("contains the control character %U", r)
		}
	}
	return ""
}

func loadLocation(name string) (*time.Location, error) {
	if name == "Local" {
		return nil, errors.New(`"Local" depends on the host; use an IANA name such as "America/Chicago" or "UTC"`)
	}
	loc, err := time.LoadLocation(name)
	if err != nil {
		return nil, fmt.Errorf("unknown time zone %q; use an IANA name such as \"America/Chicago\" or \"UTC\"", name)
	}
	return loc, nil
}
