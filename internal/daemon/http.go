package daemon

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/syncd-dev/syncd/internal/tenants"
	"github.com/syncd-dev/syncd/internal/webhook"
)

// Handler serves /metrics, /healthz (the process is alive) and /readyz (the database is reachable
// and its schema is current; 503 with the reason otherwise).
func (d *Daemon) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", promhttp.HandlerFor(d.metrics.Registry, promhttp.HandlerOpts{}))
	mux.Handle(webhook.Path, webhook.New(webhook.Config{
		Store:   d.store,
		Tenant:  func(id string) *tenants.Tenant { return d.Config().Tenant(id) },
		Observe: d.metrics.Webhook,
	}, d.log))
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintln(w, "ok")
	})
	mux.HandleFunc("GET /readyz", func(w http.ResponseWriter, r *http.Request) {
		if err := d.ready(r.Context()); err != nil {
			http.Error(w, "not ready: "+err.Error(), http.StatusServiceUnavailable)
			return
		}
		fmt.Fprintln(w, "ready")
	})
	return mux
}

func (d *Daemon) ready(ctx context.Context) error {
	if d.stopping.Load() {
		return errors.New("shutting down")
	}
	ctx, cancel := context.WithTimeout(ctx, 3*time.Second)
	defer cancel()
	if err := d.store.Ping(ctx); err != nil {
		return fmt.Errorf("database unreachable: %w", err)
	}
	cur, latest, err := d.store.MigrationState(ctx)
	if err != nil {
		return err
	}
	if cur != latest {
		return fmt.Errorf("database schema at version %d, this binary needs %d (run `syncd migrate`)", cur, latest)
	}
	return nil
}
