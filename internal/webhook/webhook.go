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
//
// Each change a delivery makes is recorded in record_changes with the delivery's id (see
// DeliveryID), so that an analyst can tell a webhook's change from a pull's and find every
// change one delivery made.
package webhook

import (
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
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
	ch.Delivery = DeliveryID(r.Header, body)
	log := h.log.With(zap.String("tenant", t.ID), zap.String("job", "webhook"), zap.String("delivery", ch.Delivery),
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

// MessageIDHeader is the header in which Upstash QStash, through which RentEngine delivers
// [reference: rentengine.md §5.2], sends its message id; QStash keeps the id when it retries.
const MessageIDHeader = "Upstash-Message-Id"

// DeliveryID identifies a delivery in record_changes.delivery_id: the QStash message id when the
// delivery carries a usable one (1–128 printable ASCII characters), else "sha256:" and the first
// 32 hex digits of the SHA-256 of the body. Both are stable across the sender's retries of one
// delivery, so the changes a retry makes (none, when the first attempt landed) carry the same
// id. The body hash makes two deliveries of byte-identical bodies share an id: they are the same
// change, and the second one changes nothing.
func DeliveryID(h http.Header, body []byte) string {
	if id := h.Get(MessageIDHeader); id != "" && len(id) <= 128 && printableASCII(id) {
		return id
	}
	sum := sha256.Sum256(body)
	return "sha256:" + hex.EncodeToString(sum[:16])
}

func printableASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < 0x21 || s[i] > 0x7e {
			return false
		}
	}
	return true
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
