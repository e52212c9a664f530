package tenants

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"go.uber.org/zap"
	"go.uber.org/zap/zaptest/observer"
)

// want describes one expected problem. line 0 only requires some line.
type want struct {
	tenant, field string
	msg           string // substring of the message
	line          int
}

// envOf returns a LookupEnv over a fixed map, so tests never read the real environment.
func envOf(kv map[string]string) func(string) (string, bool) {
	return func(k string) (string, bool) {
		v, ok := kv[k]
		return v, ok
	}
}

// filesOf returns a ReadFile that serves the given files and otherwise reads the disk.
func filesOf(files map[string]string) func(string) ([]byte, error) {
	return func(name string) ([]byte, error) {
		if v, ok := files[name]; ok {
			return []byte(v), nil
		}
		return os.ReadFile(name)
	}
}

func problemsOf(t *testing.T, err error) []Problem {
	t.Helper()
	var ve *ValidationError
	if !errors.As(err, &ve) {
		t.Fatalf("want *ValidationError, got %T: %v", err, err)
	}
	return ve.Problems
}

// checkProblems requires exactly the wanted problems, identified by tenant and field.
func checkProblems(t *testing.T, err error, wants []want) {
	t.Helper()
	got := problemsOf(t, err)
	key := func(tenant, field string) string { return fmt.Sprintf("%q %q", tenant, field) }
	byKey := map[string]Problem{}
	for _, p := range got {
		byKey[key(p.Tenant, p.Field)] = p
	}
	for _, w := range wants {
		p, ok := byKey[key(w.tenant, w.field)]
		if !ok {
			t.Errorf("missing problem for tenant %q field %q; got:\n%v", w.tenant, w.field, err)
			continue
		}
		delete(byKey, key(w.tenant, w.field))
		if !strings.Contains(p.Message, w.msg) {
			t.Errorf("%s: message %q does not contain %q", p, p.Message, w.msg)
		}
		if w.line != 0 && p.Line != w.line || p.Line == 0 {
			t.Errorf("%s: line %d, want %d", p, p.Line, w.line)
		}
	}
	for _, p := range byKey {
		t.Errorf("unexpected problem: %s", p)
	}
}

func TestLoadFixtures(t *testing.T) {
	allTokens := envOf(map[string]string{
		"ACME_RENTENGINE_TOKEN":  "tok-acme",
		"ACME2_RENTENGINE_TOKEN": "tok-acme2",
		"BETA_RENTENGINE_TOKEN":  "tok-beta",
		"BETA_FUNNEL_API_KEY":    "key-beta",
		"NOID_RENTENGINE_TOKEN":  "tok-noid",
		"GAMMA_FUNNEL_API_KEY":   "key-gamma",
		"ACME_FUNNEL_API_KEY":    "key-acme",
		"ACME_FUNNEL_PASSWORD":   "pw-acme",
		"COLON_FUNNEL_API_KEY":   "key:with-colon",
	})
	tests := []struct {
		file  string
		env   func(string) (string, bool)
		wants []want
	}{
		{"unknown_key.yaml", allTokens, []want{
			{"acme", "rentengine.acount_id", "unknown key; did you mean account_id?", 6},
		}},
		{"missing_secret.yaml", envOf(map[string]string{"ACME_RENTENGINE_TOKEN": "  "}), []want{
			{"acme", "rentengine.token_env", "environment variable ACME_RENTENGINE_TOKEN is unset or empty", 6},
			{"beta", "funnel.api_key_file", "cannot read file testdata/secrets/does-not-exist: no such file", 9},
			{"gamma", "rentengine.token_file", "file testdata/secrets/empty is empty", 13},
			{"delta", "rentengine", "no token: set token_env (an environment variable name) or token_file", 15},
		}},
		{"bad_cron.yaml", allTokens, []want{
			{"acme", "schedules.rentengine", `schedule "*/15 * * *" has 4 fields`, 7},
			{"beta", "schedules.rentengine", "set the tenant's timezone instead", 13},
		}},
		{"duplicate_tenant.yaml", allTokens, []want{
			{"acme", "id", "duplicate tenant id; it is first used at line 3", 9},
		}},
		{"bad_timezone.yaml", allTokens, []want{
			{"acme", "timezone", `unknown time zone "America/Chicgo"; use an IANA name`, 4},
			{"beta", "timezone", `"Local" depends on the host`, 8},
		}},
		{"secret_in_yaml.yaml", allTokens, []want{
			{"", "database.url", "put the password in password_env/password_file or the whole URL in url_env", 3},
			{"acme", "rentengine.token", "secrets are not allowed in the config file; use token_env or token_file", 8},
			{"beta", "funnel.api_key", "secrets are not allowed in the config file; use api_key_env or api_key_file", 12},
		}},
		{"community_control_chars.yaml", allTokens, []want{
			{"acme", "funnel.communities[0]", `community id "12\x0034" contains the control character U+0000`, 9},
			{"acme", "funnel.communities[1]", `community id "P1234-\t567" contains the control character U+0009`, 10},
			{"acme", "funnel.communities[2]", `community id "partner-id:abc\a" contains the control character U+0007`, 11},
			{"acme", "funnel.communities[3]", `community id "line\nbreak" contains the control character U+000A`, 12},
		}},
		{"funnel_basic_credentials.yaml", allTokens, []want{
			{"acme", "funnel.password_env", "Funnel takes no user name or password", 7},
			{"beta", "funnel.api_key_env", "the API key contains ':', so it cannot be sent as a Basic user name", 11},
		}},
		{"bad_history.yaml", allTokens, []want{
			{"", "history.keep", `expected whole days such as "400d", got "400"`, 3},
			{"", "history.kep", "unknown key; did you mean keep?", 4},
		}},
		{"multiple_problems.yaml", allTokens, []want{
			{"", "database.url", "must start with postgres://, postgresql:// or sqlite:", 3},
			{"", "listen", `"9090" is not a host:port address`, 4},
			{"", "log.level", `"verbose" is not a level; use debug, info, warn or error`, 6},
			{"", "limits.shutdown_timeout", `expected a duration with a unit, such as "30s"`, 8},
			{"", "defaults.schedules.funnel", "must be at least 1s", 11},
			{"tenants[0]", "id", "required", 13},
			{"Acme Corp", "id", `"Acme Corp" is not a valid tenant id`, 16},
			{"beta", "rentengine", "both token_env and token_file are set; keep exactly one", 20},
			{"beta", "rentengine.base_url", `"app.rentengine.io/api" is not an absolute http(s) URL`, 21},
			{"beta", "rentengine.rate_limit.requests", `expected a whole number, got "ten"`, 25},
			{"beta", "rentengine.rate_limit.per", "must be a positive duration", 26},
			{"beta", "rentengine.rate_limit.burst", "must be 0 (as many as requests) or more", 27},
			{"beta", "schedules.funnel", "set, but the tenant has no funnel: block", 29},
			{"gamma", "funnel.auth", `"oauth" is not supported; use basic or bearer`, 33},
			{"gamma", "funnel.company_id", "must not be negative", 34},
			{"gamma", "funnel.communities[1]", "empty community id", 35},
			{"gamma", "funnel.communities[2]", `community "1234" is listed twice`, 35},
			{"gamma", "run_timeout", `expected a duration with a unit`, 36},
			{"delta", "", "no upstream configured: add a rentengine: or funnel: block", 37},
		}},
	}
	for _, tt := range tests {
		t.Run(strings.TrimSuffix(tt.file, ".yaml"), func(t *testing.T) {
			cfg, err := Load("testdata/"+tt.file, LoadOptions{LookupEnv: tt.env})
			if cfg != nil {
				t.Errorf("got a config along with the error")
			}
			checkProblems(t, err, tt.wants)
		})
	}
}

func TestLoadGood(t *testing.T) {
	cfg, err := Load("testdata/good.yaml", LoadOptions{LookupEnv: envOf(map[string]string{
		"SYNCD_DB_PASSWORD":     "db pass@word",
		"ACME_RENTENGINE_TOKEN": "re-token-acme\n",
		"ACME_FUNNEL_API_KEY":   "fn-key-acme",
	})})
	if err != nil {
		t.Fatal(err)
	}

	if got, want := cfg.Database.DSN.Reveal(), "postgres://syncd:db%20pass%40word@db.internal:5432/syncd?sslmode=require"; got != want {
		t.Errorf("DSN = %q, want %q", got, want)
	}
	if cfg.Database.Driver() != DriverPostgres || cfg.Database.SQLitePath() != "" {
		t.Errorf("Driver() = %q, SQLitePath() = %q", cfg.Database.Driver(), cfg.Database.SQLitePath())
	}
	if cfg.Listen != ":9090" || cfg.Log.Level != "debug" || cfg.Log.Format != "json" {
		t.Errorf("listen/log = %q %+v", cfg.Listen, cfg.Log)
	}

	acme := cfg.Tenant("acme")
	if acme == nil {
		t.Fatal(`Tenant("acme") = nil`)
	}
	if acme.Location.String() != "America/Chicago" || acme.Name != "Acme Property Management" || !acme.IsEnabled() {
		t.Errorf("acme = %+v", acme)
	}
	if got := acme.RentEngine.Token.Reveal(); got != "re-token-acme" {
		t.Errorf("acme token = %q (want trimmed)", got)
	}
	if got := acme.Funnel.APIKey.Reveal(); got != "fn-key-acme" {
		t.Errorf("acme funnel key = %q", got)
	}
	if acme.RentEngine.AccountID != "4711" || acme.Funnel.CompanyID != 42 ||
		!slices.Equal(acme.Funnel.Communities, []string{"1234", "P1234-567"}) || acme.Funnel.Auth != FunnelAuthBasic {
		t.Errorf("acme upstreams = %+v %+v", acme.RentEngine, acme.Funnel)
	}
	wantSched := Schedules{RentEngine: "*/10 * * * *", Funnel: DefaultFunnelSchedule, Push: "0 6 * * *"}
	if acme.Schedules != wantSched {
		t.Errorf("acme schedules = %+v, want %+v", acme.Schedules, wantSched)
	}

	beta := cfg.Tenant("beta_homes")
	if got := beta.Funnel.APIKey.Reveal(); got != "beta-funnel-key-0001" {
		t.Errorf("beta key from file = %q (want trimmed)", got)
	}
	if beta.MaxJitter != -time.Second || beta.Funnel.Auth != FunnelAuthBearer || beta.RentEngine != nil {
		t.Errorf("beta = %+v", beta)
	}
	// Funnel-only: the inherited rentengine and push schedules are dropped, not errors.
	if want := (Schedules{Funnel: DefaultFunnelSchedule}); beta.Schedules != want {
		t.Errorf("beta schedules = %+v, want %+v", beta.Schedules, want)
	}

	gamma := cfg.Tenant("gamma")
	if gamma.IsEnabled() || !gamma.RentEngine.Token.IsZero() {
		t.Errorf("gamma: enabled %v, token resolved %v; a disabled tenant's secrets are not read", gamma.IsEnabled(), !gamma.RentEngine.Token.IsZero())
	}
	if cfg.Tenant("nobody") != nil {
		t.Error(`Tenant("nobody") != nil`)
	}
}

func TestLoadUnreadableFile(t *testing.T) {
	_, err := Load("testdata/no-such.yaml", LoadOptions{})
	if !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("err = %v, want fs.ErrNotExist", err)
	}
}

func TestStrictDecoding(t *testing.T) {
	const re = "\n    rentengine: {token_env: T}"
	tests := []struct {
		name  string
		yaml  string
		wants []want
	}{
		{"unknown global key with suggestion", "tenant: []\ntenants: []", []want{
			{"", "tenant", "did you mean tenants?", 1},
		}},
		{"unknown key lists valid keys", "tenants:\n  - id: acme" + re + "\n    colour: blue", []want{
			{"acme", "colour", "valid keys here are id, name, timezone, enabled", 4},
		}},
		{"tenant without id is named by index", "tenants:\n  - id: acme" + re + "\n  - rentengine: {token_env: T, tokn: x}", []want{
			{"tenants[1]", "rentengine.tokn", "unknown key", 4},
			{"tenants[1]", "id", "required", 4},
		}},
		{"database password key", "database: {url: 'postgres://u@h/db', password: x}\ntenants: []", []want{
			{"", "database.password", "secrets are not allowed in the config file; use password_env or password_file", 1},
		}},
		{"bool type error", "tenants:\n  - id: acme" + re + "\n    enabled: maybe", []want{
			{"acme", "enabled", `expected true or false, got "maybe"`, 4},
		}},
		{"list expected", "tenants:\n  - id: acme\n    funnel: {api_key_env: K, communities: '1234'}", []want{
			{"acme", "funnel.communities", "expected a list", 3},
		}},
		{"mapping expected for block", "tenants:\n  - id: acme\n    rentengine: [a]", []want{
			{"acme", "rentengine", "expected a mapping", 3},
		}},
		{"tenant that is not a mapping", "tenants:\n  - acme", []want{
			{"tenants[0]", "", "expected a mapping", 2},
		}},
		{"key set twice", "tenants:\n  - id: acme" + re + "\n    timezone: UTC\n    timezone: America/Chicago", []want{
			{"acme", "timezone", "set twice (first at line 4)", 5},
		}},
		{"yaml syntax error", "tenants:\n  - id: acme\n   bad: [", []want{
			{"", "", "invalid YAML", 0}, // yaml.v3 reports where the enclosing node starts
		}},
		{"two documents", "tenants: []\n---\ntenants: []", []want{
			{"", "", "more than one YAML document", 2},
		}},
		{"not a mapping", "- a\n- b", []want{
			{"", "", "must be a mapping of settings", 1},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse([]byte(tt.yaml), LoadOptions{LookupEnv: envOf(map[string]string{"T": "t", "K": "k"})})
			checkProblems(t, err, tt.wants)
		})
	}
}

// history.keep: whole days, 400d when left out, within range.
func TestHistoryKeep(t *testing.T) {
	for _, tt := range []struct {
		yaml    string
		want    Days
		problem string
	}{
		{"tenants: []", DefaultHistoryKeep, ""},
		{"history: {}\ntenants: []", DefaultHistoryKeep, ""},
		{"history: {keep: 30d}\ntenants: []", 30, ""},
		{"history: {keep: 36500d}\ntenants: []", 36500, ""},
		{"history: {keep: 0d}\ntenants: []", 0, "0d is out of range: at least 1d and at most 36500d (default 400d)"},
		{"history: {keep: 36501d}\ntenants: []", 0, "out of range"},
		{"history: {keep: 9600h}\ntenants: []", 0, `expected whole days such as "400d", got "9600h"`},
		{"history: {keep: -3d}\ntenants: []", 0, "expected whole days"},
		{"history: {keep: [1d]}\ntenants: []", 0, "expected whole days"},
		{"history: {keep: }\ntenants: []", 0, "out of range"},
	} {
		t.Run(tt.yaml, func(t *testing.T) {
			cfg, err := Parse([]byte(tt.yaml), LoadOptions{LookupEnv: envOf(nil)})
			if tt.problem != "" {
				checkProblems(t, err, []want{{"", "history.keep", tt.problem, 1}})
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if cfg.History.Keep != tt.want || cfg.History.Keep.Duration() != time.Duration(tt.want)*24*time.Hour {
				t.Errorf("keep = %s, want %s", cfg.History.Keep, tt.want)
			}
		})
	}
}

func TestParseWithoutLines(t *testing.T) {
	for name, data := range map[string]string{"empty file": "", "comments only": "# nothing\n", "no tenants key": "log: {level: info}"} {
		t.Run(name, func(t *testing.T) {
			_, err := Parse([]byte(data), LoadOptions{LookupEnv: envOf(nil)})
			ps := problemsOf(t, err)
			if len(ps) != 1 || !strings.Contains(ps[0].Message, "tenants") {
				t.Errorf("problems = %v, want one about tenants", ps)
			}
		})
	}
}

func TestMergeKeysAndAnchors(t *testing.T) {
	data := `
tenants:
  - id: acme
    rentengine: &re
      token_env: SHARED_TOKEN
      rate_limit: {requests: 7}
  - id: beta
    rentengine:
      <<: *re
      account_id: "9"
`
	cfg, err := Parse([]byte(data), LoadOptions{LookupEnv: envOf(map[string]string{"SHARED_TOKEN": "s"})})
	if err != nil {
		t.Fatal(err)
	}
	b := cfg.Tenant("beta").RentEngine
	if b.TokenEnv != "SHARED_TOKEN" || b.AccountID != "9" || b.RateLimit.Requests != 7 || b.RateLimit.Per != DefaultRentEngineRatePer {
		t.Errorf("beta rentengine = %+v rate %+v", b, *b.RateLimit)
	}
}

func TestDefaultsPrecedence(t *testing.T) {
	const tenantRE = "\n    rentengine: {token_env: T}"
	tests := []struct {
		name  string
		yaml  string
		check func(t *testing.T, c *Config)
	}{
		{"built-in", "tenants:\n  - id: a" + tenantRE + "\n    funnel: {api_key_env: K, communities: ['1']}", func(t *testing.T, c *Config) {
			a := c.Tenant("a")
			eq(t, "log", c.Log, Log{Level: DefaultLogLevel, Format: DefaultLogFormat})
			eq(t, "limits", c.Limits, Limits{MaxConcurrentJobs: 16, ShutdownTimeout: 25 * time.Second})
			eq(t, "database", c.Database.DSN.Reveal(), "sqlite:syncd.db")
			eq(t, "sqlite path", c.Database.SQLitePath(), "syncd.db")
			eq(t, "max open conns", c.Database.MaxOpenConns, DefaultMaxOpenConns)
			eq(t, "timezone", a.Timezone, "UTC")
			eq(t, "location", a.Location, time.UTC)
			eq(t, "enabled", *a.Enabled, true)
			eq(t, "run timeout", a.RunTimeout, 30*time.Minute)
			eq(t, "max jitter", a.MaxJitter, 30*time.Second)
			eq(t, "re base", a.RentEngine.BaseURL, "https://app.rentengine.io/api/public/v1")
			eq(t, "re rate", *a.RentEngine.RateLimit, RateLimit{Requests: 20, Per: 5 * time.Second, Burst: 1, MinFraction: DefaultMinFraction})
			eq(t, "funnel base", a.Funnel.BaseURL, "https://api.funnelleasing.com/api/partners/v1")
			eq(t, "funnel rate", *a.Funnel.RateLimit, RateLimit{Requests: 5, Per: time.Second, Burst: 1, MinFraction: DefaultMinFraction})
			eq(t, "funnel auth", a.Funnel.Auth, "basic")
			eq(t, "schedules", a.Schedules, Schedules{RentEngine: "@every 15m", Funnel: "@every 30m"})
		}},
		{"defaults block", `
defaults:
  timezone: America/New_York
  run_timeout: 10m
  max_jitter: -1s
  schedules: {rentengine: "0 * * * *", push: "@daily"}
  rentengine: {base_url: "https://staging-app.rentengine.io/api/public/v1/", rate_limit: {requests: 10}}
  funnel: {rate_limit: {burst: 0}}
tenants:
  - id: a` + tenantRE + "\n    funnel: {api_key_env: K, communities: ['1'], company_id: 7}\n    push: {}", func(t *testing.T, c *Config) {
			a := c.Tenant("a")
			eq(t, "timezone", a.Timezone, "America/New_York")
			eq(t, "location", a.Location.String(), "America/New_York")
			eq(t, "run timeout", a.RunTimeout, 10*time.Minute)
			eq(t, "max jitter", a.MaxJitter, -time.Second)
			eq(t, "re base (trailing slash trimmed)", a.RentEngine.BaseURL, "https://staging-app.rentengine.io/api/public/v1")
			eq(t, "re rate", *a.RentEngine.RateLimit, RateLimit{Requests: 10, Per: 5 * time.Second, Burst: 1, MinFraction: DefaultMinFraction})
			eq(t, "funnel rate (burst 0 = requests)", *a.Funnel.RateLimit, RateLimit{Requests: 5, Per: time.Second, Burst: 5, MinFraction: DefaultMinFraction})
			eq(t, "defaults re rate", *c.Defaults.RentEngine.RateLimit, RateLimit{Requests: 10, Per: 5 * time.Second, Burst: 1, MinFraction: DefaultMinFraction})
			eq(t, "schedules", a.Schedules, Schedules{RentEngine: "0 * * * *", Funnel: "@every 30m", Push: "@daily"})
		}},
		{"tenant wins", `
defaults:
  timezone: America/New_York
  run_timeout: 10m
  max_jitter: -1s
  schedules: {rentengine: "0 * * * *", push: "@daily"}
  rentengine: {base_url: "https://staging-app.rentengine.io/api/public/v1", rate_limit: {requests: 10, burst: 0}}
tenants:
  - id: a
    timezone: America/Chicago
    run_timeout: 1m
    max_jitter: 5s
    enabled: false
    rentengine:
      base_url: http://localhost:8080/api/public/v1
      token_env: T
      rate_limit: {per: 1s}
    funnel: {api_key_env: K, communities: ['1'], auth: bearer, rate_limit: {requests: 2, per: 2s, burst: 3}}
    schedules: {rentengine: "*/5 * * * *", push: ""}`, func(t *testing.T, c *Config) {
			a := c.Tenant("a")
			eq(t, "location", a.Location.String(), "America/Chicago")
			eq(t, "run timeout", a.RunTimeout, time.Minute)
			eq(t, "max jitter", a.MaxJitter, 5*time.Second)
			eq(t, "enabled", a.IsEnabled(), false)
			eq(t, "re base", a.RentEngine.BaseURL, "http://localhost:8080/api/public/v1")
			// Key by key: per from the tenant, requests and burst (= requests) from defaults.
			eq(t, "re rate", *a.RentEngine.RateLimit, RateLimit{Requests: 10, Per: time.Second, Burst: 10, MinFraction: DefaultMinFraction})
			eq(t, "funnel rate", *a.Funnel.RateLimit, RateLimit{Requests: 2, Per: 2 * time.Second, Burst: 3, MinFraction: DefaultMinFraction})
			eq(t, "funnel auth", a.Funnel.Auth, "bearer")
			// push: "" turns the inherited @daily off for this tenant.
			eq(t, "schedules", a.Schedules, Schedules{RentEngine: "*/5 * * * *", Funnel: "@every 30m"})
		}},
		{"schedules follow blocks", `
defaults:
  schedules: {push: "@daily"}
tenants:
  - id: re-only` + tenantRE + `
  - id: funnel-only
    funnel: {api_key_env: K, communities: ['1']}
    schedules: {rentengine: ""}`, func(t *testing.T, c *Config) {
			eq(t, "re-only", c.Tenant("re-only").Schedules, Schedules{RentEngine: "@every 15m"})
			eq(t, "funnel-only", c.Tenant("funnel-only").Schedules, Schedules{Funnel: "@every 30m"})
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := Parse([]byte(tt.yaml), LoadOptions{LookupEnv: envOf(map[string]string{"T": "t", "K": "k"})})
			if err != nil {
				t.Fatal(err)
			}
			tt.check(t, c)
		})
	}
}

func eq[T comparable](t *testing.T, what string, got, want T) {
	t.Helper()
	if got != want {
		t.Errorf("%s = %v, want %v", what, got, want)
	}
}

func TestDatabase(t *testing.T) {
	env := envOf(map[string]string{
		"DB_PASSWORD": "p@ss word",
		"DB_URL":      "postgres://app:from-env@db:5432/syncd",
		"EMPTY":       "",
	})
	files := filesOf(map[string]string{"/run/secrets/db_password": "filepass\n", "/run/secrets/db_url": "postgresql://app@db/syncd\n"})
	tests := []struct {
		name    string
		db      string
		dsn     string
		driver  string
		problem want
	}{
		{name: "default", db: "{}", dsn: "sqlite:syncd.db", driver: DriverSQLite},
		{name: "sqlite memory", db: "{url: 'sqlite::memory:'}", dsn: "sqlite::memory:", driver: DriverSQLite},
		{name: "postgres", db: "{url: 'postgres://app@db:5432/syncd?sslmode=disable'}", dsn: "postgres://app@db:5432/syncd?sslmode=disable", driver: DriverPostgres},
		{name: "password_env injected", db: "{url: 'postgres://app@db/syncd', password_env: DB_PASSWORD}", dsn: "postgres://app:p%40ss%20word@db/syncd", driver: DriverPostgres},
		{name: "password_file injected", db: "{url: 'postgres://app@db/syncd', password_file: /run/secrets/db_password}", dsn: "postgres://app:filepass@db/syncd", driver: DriverPostgres},
		{name: "url_env may hold a password", db: "{url_env: DB_URL}", dsn: "postgres://app:from-env@db:5432/syncd", driver: DriverPostgres},
		{name: "url_file", db: "{url_file: /run/secrets/db_url}", dsn: "postgresql://app@db/syncd", driver: DriverPostgres},

		{name: "two sources", db: "{url: 'sqlite:x.db', url_env: DB_URL}", problem: want{field: "database", msg: "url and url_env are all set; keep exactly one"}},
		{name: "sqlite slashes", db: "{url: 'sqlite:///var/x.db'}", problem: want{field: "database.url", msg: "not sqlite://"}},
		{name: "sqlite no path", db: "{url: 'sqlite:'}", problem: want{field: "database.url", msg: "needs a path"}},
		{name: "sqlite password", db: "{url: 'sqlite:x.db', password_env: DB_PASSWORD}", problem: want{field: "database.password_env", msg: "postgres URLs only"}},
		{name: "unknown scheme", db: "{url: 'mysql://app@db/x'}", problem: want{field: "database.url", msg: "must start with postgres://"}},
		{name: "bad port", db: "{url: 'postgres://db:port/x'}", problem: want{field: "database.url", msg: "the URL is not valid: invalid port"}},
		{name: "password in yaml", db: "{url: 'postgres://app:pw@db/x'}", problem: want{field: "database.url", msg: "put the password in password_env/password_file"}},
		{name: "password without user", db: "{url: 'postgres://db/x', password_env: DB_PASSWORD}", problem: want{field: "database.password_env", msg: "no user name"}},
		{name: "two passwords", db: "{url_env: DB_URL, password_env: DB_PASSWORD}", problem: want{field: "database.password_env", msg: "the URL in environment variable DB_URL already contains a password"}},
		{name: "url_env empty", db: "{url_env: EMPTY}", problem: want{field: "database.url_env", msg: "environment variable EMPTY is unset or empty"}},
		{name: "url_file missing", db: "{url_file: /nonexistent/url}", problem: want{field: "database.url_file", msg: "cannot read file /nonexistent/url"}},
		{name: "negative pool", db: "{max_open_conns: -1}", problem: want{field: "database.max_open_conns", msg: "must be 0"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg, err := Parse([]byte("database: "+tt.db+"\ntenants: []"), LoadOptions{LookupEnv: env, ReadFile: files})
			if tt.problem.msg != "" {
				checkProblems(t, err, []want{tt.problem})
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			eq(t, "DSN", cfg.Database.DSN.Reveal(), tt.dsn)
			eq(t, "Driver", cfg.Database.Driver(), tt.driver)
		})
	}
}

// TestSecretsNeverPrinted puts credentials next to every kind of problem and checks that no
// error text, nor any printed form of a loaded config, contains them.
func TestSecretsNeverPrinted(t *testing.T) {
	secrets := map[string]string{
		"DB_URL":      "postgres://app:S3CRET-db-url@db:port/x",
		"DB_PASSWORD": "S3CRET-db-password",
		"DB_URL2":     "postgres://app:S3CRET-db-url2@db/x",
		"OK_TOKEN":    "S3CRET-ok-token",
		"OK_KEY":      "S3CRET-ok-key",
		"COLON_KEY":   "S3CRET:colon-key",
	}
	files := filesOf(map[string]string{"/run/secrets/url": "mysql://app:S3CRET-url-file@db/x"})
	bad := `
database: {url_env: DB_URL, password_env: DB_PASSWORD}
tenants:
  - id: ok
    rentengine: {token_env: OK_TOKEN}
    funnel: {api_key_env: OK_KEY, communities: ["1"]}
  - id: pasted
    rentengine:
      token_env: S3CRET-pasted.token
      base_url: https://user:S3CRET-base-url@example.com
  - id: pasted2
    rentengine:
      token: S3CRET-in-yaml
      token_env: OK_TOKEN
`
	check := func(t *testing.T, text string) {
		t.Helper()
		if i := strings.Index(text, "S3CRET"); i >= 0 {
			t.Errorf("secret in output: %s", text[max(0, i-60):min(len(text), i+40)])
		}
	}
	for name, data := range map[string]string{
		"bad":                     bad,
		"url_file":                "database: {url_file: /run/secrets/url}\ntenants: []",
		"password in yaml":        "database: {url: 'postgres://app:S3CRET-yaml@db:bad/x'}\ntenants: []",
		"two passwords":           "database: {url_env: DB_URL2, password_env: DB_PASSWORD}\ntenants: []",
		"funnel key with a colon": "database: {url: 'sqlite:x.db'}\ntenants:\n  - id: c\n    funnel: {api_key_env: COLON_KEY, communities: ['1']}",
	} {
		t.Run(name, func(t *testing.T) {
			_, err := Parse([]byte(data), LoadOptions{LookupEnv: envOf(secrets), ReadFile: files})
			if err == nil {
				t.Fatal("want an error")
			}
			check(t, err.Error())
		})
	}

	t.Run("loaded config", func(t *testing.T) {
		cfg, err := Parse([]byte(`
database: {url: "postgres://app@db/x", password_env: DB_PASSWORD}
tenants:
  - id: ok
    rentengine: {token_env: OK_TOKEN}
    funnel: {api_key_env: OK_KEY, communities: ["1"]}
`), LoadOptions{LookupEnv: envOf(secrets)})
		if err != nil {
			t.Fatal(err)
		}
		js, _ := json.Marshal(cfg)
		check(t, string(js))
		ok := cfg.Tenant("ok")
		check(t, fmt.Sprintf("%v %+v %#v %+v %+v", cfg, cfg, cfg, ok.RentEngine, ok.Funnel))

		core, logs := observer.New(zap.DebugLevel)
		zap.New(core).Info("config", zap.Any("database", cfg.Database), zap.Any("rentengine", ok.RentEngine), zap.Any("key", ok.Funnel.APIKey))
		for _, e := range logs.All() {
			check(t, fmt.Sprint(e.ContextMap()))
		}
	})
}

func TestProblemString(t *testing.T) {
	tests := []struct {
		p    Problem
		want string
	}{
		{Problem{Tenant: "acme", Field: "rentengine.token_env", Line: 14, Message: "environment variable ACME_RE_TOKEN is unset or empty"},
			`tenant "acme": rentengine.token_env: environment variable ACME_RE_TOKEN is unset or empty (line 14)`},
		{Problem{Tenant: "tenants[3]", Field: "id", Line: 20, Message: "required"}, `tenants[3]: id: required (line 20)`},
		{Problem{Field: "database.url", Line: 2, Message: "bad"}, `database.url: bad (line 2)`},
		{Problem{Tenant: "acme", Message: "no upstream"}, `tenant "acme": no upstream`},
	}
	for _, tt := range tests {
		eq(t, "String", tt.p.String(), tt.want)
		eq(t, "Error", tt.p.Error(), tt.want)
	}
	ve := &ValidationError{Problems: []Problem{tests[0].p, tests[1].p}}
	eq(t, "ValidationError", ve.Error(), tests[0].want+"\n"+tests[1].want)
}
