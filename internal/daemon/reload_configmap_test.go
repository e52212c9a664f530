package daemon_test

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/syncd-dev/syncd/internal/daemon"
	"github.com/syncd-dev/syncd/internal/testing/dbtest"
)

// configMapDir lays out a directory as the kubelet does for a ConfigMap volume (its
// AtomicWriter): the data in a timestamped directory, ..data a symlink to it, and config.yaml a
// symlink to ..data/config.yaml. An update writes a new timestamped directory, points a new
// symlink at it, renames that over ..data, and removes the old directory: config.yaml itself (the
// path syncd is given) is never written, renamed or replaced, so a watcher of its inode, or of
// writes to it, never hears of the update.
type configMapDir struct {
	dir     string
	version int
	current string
}

func newConfigMapDir(t *testing.T, d configData) *configMapDir {
	t.Helper()
	c := &configMapDir{dir: t.TempDir()}
	c.update(t, d)
	if err := os.Symlink(filepath.Join("..data", "config.yaml"), c.path()); err != nil {
		t.Fatal(err)
	}
	return c
}

func (c *configMapDir) path() string { return filepath.Join(c.dir, "config.yaml") }

func (c *configMapDir) update(t *testing.T, d configData) {
	t.Helper()
	c.version++
	ts := fmt.Sprintf("..2026_11_29_17_00_%02d.00000000%d", c.version, c.version)
	if err := os.Mkdir(filepath.Join(c.dir, ts), 0o755); err != nil {
		t.Fatal(err)
	}
	writeConfig(t, filepath.Join(c.dir, ts, "config.yaml"), d)
	tmp := filepath.Join(c.dir, "..data_tmp")
	if err := os.Symlink(ts, tmp); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(tmp, filepath.Join(c.dir, "..data")); err != nil {
		t.Fatal(err)
	}
	if c.current != "" {
		if err := os.RemoveAll(filepath.Join(c.dir, c.current)); err != nil {
			t.Fatal(err)
		}
	}
	c.current = ts
}

// A config mounted from a Kubernetes ConfigMap (a directory volume, not a subPath) reloads when
// the ConfigMap changes: the watcher compares the content read through the symlinks, so the
// kubelet's swap of ..data is seen, and so is the swap after it.
func TestReloadOnConfigMapUpdate(t *testing.T) {
	t.Parallel()
	cfg := configData{DSN: dbtest.SQLiteDSN(t), BaseURL: "http://127.0.0.1:1", Tenants: []testTenant{{ID: "a", Schedule: "@every 1h"}}}
	cm := newConfigMapDir(t, cfg)
	before, err := os.Lstat(cm.path())
	if err != nil {
		t.Fatal(err)
	}
	d := startDaemon(t, daemon.Options{ConfigPath: cm.path(), WatchInterval: 20 * time.Millisecond})
	for _, schedule := range []string{"@every 2h", "@every 3h"} {
		cfg.Tenants[0].Schedule = schedule
		cm.update(t, cfg)
		waitFor(t, 5*time.Second, "the reload to "+schedule, func() bool {
			return d.Scheduler().Scheduled()["a/rentengine"] == schedule
		})
	}
	after, err := os.Lstat(cm.path())
	if err != nil {
		t.Fatal(err)
	}
	if !os.SameFile(before, after) {
		t.Error("the test replaced config.yaml itself; the kubelet never does")
	}
}
