package deploy

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// composeFile is the Compose file's shape, the keys deploy/compose.yaml uses (decoded strictly,
// so a misspelt key fails here rather than being ignored by docker compose).
type composeFile struct {
	Name     string                    `yaml:"name"`
	Services map[string]composeService `yaml:"services"`
	Secrets  map[string]struct {
		File string `yaml:"file"`
	} `yaml:"secrets"`
	Volumes map[string]any `yaml:"volumes"`
}

type composeService struct {
	Image string `yaml:"image"`
	Build *struct {
		Context    string `yaml:"context"`
		Dockerfile string `yaml:"dockerfile"`
	} `yaml:"build"`
	Restart     string            `yaml:"restart"`
	Environment map[string]string `yaml:"environment"`
	Command     []string          `yaml:"command"`
	DependsOn   map[string]struct {
		Condition string `yaml:"condition"`
	} `yaml:"depends_on"`
	StopGracePeriod string   `yaml:"stop_grace_period"`
	User            string   `yaml:"user"`
	ReadOnly        bool     `yaml:"read_only"`
	Tmpfs           []string `yaml:"tmpfs"`
	Volumes         []string `yaml:"volumes"`
	Secrets         []string `yaml:"secrets"`
	Ports           []string `yaml:"ports"`
	Healthcheck     *struct {
		Test        []string `yaml:"test"`
		Interval    string   `yaml:"interval"`
		Timeout     string   `yaml:"timeout"`
		StartPeriod string   `yaml:"start_period"`
		Retries     int      `yaml:"retries"`
	} `yaml:"healthcheck"`
}

// deploy/compose.yaml runs Postgres and syncd built from the Dockerfile: syncd waits for
// Postgres to be healthy, both have a healthcheck, the config directory is mounted (so an edit
// reaches syncd's hot reload), every *_file of the config is a compose secret syncd mounts, and
// the config loads and validates with them.
func TestCompose(t *testing.T) {
	var c composeFile
	decodeYAMLFile(t, "compose.yaml", &c)
	pg, ok := c.Services["postgres"]
	if !ok {
		t.Fatal("no postgres service")
	}
	s, ok := c.Services["syncd"]
	if !ok {
		t.Fatal("no syncd service")
	}
	if len(c.Services) != 2 {
		t.Errorf("services %v, want postgres and syncd", c.Services)
	}
	if !strings.HasPrefix(pg.Image, "postgres:") || pg.Healthcheck == nil || !strings.Contains(strings.Join(pg.Healthcheck.Test, " "), "pg_isready") {
		t.Errorf("postgres: image %q, healthcheck %+v; want a postgres image checked with pg_isready", pg.Image, pg.Healthcheck)
	}
	if s.DependsOn["postgres"].Condition != "service_healthy" {
		t.Errorf("syncd depends_on %+v, want postgres: service_healthy", s.DependsOn)
	}
	if s.Healthcheck == nil || !slices.Equal(s.Healthcheck.Test, []string{"CMD", "/usr/local/bin/syncd", "healthcheck"}) {
		t.Errorf("syncd healthcheck %+v, want syncd healthcheck", s.Healthcheck)
	}
	if s.Build == nil {
		t.Fatal("syncd is not built")
	}
	if _, err := os.Stat(filepath.Join(s.Build.Context, s.Build.Dockerfile)); err != nil {
		t.Errorf("syncd build: %v", err)
	}
	if !s.ReadOnly || s.User == "" || strings.HasPrefix(s.User, "0") {
		t.Errorf("syncd: read_only %v, user %q; want a read-only non-root container", s.ReadOnly, s.User)
	}

	// The config directory mount and --config.
	i := slices.Index(s.Command, "--config")
	if i < 0 || i+1 >= len(s.Command) {
		t.Fatalf("syncd command %v has no --config", s.Command)
	}
	cfgPath := s.Command[i+1]
	var hostDir string
	for _, v := range s.Volumes {
		parts := strings.Split(v, ":")
		if len(parts) >= 2 && parts[1] == filepath.Dir(cfgPath) {
			hostDir = parts[0]
		}
		if len(parts) >= 2 && parts[1] == cfgPath {
			t.Errorf("volume %s mounts the config file itself: an editor's save (a new file) would not reach the container", v)
		}
	}
	if hostDir == "" {
		t.Fatalf("no volume mounts a directory at %s", filepath.Dir(cfgPath))
	}
	cfgText, err := os.ReadFile(filepath.Join(hostDir, filepath.Base(cfgPath)))
	if err != nil {
		t.Fatal(err)
	}

	// Secrets: each *_file is /run/secrets/NAME of a secret the syncd service mounts.
	values := map[string][]byte{cfgPath: cfgText}
	for _, f := range secretFiles(t, cfgText) {
		name, ok := strings.CutPrefix(f, "/run/secrets/")
		if !ok || !slices.Contains(s.Secrets, name) {
			t.Errorf("%s is not a secret of the syncd service (%v)", f, s.Secrets)
			continue
		}
		if c.Secrets[name].File == "" {
			t.Errorf("secret %s is not declared with a file", name)
		}
		values[f] = []byte("example-" + name)
	}
	for _, name := range append(slices.Clone(s.Secrets), pg.Secrets...) {
		if _, ok := c.Secrets[name]; !ok {
			t.Errorf("secret %s used but not declared", name)
		}
	}
	if pwFile := pg.Environment["POSTGRES_PASSWORD_FILE"]; pwFile != "/run/secrets/database_password" || !slices.Contains(s.Secrets, "database_password") {
		t.Errorf("postgres password %q: want the database_password secret, shared with syncd", pwFile)
	}
	cfg := loadConfig(t, cfgPath, values)
	dsn := cfg.Database.DSN.Reveal()
	if !strings.Contains(dsn, "@postgres:5432/"+pg.Environment["POSTGRES_DB"]) || !strings.HasPrefix(dsn, "postgres://"+pg.Environment["POSTGRES_USER"]+":") {
		t.Errorf("syncd's database URL does not point at the postgres service's user and database")
	}
	if !slices.ContainsFunc(s.Ports, func(p string) bool { return strings.HasSuffix(p, cfg.Listen) }) {
		t.Errorf("ports %v do not publish listen %s", s.Ports, cfg.Listen)
	}
}
