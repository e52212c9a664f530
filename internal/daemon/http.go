package daemon

import (
	"context"
	"fmt"
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus/promhttp"
	"go.uber.org/zap"

	"github.com/syncd-dev/syncd/internal/statuspage"
	"github.com/syncd-dev/syncd/internal/webhook"
)

// Handler serves /metrics, /healthz (the process is alive), /readyz (the database is reachable
// and its schema is current; 503 with the reason otherwise), the webhooks, and the status page
// (/ and /tenants/{id}). Only the status page is behind status_page.auth: probes, scrapers and
// webhook senders keep working when it is set.
func (d *Daemon) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", promhttp.HandlerFor(d.metrics.Registry, promhttp.HandlerOpts{}))
	mux.Handle(webhook.Path, webhook.New(webhook.Config{
		Store:       d.store,
		Tenant:      d.webhookTenants.tenant,
		Observe:     d.metrics.Webhook,
		Quarantined: func(tenant, table string) { d.metrics.Quarantined(tenant, table, 1) },
	}, d.log))
	statuspage.New(statuspage.Config{Store: d.store, Config: d.Config}, d.log.Named("statuspage")).Register(mux)
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintln(w, "ok")
	})
	mux.HandleFunc("GET /readyz", func(w http.ResponseWriter, r *http.Request) {
		if reason := d.ready(r.Context()); reason != "" {
			http.Error(w, "not ready: "+reason, http.StatusServiceUnavailable)
			return
		}
		fmt.Fprintln(w, "ready")
	})
	return mux
}

// Reasons /readyz gives. Anyone who can reach the port can read them, so they are short and
// fixed: the driver's error names the database user, host and database, and goes to the log.
const (
	notReadyStopping    = "shutting down"
	notReadyUnreachable = "database unreachable"
	notReadySchema      = "schema not current"
)

// ready returns why the daemon is not ready, or "" when it is. The detail is logged when it
// changes: a probe every few seconds during an outage would otherwise log the same line each time.
func (d *Daemon) ready(ctx context.Context) string {
	reason, detail := d.readiness(ctx)
	state := reason
	if detail != nil {
		state += "\x00" + detail.Error()
	}
	if prev := d.notReady.Swap(&state); prev == nil || *prev != state {
		switch {
		case reason == "":
			if prev != nil {
				d.log.Info("ready again")
			}
		case detail != nil:
			d.log.Warn("not ready", zap.String("reason", reason), zap.Error(detail))
		default:
			d.log.Warn("not ready", zap.String("reason", reason))
		}
	}
	return reason
}

func (d *Daemon) readiness(ctx context.Context) (reason string, detail error) {
	if d.stopping.Load() {
		return notReadyStopping, nil
	}
	ctx, cancel := context.WithTimeout(ctx, 3*time.Second)
	defer cancel()
	if err := d.store.Ping(ctx); err != nil {
		return notReadyUnreachable, err
	}
	cur, latest, err := d.store.MigrationState(ctx)
	if err != nil {
		return notReadyUnreachable, err
	}
	if cur != latest {
		return notReadySchema, fmt.Errorf("database schema at version %d, this binary needs %d (run `syncd migrate`)", cur, latest)
	}
	return "", nil
}
