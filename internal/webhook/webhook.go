// Package webhook receives RentEngine's change webhooks (`POST /webhooks/rentengine/{tenant}`)
// and applies each change to the tenant's mirror at once, between scheduled pulls.
//
// RentEngine delivers through a queue that retries anything but a 2xx, so the answer matters: a
// delivery that can never succeed (malformed, wrong key, undecodable record, a record quarantined
// because the mirror cannot store it as received) gets a 4xx and is not worth retrying; only a
// failure of ours (the database unavailable) gets a 503 so the delivery comes back; everything
// applied, repeated or out of date gets a 200. Repeated deliveries change nothing the second
// time. An unknown tenant, a tenant without a webhook and a wrong key all get the same 401, so
// the answers do not tell which tenant ids exist.
package webhook

import (
	"crypto/subtle"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"time"

	"go.uber.org/zap"

	"github.com/syncd-dev/syncd/internal/mirror"
	"github.com/syncd-dev/syncd/internal/models"
	"github.com/syncd-dev/syncd/internal/tenants"
)

// MaxBody bounds a delivery; one record is a few kilobytes.
const MaxBody = 1 << 20

// Path is the route the daemon mounts the handler on.
const Path = "POST /webhooks/rentengine/{tenant}"

// Config configures the handler.
type Config struct {
	Store *models.Store
	// Tenant returns the running config's tenant (nil when unknown); it is called per delivery so
	// a reload's new keys apply at once.
	Tenant func(id string) *tenants.Tenant
	// Now is the clock (nil = time.Now in UTC).
	Now func() time.Time
	// Observe is told each delivery's outcome (nil = none). tenant is "" when the path names no
	// tenant with a webhook (the label must not take whatever a caller puts in the path).
	Observe func(tenant, table, outcome string)
	// Quarantined is told of each record quarantined in bad_records, with its mirror table
	// (nil = none).
	Quarantined func(tenant, table string)
}

type handler struct {
	cfg Config
	log *zap.Logger
}

// New returns the handler for Path.
func New(cfg Config, log *zap.Logger) http.Handler {
	if cfg.Now == nil {
		cfg.Now = func() time.Time { return time.Now().UTC() }
	}
	if log == nil {
		log = zap.NewNop()
	}
	return &handler{cfg: cfg, log: log.Named("webhook")}
}

type reply struct {
	Result string `json:"result,omitempty"`
	Error  string `json:"error,omitempty"`
}

// unauthorized is the one answer to a delivery without a valid key, whatever the tenant.
var unauthorized = reply{Error: "missing or wrong API key"}

func (h *handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	t := h.cfg.Tenant(r.PathValue("tenant"))
	if t == nil || !t.IsEnabled() || t.RentEngine == nil || t.RentEngine.Webhook == nil {
		// Compare anyway, so that an unknown tenant takes as long as a wrong key.
		subtle.ConstantTimeCompare([]byte(r.Header.Get("X-API-Key")), []byte("no tenant has this key"))
		h.observe("", "", "unauthorized")
		write(w, http.StatusUnauthorized, unauthorized)
		return
	}
	wh := t.RentEngine.Webhook
	got, want := r.Header.Get(wh.Header), wh.APIKey.Reveal()
	if want == "" || subtle.ConstantTimeCompare([]byte(got), []byte(want)) != 1 {
		h.observe(t.ID, "", "unauthorized")
		write(w, http.StatusUnauthorized, unauthorized)
		return
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, MaxBody))
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			h.observe(t.ID, "", "too_large")
			write(w, http.StatusRequestEntityTooLarge, reply{Error: "delivery larger than 1 MiB"})
			return
		}
		// The sender went away or was too slow (the server's read timeout).
		h.observe(t.ID, "", "unreadable")
		write(w, http.StatusBadRequest, reply{Error: "could not read the body"})
		return
	}
	var ch mirror.Change
	if err := json.Unmarshal(body, &ch); err != nil {
		h.observe(t.ID, "", "malformed")
		write(w, http.StatusBadRequest, reply{Error: "body is not a JSON change: " + err.Error()})
		return
	}
	log := h.log.With(zap.String("tenant", t.ID), zap.String("job", "webhook"),
		zap.String("table", ch.Table), zap.String("type", ch.Type))
	outcome, err := mirror.ApplyRentEngineChange(r.Context(), h.cfg.Store, t.ID, ch, h.cfg.Now())
	var quarantined *mirror.QuarantineError
	switch {
	case errors.Is(err, mirror.ErrBadChange):
		h.observe(t.ID, ch.Table, "malformed")
		log.Warn("malformed webhook delivery rejected", zap.Error(err))
		write(w, http.StatusBadRequest, reply{Error: err.Error()})
	case errors.Is(err, mirror.ErrBadRecord):
		h.observe(t.ID, ch.Table, "bad_record")
		log.Warn("webhook record cannot be stored; rejected", zap.Error(err), zap.String("raw", excerpt(ch.Record)))
		write(w, http.StatusUnprocessableEntity, reply{Error: err.Error()})
	case errors.As(err, &quarantined):
		h.observe(t.ID, ch.Table, "quarantined")
		if h.cfg.Quarantined != nil {
			h.cfg.Quarantined(t.ID, quarantined.Table)
		}
		log.Warn("webhook record cannot be stored as received; quarantined in bad_records and rejected",
			zap.String("id", quarantined.ID), zap.String("reason", quarantined.Reason), zap.String("raw", excerpt(ch.Record)))
		write(w, http.StatusUnprocessableEntity, reply{Error: err.Error()})
	case err != nil:
		h.observe(t.ID, ch.Table, "error")
		log.Error("could not apply webhook delivery; the sender will retry", zap.Error(err))
		write(w, http.StatusServiceUnavailable, reply{Error: "could not apply the change now; retry"})
	default:
		h.observe(t.ID, ch.Table, outcome)
		log.Debug("webhook applied", zap.String("result", outcome))
		write(w, http.StatusOK, reply{Result: outcome})
	}
}

func (h *handler) observe(tenant, table, outcome string) {
	if h.cfg.Observe == nil {
		return
	}
	// The table comes from the sender: keep metric labels to the mirrored tables.
	switch table {
	case "units", "prospects", "leasing_events", "":
	default:
		table = "other"
	}
	h.cfg.Observe(tenant, table, outcome)
}

func write(w http.ResponseWriter, status int, v reply) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

func excerpt(raw []byte) string {
	if len(raw) > 300 {
		return string(raw[:300]) + "…"
	}
	return string(raw)
}
