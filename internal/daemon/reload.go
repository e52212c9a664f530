package daemon

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"os"
	"sync"
	"sync/atomic"

	"go.uber.org/zap"

	"github.com/syncd-dev/syncd/internal/metrics"
	syncer "github.com/syncd-dev/syncd/internal/sync"
	"github.com/syncd-dev/syncd/internal/tenants"
)

// A subscriber applies a config to one component. It is given the startup config, then every
// valid reloaded config, one at a time and in order, so it may remember what it had to tell what
// changed. An error means the config applied to the component only in part.
type subscriber func(cfg *tenants.Config) error

// coordinator holds the running config and the subscribers that apply a new one, as
// Alertmanager's config.Coordinator does. A file that does not load or validate is rejected as
// a whole and the running config stays; a valid one goes to every subscriber in the order they
// subscribed and then becomes the running config.
type coordinator struct {
	path string
	load func(path string) (*tenants.Config, error)
	log  *zap.Logger
	// reloaded is told whether each reload was applied (syncd_config_reloads_total).
	reloaded func(applied bool)

	// mu is held while subscribers run, so they never run concurrently.
	mu          sync.Mutex
	subscribers []namedSubscriber
	// sum identifies the file content last applied or rejected.
	sum string

	// running is read without mu: a webhook delivery must not wait for a reload.
	running atomic.Pointer[tenants.Config]
}

type namedSubscriber struct {
	name  string
	apply subscriber
}

func newCoordinator(path string, load func(string) (*tenants.Config, error), log *zap.Logger, reloaded func(applied bool)) *coordinator {
	return &coordinator{path: path, load: load, log: log, reloaded: reloaded}
}

// subscribe adds a component, named in the log when it fails to apply a config.
func (c *coordinator) subscribe(name string, apply subscriber) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.subscribers = append(c.subscribers, namedSubscriber{name, apply})
}

// current returns the running config.
func (c *coordinator) current() *tenants.Config { return c.running.Load() }

// start applies the startup config, loaded by the caller from the file, to every subscriber; the
// first error fails the start.
func (c *coordinator) start(cfg *tenants.Config) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.sum, _ = fileSum(c.path)
	for _, s := range c.subscribers {
		if err := s.apply(cfg); err != nil {
			return err
		}
	}
	c.running.Store(cfg)
	return nil
}

// fileChanged reports whether the file's content differs from the content last applied or
// rejected (an unreadable file has not changed).
func (c *coordinator) fileChanged() bool {
	sum, err := fileSum(c.path)
	c.mu.Lock()
	defer c.mu.Unlock()
	return err == nil && sum != c.sum
}

// reload reads the file and, if it is valid, applies it; otherwise it logs every problem and
// keeps the running config. Either way the content is remembered, so a rejected file is not read
// again until it changes. A subscriber's error is logged and the others still apply the config.
func (c *coordinator) reload(why string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.sum, _ = fileSum(c.path)
	cfg, err := c.load(c.path)
	if err != nil {
		var ve *tenants.ValidationError
		if errors.As(err, &ve) {
			for _, p := range ve.Problems {
				c.log.Error("config reload rejected: problem", zap.String("tenant", p.Tenant), zap.String("field", p.Field),
					zap.Int("line", p.Line), zap.String("problem", p.Message))
			}
		}
		c.log.Error("config reload rejected; keeping the running config", zap.String("trigger", why), zap.Error(err))
		c.reloaded(false)
		return
	}
	for _, s := range c.subscribers {
		if err := s.apply(cfg); err != nil {
			c.log.Error("config reload partly applied", zap.String("component", s.name), zap.Error(err))
		}
	}
	c.running.Store(cfg)
	c.reloaded(true)
	c.log.Info("config reloaded", zap.String("trigger", why), zap.Int("tenants", countEnabled(cfg)))
	for _, w := range cfg.Warnings {
		c.log.Warn("config warning", zap.String("tenant", w.Tenant), zap.String("field", w.Field),
			zap.Int("line", w.Line), zap.String("warning", w.Message))
	}
}

// The subscribers of components that do not apply a config by themselves.

// restartOnly warns when a reload changes the database or the listen address: the mirror, the
// locks and the HTTP server keep what open and serve gave them until the process restarts.
func restartOnly(log *zap.Logger) subscriber {
	var had *tenants.Config
	return func(cfg *tenants.Config) error {
		if had != nil && (had.Database.DSN.Reveal() != cfg.Database.DSN.Reveal() || had.Listen != cfg.Listen) {
			log.Warn("database and listen settings change only on restart; applying tenant changes only")
		}
		had = cfg
		return nil
	}
}

// limits keeps the runner's rate budgets in step with the config: every credential's is adjusted
// in place, so runs waiting on it keep waiting on the same bucket, and those of credentials no
// tenant uses any more are dropped; a removed tenant's other state (FunnelFlux tokens) is
// dropped too. Runs get their tenant config from the scheduler.
func limits(r *syncer.Runner) subscriber {
	var had *tenants.Config
	return func(cfg *tenants.Config) error {
		for i := range cfg.Tenants {
			r.ApplyLimits(&cfg.Tenants[i])
		}
		r.RetainLimits(cfg)
		for _, id := range removed(had, cfg) {
			r.ForgetTenant(id)
		}
		had = cfg
		return nil
	}
}

// tenantMetrics sets syncd_tenants and removes the per-tenant series of removed tenants.
func tenantMetrics(m *metrics.Metrics) subscriber {
	var had *tenants.Config
	return func(cfg *tenants.Config) error {
		for _, id := range removed(had, cfg) {
			m.ForgetTenant(id)
		}
		m.SetTenants(countEnabled(cfg))
		had = cfg
		return nil
	}
}

// tenantSet is the tenant set the webhook receiver answers for. Its subscriber swaps it whole,
// so a delivery sees either the old tenants or the new ones, and new keys apply at once.
type tenantSet struct {
	cfg atomic.Pointer[tenants.Config]
}

func (s *tenantSet) apply(cfg *tenants.Config) error {
	s.cfg.Store(cfg)
	return nil
}

// tenant returns the tenant with that id, or nil.
func (s *tenantSet) tenant(id string) *tenants.Tenant { return s.cfg.Load().Tenant(id) }

// removed lists the tenants of had that cfg no longer has (none when had is nil).
func removed(had, cfg *tenants.Config) []string {
	if had == nil {
		return nil
	}
	var ids []string
	for _, t := range had.Tenants {
		if cfg.Tenant(t.ID) == nil {
			ids = append(ids, t.ID)
		}
	}
	return ids
}

func countEnabled(c *tenants.Config) int {
	n := 0
	for i := range c.Tenants {
		if c.Tenants[i].IsEnabled() {
			n++
		}
	}
	return n
}

func fileSum(path string) (string, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return "", err
	}
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:]), nil
}
